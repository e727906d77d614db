/* drumforge import: safetensors weights (from `drumforge export` or PyTorch) into a checkpoint
 * that generate loads (include/drumforge/export.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "drumforge/export.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: drumforge import FILE.safetensors --out CHECKPOINT [options]\n\n"
          "Builds the model an experiment describes, fills its parameters from the file (names and\n"
          "layouts as drumforge export writes them; fp32, fp16, bf16 or fp64) and writes a checkpoint for\n"
          "drumforge generate (weights only: no optimiser state, so not for resuming training).\n"
          "A file from drumforge export carries its configuration, classes and rate; a file\n"
          "saved from PyTorch needs --config (and --classes for a conditional model).\n\n"
          "options:\n"
          "  --out FILE          the checkpoint to write\n"
          "  --config FILE       experiment file describing the model (experiments/*.ini)\n"
          "  --classes LIST      class names in label order, e.g. kick,snare,hh_closed\n"
          "  --rate HZ           the model's sample rate (default: the file's, else 16000)\n"
          "  --init-missing      parameters the file lacks (e.g. a critic) keep fresh initial values\n"
          "  -h, --help          this help\n");
}

int cmd_import(int argc, char **argv) {
  static const struct option opts[] = {{"out", required_argument, 0, 'o'},     {"config", required_argument, 0, 'c'},
                                       {"classes", required_argument, 0, 'k'}, {"rate", required_argument, 0, 'r'},
                                       {"init-missing", no_argument, 0, 'i'},  {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  df_import_options o = {0};
  long rate = 0;
  int c, rc = CLI_OK;
  optind = 1;
  while (rc == CLI_OK && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'o': o.out = optarg; break;
      case 'c': o.config_path = optarg; break;
      case 'k': o.classes = optarg; break;
      case 'r': rc = cli_parse_long("import", "--rate", optarg, 1000, 384000, &rate); break;
      case 'i': o.init_missing = 1; break;
      case 'h': usage(stdout); return CLI_OK;
      default: rc = cli_option_error("import", argv, "h", opts); break;
    }
  }
  if (rc != CLI_OK) return rc;
  if (optind != argc - 1) return cli_usage_error("import", "give one safetensors file to import");
  if (!o.out) return cli_usage_error("import", "--out CHECKPOINT is required");
  o.weights = argv[optind];
  o.sample_rate = (int)rate;
  df_device dev;
  rc = cli_select_device("import", "cpu", &dev);
  if (rc != CLI_OK) return rc;
  df_import_result r;
  df_status s = df_import_safetensors(&o, &r);
  if (s) {
    fprintf(stderr, "drumforge import: %s\n", df_last_error());
    return CLI_FAILED;
  }
  printf("imported %d parameters from %s into %s", r.loaded, o.weights, o.out);
  if (r.initialised) printf(" (%d left at initial values, e.g. %s)", r.initialised, r.first_initialised);
  printf("\n");
  return CLI_OK;
}
