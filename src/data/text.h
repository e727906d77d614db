/* Small string and hashing helpers for the data code. */
#ifndef DF_DATA_TEXT_H
#define DF_DATA_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* printf into a malloc'd string (NULL when out of memory). */
char *text_printf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* A copy that is valid UTF-8: each invalid byte becomes U+FFFD. File names are bytes, but
 * JSON and HDF5 UTF-8 strings must be valid. */
char *text_utf8_clean(const char *s);

/* Reads a TAB-separated table: for every line that is not blank or a '#' comment, calls
 * fn(ctx, line number, fields, count) with the line split at runs of TABs (at most max
 * fields; CR before LF is dropped). Stops at the first error fn returns. */
#include "drumforge/status.h"
typedef df_status (*text_row_fn)(void *ctx, int line, char **fields, int n);
df_status text_read_table(const char *path, int max_fields, text_row_fn fn, void *ctx);

/* 64-bit FNV-1a, continued from h (start with TEXT_FNV_INIT). */
#define TEXT_FNV_INIT 0xcbf29ce484222325ull
uint64_t text_fnv1a(uint64_t h, const void *data, size_t len);

/* Mixes a key hash with a seed through one Philox block: a well-spread 64-bit value. */
uint64_t text_mix(uint64_t h, uint64_t seed);

#endif
