/* Helpers for tests that compare with a PyTorch reference script run at test time
 * (tests/python/): finding Python with torch, and comparing a tensor with the reference's. */
#ifndef DF_TESTS_TORCH_REF_H
#define DF_TESTS_TORCH_REF_H

#include "drumforge/nn.h"
#include "drumforge/safetensors.h"

/* $DF_PYTHON (CTest sets Debian's python3), else "python3". */
const char *df_test_python(void);
/* 1 when that Python imports torch and numpy. */
int df_test_have_torch(void);
/* df_test_begin(name); then 1 when torch is usable, else 0 after printing the SKIP line (the
 * test then returns 77). */
int df_test_begin_torch(const char *name);
/* A fresh scratch folder TEST/VARIANT (each test its own: the torch tests share variant names
 * and run in parallel) and the reference's input and output files there (len bytes each). */
void df_test_reference_files(const char *test, const char *variant, char *in_path, char *out_path, size_t len);
/* Runs tests/python/SCRIPT IN_PATH OUT_PATH and opens OUT_PATH: the reference's results, or
 * NULL after a failed check ("the PyTorch reference ran", "read reference results"). */
df_st_file *df_test_run_reference(const char *script, const char *in_path, const char *out_path);

/* Records one check named `what` (NULL: the name): got against reference tensor `name` of ref
 * (reshaped to its shape), to rtol times the reference's largest magnitude, with an absolute
 * floor (for values that are zero in exact arithmetic and fp32 noise here). */
void df_expect_reference(const df_st_file *ref, const char *name, const df_tensor *got, double rtol, double floor,
                         const char *what);

/* Adds the parameters of set (trainable_only: the trainable ones; else buffers too) to w named
 * PREFIX + "<set prefix>.<name>", the export names behind prefix. */
void df_st_writer_add_params(df_st_writer *w, const df_param_set *set, const char *prefix, int trainable_only);

/* A parameter set to compare after training; tensors for which skip(p, ctx) says 1 are left
 * out (skip NULL: none). */
typedef struct df_trained_set {
  const df_param_set *set;
  int (*skip)(const df_param *p, const void *ctx);
  const void *ctx;
} df_trained_set;

/* After a training run: every tensor of the sets against ref's "<set prefix>.<name>", the
 * largest difference relative to how far the reference moved the tensor from its initial
 * value, "init.<set prefix>.<name>" in the file init_path (at least set->adam.lr, one step's
 * size: a tensor the loss leaves alone must stay within tol of an update). One check per
 * tensor, failing above tol; the worst is printed. */
void df_expect_trained(const df_st_file *ref, const char *init_path, const df_trained_set *sets, int n_sets,
                       double tol);
/* A skip for df_expect_trained: the trainable parameters (buffers only are compared). */
int df_trainable_param(const df_param *p, const void *ctx);

#endif
