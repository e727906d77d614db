/* Training runs: the smoke model trains (losses move, the generator changes), checkpoints and
 * metrics land in the run folder, resuming reproduces an uninterrupted run bit for bit (also
 * after SIGKILL at an arbitrary moment), SIGTERM writes a checkpoint and exits 0, a corrupt or
 * truncated newest checkpoint falls back to the previous one and is renamed aside (so pruning
 * never deletes a valid checkpoint to keep a corrupt one), an unknown config key names the
 * file, line and key, a model length other than the dataset's is refused, a run that fails
 * before its first step leaves no run folder, a loss that turns non-finite stops the run naming the step and the
 * last good checkpoint, and a run resumed after a rollback rolls back as the uninterrupted one. */
#include <cblas.h>
#include <fcntl.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/checkpoint.h"
#include "drumforge/safetensors.h"
#include "drumforge/train.h"
#include "train/run_dir.h"

static char scratch[4096], dataset[4200];

static int moved_notices; /* resume notices about another device or thread count */
static char notices[16384]; /* every notice since it was last emptied */

static void quiet_log(void *ctx, const char *line) {
  printf("     [train] %s\n", line);
  if (strstr(line, "may not match an uninterrupted run bit for bit")) moved_notices++;
  size_t used = strlen(notices);
  snprintf(notices + used, sizeof notices - used, "%s\n", line);
}

/* A progress hook that asks the run to stop (as SIGTERM does) at its last step. */
static void sigterm_at_last_step(void *ctx, const df_train_progress *p) {
  (void)ctx;
  if (p->step == p->max_steps) raise(SIGTERM);
}

/* overrides: "section.key=value" entries, NULL-terminated (or NULL); progress: a hook (or NULL). */
static df_status train_hooked(const char *config, const char *data, const char *run, int64_t steps,
                              const char *const *overrides, void (*progress)(void *, const df_train_progress *),
                              df_train_result *res) {
  df_train_options o = {0};
  o.progress = progress;
  o.config_path = config;
  o.data_path = data;
  o.run_dir = run;
  o.device = DF_DEVICE_CPU;
  o.steps = steps;
  o.log = quiet_log;
  o.overrides = overrides;
  while (overrides && overrides[o.n_overrides]) o.n_overrides++;
  return df_train_run(&o, res);
}

static df_status train_with(const char *config, const char *data, const char *run, int64_t steps,
                            const char *const *overrides, df_train_result *res) {
  return train_hooked(config, data, run, steps, overrides, NULL, res);
}

static df_status train_on(const char *config, const char *data, const char *run, int64_t steps,
                          df_train_result *res) {
  return train_with(config, data, run, steps, NULL, res);
}

/* 1 when every line of run/metrics.jsonl has a step above the previous line's (no step
 * logged twice); eval lines share their checkpoint's step and are not used here. */
static int metrics_steps_increase(const char *run, int *lines) {
  char path[4400], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/metrics.jsonl", run);
  *lines = 0;
  if (df_read_file(path, &text, &len) != DF_OK) return 0;
  long long prev = -1, step;
  int ok = 1;
  for (char *line = text; ok && *line;) {
    ok = sscanf(line, "{\"step\": %lld", &step) == 1 && step > prev;
    prev = step;
    (*lines)++;
    char *end = strchr(line, '\n');
    if (!end) break;
    line = end + 1;
  }
  free(text);
  return ok;
}

static df_status train(const char *config, const char *run, int64_t steps, df_train_result *res) {
  return train_on(config, dataset, run, steps, res);
}

/* Two steps of the smoke experiment with one setting replaced, saved as NAME.ini, in run
 * folder run_NAME. */
static df_status train_smoke_with(const char *name, const char *setting, char *run, size_t len) {
  const char *const replace[] = {setting, NULL};
  char config[4300];
  df_test_write_smoke_config(scratch, name, replace, config, sizeof config);
  snprintf(run, len, "%s/run_%s", scratch, name);
  df_train_result res;
  return train(config, run, 2, &res);
}

/* A copy of checkpoint src at dst that says it has another format version (a newer drumforge's). */
static void copy_as_version(const char *src, const char *dst, const char *version) {
  df_st_file *f;
  df_st_writer *w;
  if (df_st_open(src, &f) != DF_OK) return;
  if (df_st_writer_new(&w) == DF_OK) {
    for (int i = 0; i < df_st_count(f); i++) {
      const df_st_tensor *t = df_st_at(f, i);
      df_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data);
    }
    for (int i = 0; i < df_st_metadata_count(f); i++) {
      const char *k, *v;
      df_st_metadata_at(f, i, &k, &v);
      df_st_writer_set_metadata(w, k, strcmp(k, "format_version") ? v : version);
    }
    df_st_writer_save(w, dst);
    df_st_writer_free(w);
  }
  df_st_close(f);
}

static void ckpt_path(const char *run, int64_t step, char *buf, size_t len) {
  snprintf(buf, len, "%s/checkpoints/ckpt-%09lld.safetensors", run, (long long)step);
}

static int file_exists(const char *p) { return access(p, F_OK) == 0; }

static pid_t spawn_train(const char *config, const char *run, int64_t steps) {
  fflush(stdout); /* or the child would print the parent's buffered lines again */
  pid_t pid = fork();
  if (pid == 0) {
    char st[32];
    snprintf(st, sizeof st, "%lld", (long long)steps);
    /* Checked: Ubuntu's compiler fortifies by default, which makes an unchecked freopen a warning. */
    if (!freopen("/dev/null", "w", stdout)) _exit(127);
    execl(DF_DRUMFORGE_EXE, "drumforge", "train", "--config", config, "--data", dataset, "--run", run,
          "--steps", st, "--device", "cpu", "--quiet", (char *)NULL);
    _exit(127);
  }
  return pid;
}

static int count_checkpoints(const char *run) {
  int n = 0;
  for (int64_t s = 1; s <= 64; s++) {
    char p[4300];
    ckpt_path(run, s, p, sizeof p);
    n += file_exists(p);
  }
  return n;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* 1 when the run's TensorBoard files read back (an independent reader) with no scalar of a
 * step logged twice. */
static int tb_steps_unique(const char *run) {
  const char *py = getenv("DF_PYTHON");
  char cmd[9000];
  snprintf(cmd, sizeof cmd,
           "set -e; for f in '%s'/events.out.tfevents.*; do %s '%s/python/read_tfevents.py' \"$f\"; done > '%s/tb.txt'; "
           "test -s '%s/tb.txt'; ! grep '^scalar' '%s/tb.txt' | cut -d' ' -f2,3 | sort | uniq -d | grep -q .",
           run, py && py[0] ? py : "python3", DF_TEST_SOURCE_DIR, run, run, run);
  return system(cmd) == 0;
}

/* The rollbacks in notices past step `after` as "STEP:K" list (into out); returns the step of
 * a checkpoint the run rolled back to after it had recovered from an earlier rollback (-1:
 * none), i.e. a place to split the run where the rollback count must carry over. */
static long long rollbacks_after(const char *text, const char *run, long long after, char *out, size_t len) {
  long long split = -1, last_step = -1;
  out[0] = '\0';
  for (const char *at = text; (at = strstr(at, "rolling back to "));) {
    const char *line = at;
    while (line > text && line[-1] != '\n') line--;
    long long step, to;
    int k;
    char fmt[4600];
    snprintf(fmt, sizeof fmt, "rolling back to %s/checkpoints/ckpt-%%lld.safetensors (rollback %%d", run);
    if (sscanf(line, "step %lld", &step) == 1 && sscanf(at, fmt, &to, &k) == 2 && step > after) {
      snprintf(out + strlen(out), len - strlen(out), "%s%lld:%d", out[0] ? " " : "", step, k);
      if (split < 0 && last_step >= 0 && to >= last_step) split = to;
      last_step = step;
    }
    at += 16;
  }
  return split;
}

int main(void) {
  df_test_begin("test_train");
  df_test_scratch_dir("train", scratch, sizeof scratch);
  if (df_test_make_dataset(scratch, 6, 1.0, dataset, sizeof dataset)) {
    df_test_fail("dataset", "could not build the test dataset");
    return df_test_finish();
  }
  char config[4300], run_a[4300], run_b[4300], run_c[4300];
  static const char *const every_step[] = {"train.checkpoint_every_steps=1", "train.keep_last=100",
                                           "train.tensorboard=true", NULL};
  df_test_write_smoke_config(scratch, "smoke", every_step, config, sizeof config);

  /* 1. An uninterrupted run of 6 steps. */
  snprintf(run_a, sizeof run_a, "%s/run_a", scratch);
  df_train_result res;
  if (!df_expect_ok(train(config, run_a, 6, &res), "uninterrupted smoke run")) return df_test_finish();
  df_expect_true(res.step == 6, "the run stops at --steps");
  char p1[4300], p6[4300], path[4400];
  ckpt_path(run_a, 1, p1, sizeof p1);
  ckpt_path(run_a, 6, p6, sizeof p6);
  df_expect_true(file_exists(p1) && file_exists(p6), "checkpoints are written on schedule");
  snprintf(path, sizeof path, "%s/metrics.jsonl", run_a);
  char *text;
  size_t len;
  if (df_expect_ok(df_read_file(path, &text, &len), "metrics.jsonl exists")) {
    df_expect_true(strstr(text, "\"step\": 1,") && strstr(text, "\"step\": 5,") && strstr(text, "\"gp\""),
                   "metrics.jsonl has the logged steps and the penalty");
    /* The losses move: the first and last logged critic and generator losses differ. */
    double d_first = 0, d_last = 0, g_first = 0, g_last = 0;
    int lines = 0;
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
      char *d = strstr(line, "\"d_loss\": "), *g = strstr(line, "\"g_loss\": ");
      if (!d || !g) continue;
      double dv = atof(d + 10), gv = atof(g + 10);
      if (lines++ == 0) {
        d_first = dv;
        g_first = gv;
      }
      d_last = dv;
      g_last = gv;
    }
    printf("     d_loss %.4g -> %.4g, g_loss %.4g -> %.4g over %d logged steps\n", d_first, d_last, g_first, g_last, lines);
    df_expect_true(lines >= 2 && d_first != d_last && g_first != g_last, "the losses move during training");
    free(text);
  }
  snprintf(path, sizeof path, "%s/previews/step-000000006/00.wav", run_a);
  df_expect_true(file_exists(path), "previews are written at checkpoints");
  snprintf(path, sizeof path, "%s/config.ini", run_a);
  if (df_expect_ok(df_read_file(path, &text, &len), "the resolved config is in the run folder")) {
    df_expect_true(strstr(text, dataset) != NULL, "config.ini records the --data dataset as data.path");
    free(text);
  }
  char cmd[4600];
  snprintf(cmd, sizeof cmd, "ls '%s'/events.out.tfevents.* > /dev/null 2>&1", run_a);
  df_expect_true(system(cmd) == 0, "train.tensorboard writes an event file");
  /* The generator changed between the first and the last checkpoint. */
  df_st_file *f1, *f6;
  if (df_expect_ok(df_st_open(p1, &f1), "open") && df_expect_ok(df_st_open(p6, &f6), "open")) {
    const df_st_tensor *w1, *w6;
    df_st_find(f1, "G.fc.weight", &w1);
    df_st_find(f6, "G.fc.weight", &w6);
    df_expect_true(memcmp(w1->data, w6->data, w1->nbytes) != 0, "training changes the generator");
    df_st_close(f1);
    df_st_close(f6);
  }

  /* 2. Stop at 3, resume to 6: bit-identical to the uninterrupted run. */
  snprintf(run_b, sizeof run_b, "%s/run_b", scratch);
  df_expect_ok(train(config, run_b, 3, &res), "first half");
  df_expect_ok(train(NULL, run_b, 6, &res), "resumed second half (no --config)");
  ckpt_path(run_b, 6, path, sizeof path);
  df_test_same_checkpoints(path, p6, "resume reproduces the uninterrupted run bit for bit");

  /* 2a. A session killed after step 6 whose last checkpoints never made it to the disk: the
   * resume from step 3 drops what metrics.jsonl and the TensorBoard file hold past it, so each
   * step is logged once, and the previews of steps 4-6 are those of this session (here with
   * fewer previews per checkpoint) while a file the user put beside them stays. */
  char run_a2[4300];
  snprintf(run_a2, sizeof run_a2, "%s/run_a2", scratch);
  snprintf(cmd, sizeof cmd,
           "rm -rf '%s' && cp -r '%s' '%s' && rm '%s'/checkpoints/ckpt-00000000[456].safetensors && "
           "echo notes > '%s'/previews/step-000000006/notes.txt",
           run_a2, run_a, run_a2, run_a2, run_a2);
  if (df_expect_true(system(cmd) == 0, "a copy of the run without its last three checkpoints")) {
    static const char *const two_previews[] = {"train.preview_count=2", NULL};
    df_expect_ok(train_with(NULL, dataset, run_a2, 6, two_previews, &res), "resume from step 3");
    int lines;
    df_expect_true(metrics_steps_increase(run_a2, &lines), "metrics.jsonl has each logged step once after the resume");
    df_expect_true(tb_steps_unique(run_a2), "... and so have the TensorBoard files");
    snprintf(cmd, sizeof cmd, "cd '%s'/previews/step-000000006 && test \"$(ls | tr '\\n' ' ')\" = '00.wav 01.wav notes.txt '",
             run_a2);
    df_expect_true(system(cmd) == 0, "a step reached again holds this session's previews only, and the user's file");
  }

  /* 2a'. A checkpoint is its step's commit: a session that stops between a step's previews and
   * its checkpoint (here the previews cannot be written: their folder's name is taken by a
   * file) has not written that checkpoint, so the resume writes the step's previews and their
   * TensorBoard audio (once: one 4-preview set at step 2, as in the uninterrupted run). */
  char run_p[4300];
  snprintf(run_p, sizeof run_p, "%s/run_previews", scratch);
  df_expect_ok(train(config, run_p, 1, &res), "one step");
  snprintf(cmd, sizeof cmd, "%s/previews/step-000000002", run_p);
  df_test_write_text(cmd, "in the way");
  df_expect_true(train(NULL, run_p, 3, &res) != DF_OK, "a step whose previews cannot be written fails the run");
  ckpt_path(run_p, 2, path, sizeof path);
  df_expect_true(!file_exists(path), "... before its checkpoint is written");
  unlink(cmd);
  df_expect_ok(train(NULL, run_p, 3, &res), "resume once the previews can be written");
  snprintf(cmd, sizeof cmd,
           "test \"$(ls '%s'/previews/step-000000002 | tr '\\n' ' ')\" = '00.wav 01.wav 02.wav 03.wav ' && "
           "for f in '%s'/events.out.tfevents.*; do %s '%s/python/read_tfevents.py' \"$f\"; done | "
           "grep -c '^audio 2 ' | grep -qx 4",
           run_p, run_p, getenv("DF_PYTHON") && getenv("DF_PYTHON")[0] ? getenv("DF_PYTHON") : "python3",
           DF_TEST_SOURCE_DIR);
  df_expect_true(system(cmd) == 0, "the resumed step 2 has its 4 previews, and their audio once in TensorBoard");
  /* Previews past the step resumed from that have no checkpoint (a session killed before the
   * checkpoint) go; a file the user put beside them stays. */
  snprintf(cmd, sizeof cmd,
           "cp -r '%s'/previews/step-000000003 '%s'/previews/step-000000005 && "
           "cp -r '%s'/previews/step-000000003 '%s'/previews/step-000000006 && echo notes > '%s'/previews/step-000000006/notes.txt",
           run_p, run_p, run_p, run_p, run_p);
  if (df_expect_true(system(cmd) == 0, "previews of steps 5 and 6 without checkpoints")) {
    df_expect_ok(train(NULL, run_p, 3, &res), "resume at the step limit");
    snprintf(cmd, sizeof cmd, "test ! -e '%s'/previews/step-000000005 && test \"$(ls '%s'/previews/step-000000006)\" = notes.txt",
             run_p, run_p);
    df_expect_true(system(cmd) == 0, "previews past the resumed step without a checkpoint are removed, the user's file stays");
  }

  /* 2b. Checkpoints name the device, thread count and BLAS kernels they were written with; a
   * resume with another thread count (CPU results are bitwise reproducible per thread count
   * and kernel family) says so. */
  ckpt_path(run_b, 3, path, sizeof path);
  df_checkpoint_state cs;
  char want[96];
  snprintf(want, sizeof want, "cpu (%d threads, OpenBLAS %s)", omp_get_max_threads(), openblas_get_corename());
  if (df_expect_ok(df_checkpoint_read_state(path, &cs), "read a checkpoint's state")) {
    printf("     written on: %s\n", cs.compute);
    df_expect_true(!strcmp(cs.compute, want), "the checkpoint records the device, thread count and BLAS kernels");
    df_checkpoint_state_free(&cs);
  }
  df_expect_true(moved_notices == 0, "no notice when resuming with the same thread count");
  char run_m[4300];
  snprintf(run_m, sizeof run_m, "%s/run_moved", scratch);
  const int threads = omp_get_max_threads();
  df_expect_ok(train(config, run_m, 1, &res), "one step");
  omp_set_num_threads(threads + 1);
  df_expect_ok(train(NULL, run_m, 2, &res), "resumed with one more thread");
  omp_set_num_threads(threads);
  df_expect_true(moved_notices == 1, "resuming with another thread count gives a notice");

  /* 3. SIGKILL at an arbitrary moment, then resume. */
  snprintf(run_c, sizeof run_c, "%s/run_kill", scratch);
  pid_t pid = spawn_train(config, run_c, 6);
  for (int i = 0; i < 600 && count_checkpoints(run_c) < 2; i++) sleep_ms(50);
  sleep_ms(37); /* somewhere inside a step, or a checkpoint write */
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  df_expect_true(WIFSIGNALED(status), "the training process was killed");
  int before = count_checkpoints(run_c);
  printf("     killed with %d checkpoint(s) on disk\n", before);
  df_expect_ok(train(NULL, run_c, 6, &res), "resume after SIGKILL");
  ckpt_path(run_c, 6, path, sizeof path);
  df_test_same_checkpoints(path, p6, "SIGKILL + resume reproduces the uninterrupted run bit for bit");

  /* 4. SIGTERM: a checkpoint and exit status 0. */
  char run_t[4300];
  snprintf(run_t, sizeof run_t, "%s/run_term", scratch);
  static const char *const sparse[] = {"train.checkpoint_every_steps=1000", NULL};
  char config_sparse[4300];
  df_test_write_smoke_config(scratch, "smoke_sparse", sparse, config_sparse, sizeof config_sparse);
  pid = spawn_train(config_sparse, run_t, 1000);
  char metrics[4400];
  snprintf(metrics, sizeof metrics, "%s/metrics.jsonl", run_t);
  for (int i = 0; i < 600 && !file_exists(metrics); i++) sleep_ms(50);
  kill(pid, SIGTERM);
  waitpid(pid, &status, 0);
  df_expect_true(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGTERM exits with status 0");
  df_expect_true(count_checkpoints(run_t) >= 1, "SIGTERM writes a checkpoint");

  /* 5. A corrupt newest checkpoint is reported and skipped for the previous one. */
  ckpt_path(run_b, 6, path, sizeof path);
  FILE *fp = fopen(path, "r+b");
  if (fp) {
    fseek(fp, -100, SEEK_END);
    fputc(0x5a, fp);
    fclose(fp);
  }
  df_checkpoint_state st;
  df_status s = df_checkpoint_read_state(path, &st);
  df_expect_status(s, DF_ERR_FORMAT, "a flipped byte is detected by the checksum");
  df_expect_true(strstr(df_last_error(), "checksum") != NULL, "the error says checksum");
  char p5[4300];
  ckpt_path(run_b, 5, p5, sizeof p5);
  if (truncate(p5, 1000) != 0) perror("truncate");
  s = df_checkpoint_read_state(p5, &st);
  df_expect_status(s, DF_ERR_FORMAT, "a truncated checkpoint is detected");
  df_expect_ok(train(NULL, run_b, 6, &res), "resume past corrupt checkpoints");
  df_test_same_checkpoints(path, p6, "resuming from step 4 after skipping two bad checkpoints gives the same step 6");
  snprintf(cmd, sizeof cmd, "%s.corrupt", p5);
  df_expect_true(file_exists(cmd), "a skipped corrupt checkpoint is renamed aside to NAME.corrupt");

  /* 5b. Pruning never deletes valid checkpoints to keep corrupt ones: corrupt files past the
   * step resumed from are set aside, not counted among the newest. */
  for (int64_t bad = 100; bad <= 102; bad++) {
    ckpt_path(run_b, bad, path, sizeof path);
    df_test_write_text(path, "not a checkpoint, fifty bytes of junk............");
  }
  static const char *const keep_two[] = {"train.keep_last=2", NULL};
  df_expect_ok(df_test_train(NULL, dataset, run_b, 7, keep_two), "resume with junk checkpoints past the newest valid one");
  char p7[4300];
  ckpt_path(run_b, 6, path, sizeof path);
  ckpt_path(run_b, 7, p7, sizeof p7);
  df_expect_true(file_exists(path) && file_exists(p7), "the two newest valid checkpoints are kept");
  df_expect_true(!file_exists(p5), "older valid ones are pruned");
  ckpt_path(run_b, 101, path, sizeof path);
  snprintf(cmd, sizeof cmd, "%s.corrupt", path);
  df_expect_true(!file_exists(path) && file_exists(cmd), "the junk checkpoints are set aside, their bytes kept");
  /* An unloadable checkpoint past the current step (one the resume did not set aside) is
   * neither counted nor deleted. */
  ckpt_path(run_b, 50, path, sizeof path);
  df_test_write_text(path, "unreadable");
  df_expect_ok(df_run_prune_checkpoints(run_b, 2, 0, 7), "prune");
  df_expect_true(file_exists(path) && file_exists(p7), "pruning counts checkpoints up to the current step only");
  ckpt_path(run_b, 6, path, sizeof path);
  df_expect_true(file_exists(path), "... so the previous valid one stays");

  /* 5c. A checkpoint of another format version (a newer drumforge's) is skipped, not set aside. */
  ckpt_path(run_b, 200, path, sizeof path);
  copy_as_version(p7, path, "2");
  s = df_checkpoint_read_state(path, &st);
  df_expect_status(s, DF_ERR_UNSUPPORTED, "another format version is unsupported, not corrupt");
  df_expect_ok(train(NULL, run_b, 8, &res), "resume past a checkpoint of another format version");
  snprintf(cmd, sizeof cmd, "%s.corrupt", path);
  df_expect_true(file_exists(path) && !file_exists(cmd), "... which keeps its name");

  /* 5c'. A run folder whose checkpoints are all unreadable cannot resume, and --fresh refuses
   * it (it has checkpoints): the error says what to do, and the files stay for inspection. */
  char run_j[4300];
  snprintf(run_j, sizeof run_j, "%s/run_junk_only", scratch);
  snprintf(path, sizeof path, "%s/checkpoints", run_j);
  df_mkdirs(path);
  ckpt_path(run_j, 3, path, sizeof path);
  df_test_write_text(path, "not a checkpoint");
  s = train(config, run_j, 4, &res);
  if (s == DF_ERR_NOT_FOUND && strstr(df_last_error(), "its 1 checkpoint(s) are unreadable") &&
      strstr(df_last_error(), "move them out of checkpoints/"))
    df_test_pass("a run whose only checkpoint is unreadable says to move it out");
  else
    df_test_fail("a run whose only checkpoint is unreadable says to move it out", "status %d: %s", s, df_last_error());
  df_expect_true(file_exists(path), "... and keeps it");

  /* 5c''. A stop signal at the last step leaves a complete run: it is not reported as stopped
   * (the command said "stopped at step N; resume with ..." for a finished run). */
  char run_last[4300];
  snprintf(run_last, sizeof run_last, "%s/run_signal_last_step", scratch);
  s = train_hooked(config, dataset, run_last, 2, NULL, sigterm_at_last_step, &res);
  df_expect_true(s == DF_OK && res.step == 2 && !res.stopped_by_signal,
                 "a stop signal at the last step: the run is complete, not stopped");

  /* 5d. One train per run folder: while the folder's lock is held, another is refused. */
  snprintf(path, sizeof path, "%s/.lock", run_b);
  int lock = open(path, O_RDWR | O_CREAT, 0666);
  if (df_expect_true(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0, "hold the run folder's lock")) {
    s = train(NULL, run_b, 9, &res);
    df_expect_true(s != DF_OK && strstr(df_last_error(), "another drumforge train is running"),
                   "a second train in a run folder in use is refused");
    close(lock);
  }

  /* 5e. What killed runs left is cleaned up on the next run: temporary files of a process that
   * is gone; a live process's stay. A resume that fails leaves config.ini as it was, and a
   * resumed run cannot change its seed or batch. */
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, NULL, 0);
  char dead_tmp[4400], live_tmp[4400], cfg_tmp[4400];
  snprintf(dead_tmp, sizeof dead_tmp, "%s/checkpoints/ckpt-000000099.safetensors.tmp.%ld", run_b, (long)child);
  snprintf(cfg_tmp, sizeof cfg_tmp, "%s/config.ini.tmp.%ld", run_b, (long)child);
  snprintf(live_tmp, sizeof live_tmp, "%s/checkpoints/ckpt-000000098.safetensors.tmp.1", run_b);
  df_test_write_text(dead_tmp, "half a checkpoint");
  df_test_write_text(cfg_tmp, "[train]\n");
  df_test_write_text(live_tmp, "pid 1 is alive");
  char *cfg_before = NULL, *cfg_after = NULL;
  size_t nb = 0, na = 0;
  snprintf(path, sizeof path, "%s/config.ini", run_b);
  df_read_file(path, &cfg_before, &nb);
  static const char *const seed5[] = {"train.seed=5", NULL};
  s = df_test_train(NULL, dataset, run_b, 9, seed5);
  df_expect_true(s == DF_ERR_CONFIG && strstr(df_last_error(), "keeps its seed"), "--set train.seed on resume is refused");
  char scratch_other[4300], other_dataset[4300];
  snprintf(scratch_other, sizeof scratch_other, "%s/other", scratch);
  if (df_test_make_dataset(scratch_other, 5, 1.0, other_dataset, sizeof other_dataset) == 0) {
    s = train_on(NULL, other_dataset, run_b, 9, &res);
    df_read_file(path, &cfg_after, &na);
    char what[1400];
    snprintf(what, sizeof what, "a resume on data that does not fit fails (%s) and leaves config.ini as it was",
             df_last_error());
    df_expect_true(s != DF_OK && cfg_before && cfg_after && nb == na && !memcmp(cfg_before, cfg_after, nb), what);
  }
  free(cfg_before);
  free(cfg_after);
  df_expect_ok(train(NULL, run_b, 9, &res), "resume to step 9");
  /* The run's own seed, batch and other values (its first command line, run again) are
   * accepted on resume. */
  static const char *const same[] = {"train.seed=0", "train.batch = 8", "optim.lr_g=0.0001", NULL};
  df_expect_ok(df_test_train(NULL, dataset, run_b, 9, same), "--set of the run's own values on resume");
  static const char *const lr[] = {"optim.lr_g=2e-4", NULL};
  s = df_test_train(NULL, dataset, run_b, 9, lr);
  df_expect_true(s == DF_ERR_CONFIG && strstr(df_last_error(), "only change train.* keys (the run has 1e-4)"),
                 "--set of another optim value on resume is refused");
  df_expect_true(!file_exists(dead_tmp) && !file_exists(cfg_tmp) && file_exists(live_tmp),
                 "a dead process's temporary files are removed, a live one's kept");
  unlink(live_tmp);

  /* 5f. A resume keeps the run's sample rate and classes: the same sounds at another rate, or
   * with other class ids, fit the loader's position but would train another model. */
  const char *const other_data[][2] = {{"rate22050", "--rate 22050"}, {"folders", "--labels folder"}};
  for (int k = 0; k < 2; k++) {
    char other[4300];
    snprintf(other, sizeof other, "%s/%s", scratch, other_data[k][0]);
    snprintf(cmd, sizeof cmd, "'%s' prepare --input '%s/audio' --out '%s' %s -q > /dev/null", DF_DRUMFORGE_EXE,
             scratch, other, other_data[k][1]);
    if (!df_expect_true(system(cmd) == 0, other_data[k][1])) continue;
    s = train_on(NULL, other, run_b, 10, &res);
    char what[1400];
    snprintf(what, sizeof what, "resuming on the sounds prepared with %s is refused (%s)", other_data[k][1], df_last_error());
    df_expect_true(s == DF_ERR_INVALID_ARG && strstr(df_last_error(), k ? "classes" : "22050 Hz"), what);
  }

  /* 5g. --steps is recorded as train.steps: a resume without it (after a preemption) trains
   * to it, not to the experiment file's limit; a limit below the run's step is refused; a
   * train.* change on resume is said. */
  snprintf(path, sizeof path, "%s/config.ini", run_b);
  if (df_expect_ok(df_read_file(path, &text, &len), "config.ini")) {
    df_expect_true(strstr(text, "steps = 9\n") != NULL, "config.ini records --steps as train.steps");
    free(text);
  }
  df_expect_ok(train(NULL, run_b, 0, &res), "resume without --steps");
  df_expect_true(res.step == 9, "... stays at the --steps given before, not the experiment's train.steps");
  s = train(NULL, run_b, 5, &res);
  df_expect_true(s == DF_ERR_INVALID_ARG && strstr(df_last_error(), "past the step limit 5"),
                 "--steps below the run's step is refused");
  static const char *const keep_four[] = {"train.keep_last=4", NULL};
  notices[0] = '\0';
  df_expect_ok(train_with(NULL, dataset, run_b, 10, keep_four, &res), "resume with --set train.keep_last=4");
  df_expect_true(strstr(notices, "resuming with train.keep_last = 4 (--set; the run had 2)") != NULL,
                 "a train.* key changed on resume is said, with the value it had");

  /* 6. An unknown config key. */
  char run_typo[4300];
  s = train_smoke_with("typo", "train.bacth=4", run_typo, sizeof run_typo);
  df_expect_status(s, DF_ERR_CONFIG, "an unknown key stops the run before training");
  df_expect_true(strstr(df_last_error(), "typo.ini:") && strstr(df_last_error(), "train.bacth"),
                 "the error names the file, line and key");
  df_expect_true(!file_exists(run_typo), "a run that fails before its first step leaves no run folder");
  df_expect_ok(df_mkdirs(run_typo), "an existing empty folder");
  train_smoke_with("typo", "train.bacth=4", run_typo, sizeof run_typo);
  snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", run_typo);
  df_expect_true(system(cmd) == 0, "... and leaves an existing folder untouched");

  /* 6a. A folder made beforehand and a run that fails late in setup (evaluation at every
   * checkpoint needs a test split, found missing once the folder is set up): what the run
   * wrote there goes again, the folder stays. */
  char notest[4300], run_late[4300], late_config[4300];
  snprintf(notest, sizeof notest, "%s/notest", scratch);
  snprintf(cmd, sizeof cmd, "'%s' prepare --input '%s/audio' --out '%s' --split 90,10,0 > /dev/null", DF_DRUMFORGE_EXE,
           scratch, notest);
  const char *const eval_on[] = {"train.eval_every_checkpoint=true", NULL};
  df_test_write_smoke_config(scratch, "late", eval_on, late_config, sizeof late_config);
  snprintf(run_late, sizeof run_late, "%s/run_late", scratch);
  if (df_expect_true(system(cmd) == 0, "prepare a dataset without a test split") &&
      df_expect_ok(df_mkdirs(run_late), "an existing empty folder")) {
    s = train_on(late_config, notest, run_late, 2, &res);
    df_expect_status(s, DF_ERR_INVALID_ARG, "evaluation without a test split fails the run's setup");
    snprintf(cmd, sizeof cmd, "test -d '%s' && test -z \"$(ls -A '%s')\"", run_late, run_late);
    df_expect_true(system(cmd) == 0, "... and the folder it found empty is empty again (no config.ini, checkpoints/)");
  }

  /* 6a'. A learning rate of 0 (accepted once, training nothing) is refused, naming the key. */
  char run_lr0[4300];
  s = train_smoke_with("lr0", "optim.lr_d=0", run_lr0, sizeof run_lr0);
  df_expect_true(s == DF_ERR_CONFIG && strstr(df_last_error(), "optim.lr_d") && strstr(df_last_error(), "never change"),
                 "optim.lr_d = 0 is refused, naming the key");

  /* 6b. A model whose sounds are not the dataset's length is refused before anything runs. */
  char run_long[4300];
  s = train_smoke_with("long", "model.slice_len=32768", run_long, sizeof run_long);
  df_expect_status(s, DF_ERR_CONFIG, "a model length other than the dataset's is refused");
  df_expect_true(strstr(df_last_error(), dataset) && strstr(df_last_error(), "16384") && strstr(df_last_error(), "32768"),
                 "the error names the dataset and both lengths");
  df_expect_true(!file_exists(run_long), "... and leaves no run folder");

  /* 7. A loss that turns non-finite: audio near the float range overflows the critic. */
  char scratch_nan[4300], nan_dataset[4300];
  snprintf(scratch_nan, sizeof scratch_nan, "%s/huge", scratch);
  if (df_test_make_dataset(scratch_nan, 4, 3e38, nan_dataset, sizeof nan_dataset)) {
    df_test_fail("a dataset near the float range", "could not be made");
  } else {
    char run_nan[4300];
    snprintf(run_nan, sizeof run_nan, "%s/run_nan", scratch);
    s = train_on(config, nan_dataset, run_nan, 4, &res);
    df_expect_status(s, DF_ERR_NUMERIC, "a non-finite loss stops the run");
    df_expect_true(strstr(df_last_error(), "step ") && strstr(df_last_error(), "checkpoint"),
                   "the error names the step and the last good checkpoint");
  }

  /* 7b. train.on_nan = rollback with a learning rate that diverges every time: the run goes
   * back to its last checkpoint three times, then stops; metrics.jsonl and the TensorBoard
   * file hold each step once (what was logged past the checkpoint is dropped at each rollback). */
  char run_roll[4300];
  snprintf(run_roll, sizeof run_roll, "%s/run_rollback", scratch);
  static const char *const diverge[] = {"optim.lr_g=1", "optim.lr_d=1", "train.on_nan=rollback", "train.log_every=1",
                                        "train.checkpoint_every_steps=2", NULL};
  notices[0] = '\0';
  s = train_with(config, dataset, run_roll, 40, diverge, &res);
  df_expect_true(s == DF_ERR_NUMERIC && strstr(notices, "(rollback 3 of 3)"), "a run that keeps diverging rolls back 3 times, then stops");
  int lines;
  df_expect_true(metrics_steps_increase(run_roll, &lines) && lines > 2, "... and metrics.jsonl has one line per logged step");
  df_expect_true(tb_steps_unique(run_roll), "... and so has the TensorBoard file");

  /* 7c. Rollbacks are counted per checkpoint, so a run resumed after one takes the
   * uninterrupted run's path: with settings that diverge, recover after a rollback, write a
   * checkpoint M and diverge again, the run split at M rolls back at the same steps with the
   * same numbers (each counter part of the stream) as the uninterrupted one. */
  const char *flaky[] = {"optim.lr_g=1", "optim.lr_d=1", "train.on_nan=rollback", "train.checkpoint_every_steps=2",
                         "train.tensorboard=false", "train.preview_count=0", NULL, NULL};
  char run_u[4300], run_s[4300], seed[32], rolls_u[8192] = "", rolls_s[8192] = "";
  long long split = -1;
  for (int k = 0; k < 4 && split < 0; k++) { /* settings that diverge twice on this CPU */
    snprintf(seed, sizeof seed, "train.seed=%d", k);
    flaky[6] = seed;
    snprintf(run_u, sizeof run_u, "%s/run_flaky_%d", scratch, k);
    notices[0] = '\0';
    train_with(config, dataset, run_u, 40, flaky, &res);
    split = rollbacks_after(notices, run_u, -1, rolls_u, sizeof rolls_u);
    printf("     seed %d: rollbacks %s\n", k, rolls_u[0] ? rolls_u : "none");
  }
  if (df_expect_true(split > 0, "settings that roll back, recover and diverge again after a checkpoint")) {
    printf("     uninterrupted: %s; split at step %lld\n", rolls_u, split);
    rollbacks_after(notices, run_u, split, rolls_u, sizeof rolls_u);
    snprintf(run_s, sizeof run_s, "%s/run_flaky_split", scratch);
    df_expect_ok(train_with(config, dataset, run_s, split, flaky, &res), "the run to the split");
    notices[0] = '\0';
    train_with(NULL, dataset, run_s, 40, NULL, &res);
    rollbacks_after(notices, run_s, split, rolls_s, sizeof rolls_s);
    printf("     past step %lld: uninterrupted %s, resumed %s\n", split, rolls_u, rolls_s);
    df_expect_true(rolls_u[0] && !strcmp(rolls_u, rolls_s), "the resumed run rolls back as the uninterrupted one did");
  }

  /* 8. Finite losses but a non-finite Adam moment (gradients beyond 1.8e19 square to Inf): the
   * checkpoint that loading would refuse is not written; the run stops naming the tensor. */
  char scratch_big[4300], big_dataset[4300];
  snprintf(scratch_big, sizeof scratch_big, "%s/big", scratch);
  if (df_test_make_dataset(scratch_big, 4, 1e22, big_dataset, sizeof big_dataset)) {
    df_test_fail("a dataset at 1e22", "could not be made");
  } else {
    char run_big[4300], ckpt2[4400];
    snprintf(run_big, sizeof run_big, "%s/run_big", scratch);
    s = train_on(config, big_dataset, run_big, 2, &res);
    char what[1400];
    snprintf(what, sizeof what, "non-finite weights with finite losses stop the run at the checkpoint (got: %s)",
             df_last_error());
    df_expect_true(s == DF_ERR_NUMERIC && strstr(df_last_error(), "not saved") &&
                       strstr(df_last_error(), "non-finite value"),
                   what);
    snprintf(ckpt2, sizeof ckpt2, "%s/checkpoints/ckpt-000000001.safetensors", run_big);
    df_expect_true(!file_exists(ckpt2), "... and that checkpoint is not written");
  }
  return df_test_finish();
}
