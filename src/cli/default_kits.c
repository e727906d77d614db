/* Installing the default dataset's Debian packages (src/cli/default_kits.h). */
#include "cli/default_kits.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

extern char **environ;

static const char *const packages[] = {"hydrogen-drumkits", "hydrogen-data"};

/* Runs argv, output going to the terminal; returns its exit status (-1: could not start). */
static int run(char *const argv[]) {
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0) return -1;
  int status;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs argv quietly (for probes). */
static int run_quiet(char *const argv[]) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int ok = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0;
  posix_spawn_file_actions_destroy(&fa);
  int status;
  if (!ok || waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int installed(const char *pkg) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "dpkg-query -W -f='${Status}' %s 2>/dev/null | grep -q 'install ok installed'", pkg);
  char *argv[] = {"sh", "-c", cmd, NULL};
  return run_quiet(argv) == 0;
}

int cli_ensure_default_kits(int quiet) {
  int missing = 0;
  for (size_t i = 0; i < 2; i++) missing += !installed(packages[i]);
  if (!missing) return CLI_OK;
  int root = geteuid() == 0;
  char *sudo_probe[] = {"sudo", "-n", "true", NULL};
  int sudo = !root && run_quiet(sudo_probe) == 0;
  if (!root && !sudo) {
    fprintf(stderr,
            "drumforge prepare: the default dataset is built from Debian's hydrogen-drumkits and "
            "hydrogen-data packages, which are not installed, and installing them needs root: run\n"
            "  sudo apt-get install hydrogen-drumkits hydrogen-data\n"
            "then this command again (or give your own kits with --input DIR)\n");
    return CLI_FAILED;
  }
  if (!quiet)
    fprintf(stderr, "drumforge prepare: installing hydrogen-drumkits and hydrogen-data (about 150 MB) "
                    "with %sapt-get\n", sudo ? "sudo " : "");
  setenv("DEBIAN_FRONTEND", "noninteractive", 1);
  char *install[] = {"sudo", "-n", "apt-get", "install", "-y", "--no-install-recommends",
                     "hydrogen-drumkits", "hydrogen-data", NULL};
  char *update[] = {"sudo", "-n", "apt-get", "update", NULL};
  char **inst = root ? install + 2 : install, **upd = root ? update + 2 : update;
  /* A fresh machine may have no package lists yet: update once and retry. */
  if (run(inst) != 0 && (run(upd) != 0 || run(inst) != 0)) {
    fprintf(stderr, "drumforge prepare: apt-get could not install hydrogen-drumkits and hydrogen-data "
                    "(see its messages above)\n");
    return CLI_FAILED;
  }
  return CLI_OK;
}
