/* CPU STFT and inverse STFT with FFTW: per signal, one batched r2c / c2r plan over all its
 * frames; OpenMP over the batch, one workspace per thread. The overlap-add scatters frames in
 * order (deterministic); the window and the normalisation come from the plan. */
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "dsp/cpu/stft_cpu.h"
#include "dsp/dsp_backend.h"
#include "dsp/dsp_math.h"

/* FFTW's planner is not thread-safe (execution is). */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

static void free_workspace(cpu_workspace *w) {
  fftwf_free(w->frames);
  fftwf_free(w->spec);
  fftwf_free(w->aux);
  fftwf_free(w->mag);
  fftwf_free(w->ola);
  fftwf_free(w->signal);
}

static df_status alloc_workspace(const df_stft_plan *p, const cpu_stft_impl *c,
                                 cpu_workspace *w) {
  size_t T = (size_t)p->frames;
  size_t n_frames = T * (size_t)c->ns, n_spec = T * (size_t)c->fs;
  w->frames = fftwf_alloc_real(n_frames);
  w->spec = fftwf_alloc_complex(n_spec);
  w->aux = fftwf_alloc_complex(n_spec);
  w->mag = fftwf_alloc_real(n_spec);
  w->ola = fftwf_alloc_real((size_t)p->ola_len);
  w->signal = fftwf_alloc_real((size_t)p->length);
  if (!w->frames || !w->spec || !w->aux || !w->mag || !w->ola || !w->signal)
    return DF_FAIL(DF_ERR_OOM, "stft plan: no memory for a workspace of %zu frames", T);
  /* The padding at the end of each row is never read by FFTW; zero it all anyway. */
  memset(w->frames, 0, n_frames * sizeof(float));
  memset(w->spec, 0, n_spec * sizeof(fftwf_complex));
  memset(w->aux, 0, n_spec * sizeof(fftwf_complex));
  memset(w->mag, 0, n_spec * sizeof(float));
  return DF_OK;
}

df_status df_cpu_stft_plan_init(df_stft_plan *p) {
  cpu_stft_impl *c = calloc(1, sizeof *c);
  DF_CHECK_ALLOC(c);
  p->impl = c; /* from here on df_cpu_stft_plan_free cleans up a partial init */
  c->threads = omp_get_max_threads();
  if (c->threads > p->max_batch) c->threads = (int)p->max_batch;
  /* Rows aligned to 32 bytes so that every frame gets FFTW's SIMD codelets. */
  c->ns = (p->cfg.n_fft + 7) & ~7;
  c->fs = (p->bins + 3) & ~3;
  c->ws = calloc((size_t)c->threads, sizeof *c->ws);
  DF_CHECK_ALLOC(c->ws);
  for (int i = 0; i < c->threads; i++) DF_TRY(alloc_workspace(p, c, &c->ws[i]));

  int n = p->cfg.n_fft, howmany = (int)p->frames;
  pthread_mutex_lock(&planner_lock);
  /* FFTW_ESTIMATE: the same algorithm on every run, so CPU results are bitwise reproducible
   * (FFTW_MEASURE picks by timing). */
  c->r2c = fftwf_plan_many_dft_r2c(1, &n, howmany, c->ws[0].frames, NULL, 1, c->ns,
                                   c->ws[0].spec, NULL, 1, c->fs, FFTW_ESTIMATE);
  c->c2r = fftwf_plan_many_dft_c2r(1, &n, howmany, c->ws[0].spec, NULL, 1, c->fs,
                                   c->ws[0].frames, NULL, 1, c->ns, FFTW_ESTIMATE);
  pthread_mutex_unlock(&planner_lock);
  if (!c->r2c || !c->c2r)
    return DF_FAIL(DF_ERR_UNSUPPORTED, "stft plan: FFTW cannot plan %d frames of n_fft %d",
                   howmany, n);
  return DF_OK;
}

void df_cpu_stft_plan_free(df_stft_plan *p) {
  cpu_stft_impl *c = p->impl;
  if (!c) return;
  pthread_mutex_lock(&planner_lock);
  if (c->r2c) fftwf_destroy_plan(c->r2c);
  if (c->c2r) fftwf_destroy_plan(c->c2r);
  pthread_mutex_unlock(&planner_lock);
  if (c->ws)
    for (int i = 0; i < c->threads; i++) free_workspace(&c->ws[i]);
  free(c->ws);
  free(c);
  p->impl = NULL;
}

void df_cpu_stft_one(const df_stft_plan *p, cpu_workspace *w, const float *x,
                     fftwf_complex *spec) {
  const cpu_stft_impl *c = p->impl;
  const int n = p->cfg.n_fft, hop = p->cfg.hop;
  const float *win = p->window;
  for (int64_t t = 0; t < p->frames; t++) {
    float *f = w->frames + t * c->ns;
    int64_t start = t * hop - p->pad;
    if (start >= 0 && start + n <= p->length) {
      const float *src = x + start;
      for (int k = 0; k < n; k++) f[k] = win[k] * src[k];
    } else {
      for (int k = 0; k < n; k++) {
        int j = df_dsp_pad_source((int)(t * hop + k), (int)p->length, p->pad, p->reflect);
        f[k] = j >= 0 ? win[k] * x[j] : 0.0f;
      }
    }
  }
  fftwf_execute_dft_r2c(c->r2c, w->frames, spec);
}

void df_cpu_istft_one(const df_stft_plan *p, cpu_workspace *w, fftwf_complex *spec, float *x) {
  const cpu_stft_impl *c = p->impl;
  const int n = p->cfg.n_fft, hop = p->cfg.hop;
  const float *win = p->window;
  fftwf_execute_dft_c2r(c->c2r, spec, w->frames);
  memset(w->ola, 0, sizeof(float) * (size_t)p->ola_len);
  for (int64_t t = 0; t < p->frames; t++) {
    float *dst = w->ola + t * hop;
    const float *f = w->frames + t * c->ns;
    for (int k = 0; k < n; k++) dst[k] += f[k] * win[k];
  }
  int64_t avail = p->ola_len - p->pad; /* output samples covered by frames */
  if (avail > p->length) avail = p->length;
  const float *src = w->ola + p->pad;
  for (int64_t i = 0; i < avail; i++) x[i] = src[i] * p->ola_scale[i];
  for (int64_t i = avail; i < p->length; i++) x[i] = 0.0f;
}

/* Frame-major [T, fs] -> [F, T, 2] or |X|^power [F, T]. */
static void export_one(const df_stft_plan *p, const fftwf_complex *spec, df_stft_output out,
                       float power, float *y) {
  const cpu_stft_impl *c = p->impl;
  const int64_t T = p->frames;
  for (int f = 0; f < p->bins; f++) {
    for (int64_t t = 0; t < T; t++) {
      const float *z = spec[t * c->fs + f];
      if (out == DF_STFT_COMPLEX) {
        y[(f * T + t) * 2] = z[0];
        y[(f * T + t) * 2 + 1] = z[1];
      } else {
        y[f * T + t] = df_dsp_power(z[0], z[1], power);
      }
    }
  }
}

/* [F, T, 2] -> frame-major [T, fs], the imaginary parts of the purely real bins zeroed. */
static void import_one(const df_stft_plan *p, const float *y, fftwf_complex *spec) {
  const cpu_stft_impl *c = p->impl;
  const int64_t T = p->frames;
  for (int f = 0; f < p->bins; f++) {
    int real_bin = df_dsp_real_bin(f, p->cfg.n_fft);
    for (int64_t t = 0; t < T; t++) {
      spec[t * c->fs + f][0] = y[(f * T + t) * 2];
      spec[t * c->fs + f][1] = real_bin ? 0.0f : y[(f * T + t) * 2 + 1];
    }
  }
}

df_status df_cpu_stft(df_stft_plan *p, const df_tensor *x, df_stft_output out, float power,
                      df_tensor *y) {
  cpu_stft_impl *c = p->impl;
  const int64_t B = x->shape[0], L = p->length;
  const int64_t per = (int64_t)p->bins * p->frames * (out == DF_STFT_COMPLEX ? 2 : 1);
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for num_threads(c->threads) schedule(dynamic)
  for (int64_t b = 0; b < B; b++) {
    cpu_workspace *w = &c->ws[omp_get_thread_num()];
    df_cpu_stft_one(p, w, xd + b * L, w->spec);
    export_one(p, w->spec, out, power, yd + b * per);
  }
  return DF_OK;
}

df_status df_cpu_istft(df_stft_plan *p, const df_tensor *spec, df_tensor *x) {
  cpu_stft_impl *c = p->impl;
  const int64_t B = spec->shape[0], L = p->length;
  const int64_t per = (int64_t)p->bins * p->frames * 2;
  const float *sd = spec->data;
  float *xd = x->data;
#pragma omp parallel for num_threads(c->threads) schedule(dynamic)
  for (int64_t b = 0; b < B; b++) {
    cpu_workspace *w = &c->ws[omp_get_thread_num()];
    import_one(p, sd + b * per, w->spec);
    df_cpu_istft_one(p, w, w->spec, xd + b * L);
  }
  return DF_OK;
}
