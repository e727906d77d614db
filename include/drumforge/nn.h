/* Parameters and parameter sets: the named tensors a model trains (value, gradient, Adam
 * moments) and the buffers it keeps (batch-norm running statistics). A set is what one
 * optimiser updates and what a checkpoint stores under a prefix ("G.", "D.", ...). */
#ifndef DRUMFORGE_NN_H
#define DRUMFORGE_NN_H

#include <stdint.h>

#include "drumforge/optim.h"
#include "drumforge/rng.h"
#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_param {
  char name[96];   /* PyTorch-style name within its set, e.g. "ups.0.weight" */
  df_tensor value;
  df_tensor grad;  /* trainable parameters only */
  df_tensor m, v;  /* Adam moments, trainable parameters only */
  int trainable;   /* 0 for buffers such as running statistics */
} df_param;

typedef struct df_param_set {
  char prefix[32];      /* checkpoint prefix, e.g. "G" */
  df_device device;
  df_param **items;
  int n, cap;
  df_adam_config adam;
  int64_t adam_step;    /* updates applied so far (bias correction) */
  int inference;        /* 1 after df_param_set_drop_training_state: values only */
} df_param_set;

/* prefix: at most 31 characters (a longer one is cut). adam NULL: an all-zero config, which
 * df_param_set_adam refuses until set->adam is filled in. */
void df_param_set_init(df_param_set *set, const char *prefix, df_device dev,
                       const df_adam_config *adam);
void df_param_set_free(df_param_set *set);

/* Adds a zeroed trainable parameter (value, grad, m, v) or buffer of the given shape. name:
 * at most 95 characters, unique in the set. out may be NULL. */
df_status df_param_add(df_param_set *set, const char *name, int trainable, int ndim,
                       const int64_t *shape, df_param **out);
df_param *df_param_find(const df_param_set *set, const char *name);

/* Number of scalar values in the trainable parameters. */
int64_t df_param_set_count(const df_param_set *set);

/* Frees the gradients and Adam moments of every parameter, keeping the values: a model
 * loaded for inference needs only those (a quarter of the memory). */
void df_param_set_drop_training_state(df_param_set *set);

/* These three need the training state: DF_ERR_INVALID_ARG after drop_training_state. */
df_status df_param_set_zero_grad(df_param_set *set);
/* One Adam update of every trainable parameter with step adam_step + 1, which adam_step
 * becomes when the update was applied (a refused config leaves it as it was). */
df_status df_param_set_adam(df_param_set *set);
/* Clips the set's gradients to a global norm (0 = off); returns the norm before clipping. */
df_status df_param_set_clip(df_param_set *set, float max_norm, float *norm);

/* Batch-norm parameters of `channels` channels under prefix (PyTorch's names; the outputs may
 * be NULL): trainable
 * prefix.weight (ones) and prefix.bias (zeros), buffers prefix.running_mean (zeros) and
 * prefix.running_var (ones). */
df_status df_param_add_batchnorm(df_param_set *set, const char *prefix, int64_t channels, df_param **gamma,
                                 df_param **beta, df_param **running_mean, df_param **running_var);

/* Initialisers, drawn from the project RNG (the same values on every device). */
df_status df_param_init_uniform(df_param *p, df_rng *rng, float bound);
df_status df_param_init_const(df_param *p, float value);

/* Glorot-uniform bound sqrt(6 / (fan_in + fan_out)) (TensorFlow's and Keras' default
 * initialiser, which the original projects used); for a kernel, both fans include its size. */
float df_glorot_bound(int64_t fan_in, int64_t fan_out);

#ifdef __cplusplus
}
#endif
#endif
