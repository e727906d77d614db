/* Test helpers for the data tests: real audio files of any libsndfile format, deterministic
 * test signals, Hydrogen-style kits and small datasets written directly. */
#ifndef DF_TESTS_DATAFILES_H
#define DF_TESTS_DATAFILES_H

#include <stdint.h>

#include "drumforge/dataset.h"

/* Writes planar samples [channels, frames] with libsndfile; format is an SF_FORMAT_* major |
 * subtype combination. Returns 0 on success (prints the libsndfile error otherwise). */
int df_test_write_sndfile(const char *path, int format, int channels, int rate, int64_t frames,
                          const float *planar);

/* A decaying mix of two sines per channel (a drum-like test tone), amplitude <= 0.6,
 * starting at frame `onset` (zeros before). */
void df_test_tone(float *planar, int channels, int64_t frames, int rate, int64_t onset,
                  double freq);

/* Writes a text file (for drumkit.xml, class tables, corrupt files). Returns 0 on success. */
int df_test_write_text(const char *path, const char *text);

/* A Hydrogen-style kit folder root/name: one 16-bit WAV per instrument ("i<k>.wav", a tone
 * whose pitch depends on `seed` and k, starting after `lead` silent samples) and a
 * drumkit.xml naming them. Returns 0 on success. */
int df_test_write_kit(const char *root, const char *name, const char *const *instruments, int n,
                      int rate, int frames, int lead, int seed);

/* Byte-wise equality of two files (1 when equal). */
int df_test_same_file(const char *a, const char *b);

/* The description of a test shard: kind, rate, channels, length and the classes kick, snare,
 * hh_closed (everything else zero). */
df_shard_info df_test_shard_info(const char *kind, int rate, int channels, int64_t length);

/* A dataset folder written directly with the shard writer: shards of the given sizes per
 * split, with every sample of example number k (counted over the whole dataset) equal to k
 * and its label k % (n_classes + 1) - 1 (so -1 = unlabelled occurs). Classes are named c0,
 * c1, ...; channels x length per example. Returns the number of examples written, -1 on error. */
int64_t df_test_write_dataset(const char *dir, const int *train_shards, int n_train,
                              const int *val_shards, int n_val, int channels, int64_t length,
                              int n_classes);

#endif
