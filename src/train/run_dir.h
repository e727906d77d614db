/* Retention of a run folder's checkpoints (internal to the trainer). */
#ifndef DF_TRAIN_RUN_DIR_H
#define DF_TRAIN_RUN_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"
#include "drumforge/train.h" /* df_run_checkpoint_path, df_run_list_checkpoints */

/* Deletes all but the newest keep_last checkpoints at or below current_step (the one just
 * written), sparing milestones (steps that are multiples of milestone_every, when > 0).
 * Checkpoints past current_step are left alone. */
df_status df_run_prune_checkpoints(const char *run_dir, int keep_last, int64_t milestone_every,
                                   int64_t current_step);
/* Renames an unloadable checkpoint to PATH.corrupt (kept for inspection, no longer listed);
 * aside gets the new name. */
df_status df_run_set_aside_checkpoint(const char *path, char *aside, size_t len);
/* Removes a folder and everything in it (keep_dir: everything in it only), best effort: only
 * for a run folder this session created or found empty. */
void df_run_remove_tree(const char *dir, int keep_dir);
/* 1 when dir is a folder with no entries. */
int df_run_folder_empty(const char *dir);

#endif
