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

static hid_t utf8_vlen_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

df_status h5_attr_write_string(hid_t obj, const char *name, const char *value, const char *path) {
  hid_t t = utf8_vlen_type();
  hid_t space = H5Screate(H5S_SCALAR);
  df_status s = attr_write(obj, name, t, space, &value, path);
  H5Sclose(space);
  H5Tclose(t);
  return s;
}

df_status h5_attr_write_strings(hid_t obj, const char *name, const char *const *values, int n,
                                const char *path) {
  hid_t t = utf8_vlen_type();
  hsize_t dims[1] = {(hsize_t)n};
  hid_t space = H5Screate_simple(1, dims, NULL);
  df_status s = attr_write(obj, name, t, space, values, path);
  H5Sclose(space);
  H5Tclose(t);
  return s;
}

static hid_t open_attr(hid_t obj, const char *name) {
  if (H5Aexists(obj, name) <= 0) return -1;
  return H5Aopen(obj, name, H5P_DEFAULT);
}

static df_status attr_read(hid_t obj, const char *name, hid_t mem_type, void *value) {
  hid_t a = open_attr(obj, name);
  if (a < 0) return DF_ERR_NOT_FOUND;
  herr_t e = H5Aread(a, mem_type, value);
  H5Aclose(a);
  return e < 0 ? DF_ERR_NOT_FOUND : DF_OK;
}

df_status h5_attr_read_int(hid_t obj, const char *name, int64_t *value) {
  return attr_read(obj, name, H5T_NATIVE_INT64, value);
}

df_status h5_attr_read_float(hid_t obj, const char *name, double *value) {
  return attr_read(obj, name, H5T_NATIVE_DOUBLE, value);
}

void h5_free_strings(char **strs, int64_t n) {
  if (!strs) return;
  for (int64_t i = 0; i < n; i++) free(strs[i]);
  free(strs);
}

/* Reads the n strings of attribute or dataset `obj` (file type ftype), variable or fixed
 * length, into malloc'd copies. */
static df_status read_string_array(hid_t obj, int is_attr, hid_t ftype, int64_t n, char ***out) {
  *out = NULL;
  if (H5Tget_class(ftype) != H5T_STRING) return DF_ERR_NOT_FOUND;
  char **strs = calloc((size_t)(n ? n : 1), sizeof(char *));
  if (!strs) return DF_ERR_OOM;
  df_status st = DF_OK;
  hid_t mt = H5Tcopy(H5T_C_S1);
  if (H5Tis_variable_str(ftype) > 0) {
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ftype));
    char **buf = calloc((size_t)(n ? n : 1), sizeof(char *));
    herr_t e = !buf ? -1
               : is_attr ? H5Aread(obj, mt, buf)
                         : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (e < 0) st = DF_ERR_IO;
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
    size_t size = H5Tget_size(ftype);
    H5Tset_size(mt, size);
    char *buf = calloc((size_t)(n ? n : 1), size);
    herr_t e = !buf ? -1
               : is_attr ? H5Aread(obj, mt, buf)
                         : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (e < 0) st = DF_ERR_IO;
    for (int64_t i = 0; i < n && st == DF_OK; i++)
      if (!(strs[i] = strndup(buf + (size_t)i * size, size))) st = DF_ERR_OOM;
    free(buf);
  }
  H5Tclose(mt);
  if (st != DF_OK) h5_free_strings(strs, n);
  else *out = strs;
  return st;
}

df_status h5_attr_read_string(hid_t obj, const char *name, char *value, size_t len) {
  hid_t a = open_attr(obj, name);
  if (a < 0) return DF_ERR_NOT_FOUND;
  hid_t t = H5Aget_type(a);
  char **strs;
  df_status st = read_string_array(a, 1, t, 1, &strs);
  if (st == DF_OK) {
    snprintf(value, len, "%s", strs[0]);
    h5_free_strings(strs, 1);
  }
  H5Tclose(t);
  H5Aclose(a);
  return st;
}

df_status h5_attr_read_strings(hid_t obj, const char *name, char *names, int max, size_t len, int *n) {
  *n = 0;
  hid_t a = open_attr(obj, name);
  if (a < 0) return DF_ERR_NOT_FOUND;
  hid_t t = H5Aget_type(a), space = H5Aget_space(a);
  hssize_t count = H5Sget_simple_extent_npoints(space);
  df_status st = DF_ERR_NOT_FOUND;
  char **strs;
  if (count >= 0 && count <= max && read_string_array(a, 1, t, count, &strs) == DF_OK) {
    for (hssize_t i = 0; i < count; i++) snprintf(names + (size_t)i * len, len, "%s", strs[i]);
    h5_free_strings(strs, count);
    *n = (int)count;
    st = DF_OK;
  }
  H5Sclose(space);
  H5Tclose(t);
  H5Aclose(a);
  return st;
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
  hid_t t = utf8_vlen_type();
  df_status s = h5_write_1d(file, name, t, t, n, values, path);
  H5Tclose(t);
  return s;
}

df_status h5_read_strings(hid_t file, const char *name, int64_t n, char ***out, const char *path) {
  *out = NULL;
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) return DF_ERR_NOT_FOUND;
  hid_t t = H5Dget_type(d), space = H5Dget_space(d);
  df_status st = DF_OK;
  if (H5Sget_simple_extent_npoints(space) != n) {
    st = DF_FAIL(DF_ERR_FORMAT, "%s: dataset '%s' does not have one entry per example", path, name);
  } else if (read_string_array(d, 0, t, n, out) != DF_OK) {
    st = DF_FAIL(DF_ERR_FORMAT, "%s: dataset '%s' is not readable as strings", path, name);
  }
  H5Sclose(space);
  H5Tclose(t);
  H5Dclose(d);
  return st;
}
