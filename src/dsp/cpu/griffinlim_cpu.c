/* Fast Griffin-Lim on the CPU: each OpenMP thread takes whole spectrograms and runs all the
 * iterations on one, so its workspace (about 1 MB for a second of 16 kHz audio) stays in the
 * core's cache. Two spectrum buffers suffice: the update reads the rebuilt spectrum T and the
 * previous one P at a bin and writes the next X over P, then the two swap roles. */
#include <math.h>
#include <omp.h>

#include "dsp/cpu/stft_cpu.h"
#include "dsp/dsp_backend.h"
#include "dsp/dsp_math.h"

/* Frame-major target magnitudes and the initial X = S exp(j phi0) of item b. */
static void init_item(const df_stft_plan *p, const float *S, int random, uint64_t seed,
                      uint64_t offset, int64_t b, float *mag, fftwf_complex *x,
                      fftwf_complex *prev) {
  const cpu_stft_impl *c = p->impl;
  const int64_t T = p->frames;
  const int F = p->bins;
  for (int f = 0; f < F; f++) {
    int real_bin = df_dsp_real_bin(f, p->cfg.n_fft);
    for (int64_t t = 0; t < T; t++) {
      float s = S[f * T + t], cr, ci;
      df_dsp_initial_phase(random, seed, offset, (uint64_t)((b * F + f) * T + t), &cr, &ci);
      int64_t i = t * c->fs + f;
      mag[i] = s;
      x[i][0] = s * cr;
      x[i][1] = real_bin ? 0.0f : s * ci;
      prev[i][0] = prev[i][1] = 0.0f;
    }
  }
}

/* X = S A / (|A| + tiny) with A = T - k P, written over P (see the file comment). */
static void update(const df_stft_plan *p, const float *mag, const fftwf_complex *rebuilt,
                   fftwf_complex *prev_then_x, float k) {
  const cpu_stft_impl *c = p->impl;
  const int F = p->bins;
  for (int64_t t = 0; t < p->frames; t++) {
    const float *tr = rebuilt[t * c->fs], *s = mag + t * c->fs;
    float *px = prev_then_x[t * c->fs];
#pragma omp simd
    for (int f = 0; f < F; f++) {
      float xr, xi;
      df_dsp_gl_update(tr[2 * f], tr[2 * f + 1], px[2 * f], px[2 * f + 1], k, s[f], &xr, &xi);
      px[2 * f] = xr;
      px[2 * f + 1] = xi;
    }
    px[1] = 0.0f; /* DC */
    if (df_dsp_real_bin(F - 1, p->cfg.n_fft)) px[2 * (F - 1) + 1] = 0.0f;
  }
}

/* ||S - |T||| / ||S|| of one item (0 for an all-zero S). */
static float convergence_one(const df_stft_plan *p, const float *mag, const fftwf_complex *spec) {
  const cpu_stft_impl *c = p->impl;
  double num = 0, den = 0;
  for (int64_t t = 0; t < p->frames; t++) {
    for (int f = 0; f < p->bins; f++) {
      const float *z = spec[t * c->fs + f];
      double s = mag[t * c->fs + f], d = s - df_dsp_power(z[0], z[1], 1.0f);
      num += d * d;
      den += s * s;
    }
  }
  return den > 0 ? (float)sqrt(num / den) : 0.0f;
}

df_status df_cpu_griffinlim(df_stft_plan *p, const df_griffinlim_config *cfg, uint64_t seed,
                            uint64_t offset, const df_tensor *mag, df_tensor *audio,
                            float *convergence) {
  cpu_stft_impl *c = p->impl;
  const int64_t B = mag->shape[0], L = p->length, per = (int64_t)p->bins * p->frames;
  const float k = cfg->momentum / (1.0f + cfg->momentum);
  const int random = cfg->init != DF_PHASE_ZERO, shared = cfg->init == DF_PHASE_RANDOM_SHARED;
  const float *S = mag->data;
  float *out = audio->data;
#pragma omp parallel for num_threads(c->threads) schedule(dynamic)
  for (int64_t b = 0; b < B; b++) {
    cpu_workspace *w = &c->ws[omp_get_thread_num()];
    fftwf_complex *x = w->spec, *prev = w->aux;
    init_item(p, S + b * per, random, seed, offset, shared ? 0 : b, w->mag, x, prev);
    for (int it = 0; it < cfg->n_iter; it++) {
      df_cpu_istft_one(p, w, x, w->signal); /* consumes X */
      df_cpu_stft_one(p, w, w->signal, x);  /* T into the same buffer */
      update(p, w->mag, x, prev, it == 0 ? 0.0f : k);
      fftwf_complex *swap = x;
      x = prev;
      prev = swap;
    }
    df_cpu_istft_one(p, w, x, out + b * L);
    if (convergence) {
      df_cpu_stft_one(p, w, out + b * L, x);
      convergence[b] = convergence_one(p, w->mag, x);
    }
  }
  return DF_OK;
}
