/* Copies of bands of the last dim (join, split, crop), and embeddings: checks and dispatch. */
#include "ops/dispatch.h"

static int64_t rows_of(const df_tensor *t) {
  int64_t last = t->shape[t->ndim - 1];
  return last ? df_tensor_numel(t) / last : 0;
}

df_status df_copy_band(const df_tensor *src, int64_t src_col, df_tensor *dst, int64_t dst_col,
                       int64_t count) {
  const char *fn = "df_copy_band";
  DF_TRY(df_check_given(fn, src, "src"));
  DF_TRY(df_check_given(fn, dst, "dst"));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, src, dst));
  int64_t src_len = src->shape[src->ndim - 1], dst_len = dst->shape[dst->ndim - 1];
  if (rows_of(src) != rows_of(dst))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: '%s' has %lld rows, '%s' %lld", fn, src->name,
                   (long long)rows_of(src), dst->name, (long long)rows_of(dst));
  /* Written as differences: a sum near INT64_MAX would wrap and pass. */
  if (count < 0 || src_col < 0 || dst_col < 0 || src_col > src_len - count || dst_col > dst_len - count)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: band [%lld, +%lld) of '%s' (length %lld) into [%lld, +%lld) of '%s' (length %lld)",
                   fn, (long long)src_col, (long long)count, src->name, (long long)src_len,
                   (long long)dst_col, (long long)count, dst->name, (long long)dst_len);
  if (count == 0 || rows_of(src) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, copy_band, src, src_col, dst, dst_col, count);
}

static df_status check_ids(const char *fn, const df_tensor *ids, int64_t n) {
  if (!ids) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor argument 'ids' is NULL", fn);
  DF_TRY(df_check_tensor(fn, ids)); /* a hand-filled struct without data: a GPU kernel would fault */
  if (ids->dtype != DF_I32 || ids->ndim != 1 || ids->shape[0] != n)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: '%s' must be int32 [%lld]", fn, ids->name, (long long)n);
  return DF_OK;
}

df_status df_embedding_forward(const df_tensor *table, const df_tensor *ids, df_tensor *out) {
  const char *fn = "df_embedding_forward";
  DF_TRY(df_check_given(fn, table, "table"));
  DF_TRY(df_check_ndim(fn, table, 2));
  DF_TRY(df_check_given(fn, out, "out"));
  DF_TRY(df_check_ndim(fn, out, 2));
  DF_TRY(check_ids(fn, ids, out->shape[0]));
  DF_TRY(df_check_shape(fn, out, 2, (int64_t[]){out->shape[0], table->shape[1]}));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, table, ids, out));
  DF_NN_DISPATCH(fn, dev, embedding_forward, table, ids, out);
}

df_status df_embedding_backward(const df_tensor *ids, const df_tensor *dout, df_tensor *dtable) {
  const char *fn = "df_embedding_backward";
  DF_TRY(df_check_given(fn, dout, "dout"));
  DF_TRY(df_check_ndim(fn, dout, 2));
  DF_TRY(df_check_given(fn, dtable, "dtable"));
  DF_TRY(df_check_ndim(fn, dtable, 2));
  DF_TRY(check_ids(fn, ids, dout->shape[0]));
  DF_TRY(df_check_shape(fn, dtable, 2, (int64_t[]){dtable->shape[0], dout->shape[1]}));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, ids, dout, dtable));
  DF_NN_DISPATCH(fn, dev, embedding_backward, ids, dout, dtable);
}
