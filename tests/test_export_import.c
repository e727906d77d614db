/* `drumforge export` and `drumforge import`: the export holds every parameter and buffer as
 * "<set>.<name>" (no optimiser state) with the model's configuration as metadata; export ->
 * import gives a checkpoint that generates byte-identical files and keeps the training
 * examples per class (so the learned classes); a file without metadata
 * imports with --config and --classes; a generator-only file imports with --init-missing and
 * is refused without it (naming the first missing tensor); unknown tensors and wrong shapes
 * are refused; a NaN weight is refused by import (nothing written) and an Inf in a checkpoint
 * by generate, both naming the file and the tensor; fp16 and fp64 weights import, and so do
 * PyTorch's batch-norm counters (num_batches_tracked, skipped); neither command writes over the
 * file it reads (an export onto its checkpoint lost the optimiser state). When
 * /usr/bin/python3 has torch, the export loads into a plain PyTorch WaveGAN (tests/python/wavegan_module.py, load_state_dict) whose output for
 * the same latents matches drumforge's within 2e-5 of the peak. Variants: unconditional;
 * conditional with batch norm and a post-filter; nearest-neighbour upsampling. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "common/torch_ref.h"
#include "drumforge/checkpoint.h"
#include "drumforge/export.h"
#include "drumforge/safetensors.h"

static char dir[4096];

static int drumforge(const char *args) {
  char *err;
  int rc = df_test_drumforge(dir, args, &err);
  if (rc) printf("drumforge %s: exit %d: %s", args, rc, err);
  free(err);
  return rc;
}

/* The expected error of a refused command, in one line. */
static void expect_refused(const char *what, const char *args, const char *needle) {
  char *err;
  int rc = df_test_drumforge(dir, args, &err);
  if (rc != 0 && strstr(err, needle) && strchr(err, '\n') == err + strlen(err) - 1) df_test_pass(what);
  else df_test_fail(what, "exit %d: %s", rc, err);
  free(err);
}

/* Copies a safetensors file, keeping the tensors `keep` accepts (prefix match, NULL: all),
 * as fp32, fp16 or fp64 (`as`), with or without the metadata, plus an extra tensor when asked, and
 * metadata key `meta_key` set to `meta_value` when given; the fp32 tensor `nan_in` gets a NaN
 * as its first value. */
static void rewrite(const char *src, const char *dst, const char *keep, df_st_dtype as, int metadata,
                    const char *extra, const char *meta_key, const char *meta_value, const char *nan_in) {
  df_st_file *f;
  df_st_writer *w;
  if (df_st_open(src, &f) || df_st_writer_new(&w)) return;
  for (int i = 0; i < df_st_count(f); i++) {
    const df_st_tensor *t = df_st_at(f, i);
    if (keep && strncmp(t->name, keep, strlen(keep))) continue;
    if (nan_in && !strcmp(t->name, nan_in)) {
      float *poisoned = malloc(t->nbytes);
      memcpy(poisoned, t->data, t->nbytes);
      poisoned[0] = NAN;
      df_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, poisoned);
      free(poisoned);
      continue;
    }
    if (as == DF_ST_F32) {
      df_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data);
      continue;
    }
    size_t n = t->nbytes / 4;
    char *converted = malloc(df_st_dtype_size(as) * n);
    for (size_t k = 0; k < n; k++) {
      float v;
      memcpy(&v, (const char *)t->data + 4 * k, 4);
      _Float16 h = (_Float16)v;
      double wide = v;
      if (as == DF_ST_F16) memcpy(converted + 2 * k, &h, 2);
      else memcpy(converted + 8 * k, &wide, 8);
    }
    df_st_writer_add(w, t->name, as, t->ndim, t->shape, converted);
    free(converted);
  }
  for (int i = 0; metadata && i < df_st_metadata_count(f); i++) {
    const char *k, *v;
    df_st_metadata_at(f, i, &k, &v);
    df_st_writer_set_metadata(w, k, v);
  }
  if (meta_key) df_st_writer_set_metadata(w, meta_key, meta_value);
  if (extra) {
    float one = 1;
    df_st_writer_add(w, extra, DF_ST_F32, 1, (int64_t[]){1}, &one);
  }
  df_st_writer_save(w, dst);
  df_st_writer_free(w);
  df_st_close(f);
}

/* A copy of an export as PyTorch's state_dict() of the same modules saves it: with an I64
 * "<bn>.num_batches_tracked" scalar next to every batch norm's running_mean. */
static void with_batch_counters(const char *src, const char *dst) {
  df_st_file *f;
  df_st_writer *w;
  if (df_st_open(src, &f) || df_st_writer_new(&w)) return;
  for (int i = 0; i < df_st_count(f); i++) {
    const df_st_tensor *t = df_st_at(f, i);
    df_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data);
    const char *mean = strstr(t->name, ".running_mean");
    if (!mean) continue;
    char counter[200];
    int64_t batches = 12;
    snprintf(counter, sizeof counter, "%.*s.num_batches_tracked", (int)(mean - t->name), t->name);
    df_st_writer_add(w, counter, DF_ST_I64, 0, NULL, &batches);
  }
  for (int i = 0; i < df_st_metadata_count(f); i++) {
    const char *k, *v;
    df_st_metadata_at(f, i, &k, &v);
    df_st_writer_set_metadata(w, k, v);
  }
  df_st_writer_save(w, dst);
  df_st_writer_free(w);
  df_st_close(f);
}

/* 1 when the file at path holds exactly `len` bytes `before`. */
static int unchanged(const char *path, const char *before, size_t len) {
  char *after;
  size_t after_len;
  if (!before || df_read_file(path, &after, &after_len)) return 0;
  int same = after_len == len && !memcmp(before, after, len);
  free(after);
  return same;
}

/* The names of the export are exactly the model's parameters, with the metadata. */
static void check_names(const char *ckpt, const char *exported, const char *name) {
  df_loaded_model m;
  df_st_file *f;
  if (df_model_load(ckpt, DF_DEVICE_CPU, &m) || df_st_open(exported, &f)) {
    df_test_fail("open the export", "%s", df_last_error());
    return;
  }
  int params = 0, found = 0;
  for (int k = 0; k < m.type->n_param_sets(m.model); k++) {
    const df_param_set *set = m.type->param_set(m.model, k);
    for (int i = 0; i < set->n; i++, params++) {
      char full[160];
      const df_st_tensor *t;
      snprintf(full, sizeof full, "%s.%s", set->prefix, set->items[i]->name);
      found += df_st_find(f, full, &t) == DF_OK && t->dtype == DF_ST_F32 && t->ndim == set->items[i]->value.ndim;
    }
  }
  char what[256];
  snprintf(what, sizeof what, "%s: the export holds the model's %d parameters and buffers as fp32 <set>.<name>, nothing else",
           name, params);
  if (found == params && df_st_count(f) == params) df_test_pass(what);
  else df_test_fail(what, "%d found, %d tensors in the file", found, df_st_count(f));
  const char *format = df_st_metadata(f, "format"), *step = df_st_metadata(f, "step"), *cfg = df_st_metadata(f, "config");
  snprintf(what, sizeof what, "%s: metadata names the format, the step and the configuration", name);
  df_expect_true(format && !strcmp(format, DF_EXPORT_FORMAT) && step && !strcmp(step, "7") && cfg && strstr(cfg, "[model]"),
                 what);
  df_st_close(f);
  df_model_unload(&m);
}

static int same_run(const char *a, const char *b, int count, const char *stem) {
  int equal = 0;
  for (int i = 0; i < count; i++) {
    char pa[4400], pb[4400];
    snprintf(pa, sizeof pa, "%s/%s/%s_%06d.wav", dir, a, stem, i);
    snprintf(pb, sizeof pb, "%s/%s/%s_%06d.wav", dir, b, stem, i);
    equal += df_test_same_file(pa, pb);
  }
  return equal == count;
}

static int generate(const char *ckpt, const char *out, const char *cls) {
  char args[8192];
  snprintf(args, sizeof args, "--seed 3 --count 4 --batch 4 --bits float %s%s", cls ? "--class " : "", cls ? cls : "");
  return df_test_generate(dir, ckpt, out, args);
}

/* PyTorch's generator against drumforge's decode of the same latents. */
static void against_torch(const char *ckpt, const char *exported, const char *name) {
  df_loaded_model m;
  if (!df_expect_ok(df_model_load(ckpt, DF_DEVICE_CPU, &m), "load for PyTorch comparison")) return;
  const int n = 4, dim = m.type->latent_dim(m.model);
  int channels;
  int64_t length;
  m.type->audio_shape(m.model, &channels, &length);
  df_tensor z, ours, labels_t;
  df_tensor_new(&z, DF_DEVICE_CPU, "z", n, dim);
  df_tensor_new(&ours, DF_DEVICE_CPU, "drumforge audio", n, channels, length);
  df_tensor_alloc(&labels_t, DF_DEVICE_CPU, DF_I32, 1, (int64_t[]){n}, "labels");
  int32_t *labels = labels_t.data;
  for (int i = 0; i < n; i++) labels[i] = m.n_classes ? i % m.n_classes : 0;
  df_generate_seed_latents(&m, 11, 0, 1.0f, &z);
  df_expect_ok(m.type->decode(m.model, &z, m.n_classes ? labels : NULL, &ours), "decode");
  char in[4300], out[4300], cmd[9000];
  snprintf(in, sizeof in, "%s/%s_inputs.safetensors", dir, name);
  snprintf(out, sizeof out, "%s/%s_torch.safetensors", dir, name);
  df_st_writer *w;
  df_st_writer_new(&w);
  df_st_writer_add_tensor(w, "z", &z);
  df_st_writer_add(w, "labels", DF_ST_I32, 1, labels_t.shape, labels);
  df_st_writer_save(w, in);
  df_st_writer_free(w);
  snprintf(cmd, sizeof cmd, "%s %s/python/wavegan_module.py '%s' '%s' '%s'", df_test_python(), DF_TEST_SOURCE_DIR, exported, in, out);
  char what[256];
  snprintf(what, sizeof what, "%s: PyTorch loads the export (load_state_dict) and runs it", name);
  df_st_file *f;
  if (df_expect_true(system(cmd) == 0, what) && df_expect_ok(df_st_open(out, &f), "read PyTorch's output")) {
    df_tensor theirs;
    df_st_load_f32(f, "audio", DF_DEVICE_CPU, &theirs);
    float peak = 0;
    for (int64_t i = 0; i < df_tensor_numel(&ours); i++) peak = fmaxf(peak, fabsf(((float *)ours.data)[i]));
    snprintf(what, sizeof what, "%s: PyTorch's G(z) equals drumforge's within 2e-5 of the peak", name);
    df_expect_tensor_close(what, &theirs, &ours, 0, 2e-5 * peak);
    df_tensor_free(&theirs);
    df_st_close(f);
  }
  df_tensor_free(&z);
  df_tensor_free(&ours);
  df_tensor_free(&labels_t);
  df_model_unload(&m);
}

static void variant(const char *name, int conditional, const char *extra_config, int torch) {
  printf("== variant %s\n", name);
  char ckpt[4400], exported[4400], imported[4400], args[16000], out[256], out2[256], what[256];
  snprintf(ckpt, sizeof ckpt, "%s/%s.safetensors", dir, name);
  snprintf(exported, sizeof exported, "%s/%s_export.safetensors", dir, name);
  snprintf(imported, sizeof imported, "%s/%s_imported.safetensors", dir, name);
  if (df_test_make_checkpoint(ckpt, 4, conditional, 21, extra_config)) {
    df_test_fail("make a checkpoint", "%s", df_last_error());
    return;
  }
  snprintf(args, sizeof args, "export --checkpoint '%s' --format safetensors --out '%s'", ckpt, exported);
  if (!df_expect_true(drumforge(args) == 0, "export")) return;
  check_names(ckpt, exported, name);
  snprintf(args, sizeof args, "import '%s' --out '%s'", exported, imported);
  df_expect_true(drumforge(args) == 0, "import the export");
  df_checkpoint_state a = {0}, b = {0};
  if (df_expect_ok(df_checkpoint_read_state(ckpt, &a), "read the original's state") &&
      df_expect_ok(df_checkpoint_read_state(imported, &b), "read the imported state")) {
    snprintf(what, sizeof what, "%s: the training examples per class survive export -> import", name);
    df_expect_true(a.has_class_examples == conditional && b.has_class_examples == a.has_class_examples &&
                       b.n_classes == a.n_classes && !memcmp(a.class_examples, b.class_examples, sizeof a.class_examples),
                   what);
  }
  df_checkpoint_state_free(&a);
  df_checkpoint_state_free(&b);
  if (conditional) { /* class_examples that do not match the class names are refused, named */
    char bad[4400], bad_ckpt[4400];
    snprintf(bad, sizeof bad, "%s/%s_bad_examples.safetensors", dir, name);
    snprintf(bad_ckpt, sizeof bad_ckpt, "%s/%s_bad_examples_ckpt.safetensors", dir, name);
    rewrite(exported, bad, NULL, DF_ST_F32, 1, NULL, "class_examples", "[3, 4]", NULL);
    snprintf(args, sizeof args, "import '%s' --out '%s'", bad, bad_ckpt);
    expect_refused("class_examples that are not one count per class name are refused", args,
                   "metadata 'class_examples' is not one count per class name");
    df_expect_true(access(bad_ckpt, F_OK) != 0, "... and nothing is written");
    snprintf(args, sizeof args, "import '%s' --classes kick,snare,KICK --out '%s'", exported, bad_ckpt);
    expect_refused("a class named twice is refused", args, "class 'KICK' is named twice (--classes)");
    df_expect_true(access(bad_ckpt, F_OK) != 0, "... and nothing is written");
    /* Class names become parts of file names (previews, generated sounds). */
    snprintf(args, sizeof args, "import '%s' --classes kick,sn/are,hat --out '%s'", exported, bad_ckpt);
    expect_refused("a class name with a '/' is refused", args, "class 'sn/are' (--classes) cannot be a class name");
    df_expect_true(access(bad_ckpt, F_OK) != 0, "... and nothing is written");
    /* Without class names a conditional model says which option gives them. */
    char bare[4400], config[4400];
    snprintf(bare, sizeof bare, "%s/%s_bare.safetensors", dir, name);
    snprintf(config, sizeof config, "%s/%s_bare.ini", dir, name);
    rewrite(exported, bare, NULL, DF_ST_F32, 0, NULL, NULL, NULL, NULL);
    char text[1000];
    snprintf(text, sizeof text, "[model]\ntype = wavegan\nd = 4\nslice_len = 16384\nconditional = true\n%s",
             extra_config ? extra_config : "");
    df_test_write_text(config, text);
    snprintf(args, sizeof args, "import '%s' --config '%s' --out '%s'", bare, config, bad_ckpt);
    expect_refused("a conditional model without class names asks for --classes", args,
                   "and the file has no class_names metadata: give the class names in label order with --classes");
    df_expect_true(access(bad_ckpt, F_OK) != 0, "... and nothing is written");
  }
  { /* a sample rate that is not an integer is quoted, not read as its first digits */
    char bad[4400], bad_ckpt[4400];
    snprintf(bad, sizeof bad, "%s/%s_bad_rate.safetensors", dir, name);
    snprintf(bad_ckpt, sizeof bad_ckpt, "%s/%s_bad_rate_ckpt.safetensors", dir, name);
    rewrite(exported, bad, NULL, DF_ST_F32, 1, NULL, "sample_rate", "1e99", NULL);
    snprintf(args, sizeof args, "import '%s' --out '%s'", bad, bad_ckpt);
    expect_refused("a sample_rate of '1e99' is refused, quoted", args, "metadata sample_rate '1e99' is not an integer");
    df_expect_true(access(bad_ckpt, F_OK) != 0, "... and nothing is written");
  }
  const char *cls = conditional ? "kick,hh_closed" : NULL, *stem = conditional ? "kick" : "sound";
  snprintf(out, sizeof out, "%s_original", name);
  snprintf(out2, sizeof out2, "%s_roundtrip", name);
  snprintf(what, sizeof what, "%s: export -> import generates byte-identical files", name);
  df_expect_true(generate(ckpt, out, cls) && generate(imported, out2, cls) && same_run(out, out2, 4, stem), what);
  if (extra_config && strstr(extra_config, "batchnorm = true")) {
    /* PyTorch's state_dict() adds batch counters, which were refused as unknown tensors. */
    char counted[4400], counted_ckpt[4400];
    snprintf(counted, sizeof counted, "%s/%s_counters.safetensors", dir, name);
    snprintf(counted_ckpt, sizeof counted_ckpt, "%s/%s_counters_ckpt.safetensors", dir, name);
    with_batch_counters(exported, counted);
    snprintf(args, sizeof args, "import '%s' --out '%s'", counted, counted_ckpt);
    df_expect_true(drumforge(args) == 0, "a file with PyTorch's num_batches_tracked counters imports");
    snprintf(out2, sizeof out2, "%s_counters", name);
    snprintf(what, sizeof what, "%s: ... and generates byte-identical files", name);
    df_expect_true(generate(counted_ckpt, out2, cls) && same_run(out, out2, 4, stem), what);
    rewrite(exported, counted, NULL, DF_ST_F32, 1, "G.fc.num_batches_tracked", NULL, NULL, NULL);
    expect_refused("a counter of no batch norm is refused, named", args,
                   "tensor 'G.fc.num_batches_tracked' is no parameter");
  }
  if (torch) against_torch(ckpt, exported, name);
}

/* Files from elsewhere: no metadata, generator only, unknown tensors, wrong shapes, fp16. */
static void foreign(void) {
  char ckpt[4400], exported[4400], file[4400], config[4400], args[16000];
  snprintf(ckpt, sizeof ckpt, "%s/plain.safetensors", dir);
  snprintf(exported, sizeof exported, "%s/plain_export.safetensors", dir);
  snprintf(config, sizeof config, "%s/plain.ini", dir);
  df_test_write_text(config, "[model]\ntype = wavegan\nd = 4\nslice_len = 16384\n");

  snprintf(file, sizeof file, "%s/bare.safetensors", dir);
  rewrite(exported, file, NULL, DF_ST_F32, 0, NULL, NULL, NULL, NULL);
  snprintf(args, sizeof args, "import '%s' --out '%s/x.safetensors'", file, dir);
  expect_refused("a file without metadata needs the experiment file", args, "no model configuration");
  snprintf(args, sizeof args, "import '%s' --config '%s' --rate 16000 --out '%s/bare_ckpt.safetensors'", file, config, dir);
  df_expect_true(drumforge(args) == 0, "a file without metadata imports with --config");
  snprintf(file, sizeof file, "%s/bare_ckpt.safetensors", dir);
  df_expect_true(generate(file, "bare", NULL) && same_run("plain_original", "bare", 4, "sound"),
                 "... and generates byte-identical files");

  snprintf(file, sizeof file, "%s/generator.safetensors", dir);
  rewrite(exported, file, "G.", DF_ST_F32, 1, NULL, NULL, NULL, NULL);
  snprintf(args, sizeof args, "import '%s' --out '%s/x.safetensors'", file, dir);
  expect_refused("a generator-only file is refused, naming the missing critic tensor", args, "no tensor 'D.convs.0.");
  snprintf(args, sizeof args, "import '%s' --init-missing --out '%s/gen_ckpt.safetensors'", file, dir);
  df_expect_true(drumforge(args) == 0, "a generator-only file imports with --init-missing");
  snprintf(file, sizeof file, "%s/gen_ckpt.safetensors", dir);
  df_expect_true(generate(file, "generator_only", NULL) && same_run("plain_original", "generator_only", 4, "sound"),
                 "... and generates byte-identical files");

  /* A critic-only file with --init-missing wrote a checkpoint of a random generator (over a
   * good one at --out). */
  char good[4400], *before = NULL, *after = NULL;
  size_t before_len = 0, after_len = 0;
  snprintf(good, sizeof good, "%s/gen_ckpt.safetensors", dir);
  df_read_file(good, &before, &before_len);
  snprintf(file, sizeof file, "%s/critic.safetensors", dir);
  rewrite(exported, file, "D.", DF_ST_F32, 1, NULL, NULL, NULL, NULL);
  snprintf(args, sizeof args, "import '%s' --init-missing --out '%s'", file, good);
  expect_refused("a file without the generator is refused even with --init-missing", args,
                 "none of this wavegan model's G.* parameters is in the file");
  df_read_file(good, &after, &after_len);
  df_expect_true(before && after && before_len == after_len && !memcmp(before, after, before_len),
                 "... and the checkpoint at --out is kept as it was");
  free(before);
  free(after);

  snprintf(file, sizeof file, "%s/extra.safetensors", dir);
  rewrite(exported, file, NULL, DF_ST_F32, 1, "G.unknown.weight", NULL, NULL, NULL);
  snprintf(args, sizeof args, "import '%s' --out '%s/x.safetensors'", file, dir);
  expect_refused("an unknown tensor is refused, named", args, "tensor 'G.unknown.weight' is no parameter");
  snprintf(args, sizeof args, "import '%s' --config '%s' --out '%s/x.safetensors'", exported, config, dir);
  df_test_write_text(config, "[model]\ntype = wavegan\nd = 8\nslice_len = 16384\n");
  expect_refused("weights of another model size are refused, naming the tensor and shapes", args,
                 "has shape [1024, 100], this model's parameter [2048, 100]");
  char x[4400];
  snprintf(x, sizeof x, "%s/x.safetensors", dir);
  df_expect_true(access(x, F_OK) != 0, "nothing is written on a refused import");

  /* Non-finite weights: import refuses them, and so does loading a checkpoint holding one. */
  snprintf(file, sizeof file, "%s/nan.safetensors", dir);
  rewrite(exported, file, NULL, DF_ST_F32, 1, NULL, NULL, NULL, "G.fc.weight");
  snprintf(args, sizeof args, "import '%s' --out '%s'", file, x);
  expect_refused("a NaN weight is refused, naming the file and the tensor", args,
                 "nan.safetensors: tensor 'G.fc.weight' holds 1 non-finite value(s) (NaN or Inf)");
  df_expect_true(access(x, F_OK) != 0, "... and nothing is written");
  df_loaded_model m;
  df_checkpoint_state st;
  df_param_set *sets[8];
  int n;
  snprintf(file, sizeof file, "%s/nan_ckpt.safetensors", dir);
  if (df_expect_ok(df_model_load(ckpt, DF_DEVICE_CPU, &m), "load") &&
      df_expect_ok(df_checkpoint_read_state(ckpt, &st), "read the state")) {
    df_model_param_sets(&m, sets, 8, &n);
    ((float *)df_param_find(sets[0], "fc.weight")->value.data)[5] = INFINITY;
    df_expect_ok(df_checkpoint_save(file, sets, n, &st, 0), "save a checkpoint holding an Inf");
    df_checkpoint_state_free(&st);
    df_model_unload(&m);
    snprintf(args, sizeof args, "generate --device cpu --checkpoint '%s' --out '%s/nan_out'", file, dir);
    expect_refused("generate refuses a checkpoint holding a non-finite weight", args,
                   "nan_ckpt.safetensors: tensor 'G.fc.weight' holds 1 non-finite value(s)");
  }

  snprintf(file, sizeof file, "%s/half.safetensors", dir);
  rewrite(exported, file, NULL, DF_ST_F16, 1, NULL, NULL, NULL, NULL);
  snprintf(args, sizeof args, "import '%s' --out '%s/half_ckpt.safetensors'", file, dir);
  df_expect_true(drumforge(args) == 0, "fp16 weights import");
  snprintf(file, sizeof file, "%s/double.safetensors", dir);
  rewrite(exported, file, NULL, DF_ST_F64, 1, NULL, NULL, NULL, NULL);
  snprintf(args, sizeof args, "import '%s' --out '%s/double_ckpt.safetensors'", file, dir);
  df_expect_true(drumforge(args) == 0, "fp64 weights (a model.double() state dict) import");
  snprintf(file, sizeof file, "%s/double_ckpt.safetensors", dir);
  df_expect_true(generate(file, "double", NULL) && same_run("plain_original", "double", 4, "sound"),
                 "... and generate byte-identical files");

  /* Exporting a checkpoint onto itself replaced it by its export: its optimiser state lost and
   * training unable to resume. Importing onto the file read is refused alike. */
  char *saved;
  size_t saved_len;
  df_read_file(ckpt, &saved, &saved_len);
  snprintf(args, sizeof args, "export --checkpoint '%s' --out '%s/./plain.safetensors'", ckpt, dir);
  expect_refused("export onto the checkpoint exported is refused", args, "this is the checkpoint being exported");
  df_expect_true(unchanged(ckpt, saved, saved_len), "... and the checkpoint is kept as it was");
  free(saved);
  df_read_file(exported, &saved, &saved_len);
  snprintf(args, sizeof args, "import '%s' --out '%s'", exported, exported);
  expect_refused("import onto the file imported is refused", args, "this is the file being imported");
  df_expect_true(unchanged(exported, saved, saved_len), "... and the file is kept as it was");
  free(saved);

  /* A mistyped --out naming another run's training checkpoint replaced it by an inference one
   * (no optimiser state: that run could no longer resume). Both commands refuse it; replacing
   * an earlier export or inference checkpoint (re-running the same command) stays allowed. */
  char other[1200];
  snprintf(other, sizeof other, "%s/other_run_ckpt.safetensors", dir);
  rewrite(ckpt, other, NULL, DF_ST_F32, 1, "adam.G.fc.weight.m", NULL, NULL, NULL); /* as training writes them */
  df_read_file(other, &saved, &saved_len);
  snprintf(args, sizeof args, "import '%s' --out '%s'", exported, other);
  expect_refused("import onto another training checkpoint is refused", args,
                 "other_run_ckpt.safetensors: a training checkpoint (with optimiser state) already has this name");
  snprintf(args, sizeof args, "export --checkpoint '%s' --out '%s'", ckpt, other);
  expect_refused("export onto another training checkpoint is refused", args,
                 "other_run_ckpt.safetensors: a training checkpoint (with optimiser state) already has this name");
  df_expect_true(unchanged(other, saved, saved_len), "... and that checkpoint is kept as it was");
  free(saved);
  snprintf(args, sizeof args, "import '%s' --out '%s/half_ckpt.safetensors'", exported, dir);
  df_expect_true(drumforge(args) == 0, "import may replace an inference checkpoint (its own earlier output)");
  snprintf(args, sizeof args, "export --checkpoint '%s' --out '%s'", ckpt, exported);
  df_expect_true(drumforge(args) == 0, "export may replace an earlier export");
}

int main(void) {
  df_test_begin("test_export_import");
  df_test_scratch_dir("export_import", dir, sizeof dir);
  int torch = df_test_have_torch();
  variant("plain", 0, NULL, torch);
  variant("conditional_bn_post", 1, "batchnorm = true\npost_filter = 33\n", torch);
  variant("nn_upsample", 0, "upsample = nn\n", torch);
  foreign();
  if (!torch) printf("SKIP the PyTorch comparisons: %s has no torch\n", df_test_python());
  return df_test_finish();
}
