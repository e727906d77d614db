/* Evaluation of generative models (README "Evaluation"): the dataset's drum-class classifier,
 * the metrics of a checkpoint's generated sounds against the dataset (eval.json), and the
 * evaluator the trainer runs at every checkpoint when train.eval_every_checkpoint is set.
 *
 * The classifier is kept with the dataset, so every run on it is judged by the same one:
 *   DATASET/classifier/                 a run folder of model type "classifier" (config.ini,
 *                                       checkpoints/, metrics.jsonl), trained by the trainer
 *   DATASET/classifier/classifier.json  its card: checkpoint, step, accuracy on the test and
 *                                       validation splits, the test confusion matrix, and the
 *                                       CRC-32 of the dataset's manifest.json it was trained on
 * It is trained when missing, or when manifest.json changed since (the dataset was prepared
 * again), with data/classifier.ini. */
#ifndef DRUMFORGE_EVAL_H
#define DRUMFORGE_EVAL_H

#include <stdint.h>

#include "drumforge/dataset.h"
#include "drumforge/status.h"
#include "drumforge/tensor.h"
#include "drumforge/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- the classifier */
typedef struct df_classifier_options {
  const char *dataset;
  const char *dir;         /* NULL: DATASET/classifier */
  const char *config_path; /* NULL: classifier.ini in df_data_dir() */
  df_device device;
  int64_t steps;           /* > 0: train this many steps instead of the config's train.steps */
  int retrain;             /* 1: train a new one even when a current one is kept */
  /* Notices (training started, progress every few seconds, accuracy). */
  void (*log)(void *ctx, const char *line);
  void *ctx;
} df_classifier_options;

/* The card in classifier.json. */
typedef struct df_classifier_card {
  char checkpoint[4200];   /* relative to the classifier folder */
  int64_t step;
  int n_classes;
  char class_names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  double test_accuracy;    /* on the labelled test examples; -1 when there are none */
  int64_t test_examples;
  double validation_accuracy;
  int64_t validation_examples;
  int64_t confusion[DF_MAX_CLASSES * DF_MAX_CLASSES]; /* test split: [true * n_classes + predicted] */
  int64_t validation_confusion[DF_MAX_CLASSES * DF_MAX_CLASSES]; /* the same on the validation split */
  uint32_t manifest_crc;
} df_classifier_card;

typedef struct df_classifier df_classifier;

/* Opens the dataset's classifier, training it first (with a notice through o->log) when there
 * is none, when it is stale, or when o->retrain is set. */
df_status df_classifier_open(const df_classifier_options *o, df_classifier **out);
void df_classifier_close(df_classifier *c);
const df_classifier_card *df_classifier_get_card(const df_classifier *c);
int df_classifier_embed_dim(const df_classifier *c);
int df_classifier_sample_rate(const df_classifier *c);

/* Class probabilities probs [n, classes] and embeddings embed [n, embed_dim] (host; either may
 * be NULL) of host audio [n, channels, length]: mixed to mono and cut or zero-padded to the
 * classifier's length, classified in batches on its device. */
df_status df_classifier_run(df_classifier *c, const float *audio, int64_t n, int channels,
                            int64_t length, float *probs, float *embed);

/* ---------------------------------------------------------------- evaluating a model */
typedef struct df_eval_options {
  const char *dataset;     /* the real sounds (test split) and the training split for novelty */
  df_classifier *classifier;
  df_device device;
  int count;               /* sounds to generate (conditional: spread evenly over the classes) */
  uint64_t seed;           /* latents and KID subsets */
  int novelty;             /* 1: BeatGAN's novelty against the training split (the costly part) */
  int64_t max_real;        /* test examples used (0: all) */
} df_eval_options;

#define DF_NOVELTY_BINS 10
/* A generated sound whose peak is below this (-60 dBFS, prepare's default --silence-db) is
 * silent: the classifier hears every such sound alike, and its embedding can lie closer to the
 * real sounds' than a noisy model's, so silence is counted rather than scored. */
#define DF_EVAL_SILENT_PEAK 1e-3

typedef struct df_eval_result {
  int64_t step;
  int n_generated, n_real, n_classes, conditional, embed_dim;
  /* real_subset = 1: the real sounds are the labelled test sounds of the n_real_classes
   * classes real_classes (classifier ids) the model learned; 0: the whole test split. */
  int real_subset, n_real_classes;
  int32_t real_classes[DF_MAX_CLASSES];
  double is_generated, is_generated_std, is_real, is_real_std;
  double fd, kid, kid_std;
  double diversity_generated, diversity_real;
  int64_t predicted[DF_MAX_CLASSES];  /* generated sounds per predicted class */
  /* Conditional models: rows = the class asked for, columns = the class heard. */
  double conditioning_accuracy;
  int64_t confusion[DF_MAX_CLASSES * DF_MAX_CLASSES];
  int64_t silent; /* generated sounds with a peak below DF_EVAL_SILENT_PEAK */
  /* Novelty (when asked for): the distribution over the sounds that are not silent. */
  int novelty_done;
  int64_t novelty_count;
  double novelty_min, novelty_median, novelty_mean, novelty_p10, novelty_p90, near_copy_fraction;
  int64_t novelty_hist[DF_NOVELTY_BINS]; /* bins of 0.1 over [0, 1); the last holds >= 0.9 */
  char novelty_skipped[160]; /* asked for but not measured: why ("" otherwise) */
} df_eval_result;

typedef struct df_evaluator df_evaluator;

/* What a model was trained on: its class names and training examples per class
 * (df_loaded_model's class names and class_examples, or the trainer's loader); examples may
 * be NULL when not known (every class counts as learned). */
typedef struct df_training_classes {
  int n;
  const char *const *names;
  const int64_t *examples;
} df_training_classes;

/* Whether the dataset can be evaluated against (a test split of at least 2 examples; sounds
 * at model_rate Hz, 0: not checked), from its manifest: cheap, so callers check before
 * training a classifier for it. */
df_status df_eval_check_dataset(const char *dataset, int model_rate);
/* Reads the real test sounds and their embeddings once (the classifier must stay open). */
df_status df_evaluator_open(const df_eval_options *o, df_evaluator **out);
/* Generates o->count sounds with the model (type->sample_latents and type->decode, fixed
 * latents from o->seed) and measures them. A conditional model's classes are matched to the
 * classifier's by the names in `trained` (by position when `trained` is NULL) for the
 * conditioning accuracy; classes the classifier lacks are not scored there. With `trained`
 * (NULL: not known, every class counts as learned):
 *   - a conditional model is asked for the classes it has training examples of in turn, so
 *     conditioning accuracy measures what it learned;
 *   - a model that learned only some of the classifier's classes (matched by name) is
 *     compared with the test sounds of those classes only (real_subset), so a kick model's
 *     Frechet distance measures its kicks, not the missing snares. */
df_status df_evaluator_run(df_evaluator *ev, const df_model_type *type, void *model,
                           const df_training_classes *trained, int64_t step, df_eval_result *out);
void df_evaluator_close(df_evaluator *ev);

/* eval.json (written atomically): {"format": "drumforge-eval", "step", "checkpoint",
 * "dataset", "classifier": {...card}, "class_names", "generated": {...}, "real": {...},
 * "fd", "kid", "conditioning", "novelty"}; README.md documents every field. */
df_status df_eval_write_json(const char *path, const df_eval_result *r, const char *checkpoint,
                             const char *dataset, const df_classifier *c);

#ifdef __cplusplus
}
#endif
#endif
