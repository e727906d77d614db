/* Crash-safe writes: the committed file has the content, no temporary is left behind (a killed
 * writer's are removed by the next write of the file), an
 * aborted write leaves the old file untouched, errors name the file, and reading a folder
 * says so; a stop signal (the trainer's SIGTERM handler) does not fail a write it interrupts. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "train/signals.h"

/* The writers write through stdio, and glibc's fwrite gives up on EINTR: a SIGTERM that
 * interrupts a blocked write (a slow or network file system; here a full pipe whose reader
 * waits) must restart it, not fail the checkpoint being written. */
static void stop_signal_during_write(void) {
  int fds[2];
  if (pipe(fds) != 0) return;
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  char chunk[4096] = {0};
  while (write(fds[1], chunk, sizeof chunk) > 0) continue; /* full: the next write blocks */
  fcntl(fds[1], F_SETFL, 0);
  pid_t child = fork();
  if (child == 0) {
    close(fds[1]);
    usleep(300 * 1000);
    kill(getppid(), SIGTERM);
    usleep(200 * 1000);
    while (read(fds[0], chunk, sizeof chunk) > 0) continue;
    _exit(0);
  }
  close(fds[0]);
  df_signals_install();
  alarm(30); /* a hang fails the test */
  enum { N = 1 << 20 };
  char *big = calloc(1, N);
  FILE *fp = fdopen(fds[1], "wb");
  size_t n = big && fp ? fwrite(big, 1, N, fp) : 0;
  int ok = n == N && fflush(fp) == 0 && !ferror(fp);
  if (fp) fclose(fp);
  alarm(0);
  waitpid(child, NULL, 0);
  int stopped = df_signals_stop_requested();
  df_signals_restore();
  free(big);
  char what[200];
  snprintf(what, sizeof what, "a SIGTERM during a blocked write: the write completes (%zu of %d bytes) and the stop is noted",
           n, (int)N);
  df_expect_true(ok && stopped == SIGTERM, what);
}

/* Temporaries a killed writer of a file left (its PID gone) go with the next write of the
 * file; a live writer's, and another file's, stay. */
static void stale_temporaries(const char *dir, const char *path) {
  char stale[4400], live[4400], other[4400];
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, NULL, 0);
  snprintf(stale, sizeof stale, "%s.tmp.%ld.3", path, (long)gone);
  df_test_write_text(stale, "half");
  snprintf(live, sizeof live, "%s.tmp.%ld.99", path, (long)getpid());
  df_test_write_text(live, "half");
  snprintf(other, sizeof other, "%s/a/b/other.bin.tmp.%ld.0", dir, (long)gone);
  df_test_write_text(other, "half");
  df_expect_ok(df_write_file_atomic(path, "hello", 5), "atomic write again");
  df_expect_true(access(stale, F_OK) != 0 && access(live, F_OK) == 0 && access(other, F_OK) == 0,
                 "it removed the temporaries a killed writer of the file left, only those");
  unlink(live);
  unlink(other);
}

int main(void) {
  df_test_begin("test_fileio");
  char dir[4096], path[4200];
  df_test_scratch_dir("fileio", dir, sizeof dir);
  snprintf(path, sizeof path, "%s/a/b/file.bin", dir);
  char parent[4200];
  snprintf(parent, sizeof parent, "%s/a/b", dir);
  df_expect_ok(df_mkdirs(parent), "mkdirs creates nested folders");
  df_expect_ok(df_write_file_atomic(path, "hello", 5), "atomic write");
  char *data;
  size_t len;
  if (df_expect_ok(df_read_file(path, &data, &len), "read back")) {
    df_expect_true(len == 5 && memcmp(data, "hello", 5) == 0, "content round-trips");
    free(data);
  }
  df_expect_true(df_test_count_temporaries(parent) == 0, "no temporary file remains after commit");

  stale_temporaries(dir, path);

  df_atomic_file f;
  df_expect_ok(df_atomic_open(&f, path), "open for overwrite");
  fputs("half-written", f.fp);
  df_atomic_abort(&f);
  if (df_expect_ok(df_read_file(path, &data, &len), "read after abort")) {
    df_expect_true(len == 5 && memcmp(data, "hello", 5) == 0, "abort leaves the old file intact");
    free(data);
  }
  df_expect_true(df_test_count_temporaries(parent) == 0, "abort removes the temporary file");

  /* Two writers of one path in one process each have their own temporary file: the second
   * one's open used to truncate the first one's (one name per process), and a commit then
   * failed or renamed the other's half-written data into place. */
  df_atomic_file w1, w2;
  if (df_expect_ok(df_atomic_open(&w1, path), "a first writer") &&
      df_expect_ok(df_atomic_open(&w2, path), "a second writer of the same path")) {
    df_expect_true(strcmp(w1.tmp_path, w2.tmp_path) != 0, "... writes to another temporary name");
    fputs("the first writer's", w1.fp);
    fputs("second", w2.fp);
    df_expect_ok(df_atomic_commit(&w1), "the first commit");
    df_expect_ok(df_atomic_commit(&w2), "the second commit");
    if (df_expect_ok(df_read_file(path, &data, &len), "read after both commits")) {
      df_expect_true(len == 6 && memcmp(data, "second", 6) == 0, "the file holds the last commit's content, whole");
      free(data);
    }
  }

  char missing[4300];
  snprintf(missing, sizeof missing, "%s/nope/file", dir);
  df_status s = df_write_file_atomic(missing, "x", 1);
  df_expect_status(s, DF_ERR_IO, "writing into a missing folder fails");
  char want[4400];
  snprintf(want, sizeof want, "%s: cannot create (its temporary file", missing);
  df_expect_true(!strncmp(df_last_error(), want, strlen(want)), "... naming the file asked for first, not its temporary name");
  s = df_write_file_replace(missing, "x", 1);
  df_expect_true(s == DF_ERR_IO && !strncmp(df_last_error(), want, strlen(want)), "... in place of a file too");
  df_expect_true(strstr(df_last_error(), "nope/file") != NULL, "the error names the file");
  s = df_read_file(missing, &data, &len);
  df_expect_status(s, DF_ERR_NOT_FOUND, "reading a missing file reports not found");
  s = df_read_file(parent, &data, &len);
  df_expect_status(s, DF_ERR_IO, "reading a folder is an error");
  df_expect_true(strstr(df_last_error(), "a/b is a folder, not a file") != NULL, "the error says it is a folder");

  if (access("/dev/full", W_OK) == 0) {
    /* A full disk: writes to /dev/full fail with ENOSPC at flush time. */
    FILE *fp = fopen("/dev/full", "wb");
    df_atomic_file full = {0};
    full.fp = fp;
    snprintf(full.path, sizeof full.path, "/dev/full");
    snprintf(full.tmp_path, sizeof full.tmp_path, "%s/never-created", dir);
    char big[8192];
    memset(big, 'x', sizeof big);
    fwrite(big, 1, sizeof big, fp);
    s = df_atomic_commit(&full);
    df_expect_status(s, DF_ERR_IO, "a full disk is reported");
    df_expect_true(strstr(df_last_error(), "No space") != NULL, "the error says the disk is full");
  }
  /* Leftovers of killed runs are recognised by their PID: a process that is gone, or one
   * (ours too) that started after the file last changed (the PID was reused); a live writer's
   * are not, nor anything that is not a PID. */
  char own[32], fresh[4300];
  snprintf(fresh, sizeof fresh, "%s/fresh.tmp", dir);
  df_test_write_text(fresh, "x");
  snprintf(own, sizeof own, "%ld", (long)getpid());
  df_expect_true(!df_leftover_pid_gone(own, fresh), "our PID, a file written since we started: ours, not a leftover");
  df_expect_true(!df_leftover_pid_gone("1", fresh), "PID 1 (alive), a file written since it started: not a leftover");
  /* A process started after the file changed (its status change time, which no one can set
   * back, with 2 s of slack) did not write it: it reused the PID, so the file is a leftover,
   * for that process too. The child reports its own verdict in its exit status. */
  int ready[2], hold[2];
  if (pipe(ready) == 0 && pipe(hold) == 0) {
    nanosleep(&(struct timespec){.tv_sec = 3, .tv_nsec = 100000000}, NULL);
    pid_t later = fork();
    if (later == 0) {
      char mine[32], byte = 0;
      close(hold[1]);
      snprintf(mine, sizeof mine, "%ld", (long)getpid());
      byte = (char)df_leftover_pid_gone(mine, fresh);
      if (write(ready[1], &byte, 1) != 1) _exit(2);
      _exit(read(hold[0], &byte, 1) < 0 ? 2 : 0); /* alive until the parent has checked */
    }
    char verdict = 0;
    int got = later > 0 && read(ready[0], &verdict, 1) == 1;
    snprintf(own, sizeof own, "%ld.4", (long)later);
    df_expect_true(got && df_leftover_pid_gone(own, fresh), "a live process started after the file changed: a leftover");
    df_expect_true(got && verdict == 1, "... also when that process asks about its own PID");
    close(hold[1]);
    waitpid(later, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    close(hold[0]);
  }
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, NULL, 0);
  snprintf(own, sizeof own, "%ld.3", (long)child);
  df_expect_true(child > 0 && df_leftover_pid_gone(own, fresh), "an exited child's PID (PID.N): a leftover");
  snprintf(own, sizeof own, "%ld", (long)child);
  df_expect_true(!df_leftover_pid_gone("12x", fresh) && !df_leftover_pid_gone("", fresh) &&
                     !df_leftover_pid_gone("99999999999", fresh) && !df_leftover_pid_gone("1.", fresh) &&
                     !df_leftover_pid_gone("1.2.3", fresh),
                 "text that is not a PID: not a leftover");
  /* df_remove_stale_temporaries parses both name forms. */
  char stale_old[4300], stale_new[4300], live[4300];
  snprintf(stale_old, sizeof stale_old, "%s/a.wav.tmp.%ld", dir, (long)child);
  snprintf(stale_new, sizeof stale_new, "%s/b.wav.tmp.%ld.12", dir, (long)child);
  snprintf(live, sizeof live, "%s/c.wav.tmp.%ld.0", dir, (long)getpid());
  df_test_write_text(stale_old, "x");
  df_test_write_text(stale_new, "x");
  df_test_write_text(live, "x");
  df_remove_stale_temporaries(dir, NULL, 0);
  df_expect_true(access(stale_old, F_OK) != 0 && access(stale_new, F_OK) != 0 && access(live, F_OK) == 0,
                 "stale temporaries (NAME.tmp.PID and NAME.tmp.PID.N) are removed, a live writer's kept");
  /* A named pipe is refused before it is opened (opening one blocks until a writer comes). */
  char fifo[4300];
  snprintf(fifo, sizeof fifo, "%s/pipe", dir);
  if (mkfifo(fifo, 0666) == 0) {
    char *got;
    size_t got_len;
    alarm(30); /* a hang fails the test */
    df_status st = df_read_file(fifo, &got, &got_len);
    alarm(0);
    df_expect_true(st == DF_ERR_INVALID_ARG && strstr(df_last_error(), "not a regular file"),
                   "df_read_file refuses a named pipe without blocking");
  }
  stop_signal_during_write();
  return df_test_finish();
}
