/* Training runs: the model interface the trainer drives, the run folder, checkpoints that
 * survive preemption, exact resume, metrics and previews.
 *
 * A run folder holds:
 *   config.ini               the resolved configuration (every key, defaults included)
 *   checkpoints/ckpt-<step>.safetensors   weights, optimiser state, RNG and loader state
 *   metrics.jsonl            one JSON object per logged step
 *   previews/step-<step>/    audio of a fixed set of latents at every checkpoint */
#ifndef DRUMFORGE_TRAIN_H
#define DRUMFORGE_TRAIN_H

#include <stdint.h>

#include "drumforge/config.h"
#include "drumforge/nn.h"
#include "drumforge/rng.h"
#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_MAX_METRICS 16

/* Named scalars reported by one training step ("d_loss", "gp", ...). */
typedef struct df_metrics {
  int n;
  const char *names[DF_MAX_METRICS];
  double values[DF_MAX_METRICS];
} df_metrics;

void df_metrics_clear(df_metrics *m);
void df_metrics_set(df_metrics *m, const char *name, double value);
/* The first non-finite metric's name, or NULL. */
const char *df_metrics_nonfinite(const df_metrics *m);

/* Where the training data comes from, as a model sees it. */
typedef struct df_train_data {
  /* One batch: x [N, C, L] on the model's device, labels [N] on the host (-1 unlabelled). */
  df_status (*next_batch)(void *ctx, df_tensor *x, int32_t *labels);
  void *ctx;
  int sample_rate;
  int n_classes;            /* classes named by the dataset (0 if unlabelled) */
  const char *const *class_names;
} df_train_data;

/* A trainable model type. create() reads its own config keys ([model], [loss], [optim] ...)
 * and must reject bad values; the trainer rejects any key nobody read. */
typedef struct df_model_type {
  const char *name; /* config model.type */
  df_status (*create)(df_config *cfg, df_device dev, const df_train_data *data, df_rng *init_rng,
                      void **model);
  void (*destroy)(void *model);
  int (*n_param_sets)(void *model);
  df_param_set *(*param_set)(void *model, int i);
  /* One training step (the unit --steps counts). */
  df_status (*train_step)(void *model, const df_train_data *data, df_rng *rng, df_metrics *out);
  /* Audio for `count` fixed examples drawn from `seed`, written into dir as WAV files. */
  df_status (*preview)(void *model, const char *dir, uint64_t seed, int count, int sample_rate,
                       const char *const *class_names);
} df_model_type;

/* The registered model types ("wavegan", ...), and lookup by name. */
const df_model_type *df_model_type_find(const char *name);
/* "wavegan, specvae, ..." for messages. */
const char *df_model_type_list(void);

#ifdef __cplusplus
}
#endif
#endif
