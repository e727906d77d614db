/* drumforge demo: placeholder until the op library lands. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_demo(int argc, char **argv) {
  fprintf(stderr, "drumforge demo: not available yet\n");
  return CLI_USAGE;
}
