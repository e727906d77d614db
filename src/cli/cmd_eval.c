/* drumforge eval: measure a checkpoint's generated sounds against its dataset (eval.json). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "drumforge/eval.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: drumforge eval --run DIR [--checkpoint PATH|best] [--data DATASET] [options]\n"
          "       drumforge eval --checkpoint FILE --data DATASET [options]\n\n"
          "Generates sounds with a checkpoint (the run's newest by default) and measures them with\n"
          "the dataset's drum-class classifier: Inception Score, Frechet distance and KID against\n"
          "the test split, diversity, conditioning accuracy (conditional models) and BeatGAN's\n"
          "novelty against the training split. Writes eval.json and prints a summary. The first\n"
          "evaluation on a dataset trains its classifier (kept in DATASET/classifier/).\n\n"
          "options:\n"
          "  --run DIR              run folder\n"
          "  --checkpoint PATH      a checkpoint file (with or without --run), or 'best' (the\n"
          "                         run's best by Frechet distance)\n"
          "  --data DATASET         dataset folder (default: the run's data.path; needed\n"
          "                         without --run)\n"
          "  --count N              sounds to generate (default 256)\n"
          "  --seed N               latents and KID subsets (default 1)\n"
          "  --no-novelty           skip the nearest-neighbour search over the training split\n"
          "  --out FILE             where to write the results (default: RUN/eval.json, or\n"
          "                         eval.json in the current folder without --run)\n"
          "  --classifier-dir DIR   keep the classifier here instead of DATASET/classifier\n"
          "  --retrain-classifier   train a new classifier even when one is kept\n"
          "  --classifier-steps N   training steps for a new classifier (default: data/classifier.ini)\n"
          "  --device auto|cpu|cuda (default auto)\n"
          "  -h, --help             this help\n\n"
          "examples:\n  drumforge eval --run runs/drums --data datasets/default\n"
          "  drumforge eval --checkpoint checkpoints/quickstart/model.safetensors --data datasets/default\n");
}

static void on_log(void *ctx, const char *line) { fprintf(stderr, "drumforge eval: %s\n", line); }

/* data.path of the run's config.ini into buf. */
static int run_dataset(const char *run, char *buf, size_t len) {
  char path[4200];
  snprintf(path, sizeof path, "%s/config.ini", run);
  df_config *cfg;
  if (df_config_load(path, &cfg) != DF_OK) return 0;
  const char *v;
  int ok = df_config_string(cfg, "data.path", "", &v) == DF_OK && v[0];
  if (ok) snprintf(buf, len, "%s", v);
  df_config_free(cfg);
  return ok;
}

static void summary(const df_eval_result *r, const df_classifier_card *k) {
  printf("step %lld: %d generated sounds against %d real test sounds", (long long)r->step, r->n_generated, r->n_real);
  for (int i = 0; r->real_subset && i < r->n_real_classes; i++)
    printf("%s%s", i ? ", " : " of the learned classes (", k->class_names[r->real_classes[i]]);
  printf("%s\n", r->real_subset ? ")" : "");
  printf("  classifier accuracy (test)  %.3f\n", k->test_accuracy);
  if (r->silent)
    printf("  silent                      %lld of %d generated sounds (peak below -60 dBFS)\n", (long long)r->silent,
           r->n_generated);
  printf("  Inception Score             %.3f +- %.3f  (real: %.3f, classes: %d)\n", r->is_generated,
         r->is_generated_std, r->is_real, r->n_classes);
  printf("  Frechet distance            %.4g\n", r->fd);
  printf("  KID                         %.4g +- %.2g\n", r->kid, r->kid_std);
  printf("  diversity                   %.4g  (real: %.4g)\n", r->diversity_generated, r->diversity_real);
  if (r->conditional) printf("  conditioning accuracy       %.3f\n", r->conditioning_accuracy);
  if (r->novelty_done)
    printf("  novelty                     median %.3f, min %.3f, near copies (<= %.1f) %.1f %%%s\n", r->novelty_median,
           r->novelty_min, 0.1, 100.0 * r->near_copy_fraction, r->silent ? " (of the sounds not silent)" : "");
  if (r->novelty_skipped[0]) printf("  novelty                     not measured: %s\n", r->novelty_skipped);
}

int cmd_eval(int argc, char **argv) {
  static const struct option opts[] = {
      {"run", required_argument, 0, 'r'},        {"checkpoint", required_argument, 0, 'c'},
      {"data", required_argument, 0, 'd'},       {"count", required_argument, 0, 'n'},
      {"seed", required_argument, 0, 's'},       {"no-novelty", no_argument, 0, 'N'},
      {"out", required_argument, 0, 'o'},        {"classifier-dir", required_argument, 0, 'C'},
      {"retrain-classifier", no_argument, 0, 'R'}, {"classifier-steps", required_argument, 0, 'S'},
      {"device", required_argument, 0, 'D'},     {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *run = NULL, *checkpoint = NULL, *data = NULL, *out = NULL, *device = "auto";
  df_classifier_options co = {0};
  df_eval_options eo = {0};
  eo.count = 256;
  eo.seed = 1;
  eo.novelty = 1;
  int c, rc = CLI_OK;
  long v;
  optind = 1;
  while (rc == CLI_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'r': run = optarg; break;
      case 'c': checkpoint = optarg; break;
      case 'd': data = optarg; break;
      case 'n': rc = cli_parse_long("eval", "--count", optarg, 2, 1000000, &v); eo.count = (int)v; break;
      case 's': rc = cli_parse_long("eval", "--seed", optarg, 0, 2147483647L, &v); eo.seed = (uint64_t)v; break;
      case 'N': eo.novelty = 0; break;
      case 'o': out = optarg; break;
      case 'C': co.dir = optarg; break;
      case 'R': co.retrain = 1; break;
      case 'S': rc = cli_parse_long("eval", "--classifier-steps", optarg, 1, 100000000L, &v); co.steps = v; break;
      case 'D': device = optarg; break;
      case 'h': usage(stdout); return CLI_OK;
      default: rc = cli_option_error("eval", argv, "h", opts); break;
    }
  }
  if (rc != CLI_OK) return rc;
  if (optind < argc) return cli_usage_error("eval", "unexpected argument '%s'", argv[optind]);
  if (!run && !checkpoint) return cli_usage_error("eval", "--run DIR or --checkpoint FILE is required");
  if (!run && !strcmp(checkpoint, "best")) return cli_usage_error("eval", "--checkpoint best needs --run DIR");
  if (!run && !data) return cli_usage_error("eval", "--checkpoint without --run needs --data DATASET");
  char dataset[4200], model_path[4300], out_path[4300];
  struct stat st;
  /* Said before its config.ini is looked for ('RUN/config.ini names no dataset' misled). */
  if (run && (stat(run, &st) != 0 || !S_ISDIR(st.st_mode))) {
    fprintf(stderr, "drumforge eval: %s: no such run folder\n", run);
    return CLI_FAILED;
  }
  if (data) snprintf(dataset, sizeof dataset, "%s", data);
  else if (!run_dataset(run, dataset, sizeof dataset))
    return cli_usage_error("eval", "%s/config.ini names no dataset: give --data DATASET", run);
  if (checkpoint && !strcmp(checkpoint, "best")) {
    snprintf(model_path, sizeof model_path, "%s/checkpoints/best.safetensors", run);
    if (access(model_path, F_OK) != 0) {
      fprintf(stderr, "drumforge eval: %s: no best checkpoint yet (the trainer marks one when "
                      "train.eval_every_checkpoint evaluates its checkpoints)\n", run);
      return CLI_FAILED;
    }
  } else snprintf(model_path, sizeof model_path, "%s", checkpoint ? checkpoint : run);
  if (out) snprintf(out_path, sizeof out_path, "%s", out);
  else if (run) snprintf(out_path, sizeof out_path, "%s/eval.json", run);
  else snprintf(out_path, sizeof out_path, "eval.json");
  rc = cli_check_output_file("eval", "--out", out_path);
  if (rc == CLI_OK) rc = cli_select_device("eval", device, &eo.device);
  if (rc != CLI_OK) return rc;

  df_loaded_model m;
  df_status s = df_model_load(model_path, eo.device, &m);
  if (s) return cli_fail("eval", s, "cannot load the model");
  if ((s = df_eval_check_dataset(dataset, m.sample_rate))) {
    df_model_unload(&m);
    return cli_fail("eval", s, "%s", dataset);
  }
  co.dataset = dataset;
  co.device = eo.device;
  co.log = on_log;
  df_classifier *cl = NULL;
  df_evaluator *ev = NULL;
  df_eval_result r;
  s = df_classifier_open(&co, &cl);
  if (!s) {
    eo.dataset = dataset;
    eo.classifier = cl;
    s = df_evaluator_open(&eo, &ev);
  }
  /* Opening the classifier and the evaluator reads the dataset, writing reads --out: their
   * messages name those files; only the run itself is about the model. */
  if (s) rc = cli_fail("eval", s, "%s", dataset);
  df_training_classes trained = {m.n_classes, m.class_ptrs, df_model_class_examples(&m)};
  if (!s && (s = df_evaluator_run(ev, m.type, m.model, &trained, m.step, &r)))
    rc = cli_fail("eval", s, "%s", m.checkpoint);
  if (!s && (s = df_eval_write_json(out_path, &r, m.checkpoint, dataset, cl))) rc = cli_fail("eval", s, "%s", out_path);
  if (!s) {
    summary(&r, df_classifier_get_card(cl));
    printf("wrote %s\n", out_path);
  }
  df_evaluator_close(ev);
  df_classifier_close(cl);
  df_model_unload(&m);
  return rc;
}
