/* The loop builder: drum loops sequenced from one-shots, sample-exact, with the pattern and
 * kit stored with each loop. Patterns come from a table (data/loop_patterns.tsv):
 *     NAME <TAB> CLASS <TAB> STEPS
 * STEPS has 16 characters per bar (sixteenth notes of 4/4; 16 or 32 characters): '.' rest,
 * 'o' ghost (0.4), 'x' hit (0.8), 'X' accent (1.0). Rows of one NAME form one pattern. */
#ifndef DF_DATA_LOOPS_H
#define DF_DATA_LOOPS_H

#include <stdint.h>

#include "drumforge/audio.h"
#include "drumforge/dataset.h"

#define LOOP_STEPS_PER_BAR 16
#define LOOP_MAX_TRACKS 16
#define LOOP_MAX_STEPS 32

typedef struct loop_pattern {
  char name[64];
  int steps;                  /* 16 (one bar, repeated for two) or 32 (two bars) */
  int n_tracks;
  int track_class[LOOP_MAX_TRACKS];           /* class id */
  float velocity[LOOP_MAX_TRACKS][LOOP_MAX_STEPS]; /* 0: rest */
} loop_pattern;

/* Loads a pattern table; class names are resolved against names[n_names]. Rows naming a class
 * that is not there are an error naming the file and line. */
df_status loop_patterns_load(const char *path, char names[][DF_CLASS_NAME_LEN], int n_names,
                             loop_pattern **out, int *n);

typedef struct loop_hit {
  int track;
  int step;      /* sixteenth note counted over all bars */
  int64_t onset; /* sample of the loop where the one-shot starts */
  float gain;
} loop_hit;

/* Where step `step` (counted over all bars) falls: round(step * rate * 60 / (bpm * 4)). */
int64_t loop_step_sample(int step, double bpm, int rate);

/* Renders `bars` bars of pattern p at bpm into out [channels, length] (zeroed first): each hit
 * of track t adds gain * samples[t] from its onset up to the end of the bars (or `length`).
 * jitter[k] (samples, may be NULL) and gain_scale[k] (may be NULL) apply to the k-th hit in
 * track-major, step order. hits (capacity max_hits, may be NULL) receives what was played. */
int loop_render(const loop_pattern *p, int bars, double bpm, int rate, const df_audio *const *samples,
                const int64_t *jitter, const float *gain_scale, float *out, int channels,
                int64_t length, loop_hit *hits, int max_hits);

/* Collects the one-shots of each split and kit, then renders opt->loops.count loops. */
typedef struct loop_pool loop_pool;
df_status loop_pool_create(const df_prepare_options *opt, const df_shard_info *info, loop_pool **out);
/* Takes ownership of clip's samples. label < 0 clips are not used. */
df_status loop_pool_add(loop_pool *p, df_split split, const char *kit, int label,
                        const char *source, df_audio *clip);
/* audio [channels, length] may be changed by emit; content: samples up to the loop's end;
 * index: the loop's number within its split. */
typedef df_status (*loop_emit_fn)(void *ctx, df_split split, float *audio, int64_t content,
                                  const char *kit, const char *source, const char *pattern_json,
                                  int64_t index);
/* Renders every loop in a fixed order and hands each to emit. *rendered receives the count
 * per split: the loops asked for are shared among the splits that have a kit with the
 * needed classes (all of them go to train when only train has one). */
df_status loop_pool_render(loop_pool *p, loop_emit_fn emit, void *ctx, int64_t rendered[DF_N_SPLITS]);
/* Why no loop could be rendered from the pool's one-shots (malloc'd; NULL when out of
 * memory): the classes a pattern needs and those each kit has. */
char *loop_pool_why_none(const loop_pool *p);
void loop_pool_free(loop_pool *p);

#endif
