/* The classifier network keeps its buffers and STFT plan for the largest batch it has seen and
 * runs smaller batches on the first rows. A net that has run batches of 8, 3, 12 and 3 gives,
 * at each, the bits of a fresh net's first run at that size: a training forward (batch norm
 * over the batch's rows) with its logits and embeddings, the cross-entropy gradients of every
 * parameter, the running statistics, then an inference forward. Stereo input, so the mix-down
 * runs too. CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/snapshot.h"
#include "common/testlib.h"
#include "models/classifier/classifier_net.h"
#include "models/classifier/loss.h"

#define MAX_BATCH 12
#define CLASSES 3
#define LENGTH 4096

static const dc_config config = {16000, LENGTH, 256, 128, 32, 80.0f, 4, CLASSES};

/* The first rows of t, which the last forward used. */
static df_status add_rows(df_snapshot *o, const char *name, const df_tensor *t, int64_t rows) {
  df_tensor part;
  DF_TRY(df_tensor_slice0(t, 0, rows, &part));
  return df_snapshot_add(o, name, &part);
}

static df_status create(dc_net *n) {
  df_rng rng;
  df_rng_init(&rng, 4321);
  df_adam_config adam = {1e-3f, 0.9f, 0.999f, 1e-8f, 0};
  return dc_net_build(n, &config, DF_DEVICE_CPU, &adam, &rng);
}

/* Every parameter value (running statistics included) to the pristine net's. */
static df_status restore(dc_net *n, const dc_net *pristine) {
  for (int i = 0; i < n->params.n; i++)
    DF_TRY(df_tensor_copy(&n->params.items[i]->value, &pristine->params.items[i]->value));
  return DF_OK;
}

/* Everything one run at batch n produces, into o. */
static df_status run(dc_net *net, const dc_net *pristine, const df_tensor *audio, const int32_t *labels, int64_t n,
                     df_snapshot *o) {
  DF_TRY(restore(net, pristine));
  df_tensor x;
  DF_TRY(df_tensor_slice0(audio, 0, n, &x));
  DF_TRY(dc_net_forward(net, &x, 1));
  DF_TRY(add_rows(o, "training logits", &net->logits, n));
  DF_TRY(add_rows(o, "training embeddings", &net->pooled, n));
  float logits[MAX_BATCH * CLASSES];
  DF_TRY(df_tensor_to_host(&net->logits, logits, n * CLASSES));
  dc_ce_result ce = dc_cross_entropy(logits, labels, NULL, NULL, n, CLASSES, NULL, logits);
  float loss = (float)ce.loss;
  df_tensor lt = df_tensor_wrap(&loss, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){1}, "loss");
  DF_TRY(df_snapshot_add(o, "cross-entropy", &lt));
  df_tensor dlogits;
  DF_TRY(df_tensor_slice0(&net->dlogits, 0, n, &dlogits));
  DF_TRY(df_tensor_from_host(&dlogits, logits, n * CLASSES));
  DF_TRY(df_param_set_zero_grad(&net->params));
  DF_TRY(dc_net_backward(net));
  for (int i = 0; i < net->params.n; i++) {
    const df_param *p = net->params.items[i];
    char name[128];
    snprintf(name, sizeof name, "%s after the training forward", p->name);
    DF_TRY(df_snapshot_add(o, name, &p->value));
    snprintf(name, sizeof name, "gradient of %s", p->name);
    if (p->trainable) DF_TRY(df_snapshot_add(o, name, &p->grad));
  }
  DF_TRY(restore(net, pristine));
  DF_TRY(dc_net_forward(net, &x, 0));
  DF_TRY(add_rows(o, "inference logits", &net->logits, n));
  return add_rows(o, "inference embeddings", &net->pooled, n);
}

int main(void) {
  df_test_begin("test_classifier_batch_views");
  dc_net used, pristine;
  if (!df_expect_ok(create(&used), "create") || !df_expect_ok(create(&pristine), "create")) return df_test_finish();
  df_tensor audio;
  df_tensor_new(&audio, DF_DEVICE_CPU, "sounds", MAX_BATCH, 2, LENGTH);
  df_test_fill_uniform(audio.data, df_tensor_numel(&audio), 5, -0.5f, 0.5f);
  int32_t labels[MAX_BATCH];
  for (int i = 0; i < MAX_BATCH; i++) labels[i] = (i * 7) % CLASSES;
  const int64_t sizes[] = {8, 3, 12, 3}; /* smaller, larger (the buffers grow), smaller again */
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    static df_snapshot got, want;
    char what[128];
    snprintf(what, sizeof what, "batch %lld after %zu other batches", (long long)sizes[i], i);
    int ok = df_expect_ok(run(&used, &pristine, &audio, labels, sizes[i], &got), what);
    if (ok && i > 0) {
      dc_net fresh;
      snprintf(what, sizeof what, "a fresh net's first batch of %lld", (long long)sizes[i]);
      if (df_expect_ok(create(&fresh), what) &&
          df_expect_ok(run(&fresh, &pristine, &audio, labels, sizes[i], &want), what)) {
        snprintf(what, sizeof what, "batch %lld after others = fresh", (long long)sizes[i]);
        df_snapshot_expect_equal(what, &got, &want);
      }
      dc_net_free(&fresh);
    }
    df_snapshot_free(&got);
    df_snapshot_free(&want);
  }
  df_tensor_free(&audio);
  dc_net_free(&used);
  dc_net_free(&pristine);
  return df_test_finish();
}
