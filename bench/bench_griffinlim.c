/* Griffin-Lim benchmark: a batch of one-second 16 kHz drum-like sounds (synthesised from the
 * project RNG, so every run and bench/griffinlim_torch.py see the same input), their magnitude
 * spectrograms (n_fft 512, hop 128, Hann, centred, reflect), then fast Griffin-Lim on the CPU
 * and, when one is usable, the GPU: wall time, spectrograms per second and the spectral
 * convergence ||S - |STFT(x)||| / ||S||. bench/run_griffinlim.sh runs it beside torchaudio.
 *
 *   bench_griffinlim [--device cpu|cuda|all] [--batch 64] [--iters 32] [--momentum 0.99]
 *                    [--repeat 5] [--gpu-batch 1024] [--write-input FILE]
 *
 * Prints one "RESULT key=value ..." line per measurement. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drumforge/drumforge.h"
#include "drumforge/dsp.h"

#define RATE 16000
#define LENGTH 16000
#define N_FFT 512
#define HOP 128

typedef struct options {
  const char *device;
  int batch, iters, repeat, gpu_batch;
  float momentum;
  const char *write_input;
} options;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what) {
  fprintf(stderr, "bench_griffinlim: %s: %s\n", what, df_last_error());
  return 1;
}

/* Kicks, snares, hats and toms with random pitch, decay and noise, peak about 1. */
static void synthesise(float *x, int batch) {
  df_rng rng;
  df_rng_init(&rng, 2026);
  for (int b = 0; b < batch; b++) {
    float *s = x + (size_t)b * LENGTH;
    int kind = b % 4;
    float f0 = (kind == 0 ? 45.f : kind == 1 ? 180.f : kind == 2 ? 400.f : 90.f) *
               (0.8f + 0.4f * df_rng_uniform1(&rng));
    float decay = (kind == 2 ? 0.03f : kind == 0 ? 0.25f : 0.12f) * (0.5f + df_rng_uniform1(&rng));
    float noise = kind == 2 ? 1.0f : kind == 1 ? 0.6f : 0.1f;
    double phase = 0, prev = 0;
    for (int i = 0; i < LENGTH; i++) {
      double t = (double)i / RATE;
      double f = f0 * (1.0 + 2.0 * exp(-t / 0.02)); /* a falling pitch, as a drum head */
      phase += 2 * M_PI * f / RATE;
      double n = 2.0 * df_rng_uniform1(&rng) - 1.0;
      double hp = kind == 2 ? n - prev : n; /* hats: high-passed noise */
      prev = n;
      s[i] = (float)(exp(-t / decay) * ((1 - noise) * sin(phase) + noise * hp));
    }
  }
}

static int compare_floats(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Times df_griffinlim on dev over `batch` spectrograms (mag is tiled to that size), best and
 * median of opt->repeat runs after a warm-up. */
static int run(const options *opt, df_device dev, const float *mag_host, int n_items, int batch) {
  df_stft_config cfg = {N_FFT, HOP, N_FFT, 1, DF_PAD_REFLECT};
  df_stft_plan *plan;
  if (df_stft_plan_create(&cfg, dev, batch, LENGTH, &plan) != DF_OK) return fail("plan");
  int F = df_stft_plan_bins(plan);
  int64_t T = df_stft_plan_frames(plan), per = F * T;
  df_tensor mag, audio;
  if (df_tensor_new(&mag, dev, "magnitudes", batch, F, T) != DF_OK ||
      df_tensor_new(&audio, dev, "audio", batch, LENGTH) != DF_OK)
    return fail("alloc");
  float *tiled = malloc(sizeof(float) * (size_t)batch * per);
  for (int b = 0; b < batch; b++)
    memcpy(tiled + (size_t)b * per, mag_host + (size_t)(b % n_items) * per, sizeof(float) * per);
  if (df_tensor_from_host(&mag, tiled, (int64_t)batch * per) != DF_OK) return fail("upload");
  free(tiled);
  df_griffinlim_config gl = df_griffinlim_config_default();
  gl.n_iter = opt->iters;
  gl.momentum = opt->momentum;
  float *sc = malloc(sizeof(float) * (size_t)batch);
  double *times = malloc(sizeof(double) * (size_t)(opt->repeat + 1));
  for (int r = 0; r <= opt->repeat; r++) { /* run 0 warms up */
    df_rng rng; /* the same initial phases every run */
    df_rng_init(&rng, 1);
    double t0 = now();
    if (df_griffinlim(plan, &gl, &rng, &mag, &audio, sc) != DF_OK) return fail("griffinlim");
    if (df_sync(dev) != DF_OK) return fail("sync");
    times[r] = now() - t0;
  }
  qsort(times + 1, (size_t)opt->repeat, sizeof(double), compare_floats);
  double sc_mean = 0, sc_max = 0;
  for (int b = 0; b < batch; b++) {
    sc_mean += sc[b] / batch;
    sc_max = sc[b] > sc_max ? sc[b] : sc_max;
  }
  double best = times[1], median = times[1 + opt->repeat / 2];
  printf("RESULT impl=drumforge device=%s batch=%d iters=%d momentum=%g best_s=%.4f median_s=%.4f "
         "per_s=%.1f sc_mean=%.4f sc_max=%.4f threads=%s\n",
         dev == DF_DEVICE_CPU ? "cpu" : "cuda", batch, opt->iters, (double)opt->momentum, best,
         median, batch / best, sc_mean, sc_max,
         dev == DF_DEVICE_CPU ? df_device_description(DF_DEVICE_CPU) : df_device_description(dev));
  fflush(stdout);
  free(sc);
  free(times);
  df_tensor_free(&mag);
  df_tensor_free(&audio);
  df_stft_plan_free(plan);
  return 0;
}

static int parse(int argc, char **argv, options *o) {
  *o = (options){"all", 64, 32, 5, 1024, 0.99f, NULL};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) return -1;
    if (!strcmp(a, "--device")) o->device = v;
    else if (!strcmp(a, "--batch")) o->batch = atoi(v);
    else if (!strcmp(a, "--iters")) o->iters = atoi(v);
    else if (!strcmp(a, "--momentum")) o->momentum = (float)atof(v);
    else if (!strcmp(a, "--repeat")) o->repeat = atoi(v);
    else if (!strcmp(a, "--gpu-batch")) o->gpu_batch = atoi(v);
    else if (!strcmp(a, "--write-input")) o->write_input = v;
    else return -1;
    i++;
  }
  return o->batch > 0 && o->iters >= 0 && o->repeat > 0 && o->gpu_batch > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  options opt;
  if (parse(argc, argv, &opt) != 0) {
    fprintf(stderr, "usage: bench_griffinlim [--device cpu|cuda|all] [--batch N] [--iters N] "
                    "[--momentum M] [--repeat N] [--gpu-batch N] [--write-input FILE]\n");
    return 2;
  }
  df_device dev;
  if (df_runtime_init(DF_REQUEST_CPU, &dev, NULL, 0) != DF_OK) return fail("runtime");

  /* The input: magnitudes of the synthesised sounds, computed on the CPU. */
  df_stft_config cfg = {N_FFT, HOP, N_FFT, 1, DF_PAD_REFLECT};
  df_stft_plan *plan;
  df_tensor x, mag;
  if (df_stft_plan_create(&cfg, DF_DEVICE_CPU, opt.batch, LENGTH, &plan) != DF_OK) return fail("plan");
  int F = df_stft_plan_bins(plan);
  int64_t T = df_stft_plan_frames(plan);
  if (df_tensor_new(&x, DF_DEVICE_CPU, "sounds", opt.batch, LENGTH) != DF_OK ||
      df_tensor_new(&mag, DF_DEVICE_CPU, "magnitudes", opt.batch, F, T) != DF_OK)
    return fail("alloc");
  synthesise(x.data, opt.batch);
  if (df_stft_magnitude(plan, &x, 1.0f, &mag) != DF_OK) return fail("stft");
  df_stft_plan_free(plan);
  if (opt.write_input) {
    df_status s = df_write_file_atomic(opt.write_input, mag.data, df_tensor_bytes(&mag));
    if (s != DF_OK) return fail("write input");
    printf("INPUT file=%s batch=%d bins=%d frames=%lld layout=float32[batch,bins,frames]\n",
           opt.write_input, opt.batch, F, (long long)T);
  }

  int want_cpu = strcmp(opt.device, "cuda") != 0, want_gpu = strcmp(opt.device, "cpu") != 0;
  if (want_cpu && run(&opt, DF_DEVICE_CPU, mag.data, opt.batch, opt.batch)) return 1;
  if (want_gpu) {
    if (!df_cuda_available()) {
      printf("NOTE no usable GPU: the GPU measurements are skipped\n");
    } else if (run(&opt, DF_DEVICE_CUDA, mag.data, opt.batch, opt.batch) ||
               run(&opt, DF_DEVICE_CUDA, mag.data, opt.batch, opt.gpu_batch)) {
      return 1;
    }
  }
  df_tensor_free(&x);
  df_tensor_free(&mag);
  df_runtime_shutdown();
  return 0;
}
