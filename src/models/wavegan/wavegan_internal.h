/* WaveGAN internals shared by the model's files and its tests. */
#ifndef DF_MODELS_WAVEGAN_INTERNAL_H
#define DF_MODELS_WAVEGAN_INTERNAL_H

#include "drumforge/ops.h"
#include "drumforge/wavegan.h"

#define WG_MAX_LAYERS 6
/* The generator's batch-sized views: zin, grad_zin, emb, labels, act, pre, upsampled, the
 * post-filter's two. */
#define WG_G_VIEWS (4 + (WG_MAX_LAYERS + 1) + 2 * WG_MAX_LAYERS + 2)
/* The training scratch's: the real batch, z, alpha, u, the two label arrays. */
#define WG_TRAIN_BUFFERS 6

/* One generator stage: an up-convolution (transposed conv, or nearest-neighbour x stride then
 * a stride-1 conv), optional batch norm, then ReLU (tanh on the last stage). */
typedef struct wg_up {
  df_param *w, *b;                      /* transposed: [Cin, Cout, K]; nn: [Cout, Cin, K] */
  df_param *gamma, *beta, *rmean, *rvar; /* batch norm (NULL when off) */
  int cin, cout, stride, pad, lin, lout;
} wg_up;

typedef struct wg_generator {
  df_param_set params;
  df_param *fc_w, *fc_b, *embed, *post_w;
  wg_up ups[WG_MAX_LAYERS];
  df_param *fc_gamma, *fc_beta, *fc_rmean, *fc_rvar;
  int n_up, c0, zin_dim;
  /* Activations: views of the first `batch` items (the current call's) of buffers for
   * `capacity` items, the most any call has had (models/batch_buffers.h), so a preview or a
   * short last chunk of a different batch allocates nothing. */
  int64_t capacity, batch;
  df_tensor zin;                      /* [N, latent + embed] */
  df_tensor pre[WG_MAX_LAYERS + 1];   /* stage inputs to batch norm (only when it is on) */
  df_tensor act[WG_MAX_LAYERS + 1];   /* stage outputs after the nonlinearity */
  df_tensor upsampled[WG_MAX_LAYERS]; /* nn mode: the stage input repeated stride times */
  df_tensor post_full;                /* post-filter output before the crop [N, c, L + 1] */
  df_tensor out;                      /* [N, c, L] */
  df_tensor grad_zin;
  df_tensor emb;                      /* class embeddings and their gradient [N, embed] */
  df_tensor labels_dev;               /* [N] int32 on the device */
  df_tensor buffers[WG_G_VIEWS];      /* behind the views above */
  df_tensor grad_a, grad_b, grad_c;   /* scratch [capacity, the largest stage item] */
  df_tensor bn_mean[WG_MAX_LAYERS + 1], bn_invstd[WG_MAX_LAYERS + 1]; /* batch statistics [C] */
} wg_generator;

/* One critic layer: conv (stride s), optional batch norm, LeakyReLU, phase shuffle except
 * after the last layer. */
typedef struct wg_conv {
  df_param *w, *b;
  df_param *gamma, *beta, *rmean, *rvar;
  int cin, cout, stride, pad, lin, lout;
} wg_conv;

typedef struct wg_critic {
  df_param_set params;
  wg_conv convs[WG_MAX_LAYERS];
  df_param *fc_w, *fc_b, *embed; /* embed: projection embedding [classes, F] */
  int n_conv, features;          /* features F = C_last * L_last */
  /* Buffers for `capacity` rows, the most any call has had (models/batch_buffers.h); a call
   * with fewer rows uses their first ones. */
  int64_t capacity;
  df_tensor x[WG_MAX_LAYERS];      /* conv inputs (layer 0: the audio) */
  df_tensor pre[WG_MAX_LAYERS];    /* batch norm inputs (only when it is on) */
  df_tensor act[WG_MAX_LAYERS];    /* LeakyReLU outputs */
  df_tensor dz[WG_MAX_LAYERS];     /* d out / d conv output (after the masks) */
  df_tensor dx;                    /* scratch: d out / d conv input, largest layer */
  df_tensor dx0;                   /* d out / d audio [rows, c, L] */
  df_tensor tangent;               /* scratch for the tangent pass, largest layer output */
  df_tensor out, dout;             /* [rows] */
  df_tensor gathered, scratch_f;   /* conditional: E[y] rows and products [rows, F] */
  df_tensor labels_dev;            /* [rows] int32 */
  df_tensor row_labels;            /* host [rows] int32: the labels of every row group */
  df_tensor shift_table[WG_MAX_LAYERS]; /* host [rows] int32, behind shifts */
  int *shifts[WG_MAX_LAYERS];      /* per layer, per row */
  df_tensor bn_mean[WG_MAX_LAYERS], bn_invstd[WG_MAX_LAYERS]; /* per row group [3, C] */
} wg_critic;

struct df_wavegan {
  df_wavegan_config cfg;
  df_device device;
  wg_generator g;
  wg_critic d;
  /* Training scratch: views of the first `batch` items of buffers for `capacity`, the most
   * yet (models/batch_buffers.h). */
  int64_t capacity;
  df_tensor real;                  /* [N, c, L]: the data batch of an iteration */
  df_tensor z, alpha, u;           /* latents, interpolation weights, the penalty direction */
  df_tensor real_labels, labels;   /* host int32 [N]: the data's, the generator step's */
  df_tensor buffers[WG_TRAIN_BUFFERS]; /* behind the views above (train.c) */
};

/* Channels at generator stage i (stage 0: after the dense layer; the last: the audio). */
int wg_stage_channels(const df_wavegan_config *c, int stage);

/* Batch-norm behaviour of a forward pass: running statistics (generation), batch statistics
 * with the running averages updated (generator steps), or batch statistics only (the
 * generator inside a critic step, as the official code's update ops run with G's step). */
typedef enum wg_mode { WG_INFER = 0, WG_TRAIN, WG_TRAIN_NO_UPDATE } wg_mode;

/* Generator: build, forward (activations kept for the backward), backward. */
df_status wg_generator_build(wg_generator *g, const df_wavegan_config *c, df_device dev,
                             df_rng *rng, const df_adam_config *adam);
void wg_generator_free(wg_generator *g, const df_wavegan_config *c);
df_status wg_generator_forward(wg_generator *g, const df_wavegan_config *c, const df_tensor *z,
                               const int32_t *labels, wg_mode mode);
/* dout [N, c, L] -> parameter gradients (accumulated), after a train-mode forward. */
df_status wg_generator_backward(wg_generator *g, const df_wavegan_config *c, const df_tensor *dout);
/* The output [N, c, L] of the last forward. */
const df_tensor *wg_generator_output(const wg_generator *g, const df_wavegan_config *c);

/* Critic: build, forward on `rows` examples with the given labels and per-layer shifts. */
df_status wg_critic_build(wg_critic *d, const df_wavegan_config *c, df_device dev, df_rng *rng,
                          const df_adam_config *adam);
void wg_critic_free(wg_critic *d);
/* Buffers for at least `rows` rows (grown, never shrunk; d->shifts point into them). */
df_status wg_critic_reserve(wg_critic *d, int64_t rows);
/* d->x[0] rows [0, rows) must hold the audio; d->shifts[l][r] the shifts; labels host [rows]
 * (or NULL). `groups` consecutive row groups of rows/groups each get their own batch-norm
 * statistics, as separate critic calls would. Writes d->out. */
df_status wg_critic_forward(wg_critic *d, const df_wavegan_config *c, int64_t rows, int groups,
                            const int32_t *labels);
/* With d->dout [rows] set: every layer's backward signal d->dz, and d->dx0 for rows
 * [dx0_from, rows) only (none when dx0_from == rows: a critic step needs the audio gradient
 * of the penalty rows alone) (no weight grads; batch-norm parameter gradients, when it is
 * on, are accumulated here). */
df_status wg_critic_backward_input(wg_critic *d, const df_wavegan_config *c, int64_t rows,
                                   int groups, int64_t dx0_from);
/* WGAN-GP: replaces rows [first, first + n) of every layer input (and of the features) by the
 * tangent of direction u [n, c, L] (the penalty's gradient scaled by lambda) pushed through
 * the critic linearised at those rows. */
df_status wg_critic_tangent(wg_critic *d, const df_wavegan_config *c, int64_t first, int64_t n,
                            const df_tensor *u);
/* Accumulates the weight gradients of every layer over rows [0, rows), and the bias
 * gradients over rows [0, bias_rows). */
df_status wg_critic_weight_grads(wg_critic *d, const df_wavegan_config *c, int64_t rows,
                                 int64_t bias_rows);

/* Frees the training scratch (train.c). */
void wg_train_free(df_wavegan *m);

/* The critic's full gradient for one update: real [N] rows, fake [N] rows and, for WGAN-GP,
 * xhat = real + alpha (fake - real); shifts and labels given. Zeroes and fills the critic's
 * gradients; fills stats. Used by the trainer and by the fixture tests. */
df_status wg_critic_gradients(df_wavegan *m, const df_tensor *real, const df_tensor *fake,
                              const df_tensor *alpha, const int32_t *labels,
                              df_wavegan_stats *stats);

#endif
