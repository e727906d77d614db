/* Checkpoint files in a run folder (internal to the trainer). */
#ifndef DF_TRAIN_RUN_DIR_H
#define DF_TRAIN_RUN_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"

/* RUN/checkpoints/ckpt-<9-digit step>.safetensors */
void df_run_checkpoint_path(const char *run_dir, int64_t step, char *buf, size_t len);
/* Steps of the checkpoints present, ascending (malloc'd; *count may be 0). Temporary files
 * of interrupted writes do not match the name pattern and are ignored. */
df_status df_run_list_checkpoints(const char *run_dir, int64_t **steps, int *count);
/* Deletes all but the newest keep_last checkpoints, sparing milestones (steps that are
 * multiples of milestone_every, when > 0) and protect_step. */
df_status df_run_prune_checkpoints(const char *run_dir, int keep_last, int64_t milestone_every,
                                   int64_t protect_step);

#endif
