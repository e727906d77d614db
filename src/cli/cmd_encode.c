/* drumforge encode: placeholder until issue 6 lands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_encode(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: drumforge encode ...\n\nNot available in this version yet (issue 6).\n");
    return CLI_OK;
  }
  fprintf(stderr, "drumforge encode: not available in this version yet (issue 6)\n");
  return CLI_USAGE;
}
