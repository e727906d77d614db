/* drumforge interpolate: placeholder until issue 6 lands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_interpolate(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: drumforge interpolate ...\n\nNot available in this version yet (issue 6).\n");
    return CLI_OK;
  }
  fprintf(stderr, "drumforge interpolate: not available in this version yet (issue 6)\n");
  return CLI_USAGE;
}
