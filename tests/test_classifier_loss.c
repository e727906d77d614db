/* The classifier's loss: class weights from training counts (balanced at power 1: every class
 * weighs as much in total; 1 at power 0; the square root in between), and the weighted
 * softmax cross-entropy, plain and with mixup's two-class targets, against a log-sum-exp
 * reference, its gradient against finite differences, unlabelled rows ignored, and the
 * weights' scale irrelevant. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/testlib.h"
#include "models/classifier/loss.h"

#define B 9
#define K 5

typedef struct ce_ctx {
  float *logits;
  const int32_t *labels, *other;
  const float *keep;
  const double *weights;
} ce_ctx;

static double ce_loss(void *ctx) {
  ce_ctx *c = ctx;
  float grad[B * K];
  return dc_cross_entropy(c->logits, c->labels, c->other, c->keep, B, K, c->weights, grad).loss;
}

/* The reference: example i's target is t on its label and 1 - t on other[i] (t = 1 without
 * mixup), its weight t w_label + (1 - t) w_other, and the loss
 * sum_i weight_i sum_targets share (logsumexp(row_i) - row_i[class]) / sum_i weight_i. */
static double reference(const float *logits, const int32_t *labels, const int32_t *other, const float *keep,
                        const double *w) {
  double num = 0, den = 0;
  for (int i = 0; i < B; i++) {
    if (labels[i] < 0) continue;
    double top = -INFINITY, sum = 0;
    for (int k = 0; k < K; k++) top = fmax(top, logits[i * K + k]);
    for (int k = 0; k < K; k++) sum += exp(logits[i * K + k] - top);
    const int mixed = other && other[i] >= 0;
    const double t = mixed ? keep[i] : 1.0, lse = top + log(sum);
    const double wi = t * w[labels[i]] + (mixed ? (1 - t) * w[other[i]] : 0);
    double ce = t * (lse - logits[i * K + labels[i]]);
    if (mixed) ce += (1 - t) * (lse - logits[i * K + other[i]]);
    num += wi * ce;
    den += wi;
  }
  return num / den;
}

int main(void) {
  df_test_begin("test_classifier_loss");

  /* Class weights. */
  const int64_t counts[K] = {30, 75, 0, 15, 81};
  int64_t total = 0;
  for (int k = 0; k < K; k++) total += counts[k];
  double w1[K], w0[K], wh[K];
  dc_class_weights(counts, K, 1.0, w1);
  dc_class_weights(counts, K, 0.0, w0);
  dc_class_weights(counts, K, 0.5, wh);
  int ok_balanced = 1, ok_flat = 1, ok_sqrt = 1;
  double weighted_total = 0;
  for (int k = 0; k < K; k++) {
    weighted_total += (double)counts[k] * w1[k];
    /* 4 classes have examples: each weighs total / 4 in all. */
    if (counts[k] && fabs((double)counts[k] * w1[k] - (double)total / 4) > 1e-9) ok_balanced = 0;
    if (w0[k] != (counts[k] ? 1.0 : 0.0)) ok_flat = 0;
    if (fabs(wh[k] * wh[k] - w1[k]) > 1e-12) ok_sqrt = 0;
  }
  df_expect_true(ok_balanced && w1[2] == 0, "power 1: every class with examples weighs total / classes; none: 0");
  df_expect_near("power 1: the weighted count is the example count", weighted_total, (double)total, 1e-9);
  df_expect_true(ok_flat, "power 0: weight 1 for every class with examples");
  df_expect_true(ok_sqrt, "power 0.5: the square root of the balanced weights");

  /* Cross-entropy. */
  float logits[B * K], grad[B * K];
  df_test_fill_uniform(logits, B * K, 11, -3.0f, 3.0f);
  const int32_t labels[B] = {0, 1, 3, -1, 4, 1, 0, 3, 4};
  double ones[K] = {1, 1, 1, 1, 1}, twos[K] = {2, 2, 2, 2, 2};
  const int32_t other[B] = {3, -1, 0, 2, 1, 4, 4, -1, 0};
  const float keep[B] = {0.7f, 1.0f, 0.55f, 0.9f, 0.8f, 0.6f, 0.95f, 1.0f, 0.5f};
  const double *cases[4] = {w1, ones, w1, ones};
  const char *names[4] = {"balanced weights", "no weights", "balanced weights, mixup", "no weights, mixup"};
  for (int c = 0; c < 4; c++) {
    const int32_t *oth = c >= 2 ? other : NULL;
    const float *kp = c >= 2 ? keep : NULL;
    dc_ce_result r = dc_cross_entropy(logits, labels, oth, kp, B, K, cases[c], grad);
    double want = reference(logits, labels, oth, kp, cases[c]);
    char what[160];
    snprintf(what, sizeof what, "%s: loss = the log-sum-exp reference", names[c]);
    df_expect_near(what, r.loss, want, 1e-9 * fabs(want));
    int64_t right = 0;
    for (int i = 0; i < B; i++) {
      if (labels[i] < 0) continue;
      int best = 0;
      for (int k = 1; k < K; k++)
        if (logits[i * K + k] > logits[i * K + best]) best = k;
      right += best == labels[i];
    }
    snprintf(what, sizeof what, "%s: %lld labelled, %lld right", names[c], (long long)r.labelled, (long long)r.right);
    df_expect_true(r.labelled == B - 1 && r.right == right, what);
    float zeros[K] = {0};
    snprintf(what, sizeof what, "%s: the unlabelled row has no gradient", names[c]);
    df_expect_equal_bytes(what, grad + 3 * K, zeros, sizeof zeros);
    ce_ctx ctx = {logits, labels, oth, kp, cases[c]};
    snprintf(what, sizeof what, "%s: d loss / d logits", names[c]);
    df_expect_fd_gradient(what, logits, B * K, grad, ce_loss, &ctx, 0, 1e-2f, 2e-3, 1e-5);
  }
  float grad2[B * K];
  dc_ce_result a = dc_cross_entropy(logits, labels, NULL, NULL, B, K, NULL, grad);
  dc_ce_result b = dc_cross_entropy(logits, labels, NULL, NULL, B, K, twos, grad2);
  df_expect_near("equal weights of any size: the plain mean", b.loss, a.loss, 1e-12 * a.loss);
  df_expect_close("equal weights: the plain mean's gradient", grad2, grad, B * K, 1e-6, 0);

  /* The gradient may be written over the logits. */
  float inplace[B * K];
  memcpy(inplace, logits, sizeof inplace);
  dc_cross_entropy(logits, labels, NULL, NULL, B, K, w1, grad);
  dc_cross_entropy(inplace, labels, NULL, NULL, B, K, w1, inplace);
  df_expect_equal_bytes("the gradient written over the logits", inplace, grad, sizeof grad);
  return df_test_finish();
}
