/* Experiment configuration: INI files ("[section]" then "key = value"; ';' or '#' comments).
 *
 * Components read their keys with typed getters that give a default, a range and a help
 * text; every key read is recorded with its final value, so the resolved configuration
 * (defaults included) can be written out and stored in checkpoints. After all components
 * have read theirs, df_config_check_unused() rejects any key nobody asked for, naming the
 * file, the line and the key. Keys are addressed as "section.key". */
#ifndef DRUMFORGE_CONFIG_H
#define DRUMFORGE_CONFIG_H

#include <stddef.h>

#include "drumforge/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_config df_config;

df_status df_config_new(df_config **out);
/* Parses an INI file; syntax errors name the file and line. */
df_status df_config_load(const char *path, df_config **out);
/* Parses INI text; origin names it in messages (e.g. a checkpoint's path). */
df_status df_config_parse(const char *text, const char *origin, df_config **out);
void df_config_free(df_config *cfg);

/* Sets or overrides "section.key" (command-line --set section.key=value). */
df_status df_config_set(df_config *cfg, const char *key, const char *value, const char *origin);
/* Parses "section.key=value". */
df_status df_config_set_assignment(df_config *cfg, const char *assignment, const char *origin);
/* 1 when the key was given (in the file or by df_config_set). */
int df_config_has(const df_config *cfg, const char *key);
/* The value of key as text, without reading it (the resolved text and the unused-key check
 * see no difference); NULL when absent. Valid until the key is set again. */
const char *df_config_peek(const df_config *cfg, const char *key);

/* Typed getters. A missing key takes the default; a value that does not parse or is out of
 * range is DF_ERR_CONFIG naming the origin, line, key and the problem. */
df_status df_config_int(df_config *cfg, const char *key, long def, long min, long max, long *out);
df_status df_config_float(df_config *cfg, const char *key, double def, double min, double max,
                          double *out);
df_status df_config_bool(df_config *cfg, const char *key, int def, int *out);
/* The returned string lives as long as cfg. */
df_status df_config_string(df_config *cfg, const char *key, const char *def, const char **out);
/* One of a NULL-terminated list of choices; *out is its index. */
df_status df_config_choice(df_config *cfg, const char *key, const char *def,
                           const char *const *choices, int *out);

/* DF_ERR_CONFIG about the value of a key that was read but does not fit other keys or the
 * data, in the getters' form: "FILE:LINE: key: message" ("--set: key: ..." for an override,
 * "key = VALUE (the default): ..." for a default). Use DF_CONFIG_FAIL. */
df_status df_config_fail(const df_config *cfg, const char *key, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
#define DF_CONFIG_FAIL(cfg, key, ...) df_config_fail((cfg), (key), __FILE__, __LINE__, __VA_ARGS__)

/* DF_ERR_CONFIG for the first key that was given but never read. */
df_status df_config_check_unused(const df_config *cfg);
/* The same for the keys of one section ("model"): for a config read in part, e.g. a model
 * built from an experiment file for inference, whose train.* keys nobody reads. */
df_status df_config_check_unused_in(const df_config *cfg, const char *section);

/* The resolved configuration as INI text (every key read, with its final value, grouped by
 * section in first-read order). The caller frees *text. */
df_status df_config_resolved_text(const df_config *cfg, char **text);

#ifdef __cplusplus
}
#endif
#endif
