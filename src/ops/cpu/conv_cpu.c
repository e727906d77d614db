/* CPU convolutions: im2col + OpenBLAS sgemm, batched over chunks of examples so that the
 * GEMMs are large even when the per-example output is short (one example per GEMM in
 * batch-invariant mode, include/drumforge/runtime.h). A convolution has three
 * products (forward, backward-data, backward-weight), each written once below; a transposed
 * convolution is the adjoint of a convolution, so its forward is the convolution's
 * backward-data, its backward-data the convolution's forward, and its backward-weight the
 * convolution's backward-weight with x and dy exchanged.
 *
 * Threads: everything runs in OpenMP loops, the GEMMs included (df_cpu_sgemm splits them with
 * OpenBLAS single-threaded inside). Every output element is written by one thread in a fixed
 * order (col2im gathers instead of scattering, dw adds chunk after chunk), so results are
 * bitwise reproducible. */
#include <omp.h>
#include <string.h>

#include "drumforge/runtime.h"
#include "ops/cpu/nn_cpu.h"

/* A convolution y = conv(x, w): x [n, cin, h, w], w [cout, cin, kh, kw], y [n, cout, oh, ow]. */
typedef struct conv_geom {
  int64_t n, cin, h, w;
  int64_t cout, kh, kw;
  int64_t oh, ow;
  int64_t sh, sw, ph, pw;
} conv_geom;

/* Columns per GEMM worth batching for (a few examples when the output is short). An example
 * with at least DIRECT_COLUMNS outputs makes a large enough GEMM alone, which then reads and
 * writes the tensors in place (no layout changes). */
#define TARGET_COLUMNS 8192
#define DIRECT_COLUMNS 2048
/* im2col works on blocks of this many outputs of a row. */
#define IM2COL_BLOCK 1024
/* Data movement over fewer elements than this stays on one thread (a parallel region costs
 * more than it saves, and much more when the machine is oversubscribed). */
#define PARALLEL_MIN 65536
/* col2im works on blocks of this many outputs per stride phase of a row (parallelism for
 * long, few rows; the block's sums live on the stack). */
#define COL2IM_BLOCK 512

static conv_geom make_geom(const df_tensor *in, const df_tensor *w, const df_tensor *out,
                           const int stride[2], const int pad[2]) {
  return (conv_geom){.n = in->shape[0], .cin = in->shape[1], .h = in->shape[2],
                     .w = in->shape[3], .cout = w->shape[0], .kh = w->shape[2],
                     .kw = w->shape[3], .oh = out->shape[2], .ow = out->shape[3],
                     .sh = stride[0], .sw = stride[1], .ph = pad[0], .pw = pad[1]};
}

static int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

typedef struct conv_plan {
  int64_t chunk;     /* examples per GEMM */
  int64_t p;         /* output positions per example */
  int64_t ck;        /* GEMM depth: cin kh kw */
  int64_t phase_len; /* im2col: length of one stride phase of a block's input span */
  float *cols;       /* [ck, chunk p] */
  float *tmp;        /* [cout, chunk p] (channel-major y or dy) when chunk > 1 */
  float *scratch;    /* im2col: sw phases of phase_len per OpenMP thread */
} conv_plan;

static df_status make_plan(const conv_geom *g, conv_plan *pl) {
  pl->p = g->oh * g->ow;
  pl->ck = g->cin * g->kh * g->kw;
  int64_t per_example = (pl->ck + g->cout) * pl->p;
  int64_t chunk = pl->p >= DIRECT_COLUMNS || df_batch_invariant() ? 1 : ceil_div(TARGET_COLUMNS, pl->p);
  int64_t fit = (int64_t)DF_CPU_WORKSPACE_FLOATS / per_example;
  chunk = clamp64(chunk, 1, g->n);
  if (chunk > fit) chunk = fit > 1 ? fit : 1;
  pl->chunk = chunk;
  pl->phase_len = (g->ow < IM2COL_BLOCK ? g->ow : IM2COL_BLOCK) + (g->kw - 1) / g->sw;
  size_t cols = (size_t)(pl->ck * chunk * pl->p);
  size_t tmp = chunk > 1 ? (size_t)(g->cout * chunk * pl->p) : 0;
  size_t scratch = (size_t)(omp_get_max_threads() * g->sw * pl->phase_len);
  pl->cols = df_cpu_workspace(cols + tmp + scratch);
  if (!pl->cols) return DF_ERR_OOM;
  pl->tmp = pl->cols + cols;
  pl->scratch = pl->tmp + tmp;
  return DF_OK;
}

/* cols[(c kh + i) kw + j][e p + oy ow + ox] = x[n0 + e, c, oy sh - ph + i, ox sw - pw + j]
 * (zero outside x) for the examples n0 .. n0 + chunk, in tasks of one block of an output row.
 * The block's span of each input row is first split into its sw phases, phase[r][t] = padded
 * row[r + sw (ox0 + t)], so that every tap's columns are one contiguous copy (tap j reads
 * phase j mod sw from t = j / sw). */
static void im2col(const conv_geom *g, const conv_plan *pl, const float *x, int64_t n0,
                   int64_t chunk) {
  const int64_t ld = chunk * pl->p, span = pl->phase_len, nblk = ceil_div(g->ow, IM2COL_BLOCK);
  const int64_t tasks = chunk * g->cin * g->oh * nblk;
#pragma omp parallel if (pl->ck * ld > PARALLEL_MIN)
  {
    float *phase = pl->scratch + (size_t)omp_get_thread_num() * (size_t)(g->sw * span);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      const int64_t b = t % nblk, oy = (t / nblk) % g->oh, c = (t / (nblk * g->oh)) % g->cin;
      const int64_t e = t / (nblk * g->oh * g->cin);
      const int64_t ox0 = b * IM2COL_BLOCK, len = ox0 + IM2COL_BLOCK < g->ow ? IM2COL_BLOCK : g->ow - ox0;
      const int64_t used = len + (g->kw - 1) / g->sw;
      for (int64_t i = 0; i < g->kh; i++) {
        float *dst = pl->cols + (c * g->kh + i) * g->kw * ld + e * pl->p + oy * g->ow + ox0;
        const int64_t iy = oy * g->sh - g->ph + i;
        if (iy < 0 || iy >= g->h) {
          for (int64_t j = 0; j < g->kw; j++) memset(dst + j * ld, 0, sizeof(float) * (size_t)len);
          continue;
        }
        const float *row = x + (((n0 + e) * g->cin + c) * g->h + iy) * g->w;
        for (int64_t r = 0; r < g->sw; r++) {
          const int64_t u0 = r + g->sw * ox0 - g->pw; /* input column of phase[r][0] */
          /* phase[r][k] reads the row for k in [ka, kb), zero padding outside */
          const int64_t ka = clamp64(ceil_div(-u0, g->sw), 0, used);
          const int64_t kb = clamp64(ceil_div(g->w - u0, g->sw), ka, used);
          float *ph = phase + r * span;
          for (int64_t k = 0; k < ka; k++) ph[k] = 0.f;
          for (int64_t k = ka; k < kb; k++) ph[k] = row[u0 + g->sw * k];
          for (int64_t k = kb; k < used; k++) ph[k] = 0.f;
        }
        for (int64_t j = 0; j < g->kw; j++)
          memcpy(dst + j * ld, phase + (j % g->sw) * span + j / g->sw, sizeof(float) * (size_t)len);
      }
    }
  }
}

/* The adjoint of im2col: x[n0 + e, c, iy, ix] = the sum of the columns that im2col copied
 * from it (x overwritten). A gather, one output row segment per task: output ix = q sw + r
 * receives, for each kernel row, the taps j = r + pw (mod sw), read from column q + (r + pw -
 * j) / sw of tap j's row, so for fixed r the sums run over contiguous columns (vectorised)
 * and each output is stored once. Taps are added in a fixed order (kernel row, then j). */
static void col2im(const conv_geom *g, const conv_plan *pl, float *x, int64_t n0,
                   int64_t chunk) {
  const int64_t ld = chunk * pl->p, nq = ceil_div(g->w, g->sw);
  const int64_t nblk = ceil_div(nq, COL2IM_BLOCK), tasks = chunk * g->cin * g->h * nblk;
#pragma omp parallel for schedule(static) if (pl->ck * ld > PARALLEL_MIN)
  for (int64_t t = 0; t < tasks; t++) {
    const int64_t b = t % nblk, iy = (t / nblk) % g->h, c = (t / (nblk * g->h)) % g->cin;
    const int64_t e = t / (nblk * g->h * g->cin);
    const int64_t q0 = b * COL2IM_BLOCK, q1 = q0 + COL2IM_BLOCK < nq ? q0 + COL2IM_BLOCK : nq;
    float *dst = x + (((n0 + e) * g->cin + c) * g->h + iy) * g->w;
    float acc[COL2IM_BLOCK];
    for (int64_t r = 0; r < g->sw; r++) {
      memset(acc, 0, sizeof(float) * (size_t)(q1 - q0));
      for (int64_t i = 0; i < g->kh; i++) {
        const int64_t ty = iy + g->ph - i;
        if (ty < 0 || ty % g->sh != 0 || ty / g->sh >= g->oh) continue;
        const float *taps = pl->cols + (c * g->kh + i) * g->kw * ld + e * pl->p + ty / g->sh * g->ow;
        for (int64_t j = (r + g->pw) % g->sw; j < g->kw; j += g->sw) {
          const int64_t off = (r + g->pw - j) / g->sw; /* exact: j = r + pw (mod sw) */
          const float *src = taps + j * ld;
          const int64_t qa = q0 > -off ? q0 : -off, qb = q1 < g->ow - off ? q1 : g->ow - off;
          for (int64_t q = qa; q < qb; q++) acc[q - q0] += src[q + off];
        }
      }
      for (int64_t q = q0; q < q1 && q * g->sw + r < g->w; q++) dst[q * g->sw + r] = acc[q - q0];
    }
  }
}

/* [chunk, c, p] (example-major, as tensors are) <-> [c, chunk p] (channel-major, as GEMMs
 * over a chunk produce and consume). */
static void to_channel_major(const float *src, int64_t chunk, int64_t c, int64_t p,
                             float *dst) {
#pragma omp parallel for collapse(2) schedule(static) if (chunk * c * p > PARALLEL_MIN)
  for (int64_t ch = 0; ch < c; ch++)
    for (int64_t e = 0; e < chunk; e++)
      memcpy(dst + (ch * chunk + e) * p, src + (e * c + ch) * p, sizeof(float) * (size_t)p);
}

static void to_example_major(const float *src, int64_t chunk, int64_t c, int64_t p,
                             float *dst) {
#pragma omp parallel for collapse(2) schedule(static) if (chunk * c * p > PARALLEL_MIN)
  for (int64_t e = 0; e < chunk; e++)
    for (int64_t ch = 0; ch < c; ch++)
      memcpy(dst + (e * c + ch) * p, src + (ch * chunk + e) * p, sizeof(float) * (size_t)p);
}

/* y = conv(x, w) (overwritten). */
static df_status conv_forward(const conv_geom *g, const float *x, const float *w, float *y) {
  conv_plan pl;
  DF_TRY(make_plan(g, &pl));
  for (int64_t n0 = 0; n0 < g->n; n0 += pl.chunk) {
    const int64_t chunk = n0 + pl.chunk <= g->n ? pl.chunk : g->n - n0, cols = chunk * pl.p;
    float *yn = y + n0 * g->cout * pl.p;
    im2col(g, &pl, x, n0, chunk);
    df_cpu_sgemm(0, 0, g->cout, cols, pl.ck, 1.f, w, pl.ck, pl.cols, cols, 0.f,
                 chunk > 1 ? pl.tmp : yn, cols);
    if (chunk > 1) to_example_major(pl.tmp, chunk, g->cout, pl.p, yn);
  }
  return DF_OK;
}

/* dy of a chunk as a [cout, chunk p] matrix: the tensor itself for one example. */
static const float *chunk_dy(const conv_geom *g, const conv_plan *pl, const float *dy,
                             int64_t n0, int64_t chunk) {
  const float *dyn = dy + n0 * g->cout * pl->p;
  if (chunk == 1) return dyn;
  to_channel_major(dyn, chunk, g->cout, pl->p, pl->tmp);
  return pl->tmp;
}

/* dx = conv^T(dy, w) (overwritten). */
static df_status conv_backward_data(const conv_geom *g, const float *dy, const float *w,
                                    float *dx) {
  conv_plan pl;
  DF_TRY(make_plan(g, &pl));
  for (int64_t n0 = 0; n0 < g->n; n0 += pl.chunk) {
    const int64_t chunk = n0 + pl.chunk <= g->n ? pl.chunk : g->n - n0, cols = chunk * pl.p;
    const float *dyc = chunk_dy(g, &pl, dy, n0, chunk);
    df_cpu_sgemm(1, 0, pl.ck, cols, g->cout, 1.f, w, pl.ck, dyc, cols, 0.f, pl.cols, cols);
    col2im(g, &pl, dx, n0, chunk);
  }
  return DF_OK;
}

/* dw += dy * im2col(x)^T, chunk after chunk in order. */
static df_status conv_backward_weight(const conv_geom *g, const float *x, const float *dy,
                                      float *dw) {
  conv_plan pl;
  DF_TRY(make_plan(g, &pl));
  for (int64_t n0 = 0; n0 < g->n; n0 += pl.chunk) {
    const int64_t chunk = n0 + pl.chunk <= g->n ? pl.chunk : g->n - n0, cols = chunk * pl.p;
    im2col(g, &pl, x, n0, chunk);
    const float *dyc = chunk_dy(g, &pl, dy, n0, chunk);
    df_cpu_sgemm(0, 1, g->cout, pl.ck, cols, 1.f, dyc, cols, pl.cols, cols, 1.f, dw, pl.ck);
  }
  return DF_OK;
}

static int64_t spatial(const df_tensor *t) { return t->shape[2] * t->shape[3]; }

df_status df_cpu_conv2d_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                                const int stride[2], const int pad[2], df_tensor *y) {
  conv_geom g = make_geom(x, w, y, stride, pad);
  DF_TRY(conv_forward(&g, x->data, w->data, y->data));
  if (b) df_cpu_add_channel_bias(y->data, b->data, g.n, g.cout, spatial(y));
  return DF_OK;
}

df_status df_cpu_conv2d_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                                 const int stride[2], const int pad[2], df_tensor *dx,
                                 df_tensor *dw, df_tensor *db) {
  conv_geom g = make_geom(x, w, dy, stride, pad);
  if (dw) DF_TRY(conv_backward_weight(&g, x->data, dy->data, dw->data));
  if (dx) DF_TRY(conv_backward_data(&g, dy->data, w->data, dx->data));
  if (db) df_cpu_channel_sum(dy->data, db->data, g.n, g.cout, spatial(dy));
  return DF_OK;
}

/* A transposed convolution x -> y is the adjoint of the convolution y -> x whose weights
 * [cout = x's channels, cin = y's channels, kh, kw] are w as stored. */
df_status df_cpu_conv_transpose2d_forward(const df_tensor *x, const df_tensor *w,
                                          const df_tensor *b, const int stride[2],
                                          const int pad[2], df_tensor *y) {
  conv_geom g = make_geom(y, w, x, stride, pad);
  DF_TRY(conv_backward_data(&g, x->data, w->data, y->data));
  if (b) df_cpu_add_channel_bias(y->data, b->data, g.n, g.cin, spatial(y));
  return DF_OK;
}

df_status df_cpu_conv_transpose2d_backward(const df_tensor *x, const df_tensor *w,
                                           const df_tensor *dy, const int stride[2],
                                           const int pad[2], df_tensor *dx, df_tensor *dw,
                                           df_tensor *db) {
  conv_geom g = make_geom(dy, w, x, stride, pad);
  if (dw) DF_TRY(conv_backward_weight(&g, dy->data, x->data, dw->data));
  if (dx) DF_TRY(conv_forward(&g, dy->data, w->data, dx->data));
  if (db) df_cpu_channel_sum(dy->data, db->data, g.n, g.cin, spatial(dy));
  return DF_OK;
}
