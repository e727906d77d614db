/* The shard format: what the writer stores (float32 and int16 audio, labels, splits, sources,
 * groups, starts, augment indices, loop patterns, the attributes) is what the C reader gives
 * back; a rewrite is byte-identical; no temporary file remains; HDF5 files laid out by other
 * tools (chunked, compressed, float64, [N, L], no metadata) read too, and so do format
 * version 1 shards (variable-length strings, an enum split), but not variable-length strings
 * in a shard that says it is version 2. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "data/shard.h"

enum { N = 37, C = 2, L = 300 };

static void fill_buffer(shard_buffer *b, const char *kind, int int16) {
  df_shard_info info = df_test_shard_info(kind, 22050, C, L);
  info.int16 = int16;
  shard_buffer_init(b, &info, DF_SPLIT_VALIDATION, N);
  float *x = malloc(sizeof(float) * C * L);
  for (int i = 0; i < N; i++) {
    df_test_fill_uniform(x, C * L, 1000 + i, -1.3f, 1.3f);
    char src[64], grp[64], pat[64];
    snprintf(src, sizeof src, "/some/kit %d/\xc3\xa9t\xc3\xa9-%d.wav", i % 4, i);
    snprintf(grp, sizeof grp, "kit %d", i % 4);
    snprintf(pat, sizeof pat, "{\"bpm\": %d}", 100 + i);
    shard_buffer_add(b, x, i % 4 - 1, 17 * i, i % 3, src, grp, pat);
  }
  free(x);
}

static void check_shard(const char *path, const shard_buffer *b, const char *what) {
  df_shard *s;
  char w[256];
  snprintf(w, sizeof w, "%s: open", what);
  if (!df_expect_ok(df_shard_open(path, &s), w)) return;
  const df_shard_info *in = df_shard_get_info(s);
  snprintf(w, sizeof w, "%s: attributes", what);
  df_expect_true(in->examples == N && in->channels == C && in->length == L && in->rate == 22050 &&
                     in->n_classes == 3 && !strcmp(in->class_names[2], "hh_closed") &&
                     in->format_version == DF_DATASET_FORMAT_VERSION &&
                     !strcmp(in->kind, b->info.kind) && in->int16 == b->info.int16,
                 w);
  float *got = malloc(sizeof(float) * N * C * L);
  snprintf(w, sizeof w, "%s: read all", what);
  if (df_expect_ok(df_shard_read(s, 0, N, got), w)) {
    float peak = 0;
    for (int i = 0; i < N * C * L; i++) peak = fmaxf(peak, fabsf(b->audio[i]));
    double tol = b->info.int16 ? 0.5 * fmax(1.0, peak) / 32767 + 1e-7 : 0.0;
    snprintf(w, sizeof w, "%s: audio", what);
    df_expect_close(w, got, b->audio, N * C * L, 0.0, tol);
  }
  int meta_ok = 1;
  for (int i = 0; i < N; i++) {
    df_example_meta m;
    df_shard_meta(s, i, &m);
    const char *pat = !strcmp(b->info.kind, "loops") ? b->pattern[i] : "";
    meta_ok &= m.label == b->label[i] && m.split == DF_SPLIT_VALIDATION && m.start == b->start[i] &&
               m.augment == b->augment[i] && !strcmp(m.source, b->source[i]) &&
               !strcmp(m.group, b->group[i]) && !strcmp(m.pattern, pat);
  }
  snprintf(w, sizeof w, "%s: per-example metadata", what);
  df_expect_true(meta_ok, w);
  df_expect_status(df_shard_read(s, N - 1, 2, got), DF_ERR_INVALID_ARG, "reading past the end is refused");
  free(got);
  df_shard_close(s);
}

/* tests/fixtures/shard/loops-v1.h5 was written by the format version 1 writer (commit
 * 4cc2fcc): a loops shard, 8000 Hz, 5 examples of 2 x 16 samples, sample k of example i
 * (i * 32 + k) / 256 - 0.5, label i % 4 - 1, start 17 i, augment i % 3, all validation. */
static void check_version1(const char *dir) {
  char path[4300], copy[4300];
  df_test_source_path("fixtures/shard/loops-v1.h5", path, sizeof path);
  df_shard *s;
  if (!df_expect_ok(df_shard_open(path, &s), "open a format version 1 shard")) return;
  const df_shard_info *in = df_shard_get_info(s);
  df_expect_true(in->format_version == 1 && in->examples == 5 && in->channels == 2 && in->length == 16 &&
                     in->rate == 8000 && !strcmp(in->kind, "loops") && in->n_classes == 3 &&
                     !strcmp(in->class_names[2], "hh_closed"),
                 "version 1: attributes (variable-length strings)");
  float got[5 * 32], want[5 * 32];
  for (int k = 0; k < 5 * 32; k++) want[k] = (float)k / 256.0f - 0.5f;
  if (df_expect_ok(df_shard_read(s, 0, 5, got), "version 1: read")) df_expect_close("version 1: audio", got, want, 5 * 32, 0.0, 0.0);
  int ok = 1;
  for (int i = 0; i < 5; i++) {
    df_example_meta m;
    char src[64], grp[32], pat[96];
    snprintf(src, sizeof src, "/kits/kit %d/\xc3\xa9t\xc3\xa9-%d.wav", i % 2, i);
    snprintf(grp, sizeof grp, "kit %d", i % 2);
    snprintf(pat, sizeof pat, "{\"name\": \"rock\", \"bpm\": %d}", 100 + i);
    ok &= df_shard_meta(s, i, &m) == DF_OK && m.label == i % 4 - 1 && m.split == DF_SPLIT_VALIDATION &&
          m.start == 17 * i && m.augment == i % 3 && !strcmp(m.source, src) && !strcmp(m.group, grp) &&
          !strcmp(m.pattern, pat);
  }
  df_expect_true(ok, "version 1: per-example metadata (variable-length strings, enum split)");
  df_shard_close(s);

  /* The same file claiming version 2: its variable-length strings are refused as corruption. */
  snprintf(copy, sizeof copy, "%s/v1-as-v2.h5", dir);
  char *data;
  size_t len;
  if (!df_expect_ok(df_read_file(path, &data, &len), "read the fixture")) return;
  df_write_file_atomic(copy, data, len);
  free(data);
  hid_t f = H5Fopen(copy, H5F_ACC_RDWR, H5P_DEFAULT), a = H5Aopen(f, "format_version", H5P_DEFAULT);
  int64_t two = 2;
  H5Awrite(a, H5T_NATIVE_INT64, &two);
  H5Aclose(a);
  H5Fclose(f);
  df_expect_status(df_shard_open(copy, &s), DF_ERR_FORMAT, "variable-length strings in a version 2 shard are refused");
  df_expect_true(strstr(df_last_error(), "not readable as fixed-length strings") != NULL, "the reason says so");
}

/* An HDF5 file as another tool might write it: chunked + gzip, float64 [N, L], nothing else. */
static void write_foreign(const char *path, const double *x) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {N, L}, chunk[2] = {4, L};
  hid_t space = H5Screate_simple(2, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  H5Pset_deflate(dcpl, 4);
  hid_t d = H5Dcreate2(f, "audio", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
  H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(f);
}

/* Sets the 'scale' attribute of a shard's audio (as another tool might). */
static void set_scale(const char *path, double scale) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), d = H5Dopen2(f, "audio", H5P_DEFAULT);
  hid_t a = H5Aopen(d, "scale", H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &scale);
  H5Aclose(a);
  H5Dclose(d);
  H5Fclose(f);
}

int main(void) {
  df_test_begin("test_shard_roundtrip");
  char dir[4096], p1[4300], p2[4300];
  df_test_scratch_dir("shard_roundtrip", dir, sizeof dir);
  static const struct { const char *kind; int int16; } cases[] = {
      {"oneshots", 0}, {"oneshots", 1}, {"loops", 0}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    shard_buffer b;
    fill_buffer(&b, cases[k].kind, cases[k].int16);
    snprintf(p1, sizeof p1, "%s/a%zu.h5", dir, k);
    snprintf(p2, sizeof p2, "%s/b%zu.h5", dir, k);
    char what[128];
    snprintf(what, sizeof what, "%s %s", cases[k].kind, cases[k].int16 ? "int16" : "float32");
    df_expect_ok(shard_buffer_write(&b, p1), "write");
    df_expect_ok(shard_buffer_write(&b, p2), "write again");
    df_expect_true(df_test_count_temporaries(dir) == 0, "no temporary shard remains");
    char *d1, *d2;
    size_t n1, n2;
    if (df_read_file(p1, &d1, &n1) == DF_OK && df_read_file(p2, &d2, &n2) == DF_OK) {
      df_expect_true(n1 == n2 && memcmp(d1, d2, n1) == 0, "the same examples give byte-identical shards");
      free(d1);
      free(d2);
    }
    check_shard(p1, &b, what);
    shard_buffer_free(&b);
  }

  check_version1(dir);

  /* Foreign layout: read through HDF5 into memory, unlabelled training examples. */
  double *x = malloc(sizeof(double) * N * L);
  float *want = malloc(sizeof(float) * N * L), *got = malloc(sizeof(float) * N * L);
  for (int i = 0; i < N * L; i++) want[i] = (float)(x[i] = sin(0.01 * i));
  snprintf(p1, sizeof p1, "%s/foreign.h5", dir);
  write_foreign(p1, x);
  df_shard *s;
  if (df_expect_ok(df_shard_open(p1, &s), "open a chunked, compressed float64 [N, L] file")) {
    const df_shard_info *in = df_shard_get_info(s);
    df_expect_true(in->examples == N && in->channels == 1 && in->length == L && in->rate == 0 &&
                       in->n_classes == 0 && in->format_version == 0,
                   "foreign file: shape read from the dataset, no attributes");
    if (df_expect_ok(df_shard_read(s, 0, N, got), "foreign file: read"))
      df_expect_close("foreign file: audio", got, want, N * L, 0.0, 0.0);
    df_example_meta m;
    df_shard_meta(s, 5, &m);
    df_expect_true(m.label == -1 && m.split == DF_SPLIT_TRAIN && !strcmp(m.source, ""),
                   "foreign file: missing columns read as unlabelled training examples");
    df_shard_close(s);
  }
  free(x);
  free(want);
  free(got);

  /* A float32 shard's 'scale' attribute multiplies its audio (memory-mapped reading too); one
   * that is not a finite non-zero number is refused. */
  snprintf(p1, sizeof p1, "%s/a0.h5", dir);
  float *plain = malloc(sizeof(float) * N * C * L), *scaled = malloc(sizeof(float) * N * C * L);
  if (df_expect_ok(df_shard_open(p1, &s), "open a float32 shard")) {
    df_shard_read(s, 0, N, plain);
    df_shard_close(s);
  }
  set_scale(p1, 2.0);
  if (df_expect_ok(df_shard_open(p1, &s), "open it with scale 2")) {
    df_shard_read(s, 0, N, scaled);
    for (int i = 0; i < N * C * L; i++) plain[i] *= 2.0f;
    df_expect_close("float32 shard with scale 2: audio doubled", scaled, plain, N * C * L, 0.0, 0.0);
    df_shard_close(s);
  }
  set_scale(p1, INFINITY);
  df_expect_status(df_shard_open(p1, &s), DF_ERR_FORMAT, "an infinite scale is refused");
  free(plain);
  free(scaled);

  /* Not HDF5, missing, no audio dataset. */
  snprintf(p1, sizeof p1, "%s/not.h5", dir);
  df_write_file_atomic(p1, "hello", 5);
  df_expect_status(df_shard_open(p1, &s), DF_ERR_FORMAT, "a text file is not a shard");
  df_expect_true(strstr(df_last_error(), "not an HDF5 file") != NULL, "the reason says so");
  snprintf(p1, sizeof p1, "%s/missing.h5", dir);
  df_expect_status(df_shard_open(p1, &s), DF_ERR_NOT_FOUND, "a missing shard is reported");
  snprintf(p1, sizeof p1, "%s/empty.h5", dir);
  hid_t f = H5Fcreate(p1, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  df_expect_status(df_shard_open(p1, &s), DF_ERR_FORMAT, "an HDF5 file without audio is refused");
  return df_test_finish();
}
