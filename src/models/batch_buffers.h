/* Batch-sized buffers of a model, grown to the largest batch any call has had and never shrunk:
 * a call with fewer items runs on views of their first rows, so chunked inference and previews
 * between training steps allocate nothing. A buffer without a view is for code that takes its
 * own views (DF_VIEW, df_tensor_slice0): scratch, or row groups as in WaveGAN's critic. */
#ifndef DF_MODELS_BATCH_BUFFERS_H
#define DF_MODELS_BATCH_BUFFERS_H

#include "drumforge/tensor.h"

typedef struct df_batch_tensor {
  df_tensor *buffer;  /* [capacity, item...] */
  df_tensor *view;    /* its first N items, set by df_batch_reserve (NULL: the buffer alone) */
  df_dtype dtype;
  int on_host;        /* host memory whatever the model's device (labels from the loader) */
  int item_dims;      /* 0 to 3: the shape of one item */
  int64_t item[3];
  const char *name;
} df_batch_tensor;

/* Views of the first n items of the count buffers, which are allocated for n first when
 * *capacity is smaller (what was there is freed; a failed allocation leaves none and
 * *capacity 0, so the next call tries again). */
df_status df_batch_reserve(const df_batch_tensor *t, int count, df_device dev, int64_t *capacity, int64_t n);
/* Frees the buffers, empties the views; *capacity 0. */
void df_batch_free(const df_batch_tensor *t, int count, int64_t *capacity);

#endif
