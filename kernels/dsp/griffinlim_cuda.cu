/* Fast Griffin-Lim on the GPU: the whole batch in each cuFFT call, with elementwise kernels for
 * the initial phase and the momentum update between the transforms. As on the CPU, two spectrum
 * buffers suffice: the update writes the next X over the previous rebuilt spectrum, then the
 * two swap roles. */
#include <math.h>

#include "block_reduce.cuh"
#include "dsp/dsp_math.h"
#include "stft_cuda.cuh"

#define THREADS 256

/* From mag [B, F, T]: frame-major targets, X = S exp(j phi0), previous spectrum 0. */
__global__ void gl_init_kernel(const float *mag, int random, int shared, uint64_t seed, uint64_t offset,
                               int bins, int64_t frames, int n_fft, int64_t total, float *target,
                               cufftComplex *x, cufftComplex *prev) {
  DF_GRID_STRIDE(i, total) {
    int64_t t = i % frames, bf = i / frames, f = bf % bins, b = bf / bins;
    int64_t j = (b * frames + t) * bins + f;
    float s = mag[i], c, sn;
    /* shared: every item takes the phases of item 0 (word f T + t) */
    df_dsp_initial_phase(random, seed, offset, (uint64_t)(shared ? i % (bins * frames) : i), &c, &sn);
    target[j] = s;
    x[j].x = s * c;
    x[j].y = df_dsp_real_bin((int)f, n_fft) ? 0.0f : s * sn;
    prev[j].x = 0.0f;
    prev[j].y = 0.0f;
  }
}

/* X = S A / (|A| + tiny), A = T - k P, written over P (elementwise, no index arithmetic). */
__global__ void gl_update_kernel(const cufftComplex *rebuilt, const float *target, float k,
                                 int64_t total, cufftComplex *prev_then_x) {
  DF_GRID_STRIDE(j, total) {
    cufftComplex tz = rebuilt[j], pz = prev_then_x[j], xz;
    df_dsp_gl_update(tz.x, tz.y, pz.x, pz.y, k, target[j], &xz.x, &xz.y);
    prev_then_x[j] = xz;
  }
}

/* Zeroes the imaginary parts of the DC (and Nyquist) bin of each of `rows` spectra. */
__global__ void zero_real_bins_kernel(cufftComplex *x, int64_t rows, int bins, int nyquist) {
  DF_GRID_STRIDE(r, rows) {
    x[r * bins].y = 0.0f;
    if (nyquist) x[r * bins + bins - 1].y = 0.0f;
  }
}

/* One block per item: sum (S - |T|)^2 and sum S^2 in double, in a fixed order. */
__global__ void gl_convergence_kernel(const cufftComplex *rebuilt, const float *target,
                                      int64_t per_item, double *sums) {
  const int64_t base = (int64_t)blockIdx.x * per_item;
  double num = 0, den = 0;
  for (int64_t j = threadIdx.x; j < per_item; j += blockDim.x) {
    cufftComplex z = rebuilt[base + j];
    double s = target[base + j], d = s - df_dsp_power(z.x, z.y, 1.0f);
    num += d * d;
    den += s * s;
  }
  num = block_reduce(num, reduce_sum());
  den = block_reduce(den, reduce_sum());
  if (threadIdx.x == 0) {
    sums[2 * blockIdx.x] = num;
    sums[2 * blockIdx.x + 1] = den;
  }
}

/* Allocates what is still missing (a failed allocation is retried by the next call). */
static df_status ensure_buffers(const df_stft_plan *p, cuda_stft_impl *c) {
  int64_t spec = p->max_batch * p->frames * p->bins;
  if (!c->aux) DF_TRY(df_cuda_alloc(sizeof(cufftComplex) * spec, (void **)&c->aux));
  if (!c->mag) DF_TRY(df_cuda_alloc(sizeof(float) * spec, (void **)&c->mag));
  if (!c->signal) DF_TRY(df_cuda_alloc(sizeof(float) * p->max_batch * p->length, (void **)&c->signal));
  if (!c->sums) DF_TRY(df_cuda_alloc(sizeof(double) * 2 * p->max_batch, (void **)&c->sums));
  return DF_OK;
}

static df_status convergence_of(const df_stft_plan *p, cuda_stft_impl *c, const float *audio,
                                int64_t batch, cufftComplex *scratch, float *convergence) {
  DF_TRY(df_cuda_stft_forward(p, audio, batch, scratch));
  gl_convergence_kernel<<<(unsigned)batch, DF_REDUCE_THREADS, 0, df_cuda_stream()>>>(
      scratch, c->mag, p->frames * p->bins, c->sums);
  CUDA_LAUNCH_TRY();
  double *host = (double *)malloc(sizeof(double) * 2 * batch);
  if (!host) return DF_FAIL(DF_ERR_OOM, "griffinlim: no memory for %lld sums", (long long)batch);
  cudaError_t e = cudaMemcpyAsync(host, c->sums, sizeof(double) * 2 * batch,
                                  cudaMemcpyDeviceToHost, df_cuda_stream());
  if (e == cudaSuccess) e = cudaStreamSynchronize(df_cuda_stream());
  if (e == cudaSuccess)
    for (int64_t b = 0; b < batch; b++)
      convergence[b] = host[2 * b + 1] > 0 ? (float)sqrt(host[2 * b] / host[2 * b + 1]) : 0.0f;
  free(host);
  CUDA_TRY(e);
  return DF_OK;
}

extern "C" df_status df_cuda_griffinlim(df_stft_plan *p, const df_griffinlim_config *cfg,
                                        uint64_t seed, uint64_t offset, const df_tensor *mag,
                                        df_tensor *audio, float *convergence) {
  cuda_stft_impl *c = (cuda_stft_impl *)p->impl;
  DF_TRY(ensure_buffers(p, c));
  cudaStream_t st = df_cuda_stream();
  const int64_t batch = mag->shape[0], total = batch * p->bins * p->frames;
  const int64_t rows = batch * p->frames;
  const int nyquist = df_dsp_real_bin(p->bins - 1, p->cfg.n_fft);
  const float k = cfg->momentum / (1.0f + cfg->momentum);
  cufftComplex *x = c->spec, *prev = c->aux;
  gl_init_kernel<<<df_grid(total, THREADS), THREADS, 0, st>>>(
      (const float *)mag->data, cfg->init != DF_PHASE_ZERO, cfg->init == DF_PHASE_RANDOM_SHARED, seed, offset,
      p->bins, p->frames,
      p->cfg.n_fft, total, c->mag, x, prev);
  CUDA_LAUNCH_TRY();
  for (int it = 0; it < cfg->n_iter; it++) {
    DF_TRY(df_cuda_stft_inverse(p, x, batch, c->signal)); /* consumes X */
    DF_TRY(df_cuda_stft_forward(p, c->signal, batch, x)); /* T into the same buffer */
    gl_update_kernel<<<df_grid(total, THREADS), THREADS, 0, st>>>(x, c->mag, it == 0 ? 0.0f : k,
                                                                   total, prev);
    CUDA_LAUNCH_TRY();
    zero_real_bins_kernel<<<df_grid(rows, THREADS), THREADS, 0, st>>>(prev, rows, p->bins, nyquist);
    CUDA_LAUNCH_TRY();
    cufftComplex *swap = x;
    x = prev;
    prev = swap;
  }
  float *out = (float *)audio->data;
  DF_TRY(df_cuda_stft_inverse(p, x, batch, out));
  if (convergence) DF_TRY(convergence_of(p, c, out, batch, x, convergence));
  return DF_OK;
}
