/* CUDA GAN losses and the gradient penalty: the same terms as the CPU reference
 * (src/loss/gan_terms.h), with deterministic fixed-order block reductions (no atomics); and the
 * CUDA loss table (the latent losses are in latent_loss.cu). */
#include "loss/gan_terms.h"
#include "loss_cuda.h"

#define LOSS_THREADS 256

__global__ void critic_kernel(df_gan_loss kind, const float *real, const float *fake, float *dreal,
                              float *dfake, int64_t n, double *out) {
  double total = 0, mr = 0, mf = 0;
  for (int64_t i = threadIdx.x; i < n; i += LOSS_THREADS) {
    double v, g;
    df_gan_critic_term(kind, 1, real[i], &v, &g);
    total += v;
    dreal[i] = (float)(g / (double)n);
    df_gan_critic_term(kind, 0, fake[i], &v, &g);
    total += v;
    dfake[i] = (float)(g / (double)n);
    mr += real[i];
    mf += fake[i];
  }
  total = df_block_sum(total);
  mr = df_block_sum(mr);
  mf = df_block_sum(mf);
  if (threadIdx.x == 0) {
    out[0] = total / (double)n;
    out[1] = (mr - mf) / (double)n;
  }
}

__global__ void generator_kernel(df_gan_loss kind, const float *fake, float *dfake, int64_t n,
                                 double *out) {
  double total = 0;
  for (int64_t i = threadIdx.x; i < n; i += LOSS_THREADS) {
    double v, g;
    df_gan_generator_term(kind, fake[i], &v, &g);
    total += v;
    dfake[i] = (float)(g / (double)n);
  }
  total = df_block_sum(total);
  if (threadIdx.x == 0) out[0] = total / (double)n;
}

/* One block per example: slope[b] = ||g_b||. */
__global__ void slope_kernel(const float *g, int64_t inner, double *slope) {
  const float *gb = g + (int64_t)blockIdx.x * inner;
  double ss = 0;
  for (int64_t k = threadIdx.x; k < inner; k += LOSS_THREADS) ss += (double)gb[k] * gb[k];
  ss = df_block_sum(ss);
  if (threadIdx.x == 0) slope[blockIdx.x] = sqrt(ss);
}

__global__ void penalty_direction_kernel(const float *g, const double *slope, int64_t n,
                                         int64_t inner, float lambda, float *u) {
  DF_GRID_STRIDE(i, n * inner) {
    double factor = df_gp_factor(slope[i / inner], lambda, (double)n);
    u[i] = (float)(factor * g[i]);
  }
}

__global__ void penalty_total_kernel(const double *slope, int64_t n, double *out) {
  double total = 0, slopes = 0;
  for (int64_t i = threadIdx.x; i < n; i += LOSS_THREADS) {
    total += (slope[i] - 1) * (slope[i] - 1);
    slopes += slope[i];
  }
  total = df_block_sum(total);
  slopes = df_block_sum(slopes);
  if (threadIdx.x == 0) {
    out[0] = total / (double)n;
    out[1] = slopes / (double)n;
  }
}

df_status df_cuda_loss_fetch(double *dev_out, double *host, int k) {
  cudaError_t e = cudaMemcpyAsync(host, dev_out, sizeof(double) * (size_t)k,
                                  cudaMemcpyDeviceToHost, df_cuda_stream());
  if (e == cudaSuccess) e = cudaStreamSynchronize(df_cuda_stream());
  df_cuda_release(dev_out);
  CUDA_TRY(e);
  return DF_OK;
}

static df_status cuda_gan_critic(df_gan_loss kind, const df_tensor *real, const df_tensor *fake,
                                 df_tensor *dreal, df_tensor *dfake, float *loss, float *wdist) {
  double *dev_out, host[2];
  DF_TRY(df_cuda_alloc(2 * sizeof(double), (void **)&dev_out));
  critic_kernel<<<1, LOSS_THREADS, 0, df_cuda_stream()>>>(
      kind, (const float *)real->data, (const float *)fake->data, (float *)dreal->data,
      (float *)dfake->data, real->shape[0], dev_out);
  cudaError_t launch = cudaGetLastError();
  DF_TRY(df_cuda_loss_fetch(dev_out, host, 2));
  CUDA_TRY(launch);
  *loss = (float)host[0];
  *wdist = (float)host[1];
  return DF_OK;
}

static df_status cuda_gan_generator(df_gan_loss kind, const df_tensor *fake, df_tensor *dfake,
                                    float *loss) {
  double *dev_out, host[1];
  DF_TRY(df_cuda_alloc(sizeof(double), (void **)&dev_out));
  generator_kernel<<<1, LOSS_THREADS, 0, df_cuda_stream()>>>(
      kind, (const float *)fake->data, (float *)dfake->data, fake->shape[0], dev_out);
  cudaError_t launch = cudaGetLastError();
  DF_TRY(df_cuda_loss_fetch(dev_out, host, 1));
  CUDA_TRY(launch);
  *loss = (float)host[0];
  return DF_OK;
}

static df_status cuda_gradient_penalty(const df_tensor *g, float lambda, df_tensor *u, float *gp,
                                       float *mean_slope) {
  int64_t n = g->shape[0], inner = df_tensor_inner(g);
  double *scratch, host[2];
  DF_TRY(df_cuda_alloc(sizeof(double) * (size_t)(n + 2), (void **)&scratch));
  double *slope = scratch + 2;
  cudaStream_t st = df_cuda_stream();
  slope_kernel<<<(unsigned)n, LOSS_THREADS, 0, st>>>((const float *)g->data, inner, slope);
  cudaError_t launch = cudaGetLastError();
  if (launch == cudaSuccess) {
    penalty_direction_kernel<<<df_grid(n * inner, 256), 256, 0, st>>>(
        (const float *)g->data, slope, n, inner, lambda, (float *)u->data);
    launch = cudaGetLastError();
  }
  if (launch == cudaSuccess) {
    penalty_total_kernel<<<1, LOSS_THREADS, 0, st>>>(slope, n, scratch);
    launch = cudaGetLastError();
  }
  DF_TRY(df_cuda_loss_fetch(scratch, host, 2));
  CUDA_TRY(launch);
  *gp = (float)host[0];
  *mean_slope = (float)host[1];
  return DF_OK;
}

extern "C" const df_loss_backend *df_cuda_loss_backend(void) {
  static const df_loss_backend table = {cuda_gan_critic,           cuda_gan_generator,
                                        cuda_gradient_penalty,     df_cuda_kl_normal,
                                        df_cuda_reparameterize,    df_cuda_reparameterize_backward,
                                        df_cuda_mmd_imq};
  return &table;
}
