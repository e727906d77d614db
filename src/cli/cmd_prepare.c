/* drumforge prepare: audio folders, Hydrogen kits or the built-in default into a dataset. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/default_kits.h"

static void usage(FILE *f) {
  fprintf(f,
"usage: drumforge prepare --input DIR [--input DIR ...] --out DIR [OPTIONS]\n"
"       drumforge prepare --default [--out DIR] [OPTIONS]\n"
"\n"
"Turns folders of drum samples (any format libsndfile reads; Hydrogen kits through their\n"
"drumkit.xml) into a dataset of HDF5 shards plus manifest.json. Bad files are reported in\n"
"the manifest and skipped; the exit status is non-zero only when nothing usable was found\n"
"or writing failed, and then an earlier dataset in --out is left as it was.\n"
"\n"
"inputs and output:\n"
"  -i, --input PATH        a folder (or file) of audio; repeat for several. Labels come from\n"
"                          the first subfolder (bank/instrument/file.wav) or a kit's drumkit.xml\n"
"      --default           the built-in dataset: Debian's Hydrogen drum kits (installs the\n"
"                          hydrogen-drumkits and hydrogen-data packages with apt-get if missing)\n"
"      --kits-dir DIR      where --default finds the kits (%s)\n"
"  -o, --out DIR           the dataset folder (with --default: %s)\n"
"\n"
"audio:\n"
"      --rate HZ           sample rate, e.g. 16000 (default), 14700, 22050, 44100, 48000\n"
"      --length N          samples per example: 16384 (default), 32768, 65536; loops: N or auto\n"
"      --channels 1|2      mix down to mono (default) or keep stereo\n"
"      --trim-db DB        cut leading silence below DB dBFS (default -60)\n"
"      --no-trim           keep leading silence\n"
"      --silence-db DB     reject files whose peak is below DB dBFS (default -60)\n"
"      --normalize PEAK    scale each example to this peak, e.g. 0.99 (default: off)\n"
"      --max-seconds S     reject longer files (default 600)\n"
"      --dtype T           float32 (default) or int16 (half the size, with a scale)\n"
"\n"
"slicing (default: one example per file, the first LENGTH samples, zero-padded):\n"
"      --hop N             long files: an example every N samples\n"
"      --bpm BPM           the inputs are loops at BPM: an example every --bars bars\n"
"      --bars N            bars per example with --bpm (default 1)\n"
"\n"
"labels and splits:\n"
"      --labels MODE       map (default: names through the class table), folder (each\n"
"                          first-level folder is a class) or none\n"
"      --classes FILE      the class table (default %s/drum_classes.tsv)\n"
"      --split-by MODE     auto (default: whole kits for Hydrogen kits, files otherwise),\n"
"                          kit (whole kits or folders) or file\n"
"      --split T,V,T       train/validation/test shares (default 80,10,10)\n"
"      --seed N            seed for splits, augmentation and loops (default 0)\n"
"      --keep-duplicates   keep files whose audio is identical to an earlier file\n"
"\n"
"augmentation (training split only):\n"
"      --augment N         N extra copies of each example (default 0)\n"
"      --aug-snr DB        white noise this far below the sound (default 30)\n"
"      --aug-gain-db DB    random gain within +-DB (default 3)\n"
"      --aug-shift N       random time shift within +-N samples (default 160)\n"
"\n"
"loops (sequence the inputs' one-shots into drum loops instead of storing them):\n"
"      --loops N           render N loops in all\n"
"      --loop-bpm LO[:HI]  tempo, or a range drawn per loop (default 120:125)\n"
"      --loop-bars 1|2     bars per loop (default 1)\n"
"      --loop-tracks LIST  classes to play (default kick,snare,hh_closed,hh_open; add\n"
"                          tom,crash,ride,perc for fuller grooves)\n"
"      --patterns FILE     the pattern table (default %s/loop_patterns.tsv)\n"
"      --humanize-ms MS    move each hit by up to +-MS milliseconds (default 0)\n"
"                          (at most half a 16th step: 7500/BPM ms at the fastest tempo)\n"
"      --velocity-jitter F scale each hit's gain by 1+-F (default 0)\n"
"\n"
"other:\n"
"      --shard-size N      examples per shard file (default: about 128 MiB of audio)\n"
"  -q, --quiet             no progress lines\n"
"  -h, --help              show this help\n"
"\n"
"examples:\n"
"  drumforge prepare --default\n"
"  drumforge prepare --input ~/samples/bank --out datasets/bank --rate 22050 --length 32768\n"
"  drumforge prepare --default --out datasets/beatgan_loops --rate 14700 --loops 5000 \\\n"
"                    --loop-bpm 120:125 --augment 5\n",
          DF_DEFAULT_KITS_DIR, DF_DEFAULT_DATASET_DIR, df_data_dir(), df_data_dir());
}

enum {
  OPT_DEFAULT = 256, OPT_KITS_DIR, OPT_RATE, OPT_LENGTH, OPT_CHANNELS, OPT_TRIM_DB, OPT_NO_TRIM,
  OPT_SILENCE_DB, OPT_NORMALIZE, OPT_MAX_SECONDS, OPT_DTYPE, OPT_HOP, OPT_BPM, OPT_BARS,
  OPT_LABELS, OPT_CLASSES, OPT_SPLIT_BY, OPT_SPLIT, OPT_SEED, OPT_KEEP_DUP, OPT_AUGMENT,
  OPT_AUG_SNR, OPT_AUG_GAIN, OPT_AUG_SHIFT, OPT_LOOPS, OPT_LOOP_BPM, OPT_LOOP_BARS,
  OPT_LOOP_TRACKS, OPT_PATTERNS, OPT_HUMANIZE, OPT_VEL_JITTER, OPT_SHARD_SIZE
};

static const struct option options[] = {
    {"input", required_argument, 0, 'i'},      {"default", no_argument, 0, OPT_DEFAULT},
    {"kits-dir", required_argument, 0, OPT_KITS_DIR}, {"out", required_argument, 0, 'o'},
    {"rate", required_argument, 0, OPT_RATE},  {"length", required_argument, 0, OPT_LENGTH},
    {"channels", required_argument, 0, OPT_CHANNELS}, {"trim-db", required_argument, 0, OPT_TRIM_DB},
    {"no-trim", no_argument, 0, OPT_NO_TRIM},  {"silence-db", required_argument, 0, OPT_SILENCE_DB},
    {"normalize", required_argument, 0, OPT_NORMALIZE}, {"max-seconds", required_argument, 0, OPT_MAX_SECONDS},
    {"dtype", required_argument, 0, OPT_DTYPE}, {"hop", required_argument, 0, OPT_HOP},
    {"bpm", required_argument, 0, OPT_BPM},    {"bars", required_argument, 0, OPT_BARS},
    {"labels", required_argument, 0, OPT_LABELS}, {"classes", required_argument, 0, OPT_CLASSES},
    {"split-by", required_argument, 0, OPT_SPLIT_BY}, {"split", required_argument, 0, OPT_SPLIT},
    {"seed", required_argument, 0, OPT_SEED},  {"keep-duplicates", no_argument, 0, OPT_KEEP_DUP},
    {"augment", required_argument, 0, OPT_AUGMENT}, {"aug-snr", required_argument, 0, OPT_AUG_SNR},
    {"aug-gain-db", required_argument, 0, OPT_AUG_GAIN}, {"aug-shift", required_argument, 0, OPT_AUG_SHIFT},
    {"loops", required_argument, 0, OPT_LOOPS}, {"loop-bpm", required_argument, 0, OPT_LOOP_BPM},
    {"loop-bars", required_argument, 0, OPT_LOOP_BARS}, {"loop-tracks", required_argument, 0, OPT_LOOP_TRACKS},
    {"patterns", required_argument, 0, OPT_PATTERNS}, {"humanize-ms", required_argument, 0, OPT_HUMANIZE},
    {"velocity-jitter", required_argument, 0, OPT_VEL_JITTER}, {"shard-size", required_argument, 0, OPT_SHARD_SIZE},
    {"quiet", no_argument, 0, 'q'},            {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

/* "80,10,10" or "0.8,0.1,0.1". */
static int parse_split(const char *text, double out[DF_N_SPLITS]) {
  char *end;
  const char *p = text;
  for (int i = 0; i < DF_N_SPLITS; i++) {
    out[i] = strtod(p, &end);
    if (end == p || !(out[i] >= 0) || !isfinite(out[i]) || (i < DF_N_SPLITS - 1 ? *end != ',' : *end != '\0'))
      return cli_usage_error("prepare", "--split needs three shares like 80,10,10, got '%s'", text);
    p = end + 1;
  }
  return CLI_OK;
}

/* "120" or "120:125". */
static int parse_bpm_range(const char *text, double *lo, double *hi) {
  char *end;
  *lo = strtod(text, &end);
  *hi = *lo;
  if (*end == ':') *hi = strtod(end + 1, &end);
  if (end == text || *end || !(*lo > 0) || *hi < *lo)
    return cli_usage_error("prepare", "--loop-bpm needs BPM or LO:HI, got '%s'", text);
  return CLI_OK;
}

static int parse_double(const char *opt, const char *text, double *out) {
  float v;
  int rc = cli_parse_float("prepare", opt, text, &v);
  *out = v;
  return rc;
}

typedef struct progress_state {
  int quiet;
  int64_t last_tenth;
} progress_state;

static void show_progress(void *ctx, const char *stage, int64_t done, int64_t total) {
  progress_state *ps = ctx;
  if (ps->quiet) return;
  if (total > 0) {
    int64_t tenth = done * 10 / total;
    if (tenth == ps->last_tenth && done != total) return;
    ps->last_tenth = tenth;
    fprintf(stderr, "drumforge prepare: %lld/%lld %s\n", (long long)done, (long long)total, stage);
  } else if (done == 0) {
    fprintf(stderr, "drumforge prepare: %s\n", stage);
  }
}

static void print_result(const df_prepare_options *o, const df_prepare_result *r) {
  int64_t total = r->examples[0] + r->examples[1] + r->examples[2];
  printf("wrote %s: %lld examples (train %lld, validation %lld, test %lld) in %d shard%s\n", o->out_dir,
         (long long)total, (long long)r->examples[0], (long long)r->examples[1],
         (long long)r->examples[2], r->shards, r->shards == 1 ? "" : "s");
  printf("  %d Hz, %lld samples (%.2f s), %d channel%s, %s\n", o->rate, (long long)o->length,
         (double)o->length / o->rate, o->channels, o->channels == 1 ? "" : "s", o->int16 ? "int16" : "float32");
  printf("  files: %lld found, %lld used, %lld rejected, %lld skipped (reasons in %s/manifest.json)\n",
         (long long)r->files, (long long)r->used, (long long)r->rejected, (long long)r->skipped, o->out_dir);
  printf("  see the classes and splits with: drumforge inspect %s\n", o->out_dir);
  /* Few files split by a hash of their paths can leave a split empty: say so now rather than
   * when training finds no training shard. */
  for (int s = 0; s < DF_N_SPLITS; s++)
    if (o->split[s] > 0 && r->examples[s] == 0)
      printf("  note: the %s split is empty (its share is %g of %g; too few files or kits, try another --seed or --split)\n",
             df_split_name((df_split)s), o->split[s], o->split[0] + o->split[1] + o->split[2]);
}

int cmd_prepare(int argc, char **argv) {
  df_prepare_options o;
  df_prepare_defaults(&o);
  const char *inputs[256];
  int n_inputs = 0, use_default = 0, length_auto = 0, rc = CLI_OK;
  const char *loop_option = NULL; /* the last loop-only option given */
  const char *aug_option = NULL;  /* the last --aug-* option given */
  int bars_given = 0, trim_db_given = 0;
  const char *kits_dir = NULL;
  progress_state ps = {0, -1};
  long v;
  int c;
  optind = 1;
  while (rc == CLI_OK && (c = getopt_long(argc, argv, "i:o:qh", options, NULL)) != -1) {
    switch (c) {
      case 'h': usage(stdout); return CLI_OK;
      case 'i':
        if (n_inputs == 256) return cli_usage_error("prepare", "at most 256 --input folders");
        inputs[n_inputs++] = optarg;
        break;
      case 'o': o.out_dir = optarg; break;
      case 'q': ps.quiet = 1; break;
      case OPT_DEFAULT: use_default = 1; break;
      case OPT_KITS_DIR: kits_dir = optarg; break;
      case OPT_RATE: rc = cli_parse_long("prepare", "--rate", optarg, 4000, 384000, &v); o.rate = (int)v; break;
      case OPT_LENGTH:
        if (!strcmp(optarg, "auto")) length_auto = 1;
        else rc = cli_parse_long("prepare", "--length", optarg, 256, 1 << 22, &v), o.length = v;
        break;
      case OPT_CHANNELS: rc = cli_parse_long("prepare", "--channels", optarg, 1, 2, &v); o.channels = (int)v; break;
      case OPT_TRIM_DB: trim_db_given = 1; rc = parse_double("--trim-db", optarg, &o.trim_db); break;
      case OPT_NO_TRIM: o.trim = 0; break;
      case OPT_SILENCE_DB: rc = parse_double("--silence-db", optarg, &o.silence_db); break;
      case OPT_NORMALIZE: rc = parse_double("--normalize", optarg, &o.normalize_peak); break;
      case OPT_MAX_SECONDS: rc = parse_double("--max-seconds", optarg, &o.max_seconds); break;
      case OPT_DTYPE:
        if (!strcmp(optarg, "int16")) o.int16 = 1;
        else if (strcmp(optarg, "float32")) rc = cli_usage_error("prepare", "--dtype is float32 or int16, not '%s'", optarg);
        break;
      case OPT_HOP: rc = cli_parse_long("prepare", "--hop", optarg, 1, 1 << 22, &v); o.hop = v; break;
      case OPT_BPM: rc = parse_double("--bpm", optarg, &o.bpm); break;
      case OPT_BARS: bars_given = 1; rc = cli_parse_long("prepare", "--bars", optarg, 1, 64, &v); o.bars = (int)v; break;
      case OPT_LABELS:
        if (!strcmp(optarg, "map")) o.labels = DF_LABELS_MAP;
        else if (!strcmp(optarg, "folder")) o.labels = DF_LABELS_FOLDER;
        else if (!strcmp(optarg, "none")) o.labels = DF_LABELS_NONE;
        else rc = cli_usage_error("prepare", "--labels is map, folder or none, not '%s'", optarg);
        break;
      case OPT_CLASSES: o.class_table = optarg; break;
      case OPT_SPLIT_BY:
        if (!strcmp(optarg, "auto")) o.split_by = DF_SPLIT_BY_AUTO;
        else if (!strcmp(optarg, "kit")) o.split_by = DF_SPLIT_BY_KIT;
        else if (!strcmp(optarg, "file")) o.split_by = DF_SPLIT_BY_FILE;
        else rc = cli_usage_error("prepare", "--split-by is auto, kit or file, not '%s'", optarg);
        break;
      case OPT_SPLIT: rc = parse_split(optarg, o.split); break;
      case OPT_SEED: rc = cli_parse_long("prepare", "--seed", optarg, 0, 0x7fffffffL, &v); o.seed = (uint64_t)v; break;
      case OPT_KEEP_DUP: o.keep_duplicates = 1; break;
      case OPT_AUGMENT: rc = cli_parse_long("prepare", "--augment", optarg, 0, 1000, &v); o.augment = (int)v; break;
      case OPT_AUG_SNR: aug_option = "--aug-snr"; rc = parse_double("--aug-snr", optarg, &o.aug_snr_db); break;
      case OPT_AUG_GAIN: aug_option = "--aug-gain-db"; rc = parse_double("--aug-gain-db", optarg, &o.aug_gain_db); break;
      case OPT_AUG_SHIFT: aug_option = "--aug-shift"; rc = cli_parse_long("prepare", "--aug-shift", optarg, 0, 1 << 22, &v); o.aug_shift = v; break;
      case OPT_LOOPS: rc = cli_parse_long("prepare", "--loops", optarg, 1, 100000000L, &v); o.loops.count = v; break;
      case OPT_LOOP_BPM: loop_option = "--loop-bpm"; rc = parse_bpm_range(optarg, &o.loops.bpm_min, &o.loops.bpm_max); break;
      case OPT_LOOP_BARS: loop_option = "--loop-bars"; rc = cli_parse_long("prepare", "--loop-bars", optarg, 1, 2, &v); o.loops.bars = (int)v; break;
      case OPT_LOOP_TRACKS: loop_option = "--loop-tracks"; o.loops.tracks = optarg; break;
      case OPT_PATTERNS: loop_option = "--patterns"; o.loops.patterns = optarg; break;
      case OPT_HUMANIZE: loop_option = "--humanize-ms"; rc = parse_double("--humanize-ms", optarg, &o.loops.humanize_ms); break;
      case OPT_VEL_JITTER: loop_option = "--velocity-jitter"; rc = parse_double("--velocity-jitter", optarg, &o.loops.velocity_jitter); break;
      case OPT_SHARD_SIZE: rc = cli_parse_long("prepare", "--shard-size", optarg, 1, 1 << 24, &v); o.shard_examples = v; break;
      default: return cli_option_error("prepare", argv, "i:o:qh", options);
    }
  }
  if (rc != CLI_OK) return rc;
  if (optind < argc) return cli_usage_error("prepare", "unexpected argument '%s'", argv[optind]);
  /* A loop option without --loops would be ignored: the one-shots are stored as they are. */
  if (loop_option && o.loops.count <= 0) return cli_usage_error("prepare", "%s needs --loops", loop_option);
  /* Likewise (--bars with --loops would silently give one-bar loops: theirs is --loop-bars). */
  if (bars_given && o.bpm <= 0)
    return cli_usage_error("prepare", "--bars needs --bpm (the bars of --loops are --loop-bars)");
  if (aug_option && o.augment <= 0) return cli_usage_error("prepare", "%s needs --augment", aug_option);
  if (trim_db_given && !o.trim) return cli_usage_error("prepare", "--trim-db and --no-trim contradict each other");
  if (use_default) {
    if (n_inputs) return cli_usage_error("prepare", "--default takes no --input");
    if (!kits_dir) {
      rc = cli_ensure_default_kits(ps.quiet);
      if (rc != CLI_OK) return rc;
      kits_dir = DF_DEFAULT_KITS_DIR;
    }
    inputs[n_inputs++] = kits_dir;
    if (!o.out_dir) o.out_dir = DF_DEFAULT_DATASET_DIR;
  } else if (kits_dir) {
    return cli_usage_error("prepare", "--kits-dir goes with --default");
  }
  if (!n_inputs) return cli_usage_error("prepare", "give --input DIR or --default");
  if (!o.out_dir) return cli_usage_error("prepare", "give --out DIR");
  if (length_auto) {
    if (o.loops.count <= 0 && o.bpm <= 0) return cli_usage_error("prepare", "--length auto is for loops (--loops or --bpm)");
    double bpm = o.loops.count > 0 ? o.loops.bpm_min : o.bpm;
    int bars = o.loops.count > 0 ? o.loops.bars : o.bars;
    o.length = (int64_t)ceil(bars * 240.0 / bpm * o.rate);
  }
  o.inputs = inputs;
  o.n_inputs = n_inputs;
  if (df_prepare_check_options(&o) != DF_OK) return cli_usage_error("prepare", "%s", df_last_error());
  o.progress.fn = show_progress;
  o.progress.ctx = &ps;
  df_prepare_result r;
  df_status s = df_prepare(&o, &r);
  if (s != DF_OK) return cli_fail("prepare", s, "building %s", o.out_dir);
  print_result(&o, &r);
  return CLI_OK;
}
