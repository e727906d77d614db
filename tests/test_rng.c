/* The counter-based RNG: Philox4x32-10 known-answer vectors from the Random123 distribution
 * (kat_vectors), the stream layout, the distributions' moments, host helpers, and CPU vs GPU
 * equality of uniform and normal fills. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "rng/philox_impl.h"

static void kat(const char *what, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                uint32_t k1, uint32_t e0, uint32_t e1, uint32_t e2, uint32_t e3) {
  uint32_t ctr[4] = {c0, c1, c2, c3}, key[2] = {k0, k1}, out[4];
  df_philox4x32_10(ctr, key, out);
  uint32_t want[4] = {e0, e1, e2, e3};
  if (memcmp(out, want, sizeof out) == 0) {
    df_test_pass(what);
  } else {
    df_test_fail(what, "got %08x %08x %08x %08x, want %08x %08x %08x %08x", out[0], out[1],
                 out[2], out[3], e0, e1, e2, e3);
  }
}

static void moments(const char *what, const float *x, int64_t n, double mean, double var,
                    double tol) {
  double s = 0, s2 = 0;
  for (int64_t i = 0; i < n; i++) s += x[i];
  double m = s / (double)n;
  for (int64_t i = 0; i < n; i++) s2 += (x[i] - m) * (x[i] - m);
  double v = s2 / (double)(n - 1);
  if (fabs(m - mean) <= tol && fabs(v - var) <= tol * (1 + var)) df_test_pass(what);
  else df_test_fail(what, "mean %.5f (want %.5f), variance %.5f (want %.5f)", m, mean, v, var);
}

int main(void) {
  df_test_begin("test_rng");
  /* Random123 kat_vectors, philox4x32_10. */
  kat("philox kat zero", 0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
  kat("philox kat ones", 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
      0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
  kat("philox kat pi", 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);

  /* Stream layout: a fill at offset 8 equals words 8.. of the stream. */
  df_rng rng;
  df_rng_init(&rng, 0x1234567890abcdefULL);
  df_tensor a, b;
  df_expect_ok(df_tensor_new(&a, DF_DEVICE_CPU, "uniform", 10), "alloc");
  df_expect_ok(df_tensor_new(&b, DF_DEVICE_CPU, "uniform again", 10), "alloc");
  df_expect_ok(df_rng_uniform(&rng, &a, 0.f, 1.f), "uniform fill");
  df_expect_true(rng.offset == 12, "offset advances by the size rounded up to 4");
  float want[10];
  for (int i = 0; i < 10; i++) {
    uint32_t ctr[4] = {(uint32_t)(i / 4), 0, 0, 0};
    uint32_t key[2] = {(uint32_t)rng.seed, (uint32_t)(rng.seed >> 32)}, w[4];
    df_philox4x32_10(ctr, key, w);
    want[i] = df_rng_word_to_uniform(w[i % 4]);
  }
  df_expect_close("uniform fill follows the documented layout", a.data, want, 10, 0, 0);
  df_rng again = {rng.seed, 0};
  df_expect_ok(df_rng_uniform(&again, &b, 0.f, 1.f), "uniform refill");
  df_expect_equal_bytes("same seed and offset give the same numbers", b.data, a.data, 40);
  df_tensor_free(&a);
  df_tensor_free(&b);

  /* Distributions. */
  const int64_t n = 1 << 20;
  df_tensor u, g;
  df_expect_ok(df_tensor_new(&u, DF_DEVICE_CPU, "u", n), "alloc");
  df_expect_ok(df_tensor_new(&g, DF_DEVICE_CPU, "g", n), "alloc");
  df_rng_init(&rng, 7);
  df_expect_ok(df_rng_uniform(&rng, &u, -1.f, 1.f), "uniform [-1, 1]");
  df_expect_ok(df_rng_normal(&rng, &g, 0.f, 1.f), "normal");
  moments("uniform(-1, 1) moments", u.data, n, 0.0, 1.0 / 3.0, 5e-3);
  moments("normal(0, 1) moments", g.data, n, 0.0, 1.0, 5e-3);
  float lo = 1, hi = -1;
  for (int64_t i = 0; i < n; i++) {
    float v = ((float *)u.data)[i];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  df_expect_true(lo > -1.f && hi < 1.f, "uniform stays inside the open interval");

  /* Host helpers. */
  int counts[5] = {0};
  for (int i = 0; i < 50000; i++) counts[df_rng_int(&rng, -2, 2) + 2]++;
  int spread_ok = 1;
  for (int i = 0; i < 5; i++) spread_ok &= abs(counts[i] - 10000) < 500;
  df_expect_true(spread_ok, "df_rng_int covers [-2, 2] evenly");
  int64_t idx[100];
  for (int i = 0; i < 100; i++) idx[i] = i;
  df_rng_shuffle(&rng, idx, 100);
  int seen[100] = {0}, moved = 0;
  for (int i = 0; i < 100; i++) {
    seen[idx[i]]++;
    moved += idx[i] != i;
  }
  int perm = 1;
  for (int i = 0; i < 100; i++) perm &= seen[i] == 1;
  df_expect_true(perm && moved > 80, "shuffle is a permutation that moves most items");

  /* CPU vs GPU: identical uniforms, normals equal to within one float ulp. */
  if (df_test_gpu()) {
    df_tensor du, dg, hu, hg;
    df_expect_ok(df_tensor_new(&du, DF_DEVICE_CUDA, "cuda uniform", n), "alloc");
    df_expect_ok(df_tensor_new(&dg, DF_DEVICE_CUDA, "cuda normal", n), "alloc");
    df_expect_ok(df_tensor_new(&hu, DF_DEVICE_CPU, "host uniform", n), "alloc");
    df_expect_ok(df_tensor_new(&hg, DF_DEVICE_CPU, "host normal", n), "alloc");
    df_rng_init(&rng, 7);
    df_expect_ok(df_rng_uniform(&rng, &du, -1.f, 1.f), "cuda uniform");
    df_expect_ok(df_rng_normal(&rng, &dg, 0.f, 1.f), "cuda normal");
    df_expect_ok(df_tensor_copy(&hu, &du), "copy");
    df_expect_ok(df_tensor_copy(&hg, &dg), "copy");
    df_expect_equal_bytes("cuda uniform equals cpu uniform", hu.data, u.data, (size_t)n * 4);
    df_expect_close("cuda normal equals cpu normal", hg.data, g.data, n, 2e-7, 1e-7);
    /* Bounds whose difference is not a power of two: lo + (hi - lo) u must round as on the CPU
     * (nvcc would fuse it into one fma). */
    df_rng_init(&rng, 11);
    df_expect_ok(df_rng_uniform(&rng, &du, -0.05f, 0.07f), "cuda uniform (-0.05, 0.07)");
    df_rng_init(&rng, 11);
    df_expect_ok(df_rng_uniform(&rng, &u, -0.05f, 0.07f), "cpu uniform (-0.05, 0.07)");
    df_expect_ok(df_tensor_copy(&hu, &du), "copy");
    df_expect_equal_bytes("cuda uniform (-0.05, 0.07) equals cpu", hu.data, u.data, (size_t)n * 4);
    /* 7 values, twice (the second fill starts at word 8): the CPU computes each Philox block
     * once for its four words and stops inside the last one, the GPU computes one per word. */
    df_tensor c7, g7, h7;
    df_rng rc, rg;
    df_rng_init(&rc, 13);
    df_rng_init(&rg, 13);
    df_expect_ok(df_tensor_new(&c7, DF_DEVICE_CPU, "cpu 7", 7), "alloc");
    df_expect_ok(df_tensor_new(&g7, DF_DEVICE_CUDA, "cuda 7", 7), "alloc");
    df_expect_ok(df_tensor_new(&h7, DF_DEVICE_CPU, "host 7", 7), "alloc");
    int same7 = 1;
    for (int k = 0; k < 2; k++) {
      df_expect_ok(df_rng_uniform(&rc, &c7, -1.f, 1.f), "cpu uniform of 7");
      df_expect_ok(df_rng_uniform(&rg, &g7, -1.f, 1.f), "cuda uniform of 7");
      df_expect_ok(df_tensor_copy(&h7, &g7), "copy");
      same7 &= memcmp(h7.data, c7.data, 7 * sizeof(float)) == 0;
    }
    df_expect_true(same7, "cuda uniform of 7 values (twice) equals cpu");
    df_tensor_free(&c7);
    df_tensor_free(&g7);
    df_tensor_free(&h7);
    df_tensor_free(&du);
    df_tensor_free(&dg);
    df_tensor_free(&hu);
    df_tensor_free(&hg);
  } else {
    df_test_skip_gpu(4, "cuda rng fills");
  }
  df_tensor_free(&u);
  df_tensor_free(&g);
  return df_test_finish();
}
