/* Per-thread scratch memory for the CPU ops: one buffer per thread (so concurrent callers
 * never share), grown on demand and kept for the next call, freed when its thread exits or
 * by df_cpu_workspace_release() at shutdown. */
#include <pthread.h>
#include <stdlib.h>

#include "ops/cpu/nn_cpu.h"

typedef struct workspace {
  float *data;
  size_t floats;
} workspace;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_workspace(void *p) {
  workspace *ws = p;
  if (ws) free(ws->data);
  free(ws);
}

static void make_key(void) { (void)pthread_key_create(&key, free_workspace); }

float *df_cpu_workspace(size_t floats) {
  pthread_once(&key_once, make_key);
  workspace *ws = pthread_getspecific(key);
  if (!ws) {
    ws = calloc(1, sizeof *ws);
    if (!ws || pthread_setspecific(key, ws) != 0) {
      free(ws);
      DF_FAIL(DF_ERR_OOM, "cannot create the CPU workspace");
      return NULL;
    }
  }
  if (ws->floats < floats) {
    free(ws->data);
    ws->floats = 0;
    ws->data = aligned_alloc(64, (floats * sizeof(float) + 63) & ~(size_t)63);
    if (!ws->data) {
      DF_FAIL(DF_ERR_OOM, "cannot allocate %zu MiB of CPU workspace", (floats * 4) >> 20);
      return NULL;
    }
    ws->floats = floats;
  }
  return ws->data;
}

void df_cpu_workspace_release(void) {
  pthread_once(&key_once, make_key);
  free_workspace(pthread_getspecific(key));
  pthread_setspecific(key, NULL);
}
