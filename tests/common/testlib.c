#include "common/testlib.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rng/philox_impl.h"

static const char *program_name = "test";
static int n_pass, n_fail, n_gpu_skipped;
static int gpu_ok = -1;

void df_test_begin(const char *program) {
  program_name = program;
  df_device dev;
  if (df_runtime_init(DF_REQUEST_CPU, &dev, NULL, 0) != DF_OK) {
    fprintf(stderr, "%s: cannot initialise the runtime: %s\n", program, df_last_error());
    exit(1);
  }
  gpu_ok = df_cuda_available();
  printf("%s: cpu: %s; gpu: %s\n", program, df_device_description(DF_DEVICE_CPU),
         gpu_ok ? df_device_description(DF_DEVICE_CUDA)
                : (df_cuda_compiled() ? "none usable" : "not built"));
}

int df_test_gpu(void) { return gpu_ok == 1; }

void df_test_skip_gpu(int n, const char *what) {
  n_gpu_skipped += n;
  printf("SKIP %s: %d CUDA case%s skipped (no GPU)\n", what, n, n == 1 ? "" : "s");
}

int df_test_finish(void) {
  printf("%s: %d passed, %d failed", program_name, n_pass, n_fail);
  if (n_gpu_skipped) printf(", %d skipped (no GPU)", n_gpu_skipped);
  printf("\n");
  fflush(stdout);
  if (n_fail) return 1;
  if (n_pass == 0) return 77;
  return 0;
}

void df_test_pass(const char *what) {
  n_pass++;
  printf("ok   %s\n", what);
}

void df_test_fail(const char *what, const char *fmt, ...) {
  n_fail++;
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL %s: ", what);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
}

int df_expect_ok(df_status s, const char *what) {
  if (s == DF_OK) return 1;
  df_test_fail(what, "status '%s': %s", df_status_name(s), df_last_error());
  return 0;
}

int df_expect_status(df_status got, df_status want, const char *what) {
  if (got == want) {
    df_test_pass(what);
    return 1;
  }
  df_test_fail(what, "status '%s' (%s), '%s' expected", df_status_name(got), df_last_error(),
               df_status_name(want));
  return 0;
}

int df_expect_true(int cond, const char *what) {
  if (cond) df_test_pass(what);
  else df_test_fail(what, "condition is false");
  return cond != 0;
}

int df_expect_near(const char *what, double got, double want, double tol) {
  double err = fabs(got - want);
  if (err <= tol) {
    n_pass++;
    printf("ok   %s (|%.10g - %.10g| = %.3g)\n", what, got, want, err);
    return 1;
  }
  df_test_fail(what, "got %.10g, want %.10g: |diff| %.3g > tolerance %.3g", got, want, err, tol);
  return 0;
}

int df_expect_close(const char *what, const float *got, const float *want, int64_t n,
                    double rtol, double atol) {
  double worst_ratio = -1, worst_err = 0;
  int64_t worst = -1;
  for (int64_t i = 0; i < n; i++) {
    double g = got[i], w = want[i];
    if (!isfinite(g) || !isfinite(w)) {
      df_test_fail(what, "non-finite value at index %lld: got %g, want %g", (long long)i, g, w);
      return 0;
    }
    double err = fabs(g - w);
    double ratio = err / (atol + rtol * fabs(w));
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst_err = err;
      worst = i;
    }
  }
  if (n == 0 || worst_ratio <= 1.0) {
    n_pass++;
    printf("ok   %s (%lld values, worst abs err %.3g)\n", what, (long long)n, worst_err);
    return 1;
  }
  df_test_fail(what, "worst abs err %.6g at index %lld: got %.9g, want %.9g (rtol %g, atol %g)",
               worst_err, (long long)worst, got[worst], want[worst], rtol, atol);
  return 0;
}

int df_expect_tensor_close(const char *what, const df_tensor *got, const df_tensor *want,
                           double rtol, double atol) {
  char label[256];
  snprintf(label, sizeof label, "%s '%s'", what, want->name);
  if (!df_tensor_same_shape(got, want)) {
    char a[96], b[96];
    df_test_fail(label, "shape %s, %s expected", df_tensor_shape_str(got, a, sizeof a),
                 df_tensor_shape_str(want, b, sizeof b));
    return 0;
  }
  int64_t n = df_tensor_numel(want);
  float *g = malloc(sizeof(float) * (size_t)(n ? n : 1));
  float *w = malloc(sizeof(float) * (size_t)(n ? n : 1));
  int ok = df_expect_ok(df_tensor_to_host(got, g, n), label) &&
           df_expect_ok(df_tensor_to_host(want, w, n), label) &&
           df_expect_close(label, g, w, n, rtol, atol);
  free(g);
  free(w);
  return ok;
}

int df_expect_equal_bytes(const char *what, const void *got, const void *want, size_t n) {
  const unsigned char *a = got, *b = want;
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i]) {
      df_test_fail(what, "first difference at byte %zu of %zu (0x%02x vs 0x%02x)", i, n, a[i], b[i]);
      return 0;
    }
  }
  n_pass++;
  printf("ok   %s (%zu bytes identical)\n", what, n);
  return 1;
}

void df_test_fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi) {
  for (int64_t i = 0; i < n; i++) x[i] = df_philox_uniform_at(seed, 0, (uint64_t)i, lo, hi);
}

df_status df_test_to_device(const df_tensor *src, df_device dev, df_tensor *dst) {
  DF_TRY(df_tensor_alloc(dst, dev, src->dtype, src->ndim, src->shape, src->name));
  return df_tensor_copy(dst, src);
}

int df_expect_fd_gradient(const char *what, float *x, int64_t n, const float *analytic,
                          df_test_loss_fn loss, void *ctx, int samples, float eps, double rtol,
                          double atol) {
  int64_t count = (samples > 0 && samples < n) ? samples : n;
  double worst_ratio = -1, worst_a = 0, worst_fd = 0;
  int64_t worst = -1;
  for (int64_t k = 0; k < count; k++) {
    int64_t i = count == n ? k
                           : (int64_t)(df_philox_uniform_at(0xfdULL, 0, (uint64_t)k, 0.f, 1.f) *
                                       (float)n) % n;
    float saved = x[i];
    x[i] = saved + eps;
    double lp = loss(ctx);
    x[i] = saved - eps;
    double lm = loss(ctx);
    x[i] = saved;
    double fd = (lp - lm) / (2.0 * (double)eps);
    double a = analytic[i];
    double ratio = fabs(a - fd) / (atol + rtol * fmax(fabs(a), fabs(fd)));
    if (!isfinite(a) || !isfinite(fd)) ratio = INFINITY;
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst = i;
      worst_a = a;
      worst_fd = fd;
    }
  }
  if (worst_ratio <= 1.0) {
    n_pass++;
    printf("ok   %s (finite differences at %lld points, worst |a - fd| %.3g)\n", what,
           (long long)count, fabs(worst_a - worst_fd));
    return 1;
  }
  df_test_fail(what, "gradient at index %lld: analytic %.7g, finite difference %.7g (rtol %g, atol %g)",
               (long long)worst, worst_a, worst_fd, rtol, atol);
  return 0;
}

const char *df_test_source_path(const char *rel, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s", DF_TEST_SOURCE_DIR, rel);
  return buf;
}

const char *df_test_scratch_dir(const char *name, char *buf, size_t len) {
  /* A test registered twice (tests/cmake/blas_kernels.cmake) runs in its own folder each time. */
  const char *variant = getenv("DF_TEST_VARIANT");
  snprintf(buf, len, "%s/scratch/%s%s%s", DF_TEST_BINARY_DIR, name, variant ? "-" : "", variant ? variant : "");
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
  if (system(cmd) != 0) fprintf(stderr, "warning: could not prepare %s\n", buf);
  return buf;
}

int df_test_count_temporaries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
  if (d) closedir(d);
  return n;
}
