/* Real examples of a dataset split in host memory, for evaluation (internal to src/eval/). */
#ifndef DF_EVAL_EXAMPLES_H
#define DF_EVAL_EXAMPLES_H

#include "drumforge/dataset.h"

typedef struct ev_examples {
  float *audio;       /* [n, channels, length] */
  int32_t *labels;    /* [n], -1 unlabelled */
  int64_t n;
  df_shard_info info; /* rate, length, channels, class names */
} ev_examples;

/* Reads up to max (0: all) examples of a split, in the loader's seeded order (a random
 * subset when max is smaller than the split). n = 0 when the split has none. */
df_status ev_examples_read(const char *dataset, df_split split, int labelled_only, int64_t max,
                           uint64_t seed, ev_examples *out);
void ev_examples_free(ev_examples *e);

#endif
