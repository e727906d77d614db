# Generation and encoding are byte-identical whatever the batch (batch-invariant CPU math,
# include/drumforge/runtime.h), which must not depend on the kernels OpenBLAS picks for the
# machine: its Haswell/Zen kernels (chosen on AVX2 CPUs) round a row by its place in the
# matrix, its SkylakeX/Cooperlake ones (AVX-512) do not. These tests run again with the Haswell kernels forced
# (OPENBLAS_CORETYPE; Debian's OpenBLAS is built with DYNAMIC_ARCH), in their own scratch
# folders.
foreach(t test_generate_determinism test_generate_latents test_generate_loops test_specae_infer)
  add_test(NAME ${t}_haswell_blas COMMAND ${t})
  set_tests_properties(${t}_haswell_blas PROPERTIES SKIP_RETURN_CODE 77 LABELS unit
    ENVIRONMENT "DF_PYTHON=${DF_SYSTEM_PYTHON};OMP_NUM_THREADS=2;OMP_WAIT_POLICY=PASSIVE;OPENBLAS_CORETYPE=Haswell;DF_TEST_VARIANT=haswell_blas")
endforeach()
