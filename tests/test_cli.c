/* The command line: --help for the command and every subcommand, unknown commands and
 * options (one line naming the option, from every subcommand), and device selection (--device cuda without a usable GPU fails with a clear
 * message; --device auto falls back to the CPU with a one-line notice). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/testlib.h"

static char out_path[4200];

/* Runs drumforge with args (a shell fragment), capturing stdout+stderr; returns the exit code. */
static int run(const char *args, char **output) {
  char cmd[8800];
  snprintf(cmd, sizeof cmd, "'%s' %s > '%s' 2>&1", DF_DRUMFORGE_EXE, args, out_path);
  int st = system(cmd);
  size_t len;
  if (df_read_file(out_path, output, &len) != DF_OK) *output = strdup("");
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect_run(const char *args, int code, const char *needle, const char *what) {
  char *out;
  int rc = run(args, &out);
  if (rc == code && (!needle || strstr(out, needle))) {
    df_test_pass(what);
  } else {
    df_test_fail(what, "exit %d (want %d); output: %.300s", rc, code, out);
  }
  free(out);
}

/* The GOMP_SPINCOUNT the command's OpenMP runtime ended up with (libgomp prints its settings
 * at load with OMP_DISPLAY_ENV=verbose; the last print is the running image's), or "". */
static void spin_count(char *out, size_t len) {
  char *text;
  run("--version", &text);
  const char *last = NULL;
  for (const char *p = strstr(text, "GOMP_SPINCOUNT = '"); p; p = strstr(p + 1, "GOMP_SPINCOUNT = '")) last = p;
  snprintf(out, len, "%s", "");
  if (last) sscanf(last, "GOMP_SPINCOUNT = '%31[0-9]'", out);
  free(text);
}

/* Idle OpenMP threads spin briefly by default (libgomp's long spinning took the CPU from the
 * working threads on a busy machine: 14x slower training), unless the user chose a policy. */
static void wait_policy(void) {
  char count[32];
  setenv("OMP_DISPLAY_ENV", "verbose", 1);
  unsetenv("OMP_WAIT_POLICY");
  unsetenv("GOMP_SPINCOUNT");
  spin_count(count, sizeof count);
  if (!strcmp(count, "1000")) df_test_pass("idle OpenMP threads spin 1000 rounds by default");
  else df_test_fail("idle OpenMP threads spin 1000 rounds by default", "GOMP_SPINCOUNT '%s'", count);
  setenv("GOMP_SPINCOUNT", "12345", 1);
  spin_count(count, sizeof count);
  if (!strcmp(count, "12345")) df_test_pass("... unless the user set GOMP_SPINCOUNT");
  else df_test_fail("... unless the user set GOMP_SPINCOUNT", "GOMP_SPINCOUNT '%s'", count);
  unsetenv("GOMP_SPINCOUNT");
  setenv("OMP_WAIT_POLICY", "active", 1);
  spin_count(count, sizeof count);
  if (strcmp(count, "1000") && count[0]) df_test_pass("... or OMP_WAIT_POLICY");
  else df_test_fail("... or OMP_WAIT_POLICY", "GOMP_SPINCOUNT '%s'", count);
  unsetenv("OMP_WAIT_POLICY");
  unsetenv("OMP_DISPLAY_ENV");
}

int main(void) {
  df_test_begin("test_cli");
  char dir[4096];
  df_test_scratch_dir("cli", dir, sizeof dir);
  snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
  expect_run("--help", 0, "usage: drumforge COMMAND", "drumforge --help");
  expect_run("", 2, "usage:", "no command is a usage error");
  expect_run("frobnicate", 2, "unknown command 'frobnicate'", "an unknown command is named");
  expect_run("--version", 0, "drumforge ", "--version");
  wait_policy();
  static const char *const subs[] = {"prepare", "inspect", "train", "generate", "encode", "interpolate",
                                     "eval", "report", "export", "import", "info"};
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
    char args[64], what[96];
    snprintf(args, sizeof args, "%s --help", subs[i]);
    snprintf(what, sizeof what, "drumforge %s --help", subs[i]);
    expect_run(args, 0, "usage:", what);
    /* getopt's own message is off: one line naming the option, from every subcommand. */
    char *out, want[96];
    snprintf(args, sizeof args, "%s --bogus", subs[i]);
    snprintf(want, sizeof want, "drumforge %s: unknown option '--bogus'", subs[i]);
    int rc = run(args, &out);
    snprintf(what, sizeof what, "drumforge %s --bogus: exit 2, one line naming the option", subs[i]);
    df_expect_true(rc == 2 && strstr(out, want) == out && strchr(out, '\n') == out + strlen(out) - 1, what);
    free(out);
  }
  expect_run("encode -o", 2, "option '-o' needs a value", "a short option without its value is named");
  expect_run("prepare -z", 2, "unknown option '-z'", "an unknown short option is named");
  expect_run("prepare -i in -o out --split inf,1,1", 2, "--split needs three shares",
             "prepare: an infinite split share is a usage error (it sent every file to test)");
  expect_run("prepare -i in -o out --split 1e308,1e308,1e308", 2, "add up to inf",
             "prepare: split shares whose sum overflows are a usage error");
  expect_run("prepare -i in -o out --bpm 10", 2, "bpm 10 outside [20, 400]",
             "prepare: an option out of range is a usage error (exit 2), not a failed run");
  expect_run("prepare -i in -o out --loops 10 --humanize-ms 1e6", 2, "humanize 1e+06 ms outside [0, 60]",
             "prepare: --humanize-ms beyond half a 16th step is a usage error");
  expect_run("prepare -i in -o out --humanize-ms 10", 2, "--humanize-ms needs --loops",
             "prepare: a loop option without --loops is a usage error (it was ignored)");
  expect_run("prepare -i in -o out --loop-bpm 90", 2, "--loop-bpm needs --loops", "prepare: --loop-bpm without --loops");
  expect_run("prepare -i in -o out --loops 10 --bars 2", 2, "--bars needs --bpm",
             "prepare: --bars with --loops is a usage error (the loops came out one bar long)");
  expect_run("prepare -i in -o out --aug-snr 10", 2, "--aug-snr needs --augment",
             "prepare: an --aug-* option without --augment is a usage error (it was ignored)");
  expect_run("prepare -i in -o out --trim-db -30 --no-trim", 2, "contradict",
             "prepare: --trim-db with --no-trim is a usage error");
  expect_run("train --run x --set model.d", 2, "--set 'model.d' is not of the form section.key=value",
             "--set without a value is a usage error");
  expect_run("train --run x --set d=4", 2, "is not of the form", "--set without a section is a usage error");
  expect_run("encode --checkpoint x -i a.wav --out /", 2, "--out /: that is a folder",
             "encode --out naming a folder is a usage error before the model loads");
  expect_run("eval --checkpoint x --data d --out /nonexistent/e.json", 2, "/nonexistent is not a folder",
             "eval --out in a missing folder is a usage error before any work");
  expect_run("train --run x --fresh --resume", 2, "give one of --resume and --fresh",
             "contradictory --fresh and --resume are a usage error");
  expect_run("train -c x.ini", 2, "unknown option '-c'",
             "a letter that is only a long option's internal value is an unknown short option");
  expect_run("train --bogus-option", 2, NULL, "an unknown option is a usage error");
  expect_run("info cuda", 2, "drumforge info: unexpected argument 'cuda'", "info: an argument is a usage error (it was ignored)");
  expect_run("train --run x --device tpu", 2, "unknown device 'tpu'", "a bad --device value is named");
  if (!df_test_gpu()) {
    char args[4400];
    snprintf(args, sizeof args, "train --run '%s/r' --config nonexistent.ini --device cuda", dir);
    expect_run(args, 1, "no usable GPU", "--device cuda without a GPU fails with a clear message");
    snprintf(args, sizeof args, "train --run '%s/r2' --config '%s/missing.ini' --device auto", dir, dir);
    char *out;
    run(args, &out);
    df_expect_true(!df_cuda_compiled() || strstr(out, "running on the CPU") != NULL,
                   "--device auto falls back to the CPU with a notice (CUDA builds)");
    df_expect_true(strstr(out, "missing.ini") != NULL, "a missing config file is named");
    free(out);
  } else {
    printf("note: the fallback cases need a machine without a GPU; not run here\n");
  }
  return df_test_finish();
}
