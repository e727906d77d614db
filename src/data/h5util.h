/* Small HDF5 helpers shared by the shard writer and reader: checked calls with messages that
 * name the file, attributes and string datasets. HDF5's own error printing is switched off;
 * every failure becomes one df_status line. Not thread-safe (Debian's libhdf5 is not):
 * only the calling thread of df_prepare / df_shard_open / df_loader_open uses HDF5. */
#ifndef DF_DATA_H5UTIL_H
#define DF_DATA_H5UTIL_H

#include <hdf5.h>
#include <stdint.h>

#include "drumforge/status.h"

/* Silences HDF5's automatic error printing (call before any HDF5 use). */
void h5_quiet(void);

/* For calls that return a negative value on failure: records "PATH: WHAT failed". */
#define H5_CHECK(call, path, what)                                                \
  do {                                                                            \
    if ((call) < 0) return DF_FAIL(DF_ERR_IO, "%s: HDF5 %s failed", (path), (what)); \
  } while (0)

/* Attributes on an object (the file's root group here). */
df_status h5_attr_write_int(hid_t obj, const char *name, int64_t value, const char *path);
df_status h5_attr_write_float(hid_t obj, const char *name, double value, const char *path);
df_status h5_attr_write_string(hid_t obj, const char *name, const char *value, const char *path);
df_status h5_attr_write_strings(hid_t obj, const char *name, const char *const *values, int n,
                                const char *path);
/* Reading: missing attributes leave *value untouched and return DF_ERR_NOT_FOUND (no message). */
df_status h5_attr_read_int(hid_t obj, const char *name, int64_t *value);
df_status h5_attr_read_float(hid_t obj, const char *name, double *value);
df_status h5_attr_read_string(hid_t obj, const char *name, char *value, size_t len);
/* Reads a string array attribute into names[max][len]; *n receives the count. */
df_status h5_attr_read_strings(hid_t obj, const char *name, char *names, int max, size_t len, int *n);

/* A 1-D dataset of n elements of type `type` written from buf, without time stamps (so that
 * identical inputs give byte-identical files). */
df_status h5_write_1d(hid_t file, const char *name, hid_t type, hid_t mem_type, int64_t n,
                      const void *buf, const char *path);
/* A 1-D UTF-8 variable-length string dataset. */
df_status h5_write_strings(hid_t file, const char *name, const char *const *values, int64_t n,
                           const char *path);
/* Reads a 1-D string dataset (variable or fixed length) of n elements into malloc'd copies. */
df_status h5_read_strings(hid_t file, const char *name, int64_t n, char ***out, const char *path);

/* Frees what h5_read_strings returned. */
void h5_free_strings(char **strs, int64_t n);

/* The enum type of a shard's split dataset, uint8 {train, validation, test} (caller closes it). */
hid_t shard_split_type(void);

/* The dataset creation properties every drumforge dataset uses (no time stamps). */
hid_t h5_dcpl(void);

#endif
