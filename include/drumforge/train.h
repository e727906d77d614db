/* Training runs: the model interface the trainer drives, the run folder, checkpoints that
 * survive preemption, exact resume, metrics and previews.
 *
 * A run folder holds:
 *   config.ini               the resolved configuration (every key, defaults included)
 *   checkpoints/ckpt-<step>.safetensors   weights, optimiser state, RNG and loader state
 *   metrics.jsonl            one JSON object per logged step
 *   previews/step-<step>/    audio of a fixed set of latents at every checkpoint */
#ifndef DRUMFORGE_TRAIN_H
#define DRUMFORGE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/config.h"
#include "drumforge/dataset.h"
#include "drumforge/nn.h"
#include "drumforge/rng.h"
#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_MAX_METRICS 16

/* Named scalars reported by one training step ("d_loss", "gp", ...). */
typedef struct df_metrics {
  int n;
  const char *names[DF_MAX_METRICS];
  double values[DF_MAX_METRICS];
} df_metrics;

void df_metrics_clear(df_metrics *m);
void df_metrics_set(df_metrics *m, const char *name, double value);
/* The first non-finite metric's name, or NULL. */
const char *df_metrics_nonfinite(const df_metrics *m);

/* Where the training data comes from, as a model sees it. */
typedef struct df_train_data {
  /* One batch: x [N, C, L] on the model's device, labels [N] on the host (-1 unlabelled). */
  df_status (*next_batch)(void *ctx, df_tensor *x, int32_t *labels);
  void *ctx;
  int batch_size;
  int sample_rate;
  int n_classes;            /* classes named by the dataset (0 if unlabelled) */
  const char *const *class_names;
  const int64_t *class_counts; /* training examples per class [n_classes]; NULL outside training */
} df_train_data;

/* A trainable model type. create() reads its own config keys ([model], [loss], [optim] ...)
 * and must reject bad values; the trainer rejects any key nobody read. */
typedef struct df_model_type {
  const char *name; /* config model.type */
  df_status (*create)(df_config *cfg, df_device dev, const df_train_data *data, df_rng *init_rng,
                      void **model);
  void (*destroy)(void *model);
  int (*n_param_sets)(void *model);
  df_param_set *(*param_set)(void *model, int i);
  /* One training step (the unit --steps counts). */
  df_status (*train_step)(void *model, const df_train_data *data, df_rng *rng, df_metrics *out);
  /* Audio for `count` fixed examples drawn from `seed`, written into dir as WAV files. */
  /* Conditional models cycle through the classes with training examples (class_examples,
   * NULL: every class). */
  df_status (*preview)(void *model, const char *dir, uint64_t seed, int count, int sample_rate,
                       const char *const *class_names, const int64_t *class_examples);

  /* ---- generation (every model type) ---- */
  /* Latent size, number of classes (0: unconditional), and the audio one latent gives. */
  int (*latent_dim)(void *model);
  int (*n_classes)(void *model);
  void (*audio_shape)(void *model, int *channels, int64_t *length);
  /* Draws latents z [N, latent_dim] (on the model's device) from the prior; truncation t in
   * (0, 1] narrows it (uniform priors: [-t s, t s]; Gaussian priors: standard deviation t s,
   * s = prior_scale). */
  df_status (*sample_latents)(void *model, df_rng *rng, float truncation, df_tensor *z);
  /* The prior's scale s: the half-width of a uniform prior, the standard deviation of a
   * Gaussian one (NULL for a model type that does not generate; 0 for a model whose latents
   * no prior holds, the plain autoencoder, which still samples with s = 1). */
  float (*prior_scale)(void *model);
  /* Audio [N, channels, length] from latents and class ids (host, NULL if unconditional),
   * in inference mode. */
  df_status (*decode)(void *model, const df_tensor *z, const int32_t *labels, df_tensor *audio);
  /* Latents of audio [N, channels, length] (autoencoders; NULL for GANs). */
  df_status (*encode)(void *model, const df_tensor *audio, const int32_t *labels, df_tensor *z);
  /* Audio through the autoencoder: out [N, channels, length] from audio of that shape, like
   * decode(encode(audio)) but keeping what the latent does not hold (for the spectrogram
   * models: each input's own level) (autoencoders; NULL for GANs). */
  df_status (*reconstruct)(void *model, const df_tensor *audio, const int32_t *labels, df_tensor *out);
} df_model_type;

/* A trained model loaded for inference from a checkpoint (weights only; the optimiser state
 * is not needed). */
typedef struct df_loaded_model {
  const df_model_type *type;
  void *model;
  df_device device;
  int64_t step;
  int sample_rate;
  int n_classes;
  char class_names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  const char *class_ptrs[DF_MAX_CLASSES];
  /* Training examples per class (df_checkpoint_state); when not recorded (has_class_examples
   * = 0) every class counts as learned. df_model_class_examples gives both cases. */
  int has_class_examples;
  int64_t class_examples[DF_MAX_CLASSES];
  char checkpoint[4200];
  char *config_text; /* df_model_load: the checkpoint's resolved config (owned; df_model_unload frees it) */
} df_loaded_model;

/* Builds a model for inference from its configuration (a checkpoint's "config" INI text; origin
 * names it in messages) with freshly initialised weights, as df_model_load does before
 * loading the checkpoint's; step is 0. */
df_status df_model_create(const char *config_text, const char *origin, int n_classes,
                          const char (*class_names)[DF_CLASS_NAME_LEN], int sample_rate, df_device dev,
                          df_loaded_model *out);
/* Loads `path`, or the newest valid checkpoint of a run folder when path is a directory, for
 * inference: parameter values only (no gradients or optimiser state). */
df_status df_model_load(const char *path, df_device dev, df_loaded_model *out);
/* The model's parameter sets into sets[0 .. *n); DF_ERR_INVALID_ARG when it has more than cap. */
df_status df_model_param_sets(const df_loaded_model *m, df_param_set **sets, int cap, int *n);
void df_model_unload(df_loaded_model *m);
/* The id of a class name ("snare"), or DF_ERR_NOT_FOUND listing the model's classes; a class
 * the model saw no training example of is refused the same way (its embedding is untrained). */
df_status df_model_class_id(const df_loaded_model *m, const char *name, int *id);
/* The model's class_examples, or NULL when not recorded. */
const int64_t *df_model_class_examples(const df_loaded_model *m);
/* "kick, snare, hh_closed": the classes the model learned, for messages. */
void df_model_class_list(const df_loaded_model *m, char *buf, size_t len);

/* The ids of the classes a conditional model learned: those with training examples, or all
 * n_classes when class_examples is NULL (not recorded). Returns how many went into ids. */
int df_trained_class_ids(int n_classes, const int64_t *class_examples, int32_t *ids);

/* The registered model types ("wavegan", ...), and lookup by name. */
const df_model_type *df_model_type_find(const char *name);
/* "wavegan, specvae, ..." for messages. */
const char *df_model_type_list(void);


/* ---------------------------------------------------------------- running */
typedef enum df_resume_mode {
  DF_RESUME_AUTO = 0, /* resume when the run folder has checkpoints, else start */
  DF_RESUME_REQUIRE,  /* resume; an error when there is no valid checkpoint */
  DF_RESUME_NEVER     /* start; an error when the run folder already has checkpoints */
} df_resume_mode;

/* Where a run stands, for a progress display. */
typedef struct df_train_progress {
  int64_t step, max_steps;
  double elapsed_seconds;   /* over all sessions of the run */
  double steps_per_second;  /* this session */
  double eta_seconds;       /* to max_steps at the current rate */
  const df_metrics *metrics;
} df_train_progress;

typedef struct df_train_options {
  const char *config_path; /* experiment file; may be NULL when resuming */
  const char *data_path;   /* dataset folder; overrides data.path */
  const char *run_dir;
  df_device device;
  int64_t steps;           /* > 0: stop at this step (recorded as train.steps) */
  df_resume_mode resume;
  const char *const *overrides; /* "section.key=value" (on resume: train.* keys only) */
  int n_overrides;
  /* Notices (resuming, a corrupt checkpoint skipped, a checkpoint written) and progress. */
  void (*log)(void *ctx, const char *line);
  void (*progress)(void *ctx, const df_train_progress *p);
  void *ctx;
} df_train_options;

typedef struct df_train_result {
  int64_t step;                 /* the last step done */
  int stopped_by_signal;        /* SIGTERM or SIGINT before the step limit: a checkpoint was written */
  char last_checkpoint[4200];   /* "" if none */
} df_train_result;

/* Trains until the step limit or a stop signal, checkpointing on schedule and on the signal.
 * A NaN or Inf metric stops the run with DF_ERR_NUMERIC naming the step and the last good
 * checkpoint (or, with train.on_nan = rollback, goes back to it and takes another path). */
df_status df_train_run(const df_train_options *opt, df_train_result *result);

/* Reads an experiment file as a run would (building the model on the CPU for data with
 * data_classes classes) and reports the first bad or unknown key. */
df_status df_train_check_config(const char *path, int data_classes);

/* ---------------------------------------------------------------- run folders */
/* RUN/checkpoints/ckpt-<9-digit step>.safetensors */
void df_run_checkpoint_path(const char *run_dir, int64_t step, char *buf, size_t len);
/* Steps of the checkpoints present, ascending (malloc'd; *count may be 0). Temporary files
 * of interrupted writes do not match the name pattern and are ignored. */
df_status df_run_list_checkpoints(const char *run_dir, int64_t **steps, int *count);

#ifdef __cplusplus
}
#endif
#endif
