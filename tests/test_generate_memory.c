/* Streaming keeps memory flat: the peak resident memory of `generate` for 1000 sounds is
 * within 8 MiB of that for 100 (same model, batch and threads), so nothing grows with the
 * count (buffers, manifest lines, latents). And a run smaller than --batch decodes no padding:
 * --count 1 --batch 512 takes about the memory of --count 1 --batch 1. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/gen_fixture.h"
#include "common/testlib.h"

static char dir[4096], ckpt[4200];

/* Peak RSS in KiB of one run, or -1. */
static long peak_kib(const char *out, const char *count, const char *batch) {
  pid_t pid = fork();
  if (pid == 0) {
    execl(DF_DRUMFORGE_EXE, DF_DRUMFORGE_EXE, "generate", "--checkpoint", ckpt, "--out", out, "--count", count,
          "--batch", batch, "--workers", "2", "--save-latents", "--device", "cpu", "--quiet", "--overwrite",
          (char *)NULL);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return ru.ru_maxrss;
}

static int by_size(const void *x, const void *y) {
  long a = *(const long *)x, b = *(const long *)y;
  return a < b ? -1 : a > b;
}

/* The median peaks of 3 runs of two settings, alternating: a busy machine (parallel tests,
 * thread timing) moves one run's peak by up to ~15 MiB either way (the CUDA build maps ~220 MiB
 * of libraries, touched more or less), and a spell of load then falls on both settings alike. */
static void median_peaks_kib(const char *out_a, const char *count_a, const char *batch_a, const char *out_b,
                             const char *count_b, const char *batch_b, long *a, long *b) {
  long ka[3], kb[3];
  *a = *b = -1;
  for (int i = 0; i < 3; i++) {
    ka[i] = peak_kib(out_a, count_a, batch_a);
    kb[i] = peak_kib(out_b, count_b, batch_b);
    if (ka[i] < 0 || kb[i] < 0) return;
  }
  qsort(ka, 3, sizeof ka[0], by_size);
  qsort(kb, 3, sizeof kb[0], by_size);
  *a = ka[1];
  *b = kb[1];
}

int main(void) {
  df_test_begin("test_generate_memory");
#if defined(__SANITIZE_ADDRESS__)
  /* AddressSanitizer keeps freed memory in quarantine, so resident memory grows by design. */
  printf("SKIP: resident memory is not meaningful under AddressSanitizer\n");
  return 77;
#endif
  if (!df_test_generate_setup("generate_memory", 0, 10, dir, sizeof dir, ckpt, sizeof ckpt)) return df_test_finish();
  char small[4300], large[4300];
  snprintf(small, sizeof small, "%s/small", dir);
  snprintf(large, sizeof large, "%s/large", dir);
  /* One malloc arena: which of the worker threads' arenas a buffer lands in depends on thread
   * timing, not on what is measured here. */
  setenv("MALLOC_ARENA_MAX", "1", 1);
  long a, b;
  median_peaks_kib(small, "100", "16", large, "1000", "16", &a, &b);
  printf("peak resident memory: %ld KiB for 100 sounds, %ld KiB for 1000\n", a, b);
  df_expect_true(a > 0 && b > 0 && df_test_count_files(large, ".wav") == 1000, "both runs complete");
  if (b - a <= 8 * 1024) df_test_pass("memory does not grow with the count");
  else df_test_fail("memory does not grow with the count", "%ld KiB more for 10x the sounds", b - a);

  char one[4300], padded[4300];
  snprintf(one, sizeof one, "%s/one", dir);
  snprintf(padded, sizeof padded, "%s/padded", dir);
  median_peaks_kib(one, "1", "1", padded, "1", "512", &a, &b);
  printf("peak resident memory for one sound: %ld KiB with --batch 1, %ld KiB with --batch 512\n", a, b);
  if (a > 0 && b > 0 && b - a <= 8 * 1024) df_test_pass("--count 1 decodes one sound, not a padded batch");
  else df_test_fail("--count 1 decodes one sound, not a padded batch", "%ld KiB more with --batch 512", b - a);
  return df_test_finish();
}
