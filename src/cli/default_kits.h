/* The built-in default dataset: Debian's Hydrogen drum kits, installed on demand. */
#ifndef DF_CLI_DEFAULT_KITS_H
#define DF_CLI_DEFAULT_KITS_H

#define DF_DEFAULT_KITS_DIR "/usr/share/hydrogen/data/drumkits"
/* Relative to the current folder. */
#define DF_DEFAULT_DATASET_DIR "datasets/default"

/* Makes sure the hydrogen-drumkits and hydrogen-data packages are installed: when one is
 * missing, says so and runs apt-get (directly as root, through `sudo -n` otherwise). Returns
 * CLI_OK, or prints what to do and returns CLI_FAILED. */
int cli_ensure_default_kits(int quiet);

#endif
