/* Bad arguments to the DSP functions: each call fails with DF_ERR_INVALID_ARG and a message
 * naming the problem, and leaves nothing behind (plans are not created, rng untouched). */
#include <math.h>
#include <string.h>

#include "common/testlib.h"
#include "drumforge/dsp.h"

/* The call must fail with want and its message must contain `needle`. */
static void expect_error(df_status got, df_status want, const char *needle, const char *what) {
  if (!df_expect_status(got, want, what)) return;
  if (!strstr(df_last_error(), needle))
    df_test_fail(what, "message \"%s\" does not mention \"%s\"", df_last_error(), needle);
}

static void plans(void) {
  df_stft_plan *p = (df_stft_plan *)&p; /* must be reset to NULL on failure */
  df_stft_config c = df_stft_config_default(512);
  expect_error(df_stft_plan_create(NULL, DF_DEVICE_CPU, 1, 1000, &p), DF_ERR_INVALID_ARG, "config",
               "a missing config");
  df_expect_true(p == NULL, "a failed create leaves the plan NULL");
  c.n_fft = 1;
  expect_error(df_stft_plan_create(&c, DF_DEVICE_CPU, 1, 1000, &p), DF_ERR_INVALID_ARG, "n_fft",
               "n_fft 1");
  c = df_stft_config_default(2);
  expect_error(df_stft_plan_create(&c, DF_DEVICE_CPU, 1, 1000, &p), DF_ERR_INVALID_ARG, "hop",
               "a default hop that resolves to 0");
  c = df_stft_config_default(512);
  c.win_length = 600;
  expect_error(df_stft_plan_create(&c, DF_DEVICE_CPU, 1, 1000, &p), DF_ERR_INVALID_ARG,
               "win_length", "a window longer than n_fft");
  c = df_stft_config_default(512);
  c.pad_mode = (df_pad_mode)7;
  expect_error(df_stft_plan_create(&c, DF_DEVICE_CPU, 1, 1000, &p), DF_ERR_INVALID_ARG, "pad mode",
               "an unknown pad mode");
  c = df_stft_config_default(512);
  expect_error(df_stft_plan_create(&c, DF_DEVICE_CPU, 1, 256, &p), DF_ERR_INVALID_ARG, "reflect",
               "reflect padding as long as the signal");
  c.center = 0;
  expect_error(df_stft_plan_create(&c, DF_DEVICE_CPU, 1, 500, &p), DF_ERR_INVALID_ARG, "shorter",
               "a signal shorter than n_fft without centring");
  c = df_stft_config_default(512);
  expect_error(df_stft_plan_create(&c, DF_DEVICE_CPU, 0, 1000, &p), DF_ERR_INVALID_ARG,
               "max_batch", "a zero batch");
  if (!df_test_gpu()) {
    expect_error(df_stft_plan_create(&c, DF_DEVICE_CUDA, 1, 1000, &p), DF_ERR_NO_DEVICE, "GPU",
                 "a plan on a GPU that is not there");
  }
}

static void transforms(void) {
  df_stft_config c = df_stft_config_default(256);
  df_stft_plan *p;
  if (!df_expect_ok(df_stft_plan_create(&c, DF_DEVICE_CPU, 2, 1000, &p), "plan")) return;
  int F = df_stft_plan_bins(p);
  int64_t T = df_stft_plan_frames(p);
  df_tensor x, big, spec, mag, wrong, i32;
  df_tensor_new(&x, DF_DEVICE_CPU, "x", 2, 1000);
  df_tensor_new(&big, DF_DEVICE_CPU, "big batch", 3, 1000);
  df_tensor_new(&spec, DF_DEVICE_CPU, "spec", 2, F, T, 2);
  df_tensor_new(&mag, DF_DEVICE_CPU, "mag", 2, F, T);
  df_tensor_new(&wrong, DF_DEVICE_CPU, "short signal", 2, 999);
  int64_t s2[2] = {2, 1000};
  df_tensor_alloc(&i32, DF_DEVICE_CPU, DF_I32, 2, s2, "integer signal");
  expect_error(df_stft(p, &wrong, &spec), DF_ERR_INVALID_ARG, "short signal",
               "stft of a signal of the wrong length names it");
  expect_error(df_stft(p, &big, &spec), DF_ERR_INVALID_ARG, "batch",
               "stft of a batch larger than the plan's");
  expect_error(df_stft(p, &i32, &spec), DF_ERR_INVALID_ARG, "fp32", "stft of an integer tensor");
  expect_error(df_stft(p, &x, &mag), DF_ERR_INVALID_ARG, "mag", "stft into a [B, F, T] tensor");
  expect_error(df_stft_magnitude(p, &x, 0.0f, &mag), DF_ERR_INVALID_ARG, "power", "power 0");
  expect_error(df_stft_magnitude(p, &x, NAN, &mag), DF_ERR_INVALID_ARG, "power", "power NaN");
  expect_error(df_istft(p, &mag, &x), DF_ERR_INVALID_ARG, "mag", "istft of a magnitude tensor");
  expect_error(df_stft(NULL, &x, &spec), DF_ERR_INVALID_ARG, "plan", "a NULL plan");

  df_griffinlim_config g = df_griffinlim_config_default();
  df_rng rng;
  df_rng_init(&rng, 1);
  g.momentum = 1.0f;
  expect_error(df_griffinlim(p, &g, &rng, &mag, &x, NULL), DF_ERR_INVALID_ARG, "momentum",
               "momentum 1");
  g = df_griffinlim_config_default();
  g.n_iter = -1;
  expect_error(df_griffinlim(p, &g, &rng, &mag, &x, NULL), DF_ERR_INVALID_ARG, "n_iter",
               "negative iterations");
  g = df_griffinlim_config_default();
  expect_error(df_griffinlim(p, &g, NULL, &mag, &x, NULL), DF_ERR_INVALID_ARG, "rng",
               "random phases without an rng");
  rng.offset = 2;
  expect_error(df_griffinlim(p, &g, &rng, &mag, &x, NULL), DF_ERR_INVALID_ARG, "offset",
               "an rng offset that is not a multiple of 4");
  df_expect_true(rng.offset == 2, "a failed call leaves the rng untouched");
  df_stft_plan_free(p);

  /* Frames that do not overlap enough to be inverted. */
  df_stft_config gap = {256, 256, 256, 0, DF_PAD_REFLECT};
  if (df_expect_ok(df_stft_plan_create(&gap, DF_DEVICE_CPU, 2, 1000, &p), "non-centred plan")) {
    df_tensor s2t;
    df_tensor_new(&s2t, DF_DEVICE_CPU, "spec", 2, df_stft_plan_bins(p), df_stft_plan_frames(p), 2);
    df_expect_ok(df_stft(p, &x, &s2t), "the forward STFT works without NOLA");
    expect_error(df_istft(p, &s2t, &x), DF_ERR_INVALID_ARG, "cannot be inverted",
                 "istft where the overlap-added window is zero");
    df_tensor_free(&s2t);
    df_stft_plan_free(p);
  }
  df_tensor *all[] = {&x, &big, &spec, &mag, &wrong, &i32};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) df_tensor_free(all[i]);
}

static void spectrogram_math(void) {
  df_mel_config m = df_mel_config_default(16000, 512, 64);
  float fb[64 * 257];
  m.f_max = 9000;
  expect_error(df_mel_filterbank(&m, fb), DF_ERR_INVALID_ARG, "f_max", "f_max above Nyquist");
  m = df_mel_config_default(16000, 512, 0);
  expect_error(df_mel_filterbank(&m, fb), DF_ERR_INVALID_ARG, "n_mels", "zero Mel bands");
  m = df_mel_config_default(-1, 512, 64);
  expect_error(df_mel_filterbank(&m, fb), DF_ERR_INVALID_ARG, "sample rate", "a negative rate");
  expect_error(df_pseudo_inverse(0, 3, fb, fb), DF_ERR_INVALID_ARG, "matrix", "an empty matrix");

  df_tensor a, b, w, lo;
  df_tensor_new(&a, DF_DEVICE_CPU, "spectrogram", 2, 257, 10);
  df_tensor_new(&b, DF_DEVICE_CPU, "other shape", 2, 256, 10);
  df_tensor_new(&w, DF_DEVICE_CPU, "filterbank", 64, 256);
  df_tensor_new(&lo, DF_DEVICE_CPU, "lo", 3);
  expect_error(df_mel_project(&w, &a, &b), DF_ERR_INVALID_ARG, "spectrogram",
               "a filterbank that does not fit the bins");
  df_db_config d = df_db_config_amplitude();
  d.amin = 0;
  expect_error(df_to_db(&d, &a, &a), DF_ERR_INVALID_ARG, "amin", "amin 0");
  d = df_db_config_amplitude();
  expect_error(df_to_db(&d, &a, &b), DF_ERR_INVALID_ARG, "other shape", "dB into another shape");
  expect_error(df_to_log(&a, -1.0f, &a), DF_ERR_INVALID_ARG, "eps", "a negative eps");
  expect_error(df_minmax_normalize(&a, &a, &lo, &lo), DF_ERR_INVALID_ARG, "lo",
               "min-max with a range tensor of the wrong batch");
  df_bin_stats st;
  df_bin_stats_init(&st, 256);
  expect_error(df_bin_stats_add(&st, &a), DF_ERR_INVALID_ARG, "spectrogram",
               "bin statistics of another number of bins");
  float mean[256], sd[256];
  expect_error(df_bin_stats_moments(&st, mean, sd), DF_ERR_INVALID_ARG, "no data",
               "moments of no data");
  df_bin_stats_free(&st);
  df_tensor *all[] = {&a, &b, &w, &lo};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) df_tensor_free(all[i]);
}

int main(void) {
  df_test_begin("test_dsp_args");
  plans();
  transforms();
  spectrogram_math();
  return df_test_finish();
}
