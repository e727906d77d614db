/* Post-processing of generated sounds on the CPU, one sound at a time (what `drumforge
 * generate` applies after the model): a zero-phase Butterworth low-pass, moving-average
 * smoothing, peak and loudness normalisation, and trimming trailing silence with a short fade.
 *
 * Audio is a planar df_audio ([channels, frames], audio.h). Filters act on each channel;
 * measurements (peak, RMS, silence) take all channels together, so a stereo image is kept.
 * Filtering runs in double precision. */
#ifndef DRUMFORGE_POSTFX_H
#define DRUMFORGE_POSTFX_H

#include <stdint.h>

#include "drumforge/audio.h"
#include "drumforge/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_BUTTER_MAX_ORDER 16
/* The lowest cutoff (fraction of Nyquist, 0.008 Hz at 16 kHz) whose sections stay stable in
 * double precision at every order. */
#define DF_BUTTER_MIN_CUTOFF 1e-6

/* One second-order section, a0 = 1: y = b0 x + b1 x[-1] + b2 x[-2] - a1 y[-1] - a2 y[-2]. */
typedef struct df_biquad {
  double b0, b1, b2, a1, a2;
} df_biquad;

/* A digital Butterworth low-pass as a cascade of second-order sections (a first-order one
 * last for odd orders, with b2 = a2 = 0). */
typedef struct df_butter {
  int order;
  double cutoff; /* fraction of Nyquist, in [DF_BUTTER_MIN_CUTOFF, 1) */
  int n_sections;
  df_biquad sections[(DF_BUTTER_MAX_ORDER + 1) / 2];
} df_butter;

/* Designs the filter: the analog prototype's poles exp(i pi (2k + N + 1) / 2N), scaled to the
 * pre-warped cutoff tan(pi cutoff / 2) and mapped by the bilinear transform, all zeros at
 * Nyquist, each section normalised to unit gain at DC. Its magnitude response is
 * 1 / sqrt(1 + (tan(pi f / 2) / tan(pi cutoff / 2))^(2N)) at f (fraction of Nyquist).
 * order in [1, DF_BUTTER_MAX_ORDER], cutoff in [DF_BUTTER_MIN_CUTOFF, 1). */
df_status df_butter_lowpass(int order, double cutoff, df_butter *out);

/* Zero-phase filtering in place (scipy.signal.sosfiltfilt's method): the signal is extended
 * at both ends by an odd reflection of 3 (2 sections + 1) samples (one fewer per first-order
 * section; at most n - 1), filtered forwards from the steady state of its first sample,
 * then backwards from the steady state of the last output, and the extension is cut off.
 * The magnitude response is the filter's squared, the phase zero; a constant passes exactly.
 * n >= 2 (a single sample is left as it is). */
df_status df_filtfilt(const df_butter *f, float *x, int64_t n);

/* Centred moving average over `window` samples (odd, >= 1), in place. Near the ends the
 * window shrinks to the samples that exist, so the level is kept (no fade-in from zeros). */
df_status df_moving_average(float *x, int64_t n, int window);

/* Largest |sample| over all channels, and the RMS level in dBFS: 20 log10 of the root mean
 * square of every sample of every channel, relative to full scale 1.0 (a full-scale sine is
 * -3.01 dBFS). No K-weighting and no gating. Silence is -INFINITY. */
float df_audio_peak(const df_audio *a);
double df_audio_rms_db(const df_audio *a);

/* Scales the sound so its peak is peak_db dBFS (e.g. -1). Silence is left as it is. */
df_status df_normalize_peak(df_audio *a, double peak_db);
/* Scales the sound so its RMS level is rms_db dBFS (e.g. -18), except that the gain is
 * limited so the peak never exceeds full scale (0 dBFS). Silence is left as it is. */
df_status df_normalize_rms(df_audio *a, double rms_db);

/* Trims trailing silence: the sound ends fade_frames after its last frame at or above
 * threshold_db dBFS (on any channel), and those last frames fade out along a quarter cosine
 * squared (the final frame is 0). Fewer frames fade when the sound ends sooner. A sound
 * entirely below the threshold is left as it is. a->frames shrinks; the planar data is
 * compacted in place. */
df_status df_trim_trailing_silence(df_audio *a, double threshold_db, int64_t fade_frames);

/* Multiplies frames [from, from + n) of every channel by the fade-out curve above (the
 * frame at from + n - 1 becomes 0); frames of that range outside the sound are skipped (the
 * curve keeps its length n). Used by the trim and by loop tiling. */
void df_fade_out(df_audio *a, int64_t from, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
