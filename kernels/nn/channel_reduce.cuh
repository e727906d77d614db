/* Deterministic per-channel sums, shared by bias gradients, batch norm, the per-example
 * reductions and the whole-tensor sums (which are the cases N = 1 and C = 1).
 *
 * For a [N, C, S] layout, channel c holds the m = N S elements (n C + c) S + s. Its sum is
 * split into `parts` contiguous chunks of j = n S + s, one block each (grid C x parts); each
 * thread accumulates its strided elements in double, the block adds them with a fixed tree
 * (df_block_sum), and one thread per channel then adds the parts in order. parts depends only
 * on m, so the result is bitwise the same on every run and every GPU model, with no atomics.
 *
 * The element functor F is a struct with
 *   __device__ double2 operator()(int64_t c, int64_t i) const   (two sums at once);
 * the finishing functor G gets each channel's totals:
 *   __device__ void operator()(int64_t c, double2 sums) const. */
#ifndef DF_KERNELS_NN_CHANNEL_REDUCE_CUH
#define DF_KERNELS_NN_CHANNEL_REDUCE_CUH

#include "../cuda_common.h"

#define DF_REDUCE_THREADS 256

/* Enough parts for a few channels to fill the GPU, each of at least 4096 elements. */
static inline int df_reduce_parts(int64_t m) {
  int64_t p = m / 4096;
  return (int)(p < 1 ? 1 : (p > 256 ? 256 : p));
}

/* Scratch bytes df_channel_reduce needs for C channels of m elements each. */
static inline size_t df_reduce_scratch_bytes(int64_t C, int64_t m) {
  return (size_t)C * (size_t)df_reduce_parts(m) * sizeof(double2);
}

template <typename I, class F>
__global__ void df_channel_partials_kernel(F f, int64_t C, I S, I m, I chunk,
                                           double2 *partials) {
  const int64_t c = blockIdx.x;
  const I begin = (I)blockIdx.y * chunk;
  const I end = m - begin < chunk ? m : begin + chunk;
  double2 acc = make_double2(0.0, 0.0);
  for (I j = begin + (I)threadIdx.x; j < end; j += (I)blockDim.x) {
    const I n = j / S, s = j - n * S;
    const double2 v = f(c, ((int64_t)n * C + c) * (int64_t)S + s);
    acc.x += v.x;
    acc.y += v.y;
  }
  acc.x = df_block_sum(acc.x);
  acc.y = df_block_sum(acc.y);
  if (threadIdx.x == 0) partials[c * gridDim.y + blockIdx.y] = acc;
}

template <class G>
__global__ void df_channel_finish_kernel(G g, int64_t C, int parts, const double2 *partials) {
  DF_GRID_STRIDE(c, C) {
    double2 total = make_double2(0.0, 0.0);
    for (int p = 0; p < parts; p++) {
      const double2 v = partials[c * parts + p];
      total.x += v.x;
      total.y += v.y;
    }
    g(c, total);
  }
}

/* Runs f over every element and g once per channel; partials is device scratch of
 * df_reduce_scratch_bytes(C, N * S) bytes (usually carved from df_cuda_workspace). */
template <class F, class G>
df_status df_channel_reduce(F f, G g, int64_t N, int64_t C, int64_t S, double2 *partials) {
  if (C <= 0) return DF_OK;
  if (C > INT32_MAX)
    return DF_FAIL(DF_ERR_UNSUPPORTED, "channel reduction over %lld channels",
                   (long long)C);
  const int64_t m = N * S;
  const int parts = df_reduce_parts(m);
  const int64_t chunk = (m + parts - 1) / parts;
  const dim3 grid((unsigned)C, (unsigned)parts);
  if (m <= DF_INT32_INDEX_MAX)
    df_channel_partials_kernel<int32_t, F><<<grid, DF_REDUCE_THREADS, 0, df_cuda_stream()>>>(
        f, C, (int32_t)S, (int32_t)m, (int32_t)chunk, partials);
  else
    df_channel_partials_kernel<int64_t, F><<<grid, DF_REDUCE_THREADS, 0, df_cuda_stream()>>>(
        f, C, S, m, chunk, partials);
  CUDA_LAUNCH_TRY();
  df_channel_finish_kernel<G><<<df_grid(C, 128), 128, 0, df_cuda_stream()>>>(g, C, parts,
                                                                             partials);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

#endif
