/* Per-element DSP math shared verbatim by the CPU loops and the CUDA kernels, so both
 * backends compute the same formulas: padding and frame indexing, magnitudes, Griffin-Lim's
 * initial phase and update, and the elementwise scale maps. */
#ifndef DF_DSP_DSP_MATH_H
#define DF_DSP_DSP_MATH_H

#include <math.h>
#include <stdint.h>

#include "dsp/dsp_backend.h"
#include "rng/philox_impl.h" /* Philox and DF_HD (host/device inline) */

/* Griffin-Lim's guard against dividing by a zero magnitude (torchaudio's). */
#define DF_GL_TINY 1e-16f

/* Index arithmetic is 32-bit (plans keep padded signals below 2^31 samples): GPU integer
 * division is several times cheaper in 32 bits than in 64. */

/* Index into a signal of length len for position i of its padded version (pad samples in
 * front): the sample itself, its mirror image (reflect, edge not repeated) or -1 (zero). */
DF_HD int df_dsp_pad_source(int i, int len, int pad, int reflect) {
  int j = i - pad;
  if (j < 0) return reflect ? -j : -1;
  if (j >= len) return reflect ? 2 * (len - 1) - j : -1;
  return j;
}

/* The frames [*t0, *t1] that cover padded position p (frame t spans [t hop, t hop + n_fft)). */
DF_HD void df_dsp_frame_range(int p, int hop, int n_fft, int frames, int *t0, int *t1) {
  int last = p / hop;
  *t1 = last < frames - 1 ? last : frames - 1;
  *t0 = p >= n_fft ? (p - n_fft) / hop + 1 : 0;
}

/* DC and (for even n_fft) Nyquist: the bins a real signal's spectrum has purely real. Their
 * imaginary parts are zeroed before an inverse FFT so that every FFT library agrees. */
DF_HD int df_dsp_real_bin(int f, int n_fft) { return f == 0 || 2 * f == n_fft; }

/* |re + j im|^power. */
DF_HD float df_dsp_power(float re, float im, float power) {
  float sq = re * re + im * im;
  if (power == 2.0f) return sq;
  if (power == 1.0f) return sqrtf(sq);
  return powf(sq, 0.5f * power);
}

/* Initial phase factor of element idx: exp(j 2 pi u), u the idx-th uniform of the stream from
 * offset (both backends draw the same u; their cosf / sinf agree to an ulp or two); 1 for zero
 * phase. */
DF_HD void df_dsp_initial_phase(int random, uint64_t seed, uint64_t offset, uint64_t idx,
                                float *c, float *s) {
  if (!random) {
    *c = 1.0f;
    *s = 0.0f;
    return;
  }
  float phi = 6.28318530717958648f * df_philox_uniform_at(seed, offset, idx, 0.0f, 1.0f);
  *c = cosf(phi);
  *s = sinf(phi);
}

/* One fast Griffin-Lim phase update at one bin: A = T - k P (k = m / (1 + m), 0 on the first
 * pass); X = S A / (|A| + tiny), in torchaudio's order of operations. */
DF_HD void df_dsp_gl_update(float tr, float ti, float pr, float pi, float k, float mag,
                            float *xr, float *xi) {
  float ar = tr - k * pr, ai = ti - k * pi;
  float d = sqrtf(ar * ar + ai * ai) + DF_GL_TINY;
  *xr = mag * (ar / d);
  *xi = mag * (ai / d);
}

/* The elementwise scale maps of df_spec_map. */
DF_HD float df_dsp_map(int op, float x, float a, float b, float c) {
  switch (op) {
    case DF_MAP_TO_DB: return a * log10f(fmaxf(b, x)) - c;
    case DF_MAP_FROM_DB: return c * powf(10.0f, x / a);
    case DF_MAP_TO_LOG: return logf(x + b);
    default: return fmaxf(expf(x) - b, 0.0f); /* DF_MAP_FROM_LOG */
  }
}

DF_HD float df_dsp_minmax(float x, float lo, float hi) {
  return hi > lo ? (x - lo) / (hi - lo) : 0.0f;
}

/* One item's range folded into a row (items seen, mean lo, mean hi) of running means. */
DF_HD void df_dsp_range_fold(float *row, float lo, float hi) {
  double count = (double)row[0] + 1.0;
  row[0] = (float)count;
  row[1] = (float)(row[1] + ((double)lo - row[1]) / count);
  row[2] = (float)(row[2] + ((double)hi - row[2]) / count);
}

DF_HD float df_dsp_bin_norm(int inverse, float x, float mean, float std, float n_std) {
  if (inverse) return x * (n_std * std) + mean;
  float y = (x - mean) / (n_std * std);
  return fminf(fmaxf(y, -1.0f), 1.0f);
}

#endif
