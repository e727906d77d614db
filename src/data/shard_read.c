/* Reading shards (include/drumforge/dataset.h). Audio written by drumforge is contiguous and
 * uncompressed, so it is memory-mapped: examples are copied straight out of the page cache,
 * from any thread, without HDF5. Other layouts (chunked, compressed, other types) are read
 * whole into memory at open. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/h5util.h"
#include "data/manifest.h"
#include "data/shard.h"

struct df_shard {
  df_shard_info info;
  char path[4096];
  int32_t *label;
  uint8_t *split;
  int64_t *start;
  int16_t *augment;
  char **source, **group, **pattern; /* NULL when the file has no such dataset */
  void *map;                         /* the whole file, when the audio can be mapped */
  size_t map_len;
  const void *raw;                   /* first stored sample inside the map */
  float *owned;                      /* or every example as floats */
};

void df_shard_close(df_shard *s) {
  if (!s) return;
  int64_t n = s->info.examples;
  h5_free_strings(s->source, n);
  h5_free_strings(s->group, n);
  h5_free_strings(s->pattern, n);
  free(s->label);
  free(s->split);
  free(s->start);
  free(s->augment);
  free(s->owned);
  if (s->map) munmap(s->map, s->map_len);
  free(s);
}

const df_shard_info *df_shard_get_info(const df_shard *s) { return &s->info; }

/* Reads a 1-D numeric column of n elements as mem_type; a missing column is `fill`. */
static df_status read_column(hid_t f, const char *name, hid_t mem_type, size_t elem, int64_t n,
                             void **out, const void *fill, const char *path) {
  *out = (size_t)n <= SIZE_MAX / elem ? malloc(elem * (size_t)(n ? n : 1)) : NULL;
  if (!*out) return DF_FAIL(DF_ERR_OOM, "%s: column '%s' of %lld values", path, name, (long long)n);
  for (int64_t i = 0; i < n; i++) memcpy((char *)*out + elem * (size_t)i, fill, elem);
  if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return DF_OK;
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) return DF_FAIL(DF_ERR_FORMAT, "%s: cannot open dataset '%s' (corrupt?)", path, name);
  df_status checked = h5_dataset_check(d, name, path);
  if (checked != DF_OK) {
    H5Dclose(d);
    return checked;
  }
  hid_t space = H5Dget_space(d), ftype = H5Dget_type(d);
  /* The split column is an enum; HDF5 converts enums by name, not to plain integers. */
  hid_t mt = H5Tget_class(ftype) == H5T_ENUM ? shard_split_type() : H5Tcopy(mem_type);
  int ok = H5Sget_simple_extent_npoints(space) == n &&
           H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) >= 0;
  H5Tclose(mt);
  H5Tclose(ftype);
  H5Sclose(space);
  H5Dclose(d);
  if (!ok)
    return DF_FAIL(DF_ERR_FORMAT, "%s: dataset '%s' is not %lld values of the expected kind",
                   path, name, (long long)n);
  return DF_OK;
}

/* A missing attribute or string column is fine (other tools' files); an unreadable one is not. */
static df_status optional(df_status st) { return st == DF_ERR_NOT_FOUND ? DF_OK : st; }

/* Variable-length strings (in HDF5's global heap) are format version 1's, and other tools';
 * version 2 stores every string fixed-length, so a variable-length type in one is corruption. */
static int vlen_ok(const df_shard *s) { return s->info.format_version < 2; }

/* Maps the audio when it is stored contiguously as little-endian float32 or int16. */
static void try_map(df_shard *s, hid_t d, hid_t ftype) {
  haddr_t off = H5Dget_offset(d);
  int f32 = H5Tequal(ftype, H5T_IEEE_F32LE) > 0, i16 = H5Tequal(ftype, H5T_STD_I16LE) > 0;
  if (off == HADDR_UNDEF || !(f32 || i16)) return;
  size_t bytes = (size_t)s->info.examples * (size_t)s->info.channels * (size_t)s->info.length *
                 (f32 ? 4 : 2);
  int fd = open(s->path, O_RDONLY);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) == 0 && (size_t)st.st_size >= off + bytes && st.st_size > 0) {
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED) {
      s->map = m;
      s->map_len = (size_t)st.st_size;
      s->raw = (const char *)m + off;
      s->info.int16 = i16;
    }
  }
  close(fd);
}

static df_status open_audio(df_shard *s, hid_t f) {
  if (H5Lexists(f, "audio", H5P_DEFAULT) <= 0)
    return DF_FAIL(DF_ERR_FORMAT, "%s: no 'audio' dataset (not a drumforge shard?)", s->path);
  hid_t d = H5Dopen2(f, "audio", H5P_DEFAULT);
  if (d < 0) return DF_FAIL(DF_ERR_FORMAT, "%s: cannot open dataset 'audio' (corrupt?)", s->path);
  df_status checked = h5_dataset_check(d, "audio", s->path);
  if (checked != DF_OK) {
    H5Dclose(d);
    return checked;
  }
  hid_t space = H5Dget_space(d), ftype = H5Dget_type(d);
  hsize_t dims[3] = {0, 1, 0};
  int rank = H5Sget_simple_extent_ndims(space);
  df_status st = DF_OK;
  if (rank == 2 || rank == 3) {
    H5Sget_simple_extent_dims(space, dims, NULL);
    if (rank == 2) {
      dims[2] = dims[1];
      dims[1] = 1;
    }
  }
  H5T_class_t cls = H5Tget_class(ftype);
  if (rank != 2 && rank != 3)
    st = DF_FAIL(DF_ERR_FORMAT, "%s: 'audio' has %d dimensions (want [N, L] or [N, C, L])", s->path, rank);
  else if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    st = DF_FAIL(DF_ERR_FORMAT, "%s: 'audio' is not numeric", s->path);
  if (st == DF_OK) {
    s->info.examples = (int64_t)dims[0];
    s->info.channels = (int)dims[1];
    s->info.length = (int64_t)dims[2];
    double scale = cls == H5T_INTEGER ? 1.0 / (double)(1ull << (8 * H5Tget_size(ftype) - 1)) : 1.0;
    st = optional(h5_attr_read_float(d, "scale", &scale, s->path));
    if (st == DF_OK && (!isfinite((float)scale) || scale == 0))
      st = DF_FAIL(DF_ERR_FORMAT, "%s: the 'audio' scale attribute is %g, not a finite non-zero factor", s->path, scale);
    s->info.scale = (float)scale;
    if (st == DF_OK) try_map(s, d, ftype);
    if (st == DF_OK && !s->map) {
      size_t n = (size_t)dims[0] * dims[1] * dims[2];
      s->owned = malloc(sizeof(float) * (n ? n : 1));
      if (!s->owned)
        st = DF_FAIL(DF_ERR_OOM, "%s: cannot hold its %zu samples in memory", s->path, n);
      else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->owned) < 0)
        st = DF_FAIL(DF_ERR_FORMAT, "%s: cannot read 'audio'", s->path);
      else if (scale != 1.0)
        for (size_t i = 0; i < n; i++) s->owned[i] *= (float)scale;
      s->info.int16 = 0;
      s->info.scale = 1.0f;
    }
  }
  H5Tclose(ftype);
  H5Sclose(space);
  H5Dclose(d);
  return st;
}

static df_status read_all(df_shard *s, hid_t f) {
  int64_t v = 0;
  DF_TRY(optional(h5_attr_read_int(f, "format_version", &v, s->path)));
  if (v > DF_DATASET_FORMAT_VERSION)
    return DF_FAIL(DF_ERR_FORMAT, "%s: format version %lld is newer than this drumforge reads (%d)",
                   s->path, (long long)v, DF_DATASET_FORMAT_VERSION);
  s->info.format_version = (int)v;
  v = 0;
  DF_TRY(optional(h5_attr_read_int(f, "sample_rate", &v, s->path)));
  s->info.rate = (int)v;
  DF_TRY(optional(h5_attr_read_string(f, "kind", vlen_ok(s), s->info.kind, sizeof s->info.kind, s->path)));
  DF_TRY(optional(h5_attr_read_strings(f, "class_names", vlen_ok(s), &s->info.class_names[0][0],
                                       DF_MAX_CLASSES, DF_CLASS_NAME_LEN, &s->info.n_classes, s->path)));
  DF_TRY(open_audio(s, f));
  int64_t n = s->info.examples;
  const int32_t no_label = -1;
  const uint8_t train = DF_SPLIT_TRAIN;
  const int64_t zero64 = 0;
  const int16_t zero16 = 0;
  DF_TRY(read_column(f, "label", H5T_NATIVE_INT32, 4, n, (void **)&s->label, &no_label, s->path));
  DF_TRY(read_column(f, "split", H5T_NATIVE_UINT8, 1, n, (void **)&s->split, &train, s->path));
  DF_TRY(read_column(f, "start", H5T_NATIVE_INT64, 8, n, (void **)&s->start, &zero64, s->path));
  DF_TRY(read_column(f, "augment", H5T_NATIVE_INT16, 2, n, (void **)&s->augment, &zero16, s->path));
  DF_TRY(optional(h5_read_strings(f, "source", n, vlen_ok(s), &s->source, s->path)));
  DF_TRY(optional(h5_read_strings(f, "group", n, vlen_ok(s), &s->group, s->path)));
  DF_TRY(optional(h5_read_strings(f, "pattern", n, vlen_ok(s), &s->pattern, s->path)));
  for (int64_t i = 0; i < n; i++) {
    if (s->label[i] < -1 || s->label[i] >= (s->info.n_classes ? s->info.n_classes : INT32_MAX))
      return DF_FAIL(DF_ERR_FORMAT, "%s: example %lld has label %d outside the %d classes", s->path,
                     (long long)i, s->label[i], s->info.n_classes);
    if (s->split[i] >= DF_N_SPLITS)
      return DF_FAIL(DF_ERR_FORMAT, "%s: example %lld has split %d", s->path, (long long)i, s->split[i]);
  }
  return DF_OK;
}

df_status df_shard_open(const char *path, df_shard **out) {
  *out = NULL;
  h5_quiet();
  if (access(path, R_OK) != 0)
    return DF_FAIL(DF_ERR_NOT_FOUND, "%s: cannot open: %s", path, strerror(errno));
  if (H5Fis_hdf5(path) <= 0) return DF_FAIL(DF_ERR_FORMAT, "%s: not an HDF5 file", path);
  df_shard *s = calloc(1, sizeof *s);
  if (!s) return DF_FAIL(DF_ERR_OOM, "%s: shard", path);
  snprintf(s->path, sizeof s->path, "%s", path);
  s->info.scale = 1.0f;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  df_status st = f < 0 ? DF_FAIL(DF_ERR_FORMAT, "%s: HDF5 cannot open it (corrupt?)", path) : read_all(s, f);
  if (f >= 0) H5Fclose(f);
  if (st != DF_OK) {
    df_shard_close(s);
    return st;
  }
  *out = s;
  return DF_OK;
}

void shard_copy_example(const df_shard *s, int64_t i, float *dst) {
  size_t per = (size_t)s->info.channels * (size_t)s->info.length;
  if (s->owned) {
    memcpy(dst, s->owned + per * (size_t)i, sizeof(float) * per);
  } else if (s->info.int16) {
    const int16_t *src = (const int16_t *)s->raw + per * (size_t)i;
    float scale = s->info.scale;
    for (size_t k = 0; k < per; k++) dst[k] = (float)src[k] * scale;
  } else if (s->info.scale == 1.0f) {
    memcpy(dst, (const float *)s->raw + per * (size_t)i, sizeof(float) * per);
  } else { /* a float shard with a 'scale' attribute (the owned path applies it on reading) */
    const float *src = (const float *)s->raw + per * (size_t)i;
    for (size_t k = 0; k < per; k++) dst[k] = src[k] * s->info.scale;
  }
}

df_status df_shard_read(const df_shard *s, int64_t first, int64_t count, float *audio) {
  if (first < 0 || count < 0 || first + count > s->info.examples)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: examples [%lld, %lld) outside [0, %lld)", s->path,
                   (long long)first, (long long)(first + count), (long long)s->info.examples);
  size_t per = (size_t)s->info.channels * (size_t)s->info.length;
  for (int64_t i = 0; i < count; i++) shard_copy_example(s, first + i, audio + per * (size_t)i);
  return DF_OK;
}

df_status df_shard_meta(const df_shard *s, int64_t i, df_example_meta *m) {
  if (i < 0 || i >= s->info.examples)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: example %lld outside [0, %lld)", s->path, (long long)i,
                   (long long)s->info.examples);
  m->label = s->label[i];
  m->split = (df_split)s->split[i];
  m->start = s->start[i];
  m->augment = s->augment[i];
  m->source = s->source ? s->source[i] : "";
  m->group = s->group ? s->group[i] : "";
  m->pattern = s->pattern ? s->pattern[i] : "";
  return DF_OK;
}

df_status shard_check_listed(const df_shard *s, const manifest_info *mi, int i) {
  const df_split split = mi->split[i];
  const int64_t examples = mi->examples[i];
  if (s->info.examples != examples)
    return DF_FAIL(DF_ERR_FORMAT, "%s: %lld examples, but manifest.json says %lld (the shard was changed after prepare?)",
                   s->path, (long long)s->info.examples, (long long)examples);
  for (int64_t k = 0; k < s->info.examples; k++)
    if (s->split[k] != (uint8_t)split)
      return DF_FAIL(DF_ERR_FORMAT, "%s: example %lld is in the %s split, but manifest.json lists the shard as %s",
                     s->path, (long long)k, df_split_name((df_split)s->split[k]), df_split_name(split));
  if (mi->n_classes < 0) return DF_OK; /* a manifest written by hand may not list them */
  for (int c = 0; c < s->info.n_classes && c < mi->n_classes; c++)
    if (strcmp(s->info.class_names[c], mi->class_names[c]))
      return DF_FAIL(DF_ERR_FORMAT, "%s: class %d is '%s', but manifest.json says '%s' (a shard of another dataset?)",
                     s->path, c, s->info.class_names[c], mi->class_names[c]);
  if (s->info.n_classes != mi->n_classes)
    return DF_FAIL(DF_ERR_FORMAT, "%s: %d classes, but manifest.json lists %d (a shard of another dataset?)", s->path,
                   s->info.n_classes, mi->n_classes);
  return DF_OK;
}

int shard_same_layout(const df_shard_info *a, const df_shard_info *b) {
  if (a->channels != b->channels || a->length != b->length || a->rate != b->rate ||
      a->n_classes != b->n_classes || strcmp(a->kind, b->kind))
    return 0;
  for (int c = 0; c < a->n_classes; c++)
    if (strcmp(a->class_names[c], b->class_names[c])) return 0;
  return 1;
}
