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

/* Example i's target: share t[0] on class c[0] and t[1] on c[1] (c[1] = -1: none). */
static void target(const int32_t *labels, const int32_t *other, const float *keep, int64_t i, int classes, int c[2],
                   double t[2]) {
  c[0] = labels[i];
  c[1] = other && other[i] >= 0 && other[i] < classes ? other[i] : -1;
  t[0] = c[1] >= 0 ? keep[i] : 1.0;
  t[1] = 1.0 - t[0];
}

dc_ce_result dc_cross_entropy(const float *logits, const int32_t *labels, const int32_t *other, const float *keep,
                              int64_t batch, int classes, const double *weights, float *grad) {
  dc_ce_result r = {0};
  double total_weight = 0, p[DF_MAX_CLASSES];
  int c[2];
  double t[2];
  for (int64_t i = 0; i < batch; i++) {
    if (labels[i] < 0 || labels[i] >= classes) continue;
    target(labels, other, keep, i, classes, c, t);
    for (int k = 0; k < 2; k++)
      if (c[k] >= 0) total_weight += t[k] * (weights ? weights[c[k]] : 1.0);
    r.labelled++;
  }
  for (int64_t i = 0; i < batch; i++) {
    const float *row = logits + i * classes;
    float *g = grad + i * classes;
    if (labels[i] < 0 || labels[i] >= classes || total_weight <= 0) {
      memset(g, 0, sizeof(float) * (size_t)classes);
      continue;
    }
    target(labels, other, keep, i, classes, c, t);
    dc_softmax(row, classes, p);
    int best = 0;
    for (int k = 1; k < classes; k++)
      if (row[k] > row[best]) best = k;
    r.right += best == c[0];
    double w = 0;
    for (int k = 0; k < 2; k++)
      if (c[k] >= 0) w += t[k] * (weights ? weights[c[k]] : 1.0);
    const double share = w / total_weight;
    double want[DF_MAX_CLASSES] = {0};
    for (int k = 0; k < 2; k++)
      if (c[k] >= 0) {
        want[c[k]] += t[k];
        r.loss -= share * t[k] * log(p[c[k]] > 1e-300 ? p[c[k]] : 1e-300);
      }
    for (int k = 0; k < classes; k++) g[k] = (float)(share * (p[k] - want[k]));
  }
  return r;
}
