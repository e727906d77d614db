/* Status codes and error reporting for the drumforge C API.
 * Every public function returns a df_status; on failure a one-line message describing the
 * call, the file and the problem is kept per thread and can be read with df_last_error().
 * Arguments are checked: a NULL object, path or result pointer, an out-of-range enum or size
 * is DF_ERR_INVALID_ARG naming it, and the objects involved stay usable. Free and close
 * functions accept NULL and a second call. Exceptions are said in the headers. */
#ifndef DRUMFORGE_STATUS_H
#define DRUMFORGE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum df_status {
  DF_OK = 0,
  DF_ERR_INVALID_ARG,  /* bad argument, shape or dtype mismatch */
  DF_ERR_OOM,          /* host or device allocation failed */
  DF_ERR_IO,           /* a file could not be read or written (see the message for errno) */
  DF_ERR_FORMAT,       /* a file's content is corrupt, truncated or of the wrong kind */
  DF_ERR_CONFIG,       /* bad config key or value */
  DF_ERR_CUDA,         /* a CUDA, cuBLAS, cuDNN or cuFFT call failed */
  DF_ERR_NO_DEVICE,    /* the GPU was requested but is not usable here */
  DF_ERR_UNSUPPORTED,  /* the operation is not available in this build or for these arguments */
  DF_ERR_NUMERIC,      /* NaN or Inf where a finite number was required */
  DF_ERR_INTERRUPTED,  /* stopped by a signal */
  DF_ERR_NOT_FOUND     /* a requested item (file, tensor, class) does not exist */
} df_status;

/* Short stable name of a status, e.g. "invalid argument". */
const char *df_status_name(df_status s);

/* The message recorded by the last failing call on this thread ("" if none). */
const char *df_last_error(void);

/* Records a message for status s and returns s. file/line name the place that detected it;
 * they are added to the message (" (file.c:123)") only when the environment variable
 * DRUMFORGE_DEBUG is set (not "" or "0"): the message is what a user reads. file NULL: never. */
df_status df_set_error(df_status s, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* The same for a failed library or system call (CUDA, cuDNN, libc, allocation): the message
 * always ends with the place of the call, which is what a bug report needs. */
df_status df_set_call_error(df_status s, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Clears the thread's last error message. */
void df_clear_error(void);

/* Record an error with the current file and line and evaluate to the status. */
#define DF_FAIL(st, ...) df_set_error((st), __FILE__, __LINE__, __VA_ARGS__)
/* The same for a failed call (df_set_call_error). */
#define DF_CALL_FAIL(st, ...) df_set_call_error((st), __FILE__, __LINE__, __VA_ARGS__)

/* Propagate a failing status to the caller, keeping the original message. */
#define DF_TRY(expr)                      \
  do {                                    \
    df_status df_try_s_ = (expr);         \
    if (df_try_s_ != DF_OK) return df_try_s_; \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif
