/* Linked instead of the CUDA backend when drumforge is built without CUDA. */
#include "core/backend.h"

const df_backend *df_cuda_backend(void) { return NULL; }
