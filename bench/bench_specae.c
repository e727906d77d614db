/* Spectrogram autoencoder speed: training steps interleaved with small preview decodes (the
 * trainer decodes preview_count sounds at each checkpoint, a batch size unlike training's), and
 * encoding and decoding a count of sounds that is not a multiple of the inference chunk (64),
 * all on a random model (the built-in small VAE, or --config an experiment file). Best of
 * --repeats runs after a warm-up. Prints one JSON line.
 *
 * usage: bench_specae [--device cpu|cuda] [--config FILE] [--batch 8] [--steps 20]
 *                     [--preview-every 5] [--preview 3] [--count 150] [--repeats 3] */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/drumforge.h"

static const char *const small_vae =
    "[model]\ntype = specvae\nfilters = 16, 32, 64\nstrides = 2, 2, 2\nlatent_dim = 32\n"
    "[spectrogram]\nlength = 16384\nn_fft = 256\nhop = 128\nframes = 128\n"
    "[loss]\nbeta = 1e-3\n[griffinlim]\niterations = 16\n";

typedef struct tone_source {
  df_device dev;
  int64_t length;
  int64_t drawn;
  float *host;
} tone_source;

/* Decaying tones of varying pitch and decay, a new set every batch (labels may be NULL). */
static df_status next_batch(void *ctx, df_tensor *x, int32_t *labels) {
  tone_source *t = ctx;
  int64_t n = x->shape[0], len = t->length;
  for (int64_t i = 0; i < n; i++, t->drawn++) {
    double f = 60.0 + 37.0 * (double)(t->drawn % 23), decay = 1500.0 + 250.0 * (double)(t->drawn % 9);
    for (int64_t k = 0; k < len; k++)
      t->host[i * len + k] = (float)(0.5 * sin(2 * M_PI * f * (double)k / 16000.0) * exp(-(double)k / decay));
    if (labels) labels[i] = 0;
  }
  return df_tensor_from_host(x, t->host, n * len);
}

/* steps training steps, with a decode of `preview` prior samples every `every` steps. */
static df_status train_with_previews(df_loaded_model *m, df_train_data *data, df_rng *rng, int steps, int every,
                                     int preview, const df_tensor *z, df_tensor *y) {
  df_metrics metrics;
  /* As df_train_run does: batched GEMMs while training (inference is batch-invariant). */
  df_set_batch_invariant(0);
  df_status s = DF_OK;
  for (int i = 1; !s && i <= steps; i++) {
    df_metrics_clear(&metrics);
    s = m->type->train_step(m->model, data, rng, &metrics);
    if (!s && every > 0 && i % every == 0) {
      df_tensor zp, yp;
      s = df_tensor_slice0(z, 0, preview, &zp);
      if (!s) s = df_tensor_slice0(y, 0, preview, &yp);
      if (!s) s = m->type->decode(m->model, &zp, NULL, &yp);
    }
  }
  df_set_batch_invariant(1);
  return s;
}

int main(int argc, char **argv) {
  const char *device = "cpu", *config_path = NULL;
  int batch = 8, steps = 20, every = 5, preview = 3, count = 150, repeats = 3;
  static const struct option opts[] = {
      {"device", required_argument, 0, 'D'}, {"config", required_argument, 0, 'c'},
      {"batch", required_argument, 0, 'b'},  {"steps", required_argument, 0, 's'},
      {"preview-every", required_argument, 0, 'e'}, {"preview", required_argument, 0, 'p'},
      {"count", required_argument, 0, 'n'},  {"repeats", required_argument, 0, 'r'},
      {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'D': device = optarg; break;
      case 'c': config_path = optarg; break;
      case 'b': batch = atoi(optarg); break;
      case 's': steps = atoi(optarg); break;
      case 'e': every = atoi(optarg); break;
      case 'p': preview = atoi(optarg); break;
      case 'n': count = atoi(optarg); break;
      case 'r': repeats = atoi(optarg); break;
      default: fprintf(stderr, "bench_specae: bad option\n"); return 2;
    }
  }
  if (batch < 2 || steps < 1 || preview < 1 || count < 1 || repeats < 1) {
    fprintf(stderr, "bench_specae: batch >= 2, steps, preview, count and repeats >= 1\n");
    return 2;
  }
  df_device_request req;
  df_device dev;
  if (df_parse_device_request(device, &req) || df_runtime_init(req, &dev, NULL, 0)) {
    fprintf(stderr, "bench_specae: %s\n", df_last_error());
    return 1;
  }
  char *text = NULL;
  size_t text_len = 0;
  df_status s = config_path ? df_read_file(config_path, &text, &text_len) : DF_OK;
  df_loaded_model m;
  memset(&m, 0, sizeof m);
  if (!s) s = df_model_create(text ? text : small_vae, config_path ? config_path : "small VAE", 0, NULL, 16000, dev, &m);
  if (!s && (!m.type->encode || m.n_classes))
    s = DF_FAIL(DF_ERR_CONFIG, "bench_specae: an unconditional model with an encoder is needed");
  int channels = 1, dim = 0;
  int64_t length = 0;
  if (!s) {
    m.type->audio_shape(m.model, &channels, &length);
    dim = m.type->latent_dim(m.model);
  }
  tone_source src = {dev, length, 0, malloc(sizeof(float) * (size_t)((count > batch ? count : batch) * length))};
  df_train_data data = {next_batch, &src, batch, 16000, 0, NULL, NULL};
  df_tensor x = {0}, z = {0}, y = {0};
  if (!s && !src.host) s = DF_FAIL(DF_ERR_OOM, "bench_specae: audio");
  if (!s) s = df_tensor_new(&x, dev, "sounds", count, 1, length);
  if (!s) s = df_tensor_new(&z, dev, "latents", count, dim);
  if (!s) s = df_tensor_new(&y, dev, "decoded", count, 1, length);
  if (!s) s = next_batch(&src, &x, NULL);
  df_rng rng;
  df_rng_init(&rng, 1);
  if (!s) s = m.type->sample_latents(m.model, &rng, 1.0f, &z);
  double best_train = 1e30, best_encode = 1e30, best_decode = 1e30;
  /* Warm-up: one step, one preview, one encode and decode. */
  if (!s) s = train_with_previews(&m, &data, &rng, 1, 1, preview, &z, &y);
  if (!s) s = m.type->encode(m.model, &x, NULL, &z);
  if (!s) s = m.type->decode(m.model, &z, NULL, &y);
  for (int r = 0; !s && r < repeats; r++) {
    double t0 = df_monotonic_seconds();
    s = train_with_previews(&m, &data, &rng, steps, every, preview, &z, &y);
    double t1 = df_monotonic_seconds();
    if (!s) s = m.type->encode(m.model, &x, NULL, &z);
    double t2 = df_monotonic_seconds();
    if (!s) s = m.type->decode(m.model, &z, NULL, &y);
    double t3 = df_monotonic_seconds();
    best_train = t1 - t0 < best_train ? t1 - t0 : best_train;
    best_encode = t2 - t1 < best_encode ? t2 - t1 : best_encode;
    best_decode = t3 - t2 < best_decode ? t3 - t2 : best_decode;
  }
  if (s) fprintf(stderr, "bench_specae: %s\n", df_last_error());
  else
    printf("{\"impl\": \"drumforge\", \"device\": \"%s\", \"device_name\": \"%s\", \"model\": \"%s\", \"batch\": %d, "
           "\"steps\": %d, \"preview_every\": %d, \"preview\": %d, \"train_seconds_per_step\": %.4f, \"count\": %d, "
           "\"encode_seconds\": %.4f, \"decode_seconds\": %.4f}\n",
           dev == DF_DEVICE_CUDA ? "cuda" : "cpu", df_device_description(dev), config_path ? config_path : "small VAE",
           batch, steps, every, preview, best_train / steps, count, best_encode, best_decode);
  df_tensor_free(&x);
  df_tensor_free(&z);
  df_tensor_free(&y);
  free(src.host);
  free(text);
  df_model_unload(&m);
  return s ? 1 : 0;
}
