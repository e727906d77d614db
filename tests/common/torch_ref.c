#include "common/torch_ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/testlib.h"

const char *df_test_python(void) {
  const char *p = getenv("DF_PYTHON");
  return p && p[0] ? p : "python3";
}

int df_test_have_torch(void) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s -c 'import torch, numpy' > /dev/null 2>&1", df_test_python());
  return system(cmd) == 0;
}

void df_expect_reference(const df_st_file *ref, const char *name, const df_tensor *got, double rtol, double floor,
                         const char *what) {
  df_tensor want;
  if (!what) what = name;
  if (!df_expect_ok(df_st_load_f32(ref, name, DF_DEVICE_CPU, &want), what)) return;
  df_tensor g = *got;
  if (g.ndim != want.ndim) df_tensor_reshape(got, want.ndim, want.shape, &g);
  double scale = 0;
  for (int64_t i = 0; i < df_tensor_numel(&want); i++) scale = fmax(scale, fabs(((float *)want.data)[i]));
  df_expect_tensor_close(what, &g, &want, 0, fmax(rtol * scale, floor));
  df_tensor_free(&want);
}
