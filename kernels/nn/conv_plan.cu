/* cuDNN convolution plans (conv_plan.h): one entry per geometry and math mode holds the
 * tensor, filter and convolution descriptors and, chosen on first use, the algorithm and
 * workspace size of each pass. Entries are never evicted (a model has a handful of shapes)
 * until df_runtime_shutdown frees them all.
 *
 * Algorithm choice:
 *  - default: cudnnFind* (cuDNN times every algorithm once per shape, as PyTorch's
 *    cudnn.benchmark) and the fastest that fits in DF_CONV_WORKSPACE_MAX is kept;
 *  - df_deterministic(): cudnnGet*_v7 heuristics (no timing, so every run picks the same
 *    algorithm) restricted to deterministic algorithms, never the atomics-based
 *    BWD_DATA_ALGO_0 or BWD_FILTER_ALGO_0/3.
 * Math: df_strict_fp32() runs every pass with CUDNN_FMA_MATH (no TF32); otherwise the search
 * starts from CUDNN_DEFAULT_MATH (TF32 allowed) and each pass keeps the math type of the
 * algorithm chosen, on its own convolution descriptor so that nothing changes per call. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conv_plan.h"
#include "drumforge/runtime.h"

#define DF_CONV_WORKSPACE_MAX ((size_t)1 << 30)

enum { PASS_FORWARD = 0, PASS_DATA, PASS_FILTER, PASS_COUNT };
static const char *const pass_names[PASS_COUNT] = {"forward", "backward-data",
                                                   "backward-filter"};

typedef struct plan {
  df_conv_geometry g;
  int strict, deterministic;
  cudnnTensorDescriptor_t in, out;
  cudnnFilterDescriptor_t filter;
  cudnnConvolutionDescriptor_t conv[PASS_COUNT];
  int chosen[PASS_COUNT];
  int algo[PASS_COUNT]; /* the pass's cudnnConvolution*Algo_t */
  size_t workspace[PASS_COUNT];
  struct plan *next;
} plan;

static pthread_mutex_t plans_lock = PTHREAD_MUTEX_INITIALIZER;
static plan *plans;

static void destroy_plan(plan *p) {
  if (p->in) cudnnDestroyTensorDescriptor(p->in);
  if (p->out) cudnnDestroyTensorDescriptor(p->out);
  if (p->filter) cudnnDestroyFilterDescriptor(p->filter);
  for (int i = 0; i < PASS_COUNT; i++)
    if (p->conv[i]) cudnnDestroyConvolutionDescriptor(p->conv[i]);
  free(p);
}

static df_status describe(plan *p) {
  const df_conv_geometry *g = &p->g;
  CUDNN_TRY(cudnnCreateTensorDescriptor(&p->in));
  CUDNN_TRY(cudnnCreateTensorDescriptor(&p->out));
  CUDNN_TRY(cudnnCreateFilterDescriptor(&p->filter));
  CUDNN_TRY(cudnnSetTensor4dDescriptor(p->in, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g->n, g->c,
                                       g->h, g->w));
  CUDNN_TRY(cudnnSetTensor4dDescriptor(p->out, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g->n, g->k,
                                       g->oh, g->ow));
  CUDNN_TRY(cudnnSetFilter4dDescriptor(p->filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g->k,
                                       g->c, g->kh, g->kw));
  for (int i = 0; i < PASS_COUNT; i++) {
    CUDNN_TRY(cudnnCreateConvolutionDescriptor(&p->conv[i]));
    CUDNN_TRY(cudnnSetConvolution2dDescriptor(p->conv[i], g->ph, g->pw, g->sh, g->sw, 1, 1,
                                              CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CUDNN_TRY(cudnnSetConvolutionMathType(p->conv[i],
                                          p->strict ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH));
  }
  /* The caller's shapes must be exactly cuDNN's output shape for this geometry (for the
   * transposed convolution this holds because its output padding is below the stride). */
  int n, k, oh, ow;
  CUDNN_TRY(cudnnGetConvolution2dForwardOutputDim(p->conv[0], p->in, p->filter, &n, &k, &oh,
                                                  &ow));
  if (n != g->n || k != g->k || oh != g->oh || ow != g->ow)
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "convolution [%d, %d, %d, %d] * [%d, %d, %d, %d] stride (%d, %d) pad (%d, "
                   "%d): cuDNN's output is [%d, %d, %d, %d], [%d, %d, %d, %d] given",
                   g->n, g->c, g->h, g->w, g->k, g->c, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw,
                   n, k, oh, ow, g->n, g->k, g->oh, g->ow);
  return DF_OK;
}

/* ---------------------------------------------------------------- algorithm choice */
static bool uses_atomics(cudnnConvolutionFwdAlgo_t) { return false; }
static bool uses_atomics(cudnnConvolutionBwdDataAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0;
}
static bool uses_atomics(cudnnConvolutionBwdFilterAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 || a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3;
}

static cudnnStatus_t workspace_size(const plan *p, cudnnConvolutionFwdAlgo_t a, size_t *bytes) {
  return cudnnGetConvolutionForwardWorkspaceSize(df_cudnn(), p->in, p->filter,
                                                 p->conv[PASS_FORWARD], p->out, a, bytes);
}
static cudnnStatus_t workspace_size(const plan *p, cudnnConvolutionBwdDataAlgo_t a,
                                    size_t *bytes) {
  return cudnnGetConvolutionBackwardDataWorkspaceSize(df_cudnn(), p->filter, p->out,
                                                      p->conv[PASS_DATA], p->in, a, bytes);
}
static cudnnStatus_t workspace_size(const plan *p, cudnnConvolutionBwdFilterAlgo_t a,
                                    size_t *bytes) {
  return cudnnGetConvolutionBackwardFilterWorkspaceSize(df_cudnn(), p->in, p->out,
                                                        p->conv[PASS_FILTER], p->filter, a,
                                                        bytes);
}

/* Keeps the first acceptable candidate in cuDNN's order (fastest first after a search, most
 * promising first from the heuristics) and sets its math type on the pass's descriptor. */
template <typename Perf>
static df_status choose(plan *p, int pass, const Perf *perf, int count) {
  for (int i = 0; i < count; i++) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    if (p->deterministic &&
        (perf[i].determinism != CUDNN_DETERMINISTIC || uses_atomics(perf[i].algo)))
      continue;
    CUDNN_TRY(cudnnSetConvolutionMathType(p->conv[pass],
                                          p->strict ? CUDNN_FMA_MATH : perf[i].mathType));
    size_t bytes = 0;
    if (workspace_size(p, perf[i].algo, &bytes) != CUDNN_STATUS_SUCCESS) continue;
    if (bytes > DF_CONV_WORKSPACE_MAX) continue;
    p->algo[pass] = (int)perf[i].algo;
    p->workspace[pass] = bytes;
    p->chosen[pass] = 1;
    return DF_OK;
  }
  const df_conv_geometry *g = &p->g;
  return DF_FAIL(DF_ERR_UNSUPPORTED,
                 "cuDNN offers no usable %s%s algorithm for [%d, %d, %d, %d] * [%d, %d, %d, "
                 "%d] stride (%d, %d) pad (%d, %d)",
                 p->deterministic ? "deterministic " : "", pass_names[pass], g->n, g->c, g->h,
                 g->w, g->k, g->c, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw);
}

/* The search falls back to the heuristics when cudnnFind fails (for example when it cannot
 * allocate its trial buffers). */
static df_status search(plan *p, int pass) {
  cudnnHandle_t h = df_cudnn();
  const bool timed = !p->deterministic;
  int n = 0;
  switch (pass) {
    case PASS_FORWARD: {
      cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
      if (!timed || cudnnFindConvolutionForwardAlgorithm(h, p->in, p->filter, p->conv[pass],
                                                         p->out, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                         &n, perf) != CUDNN_STATUS_SUCCESS)
        CUDNN_TRY(cudnnGetConvolutionForwardAlgorithm_v7(h, p->in, p->filter, p->conv[pass],
                                                         p->out, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                         &n, perf));
      return choose(p, pass, perf, n);
    }
    case PASS_DATA: {
      cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      if (!timed || cudnnFindConvolutionBackwardDataAlgorithm(
                        h, p->filter, p->out, p->conv[pass], p->in,
                        CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, perf) != CUDNN_STATUS_SUCCESS)
        CUDNN_TRY(cudnnGetConvolutionBackwardDataAlgorithm_v7(
            h, p->filter, p->out, p->conv[pass], p->in, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
            &n, perf));
      return choose(p, pass, perf, n);
    }
    default: {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      if (!timed || cudnnFindConvolutionBackwardFilterAlgorithm(
                        h, p->in, p->out, p->conv[pass], p->filter,
                        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n,
                        perf) != CUDNN_STATUS_SUCCESS)
        CUDNN_TRY(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
            h, p->in, p->out, p->conv[pass], p->filter, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
            &n, perf));
      return choose(p, pass, perf, n);
    }
  }
}

static df_status find_plan_locked(const df_conv_geometry *g, int pass, plan **out) {
  const int strict = df_strict_fp32(), deterministic = df_deterministic();
  plan *p = plans;
  while (p && (memcmp(&p->g, g, sizeof *g) != 0 || p->strict != strict ||
               p->deterministic != deterministic))
    p = p->next;
  if (!p) {
    p = (plan *)calloc(1, sizeof *p);
    if (!p) return DF_FAIL(DF_ERR_OOM, "convolution plan: calloc failed");
    p->g = *g;
    p->strict = strict;
    p->deterministic = deterministic;
    df_status s = describe(p);
    if (s != DF_OK) {
      destroy_plan(p);
      return s;
    }
    p->next = plans;
    plans = p;
  }
  if (!p->chosen[pass]) DF_TRY(search(p, pass));
  *out = p;
  return DF_OK;
}

void df_cuda_conv_plans_free(void) {
  pthread_mutex_lock(&plans_lock);
  while (plans) {
    plan *next = plans->next;
    destroy_plan(plans);
    plans = next;
  }
  pthread_mutex_unlock(&plans_lock);
}

/* The plan for g in the current math mode, with the algorithm of `pass` chosen. */
static df_status find_plan(const df_conv_geometry *g, int pass, plan **out) {
  pthread_mutex_lock(&plans_lock);
  df_status s = find_plan_locked(g, pass, out);
  pthread_mutex_unlock(&plans_lock);
  return s;
}

/* ---------------------------------------------------------------- the three passes */
static const float one = 1.0f, zero = 0.0f;

df_status df_cudnn_conv_forward(const df_conv_geometry *g, const float *in,
                                const float *filter, float *out) {
  plan *p;
  void *ws = NULL;
  DF_TRY(find_plan(g, PASS_FORWARD, &p));
  if (p->workspace[PASS_FORWARD]) DF_TRY(df_cuda_workspace(p->workspace[PASS_FORWARD], &ws));
  CUDNN_TRY(cudnnConvolutionForward(df_cudnn(), &one, p->in, in, p->filter, filter,
                                    p->conv[PASS_FORWARD],
                                    (cudnnConvolutionFwdAlgo_t)p->algo[PASS_FORWARD], ws,
                                    p->workspace[PASS_FORWARD], &zero, p->out, out));
  return DF_OK;
}

df_status df_cudnn_conv_backward_data(const df_conv_geometry *g, const float *filter,
                                      const float *out_grad, float *in_grad) {
  plan *p;
  void *ws = NULL;
  DF_TRY(find_plan(g, PASS_DATA, &p));
  if (p->workspace[PASS_DATA]) DF_TRY(df_cuda_workspace(p->workspace[PASS_DATA], &ws));
  CUDNN_TRY(cudnnConvolutionBackwardData(df_cudnn(), &one, p->filter, filter, p->out, out_grad,
                                         p->conv[PASS_DATA],
                                         (cudnnConvolutionBwdDataAlgo_t)p->algo[PASS_DATA], ws,
                                         p->workspace[PASS_DATA], &zero, p->in, in_grad));
  return DF_OK;
}

df_status df_cudnn_conv_backward_filter(const df_conv_geometry *g, const float *in,
                                        const float *out_grad, float *filter_grad) {
  plan *p;
  void *ws = NULL;
  DF_TRY(find_plan(g, PASS_FILTER, &p));
  if (p->workspace[PASS_FILTER]) DF_TRY(df_cuda_workspace(p->workspace[PASS_FILTER], &ws));
  CUDNN_TRY(cudnnConvolutionBackwardFilter(
      df_cudnn(), &one, p->in, in, p->out, out_grad, p->conv[PASS_FILTER],
      (cudnnConvolutionBwdFilterAlgo_t)p->algo[PASS_FILTER], ws, p->workspace[PASS_FILTER],
      &one, p->filter, filter_grad));
  return DF_OK;
}
