/* Training-test fixtures: a small labelled dataset of synthetic drum-like tones, and
 * experiment files derived from experiments/smoke.ini. */
#ifndef DF_TESTS_TRAIN_FIXTURE_H
#define DF_TESTS_TRAIN_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"

/* Builds a dataset in dir/dataset from per_class tones in each of the folders kick, snare
 * and hh_closed (prepared at 16 kHz, 16384 samples). amplitude scales the tones (beyond
 * +-1000, which audio files may not hold, through the shards' 'scale' attribute). A dataset
 * already there is reused only when dir/dataset.fixture shows this function made it with the
 * same parameters (and its manifest.json is unchanged); otherwise dir/dataset and dir/audio
 * are replaced. Returns 0 on success. */
int df_test_make_dataset(const char *dir, int per_class, double amplitude, char *dataset,
                         size_t len);

/* Prepares the audio of folder `input` (default options, 16 kHz, 16384 samples) into the
 * dataset folder `out` with the train/validation/test shares `split`. Returns 0 on success. */
int df_test_prepare(const char *input, const char *out, const double split[3]);

/* Writes dir/NAME.ini: the smoke experiment with `extra` appended (INI text: later keys of
 * a section must not repeat earlier ones, so extra uses sections the smoke file sets via
 * the `replace` list: "section.key=value" entries, NULL-terminated). Returns 0 on success. */
int df_test_write_smoke_config(const char *dir, const char *name, const char *const *replace,
                               char *path, size_t len);

/* Trains on the CPU: config (NULL to resume), dataset folder, run folder, step limit, and
 * "section.key=value" overrides (NULL-terminated, or NULL); notices are printed indented. */
df_status df_test_train(const char *config, const char *data, const char *run, int64_t steps,
                        const char *const *overrides);

/* Every tensor of two checkpoints identical byte for byte, and the same step, RNG and loader
 * positions; records one check named `what`. Returns 1 when they are. */
int df_test_same_checkpoints(const char *a, const char *b, const char *what);

/* The values of metric `name` in run/metrics.jsonl, in order (at most max). Returns the count. */
int df_test_metric_series(const char *run, const char *name, double *values, int max);

#endif
