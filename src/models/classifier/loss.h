/* The classifier's loss: softmax cross-entropy on the host (the logits are [batch, classes],
 * a few hundred numbers a step), optionally weighted per class against the imbalance of the
 * training split. */
#ifndef DF_MODELS_CLASSIFIER_LOSS_H
#define DF_MODELS_CLASSIFIER_LOSS_H

#include <stdint.h>

/* Softmax of one row of logits, in double. */
void dc_softmax(const float *logits, int classes, double *p);

/* Class weights from the training examples per class: w_c = (N / (K n_c))^power over the K
 * classes that have examples (N of them in all), 0 for the others. power 0 weighs every
 * example alike; power 1 is "balanced" (every class weighs as much in total). */
void dc_class_weights(const int64_t *counts, int classes, double power, double *w);

typedef struct dc_ce_result {
  double loss;       /* sum_i w_i CE_i / sum_i w_i (PyTorch's weighted mean); 0 if none */
  int64_t labelled;  /* examples with a label in [0, classes) */
  int64_t right;     /* of those, whose largest logit is their label's */
} dc_ce_result;

/* Weighted softmax cross-entropy of logits [batch, classes] against labels (others than
 * [0, classes): unlabelled, no loss and a zero gradient). With mixup (other and keep not
 * NULL), example i's target is keep[i] on its label and 1 - keep[i] on other[i] (when that is
 * a class), and its weight is mixed alike: w_i = keep w_label + (1 - keep) w_other; else
 * w_i = w_label. grad [batch, classes] receives d loss / d logits; it may be the logits' own
 * buffer. weights NULL: all 1. */
dc_ce_result dc_cross_entropy(const float *logits, const int32_t *labels, const int32_t *other, const float *keep,
                              int64_t batch, int classes, const double *weights, float *grad);

#endif
