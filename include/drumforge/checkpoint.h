/* Checkpoints: one safetensors file holding a model's parameter sets (values, Adam moments
 * and step counts), the RNG and loader positions, the training step, the resolved
 * configuration, the dataset's class names, a format version and a CRC-32 checksum over the
 * tensor data and the metadata. Written atomically (temporary file, fsync, rename).
 *
 * Tensor names: "<set>.<param>" for values (e.g. "G.fc.weight"), "adam.<set>.<param>.m" and
 * ".v" for the moments. Metadata keys: format ("drumforge-checkpoint"), format_version,
 * model_type, step, rng_seed, rng_offset, loader_epoch, loader_cursor, loader_seed,
 * loader_rng_offset, loader_examples, adam_step.<set>, config, class_names (JSON array),
 * sample_rate, elapsed_seconds, checksum. */
#ifndef DRUMFORGE_CHECKPOINT_H
#define DRUMFORGE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/dataset.h"
#include "drumforge/nn.h"
#include "drumforge/rng.h"
#include "drumforge/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_CHECKPOINT_FORMAT_VERSION 1

typedef struct df_checkpoint_state {
  char model_type[32];
  int64_t step;
  df_rng rng;
  df_loader_state loader;
  double elapsed_seconds;
  int sample_rate;
  int n_classes;
  char class_names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  /* Training examples per class after the run's class filter (data.classes): a conditional
   * model has a slot for every class of its dataset but learns only those with examples.
   * has_class_examples = 0: not recorded (older checkpoints, imported weights without it). */
  int has_class_examples;
  int64_t class_examples[DF_MAX_CLASSES];
  char *config_text; /* owned: df_checkpoint_state_free */
  /* The device it was written on, e.g. "cpu (2 threads)" (empty: not recorded). CPU results
   * are bitwise reproducible for one thread count, so a resume elsewhere is worth a notice. */
  char compute[96];
  /* 1 when it holds Adam moments ("adam.*" tensors): training can resume from it. */
  int has_optimizer_state;
} df_checkpoint_state;

void df_checkpoint_state_free(df_checkpoint_state *st);

/* The "class_examples" metadata of checkpoints and exported weights: a JSON array of n
 * non-negative counts. df_class_examples_json returns malloc'd text (NULL: out of memory);
 * df_class_examples_parse fails with DF_ERR_FORMAT naming path unless json holds exactly n. */
char *df_class_examples_json(int n, const int64_t *counts);
df_status df_class_examples_parse(const char *json, const char *path, int n, int64_t *counts);

/* Writes the sets and the state to path atomically. with_optimizer = 0 leaves out the Adam
 * moments (smaller files for inference, e.g. `drumforge import`). */
df_status df_checkpoint_save(const char *path, df_param_set *const *sets, int n_sets,
                             const df_checkpoint_state *st, int with_optimizer);

/* DF_ERR_INVALID_ARG naming path when it is an existing training checkpoint (a safetensors
 * file holding Adam moments): commands whose --out replaces a file call it first, so that a
 * mistyped output name never turns a run's checkpoint into one that cannot resume. Any other
 * file (an export, an inference checkpoint, something else) may be replaced. */
df_status df_checkpoint_refuse_replacing(const char *path);

/* Reads and verifies the state (format, version, checksum) without loading weights.
 * DF_ERR_FORMAT naming the file and the problem for a truncated or corrupt checkpoint. */
df_status df_checkpoint_read_state(const char *path, df_checkpoint_state *st);

/* DF_ERR_NUMERIC naming path and the tensor when t (any device) holds a NaN or Inf. */
df_status df_check_finite(const char *path, const char *name, const df_tensor *t);
/* df_check_finite for every tensor df_checkpoint_save would write to path, by the name it
 * would have there (with_optimizer: the Adam moments too). */
df_status df_checkpoint_check_finite(const char *path, df_param_set *const *sets, int n_sets, int with_optimizer);

/* The newest checkpoint of a run folder that verifies, as resume picks it: its path and state
 * (df_checkpoint_state_free it). Each newer one that does not read is handed to skipped (may
 * be NULL) with its step and status, df_last_error() saying why. DF_ERR_NOT_FOUND when none
 * verifies. */
typedef void (*df_checkpoint_skip_fn)(void *ctx, int64_t step, df_status why);
df_status df_run_newest_valid(const char *run_dir, char *path, size_t len, df_checkpoint_state *st,
                              df_checkpoint_skip_fn skipped, void *ctx);

/* Verifies the file and loads every parameter of the sets (shapes must match), the Adam
 * moments when present (require_optimizer = 1 makes their absence an error), and the state.
 * A non-finite value in any of them is an error (df_check_finite): a model that diverged
 * would otherwise generate silence or noise without a word. On an error the sets may be partly
 * loaded: load another checkpoint into them or free them. */
df_status df_checkpoint_load(const char *path, df_param_set *const *sets, int n_sets,
                             int require_optimizer, df_checkpoint_state *st);

#ifdef __cplusplus
}
#endif
#endif
