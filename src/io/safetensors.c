/* Safetensors reading (validated, whole file in memory) and writing (atomic, sorted, aligned).
 * See include/drumforge/safetensors.h for the format. */
#include "drumforge/safetensors.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend.h"
#include "core/check.h"
#include "drumforge/fileio.h"

#define MAX_HEADER_BYTES ((uint64_t)100 << 20) /* the reference implementation's limit */

static const struct {
  const char *name;
  size_t size;
} dtypes[] = {{"F32", 4}, {"F16", 2},  {"BF16", 2}, {"I32", 4}, {"I64", 8},     {"F64", 8},     {"I8", 1},   {"U8", 1},
               {"I16", 2}, {"U16", 2}, {"U32", 4},  {"U64", 8}, {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
#define N_DTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

const char *df_st_dtype_name(df_st_dtype d) {
  return (int)d >= 0 && (int)d < N_DTYPES ? dtypes[d].name : "?";
}

size_t df_st_dtype_size(df_st_dtype d) { return (int)d >= 0 && (int)d < N_DTYPES ? dtypes[d].size : 0; }

/* ---------------------------------------------------------------- reading */

struct df_st_file {
  char path[4096];
  char *buf; /* the whole file */
  size_t len;
  df_st_tensor *tensors;
  int n;
  char **meta; /* key, value, key, value, ... */
  int n_meta;
};

void df_st_close(df_st_file *f) {
  if (!f) return;
  for (int i = 0; i < f->n; i++) free((char *)f->tensors[i].name);
  for (int i = 0; i < 2 * f->n_meta; i++) free(f->meta[i]);
  free(f->tensors);
  free(f->meta);
  free(f->buf);
  free(f);
}

/* A JSON number that is a non-negative integer below 2^53. */
static int json_count(const cJSON *j, uint64_t *out) {
  if (!cJSON_IsNumber(j)) return 0;
  double d = j->valuedouble;
  if (!(d >= 0 && d < 9007199254740992.0) || floor(d) != d) return 0;
  *out = (uint64_t)d;
  return 1;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* Validates one tensor entry of the header against the data section of `data_len` bytes. */
static df_status parse_entry(const df_st_file *f, const cJSON *e, const char *data,
                             size_t data_len, df_st_tensor *t) {
  const char *name = e->string;
  if (!cJSON_IsObject(e))
    return DF_FAIL(DF_ERR_FORMAT, "%s: header entry '%s' is not an object", f->path, name);
  const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
  const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
  const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
  if (!cJSON_IsString(dt))
    return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' has no dtype", f->path, name);
  int d = 0;
  while (d < N_DTYPES && strcmp(dt->valuestring, dtypes[d].name) != 0) d++;
  if (d == N_DTYPES)
    return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' has unknown dtype '%s'", f->path, name, dt->valuestring);
  t->dtype = (df_st_dtype)d;
  if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) > DF_ST_MAX_DIMS)
    return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' has no shape of at most %d dims", f->path,
                   name, DF_ST_MAX_DIMS);
  t->ndim = 0;
  uint64_t numel = 1;
  const cJSON *dim;
  cJSON_ArrayForEach(dim, shape) {
    uint64_t v;
    if (!json_count(dim, &v))
      return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' has a bad dimension in its shape", f->path, name);
    if (v != 0 && numel > (UINT64_MAX / 8) / v)
      return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' is impossibly large", f->path, name);
    numel *= v;
    t->shape[t->ndim++] = (int64_t)v;
  }
  uint64_t begin, end;
  if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
      !json_count(cJSON_GetArrayItem(offs, 0), &begin) ||
      !json_count(cJSON_GetArrayItem(offs, 1), &end) || end < begin)
    return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' has bad data_offsets", f->path, name);
  if (end > data_len)
    return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' ends at byte %llu, past the end of the data "
                   "(%zu bytes): the file is truncated or corrupt", f->path, name,
                   (unsigned long long)end, data_len);
  if (end - begin != numel * dtypes[d].size)
    return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' has %llu bytes of data but its shape and "
                   "dtype need %llu", f->path, name, (unsigned long long)(end - begin),
                   (unsigned long long)(numel * dtypes[d].size));
  t->data = data + begin;
  t->nbytes = (size_t)(end - begin);
  t->name = dup_str(name);
  if (!t->name) return DF_FAIL(DF_ERR_OOM, "%s: out of memory", f->path);
  return DF_OK;
}

static df_status parse_metadata(df_st_file *f, const cJSON *m) {
  /* JSON allows repeated keys; which one counts would be the parser's choice. */
  if (f->meta) return DF_FAIL(DF_ERR_FORMAT, "%s: __metadata__ appears twice", f->path);
  if (!cJSON_IsObject(m))
    return DF_FAIL(DF_ERR_FORMAT, "%s: __metadata__ is not an object", f->path);
  f->meta = calloc((size_t)(2 * cJSON_GetArraySize(m) + 1), sizeof(char *));
  DF_CHECK_ALLOC(f->meta);
  const cJSON *e;
  cJSON_ArrayForEach(e, m) {
    if (!cJSON_IsString(e))
      return DF_FAIL(DF_ERR_FORMAT, "%s: metadata '%s' is not a string", f->path, e->string);
    f->meta[2 * f->n_meta] = dup_str(e->string);
    f->meta[2 * f->n_meta + 1] = dup_str(e->valuestring);
    f->n_meta++;
    if (!f->meta[2 * f->n_meta - 2] || !f->meta[2 * f->n_meta - 1])
      return DF_FAIL(DF_ERR_OOM, "%s: out of memory", f->path);
  }
  return DF_OK;
}

static int by_text(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The first of `n` names (every `stride`-th string from `names`) that is given twice, or NULL;
 * sorted, not compared pairwise: a header may hold millions of names. */
static const char *repeated_name(char *const *names, int n, int stride, df_status *s) {
  const char **sorted = malloc(sizeof *sorted * (size_t)(n ? n : 1));
  if (!sorted) {
    *s = DF_FAIL(DF_ERR_OOM, "safetensors: out of memory");
    return NULL;
  }
  for (int i = 0; i < n; i++) sorted[i] = names[(size_t)i * (size_t)stride];
  qsort(sorted, (size_t)n, sizeof *sorted, by_text);
  const char *repeat = NULL;
  for (int i = 1; !repeat && i < n; i++)
    if (!strcmp(sorted[i - 1], sorted[i])) repeat = sorted[i];
  free(sorted);
  return repeat;
}

/* JSON allows repeated keys; which one counts would be the parser's choice. */
static df_status check_unique(const df_st_file *f) {
  df_status s = DF_OK;
  char **tensor_names = malloc(sizeof *tensor_names * (size_t)(f->n ? f->n : 1));
  if (!tensor_names) return DF_FAIL(DF_ERR_OOM, "%s: out of memory", f->path);
  for (int i = 0; i < f->n; i++) tensor_names[i] = (char *)f->tensors[i].name;
  const char *repeat = repeated_name(tensor_names, f->n, 1, &s);
  free(tensor_names);
  if (repeat) return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' appears twice", f->path, repeat);
  if (!s && f->n_meta) repeat = repeated_name(f->meta, f->n_meta, 2, &s);
  if (repeat) return DF_FAIL(DF_ERR_FORMAT, "%s: metadata '%s' appears twice", f->path, repeat);
  return s;
}

static int by_offset(const void *a, const void *b) {
  const df_st_tensor *x = a, *y = b;
  if (x->data != y->data) return x->data < y->data ? -1 : 1;
  return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes; /* empty tensors first */
}

/* The tensors (sorted by offset) must tile the data section exactly, as the reference
 * implementation demands: overlapping tensors would share values, and bytes that belong to no
 * tensor mean a damaged or foreign file. */
static df_status check_layout(const df_st_file *f, const char *data, size_t data_len) {
  size_t end = 0;
  for (int i = 0; i < f->n; i++) {
    const df_st_tensor *t = &f->tensors[i];
    const size_t begin = (size_t)((const char *)t->data - data);
    if (begin < end)
      return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' (bytes %zu-%zu) overlaps tensor '%s'", f->path, t->name, begin,
                     begin + t->nbytes, f->tensors[i - 1].name);
    if (begin > end)
      return DF_FAIL(DF_ERR_FORMAT, "%s: bytes %zu-%zu of the data belong to no tensor", f->path, end, begin);
    end = begin + t->nbytes;
  }
  if (end != data_len)
    return DF_FAIL(DF_ERR_FORMAT, "%s: %zu bytes after the last tensor belong to no tensor", f->path, data_len - end);
  return DF_OK;
}

static df_status parse(df_st_file *f) {
  if (f->len < 8)
    return DF_FAIL(DF_ERR_FORMAT, "%s: truncated: %zu bytes, too short for a safetensors file",
                   f->path, f->len);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | (unsigned char)f->buf[i];
  if (hlen > MAX_HEADER_BYTES)
    return DF_FAIL(DF_ERR_FORMAT, "%s: header length %llu is implausible: not a safetensors file",
                   f->path, (unsigned long long)hlen);
  if (hlen > f->len - 8)
    return DF_FAIL(DF_ERR_FORMAT, "%s: truncated: the header needs %llu bytes, the file has %zu",
                   f->path, (unsigned long long)hlen, f->len - 8);
  const char *parsed_end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(f->buf + 8, (size_t)hlen, &parsed_end, 0);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return DF_FAIL(DF_ERR_FORMAT, "%s: the header is not a JSON object", f->path);
  }
  /* After the object only padding may follow (spaces; NULs from some writers). */
  for (const char *p = parsed_end; p < f->buf + 8 + hlen; p++) {
    if (!strchr(" \t\r\n", *p)) { /* strchr finds the terminating NUL for '\0' */
      cJSON_Delete(root);
      return DF_FAIL(DF_ERR_FORMAT, "%s: the header has text after its JSON object", f->path);
    }
  }
  const char *data = f->buf + 8 + hlen;
  const size_t data_len = f->len - 8 - (size_t)hlen;
  df_status s = DF_OK;
  f->tensors = calloc((size_t)cJSON_GetArraySize(root) + 1, sizeof *f->tensors);
  if (!f->tensors) s = DF_FAIL(DF_ERR_OOM, "%s: out of memory", f->path);
  const cJSON *e;
  cJSON_ArrayForEach(e, root) {
    if (s != DF_OK) break;
    if (strcmp(e->string, "__metadata__") == 0) {
      s = parse_metadata(f, e);
      continue;
    }
    s = parse_entry(f, e, data, data_len, &f->tensors[f->n]);
    if (s == DF_OK) f->n++;
  }
  cJSON_Delete(root);
  if (s == DF_OK) s = check_unique(f);
  if (s == DF_OK) qsort(f->tensors, (size_t)f->n, sizeof *f->tensors, by_offset);
  if (s == DF_OK) s = check_layout(f, data, data_len);
  return s;
}

df_status df_st_open(const char *path, df_st_file **out) {
  DF_CHECK_ARG(out);
  *out = NULL;
  DF_CHECK_ARG(path);
  df_st_file *f = calloc(1, sizeof *f);
  DF_CHECK_ALLOC(f);
  snprintf(f->path, sizeof f->path, "%s", path);
  df_status s = df_read_file(path, &f->buf, &f->len);
  if (s == DF_OK) s = parse(f);
  if (s != DF_OK) {
    df_st_close(f);
    return s;
  }
  *out = f;
  return DF_OK;
}

int df_st_count(const df_st_file *f) { return f ? f->n : 0; }

const df_st_tensor *df_st_at(const df_st_file *f, int i) {
  return f && i >= 0 && i < f->n ? &f->tensors[i] : NULL;
}

df_status df_st_find(const df_st_file *f, const char *name, const df_st_tensor **out) {
  DF_CHECK_ARG(out);
  *out = NULL;
  DF_CHECK_ARG(f);
  DF_CHECK_ARG(name);
  for (int i = 0; i < f->n; i++) {
    if (strcmp(f->tensors[i].name, name) == 0) {
      *out = &f->tensors[i];
      return DF_OK;
    }
  }
  *out = NULL;
  return DF_FAIL(DF_ERR_NOT_FOUND, "%s: no tensor '%s'", f->path, name);
}

const char *df_st_metadata(const df_st_file *f, const char *key) {
  if (!f || !key) return NULL;
  for (int i = 0; i < f->n_meta; i++)
    if (strcmp(f->meta[2 * i], key) == 0) return f->meta[2 * i + 1];
  return NULL;
}

int df_st_metadata_count(const df_st_file *f) { return f ? f->n_meta : 0; }

void df_st_metadata_at(const df_st_file *f, int i, const char **key, const char **value) {
  int ok = f && i >= 0 && i < f->n_meta;
  if (key) *key = ok ? f->meta[2 * i] : NULL;
  if (value) *value = ok ? f->meta[2 * i + 1] : NULL;
}

static float half_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  float mag;
  if (exp == 0) mag = ldexpf((float)man, -24); /* zero and subnormals */
  else if (exp == 31) mag = man ? NAN : INFINITY;
  else mag = ldexpf((float)(man | 0x400), (int)exp - 25);
  uint32_t bits;
  memcpy(&bits, &mag, 4);
  bits |= sign;
  memcpy(&mag, &bits, 4);
  return mag;
}

df_status df_st_load_f32(const df_st_file *f, const char *name, df_device dev, df_tensor *out) {
  const df_st_tensor *t;
  DF_CHECK_ARG(out);
  memset(out, 0, sizeof *out);
  DF_TRY(df_st_find(f, name, &t));
  if (t->dtype != DF_ST_F32 && t->dtype != DF_ST_F16 && t->dtype != DF_ST_BF16 && t->dtype != DF_ST_F64)
    return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' is %s, a float type is needed (F32, F16, BF16 or F64)", f->path,
                   name, df_st_dtype_name(t->dtype));
  if (t->ndim > DF_MAX_DIMS)
    return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' has %d dims (at most %d supported)", f->path,
                   name, t->ndim, DF_MAX_DIMS);
  const int64_t one = 1;
  DF_TRY(df_tensor_alloc(out, dev, DF_F32, t->ndim ? t->ndim : 1, t->ndim ? t->shape : &one, name));
  const int64_t n = df_tensor_numel(out);
  float *host = malloc(sizeof(float) * (size_t)(n ? n : 1));
  if (!host) {
    df_tensor_free(out);
    return DF_FAIL(DF_ERR_OOM, "%s: out of memory loading '%s'", f->path, name);
  }
  const unsigned char *src = t->data;
  for (int64_t i = 0; i < n; i++) {
    uint16_t h;
    uint32_t bits;
    double wide;
    switch (t->dtype) {
      case DF_ST_F32: memcpy(&host[i], src + 4 * i, 4); break;
      case DF_ST_F64:
        memcpy(&wide, src + 8 * i, 8);
        host[i] = (float)wide;
        break;
      case DF_ST_F16:
        memcpy(&h, src + 2 * i, 2);
        host[i] = half_to_float(h);
        break;
      default: /* BF16: the top half of an fp32 */
        memcpy(&h, src + 2 * i, 2);
        bits = (uint32_t)h << 16;
        memcpy(&host[i], &bits, 4);
        break;
    }
  }
  df_status s = df_tensor_from_host(out, host, n);
  free(host);
  if (s != DF_OK) df_tensor_free(out);
  return s;
}

/* ---------------------------------------------------------------- writing */

typedef struct st_entry {
  char *name;
  df_st_dtype dtype;
  int ndim;
  int64_t shape[DF_ST_MAX_DIMS];
  void *data;
  size_t nbytes;
} st_entry;

struct df_st_writer {
  st_entry *entries;
  int n, cap;
  char **meta; /* key, value pairs */
  int n_meta, cap_meta;
};

df_status df_st_writer_new(df_st_writer **out) {
  DF_CHECK_ARG(out);
  *out = calloc(1, sizeof **out);
  DF_CHECK_ALLOC(*out);
  return DF_OK;
}

void df_st_writer_free(df_st_writer *w) {
  if (!w) return;
  for (int i = 0; i < w->n; i++) {
    free(w->entries[i].name);
    free(w->entries[i].data);
  }
  for (int i = 0; i < 2 * w->n_meta; i++) free(w->meta[i]);
  free(w->entries);
  free(w->meta);
  free(w);
}

df_status df_st_writer_add(df_st_writer *w, const char *name, df_st_dtype dtype, int ndim,
                           const int64_t *shape, const void *data) {
  DF_CHECK_ARG(w);
  if (!name || !*name || strcmp(name, "__metadata__") == 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "safetensors: bad tensor name '%s'", name ? name : "");
  if ((int)dtype < 0 || (int)dtype >= N_DTYPES || ndim < 0 || ndim > DF_ST_MAX_DIMS)
    return DF_FAIL(DF_ERR_INVALID_ARG, "safetensors: tensor '%s': bad dtype or %d dims", name, ndim);
  for (int i = 0; i < w->n; i++)
    if (strcmp(w->entries[i].name, name) == 0)
      return DF_FAIL(DF_ERR_INVALID_ARG, "safetensors: tensor '%s' added twice", name);
  if (ndim) DF_CHECK_ARG(shape);
  uint64_t numel = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return DF_FAIL(DF_ERR_INVALID_ARG, "safetensors: tensor '%s' has a negative dim", name);
    /* A product that wraps would store a huge shape over a few bytes. */
    if (shape[i] && numel > (uint64_t)(INT64_MAX / 8) / (uint64_t)shape[i])
      return DF_FAIL(DF_ERR_INVALID_ARG, "safetensors: tensor '%s' has too many elements", name);
    numel *= (uint64_t)shape[i];
  }
  if (numel) DF_CHECK_ARG(data);
  if (w->n == w->cap) {
    int cap = w->cap ? 2 * w->cap : 16;
    st_entry *e = realloc(w->entries, sizeof *e * (size_t)cap);
    DF_CHECK_ALLOC(e);
    w->entries = e;
    w->cap = cap;
  }
  st_entry *e = &w->entries[w->n];
  memset(e, 0, sizeof *e);
  e->nbytes = (size_t)numel * dtypes[dtype].size;
  e->name = dup_str(name);
  e->data = malloc(e->nbytes ? e->nbytes : 1);
  if (!e->name || !e->data) {
    free(e->name);
    free(e->data);
    return DF_FAIL(DF_ERR_OOM, "safetensors: out of memory adding '%s'", name);
  }
  if (e->nbytes) memcpy(e->data, data, e->nbytes);
  e->dtype = dtype;
  e->ndim = ndim;
  for (int i = 0; i < ndim; i++) e->shape[i] = shape[i];
  w->n++;
  return DF_OK;
}

df_status df_st_writer_add_tensor(df_st_writer *w, const char *name, const df_tensor *t) {
  DF_CHECK_ARG(w);
  DF_TRY(df_check_tensor(__func__, t));
  if (t->dtype != DF_F32)
    return DF_FAIL(DF_ERR_INVALID_ARG, "safetensors: tensor '%s' must be fp32", t->name);
  int64_t n = df_tensor_numel(t);
  float *host = malloc(sizeof(float) * (size_t)(n ? n : 1));
  DF_CHECK_ALLOC(host);
  df_status s = df_tensor_to_host(t, host, n);
  if (s == DF_OK) s = df_st_writer_add(w, name, DF_ST_F32, t->ndim, t->shape, host);
  free(host);
  return s;
}

df_status df_st_writer_set_metadata(df_st_writer *w, const char *key, const char *value) {
  DF_CHECK_ARG(w);
  if (!key || !value)
    return DF_FAIL(DF_ERR_INVALID_ARG, "safetensors: metadata key and value are needed");
  for (int i = 0; i < w->n_meta; i++) {
    if (strcmp(w->meta[2 * i], key) == 0) {
      char *v = dup_str(value);
      DF_CHECK_ALLOC(v);
      free(w->meta[2 * i + 1]);
      w->meta[2 * i + 1] = v;
      return DF_OK;
    }
  }
  if (w->n_meta == w->cap_meta) {
    int cap = w->cap_meta ? 2 * w->cap_meta : 8;
    char **m = realloc(w->meta, sizeof(char *) * 2 * (size_t)cap);
    DF_CHECK_ALLOC(m);
    w->meta = m;
    w->cap_meta = cap;
  }
  /* Counted only once both copies exist: the writer stays usable after a failure. */
  char *k = dup_str(key), *v = dup_str(value);
  if (!k || !v) {
    free(k);
    free(v);
    return DF_FAIL(DF_ERR_OOM, "safetensors: out of memory for metadata '%s'", key);
  }
  w->meta[2 * w->n_meta] = k;
  w->meta[2 * w->n_meta + 1] = v;
  w->n_meta++;
  return DF_OK;
}

static int by_name(const void *a, const void *b) {
  return strcmp((*(const st_entry *const *)a)->name, (*(const st_entry *const *)b)->name);
}

/* The JSON header for the entries in `order` (data laid out in that order). */
static char *make_header(const df_st_writer *w, st_entry **order) {
  cJSON *root = cJSON_CreateObject();
  int ok = root != NULL;
  if (ok && w->n_meta) {
    cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
    ok = m != NULL;
    for (int i = 0; ok && i < w->n_meta; i++)
      ok = cJSON_AddStringToObject(m, w->meta[2 * i], w->meta[2 * i + 1]) != NULL;
  }
  size_t offset = 0;
  for (int i = 0; ok && i < w->n; i++) {
    const st_entry *e = order[i];
    cJSON *t = cJSON_AddObjectToObject(root, e->name);
    cJSON *shape = t ? cJSON_AddArrayToObject(t, "shape") : NULL;
    cJSON *offs = t ? cJSON_AddArrayToObject(t, "data_offsets") : NULL;
    ok = t && shape && offs && cJSON_AddStringToObject(t, "dtype", dtypes[e->dtype].name);
    for (int d = 0; ok && d < e->ndim; d++)
      ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)e->shape[d]));
    ok = ok && cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset)) &&
         cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(offset + e->nbytes)));
    offset += e->nbytes;
  }
  char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  return text;
}

df_status df_st_writer_save(const df_st_writer *w, const char *path) {
  DF_CHECK_ARG(w);
  DF_CHECK_ARG(path);
  st_entry **order = malloc(sizeof *order * (size_t)(w->n ? w->n : 1));
  DF_CHECK_ALLOC(order);
  for (int i = 0; i < w->n; i++) order[i] = &w->entries[i];
  qsort(order, (size_t)w->n, sizeof *order, by_name);
  char *header = make_header(w, order);
  if (!header) {
    free(order);
    return DF_FAIL(DF_ERR_OOM, "%s: out of memory building the safetensors header", path);
  }
  /* Pad with spaces so the data starts at a multiple of 8 bytes. */
  size_t hlen = strlen(header), padded = (hlen + 7) & ~(size_t)7;
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; i++) len_bytes[i] = (unsigned char)((uint64_t)padded >> (8 * i));
  df_atomic_file af;
  df_status s = df_atomic_open(&af, path);
  if (s == DF_OK) {
    fwrite(len_bytes, 1, 8, af.fp);
    fwrite(header, 1, hlen, af.fp);
    for (size_t i = hlen; i < padded; i++) fputc(' ', af.fp);
    for (int i = 0; i < w->n; i++) fwrite(order[i]->data, 1, order[i]->nbytes, af.fp);
    s = df_atomic_commit(&af); /* reports any write error, e.g. a full disk */
  }
  free(header);
  free(order);
  return s;
}
