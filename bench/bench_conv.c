/* WaveGAN convolution benchmark: for each generator (transposed conv1d) and critic (conv1d)
 * layer at batch 64 and model size d = 64 (kernel 25, stride 4, padding 11, output padding 1),
 * GFLOP/s of the forward, backward-data and backward-weight passes through the public API on
 * the CPU, and on the GPU when one is usable. Next to each, this program measures OpenBLAS
 * sgemm on the GEMM the pass amounts to (the layer lowered to one matrix product, its batch
 * dimension capped at CAP_COLUMNS so the operands stay in memory) and on a large square GEMM
 * (the machine's peak), and prints both ratios. Output is a Markdown table.
 *
 * Usage: bench_conv [--batch N] [--min-time SECONDS] [--device cpu|cuda|all] [--only PREFIX]
 * (--only G4 runs the layers whose name starts with G4). The passes run as in training (batched
 * GEMMs, not inference's batch-invariant mode). */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drumforge/drumforge.h"

#define CAP_COLUMNS 16384
#define PEAK_SIZE 2048

typedef struct layer {
  const char *name;
  int transposed;
  int cin, cout, len_in; /* the op's own input channels, output channels, input length */
} layer;

static const layer layers[] = {
    {"G1 tconv 1024->512, 16->64", 1, 1024, 512, 16},
    {"G2 tconv 512->256, 64->256", 1, 512, 256, 64},
    {"G3 tconv 256->128, 256->1024", 1, 256, 128, 256},
    {"G4 tconv 128->64, 1024->4096", 1, 128, 64, 1024},
    {"G5 tconv 64->1, 4096->16384", 1, 64, 1, 4096},
    {"D1 conv 1->64, 16384->4096", 0, 1, 64, 16384},
    {"D2 conv 64->128, 4096->1024", 0, 64, 128, 4096},
    {"D3 conv 128->256, 1024->256", 0, 128, 256, 1024},
    {"D4 conv 256->512, 256->64", 0, 256, 512, 256},
    {"D5 conv 512->1024, 64->16", 0, 512, 1024, 64},
};
enum { K = 25, STRIDE = 4, PAD = 11 };
enum { FWD, BWD_DATA, BWD_WEIGHT };
static const char *pass_names[] = {"forward", "backward-data", "backward-weight"};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(df_status s, const char *what) {
  if (s == DF_OK) return;
  fprintf(stderr, "bench_conv: %s: %s\n", what, df_last_error());
  exit(1);
}

typedef df_status (*pass_fn)(void *ctx);

/* The best time per call over at least 3 calls and min_time seconds, after a warm-up (the
 * best rather than the median: the machine may be shared, and interference only adds). */
static double time_it(pass_fn fn, void *ctx, df_device dev, double min_time) {
  double t[64];
  int n = 0;
  die(fn(ctx), "warm-up");
  die(df_sync(dev), "sync");
  double start = now();
  while (n < 64 && (n < 3 || now() - start < min_time)) {
    double t0 = now();
    die(fn(ctx), "timed call");
    die(df_sync(dev), "sync");
    t[n++] = now() - t0;
  }
  double best = t[0];
  for (int i = 1; i < n; i++) best = t[i] < best ? t[i] : best;
  return best;
}

/* ---- the layer passes through the public API ---- */
typedef struct layer_ctx {
  const layer *l;
  int pass;
  df_tensor x, w, y, dy, dx, dw;
} layer_ctx;

static df_status run_pass(void *p) {
  layer_ctx *c = p;
  if (c->l->transposed) {
    if (c->pass == FWD) return df_conv_transpose1d_forward(&c->x, &c->w, NULL, STRIDE, PAD, &c->y);
    return df_conv_transpose1d_backward(&c->x, &c->w, &c->dy, STRIDE, PAD,
                                        c->pass == BWD_DATA ? &c->dx : NULL,
                                        c->pass == BWD_WEIGHT ? &c->dw : NULL, NULL);
  }
  if (c->pass == FWD) return df_conv1d_forward(&c->x, &c->w, NULL, STRIDE, PAD, &c->y);
  return df_conv1d_backward(&c->x, &c->w, &c->dy, STRIDE, PAD, c->pass == BWD_DATA ? &c->dx : NULL,
                            c->pass == BWD_WEIGHT ? &c->dw : NULL, NULL);
}

static int len_out(const layer *l) {
  return l->transposed ? (l->len_in - 1) * STRIDE - 2 * PAD + K + 1
                       : (l->len_in + 2 * PAD - K) / STRIDE + 1;
}

/* ---- sgemm references ---- */
typedef struct gemm_ctx {
  int m, n, k;
  float *a, *b, *c;
} gemm_ctx;

static df_status run_gemm(void *p) {
  gemm_ctx *g = p;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->m, g->n, g->k, 1.f, g->a, g->k,
              g->b, g->n, 0.f, g->c, g->n);
  return DF_OK;
}

/* OpenBLAS as it comes, with its own threads on every core (the library's GEMMs switch it
 * back to one thread inside their OpenMP threads). */
static double sgemm_gflops(int m, int n, int k, double min_time) {
  openblas_set_num_threads(omp_get_max_threads());
  gemm_ctx g = {m, n, k, malloc(sizeof(float) * (size_t)m * k),
                malloc(sizeof(float) * (size_t)k * n), malloc(sizeof(float) * (size_t)m * n)};
  if (!g.a || !g.b || !g.c) die(DF_ERR_OOM, "sgemm buffers");
  for (size_t i = 0; i < (size_t)m * k; i++) g.a[i] = (float)(i % 13) * 0.01f;
  for (size_t i = 0; i < (size_t)k * n; i++) g.b[i] = (float)(i % 7) * 0.01f;
  double t = time_it(run_gemm, &g, DF_DEVICE_CPU, min_time);
  free(g.a);
  free(g.b);
  free(g.c);
  return 2.0 * m * n * k / t * 1e-9;
}

/* The GEMM (m, n, k) a pass lowers to: conv forward [Cout, N P] = [Cout, Cin K] x [Cin K, N P];
 * backward-data [Cin K, N P] = [Cin K, Cout] x [Cout, N P]; backward-weight
 * [Cout, Cin K] = [Cout, N P] x [N P, Cin K], with P the short side's length; a transposed
 * convolution is the adjoint, so its forward is the convolution's backward-data and so on. */
static void equivalent_gemm(const layer *l, int batch, int pass, int *m, int *n, int *k) {
  const int conv_cout = l->transposed ? l->cin : l->cout, conv_cin = l->transposed ? l->cout : l->cin;
  const int p = l->transposed ? l->len_in : len_out(l);
  int cpass = pass;
  if (l->transposed && pass != BWD_WEIGHT) cpass = pass == FWD ? BWD_DATA : FWD;
  long cols = (long)batch * p > CAP_COLUMNS ? CAP_COLUMNS : (long)batch * p;
  if (cpass == FWD) *m = conv_cout, *n = (int)cols, *k = conv_cin * K;
  else if (cpass == BWD_DATA) *m = conv_cin * K, *n = (int)cols, *k = conv_cout;
  else *m = conv_cout, *n = conv_cin * K, *k = (int)cols;
}

static void alloc3(df_tensor *t, df_device dev, const char *name, int a, int b, int c) {
  die(df_tensor_new(t, dev, name, a, b, c), "alloc");
}

static void bench_device(df_device dev, int batch, double min_time, double peak,
                         const char *only) {
  printf("\n### %s\n\n", df_device_description(dev));
  printf("| layer | pass | ms | GFLOP/s | sgemm same GEMM | ratio | ratio to peak |\n");
  printf("|---|---|---:|---:|---:|---:|---:|\n");
  double total_flops = 0, total_time = 0, total_ref_time = 0;
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    const layer *l = &layers[i];
    if (only && strncmp(l->name, only, strlen(only)) != 0) continue;
    layer_ctx c = {.l = l};
    const int lo = len_out(l);
    alloc3(&c.x, dev, "x", batch, l->cin, l->len_in);
    alloc3(&c.dx, dev, "dx", batch, l->cin, l->len_in);
    alloc3(&c.y, dev, "y", batch, l->cout, lo);
    alloc3(&c.dy, dev, "dy", batch, l->cout, lo);
    if (l->transposed) alloc3(&c.w, dev, "w", l->cin, l->cout, K);
    else alloc3(&c.w, dev, "w", l->cout, l->cin, K);
    die(df_tensor_alloc(&c.dw, dev, DF_F32, 3, c.w.shape, "dw"), "alloc");
    df_rng rng;
    df_rng_init(&rng, 1);
    die(df_rng_normal(&rng, &c.x, 0.f, 1.f), "fill");
    die(df_rng_normal(&rng, &c.dy, 0.f, 1.f), "fill");
    die(df_rng_normal(&rng, &c.w, 0.f, 0.05f), "fill");
    /* Both orientations do 2 N Cin Cout K P multiply-adds, P the short side's length. */
    const double flops = 2.0 * batch * l->cin * l->cout * K * (l->transposed ? l->len_in : lo);
    for (int pass = FWD; pass <= BWD_WEIGHT; pass++) {
      c.pass = pass;
      double t = time_it(run_pass, &c, dev, min_time);
      double rate = flops / t * 1e-9;
      total_flops += flops;
      total_time += t;
      if (dev == DF_DEVICE_CPU) {
        int m, n, k;
        equivalent_gemm(l, batch, pass, &m, &n, &k);
        double ref = sgemm_gflops(m, n, k, min_time);
        total_ref_time += flops / (ref * 1e9);
        printf("| %s | %s | %.1f | %.1f | %.1f (%dx%dx%d) | %.2f | %.2f |\n", l->name,
               pass_names[pass], t * 1e3, rate, ref, m, n, k, rate / ref, rate / peak);
      } else {
        printf("| %s | %s | %.2f | %.0f | | | |\n", l->name, pass_names[pass], t * 1e3, rate);
      }
      fflush(stdout);
    }
    df_tensor *all[] = {&c.x, &c.dx, &c.y, &c.dy, &c.w, &c.dw};
    for (int j = 0; j < 6; j++) df_tensor_free(all[j]);
  }
  const double rate = total_flops / total_time * 1e-9;
  printf("\nAll passes of these layers: %.1f GFLOP/s (%.2f s)", rate, total_time);
  if (dev == DF_DEVICE_CPU)
    printf(" = %.2f of sgemm on the same GEMMs, %.2f of the peak", total_ref_time / total_time,
           rate / peak);
  printf(".\n");
}

int main(int argc, char **argv) {
  int batch = 64;
  double min_time = 1.0;
  const char *which = "all", *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
    else if (!strcmp(argv[i], "--device") && i + 1 < argc) which = argv[++i];
    else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else {
      fprintf(stderr, "usage: bench_conv [--batch N] [--min-time SECONDS] [--device cpu|cuda|all] "
                      "[--only PREFIX]\n");
      return 2;
    }
  }
  df_device dev;
  die(df_runtime_init(DF_REQUEST_CPU, &dev, NULL, 0), "runtime");
  /* Training's setting (df_train_run): whole batches per GEMM. Inference's batch-invariant
   * mode (runtime.h) runs one GEMM per example, much slower for the short outer layers. */
  df_set_batch_invariant(0);
  double peak = sgemm_gflops(PEAK_SIZE, PEAK_SIZE, PEAK_SIZE, min_time);
  printf("## WaveGAN conv layers, batch %d, d = 64 (kernel 25, stride 4, padding 11)\n\n", batch);
  printf("%s; %d OpenMP threads. sgemm %dx%dx%d (the peak): %.1f GFLOP/s.\n",
         openblas_get_config(), omp_get_max_threads(), PEAK_SIZE, PEAK_SIZE, PEAK_SIZE, peak);
  if (strcmp(which, "cuda") != 0) bench_device(DF_DEVICE_CPU, batch, min_time, peak, only);
  if (strcmp(which, "cpu") != 0) {
    if (df_cuda_available()) bench_device(DF_DEVICE_CUDA, batch, min_time, peak, only);
    else printf("\n(no usable GPU: %s)\n", df_device_description(DF_DEVICE_CUDA));
  }
  df_runtime_shutdown();
  return 0;
}
