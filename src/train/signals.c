/* Stop requests from SIGTERM (cloud preemption) and SIGINT (Ctrl-C): the trainer finishes the
 * current step, writes a checkpoint and exits cleanly. A second SIGINT exits at once (files
 * are written atomically, so nothing half-written is left under a final name). */
#include "train/signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static struct sigaction saved_int, saved_term;

static void on_signal(int sig) {
  if (stop_signal == SIGINT && sig == SIGINT) _exit(130);
  stop_signal = sig;
}

void df_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  /* Restart what the signal interrupts: a write or fsync of a checkpoint blocked on a slow or
   * network file system would fail with EINTR (stdio's fwrite does not retry) and lose the
   * very checkpoint the stop asks for. */
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  stop_signal = 0;
  sigaction(SIGINT, &sa, &saved_int);
  sigaction(SIGTERM, &sa, &saved_term);
}

void df_signals_restore(void) {
  sigaction(SIGINT, &saved_int, NULL);
  sigaction(SIGTERM, &saved_term, NULL);
}

int df_signals_stop_requested(void) { return stop_signal; }
