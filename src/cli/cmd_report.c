/* drumforge report: write a run's HTML report. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "drumforge/report.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: drumforge report --run DIR [--out DIR] [--data DATASET]\n\n"
          "Writes a static HTML report of a run (RUN/report/index.html, with its images beside it;\n"
          "it opens from the file system, offline): loss and metric curves (SVG), the metrics of\n"
          "eval.json and the best checkpoint, Mel spectrograms (PNG) of the newest previews next\n"
          "to real examples of the same class, audio players for every checkpoint's previews, and\n"
          "the confusion matrices (conditioning, and the classifier's on the test split).\n\n"
          "options:\n"
          "  --run DIR        run folder\n"
          "  --out DIR        report folder (default: RUN/report)\n"
          "  --data DATASET   dataset for the real examples (default: the run's data.path)\n"
          "  -h, --help       this help\n\n"
          "example:\n  drumforge eval --run runs/drums && drumforge report --run runs/drums\n");
}

int cmd_report(int argc, char **argv) {
  static const struct option opts[] = {{"run", required_argument, 0, 'r'}, {"out", required_argument, 0, 'o'},
                                       {"data", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  df_report_options o = {0};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
      case 'r': o.run_dir = optarg; break;
      case 'o': o.out_dir = optarg; break;
      case 'd': o.dataset = optarg; break;
      case 'h': usage(stdout); return CLI_OK;
      default: return cli_option_error("report", argv, "h", opts);
    }
  }
  if (optind < argc) return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
  if (!o.run_dir) return cli_usage_error("report", "--run DIR is required");
  char index[4400];
  df_status s = df_report_write(&o, index, sizeof index);
  if (s) return cli_fail("report", s, "%s", o.run_dir);
  printf("wrote %s\n", index);
  return CLI_OK;
}
