/* Generation-test fixtures: small untrained models saved as checkpoints, running the
 * drumforge command, and reading back what it wrote. */
#ifndef DF_TESTS_GEN_FIXTURE_H
#define DF_TESTS_GEN_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/generate.h"
#include "drumforge/train.h"

/* Writes a freshly initialised WaveGAN checkpoint (model type "wavegan" built from a config,
 * as training would, weights drawn from seed, biases and batch-norm statistics made non-trivial): d, 16384 samples at
 * 16 kHz, step 7; conditional models have the classes kick, snare and hh_closed.
 * extra_config: more [model] lines (may be NULL). Returns 0 on success. */
int df_test_make_checkpoint(const char *path, int d, int conditional, uint64_t seed, const char *extra_config);

/* An unconditional checkpoint as above (d = 4) whose output layer's bias is NaN: a broken
 * model whose sounds decode to NaN. */
int df_test_make_nan_checkpoint(const char *path, uint64_t seed);

/* A test's scratch folder `name` (emptied) holding model.safetensors from
 * df_test_make_checkpoint (d = 4). Records a failure and returns 0 when it cannot be made. */
int df_test_generate_setup(const char *name, int conditional, uint64_t seed, char *dir, size_t dir_len,
                           char *ckpt, size_t ckpt_len);

/* Runs `drumforge generate --checkpoint CKPT --out DIR/OUT --device cpu --quiet ARGS`;
 * returns 1 on success, else prints its stderr and returns 0. */
int df_test_generate(const char *dir, const char *ckpt, const char *out, const char *args);

/* Runs `drumforge ARGS` with stdout and stderr captured into files in dir; returns the exit
 * status (-1 if it did not exit normally). *err receives the malloc'd stderr text. */
int df_test_drumforge(const char *dir, const char *args, char **err);

/* Options for an in-process df_generate of `count` sounds from seeds (position 0 on) into
 * out_dir: batch 2, one writer thread, 16-bit WAV; tests change what they need. */
void df_test_generate_options(df_generate_options *o, df_loaded_model *m, const char *out_dir, int64_t count);

/* Number of lines of a text file (0 when missing). */
int64_t df_test_count_lines(const char *path);

/* Mean share of the energy between lo and hi Hz (a direct DFT over 512-sample frames) of the
 * generated files DIR/CLASS_000000.wav .. CLASS_<count-1>.wav; -1 when one cannot be read. */
double df_test_class_band_share(const char *dir, const char *cls, int count, double lo, double hi);

/* Number of entries of a folder whose name ends in suffix (every entry for ""). */
int64_t df_test_count_files(const char *dir, const char *suffix);

#endif
