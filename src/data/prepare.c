/* df_prepare: input folders -> scanned files -> labels and splits -> processed clips ->
 * examples (or loops) -> shards -> manifest.json (include/drumforge/dataset.h). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/classmap.h"
#include "data/clip.h"
#include "data/loops.h"
#include "data/manifest.h"
#include "data/scan.h"
#include "data/shard.h"
#include "data/splits.h"
#include "data/text.h"
#include "drumforge/fileio.h"

void df_prepare_defaults(df_prepare_options *o) {
  memset(o, 0, sizeof *o);
  o->rate = 16000;
  o->length = 16384;
  o->channels = 1;
  o->split[0] = 0.8;
  o->split[1] = 0.1;
  o->split[2] = 0.1;
  o->trim = 1;
  o->trim_db = -60.0;
  o->silence_db = -60.0;
  o->bars = 1;
  o->aug_snr_db = 30.0;
  o->aug_gain_db = 3.0;
  o->aug_shift = 160;
  o->max_seconds = DF_AUDIO_DEFAULT_MAX_SECONDS;
  o->loops.bpm_min = 120.0;
  o->loops.bpm_max = 125.0;
  o->loops.bars = 1;
  o->loops.tracks = "kick,snare,hh_closed,hh_open";
}

df_status df_prepare_check_options(const df_prepare_options *o) {
#define BAD(...) return DF_FAIL(DF_ERR_INVALID_ARG, __VA_ARGS__)
  if (o->n_inputs < 1 || !o->inputs) BAD("no input folder");
  if (!o->out_dir || !o->out_dir[0]) BAD("no output folder");
  if (o->rate < 4000 || o->rate > 384000) BAD("rate %d Hz outside [4000, 384000]", o->rate);
  if (o->length < 256 || o->length > (1 << 22)) BAD("length %lld outside [256, 4194304]", (long long)o->length);
  if (o->channels != 1 && o->channels != 2) BAD("channels must be 1 or 2, not %d", o->channels);
  double sum = 0;
  for (int s = 0; s < DF_N_SPLITS; s++) {
    if (!(o->split[s] >= 0 && isfinite(o->split[s]))) BAD("split share %g is not a finite number >= 0", o->split[s]);
    sum += o->split[s];
  }
  if (!(sum > 0 && isfinite(sum))) BAD("the split shares add up to %g, not a positive finite number", sum);
  if (o->trim && !(o->trim_db < 0)) BAD("trim threshold %g dB must be below 0", o->trim_db);
  if (!(o->silence_db < 0)) BAD("silence threshold %g dB must be below 0", o->silence_db);
  if (o->hop < 0) BAD("negative hop");
  if (o->bpm < 0 || (o->bpm > 0 && (o->bpm < 20 || o->bpm > 400))) BAD("bpm %g outside [20, 400]", o->bpm);
  if (o->bpm > 0 && (o->bars < 1 || o->bars > 64)) BAD("bars %d outside [1, 64]", o->bars);
  if (o->bpm > 0 && o->hop > 0) BAD("choose a hop or a bpm, not both");
  if (!(o->normalize_peak >= 0 && o->normalize_peak <= 1)) BAD("normalisation peak %g outside [0, 1]", o->normalize_peak);
  if (o->augment < 0 || o->augment > 1000) BAD("augment %d outside [0, 1000]", o->augment);
  if (o->augment && (o->aug_gain_db < 0 || o->aug_shift < 0 || o->aug_shift >= o->length))
    BAD("augmentation gain must be >= 0 dB and the shift in [0, length)");
  if (o->shard_examples < 0) BAD("negative shard size");
  if (!(o->max_seconds > 0)) BAD("max seconds must be positive");
  const df_loop_options *l = &o->loops;
  if (l->count < 0) BAD("negative loop count");
  if (l->count > 0) {
    if (l->bars != 1 && l->bars != 2) BAD("loops have 1 or 2 bars, not %d", l->bars);
    if (!(l->bpm_min >= 20 && l->bpm_max >= l->bpm_min && l->bpm_max <= 400))
      BAD("loop tempo range %g-%g outside [20, 400]", l->bpm_min, l->bpm_max);
    /* A hit moves at most half a 16th step at the fastest tempo: it never passes its
     * neighbours, so the loop still plays its pattern. */
    const double max_humanize = 0.5 * 60000.0 / (l->bpm_max * 4.0);
    if (!(l->humanize_ms >= 0 && l->humanize_ms <= max_humanize))
      BAD("humanize %g ms outside [0, %g] (half a 16th step at %g bpm: hits would pass their neighbours)",
          l->humanize_ms, max_humanize, l->bpm_max);
    if (!(l->velocity_jitter >= 0 && l->velocity_jitter <= 1)) BAD("velocity jitter %g outside [0, 1]", l->velocity_jitter);
    if (o->bpm > 0 || o->hop > 0) BAD("the loop builder takes whole one-shots (no hop or bpm)");
  }
#undef BAD
  return DF_OK;
}

/* ------------------------------------------------------------------ the run's state */
typedef struct prep {
  const df_prepare_options *opt;
  classmap map;
  scan_list scan;
  int32_t *label;   /* per scan item */
  df_split *split;  /* per scan item */
  df_shard_info info;
  manifest man;
  shard_buffer buf[DF_N_SPLITS];
  int shard_no[DF_N_SPLITS];
  int64_t counts[DF_N_SPLITS][DF_MAX_CLASSES + 1];
  int64_t used_files;
  uint8_t *used;       /* per scan item: gave examples (or loop one-shots) */
  uint64_t *seen_hash; /* duplicate detection: open addressing over clip hashes */
  int64_t *seen_item;
  int64_t seen_cap;
  loop_pool *loops;
  df_prepare_result *res;
  char work[4200]; /* the folder the dataset is built in (see open_work) */
  int keep_work;   /* install failed half-way: the work folder holds the only complete dataset */
  int made_out;    /* OUT did not exist before */
  int out_lock;    /* OUT, locked for the run (see open_out); -1: not yet */
} prep;

/* ------------------------------------------------------------------ labels */
static int name_order(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The class name an item gets (NULL: unlabelled); SKIP via *skip. */
static const char *item_class(prep *p, const scan_item *it, int *skip, int *rule) {
  *skip = 0;
  if (!it->label_name) return NULL;
  const char *kit = it->kit >= 0 ? it->group : NULL;
  int c = classmap_lookup(&p->map, kit, it->label_name, rule);
  if (c == CLASSMAP_SKIP) *skip = 1;
  if (p->opt->labels == DF_LABELS_FOLDER && it->kit < 0) return *skip ? NULL : it->label_name;
  return c >= 0 ? p->map.names[c] : NULL;
}

/* Fixes the class list and each item's label. The table's class order gives the ids; with
 * folder labels the distinct names, sorted, do. Plain-folder items that map to skip become
 * skipped items (kit instruments already were, by the scan). */
static df_status assign_labels(prep *p) {
  df_shard_info *in = &p->info;
  int64_t n = p->scan.n;
  p->label = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  if (!p->label) return DF_FAIL(DF_ERR_OOM, "labels");
  if (p->opt->labels == DF_LABELS_MAP) {
    in->n_classes = p->map.n_classes;
    memcpy(in->class_names, p->map.names, sizeof in->class_names);
  } else if (p->opt->labels == DF_LABELS_FOLDER) {
    const char **names = malloc(sizeof(char *) * (size_t)(n ? n : 1));
    int64_t m = 0;
    if (!names) return DF_FAIL(DF_ERR_OOM, "labels");
    for (int64_t i = 0; i < n; i++) {
      int skip, rule;
      const char *c = p->scan.items[i].kind == SCAN_AUDIO ? item_class(p, &p->scan.items[i], &skip, &rule) : NULL;
      if (c) names[m++] = c;
    }
    qsort(names, (size_t)m, sizeof(char *), name_order);
    for (int64_t i = 0; i < m; i++) {
      if (in->n_classes && !strcmp(in->class_names[in->n_classes - 1], names[i])) continue;
      const char *why = df_class_name_problem(names[i]);
      if (in->n_classes == DF_MAX_CLASSES || why) {
        df_status st = why ? DF_FAIL(DF_ERR_INVALID_ARG, "folder labels: the folder '%s' cannot be a class: %s (rename it)", names[i], why)
                           : DF_FAIL(DF_ERR_INVALID_ARG, "folder labels: more than %d classes ('%s')", DF_MAX_CLASSES, names[i]);
        free(names);
        return st;
      }
      snprintf(in->class_names[in->n_classes++], DF_CLASS_NAME_LEN, "%s", names[i]);
    }
    free(names);
  }
  for (int64_t i = 0; i < n; i++) {
    scan_item *it = &p->scan.items[i];
    p->label[i] = -1;
    if (it->kind != SCAN_AUDIO) continue;
    int skip, rule;
    const char *c = item_class(p, it, &skip, &rule);
    if (skip) {
      it->kind = SCAN_SKIPPED;
      it->reason = text_printf("folder '%s' is mapped to skip (%s line %d)", it->label_name, p->map.path, rule);
      if (!it->reason) return DF_FAIL(DF_ERR_OOM, "labels");
      continue;
    }
    if (p->opt->labels == DF_LABELS_NONE || !c) continue;
    for (int k = 0; k < in->n_classes; k++)
      if (!strcmp(in->class_names[k], c)) p->label[i] = k;
  }
  return DF_OK;
}

/* ------------------------------------------------------------------ splits */
static int by_kit(const prep *p, const scan_item *it) {
  return p->opt->split_by == DF_SPLIT_BY_KIT || (p->opt->split_by == DF_SPLIT_BY_AUTO && it->kit >= 0);
}

/* Items sorted by group, so equal groups are neighbours (qsort_r is not in C11: a file-scope
 * pointer carries the items). */
static const scan_item *sort_items;
static int group_order(const void *a, const void *b) {
  const scan_item *x = &sort_items[*(const int64_t *)a], *y = &sort_items[*(const int64_t *)b];
  int c = strcmp(x->group, y->group);
  return c ? c : (*(const int64_t *)a < *(const int64_t *)b ? -1 : 1);
}

static int64_t *items_by_group(const prep *p) {
  int64_t n = p->scan.n, *order = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if (!order) return NULL;
  for (int64_t i = 0; i < n; i++) order[i] = i;
  sort_items = p->scan.items;
  qsort(order, (size_t)n, sizeof(int64_t), group_order);
  return order;
}

static df_status assign_splits(prep *p) {
  int64_t n = p->scan.n;
  p->split = calloc((size_t)(n ? n : 1), sizeof(df_split));
  int64_t *order = items_by_group(p);
  const char **keys = malloc(sizeof(char *) * (size_t)(n ? n : 1));
  int64_t *weights = calloc((size_t)(n ? n : 1), sizeof(int64_t));
  int64_t *unit_of = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  df_split *unit_split = malloc(sizeof(df_split) * (size_t)(n ? n : 1));
  df_status st = p->split && order && keys && weights && unit_of && unit_split ? DF_OK : DF_FAIL(DF_ERR_OOM, "splits");
  int64_t units = 0;
  int any_label = 0;
  for (int64_t i = 0; i < n; i++) any_label |= p->label[i] >= 0;
  for (int64_t k = 0; k < n && st == DF_OK; k++) {
    int64_t i = order[k];
    const scan_item *it = &p->scan.items[i];
    unit_of[i] = -1;
    if (!by_kit(p, it)) {
      p->split[i] = split_by_hash(it->key, p->opt->split, p->opt->seed);
      continue;
    }
    if (!units || strcmp(keys[units - 1], it->group)) keys[units++] = it->group;
    unit_of[i] = units - 1;
    /* Kits are weighed by their labelled files: those are what evaluation counts. */
    weights[units - 1] += it->kind == SCAN_AUDIO && (p->label[i] >= 0 || !any_label);
  }
  /* Kits sharing identical files are split as one: the merged unit takes the key of its
   * first kit and the sum of the weights. */
  int64_t *root = malloc(sizeof(int64_t) * (size_t)(units ? units : 1));
  const char **paths = malloc(sizeof(char *) * (size_t)(n ? n : 1));
  if (st == DF_OK && (!root || !paths)) st = DF_FAIL(DF_ERR_OOM, "splits");
  for (int64_t i = 0; i < n && st == DF_OK; i++) paths[i] = p->scan.items[i].path;
  if (st == DF_OK) st = split_merge_identical(paths, unit_of, n, units, root);
  for (int64_t u = 0; u < units && st == DF_OK; u++)
    if (root[u] != u) {
      weights[root[u]] += weights[u];
      weights[u] = 0;
    }
  if (st == DF_OK) split_greedy(keys, weights, units, p->opt->split, p->opt->seed, unit_split);
  for (int64_t i = 0; i < n && st == DF_OK; i++)
    if (unit_of[i] >= 0) p->split[i] = unit_split[root[unit_of[i]]];
  free(root);
  free(paths);
  /* The kits, with their licences and splits, go into the manifest. */
  for (int k = 0; k < p->scan.n_kits && st == DF_OK; k++) {
    const scan_kit *kit = &p->scan.kits[k];
    int64_t files = 0;
    df_split sp = DF_SPLIT_TRAIN;
    for (int64_t i = 0; i < n; i++)
      if (p->scan.items[i].kit == k && p->scan.items[i].kind == SCAN_AUDIO) {
        files++;
        sp = p->split[i];
      }
    st = manifest_kit(&p->man, kit->folder, kit->path, kit->name, kit->license, sp, files);
  }
  free(order);
  free(keys);
  free(weights);
  free(unit_of);
  free(unit_split);
  return st;
}

/* Distinct groups (kits) whose files were used, per split. */
static df_status count_groups(const prep *p, int64_t groups[DF_N_SPLITS]) {
  int64_t *order = items_by_group(p);
  if (!order) return DF_FAIL(DF_ERR_OOM, "groups");
  for (int s = 0; s < DF_N_SPLITS; s++) {
    const char *last = NULL;
    groups[s] = 0;
    for (int64_t k = 0; k < p->scan.n; k++) {
      const scan_item *it = &p->scan.items[order[k]];
      if (!p->used[order[k]] || p->split[order[k]] != (df_split)s) continue;
      if (!last || strcmp(last, it->group)) groups[s]++;
      last = it->group;
    }
  }
  free(order);
  return DF_OK;
}

/* ------------------------------------------------------------------ output folder */
/* The new dataset is built in OUT/.prepare.tmp.PID and moved into OUT only when all of it,
 * manifest included, is written and synced: a prepare that fails leaves an earlier dataset in
 * OUT as it was, and a killed one leaves the old dataset or a folder without manifest.json,
 * never one that looks complete and is not. Inside OUT, the moves are renames on one file
 * system (OUT may be a link to another disk). */
#define WORK_PREFIX ".prepare.tmp."

/* The digits at s: their count (0 when s does not start with one). */
static size_t digit_run(const char *s) {
  size_t n = 0;
  while (s[n] >= '0' && s[n] <= '9') n++;
  return n;
}

/* Exactly what prepare writes: manifest.json and SPLIT-NNNNN.h5, or one of their temporary
 * files (NAME.tmp.PID.N). Anything else in OUT is the user's (manifest.json.bak,
 * test-results.h5) and is never removed. */
static int is_ours(const char *name) {
  static const char *prefixes[] = {"train-", "validation-", "test-"};
  const char *rest = NULL;
  if (!strncmp(name, "manifest.json", 13)) rest = name + 13;
  for (int i = 0; i < 3 && !rest; i++) {
    size_t pl = strlen(prefixes[i]), nd = digit_run(name + pl);
    if (!strncmp(name, prefixes[i], pl) && nd && !strncmp(name + pl + nd, ".h5", 3)) rest = name + pl + nd + 3;
  }
  if (!rest || !*rest) return rest != NULL;
  if (strncmp(rest, ".tmp.", 5) || !digit_run(rest + 5)) return 0;
  rest += 5 + digit_run(rest + 5); /* .tmp.PID, or .tmp.PID.N (df_atomic_tmp_name) */
  if (*rest == '.' && digit_run(rest + 1)) rest += 1 + digit_run(rest + 1);
  return !*rest;
}

/* Removes the shards, manifest and their temporary files in dir; anything else stays. */
static df_status remove_ours(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return DF_FAIL(DF_ERR_IO, "%s: cannot list the folder: %s", dir, strerror(errno));
  df_status st = DF_OK;
  char path[4400];
  for (struct dirent *e = readdir(d); e; e = readdir(d)) {
    if (!is_ours(e->d_name)) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (unlink(path) != 0 && st == DF_OK)
      st = DF_FAIL(DF_ERR_IO, "%s: cannot remove the old file: %s", path, strerror(errno));
  }
  closedir(d);
  return st;
}

static void remove_work(const char *work) {
  remove_ours(work);
  rmdir(work);
}

/* Removes the work folders of runs that were killed (df_leftover_pid_gone); a concurrent
 * prepare's folder is left alone. */
static void remove_stale_work(const char *out) {
  DIR *d = opendir(out);
  if (!d) return;
  char path[4400];
  const size_t pl = strlen(WORK_PREFIX);
  for (struct dirent *e = readdir(d); e; e = readdir(d)) {
    if (strncmp(e->d_name, WORK_PREFIX, pl)) continue;
    snprintf(path, sizeof path, "%s/%s", out, e->d_name);
    if (df_leftover_pid_gone(e->d_name + pl, path)) remove_work(path);
  }
  closedir(d);
}

/* Checks OUT (made when missing) and locks it: two prepares into one folder would install
 * one's manifest over the other's shards. */
static df_status open_out(prep *p) {
  const char *out = p->opt->out_dir;
  struct stat st;
  if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: exists and is not a folder", out);
  p->made_out = stat(out, &st) != 0;
  DF_TRY(df_mkdirs(out));
  return df_lock_folder(out, "another drumforge prepare is writing into this folder", &p->out_lock);
}

/* Removes killed runs' leftovers in OUT, makes the work folder. */
static df_status open_work(prep *p) {
  const char *out = p->opt->out_dir;
  remove_stale_work(out);
  snprintf(p->work, sizeof p->work, "%s/%s%ld", out, WORK_PREFIX, (long)getpid());
  if (mkdir(p->work, 0777) != 0) {
    df_status e = DF_FAIL(DF_ERR_IO, "%s: cannot create the work folder: %s", p->work, strerror(errno));
    p->work[0] = '\0';
    return e;
  }
  return DF_OK;
}

static df_status move_in(const prep *p, const char *name) {
  char from[4400], to[4400];
  snprintf(from, sizeof from, "%s/%s", p->work, name);
  snprintf(to, sizeof to, "%s/%s", p->opt->out_dir, name);
  if (rename(from, to) != 0) return DF_FAIL(DF_ERR_IO, "%s: cannot move into place: %s", to, strerror(errno));
  return DF_OK;
}

/* Replaces the dataset in OUT by the finished one: the old manifest goes first (OUT stops
 * looking complete), then the old shards; the new shards come in, the new manifest last.
 * Only renames and removals in one folder: should one fail all the same, OUT is left without
 * a manifest. */
static df_status install(const prep *p) {
  const char *out = p->opt->out_dir;
  char path[4400];
  snprintf(path, sizeof path, "%s/manifest.json", out);
  if (unlink(path) != 0 && errno != ENOENT)
    return DF_FAIL(DF_ERR_IO, "%s: cannot remove the old manifest: %s", path, strerror(errno));
  DF_TRY(df_fsync_dir(out));
  DF_TRY(remove_ours(out));
  DIR *d = opendir(p->work);
  if (!d) return DF_FAIL(DF_ERR_IO, "%s: cannot list the folder: %s", p->work, strerror(errno));
  df_status st = DF_OK;
  for (struct dirent *e = readdir(d); e && st == DF_OK; e = readdir(d))
    if (is_ours(e->d_name) && strcmp(e->d_name, "manifest.json")) st = move_in(p, e->d_name);
  closedir(d);
  if (st == DF_OK) st = df_fsync_dir(out);
  if (st == DF_OK) st = move_in(p, "manifest.json");
  if (st == DF_OK) st = df_fsync_dir(out);
  return st;
}

/* ------------------------------------------------------------------ shards */
static df_status flush_split(prep *p, df_split s) {
  shard_buffer *b = &p->buf[s];
  if (b->count == 0) return DF_OK;
  char name[64], path[4400];
  snprintf(name, sizeof name, "%s-%05d.h5", df_split_name(s), p->shard_no[s]++);
  snprintf(path, sizeof path, "%s/%s", p->work, name);
  DF_TRY(shard_buffer_write(b, path));
  DF_TRY(manifest_shard(&p->man, name, s, b->count));
  p->res->shards++;
  if (p->opt->progress.fn) p->opt->progress.fn(p->opt->progress.ctx, "shard written", p->res->shards, 0);
  shard_buffer_clear(b);
  return DF_OK;
}

static df_status add_example(prep *p, df_split s, const float *x, int32_t label, int64_t start,
                             int augment, const char *source, const char *group, const char *pattern) {
  char *src = text_utf8_clean(source), *grp = text_utf8_clean(group);
  df_status st = src && grp ? shard_buffer_add(&p->buf[s], x, label, start, augment, src, grp, pattern)
                            : DF_FAIL(DF_ERR_OOM, "example");
  free(src);
  free(grp);
  DF_TRY(st);
  p->counts[s][label >= 0 ? label : p->info.n_classes]++;
  p->res->examples[s]++;
  return p->buf[s].count == p->buf[s].cap ? flush_split(p, s) : DF_OK;
}

/* One example and, in the training split, its augmented copies; x is normalised in place
 * when asked. `key` and `slice` seed the copies, so they do not depend on processing order. */
static df_status emit(prep *p, df_split s, float *x, float *y, int32_t label, int64_t start,
                      int64_t content, const char *source, const char *group, const char *pattern,
                      const char *key, int64_t slice) {
  const df_prepare_options *o = p->opt;
  int64_t per = (int64_t)o->channels * o->length;
  float peak = clip_peak(x, per);
  if (o->normalize_peak > 0 && peak > 0)
    for (int64_t k = 0; k < per; k++) x[k] *= (float)o->normalize_peak / peak;
  DF_TRY(add_example(p, s, x, label, start, 0, source, group, pattern));
  for (int a = 1; a <= o->augment && s == DF_SPLIT_TRAIN; a++) {
    uint64_t h = text_fnv1a(TEXT_FNV_INIT, key, strlen(key));
    h = text_fnv1a(h, &slice, sizeof slice);
    h = text_fnv1a(h, &a, sizeof a);
    DF_TRY(clip_augment(x, y, o->channels, o->length, content, o, text_mix(h, o->seed)));
    DF_TRY(add_example(p, s, y, label, start, a, source, group, pattern));
  }
  return DF_OK;
}

static df_status emit_loop(void *ctx, df_split s, float *audio, int64_t content, const char *kit,
                           const char *source, const char *pattern, int64_t index) {
  prep *p = ctx;
  float *y = malloc(sizeof(float) * (size_t)p->opt->channels * (size_t)p->opt->length);
  if (!y) return DF_FAIL(DF_ERR_OOM, "loop copies");
  char key[64];
  snprintf(key, sizeof key, "loop/%s", df_split_name(s));
  df_status st = emit(p, s, audio, y, -1, 0, content, source, kit, pattern, key, index);
  free(y);
  return st;
}

/* ------------------------------------------------------------------ examples of one clip */
static df_status make_examples(prep *p, int64_t item, const df_audio *clip) {
  const df_prepare_options *o = p->opt;
  const scan_item *it = &p->scan.items[item];
  df_split s = p->split[item];
  int64_t max = o->bpm > 0 ? (int64_t)(clip->frames / (o->bars * 240.0 / o->bpm * o->rate)) + 2
                : o->hop > 0 ? clip->frames / o->hop + 2 : 1;
  int64_t per = (int64_t)o->channels * o->length, take;
  int64_t *starts = malloc(sizeof(int64_t) * (size_t)max);
  float *x = malloc(sizeof(float) * (size_t)per), *y = malloc(sizeof(float) * (size_t)per);
  df_status st = starts && x && y ? DF_OK : DF_FAIL(DF_ERR_OOM, "%s: slices", it->path);
  int64_t n = st == DF_OK ? clip_slices(clip->frames, o, starts, max, &take) : 0;
  float quiet = (float)pow(10.0, o->silence_db / 20.0);
  for (int64_t j = 0; j < n && st == DF_OK; j++) {
    clip_copy(clip, starts[j], take, o->length, x);
    if (n > 1 && clip_peak(x, per) < quiet) continue; /* a silent stretch inside a long file */
    int64_t content = clip->frames - starts[j] < take ? clip->frames - starts[j] : take;
    st = emit(p, s, x, y, p->label[item], starts[j], content, it->path, it->group, NULL, it->key, j);
  }
  free(starts);
  free(x);
  free(y);
  return st;
}

/* ------------------------------------------------------------------ duplicates */
/* Returns the item that first had this hash, or -1 after recording it for `item`. */
static int64_t seen(prep *p, uint64_t h, int64_t item) {
  if (!p->seen_cap) return -1;
  for (int64_t k = (int64_t)(h % (uint64_t)p->seen_cap);; k = (k + 1) % p->seen_cap) {
    if (p->seen_item[k] < 0) {
      p->seen_item[k] = item;
      p->seen_hash[k] = h;
      return -1;
    }
    if (p->seen_hash[k] == h) return p->seen_item[k];
  }
}

/* ------------------------------------------------------------------ processing */
static df_status take_clip(prep *p, int64_t item, df_status load, const char *reason,
                           df_audio *clip, uint64_t hash) {
  const scan_item *it = &p->scan.items[item];
  if (load != DF_OK) return manifest_reject(&p->man, it->path, reason ? reason : "unreadable");
  int64_t first = p->opt->keep_duplicates ? -1 : seen(p, hash, item);
  if (first >= 0) {
    char *why = text_printf("duplicate: the same audio as %s", p->scan.items[first].path);
    df_status st = why ? manifest_skip(&p->man, it->path, why) : DF_FAIL(DF_ERR_OOM, "duplicate");
    free(why);
    return st;
  }
  p->used_files++;
  p->used[item] = 1;
  if (p->loops) {
    /* A loop's samples come from one kit: a Hydrogen kit, or a whole plain input folder (a
     * labelled bank keeps each instrument in its own subfolder, so none of them is a kit). */
    char *kit = it->kit >= 0 ? strdup(it->group) : strndup(it->key, strcspn(it->key, "/"));
    df_status st = kit ? loop_pool_add(p->loops, p->split[item], kit, p->label[item], it->path, clip)
                       : DF_FAIL(DF_ERR_OOM, "loop kit");
    free(kit);
    return st;
  }
  return make_examples(p, item, clip);
}

/* The bytes a file's clip takes once decoded and resampled, from its header (0 when it has
 * none: loading it will say why). */
static int64_t clip_bytes(const char *path, const df_prepare_options *o) {
  df_audio_file_info fi;
  if (df_audio_probe(path, &fi) != DF_OK) return 0;
  return (int64_t)((double)fi.frames * o->rate / fi.rate * o->channels * sizeof(float));
}

static df_status process(prep *p) {
  /* A block of files is decoded in parallel and its clips are held until they are taken in
   * order: at most BLOCK files and, past the first, BLOCK_BYTES of clips (64 long recordings
   * held 64 x 200 MB). */
  enum { BLOCK = 64 };
  const int64_t BLOCK_BYTES = (int64_t)256 << 20;
  int64_t n = p->scan.n, total = 0, done = 0;
  for (int64_t i = 0; i < n; i++) total += p->scan.items[i].kind == SCAN_AUDIO;
  p->seen_cap = 2 * total + 1;
  p->used = calloc((size_t)(n ? n : 1), 1);
  p->seen_hash = malloc(sizeof(uint64_t) * (size_t)p->seen_cap);
  p->seen_item = malloc(sizeof(int64_t) * (size_t)p->seen_cap);
  if (!p->seen_hash || !p->seen_item || !p->used) return DF_FAIL(DF_ERR_OOM, "duplicate table");
  for (int64_t k = 0; k < p->seen_cap; k++) p->seen_item[k] = -1;
  int64_t idx[BLOCK];
  df_audio clips[BLOCK];
  uint64_t hash[BLOCK];
  df_status load[BLOCK];
  char *reason[BLOCK];
  df_status st = DF_OK;
  for (int64_t i = 0; i < n && st == DF_OK;) {
    int m = 0;
    for (int64_t bytes = 0; i < n && m < BLOCK; i++) {
      if (p->scan.items[i].kind != SCAN_AUDIO) continue;
      bytes += clip_bytes(p->scan.items[i].path, p->opt);
      if (m > 0 && bytes > BLOCK_BYTES) break; /* item i starts the next block */
      idx[m++] = i;
    }
    /* Decoding and resampling run in parallel; everything order-dependent runs after, in
     * scan order, so the result does not depend on the thread count. */
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < m; k++) {
      load[k] = clip_load(p->scan.items[idx[k]].path, p->opt, &clips[k], &hash[k]);
      reason[k] = load[k] == DF_OK ? NULL : strdup(df_last_error());
    }
    for (int k = 0; k < m; k++) {
      if (st == DF_OK) st = take_clip(p, idx[k], load[k], reason[k], &clips[k], hash[k]);
      df_audio_free(&clips[k]);
      free(reason[k]);
    }
    done += m;
    if (p->opt->progress.fn) p->opt->progress.fn(p->opt->progress.ctx, "files processed", done, total);
  }
  return st;
}

/* ------------------------------------------------------------------ the whole run */
static df_status report_scan(prep *p) {
  for (int64_t i = 0; i < p->scan.n; i++) {
    const scan_item *it = &p->scan.items[i];
    if (it->kind == SCAN_REJECTED) DF_TRY(manifest_reject(&p->man, it->path, it->reason));
    if (it->kind == SCAN_SKIPPED) DF_TRY(manifest_skip(&p->man, it->path, it->reason));
    p->res->files++; /* every file considered: found = used + rejected + skipped in the end */
  }
  return DF_OK;
}

/* The error when nothing usable was found: the counts and the first rejected (or skipped)
 * file's reason, or why no loop could be built from the usable one-shots. */
static df_status nothing_usable(const prep *p) {
  const df_prepare_result *r = p->res;
  if (p->loops && r->used > 0) {
    char *why = loop_pool_why_none(p->loops);
    df_status st = DF_FAIL(DF_ERR_NOT_FOUND, "no loops could be built from the %lld usable one-shots: %s",
                           (long long)r->used, why ? why : "out of memory");
    free(why);
    return st;
  }
  cJSON *first = cJSON_GetArrayItem(p->man.rejected, 0);
  if (!first) first = cJSON_GetArrayItem(p->man.skipped, 0);
  const char *file = cJSON_GetStringValue(cJSON_GetObjectItem(first, "path"));
  const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(first, "reason"));
  return DF_FAIL(DF_ERR_NOT_FOUND, "no usable audio found (%lld files found, %lld rejected, %lld skipped%s%s%s%s)",
                 (long long)r->files, (long long)r->rejected, (long long)r->skipped, file && why ? "; first: " : "",
                 file && why ? file : "", file && why ? ": " : "", file && why ? why : "");
}

static df_status run(prep *p) {
  const df_prepare_options *o = p->opt;
  char table[4200];
  if (o->class_table) snprintf(table, sizeof table, "%s", o->class_table);
  else snprintf(table, sizeof table, "%s/drum_classes.tsv", df_data_dir());
  DF_TRY(classmap_load(table, &p->map));
  DF_TRY(open_out(p));
  if (o->progress.fn) o->progress.fn(o->progress.ctx, "scanning inputs", 0, 0);
  DF_TRY(scan_inputs(o->inputs, o->n_inputs, &p->map, o->out_dir, &p->scan));
  df_shard_info *in = &p->info;
  in->rate = o->rate;
  in->channels = o->channels;
  in->length = o->length;
  in->int16 = o->int16;
  snprintf(in->kind, sizeof in->kind, "%s", o->loops.count > 0 || o->bpm > 0 ? "loops" : "oneshots");
  DF_TRY(assign_labels(p));
  DF_TRY(manifest_begin(&p->man, o, table, in));
  DF_TRY(assign_splits(p));
  DF_TRY(report_scan(p));
  DF_TRY(open_work(p));
  /* Shards of about 128 MiB unless told otherwise: each split's buffer holds one. */
  int64_t per_shard = o->shard_examples ? o->shard_examples : ((int64_t)128 << 20) / ((int64_t)in->channels * in->length * 4);
  if (per_shard < 1) per_shard = 1;
  for (int s = 0; s < DF_N_SPLITS; s++) DF_TRY(shard_buffer_init(&p->buf[s], in, (df_split)s, per_shard));
  if (o->loops.count > 0) DF_TRY(loop_pool_create(o, in, &p->loops));
  DF_TRY(process(p));
  if (p->loops) {
    int64_t rendered[DF_N_SPLITS];
    DF_TRY(loop_pool_render(p->loops, emit_loop, p, rendered));
  }
  for (int s = 0; s < DF_N_SPLITS; s++) DF_TRY(flush_split(p, (df_split)s));
  p->res->used = p->used_files;
  p->res->rejected = cJSON_GetArraySize(p->man.rejected);
  p->res->skipped = cJSON_GetArraySize(p->man.skipped);
  if (p->res->examples[0] + p->res->examples[1] + p->res->examples[2] == 0) return nothing_usable(p);
  int64_t groups[DF_N_SPLITS];
  DF_TRY(count_groups(p, groups));
  DF_TRY(manifest_finish(&p->man, in, p->counts, groups));
  char path[4400];
  snprintf(path, sizeof path, "%s/manifest.json", p->work);
  DF_TRY(manifest_write(&p->man, path));
  df_status st = install(p);
  if (st != DF_OK) { /* OUT may have lost the old dataset by now: keep the new one */
    p->keep_work = 1;
    char why[1024];
    snprintf(why, sizeof why, "%s", df_last_error());
    st = DF_FAIL(st, "%s; the complete new dataset is in %s (move its files into %s)", why, p->work, p->opt->out_dir);
  }
  return st;
}

df_status df_prepare(const df_prepare_options *opt, df_prepare_result *result) {
  df_prepare_result local;
  if (!result) result = &local;
  memset(result, 0, sizeof *result);
  DF_TRY(df_prepare_check_options(opt));
  prep p;
  memset(&p, 0, sizeof p);
  p.opt = opt;
  p.res = result;
  p.out_lock = -1;
  df_status st = run(&p);
  if (p.work[0] && !p.keep_work) remove_work(p.work); /* empty after a successful install */
  if (st != DF_OK && p.made_out) rmdir(opt->out_dir);
  if (p.out_lock >= 0) close(p.out_lock);
  for (int s = 0; s < DF_N_SPLITS; s++) shard_buffer_free(&p.buf[s]);
  loop_pool_free(p.loops);
  manifest_free(&p.man);
  free(p.label);
  free(p.split);
  free(p.seen_hash);
  free(p.seen_item);
  free(p.used);
  scan_free(&p.scan);
  classmap_free(&p.map);
  return st;
}
