/* Checking macros for libc calls: on failure they record "call: strerror (file:line)" and
 * return a status from the enclosing function. */
#ifndef DF_CORE_CHECK_H
#define DF_CORE_CHECK_H

#include <errno.h>
#include <string.h>

#include "drumforge/status.h"

/* For calls that return non-zero (or -1) on failure and set errno. */
#define DF_CHECK_LIBC(call)                                                              \
  do {                                                                                   \
    if ((call) != 0) return DF_CALL_FAIL(DF_ERR_IO, "%s failed: %s", #call, strerror(errno)); \
  } while (0)

/* For allocations. */
#define DF_CHECK_ALLOC(ptr)                                                       \
  do {                                                                            \
    if ((ptr) == NULL) return DF_CALL_FAIL(DF_ERR_OOM, "allocation failed: %s", #ptr); \
  } while (0)

/* For a required pointer argument of a public function: NULL is DF_ERR_INVALID_ARG naming the
 * function and the argument. */
#define DF_CHECK_ARG(arg)                                                                  \
  do {                                                                                     \
    if (!(arg))                                                                            \
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: argument '%s' is NULL", __func__, #arg);     \
  } while (0)

#endif
