/* Mel: filterbanks of both scales and norms against torchaudio.functional.melscale_fbanks
 * (librosa's definition), the scale conversions, the pseudo-inverse (the four Moore-Penrose
 * conditions), the projection and its clipped least-squares inverse, CPU vs GPU, and the
 * count of empty bands (bands narrower than the bins). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dsp_fixture.h"
#include "common/testlib.h"
#include "drumforge/dsp.h"

static void filterbank_matches(const char *fixture, df_mel_config cfg) {
  const int F = cfg.n_fft / 2 + 1;
  int64_t shape[2] = {cfg.n_mels, F};
  float *want = df_dsp_fixture(fixture, 2, shape);
  float *got = malloc(sizeof(float) * cfg.n_mels * F);
  char what[128];
  snprintf(what, sizeof what, "%s filterbank matches torchaudio", fixture);
  if (want && df_expect_ok(df_mel_filterbank(&cfg, got), what)) {
    float peak = 0;
    for (int i = 0; i < cfg.n_mels * F; i++) peak = fmaxf(peak, want[i]);
    df_expect_close(what, got, want, (int64_t)cfg.n_mels * F, 1e-5, 1e-6 * peak);
  }
  free(want);
  free(got);
}

static void scales(void) {
  double worst = 0, worst_hz = 0; /* relative to 1 + hz */
  for (int s = 0; s < 2; s++)
    for (double hz = 0; hz <= 20000; hz += 37.5) {
      double err = fabs(df_mel_to_hz(df_hz_to_mel(hz, (df_mel_scale)s), (df_mel_scale)s) - hz) / (1 + hz);
      if (!(err <= worst)) worst = err, worst_hz = hz;
    }
  char what[160];
  snprintf(what, sizeof what, "hz -> mel -> hz round-trips on both scales (worst relative error at %g Hz)", worst_hz);
  df_expect_near(what, worst, 0, 1e-9);
  double below = df_hz_to_mel(1000 - 1e-9, DF_MEL_SLANEY), above = df_hz_to_mel(1000, DF_MEL_SLANEY);
  df_expect_near("the Slaney scale is continuous at 1 kHz", above, below, 1e-6);
  df_expect_near("the Slaney scale is linear below 1 kHz (1000 Hz / (200/3 Hz per mel))", above, 1000 / (200.0 / 3), 1e-12);
}

/* Bands narrower than the FFT's bins: the filterbank still builds (with all-zero rows, as
 * librosa's, which warns) and df_mel_empty_bands counts those rows. */
static void empty_bands(void) {
  const int F = 129;
  float *fb = malloc(sizeof(float) * 129 * F);
  int empty = -1, zero_rows = 0;
  df_mel_config cfg = df_mel_config_default(16000, 256, 129);
  if (df_expect_ok(df_mel_filterbank(&cfg, fb), "129 bands from a 256-point FFT at 16 kHz build") &&
      df_expect_ok(df_mel_empty_bands(&cfg, &empty), "count their empty bands")) {
    for (int m = 0; m < 129; m++) {
      int hit = 0;
      for (int k = 0; k < F; k++) hit |= fb[m * F + k] > 0;
      zero_rows += !hit;
    }
    df_expect_true(empty == 13 && zero_rows == 13, "13 of them are all-zero rows, and counted so");
  }
  cfg.n_mels = 95;
  df_expect_true(df_mel_empty_bands(&cfg, &empty) == DF_OK && empty == 0, "95 bands: none empty");
  cfg.n_mels = 96;
  df_expect_true(df_mel_empty_bands(&cfg, &empty) == DF_OK && empty == 1, "96 bands: the first empty one");
  free(fb);
}

/* max |X - Y| / max |Y| of two row-major matrices computed in double. */
static double rel_diff(const double *x, const double *y, int n) {
  double d = 0, m = 0;
  for (int i = 0; i < n; i++) {
    d = fmax(d, fabs(x[i] - y[i]));
    m = fmax(m, fabs(y[i]));
  }
  return d / m;
}

/* c [r, k] = a [r, n] b [n, k] in double. */
static void matmul(const double *a, const double *b, int r, int n, int k, double *c) {
  for (int i = 0; i < r; i++)
    for (int j = 0; j < k; j++) {
      double acc = 0;
      for (int l = 0; l < n; l++) acc += a[i * n + l] * b[l * k + j];
      c[i * k + j] = acc;
    }
}

static void transpose(const double *a, int r, int c, double *t) {
  for (int i = 0; i < r; i++)
    for (int j = 0; j < c; j++) t[j * r + i] = a[i * c + j];
}

/* The four Moore-Penrose conditions: A P A = A, P A P = P, A P and P A symmetric. */
static void pseudo_inverse(void) {
  df_mel_config cfg = {22050, 512, 40, 30, 7000, DF_MEL_SLANEY, DF_MEL_NORM_SLANEY};
  const int M = 40, F = 257;
  float *a = malloc(sizeof(float) * M * F), *p = malloc(sizeof(float) * M * F);
  double *A = malloc(sizeof(double) * M * F), *P = malloc(sizeof(double) * M * F);
  double *AP = malloc(sizeof(double) * M * M), *PA = malloc(sizeof(double) * F * F);
  double *APA = malloc(sizeof(double) * M * F), *PAP = malloc(sizeof(double) * M * F);
  double *T = malloc(sizeof(double) * F * F);
  if (df_expect_ok(df_mel_filterbank(&cfg, a), "filterbank") &&
      df_expect_ok(df_pseudo_inverse(M, F, a, p), "pseudo-inverse")) {
    for (int i = 0; i < M * F; i++) {
      A[i] = a[i];
      P[i] = p[i];
    }
    matmul(A, P, M, F, M, AP);
    matmul(P, A, F, M, F, PA);
    matmul(AP, A, M, M, F, APA);
    matmul(PA, P, F, F, M, PAP);
    double e1 = rel_diff(APA, A, M * F), e2 = rel_diff(PAP, P, M * F);
    transpose(AP, M, M, T);
    double e3 = rel_diff(T, AP, M * M);
    transpose(PA, F, F, T);
    double e4 = rel_diff(T, PA, F * F);
    printf("     Moore-Penrose residuals: %.2e %.2e %.2e %.2e\n", e1, e2, e3, e4);
    df_expect_true(e1 < 1e-5 && e2 < 1e-5 && e3 < 1e-5 && e4 < 1e-5,
                   "pinv(mel filterbank) meets the four Moore-Penrose conditions");
  }
  /* A rank-deficient matrix (a repeated row): the conditions still hold. */
  float r[6] = {1, 2, 3, 1, 2, 3}, rp[6];
  if (df_expect_ok(df_pseudo_inverse(2, 3, r, rp), "rank-1 pseudo-inverse")) {
    double Ar[6], Pr[6], APr[4], APAr[6];
    for (int i = 0; i < 6; i++) {
      Ar[i] = r[i];
      Pr[i] = rp[i];
    }
    matmul(Ar, Pr, 2, 3, 2, APr);
    matmul(APr, Ar, 2, 2, 3, APAr);
    df_expect_near("pseudo-inverse of a rank-deficient matrix: A P A = A (relative residual)", rel_diff(APAr, Ar, 6), 0, 1e-6);
    df_expect_near("pseudo-inverse of a rank-deficient matrix: A P is the projection onto (1, 1) / sqrt 2", APr[0], 0.5, 1e-6);
  }
  free(a);
  free(p);
  free(A);
  free(P);
  free(AP);
  free(PA);
  free(APA);
  free(PAP);
  free(T);
}

static df_tensor cpu_tensor(const char *name, int ndim, const int64_t *shape) {
  df_tensor t;
  df_expect_ok(df_tensor_alloc(&t, DF_DEVICE_CPU, DF_F32, ndim, shape, name), name);
  return t;
}

/* mel = fb mag and mag' = max(0, pinv mel), against the same sums in double. */
static void projections(df_device dev, df_tensor *mel_out, df_tensor *lin_out) {
  df_mel_config cfg = df_mel_config_default(16000, 256, 32);
  const int M = 32, F = 129, B = 3, T = 20;
  df_tensor fb, pinv;
  if (!df_expect_ok(df_mel_matrices(&cfg, dev, &fb, &pinv), "mel matrices")) return;
  int64_t ms[3] = {B, F, T}, es[3] = {B, M, T};
  df_tensor mag = cpu_tensor("magnitude", 3, ms);
  df_test_fill_uniform(mag.data, B * F * T, 17, 0.0f, 2.0f);
  df_tensor dmag, mel, lin;
  df_expect_ok(df_test_to_device(&mag, dev, &dmag), "upload");
  df_expect_ok(df_tensor_alloc(&mel, dev, DF_F32, 3, es, "mel"), "alloc");
  df_expect_ok(df_tensor_alloc(&lin, dev, DF_F32, 3, ms, "linear from mel"), "alloc");
  df_expect_ok(df_mel_project(&fb, &dmag, &mel), "mel projection");
  df_expect_ok(df_mel_to_linear(&pinv, &mel, &lin), "mel to linear");
  df_tensor_copy(mel_out, &mel);
  df_tensor_copy(lin_out, &lin);
  df_tensor_free(&fb);
  df_tensor_free(&pinv);
  df_tensor_free(&mag);
  df_tensor_free(&dmag);
  df_tensor_free(&mel);
  df_tensor_free(&lin);
}

static void projections_cpu(void) {
  const int M = 32, F = 129, B = 3, T = 20;
  int64_t ms[3] = {B, F, T}, es[3] = {B, M, T};
  df_tensor mel = cpu_tensor("mel", 3, es), lin = cpu_tensor("linear", 3, ms);
  projections(DF_DEVICE_CPU, &mel, &lin);
  /* The same in double. */
  df_mel_config cfg = df_mel_config_default(16000, 256, 32);
  float *fb = malloc(sizeof(float) * M * F), *pinv = malloc(sizeof(float) * M * F);
  float *mag = malloc(sizeof(float) * B * F * T), *want_mel = malloc(sizeof(float) * B * M * T);
  float *want_lin = malloc(sizeof(float) * B * F * T);
  df_mel_filterbank(&cfg, fb);
  df_pseudo_inverse(M, F, fb, pinv);
  df_test_fill_uniform(mag, B * F * T, 17, 0.0f, 2.0f);
  int negatives = 0, clipped = 0;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      for (int m = 0; m < M; m++) {
        double acc = 0;
        for (int f = 0; f < F; f++) acc += (double)fb[m * F + f] * mag[(b * F + f) * T + t];
        want_mel[(b * M + m) * T + t] = (float)acc;
      }
      for (int f = 0; f < F; f++) {
        double acc = 0;
        for (int m = 0; m < M; m++)
          acc += (double)pinv[f * M + m] * ((float *)mel.data)[(b * M + m) * T + t];
        clipped += acc < 0;
        want_lin[(b * F + f) * T + t] = (float)(acc > 0 ? acc : 0);
        negatives += ((float *)lin.data)[(b * F + f) * T + t] < 0;
      }
    }
  df_expect_close("mel projection equals fb x magnitude", mel.data, want_mel, B * M * T, 1e-5, 1e-6);
  df_expect_close("mel to linear equals max(0, pinv x mel)", lin.data, want_lin, B * F * T, 1e-5,
                  1e-6);
  df_expect_true(negatives == 0 && clipped > 0, "the least-squares inverse is clipped at zero");
  free(fb);
  free(pinv);
  free(mag);
  free(want_mel);
  free(want_lin);
  df_tensor_free(&mel);
  df_tensor_free(&lin);
}

static void projections_gpu(void) {
  int64_t ms[3] = {3, 129, 20}, es[3] = {3, 32, 20};
  df_tensor mel = cpu_tensor("cpu mel", 3, es), lin = cpu_tensor("cpu linear", 3, ms);
  df_tensor gmel = cpu_tensor("gpu mel", 3, es), glin = cpu_tensor("gpu linear", 3, ms);
  projections(DF_DEVICE_CPU, &mel, &lin);
  df_set_strict_fp32(1);
  projections(DF_DEVICE_CUDA, &gmel, &glin);
  df_set_strict_fp32(0);
  df_expect_tensor_close("gpu mel projection equals cpu", &gmel, &mel, 1e-5, 1e-5);
  df_expect_tensor_close("gpu mel to linear equals cpu", &glin, &lin, 1e-4, 1e-5);
  df_tensor_free(&mel);
  df_tensor_free(&lin);
  df_tensor_free(&gmel);
  df_tensor_free(&glin);
}

int main(void) {
  df_test_begin("test_dsp_mel");
  const char *scale_names[] = {"slaney", "htk"}, *norm_names[] = {"slaney", "none"};
  for (int s = 0; s < 2; s++)
    for (int n = 0; n < 2; n++) {
      df_mel_config cfg = {16000, 256, 24, 0, 8000, (df_mel_scale)s, (df_mel_norm)n};
      char name[64];
      snprintf(name, sizeof name, "mel_%s_%s", scale_names[s], norm_names[n]);
      filterbank_matches(name, cfg);
    }
  df_mel_config lib = df_mel_config_default(22050, 512, 40);
  lib.f_min = 30;
  lib.f_max = 7000;
  filterbank_matches("mel_librosa", lib);
  scales();
  empty_bands();
  pseudo_inverse();
  projections_cpu();
  if (df_test_gpu()) projections_gpu();
  else df_test_skip_gpu(2, "cuda mel projections against the cpu");
  return df_test_finish();
}
