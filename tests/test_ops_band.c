/* Band copies of the last dim (join, split, crop) and embeddings: against their definitions,
 * the backward of an embedding against finite differences, bad arguments, and CUDA against
 * the CPU when a GPU is present. */
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"

static void check_band(int64_t rows, int64_t src_len, int64_t dst_len, int64_t src_col,
                       int64_t dst_col, int64_t count, int *gpu_cases) {
  df_tensor src, dst, want;
  df_tensor_new(&src, DF_DEVICE_CPU, "src", rows, 1, src_len);
  df_tensor_new(&dst, DF_DEVICE_CPU, "dst", rows, dst_len);
  df_tensor_new(&want, DF_DEVICE_CPU, "dst expected", rows, dst_len);
  df_test_fill_uniform(src.data, rows * src_len, 5, -1, 1);
  df_test_fill_uniform(dst.data, rows * dst_len, 6, -1, 1);
  memcpy(want.data, dst.data, sizeof(float) * (size_t)(rows * dst_len));
  float *w = want.data;
  const float *s = src.data;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < count; j++) w[r * dst_len + dst_col + j] = s[r * src_len + src_col + j];
  df_tensor gdst;
  int gpu = df_test_gpu();
  if (gpu) df_test_to_device(&dst, DF_DEVICE_CUDA, &gdst);
  char what[160];
  snprintf(what, sizeof what, "copy_band rows %lld: [%lld,+%lld) of %lld -> [%lld) of %lld", (long long)rows,
           (long long)src_col, (long long)count, (long long)src_len, (long long)dst_col, (long long)dst_len);
  if (df_expect_ok(df_copy_band(&src, src_col, &dst, dst_col, count), what))
    df_expect_close(what, dst.data, want.data, rows * dst_len, 0, 0);
  if (gpu) {
    df_tensor gsrc;
    df_test_to_device(&src, DF_DEVICE_CUDA, &gsrc);
    if (df_expect_ok(df_copy_band(&gsrc, src_col, &gdst, dst_col, count), what))
      df_expect_tensor_close("cuda copy_band", &gdst, &want, 0, 0);
    df_tensor_free(&gsrc);
    df_tensor_free(&gdst);
  } else {
    (*gpu_cases)++;
  }
  df_tensor_free(&src);
  df_tensor_free(&dst);
  df_tensor_free(&want);
}

typedef struct {
  df_tensor *table, *ids, *out, *r;
} emb_ctx;

static double emb_loss(void *p) {
  emb_ctx *c = p;
  if (df_embedding_forward(c->table, c->ids, c->out) != DF_OK) return 0;
  double l = 0;
  const float *o = c->out->data, *r = c->r->data;
  for (int64_t i = 0; i < df_tensor_numel(c->out); i++) l += (double)o[i] * r[i];
  return l;
}

int main(void) {
  df_test_begin("test_ops_band");
  int gpu_cases = 0;
  check_band(3, 10, 7, 2, 1, 5, &gpu_cases);    /* crop into a wider row */
  check_band(1, 16385, 16384, 1, 0, 16384, &gpu_cases); /* the post-filter crop */
  check_band(5, 4, 9, 0, 5, 4, &gpu_cases);     /* join: second part of a concatenation */
  check_band(4, 9, 9, 0, 0, 0, &gpu_cases);     /* empty band */

  df_tensor a, b;
  df_tensor_new(&a, DF_DEVICE_CPU, "band source", 2, 8);
  df_tensor_new(&b, DF_DEVICE_CPU, "band target", 3, 8);
  df_expect_status(df_copy_band(&a, 0, &b, 0, 4), DF_ERR_INVALID_ARG, "row counts must match");
  df_tensor_free(&b);
  df_tensor_new(&b, DF_DEVICE_CPU, "band target", 2, 8);
  df_expect_status(df_copy_band(&a, 6, &b, 0, 4), DF_ERR_INVALID_ARG, "a band past the end is rejected");
  df_expect_true(strstr(df_last_error(), "band source") != NULL, "the error names the tensor");
  df_tensor_free(&a);
  df_tensor_free(&b);

  /* Embeddings. */
  const int64_t classes = 5, f = 7, n = 9;
  df_tensor table, ids, out, r, dtable;
  df_tensor_new(&table, DF_DEVICE_CPU, "table", classes, f);
  df_tensor_new(&dtable, DF_DEVICE_CPU, "d table", classes, f);
  df_tensor_alloc(&ids, DF_DEVICE_CPU, DF_I32, 1, (int64_t[]){n}, "ids");
  df_tensor_new(&out, DF_DEVICE_CPU, "rows", n, f);
  df_tensor_new(&r, DF_DEVICE_CPU, "loss weights", n, f);
  df_test_fill_uniform(table.data, classes * f, 8, -1, 1);
  df_test_fill_uniform(r.data, n * f, 9, -1, 1);
  int32_t *id = ids.data;
  for (int64_t i = 0; i < n; i++) id[i] = (int32_t)((i * 3 + 1) % classes);
  id[4] = id[2]; /* repeated ids accumulate */
  df_expect_ok(df_embedding_forward(&table, &ids, &out), "embedding forward");
  float *want = malloc(sizeof(float) * (size_t)(n * f));
  for (int64_t i = 0; i < n; i++) memcpy(want + i * f, (float *)table.data + id[i] * f, sizeof(float) * (size_t)f);
  df_expect_close("embedding forward gathers rows", out.data, want, n * f, 0, 0);
  df_fill(&dtable, 0.5f); /* the backward accumulates */
  df_expect_ok(df_embedding_backward(&ids, &r, &dtable), "embedding backward");
  df_tensor analytic;
  df_tensor_new(&analytic, DF_DEVICE_CPU, "d table minus the prefill", classes, f);
  df_tensor_copy(&analytic, &dtable);
  float *an = analytic.data;
  for (int64_t i = 0; i < classes * f; i++) an[i] -= 0.5f;
  emb_ctx ctx = {&table, &ids, &out, &r};
  df_expect_fd_gradient("embedding backward", table.data, classes * f, an, emb_loss, &ctx, 0,
                        1e-2f, 1e-3, 1e-4);
  id[3] = (int32_t)classes;
  df_expect_status(df_embedding_forward(&table, &ids, &out), DF_ERR_INVALID_ARG,
                   "an id outside the table is rejected on the CPU");
  id[3] = 1;
  if (df_test_gpu()) {
    df_tensor gt, gi, go, gr, gd;
    df_test_to_device(&table, DF_DEVICE_CUDA, &gt);
    df_test_to_device(&ids, DF_DEVICE_CUDA, &gi);
    df_test_to_device(&out, DF_DEVICE_CUDA, &go);
    df_test_to_device(&r, DF_DEVICE_CUDA, &gr);
    df_test_to_device(&dtable, DF_DEVICE_CUDA, &gd);
    df_embedding_forward(&table, &ids, &out);
    df_expect_ok(df_embedding_forward(&gt, &gi, &go), "cuda embedding forward");
    df_expect_tensor_close("cuda embedding forward", &go, &out, 0, 0);
    df_expect_ok(df_embedding_backward(&ids, &r, &dtable), "embedding backward again");
    df_expect_ok(df_embedding_backward(&gi, &gr, &gd), "cuda embedding backward");
    df_expect_tensor_close("cuda embedding backward (bitwise)", &gd, &dtable, 0, 0);
    df_tensor_free(&gt);
    df_tensor_free(&gi);
    df_tensor_free(&go);
    df_tensor_free(&gr);
    df_tensor_free(&gd);
  } else {
    gpu_cases += 2;
  }
  free(want);
  df_tensor_free(&analytic);
  df_tensor_free(&table);
  df_tensor_free(&dtable);
  df_tensor_free(&ids);
  df_tensor_free(&out);
  df_tensor_free(&r);
  if (gpu_cases) df_test_skip_gpu(gpu_cases, "cuda band copies and embeddings");
  return df_test_finish();
}
