/* Where drumforge's data files are (include/drumforge/dataset.h: df_data_dir). */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drumforge/dataset.h"

/* An installed drumforge (cmake --install) finds its data beside the program: the prefix is
 * chosen at install time, so it is looked up from the executable, not compiled in. */
static char installed_data_dir[4200];

static void find_installed_data_dir(void) {
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return;
  *slash = '\0'; /* PREFIX/bin */
  char candidate[4200], table[4300];
  snprintf(candidate, sizeof candidate, "%s/../share/drumforge", exe);
  snprintf(table, sizeof table, "%s/drum_classes.tsv", candidate);
  if (access(table, R_OK) == 0) snprintf(installed_data_dir, sizeof installed_data_dir, "%s", candidate);
}

const char *df_data_dir(void) {
  const char *env = getenv("DRUMFORGE_DATA_DIR");
  if (env && env[0]) return env;
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, find_installed_data_dir);
  return installed_data_dir[0] ? installed_data_dir : DF_DATA_DIR;
}
