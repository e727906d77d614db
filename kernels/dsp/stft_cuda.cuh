/* The CUDA STFT engine shared by the STFT and Griffin-Lim code: one batched cuFFT plan per
 * direction over every frame of every signal of the plan's largest batch (a smaller batch runs
 * the whole plan; the extra transforms are independent and ignored), the window and the
 * overlap-add scale uploaded from the host plan, and kernels for framing and overlap-add.
 * Spectra are frame-major [B, T, F] internally, as cuFFT writes them. */
#ifndef DF_KERNELS_DSP_STFT_CUDA_CUH
#define DF_KERNELS_DSP_STFT_CUDA_CUH

#include "../cuda_common.h"
#include "dsp/dsp_backend.h"

typedef struct cuda_stft_impl {
  cufftHandle r2c, c2r;
  int have_r2c, have_c2r;
  float *window;      /* [n_fft] */
  float *ola_scale;   /* [L] */
  float *frames;      /* [max_batch T, n_fft] */
  cufftComplex *spec; /* [max_batch T, F] */
  /* Griffin-Lim's buffers, allocated on first use. */
  cufftComplex *aux;  /* [max_batch T, F] the second spectrum */
  float *mag;         /* [max_batch T, F] target magnitudes, frame-major */
  float *signal;      /* [max_batch, L] */
  double *sums;       /* [max_batch, 2] spectral convergence sums */
} cuda_stft_impl;

extern "C" {
df_status df_cuda_stft_plan_init(df_stft_plan *p);
void df_cuda_stft_plan_free(df_stft_plan *p);
df_status df_cuda_stft(df_stft_plan *p, const df_tensor *x, df_stft_output out, float power,
                       df_tensor *y);
df_status df_cuda_istft(df_stft_plan *p, const df_tensor *spec, df_tensor *x);
df_status df_cuda_griffinlim(df_stft_plan *p, const df_griffinlim_config *cfg, uint64_t seed,
                             uint64_t offset, const df_tensor *mag, df_tensor *audio,
                             float *convergence);
}

/* Signals x [batch, L] -> windowed frames -> spectra `out` [batch T, F] (forward FFT). */
df_status df_cuda_stft_forward(const df_stft_plan *p, const float *x, int64_t batch,
                               cufftComplex *out);
/* Spectra `in` [batch T, F] (destroyed) -> inverse FFT -> overlap-add -> x [batch, L]. */
df_status df_cuda_stft_inverse(const df_stft_plan *p, cufftComplex *in, int64_t batch, float *x);

#endif
