/* NumPy .npy reading and writing (include/drumforge/npy.h). The format: the magic
 * "\x93NUMPY", a major and minor version byte, the header length (2 bytes little-endian in
 * version 1, 4 in versions 2 and 3), an ASCII Python dict literal with 'descr',
 * 'fortran_order' and 'shape', padded with spaces and a newline to a multiple of 64 bytes,
 * then the raw data. */
#include "drumforge/npy.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/check.h"
#include "drumforge/fileio.h"

/* Values of one file at most: the byte count fits int64_t and size_t. */
#define NPY_MAX_VALUES (INT64_MAX / 8)

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* The header of a float32 [rows, cols] array, padded to at least min_total bytes: 10 bytes
 * of preamble + dict + spaces + '\n', a multiple of 64. Returns its length. */
static int format_header(char header[192], int64_t rows, int64_t cols, int min_total) {
  char dict[128];
  int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld, %lld), }",
                   (long long)rows, (long long)cols);
  int total = (10 + n + 1 + 63) / 64 * 64;
  if (total < min_total) total = min_total;
  int header_len = total - 10;
  memcpy(header, magic, 6);
  header[6] = 1;
  header[7] = 0;
  header[8] = (char)(header_len & 0xff);
  header[9] = (char)(header_len >> 8);
  memcpy(header + 10, dict, (size_t)n);
  memset(header + 10 + n, ' ', (size_t)(header_len - n - 1));
  header[total - 1] = '\n';
  return total;
}

df_status df_npy_write_f32(const char *path, const float *data, int64_t rows, int64_t cols) {
  DF_CHECK_ARG(path);
  if (rows < 0 || cols < 0 || (cols && rows > NPY_MAX_VALUES / cols))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: bad shape [%lld, %lld]", path, (long long)rows, (long long)cols);
  if (rows && cols) DF_CHECK_ARG(data);
  char header[192];
  int total = format_header(header, rows, cols, 0);
  df_atomic_file f;
  DF_TRY(df_atomic_open(&f, path));
  size_t count = (size_t)(rows * cols);
  /* The data is written as the host stores it: drumforge builds only for little-endian hosts. */
  if (fwrite(header, 1, (size_t)total, f.fp) != (size_t)total ||
      (count && fwrite(data, sizeof(float), count, f.fp) != count)) {
    df_atomic_abort(&f);
    return DF_FAIL(DF_ERR_IO, "%s: write failed", path);
  }
  return df_atomic_commit(&f);
}

/* The streaming writer reserves the largest header any shape needs, so the final one fits
 * in place. */
enum { STREAM_HEADER = 128 };

struct df_npy_writer {
  df_atomic_file f;
  int64_t rows, cols;
};

df_status df_npy_writer_open(const char *path, int64_t cols, df_npy_writer **out) {
  DF_CHECK_ARG(out);
  *out = NULL;
  DF_CHECK_ARG(path);
  if (cols < 1 || cols > NPY_MAX_VALUES) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: %lld columns", path, (long long)cols);
  df_npy_writer *w = calloc(1, sizeof *w);
  if (!w) return DF_FAIL(DF_ERR_OOM, "%s: npy writer", path);
  w->cols = cols;
  df_status s = df_atomic_open(&w->f, path);
  char header[192];
  if (!s && fwrite(header, 1, (size_t)format_header(header, 0, cols, STREAM_HEADER), w->f.fp) != STREAM_HEADER) {
    df_atomic_abort(&w->f);
    s = DF_FAIL(DF_ERR_IO, "%s: write failed", path);
  }
  if (s) {
    free(w);
    return s;
  }
  *out = w;
  return DF_OK;
}

df_status df_npy_writer_append(df_npy_writer *w, const float *rows, int64_t n) {
  DF_CHECK_ARG(w);
  if (n < 0 || n > (NPY_MAX_VALUES - w->rows * w->cols) / w->cols)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: cannot append %lld rows to %lld", w->f.path,
                   (long long)n, (long long)w->rows);
  if (n) DF_CHECK_ARG(rows);
  size_t count = (size_t)(n * w->cols);
  if (count && fwrite(rows, sizeof(float), count, w->f.fp) != count)
    return DF_FAIL(DF_ERR_IO, "%s: write failed", w->f.path);
  w->rows += n;
  return DF_OK;
}

df_status df_npy_writer_commit(df_npy_writer *w) {
  DF_CHECK_ARG(w);
  char header[192];
  format_header(header, w->rows, w->cols, STREAM_HEADER);
  df_status s = DF_OK;
  if (fseek(w->f.fp, 0, SEEK_SET) != 0 || fwrite(header, 1, STREAM_HEADER, w->f.fp) != STREAM_HEADER) {
    df_atomic_abort(&w->f);
    s = DF_FAIL(DF_ERR_IO, "%s: write failed", w->f.path);
  } else {
    s = df_atomic_commit(&w->f);
  }
  free(w);
  return s;
}

void df_npy_writer_abort(df_npy_writer *w) {
  if (!w) return;
  df_atomic_abort(&w->f);
  free(w);
}

/* The value text after "'key':" in the header dict, or NULL. */
static const char *dict_value(const char *dict, const char *key) {
  char quoted[32];
  snprintf(quoted, sizeof quoted, "'%s'", key);
  const char *p = strstr(dict, quoted);
  if (!p) return NULL;
  p += strlen(quoted);
  while (isspace((unsigned char)*p)) p++;
  if (*p != ':') return NULL;
  p++;
  while (isspace((unsigned char)*p)) p++;
  return p;
}

/* Parses "(a, b)", "(a,)" or "()" into dims; returns the count, -1 (malformed) or -2 (a
 * dimension beyond int64). */
static int parse_shape(const char *p, int64_t dims[3]) {
  if (*p != '(') return -1;
  p++;
  int n = 0;
  for (;;) {
    while (isspace((unsigned char)*p)) p++;
    if (*p == ')') return n;
    if (!isdigit((unsigned char)*p) || n == 3) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (errno) return -2; /* beyond int64 */
    dims[n++] = v;
    p = end;
    while (isspace((unsigned char)*p)) p++;
    if (*p == ',') p++;
    else if (*p != ')') return -1;
  }
}

static df_status parse_header(const char *path, const char *dict, int *is_f64, int64_t *rows,
                              int64_t *cols) {
  const char *descr = dict_value(dict, "descr");
  if (!descr) return DF_FAIL(DF_ERR_FORMAT, "%s: the .npy header has no 'descr'", path);
  if (!strncmp(descr, "'<f4'", 5)) *is_f64 = 0;
  else if (!strncmp(descr, "'<f8'", 5)) *is_f64 = 1;
  else {
    int len = 0;
    while (descr[len] && descr[len] != ',' && len < 16) len++;
    return DF_FAIL(DF_ERR_FORMAT, "%s: dtype %.*s is not little-endian float32 or float64 ('<f4', '<f8')", path,
                   len, descr);
  }
  const char *order = dict_value(dict, "fortran_order");
  if (!order) return DF_FAIL(DF_ERR_FORMAT, "%s: the .npy header has no 'fortran_order'", path);
  if (!strncmp(order, "True", 4))
    return DF_FAIL(DF_ERR_FORMAT, "%s: Fortran-ordered arrays are not supported (save with numpy.ascontiguousarray)", path);
  if (strncmp(order, "False", 5)) return DF_FAIL(DF_ERR_FORMAT, "%s: bad 'fortran_order' in the .npy header", path);
  const char *shape = dict_value(dict, "shape");
  int64_t dims[3];
  int nd = shape ? parse_shape(shape, dims) : -1;
  if (nd == -2) return DF_FAIL(DF_ERR_FORMAT, "%s: a dimension of the .npy 'shape' is too large", path);
  if (nd < 0) return DF_FAIL(DF_ERR_FORMAT, "%s: bad or missing 'shape' in the .npy header", path);
  if (nd == 0 || nd > 2)
    return DF_FAIL(DF_ERR_FORMAT, "%s: a %d-dimensional array; latents are a matrix [rows, latent_dim] or one row",
                   path, nd);
  *rows = nd == 2 ? dims[0] : 1;
  *cols = nd == 2 ? dims[1] : dims[0];
  if (*rows <= 0 || *cols <= 0)
    return DF_FAIL(DF_ERR_FORMAT, "%s: the array is empty (shape [%lld, %lld])", path, (long long)*rows, (long long)*cols);
  return DF_OK;
}

df_status df_npy_read_f32(const char *path, float **data, int64_t *rows, int64_t *cols) {
  *data = NULL;
  char *buf;
  size_t len;
  DF_TRY(df_read_file(path, &buf, &len));
  df_status s = DF_OK;
  size_t header_start = 0, header_end = 0;
  if (len < 10 || memcmp(buf, magic, 6)) {
    s = DF_FAIL(DF_ERR_FORMAT, "%s: not a NumPy .npy file (no \\x93NUMPY magic)", path);
  } else {
    unsigned char major = (unsigned char)buf[6];
    const unsigned char *u = (const unsigned char *)buf;
    size_t hlen = 0, pre = 0;
    if (major == 1) {
      hlen = (size_t)u[8] | (size_t)u[9] << 8;
      pre = 10;
    } else if ((major == 2 || major == 3) && len >= 12) {
      hlen = (size_t)u[8] | (size_t)u[9] << 8 | (size_t)u[10] << 16 | (size_t)u[11] << 24;
      pre = 12;
    } else {
      s = DF_FAIL(DF_ERR_FORMAT, "%s: .npy format version %d is not supported", path, major);
    }
    if (!s && pre + hlen > len) s = DF_FAIL(DF_ERR_FORMAT, "%s: truncated .npy header", path);
    header_start = pre;
    header_end = pre + hlen;
  }
  int is_f64 = 0;
  if (!s) {
    /* The dict as a NUL-terminated string (the byte after it is overwritten, then restored). */
    char saved = buf[header_end];
    buf[header_end] = '\0';
    s = parse_header(path, buf + header_start, &is_f64, rows, cols);
    buf[header_end] = saved;
  }
  if (!s) {
    size_t esize = is_f64 ? 8 : 4, held = (len - header_end) / esize;
    /* Compared by division: rows * cols may not fit in 64 bits. */
    if ((uint64_t)*cols > held || (uint64_t)*rows > held / (uint64_t)*cols)
      s = DF_FAIL(DF_ERR_FORMAT, "%s: truncated: shape [%lld, %lld] needs more values than the %zu the file holds", path,
                  (long long)*rows, (long long)*cols, held);
    size_t count = s ? 0 : (size_t)*rows * (size_t)*cols;
    float *out = s ? NULL : malloc(count * sizeof(float));
    if (!s && !out) s = DF_FAIL(DF_ERR_OOM, "%s: %zu values", path, count);
    for (size_t i = 0; !s && i < count; i++) {
      double v;
      if (is_f64) {
        memcpy(&v, buf + header_end + 8 * i, 8);
      } else {
        float f;
        memcpy(&f, buf + header_end + 4 * i, 4);
        v = f;
      }
      if (!isfinite(v) || fabs(v) > FLT_MAX)
        s = DF_FAIL(DF_ERR_FORMAT, "%s: value %zu (row %zu, column %zu) is %g, not a finite float32", path, i,
                    i / (size_t)*cols, i % (size_t)*cols, v);
      else
        out[i] = (float)v;
    }
    if (s) free(out);
    else *data = out;
  }
  free(buf);
  return s;
}

size_t df_npy_spec_file_len(const char *spec) {
  /* Any case, as `encode --out` takes it: Z.NPY is a latents file too. */
  const char *npy = NULL;
  for (const char *p = spec; *p; p++)
    if (!strncasecmp(p, ".npy", 4)) npy = p;
  if (!npy) return 0;
  const char *row = npy[4] == ':' ? npy + 5 : NULL;
  const int shaped = row ? row[0] && strspn(row, "0123456789") == strlen(row) : npy[4] == '\0';
  /* A file named like a row spec ("x.npy:3") is taken whole: the name it has wins. */
  struct stat sb;
  if (shaped && row && stat(spec, &sb) == 0 && S_ISREG(sb.st_mode)) return strlen(spec);
  return shaped ? (size_t)(npy + 4 - spec) : 0;
}
