/* The seeded counter-based RNG: host draws and device fills (include/drumforge/rng.h). */
#include "drumforge/rng.h"

#include "core/backend.h"
#include "rng/philox_impl.h"

void df_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  df_philox_block(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1], out);
}

float df_rng_word_to_uniform(uint32_t w) { return df_philox_uniform(w); }

void df_rng_init(df_rng *rng, uint64_t seed) {
  rng->seed = seed;
  rng->offset = 0;
}

static uint64_t round4(uint64_t n) { return (n + 3) & ~(uint64_t)3; }

static df_status fill(const char *fn, df_rng *rng, df_tensor *t, int normal, float a, float b) {
  if (!rng) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: argument 'rng' is NULL", fn);
  DF_TRY(df_check_f32(fn, t));
  const df_backend *be = df_backend_for(t->device);
  if (!be) return DF_ERR_NO_DEVICE;
  int64_t n = df_tensor_numel(t);
  df_status s = normal ? be->rng_normal(rng->seed, rng->offset, t->data, n, a, b)
                       : be->rng_uniform(rng->seed, rng->offset, t->data, n, a, b);
  if (s == DF_OK) rng->offset += round4((uint64_t)n);
  return s;
}

df_status df_rng_uniform(df_rng *rng, df_tensor *t, float lo, float hi) {
  return fill(__func__, rng, t, 0, lo, hi);
}

df_status df_rng_normal(df_rng *rng, df_tensor *t, float mean, float std) {
  return fill(__func__, rng, t, 1, mean, std);
}

uint32_t df_rng_u32(df_rng *rng) {
  uint32_t w[4];
  df_philox_stream_block(rng->seed, rng->offset >> 2, w);
  rng->offset += 4;
  return w[0];
}

float df_rng_uniform1(df_rng *rng) { return df_philox_uniform(df_rng_u32(rng)); }

int df_rng_int(df_rng *rng, int lo, int hi) {
  if (hi < lo) hi = lo;
  uint64_t range = (uint64_t)((int64_t)hi - lo + 1);
  /* In 64 bits: lo + an offset of up to 2^32 - 1 may pass INT_MAX on the way. */
  return (int)((int64_t)lo + (int64_t)(((uint64_t)df_rng_u32(rng) * range) >> 32));
}

void df_rng_shuffle(df_rng *rng, int64_t *idx, int64_t n) {
  /* One word per swap, drawn from consecutive words of the stream. */
  uint64_t base = rng->offset;
  for (int64_t i = n - 1; i > 0; i--) {
    uint64_t word = base + (uint64_t)(n - 1 - i);
    uint32_t w[4];
    df_philox_stream_block(rng->seed, word >> 2, w);
    int64_t j = (int64_t)(((uint64_t)w[word & 3] * (uint64_t)(i + 1)) >> 32);
    int64_t tmp = idx[i];
    idx[i] = idx[j];
    idx[j] = tmp;
  }
  rng->offset += round4(n > 1 ? (uint64_t)(n - 1) : 0);
}
