/* drumforge generate: one-shots and loops from a checkpoint, streamed to disk with a
 * manifest (include/drumforge/generate.h). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "drumforge/generate.h"
#include "drumforge/npy.h"
#include "drumforge/postfx.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: drumforge generate (--run DIR | --checkpoint FILE) [options]\n\n"
          "Generates sounds from a trained model into a folder, with manifest.jsonl listing every\n"
          "file with its class, seed, position and latent. File k of a class is at position\n"
          "start + k; its latent comes from (seed, position) alone, so any sound can be made again\n"
          "on its own (--start P --count 1). Ctrl-C stops after the sounds already decoded are\n"
          "written: every file is complete and listed.\n\n"
          "what to generate:\n"
          "  --run DIR             the newest valid checkpoint of a run folder\n"
          "  --checkpoint FILE     a checkpoint (also from drumforge import)\n"
          "  --class LIST          conditional models: classes, e.g. kick,snare,hh_closed, or all\n"
          "                        (default all)\n"
          "  --count N             files per class (default 16; with --latents or --interpolate:\n"
          "                        the rest of the rows or steps)\n"
          "  --seed S              latent stream (default 0)\n"
          "  --start P             position of the first file (default 0)\n"
          "  --truncation T        narrow the prior, in (0, 1] (default 1)\n"
          "  --latents FILE.npy    use these latents: row P for position P ([rows, latent_dim])\n"
          "  --save-latents        also write latents.npy: one row per decoded sound, in file order\n"
          "  --interpolate A B     walk from A to B, each SEED[:POSITION] or FILE.npy[:ROW]\n"
          "  --steps K             steps of the walk, ends included (default 8)\n"
          "  --slerp               spherical instead of linear interpolation\n"
          "loops tiled from generated bars:\n"
          "  --tile PATTERN        bars by letter A-Z, e.g. AAAB, AABB, ABAB (B, C, ...: variations of A)\n"
          "  --bpm BPM             tempo: every bar is round(240 / BPM * rate) frames (default 120)\n"
          "  --bars N              loop length in bars (default: the pattern's length; it repeats or\n"
          "                        is cut, every letter still playing)\n"
          "  --variation V         how far bars B, C, ... move from A, in [0, 1] (default 0.25)\n"
          "output:\n"
          "  --out DIR             folder (default generated)\n"
          "  --format wav|flac     (default wav)\n"
          "  --bits 16|24|float    sample format (default 16; float is WAV only)\n"
          "  --rate HZ             resample to this rate, e.g. 44100 or 48000 (default: the model's)\n"
          "  --overwrite           replace the generation run in that folder: the files its manifest\n"
          "                        lists that this run does not write again are deleted\n"
          "post-processing (in this order):\n"
          "  --lowpass F           zero-phase Butterworth low-pass at F x Nyquist, F in [1e-6, 1)\n"
          "  --lowpass-order N     its order, 1..16 (default 4)\n"
          "  --smooth N            moving average over N samples (odd)\n"
          "  --trim DB             cut trailing silence below DB dBFS (e.g. -60) ...\n"
          "  --fade MS             ... ending in a fade of MS milliseconds (default 10)\n"
          "  --peak DB             normalise the peak to DB dBFS (e.g. -1)\n"
          "  --loudness DB         normalise the RMS level to DB dBFS (e.g. -18; the peak stays <= 0 dBFS)\n"
          "running:\n"
          "  --batch B             sounds decoded at once (default 256 on a GPU, 32 on the CPU)\n"
          "  --fast-batches        CPU: decode whole batches at once, about 20 %% faster; a sound's last\n"
          "                        bits then depend on --batch and its place in the batch\n"
          "  --workers N           threads that post-process and write (default: one per CPU)\n"
          "  --device auto|cpu|cuda   (default auto)\n"
          "  --strict-fp32         GPU: no TF32 tensor-core math\n"
          "  --quiet               no progress bar\n"
          "  -h, --help            this help\n");
}

/* ---------------------------------------------------------------- Ctrl-C */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  if (stop_requested) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
  stop_requested = 1;
}

/* ---------------------------------------------------------------- progress */
static void on_progress(void *ctx, const df_generate_progress *p) {
  cli_progress *ps = ctx;
  int last = p->done == p->total;
  if ((p->done == 0 && !last) || !cli_progress_due(ps, last)) return;
  double rate = p->seconds > 0 ? (double)p->done / p->seconds : 0;
  double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
  enum { WIDTH = 30 };
  char bar[WIDTH + 1];
  int fill = p->total ? (int)(WIDTH * p->done / p->total) : 0;
  for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '=' : ' ';
  bar[WIDTH] = '\0';
  char line[256];
  snprintf(line, sizeof line, "[%s] %lld/%lld files  %.1f sounds/s  ETA %dm%02ds", bar, (long long)p->done,
           (long long)p->total, rate, (int)(eta / 60), (int)eta % 60);
  cli_progress_print(ps, line, last);
}

/* ---------------------------------------------------------------- arguments */
/* A non-negative decimal integer at the start of text (no sign or space) up to max; *end
 * after it. 0 when there is none or it is larger (strtoull clamps and wraps "-1"). */
static int read_uint(const char *text, unsigned long long max, char **end, unsigned long long *v) {
  if (!isdigit((unsigned char)text[0])) return 0;
  errno = 0;
  *v = strtoull(text, end, 10);
  return errno == 0 && *v <= max;
}

/* A class list names each class once: a repeated class would make each of its files twice. */
static int check_class_list(const char *cmd, const char *list) {
  if (!list || !strcasecmp(list, "all")) return CLI_OK;
  char names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  int n;
  if (df_parse_class_list(list, names, DF_MAX_CLASSES, &n) != DF_OK) return cli_usage_error(cmd, "%s", df_last_error());
  int repeat = df_class_list_repeat((const char(*)[DF_CLASS_NAME_LEN])names, n);
  if (repeat >= 0) return cli_usage_error(cmd, "--class %s names '%s' twice", list, names[repeat]);
  return CLI_OK;
}

/* Class ids from "kick,snare" or "all" (the classes the model learned). */
static df_status parse_classes(const df_loaded_model *m, const char *list, int32_t *ids, int *n) {
  if (!list || !strcasecmp(list, "all")) {
    *n = df_trained_class_ids(m->type->n_classes(m->model), df_model_class_examples(m), ids);
    return DF_OK;
  }
  char names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  DF_TRY(df_parse_class_list(list, names, DF_MAX_CLASSES, n));
  for (int i = 0; i < *n; i++) DF_TRY(df_model_class_id(m, names[i], &ids[i]));
  return DF_OK;
}

/* A latents file whose rows fit the model. */
static df_status read_latents(const df_loaded_model *m, const char *path, float **rows, int64_t *n) {
  int64_t cols;
  DF_TRY(df_npy_read_f32(path, rows, n, &cols));
  int dim = m->type->latent_dim(m->model);
  if (cols != dim) {
    free(*rows);
    *rows = NULL;
    return DF_FAIL(DF_ERR_FORMAT, "%s: latents of %lld values per row, but the model's latents have %d", path,
                   (long long)cols, dim);
  }
  return DF_OK;
}

/* Latents from files that lie far outside the prior (some |z| beyond 10 times its scale)
 * decode to saturated audio; extrapolating is legitimate, so they get a note, not a refusal. */
typedef struct far_latents {
  int64_t read, far; /* rows used, and those far out */
  float limit;
} far_latents;

static void count_far_latents(const df_loaded_model *m, const float *rows, int64_t n, far_latents *f) {
  /* A model without a prior (the plain autoencoder) has no range its latents should keep to. */
  if (!m->type->prior_scale || !(m->type->prior_scale(m->model) > 0.0f)) return;
  const int dim = m->type->latent_dim(m->model);
  f->limit = 10.0f * m->type->prior_scale(m->model);
  for (int64_t i = 0; i < n; i++) {
    int j = 0;
    while (j < dim && fabsf(rows[i * dim + j]) <= f->limit) j++;
    f->far += j < dim;
  }
  f->read += n;
}

/* One end of an interpolation as written: "FILE.npy[:ROW]" or "SEED[:POSITION]". */
typedef struct latent_end {
  char path[4096];         /* "" for a seed */
  unsigned long long seed;
  long long index;         /* the row, or the position */
} latent_end;

static df_status parse_end(const char *spec, latent_end *e) {
  memset(e, 0, sizeof *e);
  const size_t file_len = df_npy_spec_file_len(spec);
  char *end = NULL;
  unsigned long long v = 0;
  int ok = 1;
  if (file_len) {
    end = (char *)spec + file_len;
    ok = file_len < sizeof e->path;
    snprintf(e->path, sizeof e->path, "%.*s", (int)file_len, spec);
  } else {
    ok = read_uint(spec, ULLONG_MAX, &end, &e->seed);
  }
  if (ok && *end == ':') {
    ok = read_uint(end + 1, file_len ? INT64_MAX : 1000000000000ULL, &end, &v);
    e->index = (long long)v;
  }
  if (!ok || *end)
    return DF_FAIL(DF_ERR_INVALID_ARG, "interpolation end '%s': use SEED[:POSITION] or FILE.npy[:ROW] (position up to "
                   "10^12)", spec);
  return DF_OK;
}

/* The latent of an interpolation end. */
static df_status end_latent(const df_loaded_model *m, const latent_end *e, float truncation, float *out,
                            far_latents *far) {
  const int dim = m->type->latent_dim(m->model);
  if (e->path[0]) {
    float *rows;
    int64_t n;
    DF_TRY(read_latents(m, e->path, &rows, &n));
    if (e->index >= n) {
      free(rows);
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: no row %lld (it has %lld)", e->path, e->index, (long long)n);
    }
    memcpy(out, rows + (size_t)e->index * dim, sizeof(float) * (size_t)dim);
    free(rows);
    count_far_latents(m, out, 1, far);
    return DF_OK;
  }
  df_tensor z;
  DF_TRY(df_tensor_new(&z, m->device, "interpolation end", 1, dim));
  df_status s = df_generate_seed_latents(m, e->seed, e->index, truncation, &z);
  if (!s) s = df_tensor_to_host(&z, out, dim);
  df_tensor_free(&z);
  return s;
}

enum {
  OPT_RUN = 256, OPT_CKPT, OPT_CLASS, OPT_COUNT, OPT_SEED, OPT_START, OPT_TRUNC, OPT_LATENTS, OPT_SAVE,
  OPT_INTERP, OPT_STEPS, OPT_SLERP, OPT_TILE, OPT_BPM, OPT_BARS, OPT_VARIATION, OPT_OUT, OPT_FORMAT,
  OPT_BITS, OPT_RATE, OPT_OVERWRITE, OPT_LOWPASS, OPT_ORDER, OPT_SMOOTH, OPT_TRIM, OPT_FADE, OPT_PEAK,
  OPT_LOUD, OPT_BATCH, OPT_FAST, OPT_WORKERS, OPT_DEVICE, OPT_STRICT, OPT_QUIET
};

int cmd_generate(int argc, char **argv) { return cli_generate("generate", argc, argv, 0); }

int cli_generate(const char *cmd, int argc, char **argv, int check_only) {
  static const struct option opts[] = {
      {"run", required_argument, 0, OPT_RUN},         {"checkpoint", required_argument, 0, OPT_CKPT},
      {"class", required_argument, 0, OPT_CLASS},     {"count", required_argument, 0, OPT_COUNT},
      {"seed", required_argument, 0, OPT_SEED},       {"start", required_argument, 0, OPT_START},
      {"truncation", required_argument, 0, OPT_TRUNC}, {"latents", required_argument, 0, OPT_LATENTS},
      {"save-latents", no_argument, 0, OPT_SAVE},     {"interpolate", required_argument, 0, OPT_INTERP},
      {"steps", required_argument, 0, OPT_STEPS},     {"slerp", no_argument, 0, OPT_SLERP},
      {"tile", required_argument, 0, OPT_TILE},       {"bpm", required_argument, 0, OPT_BPM},
      {"bars", required_argument, 0, OPT_BARS},       {"variation", required_argument, 0, OPT_VARIATION},
      {"out", required_argument, 0, OPT_OUT},         {"format", required_argument, 0, OPT_FORMAT},
      {"bits", required_argument, 0, OPT_BITS},       {"rate", required_argument, 0, OPT_RATE},
      {"overwrite", no_argument, 0, OPT_OVERWRITE},   {"lowpass", required_argument, 0, OPT_LOWPASS},
      {"lowpass-order", required_argument, 0, OPT_ORDER}, {"smooth", required_argument, 0, OPT_SMOOTH},
      {"trim", required_argument, 0, OPT_TRIM},       {"fade", required_argument, 0, OPT_FADE},
      {"peak", required_argument, 0, OPT_PEAK},       {"loudness", required_argument, 0, OPT_LOUD},
      {"batch", required_argument, 0, OPT_BATCH},     {"workers", required_argument, 0, OPT_WORKERS},
      {"device", required_argument, 0, OPT_DEVICE},   {"strict-fp32", no_argument, 0, OPT_STRICT},
      {"quiet", no_argument, 0, OPT_QUIET},           {"help", no_argument, 0, 'h'},
      {"fast-batches", no_argument, 0, OPT_FAST},
      {0, 0, 0, 0}};
  const char *model_path = NULL, *classes = NULL, *latents_path = NULL, *interp[2] = {NULL, NULL};
  const char *device = "auto";
  long count = -1, start = 0, steps = 8, batch = 0, workers = 0, bits_rate = 0, v;
  unsigned long long seed = 0;
  df_generate_options o = {0};
  o.out_dir = "generated";
  o.truncation = 1.0f;
  o.format = "wav";
  o.encoding = DF_AUDIO_PCM16;
  o.post.lowpass_order = 4;
  o.post.fade_ms = 10.0;
  o.tile.bpm = 120.0;
  o.tile.variation = 0.25f;
  cli_progress ps;
  cli_progress_init(&ps, 0);
  /* Options that only shape another one: given alone they would be ignored without a word. */
  static const struct {
    int opt, needs;
    const char *name, *needed;
  } shaping[] = {{OPT_BPM, OPT_TILE, "--bpm", "--tile"},         {OPT_BARS, OPT_TILE, "--bars", "--tile"},
                 {OPT_VARIATION, OPT_TILE, "--variation", "--tile"}, {OPT_STEPS, OPT_INTERP, "--steps", "--interpolate"},
                 {OPT_SLERP, OPT_INTERP, "--slerp", "--interpolate"}, {OPT_ORDER, OPT_LOWPASS, "--lowpass-order", "--lowpass"},
                 {OPT_FADE, OPT_TRIM, "--fade", "--trim or --tile"}};
  int given[OPT_QUIET + 1] = {0};
  int c, rc = CLI_OK;
  optind = 1;
  while (rc == CLI_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c >= OPT_RUN && c <= OPT_QUIET) given[c] = 1;
    switch (c) {
      case OPT_RUN:
      case OPT_CKPT:
        if (model_path) rc = cli_usage_error(cmd, "give one of --run and --checkpoint");
        model_path = optarg;
        break;
      case OPT_CLASS: classes = optarg; break;
      case OPT_COUNT: rc = cli_parse_long(cmd, "--count", optarg, 1, 1000000000L, &count); break;
      case OPT_SEED: {
        char *end;
        if (!read_uint(optarg, ULLONG_MAX, &end, &seed) || *end)
          rc = cli_usage_error(cmd, "--seed needs an integer in [0, %llu], got '%s'", ULLONG_MAX, optarg);
        break;
      }
      case OPT_START: rc = cli_parse_long(cmd, "--start", optarg, 0, 1000000000000L, &start); break;
      case OPT_TRUNC: rc = cli_parse_float(cmd, "--truncation", optarg, &o.truncation); break;
      case OPT_LATENTS: latents_path = optarg; break;
      case OPT_SAVE: o.save_latents = 1; break;
      case OPT_INTERP:
        /* "--interpolate 3 --out x" would take --out for B and x for a stray argument. */
        if (optind >= argc || (argv[optind][0] == '-' && argv[optind][1] == '-')) {
          rc = cli_usage_error(cmd, "--interpolate needs two ends: A B, each SEED[:POSITION] or FILE.npy[:ROW]");
          break;
        }
        interp[0] = optarg;
        interp[1] = argv[optind++];
        break;
      case OPT_STEPS: rc = cli_parse_long(cmd, "--steps", optarg, 2, 1000000, &steps); break;
      case OPT_SLERP: o.slerp = 1; break;
      case OPT_TILE:
        /* The library reads "" as no tiling: here it would drop --bpm and --bars silently. */
        if (!optarg[0]) rc = cli_usage_error(cmd, "--tile needs a pattern, e.g. AAAB");
        o.tile.pattern = optarg;
        break;
      case OPT_BPM: rc = cli_parse_double(cmd, "--bpm", optarg, &o.tile.bpm); break;
      case OPT_BARS:
        rc = cli_parse_long(cmd, "--bars", optarg, 1, 1024, &v);
        o.tile.bars = (int)v;
        break;
      case OPT_VARIATION: rc = cli_parse_float(cmd, "--variation", optarg, &o.tile.variation); break;
      case OPT_OUT: o.out_dir = optarg; break;
      case OPT_FORMAT: o.format = optarg; break;
      case OPT_BITS:
        if (df_parse_audio_encoding(optarg, &o.encoding) != DF_OK) rc = cli_usage_error(cmd, "%s", df_last_error());
        break;
      case OPT_RATE:
        rc = cli_parse_long(cmd, "--rate", optarg, 4000, 384000, &bits_rate);
        o.rate = (int)bits_rate;
        break;
      case OPT_OVERWRITE: o.overwrite = 1; break;
      case OPT_LOWPASS:
        rc = cli_parse_double(cmd, "--lowpass", optarg, &o.post.lowpass);
        if (rc == CLI_OK && !(o.post.lowpass > 0 && o.post.lowpass < 1))
          rc = cli_usage_error(cmd, "--lowpass is a fraction of Nyquist in [1e-6, 1), got '%s'", optarg);
        break;
      case OPT_ORDER:
        rc = cli_parse_long(cmd, "--lowpass-order", optarg, 1, DF_BUTTER_MAX_ORDER, &v);
        o.post.lowpass_order = (int)v;
        break;
      case OPT_SMOOTH:
        rc = cli_parse_long(cmd, "--smooth", optarg, 1, 100001, &v);
        o.post.smooth = (int)v;
        if (rc == CLI_OK && v % 2 == 0) rc = cli_usage_error(cmd, "--smooth needs an odd window, got %ld", v);
        break;
      case OPT_TRIM:
        rc = cli_parse_double(cmd, "--trim", optarg, &o.post.trim_db);
        o.post.trim = 1;
        break;
      case OPT_FADE: rc = cli_parse_double(cmd, "--fade", optarg, &o.post.fade_ms); break;
      case OPT_PEAK:
      case OPT_LOUD:
        if (o.post.normalize != DF_NORMALIZE_NONE) rc = cli_usage_error(cmd, "give one of --peak and --loudness");
        if (rc == CLI_OK) rc = cli_parse_double(cmd, c == OPT_PEAK ? "--peak" : "--loudness", optarg, &o.post.normalize_db);
        o.post.normalize = c == OPT_PEAK ? DF_NORMALIZE_PEAK : DF_NORMALIZE_RMS;
        break;
      case OPT_BATCH: rc = cli_parse_long(cmd, "--batch", optarg, 1, 65536, &batch); break;
      case OPT_FAST: o.fast_batches = 1; break;
      case OPT_WORKERS: rc = cli_parse_long(cmd, "--workers", optarg, 1, 256, &workers); break;
      case OPT_DEVICE: device = optarg; break;
      case OPT_STRICT: df_set_strict_fp32(1); break;
      case OPT_QUIET: ps.quiet = 1; break;
      case 'h': usage(stdout); return CLI_OK;
      default: rc = cli_option_error(cmd, argv, "h", opts); break;
    }
  }
  if (rc != CLI_OK) return rc;
  if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
  for (size_t k = 0; k < sizeof shaping / sizeof shaping[0]; k++)
    if (given[shaping[k].opt] && !given[shaping[k].needs] && !(shaping[k].opt == OPT_FADE && given[OPT_TILE]))
      return cli_usage_error(cmd, "%s needs %s", shaping[k].name, shaping[k].needed);
  if (!model_path) return cli_usage_error(cmd, "--run DIR or --checkpoint FILE is required");
  if (latents_path && interp[0]) return cli_usage_error(cmd, "give one of --latents and --interpolate");
  /* Everything that needs no model is refused as a usage error before it loads. */
  if (df_generate_check_settings(&o) != DF_OK) return cli_usage_error(cmd, "%s", df_last_error());
  /* It moves bars B, C, ... only: a pattern of A alone would ignore it silently. */
  if (given[OPT_VARIATION] && !strchr(o.tile.pattern, 'B'))
    return cli_usage_error(cmd, "--variation moves bars B, C, ... away from A: the pattern '%s' has only A",
                           o.tile.pattern);
  rc = check_class_list(cmd, classes);
  if (rc != CLI_OK) return rc;
  latent_end ends_at[2];
  for (int k = 0; interp[0] && k < 2; k++)
    if (parse_end(interp[k], &ends_at[k]) != DF_OK) return cli_usage_error(cmd, "%s", df_last_error());
  if (check_only) return CLI_OK;

  df_device dev;
  rc = cli_select_device(cmd, device, &dev);
  if (rc != CLI_OK) return rc;
  df_loaded_model m;
  df_status s = df_model_load(model_path, dev, &m);
  if (s) return cli_fail(cmd, s, "cannot load the model");
  int32_t class_ids[DF_MAX_CLASSES];
  float *rows = NULL, *ends = NULL;
  far_latents far = {0};
  const int dim = m.type->latent_dim(m.model);
  if (m.type->n_classes(m.model) > 0) s = parse_classes(&m, classes, class_ids, &o.n_classes);
  else if (classes && strcasecmp(classes, "all"))
    s = DF_FAIL(DF_ERR_INVALID_ARG, "%s: --class %s: this model is not conditional", m.checkpoint, classes);
  o.model = &m;
  o.classes = class_ids;
  o.seed = seed;
  o.start = start;
  o.batch = batch ? (int)batch : dev == DF_DEVICE_CUDA ? 256 : 32;
  o.workers = (int)workers;
  o.count = count > 0 ? count : 16;
  if (!s && latents_path) {
    s = read_latents(&m, latents_path, &rows, &o.n_rows);
    o.source = DF_LATENTS_ROWS;
    o.rows = rows;
    o.rows_origin = latents_path;
    if (!s && count < 0) o.count = o.n_rows - start > 0 ? o.n_rows - start : 1;
    if (!s && start + o.count <= o.n_rows) count_far_latents(&m, rows + (size_t)start * dim, o.count, &far);
  } else if (!s && interp[0]) {
    ends = malloc(sizeof(float) * 2 * (size_t)dim);
    s = ends ? end_latent(&m, &ends_at[0], o.truncation, ends, &far) : DF_FAIL(DF_ERR_OOM, "latents");
    if (!s) s = end_latent(&m, &ends_at[1], o.truncation, ends + dim, &far);
    o.source = DF_LATENTS_INTERPOLATE;
    o.interp_a = ends;
    o.interp_b = ends + dim;
    o.interp_a_origin = interp[0];
    o.interp_b_origin = interp[1];
    o.steps = steps;
    if (count < 0) o.count = steps - start > 0 ? steps - start : 1;
  }
  o.progress = on_progress;
  o.ctx = &ps;
  o.stop = &stop_requested;

  df_generate_result res;
  if (!s) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    s = df_generate(&o, &res);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
  }
  free(rows);
  free(ends);
  df_model_unload(&m);
  if (s) cli_progress_clear(&ps);
  if ((s == DF_OK || s == DF_ERR_INTERRUPTED) && res.clipped)
    fprintf(stderr, "drumforge %s: note: %lld of the %lld files went above full scale (up to %+.1f dBFS) and their "
            "%s samples are clipped (\"clipped\" in %s); --peak -1 or --bits float keeps them whole\n", cmd,
            (long long)res.clipped, (long long)res.files, 20.0 * log10(res.clipped_peak),
            o.encoding == DF_AUDIO_PCM24 ? "24-bit" : "16-bit", res.manifest);
  if (s == DF_ERR_INTERRUPTED) {
    fprintf(stderr, "drumforge %s: interrupted: %s\n", cmd, df_last_error());
    return 130;
  }
  if (s) {
    fprintf(stderr, "drumforge %s: %s\n", cmd, df_last_error());
    return CLI_FAILED;
  }
  if (res.unlisted)
    fprintf(stderr, "drumforge %s: note: %s holds %lld file%s named like generated ones that %s does not list "
            "(left by a killed run?); kept\n", cmd, o.out_dir, (long long)res.unlisted, res.unlisted == 1 ? "" : "s",
            DF_GENERATE_MANIFEST);
  if (far.far)
    fprintf(stderr, "drumforge %s: note: %lld of the %lld latents read from %s have values beyond +-%g (10 times the "
            "model's prior scale): expect saturated audio\n", cmd, (long long)far.far, (long long)far.read,
            latents_path ? latents_path : "the interpolation ends' files", far.limit);
  printf("wrote %lld file%s to %s (manifest: %s%s%s)\n", (long long)res.files, res.files == 1 ? "" : "s", o.out_dir, res.manifest,
         res.latents[0] ? ", latents: " : "", res.latents);
  return CLI_OK;
}
