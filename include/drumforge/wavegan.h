/* WaveGAN (Donahue, McAuley, Puckette, ICLR 2019) with WGAN-GP, other GAN losses and an
 * optional class-conditional variant. Layouts and padding follow PyTorch ports of the
 * official code: channels-first [N, C, L]; a stride-s, kernel-K layer pads
 * p = ceil((K - s) / 2) on both sides (and the transposed conv adds output padding
 * 2p - (K - s)), so every layer maps length L to L*s or L/s exactly. */
#ifndef DRUMFORGE_WAVEGAN_H
#define DRUMFORGE_WAVEGAN_H

#include <stdint.h>

#include "drumforge/config.h"
#include "drumforge/loss.h"
#include "drumforge/nn.h"
#include "drumforge/rng.h"
#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum df_upsample_mode { DF_UPSAMPLE_ZEROS = 0, DF_UPSAMPLE_NN } df_upsample_mode;

typedef struct df_wavegan_config {
  int d;              /* model size (64 in the paper) */
  int slice_len;      /* 16384, 32768 or 65536 samples */
  int channels;       /* 1 or 2 */
  int kernel;         /* 25 */
  int latent_dim;     /* 100; latents are uniform in [-1, 1] */
  int phase_shuffle;  /* radius in samples (2), 0 = off */
  df_upsample_mode upsample;
  int post_filter;    /* taps of the learned post-filter (512 in the official code), 0 = off */
  int batchnorm;      /* batch norm in the generator (and, for non-WGAN-GP losses, the critic) */
  int n_classes;      /* 0 = unconditional; else a class-conditional model */
  int class_embed;    /* width of the generator's class embedding (joined to z) */
  float leaky_slope;  /* 0.2 */
  df_gan_loss loss;
  float gp_lambda;    /* 10 */
} df_wavegan_config;

/* Reads the [model] and [loss] sections (the README lists the keys). data_classes is the
 * number of classes the data names; a conditional model (model.conditional = true) uses
 * all of them. */
df_status df_wavegan_config_read(df_config *cfg, int data_classes, df_wavegan_config *out);

/* Parameter layout: lengths and channels of every generator stage and critic layer. */
int df_wavegan_n_layers(const df_wavegan_config *c);                 /* up-convs = critic convs */
int df_wavegan_stride(const df_wavegan_config *c, int layer);        /* generator stride of up-conv i */
int df_wavegan_pad(int kernel, int stride);                          /* ceil((K - s) / 2) */

typedef struct df_wavegan df_wavegan;

/* Creates G and D with freshly initialised weights (Glorot-uniform kernels and zero biases,
 * as TensorFlow's defaults in the official code), drawn from rng. */
df_status df_wavegan_create(const df_wavegan_config *cfg, df_device dev, df_rng *rng,
                            const df_adam_config *adam_g, const df_adam_config *adam_d,
                            df_wavegan **out);
void df_wavegan_free(df_wavegan *m);
df_param_set *df_wavegan_generator_params(df_wavegan *m);
df_param_set *df_wavegan_critic_params(df_wavegan *m);
const df_wavegan_config *df_wavegan_get_config(const df_wavegan *m);

/* Generates audio out [N, channels, slice_len] from latents z [N, latent_dim] and, for a
 * conditional model, class ids labels [N] (host array; NULL otherwise). Inference mode:
 * batch norm uses its running statistics. */
df_status df_wavegan_generate(df_wavegan *m, const df_tensor *z, const int32_t *labels,
                              df_tensor *out);

/* Losses and diagnostics of one training iteration. */
typedef struct df_wavegan_stats {
  float d_loss;      /* critic loss including lambda * GP */
  float g_loss;
  float gp;          /* gradient penalty (without lambda) */
  float wdist;       /* Wasserstein estimate mean D(real) - mean D(fake) */
  float mean_slope;  /* mean ||dD/dxhat|| */
} df_wavegan_stats;

/* Supplies one real batch: x [N, channels, slice_len] on the model's device and labels [N]
 * on the host (-1 when unlabelled). */
typedef df_status (*df_batch_fn)(void *ctx, df_tensor *x, int32_t *labels);

/* One iteration: critic_steps critic updates (each on a fresh real batch from next_batch),
 * then one generator update. All randomness (latents, classes, interpolation weights, phase
 * shuffle shifts) comes from rng. */
df_status df_wavegan_train_iteration(df_wavegan *m, int64_t batch, int critic_steps,
                                     df_batch_fn next_batch, void *batch_ctx, df_rng *rng,
                                     df_wavegan_stats *stats);

/* Lower-level access used by tests and benchmarks: one critic update / one generator update. */
df_status df_wavegan_critic_step(df_wavegan *m, const df_tensor *real, const int32_t *labels,
                                 df_rng *rng, df_wavegan_stats *stats);
df_status df_wavegan_generator_step(df_wavegan *m, int64_t batch, df_rng *rng,
                                    df_wavegan_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
