/* Crash-safe file writing: data goes to a temporary file beside the target ("NAME.tmp.PID.N"),
 * is fsync'd, renamed over the target and the directory fsync'd, so a killed process never
 * leaves a half-written file under the final name. */
#ifndef DRUMFORGE_FILEIO_H
#define DRUMFORGE_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "drumforge/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_atomic_file {
  FILE *fp;            /* write through this (fwrite, fprintf) */
  char path[4096];     /* the final name */
  char tmp_path[4200]; /* the temporary name */
} df_atomic_file;

/* Opens PATH.tmp.PID.N (df_atomic_tmp_name) for writing. */
df_status df_atomic_open(df_atomic_file *f, const char *path);
/* Flushes, fsyncs, closes and renames onto the final name; reports write errors such as a
 * full disk naming the file. On failure the temporary file is removed. */
df_status df_atomic_commit(df_atomic_file *f);
/* Closes and removes the temporary file (after an error). NULL, a second call or a call after
 * df_atomic_commit does nothing. */
void df_atomic_abort(df_atomic_file *f);

/* A temporary name for path, as df_atomic_open uses, for libraries that open files themselves
 * (HDF5): write to it, then df_atomic_rename(tmp, path). Each call gives another name
 * (PATH.tmp.PID.N, N counting the calls), so writers of one path never share one. */
void df_atomic_tmp_name(const char *path, char *tmp, size_t len);
/* 1 when digits (the part of a temporary or work name after ".tmp.": "PID", or "PID.N" as
 * df_atomic_tmp_name makes) names a process that can no longer be writing path, so path is a
 * killed run's leftover: no such process, or the process with that PID (ours too) started
 * after path last changed, so the PID was reused. 0 for a live writer, or anything not a PID. */
int df_leftover_pid_gone(const char *digits, const char *path);
/* Removes the temporary files ("NAME.tmp.PID.N" or "NAME.tmp.PID") in dir whose process is
 * gone: writes a killed run never finished. With kinds, only NAMEs ending in one of them
 * (case ignored). A live process's files are left alone. */
void df_remove_stale_temporaries(const char *dir, const char *const *kinds, int n_kinds);
/* fsync the file at tmp, rename it to path, fsync the directory. */
df_status df_atomic_rename(const char *tmp, const char *path);

/* Writes a whole buffer atomically. */
df_status df_write_file_atomic(const char *path, const void *data, size_t len);
/* Writes a whole buffer through a temporary file and a rename, without the fsyncs: a killed
 * process never leaves half a file under the final name, but the data survives a power loss
 * only after df_sync_filesystem. For commands that write thousands of files (`generate`). */
df_status df_write_file_replace(const char *path, const void *data, size_t len);
/* Flushes every written file of the file system holding path to disk (syncfs). */
df_status df_sync_filesystem(const char *path);
/* Reads a whole file into a malloc'd buffer (NUL-terminated for convenience). A folder is
 * refused (DF_ERR_IO, "PATH is a folder, not a file"). */
df_status df_read_file(const char *path, char **data, size_t *len);

/* fsyncs a directory, so that renames and removals in it are on disk. */
df_status df_fsync_dir(const char *dir);
/* 1 when a and b name the same existing file (same device and inode: links and other
 * spellings of a path included), else 0. */
int df_same_file(const char *a, const char *b);
/* mkdir -p. A file of that name is DF_ERR_IO. */
df_status df_mkdirs(const char *path);
/* One writer per folder: an exclusive lock on the folder dir itself, held while *fd stays
 * open (released however the process ends; close(*fd) when done). When another process holds
 * it: DF_ERR_INVALID_ARG, "DIR: busy". A file system without locks does not stop the run. */
df_status df_lock_folder(const char *dir, const char *busy, int *fd);

#ifdef __cplusplus
}
#endif
#endif
