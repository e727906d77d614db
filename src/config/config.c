/* INI experiment configs with typed, range-checked getters and unknown-key detection
 * (include/drumforge/config.h). Parsing is libinih's; this file keeps the entries, their line
 * numbers and which of them were read. */
#include "drumforge/config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/check.h"
#include "drumforge/fileio.h"

typedef struct entry {
  char *key;    /* "section.key" */
  char *value;  /* as given, or the default once read */
  char *origin; /* file name, checkpoint, or "command line" */
  int line;     /* 0 when not from a file */
  int given;    /* present in the input */
  int read;     /* asked for by a component */
  int read_order;
} entry;

struct df_config {
  entry *entries;
  size_t n, cap;
  int reads;
};

df_status df_config_new(df_config **out) {
  DF_CHECK_ARG(out);
  *out = calloc(1, sizeof **out);
  DF_CHECK_ALLOC(*out);
  return DF_OK;
}

void df_config_free(df_config *cfg) {
  if (!cfg) return;
  for (size_t i = 0; i < cfg->n; i++) {
    free(cfg->entries[i].key);
    free(cfg->entries[i].value);
    free(cfg->entries[i].origin);
  }
  free(cfg->entries);
  free(cfg);
}

static entry *find(const df_config *cfg, const char *key) {
  for (size_t i = 0; i < cfg->n; i++)
    if (!strcmp(cfg->entries[i].key, key)) return &cfg->entries[i];
  return NULL;
}

static df_status put(df_config *cfg, const char *key, const char *value, const char *origin,
                     int line, int given) {
  entry *e = find(cfg, key);
  if (!e) {
    if (cfg->n == cfg->cap) {
      size_t cap = cfg->cap ? 2 * cfg->cap : 32;
      entry *ne = realloc(cfg->entries, cap * sizeof *ne);
      DF_CHECK_ALLOC(ne);
      cfg->entries = ne;
      cfg->cap = cap;
    }
    /* Counted once its key exists: a failed put leaves no entry without one. */
    char *k = strdup(key);
    DF_CHECK_ALLOC(k);
    e = &cfg->entries[cfg->n++];
    memset(e, 0, sizeof *e);
    e->key = k;
  }
  char *v = strdup(value), *o = strdup(origin ? origin : "");
  if (!v || !o) {
    free(v);
    free(o);
    return DF_FAIL(DF_ERR_OOM, "config: strdup failed");
  }
  free(e->value);
  free(e->origin);
  e->value = v;
  e->origin = o;
  e->line = line;
  e->given = e->given || given;
  return DF_OK;
}

/* ---- parsing: a line-counting reader so that entries remember their line ---- */
/* Longest line read: a run's config.ini records --data, so lines hold paths (inih's built-in
 * limit of 200 characters made such runs unloadable). */
#define MAX_LINE 65536

typedef struct parse_ctx {
  df_config *cfg;
  const char *origin;
  const char *text; /* remaining text */
  int line;
  int mid_line;   /* the last chunk handed to inih did not end its line (inih reads on) */
  char prev;      /* the character before this chunk */
  int error_line; /* line of the first error found by on_entry */
  df_status status;
} parse_ctx;

/* fgets for inih: up to num - 1 characters of the current line. */
static char *read_line(char *str, int num, void *stream) {
  parse_ctx *p = stream;
  if (!*p->text) return NULL;
  int i = 0;
  while (i < num - 1 && p->text[i] && p->text[i] != '\n') i++;
  int take = i + (p->text[i] == '\n' && i < num - 1);
  memcpy(str, p->text, (size_t)take);
  str[take] = '\0';
  if (!p->mid_line) p->line++;
  /* Allow "key = value  # comment" ('#' after whitespace starts a comment, like ';'): the
   * line ends there, the rest of it is skipped. */
  for (int j = 0; j < take; j++) {
    const char before = j ? str[j - 1] : p->mid_line ? p->prev : '\n';
    if (str[j] == '#' && (before == ' ' || before == '\t')) {
      str[j] = '\n';
      str[j + 1] = '\0';
      const char *end = strchr(p->text, '\n');
      p->text = end ? end + 1 : p->text + strlen(p->text);
      p->mid_line = 0;
      return str;
    }
  }
  p->mid_line = take > 0 && p->text[take - 1] != '\n' && p->text[take];
  p->prev = take ? p->text[take - 1] : '\n';
  p->text += take;
  return str;
}

/* inih's line buffer grows to MAX_LINE on the heap; its options are process-wide (Debian's
 * libinih makes them variables), set once. */
static pthread_once_t inih_options_once = PTHREAD_ONCE_INIT;
static void set_inih_options(void) {
  ini_use_stack = 0;
  ini_allow_realloc = 1;
  ini_max_line = MAX_LINE;
  ini_allow_multiline = 0; /* an indented "key = value" is a key, not a continuation */
}

/* The first line longer than MAX_LINE - 3 (inih would cut it), or 0. */
static int overlong_line(const char *text) {
  int line = 1;
  for (const char *start = text; *start; line++) {
    const char *end = strchr(start, '\n');
    const size_t len = end ? (size_t)(end - start) : strlen(start);
    if (len > MAX_LINE - 3) return line;
    if (!end) break;
    start = end + 1;
  }
  return 0;
}

static int on_entry(void *user, const char *section, const char *name, const char *value) {
  parse_ctx *p = user;
  char key[256];
  /* inih goes on after an error: keep the first one (and its line, which inih reports). */
  if (p->status != DF_OK) return 0;
  if (!section[0]) {
    p->status = DF_FAIL(DF_ERR_CONFIG, "%s:%d: key '%s' is outside any [section]", p->origin,
                        p->line, name);
    p->error_line = p->line;
    return 0;
  }
  snprintf(key, sizeof key, "%s.%s", section, name);
  entry *e = find(p->cfg, key);
  if (e && e->given && e->line && !strcmp(e->origin, p->origin)) {
    p->status = DF_FAIL(DF_ERR_CONFIG, "%s:%d: duplicate key '%s' (first set on line %d)", p->origin,
                        p->line, key, e->line);
    p->error_line = p->line;
    return 0;
  }
  p->status = put(p->cfg, key, value, p->origin, p->line, 1);
  return p->status == DF_OK;
}

df_status df_config_parse(const char *text, const char *origin, df_config **out) {
  DF_CHECK_ARG(out);
  *out = NULL;
  DF_CHECK_ARG(text);
  if (!origin) origin = "config";
  const int long_line = overlong_line(text);
  if (long_line)
    return DF_FAIL(DF_ERR_CONFIG, "%s:%d: line longer than %d characters", origin, long_line, MAX_LINE - 3);
  pthread_once(&inih_options_once, set_inih_options);
  DF_TRY(df_config_new(out));
  parse_ctx p = {*out, origin, text, 0, 0, '\n', 0, DF_OK};
  int rc = ini_parse_stream(read_line, &p, on_entry, &p);
  if (p.status != DF_OK || rc != 0) {
    /* inih reports the first bad line; prefer it when it comes before a handler error. */
    int syntax_first = rc > 0 && (p.status == DF_OK || rc < p.error_line);
    df_status s = !syntax_first && p.status != DF_OK
                      ? p.status
                      : DF_FAIL(DF_ERR_CONFIG, "%s:%d: syntax error (expected '[section]' or "
                                               "'key = value')", origin, rc > 0 ? rc : p.line);
    df_config_free(*out);
    *out = NULL;
    return s;
  }
  return DF_OK;
}

df_status df_config_load(const char *path, df_config **out) {
  DF_CHECK_ARG(out);
  *out = NULL;
  char *text;
  size_t len;
  DF_TRY(df_read_file(path, &text, &len));
  df_status s = df_config_parse(text, path, out);
  free(text);
  return s;
}

/* Keys are "section.key": the resolved text groups them by the part before the dot. */
static df_status check_key(const char *origin, const char *key) {
  const char *dot = key ? strchr(key, '.') : NULL;
  if (!dot || dot == key || !dot[1])
    return DF_FAIL(DF_ERR_CONFIG, "%s: '%s' is not of the form section.key", origin,
                   key ? key : "(null)");
  return DF_OK;
}

df_status df_config_set(df_config *cfg, const char *key, const char *value, const char *origin) {
  DF_CHECK_ARG(cfg);
  DF_CHECK_ARG(value);
  if (!origin) origin = "config";
  DF_TRY(check_key(origin, key));
  /* A line break would add lines of its own to the resolved text stored in checkpoints. */
  if (strpbrk(value, "\r\n"))
    return DF_FAIL(DF_ERR_CONFIG, "%s: %s: the value has a line break", origin, key);
  return put(cfg, key, value, origin, 0, 1);
}

df_status df_config_set_assignment(df_config *cfg, const char *assignment, const char *origin) {
  DF_CHECK_ARG(assignment);
  if (!origin) origin = "config";
  const char *eq = strchr(assignment, '=');
  if (!eq)
    return DF_FAIL(DF_ERR_CONFIG, "%s: '%s' is not of the form section.key=value", origin,
                   assignment);
  char key[256];
  size_t n = (size_t)(eq - assignment);
  while (n && assignment[n - 1] == ' ') n--;
  if (n >= sizeof key) return DF_FAIL(DF_ERR_CONFIG, "%s: key too long", origin);
  memcpy(key, assignment, n);
  key[n] = '\0';
  const char *value = eq + 1;
  while (*value == ' ') value++;
  return df_config_set(cfg, key, value, origin);
}

int df_config_has(const df_config *cfg, const char *key) {
  if (!cfg || !key) return 0;
  const entry *e = find(cfg, key);
  return e && e->given;
}

const char *df_config_peek(const df_config *cfg, const char *key) {
  const entry *e = cfg && key ? find(cfg, key) : NULL;
  return e ? e->value : NULL;
}

/* Where a value came from, for messages: "file:line" or the origin alone. */
static const char *where(const entry *e, char *buf, size_t len) {
  if (e->line) snprintf(buf, len, "%s:%d", e->origin, e->line);
  else snprintf(buf, len, "%s", e->origin[0] ? e->origin : "config");
  return buf;
}

/* Marks key as read, creating it with the default when absent. */
static df_status lookup(const char *fn, df_config *cfg, const char *key, const char *def,
                        const void *out, entry **e_out) {
  if (!cfg || !def || !out)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: argument '%s' is NULL", fn,
                   !cfg ? "cfg" : !def ? "def" : "out");
  DF_TRY(check_key(fn, key));
  entry *e = find(cfg, key);
  if (!e) {
    DF_TRY(put(cfg, key, def, "default", 0, 0));
    e = find(cfg, key);
  }
  if (!e->read) {
    e->read = 1;
    e->read_order = cfg->reads++;
  }
  *e_out = e;
  return DF_OK;
}

df_status df_config_int(df_config *cfg, const char *key, long def, long min, long max, long *out) {
  char d[32];
  snprintf(d, sizeof d, "%ld", def);
  entry *e = NULL;
  DF_TRY(lookup(__func__, cfg, key, d, out, &e));
  char *end, at[4200];
  errno = 0;
  long v = strtol(e->value, &end, 10);
  while (*end == ' ') end++;
  if (errno || end == e->value || *end)
    return DF_FAIL(DF_ERR_CONFIG, "%s: %s: expected an integer, got '%s'", where(e, at, sizeof at),
                   key, e->value);
  if (v < min || v > max)
    return DF_FAIL(DF_ERR_CONFIG, "%s: %s: %ld is outside [%ld, %ld]", where(e, at, sizeof at), key,
                   v, min, max);
  *out = v;
  return DF_OK;
}

df_status df_config_float(df_config *cfg, const char *key, double def, double min, double max,
                          double *out) {
  char d[64];
  snprintf(d, sizeof d, "%.9g", def);
  entry *e = NULL;
  DF_TRY(lookup(__func__, cfg, key, d, out, &e));
  char *end, at[4200];
  errno = 0;
  double v = strtod(e->value, &end);
  while (*end == ' ') end++;
  if (errno || end == e->value || *end || !isfinite(v))
    return DF_FAIL(DF_ERR_CONFIG, "%s: %s: expected a number, got '%s'", where(e, at, sizeof at),
                   key, e->value);
  if (v < min || v > max)
    /* The value as given: %g rounds 0.9999999 to the "1" that would look inside [0, 0.999999]. */
    return DF_FAIL(DF_ERR_CONFIG, "%s: %s: %s is outside [%.9g, %.9g]", where(e, at, sizeof at), key,
                   e->value, min, max);
  *out = v;
  return DF_OK;
}

df_status df_config_bool(df_config *cfg, const char *key, int def, int *out) {
  entry *e = NULL;
  DF_TRY(lookup(__func__, cfg, key, def ? "true" : "false", out, &e));
  const char *v = e->value;
  if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1")) {
    *out = 1;
  } else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
             !strcmp(v, "0")) {
    *out = 0;
  } else {
    char at[4200];
    return DF_FAIL(DF_ERR_CONFIG, "%s: %s: expected true or false, got '%s'",
                   where(e, at, sizeof at), key, v);
  }
  return DF_OK;
}

df_status df_config_string(df_config *cfg, const char *key, const char *def, const char **out) {
  entry *e = NULL;
  DF_TRY(lookup(__func__, cfg, key, def, out, &e));
  *out = e->value;
  return DF_OK;
}

df_status df_config_choice(df_config *cfg, const char *key, const char *def,
                           const char *const *choices, int *out) {
  entry *e = NULL;
  DF_TRY(lookup(__func__, cfg, key, def, out, &e));
  if (!choices) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: argument 'choices' is NULL", __func__);
  char list[512] = "";
  for (int i = 0; choices[i]; i++) {
    if (!strcasecmp(e->value, choices[i])) {
      *out = i;
      return DF_OK;
    }
    size_t used = strlen(list);
    snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", choices[i]);
  }
  char at[4200];
  return DF_FAIL(DF_ERR_CONFIG, "%s: %s: '%s' is not one of: %s", where(e, at, sizeof at), key,
                 e->value, list);
}

df_status df_config_fail(const df_config *cfg, const char *key, const char *file, int line, const char *fmt, ...) {
  char msg[1024], at[4200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const entry *e = find(cfg, key);
  if (e && e->given) return df_set_error(DF_ERR_CONFIG, file, line, "%s: %s: %s", where(e, at, sizeof at), key, msg);
  return df_set_error(DF_ERR_CONFIG, file, line, "%s = %s (the default): %s", key, e ? e->value : "?", msg);
}

df_status df_config_check_unused(const df_config *cfg) { return df_config_check_unused_in(cfg, NULL); }

df_status df_config_check_unused_in(const df_config *cfg, const char *section) {
  DF_CHECK_ARG(cfg);
  const size_t n = section ? strlen(section) : 0;
  for (size_t i = 0; i < cfg->n; i++) {
    const entry *e = &cfg->entries[i];
    if (section && (strncmp(e->key, section, n) || e->key[n] != '.')) continue;
    if (e->given && !e->read) {
      char at[4200];
      return DF_FAIL(DF_ERR_CONFIG, "%s: unknown key '%s'", where(e, at, sizeof at), e->key);
    }
  }
  return DF_OK;
}

static int by_read_order(const void *a, const void *b) {
  const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
  return x->read_order - y->read_order;
}

df_status df_config_resolved_text(const df_config *cfg, char **text) {
  DF_CHECK_ARG(cfg);
  DF_CHECK_ARG(text);
  const entry **order = malloc((cfg->n ? cfg->n : 1) * sizeof *order);
  DF_CHECK_ALLOC(order);
  size_t m = 0;
  for (size_t i = 0; i < cfg->n; i++)
    if (cfg->entries[i].read) order[m++] = &cfg->entries[i];
  qsort(order, m, sizeof *order, by_read_order);
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  if (!out) {
    free(order);
    return DF_FAIL(DF_ERR_OOM, "open_memstream failed");
  }
  /* Group by section, sections in the order they were first read. */
  for (size_t i = 0; i < m; i++) {
    const char *dot = strchr(order[i]->key, '.');
    size_t slen = (size_t)(dot - order[i]->key);
    int first = 1;
    for (size_t j = 0; j < i; j++)
      if (!strncmp(order[j]->key, order[i]->key, slen + 1)) first = 0;
    if (!first) continue;
    fprintf(out, "%s[%.*s]\n", i ? "\n" : "", (int)slen, order[i]->key);
    for (size_t j = i; j < m; j++)
      if (!strncmp(order[j]->key, order[i]->key, slen + 1))
        fprintf(out, "%s = %s\n", order[j]->key + slen + 1, order[j]->value);
  }
  fclose(out);
  free(order);
  *text = buf;
  return DF_OK;
}
