/* drumforge encode and drumforge interpolate on trained runs: latents as .npy with one row per
 * input, deterministic; a file at another rate and in stereo FLAC is resampled and mixed down
 * (its latent stays near the original's); reconstructions at the model's rate and length; the
 * walk between two sounds or two latents with its manifest and endpoints; and bad input: an
 * unreadable or missing file named, a model without an encoder (WaveGAN) refused for sounds
 * but walking between latents, a conditional model without --class told its classes, a bad
 * --reconstruction refused with an earlier Z.npy left as it was, no output over an input
 * (sound, or the endpoints.npy a latent end reads); latent rows of a file in a folder named
 * "runs.npy"; a class list with a sound end refused as a usage error; quiet copies of a sound
 * encoded to its latent, silence refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/npy.h"
#include "drumforge/train.h"

static char scratch[4096], dataset[4200], log_path[4300];

static const char *const vae_text =
    "[model]\ntype = specvae\nfilters = 8, 16\nstrides = 4, 4\nlatent_dim = 8\n"
    "[spectrogram]\nlength = 16384\nn_fft = 256\nhop = 128\nframes = 128\n"
    "[loss]\nbeta = 1e-3\n[optim]\nlr = 1e-2\n[griffinlim]\niterations = 4\n"
    "[train]\nbatch = 4\nsteps = 3\nseed = 1\npreview_count = 0\n";

/* The plain autoencoder (beta = 0): no prior holds its latents. */
static const char *const ae_text =
    "[model]\ntype = specvae\nfilters = 8, 16\nstrides = 4, 4\nlatent_dim = 8\n"
    "[spectrogram]\nlength = 16384\nn_fft = 256\nhop = 128\nframes = 128\n"
    "[loss]\nbeta = 0\n[optim]\nlr = 1e-2\n[griffinlim]\niterations = 4\n"
    "[train]\nbatch = 4\nsteps = 3\nseed = 1\npreview_count = 0\n";

static const char *const cwae_text =
    "[model]\ntype = specwae\nfilters = 8, 16\nstrides = (2, 4), (2, 4)\nlatent_dim = 8\nconditional = true\n"
    "[spectrogram]\nlength = 16384\nn_fft = 256\nhop = 128\nmel_bands = 32\nframes = 128\n"
    "[optim]\nlr = 1e-2\n[griffinlim]\niterations = 4\n"
    "[train]\nbatch = 4\nsteps = 3\nseed = 1\npreview_count = 0\n[data]\nclasses = kick,snare\n";

static int train(const char *name, const char *config) {
  char run[4300];
  snprintf(run, sizeof run, "%s/%s", scratch, name);
  char what[128];
  snprintf(what, sizeof what, "train the %s run", name);
  return df_expect_ok(df_test_train(config, dataset, run, 1, NULL), what);
}

static int train_text(const char *name, const char *text) {
  char config[4300];
  snprintf(config, sizeof config, "%s/%s.ini", scratch, name);
  df_write_file_atomic(config, text, strlen(text));
  return train(name, config);
}

/* Runs drumforge with args (a shell fragment, in the scratch folder); returns the exit code
 * and the output (stdout + stderr) in *out. */
static int drumforge(const char *args, char **out) {
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s --device cpu > '%s' 2>&1", scratch, DF_DRUMFORGE_EXE, args, log_path);
  int st = system(cmd);
  size_t len;
  if (df_read_file(log_path, out, &len) != DF_OK) *out = strdup("");
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs drumforge: the exit code must be `code` and the output hold `needle` (when not NULL),
 * or not hold it (present = 0). */
static void expect_output(const char *args, int code, const char *needle, int present, const char *what) {
  char *out;
  int rc = drumforge(args, &out);
  if (rc == code && (!needle || !strstr(out, needle) == !present)) df_test_pass(what);
  else df_test_fail(what, "exit %d (want %d%s%s); output: %.400s", rc, code,
                    !needle ? "" : present ? ", output with " : ", output without ", needle ? needle : "", out);
  free(out);
}

static void expect_run(const char *args, int code, const char *needle, const char *what) {
  expect_output(args, code, needle, 1, what);
}

static float *read_npy(const char *name, int64_t *rows, int64_t *cols) {
  char path[4300];
  snprintf(path, sizeof path, "%s/%s", scratch, name);
  float *z = NULL;
  if (!df_expect_ok(df_npy_read_f32(path, &z, rows, cols), name)) return NULL;
  return z;
}

static int count_wavs(const char *dir) {
  char cmd[4400];
  snprintf(cmd, sizeof cmd, "ls '%s/%s'/*.wav 2>/dev/null | wc -l", scratch, dir);
  FILE *p = popen(cmd, "r");
  int n = -1;
  if (p) {
    if (fscanf(p, "%d", &n) != 1) n = -1;
    pclose(p);
  }
  return n;
}

/* The file at path still holds the n bytes of before (which is freed). */
static void expect_unchanged(const char *path, char *before, size_t n, const char *what) {
  char *after = NULL;
  size_t len = 0;
  df_read_file(path, &after, &len);
  df_expect_true(before && after && len == n && !memcmp(before, after, n), what);
  free(before);
  free(after);
}

/* The test sounds: a decaying tone at 16 kHz, the same at 44.1 kHz in stereo FLAC and 8 times
 * louder than full scale in a float file, a corrupt file. */
static void write_sounds(void) {
  char path[4300];
  int rates[3] = {16000, 44100, 16000};
  const char *names[3] = {"tone16k.wav", "tone44k.flac", "loud.wav"};
  for (int k = 0; k < 3; k++) {
    int64_t frames = rates[k] / 2;
    float *buf = calloc((size_t)(2 * frames), sizeof(float));
    for (int64_t t = 0; t < frames; t++)
      buf[t] = buf[frames + t] =
          (float)((k == 2 ? 4.0 : 0.5) * sin(2 * M_PI * 180.0 * t / rates[k]) * exp(-8.0 * t / rates[k]));
    df_audio a = {buf, frames, k == 1 ? 2 : 1, rates[k]};
    snprintf(path, sizeof path, "%s/%s", scratch, names[k]);
    df_expect_ok(df_audio_write(path, &a, k == 1 ? DF_AUDIO_PCM24 : DF_AUDIO_FLOAT32), "write a test sound");
    /* Quieter copies of the 16 kHz tone (40 and 90 dB down), and silence. */
    static const char *const quiet_names[3] = {"tone_40db.wav", "tone_90db.wav", "zeros.wav"};
    static const float gains[3] = {1e-2f, 3.16227766e-5f, 0.0f};
    for (int q = 0; q < 3 && k == 0; q++) {
      float *quiet = malloc(sizeof(float) * (size_t)frames);
      for (int64_t t = 0; t < frames; t++) quiet[t] = gains[q] * buf[t];
      df_audio qa = {quiet, frames, 1, rates[k]};
      snprintf(path, sizeof path, "%s/%s", scratch, quiet_names[q]);
      df_expect_ok(df_audio_write(path, &qa, DF_AUDIO_FLOAT32), quiet_names[q]);
      free(quiet);
    }
    free(buf);
  }
  snprintf(path, sizeof path, "%s/corrupt.wav", scratch);
  df_write_file_atomic(path, "RIFF\x10\0\0\0WAVEjunkjunk", 20);
}

int main(void) {
  df_test_begin("test_specae_cli");
  df_test_scratch_dir("specae_cli", scratch, sizeof scratch);
  snprintf(log_path, sizeof log_path, "%s/out.txt", scratch);
  if (df_test_make_dataset(scratch, 4, 1.0, dataset, sizeof dataset)) {
    df_test_fail("dataset", "could not build the test dataset");
    return df_test_finish();
  }
  char smoke[4300];
  df_test_write_smoke_config(scratch, "smoke", NULL, smoke, sizeof smoke);
  if (!train_text("vae", vae_text) || !train_text("ae", ae_text) || !train_text("cwae", cwae_text) ||
      !train("wavegan", smoke))
    return df_test_finish();
  write_sounds();

  /* encode */
  expect_run("encode --run vae --input tone16k.wav --out z16.npy --reconstruction r16.wav", 0, "[1 x 8]",
             "encode one sound, with its reconstruction");
  char *log = NULL;
  size_t log_len;
  df_read_file(log_path, &log, &log_len);
  const char *sc_line = log ? strstr(log, "tone16k.wav: spectral convergence ") : NULL;
  double sc = sc_line ? atof(sc_line + strlen("tone16k.wav: spectral convergence ")) : -1;
  printf("     spectral convergence of the (3-step) model's reconstruction: %.3f\n", sc);
  df_expect_true(sc > 0 && sc < 1.5, "the reconstruction's spectral convergence is reported, and plausible");
  free(log);
  expect_run("encode --run vae -i loud.wav -o zl.npy --reconstruction rl.wav", 0, "rl.wav: peaks at +",
             "a reconstruction above full scale (at a float input's level) says it is clipped");
  expect_run("encode --run vae -i tone16k.wav -i tone44k.flac -i audio/kick/kick_00.wav -o z3.npy "
             "--reconstruction recon", 0, "encoded 3 sound(s)", "encode three sounds (one at 44.1 kHz, stereo FLAC)");
  expect_run("encode --run vae -i tone16k.wav -i tone44k.flac -i audio/kick/kick_00.wav -o z3b.npy", 0, NULL,
             "encode them again");
  int64_t r1, c1, r3, c3, r3b, c3b;
  float *z16 = read_npy("z16.npy", &r1, &c1), *z3 = read_npy("z3.npy", &r3, &c3), *z3b = read_npy("z3b.npy", &r3b, &c3b);
  if (z16 && z3 && z3b) {
    df_expect_true(r1 == 1 && c1 == 8 && r3 == 3 && c3 == 8, "Z.npy: one row of latent_dim values per input");
    df_expect_equal_bytes("encoding is deterministic (and a sound's latent does not depend on the others)", z3, z16,
                          8 * sizeof(float));
    df_expect_equal_bytes("encoding the same files again gives the same file", z3b, z3, 24 * sizeof(float));
    double num = 0, den = 0;
    for (int k = 0; k < 8; k++) {
      num += (double)(z3[8 + k] - z3[k]) * (z3[8 + k] - z3[k]);
      den += (double)z3[k] * z3[k];
    }
    printf("     latent of the 44.1 kHz stereo copy vs the 16 kHz original: relative distance %.4f\n", sqrt(num / den));
    df_expect_true(sqrt(num / den) < 0.05, "a file at another rate and in stereo is resampled and mixed down");
  }
  free(z16);
  free(z3);
  free(z3b);
  char path[4400];
  df_audio_file_info info;
  snprintf(path, sizeof path, "%s/r16.wav", scratch);
  df_expect_true(df_audio_probe(path, &info) == DF_OK && info.rate == 16000 && info.frames == 16384 && info.channels == 1,
                 "the reconstruction has the model's rate and length");
  snprintf(path, sizeof path, "%s/recon/01_tone44k.wav", scratch);
  df_expect_true(access(path, F_OK) == 0 && count_wavs("recon") == 3, "several inputs: a folder of NN_<name>.wav");

  /* bad input */
  expect_run("encode --run vae -i tone16k.wav -i corrupt.wav -o bad.npy", 1, "corrupt.wav", "an unreadable file is named");
  expect_run("encode --run vae -i nowhere.wav -o bad.npy", 1, "nowhere.wav", "a missing file is named");
  snprintf(path, sizeof path, "%s/bad.npy", scratch);
  df_expect_true(access(path, F_OK) != 0, "nothing is written when an input is bad");
  expect_run("encode --run wavegan -i tone16k.wav -o bad.npy", 1, "has no encoder", "a GAN has no encoder");
  expect_run("encode --run cwae -i tone16k.wav -o bad.npy", 1, "--class", "a conditional model asks for --class");
  expect_run("encode --run cwae -i tone16k.wav -o bad.npy --class cowbell", 1, "no class 'cowbell'",
             "an unknown class is named");
  expect_run("encode --run cwae -i tone16k.wav -i tone44k.flac -o bad.npy --class kick,snare,kick", 2,
             "3 classes for 2 sounds", "a class count that fits neither all nor each input is a usage error");
  expect_run("encode --run cwae -i tone16k.wav -i tone44k.flac -o zc.npy --class kick,snare", 0, "[2 x 8]",
             "a conditional model encodes with one class per input");
  expect_run("encode --run vae -i tone16k.wav", 2, "--out", "--out is required");
  /* The spectrogram is normalised per sound, so a quiet copy has the loud one's latent (its
   * leading silence is trimmed relative to its own peak); only silence is refused. */
  expect_run("encode --run vae -i tone_40db.wav -i tone_90db.wav -o quiet.npy", 0, "[2 x 8]",
             "sounds 40 and 90 dB quieter (peaks -46 and -96 dBFS) are encoded");
  float *zq = read_npy("quiet.npy", &r3, &c3);
  z16 = read_npy("z16.npy", &r1, &c1);
  if (zq && z16) {
    double worst = 0, scale = 0;
    for (int k = 0; k < 16; k++) worst = fmax(worst, fabs(zq[k] - z16[k % 8]));
    for (int k = 0; k < 8; k++) scale = fmax(scale, fabs(z16[k]));
    printf("     quiet copies vs the loud sound: latents differ by at most %.3g (latent scale %.3g)\n", worst, scale);
    df_expect_true(worst <= 1e-4 * scale, "with the latent of the loud sound");
  }
  free(zq);
  free(z16);
  expect_run("encode --run vae -i zeros.wav -o bad.npy", 1, "zeros.wav: silent: every sample is zero",
             "a silent file is refused, named");
  /* So is one whose start, all the model hears of it, is silent (1.5 s of zeros before the
   * tone, kept by --no-trim): its latent would be silence's. Trimmed, it encodes. */
  {
    const int64_t lead = 24000, frames = lead + 8000;
    float *late = calloc((size_t)frames, sizeof *late);
    for (int64_t t = 0; late && t < 8000; t++)
      late[lead + t] = (float)(0.5 * sin(2 * M_PI * 180.0 * t / 16000.0) * exp(-8.0 * t / 16000.0));
    df_audio la = {late, frames, 1, 16000};
    snprintf(path, sizeof path, "%s/late.wav", scratch);
    df_expect_ok(late ? df_audio_write(path, &la, DF_AUDIO_FLOAT32) : DF_ERR_OOM, "write late.wav");
    free(late);
  }
  expect_run("encode --run vae -i late.wav -o late.npy --no-trim", 1, "late.wav: silent in its first 1.02 s",
             "a file whose first 1.02 s are silent is refused with --no-trim");
  snprintf(path, sizeof path, "%s/late.npy", scratch);
  df_expect_true(access(path, F_OK) != 0, "and nothing is written");
  expect_run("encode --run vae -i late.wav -o late.npy", 0, "[1 x 8]", "trimmed, it encodes");
  /* A bad --reconstruction is refused before anything is written: an earlier Z.npy stays
   * (the attempts encode another sound, so a replaced file would differ). */
  char *z_before = NULL, z_path[4300];
  size_t nb = 0;
  snprintf(z_path, sizeof z_path, "%s/z16.npy", scratch);
  df_read_file(z_path, &z_before, &nb);
  expect_run("encode --run vae -i tone44k.flac -o z16.npy --reconstruction r.txt", 2, ".wav or .flac",
             "a reconstruction that is not a .wav or .flac file name");
  expect_run("encode --run vae -i tone44k.flac -o z16.npy --reconstruction recon", 2, "that is a folder",
             "a folder as the one input's reconstruction");
  expect_run("encode --run vae -i tone44k.flac -o z16.npy --reconstruction tone16k.wav/x.wav", 2, "is not a folder",
             "a reconstruction inside a file");
  expect_run("encode --run vae -i tone44k.flac -i tone16k.wav -o z16.npy --reconstruction tone16k.wav/sub", 1,
             "tone16k.wav/sub", "a reconstruction folder inside a file");
  expect_unchanged(z_path, z_before, nb, "the failed encodes left the earlier Z.npy as it was");
  /* No output replaces an input sound: latents need a .npy name, and a reconstruction (a
   * file, or NN_<name>.wav in a folder) may not be one of the inputs, under any spelling. */
  char *wav_before = NULL, wav_path[4300];
  snprintf(wav_path, sizeof wav_path, "%s/recon/00_tone16k.wav", scratch);
  df_read_file(wav_path, &wav_before, &nb);
  expect_run("encode --run vae -i recon/00_tone16k.wav -o recon/00_tone16k.wav", 2, "give a .npy file name",
             "latents over a sound (--out without .npy)");
  expect_run("encode --run vae -i recon/00_tone16k.wav -o zr.npy --reconstruction ./recon/../recon/00_tone16k.wav", 2,
             "would overwrite the input", "a reconstruction over its own input");
  expect_run("encode --run vae -i tone16k.wav -i recon/00_tone16k.wav -o zr.npy --reconstruction recon", 2,
             "recon/00_tone16k.wav would overwrite the input", "a reconstruction folder's file over another input");
  expect_unchanged(wav_path, wav_before, nb, "the input sound is left as it was");

  /* Latents beyond 10 times the prior's scale get a note (expect saturated audio), but the
   * plain autoencoder has no prior: its own encodings lie that far (|z| of 30 and more once
   * trained), and decoding them is what it is for. */
  char far_path[4300];
  float far[8] = {0, 0, 50.0f, 0, 0, 0, 0, -1.0f};
  snprintf(far_path, sizeof far_path, "%s/far.npy", scratch);
  df_expect_ok(df_npy_write_f32(far_path, far, 1, 8), "write far.npy");
  expect_run("generate --run vae --latents far.npy --out far_vae --quiet", 0, "have values beyond +-10",
             "a VAE's latent 50 prior deviations out gets the note");
  expect_output("generate --run ae --latents far.npy --out far_ae --quiet", 0, "values beyond", 0,
                "the plain autoencoder's decodes without it");
  expect_output("interpolate --run ae --from far.npy --to 3 --steps 2 --out far_walk --quiet", 0, "values beyond", 0,
                "and so does a walk from it");

  /* interpolate */
  expect_run("interpolate --run vae --from tone16k.wav --to audio/kick/kick_00.wav --steps 4 --out walk --quiet", 0,
             "wrote 4 files", "a walk between two sounds");
  df_expect_true(count_wavs("walk") == 4, "the walk has --steps sounds");
  int64_t re, ce;
  float *ends = read_npy("walk/endpoints.npy", &re, &ce);
  z3 = read_npy("z3.npy", &r3, &c3);
  if (ends && z3) {
    df_expect_true(re == 2 && ce == 8, "endpoints.npy holds the two encoded ends");
    df_expect_equal_bytes("the walk starts at the first sound's latent", ends, z3, 8 * sizeof(float));
    df_expect_equal_bytes("and ends at the second's", ends + 8, z3 + 16, 8 * sizeof(float));
  }
  free(ends);
  free(z3);
  snprintf(path, sizeof path, "%s/walk/manifest.jsonl", scratch);
  df_expect_true(access(path, F_OK) == 0, "the walk has a manifest");
  expect_run("interpolate --run vae --from tone16k.wav --to 3 --out walk --quiet", 2, "--overwrite",
             "an earlier walk is not overwritten without --overwrite");
  /* A latent end from the endpoints.npy that audio ends replace would read their rows. */
  expect_run("interpolate --run vae --from walk/endpoints.npy:0 --to audio/kick/kick_01.wav --out ./walk/ --overwrite "
             "--quiet", 2, "replaces ./walk//endpoints.npy", "a latent end in the endpoints.npy the walk replaces");
  ends = read_npy("walk/endpoints.npy", &re, &ce);
  df_expect_true(ends && re == 2, "the earlier endpoints.npy is left as it was");
  free(ends);
  /* A folder the walk would be refused is refused before an audio end is encoded: no
   * endpoints.npy is left beside files named like generated ones, and an earlier walk's is
   * not replaced while another run writes there (the folder's lock, held here). */
  snprintf(path, sizeof path, "mkdir -p '%s/walk_named' && touch '%s/walk_named/kick_000000.wav'", scratch, scratch);
  if (df_expect_true(system(path) == 0, "a folder holding a file named like a generated one"))
    expect_run("interpolate --run vae --from tone16k.wav --to 3 --out walk_named --quiet", 2,
               "kick_000000.wav, named like generated files", "a walk into it is refused");
  snprintf(path, sizeof path, "%s/walk_named/endpoints.npy", scratch);
  df_expect_true(access(path, F_OK) != 0, "before its endpoints.npy is written");
  snprintf(path, sizeof path, "%s/walk", scratch);
  int lock_fd = -1;
  char *ends_before = NULL, ends_path[4300];
  snprintf(ends_path, sizeof ends_path, "%s/walk/endpoints.npy", scratch);
  df_read_file(ends_path, &ends_before, &nb);
  if (df_expect_ok(df_lock_folder(path, "busy", &lock_fd), "lock the earlier walk's folder"))
    expect_run("interpolate --run vae --from tone44k.flac --to 3 --out walk --overwrite --quiet", 2,
               "another drumforge generate is writing", "a walk into a folder another run writes is refused");
  if (lock_fd >= 0) close(lock_fd);
  expect_unchanged(ends_path, ends_before, nb, "and the earlier walk's endpoints.npy is left as it was");
  expect_run("interpolate --run vae --from z3.npy:1 --to 7:2 --steps 3 --slerp --out walk2 --quiet", 0,
             "wrote 3 files", "a walk between a latent row and a generated sound's latent");
  expect_run("interpolate --run wavegan --from 1 --to 2 --steps 3 --out walk3 --quiet", 0, "wrote 3 files",
             "a GAN walks between latents");
  expect_run("interpolate --run wavegan --from tone16k.wav --to 2 --out walk4 --quiet", 1, "has no encoder",
             "but not from a sound");
  expect_run("interpolate --run cwae --from tone16k.wav --to tone44k.flac --class snare --steps 3 --out walk5 --quiet",
             0, "wrote 3 files", "a conditional walk in one class");
  df_expect_true(count_wavs("walk5") == 3, "three sounds of that class");
  expect_run("interpolate --run vae --from tone16k.wav --out walk6", 2, "--to", "--to is required");
  /* A folder named like an .npy file: the file is up to the last ".npy". */
  snprintf(path, sizeof path, "mkdir -p '%s/runs.npy' && cp '%s/z3.npy' '%s/runs.npy/z.npy'", scratch, scratch, scratch);
  if (df_expect_true(system(path) == 0, "copy z3.npy into runs.npy/"))
    expect_run("interpolate --run vae --from runs.npy/z.npy:0 --to runs.npy/z.npy:2 --steps 3 --out walk7 --quiet", 0,
               "wrote 3 files", "latent rows of a file in a folder named runs.npy");
  /* A sound end is encoded in the walk's class: a list is refused before anything is done. */
  expect_run("interpolate --run cwae --from tone16k.wav --to 2 --class kick,snare --out walk8 --quiet", 2,
             "--class kick,snare: give one class when an end is a sound", "a class list with a sound end is a usage error");
  snprintf(path, sizeof path, "%s/walk8", scratch);
  df_expect_true(access(path, F_OK) != 0, "and nothing is written");
  expect_run("interpolate --run cwae --from 1 --to 2 --class kick,snare --steps 2 --out walk9 --quiet", 0,
             "wrote 4 files", "latent ends walk in each class of a list");
  return df_test_finish();
}
