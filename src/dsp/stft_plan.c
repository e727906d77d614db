/* STFT plans: config checks, geometry, the Hann window and the inverse STFT's overlap-add
 * scale (computed once here, in double, for both backends), and the backend's own state. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "core/check.h"
#include "dsp/dsp_backend.h"
#include "dsp/dsp_math.h"

/* torch.istft's threshold for a usable overlap-added squared window. */
#define NOLA_MIN 1e-11

df_stft_config df_stft_config_default(int n_fft) {
  df_stft_config c = {n_fft, n_fft / 4, n_fft, 1, DF_PAD_REFLECT};
  return c;
}

static df_status resolve(const df_stft_config *in, int64_t length, df_stft_config *out,
                         int *bins, int64_t *frames, int *pad) {
  if (!in) return DF_FAIL(DF_ERR_INVALID_ARG, "stft: config is missing");
  df_stft_config c = *in;
  if (c.n_fft < 2 || c.n_fft > (1 << 24))
    return DF_FAIL(DF_ERR_INVALID_ARG, "stft: n_fft %d out of range [2, 2^24]", c.n_fft);
  if (c.hop == 0) c.hop = c.n_fft / 4;
  if (c.win_length == 0) c.win_length = c.n_fft;
  if (c.hop < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "stft: hop %d must be positive (n_fft %d)", c.hop, c.n_fft);
  if (c.win_length < 1 || c.win_length > c.n_fft)
    return DF_FAIL(DF_ERR_INVALID_ARG, "stft: win_length %d must be in [1, n_fft = %d]",
                   c.win_length, c.n_fft);
  if (c.center != 0 && c.center != 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "stft: center must be 0 or 1, not %d", c.center);
  if (c.pad_mode != DF_PAD_REFLECT && c.pad_mode != DF_PAD_CONSTANT)
    return DF_FAIL(DF_ERR_INVALID_ARG, "stft: unknown pad mode %d", (int)c.pad_mode);
  int p = c.center ? c.n_fft / 2 : 0;
  if (length < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "stft: signal length %lld", (long long)length);
  if (c.center && c.pad_mode == DF_PAD_REFLECT && p >= length)
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "stft: reflect padding of %d needs a signal longer than that (length %lld)", p,
                   (long long)length);
  if (length > INT_MAX / 2 - c.n_fft)
    return DF_FAIL(DF_ERR_INVALID_ARG, "stft: signal of %lld samples is too long (2^30 at most)",
                   (long long)length);
  if (length + 2 * p < c.n_fft)
    return DF_FAIL(DF_ERR_INVALID_ARG, "stft: signal of %lld samples is shorter than n_fft %d",
                   (long long)length, c.n_fft);
  *out = c;
  *bins = c.n_fft / 2 + 1;
  *frames = 1 + (length + 2 * p - c.n_fft) / c.hop;
  *pad = p;
  return DF_OK;
}

df_status df_stft_dims(const df_stft_config *cfg, int64_t length, int *bins, int64_t *frames) {
  df_stft_config c;
  int pad;
  return resolve(cfg, length, &c, bins, frames, &pad);
}

/* Periodic Hann of win_length, centred in n_fft (torch.stft pads the window this way). */
static void hann_window(const df_stft_config *c, float *w) {
  int left = (c->n_fft - c->win_length) / 2;
  for (int k = 0; k < c->n_fft; k++) w[k] = 0.0f;
  for (int k = 0; k < c->win_length; k++)
    w[left + k] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * k / c->win_length));
}

/* The overlap-added squared window at each output sample, inverted (with the 1 / n_fft of the
 * unnormalised inverse FFT), and the first sample that breaks NOLA. */
static void ola_scale(df_stft_plan *p) {
  const int n = p->cfg.n_fft, hop = p->cfg.hop;
  p->nola_bad = -1;
  for (int64_t i = 0; i < p->length; i++) {
    int pos = (int)(i + p->pad), t0, t1;
    if (pos >= p->ola_len) {
      p->ola_scale[i] = 0.0f;
      continue;
    }
    df_dsp_frame_range(pos, hop, n, (int)p->frames, &t0, &t1);
    double env = 0;
    for (int t = t0; t <= t1; t++) {
      double w = p->window[pos - t * hop];
      env += w * w;
    }
    if (env < NOLA_MIN) {
      if (p->nola_bad < 0) p->nola_bad = i;
      p->ola_scale[i] = 0.0f;
    } else {
      p->ola_scale[i] = (float)(1.0 / ((double)n * env));
    }
  }
}

df_status df_stft_plan_create(const df_stft_config *cfg, df_device dev, int64_t max_batch,
                              int64_t length, df_stft_plan **out) {
  if (!out) return DF_FAIL(DF_ERR_INVALID_ARG, "df_stft_plan_create: out is NULL");
  *out = NULL;
  df_stft_config c = {0};
  int bins = 0, pad = 0;
  int64_t frames = 0;
  DF_TRY(resolve(cfg, length, &c, &bins, &frames, &pad));
  if (max_batch < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_stft_plan_create: max_batch %lld must be positive",
                   (long long)max_batch);
  const df_backend *be = df_backend_for(dev);
  if (!be) return DF_ERR_NO_DEVICE;
  if (!be->dsp || !be->dsp->plan_init)
    return DF_FAIL(DF_ERR_UNSUPPORTED, "df_stft_plan_create: no DSP backend on %s", be->name);

  df_stft_plan *p = calloc(1, sizeof *p);
  DF_CHECK_ALLOC(p);
  p->cfg = c;
  p->device = dev;
  p->be = be;
  p->max_batch = max_batch;
  p->length = length;
  p->frames = frames;
  p->bins = bins;
  p->pad = pad;
  p->reflect = c.center && c.pad_mode == DF_PAD_REFLECT;
  p->ola_len = c.n_fft + (int64_t)c.hop * (frames - 1);
  p->window = malloc(sizeof(float) * (size_t)c.n_fft);
  p->ola_scale = malloc(sizeof(float) * (size_t)length);
  if (!p->window || !p->ola_scale) {
    df_stft_plan_free(p);
    return DF_FAIL(DF_ERR_OOM, "df_stft_plan_create: no memory for a signal of %lld samples",
                   (long long)length);
  }
  hann_window(&c, p->window);
  ola_scale(p);
  df_status s = be->dsp->plan_init(p);
  if (s != DF_OK) {
    df_stft_plan_free(p);
    return s;
  }
  *out = p;
  return DF_OK;
}

void df_stft_plan_free(df_stft_plan *p) {
  if (!p) return;
  if (p->impl) p->be->dsp->plan_free(p);
  free(p->window);
  free(p->ola_scale);
  free(p);
}

/* A NULL plan reads as an empty one (all zero, the CPU). */
df_stft_config df_stft_plan_config(const df_stft_plan *p) { return p ? p->cfg : (df_stft_config){0}; }
int df_stft_plan_bins(const df_stft_plan *p) { return p ? p->bins : 0; }
int64_t df_stft_plan_frames(const df_stft_plan *p) { return p ? p->frames : 0; }
int64_t df_stft_plan_length(const df_stft_plan *p) { return p ? p->length : 0; }
int64_t df_stft_plan_max_batch(const df_stft_plan *p) { return p ? p->max_batch : 0; }
df_device df_stft_plan_device(const df_stft_plan *p) { return p ? p->device : DF_DEVICE_CPU; }
