/* The generation manifest: one JSON line per written file, in file order (JSON Lines). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drumforge/postfx.h"
#include "generate/gen_internal.h"

/* A latent as a JSON array of floats that read back exactly (9 significant digits). */
static char *latent_json(const float *z, int dim) {
  size_t cap = 2 + (size_t)dim * 18;
  char *s = malloc(cap);
  if (!s) return NULL;
  size_t used = 0;
  s[used++] = '[';
  for (int i = 0; i < dim; i++) used += (size_t)snprintf(s + used, cap - used, "%s%.9g", i ? "," : "", z[i]);
  snprintf(s + used, cap - used, "]");
  return s;
}

static cJSON *post_json(const df_postfx_options *p) {
  cJSON *o = cJSON_CreateObject();
  if (p->lowpass > 0) {
    cJSON_AddNumberToObject(o, "lowpass", p->lowpass);
    cJSON_AddNumberToObject(o, "lowpass_order", p->lowpass_order);
  }
  if (p->smooth > 1) cJSON_AddNumberToObject(o, "smooth", p->smooth);
  if (p->trim) {
    cJSON_AddNumberToObject(o, "trim_db", p->trim_db);
    cJSON_AddNumberToObject(o, "fade_ms", p->fade_ms);
  }
  if (p->normalize == DF_NORMALIZE_PEAK) cJSON_AddNumberToObject(o, "peak_db", p->normalize_db);
  if (p->normalize == DF_NORMALIZE_RMS) cJSON_AddNumberToObject(o, "rms_db", p->normalize_db);
  return o;
}

/* "seed" as an integer literal, exact beyond 2^53. */
static void add_seed(cJSON *o, uint64_t seed) {
  char text[24];
  snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
  cJSON_AddRawToObject(o, "seed", text);
}

static const char *encoding_name(df_audio_encoding e) {
  return e == DF_AUDIO_PCM16 ? "pcm16" : e == DF_AUDIO_PCM24 ? "pcm24" : "float32";
}

df_status gen_manifest_line(const gen_run *run, const gen_item *it, const char *file, int64_t frames,
                            int64_t clipped, char **line) {
  const df_generate_options *o = run->o;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "file", file);
  cJSON_AddNumberToObject(j, "index", (double)it->position);
  if (it->class_id >= 0) cJSON_AddStringToObject(j, "class", run->m->class_names[it->class_id]);
  else cJSON_AddNullToObject(j, "class");
  if (o->source == DF_LATENTS_SEED) {
    cJSON_AddStringToObject(j, "source", "seed");
    add_seed(j, o->seed);
    cJSON_AddNumberToObject(j, "truncation", o->truncation);
  } else if (o->source == DF_LATENTS_ROWS) {
    cJSON_AddStringToObject(j, "source", "latents");
    cJSON_AddStringToObject(j, "latents_file", o->rows_origin ? o->rows_origin : "");
    cJSON_AddNumberToObject(j, "row", (double)it->position);
  } else {
    cJSON_AddStringToObject(j, "source", "interpolation");
    cJSON *ip = cJSON_AddObjectToObject(j, "interpolation");
    cJSON_AddStringToObject(ip, "from", o->interp_a_origin ? o->interp_a_origin : "");
    cJSON_AddStringToObject(ip, "to", o->interp_b_origin ? o->interp_b_origin : "");
    cJSON_AddNumberToObject(ip, "t", (double)it->position / (double)(o->steps - 1));
    cJSON_AddStringToObject(ip, "method", o->slerp ? "slerp" : "linear");
  }
  char *z = latent_json(it->latents, run->dim);
  if (z) cJSON_AddRawToObject(j, "latent", z);
  free(z);
  cJSON_AddNumberToObject(j, "batch", o->batch);
  /* true: the file's bits do not depend on the batch (CPU without fast_batches) */
  cJSON_AddBoolToObject(j, "batch_invariant", run->m->device == DF_DEVICE_CPU && !o->fast_batches);
  cJSON_AddStringToObject(j, "checkpoint", run->checkpoint);
  cJSON_AddNumberToObject(j, "step", (double)run->m->step);
  cJSON_AddStringToObject(j, "model", run->m->type->name);
  cJSON_AddNumberToObject(j, "rate", run->out_rate);
  cJSON_AddNumberToObject(j, "channels", run->channels);
  cJSON_AddNumberToObject(j, "frames", (double)frames);
  cJSON_AddStringToObject(j, "encoding", encoding_name(o->encoding));
  if (clipped) cJSON_AddNumberToObject(j, "clipped", (double)clipped);
  cJSON *post = post_json(&o->post);
  if (cJSON_GetArraySize(post) > 0) cJSON_AddItemToObject(j, "post", post);
  else cJSON_Delete(post);
  if (run->n_bars) {
    cJSON *t = cJSON_AddObjectToObject(j, "tile");
    cJSON_AddStringToObject(t, "pattern", o->tile.pattern);
    cJSON_AddNumberToObject(t, "bars", run->n_bars);
    cJSON_AddNumberToObject(t, "bpm", o->tile.bpm);
    cJSON_AddNumberToObject(t, "bar_frames", (double)run->bar_frames);
    cJSON_AddNumberToObject(t, "variation", o->tile.variation);
    if (run->letters > 1) {
      /* The variations' stream: with --latents or --interpolate the line names no seed otherwise. */
      add_seed(t, o->seed);
      cJSON_AddNumberToObject(t, "truncation", o->truncation);
    }
    cJSON *bars = cJSON_AddArrayToObject(t, "latents");
    for (int k = 0; k < run->letters; k++) {
      char *zk = latent_json(it->latents + (size_t)k * run->dim, run->dim);
      if (zk) cJSON_AddItemToArray(bars, cJSON_CreateRaw(zk));
      free(zk);
    }
  }
  char *text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  if (!text) return DF_FAIL(DF_ERR_OOM, "manifest line for %s", file);
  size_t n = strlen(text);
  char *out = malloc(n + 2);
  if (!out) {
    free(text);
    return DF_FAIL(DF_ERR_OOM, "manifest line for %s", file);
  }
  memcpy(out, text, n);
  out[n] = '\n';
  out[n + 1] = '\0';
  free(text);
  *line = out;
  return DF_OK;
}

/* ---------------------------------------------------------------- the ordered writer */
df_status gen_manifest_init(gen_manifest *mf, const char *dir, int64_t window) {
  memset(mf, 0, sizeof *mf);
  pthread_mutex_init(&mf->mu, NULL);
  mf->fd = -1;
  mf->window = window;
  snprintf(mf->path, sizeof mf->path, "%s/%s", dir, DF_GENERATE_MANIFEST);
  mf->pending = calloc((size_t)window, sizeof *mf->pending);
  mf->skipped = calloc((size_t)window, 1);
  if (!mf->pending || !mf->skipped) {
    gen_manifest_free(mf);
    return DF_FAIL(DF_ERR_OOM, "manifest window of %lld lines", (long long)window);
  }
  return DF_OK;
}

/* Appends one line with a single write, so a killed process leaves whole lines. Caller
 * holds the lock. */
static void write_line(gen_manifest *mf, char *line) {
  if (mf->error == DF_OK && mf->fd < 0) {
    if (mf->stale[0] && unlink(mf->stale) != 0 && errno != ENOENT) {
      mf->error = DF_ERR_IO;
      snprintf(mf->error_msg, sizeof mf->error_msg, "%s: cannot remove the earlier run's latents: %s", mf->stale,
               strerror(errno));
      free(line);
      return;
    }
    mf->fd = open(mf->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0666);
    if (mf->fd < 0) {
      mf->error = DF_ERR_IO;
      snprintf(mf->error_msg, sizeof mf->error_msg, "%s: cannot create: %s", mf->path, strerror(errno));
    }
  }
  size_t n = strlen(line);
  if (mf->error == DF_OK) {
    ssize_t w = write(mf->fd, line, n);
    if (w != (ssize_t)n) {
      mf->error = DF_ERR_IO;
      snprintf(mf->error_msg, sizeof mf->error_msg, "%s: write failed: %s", mf->path,
               w < 0 ? strerror(errno) : "disk full?");
    } else {
      mf->lines++;
    }
  }
  free(line);
}

int64_t gen_manifest_put(gen_manifest *mf, int64_t number, char *line) {
  pthread_mutex_lock(&mf->mu);
  int64_t k = number % mf->window;
  mf->pending[k] = line;
  mf->skipped[k] = line == NULL;
  while (mf->pending[mf->next % mf->window] || mf->skipped[mf->next % mf->window]) {
    int64_t at = mf->next % mf->window;
    if (mf->pending[at]) write_line(mf, mf->pending[at]);
    mf->pending[at] = NULL;
    mf->skipped[at] = 0;
    mf->next++;
  }
  int64_t next = mf->next;
  pthread_mutex_unlock(&mf->mu);
  return next;
}

df_status gen_manifest_finish(gen_manifest *mf) {
  pthread_mutex_lock(&mf->mu);
  for (int64_t i = 0; i < mf->window; i++) {
    int64_t at = (mf->next + i) % mf->window;
    if (mf->pending[at]) write_line(mf, mf->pending[at]);
    mf->pending[at] = NULL;
  }
  if (mf->fd >= 0) {
    if (mf->error == DF_OK && fsync(mf->fd) != 0) {
      mf->error = DF_ERR_IO;
      snprintf(mf->error_msg, sizeof mf->error_msg, "%s: fsync failed: %s", mf->path, strerror(errno));
    }
    close(mf->fd);
    mf->fd = -1;
  }
  df_status s = mf->error;
  pthread_mutex_unlock(&mf->mu);
  return s ? DF_FAIL(s, "%s", mf->error_msg) : DF_OK;
}

void gen_manifest_free(gen_manifest *mf) {
  if (mf->pending)
    for (int64_t i = 0; i < mf->window; i++) free(mf->pending[i]);
  free(mf->pending);
  free(mf->skipped);
  if (mf->fd >= 0) close(mf->fd);
  pthread_mutex_destroy(&mf->mu);
  mf->pending = NULL;
  mf->skipped = NULL;
  mf->fd = -1;
}
