/* Host copies of a run's named tensors, for comparing runs bit for bit (a model after other
 * batch sizes against a fresh one, for instance). */
#ifndef DF_TESTS_SNAPSHOT_H
#define DF_TESTS_SNAPSHOT_H

#include "drumforge/tensor.h"

#define DF_SNAPSHOT_MAX 128

typedef struct df_snapshot {
  int count;
  char name[DF_SNAPSHOT_MAX][128];
  void *data[DF_SNAPSHOT_MAX];
  size_t bytes[DF_SNAPSHOT_MAX];
} df_snapshot;

/* Appends a host copy of t (any device, 4-byte dtypes) under name. */
df_status df_snapshot_add(df_snapshot *s, const char *name, const df_tensor *t);
/* Empties s (its copies freed). */
void df_snapshot_free(df_snapshot *s);
/* One check per tensor, "<label>: <name>": got's bytes equal want's (and got holds the same
 * tensors in the same order). */
void df_snapshot_expect_equal(const char *label, const df_snapshot *got, const df_snapshot *want);

#endif
