/* Philox4x32-10 and the word -> number conversions, shared verbatim by the CPU code and the
 * CUDA kernels so that both produce the same stream (include/drumforge/rng.h). */
#ifndef DF_RNG_PHILOX_IMPL_H
#define DF_RNG_PHILOX_IMPL_H

#include <math.h>
#include <stdint.h>

#include "core/hostdevice.h"

#define DF_PHILOX_M0 0xD2511F53u
#define DF_PHILOX_M1 0xCD9E8D57u
#define DF_PHILOX_W0 0x9E3779B9u
#define DF_PHILOX_W1 0xBB67AE85u

DF_HD void df_philox_block(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                           uint32_t k1, uint32_t out[4]) {
  for (int round = 0; round < 10; round++) {
    if (round > 0) {
      k0 += DF_PHILOX_W0;
      k1 += DF_PHILOX_W1;
    }
    uint64_t p0 = (uint64_t)DF_PHILOX_M0 * c0;
    uint64_t p1 = (uint64_t)DF_PHILOX_M1 * c2;
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* The 4 words of block `block` (= word index / 4) of the stream of `seed`. */
DF_HD void df_philox_stream_block(uint64_t seed, uint64_t block, uint32_t out[4]) {
  df_philox_block((uint32_t)block, (uint32_t)(block >> 32), 0u, 0u, (uint32_t)seed,
                  (uint32_t)(seed >> 32), out);
}

/* Uniform in (0, 1]: 24 random bits, centred in their interval (see rng.h for the 1). */
DF_HD float df_philox_uniform(uint32_t w) {
  return ((float)(w >> 8) + 0.5f) * (1.0f / 16777216.0f);
}

/* Box-Muller on two words, in double precision so that CPU and GPU libm agree after the
 * rounding to float. */
DF_HD void df_philox_normal2(uint32_t w0, uint32_t w1, float *n0, float *n1) {
  double u1 = (double)df_philox_uniform(w0);
  double u2 = (double)df_philox_uniform(w1);
  double r = sqrt(-2.0 * log(u1));
  double theta = 6.283185307179586476925286766559 * u2;
  *n0 = (float)(r * cos(theta));
  *n1 = (float)(r * sin(theta));
}

/* a + b c with the product rounded before the sum, as the CPU build (ISO C, no contraction)
 * computes it: nvcc would otherwise fuse it into one fma and round once, and GPU fills would
 * differ from the CPU's in the last bit. */
DF_HD float df_philox_mul_add(float a, float b, float c) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(a, __fmul_rn(b, c));
#else
  return a + b * c;
#endif
}

/* Element i of a fill that starts at word offset `offset` (a multiple of 4). */
DF_HD float df_philox_uniform_at(uint64_t seed, uint64_t offset, uint64_t i, float lo, float hi) {
  uint32_t w[4];
  uint64_t word = offset + i;
  df_philox_stream_block(seed, word >> 2, w);
  return df_philox_mul_add(lo, hi - lo, df_philox_uniform(w[word & 3]));
}

DF_HD float df_philox_normal_at(uint64_t seed, uint64_t offset, uint64_t i, float mean, float std) {
  uint32_t w[4];
  uint64_t word = offset + i;
  df_philox_stream_block(seed, word >> 2, w);
  unsigned pair = (unsigned)(word & 2);
  float n0, n1;
  df_philox_normal2(w[pair], w[pair + 1], &n0, &n1);
  return df_philox_mul_add(mean, std, (word & 1) ? n1 : n0);
}

#endif
