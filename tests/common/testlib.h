/* Shared helpers for drumforge's C tests. Every check prints one line; a failing check names
 * the tensor, the worst error, where it was and the two values. df_test_finish() prints the
 * totals ("N passed, N failed" and the GPU cases skipped) and returns the exit code:
 * 1 when anything failed, 77 (CTest "skipped") when nothing ran, else 0. */
#ifndef DF_TESTS_TESTLIB_H
#define DF_TESTS_TESTLIB_H

#include <stdint.h>
#include <stdio.h>

#include "drumforge/drumforge.h"

/* Starts a test program: selects the CPU runtime (and probes the GPU). */
void df_test_begin(const char *program);
/* 1 when CUDA cases can run here. */
int df_test_gpu(void);
/* Count n CUDA cases that could not run (printed as "skipped (no GPU)", never as passed). */
void df_test_skip_gpu(int n, const char *what);
int df_test_finish(void);

/* Record one check. */
void df_test_pass(const char *what);
void df_test_fail(const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A status must be DF_OK; otherwise fails with df_last_error(). Returns 1 when ok. */
int df_expect_ok(df_status s, const char *what);
/* A status must equal `want` (for bad-input tests). */
int df_expect_status(df_status got, df_status want, const char *what);
int df_expect_true(int cond, const char *what);
/* A scalar: |got - want| <= tol; a failure prints both values and the difference (NaN fails). */
int df_expect_near(const char *what, double got, double want, double tol);

/* Elementwise |got - want| <= atol + rtol |want| for all i; prints the worst offender.
 * Non-finite values in either array fail. Returns 1 when the check passed. */
int df_expect_close(const char *what, const float *got, const float *want, int64_t n,
                    double rtol, double atol);
/* Same for two tensors on any devices (copied to the host). */
int df_expect_tensor_close(const char *what, const df_tensor *got, const df_tensor *want,
                           double rtol, double atol);
/* Bitwise equality. */
int df_expect_equal_bytes(const char *what, const void *got, const void *want, size_t n);

/* Deterministic test data from the library's RNG (seeded per call site). */
void df_test_fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi);
/* Copy a host tensor to the given device (allocates dst). */
df_status df_test_to_device(const df_tensor *src, df_device dev, df_tensor *dst);

/* Finite-difference check of d loss / d x for every element of x (or `samples` of them,
 * chosen deterministically, when samples > 0 and smaller than n). loss(ctx) must read x
 * through the same pointer. Central differences with step eps; the analytic gradient passes
 * when |a - fd| <= atol + rtol max(|a|, |fd|). */
typedef double (*df_test_loss_fn)(void *ctx);
int df_expect_fd_gradient(const char *what, float *x, int64_t n, const float *analytic,
                          df_test_loss_fn loss, void *ctx, int samples, float eps, double rtol,
                          double atol);

/* Path helpers: a file under tests/ in the source tree, and a fresh scratch directory under
 * the build tree for this test (removed and recreated). */
const char *df_test_source_path(const char *rel, char *buf, size_t len);
const char *df_test_scratch_dir(const char *name, char *buf, size_t len);
/* The temporary files (names holding ".tmp.", as df_atomic_tmp_name makes) in dir. */
int df_test_count_temporaries(const char *dir);

#endif
