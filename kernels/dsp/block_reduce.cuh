/* A fixed-order reduction over one thread block (deterministic: the same tree every run). */
#ifndef DF_KERNELS_DSP_BLOCK_REDUCE_CUH
#define DF_KERNELS_DSP_BLOCK_REDUCE_CUH

#define DF_REDUCE_THREADS 256 /* every block that calls block_reduce has this many threads */

struct reduce_sum {
  template <typename T> __device__ T operator()(T a, T b) const { return a + b; }
};
struct reduce_min {
  template <typename T> __device__ T operator()(T a, T b) const { return b < a ? b : a; }
};
struct reduce_max {
  template <typename T> __device__ T operator()(T a, T b) const { return b > a ? b : a; }
};

/* Combines every thread's v with op; the result is valid in thread 0. */
template <typename T, typename Op> __device__ T block_reduce(T v, Op op) {
  __shared__ T buf[DF_REDUCE_THREADS];
  buf[threadIdx.x] = v;
  __syncthreads();
  for (int s = DF_REDUCE_THREADS / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) buf[threadIdx.x] = op(buf[threadIdx.x], buf[threadIdx.x + s]);
    __syncthreads();
  }
  T r = buf[0];
  __syncthreads(); /* buf may be reused by a following call */
  return r;
}

#endif
