/* The drum-class classifier network (internal to the classifier model type and the
 * evaluation code): log-Mel front end, four conv 3x3 stride-2 blocks (conv, batch norm,
 * ReLU) of width w, 2w, 4w, 8w, global average pooling (the embedding), and a dense layer
 * to class logits. */
#ifndef DF_MODELS_CLASSIFIER_NET_H
#define DF_MODELS_CLASSIFIER_NET_H

#include "drumforge/dsp.h"
#include "drumforge/nn.h"
#include "drumforge/ops.h"

#define DC_LAYERS 4

typedef struct dc_config {
  int sample_rate;
  int64_t length; /* samples per example (mono after mixing down) */
  int n_fft, hop, n_mels;
  float top_db;   /* each example's log-Mel range, below its maximum */
  int width;      /* channels of the first block */
  int n_classes;
} dc_config;

typedef struct dc_block {
  df_param *w, *gamma, *beta, *rmean, *rvar;
  int cin, cout, hin, win, hout, wout;
} dc_block;

typedef struct dc_net {
  dc_config cfg;
  df_param_set params;
  dc_block blocks[DC_LAYERS];
  df_param *fc_w, *fc_b;
  int frames;              /* T of the log-Mel input */
  df_tensor fb;            /* Mel filterbank [M, F] */
  df_stft_plan *plan;      /* for up to `capacity` examples */
  /* Buffers for `capacity` examples, the most any call has had (models/batch_buffers.h); a
   * call with fewer uses their first rows. */
  int64_t capacity, used; /* allocated for; in the last forward */
  df_tensor mono, mag, mel, lo, hi;
  df_tensor pre[DC_LAYERS], act[DC_LAYERS];
  df_tensor mean[DC_LAYERS], invstd[DC_LAYERS]; /* batch statistics [C] */
  df_tensor grad_a, grad_b;  /* scratch, the largest activation */
  df_tensor pooled, dpooled, logits, dlogits;
} dc_net;

/* Builds the parameters (He-uniform conv kernels, batch norm at identity) from rng. */
df_status dc_net_build(dc_net *n, const dc_config *c, df_device dev, const df_adam_config *adam,
                       df_rng *rng);
void dc_net_free(dc_net *n);
int dc_net_embed_dim(const dc_net *n);

/* Forward of audio [B, channels, length] (any B <= 65536) to n->logits [B, classes] and
 * n->pooled [B, E]. train = 1 uses and updates batch statistics. */
df_status dc_net_forward(dc_net *n, const df_tensor *audio, int train);
/* After a train forward: parameter gradients from n->dlogits [B, classes] (accumulated). */
df_status dc_net_backward(dc_net *n);

#endif
