/* On-the-fly augmentation of the classifier's training batches (augment.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/audio.h"
#include "drumforge/postfx.h"
#include "models/classifier/augment.h"

#define TILT_CROSSOVER_HZ 1000.0

df_status dc_augment_read(df_config *cfg, int sample_rate, dc_augment *a) {
  memset(a, 0, sizeof *a);
  a->sample_rate = sample_rate;
  DF_TRY(df_config_float(cfg, "augment.pitch_semitones", 0, 0, 12, &a->pitch_semitones));
  DF_TRY(df_config_float(cfg, "augment.tilt_db", 0, 0, 40, &a->tilt_db));
  DF_TRY(df_config_float(cfg, "augment.shift_ms", 0, 0, 500, &a->shift_ms));
  DF_TRY(df_config_float(cfg, "augment.noise_prob", 0, 0, 1, &a->noise_prob));
  DF_TRY(df_config_float(cfg, "augment.snr_min_db", 20, -20, 120, &a->snr_min_db));
  DF_TRY(df_config_float(cfg, "augment.snr_max_db", 60, -20, 120, &a->snr_max_db));
  DF_TRY(df_config_float(cfg, "augment.mixup", 0, 0, 1, &a->mixup));
  if (a->snr_max_db < a->snr_min_db)
    return DF_CONFIG_FAIL(cfg, "augment.snr_max_db", "%g is below augment.snr_min_db (%g)", a->snr_max_db,
                          a->snr_min_db);
  return DF_OK;
}

int dc_augment_active(const dc_augment *a) {
  return a->pitch_semitones > 0 || a->tilt_db > 0 || a->shift_ms > 0 || a->noise_prob > 0;
}

/* Playback at `speed` times the original rate: soxr reads the example as if recorded at
 * rate * speed and writes it at rate; the result is cut or zero-padded to its length. */
static df_status change_speed(float *x, int channels, int64_t length, int rate, double speed) {
  df_audio in = {x, length, channels, (int)lround(rate * speed)}, out;
  if (in.rate == rate) return DF_OK;
  DF_TRY(df_audio_resample(&in, rate, &out));
  const int64_t keep = out.frames < length ? out.frames : length;
  for (int c = 0; c < channels; c++) {
    memcpy(x + c * length, out.data + c * out.frames, sizeof(float) * (size_t)keep);
    memset(x + c * length + keep, 0, sizeof(float) * (size_t)(length - keep));
  }
  df_audio_free(&out);
  return DF_OK;
}

/* A first-order tilt: gain 10^(-db/40) at 0 Hz, 10^(db/40) at Nyquist, 1 at the crossover,
 * symmetric in dB around it (the analog G (s + w0/G) / (s + w0 G) by the bilinear transform,
 * pre-warped at the crossover). */
static void tilt(float *x, int64_t n, int rate, double db) {
  const double g = pow(10.0, db / 40.0), k = tan(M_PI * TILT_CROSSOVER_HZ / rate);
  const double b0 = (g + k) / (1 + k * g), b1 = (k - g) / (1 + k * g), a1 = (k * g - 1) / (1 + k * g);
  double x1 = 0, y1 = 0;
  for (int64_t i = 0; i < n; i++) {
    const double y = b0 * x[i] + b1 * x1 - a1 * y1;
    x1 = x[i];
    y1 = y;
    x[i] = (float)y;
  }
}

static void delay(float *x, int64_t n, int64_t d) {
  if (d <= 0) return;
  if (d > n) d = n;
  memmove(x + d, x, sizeof(float) * (size_t)(n - d));
  memset(x, 0, sizeof(float) * (size_t)d);
}

df_status dc_augment_batch(const dc_augment *a, df_rng *rng, float *audio, int64_t batch, int channels,
                           int64_t length, float *scratch) {
  const int rate = a->sample_rate;
  df_tensor noise = df_tensor_wrap(scratch, DF_DEVICE_CPU, DF_F32, 1, &length, "classifier augmentation noise");
  for (int64_t e = 0; e < batch; e++) {
    float *x = audio + e * channels * length;
    /* The draws of one example, always in this order and only for what is on. */
    if (a->pitch_semitones > 0) {
      double semitones = a->pitch_semitones * (2.0 * df_rng_uniform1(rng) - 1.0);
      DF_TRY(change_speed(x, channels, length, rate, pow(2.0, semitones / 12.0)));
    }
    if (a->tilt_db > 0) {
      double db = a->tilt_db * (2.0 * df_rng_uniform1(rng) - 1.0);
      for (int c = 0; c < channels; c++) tilt(x + c * length, length, rate, db);
    }
    if (a->shift_ms > 0) {
      int64_t d = llround(a->shift_ms * 1e-3 * rate * df_rng_uniform1(rng));
      for (int c = 0; c < channels; c++) delay(x + c * length, length, d);
    }
    if (a->noise_prob > 0 && df_rng_uniform1(rng) < a->noise_prob) {
      double snr = a->snr_min_db + (a->snr_max_db - a->snr_min_db) * df_rng_uniform1(rng);
      const float sigma = (float)(df_audio_peak(&(df_audio){x, length, channels, rate}) * pow(10.0, -snr / 20.0));
      for (int c = 0; c < channels; c++) {
        DF_TRY(df_rng_normal(rng, &noise, 0.0f, sigma));
        float *y = x + c * length;
        for (int64_t i = 0; i < length; i++) y[i] += scratch[i];
      }
    }
  }
  return DF_OK;
}

df_status dc_mixup_batch(const dc_augment *a, df_rng *rng, const float *source, float *audio, const int32_t *labels,
                         int n_classes, int64_t batch, int channels, int64_t length, int32_t *other, float *keep,
                         int64_t *partner) {
  for (int64_t i = 0; i < batch; i++) partner[i] = i;
  df_rng_shuffle(rng, partner, batch);
  const int64_t per = channels * length;
  for (int64_t i = 0; i < batch; i++) {
    const double u = df_rng_uniform1(rng); /* drawn for every example: a fixed number of draws */
    const int64_t j = partner[i];
    const int labelled = labels[i] >= 0 && labels[i] < n_classes && labels[j] >= 0 && labels[j] < n_classes;
    other[i] = -1;
    keep[i] = 1.0f;
    if (j == i || !labelled) continue;
    const float k = (float)(1.0 - a->mixup * u);
    for (int64_t s = 0; s < per; s++) audio[i * per + s] = k * source[i * per + s] + (1 - k) * source[j * per + s];
    other[i] = labels[j];
    keep[i] = k;
  }
  return DF_OK;
}
