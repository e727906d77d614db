/* The op library against PyTorch: every fixture in tests/fixtures/ (written by
 * tests/make_fixtures.py: dense, conv1d, transposed conv1d including WaveGAN's k25 s4 p11 op1,
 * conv2d and transposed conv2d with kernel 3 and strides 1, 2 and (2, 1), batch norm in
 * training with running statistics, Adam) is replayed on the CPU and, when a GPU is present,
 * on CUDA in strict fp32. Outputs and every gradient of loss = sum(y * r) must agree to
 * 1e-5 relative: |got - torch| <= 1e-5 (|torch| + max|torch|), the second term covering
 * elements that cancel to near zero. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"

#define RTOL 1e-5
#define MAX_TENSORS 24 /* per fixture */

typedef struct fixture {
  df_st_file *f;
  const char *name;
  df_device dev;
  df_tensor t[MAX_TENSORS];
  int n;
} fixture;

/* A free slot for one more tensor of the fixture; a failure (not a silently skipped
 * comparison) when a fixture holds more than the table. */
static df_tensor *slot(fixture *fx, const char *name) {
  if (fx->n < MAX_TENSORS) return &fx->t[fx->n];
  df_test_fail(fx->name, "more than %d tensors: '%s' has no room", MAX_TENSORS, name);
  return NULL;
}

/* The named tensor on the fixture's device (NULL when absent and optional). */
static df_tensor *get(fixture *fx, const char *name, int optional) {
  const df_st_tensor *st;
  if (optional && df_st_find(fx->f, name, &st) != DF_OK) return NULL;
  df_tensor *t = slot(fx, name);
  if (!t || !df_expect_ok(df_st_load_f32(fx->f, name, fx->dev, t), fx->name)) return NULL;
  fx->n++;
  return t;
}

/* A zero-filled tensor shaped like `like` on the fixture's device. */
static df_tensor *zeros_like(fixture *fx, const df_tensor *like, const char *name) {
  df_tensor *t = slot(fx, name);
  if (!t || !df_expect_ok(df_tensor_alloc(t, fx->dev, DF_F32, like->ndim, like->shape, name), fx->name))
    return NULL;
  fx->n++;
  return t;
}

static double max_abs(const df_tensor *t) {
  int64_t n = df_tensor_numel(t);
  float *h = malloc(sizeof(float) * (size_t)(n ? n : 1));
  double m = 0;
  if (df_tensor_to_host(t, h, n) == DF_OK)
    for (int64_t i = 0; i < n; i++) m = m > fabs(h[i]) ? m : fabs(h[i]);
  free(h);
  return m;
}

static void expect_like_torch(fixture *fx, const df_tensor *got, const char *want_name) {
  df_tensor *want = get(fx, want_name, 0);
  if (!got || !want) return;
  char what[256];
  snprintf(what, sizeof what, "%s (%s) %s", fx->name, fx->dev == DF_DEVICE_CPU ? "cpu" : "cuda",
           want_name);
  df_expect_tensor_close(what, got, want, RTOL, RTOL * max_abs(want));
}

static int meta_int(fixture *fx, const char *key) {
  const char *v = df_st_metadata(fx->f, key);
  return v ? atoi(v) : 0;
}

static float meta_float(fixture *fx, const char *key) {
  const char *v = df_st_metadata(fx->f, key);
  return v ? strtof(v, NULL) : 0.f;
}

static void run_linear(fixture *fx, const char *op) {
  df_tensor *x = get(fx, "x", 0), *w = get(fx, "w", 0), *b = get(fx, "b", 1);
  df_tensor *y_ref = get(fx, "y", 0), *r = get(fx, "r", 0);
  if (!x || !w || !y_ref || !r) return;
  df_tensor *y = zeros_like(fx, y_ref, "y"), *dx = zeros_like(fx, x, "dx");
  df_tensor *dw = zeros_like(fx, w, "dw"), *db = b ? zeros_like(fx, b, "db") : NULL;
  const int s1 = meta_int(fx, "stride"), p1 = meta_int(fx, "padding");
  const int s2[2] = {meta_int(fx, "stride_h"), meta_int(fx, "stride_w")};
  const int p2[2] = {meta_int(fx, "padding_h"), meta_int(fx, "padding_w")};
  df_status fs, bs;
  if (!strcmp(op, "dense")) {
    fs = df_dense_forward(x, w, b, y);
    bs = df_dense_backward(x, w, r, dx, dw, db);
  } else if (!strcmp(op, "conv1d")) {
    fs = df_conv1d_forward(x, w, b, s1, p1, y);
    bs = df_conv1d_backward(x, w, r, s1, p1, dx, dw, db);
  } else if (!strcmp(op, "conv_transpose1d")) {
    fs = df_conv_transpose1d_forward(x, w, b, s1, p1, y);
    bs = df_conv_transpose1d_backward(x, w, r, s1, p1, dx, dw, db);
  } else if (!strcmp(op, "conv2d")) {
    fs = df_conv2d_forward(x, w, b, s2, p2, y);
    bs = df_conv2d_backward(x, w, r, s2, p2, dx, dw, db);
  } else {
    fs = df_conv_transpose2d_forward(x, w, b, s2, p2, y);
    bs = df_conv_transpose2d_backward(x, w, r, s2, p2, dx, dw, db);
  }
  if (!df_expect_ok(fs, fx->name) || !df_expect_ok(bs, fx->name)) return;
  expect_like_torch(fx, y, "y");
  expect_like_torch(fx, dx, "dx");
  expect_like_torch(fx, dw, "dw");
  if (b) expect_like_torch(fx, db, "db");
}

static void run_batchnorm(fixture *fx) {
  df_tensor *x = get(fx, "x", 0), *g = get(fx, "gamma", 0), *b = get(fx, "beta", 0);
  df_tensor *rm = get(fx, "running_mean_in", 0), *rv = get(fx, "running_var_in", 0);
  df_tensor *y_ref = get(fx, "y", 0), *r = get(fx, "r", 0);
  if (!x || !g || !b || !rm || !rv || !y_ref || !r) return;
  df_tensor *y = zeros_like(fx, y_ref, "y"), *mean = zeros_like(fx, g, "save_mean");
  df_tensor *invstd = zeros_like(fx, g, "save_invstd"), *dx = zeros_like(fx, x, "dx");
  df_tensor *dg = zeros_like(fx, g, "dgamma"), *db = zeros_like(fx, b, "dbeta");
  if (!df_expect_ok(df_batchnorm_forward_train(x, g, b, rm, rv, meta_float(fx, "momentum"),
                                               meta_float(fx, "eps"), y, mean, invstd), fx->name) ||
      !df_expect_ok(df_batchnorm_backward(x, g, r, mean, invstd, dx, dg, db), fx->name))
    return;
  expect_like_torch(fx, y, "y");
  expect_like_torch(fx, rm, "running_mean");
  expect_like_torch(fx, rv, "running_var");
  expect_like_torch(fx, mean, "save_mean");
  expect_like_torch(fx, invstd, "save_invstd");
  expect_like_torch(fx, dx, "dx");
  expect_like_torch(fx, dg, "dgamma");
  expect_like_torch(fx, db, "dbeta");
}

static void run_adam(fixture *fx) {
  df_adam_config cfg = {meta_float(fx, "lr"), meta_float(fx, "beta1"), meta_float(fx, "beta2"),
                        meta_float(fx, "eps"), meta_float(fx, "weight_decay")};
  df_tensor *p = get(fx, "param_in", 0);
  if (!p) return;
  df_tensor *m = zeros_like(fx, p, "exp_avg"), *v = zeros_like(fx, p, "exp_avg_sq");
  for (int t = 1; t <= meta_int(fx, "steps"); t++) {
    char name[32];
    snprintf(name, sizeof name, "grad%d", t);
    df_tensor *g = get(fx, name, 0);
    if (!g || !df_expect_ok(df_adam_step(&cfg, t, p, g, m, v), fx->name)) return;
  }
  expect_like_torch(fx, p, "param");
  expect_like_torch(fx, m, "exp_avg");
  expect_like_torch(fx, v, "exp_avg_sq");
}

static void run_fixture(const char *path, const char *name, df_device dev) {
  fixture fx = {.name = name, .dev = dev};
  if (!df_expect_ok(df_st_open(path, &fx.f), name)) return;
  const char *op = df_st_metadata(fx.f, "op");
  if (!op) df_test_fail(name, "no 'op' in the fixture's metadata");
  else if (!strcmp(op, "batchnorm_train")) run_batchnorm(&fx);
  else if (!strcmp(op, "adam")) run_adam(&fx);
  else if (!strcmp(op, "dense") || !strncmp(op, "conv", 4)) run_linear(&fx, op);
  else df_test_fail(name, "unknown op '%s'", op);
  for (int i = 0; i < fx.n; i++) df_tensor_free(&fx.t[i]);
  df_st_close(fx.f);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  df_test_begin("test_ops_torch");
  char dir[4096];
  df_test_source_path("fixtures", dir, sizeof dir);
  DIR *d = opendir(dir);
  if (!d) {
    df_test_fail("fixtures", "cannot open %s (run tests/make_fixtures.py)", dir);
    return df_test_finish();
  }
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256) {
    size_t len = strlen(e->d_name);
    if (len > 12 && !strcmp(e->d_name + len - 12, ".safetensors")) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], by_name);
  df_expect_true(n >= 19, "the fixtures are present");
  df_set_strict_fp32(1);
  for (int i = 0; i < n; i++) {
    char path[8300];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    run_fixture(path, names[i], DF_DEVICE_CPU);
    if (df_test_gpu()) run_fixture(path, names[i], DF_DEVICE_CUDA);
    else df_test_skip_gpu(1, names[i]);
    free(names[i]);
  }
  return df_test_finish();
}
