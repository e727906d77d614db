/* Shared pieces of the drumforge command line. Only the CLI prints errors and picks exit
 * codes; the library returns statuses. */
#ifndef DF_CLI_CLI_H
#define DF_CLI_CLI_H

#include "drumforge/drumforge.h"
#include "drumforge/train.h"

/* Exit codes. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* One subcommand: name, one-line summary, entry point (argv[0] is the subcommand name). */
typedef struct cli_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
} cli_command;

/* Prints "drumforge CMD: <message>: <df_last_error()>" to stderr and returns CLI_FAILED. */
int cli_fail(const char *cmd, df_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Prints "drumforge CMD: <message>" and a hint to use --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A file an option names for writing (the temporary file goes beside it): not a folder, and
 * its folder exists. A usage error (exit 2) otherwise, checked before any work. */
int cli_check_output_file(const char *cmd, const char *opt, const char *path);
/* Parses a --device value and initialises the runtime, printing the fall-back notice on
 * stderr. Returns CLI_OK or an exit code. */
int cli_select_device(const char *cmd, const char *request, df_device *dev);

/* Parses an integer in [min, max] / a finite number option value; on error prints and
 * returns CLI_USAGE. */
int cli_parse_long(const char *cmd, const char *opt, const char *text, long min, long max, long *out);
int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out);
int cli_parse_float(const char *cmd, const char *opt, const char *text, float *out);

struct option;
/* The one-line usage error for what getopt_long refused (main sets opterr = 0): an unknown
 * or ambiguous option, a missing value or a value given to a flag, naming the option.
 * Call it from the `default:` case with the optstring given to getopt_long (shorts); returns
 * CLI_USAGE. */
int cli_option_error(const char *cmd, char **argv, const char *shorts, const struct option *opts);

/* A progress line on stderr: redrawn in place on a terminal (at most 5 times a second), one
 * line every 10 seconds in a log file, nothing when quiet. */
typedef struct cli_progress {
  int quiet, tty;
  double last_print;
} cli_progress;

void cli_progress_init(cli_progress *p, int quiet);
/* 1 when a line is due now (the last one always is, unless quiet). */
int cli_progress_due(cli_progress *p, int last);
/* Prints a due line (a newline after the last one on a terminal). */
void cli_progress_print(const cli_progress *p, const char *line, int last);
/* Clears a half-drawn progress line before another message. */
void cli_progress_clear(const cli_progress *p);

/* A user's audio files as a model's examples (encode, interpolate; src/cli/model_inputs.c). */
typedef struct cli_inputs {
  int n;
  df_tensor audio; /* [n, channels, length] on the model's device */
  int32_t *labels; /* [n] class ids, NULL for an unconditional model */
} cli_inputs;

/* Reads the files as `prepare` cuts one-shots, at the model's rate, channels and length
 * (trim: cut leading silence), with their classes: `classes` is one name for every file or
 * one per file ("kick,snare"), required by conditional models and refused by the others.
 * Prints a notice on stderr for a file longer than the model's sounds (only its start is
 * used). A model without an encoder is DF_ERR_UNSUPPORTED naming the model. */
/* A --class list of k names for n sounds: one for all, or one each (DF_ERR_INVALID_ARG). */
df_status cli_class_count(const char *classes, int k, int n);
df_status cli_load_inputs(const char *cmd, const df_loaded_model *m, const char *const *paths, int n,
                          const char *classes, int trim, cli_inputs *out);
void cli_inputs_free(cli_inputs *in);
/* The latents of the inputs into host memory z [n, latent_dim]. */
df_status cli_encode_inputs(const df_loaded_model *m, const cli_inputs *in, float *z);

/* The subcommands (src/cli/cmd_*.c). */
int cmd_info(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_generate(int argc, char **argv);
/* generate's command line run on behalf of `cmd` (interpolate), which its messages name;
 * check_only: stop after checking the arguments, before loading the model. */
int cli_generate(const char *cmd, int argc, char **argv, int check_only);
int cmd_encode(int argc, char **argv);
int cmd_interpolate(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);

#endif
