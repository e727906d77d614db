/* The zero-phase Butterworth low-pass (df_butter_lowpass + df_filtfilt) against theory: in
 * the interior of a long sine, forward-backward filtering must scale it by the squared
 * magnitude of the analog prototype at the pre-warped frequency,
 * |H(f)|^2 = 1 / (1 + (tan(pi f / 2) / tan(pi fc / 2))^(2N)), with no phase shift; a constant
 * must pass unchanged to the last sample (the edge handling); a symmetric signal must stay
 * symmetric (zero phase); the lowest allowed cutoff stays finite at every order; bad orders
 * and cutoffs (below the stable floor too) are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "drumforge/postfx.h"

static double expected_gain2(int order, double cutoff, double f) {
  double r = tan(M_PI * f / 2.0) / tan(M_PI * cutoff / 2.0);
  return 1.0 / (1.0 + pow(r, 2.0 * order));
}

static void sine_response(int order, double cutoff) {
  static const double freqs[] = {0.01, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.55, 0.7, 0.9};
  const int64_t n = 16384, lo = 4096, hi = 12288;
  float *x = malloc(sizeof(float) * n), *want = malloc(sizeof(float) * (hi - lo));
  df_butter f;
  char what[128];
  snprintf(what, sizeof what, "design order %d cutoff %.2f", order, cutoff);
  if (!df_expect_ok(df_butter_lowpass(order, cutoff, &f), what)) return;
  for (size_t k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
    double fr = freqs[k], g2 = expected_gain2(order, cutoff, fr);
    for (int64_t i = 0; i < n; i++) x[i] = (float)sin(M_PI * fr * (double)i + 0.3);
    for (int64_t i = lo; i < hi; i++) want[i - lo] = (float)(g2 * sin(M_PI * fr * (double)i + 0.3));
    df_expect_ok(df_filtfilt(&f, x, n), "filtfilt");
    snprintf(what, sizeof what, "order %d cutoff %.2f: sine at %.2f x Nyquist scaled by |H|^2 = %.6f, no phase shift",
             order, cutoff, fr, g2);
    df_expect_close(what, x + lo, want, hi - lo, 0, 2e-5);
  }
  free(x);
  free(want);
}

static void constant_passes(int order, double cutoff, int64_t n) {
  float *x = malloc(sizeof(float) * (size_t)n), *want = malloc(sizeof(float) * (size_t)n);
  for (int64_t i = 0; i < n; i++) x[i] = want[i] = 0.7f;
  df_butter f;
  df_butter_lowpass(order, cutoff, &f);
  df_expect_ok(df_filtfilt(&f, x, n), "filtfilt constant");
  char what[128];
  snprintf(what, sizeof what, "order %d cutoff %.2f: a constant of %lld samples passes to the last sample", order,
           cutoff, (long long)n);
  df_expect_close(what, x, want, n, 0, 1e-6);
  free(x);
  free(want);
}

static void symmetric_stays_symmetric(int order, double cutoff) {
  const int64_t n = 4001;
  float *x = malloc(sizeof(float) * n), *mirror = malloc(sizeof(float) * n);
  for (int64_t i = 0; i < n; i++) {
    double t = (double)(i - n / 2);
    x[i] = (float)(exp(-t * t / 2000.0) * cos(0.3 * t));
  }
  df_butter f;
  df_butter_lowpass(order, cutoff, &f);
  df_expect_ok(df_filtfilt(&f, x, n), "filtfilt bump");
  for (int64_t i = 0; i < n; i++) mirror[i] = x[n - 1 - i];
  char what[128];
  snprintf(what, sizeof what, "order %d cutoff %.2f: a symmetric pulse stays symmetric (zero phase)", order, cutoff);
  df_expect_close(what, x, mirror, n, 0, 1e-6);
  free(x);
  free(mirror);
}

/* At the lowest cutoff every order stays finite and a constant still passes (below it, the
 * rounded sections had poles on z = 1 and the output was NaN). */
static void lowest_cutoff_is_finite(void) {
  const int64_t n = 16384;
  float *x = malloc(sizeof(float) * n);
  for (int order = 1; order <= DF_BUTTER_MAX_ORDER; order++) {
    df_butter f;
    df_expect_ok(df_butter_lowpass(order, DF_BUTTER_MIN_CUTOFF, &f), "design at the lowest cutoff");
    for (int64_t i = 0; i < n; i++) x[i] = (float)(0.3 + 0.5 * sin(0.001 * (double)i) + 0.2 * sin(2.1 * (double)i));
    df_filtfilt(&f, x, n);
    int finite = 1;
    for (int64_t i = 0; i < n; i++) finite &= isfinite(x[i]) && fabsf(x[i]) < 2.0f;
    char what[128];
    snprintf(what, sizeof what, "order %d at cutoff %g: the output is finite and bounded", order, DF_BUTTER_MIN_CUTOFF);
    df_expect_true(finite, what);
  }
  free(x);
  for (int order = 2; order <= DF_BUTTER_MAX_ORDER; order += 7) constant_passes(order, DF_BUTTER_MIN_CUTOFF, 5000);
}

int main(void) {
  df_test_begin("test_postfx_butterworth");
  static const int orders[] = {1, 2, 3, 4, 8};
  static const double cutoffs[] = {0.1, 0.25, 0.5, 0.8};
  for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++)
    for (size_t c = 0; c < sizeof cutoffs / sizeof cutoffs[0]; c++) {
      sine_response(orders[o], cutoffs[c]);
      constant_passes(orders[o], cutoffs[c], 5000);
      symmetric_stays_symmetric(orders[o], cutoffs[c]);
    }
  /* Signals shorter than the edge extension. */
  for (int64_t n = 2; n <= 40; n += 7) constant_passes(8, 0.5, n);
  float one = 0.25f;
  df_butter f;
  df_butter_lowpass(2, 0.5, &f);
  df_expect_ok(df_filtfilt(&f, &one, 1), "a single sample is accepted");
  df_expect_true(one == 0.25f, "a single sample is left as it is");

  df_expect_status(df_butter_lowpass(0, 0.5, &f), DF_ERR_INVALID_ARG, "order 0 is refused");
  df_expect_status(df_butter_lowpass(DF_BUTTER_MAX_ORDER + 1, 0.5, &f), DF_ERR_INVALID_ARG, "order 17 is refused");
  df_expect_status(df_butter_lowpass(2, 0.0, &f), DF_ERR_INVALID_ARG, "cutoff 0 is refused");
  df_expect_status(df_butter_lowpass(16, 1e-9, &f), DF_ERR_INVALID_ARG, "a cutoff below the stable floor is refused");
  df_expect_true(strstr(df_last_error(), "numerically stable") != NULL, "the error says why");
  lowest_cutoff_is_finite();
  df_expect_status(df_butter_lowpass(2, 1.0, &f), DF_ERR_INVALID_ARG, "cutoff 1 (Nyquist) is refused");
  df_expect_status(df_butter_lowpass(2, NAN, &f), DF_ERR_INVALID_ARG, "cutoff NaN is refused");
  return df_test_finish();
}
