/* Inference with the spectrogram autoencoders through the model interface, on models loaded
 * from run folders: the front end and its inverse (spectrogram -> Griffin-Lim -> the same
 * spectrogram and level), encode and decode shapes, determinism and chunking (a chunked encode
 * equals encoding one sound at a time; a sound decodes alike alone or anywhere in a batch), the latent's indifference to the input's level and
 * reconstruct's respect for it, prior samples, and bad arguments (labels for conditional
 * models, wrong shapes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/train.h"
#include "models/specae/specae.h"

static char scratch[4096], dataset[4200];

static const char *const vae_text =
    "[model]\ntype = specvae\nfilters = 8, 16\nstrides = 4, 4\nlatent_dim = 8\n"
    "[spectrogram]\nlength = 16384\nn_fft = 256\nhop = 128\nframes = 128\n"
    "[loss]\nbeta = 1e-3\n[optim]\nlr = 1e-2\n[griffinlim]\niterations = 8\n"
    "[train]\nbatch = 4\nsteps = 3\nseed = 1\npreview_count = 0\n";

static const char *const cwae_text =
    "[model]\ntype = specwae\nfilters = 8, 16\nstrides = (2, 4), (2, 4)\nlatent_dim = 8\nconditional = true\n"
    "[spectrogram]\nlength = 16384\nn_fft = 256\nhop = 128\nmel_bands = 32\nframes = 128\n"
    "[optim]\nlr = 1e-2\n[griffinlim]\niterations = 8\n"
    "[train]\nbatch = 4\nsteps = 3\nseed = 1\npreview_count = 0\n[data]\nclasses = kick,snare\n";

/* A trained run folder for a config text, loaded for inference. */
static int trained(const char *name, const char *text, df_loaded_model *m) {
  char config[4300], run[4300];
  snprintf(config, sizeof config, "%s/%s.ini", scratch, name);
  snprintf(run, sizeof run, "%s/%s", scratch, name);
  df_write_file_atomic(config, text, strlen(text));
  char what[256];
  snprintf(what, sizeof what, "%s: train 3 steps and load the run", name);
  return df_expect_ok(df_test_train(config, dataset, run, 0, NULL), what) &&
         df_expect_ok(df_model_load(run, DF_DEVICE_CPU, m), what);
}

/* n decaying tones of the model's length, pitch and level varying. */
static void tones(df_tensor *audio, double gain) {
  int64_t n = audio->shape[0], len = audio->shape[2];
  float *x = audio->data;
  for (int64_t i = 0; i < n; i++)
    for (int64_t t = 0; t < len; t++)
      x[i * len + t] = (float)(gain * (0.3 + 0.1 * (double)(i % 5)) * sin(2 * M_PI * (80.0 + 57.0 * (double)i) * t / 16000.0) *
                               exp(-(double)t / (2000.0 + 300.0 * (double)(i % 7))));
}

static double rel_diff(const float *a, const float *b, int64_t n, double scale_b) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; i++) {
    num += ((double)a[i] - scale_b * b[i]) * ((double)a[i] - scale_b * b[i]);
    den += (double)a[i] * a[i];
  }
  return sqrt(num / (den > 0 ? den : 1));
}

/* Magnitudes from a normalised spectrogram and its dB ranges: 10^((s (hi - lo) + lo) / 20). */
static void magnitudes(const df_tensor *s, const df_tensor *lo, const df_tensor *hi, double *out) {
  int64_t n = s->shape[0], per = df_tensor_inner(s);
  const float *v = s->data, *l = lo->data, *h = hi->data;
  for (int64_t i = 0; i < n; i++)
    for (int64_t k = 0; k < per; k++) out[i * per + k] = pow(10.0, (v[i * per + k] * (h[i] - l[i]) + l[i]) / 20.0);
}

/* The front end's inverse: tones' spectrograms (n_fft 512, hop 128) through Griffin-Lim (64
 * iterations) give audio whose spectrograms match them (spectral convergence) at their level. */
static void frontend_round_trip(const sa_model *sm) {
  sa_config c = sm->cfg;
  c.n_fft = 512;
  c.hop = 128;
  c.bins = 256;
  c.stft_frames = 1 + c.length / c.hop;
  c.frames = 128;
  c.gl_iters = 64;
  sa_frontend fe;
  if (!df_expect_ok(sa_frontend_init(&fe, &c, DF_DEVICE_CPU), "front end")) return;
  const int64_t n = 3;
  df_tensor x, y, s1, s2, keep, lo1, hi1, lo2, hi2;
  df_tensor_new(&x, DF_DEVICE_CPU, "tones", n, 1, c.length);
  df_tensor_new(&y, DF_DEVICE_CPU, "resynthesised", n, 1, c.length);
  df_tensor_new(&s1, DF_DEVICE_CPU, "spectrogram", n, 1, c.bins, c.frames);
  df_tensor_new(&s2, DF_DEVICE_CPU, "spectrogram of the resynthesis", n, 1, c.bins, c.frames);
  df_tensor_new(&keep, DF_DEVICE_CPU, "spectrogram copy", n, 1, c.bins, c.frames);
  df_tensor *ranges[] = {&lo1, &hi1, &lo2, &hi2};
  for (int i = 0; i < 4; i++) df_tensor_new(ranges[i], DF_DEVICE_CPU, "dB range", n);
  tones(&x, 1.0);
  df_expect_ok(sa_analyse(&fe, &c, &x, &s1, &lo1, &hi1), "analyse");
  const float *v = s1.data;
  int in_range = 1;
  for (int64_t i = 0; i < df_tensor_numel(&s1); i++) in_range &= v[i] >= 0 && v[i] <= 1;
  df_expect_true(in_range, "spectrograms are normalised to [0, 1]");
  df_tensor_copy(&keep, &s1);
  df_expect_ok(sa_synthesise(&fe, &c, &s1, &lo1, &hi1, &y), "synthesise");
  df_expect_ok(sa_analyse(&fe, &c, &y, &s2, &lo2, &hi2), "analyse the resynthesis");
  int64_t count = df_tensor_numel(&keep);
  double *m1 = malloc(sizeof(double) * (size_t)count), *m2 = malloc(sizeof(double) * (size_t)count), num = 0, den = 0;
  magnitudes(&keep, &lo1, &hi1, m1);
  magnitudes(&s2, &lo2, &hi2, m2);
  for (int64_t i = 0; i < count; i++) {
    num += (m1[i] - m2[i]) * (m1[i] - m2[i]);
    den += m1[i] * m1[i];
  }
  printf("     spectral convergence of the resynthesis %.4f; peak dB %.2f -> %.2f\n", sqrt(num / den),
         ((float *)hi1.data)[0], ((float *)hi2.data)[0]);
  df_expect_true(sqrt(num / den) < 0.1, "Griffin-Lim gives back the spectrogram (spectral convergence below 0.1)");
  df_expect_close("the resynthesis keeps each sound's level (peak within 0.5 dB)", hi2.data, hi1.data, n, 0, 0.5);
  free(m1);
  free(m2);
  df_tensor *all[] = {&x, &y, &s1, &s2, &keep, &lo1, &hi1, &lo2, &hi2};
  for (int i = 0; i < 9; i++) df_tensor_free(all[i]);
  sa_frontend_free(&fe);
}

/* The same model loaded on the GPU encodes and decodes like the CPU (strict fp32; Griffin-Lim's
 * rounding drifts over its iterations, so audio is compared loosely). */
static void gpu_matches(const char *name, const df_tensor *x, const df_tensor *z, const df_tensor *y,
                        const int32_t *labels) {
  char run[4300], what[256];
  snprintf(run, sizeof run, "%s/%s", scratch, name);
  df_loaded_model g;
  snprintf(what, sizeof what, "%s: load the run on the GPU", name);
  if (!df_expect_ok(df_model_load(run, DF_DEVICE_CUDA, &g), what)) return;
  df_set_strict_fp32(1);
  df_tensor gx, gz, gy;
  df_test_to_device(x, DF_DEVICE_CUDA, &gx);
  df_test_to_device(z, DF_DEVICE_CUDA, &gz);
  df_test_to_device(y, DF_DEVICE_CUDA, &gy);
  snprintf(what, sizeof what, "%s: cuda encode = cpu encode", name);
  if (df_expect_ok(g.type->encode(g.model, &gx, labels, &gz), what)) df_expect_tensor_close(what, &gz, z, 1e-4, 1e-5);
  df_tensor_copy(&gz, z); /* decode the CPU's latents */
  snprintf(what, sizeof what, "%s: cuda decode = cpu decode (to 1e-2 of the peak)", name);
  if (df_expect_ok(g.type->decode(g.model, &gz, labels, &gy), what)) df_expect_tensor_close(what, &gy, y, 0, 1e-2);
  df_set_strict_fp32(0);
  df_tensor_free(&gx);
  df_tensor_free(&gz);
  df_tensor_free(&gy);
  df_model_unload(&g);
}

static void encode_decode(df_loaded_model *m, const char *name, const int32_t *labels) {
  const df_model_type *t = m->type;
  int channels, dim = t->latent_dim(m->model);
  int64_t length;
  t->audio_shape(m->model, &channels, &length);
  char what[256];
  snprintf(what, sizeof what, "%s: one channel of 16384 samples, a 8-d latent", name);
  df_expect_true(channels == 1 && length == 16384 && dim == 8 && t->encode && t->reconstruct, what);
  const int64_t n = 70; /* more than one inference chunk (64) */
  df_tensor x, quiet, z, z2, zq, y, y2, tail_y, r, rq;
  df_tensor_new(&x, DF_DEVICE_CPU, "sounds", n, 1, length);
  df_tensor_new(&quiet, DF_DEVICE_CPU, "the sounds 6 dB down", n, 1, length);
  df_tensor_new(&z, DF_DEVICE_CPU, "latents", n, dim);
  df_tensor_new(&z2, DF_DEVICE_CPU, "latents again", n, dim);
  df_tensor_new(&zq, DF_DEVICE_CPU, "latents of the quieter sounds", n, dim);
  df_tensor_new(&y, DF_DEVICE_CPU, "decoded", n, 1, length);
  df_tensor_new(&y2, DF_DEVICE_CPU, "decoded again", n, 1, length);
  df_tensor_new(&tail_y, DF_DEVICE_CPU, "decoded tail", n - 64, 1, length);
  df_tensor_new(&r, DF_DEVICE_CPU, "reconstructions", 4, 1, length);
  df_tensor_new(&rq, DF_DEVICE_CPU, "reconstructions of the quieter sounds", 4, 1, length);
  tones(&x, 1.0);
  tones(&quiet, 0.5);
  snprintf(what, sizeof what, "%s: encode [70, 1, 16384] -> [70, 8]", name);
  df_expect_ok(t->encode(m->model, &x, labels, &z), what);
  t->encode(m->model, &x, labels, &z2);
  snprintf(what, sizeof what, "%s: encoding is deterministic", name);
  df_expect_equal_bytes(what, z2.data, z.data, df_tensor_bytes(&z));
  for (int64_t i = 0; i < n; i++) { /* z2: each sound encoded on its own */
    df_tensor xi, zi;
    df_tensor_slice0(&x, i, 1, &xi);
    df_tensor_slice0(&z2, i, 1, &zi);
    t->encode(m->model, &xi, labels ? labels + i : NULL, &zi);
  }
  snprintf(what, sizeof what, "%s: encoding 70 sounds in chunks (64, then 6) = each sound on its own", name);
  df_expect_equal_bytes(what, z2.data, z.data, df_tensor_bytes(&z));
  t->encode(m->model, &quiet, labels, &zq);
  snprintf(what, sizeof what, "%s: the latent ignores the input's level (min-max normalised spectrograms)", name);
  df_expect_tensor_close(what, &zq, &z, 1e-4, 1e-4);
  snprintf(what, sizeof what, "%s: decode [70, 8] -> [70, 1, 16384]", name);
  df_expect_ok(t->decode(m->model, &z, labels, &y), what);
  t->decode(m->model, &z, labels, &y2);
  snprintf(what, sizeof what, "%s: decoding is deterministic", name);
  df_expect_equal_bytes(what, y2.data, y.data, df_tensor_bytes(&y));
  int64_t finite;
  df_count_nonfinite(&y, &finite);
  double ss;
  df_sum_squares(&y, &ss);
  snprintf(what, sizeof what, "%s: decoded audio is finite and not silent", name);
  df_expect_true(finite == 0 && ss > 0, what);
  df_tensor zt, yt;
  df_tensor_slice0(&z, 64, n - 64, &zt);
  df_tensor_slice0(&y, 64, n - 64, &yt);
  t->decode(m->model, &zt, labels ? labels + 64 : NULL, &tail_y);
  snprintf(what, sizeof what, "%s: a sound decodes the same whatever else is in the call (chunks of 64)", name);
  df_expect_equal_bytes(what, tail_y.data, yt.data, df_tensor_bytes(&tail_y));
  /* ... and alone: the fourth sound by itself (Griffin-Lim's initial phases must not depend on
   * the place in the batch). */
  df_tensor z3, y3, alone;
  df_tensor_slice0(&z, 3, 1, &z3);
  df_tensor_slice0(&y, 3, 1, &y3);
  df_tensor_new(&alone, DF_DEVICE_CPU, "decoded alone", 1, 1, length);
  t->decode(m->model, &z3, labels ? labels + 3 : NULL, &alone);
  snprintf(what, sizeof what, "%s: a sound decoded alone equals the same sound decoded fourth in a batch", name);
  df_expect_equal_bytes(what, alone.data, y3.data, df_tensor_bytes(&alone));
  df_tensor_free(&alone);
  /* reconstruct keeps each input's level: half the input, half the output. */
  df_tensor x4, q4;
  df_tensor_slice0(&x, 0, 4, &x4);
  df_tensor_slice0(&quiet, 0, 4, &q4);
  snprintf(what, sizeof what, "%s: reconstruct", name);
  df_expect_ok(t->reconstruct(m->model, &x4, labels, &r), what);
  df_expect_ok(t->reconstruct(m->model, &q4, labels, &rq), what);
  double e = rel_diff(rq.data, r.data, df_tensor_numel(&r), 0.5);
  printf("     %s: reconstruction of the sounds at half level vs half the reconstruction: relative error %.2e\n", name, e);
  snprintf(what, sizeof what, "%s: reconstruct keeps the input's level", name);
  df_expect_true(e < 1e-3, what);
  if (df_test_gpu()) gpu_matches(name, &x, &z, &y, labels);
  else df_test_skip_gpu(2, "encode and decode on CUDA against the CPU");
  df_tensor *all[] = {&x, &quiet, &z, &z2, &zq, &y, &y2, &tail_y, &r, &rq};
  for (int i = 0; i < 10; i++) df_tensor_free(all[i]);
}

static void prior_and_bad_arguments(df_loaded_model *m) {
  const df_model_type *t = m->type;
  df_tensor z, y, bad;
  df_tensor_new(&z, DF_DEVICE_CPU, "prior samples", 4096, 8);
  df_tensor_new(&y, DF_DEVICE_CPU, "decoded", 2, 1, 16384);
  df_tensor_new(&bad, DF_DEVICE_CPU, "latents of the wrong size", 2, 7);
  df_rng rng;
  df_rng_init(&rng, 5);
  df_expect_ok(t->sample_latents(m->model, &rng, 0.5f, &z), "sample the prior");
  double ss;
  df_sum_squares(&z, &ss);
  double sd = sqrt(ss / 4096 / 8);
  printf("     prior samples at truncation 0.5: standard deviation %.4f\n", sd);
  df_expect_true(fabs(sd - 0.5) < 0.02, "the Gaussian prior, narrowed by the truncation");
  df_tensor z2;
  df_tensor_slice0(&z, 0, 2, &z2);
  df_expect_status(t->decode(m->model, &z2, NULL, &y), DF_ERR_INVALID_ARG, "a conditional model refuses to decode without labels");
  int32_t wrong[2] = {0, 99};
  df_expect_status(t->decode(m->model, &z2, wrong, &y), DF_ERR_INVALID_ARG, "a class outside the model's is refused");
  df_expect_true(strstr(df_last_error(), "class 99") != NULL, "naming the class");
  int32_t ok[2] = {0, 1};
  df_expect_status(t->decode(m->model, &bad, ok, &y), DF_ERR_INVALID_ARG, "latents of the wrong size are refused");
  df_expect_true(strstr(df_last_error(), "latents of the wrong size") != NULL, "naming the tensor");
  df_tensor_free(&z);
  df_tensor_free(&y);
  df_tensor_free(&bad);
}

int main(void) {
  df_test_begin("test_specae_infer");
  df_test_scratch_dir("specae_infer", scratch, sizeof scratch);
  if (df_test_make_dataset(scratch, 4, 1.0, dataset, sizeof dataset)) {
    df_test_fail("dataset", "could not build the test dataset");
    return df_test_finish();
  }
  df_loaded_model vae, cwae;
  if (trained("vae", vae_text, &vae)) {
    frontend_round_trip(vae.model);
    encode_decode(&vae, "vae", NULL);
    df_model_unload(&vae);
  }
  if (trained("cwae", cwae_text, &cwae)) {
    int32_t labels[70];
    for (int i = 0; i < 70; i++) labels[i] = i % 2;
    encode_decode(&cwae, "cwae", labels);
    prior_and_bad_arguments(&cwae);
    df_model_unload(&cwae);
  }
  return df_test_finish();
}
