/* Normalisations: per-item min-max to [0, 1] and back (constant items, in-place use), and the
 * running per-class means of the items' ranges (against the plain means; in batches the same
 * bits as at once; bad classes refused); SpecGAN's
 * per-bin statistics over a dataset in several batches, the clipped normalisation and its
 * inverse; the moments file (round trip, corrupt, truncated and wrong files); CPU vs GPU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "drumforge/dsp.h"

#define F 6
#define T 7

static df_tensor cpu_tensor(const char *name, int ndim, const int64_t *shape) {
  df_tensor t;
  df_expect_ok(df_tensor_alloc(&t, DF_DEVICE_CPU, DF_F32, ndim, shape, name), name);
  return t;
}

static void minmax(void) {
  const int B = 3, n = 20;
  int64_t xs[3] = {B, 4, 5}, bs[1] = {B};
  df_tensor x = cpu_tensor("x", 3, xs), y = cpu_tensor("normalised", 3, xs);
  df_tensor lo = cpu_tensor("lo", 1, bs), hi = cpu_tensor("hi", 1, bs);
  df_tensor back = cpu_tensor("denormalised", 3, xs);
  float *v = x.data;
  df_test_fill_uniform(v, B * n, 3, -80.0f, 10.0f);
  for (int i = 0; i < n; i++) v[2 * n + i] = -7.5f; /* a constant item */
  if (!df_expect_ok(df_minmax_normalize(&x, &y, &lo, &hi), "minmax normalise")) return;
  int ok = 1;
  for (int b = 0; b < B; b++) {
    float mn = v[b * n], mx = v[b * n], ymn = 2, ymx = -1;
    for (int i = 0; i < n; i++) {
      mn = fminf(mn, v[b * n + i]);
      mx = fmaxf(mx, v[b * n + i]);
      ymn = fminf(ymn, ((float *)y.data)[b * n + i]);
      ymx = fmaxf(ymx, ((float *)y.data)[b * n + i]);
    }
    ok &= ((float *)lo.data)[b] == mn && ((float *)hi.data)[b] == mx;
    ok &= b == 2 ? ymn == 0 && ymx == 0 : ymn == 0 && ymx == 1;
  }
  df_expect_true(ok, "each item spans [0, 1] with its min and max kept; a constant item maps to 0");
  df_expect_ok(df_minmax_denormalize(&y, &lo, &hi, &back), "denormalise");
  df_expect_close("denormalise(normalise(x)) = x", back.data, x.data, B * n, 1e-6, 1e-5);
  df_expect_ok(df_minmax_normalize(&back, &back, &lo, &hi), "normalise in place");
  df_expect_close("in-place normalisation equals out-of-place", back.data, y.data, B * n, 1e-6,
                  1e-6);
  df_tensor_free(&x);
  df_tensor_free(&y);
  df_tensor_free(&lo);
  df_tensor_free(&hi);
  df_tensor_free(&back);
}

#define RANGE_ITEMS 13
#define RANGE_CLASSES 3

/* Ranges of RANGE_ITEMS items and their classes (class 2 has none); stats [K, 3] zeroed. */
static void range_items(float *lo, float *hi, int32_t *cls) {
  df_test_fill_uniform(lo, RANGE_ITEMS, 21, -95.0f, -60.0f);
  df_test_fill_uniform(hi, RANGE_ITEMS, 22, -20.0f, 0.0f);
  for (int i = 0; i < RANGE_ITEMS; i++) cls[i] = i % 3 == 2 ? 0 : i % 2;
}

/* df_minmax_range_update of items [first, first + n) into stats (classes NULL: one row). */
static df_status range_fold(float *stats, int rows, float *lo, float *hi, int32_t *cls, int first, int n) {
  df_tensor st = df_tensor_wrap(stats, DF_DEVICE_CPU, DF_F32, 2, (int64_t[]){rows, 3}, "range means");
  df_tensor l = df_tensor_wrap(lo + first, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){n}, "lo");
  df_tensor h = df_tensor_wrap(hi + first, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){n}, "hi");
  df_tensor c = df_tensor_wrap(cls + first, DF_DEVICE_CPU, DF_I32, 1, (int64_t[]){n}, "classes");
  return df_minmax_range_update(&st, &l, &h, cls ? &c : NULL);
}

static void range_means(void) {
  float lo[RANGE_ITEMS], hi[RANGE_ITEMS];
  int32_t cls[RANGE_ITEMS];
  range_items(lo, hi, cls);
  float once[3 * RANGE_CLASSES] = {0}, split[3 * RANGE_CLASSES] = {0}, want[3 * RANGE_CLASSES] = {0};
  df_expect_ok(range_fold(once, RANGE_CLASSES, lo, hi, cls, 0, RANGE_ITEMS), "range means: all items at once");
  for (int k = 0; k < RANGE_CLASSES; k++) { /* the plain means, in double */
    double n = 0, sl = 0, sh = 0;
    for (int i = 0; i < RANGE_ITEMS; i++)
      if (cls[i] == k) {
        n++;
        sl += lo[i];
        sh += hi[i];
      }
    want[3 * k] = (float)n;
    want[3 * k + 1] = n ? (float)(sl / n) : 0.0f;
    want[3 * k + 2] = n ? (float)(sh / n) : 0.0f;
  }
  df_expect_close("range means: per class, items counted and their mean lo and hi (an empty class stays 0)", once,
                  want, 3 * RANGE_CLASSES, 1e-6, 1e-5);
  df_expect_ok(range_fold(split, RANGE_CLASSES, lo, hi, cls, 0, 5), "range means: first batch");
  df_expect_ok(range_fold(split, RANGE_CLASSES, lo, hi, cls, 5, RANGE_ITEMS - 5), "range means: second batch");
  df_expect_equal_bytes("range means: two batches give the bits of one", split, once, sizeof once);
  float one[3] = {0};
  df_expect_ok(range_fold(one, 1, lo, hi, NULL, 0, RANGE_ITEMS), "range means without classes");
  double sl = 0;
  for (int i = 0; i < RANGE_ITEMS; i++) sl += lo[i];
  float want_one[2] = {(float)RANGE_ITEMS, (float)(sl / RANGE_ITEMS)};
  df_expect_close("range means without classes: every item in row 0", one, want_one, 2, 1e-6, 1e-5);
  cls[4] = RANGE_CLASSES;
  df_expect_status(range_fold(split, RANGE_CLASSES, lo, hi, cls, 0, RANGE_ITEMS), DF_ERR_INVALID_ARG,
                   "range means: a class outside the rows is refused");
  df_expect_true(strstr(df_last_error(), "class 3 of item 4") != NULL, "naming the class and the item");
}

/* A dataset of 5 items in two batches; bin 4 is constant. */
static void dataset(float *all) {
  df_test_fill_uniform(all, 5 * F * T, 8, -12.0f, 3.0f);
  for (int b = 0; b < 5; b++)
    for (int f = 0; f < F; f++)
      for (int t = 0; t < T; t++) {
        float *v = &all[(b * F + f) * T + t];
        *v = f == 4 ? 1.25f : *v * (1.0f + 0.5f * f) + (float)f; /* bins differ */
      }
  all[(1 * F + 2) * T + 3] = 80.0f; /* an outlier beyond 3 sigma */
}

static void bin_statistics(float *mean, float *std) {
  float *all = malloc(sizeof(float) * 5 * F * T);
  dataset(all);
  df_bin_stats st;
  df_expect_ok(df_bin_stats_init(&st, F), "stats init");
  int64_t s1[3] = {2, F, T}, s2[3] = {3, F, T};
  df_tensor a = df_tensor_wrap(all, DF_DEVICE_CPU, DF_F32, 3, s1, "batch 1");
  df_tensor b = df_tensor_wrap(all + 2 * F * T, DF_DEVICE_CPU, DF_F32, 3, s2, "batch 2");
  df_expect_ok(df_bin_stats_add(&st, &a), "add batch 1");
  df_expect_ok(df_bin_stats_add(&st, &b), "add batch 2");
  df_expect_ok(df_bin_stats_moments(&st, mean, std), "moments");
  float want_mean[F], want_std[F];
  for (int f = 0; f < F; f++) { /* two-pass, in double */
    double m = 0, v = 0;
    for (int i = 0; i < 5; i++)
      for (int t = 0; t < T; t++) m += all[(i * F + f) * T + t];
    m /= 5 * T;
    for (int i = 0; i < 5; i++)
      for (int t = 0; t < T; t++) v += pow(all[(i * F + f) * T + t] - m, 2);
    want_mean[f] = (float)m;
    want_std[f] = fmaxf((float)sqrt(v / (5 * T)), DF_BIN_STD_FLOOR);
  }
  df_expect_close("per-bin mean over the dataset", mean, want_mean, F, 1e-6, 1e-6);
  df_expect_close("per-bin std over the dataset (constant bin floored)", std, want_std, F, 1e-5,
                  1e-7);
  df_bin_stats_free(&st);

  /* Normalise and back. */
  int64_t s[3] = {5, F, T}, fs[1] = {F};
  df_tensor x = df_tensor_wrap(all, DF_DEVICE_CPU, DF_F32, 3, s, "dataset");
  df_tensor y = cpu_tensor("normalised", 3, s), z = cpu_tensor("denormalised", 3, s);
  df_tensor tm = df_tensor_wrap(mean, DF_DEVICE_CPU, DF_F32, 1, fs, "mean");
  df_tensor ts = df_tensor_wrap(std, DF_DEVICE_CPU, DF_F32, 1, fs, "std");
  df_expect_ok(df_bin_normalize(&tm, &ts, 3.0f, &x, &y), "bin normalise");
  float *want = malloc(sizeof(float) * 5 * F * T);
  int clipped = 0, inside = 1;
  for (int i = 0; i < 5 * F * T; i++) {
    int f = (i / T) % F;
    double v = (all[i] - mean[f]) / (3.0 * std[f]);
    clipped += fabs(v) > 1;
    want[i] = (float)fmin(1.0, fmax(-1.0, v));
  }
  df_expect_close("normalised = clip((x - mean) / (3 std), -1, 1)", y.data, want, 5 * F * T, 1e-5,
                  1e-6);
  df_expect_true(clipped > 0, "the outlier beyond 3 sigma is clipped");
  df_expect_ok(df_bin_denormalize(&tm, &ts, 3.0f, &y, &z), "bin denormalise");
  for (int i = 0; i < 5 * F * T; i++)
    if (fabsf(((float *)y.data)[i]) < 1 && fabsf(((float *)z.data)[i] - all[i]) > 1e-4f) inside = 0;
  df_expect_true(inside, "denormalise(normalise(x)) = x inside 3 sigma");
  free(want);
  free(all);
  df_tensor_free(&y);
  df_tensor_free(&z);
}

static void write_text(const char *path, const char *text) {
  df_expect_ok(df_write_file_atomic(path, text, strlen(text)), "write test file");
}

static void moments_file(const float *mean, const float *std) {
  char dir[4096], path[4200];
  df_test_scratch_dir("dsp_normalize", dir, sizeof dir);
  snprintf(path, sizeof path, "%s/moments.json", dir);
  int bins;
  float *m, *s;
  df_expect_ok(df_bin_moments_save(path, F, mean, std), "save moments");
  if (df_expect_ok(df_bin_moments_load(path, &bins, &m, &s), "load moments")) {
    df_expect_true(bins == F && !memcmp(m, mean, sizeof(float) * F) && !memcmp(s, std, sizeof(float) * F),
                   "moments round-trip through the file exactly");
    free(m);
    free(s);
  }
  struct {
    const char *text, *what;
    df_status want;
  } bad[] = {
      {"{\"format\": \"drumforge-bin-moments\", \"bins\": 2, \"mean\": [1, 2], \"std\": [1",
       "a truncated file", DF_ERR_FORMAT},
      {"{\"format\": \"something-else\", \"bins\": 1, \"mean\": [0], \"std\": [1]}",
       "a file of another format", DF_ERR_FORMAT},
      {"{\"format\": \"drumforge-bin-moments\", \"bins\": 2, \"mean\": [0], \"std\": [1, 1]}",
       "an array of the wrong length", DF_ERR_FORMAT},
      {"{\"format\": \"drumforge-bin-moments\", \"bins\": 1, \"mean\": [0], \"std\": [-1]}",
       "a negative standard deviation", DF_ERR_FORMAT},
      {"\x01\x02 not json", "binary garbage", DF_ERR_FORMAT},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    write_text(path, bad[i].text);
    char what[128];
    snprintf(what, sizeof what, "loading %s fails", bad[i].what);
    df_status st = df_bin_moments_load(path, &bins, &m, &s);
    if (df_expect_status(st, bad[i].want, what))
      df_expect_true(strstr(df_last_error(), path) != NULL, "the error names the file");
  }
  snprintf(path, sizeof path, "%s/missing.json", dir);
  df_expect_status(df_bin_moments_load(path, &bins, &m, &s), DF_ERR_NOT_FOUND, "loading a missing file fails");
}

static void cpu_vs_gpu(const float *mean, const float *std) {
  float *all = malloc(sizeof(float) * 5 * F * T);
  dataset(all);
  int64_t s[3] = {5, F, T}, fs[1] = {F}, bs[1] = {5};
  df_tensor x = df_tensor_wrap(all, DF_DEVICE_CPU, DF_F32, 3, s, "dataset");
  df_tensor gx, gy, glo, ghi, gm, gs;
  df_expect_ok(df_test_to_device(&x, DF_DEVICE_CUDA, &gx), "upload");
  df_expect_ok(df_tensor_alloc(&gy, DF_DEVICE_CUDA, DF_F32, 3, s, "gpu y"), "alloc");
  df_expect_ok(df_tensor_alloc(&glo, DF_DEVICE_CUDA, DF_F32, 1, bs, "gpu lo"), "alloc");
  df_expect_ok(df_tensor_alloc(&ghi, DF_DEVICE_CUDA, DF_F32, 1, bs, "gpu hi"), "alloc");
  df_tensor y = cpu_tensor("cpu y", 3, s), lo = cpu_tensor("lo", 1, bs), hi = cpu_tensor("hi", 1, bs);
  df_expect_ok(df_minmax_normalize(&x, &y, &lo, &hi), "cpu minmax");
  df_expect_ok(df_minmax_normalize(&gx, &gy, &glo, &ghi), "gpu minmax");
  df_expect_tensor_close("gpu minmax equals cpu", &gy, &y, 1e-6, 1e-6);

  df_bin_stats st;
  float gmean[F], gstd[F];
  df_bin_stats_init(&st, F);
  df_expect_ok(df_bin_stats_add(&st, &gx), "gpu bin stats");
  df_bin_stats_moments(&st, gmean, gstd);
  df_bin_stats_free(&st);
  df_expect_close("gpu bin statistics equal cpu", gmean, mean, F, 1e-6, 1e-6);

  df_tensor tm = df_tensor_wrap((float *)mean, DF_DEVICE_CPU, DF_F32, 1, fs, "mean");
  df_tensor ts = df_tensor_wrap((float *)std, DF_DEVICE_CPU, DF_F32, 1, fs, "std");
  df_expect_ok(df_test_to_device(&tm, DF_DEVICE_CUDA, &gm), "upload");
  df_expect_ok(df_test_to_device(&ts, DF_DEVICE_CUDA, &gs), "upload");
  df_expect_ok(df_bin_normalize(&tm, &ts, 3.0f, &x, &y), "cpu bin normalise");
  df_expect_ok(df_bin_normalize(&gm, &gs, 3.0f, &gx, &gy), "gpu bin normalise");
  df_expect_tensor_close("gpu bin normalisation equals cpu", &gy, &y, 1e-6, 1e-6);
  df_tensor *all_t[] = {&gx, &gy, &glo, &ghi, &gm, &gs, &y, &lo, &hi};
  for (size_t i = 0; i < sizeof all_t / sizeof *all_t; i++) df_tensor_free(all_t[i]);
  free(all);
}

/* The range means on the GPU: the CPU's bits (the same double arithmetic, items in order). */
static void range_means_gpu(void) {
  float lo[RANGE_ITEMS], hi[RANGE_ITEMS], cpu[3 * RANGE_CLASSES] = {0};
  int32_t cls[RANGE_ITEMS];
  range_items(lo, hi, cls);
  df_expect_ok(range_fold(cpu, RANGE_CLASSES, lo, hi, cls, 0, RANGE_ITEMS), "cpu range means");
  df_tensor l = df_tensor_wrap(lo, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){RANGE_ITEMS}, "lo");
  df_tensor h = df_tensor_wrap(hi, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){RANGE_ITEMS}, "hi");
  df_tensor c = df_tensor_wrap(cls, DF_DEVICE_CPU, DF_I32, 1, (int64_t[]){RANGE_ITEMS}, "classes");
  df_tensor gl, gh, gc, gst;
  df_expect_ok(df_test_to_device(&l, DF_DEVICE_CUDA, &gl), "upload");
  df_expect_ok(df_test_to_device(&h, DF_DEVICE_CUDA, &gh), "upload");
  df_expect_ok(df_test_to_device(&c, DF_DEVICE_CUDA, &gc), "upload");
  df_expect_ok(df_tensor_alloc(&gst, DF_DEVICE_CUDA, DF_F32, 2, (int64_t[]){RANGE_CLASSES, 3}, "gpu range means"),
               "alloc");
  float got[3 * RANGE_CLASSES];
  if (df_expect_ok(df_minmax_range_update(&gst, &gl, &gh, &gc), "gpu range means") &&
      df_expect_ok(df_tensor_to_host(&gst, got, 3 * RANGE_CLASSES), "download"))
    df_expect_equal_bytes("gpu range means equal the cpu's bit for bit", got, cpu, sizeof cpu);
  df_tensor *all_t[] = {&gl, &gh, &gc, &gst};
  for (size_t i = 0; i < sizeof all_t / sizeof *all_t; i++) df_tensor_free(all_t[i]);
}

int main(void) {
  df_test_begin("test_dsp_normalize");
  minmax();
  range_means();
  float mean[F], std[F];
  bin_statistics(mean, std);
  moments_file(mean, std);
  if (df_test_gpu()) {
    cpu_vs_gpu(mean, std);
    range_means_gpu();
  } else {
    df_test_skip_gpu(4, "cuda min-max, range means, bin statistics and bin normalisation against the cpu");
  }
  return df_test_finish();
}
