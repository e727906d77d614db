/* Host copies of named tensors compared bit for bit (snapshot.h). */
#include "common/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"

df_status df_snapshot_add(df_snapshot *s, const char *name, const df_tensor *t) {
  if (s->count == DF_SNAPSHOT_MAX) return DF_FAIL(DF_ERR_OOM, "snapshot: more than %d tensors", DF_SNAPSHOT_MAX);
  if (df_dtype_size(t->dtype) != sizeof(float))
    return DF_FAIL(DF_ERR_INVALID_ARG, "snapshot: %s is not of a 4-byte type", name);
  int64_t n = df_tensor_numel(t);
  void *copy = malloc(sizeof(float) * (size_t)(n ? n : 1));
  if (!copy) return DF_FAIL(DF_ERR_OOM, "snapshot of %s", name);
  snprintf(s->name[s->count], sizeof s->name[0], "%s", name);
  s->data[s->count] = copy;
  s->bytes[s->count++] = sizeof(float) * (size_t)n;
  return df_tensor_to_host(t, copy, n);
}

void df_snapshot_free(df_snapshot *s) {
  for (int i = 0; i < s->count; i++) free(s->data[i]);
  s->count = 0;
}

void df_snapshot_expect_equal(const char *label, const df_snapshot *got, const df_snapshot *want) {
  char what[512];
  for (int i = 0; i < got->count || i < want->count; i++) {
    snprintf(what, sizeof what, "%s: %s", label, i < got->count ? got->name[i] : want->name[i]);
    if (i >= got->count || i >= want->count || strcmp(got->name[i], want->name[i]) || got->bytes[i] != want->bytes[i])
      df_test_fail(what, "a different tensor or size: %s (%zu bytes) vs %s (%zu bytes)",
                   i < got->count ? got->name[i] : "none", i < got->count ? got->bytes[i] : 0,
                   i < want->count ? want->name[i] : "none", i < want->count ? want->bytes[i] : 0);
    else
      df_expect_equal_bytes(what, got->data[i], want->data[i], got->bytes[i]);
  }
}
