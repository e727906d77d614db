/* The classifier's loss (loss.h). */
#include <math.h>
#include <string.h>

#include "drumforge/dataset.h"
#include "models/classifier/loss.h"

void dc_softmax(const float *logits, int classes, double *p) {
  double top = logits[0], sum = 0;
  for (int c = 1; c < classes; c++)
    if (logits[c] > top) top = logits[c];
  for (int c = 0; c < classes; c++) sum += p[c] = exp(logits[c] - top);
  for (int c = 0; c < classes; c++) p[c] /= sum;
}

void dc_class_weights(const int64_t *counts, int classes, double power, double *w) {
  int64_t total = 0;
  int present = 0;
  for (int c = 0; c < classes; c++) {
    total += counts[c];
    present += counts[c] > 0;
  }
  for (int c = 0; c < classes; c++)
    w[c] = counts[c] > 0 ? pow((double)total / ((double)present * (double)counts[c]), power) : 0.0;
}

dc_ce_result dc_cross_entropy(const float *logits, const int32_t *labels, int64_t batch, int classes,
                              const double *weights, float *grad) {
  dc_ce_result r = {0};
  double total_weight = 0, p[DF_MAX_CLASSES];
  for (int64_t i = 0; i < batch; i++)
    if (labels[i] >= 0 && labels[i] < classes) {
      total_weight += weights ? weights[labels[i]] : 1.0;
      r.labelled++;
    }
  for (int64_t i = 0; i < batch; i++) {
    const float *row = logits + i * classes;
    float *g = grad + i * classes;
    const int y = labels[i];
    if (y < 0 || y >= classes || total_weight <= 0) {
      memset(g, 0, sizeof(float) * (size_t)classes);
      continue;
    }
    dc_softmax(row, classes, p);
    int best = 0;
    for (int c = 1; c < classes; c++)
      if (row[c] > row[best]) best = c;
    r.right += best == y;
    const double share = (weights ? weights[y] : 1.0) / total_weight;
    r.loss -= share * log(p[y] > 1e-300 ? p[y] : 1e-300);
    for (int c = 0; c < classes; c++) g[c] = (float)(share * (p[c] - (c == y)));
  }
  return r;
}
