/* CUDA VAE latent (KL, reparameterisation) and WAE-MMD penalty: the same per-element terms
 * as the CPU reference (src/loss/latent_terms.h); sums in double in a fixed order (one block
 * tree, or one thread looping over j), no atomics. */
#include "../dsp/block_reduce.cuh"
#include "loss/latent_terms.h"
#include "loss_cuda.h"

/* One block: gradients of every element and the batch-mean KL in out[0]. */
__global__ void kl_kernel(const float *mean, const float *logvar, int64_t total, int64_t n,
                          double scale, float *dmean, float *dlogvar, double *out) {
  double sum = 0;
  for (int64_t i = threadIdx.x; i < total; i += DF_REDUCE_THREADS) {
    double v, gm, glv;
    df_kl_term(mean[i], logvar[i], &v, &gm, &glv);
    sum += v;
    dmean[i] = (float)(scale * gm);
    dlogvar[i] = (float)(scale * glv);
  }
  sum = block_reduce(sum, reduce_sum());
  if (threadIdx.x == 0) out[0] = sum / (double)n;
}

__global__ void reparam_kernel(const float *mean, const float *logvar, const float *eps, int64_t total,
                               float *z) {
  DF_GRID_STRIDE(i, total) z[i] = (float)((double)mean[i] + exp(0.5 * (double)logvar[i]) * (double)eps[i]);
}

__global__ void reparam_backward_kernel(const float *logvar, const float *eps, const float *dz,
                                        int64_t total, float *dmean, float *dlogvar) {
  DF_GRID_STRIDE(i, total) {
    dmean[i] += dz[i];
    dlogvar[i] += (float)((double)dz[i] * (double)eps[i] * 0.5 * exp(0.5 * (double)logvar[i]));
  }
}

/* Pair (i, j): its share of the estimate, val = (k(z_i, z_j) + k(p_i, p_j)) / (N^2 - N) [i != j]
 * - 2 k(z_i, p_j) / N^2, and the gradient coefficients of z_i - z_j and z_i - p_j. */
__global__ void mmd_pairs_kernel(const float *q, const float *p, int64_t n, int64_t d, double c_base,
                                 double within, double cross, double *val, double *cqq, double *cqp) {
  DF_GRID_STRIDE(ij, n * n) {
    int64_t i = ij / n, j = ij % n;
    double k_val, dk, v = 0, c_within = 0;
    if (i != j) {
      df_imq_kernel(df_sq_dist(q + i * d, q + j * d, d), c_base, &k_val, &dk);
      v += k_val * within;
      c_within = 4.0 * within * dk;
      df_imq_kernel(df_sq_dist(p + i * d, p + j * d, d), c_base, &k_val, &dk);
      v += k_val * within;
    }
    df_imq_kernel(df_sq_dist(q + i * d, p + j * d, d), c_base, &k_val, &dk);
    val[ij] = v - 2.0 * k_val * cross;
    cqq[ij] = c_within;
    cqp[ij] = -4.0 * cross * dk;
  }
}

/* Element (i, k) of the gradient: a sum over j in order, as the CPU reference. */
__global__ void mmd_grad_kernel(const float *q, const float *p, const double *cqq, const double *cqp,
                                int64_t n, int64_t d, float weight, float *g) {
  DF_GRID_STRIDE(ik, n * d) {
    int64_t i = ik / d, k = ik % d;
    double qi = q[ik], acc = 0;
    for (int64_t j = 0; j < n; j++) {
      acc += cqq[i * n + j] * (qi - (double)q[j * d + k]);
      acc += cqp[i * n + j] * (qi - (double)p[j * d + k]);
    }
    g[ik] = (float)((double)weight * acc);
  }
}

__global__ void mmd_total_kernel(const double *val, int64_t count, double *out) {
  double sum = 0;
  for (int64_t i = threadIdx.x; i < count; i += DF_REDUCE_THREADS) sum += val[i];
  sum = block_reduce(sum, reduce_sum());
  if (threadIdx.x == 0) out[0] = sum;
}

df_status df_cuda_kl_normal(const df_tensor *mean, const df_tensor *logvar, float weight,
                            df_tensor *dmean, df_tensor *dlogvar, float *kl) {
  int64_t n = mean->shape[0];
  double *dev_out, host;
  DF_TRY(df_cuda_alloc(sizeof(double), (void **)&dev_out));
  kl_kernel<<<1, DF_REDUCE_THREADS, 0, df_cuda_stream()>>>(
      (const float *)mean->data, (const float *)logvar->data, df_tensor_numel(mean), n,
      (double)weight / (double)n, (float *)dmean->data, (float *)dlogvar->data, dev_out);
  cudaError_t launch = cudaGetLastError();
  DF_TRY(df_cuda_loss_fetch(dev_out, &host, 1));
  CUDA_TRY(launch);
  *kl = (float)host;
  return DF_OK;
}

df_status df_cuda_reparameterize(const df_tensor *mean, const df_tensor *logvar,
                                 const df_tensor *eps, df_tensor *z) {
  int64_t total = df_tensor_numel(mean);
  reparam_kernel<<<df_grid(total, 256), 256, 0, df_cuda_stream()>>>(
      (const float *)mean->data, (const float *)logvar->data, (const float *)eps->data, total, (float *)z->data);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

df_status df_cuda_reparameterize_backward(const df_tensor *logvar, const df_tensor *eps,
                                          const df_tensor *dz, df_tensor *dmean,
                                          df_tensor *dlogvar) {
  int64_t total = df_tensor_numel(logvar);
  reparam_backward_kernel<<<df_grid(total, 256), 256, 0, df_cuda_stream()>>>(
      (const float *)logvar->data, (const float *)eps->data, (const float *)dz->data, total,
      (float *)dmean->data, (float *)dlogvar->data);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

df_status df_cuda_mmd_imq(const df_tensor *z, const df_tensor *prior, float sigma2, float weight,
                          df_tensor *dz, float *mmd) {
  int64_t n = z->shape[0], d = df_tensor_inner(z), pairs = n * n;
  double nf = (double)n;
  double *scratch, host;
  /* out[1], then val, cqq and cqp [N, N] each. */
  DF_TRY(df_cuda_alloc(sizeof(double) * (size_t)(1 + 3 * pairs), (void **)&scratch));
  double *val = scratch + 1, *cqq = val + pairs, *cqp = cqq + pairs;
  const float *q = (const float *)z->data, *p = (const float *)prior->data;
  cudaStream_t st = df_cuda_stream();
  mmd_pairs_kernel<<<df_grid(pairs, 256), 256, 0, st>>>(q, p, n, d, 2.0 * (double)d * (double)sigma2,
                                                        1.0 / (nf * nf - nf), 1.0 / (nf * nf), val, cqq, cqp);
  cudaError_t launch = cudaGetLastError();
  if (launch == cudaSuccess) {
    mmd_grad_kernel<<<df_grid(n * d, 256), 256, 0, st>>>(q, p, cqq, cqp, n, d, weight, (float *)dz->data);
    launch = cudaGetLastError();
  }
  if (launch == cudaSuccess) {
    mmd_total_kernel<<<1, DF_REDUCE_THREADS, 0, st>>>(val, pairs, scratch);
    launch = cudaGetLastError();
  }
  DF_TRY(df_cuda_loss_fetch(scratch, &host, 1));
  CUDA_TRY(launch);
  *mmd = (float)host;
  return DF_OK;
}
