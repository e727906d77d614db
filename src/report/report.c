/* drumforge report (include/drumforge/report.h): reads a run folder (metrics.jsonl, eval.json,
 * best.json, previews/) and writes a static HTML page with SVG curves and PNG spectrograms. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drumforge/audio.h"
#include "drumforge/config.h"
#include "drumforge/eval.h"
#include "drumforge/fileio.h"
#include "drumforge/report.h"
#include "eval/examples.h"
#include "io/json_read.h"
#include "report/report_parts.h"

#define MAX_PREVIEW_IMAGES 8

/* dir/name, or NULL when it is missing; one that does not parse is an error. */
static df_status read_json(const char *dir, const char *name, cJSON **out) {
  char path[4300];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return df_json_read_file(path, 1, out);
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* ---------------------------------------------------------------- previews */
static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted names in dir that start with prefix and end with suffix (malloc'd; *n entries). */
static char **list(const char *dir, const char *prefix, const char *suffix, int *n) {
  *n = 0;
  DIR *dp = opendir(dir);
  if (!dp) return NULL;
  char **names = NULL;
  int cap = 0;
  struct dirent *e;
  while ((e = readdir(dp))) {
    size_t l = strlen(e->d_name), ls = strlen(suffix);
    if (strncmp(e->d_name, prefix, strlen(prefix)) || l < ls || strcmp(e->d_name + l - ls, suffix)) continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 16;
      char **grown = realloc(names, sizeof *names * (size_t)cap);
      if (!grown) break;
      names = grown;
    }
    names[(*n)++] = strdup(e->d_name);
  }
  closedir(dp);
  if (*n) qsort(names, (size_t)*n, sizeof *names, by_name);
  return names;
}

static void free_list(char **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* The class a preview file was generated for ("03_snare.wav" -> "snare"), or "". */
static void preview_class(const char *file, char *cls, size_t len) {
  const char *u = strchr(file, '_'), *dot = strrchr(file, '.');
  if (u && dot && dot > u) snprintf(cls, len, "%.*s", (int)(dot - u - 1), u + 1);
  else cls[0] = 0;
}

typedef struct real_set {
  ev_examples ex;
  int first[DF_MAX_CLASSES]; /* example index of each class, -1 if none */
  char written[DF_MAX_CLASSES];
} real_set;

static int class_id(const real_set *r, const char *name) {
  for (int c = 0; c < r->ex.info.n_classes; c++)
    if (!strcmp(r->ex.info.class_names[c], name)) return c;
  return -1;
}

/* An image of mel/PREFIXFILE with a caption: file and class names go into the URL
 * percent-encoded (a '#', '?', '%' or space would end or change it), into text escaped. */
static void captioned_image(FILE *f, const char *prefix, const char *file, const char *what, const char *name) {
  fprintf(f, "<div><img src=\"mel/%s", prefix);
  rp_url_escape(f, file);
  fprintf(f, "\" alt=\"%s", what);
  rp_escape(f, name);
  fprintf(f, "\" onerror=\"this.classList.add('missing')\"><figcaption>%s", what);
  rp_escape(f, name);
  fprintf(f, "</figcaption></div>");
}

/* Spectrograms of the newest previews beside a real example of their class. */
static df_status mel_pairs(FILE *f, const char *run, const char *out, const char *step_dir, real_set *real) {
  char dir[4300], mel_dir[4300];
  snprintf(dir, sizeof dir, "%s/previews/%s", run, step_dir);
  snprintf(mel_dir, sizeof mel_dir, "%s/mel", out);
  DF_TRY(df_mkdirs(mel_dir));
  int n;
  char **files = list(dir, "", ".wav", &n);
  fprintf(f, "<h2>Mel spectrograms: ");
  rp_escape(f, step_dir);
  fprintf(f, "</h2>\n<p>Generated previews (left) next to a real training example of the same class (right), "
             "log-Mel power over 80 dB.</p>\n<div class=\"pairs\">\n");
  df_status s = DF_OK;
  for (int i = 0; !s && i < n && i < MAX_PREVIEW_IMAGES; i++) {
    char wav[4400], png[4500], rel[4400], cls[64];
    snprintf(wav, sizeof wav, "%s/%s", dir, files[i]);
    df_audio_read_options ro = {1, 0};
    df_audio a;
    s = df_audio_read(wav, &ro, &a);
    if (s) break;
    snprintf(rel, sizeof rel, "%s-%.*s.png", step_dir, (int)(strlen(files[i]) - 4), files[i]);
    snprintf(png, sizeof png, "%s/%s", mel_dir, rel);
    s = df_mel_png(png, a.data, a.frames, a.rate);
    df_audio_free(&a);
    preview_class(files[i], cls, sizeof cls);
    fprintf(f, "<figure class=\"pair\">");
    captioned_image(f, "", rel, "generated ", files[i]);
    int c = real ? class_id(real, cls) : -1;
    if (!cls[0] && real) c = i % real->ex.info.n_classes; /* unconditional: one class after another */
    while (real && c >= 0 && c < real->ex.info.n_classes && real->first[c] < 0 && !cls[0]) c = (c + 1) % real->ex.info.n_classes;
    if (!s && real && c >= 0 && real->first[c] >= 0) {
      const char *name = real->ex.info.class_names[c];
      snprintf(png, sizeof png, "%s/real-%s.png", mel_dir, name);
      if (!real->written[c]) {
        const df_shard_info *in = &real->ex.info;
        s = df_mel_png(png, real->ex.audio + (int64_t)real->first[c] * in->channels * in->length, in->length, in->rate);
        real->written[c] = 1;
      }
      snprintf(rel, sizeof rel, "%s.png", name);
      captioned_image(f, "real-", rel, "real ", name);
    }
    fprintf(f, "</figure>\n");
  }
  fprintf(f, "</div>\n");
  free_list(files, n);
  return s;
}

static void players(FILE *f, const char *run, char **steps, int n_steps) {
  fprintf(f, "<h2>Previews at every checkpoint</h2>\n");
  for (int k = n_steps - 1; k >= 0; k--) {
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/previews/%s", run, steps[k]);
    int n;
    char **files = list(dir, "", ".wav", &n);
    fprintf(f, "<details%s><summary>", k == n_steps - 1 ? " open" : "");
    rp_escape(f, steps[k]);
    fprintf(f, " (%d sounds)</summary><div class=\"players\">\n", n);
    for (int i = 0; i < n; i++) {
      fprintf(f, "<div class=\"player\"><span>");
      rp_escape(f, files[i]);
      fprintf(f, "</span><audio controls preload=\"none\" src=\"../previews/");
      rp_url_escape(f, steps[k]);
      fputc('/', f);
      rp_url_escape(f, files[i]);
      fprintf(f, "\"></audio></div>\n");
    }
    fprintf(f, "</div></details>\n");
    free_list(files, n);
  }
}

/* ---------------------------------------------------------------- tables */
static void eval_table(FILE *f, const cJSON *ev, const cJSON *best) {
  fprintf(f, "<h2>Metrics</h2>\n");
  if (best)
    fprintf(f, "<p class=\"best\">Best checkpoint by Frechet distance: step %lld (FD %.4g) &rarr; "
               "<code>checkpoints/best.safetensors</code></p>\n", (long long)num(best, "step"), num(best, "frechet_distance"));
  if (!ev) {
    fprintf(f, "<p>No eval.json yet: run <code>drumforge eval --run RUN</code>.</p>\n");
    return;
  }
  const cJSON *gen = cJSON_GetObjectItemCaseSensitive(ev, "generated"), *real = cJSON_GetObjectItemCaseSensitive(ev, "real");
  const cJSON *cl = cJSON_GetObjectItemCaseSensitive(ev, "classifier"), *nov = cJSON_GetObjectItemCaseSensitive(ev, "novelty");
  const cJSON *cond = cJSON_GetObjectItemCaseSensitive(ev, "conditioning");
  fprintf(f, "<table class=\"metrics\"><tr><th>metric (eval.json, step %lld)</th><th>generated</th><th>real test sounds</th></tr>\n",
          (long long)num(ev, "step"));
  fprintf(f, "<tr><td>sounds</td><td>%g</td><td>%g</td></tr>\n", num(gen, "count"), num(real, "count"));
  fprintf(f, "<tr><td>Inception Score (higher: clearer and more varied classes)</td><td>%.3f &plusmn; %.3f</td><td>%.3f</td></tr>\n",
          num(gen, "inception_score"), num(gen, "inception_score_std"), num(real, "inception_score"));
  fprintf(f, "<tr><td>Frechet distance (lower: closer to the real sounds)</td><td>%.4g</td><td>0</td></tr>\n", num(ev, "frechet_distance"));
  fprintf(f, "<tr><td>KID (lower is better)</td><td>%.4g &plusmn; %.2g</td><td>0</td></tr>\n", num(ev, "kid"), num(ev, "kid_std"));
  fprintf(f, "<tr><td>diversity (mean embedding distance)</td><td>%.4g</td><td>%.4g</td></tr>\n", num(gen, "diversity"), num(real, "diversity"));
  if (cJSON_IsObject(cond)) fprintf(f, "<tr><td>conditioning accuracy</td><td>%.3f</td><td></td></tr>\n", num(cond, "accuracy"));
  if (cJSON_IsObject(nov))
    fprintf(f, "<tr><td>novelty: median / min (near copies &le; 0.1)</td><td>%.3f / %.3f (%.1f %% near copies)</td><td></td></tr>\n",
            num(nov, "median"), num(nov, "min"), 100 * num(nov, "near_copy_fraction"));
  fprintf(f, "<tr><td>classifier accuracy on the test split</td><td colspan=\"2\">%.3f (%g examples)</td></tr>\n</table>\n",
          num(cl, "test_accuracy"), num(cl, "test_examples"));
}

/* A class name from eval.json or classifier.json (files a user can edit) as a header cell. */
static void th(FILE *f, const cJSON *name) {
  fprintf(f, "<th>");
  rp_escape(f, cJSON_IsString(name) ? name->valuestring : "?");
  fprintf(f, "</th>");
}

/* A confusion count; a row that is short or not an array (an edited file) counts 0. */
static double cell(const cJSON *row, int j) {
  const cJSON *v = cJSON_IsArray(row) ? cJSON_GetArrayItem(row, j) : NULL;
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void confusion(FILE *f, const char *title, const cJSON *names, const cJSON *rows) {
  int n = cJSON_GetArraySize(names);
  if (!cJSON_IsArray(rows) || n == 0) return;
  fprintf(f, "<h2>%s</h2>\n<table class=\"confusion\"><tr><th>asked \\ heard</th>", title);
  for (int j = 0; j < n; j++) th(f, cJSON_GetArrayItem(names, j));
  fprintf(f, "</tr>\n");
  for (int i = 0; i < n && i < cJSON_GetArraySize(rows); i++) {
    const cJSON *row = cJSON_GetArrayItem(rows, i);
    double total = 0;
    for (int j = 0; j < n; j++) total += cell(row, j);
    fprintf(f, "<tr>");
    th(f, cJSON_GetArrayItem(names, i));
    for (int j = 0; j < n; j++) {
      double v = cell(row, j), share = total > 0 ? v / total : 0;
      fprintf(f, "<td style=\"background: rgba(33, 144, 141, %.2f)\">%g</td>", share, v);
    }
    fprintf(f, "</tr>\n");
  }
  fprintf(f, "</table>\n");
}

/* ---------------------------------------------------------------- the page */
static const char *style =
    "body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}h1{margin-bottom:0}"
    ".curves img{width:480px;height:200px;margin:4px;border:1px solid #ddd}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
    "table.metrics td:first-child{text-align:left}.pairs{display:flex;flex-wrap:wrap}"
    ".pair{display:flex;gap:6px;margin:6px;padding:6px;border:1px solid #ddd}.pair img{height:160px;image-rendering:pixelated}"
    "figcaption{font-size:80%;text-align:center}.player{display:inline-block;margin:4px 12px 4px 0}"
    ".player span{display:block;font-size:80%}img.missing{outline:3px solid red}.best{font-weight:bold}";

df_status df_report_write(const df_report_options *o, char *index, size_t len) {
  char out[4200], path[4400], dataset[4200] = "";
  if (!o || !o->run_dir) return DF_FAIL(DF_ERR_INVALID_ARG, "report: no run folder given");
  snprintf(out, sizeof out, "%s", o->out_dir ? o->out_dir : "");
  if (!o->out_dir) snprintf(out, sizeof out, "%s/report", o->run_dir);
  if (access(o->run_dir, F_OK) != 0) return DF_FAIL(DF_ERR_NOT_FOUND, "%s: no such run folder", o->run_dir);
  snprintf(path, sizeof path, "%s/config.ini", o->run_dir);
  if (access(path, F_OK) != 0)
    return DF_FAIL(DF_ERR_NOT_FOUND, "%s: not a run folder (no config.ini; drumforge train makes one)", o->run_dir);
  if (o->dataset) snprintf(dataset, sizeof dataset, "%s", o->dataset);
  else rp_run_dataset(o->run_dir, dataset, sizeof dataset);
  /* A dataset asked for by name must be there; the run's own may have moved (noted on the page). */
  snprintf(path, sizeof path, "%s/manifest.json", dataset);
  const int dataset_found = dataset[0] && access(path, F_OK) == 0;
  if (o->dataset && !dataset_found) return DF_FAIL(DF_ERR_NOT_FOUND, "%s: no dataset there (no manifest.json)", dataset);
  /* Read everything before writing anything: a broken eval.json is an error, not "no eval yet". */
  cJSON *ev, *best = NULL;
  DF_TRY(read_json(o->run_dir, "eval.json", &ev));
  df_status s = read_json(o->run_dir, "best.json", &best);
  rp_series series;
  if (!s) s = rp_series_read(o->run_dir, &series);
  if (s) {
    cJSON_Delete(ev);
    cJSON_Delete(best);
    return s;
  }
  snprintf(path, sizeof path, "%s/index.html", out);
  df_atomic_file f;
  s = df_mkdirs(out);
  if (!s) s = df_atomic_open(&f, path);
  if (s) {
    cJSON_Delete(ev);
    cJSON_Delete(best);
    rp_series_free(&series);
    return s;
  }
  fprintf(f.fp, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>drumforge report: ");
  rp_escape(f.fp, o->run_dir);
  fprintf(f.fp, "</title><style>%s</style></head><body>\n<h1>drumforge report</h1>\n<p>Run <code>", style);
  rp_escape(f.fp, o->run_dir);
  fprintf(f.fp, "</code>%s", dataset[0] ? ", dataset <code>" : "");
  rp_escape(f.fp, dataset);
  fprintf(f.fp, "%s</p>\n", dataset[0] ? "</code>" : "");
  if (dataset[0] && !dataset_found)
    fprintf(f.fp, "<p>The run's dataset is not there any more: no real examples (<code>--data DATASET</code> names "
                  "another).</p>\n");
  eval_table(f.fp, ev, best);
  s = rp_curves(f.fp, out, &series);
  int n_steps = 0;
  char previews[4300];
  snprintf(previews, sizeof previews, "%s/previews", o->run_dir);
  char **steps = list(previews, "step-", "", &n_steps);
  real_set real, *rp = NULL;
  if (!s && dataset_found && ev_examples_read(dataset, DF_SPLIT_TRAIN, 1, 0, 1, &real.ex) == DF_OK && real.ex.n > 0) {
    rp = &real;
    memset(real.written, 0, sizeof real.written);
    for (int c = 0; c < DF_MAX_CLASSES; c++) real.first[c] = -1;
    for (int64_t i = real.ex.n - 1; i >= 0; i--) real.first[real.ex.labels[i]] = (int)i;
  }
  if (!s && n_steps > 0) s = mel_pairs(f.fp, o->run_dir, out, steps[n_steps - 1], rp);
  if (!s && n_steps > 0) players(f.fp, o->run_dir, steps, n_steps);
  if (!s && ev) {
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(ev, "conditioning");
    if (cJSON_IsObject(cond))
      confusion(f.fp, "Conditioning: classes asked for (rows) and heard by the classifier (columns)",
                cJSON_GetObjectItemCaseSensitive(ev, "class_names"), cJSON_GetObjectItemCaseSensitive(cond, "confusion"));
  }
  cJSON *card = NULL;
  if (!s && dataset_found) {
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/classifier", dataset);
    s = read_json(dir, "classifier.json", &card);
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(card, "test");
    if (card)
      confusion(f.fp, "The classifier on the real test split: true classes (rows), predicted (columns)",
                cJSON_GetObjectItemCaseSensitive(card, "class_names"), cJSON_GetObjectItemCaseSensitive(test, "confusion"));
  }
  fprintf(f.fp, "</body></html>\n");
  if (s) df_atomic_abort(&f);
  else s = df_atomic_commit(&f);
  if (rp) ev_examples_free(&real.ex);
  free_list(steps, n_steps);
  cJSON_Delete(ev);
  cJSON_Delete(best);
  cJSON_Delete(card);
  rp_series_free(&series);
  if (!s) snprintf(index, len, "%s", path);
  return s;
}
