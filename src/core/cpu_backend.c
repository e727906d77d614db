/* The CPU backend: host memory, Philox fills with OpenMP, and the per-concern CPU tables. */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/backend.h"
#include "core/check.h"
#include "loss/loss_backend.h"
#include "ops/cpu/nn_cpu.h"
#include "dsp/dsp_backend.h"
#include "eval/metric_backend.h"
#include "rng/philox_impl.h"

/* The thread count and OpenBLAS's kernel family (it picks one per CPU, e.g. SkylakeX or
 * Cooperlake with AVX-512, Haswell or Zen with AVX2, unless OPENBLAS_CORETYPE names one) both
 * change how results round, so checkpoints record both. */
static df_status cpu_init(char *desc, size_t len) {
  snprintf(desc, len, "cpu (%d threads, OpenBLAS %s)", omp_get_max_threads(), openblas_get_corename());
  return DF_OK;
}

static void cpu_shutdown(void) { df_cpu_workspace_release(); }

static df_status cpu_alloc(size_t bytes, void **ptr) {
  /* 64-byte alignment for vector loads; aligned_alloc wants a multiple of the alignment. */
  size_t rounded = (bytes + 63) & ~(size_t)63;
  void *p = aligned_alloc(64, rounded);
  if (!p) return DF_FAIL(DF_ERR_OOM, "aligned_alloc(%zu) failed", rounded);
  memset(p, 0, rounded);
  *ptr = p;
  return DF_OK;
}

static void cpu_release(void *ptr) { free(ptr); }

static df_status cpu_memset0(void *ptr, size_t bytes) {
  memset(ptr, 0, bytes);
  return DF_OK;
}

static df_status cpu_copy(void *dst, df_device dst_dev, const void *src, df_device src_dev,
                          size_t bytes) {
  if (dst_dev != DF_DEVICE_CPU || src_dev != DF_DEVICE_CPU)
    return DF_FAIL(DF_ERR_INVALID_ARG, "cpu backend asked to copy device memory");
  memmove(dst, src, bytes);
  return DF_OK;
}

static df_status cpu_sync(void) { return DF_OK; }

static void cpu_host_free(void *ptr) { free(ptr); }

static df_status cpu_upload(void *dst, const void *src, size_t bytes, void **fence) {
  memcpy(dst, src, bytes);
  *fence = NULL;
  return DF_OK;
}

static df_status cpu_fence_wait(void *fence) { return DF_OK; }

static void cpu_memory_stats(size_t *in_use, size_t *cached, size_t *peak) {
  struct rusage ru;
  *in_use = 0;
  *cached = 0;
  *peak = getrusage(RUSAGE_SELF, &ru) == 0 ? (size_t)ru.ru_maxrss * 1024 : 0;
}

/* As df_philox_uniform_at for each element, with each Philox block computed once for the
 * (up to) four words it gives instead of once per word. */
static df_status cpu_rng_uniform(uint64_t seed, uint64_t offset, float *out, int64_t n,
                                 float lo, float hi) {
  if (n <= 0) return DF_OK;
  const uint64_t first = offset >> 2, last = (offset + (uint64_t)n - 1) >> 2;
  const int64_t blocks = (int64_t)(last - first) + 1;
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t b = 0; b < blocks; b++) {
    uint32_t w[4];
    df_philox_stream_block(seed, first + (uint64_t)b, w);
    for (uint64_t k = 0; k < 4; k++) {
      const uint64_t word = ((first + (uint64_t)b) << 2) + k;
      if (word < offset || word >= offset + (uint64_t)n) continue;
      out[word - offset] = df_philox_mul_add(lo, hi - lo, df_philox_uniform(w[k]));
    }
  }
  return DF_OK;
}

static df_status cpu_rng_normal(uint64_t seed, uint64_t offset, float *out, int64_t n,
                                float mean, float std) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; i++)
    out[i] = df_philox_normal_at(seed, offset, (uint64_t)i, mean, std);
  return DF_OK;
}

const df_backend *df_cpu_backend(void) {
  static df_backend be;
  if (!be.name) {
    be.device = DF_DEVICE_CPU;
    be.init = cpu_init;
    be.shutdown = cpu_shutdown;
    be.alloc = cpu_alloc;
    be.release = cpu_release;
    be.memset0 = cpu_memset0;
    be.copy = cpu_copy;
    be.sync = cpu_sync;
    be.memory_stats = cpu_memory_stats;
    be.host_alloc = cpu_alloc;
    be.host_free = cpu_host_free;
    be.upload_async = cpu_upload;
    be.fence_wait = cpu_fence_wait;
    be.rng_uniform = cpu_rng_uniform;
    be.rng_normal = cpu_rng_normal;
    be.nn = df_cpu_nn_backend();
    be.loss = df_cpu_loss_backend();
    be.dsp = df_cpu_dsp_backend();
    be.metric = df_cpu_metric_backend();
    be.name = "cpu";
  }
  return &be;
}
