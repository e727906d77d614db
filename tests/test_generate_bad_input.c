/* `drumforge generate` on bad input: a missing, corrupt or truncated checkpoint, an empty
 * run folder, a class the model lacks (the message lists its classes), classes for an
 * unconditional model, latent files of the wrong width, dtype or kind or too few rows, count
 * 0, an unwritable folder, a folder holding an earlier run or files named like generated
 * ones, a folder another run is writing, NaN weights; and a model decoding
 * NaN (df_generate, in-process). Each must
 * exit non-zero with one line on stderr naming the problem and write nothing. Bad options
 * (patterns, interpolation ends, formats, post-processing values, seeds, a class named
 * twice, unknown or incomplete options) are usage errors: exit 2, one line naming them.
 * Latents far outside the prior are decoded, with a one-line note. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "drumforge/generate.h"
#include "drumforge/npy.h"

static char dir[4096], cond[4200], uncond[4200];

/* Runs generate with args into a fresh folder; expects exit status `want` (any failure for
 * -1), `want_lines` stderr lines (the first containing `needle`, if given) and `want_files`
 * files in the folder (0: none, or no folder). */
static void expect_run(const char *what, const char *model, const char *args, int want, int want_lines,
                       const char *needle, int64_t want_files) {
  static int k;
  char out[4300], cmd[12000];
  snprintf(out, sizeof out, "%s/out%02d", dir, k++);
  snprintf(cmd, sizeof cmd, "generate --checkpoint '%s' --out '%s' --device cpu --quiet %s", model, out, args);
  char *err;
  int rc = df_test_drumforge(dir, cmd, &err);
  int lines = 0;
  for (char *p = err; *p; p++) lines += *p == '\n';
  int64_t files = df_test_count_files(out, "");
  if ((want < 0 ? rc != 0 : rc == want) && lines == want_lines && (!needle || strstr(err, needle)) &&
      files == want_files)
    df_test_pass(what);
  else
    df_test_fail(what, "exit %d, %d stderr lines, %lld files written, stderr: %s", rc, lines, (long long)files, err);
  free(err);
}

/* A refusal: exit status `want`, one stderr line containing `needle`, nothing written. */
static void expect_exit(const char *what, const char *model, const char *args, int want, const char *needle) {
  expect_run(what, model, args, want, 1, needle, 0);
}

/* A model whose output turns NaN after loading (the weights of a checkpoint are checked at
 * load, so the NaN goes in afterwards): df_generate refuses the sound before writing it. */
static void nan_output(const char *ckpt) {
  df_loaded_model m;
  if (!df_expect_ok(df_model_load(ckpt, DF_DEVICE_CPU, &m), "load a model")) return;
  df_param_set *sets[8];
  int n = 0, poisoned = 0;
  df_model_param_sets(&m, sets, 8, &n);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < sets[i]->n; k++) {
      df_param *p = sets[i]->items[k];
      if (!strcmp(p->name, "ups.4.bias")) { /* the generator's output layer */
        float *v = p->value.data;
        for (int64_t j = 0; j < df_tensor_numel(&p->value); j++) v[j] = NAN;
        poisoned = 1;
      }
    }
  char out[4300];
  snprintf(out, sizeof out, "%s/nan_output", dir);
  df_generate_options o;
  df_test_generate_options(&o, &m, out, 2);
  o.encoding = DF_AUDIO_FLOAT32;
  df_generate_result r;
  df_status s = df_generate(&o, &r);
  if (poisoned && s != DF_OK && strstr(df_last_error(), "is nan") && df_test_count_files(out, ".wav") == 0)
    df_test_pass("a model that decodes NaN: df_generate fails naming the file, writes no sound");
  else
    df_test_fail("a model that decodes NaN: df_generate fails naming the file, writes no sound",
                 "output layer found: %d, status %d, %lld files, message: %s", poisoned, (int)s,
                 (long long)df_test_count_files(out, ".wav"), df_last_error());
  df_model_unload(&m);
}

static void expect_refused(const char *what, const char *model, const char *args, const char *needle) {
  expect_exit(what, model, args, -1, needle);
}

/* A usage error: exit status 2, before the model is loaded. */
static void expect_usage(const char *what, const char *args, const char *needle) {
  expect_exit(what, cond, args, 2, needle);
}

static void write_npy_raw(const char *path, const char *descr, const char *shape, size_t bytes) {
  char dict[256];
  snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  size_t n = strlen(dict), total = (10 + n + 1 + 63) / 64 * 64;
  FILE *fp = fopen(path, "wb");
  fwrite("\x93NUMPY\x01\x00", 1, 8, fp);
  fputc((int)((total - 10) & 0xff), fp);
  fputc((int)((total - 10) >> 8), fp);
  fwrite(dict, 1, n, fp);
  for (size_t i = 0; i < total - 10 - n - 1; i++) fputc(' ', fp);
  fputc('\n', fp);
  for (size_t i = 0; i < bytes; i++) fputc(1, fp);
  fclose(fp);
}

int main(void) {
  df_test_begin("test_generate_bad_input");
  df_test_scratch_dir("generate_bad_input", dir, sizeof dir);
  snprintf(cond, sizeof cond, "%s/cond.safetensors", dir);
  snprintf(uncond, sizeof uncond, "%s/uncond.safetensors", dir);
  if (df_test_make_checkpoint(cond, 4, 1, 1, NULL) || df_test_make_checkpoint(uncond, 4, 0, 2, NULL)) {
    df_test_fail("make checkpoints", "failed");
    return df_test_finish();
  }
  char path[4300], args[8192];

  /* Models. */
  snprintf(path, sizeof path, "%s/missing.safetensors", dir);
  expect_refused("a missing checkpoint", path, "", "no such checkpoint");
  char *bytes;
  size_t len;
  df_read_file(cond, &bytes, &len);
  bytes[len / 2] ^= 0x5a;
  snprintf(path, sizeof path, "%s/corrupt.safetensors", dir);
  df_write_file_atomic(path, bytes, len);
  expect_refused("a corrupt checkpoint (one byte flipped)", path, "", "corrupt");
  snprintf(path, sizeof path, "%s/truncated.safetensors", dir);
  df_write_file_atomic(path, bytes, len / 3);
  expect_refused("a truncated checkpoint", path, "", "truncated.safetensors");
  free(bytes);
  snprintf(path, sizeof path, "%s/empty_run", dir);
  df_mkdirs(path);
  expect_refused("a run folder without checkpoints", path, "", "empty_run");

  /* Classes. */
  expect_refused("a class the model lacks (its classes are listed)", cond, "--class kick,tom",
                 "(it has: kick, snare, hh_closed)");
  expect_refused("classes for an unconditional model", uncond, "--class kick", "not conditional");

  /* Latent files. */
  float rows[2 * 7] = {0};
  snprintf(path, sizeof path, "%s/narrow.npy", dir);
  df_npy_write_f32(path, rows, 2, 7);
  snprintf(args, sizeof args, "--latents '%s'", path);
  expect_refused("latents of the wrong width", uncond, args, "7 values per row, but the model's latents have 100");
  snprintf(path, sizeof path, "%s/ints.npy", dir);
  write_npy_raw(path, "<i4", "(2, 100)", 800);
  snprintf(args, sizeof args, "--latents '%s'", path);
  expect_refused("latents of an integer dtype", uncond, args, "is not little-endian float32 or float64");
  snprintf(path, sizeof path, "%s/text.npy", dir);
  df_test_write_text(path, "not numbers\n");
  snprintf(args, sizeof args, "--latents '%s'", path);
  expect_refused("a latents file that is not .npy", uncond, args, "not a NumPy .npy file");
  float two[2 * 100] = {0};
  snprintf(path, sizeof path, "%s/two.npy", dir);
  df_npy_write_f32(path, two, 2, 100);
  snprintf(args, sizeof args, "--latents '%s' --count 3", path);
  expect_refused("fewer latent rows than asked for", uncond, args, "2 latent rows, but positions 0 to 2");
  /* Latents far outside WaveGAN's prior (uniform in [-1, 1]) decode with a one-line note
   * counting the rows used with a value beyond 10: rows 1 (1e30) and 3 (-11) of rows 1-3. */
  float far[4 * 100] = {0};
  far[100 + 7] = 1e30f;
  far[200 + 3] = 9.5f;
  far[300 + 99] = -11.0f;
  snprintf(path, sizeof path, "%s/far.npy", dir);
  df_npy_write_f32(path, far, 4, 100);
  snprintf(args, sizeof args, "--latents '%s' --start 1 --count 3", path);
  expect_run("latents far outside the prior decode with a note", uncond, args, 0, 1,
             "note: 2 of the 3 latents read from", 4); /* 3 sounds and the manifest */
  snprintf(args, sizeof args, "--latents '%s' --count 1", path);
  expect_run("latents inside 10 times the prior's range decode without a note", uncond, args, 0, 0, NULL, 2);
  snprintf(args, sizeof args, "--interpolate '%s:3' 5 --steps 2", path);
  expect_run("an interpolation end far outside the prior gets the note too", uncond, args, 0, 1,
             "note: 1 of the 1 latents read from the interpolation ends' files", 3);

  /* Counts, folders, options. */
  expect_usage("count 0", "--count 0", "--count needs an integer in [1, 1000000000], got '0'");
  snprintf(path, sizeof path, "%s/a_file", dir);
  df_test_write_text(path, "x");
  snprintf(args, sizeof args, "--out '%s/a_file/sub'", dir);
  expect_refused("an unwritable output folder", uncond, args, "cannot create directory");
  expect_refused("a tile pattern that skips a letter", uncond, "--tile AC", "tile pattern 'AC'");
  snprintf(path, sizeof path, "%s/nan.safetensors", dir);
  df_test_make_nan_checkpoint(path, 3);
  expect_refused("a checkpoint with a NaN weight is refused at load (no file is written)", path,
                 "--count 2 --bits float", "non-finite");
  nan_output(uncond);

  /* Usage errors (exit 2): options refused before the model loads, naming the problem. */
  expect_usage("a bad interpolation end", "--interpolate 1 x", "interpolation end 'x'");
  expect_usage("a negative seed as an interpolation end", "--interpolate -1 2", "interpolation end '-1'");
  expect_usage("a position beyond 10^12 after a seed", "--interpolate 1 2:99999999999999999999", "interpolation end");
  expect_usage("float samples in FLAC", "--format flac --bits float", "FLAC stores integers");
  expect_usage("--bits 32 (not taken for float)", "--bits 32", "32-bit integer PCM is not written; use float");
  expect_usage("an unknown format", "--format mp3", "format 'mp3'");
  expect_usage("a low-pass cutoff above Nyquist", "--lowpass 1.5", "--lowpass");
  expect_usage("a low-pass cutoff too low to be stable", "--lowpass 1e-9 --lowpass-order 16", "numerically stable");
  expect_usage("a low-pass cutoff below a double", "--lowpass 1e-300", "numerically stable");
  expect_usage("an even smoothing window", "--smooth 4", "odd window");
  expect_usage("a trim threshold above 0 dBFS", "--trim 10", "trim threshold 10");
  expect_usage("truncation 0", "--truncation 0", "truncation 0");
  expect_usage("tempo 0", "--tile AB --bpm 0", "tempo 0");
  /* Options that only shape another one are not ignored silently when it is missing. */
  expect_usage("--bpm without --tile", "--bpm 90", "--bpm needs --tile");
  expect_usage("--bars without --tile", "--bars 2", "--bars needs --tile");
  expect_usage("--variation without --tile", "--variation 0", "--variation needs --tile");
  expect_usage("--variation with a pattern of A alone", "--tile AA --variation 0.5", "the pattern 'AA' has only A");
  expect_usage("--steps without --interpolate", "--steps 3", "--steps needs --interpolate");
  expect_usage("--slerp without --interpolate", "--slerp", "--slerp needs --interpolate");
  expect_usage("--lowpass-order without --lowpass", "--lowpass-order 2", "--lowpass-order needs --lowpass");
  expect_usage("--fade without --trim or --tile", "--fade 3", "--fade needs --trim or --tile");
  expect_usage("--interpolate with one end", "--interpolate 3 --count 2", "needs two ends");
  expect_usage("a seed beyond 64 bits (not clamped)", "--seed 99999999999999999999999", "--seed");
  expect_usage("a negative seed", "--seed -1", "--seed");
  expect_usage("an infinite level", "--peak inf", "--peak needs a finite number");
  expect_usage("a class named twice", "--class kick,snare,KICK", "'KICK' twice");
  expect_usage("an unknown option, named", "--bogus", "unknown option '--bogus'");
  expect_usage("a missing option value, named", "--count", "option '--count' needs a value");
  expect_usage("a value given to a flag", "--quiet=1", "option '--quiet' takes no value");
  expect_usage("an ambiguous abbreviation", "--s 3", "option '--s' is ambiguous (--seed, --start");

  /* A folder holding an earlier run is left alone. */
  char out[4300], manifest[4400];
  snprintf(out, sizeof out, "%s/earlier", dir);
  snprintf(args, sizeof args, "generate --checkpoint '%s' --out '%s' --count 2 --device cpu --quiet", uncond, out);
  char *err;
  df_expect_true(df_test_drumforge(dir, args, &err) == 0, "a first run into a folder");
  free(err);
  snprintf(manifest, sizeof manifest, "%s/manifest.jsonl", out);
  char *before, *after;
  size_t nb, na;
  df_read_file(manifest, &before, &nb);
  int rc = df_test_drumforge(dir, args, &err);
  df_expect_true(rc != 0 && strstr(err, "already holds a generation run") && strstr(err, "--overwrite") &&
                     strchr(err, '\n') == err + strlen(err) - 1,
                 "a second run into the same folder is refused in one line, naming --overwrite");
  df_read_file(manifest, &after, &na);
  df_expect_true(nb == na && !memcmp(before, after, nb) && df_test_count_files(out, ".wav") == 2,
                 "the earlier run's files and manifest are untouched");
  free(err);
  free(before);
  free(after);
  snprintf(args, sizeof args, "generate --checkpoint '%s' --out '%s' --count 3 --device cpu --quiet --overwrite", uncond, out);
  df_expect_true(df_test_drumforge(dir, args, &err) == 0 && df_test_count_lines(manifest) == 3,
                 "--overwrite replaces the manifest");
  free(err);

  /* --overwrite replaces the earlier run whole: its files this run does not write again (and
   * its latents.npy) go, files of other names stay; extensions are lower case. */
  char notes[4400];
  snprintf(notes, sizeof notes, "%s/notes.txt", out);
  df_test_write_text(notes, "mine");
  snprintf(args, sizeof args, "generate --checkpoint '%s' --out '%s' --count 3 --save-latents --device cpu --quiet "
           "--overwrite", uncond, out);
  df_expect_true(df_test_drumforge(dir, args, &err) == 0, "an earlier run with latents.npy");
  free(err);
  snprintf(args, sizeof args, "generate --checkpoint '%s' --out '%s' --count 1 --format FLAC --device cpu --quiet "
           "--overwrite", uncond, out);
  df_expect_true(df_test_drumforge(dir, args, &err) == 0, "--overwrite with fewer files in another format");
  free(err);
  snprintf(path, sizeof path, "%s/sound_000000.flac", out);
  df_expect_true(df_test_count_files(out, "") == 3 && access(notes, F_OK) == 0 && access(path, F_OK) == 0 &&
                     df_test_count_lines(manifest) == 1,
                 "the folder then holds the manifest, its one file (.flac) and the user's notes.txt, nothing else");

  /* Without a manifest, a file named as generate names them is not replaced or mixed in. */
  snprintf(out, sizeof out, "%s/users", dir);
  mkdir(out, 0777);
  snprintf(path, sizeof path, "%s/sound_000001.wav", out);
  df_test_write_text(path, "mine");
  snprintf(args, sizeof args, "generate --checkpoint '%s' --out '%s' --count 3 --device cpu --quiet", uncond, out);
  rc = df_test_drumforge(dir, args, &err);
  df_expect_true(rc == 1 && strstr(err, "sound_000001.wav") && strchr(err, '\n') == err + strlen(err) - 1 &&
                     df_test_count_files(out, "") == 1,
                 "a folder holding a file named like a generated one is refused in one line, naming it");
  free(err);

  /* One run at a time per folder. */
  snprintf(out, sizeof out, "%s/locked", dir);
  mkdir(out, 0777);
  int fd = open(out, O_RDONLY | O_DIRECTORY);
  df_expect_true(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "lock a folder as a running generate does");
  snprintf(args, sizeof args, "generate --checkpoint '%s' --out '%s' --count 3 --device cpu --quiet", uncond, out);
  rc = df_test_drumforge(dir, args, &err);
  df_expect_true(rc == 1 && strstr(err, "another drumforge generate") && df_test_count_files(out, "") == 0,
                 "a second run into a folder being written is refused");
  free(err);
  if (fd >= 0) close(fd);
  return df_test_finish();
}
