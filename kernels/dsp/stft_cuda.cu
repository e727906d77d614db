/* CUDA STFT and inverse STFT: batched cuFFT plans, framing and overlap-add kernels (a gather
 * per output sample, in frame order: deterministic, no atomics), layout conversions. */
#include <limits.h>

#include "dsp/dsp_math.h"
#include "stft_cuda.cuh"

#define THREADS 256
#define MAX_GRID_Y 65535u

/* Blocks along y for a batch (the kernels loop over the rest). */
static unsigned batch_blocks(int64_t batch) {
  return batch < (int64_t)MAX_GRID_Y ? (unsigned)batch : MAX_GRID_Y;
}

/* frames[b, t, k] = window[k] x_padded[b, t hop + k]: block (t, b), threads over k. */
__global__ void frame_kernel(const float *x, int len, int n_fft, int hop, int pad, int reflect,
                             const float *window, int64_t batch, float *out) {
  const int t = blockIdx.x;
  for (int64_t b = blockIdx.y; b < batch; b += gridDim.y) {
    const float *xb = x + b * len;
    float *row = out + (b * gridDim.x + t) * n_fft;
    for (int k = threadIdx.x; k < n_fft; k += blockDim.x) {
      int j = df_dsp_pad_source(t * hop + k, len, pad, reflect);
      row[k] = j >= 0 ? window[k] * xb[j] : 0.0f;
    }
  }
}

/* x[b, s] = scale[s] sum_t window[p - t hop] frames[b, t, p - t hop], p = s + pad: a gather
 * in frame order per output sample (no atomics); threads over s, blocks along y over b. */
__global__ void overlap_add_kernel(const float *frames, int len, int n_frames, int n_fft, int hop,
                                   int pad, int ola_len, const float *window, const float *scale,
                                   int64_t batch, float *x) {
  const int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= len) return;
  const int pos = s + pad;
  int t0 = 0, t1 = -1;
  if (pos < ola_len) df_dsp_frame_range(pos, hop, n_fft, n_frames, &t0, &t1);
  const float sc = scale[s];
  for (int64_t b = blockIdx.y; b < batch; b += gridDim.y) {
    const float *fb = frames + b * n_frames * n_fft;
    float acc = 0.0f;
    for (int t = t0; t <= t1; t++) {
      int k = pos - t * hop;
      acc += fb[(int64_t)t * n_fft + k] * window[k];
    }
    x[b * len + s] = acc * sc;
  }
}

/* Frame-major [B, T, F] -> [B, F, T, 2] or |X|^power [B, F, T]. */
__global__ void export_kernel(const cufftComplex *spec, int bins, int64_t frames, int complex_out,
                              float power, int64_t total, float *y) {
  DF_GRID_STRIDE(i, total) {
    int64_t t = i % frames, bf = i / frames, f = bf % bins, b = bf / bins;
    cufftComplex z = spec[(b * frames + t) * bins + f];
    if (complex_out) {
      y[2 * i] = z.x;
      y[2 * i + 1] = z.y;
    } else {
      y[i] = df_dsp_power(z.x, z.y, power);
    }
  }
}

/* [B, F, T, 2] -> frame-major [B, T, F], the purely real bins' imaginary parts zeroed. */
__global__ void import_kernel(const float *y, int bins, int64_t frames, int n_fft, int64_t total,
                              cufftComplex *spec) {
  DF_GRID_STRIDE(i, total) {
    int64_t t = i % frames, bf = i / frames, f = bf % bins, b = bf / bins;
    cufftComplex z;
    z.x = y[2 * i];
    z.y = df_dsp_real_bin((int)f, n_fft) ? 0.0f : y[2 * i + 1];
    spec[(b * frames + t) * bins + f] = z;
  }
}

extern "C" df_status df_cuda_stft_plan_init(df_stft_plan *p) {
  int64_t transforms = p->max_batch * p->frames;
  if (transforms > INT_MAX)
    return DF_FAIL(DF_ERR_UNSUPPORTED, "stft plan: %lld frames in one cuFFT plan is too many",
                   (long long)transforms);
  cuda_stft_impl *c = (cuda_stft_impl *)calloc(1, sizeof *c);
  if (!c) return DF_FAIL(DF_ERR_OOM, "stft plan: calloc failed");
  p->impl = c; /* from here on df_cuda_stft_plan_free cleans up a partial init */
  const int n = p->cfg.n_fft;
  DF_TRY(df_cuda_alloc(sizeof(float) * n, (void **)&c->window));
  DF_TRY(df_cuda_alloc(sizeof(float) * p->length, (void **)&c->ola_scale));
  DF_TRY(df_cuda_alloc(sizeof(float) * transforms * n, (void **)&c->frames));
  DF_TRY(df_cuda_alloc(sizeof(cufftComplex) * transforms * p->bins, (void **)&c->spec));
  cudaStream_t st = df_cuda_stream();
  CUDA_TRY(cudaMemcpyAsync(c->window, p->window, sizeof(float) * n, cudaMemcpyHostToDevice, st));
  CUDA_TRY(cudaMemcpyAsync(c->ola_scale, p->ola_scale, sizeof(float) * p->length,
                           cudaMemcpyHostToDevice, st));
  int nn = n, batch = (int)transforms;
  CUFFT_TRY(cufftPlanMany(&c->r2c, 1, &nn, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, batch));
  c->have_r2c = 1;
  CUFFT_TRY(cufftPlanMany(&c->c2r, 1, &nn, NULL, 1, 0, NULL, 1, 0, CUFFT_C2R, batch));
  c->have_c2r = 1;
  CUFFT_TRY(cufftSetStream(c->r2c, st));
  CUFFT_TRY(cufftSetStream(c->c2r, st));
  /* The host window and scale may be freed with the plan: wait for the copies. */
  CUDA_TRY(cudaStreamSynchronize(st));
  return DF_OK;
}

extern "C" void df_cuda_stft_plan_free(df_stft_plan *p) {
  cuda_stft_impl *c = (cuda_stft_impl *)p->impl;
  if (!c) return;
  cudaStreamSynchronize(df_cuda_stream()); /* no kernel may still use the buffers */
  if (c->have_r2c) cufftDestroy(c->r2c);
  if (c->have_c2r) cufftDestroy(c->c2r);
  void *bufs[] = {c->window, c->ola_scale, c->frames, c->spec, c->aux, c->mag, c->signal, c->sums};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) df_cuda_release(bufs[i]);
  free(c);
  p->impl = NULL;
}

df_status df_cuda_stft_forward(const df_stft_plan *p, const float *x, int64_t batch,
                               cufftComplex *out) {
  const cuda_stft_impl *c = (const cuda_stft_impl *)p->impl;
  dim3 grid((unsigned)p->frames, batch_blocks(batch));
  frame_kernel<<<grid, THREADS, 0, df_cuda_stream()>>>(x, (int)p->length, p->cfg.n_fft,
                                                       p->cfg.hop, p->pad, p->reflect, c->window,
                                                       batch, c->frames);
  CUDA_LAUNCH_TRY();
  CUFFT_TRY(cufftExecR2C(c->r2c, c->frames, out));
  return DF_OK;
}

df_status df_cuda_stft_inverse(const df_stft_plan *p, cufftComplex *in, int64_t batch, float *x) {
  const cuda_stft_impl *c = (const cuda_stft_impl *)p->impl;
  CUFFT_TRY(cufftExecC2R(c->c2r, in, c->frames));
  dim3 grid((unsigned)((p->length + THREADS - 1) / THREADS), batch_blocks(batch));
  overlap_add_kernel<<<grid, THREADS, 0, df_cuda_stream()>>>(
      c->frames, (int)p->length, (int)p->frames, p->cfg.n_fft, p->cfg.hop, p->pad,
      (int)p->ola_len, c->window, c->ola_scale, batch, x);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

extern "C" df_status df_cuda_stft(df_stft_plan *p, const df_tensor *x, df_stft_output out,
                                  float power, df_tensor *y) {
  const cuda_stft_impl *c = (const cuda_stft_impl *)p->impl;
  int64_t batch = x->shape[0];
  DF_TRY(df_cuda_stft_forward(p, (const float *)x->data, batch, c->spec));
  int64_t total = batch * p->bins * p->frames;
  export_kernel<<<df_grid(total, THREADS), THREADS, 0, df_cuda_stream()>>>(
      c->spec, p->bins, p->frames, out == DF_STFT_COMPLEX, power, total, (float *)y->data);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

extern "C" df_status df_cuda_istft(df_stft_plan *p, const df_tensor *spec, df_tensor *x) {
  const cuda_stft_impl *c = (const cuda_stft_impl *)p->impl;
  int64_t batch = spec->shape[0], total = batch * p->bins * p->frames;
  import_kernel<<<df_grid(total, THREADS), THREADS, 0, df_cuda_stream()>>>(
      (const float *)spec->data, p->bins, p->frames, p->cfg.n_fft, total, c->spec);
  CUDA_LAUNCH_TRY();
  return df_cuda_stft_inverse(p, c->spec, batch, (float *)x->data);
}
