/* Griffin-Lim: torchaudio's result from zero phase (fixture), convergence on a known signal
 * (the spectral convergence falls with the iterations and reaches a stated bound; momentum
 * helps), the reported convergence equals one measured independently, seeded determinism and
 * the RNG's bookkeeping, batch independence, the Mel path, and CPU vs GPU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dsp_fixture.h"
#include "common/testlib.h"
#include "drumforge/dsp.h"

#define LEN 8000 /* half a second at 16 kHz */

/* Spectral convergence below this after 64 iterations of fast Griffin-Lim on the test sound
 * (random initial phase). A gate, not a tuning: typical values are about half of it. */
#define SC_BOUND_64 0.08

/* The known signal: a decaying chirp with a noise burst, as a drum hit. */
static void known_signal(float *x, int batch) {
  float *noise = malloc(sizeof(float) * LEN);
  for (int b = 0; b < batch; b++) {
    df_test_fill_uniform(noise, LEN, 100 + b, -1.0f, 1.0f);
    double phase = 0;
    for (int i = 0; i < LEN; i++) {
      double t = i / 16000.0;
      phase += 2 * M_PI * (80.0 + 40.0 * b) * (1.0 + 3.0 * exp(-t / 0.03)) / 16000.0;
      x[b * LEN + i] = (float)(exp(-t / 0.15) * sin(phase) + 0.3 * exp(-t / 0.02) * noise[i]);
    }
  }
  free(noise);
}

static df_tensor cpu_tensor(const char *name, int ndim, const int64_t *shape) {
  df_tensor t;
  df_expect_ok(df_tensor_alloc(&t, DF_DEVICE_CPU, DF_F32, ndim, shape, name), name);
  return t;
}

/* ||S - |STFT(audio)||| / ||S|| per item, measured here in double. */
static double measured_convergence(df_stft_plan *plan, const df_tensor *audio,
                                   const df_tensor *mag, int item) {
  int64_t shape[3] = {audio->shape[0], mag->shape[1], mag->shape[2]};
  df_tensor m = cpu_tensor("rebuilt magnitude", 3, shape);
  df_expect_ok(df_stft_magnitude(plan, audio, 1.0f, &m), "rebuilt magnitude");
  int64_t per = shape[1] * shape[2];
  const float *s = (const float *)mag->data + item * per, *r = (const float *)m.data + item * per;
  double num = 0, den = 0;
  for (int64_t i = 0; i < per; i++) {
    num += ((double)s[i] - r[i]) * ((double)s[i] - r[i]);
    den += (double)s[i] * s[i];
  }
  df_tensor_free(&m);
  return sqrt(num / den);
}

static void against_torchaudio(void) {
  const int64_t B = 2, L = 600;
  int64_t ms[3] = {B, 129, 10}, as[2] = {B, L};
  float *mag = df_dsp_fixture("mag_a", 3, ms);
  float *want = df_dsp_fixture("gl_zero_phase_8", 2, as);
  df_stft_config cfg = {256, 64, 256, 1, DF_PAD_REFLECT};
  df_stft_plan *plan;
  if (mag && want && df_expect_ok(df_stft_plan_create(&cfg, DF_DEVICE_CPU, B, L, &plan), "plan")) {
    df_tensor m = cpu_tensor("magnitude", 3, ms), audio = cpu_tensor("audio", 2, as);
    memcpy(m.data, mag, df_tensor_bytes(&m));
    df_griffinlim_config gl = {8, 0.99f, DF_PHASE_ZERO};
    if (df_expect_ok(df_griffinlim(plan, &gl, NULL, &m, &audio, NULL), "griffinlim")) {
      for (int b = 0; b < B; b++) { /* the items differ in scale by 1000 */
        float peak = 0;
        for (int64_t i = 0; i < L; i++) peak = fmaxf(peak, fabsf(want[b * L + i]));
        char what[96];
        snprintf(what, sizeof what, "zero-phase Griffin-Lim item %d matches torchaudio", b);
        df_expect_close(what, (float *)audio.data + b * L, want + b * L, L, 0, 1e-4 * peak);
      }
    }
    df_tensor_free(&m);
    df_tensor_free(&audio);
    df_stft_plan_free(plan);
  }
  free(mag);
  free(want);
}

/* Runs Griffin-Lim from the same random phases with n_iter iterations; returns item 0's SC. */
static float run_gl(df_stft_plan *plan, const df_tensor *mag, df_tensor *audio, int n_iter,
                    float momentum) {
  df_rng rng;
  df_rng_init(&rng, 99);
  df_griffinlim_config gl = {n_iter, momentum, DF_PHASE_RANDOM};
  float sc[4] = {-1, -1, -1, -1};
  df_expect_ok(df_griffinlim(plan, &gl, &rng, mag, audio, sc), "griffinlim");
  return sc[0];
}

static void convergence(df_stft_plan *plan, const df_tensor *mag, df_tensor *audio) {
  const int iters[] = {0, 2, 8, 32, 64};
  float sc[5];
  int falls = 1;
  for (int i = 0; i < 5; i++) {
    sc[i] = run_gl(plan, mag, audio, iters[i], 0.99f);
    if (i > 0 && !(sc[i] < sc[i - 1])) falls = 0;
  }
  printf("     spectral convergence after 0, 2, 8, 32, 64 iterations: %.4f %.4f %.4f %.4f %.4f\n",
         sc[0], sc[1], sc[2], sc[3], sc[4]);
  df_expect_true(falls, "spectral convergence falls with every step in iterations");
  if (sc[4] < SC_BOUND_64) df_test_pass("spectral convergence after 64 iterations below 0.08");
  else df_test_fail("spectral convergence after 64 iterations", "%.4f >= %.2f", sc[4], SC_BOUND_64);

  double measured = measured_convergence(plan, audio, mag, 0);
  df_expect_near("reported convergence equals the measured one", sc[4], measured, 1e-5);

  float classic = run_gl(plan, mag, audio, 16, 0.0f), fast = run_gl(plan, mag, audio, 16, 0.99f);
  printf("     after 16 iterations: classic %.4f, fast (momentum 0.99) %.4f\n", classic, fast);
  df_expect_true(fast < classic, "momentum 0.99 converges faster than classic Griffin-Lim");
}

static void determinism(df_stft_plan *plan, const df_tensor *mag, df_tensor *audio) {
  int64_t as[2] = {audio->shape[0], audio->shape[1]};
  df_tensor again = cpu_tensor("audio again", 2, as);
  df_rng a, b;
  df_rng_init(&a, 5);
  df_rng_init(&b, 5);
  df_griffinlim_config gl = {4, 0.99f, DF_PHASE_RANDOM};
  df_expect_ok(df_griffinlim(plan, &gl, &a, mag, audio, NULL), "griffinlim");
  df_expect_ok(df_griffinlim(plan, &gl, &b, mag, &again, NULL), "griffinlim again");
  df_expect_equal_bytes("the same seed gives the same audio", again.data, audio->data,
                        df_tensor_bytes(audio));
  uint64_t draws = (uint64_t)df_tensor_numel(mag);
  df_expect_true(a.offset == ((draws + 3) & ~3ull), "the rng advances by B F T rounded up to 4");
  df_expect_ok(df_griffinlim(plan, &gl, &a, mag, &again, NULL), "griffinlim from the next offset");
  df_expect_true(memcmp(again.data, audio->data, df_tensor_bytes(audio)) != 0,
                 "the next offset gives other phases");
  df_tensor_free(&again);
}

/* Zero phase, and shared random phases: a batch gives what each item gives alone. */
static void batch_independence(df_stft_plan *plan, const df_tensor *mag, df_tensor *audio, df_phase_init init) {
  const char *mode = init == DF_PHASE_ZERO ? "zero phase" : "shared random phases";
  char what[160];
  df_griffinlim_config gl = {6, 0.99f, init};
  df_rng rng;
  df_rng_init(&rng, 9);
  snprintf(what, sizeof what, "batched griffinlim, %s", mode);
  df_expect_ok(df_griffinlim(plan, &gl, &rng, mag, audio, NULL), what);
  if (init == DF_PHASE_RANDOM_SHARED) {
    uint64_t words = (uint64_t)(mag->shape[1] * mag->shape[2]);
    df_expect_true(rng.offset == ((words + 3) & ~3ull), "shared phases: the rng advances by F T rounded up to 4");
  }
  int ok = 1;
  for (int64_t b = 0; b < mag->shape[0]; b++) {
    df_tensor m1, a1;
    df_tensor_slice0(mag, b, 1, &m1);
    int64_t as[2] = {1, LEN};
    df_tensor one = cpu_tensor("one item", 2, as);
    df_tensor_slice0(audio, b, 1, &a1);
    df_rng_init(&rng, 9);
    df_expect_ok(df_griffinlim(plan, &gl, &rng, &m1, &one, NULL), "single griffinlim");
    ok &= memcmp(one.data, a1.data, df_tensor_bytes(&one)) == 0;
    df_tensor_free(&one);
  }
  snprintf(what, sizeof what, "%s: each item of a batch equals the item inverted alone (bitwise)", mode);
  df_expect_true(ok, what);
}

static void from_mel(df_stft_plan *plan, const df_tensor *mag, df_tensor *audio) {
  df_mel_config mc = df_mel_config_default(16000, 512, 128);
  df_tensor fb, pinv, mel;
  if (!df_expect_ok(df_mel_matrices(&mc, DF_DEVICE_CPU, &fb, &pinv), "mel matrices")) return;
  int64_t ms[3] = {mag->shape[0], 128, mag->shape[2]};
  mel = cpu_tensor("mel", 3, ms);
  df_expect_ok(df_mel_project(&fb, mag, &mel), "mel projection");
  df_rng rng;
  df_rng_init(&rng, 3);
  df_griffinlim_config gl = df_griffinlim_config_default();
  float sc[3];
  if (df_expect_ok(df_griffinlim_mel(plan, &gl, &rng, &pinv, &mel, audio, sc), "mel griffinlim")) {
    int64_t bad = 0;
    for (int64_t i = 0; i < df_tensor_numel(audio); i++) bad += !isfinite(((float *)audio->data)[i]);
    printf("     from 128 Mel bands: spectral convergence %.4f (against the pinv magnitudes)\n",
           sc[0]);
    df_expect_true(bad == 0 && sc[0] < 0.3f, "Griffin-Lim from Mel gives finite audio, SC < 0.3");
  }
  df_tensor_free(&fb);
  df_tensor_free(&pinv);
  df_tensor_free(&mel);
}

/* The GPU starts from the same phases and follows the same iterations. */
static void cpu_vs_gpu(df_stft_plan *plan, const df_tensor *mag, df_tensor *audio) {
  df_stft_config cfg = df_stft_plan_config(plan);
  df_stft_plan *gpu;
  if (!df_expect_ok(df_stft_plan_create(&cfg, DF_DEVICE_CUDA, 4, LEN, &gpu), "gpu plan")) return;
  df_tensor gmag, gaudio;
  df_expect_ok(df_test_to_device(mag, DF_DEVICE_CUDA, &gmag), "upload");
  df_expect_ok(df_test_to_device(audio, DF_DEVICE_CUDA, &gaudio), "alloc");
  const int64_t B = mag->shape[0];
  float sc_cpu[3], sc_gpu[3];
  for (int shared = 0; shared < 2; shared++) { /* random phases, then shared random phases */
    df_griffinlim_config gl = {16, 0.99f, shared ? DF_PHASE_RANDOM_SHARED : DF_PHASE_RANDOM};
    df_rng r1, r2;
    df_rng_init(&r1, 11);
    df_rng_init(&r2, 11);
    df_expect_ok(df_griffinlim(plan, &gl, &r1, mag, audio, sc_cpu), "cpu griffinlim");
    df_expect_ok(df_griffinlim(gpu, &gl, &r2, &gmag, &gaudio, sc_gpu), "gpu griffinlim");
    df_expect_tensor_close(shared ? "shared phases: gpu griffinlim audio equals cpu" : "gpu griffinlim audio equals cpu",
                           &gaudio, audio, 1e-3, 5e-4);
    df_expect_close("gpu spectral convergence equals cpu", sc_gpu, sc_cpu, B, 1e-3, 1e-5);
  }
  df_tensor_free(&gmag);
  df_tensor_free(&gaudio);
  df_stft_plan_free(gpu);
}

int main(void) {
  df_test_begin("test_dsp_griffinlim");
  against_torchaudio();

  const int64_t B = 3;
  df_stft_config cfg = df_stft_config_default(512); /* hop 128 */
  df_stft_plan *plan;
  if (!df_expect_ok(df_stft_plan_create(&cfg, DF_DEVICE_CPU, 4, LEN, &plan), "plan"))
    return df_test_finish();
  int64_t xs[2] = {B, LEN}, ms[3] = {B, df_stft_plan_bins(plan), df_stft_plan_frames(plan)};
  df_tensor x = cpu_tensor("signal", 2, xs), mag = cpu_tensor("magnitude", 3, ms);
  df_tensor audio = cpu_tensor("audio", 2, xs);
  known_signal(x.data, (int)B);
  df_expect_ok(df_stft_magnitude(plan, &x, 1.0f, &mag), "magnitudes");

  convergence(plan, &mag, &audio);
  determinism(plan, &mag, &audio);
  batch_independence(plan, &mag, &audio, DF_PHASE_ZERO);
  batch_independence(plan, &mag, &audio, DF_PHASE_RANDOM_SHARED);
  from_mel(plan, &mag, &audio);
  if (df_test_gpu()) cpu_vs_gpu(plan, &mag, &audio);
  else df_test_skip_gpu(4, "cuda griffinlim against the cpu (random and shared phases)");

  df_tensor_free(&x);
  df_tensor_free(&mag);
  df_tensor_free(&audio);
  df_stft_plan_free(plan);
  return df_test_finish();
}
