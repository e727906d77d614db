/* drumforge: the command. Dispatches to one subcommand per file (cmd_*.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const cli_command commands[] = {
    {"prepare", "turn audio folders or Hydrogen kits into HDF5 training shards", cmd_prepare},
    {"inspect", "summarise a dataset, shard, checkpoint or run", cmd_inspect},
    {"train", "train a model from an experiment config, resumably", cmd_train},
    {"generate", "generate one-shots or loops from a checkpoint", cmd_generate},
    {"encode", "map audio files to latents (autoencoder models)", cmd_encode},
    {"interpolate", "walk between two sounds or latents", cmd_interpolate},
    {"eval", "measure a run's quality (IS, Frechet distance, novelty, ...)", cmd_eval},
    {"report", "write an HTML report of a run", cmd_report},
    {"export", "write model weights as safetensors with PyTorch names", cmd_export},
    {"import", "read safetensors weights back into a checkpoint", cmd_import},
    {"info", "show the version, the CUDA build and the usable devices", cmd_info},
};
static const int n_commands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *f) {
  fprintf(f,
          "usage: drumforge COMMAND [OPTIONS]\n"
          "       drumforge COMMAND --help\n\n"
          "Training and inference engine for generative drum-sound models.\n\n"
          "commands:\n");
  for (int i = 0; i < n_commands; i++)
    fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf(f,
          "\noptions:\n"
          "  -h, --help     show this help\n"
          "  --version      show the version\n");
}

/* OpenMP threads that wait for work spin first (libgomp: 300,000 rounds) and then sleep. On a
 * machine doing other work the spinning takes the CPU from the threads that have work: 20 smoke
 * training steps took 116 s under a load of 6 on 2 cores, 8.3 s spinning 1,000 rounds, 5.6 s
 * not spinning. On an idle machine not spinning doubled the time of small models (50 smoke
 * steps: 3.0 s, 6 s) where 1,000 rounds cost ~12 % (3.4 s). So 1,000 is the command's default
 * unless the user chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT set). libgomp reads the variable
 * once, when it is loaded: the command runs itself again with it set (same process and PID). */
static void default_to_short_spinning(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
  if (setenv("GOMP_SPINCOUNT", "1000", 1) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("GOMP_SPINCOUNT"); /* no /proc: carry on with libgomp's default */
}

int main(int argc, char **argv) {
  default_to_short_spinning(argv);
  if (argc < 2) {
    usage(stderr);
    return CLI_USAGE;
  }
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return CLI_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("drumforge %s\n", DF_VERSION);
    return CLI_OK;
  }
  opterr = 0; /* the subcommands report bad options themselves, in one line (cli_option_error) */
  for (int i = 0; i < n_commands; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "drumforge: unknown command '%s' (see drumforge --help)\n", argv[1]);
  return CLI_USAGE;
}
