/* drumforge interpolate: a walk through the latent space between two sounds (encoded like
 * `drumforge encode`) or two latents, written by `drumforge generate --interpolate`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "drumforge/fileio.h"
#include "drumforge/generate.h"
#include "drumforge/npy.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: drumforge interpolate (--run DIR | --checkpoint FILE) --from A --to B [options]\n\n"
          "Writes the sounds on the way from A to B in the model's latent space (ends included),\n"
          "with a manifest. A and B are each an audio file (encoded to the mean of its latent, read\n"
          "like `drumforge encode` reads it: autoencoders only), a row of a latents file\n"
          "(FILE.npy[:ROW], e.g. from `drumforge encode`), or a generated sound's latent\n"
          "(SEED[:POSITION], as `drumforge generate` numbers them). Audio ends are saved as rows of\n"
          "OUT/endpoints.npy; the walk itself is `drumforge generate --interpolate`.\n\n"
          "options:\n"
          "  --run DIR             the newest valid checkpoint of a run folder\n"
          "  --checkpoint FILE     a checkpoint\n"
          "  --from A, --to B      the two ends\n"
          "  --steps K             sounds on the walk, ends included (default 8)\n"
          "  --slerp               spherical instead of linear interpolation\n"
          "  --class NAME          conditional models: the class of the walk and of audio ends\n"
          "                        (latent ends only: also a LIST or all, a walk per class; without\n"
          "                        --class a walk for every class)\n"
          "  --out DIR             folder (default interpolation)\n"
          "  --format wav|flac     (default wav)\n"
          "  --bits 16|24|float    sample format (default 16)\n"
          "  --overwrite           write into a folder that holds an earlier manifest\n"
          "  --no-trim             keep the leading silence of audio ends\n"
          "  --device auto|cpu|cuda   (default auto)\n"
          "  --quiet               no progress bar\n"
          "  -h, --help            this help\n");
}

/* A latent given as FILE.npy[:ROW] or SEED[:POSITION] (generate reads those); anything else
 * is an audio file. */
static int is_latent_spec(const char *spec) {
  if (df_npy_spec_file_len(spec)) return 1;
  size_t digits = strspn(spec, "0123456789");
  return digits > 0 && (spec[digits] == '\0' || (spec[digits] == ':' && spec[digits + 1] &&
                                                 strspn(spec + digits + 1, "0123456789") == strlen(spec + digits + 1)));
}

/* A latent end read from the endpoints.npy that the audio ends are about to replace would
 * read the new rows instead of its own: refused. */
static int check_ends_file(const char *const spec[2], const char *out_dir) {
  char endpoints[4300];
  snprintf(endpoints, sizeof endpoints, "%s/endpoints.npy", out_dir);
  for (int k = 0; k < 2; k++) {
    const size_t len = df_npy_spec_file_len(spec[k]);
    if (!len) continue;
    char file[4096]; /* the file part of FILE.npy[:ROW], as generate reads it */
    snprintf(file, sizeof file, "%.*s", (int)len, spec[k]);
    if (df_same_file(file, endpoints))
      return cli_usage_error("interpolate", "%s %s: this walk replaces %s with its audio ends; copy it elsewhere or "
                             "use another --out", k ? "--to" : "--from", spec[k], endpoints);
  }
  return CLI_OK;
}

/* A sound end is encoded in the walk's class, so --class names one class then (a list or
 * "all" walks latent ends only, as generate does). */
static int check_one_class(const char *classes) {
  char names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  int n;
  if (df_parse_class_list(classes, names, DF_MAX_CLASSES, &n) != DF_OK)
    return cli_usage_error("interpolate", "%s", df_last_error());
  if (n != 1 || !strcasecmp(classes, "all"))
    return cli_usage_error("interpolate", "--class %s: give one class when an end is a sound (it is encoded in it)",
                           classes);
  return CLI_OK;
}

/* Encodes the audio ends into out_dir/endpoints.npy and points ends[] at its rows. */
static int encode_ends(const char *model_path, df_device dev, const char *classes, int trim, const char *out_dir,
                       const char *const spec[2], char ends[2][4400], char *checkpoint, size_t checkpoint_len) {
  df_loaded_model m;
  df_status s = df_model_load(model_path, dev, &m);
  if (s) return cli_fail("interpolate", s, "cannot load the model");
  snprintf(checkpoint, checkpoint_len, "%s", m.checkpoint);
  const char *files[2];
  int n = 0;
  for (int k = 0; k < 2; k++)
    if (!is_latent_spec(spec[k])) files[n++] = spec[k];
  char path[4300];
  snprintf(path, sizeof path, "%s/endpoints.npy", out_dir);
  cli_inputs in;
  float *z = NULL;
  int dim = m.type->latent_dim(m.model);
  s = cli_load_inputs("interpolate", &m, files, n, classes, trim, &in);
  if (!s) {
    z = malloc(sizeof(float) * (size_t)n * (size_t)dim);
    s = z ? cli_encode_inputs(&m, &in, z) : DF_FAIL(DF_ERR_OOM, "latents");
  }
  if (!s) s = df_mkdirs(out_dir);
  if (!s) s = df_npy_write_f32(path, z, n, dim);
  for (int k = 0, row = 0; !s && k < 2; k++) {
    if (is_latent_spec(spec[k])) snprintf(ends[k], 4400, "%s", spec[k]);
    else snprintf(ends[k], 4400, "%s:%d", path, row++);
  }
  free(z);
  cli_inputs_free(&in);
  df_model_unload(&m);
  if (s) return cli_fail("interpolate", s, "cannot encode the ends");
  fprintf(stderr, "drumforge interpolate: encoded %d sound(s) to %s\n", n, path);
  return CLI_OK;
}

int cmd_interpolate(int argc, char **argv) {
  enum { OPT_RUN = 256, OPT_FROM, OPT_TO, OPT_STEPS, OPT_SLERP, OPT_CLASS, OPT_OUT, OPT_FORMAT, OPT_BITS,
         OPT_OVERWRITE, OPT_NO_TRIM, OPT_DEVICE, OPT_QUIET };
  static const struct option opts[] = {
      {"run", required_argument, 0, OPT_RUN},       {"checkpoint", required_argument, 0, OPT_RUN},
      {"from", required_argument, 0, OPT_FROM},     {"to", required_argument, 0, OPT_TO},
      {"steps", required_argument, 0, OPT_STEPS},   {"slerp", no_argument, 0, OPT_SLERP},
      {"class", required_argument, 0, OPT_CLASS},   {"out", required_argument, 0, OPT_OUT},
      {"format", required_argument, 0, OPT_FORMAT}, {"bits", required_argument, 0, OPT_BITS},
      {"overwrite", no_argument, 0, OPT_OVERWRITE}, {"no-trim", no_argument, 0, OPT_NO_TRIM},
      {"device", required_argument, 0, OPT_DEVICE}, {"quiet", no_argument, 0, OPT_QUIET},
      {"help", no_argument, 0, 'h'},                {0, 0, 0, 0}};
  const char *model_path = NULL, *spec[2] = {NULL, NULL}, *steps = "8", *classes = NULL, *out_dir = "interpolation";
  const char *format = NULL, *bits = NULL, *device = "auto";
  int slerp = 0, overwrite = 0, trim = 1, quiet = 0, c, rc = CLI_OK;
  long v;
  optind = 1;
  while (rc == CLI_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case OPT_RUN:
        if (model_path) rc = cli_usage_error("interpolate", "give one of --run and --checkpoint");
        model_path = optarg;
        break;
      case OPT_FROM: spec[0] = optarg; break;
      case OPT_TO: spec[1] = optarg; break;
      case OPT_STEPS:
        rc = cli_parse_long("interpolate", "--steps", optarg, 2, 1000000, &v);
        steps = optarg;
        break;
      case OPT_SLERP: slerp = 1; break;
      case OPT_CLASS: classes = optarg; break;
      case OPT_OUT: out_dir = optarg; break;
      case OPT_FORMAT: format = optarg; break;
      case OPT_BITS: bits = optarg; break;
      case OPT_OVERWRITE: overwrite = 1; break;
      case OPT_NO_TRIM: trim = 0; break;
      case OPT_DEVICE: device = optarg; break;
      case OPT_QUIET: quiet = 1; break;
      case 'h': usage(stdout); return CLI_OK;
      default: rc = cli_option_error("interpolate", argv, "h", opts); break;
    }
  }
  if (rc == CLI_OK && optind < argc) rc = cli_usage_error("interpolate", "unexpected argument '%s'", argv[optind]);
  if (rc == CLI_OK && !model_path) rc = cli_usage_error("interpolate", "--run DIR or --checkpoint FILE is required");
  if (rc == CLI_OK && (!spec[0] || !spec[1])) rc = cli_usage_error("interpolate", "--from A and --to B are required");
  if (rc == CLI_OK && classes && (!is_latent_spec(spec[0]) || !is_latent_spec(spec[1]))) rc = check_one_class(classes);
  if (rc != CLI_OK) return rc;
  char ends[2][4400], checkpoint[4200];
  /* The walk: generate --interpolate, from the checkpoint the ends were encoded with. Its
   * arguments are checked first (audio ends stand in as seed 0), so a bad one is refused
   * before anything is encoded or written. */
  const char *gen[32] = {"generate", "--checkpoint", checkpoint, "--interpolate", ends[0], ends[1], "--steps", steps,
                         "--out", out_dir, "--device", device};
  int n = 12;
  if (classes) gen[n++] = "--class", gen[n++] = classes;
  if (slerp) gen[n++] = "--slerp";
  if (format) gen[n++] = "--format", gen[n++] = format;
  if (bits) gen[n++] = "--bits", gen[n++] = bits;
  if (overwrite) gen[n++] = "--overwrite";
  if (quiet) gen[n++] = "--quiet";
  gen[n] = NULL;
  for (int k = 0; k < 2; k++) snprintf(ends[k], sizeof ends[k], "%s", is_latent_spec(spec[k]) ? spec[k] : "0");
  snprintf(checkpoint, sizeof checkpoint, "%s", model_path);
  rc = cli_generate("interpolate", n, (char **)gen, 1);
  if (rc != CLI_OK) return rc;
  if (!is_latent_spec(spec[0]) || !is_latent_spec(spec[1])) {
    /* Refuse what the walk would be refused (an earlier walk without --overwrite, files named
     * like generated ones, another run writing there) before endpoints.npy is written: it
     * would replace the one an earlier walk's manifest refers to, or be left behind. */
    if (df_generate_check_out_dir(out_dir, overwrite) != DF_OK)
      return cli_usage_error("interpolate", "%s", df_last_error());
    rc = check_ends_file(spec, out_dir);
    if (rc != CLI_OK) return rc;
    df_device dev;
    rc = cli_select_device("interpolate", device, &dev);
    if (rc != CLI_OK) return rc;
    gen[11] = dev == DF_DEVICE_CUDA ? "cuda" : "cpu"; /* generate needs no second notice */
    rc = encode_ends(model_path, dev, classes, trim, out_dir, spec, ends, checkpoint, sizeof checkpoint);
    if (rc != CLI_OK) return rc;
  }
  return cli_generate("interpolate", n, (char **)gen, 0);
}
