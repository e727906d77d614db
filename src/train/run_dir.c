/* The run folder's checkpoints: names, listing by step, and retention (the last K plus
 * milestones, since GAN runs can degrade and users go back to earlier steps). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "train/run_dir.h"

#include "drumforge/checkpoint.h"

#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void df_run_checkpoint_path(const char *run_dir, int64_t step, char *buf, size_t len) {
  snprintf(buf, len, "%s/checkpoints/ckpt-%09lld.safetensors", run_dir, (long long)step);
}

static int parse_step(const char *name, int64_t *step) {
  long long s;
  int used = 0;
  if (sscanf(name, "ckpt-%lld.safetensors%n", &s, &used) == 1 && (size_t)used == strlen(name) && s >= 0) {
    *step = s;
    return 1;
  }
  return 0;
}

static int by_step(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

df_status df_run_list_checkpoints(const char *run_dir, int64_t **steps, int *count) {
  *steps = NULL;
  *count = 0;
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/checkpoints", run_dir);
  DIR *dp = opendir(dir);
  if (!dp) {
    if (errno == ENOENT) return DF_OK;
    return DF_FAIL(DF_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
  }
  int cap = 0;
  struct dirent *e;
  while ((e = readdir(dp))) {
    int64_t s;
    if (!parse_step(e->d_name, &s)) continue;
    if (*count == cap) {
      cap = cap ? 2 * cap : 16;
      int64_t *grown = realloc(*steps, (size_t)cap * sizeof **steps);
      if (!grown) {
        closedir(dp);
        free(*steps);
        *steps = NULL;
        return DF_FAIL(DF_ERR_OOM, "checkpoint list");
      }
      *steps = grown;
    }
    (*steps)[(*count)++] = s;
  }
  closedir(dp);
  if (*count) qsort(*steps, (size_t)*count, sizeof **steps, by_step);
  return DF_OK;
}

df_status df_run_prune_checkpoints(const char *run_dir, int keep_last, int64_t milestone_every,
                                   int64_t current_step) {
  int64_t *steps;
  int n;
  DF_TRY(df_run_list_checkpoints(run_dir, &steps, &n));
  /* Checkpoints past the current step are ones the resume could not load: they neither count
   * as the newest nor make valid ones go. */
  while (n > 0 && steps[n - 1] > current_step) n--;
  for (int i = 0; i < n - keep_last; i++) {
    int64_t s = steps[i];
    if (milestone_every > 0 && s > 0 && s % milestone_every == 0) continue;
    char path[4300];
    df_run_checkpoint_path(run_dir, s, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT) {
      free(steps);
      return DF_FAIL(DF_ERR_IO, "%s: cannot remove old checkpoint: %s", path, strerror(errno));
    }
  }
  free(steps);
  return DF_OK;
}

df_status df_run_set_aside_checkpoint(const char *path, char *aside, size_t len) {
  snprintf(aside, len, "%s.corrupt", path);
  if (rename(path, aside) != 0)
    return DF_FAIL(DF_ERR_IO, "%s: cannot rename to %s: %s", path, aside, strerror(errno));
  return DF_OK;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static int remove_entry_below_top(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  return ftw->level > 0 ? remove_entry(path, sb, flag, ftw) : 0;
}

void df_run_remove_tree(const char *dir, int keep_dir) {
  nftw(dir, keep_dir ? remove_entry_below_top : remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int df_run_folder_empty(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  const struct dirent *e;
  int empty = 1;
  while (empty && (e = readdir(d)))
    empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
  closedir(d);
  return empty;
}

df_status df_run_newest_valid(const char *run_dir, char *path, size_t len, df_checkpoint_state *st,
                              df_checkpoint_skip_fn skipped, void *ctx) {
  int64_t *steps;
  int n;
  DF_TRY(df_run_list_checkpoints(run_dir, &steps, &n));
  for (int i = n - 1; i >= 0; i--) {
    df_run_checkpoint_path(run_dir, steps[i], path, len);
    df_status s = df_checkpoint_read_state(path, st);
    if (s == DF_OK) {
      free(steps);
      return DF_OK;
    }
    if (skipped) skipped(ctx, steps[i], s);
  }
  free(steps);
  return DF_FAIL(DF_ERR_NOT_FOUND, "%s: no valid checkpoint", run_dir);
}
