/* Nearest rows on the GPU, the CPU reference's algorithm (src/eval/cpu/nearest_cpu.c): per
 * block of b's rows, the cross terms a.b as one cuBLAS GEMM in strict fp32 (TF32's 10-bit
 * mantissa would reorder close neighbours), then one thread block per row of a finds the
 * smallest |b|^2 - 2 a.b (lowest index on ties: the result does not depend on scheduling) and
 * merges it with the best so far; finally each winner's exact distance in double. */
#include <limits.h>
#include <math.h>

#include "../cuda_common.h"
#include "eval/metric_backend.h"

#define NN_THREADS 256
#define NN_BLOCK_B 4096

/* out[r] = sum_k x[r, k]^2 in double, one block per row. */
__global__ void row_sq_kernel(const float *x, int64_t dim, double *out) {
  const float *row = x + (int64_t)blockIdx.x * dim;
  double s = 0;
  for (int64_t k = threadIdx.x; k < dim; k += blockDim.x) s += (double)row[k] * row[k];
  s = df_block_sum(s);
  if (threadIdx.x == 0) out[blockIdx.x] = s;
}

/* (value, index) pairs: the smaller value wins, the lower index on equal values. */
__device__ __forceinline__ void take_better(double &v, int64_t &j, double v2, int64_t j2) {
  if (v2 < v || (v2 == v && j2 < j)) {
    v = v2;
    j = j2;
  }
}

/* Row i of cross [na, nb_blk] (row-major): merges min_j b_sq[j] - 2 cross[i, j] into best. */
__global__ void row_min_kernel(const float *cross, const double *b_sq, int64_t nb_blk,
                               int64_t j0, double *best, int64_t *best_idx) {
  __shared__ double vals[NN_THREADS];
  __shared__ int64_t idxs[NN_THREADS];
  const int64_t i = blockIdx.x;
  double v = INFINITY;
  int64_t j = LLONG_MAX;
  for (int64_t c = threadIdx.x; c < nb_blk; c += NN_THREADS)
    take_better(v, j, b_sq[j0 + c] - 2.0 * (double)cross[i * nb_blk + c], j0 + c);
  vals[threadIdx.x] = v;
  idxs[threadIdx.x] = j;
  __syncthreads();
  for (int stride = NN_THREADS / 2; stride > 0; stride >>= 1) {
    if ((int)threadIdx.x < stride) {
      double v2 = vals[threadIdx.x + stride];
      int64_t j2 = idxs[threadIdx.x + stride];
      double v1 = vals[threadIdx.x];
      int64_t j1 = idxs[threadIdx.x];
      take_better(v1, j1, v2, j2);
      vals[threadIdx.x] = v1;
      idxs[threadIdx.x] = j1;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    double bv = best[i];
    int64_t bj = best_idx[i];
    take_better(bv, bj, vals[0], idxs[0]);
    best[i] = bv;
    best_idx[i] = bj;
  }
}

__global__ void init_best_kernel(double *best, int64_t *best_idx, int64_t n) {
  DF_GRID_STRIDE(i, n) {
    best[i] = INFINITY;
    best_idx[i] = 0;
  }
}

/* dist[i] = sum_k (a[i, k] - b[idx[i], k])^2 in double, one block per row. */
__global__ void exact_dist_kernel(const float *a, const float *b, const int64_t *idx,
                                  int64_t dim, double *dist) {
  const float *x = a + (int64_t)blockIdx.x * dim, *y = b + idx[blockIdx.x] * dim;
  double s = 0;
  for (int64_t k = threadIdx.x; k < dim; k += blockDim.x) {
    double d = (double)x[k] - y[k];
    s += d * d;
  }
  s = df_block_sum(s);
  if (threadIdx.x == 0) dist[blockIdx.x] = s;
}

/* The launches and GEMMs on scratch memory laid out by cuda_nearest_rows. */
static df_status nearest_on(const float *a, int64_t na, const float *b, int64_t nb, int64_t dim,
                            int64_t blk, double *b_sq, double *best, double *dist,
                            int64_t *best_idx, float *cross, double *sq_dist, int64_t *index) {
  cudaStream_t st = df_cuda_stream();
  row_sq_kernel<<<(unsigned)nb, NN_THREADS, 0, st>>>(b, dim, b_sq);
  CUDA_LAUNCH_TRY();
  init_best_kernel<<<df_grid(na, 256), 256, 0, st>>>(best, best_idx, na);
  CUDA_LAUNCH_TRY();
  const float one = 1.0f, zero = 0.0f;
  for (int64_t j0 = 0; j0 < nb; j0 += blk) {
    const int64_t nj = nb - j0 < blk ? nb - j0 : blk;
    /* Row-major cross [na, nj] = a b_blk^T is column-major cross^T [nj, na] = b_blk a^T. */
    CUBLAS_TRY(cublasGemmEx(df_cublas(), CUBLAS_OP_T, CUBLAS_OP_N, (int)nj, (int)na, (int)dim, &one,
                            b + j0 * dim, CUDA_R_32F, (int)dim, a, CUDA_R_32F, (int)dim, &zero, cross,
                            CUDA_R_32F, (int)nj, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    row_min_kernel<<<(unsigned)na, NN_THREADS, 0, st>>>(cross, b_sq, nj, j0, best, best_idx);
    CUDA_LAUNCH_TRY();
  }
  exact_dist_kernel<<<(unsigned)na, NN_THREADS, 0, st>>>(a, b, best_idx, dim, dist);
  CUDA_LAUNCH_TRY();
  CUDA_TRY(cudaMemcpyAsync(sq_dist, dist, sizeof(double) * (size_t)na, cudaMemcpyDeviceToHost, st));
  CUDA_TRY(cudaMemcpyAsync(index, best_idx, sizeof(int64_t) * (size_t)na, cudaMemcpyDeviceToHost, st));
  CUDA_TRY(cudaStreamSynchronize(st));
  return DF_OK;
}

static df_status cuda_nearest_rows(const float *a, int64_t na, const float *b, int64_t nb,
                                   int64_t dim, double *sq_dist, int64_t *index) {
  if (na > INT_MAX || nb > INT_MAX || dim > INT_MAX)
    return DF_FAIL(DF_ERR_UNSUPPORTED, "df_nearest_rows: %lld x %lld rows of %lld values exceed cuBLAS's int",
                   (long long)na, (long long)nb, (long long)dim);
  /* Rows of b per GEMM: NN_BLOCK_B, fewer when a is tall (cross terms of at most 2^26 floats). */
  int64_t blk = nb < NN_BLOCK_B ? nb : NN_BLOCK_B;
  if (blk * na > (INT64_C(1) << 26)) blk = (INT64_C(1) << 26) / na > 0 ? (INT64_C(1) << 26) / na : 1;
  /* One allocation: b_sq [nb], best [na], dist [na] (doubles), best_idx [na], cross [na, blk]. */
  size_t bytes = sizeof(double) * (size_t)(nb + 2 * na) + sizeof(int64_t) * (size_t)na +
                 sizeof(float) * (size_t)(na * blk);
  void *mem;
  DF_TRY(df_cuda_alloc(bytes, &mem));
  double *b_sq = (double *)mem, *best = b_sq + nb, *dist = best + na;
  int64_t *best_idx = (int64_t *)(dist + na);
  float *cross = (float *)(best_idx + na);
  df_status s = nearest_on(a, na, b, nb, dim, blk, b_sq, best, dist, best_idx, cross, sq_dist, index);
  df_cuda_release(mem);
  return s;
}

extern "C" const df_metric_backend *df_cuda_metric_backend(void) {
  static const df_metric_backend table = {cuda_nearest_rows};
  return &table;
}
