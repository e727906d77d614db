/* df_dataset_summarize: counts per split and class of a dataset folder or one shard
 * (include/drumforge/dataset.h), checking the shards against the manifest on the way. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/manifest.h"
#include "data/shard.h"
#include "drumforge/dataset.h"

typedef struct group_key {
  int split;
  char *group;
} group_key;

static int key_order(const void *a, const void *b) {
  const group_key *x = a, *y = b;
  return x->split != y->split ? x->split - y->split : strcmp(x->group, y->group);
}

typedef struct tally {
  df_dataset_summary *out;
  group_key *keys;
  int64_t n_keys, cap_keys;
} tally;

/* listed: the shard's entry in manifest.json (NULL for a lone shard). */
static df_status add_shard(tally *t, const char *path, const manifest_info *listed, int listed_index) {
  df_shard *s;
  DF_TRY(df_shard_open(path, &s));
  df_dataset_summary *out = t->out;
  const df_shard_info *in = df_shard_get_info(s);
  df_status st = DF_OK;
  if (out->n_shards == 0) {
    out->info = *in;
    out->info.examples = 0;
  } else if (!shard_same_layout(&out->info, in)) {
    st = DF_FAIL(DF_ERR_FORMAT, "%s: rate, length, channels, kind or classes differ from the first shard", path);
  }
  if (st == DF_OK && listed)
    st = shard_check_listed(s, listed, listed_index);
  for (int64_t i = 0; i < in->examples && st == DF_OK; i++) {
    df_example_meta m;
    df_shard_meta(s, i, &m);
    out->examples[m.split]++;
    out->counts[m.split][m.label >= 0 ? m.label : out->info.n_classes]++;
    out->augmented += m.augment > 0;
    if (t->n_keys == t->cap_keys) {
      t->cap_keys = t->cap_keys ? 2 * t->cap_keys : 1024;
      group_key *grown = realloc(t->keys, sizeof *grown * (size_t)t->cap_keys);
      if (!grown) st = DF_FAIL(DF_ERR_OOM, "summary");
      else t->keys = grown;
    }
    if (st == DF_OK && !(t->keys[t->n_keys].group = strdup(m.group))) st = DF_FAIL(DF_ERR_OOM, "summary");
    if (st == DF_OK) t->keys[t->n_keys++].split = m.split;
  }
  out->info.examples += in->examples;
  out->n_shards++;
  struct stat sb;
  if (stat(path, &sb) == 0) out->bytes += sb.st_size;
  df_shard_close(s);
  return st;
}

df_status df_dataset_summarize(const char *path, df_dataset_summary *out) {
  memset(out, 0, sizeof *out);
  struct stat sb;
  if (stat(path, &sb) != 0) return DF_FAIL(DF_ERR_NOT_FOUND, "%s: no such file or folder", path);
  tally t = {.out = out};
  df_status st = DF_OK;
  if (S_ISDIR(sb.st_mode)) {
    manifest_info mi;
    DF_TRY(manifest_read(path, &mi));
    out->is_dataset = 1;
    out->rejected = mi.rejected;
    out->skipped = mi.skipped;
    for (int i = 0; i < mi.n_shards && st == DF_OK; i++) st = add_shard(&t, mi.files[i], &mi, i);
    manifest_info_free(&mi);
  } else {
    st = add_shard(&t, path, NULL, 0);
  }
  if (st == DF_OK && t.n_keys) { /* no shards: t.keys is NULL, which qsort must not get */
    qsort(t.keys, (size_t)t.n_keys, sizeof *t.keys, key_order);
    for (int64_t i = 0; i < t.n_keys; i++)
      out->groups[t.keys[i].split] += i == 0 || key_order(&t.keys[i], &t.keys[i - 1]) != 0;
  }
  for (int64_t i = 0; i < t.n_keys; i++) free(t.keys[i].group);
  free(t.keys);
  return st;
}
