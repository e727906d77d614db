/* Reflect padding of the last dim and WaveGAN's phase shuffle. Both backward passes gather:
 * each input position sums the (at most three) output positions that read it, in increasing
 * output order, so there are no atomics and the result is deterministic.
 * reflect(t) for t in (-L, 2L - 1): -t below 0, 2 (L - 1) - t from L on (no edge repeat). */
#include "nn_cuda.h"

template <typename I>
__device__ __forceinline__ I reflect(I t, I L) {
  return t < 0 ? -t : (t >= L ? 2 * (L - 1) - t : t);
}

/* ---------------------------------------------------------------- reflect pad
 * x [R, L] -> y [R, Lp], Lp = left + L + right, y[r, j] = x[r, reflect(j - left)]. */
template <typename I>
__global__ void reflect_pad_forward_kernel(const float *x, float *y, I n, I L, I left, I Lp) {
  DF_GRID_STRIDE_T(I, i, n) {
    const I r = i / Lp, j = i - r * Lp;
    y[i] = x[r * L + reflect<I>(j - left, L)];
  }
}

/* dx[r, t] gathers y positions left - t (1 <= t <= left), left + t, and
 * left + 2 (L - 1) - t (L - 1 - right <= t <= L - 2). */
template <typename I>
__global__ void reflect_pad_backward_kernel(const float *dy, float *dx, I n, I L, I left,
                                            I right, I Lp) {
  DF_GRID_STRIDE_T(I, i, n) {
    const I r = i / L, t = i - r * L;
    const float *d = dy + r * Lp;
    float acc = 0.0f;
    if (t >= 1 && t <= left) acc += d[left - t];
    acc += d[left + t];
    if (t <= L - 2 && t >= L - 1 - right) acc += d[left + 2 * (L - 1) - t];
    dx[i] = acc;
  }
}

df_status df_cuda_reflect_pad1d_forward(const df_tensor *x, int left, int right, df_tensor *y) {
  const int64_t L = x->shape[x->ndim - 1], Lp = y->shape[y->ndim - 1];
  const int64_t n = df_tensor_numel(y);
  if (n == 0) return DF_OK;
  DF_LAUNCH_INDEXED(reflect_pad_forward_kernel, n, n, 256, df_cf32(x), df_f32(y), n, L,
                    (int64_t)left, Lp);
  return DF_OK;
}

df_status df_cuda_reflect_pad1d_backward(const df_tensor *dy, int left, int right,
                                         df_tensor *dx) {
  const int64_t L = dx->shape[dx->ndim - 1], Lp = dy->shape[dy->ndim - 1];
  const int64_t n = df_tensor_numel(dx);
  if (n == 0) return DF_OK;
  DF_LAUNCH_INDEXED(reflect_pad_backward_kernel, n, df_tensor_numel(dy), 256, df_cf32(dy),
                    df_f32(dx), n, L, (int64_t)left, (int64_t)right, Lp);
  return DF_OK;
}

/* ---------------------------------------------------------------- phase shuffle
 * x, y [N, C, L]; y[e, c, t] = x[e, c, reflect(t - k_e)]. The host's shifts travel as a
 * kernel argument, SHUFFLE_CHUNK examples per launch: no copy, no synchronisation. */
#define SHUFFLE_CHUNK 512
struct shift_table {
  int k[SHUFFLE_CHUNK];
};

template <typename I>
__global__ void phase_shuffle_forward_kernel(const float *x, float *y, shift_table shifts, I n,
                                             I CL, I L) {
  DF_GRID_STRIDE_T(I, i, n) {
    const I k = shifts.k[i / CL], t = i % L;
    y[i] = x[i - t + reflect<I>(t - k, L)];
  }
}

/* dx[e, c, u] gathers y positions t with reflect(t - k) = u, in increasing t:
 * k - u (reflected at the start: 1 <= u <= k), u + k (unreflected: 0 <= u + k < L) and
 * 2 (L - 1) - u + k (reflected at the end: L - 2 + k < u <= L - 2). */
template <typename I>
__global__ void phase_shuffle_backward_kernel(const float *dy, float *dx, shift_table shifts,
                                              I n, I CL, I L) {
  DF_GRID_STRIDE_T(I, i, n) {
    const I k = shifts.k[i / CL], u = i % L;
    const float *d = dy + (i - u);
    float acc = 0.0f;
    if (u >= 1 && u <= k) acc += d[k - u];
    if (u + k >= 0 && u + k < L) acc += d[u + k];
    if (u <= L - 2 && u > L - 2 + k) acc += d[2 * (L - 1) - u + k];
    dx[i] = acc;
  }
}

template <bool Backward>
static df_status phase_shuffle(const df_tensor *src, const int *shifts, df_tensor *dst) {
  const int64_t N = src->shape[0], C = src->shape[1], L = src->shape[2], CL = C * L;
  for (int64_t first = 0; first < N; first += SHUFFLE_CHUNK) {
    const int64_t count = N - first < SHUFFLE_CHUNK ? N - first : SHUFFLE_CHUNK;
    const int64_t n = count * CL;
    if (n == 0) continue;
    shift_table table;
    for (int64_t e = 0; e < count; e++) table.k[e] = shifts[first + e];
    const float *in = df_cf32(src) + first * CL;
    float *out = df_f32(dst) + first * CL;
    if (Backward)
      DF_LAUNCH_INDEXED(phase_shuffle_backward_kernel, n, n, 256, in, out, table, n, CL, L);
    else
      DF_LAUNCH_INDEXED(phase_shuffle_forward_kernel, n, n, 256, in, out, table, n, CL, L);
  }
  return DF_OK;
}

df_status df_cuda_phase_shuffle_forward(const df_tensor *x, const int *shifts, df_tensor *y) {
  return phase_shuffle<false>(x, shifts, y);
}

df_status df_cuda_phase_shuffle_backward(const df_tensor *dy, const int *shifts,
                                         df_tensor *dx) {
  return phase_shuffle<true>(dy, shifts, dx);
}
