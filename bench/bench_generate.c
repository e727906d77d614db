/* Generation speed end to end: sounds per second for 16384-sample one-shots from a WaveGAN
 * generator (random weights, size d) written as 16-bit WAV files with the manifest, through
 * the same pipeline as `drumforge generate` (decoding on the device, post-processing and
 * writing in worker threads). Best of --repeats runs after a warm-up batch. Prints one JSON
 * line so bench/run_generate.sh can put it beside PyTorch's figure.
 *
 * usage: bench_generate [--device cpu|cuda] [--d 64] [--count 512] [--batch B] [--workers N]
 *                       [--repeats 3] [--out DIR] [--strict-fp32] [--fast-batches] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/drumforge.h"

int main(int argc, char **argv) {
  const char *device = "cpu", *out = "/tmp/drumforge-bench-generate";
  int d = 64, count = 512, batch = 0, workers = 0, repeats = 3, fast_batches = 0;
  static const struct option opts[] = {{"device", required_argument, 0, 'D'}, {"d", required_argument, 0, 'd'},
                                       {"count", required_argument, 0, 'n'},  {"batch", required_argument, 0, 'b'},
                                       {"workers", required_argument, 0, 'w'}, {"repeats", required_argument, 0, 'r'},
                                       {"out", required_argument, 0, 'o'},    {"strict-fp32", no_argument, 0, 'f'},
                                       {"fast-batches", no_argument, 0, 'F'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'D': device = optarg; break;
      case 'd': d = atoi(optarg); break;
      case 'n': count = atoi(optarg); break;
      case 'b': batch = atoi(optarg); break;
      case 'w': workers = atoi(optarg); break;
      case 'r': repeats = atoi(optarg); break;
      case 'o': out = optarg; break;
      case 'f': df_set_strict_fp32(1); break;
      case 'F': fast_batches = 1; break;
      default: fprintf(stderr, "bench_generate: bad option\n"); return 2;
    }
  }
  df_device_request req;
  df_device dev;
  if (df_parse_device_request(device, &req) || df_runtime_init(req, &dev, NULL, 0)) {
    fprintf(stderr, "bench_generate: %s\n", df_last_error());
    return 1;
  }
  if (!batch) batch = dev == DF_DEVICE_CUDA ? 256 : 32;
  char config[128];
  snprintf(config, sizeof config, "[model]\ntype = wavegan\nd = %d\nslice_len = 16384\n", d);
  df_loaded_model m;
  df_status s = df_model_create(config, "random WaveGAN", 0, NULL, 16000, dev, &m);
  df_generate_options o = {0};
  o.model = &m;
  o.out_dir = out;
  o.batch = batch;
  o.workers = workers;
  o.truncation = 1.0f;
  o.format = "wav";
  o.encoding = DF_AUDIO_PCM16;
  o.overwrite = 1;
  o.fast_batches = fast_batches;
  df_generate_result r;
  /* Warm-up: allocations, convolution algorithm choice, page cache. */
  o.count = batch;
  if (!s) s = df_generate(&o, &r);
  double best = 1e30;
  o.count = count;
  for (int i = 0; !s && i < repeats; i++) {
    o.seed = (uint64_t)i + 1;
    s = df_generate(&o, &r);
    if (!s && r.seconds < best) best = r.seconds;
  }
  if (s) {
    fprintf(stderr, "bench_generate: %s\n", df_last_error());
    return 1;
  }
  size_t in_use, cached, peak = 0;
  df_device_memory(dev, &in_use, &cached, &peak);
  printf("{\"impl\": \"drumforge\", \"device\": \"%s\", \"device_name\": \"%s\", \"threads\": %s, \"d\": %d, "
         "\"batch\": %d, \"fast_batches\": %s, \"count\": %d, \"seconds\": %.4f, \"sounds_per_second\": %.1f, \"peak_device_bytes\": %zu}\n",
         dev == DF_DEVICE_CUDA ? "cuda" : "cpu", df_device_description(dev),
         getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "\"default\"", d, batch,
         fast_batches ? "true" : "false", count, best, count / best, peak);
  df_model_unload(&m);
  return 0;
}
