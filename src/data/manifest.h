/* manifest.json: what a dataset holds (shards, counts per split and class, kits), the
 * settings that built it, and every rejected or skipped input file with the reason. It is
 * written last, atomically: a folder with a manifest is a complete dataset. */
#ifndef DF_DATA_MANIFEST_H
#define DF_DATA_MANIFEST_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "drumforge/dataset.h"

typedef struct manifest {
  cJSON *root, *rejected, *skipped, *shards, *kits;
} manifest;

df_status manifest_begin(manifest *m, const df_prepare_options *opt, const char *class_table,
                         const df_shard_info *info);
/* Entries of the "rejected" and "skipped" lists. The reason may be a df_last_error() line:
 * its leading "PATH: " and trailing " (file.c:123)" are dropped. */
df_status manifest_reject(manifest *m, const char *path, const char *reason);
df_status manifest_skip(manifest *m, const char *path, const char *reason);
df_status manifest_kit(manifest *m, const char *folder, const char *path, const char *name,
                       const char *license, df_split split, int64_t files);
df_status manifest_shard(manifest *m, const char *file, df_split split, int64_t examples);
/* counts[split][class], column n_classes: unlabelled. */
df_status manifest_finish(manifest *m, const df_shard_info *info,
                          const int64_t counts[DF_N_SPLITS][DF_MAX_CLASSES + 1],
                          const int64_t groups[DF_N_SPLITS]);
df_status manifest_write(const manifest *m, const char *path);
void manifest_free(manifest *m);

/* What the loader and inspect need back from a dataset's manifest.json. */
typedef struct manifest_info {
  int n_shards;
  char **files;      /* shard paths (joined with the dataset folder) */
  df_split *split;
  int64_t *examples;
  int64_t rejected, skipped;
  int n_classes; /* -1: the manifest lists no class_names (one written by hand) */
  char class_names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
} manifest_info;

df_status manifest_read(const char *dir, manifest_info *out);
void manifest_info_free(manifest_info *mi);

#endif
