#include "drumforge/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[1024];

const char *df_status_name(df_status s) {
  switch (s) {
    case DF_OK: return "ok";
    case DF_ERR_INVALID_ARG: return "invalid argument";
    case DF_ERR_OOM: return "out of memory";
    case DF_ERR_IO: return "i/o error";
    case DF_ERR_FORMAT: return "bad file format";
    case DF_ERR_CONFIG: return "config error";
    case DF_ERR_CUDA: return "cuda error";
    case DF_ERR_NO_DEVICE: return "no gpu";
    case DF_ERR_UNSUPPORTED: return "unsupported";
    case DF_ERR_NUMERIC: return "non-finite number";
    case DF_ERR_INTERRUPTED: return "interrupted";
    case DF_ERR_NOT_FOUND: return "not found";
  }
  return "unknown status";
}

const char *df_last_error(void) { return last_error; }

void df_clear_error(void) { last_error[0] = '\0'; }

/* Copies text into out (size n) with control characters written as escapes (\n, \t, \x01):
 * messages quote values read from files, and a newline in one must not break the message
 * into lines. */
static void escape_controls(char *out, size_t n, const char *text) {
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p && o + 1 < n; p++) {
    char esc[8] = {(char)*p, 0};
    if (*p == '\n') strcpy(esc, "\\n");
    else if (*p == '\r') strcpy(esc, "\\r");
    else if (*p == '\t') strcpy(esc, "\\t");
    else if (*p < 0x20 || *p == 0x7f) snprintf(esc, sizeof esc, "\\x%02x", *p);
    const size_t len = strlen(esc);
    if (o + len >= n) break;
    memcpy(out + o, esc, len);
    o += len;
  }
  out[o] = '\0';
}

static int debugging(void) {
  const char *v = getenv("DRUMFORGE_DEBUG");
  return v && v[0] && strcmp(v, "0") != 0;
}

static void record(const char *file, int line, int with_place, const char *fmt, va_list ap) {
  char raw[sizeof last_error], msg[sizeof last_error];
  vsnprintf(raw, sizeof raw, fmt, ap);
  escape_controls(msg, sizeof msg, raw);
  if (!file || !with_place) {
    snprintf(last_error, sizeof last_error, "%s", msg);
    return;
  }
  /* Keep only the base name of the source file: messages stay one short line. */
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  snprintf(last_error, sizeof last_error, "%s (%s:%d)", msg, base, line);
}

df_status df_set_error(df_status s, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  record(file, line, debugging(), fmt, ap);
  va_end(ap);
  return s;
}

df_status df_set_call_error(df_status s, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  record(file, line, 1, fmt, ap);
  va_end(ap);
  return s;
}
