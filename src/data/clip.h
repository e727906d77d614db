/* One source file made ready for slicing, and the examples cut from it. */
#ifndef DF_DATA_CLIP_H
#define DF_DATA_CLIP_H

#include <stdint.h>

#include "drumforge/audio.h"
#include "drumforge/dataset.h"

/* Reads path, fits the channel count (mix down, or duplicate a mono file / keep the first two
 * channels for stereo), rejects silence (peak below opt->silence_db), resamples to opt->rate
 * and trims leading samples below opt->trim_db (not for loops with a bpm: they start on the
 * downbeat). hash identifies the decoded audio (duplicates). Errors name the file. */
df_status clip_load(const char *path, const df_prepare_options *opt, df_audio *out, uint64_t *hash);

/* Where the examples of a clip of `frames` samples start: one slice at 0 for one-shots; every
 * opt->hop samples while a whole slice fits; every opt->bars bars at opt->bpm while whole
 * bars fit (the first slice is always taken, zero-padded when short). *take is how many
 * samples each slice copies (at most opt->length; bars beyond it are cut). Returns the count
 * written to starts (at most max). */
int64_t clip_slices(int64_t frames, const df_prepare_options *opt, int64_t *starts, int64_t max,
                    int64_t *take);

/* Copies `take` samples from `start` of every channel into dst [channels, length], zero-padded. */
void clip_copy(const df_audio *clip, int64_t start, int64_t take, int64_t length, float *dst);

/* Peak |x| over n samples. */
float clip_peak(const float *x, int64_t n);

/* An augmented copy of x [channels, length] whose sound occupies the first `content` samples:
 * a gain drawn from +-opt->aug_gain_db, a shift from +-opt->aug_shift samples, and white noise
 * at opt->aug_snr_db below the sound's RMS, all drawn from the project RNG seeded by `seed`. */
df_status clip_augment(const float *x, float *y, int channels, int64_t length, int64_t content,
                       const df_prepare_options *opt, uint64_t seed);

#endif
