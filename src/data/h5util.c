/* HDF5 helpers (src/data/h5util.h). */
#include "data/h5util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

hid_t h5_dcpl(void) {
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (dcpl >= 0) H5Pset_obj_track_times(dcpl, 0);
  return dcpl;
}

static df_status attr_write(hid_t obj, const char *name, hid_t type, hid_t space,
                            const void *buf, const char *path) {
  hid_t acpl = H5Pcreate(H5P_ATTRIBUTE_CREATE);
  hid_t a = H5Acreate2(obj, name, type, space, acpl, H5P_DEFAULT);
  H5Pclose(acpl);
  if (a < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot create attribute '%s'", path, name);
  herr_t e = H5Awrite(a, type, buf);
  H5Aclose(a);
  if (e < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot write attribute '%s'", path, name);
  return DF_OK;
}

df_status h5_attr_write_int(hid_t obj, const char *name, int64_t value, const char *path) {
  hid_t space = H5Screate(H5S_SCALAR);
  df_status s = attr_write(obj, name, H5T_NATIVE_INT64, space, &value, path);
  H5Sclose(space);
  return s;
}

df_status h5_attr_write_float(hid_t obj, const char *name, double value, const char *path) {
  hid_t space = H5Screate(H5S_SCALAR);
  df_status s = attr_write(obj, name, H5T_NATIVE_DOUBLE, space, &value, path);
  H5Sclose(space);
  return s;
}

/* Strings are stored fixed-length (format version 2): inline in the attribute or the dataset's
 * raw data. Variable-length strings live in HDF5's global heap, whose decoding in libhdf5 1.10
 * crashes or hangs on a few flipped bytes; fixed-length ones never touch it. */
static hid_t utf8_fixed_type(size_t size) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, size);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

/* The n strings side by side, each padded with NULs to the longest + 1 (*size); NULL when
 * out of memory. */
static char *pack_strings(const char *const *values, int64_t n, size_t *size) {
  *size = 1;
  for (int64_t i = 0; i < n; i++) {
    size_t len = strlen(values[i]) + 1;
    if (len > *size) *size = len;
  }
  char *packed = calloc(n > 0 ? (size_t)n : 1, *size);
  for (int64_t i = 0; packed && i < n; i++) memcpy(packed + (size_t)i * *size, values[i], strlen(values[i]));
  return packed;
}

/* A string attribute: one value (scalar) or a list of n. */
static df_status attr_write_text(hid_t obj, const char *name, const char *const *values, int n,
                                 int scalar, const char *path) {
  size_t size;
  char *packed = pack_strings(values, n, &size);
  if (!packed) return DF_FAIL(DF_ERR_OOM, "%s: attribute '%s'", path, name);
  hid_t t = utf8_fixed_type(size);
  hsize_t dims[1] = {(hsize_t)n};
  hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
  df_status s = attr_write(obj, name, t, space, packed, path);
  H5Sclose(space);
  H5Tclose(t);
  free(packed);
  return s;
}

df_status h5_attr_write_string(hid_t obj, const char *name, const char *value, const char *path) {
  return attr_write_text(obj, name, &value, 1, 1, path);
}

df_status h5_attr_write_strings(hid_t obj, const char *name, const char *const *values, int n,
                                const char *path) {
  return attr_write_text(obj, name, values, n, 0, path);
}

static df_status unreadable_attr(const char *name, const char *path) {
  return DF_FAIL(DF_ERR_FORMAT, "%s: attribute '%s' is unreadable (corrupt?)", path, name);
}

static df_status attr_read(hid_t obj, const char *name, hid_t mem_type, void *value, const char *path) {
  if (H5Aexists(obj, name) <= 0) return DF_ERR_NOT_FOUND;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  herr_t e = a < 0 ? -1 : H5Aread(a, mem_type, value);
  if (a >= 0) H5Aclose(a);
  return e < 0 ? unreadable_attr(name, path) : DF_OK;
}

df_status h5_attr_read_int(hid_t obj, const char *name, int64_t *value, const char *path) {
  return attr_read(obj, name, H5T_NATIVE_INT64, value, path);
}

df_status h5_attr_read_float(hid_t obj, const char *name, double *value, const char *path) {
  return attr_read(obj, name, H5T_NATIVE_DOUBLE, value, path);
}

void h5_free_strings(char **strs, int64_t n) {
  if (!strs) return;
  for (int64_t i = 0; i < n; i++) free(strs[i]);
  free(strs);
}

/* Reads the n strings of attribute or dataset `obj` (file type ftype) into malloc'd copies:
 * fixed-length ones, and variable-length ones when vlen_ok. DF_ERR_FORMAT (no message) when
 * they are not strings of an accepted kind or HDF5 cannot read them. */
static df_status read_string_array(hid_t obj, int is_attr, hid_t ftype, int64_t n, int vlen_ok,
                                   char ***out) {
  *out = NULL;
  int vlen = H5Tis_variable_str(ftype) > 0;
  if (H5Tget_class(ftype) != H5T_STRING || (vlen && !vlen_ok)) return DF_ERR_FORMAT;
  char **strs = calloc((size_t)(n ? n : 1), sizeof(char *));
  if (!strs) return DF_ERR_OOM;
  df_status st = DF_OK;
  /* HDF5 converts no string to another character set: read in the file's. */
  hid_t mt = H5Tcopy(H5T_C_S1);
  H5Tset_cset(mt, H5Tget_cset(ftype));
  if (vlen) {
    H5Tset_size(mt, H5T_VARIABLE);
    char **buf = calloc((size_t)(n ? n : 1), sizeof(char *));
    herr_t e = !buf ? -1
               : is_attr ? H5Aread(obj, mt, buf)
                         : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (e < 0) st = buf ? DF_ERR_FORMAT : DF_ERR_OOM;
    for (int64_t i = 0; i < n && st == DF_OK; i++)
      if (!(strs[i] = strdup(buf[i] ? buf[i] : ""))) st = DF_ERR_OOM;
    if (e >= 0) {
      hsize_t dims[1] = {(hsize_t)n};
      hid_t space = H5Screate_simple(1, dims, NULL);
      H5Dvlen_reclaim(mt, space, H5P_DEFAULT, buf);
      H5Sclose(space);
    }
    free(buf);
  } else {
    /* The file's padding too, so that a string filling its whole size keeps its last byte. */
    size_t size = H5Tget_size(ftype);
    H5Tset_strpad(mt, H5Tget_strpad(ftype));
    char *buf = size && H5Tset_size(mt, size) >= 0 ? calloc((size_t)(n ? n : 1), size) : NULL;
    herr_t e = !buf ? -1
               : is_attr ? H5Aread(obj, mt, buf)
                         : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (e < 0) st = buf || !size ? DF_ERR_FORMAT : DF_ERR_OOM;
    for (int64_t i = 0; i < n && st == DF_OK; i++)
      if (!(strs[i] = strndup(buf + (size_t)i * size, size))) st = DF_ERR_OOM;
    free(buf);
  }
  H5Tclose(mt);
  if (st != DF_OK) h5_free_strings(strs, n);
  else *out = strs;
  return st;
}

/* The strings of attribute `name` (at most max of them): *strs and *n; DF_ERR_NOT_FOUND
 * (no message) when there is no such attribute. */
static df_status attr_read_texts(hid_t obj, const char *name, int64_t max, int vlen_ok, char ***strs,
                                 int64_t *n, const char *path) {
  *strs = NULL;
  *n = 0;
  if (H5Aexists(obj, name) <= 0) return DF_ERR_NOT_FOUND;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return unreadable_attr(name, path);
  hid_t t = H5Aget_type(a), space = H5Aget_space(a);
  hssize_t count = H5Sget_simple_extent_npoints(space);
  df_status st = DF_OK;
  if (count < 0 || count > max) {
    st = DF_FAIL(DF_ERR_FORMAT, "%s: attribute '%s' holds %lld values (at most %lld)", path, name,
                 (long long)count, (long long)max);
  } else if ((st = read_string_array(a, 1, t, count, vlen_ok, strs)) == DF_ERR_OOM) {
    st = DF_FAIL(DF_ERR_OOM, "%s: attribute '%s'", path, name);
  } else if (st != DF_OK) {
    st = DF_FAIL(DF_ERR_FORMAT, "%s: attribute '%s' is not readable as %sstrings (corrupt?)", path, name,
                 vlen_ok ? "" : "fixed-length ");
  }
  if (st == DF_OK) *n = count;
  H5Sclose(space);
  H5Tclose(t);
  H5Aclose(a);
  return st;
}

df_status h5_attr_read_string(hid_t obj, const char *name, int vlen_ok, char *value, size_t len,
                              const char *path) {
  char **strs;
  int64_t n;
  DF_TRY(attr_read_texts(obj, name, 1, vlen_ok, &strs, &n, path));
  snprintf(value, len, "%s", n ? strs[0] : "");
  h5_free_strings(strs, n);
  return DF_OK;
}

df_status h5_attr_read_strings(hid_t obj, const char *name, int vlen_ok, char *names, int max, size_t len,
                               int *n, const char *path) {
  char **strs;
  int64_t count;
  *n = 0;
  DF_TRY(attr_read_texts(obj, name, max, vlen_ok, &strs, &count, path));
  for (int64_t i = 0; i < count; i++) snprintf(names + (size_t)i * len, len, "%s", strs[i]);
  h5_free_strings(strs, count);
  *n = (int)count;
  return DF_OK;
}

df_status h5_dataset_check(hid_t d, const char *name, const char *path) {
  hid_t space = H5Dget_space(d), type = H5Dget_type(d), dcpl = H5Dget_create_plist(d);
  hsize_t dims[H5S_MAX_RANK];
  int rank = space < 0 ? -1 : H5Sget_simple_extent_dims(space, dims, NULL);
  size_t elem = type < 0 ? 0 : H5Tget_size(type), bytes = elem;
  int fits = rank >= 0 && elem > 0;
  for (int k = 0; fits && k < rank; k++) {
    fits = dims[k] <= SIZE_MAX && (dims[k] == 0 || bytes <= SIZE_MAX / dims[k]);
    bytes *= (size_t)dims[k];
  }
  /* A variable-length element is stored as a global heap reference (16 bytes), whatever
   * H5Tget_size says (the size in memory); only fixed-size elements give the stored size. */
  int vlen = H5Tget_class(type) == H5T_VLEN || H5Tis_variable_str(type) > 0;
  H5D_layout_t layout = dcpl < 0 ? H5D_LAYOUT_ERROR : H5Pget_layout(dcpl);
  hsize_t stored = H5Dget_storage_size(d);
  if (fits && !vlen && (layout == H5D_CONTIGUOUS || layout == H5D_COMPACT)) fits = stored == bytes;
  if (fits && layout == H5D_CONTIGUOUS && (bytes > 0 || stored > 0)) {
    haddr_t off = H5Dget_offset(d);
    hid_t file = H5Iget_file_id(d);
    hsize_t file_size = 0;
    fits = off != HADDR_UNDEF && file >= 0 && H5Fget_filesize(file, &file_size) >= 0 &&
           off <= file_size && stored <= file_size - off;
    if (file >= 0) H5Fclose(file);
  }
  if (dcpl >= 0) H5Pclose(dcpl);
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  if (!fits)
    return DF_FAIL(DF_ERR_FORMAT, "%s: dataset '%s': its shape and type do not match its stored data (corrupt?)",
                   path, name);
  return DF_OK;
}

df_status h5_write_1d(hid_t file, const char *name, hid_t type, hid_t mem_type, int64_t n,
                      const void *buf, const char *path) {
  hsize_t dims[1] = {(hsize_t)n};
  hid_t space = H5Screate_simple(1, dims, NULL);
  hid_t dcpl = h5_dcpl();
  hid_t d = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  herr_t e = d < 0 ? -1 : H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  if (d >= 0) H5Dclose(d);
  H5Sclose(space);
  if (e < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot write dataset '%s'", path, name);
  return DF_OK;
}

df_status h5_write_strings(hid_t file, const char *name, const char *const *values, int64_t n,
                           const char *path) {
  size_t size;
  char *packed = pack_strings(values, n, &size);
  if (!packed) return DF_FAIL(DF_ERR_OOM, "%s: dataset '%s'", path, name);
  hid_t t = utf8_fixed_type(size);
  df_status s = h5_write_1d(file, name, t, t, n, packed, path);
  H5Tclose(t);
  free(packed);
  return s;
}

/* The n strings of dataset d (checked by h5_dataset_check). */
static df_status read_string_column(hid_t d, const char *name, int64_t n, int vlen_ok, char ***out,
                                    const char *path) {
  hid_t t = H5Dget_type(d), space = H5Dget_space(d);
  df_status st = DF_OK;
  if (H5Sget_simple_extent_npoints(space) != n) {
    st = DF_FAIL(DF_ERR_FORMAT, "%s: dataset '%s' does not have one entry per example", path, name);
  } else if ((st = read_string_array(d, 0, t, n, vlen_ok, out)) == DF_ERR_OOM) {
    st = DF_FAIL(DF_ERR_OOM, "%s: dataset '%s'", path, name);
  } else if (st != DF_OK) {
    st = DF_FAIL(DF_ERR_FORMAT, "%s: dataset '%s' is not readable as %sstrings (corrupt?)", path, name,
                 vlen_ok ? "" : "fixed-length ");
  }
  H5Sclose(space);
  H5Tclose(t);
  return st;
}

df_status h5_read_strings(hid_t file, const char *name, int64_t n, int vlen_ok, char ***out,
                          const char *path) {
  *out = NULL;
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) return DF_ERR_NOT_FOUND;
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) return DF_FAIL(DF_ERR_FORMAT, "%s: cannot open dataset '%s' (corrupt?)", path, name);
  df_status st = h5_dataset_check(d, name, path);
  if (st == DF_OK) st = read_string_column(d, name, n, vlen_ok, out, path);
  H5Dclose(d);
  return st;
}

/* Bob Jenkins' lookup3 hash (hashlittle), the checksum of HDF5's file format. */
static uint32_t rot32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

static uint32_t lookup3(const uint8_t *k, size_t length) {
  uint32_t a, b, c;
  a = b = c = 0xdeadbeefu + (uint32_t)length;
  uint8_t tail[12];
  while (length > 0) {
    size_t n = length > 12 ? 12 : length;
    memset(tail, 0, sizeof tail);
    memcpy(tail, k, n);
    a += (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
    b += (uint32_t)tail[4] | (uint32_t)tail[5] << 8 | (uint32_t)tail[6] << 16 | (uint32_t)tail[7] << 24;
    c += (uint32_t)tail[8] | (uint32_t)tail[9] << 8 | (uint32_t)tail[10] << 16 | (uint32_t)tail[11] << 24;
    if (length <= 12) { /* the final mix */
      c ^= b; c -= rot32(b, 14); a ^= c; a -= rot32(c, 11); b ^= a; b -= rot32(a, 25);
      c ^= b; c -= rot32(b, 16); a ^= c; a -= rot32(c, 4); b ^= a; b -= rot32(a, 14);
      c ^= b; c -= rot32(b, 24);
      break;
    }
    a -= c; a ^= rot32(c, 4); c += b; b -= a; b ^= rot32(a, 6); a += c;
    c -= b; c ^= rot32(b, 8); b += a; a -= c; a ^= rot32(c, 16); c += b;
    b -= a; b ^= rot32(a, 19); a += c; c -= b; c ^= rot32(b, 4); b += a;
    length -= 12;
    k += 12;
  }
  return c;
}

int h5_image_seal_superblock(uint8_t *image, size_t size) {
  if (size < 12 || memcmp(image, "\211HDF\r\n\032\n", 8) != 0) return 0;
  if (image[8] < 2) return 1; /* superblock versions 0 and 1 have neither flags nor checksum */
  size_t end = 12 + 4 * (size_t)image[9]; /* four addresses of "size of offsets" bytes */
  if (size < end + 4) return 0;
  image[11] = 0;
  uint32_t sum = lookup3(image, end);
  for (int i = 0; i < 4; i++) image[end + (size_t)i] = (uint8_t)(sum >> (8 * i));
  return 1;
}
