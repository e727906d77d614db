/* Parameter sets (include/drumforge/nn.h). */
#include "drumforge/nn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "drumforge/ops.h"

void df_param_set_init(df_param_set *set, const char *prefix, df_device dev,
                       const df_adam_config *adam) {
  memset(set, 0, sizeof *set);
  snprintf(set->prefix, sizeof set->prefix, "%s", prefix);
  set->device = dev;
  if (adam) set->adam = *adam;
}

void df_param_set_free(df_param_set *set) {
  for (int i = 0; i < set->n; i++) {
    df_param *p = set->items[i];
    df_tensor_free(&p->value);
    df_tensor_free(&p->grad);
    df_tensor_free(&p->m);
    df_tensor_free(&p->v);
    free(p);
  }
  free(set->items);
  memset(set, 0, sizeof *set);
}

df_status df_param_add(df_param_set *set, const char *name, int trainable, int ndim,
                       const int64_t *shape, df_param **out) {
  if (df_param_find(set, name))
    return DF_FAIL(DF_ERR_INVALID_ARG, "parameter '%s.%s' added twice", set->prefix, name);
  if (set->n == set->cap) {
    int cap = set->cap ? 2 * set->cap : 16;
    df_param **items = realloc(set->items, (size_t)cap * sizeof *items);
    DF_CHECK_ALLOC(items);
    set->items = items;
    set->cap = cap;
  }
  df_param *p = calloc(1, sizeof *p);
  DF_CHECK_ALLOC(p);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->trainable = trainable;
  char full[160];
  snprintf(full, sizeof full, "%s.%s", set->prefix, name);
  df_status s = df_tensor_alloc(&p->value, set->device, DF_F32, ndim, shape, full);
  if (s == DF_OK && trainable) {
    s = df_tensor_alloc(&p->grad, set->device, DF_F32, ndim, shape, "grad");
    if (s == DF_OK) s = df_tensor_alloc(&p->m, set->device, DF_F32, ndim, shape, "adam m");
    if (s == DF_OK) s = df_tensor_alloc(&p->v, set->device, DF_F32, ndim, shape, "adam v");
  }
  if (s != DF_OK) {
    df_tensor_free(&p->value);
    df_tensor_free(&p->grad);
    df_tensor_free(&p->m);
    df_tensor_free(&p->v);
    free(p);
    return s;
  }
  set->items[set->n++] = p;
  if (out) *out = p;
  return DF_OK;
}

df_param *df_param_find(const df_param_set *set, const char *name) {
  for (int i = 0; i < set->n; i++)
    if (!strcmp(set->items[i]->name, name)) return set->items[i];
  return NULL;
}

int64_t df_param_set_count(const df_param_set *set) {
  int64_t n = 0;
  for (int i = 0; i < set->n; i++)
    if (set->items[i]->trainable) n += df_tensor_numel(&set->items[i]->value);
  return n;
}

void df_param_set_drop_training_state(df_param_set *set) {
  for (int i = 0; i < set->n; i++) {
    df_tensor_free(&set->items[i]->grad);
    df_tensor_free(&set->items[i]->m);
    df_tensor_free(&set->items[i]->v);
  }
  set->inference = 1;
}

df_status df_param_set_zero_grad(df_param_set *set) {
  for (int i = 0; i < set->n; i++)
    if (set->items[i]->trainable) DF_TRY(df_tensor_zero(&set->items[i]->grad));
  return DF_OK;
}

df_status df_param_set_adam(df_param_set *set) {
  set->adam_step++;
  for (int i = 0; i < set->n; i++) {
    df_param *p = set->items[i];
    if (p->trainable) DF_TRY(df_adam_step(&set->adam, set->adam_step, &p->value, &p->grad, &p->m, &p->v));
  }
  return DF_OK;
}

df_status df_param_set_clip(df_param_set *set, float max_norm, float *norm) {
  df_tensor **grads = malloc((size_t)(set->n ? set->n : 1) * sizeof *grads);
  DF_CHECK_ALLOC(grads);
  int k = 0;
  for (int i = 0; i < set->n; i++)
    if (set->items[i]->trainable) grads[k++] = &set->items[i]->grad;
  df_status s = df_clip_grad_norm(grads, k, max_norm, norm);
  free(grads);
  return s;
}

df_status df_param_add_batchnorm(df_param_set *set, const char *prefix, int64_t channels, df_param **gamma,
                                 df_param **beta, df_param **running_mean, df_param **running_var) {
  char name[96];
  int64_t shape[1] = {channels};
  snprintf(name, sizeof name, "%s.weight", prefix);
  DF_TRY(df_param_add(set, name, 1, 1, shape, gamma));
  snprintf(name, sizeof name, "%s.bias", prefix);
  DF_TRY(df_param_add(set, name, 1, 1, shape, beta));
  snprintf(name, sizeof name, "%s.running_mean", prefix);
  DF_TRY(df_param_add(set, name, 0, 1, shape, running_mean));
  snprintf(name, sizeof name, "%s.running_var", prefix);
  DF_TRY(df_param_add(set, name, 0, 1, shape, running_var));
  DF_TRY(df_param_init_const(*gamma, 1.0f));
  return df_param_init_const(*running_var, 1.0f);
}

df_status df_param_init_uniform(df_param *p, df_rng *rng, float bound) {
  return df_rng_uniform(rng, &p->value, -bound, bound);
}

df_status df_param_init_const(df_param *p, float value) { return df_fill(&p->value, value); }

float df_glorot_bound(int64_t fan_in, int64_t fan_out) { return sqrtf(6.0f / (float)(fan_in + fan_out)); }
