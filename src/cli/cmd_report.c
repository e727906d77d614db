/* drumforge report: placeholder until issue 7 lands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_report(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: drumforge report ...\n\nNot available in this version yet (issue 7).\n");
    return CLI_OK;
  }
  fprintf(stderr, "drumforge report: not available in this version yet (issue 7)\n");
  return CLI_USAGE;
}
