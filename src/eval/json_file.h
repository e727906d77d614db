/* Writing a cJSON document to a file atomically (internal to evaluation and its trainer hook). */
#ifndef DF_EVAL_JSON_FILE_H
#define DF_EVAL_JSON_FILE_H

#include <cjson/cJSON.h>

#include "drumforge/status.h"

/* Prints root (indented), writes it to path through a temporary file, and deletes root. */
df_status ev_write_json(const char *path, cJSON *root);

#endif
