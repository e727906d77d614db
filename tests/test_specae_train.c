/* The spectrogram autoencoders train through the real trainer on the CPU: a tiny VAE, the
 * plain autoencoder (beta = 0) and a tiny conditional WAE each take a few steps on a small
 * labelled dataset and their reconstruction error falls; their metrics, previews (per class
 * for the conditional model) and dataset statistics land in the run; and stopping and
 * resuming reproduces an uninterrupted run bit for bit; a conditional model on a dataset with
 * unlabelled training examples leaves them out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/safetensors.h"
#include "drumforge/train.h"

static char scratch[4096], dataset[4200];

static const char *const vae_text =
    "[model]\ntype = specvae\nfilters = 8, 16\nstrides = 4, 4\nkernel = 3\nlatent_dim = 8\n"
    "[spectrogram]\nlength = 16384\nn_fft = 256\nhop = 128\nframes = 128\n"
    "[loss]\nreconstruction_weight = 1\nbeta = %s\n"
    "[optim]\nlr = 1e-2\nclip_norm = 5\n"
    "[griffinlim]\niterations = 4\n"
    "[train]\nbatch = 4\nsteps = 30\nseed = 1\ncheckpoint_every_steps = 10\nlog_every = 1\npreview_count = 2\n";

static const char *const cwae_text =
    "[model]\ntype = specwae\nfilters = 8, 16\nstrides = (2, 4), (2, 4)\nkernel = 3\nlatent_dim = 8\n"
    "conditional = true\nclass_embed = 4\n"
    "[spectrogram]\nlength = 16384\nn_fft = 256\nhop = 128\nmel_bands = 32\nframes = 128\n"
    "[loss]\nmmd_lambda = 1\n"
    "[optim]\nlr = 1e-2\n"
    "[griffinlim]\niterations = 4\n"
    "[train]\nbatch = 4\nsteps = 30\nseed = 1\ncheckpoint_every_steps = 10\nlog_every = 1\npreview_count = 3\n"
    "[data]\nclasses = kick,snare\n"; /* the fixture's hats are unlabelled */

static df_status train(const char *config, const char *run, int64_t steps, const char *const *overrides) {
  return df_test_train(config, dataset, run, steps, overrides);
}

static void write_config(const char *name, const char *fmt, const char *arg, char *path, size_t len) {
  char text[2048];
  snprintf(text, sizeof text, fmt, arg);
  snprintf(path, len, "%s/%s.ini", scratch, name);
  df_write_file_atomic(path, text, strlen(text));
}

/* scratch/mixed: the fixture's kicks and snares in their class folders and its hats directly in
 * the input folder (unlabelled), prepared at 16 kHz with everything in the training split. */
static int make_mixed_dataset(char *out, size_t len) {
  char in[4300], cmd[13000];
  snprintf(in, sizeof in, "%s/mixed_audio", scratch);
  snprintf(out, len, "%s/mixed", scratch);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' && mkdir -p '%s' && cp -r '%s/audio/kick' '%s/audio/snare' '%s/' && "
           "cp '%s/audio/hh_closed/'*.wav '%s/'", in, out, in, scratch, scratch, in, scratch, in);
  if (system(cmd) != 0) return 1;
  return df_test_prepare(in, out, (const double[3]){1, 0, 0});
}

/* Mean of the first and of the last k values of a metric. */
static void ends(const double *v, int n, int k, double *first, double *last) {
  *first = *last = 0;
  for (int i = 0; i < k; i++) {
    *first += v[i] / k;
    *last += v[n - 1 - i] / k;
  }
}

static void expect_learns(const char *run, const char *what) {
  double recon[64];
  int n = df_test_metric_series(run, "recon", recon, 64);
  char w[256];
  snprintf(w, sizeof w, "%s: metrics.jsonl has the reconstruction error of every step", what);
  if (!df_expect_true(n == 30, w)) return;
  double first, last;
  ends(recon, n, 5, &first, &last);
  printf("     %s: reconstruction MSE %.5f over the first 5 steps, %.5f over the last 5\n", what, first, last);
  snprintf(w, sizeof w, "%s: the reconstruction error falls (last 5 steps below 0.7 x the first 5)", what);
  df_expect_true(last < 0.7 * first, w);
}

static int exists(const char *dir, const char *file) {
  char p[4400];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  return access(p, F_OK) == 0;
}

/* The checkpoint's spec_stats: rows (-1: one per class, more than one) and the examples
 * counted over all rows. */
static void expect_stats(const char *run, int64_t step, int64_t rows, double examples, const char *what) {
  char path[4400];
  snprintf(path, sizeof path, "%s/checkpoints/ckpt-%09lld.safetensors", run, (long long)step);
  df_st_file *f;
  if (!df_expect_ok(df_st_open(path, &f), what)) return;
  df_tensor t;
  if (df_expect_ok(df_st_load_f32(f, "AE.spec_stats", DF_DEVICE_CPU, &t), what)) {
    const float *s = t.data;
    double count = 0, lo = 0, hi = 0;
    for (int64_t r = 0; r < t.shape[0]; r++) {
      count += s[3 * r];
      lo += s[3 * r] * s[3 * r + 1];
      hi += s[3 * r] * s[3 * r + 2];
    }
    printf("     %s: %lld row(s), %.0f examples, mean dB range [%.1f, %.1f]\n", what, (long long)t.shape[0], count,
           lo / count, hi / count);
    df_expect_true((rows < 0 ? t.shape[0] > 1 : t.shape[0] == rows) && count == examples && hi > lo && hi / count - lo / count <= 80.01, what);
    df_tensor_free(&t);
  }
  df_st_close(f);
}

static void expect_resume_exact(const char *config, const char *name) {
  static const char *const every3[] = {"train.checkpoint_every_steps=3", NULL};
  char run_a[4300], run_b[4300], a[4400], b[4400], what[256];
  snprintf(run_a, sizeof run_a, "%s/%s_a", scratch, name);
  snprintf(run_b, sizeof run_b, "%s/%s_b", scratch, name);
  snprintf(what, sizeof what, "%s: 6 uninterrupted steps", name);
  df_expect_ok(train(config, run_a, 6, every3), what);
  snprintf(what, sizeof what, "%s: 3 steps, then resumed to 6", name);
  df_expect_ok(train(config, run_b, 3, every3), what);
  df_expect_ok(train(NULL, run_b, 6, NULL), what);
  snprintf(a, sizeof a, "%s/checkpoints/ckpt-000000006.safetensors", run_a);
  snprintf(b, sizeof b, "%s/checkpoints/ckpt-000000006.safetensors", run_b);
  snprintf(what, sizeof what, "%s: resuming reproduces the uninterrupted run bit for bit", name);
  df_test_same_checkpoints(a, b, what);
}

int main(void) {
  df_test_begin("test_specae_train");
  df_test_scratch_dir("specae_train", scratch, sizeof scratch);
  if (df_test_make_dataset(scratch, 6, 1.0, dataset, sizeof dataset)) {
    df_test_fail("dataset", "could not build the test dataset");
    return df_test_finish();
  }
  char vae[4300], ae[4300], cwae[4300], run[4300], dir[4400];
  write_config("vae", vae_text, "1e-3", vae, sizeof vae);
  write_config("ae", vae_text, "0", ae, sizeof ae);
  write_config("cwae", cwae_text, "", cwae, sizeof cwae);

  /* The VAE. */
  snprintf(run, sizeof run, "%s/vae", scratch);
  if (df_expect_ok(train(vae, run, 30, NULL), "a tiny spectrogram VAE trains 30 steps on the CPU")) {
    expect_learns(run, "VAE");
    double kl[64];
    df_expect_true(df_test_metric_series(run, "kl", kl, 64) == 30 && kl[29] >= 0, "VAE: the KL term is logged");
    snprintf(dir, sizeof dir, "%s/previews/step-000000030", run);
    df_expect_true(exists(dir, "00.wav") && exists(dir, "01.wav"), "VAE: previews are written at checkpoints");
    expect_stats(run, 30, 1, 30 * 4, "VAE: the checkpoint keeps the dataset's dB range");
  }

  /* The plain autoencoder. */
  snprintf(run, sizeof run, "%s/ae", scratch);
  if (df_expect_ok(train(ae, run, 30, NULL), "the plain autoencoder (beta = 0) trains 30 steps")) {
    expect_learns(run, "AE");
    double kl[4];
    df_expect_true(df_test_metric_series(run, "kl", kl, 4) == 0, "AE: no KL term");
    char path[4400];
    snprintf(path, sizeof path, "%s/checkpoints/ckpt-000000030.safetensors", run);
    df_st_file *f;
    const df_st_tensor *w;
    if (df_expect_ok(df_st_open(path, &f), "AE checkpoint")) {
      df_expect_true(df_st_find(f, "AE.encoder.fc.weight", &w) == DF_OK && w->shape[0] == 8,
                     "AE: a deterministic encoder (one latent head, no log-variance)");
      df_st_close(f);
    }
  }

  /* The conditional WAE. */
  snprintf(run, sizeof run, "%s/cwae", scratch);
  if (df_expect_ok(train(cwae, run, 30, NULL), "a tiny conditional WAE on log-Mel trains 30 steps")) {
    expect_learns(run, "CWAE");
    double mmd[64];
    df_expect_true(df_test_metric_series(run, "mmd", mmd, 64) == 30, "CWAE: the MMD penalty is logged");
    snprintf(dir, sizeof dir, "%s/previews/step-000000030", run);
    df_expect_true(exists(dir, "00_kick.wav") && exists(dir, "01_snare.wav"), "CWAE: previews are named by class");
    expect_stats(run, 30, -1, 30 * 4, "CWAE: per-class dB ranges in the checkpoint");
  }

  /* A conditional model on a dataset whose training split has unlabelled examples: they cannot
   * train it and are left out, so it sees the batches of the labelled ones alone (a run with
   * data.classes = kick,snare) instead of stopping at the first batch holding one. */
  char mixed[4300], run_all[4300], run_two[4300], a[4400], b[4400];
  if (make_mixed_dataset(mixed, sizeof mixed)) {
    df_test_fail("mixed dataset", "could not build the dataset with unlabelled examples");
  } else {
    static const char *const all_classes[] = {"data.classes=", NULL};
    snprintf(run_all, sizeof run_all, "%s/cwae_all", scratch);
    snprintf(run_two, sizeof run_two, "%s/cwae_two", scratch);
    if (df_expect_ok(df_test_train(cwae, mixed, run_all, 10, all_classes),
                     "CWAE: a dataset with unlabelled training examples trains (they are left out)") &&
        df_expect_ok(df_test_train(cwae, mixed, run_two, 10, NULL), "CWAE: the same dataset's kicks and snares")) {
      snprintf(a, sizeof a, "%s/checkpoints/ckpt-000000010.safetensors", run_all);
      snprintf(b, sizeof b, "%s/checkpoints/ckpt-000000010.safetensors", run_two);
      df_test_same_checkpoints(a, b, "CWAE: without its unlabelled examples the run is the labelled classes' run");
    }
  }

  /* Batch norm needs more than one value per channel: a batch of 1 with a 1 x 1 bottleneck
   * is a config error naming train.batch, before the run folder is made (it was an op's
   * error at the first step). */
  static const char *const one_value[] = {"model.filters=4,4,4", "model.strides=8,4,4", "train.batch=1", NULL};
  snprintf(run, sizeof run, "%s/one_value", scratch);
  df_status s = train(vae, run, 2, one_value);
  df_expect_status(s, DF_ERR_CONFIG, "a batch of 1 with a 1 x 1 bottleneck is refused");
  df_expect_true(strstr(df_last_error(), "train.batch: 1 with a 1 x 1 bottleneck") && access(run, F_OK) != 0,
                 "... naming train.batch, before the run folder is made");

  /* With optim.clip_norm on (DK-VAE's setting) a step whose loss and gradients are not finite
   * is the run diverging, as without clipping: rolled back (train.on_nan = rollback) and then
   * stopped, naming the step and the last good checkpoint (it was the clipping's error). */
  static const char *const diverge[] = {"optim.lr=1", "train.checkpoint_every_steps=1", "train.on_nan=rollback", NULL};
  snprintf(run, sizeof run, "%s/diverge", scratch);
  s = train(vae, run, 30, diverge);
  df_expect_status(s, DF_ERR_NUMERIC, "VAE with gradient clipping, learning rate 1: the run diverges");
  df_expect_true(strstr(df_last_error(), "the run stopped. Last good checkpoint: ") != NULL,
                 "... and stops as for a non-finite loss, naming the last good checkpoint");

  expect_resume_exact(vae, "VAE");
  expect_resume_exact(cwae, "CWAE");
  return df_test_finish();
}
