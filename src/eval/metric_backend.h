/* The metric backend table (include/drumforge/metrics.h): the device part of the quality
 * metrics. Arguments arrive validated (a [Na, D] and b [Nb, D] fp32 on this device, D > 0,
 * Na, Nb > 0); results are written to host memory. */
#ifndef DF_EVAL_METRIC_BACKEND_H
#define DF_EVAL_METRIC_BACKEND_H

#include <stdint.h>

#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_metric_backend {
  /* Rows as [Na, D] and [Nb, D]: nearest row of b for each row of a (see df_nearest_rows). */
  df_status (*nearest_rows)(const float *a, int64_t na, const float *b, int64_t nb, int64_t dim,
                            double *sq_dist, int64_t *index);
} df_metric_backend;

const df_metric_backend *df_cpu_metric_backend(void);

#ifdef __cplusplus
}
#endif
#endif
