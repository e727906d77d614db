/* drumforge encode: a user's own sounds -> their latents (.npy), and what the model makes of
 * them (--reconstruction). */
#include <getopt.h>
#include <math.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "drumforge/dsp.h"
#include "drumforge/fileio.h"
#include "drumforge/npy.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: drumforge encode (--run DIR | --checkpoint FILE) --input FILE [--input FILE ...]\n"
          "                        --out Z.npy [--reconstruction PATH] [options]\n\n"
          "Maps audio files to the latent space of an autoencoder (specvae, specwae): each file is\n"
          "read like `prepare` reads one-shots (any format libsndfile reads, resampled to the\n"
          "model's rate, mixed down, leading silence trimmed, cut or zero-padded to the model's\n"
          "length) and encoded to the mean of its latent. Z.npy holds one row per input, in order\n"
          "([inputs, latent_dim] float32), for `generate --latents Z.npy`, `generate --interpolate\n"
          "Z.npy:0 Z.npy:1` or `interpolate`.\n\n"
          "options:\n"
          "  --run DIR             the newest valid checkpoint of a run folder\n"
          "  --checkpoint FILE     a checkpoint\n"
          "  -i, --input FILE      an audio file (repeatable)\n"
          "  -o, --out Z.npy       the latents\n"
          "  --reconstruction PATH also decode them back to audio: with one input the WAV file to\n"
          "                        write; with several a folder receiving NN_<input name>.wav\n"
          "  --class LIST          conditional models: the class of the sounds, one for all (kick) or\n"
          "                        one per input (kick,snare)\n"
          "  --no-trim             keep leading silence\n"
          "  --device auto|cpu|cuda   (default auto)\n"
          "  -h, --help            this help\n");
}

/* Where input i's reconstruction goes: PATH itself, or PATH/NN_<name>.wav for several. */
static void reconstruction_path(const char *path, int n, int i, const char *input, char *out, size_t len) {
  if (n == 1) {
    snprintf(out, len, "%s", path);
    return;
  }
  char copy[4096];
  snprintf(copy, sizeof copy, "%s", input);
  char *name = basename(copy), *dot = strrchr(name, '.');
  if (dot) *dot = '\0';
  snprintf(out, len, "%s/%02d_%s.wav", path, i, name);
}

/* Z.npy is a .npy file name: a slip such as `-o kick.wav` would otherwise write latents over
 * a sound, and `interpolate` tells latent ends by the .npy in their name. */
static int check_out(const char *path) {
  if (cli_check_output_file("encode", "--out", path) != CLI_OK) return CLI_USAGE;
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash) || strcasecmp(dot, ".npy"))
    return cli_usage_error("encode", "--out %s: give a .npy file name for the latents", path);
  return CLI_OK;
}

/* No reconstruction may replace one of the sounds it comes from. */
static int check_not_input(const char *path, int n, const char *const *inputs) {
  for (int i = 0; i < n; i++) {
    char file[4400];
    reconstruction_path(path, n, i, inputs[i], file, sizeof file);
    for (int k = 0; k < n; k++)
      if (df_same_file(file, inputs[k]))
        return cli_usage_error("encode", "--reconstruction %s: %s would overwrite the input %s", path, file,
                               inputs[k]);
  }
  return CLI_OK;
}

/* The reconstruction path suits the inputs: one input writes a .wav or .flac file, several
 * a folder. Checked before anything is computed or written. */
static int check_reconstruction(const char *path, int n, const char *const *inputs) {
  struct stat st;
  int exists = stat(path, &st) == 0, is_dir = exists && S_ISDIR(st.st_mode);
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  int audio_name = dot && (!slash || dot > slash) && (!strcasecmp(dot, ".wav") || !strcasecmp(dot, ".flac"));
  if (n == 1 && (is_dir || !audio_name))
    return cli_usage_error("encode", "--reconstruction %s: with one input, give a .wav or .flac file name%s", path,
                           is_dir ? " (that is a folder)" : "");
  if (n == 1 && cli_check_output_file("encode", "--reconstruction", path) != CLI_OK) return CLI_USAGE;
  if (n > 1 && exists && !is_dir)
    return cli_usage_error("encode", "--reconstruction %s: with %d inputs, give a folder (that is a file)", path, n);
  return check_not_input(path, n, inputs);
}

static df_status write_reconstructions(const df_loaded_model *m, const cli_inputs *in, const char *path,
                                       const char *const *inputs, float *sc) {
  int channels;
  int64_t length;
  m->type->audio_shape(m->model, &channels, &length);
  df_tensor out, z;
  DF_TRY(df_tensor_alloc(&out, m->device, DF_F32, 3, in->audio.shape, "reconstructions"));
  df_status s = DF_OK;
  if (m->type->reconstruct) {
    s = m->type->reconstruct(m->model, &in->audio, in->labels, &out);
  } else { /* decode(encode(x)) */
    s = df_tensor_alloc(&z, m->device, DF_F32, 2, (int64_t[]){in->n, m->type->latent_dim(m->model)}, "latents");
    if (!s) s = m->type->encode(m->model, &in->audio, in->labels, &z);
    if (!s) s = m->type->decode(m->model, &z, in->labels, &out);
    df_tensor_free(&z);
  }
  size_t per = (size_t)channels * (size_t)length;
  float *host = s ? NULL : malloc(sizeof(float) * per * (size_t)in->n * 2), *sound = host + per * (size_t)in->n;
  if (!s && !host) s = DF_FAIL(DF_ERR_OOM, "reconstructions");
  if (!s) s = df_tensor_to_host(&out, host, df_tensor_numel(&out));
  if (!s) s = df_tensor_to_host(&in->audio, sound, df_tensor_numel(&in->audio));
  /* How far each reconstruction is from its input as the model saw it (1024-point STFT). */
  if (!s) s = df_spectral_convergence(sound, host, in->n, (int64_t)channels * length, 1024, 256, sc);
  if (!s && in->n > 1) s = df_mkdirs(path);
  for (int i = 0; !s && i < in->n; i++) {
    char file[4400];
    reconstruction_path(path, in->n, i, inputs[i], file, sizeof file);
    df_audio a = {host + per * (size_t)i, length, channels, m->sample_rate};
    s = df_audio_write(file, &a, DF_AUDIO_PCM16);
    float peak; /* the input's own level can exceed full scale (a float file) */
    if (!s && df_audio_count_clipped(&a, &peak) > 0)
      fprintf(stderr, "drumforge encode: %s: peaks at %+.1f dBFS, clipped to full scale in the 16-bit file\n", file,
              20.0 * log10(peak));
  }
  free(host);
  df_tensor_free(&out);
  return s;
}

int cmd_encode(int argc, char **argv) {
  enum { OPT_RUN = 256, OPT_RECON, OPT_CLASS, OPT_NO_TRIM, OPT_DEVICE };
  static const struct option opts[] = {
      {"run", required_argument, 0, OPT_RUN},       {"checkpoint", required_argument, 0, OPT_RUN},
      {"input", required_argument, 0, 'i'},         {"out", required_argument, 0, 'o'},
      {"reconstruction", required_argument, 0, OPT_RECON}, {"class", required_argument, 0, OPT_CLASS},
      {"no-trim", no_argument, 0, OPT_NO_TRIM},     {"device", required_argument, 0, OPT_DEVICE},
      {"help", no_argument, 0, 'h'},                {0, 0, 0, 0}};
  const char *model_path = NULL, *out_path = NULL, *recon = NULL, *classes = NULL, *device = "auto";
  const char **inputs = calloc((size_t)argc, sizeof *inputs);
  int n = 0, trim = 1, c, rc = CLI_OK;
  if (!inputs) return cli_fail("encode", DF_ERR_OOM, "arguments");
  optind = 1;
  while (rc == CLI_OK && (c = getopt_long(argc, argv, "hi:o:", opts, NULL)) != -1) {
    switch (c) {
      case OPT_RUN:
        if (model_path) rc = cli_usage_error("encode", "give one of --run and --checkpoint");
        model_path = optarg;
        break;
      case 'i': inputs[n++] = optarg; break;
      case 'o': out_path = optarg; break;
      case OPT_RECON: recon = optarg; break;
      case OPT_CLASS: classes = optarg; break;
      case OPT_NO_TRIM: trim = 0; break;
      case OPT_DEVICE: device = optarg; break;
      case 'h': usage(stdout); free(inputs); return CLI_OK;
      default: rc = cli_option_error("encode", argv, "hi:o:", opts); break;
    }
  }
  if (rc == CLI_OK && optind < argc) rc = cli_usage_error("encode", "unexpected argument '%s'", argv[optind]);
  if (rc == CLI_OK && !model_path) rc = cli_usage_error("encode", "--run DIR or --checkpoint FILE is required");
  if (rc == CLI_OK && n == 0) rc = cli_usage_error("encode", "give at least one --input FILE");
  if (rc == CLI_OK && !out_path) rc = cli_usage_error("encode", "--out Z.npy is required");
  if (rc == CLI_OK) rc = check_out(out_path);
  if (rc == CLI_OK && recon) rc = check_reconstruction(recon, n, inputs);
  if (rc == CLI_OK && classes) { /* one class for all the inputs, or one each */
    char names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
    int k;
    if (df_parse_class_list(classes, names, DF_MAX_CLASSES, &k) != DF_OK || cli_class_count(classes, k, n) != DF_OK)
      rc = cli_usage_error("encode", "%s", df_last_error());
  }
  df_device dev;
  if (rc == CLI_OK) rc = cli_select_device("encode", device, &dev);
  if (rc != CLI_OK) {
    free(inputs);
    return rc;
  }
  df_loaded_model m;
  df_status s = df_model_load(model_path, dev, &m);
  if (s) {
    free(inputs);
    return cli_fail("encode", s, "cannot load the model");
  }
  cli_inputs in;
  float *z = NULL;
  int dim = m.type->latent_dim(m.model);
  s = cli_load_inputs("encode", &m, inputs, n, classes, trim, &in);
  if (!s) {
    z = malloc(sizeof(float) * (size_t)n * (size_t)dim);
    s = z ? cli_encode_inputs(&m, &in, z) : DF_FAIL(DF_ERR_OOM, "latents");
  }
  /* Z.npy is written to a temporary name and takes its place only when the reconstructions
   * are written too: a failing command leaves an earlier Z.npy as it was. */
  df_npy_writer *w = NULL;
  if (!s) s = df_npy_writer_open(out_path, dim, &w);
  if (!s) s = df_npy_writer_append(w, z, n);
  float *sc = recon ? calloc((size_t)n, sizeof *sc) : NULL;
  if (!s && recon) s = sc ? write_reconstructions(&m, &in, recon, inputs, sc) : DF_FAIL(DF_ERR_OOM, "latents");
  if (!s) s = df_npy_writer_commit(w);
  else df_npy_writer_abort(w);
  if (!s) {
    printf("encoded %d sound(s) to %s [%d x %d]", n, out_path, n, dim);
    if (recon) printf("; reconstruction%s in %s", n > 1 ? "s" : "", recon);
    printf("\n");
    for (int i = 0; recon && i < n; i++)
      printf("  %s: spectral convergence %.3f (0: the input's spectrogram; 1 or more: no closer than silence)\n", inputs[i], sc[i]);
  }
  free(sc);
  free(z);
  cli_inputs_free(&in);
  df_model_unload(&m);
  free(inputs);
  if (s) {
    fprintf(stderr, "drumforge encode: %s\n", df_last_error());
    return CLI_FAILED;
  }
  return CLI_OK;
}
