/* drumforge info: what this build has and which devices it can use. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_info(int argc, char **argv) {
  static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      printf("usage: drumforge info\n\nShows the version, whether CUDA was built in, and the devices found.\n");
      return CLI_OK;
    }
    return cli_option_error("info", argv, "h", opts);
  }
  if (optind < argc) return cli_usage_error("info", "unexpected argument '%s'", argv[optind]);
  df_device dev;
  int rc = cli_select_device("info", "cpu", &dev);
  if (rc) return rc;
  printf("drumforge %s\n", DF_VERSION);
  printf("cuda backend: %s\n", df_cuda_compiled() ? "built" : "not built");
  printf("cpu: %s\n", df_device_description(DF_DEVICE_CPU));
  printf("gpu: %s\n", df_cuda_available() ? df_device_description(DF_DEVICE_CUDA) : "none usable");
  return CLI_OK;
}
