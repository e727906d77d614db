/* Graceful-stop signal handling for long runs (internal). */
#ifndef DF_TRAIN_SIGNALS_H
#define DF_TRAIN_SIGNALS_H

void df_signals_install(void);
void df_signals_restore(void);
/* The signal number received (SIGINT or SIGTERM), or 0. */
int df_signals_stop_requested(void);

#endif
