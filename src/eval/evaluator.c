/* Evaluating a generative model against a dataset (include/drumforge/eval.h): the real test
 * sounds are classified once; each run generates sounds through the model type's
 * sample_latents and decode, classifies them and computes the metrics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drumforge/eval.h"
#include "drumforge/metrics.h"
#include "drumforge/rng.h"
#include "eval/examples.h"

#define GEN_BATCH 64
#define NOVELTY_CHUNK 1024
#define KID_SUBSETS 10
#define KID_SUBSET_SIZE 1000

struct df_evaluator {
  df_eval_options o;
  ev_examples real;
  float *real_probs, *real_embed;
  int classes, dim;
  double is_real, is_real_std, diversity_real;
};

/* WaveGAN's protocol splits the sounds into 10 parts; small sets are scored whole. */
static int is_splits(int64_t n) { return n >= 100 ? 10 : 1; }

void df_evaluator_close(df_evaluator *ev) {
  if (!ev) return;
  ev_examples_free(&ev->real);
  free(ev->real_probs);
  free(ev->real_embed);
  free(ev);
}

df_status df_eval_check_dataset(const char *dataset, int model_rate) {
  df_dataset_summary sum;
  DF_TRY(df_dataset_summarize(dataset, &sum));
  if (model_rate > 0 && sum.info.rate > 0 && model_rate != sum.info.rate)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: its sounds are at %d Hz, the model's at %d Hz: the metrics would compare "
                   "sounds played at different speeds (evaluate against a dataset prepared at %d Hz)", dataset,
                   sum.info.rate, model_rate, model_rate);
  if (sum.examples[DF_SPLIT_TEST] < 2)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: the test split has %lld examples; evaluation compares with the test split "
                   "and needs at least 2 (prepare with a test share, e.g. --split 80,10,10)", dataset,
                   (long long)sum.examples[DF_SPLIT_TEST]);
  return DF_OK;
}

df_status df_evaluator_open(const df_eval_options *o, df_evaluator **out) {
  *out = NULL;
  if (!o->classifier || !o->dataset || o->count < 2)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_evaluator_open: needs a dataset, its classifier and a count >= 2");
  df_evaluator *ev = calloc(1, sizeof *ev);
  if (!ev) return DF_FAIL(DF_ERR_OOM, "evaluator");
  ev->o = *o;
  const df_classifier_card *card = df_classifier_get_card(o->classifier);
  ev->classes = card->n_classes;
  ev->dim = df_classifier_embed_dim(o->classifier);
  df_status s = ev_examples_read(o->dataset, DF_SPLIT_TEST, 0, o->max_real, 1, &ev->real);
  if (!s && ev->real.n < 2)
    s = DF_FAIL(DF_ERR_INVALID_ARG, "%s: the test split has %lld examples; the metrics need at least 2", o->dataset,
                (long long)ev->real.n);
  if (!s) {
    ev->real_probs = malloc(sizeof(float) * (size_t)(ev->real.n * ev->classes));
    ev->real_embed = malloc(sizeof(float) * (size_t)(ev->real.n * ev->dim));
    if (!ev->real_probs || !ev->real_embed) s = DF_FAIL(DF_ERR_OOM, "evaluator: real embeddings");
  }
  if (!s)
    s = df_classifier_run(o->classifier, ev->real.audio, ev->real.n, ev->real.info.channels, ev->real.info.length,
                          ev->real_probs, ev->real_embed);
  if (!s) s = df_inception_score(ev->real_probs, ev->real.n, ev->classes, is_splits(ev->real.n), &ev->is_real, &ev->is_real_std);
  if (!s) s = df_mean_pairwise_distance(ev->real_embed, ev->real.n, ev->dim, &ev->diversity_real);
  if (s) {
    df_evaluator_close(ev);
    return s;
  }
  *out = ev;
  return DF_OK;
}

/* The real sounds a run compares with: the whole test split, or its labelled sounds of the
 * classes the model learned (copies of their probabilities and embeddings). */
typedef struct real_reference {
  const float *probs, *embed;
  int64_t n;
  double is, is_std, diversity;
  float *owned_probs, *owned_embed;
} real_reference;

/* The classifier's classes the model has training examples of, matched by name: how many
 * (ids, and learned[] set), or 0 when that is not known or when no labelled test sound is of
 * another class (then the whole test split is the reference, unlabelled sounds included: a
 * model trained on all the data is compared with all of it). */
static int learned_subset(const df_evaluator *ev, const df_training_classes *t, int32_t *ids, int *learned) {
  if (!t) return 0;
  const df_classifier_card *card = df_classifier_get_card(ev->o.classifier);
  int n = 0;
  for (int k = 0; k < ev->classes; k++)
    for (int i = 0; i < t->n; i++)
      if (!strcasecmp(t->names[i], card->class_names[k]) && (!t->examples || t->examples[i] > 0)) {
        learned[k] = 1;
        ids[n++] = k;
        break;
      }
  for (int64_t i = 0; n && i < ev->real.n; i++)
    if (ev->real.labels[i] >= 0 && !learned[ev->real.labels[i]]) return n;
  return 0;
}

static df_status real_reference_for(const df_evaluator *ev, const df_training_classes *t, df_eval_result *r,
                                    real_reference *ref) {
  *ref = (real_reference){ev->real_probs, ev->real_embed, ev->real.n, ev->is_real, ev->is_real_std,
                          ev->diversity_real, NULL, NULL};
  int learned[DF_MAX_CLASSES] = {0};
  r->n_real_classes = learned_subset(ev, t, r->real_classes, learned);
  if (!r->n_real_classes) return DF_OK;
  r->real_subset = 1;
  /* Copies of the learned classes' rows (at most every test sound). */
  ref->owned_probs = malloc(sizeof(float) * (size_t)(ev->real.n * ev->classes));
  ref->owned_embed = malloc(sizeof(float) * (size_t)(ev->real.n * ev->dim));
  if (!ref->owned_probs || !ref->owned_embed)
    return DF_FAIL(DF_ERR_OOM, "evaluator: %lld real embeddings", (long long)ev->real.n);
  int64_t n = 0;
  for (int64_t i = 0; i < ev->real.n; i++) {
    if (ev->real.labels[i] < 0 || !learned[ev->real.labels[i]]) continue;
    memcpy(ref->owned_probs + n * ev->classes, ev->real_probs + i * ev->classes, sizeof(float) * (size_t)ev->classes);
    memcpy(ref->owned_embed + n * ev->dim, ev->real_embed + i * ev->dim, sizeof(float) * (size_t)ev->dim);
    n++;
  }
  if (n < 2)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: the test split has %lld sounds of the classes the model learned; the "
                   "metrics need at least 2", ev->o.dataset, (long long)n);
  ref->probs = ref->owned_probs;
  ref->embed = ref->owned_embed;
  ref->n = n;
  DF_TRY(df_inception_score(ref->probs, n, ev->classes, is_splits(n), &ref->is, &ref->is_std));
  return df_mean_pairwise_distance(ref->embed, n, ev->dim, &ref->diversity);
}

/* The classifier's id of each of the model's n classes, -1 for a class it does not know: by
 * name, or by position when the names are not known and the counts agree. */
static void class_ids_for_classifier(const df_evaluator *ev, int n, const df_training_classes *t, int32_t *ids) {
  const df_classifier_card *card = df_classifier_get_card(ev->o.classifier);
  for (int i = 0; i < n; i++) {
    ids[i] = !t && n == ev->classes ? i : -1;
    for (int k = 0; t && i < t->n && k < ev->classes; k++)
      if (!strcasecmp(t->names[i], card->class_names[k])) ids[i] = k;
  }
}

/* count sounds [count, channels, length] on the host; conditional models cycle through the
 * learned classes. */
static df_status generate(const df_evaluator *ev, const df_model_type *type, void *model,
                          const int64_t *class_examples, int count, int32_t *labels, float *audio) {
  int channels;
  int64_t length;
  type->audio_shape(model, &channels, &length);
  int32_t learned[DF_MAX_CLASSES];
  const int classes = df_trained_class_ids(type->n_classes(model), class_examples, learned);
  const int latent = type->latent_dim(model);
  df_rng rng;
  df_rng_init(&rng, ev->o.seed);
  df_tensor z = {0}, x = {0};
  df_status s = df_tensor_new(&z, ev->o.device, "evaluation latents", GEN_BATCH, latent);
  if (!s) s = df_tensor_new(&x, ev->o.device, "evaluation sounds", GEN_BATCH, channels, length);
  for (int i = 0; i < count; i++) labels[i] = classes ? learned[i % classes] : -1;
  for (int first = 0; !s && first < count; first += GEN_BATCH) {
    const int b = count - first < GEN_BATCH ? count - first : GEN_BATCH;
    df_tensor zb, xb;
    df_tensor_slice0(&z, 0, b, &zb);
    df_tensor_slice0(&x, 0, b, &xb);
    s = type->sample_latents(model, &rng, 1.0f, &zb);
    if (!s) s = type->decode(model, &zb, classes ? labels + first : NULL, &xb);
    if (!s) s = df_tensor_to_host(&xb, audio + (int64_t)first * channels * length, (int64_t)b * channels * length);
  }
  df_tensor_free(&z);
  df_tensor_free(&x);
  return s;
}

static int is_silent(const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (fabsf(x[i]) >= DF_EVAL_SILENT_PEAK) return 0;
  return 1;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* BeatGAN's novelty of each generated sound against the training split, streamed in chunks. */
static df_status novelty(const df_evaluator *ev, const float *audio, int count, int channels, int64_t length,
                         df_eval_result *r) {
  df_loader_options lo = {ev->o.dataset, DF_SPLIT_TRAIN, 1, 1, NULL, 0, DF_DEVICE_CPU};
  df_loader *ld;
  DF_TRY(df_loader_open(&lo, &ld));
  const df_shard_info *info = df_loader_info(ld);
  const int64_t per = (int64_t)channels * length;
  if (info->channels != channels || info->length != length) {
    /* A model of another length or channel count: no example to compare with. */
    snprintf(r->novelty_skipped, sizeof r->novelty_skipped,
             "the generated sounds are %d channel(s) x %lld samples, the training split's %d x %lld",
             channels, (long long)length, info->channels, (long long)info->length);
    df_loader_close(ld);
    return DF_OK;
  }
  const int64_t total = info->examples, chunk = total < NOVELTY_CHUNK ? total : NOVELTY_CHUNK;
  df_tensor gen = {0}, train = {0};
  double *best = malloc(sizeof(double) * (size_t)count), *dist = malloc(sizeof(double) * (size_t)count);
  int64_t *idx = malloc(sizeof(int64_t) * (size_t)count);
  float *host = malloc(sizeof(float) * (size_t)(chunk * per));
  df_status s = best && dist && idx && host ? DF_OK : DF_FAIL(DF_ERR_OOM, "novelty");
  if (!s) s = df_tensor_new(&gen, ev->o.device, "generated sounds", count, per);
  if (!s) s = df_tensor_from_host(&gen, audio, (int64_t)count * per);
  if (!s) s = df_tensor_new(&train, ev->o.device, "training sounds", chunk, per);
  for (int i = 0; i < count && best; i++) best[i] = INFINITY;
  for (int64_t done = 0; !s && done < total;) {
    const int64_t n = total - done < chunk ? total - done : chunk;
    for (int64_t i = 0; !s && i < n; i++) {
      df_batch b;
      s = df_loader_next(ld, &b);
      if (!s) memcpy(host + i * per, b.audio, sizeof(float) * (size_t)per);
    }
    df_tensor part;
    if (!s) s = df_tensor_slice0(&train, 0, n, &part);
    if (!s) s = df_tensor_from_host(&part, host, n * per);
    if (!s) s = df_nearest_rows(&gen, &part, dist, idx);
    for (int i = 0; !s && i < count; i++)
      if (dist[i] < best[i]) best[i] = dist[i];
    done += n;
  }
  if (!s) {
    /* best[] becomes the novelty of each sound that is not silent. */
    int64_t k = 0;
    for (int i = 0; i < count; i++) {
      if (is_silent(audio + i * per, per)) continue;
      double energy = 0;
      for (int64_t j = 0; j < per; j++) energy += (double)audio[i * per + j] * audio[i * per + j];
      best[k++] = best[i] / energy;
    }
    r->novelty_count = k;
    if (k > 0) {
      qsort(best, (size_t)k, sizeof *best, by_value);
      double sum = 0;
      int64_t near = 0;
      for (int64_t i = 0; i < k; i++) {
        sum += best[i];
        near += best[i] <= DF_NOVELTY_NEAR_COPY;
        int bin = (int)(best[i] * DF_NOVELTY_BINS);
        r->novelty_hist[bin < 0 ? 0 : bin >= DF_NOVELTY_BINS ? DF_NOVELTY_BINS - 1 : bin]++;
      }
      r->novelty_min = best[0];
      r->novelty_median = best[k / 2];
      r->novelty_p10 = best[k / 10];
      r->novelty_p90 = best[(k * 9) / 10 < k ? (k * 9) / 10 : k - 1];
      r->novelty_mean = sum / (double)k;
      r->near_copy_fraction = (double)near / (double)k;
    }
    r->novelty_done = 1;
  }
  df_tensor_free(&gen);
  df_tensor_free(&train);
  free(best);
  free(dist);
  free(idx);
  free(host);
  df_loader_close(ld);
  return s;
}

df_status df_evaluator_run(df_evaluator *ev, const df_model_type *type, void *model,
                           const df_training_classes *trained, int64_t step, df_eval_result *r) {
  memset(r, 0, sizeof *r);
  if (!type->sample_latents || !type->decode || type->latent_dim(model) < 1)
    return DF_FAIL(DF_ERR_UNSUPPORTED, "a '%s' model does not generate sounds to evaluate", type->name);
  const int count = ev->o.count, classes = ev->classes, dim = ev->dim;
  int channels;
  int64_t length;
  type->audio_shape(model, &channels, &length);
  const int64_t per = (int64_t)channels * length;
  r->step = step;
  r->n_generated = count;
  r->n_classes = classes;
  r->embed_dim = dim;
  real_reference real;
  df_status s = real_reference_for(ev, trained, r, &real);
  r->n_real = (int)real.n;
  r->is_real = real.is;
  r->is_real_std = real.is_std;
  r->diversity_real = real.diversity;
  float *audio = malloc(sizeof(float) * (size_t)(count * per));
  float *probs = malloc(sizeof(float) * (size_t)(count * classes)), *embed = malloc(sizeof(float) * (size_t)(count * dim));
  int32_t *labels = malloc(sizeof(int32_t) * (size_t)count), *heard = malloc(sizeof(int32_t) * (size_t)count);
  if (!s && !(audio && probs && embed && labels && heard)) s = DF_FAIL(DF_ERR_OOM, "evaluation of %d sounds", count);
  if (!s) s = generate(ev, type, model, trained ? trained->examples : NULL, count, labels, audio);
  for (int64_t i = 0; !s && i < count * per; i++)
    if (!isfinite(audio[i]))
      s = DF_FAIL(DF_ERR_NUMERIC, "step %lld: the model generated sounds that are not finite (NaN or Inf): no metric "
                  "can measure them", (long long)step);
  for (int i = 0; !s && i < count; i++) r->silent += is_silent(audio + i * per, per);
  if (!s) s = df_classifier_run(ev->o.classifier, audio, count, channels, length, probs, embed);
  if (!s) s = df_inception_score(probs, count, classes, is_splits(count), &r->is_generated, &r->is_generated_std);
  if (!s) s = df_frechet_distance(real.embed, real.n, embed, count, dim, &r->fd);
  if (!s)
    s = df_kernel_distance(real.embed, real.n, embed, count, dim, KID_SUBSETS, KID_SUBSET_SIZE, ev->o.seed, &r->kid,
                           &r->kid_std);
  if (!s) s = df_mean_pairwise_distance(embed, count, dim, &r->diversity_generated);
  for (int i = 0; !s && i < count; i++) {
    int best = 0;
    for (int c = 1; c < classes; c++)
      if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    heard[i] = best;
    r->predicted[best]++;
  }
  /* Conditional models: how often the asked class is heard, the model's classes matched to the
   * classifier's by name (a model of another dataset numbers them otherwise). */
  if (!s && type->n_classes(model) > 0) {
    int32_t to_classifier[DF_MAX_CLASSES];
    class_ids_for_classifier(ev, type->n_classes(model), trained, to_classifier);
    int n = 0;
    for (int i = 0; i < count; i++) {
      if (to_classifier[labels[i]] < 0) continue;
      labels[n] = to_classifier[labels[i]];
      heard[n++] = heard[i];
    }
    r->conditional = n > 0;
    if (n > 0) s = df_confusion(labels, heard, n, classes, r->confusion, &r->conditioning_accuracy);
  }
  if (!s && ev->o.novelty) s = novelty(ev, audio, count, channels, length, r);
  free(audio);
  free(probs);
  free(embed);
  free(labels);
  free(heard);
  free(real.owned_probs);
  free(real.owned_embed);
  return s;
}
