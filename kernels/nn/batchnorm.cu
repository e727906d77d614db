/* Batch norm over (N, spatial) per channel, PyTorch's math: training normalises with the
 * batch's biased variance and updates running_var with the unbiased one; the backward is
 *   dx = gamma invstd (dy - mean(dy) - xhat mean(dy xhat)),  xhat = (x - mean) invstd.
 * The per-channel sums are deterministic (channel_reduce.cuh), accumulated in double, so the
 * one-pass variance E[x^2] - mean^2 loses nothing to cancellation for audio-range data.
 * gamma and beta may be NULL (1 and 0). */
#include <math.h>

#include "channel_reduce.cuh"
#include "nn_cuda.h"

/* y = (x - mean[c]) invstd[c] gamma[c] + beta[c] */
template <typename I>
__global__ void normalize_kernel(const float *x, const float *mean, const float *invstd,
                                 const float *gamma, const float *beta, float *y, I n, I C,
                                 I S) {
  DF_GRID_STRIDE_T(I, i, n) {
    const I c = (i / S) % C;
    float v = (x[i] - mean[c]) * invstd[c];
    if (gamma) v *= gamma[c];
    if (beta) v += beta[c];
    y[i] = v;
  }
}

static df_status normalize(const df_tensor *x, const float *mean, const float *invstd,
                           const df_tensor *gamma, const df_tensor *beta, df_tensor *y) {
  const int64_t n = df_tensor_numel(x), C = x->shape[1], S = df_spatial(x);
  if (n == 0) return DF_OK;
  DF_LAUNCH_INDEXED(normalize_kernel, n, n, 256, df_cf32(x), mean, invstd, df_cf32(gamma),
                    df_cf32(beta), df_f32(y), n, C, S);
  return DF_OK;
}

/* Scratch: the reduction's partials, then two float arrays of C. */
static df_status scratch(int64_t C, int64_t m, double2 **partials, float **a, float **b) {
  const size_t head = df_reduce_scratch_bytes(C, m);
  void *ws;
  DF_TRY(df_cuda_workspace(head + 2 * (size_t)C * sizeof(float), &ws));
  *partials = (double2 *)ws;
  *a = (float *)((char *)ws + head);
  *b = *a + C;
  return DF_OK;
}

struct moments_element {
  const float *x;
  __device__ double2 operator()(int64_t, int64_t i) const {
    const double v = x[i];
    return make_double2(v, v * v);
  }
};

struct moments_finish {
  float *mean, *invstd;                /* scratch, read by the normalisation */
  float *save_mean, *save_invstd;      /* may be NULL */
  float *running_mean, *running_var;   /* may be NULL */
  double m;
  float momentum, eps;
  __device__ void operator()(int64_t c, double2 sums) const {
    const double mu = sums.x / m;
    double var = sums.y / m - mu * mu;
    if (var < 0.0) var = 0.0;
    const float mean_f = (float)mu, invstd_f = (float)(1.0 / sqrt(var + (double)eps));
    mean[c] = mean_f;
    invstd[c] = invstd_f;
    if (save_mean) save_mean[c] = mean_f;
    if (save_invstd) save_invstd[c] = invstd_f;
    /* In double from the double statistics, as the CPU (src/ops/cpu/batchnorm_cpu.c). */
    const double mom = momentum;
    if (running_mean) running_mean[c] = (float)((1.0 - mom) * running_mean[c] + mom * mu);
    if (running_var) running_var[c] = (float)((1.0 - mom) * running_var[c] + mom * var * m / (m - 1.0));
  }
};

df_status df_cuda_batchnorm_forward_train(const df_tensor *x, const df_tensor *gamma,
                                          const df_tensor *beta, df_tensor *running_mean,
                                          df_tensor *running_var, float momentum, float eps,
                                          df_tensor *y, df_tensor *save_mean,
                                          df_tensor *save_invstd) {
  const int64_t N = x->shape[0], C = x->shape[1], S = df_spatial(x);
  double2 *partials;
  float *mean, *invstd;
  DF_TRY(scratch(C, N * S, &partials, &mean, &invstd));
  const moments_finish finish = {mean,
                                 invstd,
                                 df_f32(save_mean),
                                 df_f32(save_invstd),
                                 df_f32(running_mean),
                                 df_f32(running_var),
                                 (double)(N * S),
                                 momentum,
                                 eps};
  DF_TRY(df_channel_reduce(moments_element{df_cf32(x)}, finish, N, C, S, partials));
  return normalize(x, mean, invstd, gamma, beta, y);
}

__global__ void invstd_kernel(const float *var, float eps, float *invstd, int64_t C) {
  DF_GRID_STRIDE(c, C) invstd[c] = 1.0f / sqrtf(var[c] + eps);
}

df_status df_cuda_batchnorm_forward_infer(const df_tensor *x, const df_tensor *gamma,
                                          const df_tensor *beta, const df_tensor *running_mean,
                                          const df_tensor *running_var, float eps,
                                          df_tensor *y) {
  const int64_t C = x->shape[1];
  void *ws;
  DF_TRY(df_cuda_workspace((size_t)C * sizeof(float), &ws));
  invstd_kernel<<<df_grid(C, 128), 128, 0, df_cuda_stream()>>>(df_cf32(running_var), eps,
                                                               (float *)ws, C);
  CUDA_LAUNCH_TRY();
  return normalize(x, df_cf32(running_mean), (const float *)ws, gamma, beta, y);
}

struct grad_element {
  const float *x, *dy, *mean, *invstd;
  __device__ double2 operator()(int64_t c, int64_t i) const {
    const double g = dy[i];
    return make_double2(g, g * (double)((x[i] - mean[c]) * invstd[c]));
  }
};

struct grad_finish {
  float *dgamma, *dbeta;         /* accumulated; may be NULL */
  float *mean_dy, *mean_dy_xhat; /* scratch, read by the dx kernel */
  double m;
  __device__ void operator()(int64_t c, double2 sums) const {
    if (dbeta) dbeta[c] += (float)sums.x;
    if (dgamma) dgamma[c] += (float)sums.y;
    mean_dy[c] = (float)(sums.x / m);
    mean_dy_xhat[c] = (float)(sums.y / m);
  }
};

template <typename I>
__global__ void grad_input_kernel(const float *x, const float *dy, const float *mean,
                                  const float *invstd, const float *gamma, const float *mean_dy,
                                  const float *mean_dy_xhat, float *dx, I n, I C, I S) {
  DF_GRID_STRIDE_T(I, i, n) {
    const I c = (i / S) % C;
    const float xhat = (x[i] - mean[c]) * invstd[c];
    const float scale = gamma ? gamma[c] * invstd[c] : invstd[c];
    dx[i] = scale * (dy[i] - mean_dy[c] - xhat * mean_dy_xhat[c]);
  }
}

df_status df_cuda_batchnorm_backward(const df_tensor *x, const df_tensor *gamma,
                                     const df_tensor *dy, const df_tensor *save_mean,
                                     const df_tensor *save_invstd, df_tensor *dx,
                                     df_tensor *dgamma, df_tensor *dbeta) {
  if (!dx && !dgamma && !dbeta) return DF_OK;
  const int64_t N = x->shape[0], C = x->shape[1], S = df_spatial(x);
  const int64_t n = N * C * S;
  double2 *partials;
  float *mean_dy, *mean_dy_xhat;
  DF_TRY(scratch(C, N * S, &partials, &mean_dy, &mean_dy_xhat));
  const grad_element element = {df_cf32(x), df_cf32(dy), df_cf32(save_mean),
                                df_cf32(save_invstd)};
  const grad_finish finish = {df_f32(dgamma), df_f32(dbeta), mean_dy, mean_dy_xhat,
                              (double)(N * S)};
  DF_TRY(df_channel_reduce(element, finish, N, C, S, partials));
  if (!dx || n == 0) return DF_OK;
  DF_LAUNCH_INDEXED(grad_input_kernel, n, n, 256, df_cf32(x), df_cf32(dy), df_cf32(save_mean),
                    df_cf32(save_invstd), df_cf32(gamma), mean_dy, mean_dy_xhat, df_f32(dx), n,
                    C, S);
  return DF_OK;
}
