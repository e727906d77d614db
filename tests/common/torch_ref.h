/* Helpers for tests that compare with a PyTorch reference script run at test time
 * (tests/python/): finding Python with torch, and comparing a tensor with the reference's. */
#ifndef DF_TESTS_TORCH_REF_H
#define DF_TESTS_TORCH_REF_H

#include "drumforge/safetensors.h"

/* $DF_PYTHON (CTest sets Debian's python3), else "python3". */
const char *df_test_python(void);
/* 1 when that Python imports torch and numpy. */
int df_test_have_torch(void);

/* Records one check named `what` (NULL: the name): got against reference tensor `name` of ref
 * (reshaped to its shape), to rtol times the reference's largest magnitude, with an absolute
 * floor (for values that are zero in exact arithmetic and fp32 noise here). */
void df_expect_reference(const df_st_file *ref, const char *name, const df_tensor *got, double rtol, double floor,
                         const char *what);

#endif
