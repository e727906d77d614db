/* Pieces of a generation run shared by its files (src/generate/). */
#ifndef DF_GENERATE_GEN_INTERNAL_H
#define DF_GENERATE_GEN_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "drumforge/generate.h"
#include "drumforge/postfx.h"

/* What every file of the run shares, fixed before the first batch. */
typedef struct gen_run {
  const df_generate_options *o;
  const df_loaded_model *m;
  int dim, channels, model_rate, out_rate;
  int64_t length;          /* frames of one decoded sound */
  int letters;             /* decoded sounds per file: the tile's bars, else 1 */
  int n_bars;              /* bars of a tiled loop; 0: one-shots */
  int64_t bar_frames;      /* at the output rate */
  int64_t trim_fade;       /* frames at the model's rate */
  int64_t cut_fade;        /* frames at the output rate (bars cut at the bar line) */
  int has_lowpass;
  df_butter lowpass;
  int name_width;          /* digits of the positions in file names */
  char ext[8];             /* the files' extension: the format in lower case */
  char checkpoint[4200];   /* absolute path */
} gen_run;

/* One output file: its number in the run (0 .. total - 1), position and class, and its
 * decoded sounds and latents (letters rows each) in a batch buffer. */
typedef struct gen_item {
  int64_t number, position;
  int class_id;            /* -1: unconditional */
  const float *audio;      /* [letters, channels, length] */
  const float *latents;    /* [letters, dim] */
} gen_item;

/* File name (no folder) of an item: "<class>_<position>.<format>", class "sound" (or "loop"
 * when tiling) for unconditional models. */
void gen_file_name(const gen_run *run, const gen_item *it, char *buf, size_t len);

/* Post-processes, tiles, encodes and writes one item; on success *line is its manifest line
 * (malloc'd, newline-terminated) and *clipped_peak the sound's peak when an integer encoding
 * clipped it (above 1), else 0. */
df_status gen_render(const gen_run *run, const gen_item *it, char **line, float *clipped_peak);

/* The manifest line of a written file; clipped: its samples beyond full scale that an integer
 * encoding clipped (listed when not 0). */
df_status gen_manifest_line(const gen_run *run, const gen_item *it, const char *file, int64_t frames,
                            int64_t clipped, char **line);

/* The manifest, written in item order however the workers finish: lines wait in a window
 * of `window` items (the items in flight) until every earlier one is written. The file is
 * created at its first line. */
typedef struct gen_manifest {
  pthread_mutex_t mu;
  char path[4200];
  int fd;                  /* -1 until the first line */
  int64_t next;            /* number of the next item to write */
  int64_t window;
  char **pending;          /* [window]: line of item number % window, or NULL */
  unsigned char *skipped;  /* [window]: the item failed and will have no line */
  int64_t lines;
  char stale[4200];        /* removed just before the file is created (the earlier run's
                              latents: their rows would not match the new lines), or "" */
  df_status error;         /* the first write error */
  char error_msg[1024];
} gen_manifest;

df_status gen_manifest_init(gen_manifest *mf, const char *dir, int64_t window);
/* Hands over item `number`'s line (taken; NULL when the item failed); returns the number of
 * items now listed or skipped in order (the next one to write). */
int64_t gen_manifest_put(gen_manifest *mf, int64_t number, char *line);
/* Writes what still waits (in order, past any gaps), syncs and closes. */
df_status gen_manifest_finish(gen_manifest *mf);
void gen_manifest_free(gen_manifest *mf);

/* What --overwrite replaces of the run found in the output folder. */
typedef struct gen_earlier {
  char **files; /* the files its manifest lists (names generate makes only) */
  int64_t n;
  int latents;  /* its latents.npy is there (and is not an input of this run) */
} gen_earlier;
void gen_earlier_free(gen_earlier *earlier);

/* Prepares the output folder (created if missing) and locks it for the run (*lock_fd, to be
 * closed at the end): refused when another run holds it, or, without overwrite, when it holds
 * a manifest, latents.npy or files named as generate names them. With overwrite, *earlier
 * receives the earlier run's files. Removes the temporary files killed runs left. */
df_status gen_out_dir_open(const gen_run *run, gen_earlier *earlier, int *lock_fd);
/* overwrite: after a run that wrote its first `written` items (and replaced the manifest),
 * removes the earlier run's files that this run did not write again, and its latents.npy
 * unless this run wrote one. *unlisted: the files named like generated ones that neither
 * manifest lists (a killed run's last files, or the user's), which are kept. */
df_status gen_out_dir_replace(const gen_run *run, const gen_earlier *earlier, int64_t written,
                              int64_t *unlisted);

/* Copies a failure's message from another thread into this one's df_last_error. */
df_status gen_relay_error(df_status s, const char *msg);

#endif
