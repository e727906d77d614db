/* Bit rot in a shard: every byte of a freshly written shard (loops, so every string dataset is
 * there) is corrupted in turn, once inverted (xor 0xff) and once with one bit flipped, and each
 * corrupted copy is opened and read in full (audio, per-example metadata) in a child process
 * with a deadline. Every read must either succeed with valid metadata (labels within the
 * classes, splits known, strings terminated) or fail with drumforge's one-line error naming
 * the file: no crash, no sanitizer report, no hang, nothing printed by HDF5. Format version 1
 * shards (strings in HDF5's global heap, no metadata checksums) crashed or hung libhdf5 1.10
 * in about 450 of these cases. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "data/shard.h"

enum { N = 6, C = 1, L = 8, DEADLINE_S = 5 };

/* Exit codes of a child. */
enum { READ_OK = 0, REFUSED = 10, BAD_MESSAGE = 11, BAD_DATA = 12, EXITED = -100, NOT_RUN = -128 };

static void write_shard(const char *path) {
  df_shard_info info = df_test_shard_info("loops", 8000, C, L);
  shard_buffer b;
  if (!df_expect_ok(shard_buffer_init(&b, &info, DF_SPLIT_TEST, N), "shard buffer")) return;
  float x[C * L];
  for (int i = 0; i < N; i++) {
    df_test_fill_uniform(x, C * L, 77 + i, -1.0f, 1.0f);
    char src[64], grp[32], pat[96];
    snprintf(src, sizeof src, "/kits/kit %d/\xc3\xa9t\xc3\xa9-%d.wav", i % 2, i);
    snprintf(grp, sizeof grp, "kit %d", i % 2);
    snprintf(pat, sizeof pat, "{\"name\": \"rock\", \"bpm\": %d, \"bars\": %d}", 100 + i, 1 + i % 2);
    shard_buffer_add(&b, x, i % 4 - 1, 11 * i, i % 2, src, grp, pat);
  }
  df_expect_ok(shard_buffer_write(&b, path), "write the shard");
  shard_buffer_free(&b);
}

/* Opens and reads everything; the result says how it went. */
static int read_all(const char *path) {
  df_shard *s;
  if (df_shard_open(path, &s) != DF_OK) {
    const char *e = df_last_error();
    return e && strncmp(e, path, strlen(path)) == 0 && !strchr(e, '\n') ? REFUSED : BAD_MESSAGE;
  }
  const df_shard_info *in = df_shard_get_info(s);
  int ok = in->examples >= 0 && in->channels > 0 && in->length >= 0 && in->n_classes >= 0 &&
           in->n_classes <= DF_MAX_CLASSES;
  size_t per = (size_t)in->channels * (size_t)in->length;
  float *x = ok ? malloc(sizeof(float) * (per ? per : 1)) : NULL;
  for (int64_t i = 0; ok && x && i < in->examples; i++) {
    df_example_meta m;
    ok = df_shard_read(s, i, 1, x) == DF_OK && df_shard_meta(s, i, &m) == DF_OK && m.label >= -1 &&
         (in->n_classes == 0 || m.label < in->n_classes) && (unsigned)m.split < DF_N_SPLITS &&
         strlen(m.source) + strlen(m.group) + strlen(m.pattern) < ((size_t)1 << 20);
  }
  free(x);
  df_shard_close(s);
  return ok ? READ_OK : BAD_DATA;
}

/* Case c corrupts byte c % size: inverted in the first pass, one bit flipped in the second
 * (the bit varies with the offset). */
static unsigned char case_mask(size_t c, size_t size) {
  size_t off = c % size;
  return c < size ? 0xff : (unsigned char)(1u << ((off * 5 + 3) % 8));
}

/* Runs cases [first, end) in one child, each on its own copy (a fresh file, so that nothing
 * HDF5 keeps of one file can meet the next), storing each result in result[c] and the case
 * under way in *at. Returns how the child ended: 0, its exit code, or -signal. */
static int run_batch(const char *dir, const char *image, size_t size, size_t first, size_t end,
                     volatile signed char *result, volatile size_t *at, int log_fd) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(log_fd, STDERR_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    char *copy = malloc(size), path[4300];
    if (!copy) _exit(BAD_DATA);
    memcpy(copy, image, size);
    for (size_t c = first; c < end; c++) {
      *at = c;
      size_t off = c % size;
      copy[off] = (char)((unsigned char)image[off] ^ case_mask(c, size));
      snprintf(path, sizeof path, "%s/rotten-%zu.h5", dir, c);
      FILE *f = fopen(path, "wb"); /* no fsync: 10^4 files */
      if (!f || fwrite(copy, 1, size, f) != size || fclose(f) != 0) _exit(BAD_DATA);
      copy[off] = image[off];
      alarm(DEADLINE_S); /* a hang ends as SIGALRM */
      result[c] = (signed char)read_all(path);
      alarm(0);
      unlink(path);
    }
    free(copy);
    _exit(0);
  }
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1000;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static const char *outcome(int code) {
  switch (code) {
    case BAD_MESSAGE: return "refused without a one-line error naming the file";
    case BAD_DATA: return "opened with invalid metadata";
    case -SIGALRM: return "hung (killed after the deadline)";
    case EXITED: return "the reader's process exited (a sanitizer report?)";
    case NOT_RUN: return "not run";
    default: return "crashed (signal)";
  }
}

int main(void) {
  df_test_begin("test_shard_bitrot");
  char dir[4096], clean[4200], log[4200];
  df_test_scratch_dir("shard_bitrot", dir, sizeof dir);
  snprintf(clean, sizeof clean, "%s/clean.h5", dir);
  snprintf(log, sizeof log, "%s/children.log", dir);
  write_shard(clean);
  char *image;
  size_t size;
  if (!df_expect_ok(df_read_file(clean, &image, &size), "read the shard's bytes")) return df_test_finish();
  int log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  size_t cases = 2 * size;
  /* Shared with the children: each case's result, and the case under way. */
  void *shared = mmap(NULL, cases + sizeof(size_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (log_fd < 0 || shared == MAP_FAILED) {
    df_test_fail("scratch", "%s", strerror(errno));
    return df_test_finish();
  }
  volatile size_t *at = shared;
  volatile signed char *result = (volatile signed char *)shared + sizeof(size_t);
  memset((void *)result, NOT_RUN, cases);
  df_expect_true(read_all(clean) == READ_OK, "the intact shard reads");

  /* A child that dies is charged with the case it was on; the next one resumes after it. */
  long failures = 0, counts[2][2] = {{0}};
  for (size_t c = 0; c < cases;) {
    *at = c;
    int end = run_batch(dir, image, size, c, cases, result, at, log_fd);
    if (end != 0) result[*at] = (signed char)(end < 0 ? end : EXITED);
    c = end != 0 ? *at + 1 : cases;
  }
  for (size_t c = 0; c < cases; c++) {
    if (result[c] == READ_OK || result[c] == REFUSED) {
      counts[c >= size][result[c] == REFUSED]++;
    } else if (++failures <= 20) {
      df_test_fail("a corrupted shard", "byte %zu of %zu xor 0x%02x: %s (code %d)", c % size, size,
                   case_mask(c, size), outcome(result[c]), result[c]);
    }
  }
  printf("%zu bytes, inverted: %ld read, %ld refused; one bit flipped: %ld read, %ld refused; %ld other\n",
         size, counts[0][0], counts[0][1], counts[1][0], counts[1][1], failures);
  df_expect_true(failures == 0, "every corrupted copy was read or refused with a one-line error");
  df_expect_true(counts[0][1] > 0 && counts[0][0] > 0,
                 "corruption was both noticed and tolerated (the test reaches the reader)");

  /* Whatever the children printed (HDF5's diagnostics, sanitizer reports). */
  char *text;
  size_t text_len;
  if (df_read_file(log, &text, &text_len) == DF_OK) {
    if (text_len) df_test_fail("the children's output", "%zu bytes, beginning: %.1500s", text_len, text);
    else df_test_pass("the children printed nothing");
    free(text);
  }
  munmap(shared, cases + sizeof(size_t));
  close(log_fd);
  free(image);
  return df_test_finish();
}
