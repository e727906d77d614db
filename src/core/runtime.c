/* Device selection and the registry of initialised backends. */
#include "drumforge/runtime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "core/backend.h"
#include "core/check.h"

static int cuda_state = -1; /* -1 not probed, 0 unusable, 1 ready */
static char cuda_desc[256];
static char cuda_problem[512];
static char cpu_desc[128];
static int strict_fp32 = 0;
static int deterministic = 0;
static int batch_invariant = 1;

df_status df_parse_device_request(const char *text, df_device_request *out) {
  DF_CHECK_ARG(text);
  DF_CHECK_ARG(out);
  if (!strcasecmp(text, "auto")) *out = DF_REQUEST_AUTO;
  else if (!strcasecmp(text, "cpu")) *out = DF_REQUEST_CPU;
  else if (!strcasecmp(text, "cuda") || !strcasecmp(text, "gpu")) *out = DF_REQUEST_CUDA;
  else return DF_FAIL(DF_ERR_INVALID_ARG, "unknown device '%s' (use auto, cpu or cuda)", text);
  return DF_OK;
}

int df_cuda_compiled(void) { return df_cuda_backend() != NULL; }

static void probe_cuda(void) {
  if (cuda_state >= 0) return;
  const df_backend *be = df_cuda_backend();
  if (!be) {
    cuda_state = 0;
    snprintf(cuda_problem, sizeof cuda_problem, "this drumforge was built without CUDA");
    return;
  }
  df_status s = be->init(cuda_desc, sizeof cuda_desc);
  cuda_state = s == DF_OK;
  if (!cuda_state) snprintf(cuda_problem, sizeof cuda_problem, "%s", df_last_error());
}

int df_cuda_available(void) {
  probe_cuda();
  return cuda_state == 1;
}

df_status df_runtime_init(df_device_request req, df_device *chosen, char *notice,
                          size_t notice_len) {
  if (notice && notice_len) notice[0] = '\0';
  DF_CHECK_ARG(chosen);
  if (req != DF_REQUEST_AUTO && req != DF_REQUEST_CPU && req != DF_REQUEST_CUDA)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_runtime_init: unknown device request %d", (int)req);
  const df_backend *cpu = df_cpu_backend();
  DF_TRY(cpu->init(cpu_desc, sizeof cpu_desc));
  if (req == DF_REQUEST_CPU) {
    *chosen = DF_DEVICE_CPU;
    return DF_OK;
  }
  if (df_cuda_available()) {
    *chosen = DF_DEVICE_CUDA;
    return DF_OK;
  }
  if (req == DF_REQUEST_CUDA)
    return DF_FAIL(DF_ERR_NO_DEVICE, "--device cuda: no usable GPU: %s", cuda_problem);
  *chosen = DF_DEVICE_CPU;
  if (notice && notice_len)
    snprintf(notice, notice_len, "note: no usable GPU (%s); running on the CPU", cuda_problem);
  return DF_OK;
}

void df_runtime_shutdown(void) {
  if (cuda_state == 1) df_cuda_backend()->shutdown();
  cuda_state = -1;
  df_cpu_backend()->shutdown();
}

const df_backend *df_backend_for(df_device dev) {
  if (dev == DF_DEVICE_CPU) return df_cpu_backend();
  if (dev != DF_DEVICE_CUDA) {
    DF_FAIL(DF_ERR_INVALID_ARG, "unknown device %d", (int)dev);
    return NULL;
  }
  if (df_cuda_available()) return df_cuda_backend();
  DF_FAIL(DF_ERR_NO_DEVICE, "no usable GPU: %s", cuda_problem);
  return NULL;
}

const char *df_device_description(df_device dev) {
  if (dev == DF_DEVICE_CUDA) return df_cuda_available() ? cuda_desc : "cuda (unavailable)";
  /* Each time: the thread count can change (omp_set_num_threads) and checkpoints record it. */
  df_cpu_backend()->init(cpu_desc, sizeof cpu_desc);
  return cpu_desc;
}

void df_set_strict_fp32(int strict) { strict_fp32 = strict != 0; }
int df_strict_fp32(void) { return strict_fp32; }
void df_set_deterministic(int det) { deterministic = det != 0; }
int df_deterministic(void) { return deterministic; }
void df_set_batch_invariant(int invariant) { batch_invariant = invariant != 0; }
int df_batch_invariant(void) { return batch_invariant; }

df_status df_sync(df_device dev) {
  const df_backend *be = df_backend_for(dev);
  if (!be) return DF_ERR_NO_DEVICE;
  return be->sync();
}

void df_device_memory(df_device dev, size_t *in_use, size_t *cached, size_t *peak) {
  size_t a = 0, b = 0, c = 0;
  const df_backend *be = df_backend_for(dev);
  if (be && be->memory_stats) be->memory_stats(&a, &b, &c);
  if (in_use) *in_use = a;
  if (cached) *cached = b;
  if (peak) *peak = c;
}

/* ---- validation helpers ---- */

df_status df_check_tensor(const char *fn, const df_tensor *t) {
  if (!t || (!t->data && (t->ndim == 0 || df_tensor_numel(t) > 0)))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' is missing", fn, t ? t->name : "?");
  /* Hand-filled structs: what df_tensor_alloc and df_tensor_wrap would have refused. */
  if (t->ndim < 1 || t->ndim > DF_MAX_DIMS)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' has %d dims (1..%d allowed)", fn, t->name,
                   t->ndim, DF_MAX_DIMS);
  for (int i = 0; i < t->ndim; i++)
    if (t->shape[i] < 0)
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' has a negative dim %d", fn, t->name, i);
  if (!df_dtype_size(t->dtype))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' has unknown dtype %d", fn, t->name,
                   (int)t->dtype);
  if (t->device != DF_DEVICE_CPU && t->device != DF_DEVICE_CUDA)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' has unknown device %d", fn, t->name,
                   (int)t->device);
  return DF_OK;
}

df_status df_check_f32(const char *fn, const df_tensor *t) {
  DF_TRY(df_check_tensor(fn, t));
  if (t->dtype != DF_F32)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' must be fp32", fn, t->name);
  return DF_OK;
}

df_status df_check_ndim(const char *fn, const df_tensor *t, int ndim) {
  DF_TRY(df_check_f32(fn, t));
  if (t->ndim != ndim) {
    char shp[96];
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' has shape %s, %d dims expected", fn,
                   t->name, df_tensor_shape_str(t, shp, sizeof shp), ndim);
  }
  return DF_OK;
}

df_status df_check_shape(const char *fn, const df_tensor *t, int ndim, const int64_t *shape) {
  DF_TRY(df_check_ndim(fn, t, ndim));
  for (int i = 0; i < ndim; i++) {
    if (t->shape[i] != shape[i]) {
      df_tensor want = df_tensor_wrap(NULL, t->device, t->dtype, ndim, shape, "");
      char got[96], exp[96];
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' has shape %s, %s expected", fn,
                     t->name, df_tensor_shape_str(t, got, sizeof got),
                     df_tensor_shape_str(&want, exp, sizeof exp));
    }
  }
  return DF_OK;
}

df_status df_check_same_shape(const char *fn, const df_tensor *a, const df_tensor *b) {
  DF_TRY(df_check_f32(fn, a));
  return df_check_shape(fn, b, a->ndim, a->shape);
}

df_status df_check_same_device(const char *fn, df_device *dev, int n,
                               const df_tensor *const *ts) {
  int found = 0;
  for (int i = 0; i < n; i++) {
    if (!ts[i]) continue;
    if (!found) {
      *dev = ts[i]->device;
      found = 1;
    } else if (ts[i]->device != *dev) {
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' is on another device than the others",
                     fn, ts[i]->name);
    }
  }
  if (!found) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: no tensors given", fn);
  if (!df_backend_for(*dev)) return DF_ERR_NO_DEVICE;
  return DF_OK;
}

double df_monotonic_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
