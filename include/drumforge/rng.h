/* Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11).
 *
 * The stream for a seed is a sequence of 32-bit words: word i is lane i%4 of
 * philox(counter = {lo32(i/4), hi32(i/4), 0, 0}, key = {lo32(seed), hi32(seed)}).
 * A df_rng is (seed, offset): the next draw starts at word `offset`. Every draw starts on a
 * multiple of 4 and advances the offset by its size rounded up to 4, so CPU and GPU
 * produce the same numbers for the same (seed, offset) whatever the device. */
#ifndef DRUMFORGE_RNG_H
#define DRUMFORGE_RNG_H

#include <stdint.h>

#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_rng {
  uint64_t seed;
  uint64_t offset; /* in 32-bit words, always a multiple of 4 */
} df_rng;

/* One Philox4x32-10 block. */
void df_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Word -> uniform float in (0, 1]: ((w >> 8) + 0.5) * 2^-24 in float arithmetic. Never 0; the
 * + 0.5 is exact below 2^23 and rounds to even above, so the top word value gives exactly 1
 * (1 word in 2^24; Box-Muller's log(1) = 0 is harmless). Kept so: changing it would change every
 * seeded stream. */
float df_rng_word_to_uniform(uint32_t w);

void df_rng_init(df_rng *rng, uint64_t seed);

/* Fill a fp32 tensor (either device) with uniform numbers in (lo, hi). */
df_status df_rng_uniform(df_rng *rng, df_tensor *t, float lo, float hi);
/* Fill a fp32 tensor with normal numbers: Box-Muller in double precision on words (4j, 4j+1)
 * -> elements 4j, 4j+1 and (4j+2, 4j+3) -> 4j+2, 4j+3. */
df_status df_rng_normal(df_rng *rng, df_tensor *t, float mean, float std);

/* Host-side draws for small decisions (shifts, shuffles); each advances the offset by 4.
 * Called in loops, they do not check rng (it must not be NULL). */
uint32_t df_rng_u32(df_rng *rng);
float df_rng_uniform1(df_rng *rng);
/* Integer uniform in [lo, hi] (inclusive) by multiply-shift of one word; lo when hi < lo. */
int df_rng_int(df_rng *rng, int lo, int hi);
/* Fisher-Yates shuffle of idx[0..n) driven by the stream. */
void df_rng_shuffle(df_rng *rng, int64_t *idx, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
