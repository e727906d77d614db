/* Spectrogram autoencoders: the spectrogram VAE of the loop generator and DK-VAE (model type
 * "specvae"; beta = 0 is the plain autoencoder) and the (conditional) Wasserstein autoencoder
 * of the Neural Drum Machine ("specwae"). Shared by the model's files and its tests.
 *
 * Audio batches [N, 1, L] from the trainer become spectrograms on the model's device (the
 * front end: STFT magnitude -> Mel (optional) -> dB -> per-item min-max to [0, 1]), so one
 * dataset serves every model. The encoder is Conv/ReLU/BatchNorm blocks, then one dense layer
 * to the latent (mean and log-variance for the VAE); the decoder mirrors it with transposed
 * convolutions and ends in a sigmoid; decoding goes back to audio through de-normalisation and
 * Griffin-Lim. */
#ifndef DF_MODELS_SPECAE_SPECAE_H
#define DF_MODELS_SPECAE_SPECAE_H

#include "drumforge/config.h"
#include "drumforge/dsp.h"
#include "drumforge/nn.h"
#include "drumforge/ops.h"
#include "drumforge/train.h"

#define SA_MAX_LAYERS 8

typedef enum sa_kind { SA_VAE = 0, SA_WAE } sa_kind;

typedef struct sa_config {
  sa_kind kind;
  /* [spectrogram]: the front end. */
  int sample_rate;     /* the dataset's */
  int64_t length;      /* audio samples per example */
  int n_fft, hop;
  int mel_bands;       /* 0: linear bins without the Nyquist bin (n_fft / 2 of them) */
  int frames;          /* frames kept (the first ones); the rest are silence when decoding */
  float top_db;
  /* [model]: the network. */
  int n_layers;
  int filters[SA_MAX_LAYERS];
  int strides[SA_MAX_LAYERS][2]; /* (frequency, time) */
  int kernel;
  int latent_dim;
  int n_classes;       /* 0: unconditional */
  int class_embed;
  /* [loss] */
  float recon_weight;
  float beta;          /* VAE: KL weight; 0 = plain autoencoder (deterministic encoder) */
  float mmd_lambda;    /* WAE */
  float prior_sigma;   /* standard deviation of the Gaussian prior */
  /* [optim] */
  df_adam_config adam;
  float clip_norm;     /* 0: off */
  /* [griffinlim] */
  int gl_iters;
  float gl_momentum;
  /* Derived. */
  int bins;            /* spectrogram height H */
  int64_t stft_frames; /* T = 1 + length / hop */
  int64_t bottleneck[2]; /* the encoder's output positions: bins and frames over the strides */
} sa_config;

/* Reads the keys of one model kind for data with data_classes classes at sample_rate. */
df_status sa_config_read(df_config *cfg, sa_kind kind, int data_classes, int sample_rate, sa_config *out);
/* 1 when the encoder is stochastic (a VAE with beta > 0). */
int sa_stochastic(const sa_config *c);

/* ---- the spectrogram front end and its inverse */
typedef struct sa_frontend {
  df_device device;
  df_tensor fb, pinv;  /* Mel filterbank [M, F] and its pseudo-inverse [F, M] (mel_bands > 0) */
  int64_t capacity;    /* the plan and the scratch are for up to this many items (the most yet) */
  df_stft_plan *plan;
  df_tensor mag;       /* [capacity, F, T] */
  df_tensor band;      /* [capacity, H, T]: Mel, or the bins below Nyquist */
} sa_frontend;

df_status sa_frontend_init(sa_frontend *fe, const sa_config *c, df_device dev);
void sa_frontend_free(sa_frontend *fe);
/* audio [N, 1, L] -> spec [N, 1, H, W] in [0, 1], with each item's dB range in lo, hi [N]. */
df_status sa_analyse(sa_frontend *fe, const sa_config *c, const df_tensor *audio, df_tensor *spec,
                     df_tensor *lo, df_tensor *hi);
/* spec [N, 1, H, W] in [0, 1] and dB ranges lo, hi [N] -> audio [N, 1, L] by Griffin-Lim (from a
 * fixed seed, so decoding is a pure function of its input). spec is overwritten. */
df_status sa_synthesise(sa_frontend *fe, const sa_config *c, df_tensor *spec, const df_tensor *lo,
                        const df_tensor *hi, df_tensor *audio);

/* ---- one block: convolution (or transposed convolution) -> activation -> batch norm */
typedef struct sa_block {
  df_param *w, *b;
  df_param *gamma, *beta, *rmean, *rvar; /* NULL for the decoder's output block */
  int transposed, cin, cout, stride[2], pad[2];
  int64_t hin, win, hout, wout;
  df_activation act;
  df_tensor y;            /* after the activation [N, cout, hout, wout] */
  df_tensor z;            /* after batch norm */
  df_tensor y_buf, z_buf; /* behind y and z, for the net's capacity (its batch buffers) */
  df_tensor mean, invstd; /* batch statistics saved for the backward [cout] */
} sa_block;

/* The parameters, and the batch statistics' storage when with_bn. */
df_status sa_block_build(sa_block *b, df_param_set *set, const char *prefix, df_rng *rng,
                         int with_bn);
void sa_block_free(sa_block *b);
const df_tensor *sa_block_output(const sa_block *b);
/* Forward from x [N, cin, hin, win]; train: batch statistics (running averages updated). */
df_status sa_block_forward(sa_block *b, const df_tensor *x, int train);
/* From dout (d loss / d output) to dx (NULL: not needed) and the parameter gradients
 * (accumulated); scratch holds at least the block's output size. */
df_status sa_block_backward(sa_block *b, const df_tensor *x, const df_tensor *dout, df_tensor *scratch,
                            df_tensor *dx);

/* ---- the network */
#define SA_NET_MATRICES 15
typedef struct sa_net {
  df_param_set params;     /* prefix "AE" */
  sa_block enc[SA_MAX_LAYERS], dec[SA_MAX_LAYERS]; /* dec[n_layers - 1] is the output block */
  df_param *enc_fc_w, *enc_fc_b, *dec_fc_w, *dec_fc_b;
  df_param *enc_embed, *dec_embed; /* conditional models */
  df_param *stats;         /* buffer [K, 3]: per class (K = classes, or 1) examples seen and the
                              mean dB minimum and maximum of their spectrograms */
  int64_t features;        /* C * H * W at the bottleneck */
  int heads;               /* 2 for a stochastic encoder (mean, log-variance), else 1 */
  int n_layers;
  int64_t latent, embed;   /* latent width; class embedding width (0: unconditional) */
  /* Activation buffers are for `capacity` items, the most any call has had; the blocks' y and
   * z and the tensors below are views of their first `batch` items, the current call's
   * (sa_net_reserve; models/batch_buffers.h). */
  int64_t capacity, batch;
  df_tensor enc_in, dec_in;  /* [N, features (+ embed)], [N, latent (+ embed)] */
  df_tensor head;          /* [N, heads * latent] */
  df_tensor mean, logvar;  /* [N, latent] */
  df_tensor dec_fc;        /* [N, features]: the decoder's dense output */
  df_tensor grad_a, grad_b, grad_c; /* scratch [capacity, the largest activation's item] */
  df_tensor d_head, d_mean, d_logvar, d_z, d_enc_in, d_dec_in;
  df_tensor d_features;    /* [N, features]: d bottleneck (encoder output, decoder dense output) */
  df_tensor emb_scratch;   /* [N, embed] */
  df_tensor labels_dev;    /* [N] int32 */
  df_tensor buffers[SA_NET_MATRICES]; /* behind the views above, from enc_in to labels_dev */
} sa_net;

df_status sa_net_build(sa_net *net, const sa_config *c, df_device dev, df_rng *rng);
void sa_net_free(sa_net *net);
/* Activations for a batch of n: the buffers grow to n when they are smaller, never shrink. */
df_status sa_net_reserve(sa_net *net, int64_t n);
/* Encoder: spec [N, 1, H, W] -> net->mean (and net->logvar); labels host [N] or NULL. */
df_status sa_encode(sa_net *net, const sa_config *c, const df_tensor *spec, const int32_t *labels, int train);
/* Decoder: z [N, latent] -> the output block's y [N, 1, H, W] in [0, 1]. */
df_status sa_decode(sa_net *net, const sa_config *c, const df_tensor *z, const int32_t *labels, int train);
const df_tensor *sa_decoded(const sa_net *net, const sa_config *c);
/* Backward of the decoder from dy [N, 1, H, W]: parameter gradients and net->d_z. */
df_status sa_decode_backward(sa_net *net, const sa_config *c, const df_tensor *dy);
/* Backward of the encoder from net->d_mean (and net->d_logvar): parameter gradients. */
df_status sa_encode_backward(sa_net *net, const sa_config *c, const df_tensor *spec);

/* ---- the model type */
typedef struct sa_model {
  sa_config cfg;
  df_device device;
  sa_net net;
  sa_frontend fe;
  /* Training scratch: views of the first N items of buffers for `capacity`, the most yet. */
  int64_t capacity;
  df_tensor audio, spec, diff, lo, hi, eps, prior, z;
  df_tensor train_buffers[8];              /* behind the views, in that order */
  df_tensor labels_buf;                    /* host int32 [capacity] */
  int32_t *labels;                         /* its data */
} sa_model;

/* Training (train.c). The scratch for a batch of n (m->audio, m->spec, ...): grown when it is
 * smaller, never shrunk; and its release. */
df_status sa_train_reserve(sa_model *m, int64_t n);
void sa_train_free(sa_model *m);
/* The loss of the spectrograms in m->spec and its gradients (into the parameters' gradients,
 * zeroed first); noise and prior samples come from rng. */
typedef struct sa_losses {
  double loss, recon; /* the total, and the mean squared error (unweighted) */
  float reg;          /* KL (VAE), MMD (WAE) or 0, unweighted */
} sa_losses;
df_status sa_loss_gradients(sa_model *m, const int32_t *labels, df_rng *rng, sa_losses *out);
/* One training step on the next batch of data. */
df_status sa_train_step(sa_model *m, const df_train_data *data, df_rng *rng, df_metrics *out);
/* Folds a batch's dB ranges into the dataset statistics on the model's device (per class for
 * conditional models: classes [N] int32 there; NULL otherwise). */
df_status sa_stats_update(sa_model *m, const df_tensor *lo, const df_tensor *hi, const df_tensor *classes);
/* The dB range that de-normalises a sampled latent of class `label` (0 when unconditional). */
void sa_stats_range(const sa_model *m, const float *stats, int label, float *lo, float *hi);

#endif
