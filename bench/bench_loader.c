/* Loader benchmark: batches per second for batch 64 x 16384 samples (mono) from shards on
 * disk. Builds a synthetic dataset (4096 examples in two float32 shards, and an int16 copy)
 * under DIR (default /tmp/drumforge-bench-loader, reused when present), reads one epoch to
 * warm the page cache, then times the background loader:
 *   - df_loader_next (batches handed out in host memory, what a CPU training step reads),
 *   - df_loader_next_tensor into a CPU tensor (one more copy),
 *   - the same from int16 shards (conversion on the fly),
 *   - df_loader_next_tensor into a CUDA tensor, when a GPU is usable.
 * The requirement (README): at least 10x what a GPU training step consumes; WaveGAN d=64 at
 * batch 64 takes 5 critic batches per generator step and a fast GPU does up to ~20 steps/s,
 * i.e. ~100 batches/s, so the loader must deliver >= 1000 batches/s.
 *
 *   bench_loader [--dir DIR] [--batches N] [--examples N]
 *
 * Prints one "RESULT key=value ..." line per measurement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/shard.h"
#include "drumforge/drumforge.h"

#define LENGTH 16384
#define BATCH 64
#define SHARD 2048

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what) {
  fprintf(stderr, "bench_loader: %s: %s\n", what, df_last_error());
  return 1;
}

/* A dataset folder of `examples` noise examples in shards of SHARD, float32 or int16. */
static df_status build(const char *dir, int64_t examples, int int16) {
  char manifest[4200];
  snprintf(manifest, sizeof manifest, "%s/manifest.json", dir);
  if (access(manifest, F_OK) == 0) return DF_OK;
  DF_TRY(df_mkdirs(dir));
  df_shard_info info;
  memset(&info, 0, sizeof info);
  info.rate = 16000;
  info.channels = 1;
  info.length = LENGTH;
  info.int16 = int16;
  info.n_classes = 1;
  snprintf(info.class_names[0], DF_CLASS_NAME_LEN, "noise");
  snprintf(info.kind, sizeof info.kind, "oneshots");
  df_rng rng;
  df_rng_init(&rng, 7);
  char json[65536];
  int used = snprintf(json, sizeof json,
                      "{\"format\": \"drumforge-dataset\", \"format_version\": %d, \"shards\": [",
                      DF_DATASET_FORMAT_VERSION);
  float *x = malloc(sizeof(float) * LENGTH);
  for (int64_t first = 0, k = 0; first < examples; first += SHARD, k++) {
    int64_t n = examples - first < SHARD ? examples - first : SHARD;
    shard_buffer b;
    DF_TRY(shard_buffer_init(&b, &info, DF_SPLIT_TRAIN, n));
    for (int64_t i = 0; i < n; i++) {
      df_tensor t = df_tensor_wrap(x, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){LENGTH}, "x");
      df_rng_uniform(&rng, &t, -0.5f, 0.5f);
      DF_TRY(shard_buffer_add(&b, x, 0, 0, 0, "synthetic", "bench", NULL));
    }
    char name[64], path[4300];
    snprintf(name, sizeof name, "train-%05lld.h5", (long long)k);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    df_status st = shard_buffer_write(&b, path);
    shard_buffer_free(&b);
    DF_TRY(st);
    used += snprintf(json + used, sizeof json - (size_t)used, "%s{\"file\": \"%s\", \"split\": \"train\", \"examples\": %lld}",
                     k ? ", " : "", name, (long long)n);
  }
  free(x);
  snprintf(json + used, sizeof json - (size_t)used, "]}\n");
  return df_write_file_atomic(manifest, json, strlen(json));
}

typedef enum mode { HOST, CPU_TENSOR, CUDA_TENSOR } mode;

static int measure(const char *dir, const char *name, mode m, int batches) {
  df_device dev = m == CUDA_TENSOR ? DF_DEVICE_CUDA : DF_DEVICE_CPU;
  df_loader_options o = {.path = dir, .split = DF_SPLIT_TRAIN, .batch_size = BATCH, .seed = 1, .device = dev};
  df_loader *ld;
  if (df_loader_open(&o, &ld) != DF_OK) return fail("open");
  df_tensor audio, labels;
  df_tensor_new(&audio, dev, "audio", BATCH, 1, LENGTH);
  df_tensor_alloc(&labels, dev, DF_I32, 1, (int64_t[]){BATCH}, "labels");
  int per_epoch = (int)df_loader_batches_per_epoch(ld);
  double sum = 0;
  df_batch b;
  /* One epoch to warm the page cache; then the timed batches. */
  for (int k = 0; k < per_epoch; k++) df_loader_next(ld, &b);
  double t0 = now();
  for (int k = 0; k < batches; k++) {
    df_status st = m == HOST ? df_loader_next(ld, &b) : df_loader_next_tensor(ld, &audio, &labels, NULL);
    if (st != DF_OK) return fail("next");
    if (m == HOST) sum += b.audio[(size_t)(k % BATCH) * LENGTH]; /* touch the batch */
  }
  if (m == CUDA_TENSOR) df_sync(DF_DEVICE_CUDA);
  double dt = now() - t0;
  double rate = batches / dt, gbs = rate * BATCH * LENGTH * 4.0 / 1e9;
  printf("RESULT loader=%s batch=%d length=%d batches=%d seconds=%.3f batches_per_s=%.0f GB_per_s=%.2f "
         "(requirement >= 1000: %s) checksum=%g\n",
         name, BATCH, LENGTH, batches, dt, rate, gbs, rate >= 1000 ? "met" : "NOT met", sum);
  df_tensor_free(&audio);
  df_tensor_free(&labels);
  df_loader_close(ld);
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = "/tmp/drumforge-bench-loader";
  int batches = 2000;
  int64_t examples = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else if (!strcmp(argv[i], "--batches")) batches = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--examples")) examples = atoll(argv[i + 1]);
    else {
      fprintf(stderr, "usage: bench_loader [--dir DIR] [--batches N] [--examples N]\n");
      return 2;
    }
  }
  df_device dev;
  char notice[256];
  if (df_runtime_init(DF_REQUEST_AUTO, &dev, notice, sizeof notice) != DF_OK) return fail("runtime");
  char f32[4200], i16[4200];
  snprintf(f32, sizeof f32, "%s/float32", dir);
  snprintf(i16, sizeof i16, "%s/int16", dir);
  double t0 = now();
  if (build(f32, examples, 0) != DF_OK || build(i16, examples, 1) != DF_OK) return fail("building the dataset");
  printf("bench_loader: %lld examples x %d samples in %s (ready in %.1f s); cpu: %s\n", (long long)examples,
         LENGTH, dir, now() - t0, df_device_description(DF_DEVICE_CPU));
  int rc = measure(f32, "next(host),float32", HOST, batches);
  rc |= measure(f32, "next_tensor(cpu),float32", CPU_TENSOR, batches);
  rc |= measure(i16, "next(host),int16", HOST, batches);
  if (df_cuda_available()) rc |= measure(f32, "next_tensor(cuda),float32", CUDA_TENSOR, batches);
  else printf("RESULT loader=next_tensor(cuda) skipped: %s\n", notice[0] ? notice : "no GPU");
  return rc;
}
