/* drumforge inspect: summarise what a path holds. Each kind of thing drumforge writes has an
 * inspector below (a test that recognises the path, and a printer), listed in `inspectors`:
 * datasets and shards, run folders, checkpoints, other safetensors files (exports). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "drumforge/checkpoint.h"
#include "drumforge/fileio.h"
#include "drumforge/safetensors.h"
#include "io/json_read.h"

/* Options for the printers: --config prints a checkpoint's whole configuration, --tensors
 * every tensor of a checkpoint (other safetensors files always list theirs). */
static int show_config, show_tensors;

/* ------------------------------------------------------------------ datasets and shards */
static int is_dataset(const char *path) {
  char m[4200];
  struct stat sb;
  snprintf(m, sizeof m, "%s/manifest.json", path);
  return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && stat(m, &sb) == 0;
}

/* Only regular files are opened to be sniffed: a named pipe would block the open. */
static int is_regular(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int is_hdf5(const char *path) {
  static const unsigned char magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  unsigned char head[8];
  if (!is_regular(path)) return 0;
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  int ok = fread(head, 1, 8, f) == 8 && !memcmp(head, magic, 8);
  fclose(f);
  return ok;
}

static int show_dataset(const char *path) {
  df_dataset_summary s;
  df_status st = df_dataset_summarize(path, &s);
  if (st != DF_OK) return cli_fail("inspect", st, "%s", path);
  const df_shard_info *in = &s.info;
  printf("%s %s: %s%s, format version %d\n", s.is_dataset ? "dataset" : "shard", path,
         in->kind[0] ? in->kind : "audio", s.is_dataset ? "" : " (HDF5)", in->format_version);
  if (in->rate)
    printf("  %d Hz, %lld samples per example (%.3f s), %d channel%s, %s\n", in->rate,
           (long long)in->length, (double)in->length / in->rate, in->channels, in->channels == 1 ? "" : "s",
           in->int16 ? "int16" : "float32");
  else
    printf("  sample rate unknown, %lld samples per example, %d channel%s\n", (long long)in->length,
           in->channels, in->channels == 1 ? "" : "s");
  printf("  %lld examples (%lld augmented copies) in %d shard%s, %.1f MiB\n", (long long)in->examples,
         (long long)s.augmented, s.n_shards, s.n_shards == 1 ? "" : "s", (double)s.bytes / (1 << 20));
  if (s.is_dataset)
    printf("  input files rejected: %lld, skipped: %lld (reasons in %s/manifest.json)\n",
           (long long)s.rejected, (long long)s.skipped, path);
  printf("\n  %-14s %10s %10s %10s\n", "class", "train", "validation", "test");
  for (int c = 0; c <= in->n_classes; c++) {
    const int64_t *k = (const int64_t[]){s.counts[0][c], s.counts[1][c], s.counts[2][c]};
    if (c == in->n_classes && !k[0] && !k[1] && !k[2] && in->n_classes) continue;
    printf("  %-14s %10lld %10lld %10lld\n", c < in->n_classes ? in->class_names[c] : "(unlabelled)",
           (long long)k[0], (long long)k[1], (long long)k[2]);
  }
  printf("  %-14s %10lld %10lld %10lld\n", "all", (long long)s.examples[0], (long long)s.examples[1],
         (long long)s.examples[2]);
  printf("  %-14s %10lld %10lld %10lld\n", "groups (kits)", (long long)s.groups[0],
         (long long)s.groups[1], (long long)s.groups[2]);
  return CLI_OK;
}

/* ------------------------------------------------------------------ safetensors files */
static int is_safetensors(const char *path) {
  unsigned char head[9];
  if (!is_regular(path)) return 0;
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  int ok = fread(head, 1, 9, f) == 9;
  fclose(f);
  uint64_t len = 0;
  for (int i = 7; ok && i >= 0; i--) len = len << 8 | head[i];
  /* An 8-byte little-endian header length (text or audio makes it huge), then the JSON
   * header. A length past the end is a truncated file: df_st_open says so. */
  return ok && head[8] == '{' && len < ((uint64_t)1 << 32);
}

static double file_mib(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (double)sb.st_size / (1 << 20) : 0;
}

static int64_t tensor_values(const df_st_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

static void print_tensor(const df_st_tensor *t) {
  char shape[160] = "";
  size_t used = 0;
  for (int d = 0; d < t->ndim && used < sizeof shape; d++)
    used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
  printf("    %-40s %-4s [%s]\n", t->name, df_st_dtype_name(t->dtype), shape);
}

/* "1h02m", "3m05s", "12s" */
static void duration_text(double seconds, char *buf, size_t len) {
  long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
  if (s >= 3600) snprintf(buf, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60) snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
  else snprintf(buf, len, "%lds", s);
}

/* Values per parameter set ("G", "D", ...: the name's part before the first '.'), the Adam
 * moments ("adam.<set>.<param>.m/.v") apart. */
static void print_parameters(const df_st_file *f) {
  char sets[8][32];
  int64_t values[8] = {0}, adam = 0;
  int n_sets = 0;
  for (int i = 0; i < df_st_count(f); i++) {
    const df_st_tensor *t = df_st_at(f, i);
    if (!strncmp(t->name, "adam.", 5)) {
      adam += tensor_values(t);
      continue;
    }
    const char *dot = strchr(t->name, '.');
    int len = dot ? (int)(dot - t->name) : (int)strlen(t->name), k = 0;
    while (k < n_sets && (strlen(sets[k]) != (size_t)len || strncmp(sets[k], t->name, (size_t)len))) k++;
    if (k == n_sets) {
      if (n_sets == 8) continue;
      snprintf(sets[n_sets++], sizeof sets[0], "%.*s", len, t->name);
    }
    values[k] += tensor_values(t);
  }
  printf("  parameters:");
  for (int k = 0; k < n_sets; k++) printf("%s %s %lld", k ? "," : "", sets[k], (long long)values[k]);
  printf("; Adam state %s\n", adam ? "included (training can resume from it)" : "not included (for inference)");
}

/* The classes, with the training examples of each when recorded (those without any were
 * not learned). */
static void print_classes(const df_checkpoint_state *st) {
  if (!st->n_classes) {
    printf("  classes: none (unconditional)\n");
    return;
  }
  printf("  classes (%d):", st->n_classes);
  for (int c = 0; c < st->n_classes; c++) {
    if (st->has_class_examples) printf("%s %s %lld", c ? "," : "", st->class_names[c], (long long)st->class_examples[c]);
    else printf("%s %s", c ? "," : "", st->class_names[c]);
  }
  printf(st->has_class_examples ? " (training examples; 0: not learned)\n" : " (examples per class not recorded)\n");
}

/* The config's [model] section, or all of it with --config. */
static void print_config(const char *text) {
  if (!text || !*text) return;
  if (show_config) {
    printf("  config:\n");
    for (const char *line = text; *line;) {
      const char *end = strchr(line, '\n');
      int len = end ? (int)(end - line) : (int)strlen(line);
      printf("    %.*s\n", len, line);
      line += len + (end != NULL);
    }
    return;
  }
  const char *model = strstr(text, "[model]");
  if (!model) return;
  printf("  model config (--config prints all of it):\n");
  for (const char *line = strchr(model, '\n'); line && line[1] && line[1] != '[';) {
    const char *end = strchr(line + 1, '\n');
    int len = end ? (int)(end - line - 1) : (int)strlen(line + 1);
    if (len > 0) printf("    %.*s\n", len, line + 1);
    line = end;
  }
}

static int show_checkpoint(const char *path, const df_st_file *f) {
  df_checkpoint_state st;
  df_status s = df_checkpoint_read_state(path, &st);
  if (s) return cli_fail("inspect", s, "%s", path);
  char trained[32];
  duration_text(st.elapsed_seconds, trained, sizeof trained);
  const char *version = df_st_metadata(f, "format_version");
  printf("checkpoint %s: %s at step %lld (format version %s, checksum ok)\n", path, st.model_type,
         (long long)st.step, version ? version : "?");
  printf("  %.1f MiB; trained for %s%s%s; %d Hz\n", file_mib(path), trained, st.compute[0] ? " on " : "",
         st.compute, st.sample_rate);
  print_parameters(f);
  print_classes(&st);
  print_config(st.config_text);
  if (show_tensors) {
    printf("  tensors (%d):\n", df_st_count(f));
    for (int i = 0; i < df_st_count(f); i++) print_tensor(df_st_at(f, i));
  }
  df_checkpoint_state_free(&st);
  return CLI_OK;
}

static int show_safetensors(const char *path) {
  df_st_file *f;
  df_status s = df_st_open(path, &f);
  if (s) return cli_fail("inspect", s, "%s", path);
  const char *format = df_st_metadata(f, "format");
  int rc;
  if (format && !strcmp(format, "drumforge-checkpoint")) {
    rc = show_checkpoint(path, f);
  } else { /* an export (PyTorch names) or any other safetensors file */
    int64_t values = 0;
    for (int i = 0; i < df_st_count(f); i++) values += tensor_values(df_st_at(f, i));
    const int exported = format && !strcmp(format, "drumforge-export");
    printf("%s %s: %d tensors, %lld values, %.1f MiB\n", exported ? "exported weights" : "safetensors", path,
           df_st_count(f), (long long)values, file_mib(path));
    for (int i = 0; i < df_st_metadata_count(f); i++) {
      const char *key, *value;
      df_st_metadata_at(f, i, &key, &value);
      if (strchr(value, '\n')) printf("  %s: (%zu characters of text)\n", key, strlen(value));
      else printf("  %s: %.100s%s\n", key, value, strlen(value) > 100 ? " ..." : "");
    }
    printf("  tensors:\n");
    for (int i = 0; i < df_st_count(f); i++) print_tensor(df_st_at(f, i));
    rc = CLI_OK;
  }
  df_st_close(f);
  return rc;
}

/* ------------------------------------------------------------------ run folders */
static int is_run(const char *path) {
  char p[4200];
  struct stat sb;
  snprintf(p, sizeof p, "%s/config.ini", path);
  return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* A JSON file of the run folder; NULL when it is missing or does not parse (said here). */
static cJSON *read_json(const char *run, const char *name) {
  char path[4200];
  cJSON *j;
  snprintf(path, sizeof path, "%s/%s", run, name);
  if (df_json_read_file(path, 1, &j) != DF_OK) printf("  %s\n", df_last_error());
  return j;
}

static void not_valid(void *ctx, int64_t step, df_status why) { printf("  not valid: %s\n", df_last_error()); }

/* The checkpoints, and the newest that verifies as resume picks it (df_run_newest_valid);
 * newer ones that do not are named with the reason. */
static void print_checkpoints(const char *run) {
  int64_t *steps;
  int n;
  if (df_run_list_checkpoints(run, &steps, &n) != DF_OK) {
    printf("  checkpoints: cannot list: %s\n", df_last_error());
    return;
  }
  printf("  checkpoints: %d", n);
  for (int i = 0; i < n; i++) {
    if (n > 12 && i == 4) { /* the first 4 and the last 8 */
      printf(" ...");
      i = n - 8;
    }
    printf("%s %lld", i ? "," : " (steps", (long long)steps[i]);
  }
  printf(n ? ")\n" : "\n");
  free(steps);
  char path[4300];
  df_checkpoint_state st;
  if (n && df_run_newest_valid(run, path, sizeof path, &st, not_valid, NULL) == DF_OK) {
    char trained[32];
    duration_text(st.elapsed_seconds, trained, sizeof trained);
    printf("  newest valid: step %lld (%.1f MiB, trained for %s%s%s)\n", (long long)st.step, file_mib(path), trained,
           st.compute[0] ? " on " : "", st.compute);
    if (!st.has_optimizer_state)
      printf("  %s has no optimiser state (an inference checkpoint, e.g. from import): train cannot resume "
             "from it\n", path);
    df_checkpoint_state_free(&st);
  } else if (n) {
    printf("  no valid checkpoint\n");
  }
}

/* The last line of metrics.jsonl: its step and numbers. */
static void print_last_metrics(const char *run) {
  char path[4200], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/metrics.jsonl", run);
  if (df_read_file(path, &text, &len) != DF_OK) return;
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) text[--len] = '\0';
  char *last = strrchr(text, '\n');
  cJSON *j = cJSON_Parse(last ? last + 1 : text);
  if (j) {
    printf("  last metrics:");
    int k = 0;
    for (const cJSON *v = j->child; v; v = v->next)
      if (cJSON_IsNumber(v) && strcmp(v->string, "time")) /* the wall clock says nothing here */
        printf("%s %s %.6g", k++ ? "," : "", v->string, v->valuedouble);
    printf("\n");
  } else if (len) {
    printf("  last metrics: %s: the last line is not JSON\n", path);
  }
  cJSON_Delete(j);
  free(text);
}

static int show_run(const char *path) {
  char cfg_path[4200];
  snprintf(cfg_path, sizeof cfg_path, "%s/config.ini", path);
  df_config *cfg;
  df_status s = df_config_load(cfg_path, &cfg);
  if (s) return cli_fail("inspect", s, "%s", path);
  const char *type = "?", *data = "?";
  df_config_string(cfg, "model.type", "?", &type);
  df_config_string(cfg, "data.path", "?", &data);
  printf("run %s: %s on %s\n", path, type, data);
  df_config_free(cfg);
  print_checkpoints(path);
  print_last_metrics(path);
  cJSON *best = read_json(path, "best.json");
  if (best)
    printf("  best checkpoint: step %.0f (Frechet distance %.4g, KID %.4g)\n", df_json_number(best, "step"),
           df_json_number(best, "frechet_distance"), df_json_number(best, "kid"));
  cJSON_Delete(best);
  cJSON *eval = read_json(path, "eval.json");
  if (eval) {
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(eval, "conditioning");
    printf("  eval.json: step %.0f, Frechet distance %.4g, KID %.4g", df_json_number(eval, "step"),
           df_json_number(eval, "frechet_distance"), df_json_number(eval, "kid"));
    if (cJSON_IsObject(cond)) printf(", conditioning accuracy %.3f", df_json_number(cond, "accuracy"));
    printf("\n");
  }
  cJSON_Delete(eval);
  return CLI_OK;
}

/* ------------------------------------------------------------------ the table */
typedef struct inspector {
  const char *what;
  int (*accepts)(const char *path);
  int (*show)(const char *path);
} inspector;

static const inspector inspectors[] = {
    {"a dataset folder (with manifest.json)", is_dataset, show_dataset},
    {"an HDF5 shard (or any HDF5 file with an audio dataset)", is_hdf5, show_dataset},
    {"a run folder (with config.ini): model, checkpoints, the newest valid one, last metrics, best and eval",
     is_run, show_run},
    {"a checkpoint (model, step, training time, parameters, classes, the model's config), or any\n"
     "    other safetensors file, e.g. from drumforge export (metadata and tensors)",
     is_safetensors, show_safetensors},
};

int cmd_inspect(int argc, char **argv) {
  enum { OPT_CONFIG = 256, OPT_TENSORS };
  static const struct option opts[] = {{"config", no_argument, 0, OPT_CONFIG},
                                       {"tensors", no_argument, 0, OPT_TENSORS},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c;
  optind = 1;
  show_config = show_tensors = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == OPT_CONFIG) {
      show_config = 1;
    } else if (c == OPT_TENSORS) {
      show_tensors = 1;
    } else if (c == 'h') {
      printf("usage: drumforge inspect [--config] [--tensors] PATH [PATH ...]\n\n"
             "Summarises what PATH holds:\n");
      for (size_t i = 0; i < sizeof inspectors / sizeof inspectors[0]; i++) printf("  - %s\n", inspectors[i].what);
      printf("For datasets: rate, length, channels, sample type, size, and the examples per class\n"
             "and split. Any HDF5 file with an 'audio' dataset [N, L] or [N, C, L] can be read.\n"
             "A checkpoint is verified (checksum) before anything is printed; in a run folder, so is\n"
             "the newest checkpoint that resuming would pick, and newer ones that fail are named.\n\n"
             "  --config    a checkpoint's whole configuration (default: its [model] section)\n"
             "  --tensors   every tensor of a checkpoint: name, dtype, shape\n\n"
             "examples:\n  drumforge inspect datasets/default\n  drumforge inspect runs/drums\n"
             "  drumforge inspect checkpoints/quickstart/model.safetensors\n");
      return CLI_OK;
    } else {
      return cli_option_error("inspect", argv, "h", opts);
    }
  }
  if (optind >= argc) return cli_usage_error("inspect", "give a PATH");
  int rc = CLI_OK;
  for (int a = optind; a < argc; a++) {
    const char *path = argv[a];
    size_t i = 0, n = sizeof inspectors / sizeof inspectors[0];
    while (i < n && !inspectors[i].accepts(path)) i++;
    if (i == n) {
      struct stat sb;
      const int missing = stat(path, &sb) != 0;
      fprintf(stderr, "drumforge inspect: %s: %s\n", path,
              missing                                       ? strerror(errno)
              : S_ISREG(sb.st_mode) && sb.st_size == 0 ? "an empty file, not something drumforge can inspect"
                                                        : "not something drumforge can inspect");
      rc = CLI_FAILED;
      continue;
    }
    if (a > optind) printf("\n");
    int r = inspectors[i].show(path);
    if (r != CLI_OK) rc = r;
  }
  return rc;
}
