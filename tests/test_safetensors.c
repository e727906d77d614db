/* Safetensors I/O: a round trip of every dtype with metadata (tensors sorted by name, data
 * 8-byte aligned, conversions of F16/BF16/F64 to fp32; the format's other dtypes, e.g. U8,
 * read but do not load as fp32), and every kind of bad file refused with
 * DF_ERR_FORMAT naming the file and the problem. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/testlib.h"

static char dir[4096];

/* Writes an 8-byte length, the header text and `data_len` bytes of data. */
static void write_raw(const char *path, const char *header, size_t data_len, int lie_len) {
  size_t hlen = strlen(header);
  uint64_t len = lie_len ? (uint64_t)hlen + 1000 : hlen;
  FILE *fp = fopen(path, "wb");
  for (int i = 0; i < 8; i++) fputc((int)(len >> (8 * i)) & 0xff, fp);
  fwrite(header, 1, hlen, fp);
  for (size_t i = 0; i < data_len; i++) fputc(0, fp);
  fclose(fp);
}

static void expect_format_error(const char *name, const char *header, size_t data_len,
                                int lie_len, const char *problem, const char *what) {
  char path[4300];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  write_raw(path, header, data_len, lie_len);
  df_st_file *f = NULL;
  df_status s = df_st_open(path, &f);
  if (df_expect_status(s, DF_ERR_FORMAT, what)) {
    char label[256];
    snprintf(label, sizeof label, "%s: the message names the file and says '%s'", what, problem);
    df_expect_true(strstr(df_last_error(), name) && strstr(df_last_error(), problem), label);
  }
  df_st_close(f);
}

static void round_trip(void) {
  char path[4300];
  snprintf(path, sizeof path, "%s/round.safetensors", dir);
  df_st_writer *w;
  df_expect_ok(df_st_writer_new(&w), "writer");
  float f32[6] = {1.5f, -2.f, 3.25f, 0.f, 1e-3f, -7.f};
  int64_t i64[3] = {-1, 0, 1LL << 40};
  int32_t i32[2] = {7, -9};
  uint16_t bf16[2] = {0x3fc0, 0xc000};  /* 1.5, -2 */
  uint16_t f16[3] = {0x3e00, 0x0001, 0xfc00}; /* 1.5, 2^-24, -inf */
  double f64[2] = {0.1, -3.0};
  uint8_t u8[3] = {1, 2, 255};
  float scalar = 42.f;
  df_expect_ok(df_st_writer_add(w, "wide", DF_ST_F64, 1, (int64_t[]){2}, f64), "add f64");
  df_expect_ok(df_st_writer_add(w, "bytes", DF_ST_U8, 1, (int64_t[]){3}, u8), "add u8");
  df_expect_ok(df_st_writer_add(w, "zeta.weight", DF_ST_F32, 2, (int64_t[]){2, 3}, f32), "add f32");
  df_expect_ok(df_st_writer_add(w, "alpha", DF_ST_I64, 1, (int64_t[]){3}, i64), "add i64");
  df_expect_ok(df_st_writer_add(w, "m.i32", DF_ST_I32, 1, (int64_t[]){2}, i32), "add i32");
  df_expect_ok(df_st_writer_add(w, "bf", DF_ST_BF16, 1, (int64_t[]){2}, bf16), "add bf16");
  df_expect_ok(df_st_writer_add(w, "half", DF_ST_F16, 1, (int64_t[]){3}, f16), "add f16");
  df_expect_ok(df_st_writer_add(w, "scalar", DF_ST_F32, 0, NULL, &scalar), "add a scalar");
  df_expect_ok(df_st_writer_add(w, "empty", DF_ST_F32, 2, (int64_t[]){0, 4}, NULL), "add an empty tensor");
  df_expect_status(df_st_writer_add(w, "alpha", DF_ST_F32, 0, NULL, &scalar), DF_ERR_INVALID_ARG, "a name added twice is refused");
  df_expect_ok(df_st_writer_set_metadata(w, "format", "drumforge"), "metadata");
  df_expect_ok(df_st_writer_set_metadata(w, "note", "first"), "metadata");
  df_expect_ok(df_st_writer_set_metadata(w, "note", "replaced \"quoted\""), "metadata replaced");
  df_expect_ok(df_st_writer_save(w, path), "save");
  df_st_writer_free(w);

  char *raw;
  size_t len;
  if (df_expect_ok(df_read_file(path, &raw, &len), "read raw")) {
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | (unsigned char)raw[i];
    df_expect_true((8 + hlen) % 8 == 0, "the data starts at a multiple of 8 bytes");
    const char *a = strstr(raw + 8, "\"alpha\""), *z = strstr(raw + 8, "\"zeta.weight\"");
    df_expect_true(a && z && a < z, "tensors are sorted by name in the header");
    free(raw);
  }

  df_st_file *f;
  if (!df_expect_ok(df_st_open(path, &f), "open")) return;
  df_expect_true(df_st_count(f) == 9, "nine tensors read back");
  const char *note = df_st_metadata(f, "note");
  df_expect_true(note && strcmp(note, "replaced \"quoted\"") == 0, "metadata round-trips");
  df_expect_true(df_st_metadata_count(f) == 2 && df_st_metadata(f, "missing") == NULL, "metadata count");
  const char *key, *value;
  df_st_metadata_at(f, 0, &key, &value);
  df_expect_true(key && value && !strcmp(value, df_st_metadata(f, key)), "metadata by index");
  /* df_st_at lists tensors in data order, which the writer made name order. */
  int sorted = df_st_count(f) == 9;
  for (int i = 1; sorted && i < df_st_count(f); i++)
    sorted = strcmp(df_st_at(f, i - 1)->name, df_st_at(f, i)->name) < 0 &&
             (const char *)df_st_at(f, i - 1)->data + df_st_at(f, i - 1)->nbytes ==
                 (const char *)df_st_at(f, i)->data;
  df_expect_true(sorted && df_st_at(f, 9) == NULL, "tensors by index: contiguous, in name order");
  const df_st_tensor *t;
  if (df_expect_ok(df_st_find(f, "zeta.weight", &t), "find f32")) {
    df_expect_true(t->dtype == DF_ST_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3,
                   "f32 dtype and shape");
    df_expect_equal_bytes("f32 data", t->data, f32, sizeof f32);
  }
  if (df_expect_ok(df_st_find(f, "alpha", &t), "find i64"))
    df_expect_equal_bytes("i64 data", t->data, i64, sizeof i64);
  if (df_expect_ok(df_st_find(f, "m.i32", &t), "find i32"))
    df_expect_equal_bytes("i32 data", t->data, i32, sizeof i32);
  df_tensor x;
  if (df_expect_ok(df_st_load_f32(f, "bf", DF_DEVICE_CPU, &x), "load bf16 as fp32")) {
    df_expect_close("bf16 converts", x.data, (float[]){1.5f, -2.f}, 2, 0, 0);
    df_tensor_free(&x);
  }
  if (df_expect_ok(df_st_load_f32(f, "half", DF_DEVICE_CPU, &x), "load f16 as fp32")) {
    float *d = x.data;
    df_expect_true(d[0] == 1.5f && d[1] == 0x1p-24f && d[2] < 0 && !isfinite(d[2]),
                   "f16 converts (normal, subnormal, -inf)");
    df_tensor_free(&x);
  }
  if (df_expect_ok(df_st_load_f32(f, "wide", DF_DEVICE_CPU, &x), "load f64 as fp32")) {
    df_expect_true(((float *)x.data)[0] == 0.1f && ((float *)x.data)[1] == -3.f, "f64 converts (rounded to fp32)");
    df_tensor_free(&x);
  }
  if (df_expect_ok(df_st_find(f, "bytes", &t), "a U8 tensor reads"))
    df_expect_true(t->dtype == DF_ST_U8 && t->nbytes == 3 && !strcmp(df_st_dtype_name(t->dtype), "U8"), "u8 dtype");
  df_expect_status(df_st_load_f32(f, "bytes", DF_DEVICE_CPU, &x), DF_ERR_FORMAT, "loading u8 as fp32 is refused");
  if (df_expect_ok(df_st_load_f32(f, "scalar", DF_DEVICE_CPU, &x), "load a scalar")) {
    df_expect_true(x.ndim == 1 && x.shape[0] == 1 && ((float *)x.data)[0] == 42.f, "scalar value");
    df_tensor_free(&x);
  }
  df_expect_status(df_st_load_f32(f, "alpha", DF_DEVICE_CPU, &x), DF_ERR_FORMAT, "loading i64 as fp32 is refused");
  df_status s = df_st_find(f, "nope", &t);
  df_expect_status(s, DF_ERR_NOT_FOUND, "a missing tensor is not found");
  df_expect_true(strstr(df_last_error(), "nope") && strstr(df_last_error(), "round.safetensors"),
                 "the error names the tensor and the file");
  df_st_close(f);

  /* A df_tensor through the writer. */
  df_tensor y;
  df_tensor_new(&y, DF_DEVICE_CPU, "y", 3, 1, 2);
  df_fill(&y, 0.5f);
  df_st_writer_new(&w);
  df_expect_ok(df_st_writer_add_tensor(w, "layer.y", &y), "add a df_tensor");
  df_expect_ok(df_st_writer_save(w, path), "overwrite");
  df_st_writer_free(w);
  if (df_expect_ok(df_st_open(path, &f), "reopen")) {
    df_tensor back;
    if (df_expect_ok(df_st_load_f32(f, "layer.y", DF_DEVICE_CPU, &back), "load df_tensor")) {
      df_expect_tensor_close("df_tensor round trip", &back, &y, 0, 0);
      df_tensor_free(&back);
    }
    df_st_close(f);
  }
  df_tensor_free(&y);
}

/* Names were checked for repeats pairwise: a 13 MB header of 200000 empty tensors took
 * about a minute, and the format allows 100 MB. */
static void many_names(void) {
  enum { N = 200000 };
  static const char empty[] = "{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
  const size_t cap = (size_t)N * 64 + 64;
  char *header = malloc(cap), path[4300];
  size_t used = (size_t)snprintf(header, cap, "{");
  for (int i = 0; i < N; i++) used += (size_t)snprintf(header + used, cap - used, "\"t%d\":%s,", i, empty);
  snprintf(header + used, cap - used, "\"t7\":%s}", empty);
  snprintf(path, sizeof path, "%s/many.safetensors", dir);
  write_raw(path, header, 0, 0);
  free(header);
  df_st_file *f = NULL;
  alarm(30); /* a hang fails the test */
  df_status s = df_st_open(path, &f);
  alarm(0);
  df_expect_true(s == DF_ERR_FORMAT && strstr(df_last_error(), "tensor 't7' appears twice"),
                 "200000 tensor names are checked for repeats at once (the repeat is named)");
  df_st_close(f);
}

int main(void) {
  df_test_begin("test_safetensors");
  df_test_scratch_dir("safetensors", dir, sizeof dir);
  df_expect_true(df_st_dtype_size(DF_ST_BF16) == 2 && df_st_dtype_size(DF_ST_I64) == 8 &&
                     !strcmp(df_st_dtype_name(DF_ST_F16), "F16"),
                 "dtype names and sizes");
  round_trip();
  char path[4300];
  snprintf(path, sizeof path, "%s/short.safetensors", dir);
  FILE *fp = fopen(path, "wb");
  fwrite("abc", 1, 3, fp);
  fclose(fp);
  df_st_file *f = NULL;
  df_expect_status(df_st_open(path, &f), DF_ERR_FORMAT, "a 3-byte file is refused");
  df_expect_true(strstr(df_last_error(), "short.safetensors") && strstr(df_last_error(), "truncated"),
                 "the message names the file and says truncated");
  const char *good = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  expect_format_error("truncated_header.safetensors", good, 8, 1, "truncated", "a header longer than the file");
  expect_format_error("truncated_data.safetensors", good, 4, 0, "past the end", "data cut short");
  expect_format_error("bad_json.safetensors", "{\"a\": {\"dtype\": ", 0, 0, "JSON", "bad JSON");
  expect_format_error("not_object.safetensors", "[1, 2]", 0, 0, "JSON object", "a JSON array header");
  expect_format_error("past_end.safetensors",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8, 0,
                      "past the end", "offsets past the end of the data");
  expect_format_error("size.safetensors",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, 0,
                      "need 12", "offsets inconsistent with the shape");
  expect_format_error("dtype.safetensors",
                      "{\"a\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, 0,
                      "unknown dtype 'F12'", "an unknown dtype");
  /* Values quoted from a file keep the message on one line: a newline in one is escaped. */
  expect_format_error("dtype_newline.safetensors",
                      "{\"a\":{\"dtype\":\"F\\n12\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, 0,
                      "unknown dtype 'F\\n12'", "a dtype with a newline");
  /* Files from other tools hold the format's other dtypes: they open (inspect lists them). */
  snprintf(path, sizeof path, "%s/f8.safetensors", dir);
  write_raw(path, "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]},"
            "\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[2,5]}}", 5, 0);
  df_expect_ok(df_st_open(path, &f), "F8_E4M3 and BOOL tensors are read");
  df_st_close(f);
  expect_format_error("shape.safetensors",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, 0,
                      "bad dimension", "a negative dimension");
  expect_format_error("offsets.safetensors",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, 0,
                      "bad data_offsets", "reversed offsets");
  expect_format_error("meta.safetensors", "{\"__metadata__\":{\"k\":3}}", 0, 0,
                      "not a string", "non-string metadata");
  /* A second __metadata__ object crashed the reader (its keys were stored past the first's). */
  expect_format_error("meta_twice.safetensors",
                      "{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\"},\"__metadata__\":{\"c\":\"3\"}}", 0, 0,
                      "__metadata__ appears twice", "two __metadata__ objects");
  expect_format_error("meta_key_twice.safetensors", "{\"__metadata__\":{\"step\":\"1\",\"step\":\"2\"}}", 0, 0,
                      "metadata 'step' appears twice", "a metadata key given twice");
  expect_format_error("overlap.safetensors",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, 0,
                      "overlaps", "tensors sharing bytes");
  expect_format_error("gap.safetensors",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, 0,
                      "bytes 0-4 of the data belong to no tensor", "bytes before a tensor");
  expect_format_error("trailing_data.safetensors", good, 12, 0, "4 bytes after the last tensor",
                      "bytes after the last tensor");
  expect_format_error("trailing_text.safetensors",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} xyz", 8, 0,
                      "text after its JSON object", "text after the header's JSON");
  /* Tensors stored out of name order, an empty one at the same offset as another, and padding. */
  snprintf(path, sizeof path, "%s/reordered.safetensors", dir);
  write_raw(path,
            "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"e\":{\"dtype\":\"F32\","
            "\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}   ",
            8, 0);
  df_expect_ok(df_st_open(path, &f), "tensors in any order that tile the data are read");
  df_st_close(f);
  df_expect_status(df_st_open("/nonexistent/x.safetensors", &f), DF_ERR_NOT_FOUND, "a missing file");
  many_names();
  return df_test_finish();
}
