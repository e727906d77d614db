/* drumforge train: train a model from an experiment config, resumably. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "drumforge/train.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: drumforge train --config FILE --run DIR [options]\n"
          "       drumforge train --run DIR [options]          (resume)\n\n"
          "Trains the model an experiment file describes, writing checkpoints, metrics and\n"
          "previews into the run folder. A run folder that has checkpoints is resumed from its\n"
          "newest valid one (a truncated or corrupt checkpoint is reported, skipped and renamed\n"
          "to NAME.corrupt).\n"
          "SIGTERM or Ctrl-C writes a checkpoint and exits 0; a second Ctrl-C exits at once.\n\n"
          "options:\n"
          "  --config FILE       experiment file (experiments/*.ini)\n"
          "  --data DIR          dataset folder (default: the config's data.path)\n"
          "  --run DIR           run folder (created)\n"
          "  --steps N           stop at step N (default: the config's train.steps)\n"
          "  --resume            require a checkpoint to resume from\n"
          "  --fresh             refuse to touch a run folder that has checkpoints\n"
          "  --set KEY=VALUE     override a config key, e.g. --set optim.lr_g=2e-4 (repeatable;\n"
          "                      when resuming only train.* keys, not train.seed or train.batch)\n"
          "  --device auto|cpu|cuda   (default auto)\n"
          "  --deterministic     GPU: deterministic algorithms only (bitwise reproducible runs)\n"
          "  --strict-fp32       GPU: no TF32 tensor-core math\n"
          "  --quiet             no progress line\n"
          "  -h, --help          this help\n");
}

static void on_log(void *ctx, const char *line) {
  cli_progress_clear(ctx);
  fprintf(stderr, "drumforge train: %s\n", line);
}

static void format_eta(double s, char *buf, size_t len) {
  if (s <= 0 || s > 1e8) snprintf(buf, len, "-");
  else if (s >= 3600) snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
  else snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

static void on_progress(void *ctx, const df_train_progress *p) {
  cli_progress *ps = ctx;
  int last = p->step == p->max_steps;
  if (!cli_progress_due(ps, last)) return;
  char eta[32], line[512];
  format_eta(p->eta_seconds, eta, sizeof eta);
  int used = snprintf(line, sizeof line, "step %lld/%lld  %.2f steps/s  ETA %s", (long long)p->step,
                      (long long)p->max_steps, p->steps_per_second, eta);
  for (int i = 0; i < p->metrics->n && used < (int)sizeof line; i++)
    used += snprintf(line + used, sizeof line - (size_t)used, "  %s %.4g", p->metrics->names[i],
                     p->metrics->values[i]);
  cli_progress_print(ps, line, last);
}

/* "section.key=value" (a value may be empty; the config checks it). */
static int is_assignment(const char *text) {
  const char *eq = strchr(text, '='), *dot = strchr(text, '.');
  return eq && dot && dot > text && dot + 1 < eq;
}

int cmd_train(int argc, char **argv) {
  static const struct option opts[] = {
      {"config", required_argument, 0, 'c'}, {"data", required_argument, 0, 'd'},
      {"run", required_argument, 0, 'r'},    {"steps", required_argument, 0, 's'},
      {"resume", no_argument, 0, 'R'},       {"fresh", no_argument, 0, 'F'},
      {"set", required_argument, 0, 'S'},    {"device", required_argument, 0, 'D'},
      {"deterministic", no_argument, 0, 'x'}, {"strict-fp32", no_argument, 0, 'f'},
      {"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  df_train_options o = {0};
  o.resume = DF_RESUME_AUTO;
  const char *device = "auto";
  const char **overrides = calloc((size_t)argc, sizeof *overrides);
  cli_progress ps;
  cli_progress_init(&ps, 0);
  int c, rc = CLI_OK;
  optind = 1;
  while (rc == CLI_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    long v;
    switch (c) {
      case 'c': o.config_path = optarg; break;
      case 'd': o.data_path = optarg; break;
      case 'r': o.run_dir = optarg; break;
      case 's':
        rc = cli_parse_long("train", "--steps", optarg, 1, 1000000000L, &v);
        o.steps = v;
        break;
      case 'R':
      case 'F':
        if (o.resume != DF_RESUME_AUTO && o.resume != (c == 'R' ? DF_RESUME_REQUIRE : DF_RESUME_NEVER))
          rc = cli_usage_error("train", "give one of --resume and --fresh");
        o.resume = c == 'R' ? DF_RESUME_REQUIRE : DF_RESUME_NEVER;
        break;
      case 'S':
        if (!is_assignment(optarg)) rc = cli_usage_error("train", "--set '%s' is not of the form section.key=value", optarg);
        overrides[o.n_overrides++] = optarg;
        break;
      case 'D': device = optarg; break;
      case 'x': df_set_deterministic(1); break;
      case 'f': df_set_strict_fp32(1); break;
      case 'q': ps.quiet = 1; break;
      case 'h': usage(stdout); free(overrides); return CLI_OK;
      default: rc = cli_option_error("train", argv, "h", opts); break;
    }
  }
  if (rc == CLI_OK && optind < argc) rc = cli_usage_error("train", "unexpected argument '%s'", argv[optind]);
  if (rc == CLI_OK && !o.run_dir) rc = cli_usage_error("train", "--run DIR is required");
  if (rc == CLI_OK) rc = cli_select_device("train", device, &o.device);
  if (rc != CLI_OK) {
    free(overrides);
    return rc;
  }
  o.overrides = overrides;
  o.log = on_log;
  o.progress = on_progress;
  o.ctx = &ps;
  df_train_result res;
  df_status s = df_train_run(&o, &res);
  free(overrides);
  if (s != DF_OK) {
    cli_progress_clear(&ps);
    fprintf(stderr, "drumforge train: %s\n", df_last_error());
    return CLI_FAILED;
  }
  if (res.stopped_by_signal)
    printf("stopped at step %lld; resume with: drumforge train --run %s\n", (long long)res.step, o.run_dir);
  else
    printf("trained to step %lld; last checkpoint: %s\n", (long long)res.step,
           res.last_checkpoint[0] ? res.last_checkpoint : "(none)");
  return CLI_OK;
}
