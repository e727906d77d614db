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

/* Attributes on an object (the file's root group here). Strings are written fixed-length,
 * UTF-8, NUL-terminated, sized to the longest (dataset format version 2: nothing in HDF5's
 * global heap). */
df_status h5_attr_write_int(hid_t obj, const char *name, int64_t value, const char *path);
df_status h5_attr_write_float(hid_t obj, const char *name, double value, const char *path);
df_status h5_attr_write_string(hid_t obj, const char *name, const char *value, const char *path);
df_status h5_attr_write_strings(hid_t obj, const char *name, const char *const *values, int n,
                                const char *path);
/* Reading: a missing attribute leaves *value untouched and returns DF_ERR_NOT_FOUND (no
 * message); one that HDF5 cannot read is DF_ERR_FORMAT naming the file and the attribute.
 * Strings are read fixed-length, and variable-length too only when vlen_ok (format version 1
 * and other tools' files: a version 2 shard whose type says otherwise is corrupt, and is not
 * handed to libhdf5's global-heap code). */
df_status h5_attr_read_int(hid_t obj, const char *name, int64_t *value, const char *path);
df_status h5_attr_read_float(hid_t obj, const char *name, double *value, const char *path);
df_status h5_attr_read_string(hid_t obj, const char *name, int vlen_ok, char *value, size_t len,
                              const char *path);
/* Reads a string array attribute of at most max values into names[max][len]; *n receives the count. */
df_status h5_attr_read_strings(hid_t obj, const char *name, int vlen_ok, char *names, int max, size_t len,
                               int *n, const char *path);

/* DF_ERR_FORMAT naming the file and dataset unless dataset d's shape times its element size
 * is a byte count that does not overflow and, stored contiguously (drumforge's layout) or
 * compact, equals its stored size and lies inside the file. Checked before reading: libhdf5
 * 1.10 given a corrupted size or shape runs for hours or writes past the caller's buffer. */
df_status h5_dataset_check(hid_t d, const char *name, const char *path);

/* A 1-D dataset of n elements of type `type` written from buf, without time stamps (so that
 * identical inputs give byte-identical files). */
df_status h5_write_1d(hid_t file, const char *name, hid_t type, hid_t mem_type, int64_t n,
                      const void *buf, const char *path);
/* A 1-D UTF-8 string dataset, fixed-length as above. */
df_status h5_write_strings(hid_t file, const char *name, const char *const *values, int64_t n,
                           const char *path);
/* Reads a 1-D string dataset of n elements (variable-length ones only when vlen_ok) into
 * malloc'd copies. DF_ERR_NOT_FOUND (no message) when there is no such dataset. */
df_status h5_read_strings(hid_t file, const char *name, int64_t n, int vlen_ok, char ***out,
                          const char *path);

/* Frees what h5_read_strings returned. */
void h5_free_strings(char **strs, int64_t n);

/* The enum type of a shard's split dataset, uint8 {train, validation, test} (caller closes it). */
hid_t shard_split_type(void);

/* The dataset creation properties every drumforge dataset uses (no time stamps). */
hid_t h5_dcpl(void);

/* Clears the "open for writing" flags of a version 2 or 3 superblock at the start of a file
 * image taken from an open file, and stores its checksum again: libhdf5 1.10's
 * H5Fget_file_image clears them in the copy but leaves the checksum of the flagged
 * superblock, so the image would not open. Returns 0 when the image is not HDF5. */
int h5_image_seal_superblock(uint8_t *image, size_t size);

#endif
