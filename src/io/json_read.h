/* Reading a JSON file that drumforge wrote (eval.json, best.json, ...): a file that is there
 * but does not parse is an error naming it, never taken for a missing one. */
#ifndef DF_IO_JSON_READ_H
#define DF_IO_JSON_READ_H

#include <cjson/cJSON.h>

#include "drumforge/status.h"

/* *out: the parsed document (cJSON_Delete it), or NULL when the file does not exist and
 * optional is 1. DF_ERR_FORMAT when it is not valid JSON, DF_ERR_NOT_FOUND / DF_ERR_IO when it
 * cannot be read. */
df_status df_json_read_file(const char *path, int optional, cJSON **out);

/* The number at key, or NAN when it is missing or not a number. */
double df_json_number(const cJSON *object, const char *key);

#endif
