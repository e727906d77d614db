/* Spectrogram arithmetic on empty tensors (no items, or items without frames) succeeds on every
 * device: the CUDA versions must not launch a grid of 0 blocks or hand cuBLAS a zero leading
 * dimension. */
#include "common/testlib.h"
#include "drumforge/dsp.h"

static void expect_done(df_status s, const char *what, const char *op) {
  char label[160];
  snprintf(label, sizeof label, "%s: %s", what, op);
  if (df_expect_ok(s, label)) df_test_pass(label);
}

/* x [b, f, t] through the dB map with its per-item floor (top_db) and a Mel projection by a
 * [4, f] filterbank onto [b, 4, t]. */
static void empty_ops(df_device dev, int64_t b, int64_t f, int64_t t, const char *what) {
  df_tensor x = {0}, y = {0}, fb = {0}, mel = {0};
  if (df_expect_ok(df_tensor_new(&x, dev, "x", b, f, t), what) &&
      df_expect_ok(df_tensor_new(&y, dev, "y", b, f, t), what) &&
      df_expect_ok(df_tensor_new(&fb, dev, "filterbank", 4, f), what) &&
      df_expect_ok(df_tensor_new(&mel, dev, "mel", b, 4, t), what)) {
    df_db_config db = df_db_config_amplitude(); /* top_db 80 */
    expect_done(df_to_db(&db, &x, &y), what, "to dB with top_db");
    expect_done(df_mel_project(&fb, &x, &mel), what, "Mel projection");
  }
  df_tensor_free(&x);
  df_tensor_free(&y);
  df_tensor_free(&fb);
  df_tensor_free(&mel);
}

int main(void) {
  df_test_begin("test_dsp_empty_batch");
  empty_ops(DF_DEVICE_CPU, 0, 5, 3, "cpu, no items");
  empty_ops(DF_DEVICE_CPU, 2, 5, 0, "cpu, no frames");
  if (df_test_gpu()) {
    empty_ops(DF_DEVICE_CUDA, 0, 5, 3, "cuda, no items");
    empty_ops(DF_DEVICE_CUDA, 2, 5, 0, "cuda, no frames");
  } else {
    df_test_skip_gpu(4, "cuda dB floor and Mel projection on empty tensors");
  }
  return df_test_finish();
}
