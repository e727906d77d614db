/* String and hashing helpers (src/data/text.h). */
#include "data/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/fileio.h"
#include "drumforge/rng.h"

char *text_printf(const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s) vsnprintf(s, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return s;
}

/* Length of the valid UTF-8 sequence at s (0 when invalid). */
static int utf8_seq(const unsigned char *s) {
  if (s[0] < 0x80) return 1;
  int n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
  if (n == 0 || (n == 2 && s[0] < 0xc2)) return 0;
  for (int i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80) return 0;
  if (n == 3 && s[0] == 0xe0 && s[1] < 0xa0) return 0;  /* overlong */
  if (n == 3 && s[0] == 0xed && s[1] >= 0xa0) return 0; /* surrogates */
  if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || s[0] > 0xf4 || (s[0] == 0xf4 && s[1] >= 0x90)))
    return 0;
  return n;
}

char *text_utf8_clean(const char *s) {
  size_t len = strlen(s);
  char *out = malloc(3 * len + 1); /* every byte may become the 3-byte U+FFFD */
  if (!out) return NULL;
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int n = utf8_seq(p);
    if (n) {
      memcpy(out + o, p, (size_t)n);
      o += (size_t)n;
      p += n;
    } else {
      memcpy(out + o, "\xef\xbf\xbd", 3);
      o += 3;
      p++;
    }
  }
  out[o] = '\0';
  return out;
}

uint64_t text_fnv1a(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t text_mix(uint64_t h, uint64_t seed) {
  uint32_t ctr[4] = {(uint32_t)h, (uint32_t)(h >> 32), 0x64617461u /* "data" */, 0};
  uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  uint32_t out[4];
  df_philox4x32_10(ctr, key, out);
  return (uint64_t)out[0] | (uint64_t)out[1] << 32;
}

df_status text_read_table(const char *path, int max_fields, text_row_fn fn, void *ctx) {
  char *text;
  size_t len;
  DF_TRY(df_read_file(path, &text, &len));
  char **fields = malloc(sizeof(char *) * (size_t)max_fields);
  df_status st = fields ? DF_OK : DF_FAIL(DF_ERR_OOM, "%s", path);
  int line = 0;
  /* Lines by hand: strtok_r on "\n" would skip empty lines and so miscount. */
  for (char *p = text; *p && st == DF_OK;) {
    char *end = strchr(p, '\n');
    if (end) *end = '\0';
    line++;
    size_t n = strlen(p);
    if (n && p[n - 1] == '\r') p[n - 1] = '\0';
    if (*p && *p != '#') {
      int nf = 0;
      char *save = NULL;
      for (char *tok = strtok_r(p, "\t", &save); tok && nf < max_fields; tok = strtok_r(NULL, "\t", &save))
        fields[nf++] = tok;
      if (nf) st = fn(ctx, line, fields, nf);
    }
    p = end ? end + 1 : p + n;
  }
  free(fields);
  free(text);
  return st;
}
