/* drumforge train: placeholder until issue 4 lands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_train(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: drumforge train ...\n\nNot available in this version yet (issue 4).\n");
    return CLI_OK;
  }
  fprintf(stderr, "drumforge train: not available in this version yet (issue 4)\n");
  return CLI_USAGE;
}
