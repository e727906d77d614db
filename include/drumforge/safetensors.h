/* Safetensors files (the format of Hugging Face's safetensors library): an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype, shape and byte range
 * (plus an optional "__metadata__" map of strings), then the raw little-endian data.
 *
 * Reading validates every entry and rejects truncated or corrupt files with DF_ERR_FORMAT
 * naming the file and the problem (the tensors must tile the data section exactly; names and
 * metadata keys must be unique). Writing collects named tensors and metadata and writes
 * them atomically (temporary file + rename), tensors sorted by name, the header padded with
 * spaces so that the data starts at a multiple of 8 bytes. */
#ifndef DRUMFORGE_SAFETENSORS_H
#define DRUMFORGE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every fixed-size dtype of the format: files holding any of them open (and list); only the
 * float ones load (df_st_load_f32). */
typedef enum df_st_dtype {
  DF_ST_F32 = 0, DF_ST_F16, DF_ST_BF16, DF_ST_I32, DF_ST_I64, DF_ST_F64, DF_ST_I8, DF_ST_U8, DF_ST_I16, DF_ST_U16,
  DF_ST_U32, DF_ST_U64, DF_ST_BOOL, DF_ST_F8_E4M3, DF_ST_F8_E5M2
} df_st_dtype;

#define DF_ST_MAX_DIMS 8

typedef struct df_st_tensor {
  const char *name;
  df_st_dtype dtype;
  int ndim; /* 0 for a scalar */
  int64_t shape[DF_ST_MAX_DIMS];
  const void *data; /* inside the file's buffer: valid until df_st_close */
  size_t nbytes;
} df_st_tensor;

/* The format's name ("F32", "F16", "BF16", "I32", "I64", "F64", ...) and the element size in bytes. */
const char *df_st_dtype_name(df_st_dtype dtype);
size_t df_st_dtype_size(df_st_dtype dtype);

/* ---- reading ---- */
typedef struct df_st_file df_st_file;

/* Reads and validates a whole file. DF_ERR_NOT_FOUND / DF_ERR_IO when it cannot be read,
 * DF_ERR_FORMAT when it is not a valid safetensors file. */
df_status df_st_open(const char *path, df_st_file **out);
void df_st_close(df_st_file *f);

/* Tensors in the order of their data in the file. Getters of a NULL file or an index out of
 * range give 0 or NULL. */
int df_st_count(const df_st_file *f);
const df_st_tensor *df_st_at(const df_st_file *f, int i);
/* The tensor called name; DF_ERR_NOT_FOUND naming the file and the tensor otherwise. */
df_status df_st_find(const df_st_file *f, const char *name, const df_st_tensor **out);

/* The metadata value for key, or NULL. */
const char *df_st_metadata(const df_st_file *f, const char *key);
int df_st_metadata_count(const df_st_file *f);
void df_st_metadata_at(const df_st_file *f, int i, const char **key, const char **value);

/* Allocates `out` on dev as an fp32 tensor of the stored shape (named after the tensor) and
 * fills it from the F32, F16, BF16 or F64 data; other dtypes are DF_ERR_FORMAT. A scalar becomes
 * a 1-element 1-D tensor. */
df_status df_st_load_f32(const df_st_file *f, const char *name, df_device dev, df_tensor *out);

/* ---- writing ---- */
typedef struct df_st_writer df_st_writer;

df_status df_st_writer_new(df_st_writer **out);
void df_st_writer_free(df_st_writer *w);
/* Adds a tensor (the data is copied; names must be unique and not "__metadata__"). */
df_status df_st_writer_add(df_st_writer *w, const char *name, df_st_dtype dtype, int ndim,
                           const int64_t *shape, const void *data);
/* Adds an fp32 df_tensor from any device under the given name. */
df_status df_st_writer_add_tensor(df_st_writer *w, const char *name, const df_tensor *t);
/* Sets a metadata entry (replacing an earlier value of the key). */
df_status df_st_writer_set_metadata(df_st_writer *w, const char *key, const char *value);
/* Writes the file atomically; the writer can be saved again or freed. */
df_status df_st_writer_save(const df_st_writer *w, const char *path);

#ifdef __cplusplus
}
#endif
#endif
