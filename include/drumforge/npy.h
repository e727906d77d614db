/* NumPy .npy files of latents: a float32 matrix [rows, cols] (numpy.save of a 2-D float32 or
 * float64 array; a 1-D array reads as one row). Written atomically (fileio.h) as version 1.0,
 * little-endian '<f4', C order, so numpy.load reads them; read back from any little-endian
 * float32 or float64, C-order file of version 1, 2 or 3.
 *
 * Used by `drumforge encode` (writes one latent per input), `generate --latents` and
 * `interpolate` (read rows). */
#ifndef DRUMFORGE_NPY_H
#define DRUMFORGE_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes data [rows, cols] (row-major) to path. */
df_status df_npy_write_f32(const char *path, const float *data, int64_t rows, int64_t cols);

/* A float32 [rows, cols] file written a few rows at a time, when the row count is known only
 * at the end (`generate --save-latents`): rows go to a temporary file whose header is
 * rewritten with the final count on commit, which renames it into place (fileio.h); abort
 * removes it. Both free the writer. */
typedef struct df_npy_writer df_npy_writer;
df_status df_npy_writer_open(const char *path, int64_t cols, df_npy_writer **out);
df_status df_npy_writer_append(df_npy_writer *w, const float *rows, int64_t n);
df_status df_npy_writer_commit(df_npy_writer *w);
void df_npy_writer_abort(df_npy_writer *w);

/* Reads a 1-D or 2-D float array into a malloc'd float32 matrix *data [*rows, *cols] (the
 * caller frees it). Every problem is DF_ERR_FORMAT (or DF_ERR_IO / DF_ERR_NOT_FOUND) naming
 * the file and the problem: not an .npy file, an unsupported dtype or order, more than two
 * dimensions, a truncated data section, NaN or Inf values. */
df_status df_npy_read_f32(const char *path, float **data, int64_t *rows, int64_t *cols);

/* A row of a latents file as commands name it: "FILE.npy" or "FILE.npy:ROW". FILE ends at the
 * last ".npy" of spec (in any case: ".NPY"), which must end spec or be followed by ':' and digits only (so a folder
 * named "runs.npy/" is part of FILE), unless spec as a whole names an existing file ("x.npy:3"
 * is that file when there is one). Returns the length of FILE, or 0 when spec is not of that
 * shape; the caller reads ROW from spec + length + 1 when spec[length] is ':'. */
size_t df_npy_spec_file_len(const char *spec);

#ifdef __cplusplus
}
#endif
#endif
