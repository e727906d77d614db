#include "common/dsp_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "drumforge/safetensors.h"

float *df_dsp_fixture(const char *name, int ndim, const int64_t *shape) {
  char path[4096];
  df_test_source_path("fixtures/dsp/dsp.safetensors", path, sizeof path);
  df_st_file *f;
  if (!df_expect_ok(df_st_open(path, &f), "open the DSP fixtures")) return NULL;
  const df_st_tensor *t;
  float *data = NULL;
  if (df_expect_ok(df_st_find(f, name, &t), name)) {
    int same = t->dtype == DF_ST_F32 && t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
      df_test_fail(name, "the fixture's dtype or shape differs from the test's configuration "
                         "(rerun tests/make_dsp_fixtures.py?)");
    } else {
      data = malloc(t->nbytes);
      memcpy(data, t->data, t->nbytes);
    }
  }
  df_st_close(f);
  return data;
}
