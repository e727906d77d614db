/* JSON files (json_read.h). */
#include "io/json_read.h"

#include <math.h>
#include <stdlib.h>

#include "drumforge/fileio.h"

df_status df_json_read_file(const char *path, int optional, cJSON **out) {
  *out = NULL;
  char *text;
  size_t len;
  df_status s = df_read_file(path, &text, &len);
  if (s == DF_ERR_NOT_FOUND && optional) {
    df_clear_error();
    return DF_OK;
  }
  if (s) return s;
  const char *end = NULL;
  *out = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  const long at = end ? (long)(end - text) : 0;
  free(text);
  if (!*out) return DF_FAIL(DF_ERR_FORMAT, "%s: not valid JSON (at byte %ld)", path, at);
  return DF_OK;
}

double df_json_number(const cJSON *object, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(object, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}
