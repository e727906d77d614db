#include "common/torch_ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/testlib.h"

const char *df_test_python(void) {
  const char *p = getenv("DF_PYTHON");
  return p && p[0] ? p : "python3";
}

int df_test_have_torch(void) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s -c 'import torch, numpy' > /dev/null 2>&1", df_test_python());
  return system(cmd) == 0;
}

int df_test_begin_torch(const char *name) {
  df_test_begin(name);
  if (df_test_have_torch()) return 1;
  printf("SKIP: %s cannot import torch (install python3-torch)\n", df_test_python());
  return 0;
}

void df_test_reference_files(const char *test, const char *variant, char *in_path, char *out_path, size_t len) {
  char name[300], dir[4096];
  snprintf(name, sizeof name, "%s/%s", test, variant);
  df_test_scratch_dir(name, dir, sizeof dir);
  snprintf(in_path, len, "%s/in.safetensors", dir);
  snprintf(out_path, len, "%s/out.safetensors", dir);
}

df_st_file *df_test_run_reference(const char *script, const char *in_path, const char *out_path) {
  char cmd[13000];
  snprintf(cmd, sizeof cmd, "%s '%s/python/%s' '%s' '%s'", df_test_python(), DF_TEST_SOURCE_DIR, script, in_path,
           out_path);
  if (!df_expect_true(system(cmd) == 0, "the PyTorch reference ran")) return NULL;
  df_st_file *ref = NULL;
  if (!df_expect_ok(df_st_open(out_path, &ref), "read reference results")) return NULL;
  return ref;
}

void df_expect_reference(const df_st_file *ref, const char *name, const df_tensor *got, double rtol, double floor,
                         const char *what) {
  df_tensor want;
  if (!what) what = name;
  if (!df_expect_ok(df_st_load_f32(ref, name, DF_DEVICE_CPU, &want), what)) return;
  df_tensor g = *got;
  if (g.ndim != want.ndim) df_tensor_reshape(got, want.ndim, want.shape, &g);
  double scale = 0;
  for (int64_t i = 0; i < df_tensor_numel(&want); i++) scale = fmax(scale, fabs(((float *)want.data)[i]));
  df_expect_tensor_close(what, &g, &want, 0, fmax(rtol * scale, floor));
  df_tensor_free(&want);
}

void df_st_writer_add_params(df_st_writer *w, const df_param_set *set, const char *prefix, int trainable_only) {
  for (int i = 0; i < set->n; i++) {
    if (trainable_only && !set->items[i]->trainable) continue;
    char name[200];
    snprintf(name, sizeof name, "%s%s.%s", prefix, set->prefix, set->items[i]->name);
    df_st_writer_add_tensor(w, name, &set->items[i]->value);
  }
}

int df_trainable_param(const df_param *p, const void *ctx) {
  (void)ctx;
  return p->trainable;
}

static void expect_set_trained(const df_st_file *ref, const df_st_file *init, const df_trained_set *t, double tol,
                               double *worst, char *worst_name) {
  const df_param_set *set = t->set;
  for (int i = 0; i < set->n; i++) {
    const df_param *p = set->items[i];
    if (t->skip && t->skip(p, t->ctx)) continue;
    char name[160], init_name[170];
    snprintf(name, sizeof name, "%s.%s", set->prefix, p->name);
    snprintf(init_name, sizeof init_name, "init.%s", name);
    df_tensor want, start;
    if (!df_expect_ok(df_st_load_f32(ref, name, DF_DEVICE_CPU, &want), name)) continue;
    if (df_tensor_numel(&want) != df_tensor_numel(&p->value))
      df_test_fail(name, "PyTorch's has %lld values, drumforge's %lld", (long long)df_tensor_numel(&want),
                   (long long)df_tensor_numel(&p->value));
    else if (df_expect_ok(df_st_load_f32(init, init_name, DF_DEVICE_CPU, &start), init_name)) {
      const float *g = p->value.data, *r = want.data, *s0 = start.data;
      double moved = 0, err = 0;
      int64_t at = 0, count = df_tensor_numel(&want);
      for (int64_t j = 0; j < count; j++) moved = fmax(moved, fabs((double)r[j] - s0[j]));
      for (int64_t j = 0; j < count; j++) {
        double e = fabs((double)g[j] - r[j]);
        if (!(e <= err)) err = e, at = j; /* NaN counts as worst */
      }
      double rel = err / fmax(moved, set->adam.lr);
      if (!(rel <= tol))
        df_test_fail(name, "worst error %.3g at [%lld] (drumforge %.9g, PyTorch %.9g, moved %.3g in all): "
                     "%.3g of the movement (tolerance %.3g)", err, (long long)at, g[at], r[at], moved, rel, tol);
      else
        df_test_pass(name);
      if (!(rel <= *worst)) *worst = rel, snprintf(worst_name, 160, "%s", name);
      df_tensor_free(&start);
    }
    df_tensor_free(&want);
  }
}

void df_expect_trained(const df_st_file *ref, const char *init_path, const df_trained_set *sets, int n_sets,
                       double tol) {
  df_st_file *init;
  if (!df_expect_ok(df_st_open(init_path, &init), "read initial weights")) return;
  double worst = 0;
  char worst_name[160] = "";
  for (int k = 0; k < n_sets; k++) expect_set_trained(ref, init, &sets[k], tol, &worst, worst_name);
  printf("worst parameter error: %.3g of its movement (%s)\n", worst, worst_name);
  df_st_close(init);
}
