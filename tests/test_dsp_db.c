/* dB and log scales: amplitude and power to dB with ref, amin and a per-item top_db against
 * torchaudio.functional.amplitude_to_DB (librosa's formula), the inverse against
 * DB_to_amplitude, round trips, the natural-log scale, in-place use, and CPU vs GPU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dsp_fixture.h"
#include "common/testlib.h"
#include "drumforge/dsp.h"

#define B 2
#define F 129
#define T 10
#define N (B * F * T)

static df_tensor tensor_of(const char *name, const float *data) {
  int64_t shape[3] = {B, F, T};
  df_tensor t;
  df_expect_ok(df_tensor_alloc(&t, DF_DEVICE_CPU, DF_F32, 3, shape, name), name);
  if (data) memcpy(t.data, data, df_tensor_bytes(&t));
  return t;
}

static void against_torchaudio(const float *mag) {
  int64_t shape[3] = {B, F, T};
  float *amp = df_dsp_fixture("db_amplitude", 3, shape);
  float *pw = df_dsp_fixture("db_power", 3, shape);
  float *inv = df_dsp_fixture("db_amplitude_inverse", 3, shape);
  if (!amp || !pw || !inv) return;
  df_tensor x = tensor_of("magnitude", mag), y = tensor_of("dB", NULL);
  df_db_config ca = df_db_config_amplitude();
  ca.ref = 2.0f;
  if (df_expect_ok(df_to_db(&ca, &x, &y), "amplitude to dB"))
    df_expect_close("amplitude to dB (ref 2, top_db 80 per item) matches torchaudio", y.data, amp,
                    N, 1e-5, 1e-4);
  float *sq = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) sq[i] = mag[i] * mag[i];
  df_tensor p = tensor_of("power", sq);
  df_db_config cp = df_db_config_power();
  cp.top_db = 60.0f;
  if (df_expect_ok(df_to_db(&cp, &p, &y), "power to dB"))
    df_expect_close("power to dB (top_db 60 per item) matches torchaudio", y.data, pw, N, 1e-5,
                    1e-4);
  df_tensor d = tensor_of("torch dB", amp);
  if (df_expect_ok(df_from_db(&ca, &d, &y), "dB to amplitude"))
    df_expect_close("dB to amplitude matches torchaudio", y.data, inv, N, 2e-6, 1e-12);
  free(sq);
  df_tensor_free(&x);
  df_tensor_free(&y);
  df_tensor_free(&p);
  df_tensor_free(&d);
  free(amp);
  free(pw);
  free(inv);
}

static void round_trips(const float *mag) {
  df_tensor x = tensor_of("magnitude", mag), y = tensor_of("scaled", NULL);
  df_tensor z = tensor_of("back", NULL);
  df_db_config c = df_db_config_amplitude();
  c.top_db = 0; /* no floor: the inverse is exact above amin */
  df_expect_ok(df_to_db(&c, &x, &y), "to dB");
  df_expect_ok(df_from_db(&c, &y, &z), "from dB");
  float *want = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) want[i] = fmaxf(mag[i], c.amin);
  df_expect_close("from_db(to_db(x)) = max(x, amin)", z.data, want, N, 2e-5, 0);

  /* The per-item floor: each item's minimum is at least its own maximum - top_db. */
  c.top_db = 30;
  df_expect_ok(df_to_db(&c, &x, &y), "to dB with top_db 30");
  int ok = 1;
  for (int b = 0; b < B; b++) {
    const float *v = (const float *)y.data + b * F * T;
    float mn = v[0], mx = v[0];
    for (int i = 0; i < F * T; i++) {
      mn = fminf(mn, v[i]);
      mx = fmaxf(mx, v[i]);
    }
    ok &= fabsf(mn - (mx - 30)) < 1e-4f;
  }
  df_expect_true(ok, "top_db floors each item 30 dB below its own maximum");

  /* Natural log with eps, its inverse, and in-place use (y aliases x). */
  const float eps = 1e-6f;
  df_expect_ok(df_to_log(&x, eps, &y), "to log");
  for (int i = 0; i < N; i++) want[i] = (float)log((double)mag[i] + eps);
  df_expect_close("to_log = ln(x + eps)", y.data, want, N, 1e-6, 1e-6);
  df_expect_ok(df_from_log(&y, eps, &y), "from log in place");
  df_expect_close("from_log(to_log(x)) = x (in place)", y.data, mag, N, 1e-5, 1e-6);
  free(want);
  df_tensor_free(&x);
  df_tensor_free(&y);
  df_tensor_free(&z);
}

static void cpu_vs_gpu(const float *mag) {
  df_tensor x = tensor_of("magnitude", mag), y = tensor_of("cpu", NULL), gx, gy;
  df_expect_ok(df_test_to_device(&x, DF_DEVICE_CUDA, &gx), "upload");
  df_expect_ok(df_test_to_device(&y, DF_DEVICE_CUDA, &gy), "alloc");
  df_db_config c = df_db_config_amplitude();
  df_expect_ok(df_to_db(&c, &x, &y), "cpu to dB");
  df_expect_ok(df_to_db(&c, &gx, &gy), "gpu to dB");
  df_expect_tensor_close("gpu to dB (top_db) equals cpu", &gy, &y, 1e-5, 1e-4);
  df_expect_ok(df_from_db(&c, &y, &y), "cpu from dB");
  df_expect_ok(df_from_db(&c, &gy, &gy), "gpu from dB");
  df_expect_tensor_close("gpu from dB equals cpu", &gy, &y, 1e-5, 1e-9);
  df_expect_ok(df_to_log(&x, 1e-6f, &y), "cpu to log");
  df_expect_ok(df_to_log(&gx, 1e-6f, &gy), "gpu to log");
  df_expect_tensor_close("gpu to log equals cpu", &gy, &y, 1e-5, 1e-5);
  df_tensor_free(&x);
  df_tensor_free(&y);
  df_tensor_free(&gx);
  df_tensor_free(&gy);
}

int main(void) {
  df_test_begin("test_dsp_db");
  int64_t shape[3] = {B, F, T};
  float *mag = df_dsp_fixture("mag_a", 3, shape);
  if (mag) {
    against_torchaudio(mag);
    round_trips(mag);
    if (df_test_gpu()) cpu_vs_gpu(mag);
    else df_test_skip_gpu(3, "cuda dB and log maps against the cpu");
  }
  free(mag);
  return df_test_finish();
}
