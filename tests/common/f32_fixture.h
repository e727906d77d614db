/* Loading the raw float32 fixtures written by tests/make_dsp_fixtures.py: DIR/index.json maps
 * each name to {"file": NAME.f32, "shape": [...]}. A missing, short or mis-shaped fixture is a
 * test failure naming it (fixtures are committed, so this never skips). */
#ifndef DF_TESTS_F32_FIXTURE_H
#define DF_TESTS_F32_FIXTURE_H

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"

/* Loads fixture `name` from tests/DIR into a malloc'd array. When ndim > 0 its shape must be
 * `shape`; returns NULL after recording a failure. */
static inline float *df_fixture_load(const char *dir, const char *name, int ndim,
                                     const int64_t *shape) {
  char rel[512], path[4096];
  snprintf(rel, sizeof rel, "%s/index.json", dir);
  char *text;
  size_t len;
  if (!df_expect_ok(df_read_file(df_test_source_path(rel, path, sizeof path), &text, &len),
                    "read the fixture index"))
    return NULL;
  cJSON *root = cJSON_ParseWithLength(text, len);
  free(text);
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "tensors"), name);
  const cJSON *file = cJSON_GetObjectItemCaseSensitive(t, "file");
  const cJSON *shp = cJSON_GetObjectItemCaseSensitive(t, "shape");
  float *data = NULL;
  if (!cJSON_IsString(file) || !cJSON_IsArray(shp)) {
    df_test_fail(name, "fixture missing from %s (run tests/make_dsp_fixtures.py)", path);
  } else {
    int64_t numel = 1, i = 0;
    int shape_ok = ndim <= 0 || cJSON_GetArraySize(shp) == ndim;
    const cJSON *d;
    cJSON_ArrayForEach(d, shp) {
      numel *= (int64_t)d->valuedouble;
      if (ndim > 0 && i < ndim && (int64_t)d->valuedouble != shape[i]) shape_ok = 0;
      i++;
    }
    snprintf(rel, sizeof rel, "%s/%s", dir, file->valuestring);
    char *raw;
    if (!shape_ok) {
      df_test_fail(name, "fixture has another shape than the test's configuration");
    } else if (df_expect_ok(df_read_file(df_test_source_path(rel, path, sizeof path), &raw, &len),
                            name)) {
      if (len != (size_t)numel * 4) {
        df_test_fail(name, "fixture file %s has %zu bytes, %lld expected", path, len,
                     (long long)numel * 4);
      } else {
        data = malloc(len);
        memcpy(data, raw, len); /* little-endian float32, as written by numpy's "<f4" */
      }
      free(raw);
    }
  }
  cJSON_Delete(root);
  return data;
}

#endif
