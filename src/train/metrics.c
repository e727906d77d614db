/* Per-step metrics (include/drumforge/train.h). */
#include <math.h>
#include <string.h>

#include "drumforge/train.h"

void df_metrics_clear(df_metrics *m) { m->n = 0; }

void df_metrics_set(df_metrics *m, const char *name, double value) {
  for (int i = 0; i < m->n; i++) {
    if (!strcmp(m->names[i], name)) {
      m->values[i] = value;
      return;
    }
  }
  if (m->n < DF_MAX_METRICS) {
    m->names[m->n] = name;
    m->values[m->n++] = value;
  }
}

const char *df_metrics_nonfinite(const df_metrics *m) {
  for (int i = 0; i < m->n; i++)
    if (!isfinite(m->values[i])) return m->names[i];
  return NULL;
}
