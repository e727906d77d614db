/* A generation run (include/drumforge/generate.h): the calling thread decodes batches into a
 * few host buffers ("slots"), worker threads turn each buffered sound into a file. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/backend.h"
#include "drumforge/fileio.h"
#include "drumforge/npy.h"
#include "drumforge/runtime.h"
#include "generate/gen_internal.h"

/* Two buffers being written while the third is decoded into. */
enum { N_SLOTS = 3 };

typedef struct slot {
  int filled;              /* decoded, and its files or manifest lines not all written */
  int64_t first;           /* number of its first item */
  int n, claimed, done;    /* items */
  float *audio;            /* [batch rows, channels, length] (the device's host buffers) */
  float *latents;          /* [batch rows, dim] */
} slot;

typedef struct pipeline {
  gen_run run;
  const df_backend *be;
  int items_per_batch;
  int64_t total;
  slot slots[N_SLOTS];
  pthread_mutex_t mu;
  pthread_cond_t work, freed;
  int producing;           /* the decoder may still fill slots */
  int failed;              /* a worker failed: claim nothing more */
  df_status error;
  char error_msg[1024];
  int64_t written;
  int64_t clipped;         /* files whose integer samples were clipped, and their largest peak */
  float clipped_peak;
  int64_t listed;          /* items up to this number have their manifest line written */
  gen_manifest manifest;
} pipeline;

df_status gen_relay_error(df_status s, const char *msg) {
  /* The worker's message as it was recorded (with its origin when that was added). */
  return df_set_error(s, NULL, 0, "%s", msg);
}

/* ---------------------------------------------------------------- checks */
df_status df_generate_check_settings(const df_generate_options *o) {
  if (!o) return DF_FAIL(DF_ERR_INVALID_ARG, "generate: options are NULL");
  if (!(o->truncation > 0.0f && o->truncation <= 1.0f))
    return DF_FAIL(DF_ERR_INVALID_ARG, "truncation %g is outside (0, 1]", o->truncation);
  if (!o->format || (strcasecmp(o->format, "wav") && strcasecmp(o->format, "flac")))
    return DF_FAIL(DF_ERR_INVALID_ARG, "format '%s': use wav or flac", o->format ? o->format : "");
  if (!strcasecmp(o->format, "flac") && o->encoding == DF_AUDIO_FLOAT32)
    return DF_FAIL(DF_ERR_INVALID_ARG, "FLAC stores integers: use 16 or 24 bits");
  if (o->rate != 0 && (o->rate < 4000 || o->rate > 384000))
    return DF_FAIL(DF_ERR_INVALID_ARG, "output rate %d Hz is outside [4000, 384000]", o->rate);
  const df_postfx_options *p = &o->post;
  if (p->lowpass != 0) {
    df_butter f;
    DF_TRY(df_butter_lowpass(p->lowpass_order, p->lowpass, &f));
  }
  if (p->smooth > 1 && p->smooth % 2 == 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "smoothing window %d is not odd", p->smooth);
  if (p->trim && (!isfinite(p->trim_db) || p->trim_db > 0))
    return DF_FAIL(DF_ERR_INVALID_ARG, "trim threshold %g dBFS is not a level <= 0", p->trim_db);
  if (!(p->fade_ms >= 0 && p->fade_ms <= 10000))
    return DF_FAIL(DF_ERR_INVALID_ARG, "fade of %g ms is outside [0, 10000]", p->fade_ms);
  if (p->normalize != DF_NORMALIZE_NONE && (!isfinite(p->normalize_db) || p->normalize_db > 0))
    return DF_FAIL(DF_ERR_INVALID_ARG, "normalisation level %g dBFS is not a level <= 0", p->normalize_db);
  if (o->tile.pattern && o->tile.pattern[0]) {
    int letters;
    DF_TRY(df_tile_pattern_check(o->tile.pattern, &letters));
    if (!(o->tile.bpm >= 20 && o->tile.bpm <= 999))
      return DF_FAIL(DF_ERR_INVALID_ARG, "tempo %g bpm is outside [20, 999]", o->tile.bpm);
    if (o->tile.bars < 0 || o->tile.bars > 1024) return DF_FAIL(DF_ERR_INVALID_ARG, "%d bars is outside [1, 1024]", o->tile.bars);
    /* A letter first heard after the last bar would be decoded for nothing: likely a slip. */
    const long first_play = strchr(o->tile.pattern, 'A' + letters - 1) - o->tile.pattern;
    if (o->tile.bars > 0 && first_play >= o->tile.bars)
      return DF_FAIL(DF_ERR_INVALID_ARG, "tile pattern '%s' in %d bar%s never plays its bar %c (the pattern's bar %ld): "
                     "use at least %ld bars", o->tile.pattern, o->tile.bars, o->tile.bars == 1 ? "" : "s", 'A' + letters - 1,
                     first_play + 1, first_play + 1);
    if (!(o->tile.variation >= 0 && o->tile.variation <= 1))
      return DF_FAIL(DF_ERR_INVALID_ARG, "variation %g is outside [0, 1]", o->tile.variation);
  }
  return DF_OK;
}

static df_status check_options(const df_generate_options *o, const df_loaded_model *m) {
  const int conditional = m->type->n_classes(m->model) > 0;
  if (o->count < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "count %lld: generate at least one sound", (long long)o->count);
  if (o->start < 0) return DF_FAIL(DF_ERR_INVALID_ARG, "start position %lld is negative", (long long)o->start);
  if (o->batch < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "batch %d: decode at least one sound at a time", o->batch);
  if (conditional && o->n_classes < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: the model is conditional: name the classes to generate", m->checkpoint);
  if (!conditional && o->n_classes > 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: classes were given but the model is not conditional", m->checkpoint);
  for (int i = 0; i < o->n_classes; i++) {
    if (o->classes[i] < 0 || o->classes[i] >= m->type->n_classes(m->model))
      return DF_FAIL(DF_ERR_INVALID_ARG, "class id %d is outside the model's %d classes", o->classes[i],
                     m->type->n_classes(m->model));
    /* A class twice would write each of its files twice, racing on the same names. */
    for (int k = 0; k < i; k++)
      if (o->classes[k] == o->classes[i])
        return DF_FAIL(DF_ERR_INVALID_ARG, "class '%s' is listed twice", m->class_names[o->classes[i]]);
  }
  const int64_t last = o->start + o->count - 1;
  if (o->source == DF_LATENTS_SEED) {
    if (last > INT64_MAX / 1024) return DF_FAIL(DF_ERR_INVALID_ARG, "position %lld is too large", (long long)last);
  } else if (o->source == DF_LATENTS_ROWS) {
    if (!o->rows || last >= o->n_rows)
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: %lld latent rows, but positions %lld to %lld were asked for",
                     o->rows_origin ? o->rows_origin : "latents", (long long)o->n_rows, (long long)o->start,
                     (long long)last);
  } else {
    if (!o->interp_a || !o->interp_b) return DF_FAIL(DF_ERR_INVALID_ARG, "interpolation needs two latents");
    if (o->steps < 2) return DF_FAIL(DF_ERR_INVALID_ARG, "interpolation needs at least 2 steps, got %lld", (long long)o->steps);
    if (last >= o->steps)
      return DF_FAIL(DF_ERR_INVALID_ARG, "interpolation of %lld steps has no step %lld", (long long)o->steps, (long long)last);
  }
  return df_generate_check_settings(o);
}

static df_status setup_run(const df_generate_options *o, gen_run *run) {
  memset(run, 0, sizeof *run);
  run->o = o;
  run->m = o->model;
  const df_loaded_model *m = o->model;
  run->dim = m->type->latent_dim(m->model);
  m->type->audio_shape(m->model, &run->channels, &run->length);
  run->model_rate = m->sample_rate;
  run->out_rate = o->rate ? o->rate : m->sample_rate;
  for (size_t i = 0; i < sizeof run->ext - 1 && o->format[i]; i++) run->ext[i] = (char)tolower((unsigned char)o->format[i]);
  run->letters = 1;
  if (o->tile.pattern && o->tile.pattern[0]) {
    DF_TRY(df_tile_pattern_check(o->tile.pattern, &run->letters));
    run->n_bars = o->tile.bars ? o->tile.bars : (int)strlen(o->tile.pattern);
    run->bar_frames = df_loop_bar_frames(o->tile.bpm, run->out_rate);
  }
  run->trim_fade = llround(o->post.fade_ms / 1000.0 * run->model_rate);
  run->cut_fade = llround(o->post.fade_ms / 1000.0 * run->out_rate);
  if (o->post.lowpass > 0) {
    DF_TRY(df_butter_lowpass(o->post.lowpass_order, o->post.lowpass, &run->lowpass));
    run->has_lowpass = 1;
  }
  int64_t last = o->start + o->count - 1;
  run->name_width = 6;
  for (int64_t v = 1000000; v <= last && run->name_width < 19; v *= 10) run->name_width++;
  if (!realpath(m->checkpoint, run->checkpoint)) snprintf(run->checkpoint, sizeof run->checkpoint, "%s", m->checkpoint);
  if (run->n_bars) {
    /* A loop too long for its format fails now, not after the first batch is decoded. */
    gen_item first = {.position = o->start, .class_id = o->n_classes ? o->classes[0] : -1};
    char name[256], path[4400];
    gen_file_name(run, &first, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", o->out_dir, name);
    DF_TRY(df_audio_check_size(path, run->channels, (int64_t)run->n_bars * run->bar_frames, o->encoding));
  }
  return DF_OK;
}

/* ---------------------------------------------------------------- latents of a batch */
/* Seed of tile letter k's variation stream (k >= 1). */
static uint64_t letter_seed(uint64_t seed, int k) { return seed + (uint64_t)k * 0x9E3779B97F4A7C15ULL; }

/* Draws rows [at, at + n) of positions first.. from a seed stream into host memory with a
 * row stride of `letters` rows (zdev: device scratch [batch rows, dim]). */
static df_status seed_rows(const pipeline *pl, uint64_t seed, int64_t first, int n, df_tensor *zdev, float *host,
                           int letter) {
  const gen_run *run = &pl->run;
  df_tensor z;
  DF_TRY(df_tensor_slice0(zdev, 0, n, &z));
  DF_TRY(df_generate_seed_latents(run->m, seed, first, run->o->truncation, &z));
  float *tmp = malloc(sizeof(float) * (size_t)n * (size_t)run->dim);
  if (!tmp) return DF_FAIL(DF_ERR_OOM, "latents");
  df_status s = df_tensor_to_host(&z, tmp, (int64_t)n * run->dim);
  for (int i = 0; !s && i < n; i++)
    memcpy(host + ((size_t)i * run->letters + (size_t)letter) * run->dim, tmp + (size_t)i * run->dim,
           sizeof(float) * (size_t)run->dim);
  free(tmp);
  return s;
}

/* The latents of items first .. first + n - 1 (letters rows each) into sl->latents. Items of
 * one class have consecutive positions, so each class's run is drawn with one fill. */
static df_status batch_latents(const pipeline *pl, slot *sl, df_tensor *zdev) {
  const gen_run *run = &pl->run;
  const df_generate_options *o = run->o;
  for (int i = 0; i < sl->n;) {
    int64_t number = sl->first + i;
    int64_t within = number % o->count;
    int n = (int)(o->count - within < sl->n - i ? o->count - within : sl->n - i);
    int64_t position = o->start + within;
    float *rows = sl->latents + (size_t)i * run->letters * run->dim;
    if (o->source == DF_LATENTS_SEED) {
      DF_TRY(seed_rows(pl, o->seed, position, n, zdev, rows, 0));
    } else {
      for (int k = 0; k < n; k++) {
        float *dst = rows + (size_t)k * run->letters * run->dim;
        if (o->source == DF_LATENTS_ROWS)
          memcpy(dst, o->rows + (size_t)(position + k) * run->dim, sizeof(float) * (size_t)run->dim);
        else
          df_latent_interpolate(o->interp_a, o->interp_b, run->dim,
                                (float)((double)(position + k) / (double)(o->steps - 1)), o->slerp, dst);
      }
    }
    /* Tile variations: letter k blends A towards its own draw. */
    for (int letter = 1; letter < run->letters; letter++) {
      DF_TRY(seed_rows(pl, letter_seed(o->seed, letter), position, n, zdev, rows, letter));
      for (int k = 0; k < n; k++) {
        const float *a = rows + (size_t)k * run->letters * run->dim;
        float *v = rows + ((size_t)k * run->letters + (size_t)letter) * run->dim;
        for (int d = 0; d < run->dim; d++) v[d] = (1.0f - o->tile.variation) * a[d] + o->tile.variation * v[d];
      }
    }
    i += n;
  }
  return DF_OK;
}

/* ---------------------------------------------------------------- workers */
static void fail(pipeline *pl, df_status s, const char *msg) {
  if (!pl->failed) {
    pl->failed = 1;
    pl->error = s;
    snprintf(pl->error_msg, sizeof pl->error_msg, "%s", msg);
  }
}

/* The filled slot with the oldest unclaimed item, or NULL. Caller holds the lock. */
static slot *claimable(pipeline *pl) {
  slot *best = NULL;
  for (int k = 0; k < N_SLOTS; k++) {
    slot *s = &pl->slots[k];
    if (s->filled && s->claimed < s->n && (!best || s->first < best->first)) best = s;
  }
  return best;
}

static void *worker(void *arg) {
  pipeline *pl = arg;
  const gen_run *run = &pl->run;
  pthread_mutex_lock(&pl->mu);
  for (;;) {
    slot *s = NULL;
    while (!pl->failed && !(s = claimable(pl)) && pl->producing) pthread_cond_wait(&pl->work, &pl->mu);
    if (pl->failed || !s) break;
    int k = s->claimed++;
    pthread_mutex_unlock(&pl->mu);

    gen_item it;
    it.number = s->first + k;
    it.position = run->o->start + it.number % run->o->count;
    int cls = (int)(it.number / run->o->count);
    it.class_id = run->o->n_classes ? run->o->classes[cls] : -1;
    it.audio = s->audio + (size_t)k * run->letters * run->channels * run->length;
    it.latents = s->latents + (size_t)k * run->letters * run->dim;
    char *line = NULL;
    float clipped_peak;
    df_status st = gen_render(run, &it, &line, &clipped_peak);
    int64_t listed = gen_manifest_put(&pl->manifest, it.number, line);

    pthread_mutex_lock(&pl->mu);
    if (st) fail(pl, st, df_last_error());
    else pl->written++;
    if (!st && clipped_peak > 0.0f) {
      pl->clipped++;
      pl->clipped_peak = fmaxf(pl->clipped_peak, clipped_peak);
    }
    s->done++;
    if (listed > pl->listed) pl->listed = listed;
    pthread_cond_broadcast(&pl->freed);
  }
  pthread_mutex_unlock(&pl->mu);
  return NULL;
}

/* ---------------------------------------------------------------- the decoder */
/* A slot can take a new batch once its files are written and listed: then every item in
 * flight lies within N_SLOTS batches, the manifest's reordering window. Caller holds the lock. */
static int reusable(const pipeline *pl, const slot *s) {
  return !s->filled || (s->done == s->n && pl->listed >= s->first + s->n);
}

static df_status produce(pipeline *pl, df_npy_writer *latents_out, double t0) {
  const gen_run *run = &pl->run;
  const df_generate_options *o = run->o;
  const df_loaded_model *m = run->m;
  const int rows = pl->items_per_batch * run->letters;
  const df_device dev = m->device;
  df_tensor z = {0}, audio = {0};
  int32_t *labels = calloc((size_t)rows, sizeof *labels);
  df_status s = labels ? DF_OK : DF_FAIL(DF_ERR_OOM, "labels");
  if (!s) s = df_tensor_new(&z, dev, "latents", rows, run->dim);
  if (!s) s = df_tensor_new(&audio, dev, "generated audio", rows, run->channels, run->length);
  for (int64_t first = 0; !s && first < pl->total; first += pl->items_per_batch) {
    if (o->stop && *o->stop) break;
    /* A free slot. */
    pthread_mutex_lock(&pl->mu);
    slot *sl = NULL;
    for (;;) {
      for (int k = 0; k < N_SLOTS && !sl; k++)
        if (reusable(pl, &pl->slots[k])) sl = &pl->slots[k];
      if (sl || pl->failed) break;
      pthread_cond_wait(&pl->freed, &pl->mu);
    }
    int failed = pl->failed;
    pthread_mutex_unlock(&pl->mu);
    if (failed) break;

    sl->filled = 0;
    sl->first = first;
    sl->n = (int)(pl->total - first < pl->items_per_batch ? pl->total - first : pl->items_per_batch);
    sl->claimed = sl->done = 0;
    const int n_rows = sl->n * run->letters;
    s = batch_latents(pl, sl, &z);
    for (int r = 0; !s && r < rows; r++) {
      int64_t number = first + r / run->letters;
      labels[r] = o->n_classes && r < n_rows ? o->classes[number / o->count] : 0;
    }
    /* Every decode has the full batch shape (a short last batch is padded with zero latents):
     * CPU BLAS kernels are picked by matrix size, so a sound is bitwise the same only if its
     * batch had the same shape. */
    df_tensor zb, zpad;
    if (!s) s = df_tensor_slice0(&z, 0, n_rows, &zb);
    if (!s) s = df_tensor_from_host(&zb, sl->latents, (int64_t)n_rows * run->dim);
    if (!s && n_rows < rows) s = df_tensor_slice0(&z, n_rows, rows - n_rows, &zpad);
    if (!s && n_rows < rows) s = df_tensor_zero(&zpad);
    if (!s) s = m->type->decode(m->model, &z, o->n_classes ? labels : NULL, &audio);
    if (!s) s = df_tensor_to_host(&audio, sl->audio, (int64_t)n_rows * run->channels * run->length);
    if (!s && latents_out) s = df_npy_writer_append(latents_out, sl->latents, n_rows);
    if (s) break;

    pthread_mutex_lock(&pl->mu);
    sl->filled = 1;
    pthread_cond_broadcast(&pl->work);
    df_generate_progress p = {pl->written, pl->total, df_monotonic_seconds() - t0};
    pthread_mutex_unlock(&pl->mu);
    if (o->progress) o->progress(o->ctx, &p);
  }
  df_tensor_free(&z);
  df_tensor_free(&audio);
  free(labels);
  return s;
}

/* ---------------------------------------------------------------- a run */
static int default_workers(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 32 ? 32 : (int)n;
}

static void free_slots(pipeline *pl) {
  for (int k = 0; k < N_SLOTS; k++) {
    if (pl->slots[k].audio) pl->be->host_free(pl->slots[k].audio);
    free(pl->slots[k].latents);
  }
}

df_status df_generate(const df_generate_options *o, df_generate_result *result) {
  if (!result) return DF_FAIL(DF_ERR_INVALID_ARG, "generate: result is NULL");
  memset(result, 0, sizeof *result);
  if (!o) return DF_FAIL(DF_ERR_INVALID_ARG, "generate: options are NULL");
  if (!o->model || !o->model->model) return DF_FAIL(DF_ERR_INVALID_ARG, "generate: no model");
  DF_TRY(check_options(o, o->model));
  pipeline *pl = calloc(1, sizeof *pl);
  if (!pl) return DF_FAIL(DF_ERR_OOM, "generate");
  df_status s = setup_run(o, &pl->run);
  const gen_run *run = &pl->run;
  pl->total = o->count * (o->n_classes ? o->n_classes : 1);
  result->total = pl->total;
  pl->items_per_batch = o->batch / run->letters > 0 ? o->batch / run->letters : 1;
  /* No batch larger than the run: --count 1 decodes one sound, not a batch of padding. The
   * same command still decodes the same batches, and batch-invariant sounds do not depend
   * on them. */
  if (pl->items_per_batch > pl->total) pl->items_per_batch = (int)pl->total;
  pl->be = df_backend_for(o->model->device);
  if (!s && !pl->be) s = DF_FAIL(DF_ERR_INVALID_ARG, "generate: the model's device is not initialised");
  const size_t rows = (size_t)pl->items_per_batch * (size_t)run->letters;
  for (int k = 0; !s && k < N_SLOTS; k++) {
    s = pl->be->host_alloc(sizeof(float) * rows * (size_t)run->channels * (size_t)run->length,
                           (void **)&pl->slots[k].audio);
    pl->slots[k].latents = s ? NULL : malloc(sizeof(float) * rows * (size_t)run->dim);
    if (!s && !pl->slots[k].latents) s = DF_FAIL(DF_ERR_OOM, "latent buffers");
  }
  int lock_fd = -1;
  gen_earlier earlier = {0};
  if (!s) s = gen_out_dir_open(run, &earlier, &lock_fd);
  if (s) {
    free_slots(pl);
    free(pl);
    return s;
  }
  s = gen_manifest_init(&pl->manifest, o->out_dir, (int64_t)N_SLOTS * pl->items_per_batch);
  /* The earlier run's latents go when its manifest is replaced, not at the end: a run killed
   * in between would leave them beside lines they do not match. */
  if (earlier.latents)
    snprintf(pl->manifest.stale, sizeof pl->manifest.stale, "%s/%s", o->out_dir, DF_GENERATE_LATENTS);
  df_npy_writer *latents_out = NULL;
  if (!s && o->save_latents) {
    snprintf(result->latents, sizeof result->latents, "%s/%s", o->out_dir, DF_GENERATE_LATENTS);
    s = df_npy_writer_open(result->latents, run->dim, &latents_out);
  }
  snprintf(result->manifest, sizeof result->manifest, "%s", pl->manifest.path);

  const double t0 = df_monotonic_seconds();
  const int n_workers = o->workers > 0 ? o->workers : default_workers();
  pthread_t *threads = calloc((size_t)n_workers, sizeof *threads);
  int started = 0;
  if (!s) {
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->work, NULL);
    pthread_cond_init(&pl->freed, NULL);
    pl->producing = 1;
    for (; threads && started < n_workers; started++)
      if (pthread_create(&threads[started], NULL, worker, pl) != 0) break;
    if (started == 0) s = DF_FAIL(DF_ERR_OOM, "generate: cannot start writer threads");
  }
  if (!s) {
    const int invariant = df_batch_invariant(); /* process-wide: restored for the caller */
    df_set_batch_invariant(!o->fast_batches);
    s = produce(pl, latents_out, t0);
    df_set_batch_invariant(invariant);
    pthread_mutex_lock(&pl->mu);
    pl->producing = 0;
    if (s) fail(pl, s, df_last_error());
    pthread_cond_broadcast(&pl->work);
    pthread_mutex_unlock(&pl->mu);
    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
    s = pl->failed ? gen_relay_error(pl->error, pl->error_msg) : DF_OK;
  }
  free(threads);

  /* Whatever happened, the manifest lists exactly the files written. */
  df_status ms = gen_manifest_finish(&pl->manifest);
  if (!s) s = ms;
  /* A run that wrote nothing leaves the folder as it was (an earlier manifest included). */
  if (latents_out) {
    if (!s && pl->written > 0) s = df_npy_writer_commit(latents_out);
    else df_npy_writer_abort(latents_out);
  }
  /* Finished or stopped, it wrote items 0 .. written - 1: the earlier run's other files go. */
  if (!s && o->overwrite && pl->written > 0) s = gen_out_dir_replace(run, &earlier, pl->written, &result->unlisted);
  gen_earlier_free(&earlier);
  if (!s && pl->written > 0) s = df_sync_filesystem(o->out_dir);
  result->files = pl->written;
  result->clipped = pl->clipped;
  result->clipped_peak = pl->clipped_peak;
  result->seconds = df_monotonic_seconds() - t0;
  if (!s && pl->written < pl->total)
    s = DF_FAIL(DF_ERR_INTERRUPTED, "stopped after %lld of %lld files; %s lists exactly the files written",
                (long long)pl->written, (long long)pl->total, result->manifest);
  if (o->progress) {
    df_generate_progress p = {pl->written, pl->total, result->seconds};
    o->progress(o->ctx, &p);
  }
  gen_manifest_free(&pl->manifest);
  if (started) {
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->work);
    pthread_cond_destroy(&pl->freed);
  }
  free_slots(pl);
  free(pl);
  if (lock_fd >= 0) close(lock_fd);
  return s;
}
