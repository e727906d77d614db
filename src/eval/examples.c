/* Reading a split into host memory through the loader, one example per batch so that none is
 * dropped (the loader drops an epoch's incomplete last batch). */
#include "eval/examples.h"

#include <stdlib.h>
#include <string.h>

df_status ev_examples_read(const char *dataset, df_split split, int labelled_only, int64_t max,
                           uint64_t seed, ev_examples *out) {
  memset(out, 0, sizeof *out);
  df_dataset_summary sum;
  DF_TRY(df_dataset_summarize(dataset, &sum));
  out->info = sum.info;
  int64_t available = sum.examples[split];
  if (labelled_only) available -= sum.counts[split][sum.info.n_classes];
  if (available <= 0) return DF_OK;
  df_loader_options lo = {dataset, split, 1, seed, NULL, labelled_only, DF_DEVICE_CPU};
  df_loader *ld;
  DF_TRY(df_loader_open(&lo, &ld));
  out->info = *df_loader_info(ld);
  int64_t n = out->info.examples;
  if (max > 0 && n > max) n = max;
  const int64_t per = (int64_t)out->info.channels * out->info.length;
  out->audio = malloc(sizeof(float) * (size_t)(n * per));
  out->labels = malloc(sizeof(int32_t) * (size_t)n);
  df_status s = out->audio && out->labels ? DF_OK : DF_FAIL(DF_ERR_OOM, "%s: %lld examples", dataset, (long long)n);
  for (int64_t i = 0; !s && i < n; i++) {
    df_batch b;
    s = df_loader_next(ld, &b);
    if (!s) {
      memcpy(out->audio + i * per, b.audio, sizeof(float) * (size_t)per);
      out->labels[i] = b.labels[0];
    }
  }
  df_loader_close(ld);
  if (s) ev_examples_free(out);
  else out->n = n;
  return s;
}

void ev_examples_free(ev_examples *e) {
  free(e->audio);
  free(e->labels);
  e->audio = NULL;
  e->labels = NULL;
  e->n = 0;
}
