/* Datasets: folders of audio and Hydrogen drum kits turned into HDF5 shards (df_prepare),
 * read back (df_shard_*, df_dataset_summarize) and fed to training by a background loader
 * whose position can be saved and restored exactly (df_loader_*).
 *
 * A dataset is a folder with manifest.json and shards named SPLIT-NNNNN.h5, each holding
 *   audio   [N, channels, length] float32, or int16 with a `scale` attribute (value = stored * scale)
 *   label   [N] int32 class id, -1 when unlabelled
 *   source  [N] UTF-8 string: the file the example came from
 *   group   [N] UTF-8 string: the Hydrogen kit, or the file's folder
 *   split   [N] enum uint8 {train = 0, validation = 1, test = 2}
 *   start   [N] int64: first sample of the slice in the trimmed, resampled source
 *   augment [N] int16: 0 for the original, k for the k-th augmented copy
 *   pattern [N] UTF-8 JSON string (loop datasets only): bpm, bars, hits and their samples
 * and root attributes sample_rate, slice_length, channels, class_names, format_version,
 * format ("drumforge-dataset") and kind ("oneshots" or "loops"); every string fixed-length, in
 * HDF5 1.10's file format (checksummed metadata). Version 1 (variable-length strings, the
 * earliest HDF5 format, no checksums) is still read. README.md documents it. */
#ifndef DRUMFORGE_DATASET_H
#define DRUMFORGE_DATASET_H

#include <stdint.h>

#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_DATASET_FORMAT_VERSION 2 /* 2: no variable-length data, checksummed metadata (README) */
#define DF_MAX_CLASSES 64
#define DF_CLASS_NAME_LEN 32

typedef enum df_split { DF_SPLIT_TRAIN = 0, DF_SPLIT_VALIDATION = 1, DF_SPLIT_TEST = 2 } df_split;
#define DF_N_SPLITS 3
/* "train", "validation", "test". */
const char *df_split_name(df_split s);
/* Accepts those names and "val". */
df_status df_parse_split(const char *text, df_split *out);

/* The names in a comma-separated class list ("kick, snare"): spaces and tabs around each name
 * are dropped, empty entries skipped. DF_ERR_INVALID_ARG naming the list when it names no
 * class, more than max, or a name longer than DF_CLASS_NAME_LEN - 1. */
df_status df_parse_class_list(const char *list, char (*names)[DF_CLASS_NAME_LEN], int max, int *n);
/* The index of the first name that repeats an earlier one (case ignored, as class lookups
 * do), or -1 when every name is distinct. */
int df_class_list_repeat(const char (*names)[DF_CLASS_NAME_LEN], int n);
/* Why `name` cannot be a class name, or NULL when it can: every class must be selectable in a
 * comma-separated class list (no comma, no space at either end, 1 to DF_CLASS_NAME_LEN - 1
 * bytes), apart from the unlabelled examples ("unlabelled"), and usable in file names
 * (previews, generated sounds, report images: no '/' and no control character). */
const char *df_class_name_problem(const char *name);

/* ------------------------------------------------------------------ shards */
typedef struct df_shard_info {
  int64_t examples;
  int channels;
  int64_t length;     /* samples per channel of each example */
  int rate;           /* Hz; 0 when the file does not say */
  int format_version; /* 0 for HDF5 files not written by drumforge */
  int int16;          /* audio stored as int16 */
  float scale;        /* stored value * scale = sample */
  int n_classes;
  char class_names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  char kind[16];      /* "oneshots", "loops" or "" */
} df_shard_info;

typedef struct df_example_meta {
  int32_t label;       /* -1: unlabelled */
  df_split split;
  int64_t start;
  int augment;
  const char *source;  /* "" when absent; valid while the shard is open */
  const char *group;
  const char *pattern; /* "" for one-shots */
} df_example_meta;

typedef struct df_shard df_shard;

/* Opens a drumforge shard, or any HDF5 file with an `audio` dataset [N, L] or [N, C, L] of a
 * numeric type (missing label/split/source/group read as -1/train/""). */
df_status df_shard_open(const char *path, df_shard **out);
const df_shard_info *df_shard_get_info(const df_shard *s);
/* Examples [first, first + count) as float samples [count, channels, length]. */
df_status df_shard_read(const df_shard *s, int64_t first, int64_t count, float *audio);
df_status df_shard_meta(const df_shard *s, int64_t i, df_example_meta *meta);
void df_shard_close(df_shard *s);

/* ------------------------------------------------------------------ summaries (inspect) */
typedef struct df_dataset_summary {
  df_shard_info info;     /* shared by every shard; examples = the total */
  int is_dataset;         /* 1: a dataset folder (manifest.json); 0: a single shard */
  int n_shards;
  int64_t bytes;          /* on disk, all shards */
  int64_t examples[DF_N_SPLITS];
  /* counts[split][class]; column n_classes holds the unlabelled examples */
  int64_t counts[DF_N_SPLITS][DF_MAX_CLASSES + 1];
  int64_t groups[DF_N_SPLITS]; /* distinct groups (kits) per split */
  int64_t augmented;      /* examples with augment > 0 */
  int64_t rejected;       /* files listed under "rejected" in manifest.json */
  int64_t skipped;        /* files listed under "skipped" */
} df_dataset_summary;

/* Summarises a dataset folder (checking each shard the manifest lists) or one shard file. */
df_status df_dataset_summarize(const char *path, df_dataset_summary *out);

/* ------------------------------------------------------------------ prepare */
typedef enum df_label_source {
  DF_LABELS_MAP = 0, /* kit instrument or first subfolder name -> class via the class table */
  DF_LABELS_FOLDER,  /* every first-level subfolder is its own class (Hydrogen kits: mapped) */
  DF_LABELS_NONE     /* everything unlabelled */
} df_label_source;

typedef enum df_split_by {
  DF_SPLIT_BY_AUTO = 0, /* kits for Hydrogen kits, files otherwise */
  DF_SPLIT_BY_KIT,      /* whole groups (kits, or folders) go to one split */
  DF_SPLIT_BY_FILE
} df_split_by;

/* The loop builder: sequences the inputs' one-shots into drum loops instead of storing them. */
typedef struct df_loop_options {
  int64_t count;          /* loops to render over all splits (> 0 enables the builder) */
  double bpm_min, bpm_max;/* tempo drawn uniformly per loop */
  int bars;               /* 1 or 2 bars of 4/4 */
  const char *tracks;     /* classes to play, e.g. "kick,snare,hh_closed,hh_open" */
  const char *patterns;   /* pattern table; NULL: data/loop_patterns.tsv */
  double humanize_ms;     /* each hit moves by up to +-humanize_ms (0: on the grid), at most half
                           * a 16th step at bpm_max */
  double velocity_jitter; /* each hit's gain is scaled by 1 +- velocity_jitter */
} df_loop_options;

typedef struct df_prepare_progress {
  void (*fn)(void *ctx, const char *stage, int64_t done, int64_t total);
  void *ctx;
} df_prepare_progress;

typedef struct df_prepare_options {
  const char *const *inputs; /* folders or files */
  int n_inputs;
  const char *out_dir;
  int rate;                  /* 16000 */
  int64_t length;            /* samples per example: 16384 */
  int channels;              /* 1 (mix down) or 2 (mono files duplicated; extra channels dropped) */
  df_split_by split_by;
  double split[DF_N_SPLITS]; /* fractions train/validation/test: 0.8, 0.1, 0.1 */
  uint64_t seed;             /* splits and augmentation */
  df_label_source labels;
  const char *class_table;   /* NULL: data/drum_classes.tsv */
  int trim;                  /* 1: cut leading samples below trim_db */
  double trim_db;            /* -60 dBFS */
  double silence_db;         /* files whose peak is below are rejected as silent: -60 dBFS */
  int64_t hop;               /* > 0: sliding slices every hop samples instead of one slice */
  double bpm;                /* > 0: the inputs are loops at this tempo, sliced every `bars` bars */
  int bars;
  double normalize_peak;     /* > 0: scale each example to this peak */
  int augment;               /* augmented copies of each training example */
  double aug_snr_db;         /* white noise at this SNR: 30 dB */
  double aug_gain_db;        /* gain drawn from +-aug_gain_db: 3 dB */
  int64_t aug_shift;         /* time shift drawn from +-aug_shift samples: 160 */
  int int16;                 /* store int16 with a scale instead of float32 */
  int64_t shard_examples;    /* examples per shard; 0: about 128 MiB of audio (2048 x 16384 mono) */
  double max_seconds;        /* longer files are rejected: 600 */
  int keep_duplicates;       /* 0: identical audio is kept once (reported as skipped) */
  df_loop_options loops;     /* loops.count > 0: build loops instead of one-shots */
  df_prepare_progress progress;
} df_prepare_options;

void df_prepare_defaults(df_prepare_options *opt);
/* DF_ERR_INVALID_ARG naming the first option out of range (df_prepare checks them too); the
 * CLI calls it first, so that bad options are usage errors. */
df_status df_prepare_check_options(const df_prepare_options *opt);

/* The one-shot example `prepare` cuts from one file with these options (rate, length,
 * channels, trim, silence and duration limits): decoded, resampled, its leading silence
 * trimmed (trim_db below the sound's own peak here, not dBFS: a quieter copy gives the same
 * example, scaled), its first `length` samples zero-padded -> example [channels, length]. Used to feed
 * a user's own sound to a model (`drumforge encode`). *source_frames (may be NULL) receives
 * the processed file's length before the cut or the padding. A file, or an example, whose
 * peak is below silence_db is DF_ERR_FORMAT. Errors name the file. */
df_status df_prepare_example(const df_prepare_options *opt, const char *path, float *example,
                             int64_t *source_frames);

typedef struct df_prepare_result {
  int64_t files;                  /* files considered: used + rejected + skipped */
  int64_t used;                   /* files that gave at least one example */
  int64_t rejected, skipped;      /* as listed in manifest.json */
  int64_t examples[DF_N_SPLITS];
  int shards;
} df_prepare_result;

/* Builds the dataset in opt->out_dir (created; earlier shards and manifest there replaced).
 * Bad files are reported in manifest.json and skipped; DF_ERR_NOT_FOUND when nothing usable
 * was found. Deterministic: the same inputs and options give the same shards. */
df_status df_prepare(const df_prepare_options *opt, df_prepare_result *result);

/* The folder of drumforge's data files (class table, loop patterns, classifier.ini):
 * $DRUMFORGE_DATA_DIR, else PREFIX/share/drumforge when the program is an installed
 * PREFIX/bin/drumforge, else the data/ folder of the source tree it was built from. */
const char *df_data_dir(void);

/* ------------------------------------------------------------------ the loader */
typedef struct df_loader_options {
  const char *path;        /* dataset folder or a single shard */
  df_split split;
  int batch_size;
  uint64_t seed;           /* shuffling */
  const char *classes;     /* NULL or "": all; else comma-separated names, e.g. "kick,snare" */
  int labelled_only;       /* 1: leave out unlabelled examples */
  df_device device;        /* where df_loader_next_tensor copies to (CUDA: pinned buffers) */
} df_loader_options;

/* The loader's position: saved in checkpoints, restored with df_loader_set_state so that a
 * resumed run sees exactly the batches an uninterrupted one would. */
typedef struct df_loader_state {
  uint64_t epoch;      /* completed epochs */
  uint64_t cursor;     /* examples consumed in this epoch (a multiple of the batch size) */
  uint64_t seed;       /* shuffling seed */
  uint64_t rng_offset; /* the RNG offset at the start of this epoch */
  uint64_t examples;   /* eligible examples (guards against resuming on another dataset) */
} df_loader_state;

typedef struct df_batch {
  const float *audio;     /* [batch, channels, length]; valid until the next call */
  const int32_t *labels;  /* [batch] */
  int batch;
  int channels;
  int64_t length;
  df_loader_state state;  /* the position after this batch */
} df_batch;

typedef struct df_loader df_loader;

/* Opens the split, applies the filters, and starts the background thread at epoch 0. Each
 * epoch is a fresh permutation of the eligible examples across all shards; the last
 * incomplete batch of an epoch is dropped, so every batch has batch_size examples. */
df_status df_loader_open(const df_loader_options *opt, df_loader **out);
/* Rate, length, channels and class names of the data (examples = eligible examples). */
const df_shard_info *df_loader_info(const df_loader *ld);
/* Eligible examples per class, counts[0 .. n_classes) (unlabelled ones are not counted). */
void df_loader_class_counts(const df_loader *ld, int64_t *counts);
int64_t df_loader_batches_per_epoch(const df_loader *ld);
/* The next batch in host memory. */
df_status df_loader_next(df_loader *ld, df_batch *batch);
/* The next batch into audio [batch, channels, length] fp32 and labels [batch] int32 (may be
 * NULL) on either device; on CUDA the copy from pinned memory is asynchronous on the
 * backend's stream. state (may be NULL) receives the position after this batch. */
df_status df_loader_next_tensor(df_loader *ld, df_tensor *audio, df_tensor *labels,
                                df_loader_state *state);
/* The position after the last batch returned (epoch 0, cursor 0 before the first). */
void df_loader_get_state(const df_loader *ld, df_loader_state *state);
/* Continues from a saved position; DF_ERR_INVALID_ARG if it does not fit this data. */
df_status df_loader_set_state(df_loader *ld, const df_loader_state *state);
void df_loader_close(df_loader *ld);

#ifdef __cplusplus
}
#endif
#endif
