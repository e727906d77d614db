/* The per-bin moments file: JSON {"format": "drumforge-bin-moments", "bins": F, "mean": [...],
 * "std": [...]}, written atomically; loading names the file and the problem. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "drumforge/dsp.h"
#include "drumforge/fileio.h"

#define FORMAT_NAME "drumforge-bin-moments"

df_status df_bin_moments_save(const char *path, int bins, const float *mean, const float *std) {
  if (!path || bins < 1 || !mean || !std)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_bin_moments_save: bad arguments");
  cJSON *root = cJSON_CreateObject();
  cJSON *m = cJSON_CreateArray(), *s = cJSON_CreateArray();
  int ok = root && m && s && cJSON_AddStringToObject(root, "format", FORMAT_NAME) &&
           cJSON_AddNumberToObject(root, "bins", bins);
  for (int f = 0; ok && f < bins; f++) {
    cJSON *a = cJSON_CreateNumber(mean[f]), *b = cJSON_CreateNumber(std[f]);
    ok = a && b && cJSON_AddItemToArray(m, a) && cJSON_AddItemToArray(s, b);
  }
  ok = ok && cJSON_AddItemToObject(root, "mean", m);
  if (ok) m = NULL;
  ok = ok && cJSON_AddItemToObject(root, "std", s);
  if (ok) s = NULL;
  char *text = ok ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  cJSON_Delete(m);
  cJSON_Delete(s);
  if (!text) return DF_FAIL(DF_ERR_OOM, "%s: cannot build the moments JSON", path);
  df_status st = df_write_file_atomic(path, text, strlen(text));
  free(text);
  return st;
}

/* A JSON array of exactly n finite numbers (positive ones when positive) into out. */
static df_status read_array(const char *path, const cJSON *root, const char *key, int n,
                            int positive, float *out) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
    return DF_FAIL(DF_ERR_FORMAT, "%s: '%s' must be an array of %d numbers", path, key, n);
  int i = 0;
  const cJSON *v;
  cJSON_ArrayForEach(v, a) {
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || (positive && !(v->valuedouble > 0)))
      return DF_FAIL(DF_ERR_FORMAT, "%s: '%s'[%d] is not a %s number", path, key, i,
                     positive ? "positive" : "finite");
    out[i++] = (float)v->valuedouble;
  }
  return DF_OK;
}

df_status df_bin_moments_load(const char *path, int *bins, float **mean, float **std) {
  if (!path || !bins || !mean || !std)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_bin_moments_load: bad arguments");
  *mean = *std = NULL;
  char *text;
  size_t len;
  DF_TRY(df_read_file(path, &text, &len));
  cJSON *root = cJSON_ParseWithLength(text, len);
  free(text);
  if (!root) return DF_FAIL(DF_ERR_FORMAT, "%s: not valid JSON (truncated or corrupt)", path);
  df_status st = DF_OK;
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *nb = cJSON_GetObjectItemCaseSensitive(root, "bins");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, FORMAT_NAME) != 0) {
    st = DF_FAIL(DF_ERR_FORMAT, "%s: not a per-bin moments file (format must be \"%s\")", path,
                 FORMAT_NAME);
  } else if (!cJSON_IsNumber(nb) || nb->valuedouble < 1 || nb->valuedouble > (1 << 24) ||
             nb->valuedouble != (int)nb->valuedouble) {
    st = DF_FAIL(DF_ERR_FORMAT, "%s: 'bins' must be a positive integer", path);
  } else {
    int n = (int)nb->valuedouble;
    float *m = malloc(sizeof(float) * (size_t)n), *s = malloc(sizeof(float) * (size_t)n);
    if (!m || !s) st = DF_FAIL(DF_ERR_OOM, "%s: no memory for %d bins", path, n);
    if (st == DF_OK) st = read_array(path, root, "mean", n, 0, m);
    if (st == DF_OK) st = read_array(path, root, "std", n, 1, s);
    if (st == DF_OK) {
      *bins = n;
      *mean = m;
      *std = s;
    } else {
      free(m);
      free(s);
    }
  }
  cJSON_Delete(root);
  return st;
}
