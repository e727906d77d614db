/* The CPU STFT engine shared by the STFT and Griffin-Lim code: FFTW plans over all frames of
 * one signal (planned once per df_stft_plan, executed on any workspace with FFTW's new-array
 * interface), and one workspace per OpenMP thread. Spectra are kept frame-major [T, F]
 * internally, rows padded for aligned SIMD; the public [F, T] layout is made on export. */
#ifndef DF_DSP_CPU_STFT_CPU_H
#define DF_DSP_CPU_STFT_CPU_H

#include <fftw3.h>

#include "dsp/dsp_backend.h"

typedef struct cpu_workspace {
  float *frames;       /* [T, ns] windowed frames / inverse FFT output */
  fftwf_complex *spec; /* [T, fs] spectrum (a forward FFT's output, an inverse's input) */
  fftwf_complex *aux;  /* [T, fs] Griffin-Lim's second spectrum (previous rebuilt / next X) */
  float *mag;          /* [T, fs] Griffin-Lim's target magnitudes, frame-major */
  float *ola;          /* [ola_len] overlap-add accumulator */
  float *signal;       /* [L] Griffin-Lim's intermediate signal */
} cpu_workspace;

typedef struct cpu_stft_impl {
  int threads;  /* workspaces: one per OpenMP thread */
  int ns, fs;   /* row strides: frames (floats), spectra (complex) */
  fftwf_plan r2c, c2r;
  cpu_workspace *ws;
} cpu_stft_impl;

df_status df_cpu_stft_plan_init(df_stft_plan *p);
void df_cpu_stft_plan_free(df_stft_plan *p);

/* One signal x [L] -> spec [T, fs] (frame, window, forward FFTs). */
void df_cpu_stft_one(const df_stft_plan *p, cpu_workspace *w, const float *x, fftwf_complex *spec);
/* spec [T, fs] (destroyed) -> x [L] (inverse FFTs, window, overlap-add, normalise, trim). */
void df_cpu_istft_one(const df_stft_plan *p, cpu_workspace *w, fftwf_complex *spec, float *x);

df_status df_cpu_stft(df_stft_plan *p, const df_tensor *x, df_stft_output out, float power,
                      df_tensor *y);
df_status df_cpu_istft(df_stft_plan *p, const df_tensor *spec, df_tensor *x);
df_status df_cpu_griffinlim(df_stft_plan *p, const df_griffinlim_config *cfg, uint64_t seed,
                            uint64_t offset, const df_tensor *mag, df_tensor *audio,
                            float *convergence);

#endif
