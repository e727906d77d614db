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
  if (!set) return;
  memset(set, 0, sizeof *set);
  snprintf(set->prefix, sizeof set->prefix, "%s", prefix ? prefix : "");
  set->device = dev;
  if (adam) set->adam = *adam;
}

void df_param_set_free(df_param_set *set) {
  if (!set) return;
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
  DF_CHECK_ARG(set);
  DF_CHECK_ARG(name);
  /* A cut name would be found by no df_param_find and could collide with another. */
  if (strlen(name) >= sizeof ((df_param *)0)->name)
    return DF_FAIL(DF_ERR_INVALID_ARG, "parameter '%s.%.40s...': name longer than %zu characters",
                   set->prefix, name, sizeof ((df_param *)0)->name - 1);
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
  if (!set || !name) return NULL;
  for (int i = 0; i < set->n; i++)
    if (!strcmp(set->items[i]->name, name)) return set->items[i];
  return NULL;
}

int64_t df_param_set_count(const df_param_set *set) {
  int64_t n = 0;
  if (!set) return 0;
  for (int i = 0; i < set->n; i++)
    if (set->items[i]->trainable) n += df_tensor_numel(&set->items[i]->value);
  return n;
}

void df_param_set_drop_training_state(df_param_set *set) {
  if (!set) return;
  for (int i = 0; i < set->n; i++) {
    df_tensor_free(&set->items[i]->grad);
    df_tensor_free(&set->items[i]->m);
    df_tensor_free(&set->items[i]->v);
  }
  set->inference = 1;
}

/* A set for training: not NULL and still holding its gradients and moments. */
static df_status check_training(const char *fn, const df_param_set *set) {
  if (!set) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: argument 'set' is NULL", fn);
  if (set->inference)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: parameter set '%s' holds values only (loaded for inference)",
                   fn, set->prefix);
  return DF_OK;
}

df_status df_param_set_zero_grad(df_param_set *set) {
  DF_TRY(check_training(__func__, set));
  for (int i = 0; i < set->n; i++)
    if (set->items[i]->trainable) DF_TRY(df_tensor_zero(&set->items[i]->grad));
  return DF_OK;
}

df_status df_param_set_adam(df_param_set *set) {
  DF_TRY(check_training(__func__, set));
  /* Counted once applied: a refused update (a bad config) leaves the step count as it was. */
  const int64_t step = set->adam_step + 1;
  for (int i = 0; i < set->n; i++) {
    df_param *p = set->items[i];
    if (p->trainable) DF_TRY(df_adam_step(&set->adam, step, &p->value, &p->grad, &p->m, &p->v));
  }
  set->adam_step = step;
  return DF_OK;
}

df_status df_param_set_clip(df_param_set *set, float max_norm, float *norm) {
  DF_TRY(check_training(__func__, set));
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
  DF_CHECK_ARG(prefix);
  /* The longest name must fit whole (df_param_add refuses what it would have to cut). */
  char name[160];
  if (strlen(prefix) + sizeof ".running_mean" > sizeof ((df_param *)0)->name)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: batch-norm prefix '%.40s...' is too long", __func__, prefix);
  int64_t shape[1] = {channels};
  df_param *g, *b, *rm, *rv;
  snprintf(name, sizeof name, "%s.weight", prefix);
  DF_TRY(df_param_add(set, name, 1, 1, shape, &g));
  snprintf(name, sizeof name, "%s.bias", prefix);
  DF_TRY(df_param_add(set, name, 1, 1, shape, &b));
  snprintf(name, sizeof name, "%s.running_mean", prefix);
  DF_TRY(df_param_add(set, name, 0, 1, shape, &rm));
  snprintf(name, sizeof name, "%s.running_var", prefix);
  DF_TRY(df_param_add(set, name, 0, 1, shape, &rv));
  if (gamma) *gamma = g;
  if (beta) *beta = b;
  if (running_mean) *running_mean = rm;
  if (running_var) *running_var = rv;
  DF_TRY(df_param_init_const(g, 1.0f));
  return df_param_init_const(rv, 1.0f);
}

df_status df_param_init_uniform(df_param *p, df_rng *rng, float bound) {
  DF_CHECK_ARG(p);
  return df_rng_uniform(rng, &p->value, -bound, bound);
}

df_status df_param_init_const(df_param *p, float value) {
  DF_CHECK_ARG(p);
  return df_fill(&p->value, value);
}

float df_glorot_bound(int64_t fan_in, int64_t fan_out) { return sqrtf(6.0f / (float)(fan_in + fan_out)); }
