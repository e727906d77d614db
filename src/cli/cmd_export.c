/* drumforge export: placeholder until issue 5 lands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_export(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: drumforge export ...\n\nNot available in this version yet (issue 5).\n");
    return CLI_OK;
  }
  fprintf(stderr, "drumforge export: not available in this version yet (issue 5)\n");
  return CLI_USAGE;
}
