/* Mel scales and filterbanks (librosa.filters.mel, computed once on the host in double), the
 * filterbank and its pseudo-inverse as device tensors, and the projections between linear and
 * Mel spectrograms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "dsp/dsp_backend.h"

/* Slaney's Auditory Toolbox scale: linear (200/3 Hz per mel) below 1 kHz, logarithmic above. */
#define SLANEY_F_SP (200.0 / 3.0)
#define SLANEY_MIN_LOG_HZ 1000.0
#define SLANEY_MIN_LOG_MEL (SLANEY_MIN_LOG_HZ / SLANEY_F_SP)
#define SLANEY_LOGSTEP (log(6.4) / 27.0)

df_mel_config df_mel_config_default(double sample_rate, int n_fft, int n_mels) {
  df_mel_config c = {sample_rate, n_fft, n_mels, 0.0, 0.0, DF_MEL_SLANEY, DF_MEL_NORM_SLANEY};
  return c;
}

double df_hz_to_mel(double hz, df_mel_scale scale) {
  if (scale == DF_MEL_HTK) return 2595.0 * log10(1.0 + hz / 700.0);
  if (hz >= SLANEY_MIN_LOG_HZ)
    return SLANEY_MIN_LOG_MEL + log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
  return hz / SLANEY_F_SP;
}

double df_mel_to_hz(double mel, df_mel_scale scale) {
  if (scale == DF_MEL_HTK) return 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
  if (mel >= SLANEY_MIN_LOG_MEL)
    return SLANEY_MIN_LOG_HZ * exp(SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL));
  return SLANEY_F_SP * mel;
}

static df_status check_config(const df_mel_config *c, double *f_max) {
  const char *fn = "df_mel_filterbank";
  if (!c) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: config is NULL", fn);
  if (!(c->sample_rate > 0) || !isfinite(c->sample_rate))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: sample rate %g", fn, c->sample_rate);
  if (c->n_fft < 2 || c->n_mels < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: n_fft %d and n_mels %d must be >= 2 and >= 1", fn,
                   c->n_fft, c->n_mels);
  if (c->scale != DF_MEL_SLANEY && c->scale != DF_MEL_HTK)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: unknown Mel scale %d", fn, (int)c->scale);
  if (c->norm != DF_MEL_NORM_SLANEY && c->norm != DF_MEL_NORM_NONE)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: unknown Mel norm %d", fn, (int)c->norm);
  *f_max = c->f_max == 0.0 ? c->sample_rate / 2 : c->f_max;
  if (!(c->f_min >= 0) || !(*f_max > c->f_min) || *f_max > c->sample_rate / 2)
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "%s: need 0 <= f_min < f_max <= sample_rate / 2 (f_min %g, f_max %g, rate %g)",
                   fn, c->f_min, *f_max, c->sample_rate);
  return DF_OK;
}

/* Band edges in Hz: n_mels + 2 points evenly spaced in mel (np.linspace); malloc'd. */
static df_status band_edges(const df_mel_config *c, double f_max, double **out) {
  const int M = c->n_mels;
  double *edge = malloc(sizeof(double) * (size_t)(M + 2));
  DF_CHECK_ALLOC(edge);
  double lo = df_hz_to_mel(c->f_min, c->scale), hi = df_hz_to_mel(f_max, c->scale);
  double step = (hi - lo) / (M + 1);
  for (int i = 0; i < M + 2; i++) edge[i] = df_mel_to_hz(i == M + 1 ? hi : lo + i * step, c->scale);
  *out = edge;
  return DF_OK;
}

/* The triangle of band m at frequency bin k, before normalisation (0 outside the band). */
static double band_weight(const df_mel_config *c, const double *edge, int m, int k) {
  double hz = k * c->sample_rate / c->n_fft;
  double rise = (hz - edge[m]) / (edge[m + 1] - edge[m]);
  double fall = (edge[m + 2] - hz) / (edge[m + 2] - edge[m + 1]);
  double w = rise < fall ? rise : fall;
  return w > 0 ? w : 0.0;
}

df_status df_mel_filterbank(const df_mel_config *c, float *fb) {
  double f_max = 0, *edge;
  DF_TRY(check_config(c, &f_max));
  if (!fb) return DF_FAIL(DF_ERR_INVALID_ARG, "df_mel_filterbank: fb is NULL");
  const int M = c->n_mels, F = c->n_fft / 2 + 1;
  DF_TRY(band_edges(c, f_max, &edge));
  for (int m = 0; m < M; m++) {
    double norm = c->norm == DF_MEL_NORM_SLANEY ? 2.0 / (edge[m + 2] - edge[m]) : 1.0;
    for (int k = 0; k < F; k++) fb[(size_t)m * F + k] = (float)(band_weight(c, edge, m, k) * norm);
  }
  free(edge);
  return DF_OK;
}

df_status df_mel_empty_bands(const df_mel_config *c, int *empty) {
  double f_max = 0, *edge;
  DF_TRY(check_config(c, &f_max));
  if (!empty) return DF_FAIL(DF_ERR_INVALID_ARG, "df_mel_empty_bands: empty is NULL");
  const int F = c->n_fft / 2 + 1;
  DF_TRY(band_edges(c, f_max, &edge));
  *empty = 0;
  for (int m = 0; m < c->n_mels; m++) {
    /* Only the bins from just below the band's lower edge up to its upper edge can weigh. */
    int k = (int)floor(edge[m] * c->n_fft / c->sample_rate), hit = 0;
    for (k = k > 0 ? k : 0; k < F && !hit && k * c->sample_rate / c->n_fft <= edge[m + 2]; k++)
      hit = band_weight(c, edge, m, k) > 0;
    *empty += !hit;
  }
  free(edge);
  return DF_OK;
}

df_status df_mel_matrices(const df_mel_config *cfg, df_device dev, df_tensor *fb,
                          df_tensor *pinv) {
  double f_max = 0;
  if (!fb) return DF_FAIL(DF_ERR_INVALID_ARG, "df_mel_matrices: fb is NULL");
  DF_TRY(check_config(cfg, &f_max));
  const int M = cfg->n_mels, F = cfg->n_fft / 2 + 1;
  memset(fb, 0, sizeof *fb);
  if (pinv) memset(pinv, 0, sizeof *pinv);
  float *host = malloc(sizeof(float) * (size_t)M * F * 2);
  DF_CHECK_ALLOC(host);
  float *host_pinv = host + (size_t)M * F;
  df_status s = df_mel_filterbank(cfg, host);
  if (s == DF_OK) s = df_tensor_new(fb, dev, "mel filterbank", M, F);
  if (s == DF_OK) s = df_tensor_from_host(fb, host, (int64_t)M * F);
  if (s == DF_OK && pinv) {
    s = df_pseudo_inverse(M, F, host, host_pinv);
    if (s == DF_OK) s = df_tensor_new(pinv, dev, "mel pseudo-inverse", F, M);
    if (s == DF_OK) s = df_tensor_from_host(pinv, host_pinv, (int64_t)M * F);
  }
  free(host);
  if (s != DF_OK) { /* nothing half-made is handed back */
    df_tensor_free(fb);
    if (pinv) df_tensor_free(pinv);
  }
  return s;
}

/* y [B, P, T] = w [P, Q] x [B, Q, T], checked. */
static df_status bin_matmul(const char *fn, const df_tensor *w, const df_tensor *x, int nonneg,
                            df_tensor *y) {
  df_device dev;
  DF_TRY(df_check_ndim(fn, w, 2));
  DF_TRY(df_check_ndim(fn, x, 3));
  int64_t xs[3] = {x->shape[0], w->shape[1], x->shape[2]};
  DF_TRY(df_check_shape(fn, x, 3, xs));
  int64_t ys[3] = {x->shape[0], w->shape[0], x->shape[2]};
  DF_TRY(df_check_shape(fn, y, 3, ys));
  DF_TRY(DF_SAME_DEVICE(fn, &dev, w, x, y));
  return df_backend_for(dev)->dsp->bin_matmul(w, x, nonneg, y);
}

df_status df_mel_project(const df_tensor *fb, const df_tensor *mag, df_tensor *mel) {
  return bin_matmul("df_mel_project", fb, mag, 0, mel);
}

df_status df_mel_to_linear(const df_tensor *pinv, const df_tensor *mel, df_tensor *mag) {
  return bin_matmul("df_mel_to_linear", pinv, mel, 1, mag);
}
