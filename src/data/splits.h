/* Deterministic train/validation/test assignment. */
#ifndef DF_DATA_SPLITS_H
#define DF_DATA_SPLITS_H

#include <stdint.h>

#include "drumforge/dataset.h"

/* One unit (a file) on its own: a seeded hash of its key picks the split by the fractions,
 * so a file keeps its split when other files are added or removed. */
df_split split_by_hash(const char *key, const double fractions[DF_N_SPLITS], uint64_t seed);

/* Few large units (kits): taken in a seeded hash order of their keys, each goes to the split
 * furthest below its share of the weight (examples) assigned so far, so the fractions hold as
 * well as whole kits allow. */
void split_greedy(const char *const *keys, const int64_t *weights, int64_t n,
                  const double fractions[DF_N_SPLITS], uint64_t seed, df_split *out);

/* Identical files in two kits would put the same sound on both sides of a split (81 of
 * GMRockKit's samples are byte-identical to The Black Pearl's), so kits that share a file
 * become one unit. paths[i] belongs to unit unit_of[i] (-1: not part of any unit); root[u]
 * receives the representative (lowest index) of unit u's merged set. Only files of equal
 * size are read and compared, by a hash of their bytes. */
df_status split_merge_identical(const char *const *paths, const int64_t *unit_of, int64_t n,
                                int64_t n_units, int64_t *root);

#endif
