/* drumforge export: a checkpoint's weights as safetensors with PyTorch-style names
 * (include/drumforge/export.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "drumforge/export.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: drumforge export (--run DIR | --checkpoint FILE) --out FILE [--format safetensors]\n\n"
          "Writes the model's weights (generator and critic, or encoder and decoder), without the\n"
          "optimiser state, as a safetensors file with PyTorch-style names and layouts\n"
          "(G.fc.weight [out, in], G.ups.0.weight [in, out, kernel], D.convs.0.weight\n"
          "[out, in, kernel], ...; the README lists them) and the model's configuration, classes,\n"
          "rate and step as metadata. `drumforge import` reads it back.\n\n"
          "options:\n"
          "  --run DIR           the newest valid checkpoint of a run folder\n"
          "  --checkpoint FILE   a checkpoint\n"
          "  --out FILE          the file to write (replaced atomically)\n"
          "  --format safetensors  (the only format)\n"
          "  -h, --help          this help\n");
}

int cmd_export(int argc, char **argv) {
  static const struct option opts[] = {{"run", required_argument, 0, 'r'},    {"checkpoint", required_argument, 0, 'c'},
                                       {"out", required_argument, 0, 'o'},    {"format", required_argument, 0, 'f'},
                                       {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  const char *model = NULL, *out = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'r':
      case 'c':
        if (model) return cli_usage_error("export", "give one of --run and --checkpoint");
        model = optarg;
        break;
      case 'o': out = optarg; break;
      case 'f':
        if (strcmp(optarg, "safetensors")) return cli_usage_error("export", "format '%s': only safetensors", optarg);
        break;
      case 'h': usage(stdout); return CLI_OK;
      default: return cli_option_error("export", argv, "h", opts);
    }
  }
  if (optind < argc) return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
  if (!model) return cli_usage_error("export", "--run DIR or --checkpoint FILE is required");
  if (!out) return cli_usage_error("export", "--out FILE is required");
  df_device dev;
  int rc = cli_select_device("export", "cpu", &dev);
  if (rc != CLI_OK) return rc;
  df_export_result r;
  df_status s = df_export_safetensors(model, out, &r);
  if (s) {
    fprintf(stderr, "drumforge export: %s\n", df_last_error());
    return CLI_FAILED;
  }
  printf("exported %d tensors (%lld values) from %s to %s\n", r.tensors, (long long)r.values, r.checkpoint, out);
  return CLI_OK;
}
