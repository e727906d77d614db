/* STFT and inverse STFT: torch.stft / torch.istft fixtures for three configurations (reflect
 * and zero padding, a short window, odd n_fft without centring), magnitudes and power, exact
 * reconstruction (to 1e-5) for several configurations and partial batches, and CPU vs GPU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dsp_fixture.h"
#include "common/testlib.h"
#include "drumforge/dsp.h"

#define B 2
#define L 600

typedef struct {
  const char *name;
  df_stft_config cfg;
} config;

static const config fixture_configs[] = {
    {"stft_a", {256, 64, 256, 1, DF_PAD_REFLECT}},
    {"stft_b", {200, 50, 120, 1, DF_PAD_CONSTANT}},
    {"stft_c", {255, 100, 255, 0, DF_PAD_REFLECT}},
};

static df_tensor tensor_of(const char *name, const float *data, int ndim, const int64_t *shape) {
  df_tensor t;
  df_expect_ok(df_tensor_alloc(&t, DF_DEVICE_CPU, DF_F32, ndim, shape, name), name);
  if (data) memcpy(t.data, data, df_tensor_bytes(&t));
  return t;
}

static float max_abs(const float *x, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; i++) m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
  return m;
}

/* STFT of the fixture signal against torch.stft, complex and as magnitude / power. */
static void against_torch(const float *signal, const config *c) {
  int F;
  int64_t T;
  if (!df_expect_ok(df_stft_dims(&c->cfg, L, &F, &T), c->name)) return;
  int64_t sshape[4] = {B, F, T, 2};
  float *want = df_dsp_fixture(c->name, 4, sshape);
  if (!want) return;
  int64_t xs[2] = {B, L}, ms[3] = {B, F, T};
  df_tensor x = tensor_of("signal", signal, 2, xs), spec = tensor_of(c->name, NULL, 4, sshape);
  df_tensor mag = tensor_of("magnitude", NULL, 3, ms), pw = tensor_of("power", NULL, 3, ms);
  df_stft_plan *plan;
  if (df_expect_ok(df_stft_plan_create(&c->cfg, DF_DEVICE_CPU, B, L, &plan), "plan")) {
    const int64_t n = B * F * T;
    float tol = 2e-6f * max_abs(want, 2 * n);
    char what[128];
    snprintf(what, sizeof what, "%s: complex spectrum matches torch.stft", c->name);
    if (df_expect_ok(df_stft(plan, &x, &spec), what))
      df_expect_close(what, spec.data, want, 2 * n, 1e-5, tol);
    float *abs_want = malloc(sizeof(float) * n), *pow_want = malloc(sizeof(float) * n);
    for (int64_t i = 0; i < n; i++) {
      double re = want[2 * i], im = want[2 * i + 1];
      pow_want[i] = (float)(re * re + im * im);
      abs_want[i] = (float)sqrt(re * re + im * im);
    }
    snprintf(what, sizeof what, "%s: magnitude matches |torch.stft|", c->name);
    if (df_expect_ok(df_stft_magnitude(plan, &x, 1.0f, &mag), what))
      df_expect_close(what, mag.data, abs_want, n, 1e-5, tol);
    snprintf(what, sizeof what, "%s: power matches |torch.stft|^2", c->name);
    if (df_expect_ok(df_stft_magnitude(plan, &x, 2.0f, &pw), what))
      df_expect_close(what, pw.data, pow_want, n, 1e-4, tol * max_abs(abs_want, n));
    free(abs_want);
    free(pow_want);
    df_stft_plan_free(plan);
  }
  free(want);
  df_tensor_free(&x);
  df_tensor_free(&spec);
  df_tensor_free(&mag);
  df_tensor_free(&pw);
}

/* torch.istft of a random, inconsistent spectrum (non-zero imaginary DC and Nyquist parts,
 * which an inverse real FFT ignores). */
static void istft_against_torch(void) {
  const df_stft_config cfg = fixture_configs[0].cfg;
  int64_t ss[4] = {B, 129, 10, 2}, xs[2] = {B, L};
  float *in = df_dsp_fixture("istft_a_in", 4, ss);
  float *want = df_dsp_fixture("istft_a_out", 2, xs);
  df_stft_plan *plan;
  if (in && want && df_expect_ok(df_stft_plan_create(&cfg, DF_DEVICE_CPU, B, L, &plan), "plan")) {
    df_tensor spec = tensor_of("random spectrum", in, 4, ss), x = tensor_of("istft", NULL, 2, xs);
    if (df_expect_ok(df_istft(plan, &spec, &x), "istft"))
      df_expect_close("istft of a random spectrum matches torch.istft", x.data, want, B * L, 1e-5,
                      1e-6);
    df_tensor_free(&spec);
    df_tensor_free(&x);
    df_stft_plan_free(plan);
  }
  free(in);
  free(want);
}

/* x -> STFT -> iSTFT gives x back (batch smaller than the plan's, length not a multiple of
 * the hop). */
static void reconstruction(const df_stft_config *cfg, int64_t len, const char *what) {
  const int64_t batch = 3, max_batch = 4;
  df_stft_plan *plan;
  if (!df_expect_ok(df_stft_plan_create(cfg, DF_DEVICE_CPU, max_batch, len, &plan), what)) return;
  int F = df_stft_plan_bins(plan);
  int64_t T = df_stft_plan_frames(plan);
  int64_t xs[2] = {batch, len}, ss[4] = {batch, F, T, 2};
  df_tensor x = tensor_of("signal", NULL, 2, xs), y = tensor_of("reconstruction", NULL, 2, xs);
  df_tensor spec = tensor_of("spectrum", NULL, 4, ss);
  df_test_fill_uniform(x.data, batch * len, 42, -1.0f, 1.0f);
  if (df_expect_ok(df_stft(plan, &x, &spec), what) && df_expect_ok(df_istft(plan, &spec, &y), what))
    df_expect_close(what, y.data, x.data, batch * len, 0, 1e-5);
  df_tensor_free(&x);
  df_tensor_free(&y);
  df_tensor_free(&spec);
  df_stft_plan_free(plan);
}

/* The GPU's STFT, magnitude and inverse agree with the CPU's. */
static void cpu_vs_gpu(void) {
  const df_stft_config cfg = {512, 128, 400, 1, DF_PAD_REFLECT};
  const int64_t batch = 5, len = 4000;
  df_stft_plan *cpu, *gpu;
  if (!df_expect_ok(df_stft_plan_create(&cfg, DF_DEVICE_CPU, batch, len, &cpu), "cpu plan") ||
      !df_expect_ok(df_stft_plan_create(&cfg, DF_DEVICE_CUDA, 8, len, &gpu), "gpu plan"))
    return;
  int F = df_stft_plan_bins(cpu);
  int64_t T = df_stft_plan_frames(cpu);
  int64_t xs[2] = {batch, len}, ss[4] = {batch, F, T, 2}, ms[3] = {batch, F, T};
  df_tensor x = tensor_of("signal", NULL, 2, xs), spec = tensor_of("cpu spectrum", NULL, 4, ss);
  df_tensor mag = tensor_of("cpu magnitude", NULL, 3, ms), y = tensor_of("cpu istft", NULL, 2, xs);
  df_test_fill_uniform(x.data, batch * len, 7, -1.0f, 1.0f);
  df_tensor gx, gspec, gmag, gy;
  df_expect_ok(df_test_to_device(&x, DF_DEVICE_CUDA, &gx), "upload");
  df_expect_ok(df_test_to_device(&spec, DF_DEVICE_CUDA, &gspec), "alloc");
  df_expect_ok(df_test_to_device(&mag, DF_DEVICE_CUDA, &gmag), "alloc");
  df_expect_ok(df_test_to_device(&y, DF_DEVICE_CUDA, &gy), "alloc");
  df_expect_ok(df_stft(cpu, &x, &spec), "cpu stft");
  df_expect_ok(df_stft(gpu, &gx, &gspec), "gpu stft");
  df_expect_tensor_close("gpu stft equals cpu stft", &gspec, &spec, 1e-4, 1e-4);
  df_expect_ok(df_stft_magnitude(cpu, &x, 1.0f, &mag), "cpu magnitude");
  df_expect_ok(df_stft_magnitude(gpu, &gx, 1.0f, &gmag), "gpu magnitude");
  df_expect_tensor_close("gpu magnitude equals cpu magnitude", &gmag, &mag, 1e-4, 1e-4);
  df_expect_ok(df_istft(cpu, &spec, &y), "cpu istft");
  df_expect_ok(df_istft(gpu, &gspec, &gy), "gpu istft");
  df_expect_tensor_close("gpu istft equals cpu istft", &gy, &y, 1e-4, 1e-5);
  df_tensor *all[] = {&x, &spec, &mag, &y, &gx, &gspec, &gmag, &gy};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) df_tensor_free(all[i]);
  df_stft_plan_free(cpu);
  df_stft_plan_free(gpu);
}

/* df_spectral_convergence: 0 for the same sound, the scale's distance for a scaled one (the
 * magnitudes scale with it), 1 against silence, 0 for a silent reference; any length. */
static void spectral_convergence(void) {
  const int64_t len = 3001;
  float *ref = malloc(sizeof(float) * 4 * len), *test = malloc(sizeof(float) * 4 * len), sc[4];
  df_test_fill_uniform(ref, 3 * len, 7, -1.0f, 1.0f);
  memset(ref + 3 * len, 0, sizeof(float) * len);
  for (int64_t k = 0; k < 4 * len; k++) test[k] = ref[k];
  for (int64_t k = len; k < 2 * len; k++) test[k] = 0.25f * ref[k];
  memset(test + 2 * len, 0, sizeof(float) * len);
  float want[4] = {0.0f, 0.75f, 1.0f, 0.0f};
  if (df_expect_ok(df_spectral_convergence(ref, test, 4, len, 1024, 256, sc), "spectral convergence"))
    df_expect_close("spectral convergence: same, x0.25, silent test, silent reference", sc, want, 4, 1e-5, 1e-6);
  if (df_expect_ok(df_spectral_convergence(ref, test, 1, 100, 1024, 256, sc), "spectral convergence of 100 samples"))
    df_expect_close("spectral convergence of a sound shorter than n_fft", sc, want, 1, 1e-5, 1e-6);
  free(ref);
  free(test);
}

int main(void) {
  df_test_begin("test_dsp_stft");
  spectral_convergence();
  int64_t xs[2] = {B, L};
  float *signal = df_dsp_fixture("stft_signal", 2, xs);
  if (signal)
    for (size_t i = 0; i < sizeof fixture_configs / sizeof *fixture_configs; i++)
      against_torch(signal, &fixture_configs[i]);
  free(signal);
  istft_against_torch();

  df_stft_config c1 = df_stft_config_default(512);
  reconstruction(&c1, 16000, "reconstruction: n_fft 512, hop 128, reflect");
  df_stft_config c2 = {256, 64, 200, 1, DF_PAD_CONSTANT};
  reconstruction(&c2, 3001, "reconstruction: n_fft 256, hop 64, window 200, zero padding");
  df_stft_config c3 = {255, 60, 255, 1, DF_PAD_REFLECT};
  reconstruction(&c3, 2500, "reconstruction: odd n_fft 255, hop 60");
  df_stft_config c4 = {512, 470, 512, 1, DF_PAD_REFLECT};
  reconstruction(&c4, 8000, "reconstruction: the loop VAE's n_fft 512, hop 470");

  if (df_test_gpu()) cpu_vs_gpu();
  else df_test_skip_gpu(3, "cuda stft, magnitude and istft against the cpu");
  return df_test_finish();
}
