/* Per-file processing in prepare: resampling then leading-silence trim then zero padding;
 * sliding slices with a hop; slices by bars at a bpm; peak normalisation; stereo; int16
 * storage; augmentation copies (training split only, at the requested SNR); and bad files
 * (silent, NaN, corrupt, too long, nothing left after resampling) reported while the rest
 * goes on, with "nothing usable" the only failure; files in OUT that are not prepare's are
 * kept; option and folder-label refusals; links to folders the input holds, a folder met
 * again, OUT inside an input; one prepare at a time per OUT; the memory that long recordings
 * take. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"

typedef struct example {
  float *audio;
  df_example_meta meta;
  char source[512];
} example;

typedef struct dataset {
  example ex[256];
  int n, channels;
  int64_t length;
} dataset;

static void load(const char *dir, dataset *d) {
  d->n = 0;
  for (int s = 0; s < DF_N_SPLITS; s++) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s-00000.h5", dir, df_split_name((df_split)s));
    df_shard *sh;
    if (access(path, F_OK) != 0 || df_shard_open(path, &sh) != DF_OK) continue;
    const df_shard_info *in = df_shard_get_info(sh);
    d->channels = in->channels;
    d->length = in->length;
    for (int64_t i = 0; i < in->examples && d->n < 256; i++) {
      example *e = &d->ex[d->n++];
      e->audio = malloc(sizeof(float) * (size_t)(in->channels * in->length));
      df_shard_read(sh, i, 1, e->audio);
      df_shard_meta(sh, i, &e->meta);
      snprintf(e->source, sizeof e->source, "%s", strrchr(e->meta.source, '/') + 1);
      e->meta.source = e->meta.group = e->meta.pattern = NULL;
    }
    df_shard_close(sh);
  }
}

static void unload(dataset *d) {
  for (int i = 0; i < d->n; i++) free(d->ex[i].audio);
  d->n = 0;
}

static const example *find(const dataset *d, const char *source, int64_t start, int augment) {
  for (int i = 0; i < d->n; i++)
    if (!strcmp(d->ex[i].source, source) && d->ex[i].meta.start == start && d->ex[i].meta.augment == augment)
      return &d->ex[i];
  return NULL;
}

static char in_dir[4200], out_dir[4200];

/* Copies the files of a dataset folder (no subfolders) into dst. */
static void copy_dataset(const char *src, const char *dst) {
  mkdir(dst, 0777);
  DIR *d = opendir(src);
  for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
    char from[4400], to[4400], *data;
    size_t len;
    snprintf(from, sizeof from, "%s/%s", src, e->d_name);
    snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
    if (e->d_name[0] == '.' || df_read_file(from, &data, &len) != DF_OK) continue;
    df_write_file_atomic(to, data, len);
    free(data);
  }
  if (d) closedir(d);
}

/* dir holds exactly the files of copy, byte for byte, and nothing else (no work folder). */
static int same_dataset(const char *dir, const char *copy) {
  int same = 1, n = 0, m = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
    char a[4400], b[4400];
    snprintf(a, sizeof a, "%s/%s", dir, e->d_name);
    snprintf(b, sizeof b, "%s/%s", copy, e->d_name);
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    n++;
    if (!df_test_same_file(a, b)) {
      printf("  %s differs or is new\n", a);
      same = 0;
    }
  }
  if (d) closedir(d);
  d = opendir(copy);
  for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) m += e->d_name[0] != '.';
  if (d) closedir(d);
  return same && n == m && n > 1;
}

static void write_file(const char *name, int format, int channels, int rate, int64_t frames,
                       const float *x) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s", in_dir, name);
  df_test_write_sndfile(path, format, channels, rate, frames, x);
}

static df_prepare_options base(void) {
  static const char *inputs[1];
  inputs[0] = in_dir;
  df_prepare_options o;
  df_prepare_defaults(&o);
  o.inputs = inputs;
  o.n_inputs = 1;
  o.out_dir = out_dir;
  o.labels = DF_LABELS_NONE;
  o.split[0] = 1;
  o.split[1] = o.split[2] = 0;
  return o;
}

static void fresh_input(const char *root, const char *name) {
  snprintf(in_dir, sizeof in_dir, "%s/%s", root, name);
  snprintf(out_dir, sizeof out_dir, "%s/%s-out", root, name);
  mkdir(in_dir, 0777);
}

int main(void) {
  df_test_begin("test_prepare_processing");
  char root[4096], what[256];
  df_test_scratch_dir("prepare_processing", root, sizeof root);
  dataset d;
  float *x = malloc(sizeof(float) * 2 * 60000), *y = malloc(sizeof(float) * 2 * 60000);

  /* 1. Resample 44.1 kHz -> 16 kHz, trim the 1000 silent samples, pad to 1024. */
  fresh_input(root, "trim");
  df_test_tone(x, 1, 2000, 44100, 1000, 300.0);
  write_file("t.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 44100, 2000, x);
  df_prepare_options o = base();
  o.length = 1024;
  /* The user's own files in OUT that only look like prepare's are left alone; an old shard
   * and a killed run's temporary file are prepare's and go. */
  mkdir(out_dir, 0777);
  static const char *const theirs[] = {"manifest.json.bak", "test-results.h5", "train-notes.h5.txt", "train-00000.h5x",
                                       "train-00001.h5.tmp.12345.old"};
  static const char *const ours[] = {"train-00007.h5", "manifest.json.tmp.12345", "train-00003.h5.tmp.12345.7"};
  char keep[4400];
  for (int i = 0; i < 5; i++) {
    snprintf(keep, sizeof keep, "%s/%s", out_dir, theirs[i]);
    df_test_write_text(keep, "the user's");
  }
  for (int i = 0; i < 3; i++) {
    snprintf(keep, sizeof keep, "%s/%s", out_dir, ours[i]);
    df_test_write_text(keep, "an old run's");
  }
  if (df_expect_ok(df_prepare(&o, NULL), "prepare: resample, trim, pad")) {
    int kept = 1, gone = 1;
    for (int i = 0; i < 5; i++) {
      snprintf(keep, sizeof keep, "%s/%s", out_dir, theirs[i]);
      kept &= access(keep, F_OK) == 0;
    }
    for (int i = 0; i < 3; i++) {
      snprintf(keep, sizeof keep, "%s/%s", out_dir, ours[i]);
      gone &= access(keep, F_OK) != 0;
    }
    df_expect_true(kept, "files in OUT named like but not made by prepare (manifest.json.bak, test-results.h5) are kept");
    df_expect_true(gone, "an old shard and stale temporary files (NAME.tmp.PID, NAME.tmp.PID.N) in OUT are replaced");
    load(out_dir, &d);
    df_audio a = {x, 2000, 1, 44100}, r;
    df_audio_resample(&a, 16000, &r);
    int64_t first = 0;
    while (first < r.frames && fabsf(r.data[first]) < powf(10.0f, -3.0f)) first++;
    float *want = calloc(1024, sizeof(float));
    memcpy(want, r.data + first, sizeof(float) * (size_t)(r.frames - first));
    if (df_expect_true(d.n == 1 && d.ex[0].meta.start == 0, "one example"))
      df_expect_close("resampled, trimmed at -60 dBFS, zero-padded", d.ex[0].audio, want, 1024, 0, 0);
    free(want);
    df_audio_free(&r);
    unload(&d);
  }

  /* 2. Sliding slices every 2048 samples of a 10000-sample file, no trimming. */
  fresh_input(root, "hop");
  df_test_tone(x, 1, 10000, 16000, 0, 50.0);
  for (int i = 0; i < 10000; i++) x[i] = 0.5f * sinf(0.001f * i) + 0.1f;
  write_file("long.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 16000, 10000, x);
  o = base();
  o.length = 4096;
  o.hop = 2048;
  o.trim = 0;
  if (df_expect_ok(df_prepare(&o, NULL), "prepare: sliding slices")) {
    load(out_dir, &d);
    snprintf(what, sizeof what, "slices at 0, 2048, 4096 (got %d)", d.n);
    int ok = d.n == 3;
    for (int64_t s = 0; s <= 4096 && ok; s += 2048) {
      const example *e = find(&d, "long.wav", s, 0);
      ok = e && !memcmp(e->audio, x + s, sizeof(float) * 4096);
    }
    df_expect_true(ok, what);
    unload(&d);
  }

  /* 3. A 3.5-bar loop at 120 bpm, 8 kHz: one example per bar (16000 samples), padded to 16384. */
  fresh_input(root, "bpm");
  for (int i = 0; i < 56000; i++) x[i] = 0.3f * sinf(0.01f * i) + 0.2f;
  write_file("loop.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 8000, 56000, x);
  o = base();
  o.rate = 8000;
  o.length = 16384;
  o.bpm = 120;
  o.bars = 1;
  if (df_expect_ok(df_prepare(&o, NULL), "prepare: slices by bars")) {
    load(out_dir, &d);
    int ok = d.n == 3;
    float zeros[384] = {0};
    for (int64_t s = 0; s < 48000 && ok; s += 16000) {
      const example *e = find(&d, "loop.wav", s, 0);
      ok = e && !memcmp(e->audio, x + s, sizeof(float) * 16000) && !memcmp(e->audio + 16000, zeros, sizeof zeros);
    }
    snprintf(what, sizeof what, "three whole bars at 0, 16000, 32000, the rest zero (got %d)", d.n);
    df_expect_true(ok, what);
    unload(&d);
  }

  /* 4. Peak normalisation, stereo (a mono file doubled, a stereo file kept), int16 storage. */
  fresh_input(root, "stereo");
  df_test_tone(x, 2, 3000, 16000, 0, 200.0);
  write_file("st.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 16000, 3000, x);
  write_file("mo.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 16000, 3000, x);
  for (int dtype = 0; dtype < 2; dtype++) {
    o = base();
    o.length = 4096;
    o.channels = 2;
    o.normalize_peak = 0.5;
    o.trim = 0;
    o.int16 = dtype;
    if (!df_expect_ok(df_prepare(&o, NULL), dtype ? "prepare: stereo, int16" : "prepare: stereo, float32")) continue;
    load(out_dir, &d);
    const example *st = find(&d, "st.wav", 0, 0), *mo = find(&d, "mo.wav", 0, 0);
    double tol = dtype ? 0.5 / 32767 + 1e-7 : 1e-6;
    if (df_expect_true(st && mo && d.channels == 2, "two stereo examples")) {
      float peak = 0;
      for (int i = 0; i < 2 * 3000; i++) peak = fmaxf(peak, fabsf(x[i]));
      for (int i = 0; i < 2 * 4096; i++) y[i] = 0;
      for (int c = 0; c < 2; c++)
        for (int i = 0; i < 3000; i++) y[c * 4096 + i] = x[c * 3000 + i] * 0.5f / peak;
      df_expect_close(dtype ? "stereo file kept, normalised to 0.5 (int16)" : "stereo file kept, normalised to 0.5",
                      st->audio, y, 2 * 4096, 0, tol);
      df_expect_close("mono file doubled into both channels", mo->audio, mo->audio + 4096, 4096, 0, 0);
    }
    unload(&d);
  }

  /* 5. Augmentation: N copies in train only; gain 0 dB and shift 0 leave pure noise at the SNR. */
  fresh_input(root, "augment");
  for (int f = 0; f < 12; f++) {
    char name[32];
    snprintf(name, sizeof name, "a%02d.wav", f);
    df_test_tone(x, 1, 2000, 16000, 0, 150.0 + 20 * f);
    write_file(name, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 16000, 2000, x);
  }
  o = base();
  o.length = 2048;
  o.split[0] = 0.5;
  o.split[1] = 0.5;
  o.augment = 3;
  o.aug_gain_db = 0;
  o.aug_shift = 0;
  o.aug_snr_db = 20;
  df_prepare_result res;
  if (df_expect_ok(df_prepare(&o, &res), "prepare: augmentation")) {
    load(out_dir, &d);
    int train_files = 0, val_files = 0, ok = 1;
    double worst = 0;
    for (int i = 0; i < d.n; i++) {
      const example *e = &d.ex[i];
      if (e->meta.augment) continue;
      int copies = 0;
      for (int a = 1; a <= 3; a++) {
        const example *c = find(&d, e->source, 0, a);
        if (!c) continue;
        copies++;
        double s2 = 0, n2 = 0;
        for (int k = 0; k < 2000; k++) {
          s2 += (double)e->audio[k] * e->audio[k];
          n2 += ((double)c->audio[k] - e->audio[k]) * ((double)c->audio[k] - e->audio[k]);
        }
        worst = fmax(worst, fabs(10 * log10(s2 / n2) - 20.0));
      }
      if (e->meta.split == DF_SPLIT_TRAIN) train_files++, ok &= copies == 3;
      else val_files++, ok &= copies == 0;
    }
    snprintf(what, sizeof what, "3 copies per training example, none in validation (%d train, %d validation files)",
             train_files, val_files);
    df_expect_true(ok && train_files > 0 && val_files > 0 && res.examples[0] == 4 * train_files, what);
    snprintf(what, sizeof what, "white noise at 20 dB SNR (worst off by %.2f dB)", worst);
    df_expect_true(worst < 1.0, what);
    unload(&d);
  }

  /* 6. Bad files are reported, good ones kept; only "nothing usable" fails. */
  fresh_input(root, "bad");
  df_test_tone(x, 1, 2000, 16000, 0, 100.0);
  write_file("good.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, 2000, x);
  for (int i = 0; i < 2000; i++) y[i] = 1e-5f * x[i];
  write_file("quiet.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 16000, 2000, y);
  memset(y, 0, sizeof(float) * 2000);
  write_file("zeros.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, 2000, y);
  y[5] = NAN;
  write_file("nan.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 16000, 2000, y);
  char path[4400];
  snprintf(path, sizeof path, "%s/corrupt.wav", in_dir);
  df_test_write_text(path, "RIFF....WAVEfmt garbage");
  snprintf(path, sizeof path, "%s/dangling.wav", in_dir);
  if (symlink("nowhere.wav", path) != 0) df_test_fail("symlink", "could not create");
  /* Audible as stored, nothing at 16 kHz: one frame at 44.1 kHz (0 frames after resampling),
   * and a 12 kHz tone (above the new Nyquist frequency). They were silent examples. */
  y[0] = 0.9f;
  write_file("blip.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 44100, 1, y);
  for (int i = 0; i < 2000; i++) /* Hann-windowed: no clicks at the ends */
    y[i] = 0.5f * (1.0f - cosf(6.2831853f * i / 1999)) * sinf(6.2831853f * 12000.0f * i / 44100);
  write_file("ultrasonic.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 44100, 2000, y);
  o = base();
  o.length = 2048;
  if (df_expect_ok(df_prepare(&o, &res), "prepare: one good file among bad ones")) {
    snprintf(what, sizeof what, "1 used, 7 rejected (got %lld, %lld)", (long long)res.used, (long long)res.rejected);
    df_expect_true(res.used == 1 && res.rejected == 7, what);
    char *m;
    size_t len;
    snprintf(path, sizeof path, "%s/manifest.json", out_dir);
    if (df_read_file(path, &m, &len) == DF_OK) {
      df_expect_true(strstr(m, "silent: its peak, -") && strstr(m, "silent: every sample is zero") &&
                         strstr(m, "NaN sample at frame 5") && strstr(m, "not a readable audio file") &&
                         strstr(m, "broken symbolic link") && !strstr(m, ".c:"),
                     "each rejected file has its reason, without source locations");
      df_expect_true(strstr(m, "too short: 1 frame at 44100 Hz, less than one sample at 16000 Hz") &&
                         strstr(m, "silent after resampling to 16000 Hz"),
                     "a file with nothing left after resampling is rejected (not stored as silence)");
      free(m);
    }
  }
  /* A prepare that fails leaves the dataset above as it was (compared with a copy). */
  char copy[4400];
  snprintf(copy, sizeof copy, "%s/bad-copy", root);
  copy_dataset(out_dir, copy);
  snprintf(path, sizeof path, "%s/good.wav", in_dir);
  unlink(path);
  df_status s = df_prepare(&o, &res);
  df_expect_status(s, DF_ERR_NOT_FOUND, "nothing usable: DF_ERR_NOT_FOUND");
  snprintf(what, sizeof what, "the message says so and gives the first rejected file's reason (got: %s)", df_last_error());
  df_expect_true(strstr(df_last_error(), "no usable audio") && strstr(df_last_error(), "7 rejected") &&
                     strstr(df_last_error(), "first: ") && strstr(df_last_error(), "broken symbolic link"),
                 what);
  df_expect_true(same_dataset(out_dir, copy), "nothing usable: the earlier dataset is left as it was");
  /* A full disk (here the file size limit: a write fails part-way, as on a full disk) is one
   * error naming the shard and the errno, and again changes nothing. */
  write_file("good.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, 2000, x);
  struct rlimit was, small;
  getrlimit(RLIMIT_FSIZE, &was);
  small = was;
  small.rlim_cur = 4096; /* a shard of one 2048-sample example is ~10 KiB */
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &small);
  s = df_prepare(&o, &res);
  setrlimit(RLIMIT_FSIZE, &was);
  signal(SIGXFSZ, old_handler);
  df_expect_status(s, DF_ERR_IO, "a failed shard write: DF_ERR_IO");
  snprintf(what, sizeof what, "the message names the shard and the errno (got: %s)", df_last_error());
  df_expect_true(strstr(df_last_error(), "train-00000.h5") && strstr(df_last_error(), strerror(EFBIG)), what);
  df_expect_true(same_dataset(out_dir, copy), "a failed write: the earlier dataset is left as it was");
  /* A prepare into a new folder that fails does not leave the folder behind. */
  snprintf(path, sizeof path, "%s/good.wav", in_dir);
  unlink(path);
  snprintf(out_dir, sizeof out_dir, "%s/bad-new", root);
  df_expect_status(df_prepare(&o, &res), DF_ERR_NOT_FOUND, "nothing usable into a new folder");
  df_expect_true(access(out_dir, F_OK) != 0, "the new folder is not left behind");
  o.max_seconds = 0.01;
  write_file("good.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, 2000, x);
  df_expect_status(df_prepare(&o, &res), DF_ERR_NOT_FOUND, "a file over --max-seconds is rejected");

  o = base();
  o.rate = 1000;
  df_expect_status(df_prepare(&o, NULL), DF_ERR_INVALID_ARG, "a 1000 Hz rate is refused");
  /* Folder labels: a folder whose name cannot be a class (a comma: class lists could not
   * select it) is refused naming it. */
  fresh_input(root, "labels");
  snprintf(path, sizeof path, "%s/kick,snare", in_dir);
  mkdir(path, 0777);
  write_file("kick,snare/k.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, 2000, x);
  o = base();
  o.labels = DF_LABELS_FOLDER;
  df_expect_status(df_prepare(&o, NULL), DF_ERR_INVALID_ARG, "folder labels: a folder name with a comma is refused");
  df_expect_true(strstr(df_last_error(), "the folder 'kick,snare' cannot be a class: it has a comma") != NULL,
                 "the message names the folder and why");
  /* A link that is an alias of a folder in the input (sorted before it) took the folder's files
   * under its own name as their class, and the folder was left out silently; a link back up
   * (a loop) was not listed either. */
  fresh_input(root, "links");
  snprintf(path, sizeof path, "%s/snare", in_dir);
  mkdir(path, 0777);
  write_file("snare/s.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, 2000, x);
  snprintf(path, sizeof path, "%s/a_alias", in_dir);
  if (symlink("snare", path) != 0) df_test_fail("symlink", "could not create");
  snprintf(path, sizeof path, "%s/snare/up", in_dir);
  if (symlink("..", path) != 0) df_test_fail("symlink", "could not create");
  o = base();
  o.labels = DF_LABELS_FOLDER;
  o.split[1] = o.split[2] = 0;
  const char *twice[] = {in_dir, in_dir}; /* the same input twice: read once, said so */
  o.inputs = twice;
  o.n_inputs = 2;
  if (df_expect_ok(df_prepare(&o, &res), "prepare: a folder with links to folders, given twice")) {
    df_shard *sh;
    snprintf(path, sizeof path, "%s/train-00000.h5", out_dir);
    if (df_expect_ok(df_shard_open(path, &sh), "open the shard")) {
      const df_shard_info *in = df_shard_get_info(sh);
      snprintf(what, sizeof what, "the file is read once, as class 'snare' (%lld examples, first class '%s')",
               (long long)in->examples, in->n_classes ? in->class_names[0] : "");
      df_expect_true(in->examples == 1 && in->n_classes == 1 && !strcmp(in->class_names[0], "snare"), what);
      df_shard_close(sh);
    }
    char *m;
    size_t len;
    snprintf(path, sizeof path, "%s/manifest.json", out_dir);
    if (df_read_file(path, &m, &len) == DF_OK) {
      df_expect_true(res.skipped == 3 && strstr(m, "a_alias") && strstr(m, "snare/up") &&
                         strstr(m, "a link to a folder that is read under its own name") &&
                         strstr(m, "a folder already read (an earlier input is this folder or holds it)"),
                     "both links and the second input are listed as skipped, with the reason");
      free(m);
    }
  }
  /* A folder given as an --input and then met inside a later one was dropped there without a
   * word; OUT inside an input had its shards and manifest read (and rejected) on every rerun. */
  fresh_input(root, "nested");
  snprintf(path, sizeof path, "%s/kick", in_dir);
  mkdir(path, 0777);
  write_file("kick/k.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, 2000, x);
  write_file("top.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, 3000, x);
  snprintf(out_dir, sizeof out_dir, "%s/dataset", in_dir);
  const char *sub_first[] = {path, in_dir};
  o = base();
  o.inputs = sub_first;
  o.n_inputs = 2;
  for (int rerun = 0; rerun < 2; rerun++) {
    snprintf(what, sizeof what, "prepare --input IN/kick --input IN --out IN/dataset (%s)", rerun ? "again" : "first");
    if (!df_expect_ok(df_prepare(&o, &res), what)) break;
    char *m;
    size_t len;
    snprintf(what, sizeof what, "%s/manifest.json", out_dir);
    if (df_read_file(what, &m, &len) != DF_OK) continue;
    snprintf(what, sizeof what, "%s: the two files used, nothing rejected; IN/kick met again and OUT listed as "
             "skipped (%lld used, %lld rejected, %lld skipped)", rerun ? "rerun" : "first run", (long long)res.used,
             (long long)res.rejected, (long long)res.skipped);
    df_expect_true(res.used == 2 && res.rejected == 0 && res.skipped == 2 &&
                       strstr(m, "a folder already read (an earlier input is this folder or holds it)") &&
                       strstr(m, "the output folder (--out)"), what);
    free(m);
  }
  /* Two prepares into one folder at once could install one's manifest over the other's shards:
   * the second is refused while the first holds OUT, and OUT is left as it was. */
  int held = open(out_dir, O_RDONLY | O_DIRECTORY);
  df_expect_true(held >= 0 && flock(held, LOCK_EX) == 0, "another prepare holds OUT");
  struct stat before_st, after_st;
  snprintf(path, sizeof path, "%s/manifest.json", out_dir);
  stat(path, &before_st);
  if (df_expect_status(df_prepare(&o, &res), DF_ERR_INVALID_ARG, "a second prepare into the same OUT is refused"))
    df_expect_true(strstr(df_last_error(), "another drumforge prepare is writing into this folder") != NULL,
                   "... saying another prepare is writing there");
  df_expect_true(stat(path, &after_st) == 0 && after_st.st_ino == before_st.st_ino, "... and OUT's dataset is kept");
  close(held);
  /* Folder labels: --loop-tracks names the folders' classes, not the class table's. */
  const char *classes[] = {"kick", "snare", "hh_closed", "hh_open", "crash", "ride", "tom", "clap", "rim", "perc", "fx"};
  fresh_input(root, "loop_tracks");
  for (int c = 0; c < 11; c++) {
    snprintf(path, sizeof path, "%s/%s", in_dir, classes[c]);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s.wav", classes[c], classes[c]);
    x[0] = 0.1f * (float)c; /* no two files alike */
    write_file(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 16000, 2000, x);
  }
  o = base();
  o.labels = DF_LABELS_FOLDER;
  o.loops.count = 4;
  o.loops.tracks = "kick,bogus";
  if (df_expect_status(df_prepare(&o, &res), DF_ERR_INVALID_ARG, "folder labels: --loop-tracks naming no folder"))
    df_expect_true(strstr(df_last_error(), "'bogus' is not a class of this dataset, whose classes are the inputs' "
                                           "folder names (clap, crash,") != NULL,
                   "the message says the classes are the folder names and lists them");
  o = base();
  o.split[0] = INFINITY;
  df_expect_status(df_prepare_check_options(&o), DF_ERR_INVALID_ARG, "an infinite split share is refused (it sent every file to test)");
  /* Humanized hits stay within half a 16th step at the fastest tempo (60 ms at 125 bpm). */
  o = base();
  o.loops.count = 10;
  o.loops.humanize_ms = 60;
  df_expect_ok(df_prepare_check_options(&o), "--humanize-ms 60 at 120-125 bpm");
  o.loops.humanize_ms = 61;
  if (df_expect_status(df_prepare_check_options(&o), DF_ERR_INVALID_ARG, "--humanize-ms 61 at 120-125 bpm is refused"))
    df_expect_true(strstr(df_last_error(), "humanize 61 ms outside [0, 60] (half a 16th step at 125 bpm") != NULL,
                   "the message gives the bound and why");
  o.loops.humanize_ms = 1e30;
  df_expect_status(df_prepare_check_options(&o), DF_ERR_INVALID_ARG, "an absurd --humanize-ms is refused");
  o.loops.bpm_min = o.loops.bpm_max = 20;
  o.loops.humanize_ms = 375;
  df_expect_ok(df_prepare_check_options(&o), "the bound follows the tempo: 375 ms at 20 bpm");

  /* Long recordings: the clips of a block of files decoded together are held until taken in
   * order; 16 one-minute files at 96 kHz stereo (46 MB each) held 740 MB at once. Not under
   * AddressSanitizer: its quarantine keeps freed memory resident (the peak says nothing) and
   * its allocator made this case take over 10 minutes. */
#if defined(__SANITIZE_ADDRESS__)
  printf("skipped under AddressSanitizer: the peak memory of long recordings\n");
#else
  fresh_input(root, "long");
  enum { LONG_FRAMES = 60 * 8000 };
  float *rec = malloc(sizeof(float) * LONG_FRAMES);
  for (int i = 0; i < LONG_FRAMES; i++) rec[i] = 0.3f * sinf(0.05f * (float)i) * (1.0f + 0.5f * sinf(1e-4f * (float)i));
  for (int f = 0; f < 16; f++) {
    char name[64];
    rec[f] = 0.9f; /* no two files alike (duplicates are not kept) */
    snprintf(name, sizeof name, "rec%02d.wav", f);
    write_file(name, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 8000, LONG_FRAMES, rec);
  }
  free(rec);
  o = base();
  o.rate = 96000;
  o.channels = 2;
  o.length = 4096;
  o.hop = 1 << 22;
  o.labels = DF_LABELS_NONE;
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  df_expect_ok(df_prepare(&o, &res), "prepare 16 one-minute recordings at 96 kHz stereo");
  getrusage(RUSAGE_SELF, &after);
  long grew_mb = (after.ru_maxrss - before.ru_maxrss) / 1024;
  snprintf(what, sizeof what, "their clips are not all held at once (peak memory grew by %ld MB; 740 MB of clips)", grew_mb);
  df_expect_true(res.used == 16 && grew_mb < 450, what);
#endif
  free(x);
  free(y);
  return df_test_finish();
}
