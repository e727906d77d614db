/* Crash-safe writes: the committed file has the content, no temporary is left behind, an
 * aborted write leaves the old file untouched, errors name the file, and reading a folder
 * says so; a stop signal (the trainer's SIGTERM handler) does not fail a write it interrupts. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

int main(void) {
  df_test_begin("test_fileio");
  char dir[4096], path[4200], tmp[4300];
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
  df_atomic_tmp_name(path, tmp, sizeof tmp);
  df_expect_true(access(tmp, F_OK) != 0, "no temporary file remains after commit");

  df_atomic_file f;
  df_expect_ok(df_atomic_open(&f, path), "open for overwrite");
  fputs("half-written", f.fp);
  df_atomic_abort(&f);
  if (df_expect_ok(df_read_file(path, &data, &len), "read after abort")) {
    df_expect_true(len == 5 && memcmp(data, "hello", 5) == 0, "abort leaves the old file intact");
    free(data);
  }
  df_expect_true(access(tmp, F_OK) != 0, "abort removes the temporary file");

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
  /* Leftovers of killed runs are recognised by their PID: gone, or ours (a process that had
   * it before); a live process's are not, nor anything that is not a PID. */
  char own[32];
  snprintf(own, sizeof own, "%ld", (long)getpid());
  df_expect_true(df_leftover_pid_gone(own), "our own PID in a leftover's name: a dead process's");
  df_expect_true(!df_leftover_pid_gone("1"), "PID 1 (alive): not a leftover");
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, NULL, 0);
  snprintf(own, sizeof own, "%ld", (long)child);
  df_expect_true(child > 0 && df_leftover_pid_gone(own), "an exited child's PID: a leftover");
  df_expect_true(!df_leftover_pid_gone("12x") && !df_leftover_pid_gone("") && !df_leftover_pid_gone("99999999999"),
                 "text that is not a PID: not a leftover");
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
