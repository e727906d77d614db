/* Per-file processing: decode, check, resample, trim, slice, augment (src/data/clip.h). */
#include "data/clip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/text.h"
#include "drumforge/rng.h"

float clip_peak(const float *x, int64_t n) {
  float p = 0.0f;
  for (int64_t i = 0; i < n; i++) p = fmaxf(p, fabsf(x[i]));
  return p;
}

/* Keeps the first two channels, or duplicates a mono file, for stereo datasets. */
static df_status fit_stereo(df_audio *a) {
  if (a->channels == 2) return DF_OK;
  df_audio s;
  DF_TRY(df_audio_alloc(&s, 2, a->frames, a->rate));
  memcpy(s.data, a->data, sizeof(float) * (size_t)a->frames);
  memcpy(s.data + a->frames, a->data + (a->channels > 1 ? a->frames : 0), sizeof(float) * (size_t)a->frames);
  df_audio_free(a);
  *a = s;
  return DF_OK;
}

/* Drops the frames before the first one whose loudest channel reaches the threshold. */
static void trim_leading(df_audio *a, double db) {
  float thr = (float)pow(10.0, db / 20.0);
  int64_t first = 0;
  for (; first < a->frames; first++) {
    int loud = 0;
    for (int c = 0; c < a->channels; c++) loud |= fabsf(a->data[(int64_t)c * a->frames + first]) >= thr;
    if (loud) break;
  }
  if (first == 0 || first == a->frames) return;
  int64_t keep = a->frames - first;
  for (int c = 0; c < a->channels; c++)
    memmove(a->data + (int64_t)c * keep, a->data + (int64_t)c * a->frames + first, sizeof(float) * (size_t)keep);
  a->frames = keep;
}

/* DF_ERR_FORMAT when the loudest sample of a is below the --silence-db limit; `when` says at
 * which stage ("" for the file as decoded). */
static df_status check_audible(const char *path, const df_audio *a, double silence_db, const char *when) {
  float peak = clip_peak(a->data, (int64_t)a->channels * a->frames);
  if (peak >= (float)pow(10.0, silence_db / 20.0)) return DF_OK;
  if (peak == 0.0f) return DF_FAIL(DF_ERR_FORMAT, "%s: silent%s: every sample is zero", path, when);
  return DF_FAIL(DF_ERR_FORMAT, "%s: silent%s: its peak, %.1f dBFS, is below the %.0f dBFS limit", path,
                 when, 20.0 * log10(peak), silence_db);
}

df_status clip_load(const char *path, const df_prepare_options *opt, df_audio *out, uint64_t *hash) {
  memset(out, 0, sizeof *out);
  df_audio_read_options ro = {.mono = opt->channels == 1, .max_seconds = opt->max_seconds};
  df_audio a;
  DF_TRY(df_audio_read(path, &ro, &a));
  df_status st = opt->channels == 2 ? fit_stereo(&a) : DF_OK;
  if (st == DF_OK) st = check_audible(path, &a, opt->silence_db, "");
  if (st != DF_OK) {
    df_audio_free(&a);
    return st;
  }
  int64_t n = (int64_t)a.channels * a.frames;
  uint64_t h = text_fnv1a(TEXT_FNV_INIT, &a.rate, sizeof a.rate);
  h = text_fnv1a(h, &a.channels, sizeof a.channels);
  *hash = text_fnv1a(h, a.data, sizeof(float) * (size_t)n);
  st = df_audio_resample(&a, opt->rate, out);
  /* A file of a few frames at a high rate, or one whose sound lies above the new Nyquist
   * frequency, can come out of the resampler empty or silent: no example is better than a
   * silent one. */
  if (st == DF_OK && out->frames == 0)
    st = DF_FAIL(DF_ERR_FORMAT, "%s: too short: %lld frame%s at %d Hz, less than one sample at %d Hz", path,
                 (long long)a.frames, a.frames == 1 ? "" : "s", a.rate, opt->rate);
  char when[64];
  snprintf(when, sizeof when, " after resampling to %d Hz", opt->rate);
  if (st == DF_OK) st = check_audible(path, out, opt->silence_db, when);
  df_audio_free(&a);
  if (st != DF_OK) df_audio_free(out);
  if (st == DF_OK && opt->trim && opt->bpm <= 0) trim_leading(out, opt->trim_db);
  return st;
}

int64_t clip_slices(int64_t frames, const df_prepare_options *opt, int64_t *starts, int64_t max,
                    int64_t *take) {
  int64_t n = 0;
  if (opt->bpm > 0) {
    double span = opt->bars * 4.0 * 60.0 / opt->bpm * opt->rate; /* samples per slice of bars */
    *take = (int64_t)llround(span) < opt->length ? (int64_t)llround(span) : opt->length;
    for (int64_t k = 0; n < max; k++) {
      int64_t s = (int64_t)llround(k * span);
      if (k > 0 && s + (int64_t)llround(span) > frames) break;
      starts[n++] = s;
    }
  } else if (opt->hop > 0) {
    *take = opt->length;
    for (int64_t s = 0; n < max && (s == 0 || s + opt->length <= frames); s += opt->hop) starts[n++] = s;
  } else {
    *take = opt->length;
    starts[n++] = 0;
  }
  return n;
}

void clip_copy(const df_audio *clip, int64_t start, int64_t take, int64_t length, float *dst) {
  memset(dst, 0, sizeof(float) * (size_t)clip->channels * (size_t)length);
  int64_t avail = clip->frames - start;
  int64_t n = take < avail ? take : avail;
  if (n > length) n = length;
  for (int c = 0; c < clip->channels && n > 0; c++)
    memcpy(dst + (int64_t)c * length, clip->data + (int64_t)c * clip->frames + start, sizeof(float) * (size_t)n);
}

df_status clip_augment(const float *x, float *y, int channels, int64_t length, int64_t content,
                       const df_prepare_options *opt, uint64_t seed) {
  df_rng rng;
  df_rng_init(&rng, seed);
  float gain = (float)pow(10.0, (2.0 * df_rng_uniform1(&rng) - 1.0) * opt->aug_gain_db / 20.0);
  int64_t shift = opt->aug_shift > 0 ? df_rng_int(&rng, -(int)opt->aug_shift, (int)opt->aug_shift) : 0;
  for (int c = 0; c < channels; c++)
    for (int64_t t = 0; t < length; t++) {
      int64_t src = t - shift;
      y[(int64_t)c * length + t] = src >= 0 && src < length ? gain * x[(int64_t)c * length + src] : 0.0f;
    }
  /* The noise level follows the sound's RMS over where it now lies. */
  int64_t lo = shift > 0 ? shift : 0, hi = content + shift < length ? content + shift : length;
  double sum = 0.0;
  for (int c = 0; c < channels; c++)
    for (int64_t t = lo; t < hi; t++) sum += (double)y[(int64_t)c * length + t] * y[(int64_t)c * length + t];
  double rms = hi > lo ? sqrt(sum / ((double)channels * (double)(hi - lo))) : 0.0;
  if (rms <= 0.0) return DF_OK;
  float *noise = malloc(sizeof(float) * (size_t)channels * (size_t)length);
  if (!noise) return DF_FAIL(DF_ERR_OOM, "augmentation noise");
  df_tensor t = df_tensor_wrap(noise, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){(int64_t)channels * length}, "noise");
  df_status st = df_rng_normal(&rng, &t, 0.0f, (float)(rms / pow(10.0, opt->aug_snr_db / 20.0)));
  for (int64_t i = 0; st == DF_OK && i < (int64_t)channels * length; i++) y[i] += noise[i];
  free(noise);
  return st;
}

df_status df_prepare_example(const df_prepare_options *opt, const char *path, float *example,
                             int64_t *source_frames) {
  df_audio clip;
  uint64_t hash;
  df_prepare_options untrimmed = *opt;
  untrimmed.trim = 0;
  DF_TRY(clip_load(path, &untrimmed, &clip, &hash));
  /* Trimmed relative to the sound's own peak: the example of a quieter copy is the same
   * sound, scaled (the models normalise their input, so its latent is the same too). */
  if (opt->trim && opt->bpm <= 0)
    trim_leading(&clip, opt->trim_db + 20.0 * log10(clip_peak(clip.data, (int64_t)clip.channels * clip.frames)));
  clip_copy(&clip, 0, clip.frames < opt->length ? clip.frames : opt->length, opt->length, example);
  if (source_frames) *source_frames = clip.frames;
  /* The file was audible, but the example is its start only: without trimming (or after a
   * long quiet stretch) that can be silence, whose latent is no sound of the file. */
  df_audio cut = {example, opt->length, clip.channels, opt->rate};
  char when[96];
  snprintf(when, sizeof when, " in its first %.2f s (what the model hears%s)", (double)opt->length / opt->rate,
           opt->trim ? "" : "; trimming would skip leading silence");
  df_status st = check_audible(path, &cut, opt->silence_db, when);
  df_audio_free(&clip);
  return st;
}
