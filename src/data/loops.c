/* The loop builder (src/data/loops.h). */
#include "data/loops.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/text.h"
#include "drumforge/rng.h"

/* ------------------------------------------------------------------ patterns */
static float step_velocity(char c) {
  return c == 'X' ? 1.0f : c == 'x' ? 0.8f : c == 'o' ? 0.4f : 0.0f;
}

typedef struct table {
  const char *path;
  char (*names)[DF_CLASS_NAME_LEN];
  int n_names;
  loop_pattern **pats;
  int *n;
} table;

static df_status parse_row(void *ctx, int line, char **f, int nf) {
  const table *tb = ctx;
  const char *path = tb->path;
  loop_pattern **pats = tb->pats;
  int *n = tb->n;
  if (nf != 3) return DF_FAIL(DF_ERR_CONFIG, "%s:%d: want NAME<TAB>CLASS<TAB>STEPS", path, line);
  int cls = -1;
  for (int c = 0; c < tb->n_names; c++)
    if (!strcmp(tb->names[c], f[1])) cls = c;
  if (cls < 0) return DF_FAIL(DF_ERR_CONFIG, "%s:%d: class '%s' is not a dataset class", path, line, f[1]);
  int steps = (int)strlen(f[2]);
  if (steps != 16 && steps != 32)
    return DF_FAIL(DF_ERR_CONFIG, "%s:%d: %d steps (want 16 or 32)", path, line, steps);
  for (int k = 0; k < steps; k++)
    if (!strchr(".oxX", f[2][k]))
      return DF_FAIL(DF_ERR_CONFIG, "%s:%d: step %d is '%c' (use . o x X)", path, line, k + 1, f[2][k]);
  loop_pattern *p = NULL;
  for (int i = 0; i < *n; i++)
    if (!strcmp((*pats)[i].name, f[0])) p = &(*pats)[i];
  if (!p) {
    loop_pattern *grown = realloc(*pats, sizeof *grown * (size_t)(*n + 1));
    if (!grown) return DF_FAIL(DF_ERR_OOM, "%s", path);
    *pats = grown;
    p = &grown[(*n)++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", f[0]);
    p->steps = steps;
  }
  if (p->steps != steps)
    return DF_FAIL(DF_ERR_CONFIG, "%s:%d: pattern '%s' mixes 16 and 32 steps", path, line, p->name);
  if (p->n_tracks == LOOP_MAX_TRACKS)
    return DF_FAIL(DF_ERR_CONFIG, "%s:%d: pattern '%s' has more than %d rows", path, line, p->name, LOOP_MAX_TRACKS);
  int t = p->n_tracks++;
  p->track_class[t] = cls;
  for (int k = 0; k < steps; k++) p->velocity[t][k] = step_velocity(f[2][k]);
  return DF_OK;
}

df_status loop_patterns_load(const char *path, char names[][DF_CLASS_NAME_LEN], int n_names,
                             loop_pattern **out, int *n) {
  *out = NULL;
  *n = 0;
  table t = {path, names, n_names, out, n};
  df_status st = text_read_table(path, 4, parse_row, &t);
  if (st == DF_OK && *n == 0) st = DF_FAIL(DF_ERR_CONFIG, "%s: no patterns", path);
  if (st != DF_OK) {
    free(*out);
    *out = NULL;
    *n = 0;
  }
  return st;
}

/* ------------------------------------------------------------------ rendering */
int64_t loop_step_sample(int step, double bpm, int rate) {
  return (int64_t)llround((double)step * rate * 60.0 / (bpm * 4.0));
}

int loop_render(const loop_pattern *p, int bars, double bpm, int rate, const df_audio *const *samples,
                const int64_t *jitter, const float *gain_scale, float *out, int channels,
                int64_t length, loop_hit *hits, int max_hits) {
  memset(out, 0, sizeof(float) * (size_t)channels * (size_t)length);
  int steps = bars * LOOP_STEPS_PER_BAR;
  int64_t end = loop_step_sample(steps, bpm, rate);
  if (end > length) end = length;
  int h = 0, played = 0;
  for (int t = 0; t < p->n_tracks; t++) {
    const df_audio *s = samples[t];
    for (int k = 0; k < steps; k++) {
      float v = p->velocity[t][k % p->steps];
      if (v <= 0 || !s) continue;
      int64_t onset = loop_step_sample(k, bpm, rate) + (jitter ? jitter[h] : 0);
      float gain = v * (gain_scale ? gain_scale[h] : 1.0f);
      h++;
      if (onset < 0) onset = 0;
      if (onset >= end) continue;
      int64_t n = s->frames < end - onset ? s->frames : end - onset;
      for (int c = 0; c < channels; c++) {
        const float *src = s->data + (int64_t)(c < s->channels ? c : 0) * s->frames;
        float *dst = out + (int64_t)c * length + onset;
        for (int64_t i = 0; i < n; i++) dst[i] += gain * src[i];
      }
      if (hits && played < max_hits) hits[played] = (loop_hit){t, k, onset, gain};
      played++;
    }
  }
  return played;
}

/* ------------------------------------------------------------------ the pool */
typedef struct pool_clip {
  df_audio audio;
  char *source;
  int kit, cls;
} pool_clip;

typedef struct pool_kit {
  char *name;
  char *path; /* the folder of its first clip */
  df_split split;
} pool_kit;

struct loop_pool {
  const df_prepare_options *opt;
  df_shard_info info;
  loop_pattern *pats;
  int n_pats;
  int playable[DF_MAX_CLASSES]; /* classes named by --loop-tracks */
  pool_clip *clips;
  int n_clips, cap_clips;
  pool_kit *kits;
  int n_kits;
};

/* A --loop-tracks name that is no class: where this dataset's classes come from, and which they are. */
static df_status unknown_track(const df_prepare_options *opt, const df_shard_info *info, const char *track) {
  if (info->n_classes == 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "loop tracks: '%s' is not a class: this dataset has none (--labels none)", track);
  char names[1024] = "";
  for (int c = 0; c < info->n_classes; c++) {
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", c ? ", " : "", info->class_names[c]);
  }
  return DF_FAIL(DF_ERR_INVALID_ARG, "loop tracks: '%s' is not a class of %s (%s)", track,
                 opt->labels == DF_LABELS_FOLDER ? "this dataset, whose classes are the inputs' folder names" : "the class table",
                 names);
}

df_status loop_pool_create(const df_prepare_options *opt, const df_shard_info *info, loop_pool **out) {
  loop_pool *p = calloc(1, sizeof *p);
  if (!p) return DF_FAIL(DF_ERR_OOM, "loop pool");
  p->opt = opt;
  p->info = *info;
  *out = p;
  char path[4200];
  if (opt->loops.patterns) snprintf(path, sizeof path, "%s", opt->loops.patterns);
  else snprintf(path, sizeof path, "%s/loop_patterns.tsv", df_data_dir());
  DF_TRY(loop_patterns_load(path, p->info.class_names, p->info.n_classes, &p->pats, &p->n_pats));
  char tracks[1024];
  snprintf(tracks, sizeof tracks, "%s", opt->loops.tracks ? opt->loops.tracks : "");
  char *save = NULL;
  for (char *tok = strtok_r(tracks, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    int found = 0;
    for (int c = 0; c < p->info.n_classes; c++)
      if (!strcmp(p->info.class_names[c], tok)) found = p->playable[c] = 1;
    if (!found) return unknown_track(opt, &p->info, tok);
  }
  return DF_OK;
}

void loop_pool_free(loop_pool *p) {
  if (!p) return;
  for (int i = 0; i < p->n_clips; i++) {
    df_audio_free(&p->clips[i].audio);
    free(p->clips[i].source);
  }
  for (int k = 0; k < p->n_kits; k++) {
    free(p->kits[k].name);
    free(p->kits[k].path);
  }
  free(p->clips);
  free(p->kits);
  free(p->pats);
  free(p);
}

df_status loop_pool_add(loop_pool *p, df_split split, const char *kit, int label,
                        const char *source, df_audio *clip) {
  if (label < 0 || !p->playable[label]) return DF_OK;
  /* A kit per (name, split): split by file, one kit's samples are in several splits, and a
   * loop may only use samples of its own split (no test sample in a training loop). */
  int k = 0;
  while (k < p->n_kits && (strcmp(p->kits[k].name, kit) || p->kits[k].split != split)) k++;
  if (k == p->n_kits) {
    pool_kit *grown = realloc(p->kits, sizeof *grown * (size_t)(p->n_kits + 1));
    if (!grown) return DF_FAIL(DF_ERR_OOM, "loop pool");
    p->kits = grown;
    const char *slash = strrchr(source, '/');
    grown[k] = (pool_kit){strdup(kit), slash ? strndup(source, (size_t)(slash - source)) : strdup("."), split};
    p->n_kits++;
  }
  if (p->n_clips == p->cap_clips) {
    int cap = p->cap_clips ? 2 * p->cap_clips : 256;
    pool_clip *grown = realloc(p->clips, sizeof *grown * (size_t)cap);
    if (!grown) return DF_FAIL(DF_ERR_OOM, "loop pool");
    p->clips = grown;
    p->cap_clips = cap;
  }
  pool_clip *c = &p->clips[p->n_clips++];
  c->audio = *clip;
  memset(clip, 0, sizeof *clip); /* taken */
  c->source = strdup(source);
  c->kit = k;
  c->cls = label;
  return DF_OK;
}

/* The clips of class cls in kit k: indices into p->clips. */
static int kit_clips(const loop_pool *p, int k, int cls, int *idx, int max) {
  int n = 0;
  for (int i = 0; i < p->n_clips && n < max; i++)
    if (p->clips[i].kit == k && p->clips[i].cls == cls) idx[n++] = i;
  return n;
}

/* A pattern reduced to the playable rows that fit the bar count. */
static int playable_pattern(const loop_pool *p, const loop_pattern *in, loop_pattern *out) {
  if (in->steps > p->opt->loops.bars * LOOP_STEPS_PER_BAR) return 0;
  *out = *in;
  out->n_tracks = 0;
  int groove = 0;
  for (int t = 0; t < in->n_tracks; t++) {
    int c = in->track_class[t];
    if (!p->playable[c]) continue;
    out->track_class[out->n_tracks] = c;
    memcpy(out->velocity[out->n_tracks++], in->velocity[t], sizeof in->velocity[t]);
    groove |= !strcmp(p->info.class_names[c], "kick") || !strcmp(p->info.class_names[c], "snare");
  }
  return out->n_tracks > 0 && groove;
}

static int kit_has_all(const loop_pool *p, int k, const loop_pattern *pat) {
  int idx[1];
  for (int t = 0; t < pat->n_tracks; t++)
    if (!kit_clips(p, k, pat->track_class[t], idx, 1)) return 0;
  return 1;
}

/* How many loops each split gets: the fractions of the total, remainders to the largest. */
static void loops_per_split(int64_t count, const double split[DF_N_SPLITS], int64_t out[DF_N_SPLITS]) {
  double sum = split[0] + split[1] + split[2];
  int64_t given = 0;
  for (int s = 0; s < DF_N_SPLITS; s++) given += out[s] = (int64_t)floor(count * split[s] / sum);
  for (int s = 0; given < count; s = (s + 1) % DF_N_SPLITS)
    if (split[s] > 0) {
      out[s]++;
      given++;
    }
}

static char *pattern_json(const loop_pool *p, const loop_pattern *pat, double bpm, int k,
                          const int *pick, const loop_hit *hits, int n_hits) {
  cJSON *j = cJSON_CreateObject();
  if (!j) return NULL;
  cJSON_AddStringToObject(j, "pattern", pat->name);
  cJSON_AddNumberToObject(j, "bpm", bpm);
  cJSON_AddNumberToObject(j, "bars", p->opt->loops.bars);
  cJSON_AddNumberToObject(j, "sample_rate", p->info.rate);
  cJSON_AddNumberToObject(j, "steps_per_bar", LOOP_STEPS_PER_BAR);
  char *kit = text_utf8_clean(p->kits[k].name);
  cJSON_AddStringToObject(j, "kit", kit ? kit : "");
  free(kit);
  cJSON *tracks = cJSON_AddArrayToObject(j, "tracks");
  for (int t = 0; t < pat->n_tracks; t++) {
    cJSON *tr = cJSON_CreateObject();
    cJSON_AddStringToObject(tr, "class", p->info.class_names[pat->track_class[t]]);
    char *src = text_utf8_clean(p->clips[pick[t]].source);
    cJSON_AddStringToObject(tr, "source", src ? src : "");
    free(src);
    cJSON_AddItemToArray(tracks, tr);
  }
  cJSON *hl = cJSON_AddArrayToObject(j, "hits");
  for (int h = 0; h < n_hits; h++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "track", hits[h].track);
    cJSON_AddNumberToObject(e, "step", hits[h].step);
    cJSON_AddNumberToObject(e, "onset", (double)hits[h].onset);
    cJSON_AddNumberToObject(e, "gain", round(hits[h].gain * 1e4) / 1e4);
    cJSON_AddItemToArray(hl, e);
  }
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return s;
}

/* One loop: the pair (kit, pattern), tempo, samples, timing and velocity all drawn from rng. */
static df_status render_one(loop_pool *p, df_rng *rng, const int *pair_kit, const loop_pattern *pair_pat,
                            int n_pairs, float *audio, loop_emit_fn emit, void *ctx, df_split s,
                            int64_t index) {
  const df_loop_options *lo = &p->opt->loops;
  int q = df_rng_int(rng, 0, n_pairs - 1), k = pair_kit[q];
  const loop_pattern *pat = &pair_pat[q];
  double bpm = lo->bpm_min + (lo->bpm_max - lo->bpm_min) * df_rng_uniform1(rng);
  int pick[LOOP_MAX_TRACKS], idx[4096];
  const df_audio *samples[LOOP_MAX_TRACKS];
  for (int t = 0; t < pat->n_tracks; t++) {
    int n = kit_clips(p, k, pat->track_class[t], idx, 4096);
    pick[t] = idx[df_rng_int(rng, 0, n - 1)];
    samples[t] = &p->clips[pick[t]].audio;
  }
  int max_hits = LOOP_MAX_TRACKS * LOOP_MAX_STEPS;
  int64_t jitter[LOOP_MAX_TRACKS * LOOP_MAX_STEPS];
  float gain[LOOP_MAX_TRACKS * LOOP_MAX_STEPS];
  double range = lo->humanize_ms * 1e-3 * p->info.rate;
  for (int h = 0; h < max_hits; h++) {
    jitter[h] = (int64_t)llround((2.0 * df_rng_uniform1(rng) - 1.0) * range);
    gain[h] = (float)(1.0 + (2.0 * df_rng_uniform1(rng) - 1.0) * lo->velocity_jitter);
  }
  loop_hit hits[LOOP_MAX_TRACKS * LOOP_MAX_STEPS];
  int n_hits = loop_render(pat, lo->bars, bpm, p->info.rate, samples, jitter, gain, audio,
                           p->info.channels, p->info.length, hits, max_hits);
  char *json = pattern_json(p, pat, bpm, k, pick, hits, n_hits < max_hits ? n_hits : max_hits);
  if (!json) return DF_FAIL(DF_ERR_OOM, "loop pattern");
  int64_t end = loop_step_sample(lo->bars * LOOP_STEPS_PER_BAR, bpm, p->info.rate);
  df_status st = emit(ctx, s, audio, end < p->info.length ? end : p->info.length, p->kits[k].name,
                      p->kits[k].path, json, index);
  free(json);
  return st;
}

/* The playable (kit, pattern) pairs of split s into pair_kit/pair_pat; returns their count. */
static int split_pairs(const loop_pool *p, df_split s, int *pair_kit, loop_pattern *pair_pat) {
  int n = 0;
  for (int k = 0; k < p->n_kits; k++) {
    if (p->kits[k].split != s) continue;
    for (int i = 0; i < p->n_pats; i++)
      if (playable_pattern(p, &p->pats[i], &pair_pat[n]) && kit_has_all(p, k, &pair_pat[n])) pair_kit[n++] = k;
  }
  return n;
}

df_status loop_pool_render(loop_pool *p, loop_emit_fn emit, void *ctx, int64_t rendered[DF_N_SPLITS]) {
  int max_pairs = p->n_kits * p->n_pats;
  int *pair_kit = malloc(sizeof(int) * (size_t)(max_pairs ? max_pairs : 1));
  loop_pattern *pair_pat = malloc(sizeof(loop_pattern) * (size_t)(max_pairs ? max_pairs : 1));
  float *audio = malloc(sizeof(float) * (size_t)p->info.channels * (size_t)p->info.length);
  df_status st = pair_kit && pair_pat && audio ? DF_OK : DF_FAIL(DF_ERR_OOM, "loops");
  /* A split without a kit that can play (one kit, split by kit, is in one split only) gets
   * no share: the N loops asked for go to the splits that can have them. */
  double share[DF_N_SPLITS] = {0, 0, 0};
  for (int s = 0; s < DF_N_SPLITS && st == DF_OK; s++)
    share[s] = split_pairs(p, (df_split)s, pair_kit, pair_pat) > 0 ? p->opt->split[s] : 0.0;
  int64_t want[DF_N_SPLITS] = {0};
  if (share[0] + share[1] + share[2] > 0) loops_per_split(p->opt->loops.count, share, want);
  for (int s = 0; s < DF_N_SPLITS && st == DF_OK; s++) {
    rendered[s] = 0;
    int n_pairs = split_pairs(p, (df_split)s, pair_kit, pair_pat);
    for (int64_t i = 0; i < want[s] && n_pairs > 0 && st == DF_OK; i++) {
      uint64_t h = text_fnv1a(TEXT_FNV_INIT, "loop", 4);
      h = text_fnv1a(h, &s, sizeof s);
      h = text_fnv1a(h, &i, sizeof i);
      df_rng rng;
      df_rng_init(&rng, text_mix(h, p->opt->seed));
      st = render_one(p, &rng, pair_kit, pair_pat, n_pairs, audio, emit, ctx, (df_split)s, i);
      rendered[s]++;
    }
  }
  free(pair_kit);
  free(pair_pat);
  free(audio);
  return st;
}

/* printf appended to buf[cap] at *n, cut at the end. */
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(buf + *n, cap - *n, fmt, ap);
  va_end(ap);
  if (w > 0) *n = *n + (size_t)w < cap ? *n + (size_t)w : cap - 1;
}

char *loop_pool_why_none(const loop_pool *p) {
  char buf[1024] = "";
  size_t n = 0;
  const char *tracks = p->opt->loops.tracks ? p->opt->loops.tracks : "";
  loop_pattern pat;
  int found = 0;
  for (int i = 0; i < p->n_pats && !found; i++) found = playable_pattern(p, &p->pats[i], &pat);
  if (p->n_clips == 0) {
    append(buf, sizeof buf, &n, "none has a class that the loops play (--loop-tracks %s)", tracks);
  } else if (!found) {
    append(buf, sizeof buf, &n, "no pattern of %d %d-bar patterns plays kick or snare with --loop-tracks %s",
           p->n_pats, p->opt->loops.bars, tracks);
  } else {
    append(buf, sizeof buf, &n, "a loop needs one kit (a Hydrogen kit, or an input folder of one-shots) with a sample of every class its pattern plays, e.g. '%s': ",
           pat.name);
    for (int t = 0; t < pat.n_tracks; t++)
      append(buf, sizeof buf, &n, "%s%s", t ? ", " : "", p->info.class_names[pat.track_class[t]]);
    append(buf, sizeof buf, &n, "; the %d kit%s ha%s:", p->n_kits, p->n_kits == 1 ? "" : "s", p->n_kits == 1 ? "s" : "ve");
    for (int k = 0; k < p->n_kits && k < 4; k++) {
      /* A kit split by file is one entry per split: name the split then. */
      int split_too = 0;
      for (int j = 0; j < p->n_kits; j++)
        split_too |= j != k && !strcmp(p->kits[j].name, p->kits[k].name);
      append(buf, sizeof buf, &n, "%s %s%s%s (", k ? "," : "", p->kits[k].name, split_too ? " in " : "",
             split_too ? df_split_name(p->kits[k].split) : "");
      int idx[1], any = 0;
      for (int c = 0; c < p->info.n_classes; c++)
        if (kit_clips(p, k, c, idx, 1)) append(buf, sizeof buf, &n, "%s%s", any++ ? ", " : "", p->info.class_names[c]);
      append(buf, sizeof buf, &n, ")");
    }
    if (p->n_kits > 4) append(buf, sizeof buf, &n, ", ...");
  }
  return strdup(buf);
}
