/* The training loader (include/drumforge/dataset.h). The eligible examples of a split (after
 * the class and label filters) are listed once at open; each epoch is a permutation of them
 * drawn with the project RNG from (seed, offset at the epoch's start), so a position is a few
 * integers and a restored loader rebuilds exactly the same batches. A background thread fills
 * two batch slots in turn (double buffering): while the consumer holds one, the thread fills
 * the other. A slot goes FREE -> (thread fills) READY -> (consumer takes) HELD -> FREE. Audio
 * is copied out of memory-mapped shards, so the thread never calls HDF5. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/backend.h"
#include "data/manifest.h"
#include "data/shard.h"
#include "drumforge/rng.h"

enum { SLOTS = 2 };
typedef enum slot_state { SLOT_FREE = 0, SLOT_READY, SLOT_HELD } slot_state;

typedef struct slot {
  float *audio;      /* [batch, channels, length], from the device backend's host_alloc */
  int32_t *labels;   /* [batch], same */
  df_loader_state after;
  slot_state state;
  void *fence[2];    /* uploads still reading this slot (next_tensor on a GPU) */
} slot;

struct df_loader {
  df_shard_info info;      /* examples = eligible examples */
  df_shard **shards;
  int n_shards;
  int32_t *ex_shard;       /* eligible example i: shard and row */
  int64_t *ex_row;
  int32_t *ex_label;
  int64_t n;
  int batch;
  size_t per;              /* floats per example */
  const df_backend *be;    /* host buffers and uploads for the target device */
  df_loader_state consumed;

  pthread_t thread;
  int running, stop;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  slot slots[SLOTS];
  int fill, take, held;
  /* The thread's own position: the next batch starts here. */
  df_loader_state pos;
  int64_t *perm;
  int64_t perm_epoch;      /* the epoch perm belongs to; -1: none yet */
  uint64_t next_offset;    /* the RNG offset at the start of the following epoch */
};

/* ------------------------------------------------------------------ the thread */
static void ensure_perm(df_loader *ld) {
  if (ld->perm_epoch == (int64_t)ld->pos.epoch) return;
  for (int64_t i = 0; i < ld->n; i++) ld->perm[i] = i;
  df_rng rng = {ld->pos.seed, ld->pos.rng_offset};
  df_rng_shuffle(&rng, ld->perm, ld->n);
  ld->next_offset = rng.offset;
  ld->perm_epoch = (int64_t)ld->pos.epoch;
}

static void make_batch(df_loader *ld, slot *s) {
  ensure_perm(ld);
  if (ld->pos.cursor + (uint64_t)ld->batch > (uint64_t)ld->n) {
    /* The last incomplete batch of an epoch is dropped: on to the next permutation. */
    ld->pos.epoch++;
    ld->pos.cursor = 0;
    ld->pos.rng_offset = ld->next_offset;
    ensure_perm(ld);
  }
  for (int j = 0; j < ld->batch; j++) {
    int64_t e = ld->perm[ld->pos.cursor + (uint64_t)j];
    shard_copy_example(ld->shards[ld->ex_shard[e]], ld->ex_row[e], s->audio + ld->per * (size_t)j);
    s->labels[j] = ld->ex_label[e];
  }
  ld->pos.cursor += (uint64_t)ld->batch;
  s->after = ld->pos;
}

static void *producer(void *arg) {
  df_loader *ld = arg;
  pthread_mutex_lock(&ld->mu);
  while (!ld->stop) {
    slot *s = &ld->slots[ld->fill];
    if (s->state != SLOT_FREE) {
      pthread_cond_wait(&ld->cv, &ld->mu);
      continue;
    }
    pthread_mutex_unlock(&ld->mu);
    make_batch(ld, s); /* the slot is the thread's while FREE: no lock needed */
    pthread_mutex_lock(&ld->mu);
    s->state = SLOT_READY;
    ld->fill = (ld->fill + 1) % SLOTS;
    pthread_cond_broadcast(&ld->cv);
  }
  pthread_mutex_unlock(&ld->mu);
  return NULL;
}

static df_status start(df_loader *ld) {
  ld->stop = 0;
  if (pthread_create(&ld->thread, NULL, producer, ld) != 0)
    return DF_FAIL(DF_ERR_IO, "loader: cannot start its thread");
  ld->running = 1;
  return DF_OK;
}

/* Waits for the uploads still reading a slot. */
static df_status settle(df_loader *ld, slot *s) {
  df_status st = DF_OK;
  for (int k = 0; k < 2; k++) {
    df_status f = s->fence[k] ? ld->be->fence_wait(s->fence[k]) : DF_OK;
    s->fence[k] = NULL;
    if (st == DF_OK) st = f;
  }
  return st;
}

static df_status halt(df_loader *ld) {
  if (ld->running) {
    pthread_mutex_lock(&ld->mu);
    ld->stop = 1;
    pthread_cond_broadcast(&ld->cv);
    pthread_mutex_unlock(&ld->mu);
    pthread_join(ld->thread, NULL);
    ld->running = 0;
  }
  df_status st = DF_OK;
  for (int k = 0; k < SLOTS; k++) {
    df_status f = settle(ld, &ld->slots[k]);
    if (st == DF_OK) st = f;
    ld->slots[k].state = SLOT_FREE;
  }
  ld->fill = ld->take = 0;
  ld->held = -1;
  return st;
}

/* ------------------------------------------------------------------ consumer side */
static df_status take_batch(df_loader *ld, slot **out) {
  int held = ld->held;
  df_status st = held >= 0 ? settle(ld, &ld->slots[held]) : DF_OK;
  pthread_mutex_lock(&ld->mu);
  if (held >= 0) {
    ld->slots[held].state = SLOT_FREE;
    ld->held = -1;
    pthread_cond_broadcast(&ld->cv);
  }
  while (ld->slots[ld->take].state != SLOT_READY) pthread_cond_wait(&ld->cv, &ld->mu);
  slot *s = &ld->slots[ld->take];
  s->state = SLOT_HELD;
  ld->held = ld->take;
  ld->take = (ld->take + 1) % SLOTS;
  ld->consumed = s->after;
  pthread_mutex_unlock(&ld->mu);
  *out = s;
  return st;
}

df_status df_loader_next(df_loader *ld, df_batch *b) {
  slot *s;
  DF_TRY(take_batch(ld, &s));
  b->audio = s->audio;
  b->labels = s->labels;
  b->batch = ld->batch;
  b->channels = ld->info.channels;
  b->length = ld->info.length;
  b->state = s->after;
  return DF_OK;
}

df_status df_loader_next_tensor(df_loader *ld, df_tensor *audio, df_tensor *labels,
                                df_loader_state *state) {
  int64_t shape[3] = {ld->batch, ld->info.channels, ld->info.length};
  DF_TRY(df_check_shape("df_loader_next_tensor", audio, 3, shape));
  if (labels && (labels->dtype != DF_I32 || df_tensor_numel(labels) != ld->batch || labels->device != audio->device))
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_loader_next_tensor: labels '%s' must be int32 [%d] on the audio's device",
                   labels->name, ld->batch);
  const df_backend *be = df_backend_for(audio->device);
  if (!be) return DF_ERR_NO_DEVICE;
  if (be != ld->be)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_loader_next_tensor: the loader was opened for the %s, the tensor is on the %s",
                   ld->be->name, be->name);
  slot *s;
  DF_TRY(take_batch(ld, &s));
  /* The slot stays held (the thread will not refill it) until the uploads have finished. */
  DF_TRY(be->upload_async(audio->data, s->audio, sizeof(float) * ld->per * (size_t)ld->batch, &s->fence[0]));
  if (labels) DF_TRY(be->upload_async(labels->data, s->labels, sizeof(int32_t) * (size_t)ld->batch, &s->fence[1]));
  if (state) *state = s->after;
  return DF_OK;
}

void df_loader_get_state(const df_loader *ld, df_loader_state *state) { *state = ld->consumed; }

df_status df_loader_set_state(df_loader *ld, const df_loader_state *st) {
  if (st->examples != (uint64_t)ld->n || st->cursor > (uint64_t)ld->n || st->rng_offset % 4)
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "loader: the saved position (epoch %llu, cursor %llu of %llu examples) does not fit this data "
                   "(%lld examples after the filters): was the dataset rebuilt or the filter changed?",
                   (unsigned long long)st->epoch, (unsigned long long)st->cursor,
                   (unsigned long long)st->examples, (long long)ld->n);
  DF_TRY(halt(ld));
  ld->pos = *st;
  ld->consumed = *st;
  ld->perm_epoch = -1;
  return start(ld);
}

int64_t df_loader_batches_per_epoch(const df_loader *ld) { return ld->n / ld->batch; }

const df_shard_info *df_loader_info(const df_loader *ld) { return &ld->info; }

void df_loader_class_counts(const df_loader *ld, int64_t *counts) {
  memset(counts, 0, sizeof(int64_t) * (size_t)ld->info.n_classes);
  for (int64_t i = 0; i < ld->n; i++)
    if (ld->ex_label[i] >= 0 && ld->ex_label[i] < ld->info.n_classes) counts[ld->ex_label[i]]++;
}

void df_loader_close(df_loader *ld) {
  if (!ld) return;
  halt(ld);
  for (int k = 0; k < SLOTS; k++) {
    if (ld->be) ld->be->host_free(ld->slots[k].audio);
    if (ld->be) ld->be->host_free(ld->slots[k].labels);
  }
  for (int i = 0; i < ld->n_shards; i++) df_shard_close(ld->shards[i]);
  free(ld->shards);
  free(ld->ex_shard);
  free(ld->ex_row);
  free(ld->ex_label);
  free(ld->perm);
  pthread_mutex_destroy(&ld->mu);
  pthread_cond_destroy(&ld->cv);
  free(ld);
}

/* ------------------------------------------------------------------ opening */
/* wanted[c] for each class named in the comma-separated list ("kick, snare": spaces around
 * names are ignored). */
static df_status parse_classes(const df_loader *ld, const char *list, int *wanted) {
  char names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  int n;
  DF_TRY(df_parse_class_list(list, names, DF_MAX_CLASSES, &n));
  for (int i = 0; i < n; i++) {
    const char *tok = names[i];
    int c = 0;
    while (c < ld->info.n_classes && strcmp(ld->info.class_names[c], tok)) c++;
    if (c == ld->info.n_classes) {
      char known[1024] = "";
      for (int k = 0; k < ld->info.n_classes; k++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", k ? ", " : "", ld->info.class_names[k]);
      return DF_FAIL(DF_ERR_INVALID_ARG, "loader: no class '%s' in this dataset (classes: %s)", tok,
                     known[0] ? known : "none");
    }
    wanted[c] = 1;
  }
  return DF_OK;
}

/* listed: the shard's entry in manifest.json (NULL for a lone shard). */
static df_status add_shard(df_loader *ld, const char *path, const manifest_info *listed, int listed_index) {
  df_shard *s;
  DF_TRY(df_shard_open(path, &s));
  df_status st = listed ? shard_check_listed(s, listed, listed_index) : DF_OK;
  if (st != DF_OK) {
    df_shard_close(s);
    return st;
  }
  df_shard **grown = realloc(ld->shards, sizeof *grown * (size_t)(ld->n_shards + 1));
  if (!grown) {
    df_shard_close(s);
    return DF_FAIL(DF_ERR_OOM, "loader");
  }
  ld->shards = grown;
  grown[ld->n_shards++] = s;
  if (ld->n_shards == 1) ld->info = *df_shard_get_info(s);
  else if (!shard_same_layout(&ld->info, df_shard_get_info(s)))
    return DF_FAIL(DF_ERR_FORMAT, "%s: rate, length, channels, kind or classes differ from the other shards", path);
  return DF_OK;
}

static df_status open_shards(df_loader *ld, const df_loader_options *o) {
  struct stat sb;
  if (stat(o->path, &sb) != 0) return DF_FAIL(DF_ERR_NOT_FOUND, "loader: %s: no such file or folder", o->path);
  if (!S_ISDIR(sb.st_mode)) return add_shard(ld, o->path, NULL, 0);
  manifest_info mi;
  DF_TRY(manifest_read(o->path, &mi));
  df_status st = DF_OK;
  for (int i = 0; i < mi.n_shards && st == DF_OK; i++)
    if (mi.split[i] == o->split) st = add_shard(ld, mi.files[i], &mi, i);
  manifest_info_free(&mi);
  return st;
}

/* The eligible examples, in shard then row order (the permutation's identity). */
static df_status list_examples(df_loader *ld, const df_loader_options *o) {
  int wanted[DF_MAX_CLASSES] = {0}, filter = o->classes && o->classes[0];
  if (filter) DF_TRY(parse_classes(ld, o->classes, wanted));
  int64_t total = 0;
  for (int i = 0; i < ld->n_shards; i++) total += df_shard_get_info(ld->shards[i])->examples;
  ld->ex_shard = malloc(sizeof(int32_t) * (size_t)(total ? total : 1));
  ld->ex_row = malloc(sizeof(int64_t) * (size_t)(total ? total : 1));
  ld->ex_label = malloc(sizeof(int32_t) * (size_t)(total ? total : 1));
  if (!ld->ex_shard || !ld->ex_row || !ld->ex_label) return DF_FAIL(DF_ERR_OOM, "loader index");
  for (int i = 0; i < ld->n_shards; i++) {
    for (int64_t r = 0; r < df_shard_get_info(ld->shards[i])->examples; r++) {
      df_example_meta m;
      df_shard_meta(ld->shards[i], r, &m);
      if (m.split != o->split) continue;
      if (filter && (m.label < 0 || !wanted[m.label])) continue;
      if (o->labelled_only && m.label < 0) continue;
      ld->ex_shard[ld->n] = i;
      ld->ex_row[ld->n] = r;
      ld->ex_label[ld->n++] = m.label;
    }
  }
  ld->info.examples = ld->n;
  if (ld->n < o->batch_size)
    return DF_FAIL(DF_ERR_INVALID_ARG, "loader: %s, split %s: %lld examples%s, fewer than the batch size %d",
                   o->path, df_split_name(o->split), (long long)ld->n,
                   filter || o->labelled_only ? " after the filters" : "", o->batch_size);
  return DF_OK;
}

df_status df_loader_open(const df_loader_options *o, df_loader **out) {
  *out = NULL;
  if (!o->path || o->batch_size < 1 || (unsigned)o->split >= DF_N_SPLITS)
    return DF_FAIL(DF_ERR_INVALID_ARG, "loader: needs a path, a split and a batch size >= 1");
  const df_backend *be = df_backend_for(o->device);
  if (!be) return DF_ERR_NO_DEVICE;
  df_loader *ld = calloc(1, sizeof *ld);
  if (!ld) return DF_FAIL(DF_ERR_OOM, "loader");
  pthread_mutex_init(&ld->mu, NULL);
  pthread_cond_init(&ld->cv, NULL);
  ld->held = -1;
  ld->perm_epoch = -1;
  ld->batch = o->batch_size;
  df_status st = open_shards(ld, o);
  if (st == DF_OK && ld->n_shards == 0)
    st = DF_FAIL(DF_ERR_NOT_FOUND, "loader: %s has no %s shards", o->path, df_split_name(o->split));
  if (st == DF_OK) st = list_examples(ld, o);
  if (st == DF_OK) {
    ld->per = (size_t)ld->info.channels * (size_t)ld->info.length;
    ld->perm = malloc(sizeof(int64_t) * (size_t)ld->n);
    if (!ld->perm) st = DF_FAIL(DF_ERR_OOM, "loader permutation");
  }
  ld->be = be;
  for (int k = 0; k < SLOTS && st == DF_OK; k++) {
    st = be->host_alloc(sizeof(float) * ld->per * (size_t)ld->batch, (void **)&ld->slots[k].audio);
    if (st == DF_OK) st = be->host_alloc(sizeof(int32_t) * (size_t)ld->batch, (void **)&ld->slots[k].labels);
  }
  if (st == DF_OK) {
    ld->consumed = (df_loader_state){0, 0, o->seed, 0, (uint64_t)ld->n};
    ld->pos = ld->consumed;
    st = start(ld);
  }
  if (st != DF_OK) {
    df_loader_close(ld);
    return st;
  }
  *out = ld;
  return DF_OK;
}
