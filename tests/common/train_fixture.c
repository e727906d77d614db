#include "common/train_fixture.h"

#include <dirent.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "data/text.h"
#include "drumforge/audio.h"
#include "drumforge/dataset.h"
#include "drumforge/safetensors.h"
#include "drumforge/train.h"

/* Multiplies every shard's audio by factor through its 'scale' attribute (the loader applies
 * it): levels that no audio file may hold (prepare rejects samples beyond +-1000). */
static int scale_shards(const char *dataset, double factor) {
  DIR *dp = opendir(dataset);
  if (!dp) return 1;
  int failed = 0, scaled = 0;
  struct dirent *e;
  while ((e = readdir(dp))) {
    size_t n = strlen(e->d_name);
    if (n < 3 || strcmp(e->d_name + n - 3, ".h5")) continue;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dataset, e->d_name);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), d = f >= 0 ? H5Dopen2(f, "audio", H5P_DEFAULT) : -1;
    hid_t a = d >= 0 ? H5Aopen(d, "scale", H5P_DEFAULT) : -1;
    double scale = 0;
    failed |= a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &scale) < 0;
    scale *= factor;
    failed |= a < 0 || H5Awrite(a, H5T_NATIVE_DOUBLE, &scale) < 0;
    scaled++;
    if (a >= 0) H5Aclose(a);
    if (d >= 0) H5Dclose(d);
    if (f >= 0) H5Fclose(f);
  }
  closedir(dp);
  return failed || !scaled;
}

/* What a dataset this fixture made is: its parameters, this description's version (change it
 * when the tones or the preparation change) and a hash of the manifest.json it got. */
static int describe(const char *dataset, int per_class, double amplitude, char *buf, size_t len) {
  char path[4200], *text;
  size_t n;
  snprintf(path, sizeof path, "%s/manifest.json", dataset);
  if (df_read_file(path, &text, &n) != DF_OK) return 1;
  const uint64_t hash = text_fnv1a(TEXT_FNV_INIT, text, n);
  free(text);
  snprintf(buf, len, "df_test_make_dataset v1: per_class %d, amplitude %.17g, manifest.json %016llx\n", per_class,
           amplitude, (unsigned long long)hash);
  return 0;
}

/* The dataset in dir is reused only when dir/dataset.fixture, written once it was complete,
 * describes it with these parameters: a scratch folder can hold another version's or another
 * test's dataset (or a half-made one), and reusing it would test the wrong data. */
static int reusable(const char *dir, const char *dataset, int per_class, double amplitude) {
  char stamp[4200], want[256], *had;
  size_t n;
  snprintf(stamp, sizeof stamp, "%s/dataset.fixture", dir);
  if (describe(dataset, per_class, amplitude, want, sizeof want) || df_read_file(stamp, &had, &n) != DF_OK) return 0;
  int same = n == strlen(want) && !memcmp(had, want, n);
  free(had);
  return same;
}

static int write_stamp(const char *dir, const char *dataset, int per_class, double amplitude) {
  char stamp[4200], text[256];
  snprintf(stamp, sizeof stamp, "%s/dataset.fixture", dir);
  return describe(dataset, per_class, amplitude, text, sizeof text) ||
         df_write_file_atomic(stamp, text, strlen(text)) != DF_OK;
}

int df_test_prepare(const char *input, const char *out, const double split[3]) {
  const char *inputs[1] = {input};
  df_prepare_options opt;
  df_prepare_defaults(&opt);
  opt.inputs = inputs;
  opt.n_inputs = 1;
  opt.out_dir = out;
  for (int i = 0; i < 3; i++) opt.split[i] = split[i];
  df_prepare_result res;
  if (df_prepare(&opt, &res) == DF_OK) return 0;
  fprintf(stderr, "prepare: %s\n", df_last_error());
  return 1;
}

int df_test_make_dataset(const char *dir, int per_class, double amplitude, char *dataset, size_t len) {
  snprintf(dataset, len, "%s/dataset", dir);
  if (reusable(dir, dataset, per_class, amplitude)) return 0;
  /* Anything else there goes: its audio/ would join the new tones (more files per class). */
  char cmd[13000];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s/audio' '%s/dataset.fixture'", dataset, dir, dir);
  if (system(cmd) != 0) return 1;
  static const char *const classes[] = {"kick", "snare", "hh_closed"};
  const int rate = 16000, frames = 8000;
  float *buf = malloc(sizeof(float) * frames);
  if (!buf) return 1;
  for (int c = 0; c < 3; c++) {
    char folder[4200];
    snprintf(folder, sizeof folder, "%s/audio/%s", dir, classes[c]);
    if (df_mkdirs(folder) != DF_OK) return 1;
    for (int i = 0; i < per_class; i++) {
      /* Kicks low, snares middle, hats high; pitch varies per file. */
      double freq = (c == 0 ? 60.0 : c == 1 ? 220.0 : 3000.0) * (1.0 + 0.05 * i);
      df_test_tone(buf, 1, frames, rate, 0, freq);
      for (int k = 0; k < frames; k++) buf[k] = (float)(buf[k] * (fabs(amplitude) > 1000 ? 1.0 : amplitude));
      char path[4300];
      snprintf(path, sizeof path, "%s/%s_%02d.wav", folder, classes[c], i);
      df_audio a = {buf, frames, 1, rate};
      if (df_audio_write(path, &a, DF_AUDIO_FLOAT32) != DF_OK) {
        fprintf(stderr, "%s\n", df_last_error());
        free(buf);
        return 1;
      }
    }
  }
  free(buf);
  char input[4200];
  snprintf(input, sizeof input, "%s/audio", dir);
  if (df_test_prepare(input, dataset, (const double[3]){0.8, 0.1, 0.1})) return 1;
  if (fabs(amplitude) > 1000 && scale_shards(dataset, amplitude)) {
    fprintf(stderr, "%s: cannot scale the shards by %g\n", dataset, amplitude);
    return 1;
  }
  return write_stamp(dir, dataset, per_class, amplitude);
}

int df_test_write_smoke_config(const char *dir, const char *name, const char *const *replace,
                               char *path, size_t len) {
  char src[4200], *text;
  size_t n;
  snprintf(src, sizeof src, "%s/experiments/smoke.ini", DF_PROJECT_SOURCE_DIR);
  if (df_read_file(src, &text, &n) != DF_OK) return 1;
  df_config *cfg;
  if (df_config_parse(text, src, &cfg) != DF_OK) {
    free(text);
    return 1;
  }
  free(text);
  /* Re-emit: read every key through a string getter so the resolved text has them all. */
  for (int i = 0; replace && replace[i]; i++) df_config_set_assignment(cfg, replace[i], "test");
  static const char *const keys[] = {
      "model.type", "model.d", "model.slice_len", "model.channels", "model.phase_shuffle",
      "loss.type", "loss.gp_lambda", "optim.lr_g", "optim.lr_d", "optim.beta1", "optim.beta2",
      "optim.critic_steps", "train.batch", "train.steps", "train.seed", "train.checkpoint_every_steps",
      "train.checkpoint_every_minutes", "train.keep_last", "train.milestone_every", "train.log_every",
      "train.preview_count", "data.path", NULL};
  const char *v;
  for (int i = 0; keys[i]; i++) df_config_string(cfg, keys[i], "", &v);
  for (int i = 0; replace && replace[i]; i++) {
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(strchr(replace[i], '=') - replace[i]), replace[i]);
    df_config_string(cfg, key, "", &v);
  }
  char *resolved;
  df_config_resolved_text(cfg, &resolved);
  df_config_free(cfg);
  snprintf(path, len, "%s/%s.ini", dir, name);
  df_status s = df_write_file_atomic(path, resolved, strlen(resolved));
  free(resolved);
  return s != DF_OK;
}

int df_test_same_checkpoints(const char *a, const char *b, const char *what) {
  df_st_file *fa, *fb;
  if (!df_expect_ok(df_st_open(a, &fa), what)) return 0;
  if (!df_expect_ok(df_st_open(b, &fb), what)) {
    df_st_close(fa);
    return 0;
  }
  int ok = df_st_count(fa) == df_st_count(fb);
  for (int i = 0; ok && i < df_st_count(fa); i++) {
    const df_st_tensor *x = df_st_at(fa, i), *y;
    ok = df_st_find(fb, x->name, &y) == DF_OK && x->nbytes == y->nbytes && !memcmp(x->data, y->data, x->nbytes);
    if (!ok) printf("     differs: %s\n", x->name);
  }
  const char *keys[] = {"step", "rng_offset", "loader_epoch", "loader_cursor"};
  for (int i = 0; ok && i < 4; i++) ok = !strcmp(df_st_metadata(fa, keys[i]), df_st_metadata(fb, keys[i]));
  df_st_close(fa);
  df_st_close(fb);
  return df_expect_true(ok, what);
}

int df_test_metric_series(const char *run, const char *name, double *values, int max) {
  char path[4200], key[128], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/metrics.jsonl", run);
  if (df_read_file(path, &text, &len) != DF_OK) return 0;
  snprintf(key, sizeof key, "\"%s\": ", name);
  int n = 0;
  for (char *line = text; line && *line && n < max;) {
    char *end = strchr(line, '\n'), *hit = strstr(line, key);
    if (hit && (!end || hit < end)) values[n++] = atof(hit + strlen(key));
    line = end ? end + 1 : NULL;
  }
  free(text);
  return n;
}

static void print_notice(void *ctx, const char *line) { printf("     [train] %s\n", line); }

df_status df_test_train(const char *config, const char *data, const char *run, int64_t steps,
                        const char *const *overrides) {
  df_train_options o = {0};
  o.config_path = config;
  o.data_path = data;
  o.run_dir = run;
  o.device = DF_DEVICE_CPU;
  o.steps = steps;
  o.log = print_notice;
  o.overrides = overrides;
  while (overrides && overrides[o.n_overrides]) o.n_overrides++;
  df_train_result res;
  return df_train_run(&o, &res);
}
