/* Generation: sample packs of one-shots and loops from a trained model (a df_loaded_model,
 * train.h), streamed to disk with a manifest.
 *
 * Generation uses only the model interface (sample_latents, decode), so every model type
 * generates the same way. The run makes `count` files per requested class (one set when the
 * model is unconditional). File k of a class sits at position p = start + k, and position p
 * decides its latent:
 *   - seeds (default): the model's prior drawn from the RNG stream (seed, offset
 *     p * round_up(latent_dim, 4)) (df_generate_seed_latents), so a sound never depends on
 *     the batch size, the count or the other sounds, and every class gets the same latents;
 *   - rows: row p of a latent matrix (e.g. a .npy file);
 *   - interpolation: step p of `steps` between two latents, t = p / (steps - 1).
 * Sounds are post-processed (postfx.h) at the model's rate (low-pass, smoothing, trimming),
 * then resampled, tiled into loops, normalised, encoded and written.
 *
 * Streaming: the calling thread draws latents and decodes batches on the model's device into
 * a few host buffers; worker threads post-process, encode and write each file (WAV or FLAC,
 * through a temporary name and a rename), so memory stays flat whatever the count. A file's
 * manifest line is appended once the file has its final name, in position order; the
 * manifest and the files are flushed to disk (syncfs) at the end. Setting *stop (a signal
 * handler does) ends the run after the sounds already decoded are written: every file then
 * is complete and listed. */
#ifndef DRUMFORGE_GENERATE_H
#define DRUMFORGE_GENERATE_H

#include <signal.h>
#include <stdint.h>

#include "drumforge/audio.h"
#include "drumforge/status.h"
#include "drumforge/tensor.h"
#include "drumforge/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- latents */
/* Latents of positions first, first + 1, ... of a seed: z [N, latent_dim] on the model's
 * device, row i from the stream (seed, (first + i) * round_up(latent_dim, 4)). truncation in
 * (0, 1] narrows the prior (train.h). Requires sample_latents to draw its rows in order from
 * one fill, as df_rng_uniform and df_rng_normal do. */
df_status df_generate_seed_latents(const df_loaded_model *m, uint64_t seed, int64_t first,
                                   float truncation, df_tensor *z);

/* out = the point at t in [0, 1] between latents a and b (dim values each): linear
 * (1 - t) a + t b, or spherical (slerp: along the great circle, with the norms interpolated
 * linearly; linear when a and b are parallel). */
void df_latent_interpolate(const float *a, const float *b, int dim, float t, int slerp, float *out);

/* ---------------------------------------------------------------- loops */
/* Frames of one 4/4 bar at bpm: round(60 / bpm * 4 * rate), so every bar of a tiled loop has
 * exactly this many frames and the loop is n_bars times as long. 0 when bpm or rate is not
 * positive (or the bar would not fit an int64_t). */
int64_t df_loop_bar_frames(double bpm, int rate);

/* A tiling pattern: capital letters A to Z, one per bar ("AAAB", "AABB", "ABAB"), starting
 * with A, each new letter the next of the alphabet. *letters receives how many distinct bars
 * it needs (2 for AAAB), at most DF_TILE_MAX_LETTERS. */
#define DF_TILE_MAX_LETTERS 26
df_status df_tile_pattern_check(const char *pattern, int *letters);

/* out (allocated) = n_bars bars of bar_frames frames; bar b plays bars[pattern letter] from
 * its start, cut at the bar line with a fade_frames fade-out or padded with silence. The
 * pattern repeats when n_bars is longer. The bars (one per letter of the pattern) must share
 * channels and rate: DF_ERR_INVALID_ARG otherwise. */
df_status df_loop_tile(const df_audio *bars, const char *pattern, int n_bars, int64_t bar_frames,
                       int64_t fade_frames, df_audio *out);

/* ---------------------------------------------------------------- a run */
typedef enum df_latent_source {
  DF_LATENTS_SEED = 0,
  DF_LATENTS_ROWS,
  DF_LATENTS_INTERPOLATE
} df_latent_source;

typedef enum df_normalize_mode { DF_NORMALIZE_NONE = 0, DF_NORMALIZE_PEAK, DF_NORMALIZE_RMS } df_normalize_mode;

typedef struct df_postfx_options {
  double lowpass;          /* zero-phase Butterworth cutoff, fraction of Nyquist; 0 = off */
  int lowpass_order;       /* 1..16 */
  int smooth;              /* moving-average window (odd); 0 or 1 = off */
  int trim;                /* 1: trim trailing silence below trim_db with a fade of fade_ms */
  double trim_db, fade_ms;
  df_normalize_mode normalize;
  double normalize_db;     /* peak dBFS, or RMS dBFS (postfx.h) */
} df_postfx_options;

typedef struct df_tile_options {
  const char *pattern;     /* NULL or "": one-shots; else bars per df_tile_pattern_check */
  double bpm;
  int bars;                /* 0: the pattern's length */
  /* Bars B, C, ... are variations of A: their latent is (1 - v) z_A + v w, with w drawn for
   * that letter from the stream of seed + letter * 0x9E3779B97F4A7C15 at the same offset. */
  float variation;
} df_tile_options;

typedef struct df_generate_progress {
  int64_t done, total;     /* files written */
  double seconds;
} df_generate_progress;

typedef struct df_generate_options {
  df_loaded_model *model;
  const char *out_dir;
  int64_t count;           /* files per class, >= 1 */
  const int32_t *classes;  /* class ids (n_classes of them); conditional models need >= 1 */
  int n_classes;
  int64_t start;           /* position of each class's first file */

  df_latent_source source;
  uint64_t seed;           /* seeds; also the tile variations */
  float truncation;        /* in (0, 1]: seeds and tile variations */
  const float *rows;       /* rows: [n_rows, latent_dim] */
  int64_t n_rows;
  const char *rows_origin; /* named in the manifest (the .npy path) */
  const float *interp_a, *interp_b; /* interpolation: two latents */
  const char *interp_a_origin, *interp_b_origin;
  int64_t steps;           /* interpolation: >= 2 */
  int slerp;

  int batch;               /* sounds decoded per call */
  int fast_batches;        /* CPU: decode a batch with batched GEMMs (about 20 % faster) instead of in
                            * batch-invariant mode; a sound's last bits then depend on the batch
                            * size and its place in the batch (runtime.h, README) */
  int workers;             /* writing threads; 0: one per CPU */
  const char *format;      /* "wav" or "flac" */
  df_audio_encoding encoding;
  int rate;                /* output rate; 0: the model's */
  df_postfx_options post;
  df_tile_options tile;
  int save_latents;        /* write latents.npy: one row per decoded sound, in file order */
  int overwrite;           /* allow an out_dir that holds an earlier manifest.jsonl */

  volatile sig_atomic_t *stop; /* may be NULL */
  void (*progress)(void *ctx, const df_generate_progress *p);
  void *ctx;
} df_generate_options;

typedef struct df_generate_result {
  int64_t files;           /* complete files written and listed */
  int64_t total;           /* files the run was asked for */
  char manifest[4200];
  char latents[4200];      /* "" unless save_latents */
  double seconds;
  int64_t unlisted;        /* overwrite: files in out_dir named like generated ones that no
                              manifest lists (a killed run's last files?), kept */
  int64_t clipped;         /* files of an integer encoding whose samples went beyond full
                              scale and were clipped (their manifest lines count them) */
  float clipped_peak;      /* the largest |sample| among those files (0 when none) */
} df_generate_result;

/* The settings that need no model (truncation, format and sample format, rate,
 * post-processing, tiling): DF_ERR_INVALID_ARG naming the first bad one. Lets a caller
 * refuse bad options before loading the model; df_generate checks them too. */
df_status df_generate_check_settings(const df_generate_options *o);

/* Checks everything (the settings above, classes, each at most once, latent shapes, the
 * output folder is writable and holds no earlier manifest unless overwrite) before writing
 * anything, then runs. When *stop is set
 * the run ends early with DF_ERR_INTERRUPTED and a result that counts the files written. */
df_status df_generate(const df_generate_options *o, df_generate_result *result);

/* Whether a run could write into out_dir (missing: it will be created): DF_ERR_INVALID_ARG when
 * another run is writing there, or, without overwrite, it holds a manifest, latents.npy or
 * files named like generated ones, as df_generate refuses it. For callers that write there
 * first (interpolate's endpoints.npy). */
df_status df_generate_check_out_dir(const char *out_dir, int overwrite);

/* The manifest file name inside out_dir. */
#define DF_GENERATE_MANIFEST "manifest.jsonl"
#define DF_GENERATE_LATENTS "latents.npy"

#ifdef __cplusplus
}
#endif
#endif
