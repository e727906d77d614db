/* Shards inside the library: the in-memory buffer prepare fills and writes, and the
 * per-example access the loader uses (see include/drumforge/dataset.h for the format). */
#ifndef DF_DATA_SHARD_H
#define DF_DATA_SHARD_H

#include <stdint.h>

#include "drumforge/dataset.h"

/* Examples collected for one shard file. info.examples is unused; count is the fill. */
typedef struct shard_buffer {
  df_shard_info info; /* rate, channels, length, int16, classes, kind of every example */
  df_split split;
  int64_t count, cap;
  float *audio;       /* [cap, channels, length] */
  int32_t *label;
  int64_t *start;
  int16_t *augment;
  char **source, **group, **pattern; /* owned copies */
} shard_buffer;

df_status shard_buffer_init(shard_buffer *b, const df_shard_info *info, df_split split, int64_t cap);
/* Appends one example (audio: channels * length floats). pattern may be NULL. */
df_status shard_buffer_add(shard_buffer *b, const float *audio, int32_t label, int64_t start,
                           int augment, const char *source, const char *group, const char *pattern);
/* Writes the buffered examples to path: HDF5 builds the file in memory, and it is written
 * through a temporary name ("path.tmp.PID.N") renamed when complete; a full disk is an error
 * with the errno. int16 shards take scale = max(1, peak) / 32767, so nothing clips. */
df_status shard_buffer_write(const shard_buffer *b, const char *path);
/* Empties the buffer for the next shard (keeps the allocation). */
void shard_buffer_clear(shard_buffer *b);
void shard_buffer_free(shard_buffer *b);

/* Copies example i as floats (channels * length) into dst: the loader's hot path. Safe to
 * call from any thread (no HDF5: the audio is memory-mapped or was read at open). */
void shard_copy_example(const df_shard *s, int64_t i, float *dst);

/* DF_ERR_FORMAT unless the shard holds what manifest.json (mi) says of its entry i: that many
 * examples, every one in that split, and the manifest's class names, when it lists them (a
 * shard replaced, cut or renamed after prepare, or one of another dataset). */
struct manifest_info;
df_status shard_check_listed(const df_shard *s, const struct manifest_info *mi, int i);

/* 1 when two shards have the same rate, length, channels, kind and classes (one dataset). */
int shard_same_layout(const df_shard_info *a, const df_shard_info *b);

#endif
