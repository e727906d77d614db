/* The spectrogram autoencoders' configuration keys (README: "Spectrogram autoencoders as implemented"). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "models/conditioning.h"
#include "models/specae/specae.h"

/* "256, 128, 64" -> values; at most SA_MAX_LAYERS in [1, 4096]. */
static df_status parse_filters(const df_config *cfg, const char *key, const char *text, int *out, int *n) {
  *n = 0;
  const char *p = text;
  while (*p) {
    while (isspace((unsigned char)*p) || *p == ',') p++;
    if (!*p) break;
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || v > 4096 || *n == SA_MAX_LAYERS)
      return DF_CONFIG_FAIL(cfg, key, "'%s' is not a list of 1 to %d channel counts in [1, 4096] (e.g. 256, 128, 64, "
                            "32, 16)", text, SA_MAX_LAYERS);
    out[(*n)++] = (int)v;
    p = end;
  }
  if (*n == 0) return DF_CONFIG_FAIL(cfg, key, "no layers given");
  return DF_OK;
}

/* "2, 2, (2, 1)" -> (2,2) (2,2) (2,1): a number is the same stride in frequency and time. */
static df_status parse_strides(const df_config *cfg, const char *key, const char *text, int out[][2], int *n) {
  *n = 0;
  const char *p = text;
  for (;;) {
    while (isspace((unsigned char)*p) || *p == ',') p++;
    if (!*p) return DF_OK;
    int pair = *p == '(';
    if (pair) p++;
    long v[2];
    for (int k = 0; k < (pair ? 2 : 1); k++) {
      while (isspace((unsigned char)*p) || (k && *p == ',')) p++;
      char *end;
      v[k] = strtol(p, &end, 10);
      if (end == p || v[k] < 1 || v[k] > 8) goto bad;
      p = end;
    }
    if (pair) {
      while (isspace((unsigned char)*p)) p++;
      if (*p++ != ')') goto bad;
    } else {
      v[1] = v[0];
    }
    if (*n == SA_MAX_LAYERS) goto bad;
    out[*n][0] = (int)v[0];
    out[*n][1] = (int)v[1];
    (*n)++;
  }
bad:
  return DF_CONFIG_FAIL(cfg, key, "'%s' is not a list of strides in [1, 8], each a number or a (frequency, time) "
                        "pair, e.g. 2, 2, 2, 2, (2, 1)", text);
}

static df_status read_frontend(df_config *cfg, int sample_rate, sa_config *c) {
  long v;
  double f;
  c->sample_rate = sample_rate;
  DF_TRY(df_config_int(cfg, "spectrogram.length", 16384, 16, 10 * 1000 * 1000, &v));
  c->length = v;
  DF_TRY(df_config_int(cfg, "spectrogram.n_fft", 512, 16, 65536, &v));
  c->n_fft = (int)v;
  /* The front end drops the Nyquist bin and counts 1 + length / hop frames: both need an even
   * FFT size. */
  if (c->n_fft % 2)
    return DF_CONFIG_FAIL(cfg, "spectrogram.n_fft", "%d is odd: an even FFT size is needed (e.g. %d)", c->n_fft,
                          c->n_fft + 1);
  DF_TRY(df_config_int(cfg, "spectrogram.hop", 128, 1, 65536, &v));
  c->hop = (int)v;
  if (c->hop >= c->n_fft)
    return DF_CONFIG_FAIL(cfg, df_config_has(cfg, "spectrogram.hop") ? "spectrogram.hop" : "spectrogram.n_fft",
                          "hop %d is not below n_fft %d (the inverse STFT needs overlapping frames)", c->hop,
                          c->n_fft);
  DF_TRY(df_config_int(cfg, "spectrogram.mel_bands", 0, 0, 1024, &v));
  c->mel_bands = (int)v;
  if (c->mel_bands > c->n_fft / 2 + 1)
    return DF_CONFIG_FAIL(cfg, "spectrogram.mel_bands", "%d bands from %d frequency bins", c->mel_bands,
                   c->n_fft / 2 + 1);
  if (c->mel_bands) {
    /* A band no frequency bin falls in is a constant-zero row the model would learn. */
    df_mel_config mc = df_mel_config_default(sample_rate, c->n_fft, c->mel_bands);
    int empty;
    DF_TRY(df_mel_empty_bands(&mc, &empty));
    if (empty)
      return DF_CONFIG_FAIL(cfg, "spectrogram.mel_bands", "%d bands from a %d-point FFT at %d Hz leave %d empty (no "
                            "frequency bin falls in them); use fewer bands or a larger n_fft", c->mel_bands, c->n_fft,
                            sample_rate, empty);
  }
  c->stft_frames = 1 + c->length / c->hop;
  DF_TRY(df_config_int(cfg, "spectrogram.frames", 0, 0, 1000000, &v));
  if (v > c->stft_frames)
    return DF_CONFIG_FAIL(cfg, "spectrogram.frames", "%ld, but %lld samples at hop %d give %lld frames", v,
                   (long long)c->length, c->hop, (long long)c->stft_frames);
  c->frames = v ? (int)v : (int)c->stft_frames;
  DF_TRY(df_config_float(cfg, "spectrogram.top_db", 80.0, 1.0, 200.0, &f));
  c->top_db = (float)f;
  c->bins = c->mel_bands ? c->mel_bands : c->n_fft / 2;
  return DF_OK;
}

static df_status read_network(df_config *cfg, int data_classes, sa_config *c) {
  const char *text;
  long v;
  int n_strides;
  DF_TRY(df_config_string(cfg, "model.filters", "32, 64, 128, 256", &text));
  DF_TRY(parse_filters(cfg, "model.filters", text, c->filters, &c->n_layers));
  DF_TRY(df_config_string(cfg, "model.strides", "2, 2, 2, 2", &text));
  DF_TRY(parse_strides(cfg, "model.strides", text, c->strides, &n_strides));
  if (n_strides != c->n_layers)
    return DF_CONFIG_FAIL(cfg, "model.strides", "%d strides for %d filter counts (one per layer)", n_strides,
                   c->n_layers);
  DF_TRY(df_config_int(cfg, "model.kernel", 3, 1, 15, &v));
  if (v % 2 == 0) return DF_CONFIG_FAIL(cfg, "model.kernel", "%ld: an odd kernel is needed ('same' padding)", v);
  c->kernel = (int)v;
  DF_TRY(df_config_int(cfg, "model.latent_dim", 64, 1, 4096, &v));
  c->latent_dim = (int)v;
  DF_TRY(df_model_read_conditioning(cfg, data_classes, 16, &c->n_classes, &c->class_embed));
  /* The decoder mirrors the encoder exactly only when every stride divides its input. */
  int64_t h = c->bins, w = c->frames;
  for (int i = 0; i < c->n_layers; i++) {
    if (h % c->strides[i][0] || w % c->strides[i][1])
      return DF_CONFIG_FAIL(cfg, "model.strides", "layer %d gets %lld x %lld (bins x frames), not divisible by "
                     "its stride (%d, %d); change spectrogram.frames, n_fft, mel_bands or the strides",
                     i, (long long)h, (long long)w, c->strides[i][0], c->strides[i][1]);
    h /= c->strides[i][0];
    w /= c->strides[i][1];
  }
  c->bottleneck[0] = h;
  c->bottleneck[1] = w;
  return DF_OK;
}

static df_status read_training(df_config *cfg, sa_config *c) {
  double f;
  DF_TRY(df_config_float(cfg, "loss.reconstruction_weight", 1.0, 0.0, 1e12, &f));
  c->recon_weight = (float)f;
  if (c->kind == SA_VAE) {
    DF_TRY(df_config_float(cfg, "loss.beta", 1.0, 0.0, 1e6, &f));
    c->beta = (float)f;
    c->prior_sigma = 1.0f;
  } else {
    DF_TRY(df_config_float(cfg, "loss.mmd_lambda", 10.0, 0.0, 1e6, &f));
    c->mmd_lambda = (float)f;
    DF_TRY(df_config_float(cfg, "loss.prior_sigma", 1.0, 1e-3, 1e3, &f));
    c->prior_sigma = (float)f;
  }
  DF_TRY(df_adam_config_read(cfg, "optim.lr", 5e-4, 0.9, 0.999, &c->adam));
  DF_TRY(df_config_float(cfg, "optim.clip_norm", 0.0, 0.0, 1e9, &f));
  c->clip_norm = (float)f;
  long v;
  DF_TRY(df_config_int(cfg, "griffinlim.iterations", 32, 0, 10000, &v));
  c->gl_iters = (int)v;
  DF_TRY(df_config_float(cfg, "griffinlim.momentum", 0.99, 0.0, 0.999, &f));
  c->gl_momentum = (float)f;
  return DF_OK;
}

df_status sa_config_read(df_config *cfg, sa_kind kind, int data_classes, int sample_rate, sa_config *out) {
  memset(out, 0, sizeof *out);
  out->kind = kind;
  DF_TRY(read_frontend(cfg, sample_rate, out));
  DF_TRY(read_network(cfg, data_classes, out));
  return read_training(cfg, out);
}

int sa_stochastic(const sa_config *c) { return c->kind == SA_VAE && c->beta > 0; }
