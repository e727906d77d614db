/* Per-channel bias and its gradient, shared by dense and the convolutions. */
#include "ops/cpu/nn_cpu.h"

void df_cpu_add_channel_bias(float *y, const float *b, int64_t n, int64_t c, int64_t s) {
#pragma omp parallel for collapse(2) schedule(static) if (n * c * s > 65536)
  for (int64_t e = 0; e < n; e++) {
    for (int64_t ch = 0; ch < c; ch++) {
      float *row = y + (e * c + ch) * s;
      const float bias = b[ch];
      for (int64_t k = 0; k < s; k++) row[k] += bias;
    }
  }
}

void df_cpu_channel_sum(const float *dy, float *db, int64_t n, int64_t c, int64_t s) {
#pragma omp parallel for schedule(static) if (n * c * s > 65536)
  for (int64_t ch = 0; ch < c; ch++) {
    double acc = 0;
    for (int64_t e = 0; e < n; e++) {
      const float *row = dy + (e * c + ch) * s;
      for (int64_t k = 0; k < s; k++) acc += row[k];
    }
    db[ch] += (float)acc;
  }
}
