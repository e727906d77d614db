/* Split assignment (src/data/splits.h). */
#include "data/splits.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/text.h"
#include "drumforge/fileio.h"

static uint64_t key_hash(const char *key, uint64_t seed) {
  return text_mix(text_fnv1a(TEXT_FNV_INIT, key, strlen(key)), seed);
}

df_split split_by_hash(const char *key, const double fractions[DF_N_SPLITS], uint64_t seed) {
  double total = fractions[0] + fractions[1] + fractions[2];
  double u = (double)(key_hash(key, seed) >> 11) * 0x1.0p-53 * total;
  if (u < fractions[0]) return DF_SPLIT_TRAIN;
  if (u < fractions[0] + fractions[1]) return DF_SPLIT_VALIDATION;
  return fractions[2] > 0 ? DF_SPLIT_TEST : (fractions[1] > 0 ? DF_SPLIT_VALIDATION : DF_SPLIT_TRAIN);
}

typedef struct unit {
  uint64_t h;
  const char *key;
  int64_t index;
} unit;

static int unit_order(const void *a, const void *b) {
  const unit *x = a, *y = b;
  if (x->h != y->h) return x->h < y->h ? -1 : 1;
  return strcmp(x->key, y->key);
}

void split_greedy(const char *const *keys, const int64_t *weights, int64_t n,
                  const double fractions[DF_N_SPLITS], uint64_t seed, df_split *out) {
  unit *u = malloc(sizeof *u * (size_t)(n ? n : 1));
  if (!u) { /* out of memory: everything in train rather than nothing */
    for (int64_t i = 0; i < n; i++) out[i] = DF_SPLIT_TRAIN;
    return;
  }
  for (int64_t i = 0; i < n; i++) u[i] = (unit){key_hash(keys[i], seed), keys[i], i};
  qsort(u, (size_t)n, sizeof *u, unit_order);
  double total = fractions[0] + fractions[1] + fractions[2];
  double assigned[DF_N_SPLITS] = {0, 0, 0}, sum = 0;
  for (int64_t k = 0; k < n; k++) {
    double w = (double)weights[u[k].index];
    int best = 0;
    double best_deficit = -1e300;
    for (int s = 0; s < DF_N_SPLITS; s++) {
      if (fractions[s] <= 0) continue;
      double deficit = fractions[s] / total * (sum + w) - assigned[s];
      if (deficit > best_deficit) {
        best_deficit = deficit;
        best = s;
      }
    }
    out[u[k].index] = (df_split)best;
    assigned[best] += w;
    sum += w;
  }
  free(u);
}

static int64_t find_root(int64_t *root, int64_t u) {
  while (root[u] != u) u = root[u] = root[root[u]];
  return u;
}

typedef struct sized {
  int64_t size;
  int64_t item;
  uint64_t hash;
} sized;

static int by_size(const void *a, const void *b) {
  const sized *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? -1 : 1;
  return x->item < y->item ? -1 : 1;
}

static int by_hash(const void *a, const void *b) {
  const sized *x = a, *y = b;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  return x->item < y->item ? -1 : 1;
}

static uint64_t file_hash(const char *path) {
  char *data;
  size_t len;
  if (df_read_file(path, &data, &len) != DF_OK) return 0;
  uint64_t h = text_fnv1a(TEXT_FNV_INIT, data, len);
  free(data);
  return h;
}

df_status split_merge_identical(const char *const *paths, const int64_t *unit_of, int64_t n,
                                int64_t n_units, int64_t *root) {
  for (int64_t u = 0; u < n_units; u++) root[u] = u;
  sized *s = malloc(sizeof *s * (size_t)(n ? n : 1));
  if (!s) return DF_FAIL(DF_ERR_OOM, "duplicate check");
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    struct stat st;
    if (unit_of[i] >= 0 && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
      s[m++] = (sized){st.st_size, i, 0};
  }
  qsort(s, (size_t)m, sizeof *s, by_size);
  for (int64_t a = 0; a < m;) {
    int64_t b = a + 1;
    while (b < m && s[b].size == s[a].size) b++;
    int several_units = 0;
    for (int64_t k = a + 1; k < b; k++) several_units |= unit_of[s[k].item] != unit_of[s[a].item];
    if (several_units) {
      for (int64_t k = a; k < b; k++) s[k].hash = file_hash(paths[s[k].item]);
      qsort(s + a, (size_t)(b - a), sizeof *s, by_hash);
      for (int64_t k = a + 1; k < b; k++)
        if (s[k].hash == s[k - 1].hash && s[k].hash) {
          int64_t x = find_root(root, unit_of[s[k - 1].item]), y = find_root(root, unit_of[s[k].item]);
          if (x != y) root[x > y ? x : y] = x < y ? x : y;
        }
    }
    a = b;
  }
  for (int64_t u = 0; u < n_units; u++) root[u] = find_root(root, u);
  free(s);
  return DF_OK;
}
