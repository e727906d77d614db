/* drumforge inspect: summarise what a path holds. Each kind of thing drumforge writes has an
 * inspector below (a test that recognises the path, and a printer); checkpoints and runs get
 * theirs by adding an entry to `inspectors`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* ------------------------------------------------------------------ datasets and shards */
static int is_dataset(const char *path) {
  char m[4200];
  struct stat sb;
  snprintf(m, sizeof m, "%s/manifest.json", path);
  return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && stat(m, &sb) == 0;
}

static int is_hdf5(const char *path) {
  static const unsigned char magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  unsigned char head[8];
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

/* ------------------------------------------------------------------ the table */
typedef struct inspector {
  const char *what;
  int (*accepts)(const char *path);
  int (*show)(const char *path);
} inspector;

static const inspector inspectors[] = {
    {"a dataset folder (with manifest.json)", is_dataset, show_dataset},
    {"an HDF5 shard (or any HDF5 file with an audio dataset)", is_hdf5, show_dataset},
};

int cmd_inspect(int argc, char **argv) {
  static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      printf("usage: drumforge inspect PATH [PATH ...]\n\n"
             "Summarises what PATH holds:\n");
      for (size_t i = 0; i < sizeof inspectors / sizeof inspectors[0]; i++) printf("  - %s\n", inspectors[i].what);
      printf("For datasets: rate, length, channels, sample type, size, and the examples per class\n"
             "and split. Any HDF5 file with an 'audio' dataset [N, L] or [N, C, L] can be read.\n\n"
             "example:\n  drumforge inspect datasets/default\n");
      return CLI_OK;
    }
    return cli_usage_error("inspect", "unknown option");
  }
  if (optind >= argc) return cli_usage_error("inspect", "give a PATH");
  int rc = CLI_OK;
  for (int a = optind; a < argc; a++) {
    const char *path = argv[a];
    size_t i = 0, n = sizeof inspectors / sizeof inspectors[0];
    while (i < n && !inspectors[i].accepts(path)) i++;
    if (i == n) {
      struct stat sb;
      fprintf(stderr, "drumforge inspect: %s: %s\n", path,
              stat(path, &sb) != 0 ? "no such file or folder" : "not something drumforge can inspect");
      rc = CLI_FAILED;
      continue;
    }
    if (a > optind) printf("\n");
    int r = inspectors[i].show(path);
    if (r != CLI_OK) rc = r;
  }
  return rc;
}
