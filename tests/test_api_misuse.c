/* The public C API used the way careless callers do: NULL objects and paths, zeroed or
 * hand-filled structs, shapes whose byte count overflows, out-of-range enums, ranges that
 * wrap, closing twice, and a second call after an error. Every case must give a status and a
 * one-line message naming the argument, never a crash or an out-of-bounds access (run it in
 * a -DDRUMFORGE_SANITIZE=ON build to see the latter and leaks on the error paths). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/testlib.h"
#include "drumforge/checkpoint.h"
#include "drumforge/dsp.h"
#include "drumforge/generate.h"
#include "drumforge/nn.h"
#include "drumforge/ops.h"

/* The status must be `want` and the message must mention `needle`. */
static void expect_error(df_status got, df_status want, const char *needle, const char *what) {
  if (df_expect_status(got, want, what) && !strstr(df_last_error(), needle))
    df_test_fail(what, "message '%s' does not mention '%s'", df_last_error(), needle);
}

static void tensors(void) {
  df_tensor t;
  /* 2^40 x 2^40 fp32 wrapped to 0 bytes: an empty tensor with a huge shape. */
  expect_error(df_tensor_alloc(&t, DF_DEVICE_CPU, DF_F32, 2, (int64_t[]){1LL << 40, 1LL << 40}, "big"),
               DF_ERR_INVALID_ARG, "too many elements", "alloc: element count overflows");
  expect_error(df_tensor_alloc(&t, DF_DEVICE_CPU, (df_dtype)9, 1, (int64_t[]){4}, "x"),
               DF_ERR_INVALID_ARG, "dtype", "alloc: unknown dtype");
  expect_error(df_tensor_alloc(&t, (df_device)7, DF_F32, 1, (int64_t[]){4}, "x"),
               DF_ERR_INVALID_ARG, "unknown device", "alloc: unknown device");
  expect_error(df_tensor_alloc(NULL, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){4}, "x"),
               DF_ERR_INVALID_ARG, "'t'", "alloc: NULL tensor");
  expect_error(df_tensor_alloc(&t, DF_DEVICE_CPU, DF_F32, 2, NULL, "x"), DF_ERR_INVALID_ARG,
               "shape", "alloc: NULL shape");

  df_tensor a;
  df_expect_ok(df_tensor_new(&a, DF_DEVICE_CPU, "a", 4, 2), "alloc a [4, 2]");
  float host[8] = {0};
  expect_error(df_tensor_to_host(&a, host, -5), DF_ERR_INVALID_ARG, "'a'", "to_host: negative count");
  expect_error(df_tensor_from_host(&a, NULL, 8), DF_ERR_INVALID_ARG, "host", "from_host: NULL host");
  df_tensor v;
  expect_error(df_tensor_slice0(&a, INT64_MAX, 2, &v), DF_ERR_INVALID_ARG, "'a'",
               "slice0: first + count wraps");
  expect_error(df_tensor_copy(NULL, &a), DF_ERR_INVALID_ARG, "missing", "copy: NULL destination");
  df_tensor zeroed = {0};
  expect_error(df_tensor_zero(&zeroed), DF_ERR_INVALID_ARG, "missing", "zero: zeroed struct");
  expect_error(df_fill(&zeroed, 1.0f), DF_ERR_INVALID_ARG, "missing", "fill: zeroed struct");
  /* A hand-set ndim beyond DF_MAX_DIMS made numel read past shape[]. */
  df_tensor bad = a;
  bad.ndim = 9;
  expect_error(df_fill(&bad, 1.0f), DF_ERR_INVALID_ARG, "9 dims", "fill: ndim 9");
  bad = a;
  bad.device = (df_device)5;
  expect_error(df_fill(&bad, 1.0f), DF_ERR_INVALID_ARG, "unknown device", "fill: unknown device");
  /* The header promises that a failed view (ndim 0) is rejected by every op. */
  float data[4] = {0};
  df_tensor w0 = df_tensor_wrap(data, DF_DEVICE_CPU, DF_F32, 0, (int64_t[]){4}, "w0");
  expect_error(df_fill(&w0, 1.0f), DF_ERR_INVALID_ARG, "'w0'", "fill: wrap of 0 dims");

  /* A band whose end wraps past INT64_MAX was copied from far outside the tensor. */
  df_tensor b;
  df_expect_ok(df_tensor_new(&b, DF_DEVICE_CPU, "b", 4, 2), "alloc b [4, 2]");
  expect_error(df_copy_band(&a, INT64_MAX, &b, 0, 2), DF_ERR_INVALID_ARG, "band",
               "copy_band: column + count wraps");
  df_expect_ok(df_copy_band(&a, 0, &b, 0, 2), "copy_band: usable after the error");
  /* Int32 id tensors are checked like the others: a struct without data was read (on the
   * GPU, a kernel fault that ends the process's CUDA context). */
  df_tensor no_ids = df_tensor_wrap(NULL, DF_DEVICE_CPU, DF_I32, 1, (int64_t[]){4}, "ids");
  expect_error(df_embedding_forward(&b, &no_ids, &a), DF_ERR_INVALID_ARG, "'ids' is missing",
               "embedding_forward: ids without data");
  expect_error(df_embedding_backward(&no_ids, &a, &b), DF_ERR_INVALID_ARG, "'ids' is missing",
               "embedding_backward: ids without data");
  df_tensor stats, lo4;
  df_expect_ok(df_tensor_new(&stats, DF_DEVICE_CPU, "stats", 2, 3), "alloc stats [2, 3]");
  df_expect_ok(df_tensor_new(&lo4, DF_DEVICE_CPU, "lo", 4), "alloc lo [4]");
  expect_error(df_minmax_range_update(&stats, &lo4, &lo4, &no_ids), DF_ERR_INVALID_ARG,
               "'ids' is missing", "minmax_range_update: classes without data");
  df_tensor_free(&stats);
  df_tensor_free(&lo4);
  df_tensor_free(&a);
  df_tensor_free(&a); /* twice: a no-op */
  df_tensor_free(NULL);
  df_tensor_free(&b);

  df_device dev;
  expect_error(df_runtime_init((df_device_request)9, &dev, NULL, 0), DF_ERR_INVALID_ARG,
               "request", "runtime_init: unknown request");
  expect_error(df_runtime_init(DF_REQUEST_CPU, NULL, NULL, 0), DF_ERR_INVALID_ARG, "chosen",
               "runtime_init: NULL chosen");
  expect_error(df_parse_device_request(NULL, (df_device_request[]){0}), DF_ERR_INVALID_ARG,
               "text", "parse_device_request: NULL text");
  df_rng rng;
  df_rng_init(&rng, 1);
  int lo_ok = 1;
  for (int i = 0; i < 64; i++) {
    int r = df_rng_int(&rng, -2147483647 - 1, 2147483647); /* 2^32 values: no overflow */
    (void)r;
    lo_ok &= df_rng_int(&rng, 5, 2) == 5;
  }
  df_expect_true(lo_ok, "rng_int: hi < lo gives lo");
}

static void params(void) {
  df_param_set set;
  df_param_set_init(&set, "G", DF_DEVICE_CPU, NULL); /* no Adam config: all zero */
  df_param *p;
  char longname[200];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  expect_error(df_param_add(&set, longname, 1, 1, (int64_t[]){4}, &p), DF_ERR_INVALID_ARG,
               "longer than", "param_add: a name that would be cut");
  df_expect_ok(df_param_add(&set, "w", 1, 1, (int64_t[]){4}, &p), "param_add w");
  expect_error(df_param_set_adam(&set), DF_ERR_INVALID_ARG, "bad config", "adam: zero config");
  df_expect_true(set.adam_step == 0, "adam: a refused update is not counted");
  df_expect_ok(df_param_add_batchnorm(&set, "bn", 3, NULL, NULL, NULL, NULL),
               "add_batchnorm: NULL outputs are optional");
  df_param_set_drop_training_state(&set);
  expect_error(df_param_set_zero_grad(&set), DF_ERR_INVALID_ARG, "inference",
               "zero_grad: inference set");
  expect_error(df_param_add(NULL, "x", 1, 1, (int64_t[]){4}, &p), DF_ERR_INVALID_ARG, "set",
               "param_add: NULL set");
  df_param_set_free(&set);
  df_param_set_free(&set);
  df_param_set_free(NULL);

  float loss;
  df_tensor s;
  df_expect_ok(df_tensor_new(&s, DF_DEVICE_CPU, "s", 2), "alloc scores");
  expect_error(df_gan_critic_loss(DF_GAN_WGAN_GP, &s, &s, &s, &s, NULL, NULL), DF_ERR_INVALID_ARG,
               "loss", "critic loss: NULL loss");
  expect_error(df_gan_generator_loss(DF_GAN_WGAN_GP, &s, &s, NULL), DF_ERR_INVALID_ARG, "loss",
               "generator loss: NULL loss");
  expect_error(df_gradient_penalty(&s, 1, &s, NULL, &loss), DF_ERR_INVALID_ARG, "gp",
               "gradient penalty: NULL gp");
  df_tensor_free(&s);
  df_checkpoint_state_free(NULL);
  expect_error(df_checkpoint_save("/nonexistent/x.ckpt", NULL, 2, NULL, 0), DF_ERR_INVALID_ARG,
               "parameter sets", "checkpoint_save: NULL sets");
}

static void files(const char *dir) {
  char path[4400];
  /* A second abort (or one after commit) must not remove a file written since. */
  df_atomic_file f;
  snprintf(path, sizeof path, "%s/a.txt", dir);
  df_expect_ok(df_atomic_open(&f, path), "atomic_open");
  df_atomic_abort(&f);
  df_atomic_file g;
  df_expect_ok(df_atomic_open(&g, path), "atomic_open again (same temporary name)");
  df_atomic_abort(&f);
  df_expect_true(g.fp && fputs("x", g.fp) >= 0, "the second writer still writes");
  df_expect_ok(df_atomic_commit(&g), "second writer commits after the first one's second abort");
  df_atomic_abort(NULL);
  expect_error(df_atomic_commit(NULL), DF_ERR_INVALID_ARG, "'f'", "atomic_commit: NULL");
  expect_error(df_atomic_open(&f, NULL), DF_ERR_INVALID_ARG, "path", "atomic_open: NULL path");
  char *data;
  size_t len;
  expect_error(df_read_file(NULL, &data, &len), DF_ERR_INVALID_ARG, "path", "read_file: NULL path");
  expect_error(df_mkdirs(NULL), DF_ERR_INVALID_ARG, "path", "mkdirs: NULL");
  expect_error(df_mkdirs(path), DF_ERR_IO, "a file of that name", "mkdirs: a file is in the way");

  /* npy: a negative row count was written as 2^64 - 4 bytes from the caller's buffer. */
  snprintf(path, sizeof path, "%s/z.npy", dir);
  df_npy_writer *w;
  float rows[4] = {1, 2, 3, 4};
  df_expect_ok(df_npy_writer_open(path, 2, &w), "npy writer open");
  expect_error(df_npy_writer_append(w, rows, -1), DF_ERR_INVALID_ARG, "append -1",
               "npy append: negative count");
  expect_error(df_npy_writer_append(w, NULL, 1), DF_ERR_INVALID_ARG, "rows", "npy append: NULL rows");
  df_expect_ok(df_npy_writer_append(w, rows, 2), "npy append after the errors");
  df_expect_ok(df_npy_writer_commit(w), "npy commit");
  float *back = NULL;
  int64_t r = 0, c = 0;
  df_expect_ok(df_npy_read_f32(path, &back, &r, &c), "npy read back");
  df_expect_true(r == 2 && c == 2 && back && back[3] == 4.0f, "npy holds the 2 good rows");
  free(back);
  expect_error(df_npy_writer_commit(NULL), DF_ERR_INVALID_ARG, "'w'", "npy commit: NULL");

  /* safetensors: a wrapping shape stored a huge tensor over a few bytes. */
  df_st_writer *sw;
  df_expect_ok(df_st_writer_new(&sw), "st writer");
  expect_error(df_st_writer_add(sw, "big", DF_ST_F32, 2, (int64_t[]){1LL << 40, 1LL << 40}, rows),
               DF_ERR_INVALID_ARG, "too many elements", "st add: element count overflows");
  expect_error(df_st_writer_add(sw, "x", DF_ST_F32, 1, (int64_t[]){4}, NULL), DF_ERR_INVALID_ARG,
               "data", "st add: NULL data");
  df_expect_ok(df_st_writer_add(sw, "x", DF_ST_F32, 1, (int64_t[]){4}, rows), "st add after errors");
  snprintf(path, sizeof path, "%s/x.safetensors", dir);
  df_expect_ok(df_st_writer_save(sw, path), "st save");
  df_st_writer_free(sw);
  df_st_close(NULL);
  df_expect_true(df_st_count(NULL) == 0 && df_st_metadata(NULL, "k") == NULL, "st getters: NULL file");
  expect_error(df_st_writer_add(NULL, "x", DF_ST_F32, 1, (int64_t[]){4}, rows), DF_ERR_INVALID_ARG,
               "'w'", "st add: NULL writer");

  /* config: a key without a section made the resolved text read before the key. */
  df_config *cfg;
  df_expect_ok(df_config_new(&cfg), "config");
  long v = 0;
  expect_error(df_config_int(cfg, "nodot", 1, 0, 2, &v), DF_ERR_CONFIG, "section.key",
               "config_int: key without a section");
  expect_error(df_config_string(cfg, "a.b", NULL, (const char *[]){NULL}), DF_ERR_INVALID_ARG, "def",
               "config_string: NULL default");
  expect_error(df_config_set(cfg, "a.c", "1\n[x]\ny = 2", "--set"), DF_ERR_CONFIG, "line break",
               "config_set: a value with a line break");
  df_expect_ok(df_config_int(cfg, "a.d", 1, 0, 2, &v), "config usable after the errors");
  char *text = NULL;
  df_expect_ok(df_config_resolved_text(cfg, &text), "resolved text");
  df_expect_true(text && strstr(text, "d = 1") && !strstr(text, "nodot"), "resolved text holds a.d only");
  free(text);
  df_config_free(cfg);
  expect_error(df_config_int(NULL, "a.b", 1, 0, 2, &v), DF_ERR_INVALID_ARG, "cfg", "config_int: NULL");
}

static void audio(void) {
  df_audio a;
  /* 2^30 channels x 2^40 frames wrapped to a 0-byte buffer. */
  expect_error(df_audio_alloc(&a, 1 << 30, 1LL << 40, 16000), DF_ERR_INVALID_ARG, "channels",
               "audio_alloc: sample count overflows");
  expect_error(df_audio_alloc(NULL, 1, 10, 16000), DF_ERR_INVALID_ARG, "'a'", "audio_alloc: NULL");
  expect_error(df_audio_alloc(&a, 1, 10, 0), DF_ERR_INVALID_ARG, "rate", "audio_alloc: rate 0");
  df_expect_ok(df_audio_alloc(&a, 1, 10, 16000), "audio_alloc 10 frames");
  for (int i = 0; i < 10; i++) a.data[i] = 1.0f;
  /* A fade reaching past the end wrote beyond the buffer. */
  df_fade_out(&a, 5, 100);
  df_fade_out(&a, -50, 10);
  df_fade_out(NULL, 0, 3);
  df_expect_true(a.data[4] == 1.0f && a.data[5] < 1.0f && a.data[9] > 0.0f,
                 "fade_out: only the frames inside the sound, along the curve of length 100");
  void *bytes;
  size_t len;
  expect_error(df_audio_encode("x.wav", &a, (df_audio_encoding)9, &bytes, &len), DF_ERR_INVALID_ARG,
               "encoding", "audio_encode: unknown encoding");
  expect_error(df_normalize_peak(NULL, -1), DF_ERR_INVALID_ARG, "'a'", "normalize_peak: NULL");
  df_expect_true(df_audio_peak(NULL) == 0.0f, "audio_peak: NULL is silence");

  /* Tiling bars of other channel counts read past the narrower bar. */
  df_audio bars[2], out;
  df_expect_ok(df_audio_alloc(&bars[0], 2, 20, 16000), "bar A stereo");
  df_expect_ok(df_audio_alloc(&bars[1], 1, 20, 16000), "bar B mono");
  expect_error(df_loop_tile(bars, "AB", 2, 10, 0, &out), DF_ERR_INVALID_ARG, "channels",
               "loop_tile: bars of other channel counts");
  expect_error(df_loop_tile(bars, "A", 1 << 30, 1LL << 40, 0, &out), DF_ERR_INVALID_ARG, "bars",
               "loop_tile: length overflows");
  df_expect_true(df_loop_bar_frames(0, 16000) == 0 && df_loop_bar_frames(-5, 16000) == 0,
                 "loop_bar_frames: bpm 0 and negative give 0");
  df_audio_free(&bars[0]);
  df_audio_free(&bars[1]);
  df_audio_free(&a);
  df_audio_free(&a);
  df_audio_free(NULL);

  df_bin_stats bs;
  memset(&bs, 0x5a, sizeof bs); /* an uninitialised struct */
  expect_error(df_bin_stats_init(&bs, 0), DF_ERR_INVALID_ARG, "0 bins", "bin_stats_init: 0 bins");
  df_bin_stats_free(&bs); /* safe after a failed init */
  df_expect_true(df_stft_plan_bins(NULL) == 0, "stft getters: NULL plan");
  df_generate_result res;
  expect_error(df_generate(NULL, &res), DF_ERR_INVALID_ARG, "options", "generate: NULL options");
  expect_error(df_generate_check_settings(NULL), DF_ERR_INVALID_ARG, "options",
               "generate_check_settings: NULL");
}

/* Messages are for users: the source place is added for failed calls (libc, CUDA) always and
 * for the others only with DRUMFORGE_DEBUG set. */
static void error_places(void) {
  df_tensor t;
  unsetenv("DRUMFORGE_DEBUG");
  df_tensor_alloc(&t, (df_device)7, DF_F32, 1, (int64_t[]){4}, "x");
  df_expect_true(strstr(df_last_error(), "unknown device") && !strstr(df_last_error(), ".c:"),
                 "a message ends without its source place");
  setenv("DRUMFORGE_DEBUG", "1", 1);
  df_tensor_alloc(&t, (df_device)7, DF_F32, 1, (int64_t[]){4}, "x");
  df_expect_true(strstr(df_last_error(), "unknown device") && strstr(df_last_error(), ".c:"),
                 "... and with DRUMFORGE_DEBUG=1 with it");
  setenv("DRUMFORGE_DEBUG", "0", 1);
  df_tensor_alloc(&t, (df_device)7, DF_F32, 1, (int64_t[]){4}, "x");
  df_expect_true(!strstr(df_last_error(), ".c:"), "... and DRUMFORGE_DEBUG=0 is off");
  df_set_call_error(DF_ERR_IO, "src/io/example.c", 12, "fsync(fd) failed: %s", "No space left on device");
  df_expect_true(!strcmp(df_last_error(), "fsync(fd) failed: No space left on device (example.c:12)"),
                 "a failed call's message names its place always");
  unsetenv("DRUMFORGE_DEBUG");
}

int main(void) {
  df_test_begin("test_api_misuse");
  error_places();
  char dir[4200];
  df_test_scratch_dir("api_misuse", dir, sizeof dir);
  tensors();
  params();
  files(dir);
  audio();
  return df_test_finish();
}
