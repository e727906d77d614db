/* Writing one shard file (src/data/shard.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5util.h"
#include "data/shard.h"
#include "drumforge/fileio.h"

hid_t shard_split_type(void) {
  hid_t t = H5Tenum_create(H5T_STD_U8LE);
  for (uint8_t v = 0; v < DF_N_SPLITS; v++) H5Tenum_insert(t, df_split_name((df_split)v), &v);
  return t;
}

df_status shard_buffer_init(shard_buffer *b, const df_shard_info *info, df_split split, int64_t cap) {
  memset(b, 0, sizeof *b);
  b->info = *info;
  b->split = split;
  b->cap = cap;
  size_t per = (size_t)info->channels * (size_t)info->length;
  b->audio = malloc(sizeof(float) * per * (size_t)cap);
  b->label = malloc(sizeof(int32_t) * (size_t)cap);
  b->start = malloc(sizeof(int64_t) * (size_t)cap);
  b->augment = malloc(sizeof(int16_t) * (size_t)cap);
  b->source = calloc((size_t)cap, sizeof(char *));
  b->group = calloc((size_t)cap, sizeof(char *));
  b->pattern = calloc((size_t)cap, sizeof(char *));
  if (!b->audio || !b->label || !b->start || !b->augment || !b->source || !b->group || !b->pattern) {
    shard_buffer_free(b);
    return DF_FAIL(DF_ERR_OOM, "shard buffer of %lld examples", (long long)cap);
  }
  return DF_OK;
}

df_status shard_buffer_add(shard_buffer *b, const float *audio, int32_t label, int64_t start,
                           int augment, const char *source, const char *group, const char *pattern) {
  if (b->count >= b->cap) return DF_FAIL(DF_ERR_INVALID_ARG, "shard buffer is full");
  int64_t i = b->count;
  size_t per = (size_t)b->info.channels * (size_t)b->info.length;
  memcpy(b->audio + per * (size_t)i, audio, sizeof(float) * per);
  b->label[i] = label;
  b->start[i] = start;
  b->augment[i] = (int16_t)augment;
  b->source[i] = strdup(source ? source : "");
  b->group[i] = strdup(group ? group : "");
  b->pattern[i] = strdup(pattern ? pattern : "");
  if (!b->source[i] || !b->group[i] || !b->pattern[i]) return DF_FAIL(DF_ERR_OOM, "shard strings");
  b->count++;
  return DF_OK;
}

void shard_buffer_clear(shard_buffer *b) {
  for (int64_t i = 0; i < b->count; i++) {
    free(b->source[i]);
    free(b->group[i]);
    free(b->pattern[i]);
    b->source[i] = b->group[i] = b->pattern[i] = NULL;
  }
  b->count = 0;
}

void shard_buffer_free(shard_buffer *b) {
  if (b->source) shard_buffer_clear(b);
  free(b->audio);
  free(b->label);
  free(b->start);
  free(b->augment);
  free(b->source);
  free(b->group);
  free(b->pattern);
  memset(b, 0, sizeof *b);
}

static df_status write_root_attributes(hid_t f, const shard_buffer *b, const char *path) {
  const df_shard_info *in = &b->info;
  DF_TRY(h5_attr_write_string(f, "format", "drumforge-dataset", path));
  DF_TRY(h5_attr_write_int(f, "format_version", DF_DATASET_FORMAT_VERSION, path));
  DF_TRY(h5_attr_write_string(f, "kind", in->kind, path));
  DF_TRY(h5_attr_write_int(f, "sample_rate", in->rate, path));
  DF_TRY(h5_attr_write_int(f, "slice_length", in->length, path));
  DF_TRY(h5_attr_write_int(f, "channels", in->channels, path));
  const char *names[DF_MAX_CLASSES];
  for (int c = 0; c < in->n_classes; c++) names[c] = in->class_names[c];
  return h5_attr_write_strings(f, "class_names", names, in->n_classes, path);
}

/* audio [N, C, L], float32 or int16 with its scale attribute; contiguous and uncompressed so
 * that readers can memory-map it. */
static df_status write_audio(hid_t f, const shard_buffer *b, const char *path) {
  size_t n = (size_t)b->count * (size_t)b->info.channels * (size_t)b->info.length;
  hsize_t dims[3] = {(hsize_t)b->count, (hsize_t)b->info.channels, (hsize_t)b->info.length};
  double scale = 1.0;
  int16_t *q = NULL;
  if (b->info.int16) {
    float peak = 0.0f;
    for (size_t i = 0; i < n; i++) peak = fmaxf(peak, fabsf(b->audio[i]));
    scale = fmax(1.0, peak) / 32767.0;
    q = malloc(sizeof(int16_t) * (n ? n : 1));
    if (!q) return DF_FAIL(DF_ERR_OOM, "%s: int16 buffer", path);
    for (size_t i = 0; i < n; i++) q[i] = (int16_t)lrint(b->audio[i] / scale);
  }
  hid_t space = H5Screate_simple(3, dims, NULL);
  hid_t dcpl = h5_dcpl();
  hid_t ftype = q ? H5T_STD_I16LE : H5T_IEEE_F32LE;
  hid_t d = H5Dcreate2(f, "audio", ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(space);
  herr_t e = d < 0 ? -1
             : H5Dwrite(d, q ? H5T_NATIVE_INT16 : H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                        H5P_DEFAULT, q ? (const void *)q : (const void *)b->audio);
  free(q);
  df_status st = e < 0 ? DF_FAIL(DF_ERR_IO, "%s: cannot write the audio", path) : DF_OK;
  if (st == DF_OK) st = h5_attr_write_float(d, "scale", scale, path);
  if (d >= 0) H5Dclose(d);
  return st;
}

static df_status write_contents(hid_t f, const shard_buffer *b, const char *path) {
  DF_TRY(write_root_attributes(f, b, path));
  DF_TRY(write_audio(f, b, path));
  DF_TRY(h5_write_1d(f, "label", H5T_STD_I32LE, H5T_NATIVE_INT32, b->count, b->label, path));
  uint8_t *split = malloc((size_t)(b->count ? b->count : 1));
  if (!split) return DF_FAIL(DF_ERR_OOM, "%s: split column", path);
  memset(split, (int)b->split, (size_t)b->count);
  hid_t st_type = shard_split_type();
  df_status st = h5_write_1d(f, "split", st_type, st_type, b->count, split, path);
  H5Tclose(st_type);
  free(split);
  DF_TRY(st);
  DF_TRY(h5_write_strings(f, "source", (const char *const *)b->source, b->count, path));
  DF_TRY(h5_write_strings(f, "group", (const char *const *)b->group, b->count, path));
  DF_TRY(h5_write_1d(f, "start", H5T_STD_I64LE, H5T_NATIVE_INT64, b->count, b->start, path));
  DF_TRY(h5_write_1d(f, "augment", H5T_STD_I16LE, H5T_NATIVE_INT16, b->count, b->augment, path));
  if (!strcmp(b->info.kind, "loops"))
    DF_TRY(h5_write_strings(f, "pattern", (const char *const *)b->pattern, b->count, path));
  return DF_OK;
}

/* HDF5 builds the file in memory (the core driver, nothing on disk) and drumforge writes the
 * image itself. HDF5 1.10 cannot survive a failed write to disk: after a failed H5Fclose
 * (disk full) the library's exit handlers crash the process. Written by df_write_file_atomic,
 * a full disk is one error naming the file and the errno, and the temporary file goes away. */
df_status shard_buffer_write(const shard_buffer *b, const char *path) {
  h5_quiet();
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
  /* No time stamps on the root group either: reruns give byte-identical files. */
  H5Pset_obj_track_times(fcpl, 0);
  /* Grown in steps of the audio's size plus 1 MiB: usually one allocation. */
  size_t audio = sizeof(float) * (size_t)b->count * (size_t)b->info.channels * (size_t)b->info.length;
  H5Pset_fapl_core(fapl, audio + ((size_t)1 << 20), 0);
  /* HDF5 1.10's file format: the superblock, object headers and group indexes carry
   * checksums, so that a flipped byte in them is refused before it is decoded. */
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
  H5Pclose(fcpl);
  H5Pclose(fapl);
  if (f < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot create the shard in memory", path);
  df_status st = write_contents(f, b, path);
  void *image = NULL;
  ssize_t size = st == DF_OK && H5Fflush(f, H5F_SCOPE_LOCAL) >= 0 ? H5Fget_file_image(f, NULL, 0) : -1;
  if (st == DF_OK && size > 0 && (image = malloc((size_t)size)))
    size = H5Fget_file_image(f, image, (size_t)size);
  if (size > 0 && image && !h5_image_seal_superblock(image, (size_t)size)) size = -1;
  if (H5Fclose(f) < 0 && st == DF_OK) st = DF_FAIL(DF_ERR_IO, "%s: closing the in-memory shard failed", path);
  if (st == DF_OK && size > 0 && !image) st = DF_FAIL(DF_ERR_OOM, "%s: %zd bytes for the shard", path, size);
  if (st == DF_OK && size <= 0) st = DF_FAIL(DF_ERR_IO, "%s: cannot get the shard's bytes from HDF5", path);
  if (st == DF_OK) st = df_write_file_atomic(path, image, (size_t)size);
  free(image);
  return st;
}
