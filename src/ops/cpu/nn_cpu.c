/* Placeholder table: replaced by the CPU op library. */
#include "ops/nn_backend.h"

const df_nn_backend *df_cpu_nn_backend(void) {
  static const df_nn_backend table;
  return &table;
}
