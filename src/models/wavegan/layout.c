/* WaveGAN's layer plan: how many up-convolutions, their strides, channels and padding. */
#include "models/wavegan/wavegan_internal.h"

int df_wavegan_n_layers(const df_wavegan_config *c) { return c->slice_len == 16384 ? 5 : 6; }

/* Stride of up-conv i and of critic conv i: 4, except the last layer of 32768-sample models
 * (2), as in the official code. */
int df_wavegan_stride(const df_wavegan_config *c, int layer) {
  int n = df_wavegan_n_layers(c);
  if (layer == n - 1 && c->slice_len == 32768) return 2;
  return 4;
}

int df_wavegan_pad(int kernel, int stride) { return (kernel - stride + 1) / 2; }

/* Channels entering up-conv i: c0 = d * 16 (d * 32 for longer slices), halving each stage. */
int wg_stage_channels(const df_wavegan_config *c, int stage) {
  int n = df_wavegan_n_layers(c);
  if (stage == n) return c->channels;
  int c0 = c->d * (n == 5 ? 16 : 32);
  return c0 >> stage;
}
