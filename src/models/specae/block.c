/* One block of the spectrogram autoencoders: a 2-D convolution (transposed in the decoder)
 * with 'same' padding, an activation, and batch norm (Conv/ReLU/BatchNorm, the order of the
 * Keras template the loop VAE and DK-VAE were written from). */
#include <stdio.h>
#include <string.h>

#include "models/specae/specae.h"

/* PyTorch's batch-norm defaults. */
#define SA_BN_MOMENTUM 0.1f
#define SA_BN_EPS 1e-5f

df_status sa_block_build(sa_block *b, df_param_set *set, const char *prefix, df_rng *rng, int with_bn) {
  char name[96];
  int kh = 2 * b->pad[0] + 1, kw = 2 * b->pad[1] + 1;
  int64_t wshape[4] = {b->transposed ? b->cin : b->cout, b->transposed ? b->cout : b->cin, kh, kw};
  snprintf(name, sizeof name, "%s.conv.weight", prefix);
  DF_TRY(df_param_add(set, name, 1, 4, wshape, &b->w));
  /* Glorot-uniform kernels and zero biases (Keras' defaults, as the original projects). */
  int64_t taps = (int64_t)kh * kw;
  DF_TRY(df_param_init_uniform(b->w, rng, df_glorot_bound(taps * b->cin, taps * b->cout)));
  snprintf(name, sizeof name, "%s.conv.bias", prefix);
  DF_TRY(df_param_add(set, name, 1, 1, (int64_t[]){b->cout}, &b->b));
  if (!with_bn) return DF_OK;
  snprintf(name, sizeof name, "%s.bn", prefix);
  DF_TRY(df_param_add_batchnorm(set, name, b->cout, &b->gamma, &b->beta, &b->rmean, &b->rvar));
  int64_t c = b->cout;
  DF_TRY(df_tensor_alloc(&b->mean, set->device, DF_F32, 1, &c, "batch-norm mean"));
  return df_tensor_alloc(&b->invstd, set->device, DF_F32, 1, &c, "batch-norm 1/std");
}

void sa_block_free(sa_block *b) {
  df_tensor_free(&b->mean);
  df_tensor_free(&b->invstd);
}

const df_tensor *sa_block_output(const sa_block *b) { return b->gamma ? &b->z : &b->y; }

df_status sa_block_forward(sa_block *b, const df_tensor *x, int train) {
  if (b->transposed) DF_TRY(df_conv_transpose2d_forward(x, &b->w->value, &b->b->value, b->stride, b->pad, &b->y));
  else DF_TRY(df_conv2d_forward(x, &b->w->value, &b->b->value, b->stride, b->pad, &b->y));
  DF_TRY(df_activation_forward(b->act, 0, &b->y, &b->y));
  if (!b->gamma) return DF_OK;
  if (train)
    return df_batchnorm_forward_train(&b->y, &b->gamma->value, &b->beta->value, &b->rmean->value, &b->rvar->value,
                                      SA_BN_MOMENTUM, SA_BN_EPS, &b->z, &b->mean, &b->invstd);
  return df_batchnorm_forward_infer(&b->y, &b->gamma->value, &b->beta->value, &b->rmean->value, &b->rvar->value,
                                    SA_BN_EPS, &b->z);
}

df_status sa_block_backward(sa_block *b, const df_tensor *x, const df_tensor *dout, df_tensor *scratch,
                            df_tensor *dx) {
  df_tensor dy = df_tensor_view(scratch, 4, b->y.shape);
  if (b->gamma)
    DF_TRY(df_batchnorm_backward(&b->y, &b->gamma->value, dout, &b->mean, &b->invstd, &dy, &b->gamma->grad,
                                 &b->beta->grad));
  else
    DF_TRY(df_tensor_copy(&dy, dout));
  DF_TRY(df_activation_backward(b->act, 0, &b->y, &dy, &dy));
  if (b->transposed)
    return df_conv_transpose2d_backward(x, &b->w->value, &dy, b->stride, b->pad, dx, &b->w->grad, &b->b->grad);
  return df_conv2d_backward(x, &b->w->value, &dy, b->stride, b->pad, dx, &b->w->grad, &b->b->grad);
}
