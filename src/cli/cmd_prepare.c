/* drumforge prepare: placeholder until issue 3 lands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_prepare(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: drumforge prepare ...\n\nNot available in this version yet (issue 3).\n");
    return CLI_OK;
  }
  fprintf(stderr, "drumforge prepare: not available in this version yet (issue 3)\n");
  return CLI_USAGE;
}
