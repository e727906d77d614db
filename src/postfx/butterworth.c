/* Zero-phase Butterworth low-pass (include/drumforge/postfx.h). */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/postfx.h"

df_status df_butter_lowpass(int order, double cutoff, df_butter *out) {
  if (!out) return DF_FAIL(DF_ERR_INVALID_ARG, "df_butter_lowpass: argument 'out' is NULL");
  memset(out, 0, sizeof *out);
  if (order < 1 || order > DF_BUTTER_MAX_ORDER)
    return DF_FAIL(DF_ERR_INVALID_ARG, "Butterworth order %d is outside [1, %d]", order, DF_BUTTER_MAX_ORDER);
  if (!(cutoff > 0.0 && cutoff < 1.0))
    return DF_FAIL(DF_ERR_INVALID_ARG, "low-pass cutoff %g is not a fraction of Nyquist in (0, 1)", cutoff);
  /* Lower, a section's 1 + a1 + a2 (about (pi cutoff / 2)^2) is lost to rounding: its poles
   * land on z = 1 and the output turns to NaN. */
  if (cutoff < DF_BUTTER_MIN_CUTOFF)
    return DF_FAIL(DF_ERR_INVALID_ARG, "low-pass cutoff %g x Nyquist is below %g: a filter that low is not "
                   "numerically stable", cutoff, DF_BUTTER_MIN_CUTOFF);
  out->order = order;
  out->cutoff = cutoff;
  /* The bilinear transform s = (1 - 1/z) / (1 + 1/z) maps the analog frequency tan(w / 2)
   * to the digital w, so the prototype is scaled to the pre-warped cutoff. */
  const double warped = tan(M_PI * cutoff / 2.0);
  for (int k = 0; k < (order + 1) / 2; k++) {
    double complex s = warped * cexp(I * M_PI * (2.0 * k + order + 1.0) / (2.0 * order));
    double complex z = (1.0 + s) / (1.0 - s);
    df_biquad *q = &out->sections[out->n_sections++];
    if (2 * k + 1 == order) {
      /* The real pole of an odd order: a first-order section, zero at z = -1. */
      q->a1 = -creal(z);
      double g = (1.0 + q->a1) / 2.0;
      q->b0 = g;
      q->b1 = g;
    } else {
      /* A conjugate pair, both zeros at z = -1. */
      q->a1 = -2.0 * creal(z);
      q->a2 = creal(z) * creal(z) + cimag(z) * cimag(z);
      double g = (1.0 + q->a1 + q->a2) / 4.0;
      q->b0 = g;
      q->b1 = 2.0 * g;
      q->b2 = g;
    }
  }
  return DF_OK;
}

/* Runs the cascade over x in place (transposed direct form II), every section starting in
 * the steady state it would have reached after a constant input equal to x[0]. */
static void cascade(const df_butter *f, double *x, int64_t n) {
  double level = x[0];
  for (int s = 0; s < f->n_sections; s++) {
    const df_biquad *q = &f->sections[s];
    double dc = (q->b0 + q->b1 + q->b2) / (1.0 + q->a1 + q->a2);
    double z2 = (q->b2 - q->a2 * dc) * level;
    double z1 = (q->b1 - q->a1 * dc) * level + z2;
    for (int64_t i = 0; i < n; i++) {
      double in = x[i];
      double y = q->b0 * in + z1;
      z1 = q->b1 * in - q->a1 * y + z2;
      z2 = q->b2 * in - q->a2 * y;
      x[i] = y;
    }
    level *= dc;
  }
}

static void reverse(double *x, int64_t n) {
  for (int64_t i = 0, j = n - 1; i < j; i++, j--) {
    double t = x[i];
    x[i] = x[j];
    x[j] = t;
  }
}

df_status df_filtfilt(const df_butter *f, float *x, int64_t n) {
  if (!f) return DF_FAIL(DF_ERR_INVALID_ARG, "df_filtfilt: argument 'f' is NULL");
  if (n < 0 || (n > 0 && !x))
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_filtfilt: %lld samples at %p", (long long)n, (void *)x);
  if (f->n_sections < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "df_filtfilt: the filter has no sections");
  /* A hand-filled struct: only what df_butter_lowpass makes is run. */
  if (f->order < 1 || f->order > DF_BUTTER_MAX_ORDER || f->n_sections != (f->order + 1) / 2)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_filtfilt: not a filter of df_butter_lowpass (order %d, %d sections)",
                   f->order, f->n_sections);
  if (n < 2) return DF_OK;
  int64_t taps = 2 * f->n_sections + 1 - (f->order % 2);
  int64_t pad = 3 * taps;
  if (pad > n - 1) pad = n - 1;
  int64_t len = n + 2 * pad;
  double *ext = malloc(sizeof(double) * (size_t)len);
  if (!ext) return DF_FAIL(DF_ERR_OOM, "df_filtfilt: %lld samples", (long long)len);
  /* Odd extension: the signal continued by its point reflection about each end sample. */
  for (int64_t i = 0; i < n; i++) ext[pad + i] = x[i];
  for (int64_t i = 1; i <= pad; i++) {
    ext[pad - i] = 2.0 * x[0] - x[i];
    ext[pad + n - 1 + i] = 2.0 * x[n - 1] - x[n - 1 - i];
  }
  cascade(f, ext, len);
  reverse(ext, len);
  cascade(f, ext, len);
  reverse(ext, len);
  for (int64_t i = 0; i < n; i++) x[i] = (float)ext[pad + i];
  free(ext);
  return DF_OK;
}
