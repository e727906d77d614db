/* A killed prepare never leaves a shard or manifest that looks complete: `drumforge prepare`
 * runs in a child process and is killed (SIGKILL) at several moments; afterwards every file under a
 * final name opens and holds what the manifest of a clean run says, unfinished files are in
 * the work folder (OUT/.prepare.tmp.PID), a killed run over a complete dataset leaves it whole,
 * and a rerun gives the clean run's result exactly and removes the killed runs' work folders. */
#include <signal.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "common/datafiles.h"
#include "common/testlib.h"

static char in[4200];

/* Starts `drumforge prepare` writing to out; returns its pid. */
static pid_t start(const char *out) {
  char *argv[] = {DF_DRUMFORGE_EXE, "prepare", "--input", in, "--out", (char *)out, "--augment", "4",
                  "--shard-size", "64", "--labels", "none", "--quiet", NULL};
  fflush(stdout); /* or the child would print our buffered lines again */
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout)) _exit(126);
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

static int finish(pid_t pid) {
  int status;
  waitpid(pid, &status, 0);
  return status;
}

static int is_temp(const char *name) { return strstr(name, ".tmp.") != NULL; }

/* Files in the work folders (.prepare.tmp.PID) inside dir; *folders counts the folders. */
static int work_files(const char *dir, int *folders) {
  int files = 0;
  *folders = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
    if (strncmp(e->d_name, ".prepare.tmp.", 13)) continue;
    (*folders)++;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    DIR *w = opendir(path);
    for (struct dirent *f = w ? readdir(w) : NULL; f; f = readdir(w)) files += f->d_name[0] != '.';
    if (w) closedir(w);
  }
  if (d) closedir(d);
  return files;
}

/* Every final-named file in dir: a shard that opens with the clean run's example count, or
 * a manifest equal to the clean one. Returns the number of problems; counts finals/temps. */
static int check_dir(const char *dir, const char *clean, int *finals, int *temps) {
  int problems = 0;
  *finals = *temps = 0;
  DIR *d = opendir(dir);
  if (!d) return 0;
  for (struct dirent *e = readdir(d); e; e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char path[4400], ref[4400];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    snprintf(ref, sizeof ref, "%s/%s", clean, e->d_name);
    if (is_temp(e->d_name)) {
      (*temps)++;
      continue;
    }
    (*finals)++;
    if (!df_test_same_file(path, ref)) {
      printf("  %s differs from the clean run's\n", e->d_name);
      problems++;
    }
  }
  closedir(d);
  return problems;
}

int main(void) {
  df_test_begin("test_prepare_killed");
  char root[4096], clean[4200], out[4200], what[256];
  df_test_scratch_dir("prepare_killed", root, sizeof root);
  snprintf(in, sizeof in, "%s/in", root);
  mkdir(in, 0777);
  float x[20000];
  for (int f = 0; f < 120; f++) {
    char path[4400];
    snprintf(path, sizeof path, "%s/f%03d.wav", in, f);
    df_test_tone(x, 1, 20000, 44100, 0, 60.0 + 7 * f);
    df_test_write_sndfile(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, 20000, x);
  }
  snprintf(clean, sizeof clean, "%s/clean", root);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int st = finish(start(clean));
  if (!df_expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a clean run")) return df_test_finish();
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double full = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);

  snprintf(out, sizeof out, "%s/killed", root);
  int interrupted = 0, partial = 0;
  for (int k = 1; k <= 8; k++) {
    pid_t pid = start(out);
    /* Kill at k/9 of a clean run's time. */
    struct timespec wait = {0, (long)(full * k / 9.0 * 1e9)};
    while (wait.tv_nsec >= 1000000000L) wait.tv_sec++, wait.tv_nsec -= 1000000000L;
    nanosleep(&wait, NULL);
    kill(pid, SIGKILL);
    int killed = WIFSIGNALED(finish(pid));
    interrupted += killed;
    int finals, temps;
    int problems = check_dir(out, clean, &finals, &temps);
    char manifest[4400];
    snprintf(manifest, sizeof manifest, "%s/manifest.json", out);
    int has_manifest = access(manifest, F_OK) == 0;
    int folders;
    partial += killed && work_files(out, &folders) > 0;
    snprintf(what, sizeof what, "kill at %d/9 (%s): %d final-named files all complete and correct, %d temporary",
             k, killed ? "killed" : "had finished", finals, temps);
    df_expect_true(problems == 0, what);
    if (killed && has_manifest) {
      /* A manifest can exist only if the run got to its very end. */
      df_expect_true(finals > 1, "a manifest only beside all its shards");
    }
  }
  snprintf(what, sizeof what, "runs were killed mid-way, after writing some shards to the work folder (%d of 8 killed, %d mid-way)",
           interrupted, partial);
  df_expect_true(partial > 0, what);
  st = finish(start(out));
  df_expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rerun over the killed run's folder");
  int finals, temps;
  int problems = check_dir(out, clean, &finals, &temps);
  snprintf(what, sizeof what, "the rerun equals the clean run (%d files, %d problems), no temporary files left", finals, problems);
  int clean_files, clean_temps;
  check_dir(clean, clean, &clean_files, &clean_temps);
  df_expect_true(problems == 0 && temps == 0 && finals == clean_files, what);
  int folders;
  work_files(out, &folders);
  df_expect_true(folders == 0, "the rerun removed the killed runs' work folders");

  /* Killed half-way over a complete dataset: the dataset stays whole. */
  pid_t pid = start(out);
  struct timespec half = {(time_t)(full / 2), (long)((full / 2 - (double)(time_t)(full / 2)) * 1e9)};
  nanosleep(&half, NULL);
  kill(pid, SIGKILL);
  finish(pid);
  problems = check_dir(out, clean, &finals, &temps);
  snprintf(what, sizeof what, "killed over a complete dataset: it is still whole (%d of %d files, %d problems)",
           finals, clean_files, problems);
  df_expect_true(problems == 0 && finals == clean_files, what);
  return df_test_finish();
}
