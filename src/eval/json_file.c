#include "eval/json_file.h"

#include <stdlib.h>
#include <string.h>

#include "drumforge/fileio.h"

df_status ev_write_json(const char *path, cJSON *root) {
  char *text = root ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!text) return DF_FAIL(DF_ERR_OOM, "%s: cannot format the JSON", path);
  df_status s = df_write_file_atomic(path, text, strlen(text));
  free(text);
  return s;
}
