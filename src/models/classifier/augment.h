/* On-the-fly augmentation of the classifier's training batches, on the host, every draw from
 * the run's RNG (so a resumed run augments exactly as an uninterrupted one would). The splits
 * of a dataset are by kit, so what the classifier must learn to ignore is what differs
 * between kits: the recording's pitch (tuning, sample rate), its EQ, its noise floor and
 * where the hit starts. Level needs nothing: the front end scales each example to its own
 * dB range. */
#ifndef DF_MODELS_CLASSIFIER_AUGMENT_H
#define DF_MODELS_CLASSIFIER_AUGMENT_H

#include "drumforge/config.h"
#include "drumforge/rng.h"

typedef struct dc_augment {
  int sample_rate;
  double pitch_semitones; /* playback speed 2^(u/12), u uniform in [-p, p] (soxr); 0: off */
  double tilt_db;         /* highs against lows by t dB, t uniform in [-tilt, tilt]; 0: off */
  double shift_ms;        /* the hit starts d ms later, d uniform in [0, shift]; 0: off */
  double noise_prob;      /* chance of white noise ... */
  double snr_min_db, snr_max_db; /* ... at a peak-to-noise ratio uniform in [min, max] dB */
  double mixup;           /* each example keeps 1 - m u of itself, u uniform in [0, 1), and takes
                           * the rest from another labelled example of the batch; 0: off */
} dc_augment;

/* Reads the [augment] keys; sample_rate is the data's. */
df_status dc_augment_read(df_config *cfg, int sample_rate, dc_augment *out);
int dc_augment_active(const dc_augment *a);

/* Augments audio [batch, channels, length] (host) in place, each example with its own draws
 * (all its channels alike). scratch holds at least `length` floats. */
df_status dc_augment_batch(const dc_augment *a, df_rng *rng, float *audio, int64_t batch, int channels,
                           int64_t length, float *scratch);

/* Mixup (after dc_augment_batch): example i becomes keep[i] x_i + (1 - keep[i]) x_other[i]
 * with other[i] another labelled example of the batch (a random pairing), or keep[i] = 1 and
 * other[i] = -1 when it has no label, or nothing to pair with. The originals are read from
 * `source` (a copy of audio before mixing). other [batch] and keep [batch] are written;
 * partner [batch] is scratch. */
df_status dc_mixup_batch(const dc_augment *a, df_rng *rng, const float *source, float *audio, const int32_t *labels,
                         int n_classes, int64_t batch, int channels, int64_t length, int32_t *other, float *keep,
                         int64_t *partner);

#endif
