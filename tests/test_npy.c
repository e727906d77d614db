/* .npy latents: write -> read is exact; files as numpy writes them (float64, 1-D, format
 * version 2) read; numpy reads ours (when Python with numpy is present); every bad file gives
 * a one-line error naming the file and the problem, shapes whose size overflows included;
 * FILE.npy[:ROW] specs split at the last ".npy"; df_same_file sees through links. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/testlib.h"
#include "drumforge/fileio.h"
#include "drumforge/npy.h"

static char scratch[4096];

/* Writes a file with a hand-made header (version major, dict text) and raw data. */
static void write_raw(const char *path, int major, const char *dict, const void *data, size_t bytes) {
  FILE *fp = fopen(path, "wb");
  if (!fp) return;
  size_t pre = major == 1 ? 10 : 12, n = strlen(dict);
  size_t total = (pre + n + 1 + 63) / 64 * 64, hlen = total - pre;
  fwrite("\x93NUMPY", 1, 6, fp);
  fputc(major, fp);
  fputc(0, fp);
  for (size_t i = 0; i < pre - 8; i++) fputc((int)((hlen >> (8 * i)) & 0xff), fp);
  fwrite(dict, 1, n, fp);
  for (size_t i = 0; i < hlen - n - 1; i++) fputc(' ', fp);
  fputc('\n', fp);
  if (bytes) fwrite(data, 1, bytes, fp);
  fclose(fp);
}

static void expect_bad(const char *name, int major, const char *dict, const void *data, size_t bytes,
                       const char *needle, const char *what) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", scratch, name);
  write_raw(path, major, dict, data, bytes);
  float *x = NULL;
  int64_t r, c;
  df_status s = df_npy_read_f32(path, &x, &r, &c);
  if (df_expect_status(s, DF_ERR_FORMAT, what))
    df_expect_true(strstr(df_last_error(), name) && strstr(df_last_error(), needle), what);
  free(x);
}

int main(void) {
  df_test_begin("test_npy");
  df_test_scratch_dir("npy", scratch, sizeof scratch);
  char path[4200];

  /* Round trip. */
  float data[3 * 5];
  df_test_fill_uniform(data, 15, 7, -3, 3);
  snprintf(path, sizeof path, "%s/z.npy", scratch);
  df_expect_ok(df_npy_write_f32(path, data, 3, 5), "write [3, 5]");
  float *back = NULL;
  int64_t rows = 0, cols = 0;
  if (df_expect_ok(df_npy_read_f32(path, &back, &rows, &cols), "read it back")) {
    df_expect_true(rows == 3 && cols == 5, "the shape survives");
    df_expect_equal_bytes("the values survive bit for bit", back, data, sizeof data);
    free(back);
  }
  FILE *fp = fopen(path, "rb");
  long size = -1;
  if (fp) {
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fclose(fp);
  }
  df_expect_true(size > (long)sizeof data && (size - (long)sizeof data) % 64 == 0, "the header is padded to a multiple of 64 bytes");

  /* numpy reads what we write. */
  const char *py = getenv("DF_PYTHON");
  char cmd[9000];
  snprintf(cmd, sizeof cmd,
           "%s -c \"import numpy, sys; a = numpy.load(sys.argv[1]); "
           "sys.exit(0 if a.dtype == numpy.float32 and a.shape == (3, 5) and abs(float(a[2, 4]) - %.9g) < 1e-6 else 1)\" %s",
           py && py[0] ? py : "python3", data[14], path);
  if (system("\"${DF_PYTHON:-python3}\" -c 'import numpy' > /dev/null 2>&1") == 0)
    df_expect_true(system(cmd) == 0, "numpy.load reads the file with its shape, dtype and values");
  else
    printf("  note: no Python with numpy here; the numpy interoperability case did not run\n");

  /* What numpy writes: float64, a 1-D array, format version 2. */
  double d64[4] = {0.5, -1.25, 3.0, 1e-3};
  snprintf(path, sizeof path, "%s/f64.npy", scratch);
  write_raw(path, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", d64, sizeof d64);
  if (df_expect_ok(df_npy_read_f32(path, &back, &rows, &cols), "float64 [2, 2]")) {
    float want[4] = {0.5f, -1.25f, 3.0f, 1e-3f};
    df_expect_true(rows == 2 && cols == 2, "float64 shape");
    df_expect_close("float64 values", back, want, 4, 0, 0);
    free(back);
  }
  snprintf(path, sizeof path, "%s/row.npy", scratch);
  write_raw(path, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", data, 5 * sizeof(float));
  if (df_expect_ok(df_npy_read_f32(path, &back, &rows, &cols), "a 1-D array in format version 2")) {
    df_expect_true(rows == 1 && cols == 5, "a 1-D array is one row");
    df_expect_equal_bytes("1-D values", back, data, 5 * sizeof(float));
    free(back);
  }

  /* Bad files. */
  const char *f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }";
  expect_bad("truncated.npy", 1, f4, data, 14 * sizeof(float), "truncated", "a truncated data section");
  expect_bad("int.npy", 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 5), }", data, sizeof data,
             "<i4", "an integer array");
  expect_bad("bigendian.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 5), }", data, sizeof data,
             "little-endian", "a big-endian array");
  expect_bad("fortran.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 5), }", data, sizeof data,
             "Fortran", "a Fortran-ordered array");
  expect_bad("cube.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 5), }", data, sizeof data,
             "3-dimensional", "a 3-D array");
  expect_bad("empty.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", NULL, 0, "empty",
             "an empty array");
  /* Shapes whose product wraps around 64 bits (2^59 x 32 = 2^64, 2^62 x 4 + 1 row) or that
   * exceed int64 must not pass for the few values the file holds. */
  expect_bad("wrap64.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (576460752303423488, 32), }", data,
             sizeof data, "truncated", "a shape whose product is 2^64 (0 modulo 2^64)");
  expect_bad("wrap64b.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387905, 4), }", data,
             sizeof data, "truncated", "a shape whose product wraps to a few values");
  expect_bad("beyond64.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551617, 1), }",
             data, sizeof data, "too large", "a dimension beyond int64");
  float nan_data[15];
  memcpy(nan_data, data, sizeof data);
  nan_data[7] = 0.0f / 0.0f;
  expect_bad("nan.npy", 1, f4, nan_data, sizeof nan_data, "row 1, column 2", "a NaN value, with its place");
  double huge[15];
  for (int i = 0; i < 15; i++) huge[i] = i == 4 ? 1e300 : 0.5;
  expect_bad("huge.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5), }", huge, sizeof huge,
             "column 4) is 1e+300, not a finite float32", "a float64 beyond float32, said so");
  snprintf(path, sizeof path, "%s/text.npy", scratch);
  df_write_file_atomic(path, "hello, world\n", 13);
  df_status s = df_npy_read_f32(path, &back, &rows, &cols);
  if (df_expect_status(s, DF_ERR_FORMAT, "a text file"))
    df_expect_true(strstr(df_last_error(), "text.npy") && strstr(df_last_error(), "not a NumPy"), "named as not .npy");
  snprintf(path, sizeof path, "%s/missing.npy", scratch);
  s = df_npy_read_f32(path, &back, &rows, &cols);
  df_expect_true(s != DF_OK && strstr(df_last_error(), "missing.npy"), "a missing file is named");

  /* Row specs: the file ends at the last ".npy", which ends the spec or is followed by :ROW. */
  df_expect_true(df_npy_spec_file_len("z.npy") == 5 && df_npy_spec_file_len("z.npy:12") == 5,
                 "FILE.npy and FILE.npy:ROW");
  df_expect_true(df_npy_spec_file_len("runs.npy/a.npy:0") == 14 && df_npy_spec_file_len("runs.npy/a.npy") == 14,
                 "a folder named like an .npy file is part of the file");
  df_expect_true(df_npy_spec_file_len("a.npy.npy:3") == 9, "a file named x.npy.npy");
  /* encode --out takes Z.NPY (any case): generate and interpolate read it as latents too. */
  df_expect_true(df_npy_spec_file_len("Z.NPY") == 5 && df_npy_spec_file_len("runs.npy/Z.Npy:2") == 14,
                 "the extension in any case");
  df_expect_true(!df_npy_spec_file_len("a.npy:") && !df_npy_spec_file_len("a.npy:x") &&
                     !df_npy_spec_file_len("a.npy:1:2") && !df_npy_spec_file_len("runs.npy/a.wav") &&
                     !df_npy_spec_file_len("3:5") && !df_npy_spec_file_len("a.npyz"),
                 "anything else is not a row spec");
  /* A file whose name looks like a row spec is that file; without one, it is a row spec. */
  char colon[4300];
  snprintf(colon, sizeof colon, "%s/x.npy:3", scratch);
  df_expect_true(df_npy_spec_file_len(colon) == strlen(colon) - 2, "x.npy:3 without such a file: row 3 of x.npy");
  df_write_file_atomic(colon, "x", 1);
  df_expect_true(df_npy_spec_file_len(colon) == strlen(colon), "x.npy:3 when that file exists: the file, whole");

  /* The same file under another name (a link, ./) is recognised; different files are not. */
  char alias[4300], other[4300];
  snprintf(path, sizeof path, "%s/z.npy", scratch);
  snprintf(alias, sizeof alias, "%s/./zlink.npy", scratch);
  snprintf(other, sizeof other, "%s/f64.npy", scratch);
  remove(alias);
  df_expect_true(link(path, alias) == 0 && df_same_file(path, alias) && !df_same_file(path, other) &&
                     !df_same_file(path, "/nonexistent/z.npy"),
                 "df_same_file compares the files, not their names");
  return df_test_finish();
}
