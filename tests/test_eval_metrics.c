/* The quality metrics on constructed cases: the Inception Score of a uniform and of confident
 * predictors, the Frechet distance of a set with itself (0), under a shift (|shift|^2) and a
 * scaling (closed form), KID near 0 for two samples of one distribution and growing with a
 * shift, the mean pairwise distance of a simplex, the confusion matrix of known labels, and
 * the nearest-row search (novelty 0 for a training example against its own set) on the CPU
 * and, when there is one, the GPU against a brute-force search in the test. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "drumforge/metrics.h"

static void inception_scores(void) {
  enum { N = 40, C = 4 };
  float p[N * C];
  double is, sd;
  for (int i = 0; i < N * C; i++) p[i] = 1.0f / C;
  if (df_expect_ok(df_inception_score(p, N, C, 1, &is, &sd), "IS uniform"))
    df_expect_near("IS of a predictor that always says 'uniform' is 1", is, 1.0, 1e-12);
  memset(p, 0, sizeof p);
  for (int i = 0; i < N; i++) p[i * C + i % C] = 1.0f;
  if (df_expect_ok(df_inception_score(p, N, C, 1, &is, &sd), "IS one-hot"))
    df_expect_near("IS of confident predictions spread evenly over C classes is C", is, C, 1e-9);
  if (df_expect_ok(df_inception_score(p, N, C, 5, &is, &sd), "IS one-hot, 5 splits")) {
    df_expect_near("IS over splits: mean C", is, C, 1e-9);
    df_expect_near("IS over splits: std 0", sd, 0, 1e-9);
  }
  memset(p, 0, sizeof p);
  for (int i = 0; i < N; i++) p[i * C + 2] = 1.0f;
  if (df_expect_ok(df_inception_score(p, N, C, 1, &is, &sd), "IS one class"))
    df_expect_near("IS of confident predictions that are all one class is 1", is, 1.0, 1e-12);
  /* Confident predictions over two of four classes: IS = 2. */
  memset(p, 0, sizeof p);
  for (int i = 0; i < N; i++) p[i * C + (i % 2) * 3] = 1.0f;
  if (df_expect_ok(df_inception_score(p, N, C, 1, &is, &sd), "IS two classes"))
    df_expect_near("IS of confident predictions over two classes is 2", is, 2.0, 1e-9);
  df_expect_status(df_inception_score(p, 0, C, 1, &is, &sd), DF_ERR_INVALID_ARG, "IS of no rows is refused");
}

static void frechet_and_kid(void) {
  enum { N = 400, D = 8 };
  float *a = malloc(sizeof(float) * N * D), *b = malloc(sizeof(float) * N * D);
  float *c = malloc(sizeof(float) * N * D);
  df_test_fill_uniform(a, N * D, 11, -1.0f, 1.0f);
  df_test_fill_uniform(c, N * D, 12, -1.0f, 1.0f); /* another sample of the same distribution */
  double fd, prev = -1;
  if (df_expect_ok(df_frechet_distance(a, N, a, N, D, &fd), "FD(a, a)"))
    df_expect_near("Frechet distance of a set with itself is 0", fd, 0, 1e-9);
  int grows = 1;
  for (int step = 1; step <= 4; step++) {
    float shift[D];
    double want = 0;
    for (int k = 0; k < D; k++) {
      shift[k] = 0.25f * (float)step * (float)(k % 3 - 1);
      want += (double)shift[k] * shift[k];
    }
    for (int i = 0; i < N * D; i++) b[i] = a[i] + shift[i % D];
    if (!df_expect_ok(df_frechet_distance(a, N, b, N, D, &fd), "FD(a, a + shift)")) break;
    char what[128];
    snprintf(what, sizeof what, "FD of a set and its shift %d is |shift|^2", step);
    /* The shifted copy has the same covariance up to float rounding of the shift. */
    df_expect_near(what, fd, want, 1e-4 * (1 + want));
    grows &= fd > prev;
    prev = fd;
  }
  df_expect_true(grows, "FD grows with the shift");
  /* b = 2 a: FD = |mu|^2 + tr(S + 4 S - 2 (4 S^2)^(1/2)) = |mu|^2 + tr(S). */
  double mu2 = 0, tr = 0;
  for (int k = 0; k < D; k++) {
    double m = 0, v = 0;
    for (int i = 0; i < N; i++) m += a[i * D + k];
    m /= N;
    for (int i = 0; i < N; i++) v += (a[i * D + k] - m) * (a[i * D + k] - m);
    mu2 += m * m;
    tr += v / (N - 1);
  }
  for (int i = 0; i < N * D; i++) b[i] = 2.0f * a[i];
  if (df_expect_ok(df_frechet_distance(a, N, b, N, D, &fd), "FD(a, 2a)"))
    df_expect_near("FD of a set and its double is |mu|^2 + tr(S) (the matrix square root)", fd, mu2 + tr, 1e-6 * tr);
  df_expect_status(df_frechet_distance(a, 1, b, N, D, &fd), DF_ERR_INVALID_ARG, "FD of one row is refused");

  double k0, s0, k1, s1, k2, s2;
  int ok = df_expect_ok(df_kernel_distance(a, N, c, N, D, 10, 200, 3, &k0, &s0), "KID(a, a')");
  for (int i = 0; i < N * D; i++) b[i] = a[i] + 0.5f;
  ok &= df_expect_ok(df_kernel_distance(a, N, b, N, D, 10, 200, 3, &k1, &s1), "KID(a, a + 0.5)");
  for (int i = 0; i < N * D; i++) b[i] = a[i] + 1.0f;
  ok &= df_expect_ok(df_kernel_distance(a, N, b, N, D, 10, 200, 3, &k2, &s2), "KID(a, a + 1)");
  if (ok) {
    printf("     KID: same distribution %.3g +- %.2g, shift 0.5 %.3g, shift 1 %.3g\n", k0, s0, k1, k2);
    df_expect_true(fabs(k0) < 0.05 * k1, "KID of two samples of one distribution is near 0");
    df_expect_true(k2 > k1 && k1 > 0, "KID grows with the shift");
  }
  double again, sd_again;
  if (df_expect_ok(df_kernel_distance(a, N, c, N, D, 10, 200, 3, &again, &sd_again), "KID again"))
    df_expect_true(again == k0, "KID is reproducible for a seed");
  free(a);
  free(b);
  free(c);
}

static void diversity_and_confusion(void) {
  enum { N = 6 };
  float x[N * N] = {0};
  for (int i = 0; i < N; i++) x[i * N + i] = 3.0f; /* a simplex: every pair 3 sqrt(2) apart */
  double d;
  if (df_expect_ok(df_mean_pairwise_distance(x, N, N, &d), "pairwise distance"))
    df_expect_near("mean pairwise distance of a regular simplex", d, 3.0 * sqrt(2.0), 1e-12);

  const int32_t want[8] = {0, 0, 1, 1, 2, 2, 2, 0}, got[8] = {0, 1, 1, 1, 2, 0, 2, 0};
  int64_t counts[9];
  double acc;
  if (df_expect_ok(df_confusion(want, got, 8, 3, counts, &acc), "confusion")) {
    int64_t expect[9] = {0};
    int right = 0;
    for (int i = 0; i < 8; i++) {
      expect[want[i] * 3 + got[i]]++;
      right += want[i] == got[i];
    }
    df_expect_true(!memcmp(counts, expect, sizeof expect), "confusion counts: rows asked, columns found");
    df_expect_near("accuracy is the diagonal share", acc, right / 8.0, 0);
  }
  const int32_t bad[2] = {0, 3};
  df_expect_status(df_confusion(bad, bad, 2, 3, counts, &acc), DF_ERR_INVALID_ARG, "a class id out of range is refused");
}

/* Brute force in the test: nearest row of b for each row of a, distances in double. */
static void brute_nearest(const float *a, int na, const float *b, int nb, int dim, double *dist, int64_t *idx) {
  for (int i = 0; i < na; i++) {
    dist[i] = INFINITY;
    for (int j = 0; j < nb; j++) {
      double s = 0;
      for (int k = 0; k < dim; k++) s += ((double)a[i * dim + k] - b[j * dim + k]) * ((double)a[i * dim + k] - b[j * dim + k]);
      if (s < dist[i]) {
        dist[i] = s;
        idx[i] = j;
      }
    }
  }
}

static void nearest(df_device dev, const char *where) {
  /* b: training "sounds" [NB, 1, L]; a: some of them (novelty 0) and noisy copies. */
  enum { NB = 300, NA = 40, L = 2500 };
  float *b = malloc(sizeof(float) * NB * L), *a = malloc(sizeof(float) * NA * L);
  df_test_fill_uniform(b, NB * L, 21, -0.5f, 0.5f);
  float *noise = malloc(sizeof(float) * NA * L);
  df_test_fill_uniform(noise, NA * L, 22, -0.01f, 0.01f);
  for (int i = 0; i < NA; i++) {
    int src = (i * 37) % NB;
    for (int k = 0; k < L; k++) a[i * L + k] = b[src * L + k] + (i % 2 ? noise[i * L + k] : 0.0f);
  }
  df_tensor ha = df_tensor_wrap(a, DF_DEVICE_CPU, DF_F32, 3, (int64_t[]){NA, 1, L}, "generated");
  df_tensor hb = df_tensor_wrap(b, DF_DEVICE_CPU, DF_F32, 3, (int64_t[]){NB, 1, L}, "training");
  df_tensor ta, tb;
  double dist[NA], want_dist[NA];
  int64_t idx[NA], want_idx[NA];
  char what[160];
  if (df_expect_ok(df_test_to_device(&ha, dev, &ta), "upload a") && df_expect_ok(df_test_to_device(&hb, dev, &tb), "upload b")) {
    snprintf(what, sizeof what, "%s: nearest rows", where);
    if (df_expect_ok(df_nearest_rows(&ta, &tb, dist, idx), what)) {
      brute_nearest(a, NA, b, NB, L, want_dist, want_idx);
      int same_idx = 1, exact_copies = 1;
      for (int i = 0; i < NA; i++) {
        same_idx &= idx[i] == want_idx[i];
        if (i % 2 == 0) exact_copies &= dist[i] == 0.0;
      }
      snprintf(what, sizeof what, "%s: every nearest index matches a brute-force search", where);
      df_expect_true(same_idx, what);
      snprintf(what, sizeof what, "%s: novelty of a training example against its own set is exactly 0", where);
      df_expect_true(exact_copies, what);
      float got_f[NA], want_f[NA];
      for (int i = 0; i < NA; i++) {
        got_f[i] = (float)dist[i];
        want_f[i] = (float)want_dist[i];
      }
      snprintf(what, sizeof what, "%s: nearest squared distances", where);
      df_expect_close(what, got_f, want_f, NA, 1e-9, 0);
    }
    df_tensor bad = ta;
    bad.shape[2] = L - 1;
    snprintf(what, sizeof what, "%s: rows of different sizes are refused", where);
    df_expect_status(df_nearest_rows(&bad, &tb, dist, idx), DF_ERR_INVALID_ARG, what);
    df_tensor_free(&ta);
    df_tensor_free(&tb);
  }
  free(a);
  free(b);
  free(noise);
}

int main(void) {
  df_test_begin("test_eval_metrics");
  inception_scores();
  frechet_and_kid();
  diversity_and_confusion();
  nearest(DF_DEVICE_CPU, "cpu");
  if (df_test_gpu()) nearest(DF_DEVICE_CUDA, "cuda");
  else df_test_skip_gpu(5, "nearest rows on the GPU");
  return df_test_finish();
}
