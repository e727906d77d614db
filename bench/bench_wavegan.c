/* WaveGAN training speed: time of one iteration (critic_steps critic updates with the
 * gradient penalty + one generator update) at a given model size and batch, on the CPU or
 * the GPU, with random real batches (the loader is measured by bench_loader). Prints one
 * JSON line so bench/run_wavegan.sh can put it beside the PyTorch figure.
 *
 * usage: bench_wavegan [--device cpu|cuda] [--d 64] [--batch 64] [--iters 3] [--warmup 1]
 *                      [--critic-steps 5] [--strict-fp32] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drumforge/drumforge.h"
#include "drumforge/wavegan.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct source {
  df_rng rng;
} source;

static df_status random_batch(void *ctx, df_tensor *x, int32_t *labels) {
  source *s = ctx;
  for (int64_t i = 0; i < x->shape[0]; i++) labels[i] = -1;
  return df_rng_uniform(&s->rng, x, -0.5f, 0.5f);
}

int main(int argc, char **argv) {
  const char *device = "cpu";
  int d = 64, batch = 64, iters = 3, warmup = 1, critic_steps = 5;
  static const struct option opts[] = {{"device", required_argument, 0, 'D'}, {"d", required_argument, 0, 'd'},
                                       {"batch", required_argument, 0, 'b'}, {"iters", required_argument, 0, 'i'},
                                       {"warmup", required_argument, 0, 'w'}, {"critic-steps", required_argument, 0, 'c'},
                                       {"strict-fp32", no_argument, 0, 'f'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'D': device = optarg; break;
      case 'd': d = atoi(optarg); break;
      case 'b': batch = atoi(optarg); break;
      case 'i': iters = atoi(optarg); break;
      case 'w': warmup = atoi(optarg); break;
      case 'c': critic_steps = atoi(optarg); break;
      case 'f': df_set_strict_fp32(1); break;
      default: fprintf(stderr, "bench_wavegan: bad option\n"); return 2;
    }
  }
  df_device_request req;
  df_device dev;
  if (df_parse_device_request(device, &req) || df_runtime_init(req, &dev, NULL, 0)) {
    fprintf(stderr, "bench_wavegan: %s\n", df_last_error());
    return 1;
  }
  /* As df_train_run does: batched GEMMs (inference's batch-invariant mode is per example). */
  df_set_batch_invariant(0);
  df_wavegan_config cfg = {d, 16384, 1, 25, 100, 2, DF_UPSAMPLE_ZEROS, 0, 0, 0, 32, 0.2f, DF_GAN_WGAN_GP, 10.0f};
  df_adam_config adam = {1e-4f, 0.5f, 0.9f, 1e-8f, 0};
  df_rng rng;
  df_rng_init(&rng, 1);
  df_wavegan *m;
  if (df_wavegan_create(&cfg, dev, &rng, &adam, &adam, &m)) {
    fprintf(stderr, "bench_wavegan: %s\n", df_last_error());
    return 1;
  }
  source src;
  df_rng_init(&src.rng, 2);
  df_wavegan_stats st;
  double t0 = 0;
  for (int i = 0; i < warmup + iters; i++) {
    if (i == warmup) {
      df_sync(dev);
      t0 = now();
    }
    if (df_wavegan_train_iteration(m, batch, critic_steps, random_batch, &src, &rng, &st)) {
      fprintf(stderr, "bench_wavegan: %s\n", df_last_error());
      return 1;
    }
  }
  df_sync(dev);
  double per_iter = (now() - t0) / iters;
  size_t in_use, cached, peak;
  df_device_memory(dev, &in_use, &cached, &peak);
  printf("{\"impl\": \"drumforge\", \"device\": \"%s\", \"desc\": \"%s\", \"d\": %d, \"batch\": %d, "
         "\"critic_steps\": %d, \"seconds_per_iter\": %.4f, \"peak_bytes\": %zu, \"d_loss\": %.4g}\n",
         dev == DF_DEVICE_CUDA ? "cuda" : "cpu", df_device_description(dev), d, batch, critic_steps, per_iter,
         peak, st.d_loss);
  df_wavegan_free(m);
  df_runtime_shutdown();
  return 0;
}
