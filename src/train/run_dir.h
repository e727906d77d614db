/* Retention of a run folder's checkpoints (internal to the trainer). */
#ifndef DF_TRAIN_RUN_DIR_H
#define DF_TRAIN_RUN_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"
#include "drumforge/train.h" /* df_run_checkpoint_path, df_run_list_checkpoints */

/* Deletes all but the newest keep_last checkpoints, sparing milestones (steps that are
 * multiples of milestone_every, when > 0) and protect_step. */
df_status df_run_prune_checkpoints(const char *run_dir, int keep_last, int64_t milestone_every,
                                   int64_t protect_step);

#endif
