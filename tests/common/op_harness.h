/* A table-driven harness for the op tests. A case names its tensors (shapes, and whether
 * each input gets an overwritten gradient like dx, an accumulated one like dw, or none) and
 * two callbacks, forward and backward, written against the public API so the same code runs
 * on any device. df_op_case_run() then checks, for loss = sum(y * r) accumulated in double:
 *  - every gradient against central finite differences on the CPU;
 *  - that the backward overwrites dx-like gradients (prefilled with NaN) and adds into
 *    dw-like ones (a second pass doubles them), bitwise repeatably;
 *  - CUDA against the CPU for all outputs and gradients when a GPU is present: strict fp32
 *    with the case's tolerances and, for GEMM-based ops, TF32 with loose ones; otherwise the
 *    CUDA comparisons are counted as skipped (no GPU). */
#ifndef DF_TESTS_OP_HARNESS_H
#define DF_TESTS_OP_HARNESS_H

#include "common/testlib.h"

#define DF_OP_MAX 6

typedef enum df_grad_kind {
  DF_GRAD_NONE = 0,  /* no gradient (running statistics, ...) */
  DF_GRAD_INPUT,     /* overwritten by the backward (dx) */
  DF_GRAD_PARAM      /* accumulated by the backward (dw, db) */
} df_grad_kind;

typedef struct df_op_tensor {
  const char *name;
  int ndim;
  int64_t shape[DF_MAX_DIMS];
  df_grad_kind grad; /* inputs only */
  float lo, hi;      /* uniform fill range of an input; 0, 0 means [-1, 1] */
  float min_abs;     /* values are moved away from zero by this much (kinks at 0) */
} df_op_tensor;

typedef struct df_op_case df_op_case;
struct df_op_case {
  char name[160];
  int n_in, n_out;
  df_op_tensor in[DF_OP_MAX], out[DF_OP_MAX];
  int n_loss; /* the first n_loss outputs enter the loss (the rest are side outputs) */
  /* Device-agnostic callbacks. dout[k] is the loss's gradient for the loss outputs
   * (k < n_loss); grads[i] is NULL for inputs without a gradient. A case without a
   * backward checks only its outputs (repeatability, CUDA against the CPU). */
  df_status (*forward)(const df_op_case *c, df_tensor *in, df_tensor *out);
  df_status (*backward)(const df_op_case *c, df_tensor *in, df_tensor *out, df_tensor *dout,
                        df_tensor **grads);
  int iparam[8];
  float fparam[4];
  int shifts[64];
  /* Finite differences: step, tolerances, points per tensor (0 = all). */
  float fd_eps;
  double fd_rtol, fd_atol;
  int fd_samples;
  /* CUDA vs CPU: |gpu - cpu| <= rtol |cpu| + atol max|cpu| per tensor. tf32_rtol > 0 also
   * compares with TF32 allowed (atol = tf32_rtol). */
  double gpu_rtol, gpu_atol, tf32_rtol;
  uint64_t seed;
};

/* Runs every check on one case; returns the number of failures it added. */
int df_op_case_run(df_op_case *c);

/* A bad-argument call must fail with DF_ERR_INVALID_ARG and a message naming `needle`. */
int df_expect_invalid(df_status s, const char *needle, const char *what);

/* Draws an integer in [lo, hi] from a fixed stream (for random shapes). */
int df_test_rand_int(uint64_t seed, uint64_t index, int lo, int hi);

#endif
