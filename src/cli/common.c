#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_fail(const char *cmd, df_status s, const char *fmt, ...) {
  char context[4400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(context, sizeof context, fmt, ap);
  va_end(ap);
  const char *detail = df_last_error();
  if (!detail || !detail[0]) detail = df_status_name(s);
  /* Library messages usually name their file first (or one in the context's folder); the
   * context is not said twice. */
  const size_t n = strlen(context);
  if (!strncmp(detail, context, n) && (detail[n] == ':' || detail[n] == '/'))
    fprintf(stderr, "drumforge %s: %s\n", cmd, detail);
  else
    fprintf(stderr, "drumforge %s: %s: %s\n", cmd, context, detail);
  return CLI_FAILED;
}

int cli_check_output_file(const char *cmd, const char *opt, const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return cli_usage_error(cmd, "%s %s: that is a folder; give a file name", opt, path);
  const char *slash = strrchr(path, '/');
  if (!slash) return CLI_OK;
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", slash > path ? (int)(slash - path) : 1, path);
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return cli_usage_error(cmd, "%s %s: %s is not a folder", opt, path, dir);
  return CLI_OK;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "drumforge %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see drumforge %s --help)\n", cmd);
  return CLI_USAGE;
}

int cli_select_device(const char *cmd, const char *request, df_device *dev) {
  df_device_request req;
  if (df_parse_device_request(request ? request : "auto", &req) != DF_OK)
    return cli_usage_error(cmd, "%s", df_last_error());
  char notice[512];
  df_status s = df_runtime_init(req, dev, notice, sizeof notice);
  if (s != DF_OK) {
    fprintf(stderr, "drumforge %s: %s\n", cmd, df_last_error());
    return CLI_FAILED;
  }
  if (notice[0]) fprintf(stderr, "drumforge %s: %s\n", cmd, notice);
  return CLI_OK;
}

int cli_parse_long(const char *cmd, const char *opt, const char *text, long min, long max,
                   long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || end == text || *end || v < min || v > max)
    return cli_usage_error(cmd, "%s needs an integer in [%ld, %ld], got '%s'", opt, min, max, text);
  *out = v;
  return CLI_OK;
}

int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end) return cli_usage_error(cmd, "%s needs a number, got '%s'", opt, text);
  /* A value too small for a double becomes 0 (or a subnormal), which the option's own range
   * check then refuses with its range; one too large is refused here. */
  if (!isfinite(v)) return cli_usage_error(cmd, "%s needs a finite number, got '%s'", opt, text);
  *out = v;
  return CLI_OK;
}

int cli_parse_float(const char *cmd, const char *opt, const char *text, float *out) {
  double v = 0;
  int rc = cli_parse_double(cmd, opt, text, &v);
  if (rc == CLI_OK && fabs(v) > FLT_MAX) return cli_usage_error(cmd, "%s needs a finite number, got '%s'", opt, text);
  *out = (float)v;
  return rc;
}

int cli_option_error(const char *cmd, char **argv, const char *shorts, const struct option *opts) {
  /* getopt_long (opterr = 0) leaves: optopt 0 for an unknown or ambiguous long option, the
   * option's value for one missing its value or given one it takes none, the letter for a
   * short option; argv[optind - 1] is the word it stopped at. */
  const char *word = optind > 0 ? argv[optind - 1] : "";
  int len = (int)strcspn(word, "=");
  if (optopt == 0) {
    if (strncmp(word, "--", 2)) return cli_usage_error(cmd, "unknown option '%s'", word);
    char matches[512] = "";
    int n = 0;
    for (const struct option *o = opts; o->name; o++)
      if (!strncmp(o->name, word + 2, (size_t)len - 2) && strlen(matches) + strlen(o->name) + 5 < sizeof matches)
        n++, strcat(strcat(matches, n > 1 ? ", --" : "--"), o->name);
    if (n > 1) return cli_usage_error(cmd, "option '%.*s' is ambiguous (%s)", len, word, matches);
    return cli_usage_error(cmd, "unknown option '%.*s'", len, word);
  }
  if (strncmp(word, "--", 2)) { /* "-x": a letter of shorts missing its value, or unknown */
    const char *in = strchr(shorts, optopt);
    if (in && in[1] == ':') return cli_usage_error(cmd, "option '-%c' needs a value", optopt);
    return cli_usage_error(cmd, "unknown option '-%c'", optopt);
  }
  for (const struct option *o = opts; o->name; o++) {
    if (o->val != optopt) continue;
    if (o->has_arg == no_argument) return cli_usage_error(cmd, "option '%.*s' takes no value", len, word);
    return cli_usage_error(cmd, "option '%.*s' needs a value", len, word);
  }
  return cli_usage_error(cmd, "unknown option '-%c'", optopt);
}

void cli_progress_init(cli_progress *p, int quiet) {
  p->quiet = quiet;
  p->tty = isatty(STDERR_FILENO);
  p->last_print = 0;
}

int cli_progress_due(cli_progress *p, int last) {
  if (p->quiet) return 0;
  double t = df_monotonic_seconds();
  if (!last && p->last_print > 0 && t - p->last_print < (p->tty ? 0.2 : 10.0)) return 0;
  p->last_print = t;
  return 1;
}

void cli_progress_print(const cli_progress *p, const char *line, int last) {
  if (p->tty) fprintf(stderr, "\r\033[K%s%s", line, last ? "\n" : "");
  else fprintf(stderr, "%s\n", line);
}

void cli_progress_clear(const cli_progress *p) {
  if (p->tty && !p->quiet) fprintf(stderr, "\r\033[K");
}
