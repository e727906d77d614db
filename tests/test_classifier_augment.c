/* The classifier's training augmentation (src/models/classifier/augment.h): seeded and
 * reproducible (the same RNG position gives the same batch bit for bit, another seed another
 * batch), nothing changes and nothing is drawn when it is off, and each transformation does
 * what it says: the shift delays the hit by a whole number of samples within its range, the
 * noise sits at the asked peak-to-noise ratio, the tilt raises one end of the spectrum by what
 * it lowers the other within its range, and the pitch change moves a tone's frequency within
 * its range of semitones; mixup blends each labelled example with another labelled one at
 * the share it reports, and leaves unlabelled ones alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "models/classifier/augment.h"

#define RATE 16000
#define LEN 4096
#define BATCH 6

/* A decaying noisy hit, different for each example. */
static void hits(float *x, int n) {
  df_test_fill_uniform(x, (int64_t)n * LEN, 5, -1.0f, 1.0f);
  for (int e = 0; e < n; e++)
    for (int i = 0; i < LEN; i++) x[e * LEN + i] *= expf(-(float)i / (300.0f * (float)(e + 1)));
}

static void tone(float *x, double hz, double amp) {
  for (int i = 0; i < LEN; i++) x[i] = (float)(amp * sin(2 * M_PI * hz * i / RATE));
}

static double rms(const float *x, int from, int to) {
  double s = 0;
  for (int i = from; i < to; i++) s += (double)x[i] * x[i];
  return sqrt(s / (to - from));
}

/* Frequency from the rising zero crossings between two sample positions. */
static double frequency(const float *x, int from, int to) {
  int first = -1, last = -1, count = 0;
  for (int i = from; i + 1 < to; i++)
    if (x[i] < 0 && x[i + 1] >= 0) {
      if (first < 0) first = i;
      last = i;
      count++;
    }
  return count > 1 ? (double)(count - 1) * RATE / (last - first) : 0;
}

static dc_augment off(void) {
  dc_augment a = {0};
  a.sample_rate = RATE;
  a.snr_min_db = 20;
  a.snr_max_db = 60;
  return a;
}

int main(void) {
  df_test_begin("test_classifier_augment");
  float *in = malloc(sizeof(float) * BATCH * LEN), *x = malloc(sizeof(float) * BATCH * LEN);
  float *y = malloc(sizeof(float) * BATCH * LEN), *scratch = malloc(sizeof(float) * LEN);
  hits(in, BATCH);

  /* Everything on: reproducible from the RNG position. */
  dc_augment all = off();
  all.pitch_semitones = 2;
  all.tilt_db = 12;
  all.shift_ms = 20;
  all.noise_prob = 0.5;
  df_rng r1, r2, r3;
  df_rng_init(&r1, 42);
  df_rng_init(&r3, 43);
  r1.offset = 1000;
  r3.offset = 1000;
  r2 = r1;
  memcpy(x, in, sizeof(float) * BATCH * LEN);
  memcpy(y, in, sizeof(float) * BATCH * LEN);
  df_expect_ok(dc_augment_batch(&all, &r1, x, BATCH, 1, LEN, scratch), "augment a batch");
  df_expect_ok(dc_augment_batch(&all, &r2, y, BATCH, 1, LEN, scratch), "augment it again");
  df_expect_equal_bytes("the same RNG position: the same augmented batch", x, y, sizeof(float) * BATCH * LEN);
  df_expect_true(r1.offset == r2.offset && r1.offset > 1000, "the RNG advances, by the same amount both times");
  df_expect_true(memcmp(x, in, sizeof(float) * BATCH * LEN) != 0, "the batch changes");
  memcpy(y, in, sizeof(float) * BATCH * LEN);
  df_expect_ok(dc_augment_batch(&all, &r3, y, BATCH, 1, LEN, scratch), "augment with another seed");
  df_expect_true(memcmp(x, y, sizeof(float) * BATCH * LEN) != 0, "another seed: another batch");

  /* Off: nothing drawn, nothing changed. */
  dc_augment none = off();
  df_rng_init(&r1, 7);
  memcpy(x, in, sizeof(float) * BATCH * LEN);
  df_expect_true(!dc_augment_active(&none) && dc_augment_active(&all), "active only with something on");
  df_expect_ok(dc_augment_batch(&none, &r1, x, BATCH, 1, LEN, scratch), "augment with everything off");
  df_expect_equal_bytes("everything off: the batch as it was", x, in, sizeof(float) * BATCH * LEN);
  df_expect_true(r1.offset == 0, "everything off: nothing drawn");

  /* Shift: each example is its input delayed by 0 .. 20 ms, zeros before. */
  dc_augment shift = off();
  shift.shift_ms = 20;
  const int max_delay = 20 * RATE / 1000;
  df_rng_init(&r1, 3);
  memcpy(x, in, sizeof(float) * BATCH * LEN);
  df_expect_ok(dc_augment_batch(&shift, &r1, x, BATCH, 1, LEN, scratch), "shift");
  int shifted_ok = 1, distinct = 0, first_delay = -1;
  for (int e = 0; e < BATCH; e++) {
    int found = -1;
    for (int d = 0; d <= max_delay && found < 0; d++) {
      int match = 1;
      for (int i = 0; i < LEN && match; i++) match = x[e * LEN + i] == (i < d ? 0.0f : in[e * LEN + i - d]);
      if (match) found = d;
    }
    if (found < 0) shifted_ok = 0;
    if (e == 0) first_delay = found;
    else if (found != first_delay) distinct = 1;
  }
  df_expect_true(shifted_ok, "shift: every example is its input delayed by 0 to 20 ms exactly");
  df_expect_true(distinct, "shift: the examples get different delays");

  /* Noise at 40 dB below the peak, on every example. */
  dc_augment noise = off();
  noise.noise_prob = 1;
  noise.snr_min_db = noise.snr_max_db = 40;
  df_rng_init(&r1, 4);
  memcpy(x, in, sizeof(float) * BATCH * LEN);
  df_expect_ok(dc_augment_batch(&noise, &r1, x, BATCH, 1, LEN, scratch), "noise");
  double worst = 40;
  for (int e = 0; e < BATCH; e++) {
    float p = 0;
    for (int i = 0; i < LEN; i++) {
      p = fmaxf(p, fabsf(in[e * LEN + i]));
      y[i] = x[e * LEN + i] - in[e * LEN + i];
    }
    double db = 20 * log10(p / rms(y, 0, LEN));
    if (fabs(db - 40) > fabs(worst - 40)) worst = db;
  }
  char what[200];
  snprintf(what, sizeof what, "noise: peak-to-noise ratio 40 dB (worst example %.2f dB)", worst);
  df_expect_true(fabs(worst - 40) < 0.5, what);

  /* Tilt: the same draw on a low and a high tone; the one gains what the other loses. */
  dc_augment tilt = off();
  tilt.tilt_db = 12;
  int tilt_ok = 1, tilted = 0;
  for (uint64_t seed = 0; seed < 8; seed++) {
    df_rng_init(&r1, seed);
    r2 = r1;
    tone(x, 100, 0.5);
    tone(y, 7000, 0.5);
    df_expect_ok(dc_augment_batch(&tilt, &r1, x, 1, 1, LEN, scratch), "tilt a low tone");
    df_expect_ok(dc_augment_batch(&tilt, &r2, y, 1, 1, LEN, scratch), "tilt a high tone");
    double low = 20 * log10(rms(x, LEN / 2, LEN) / (0.5 / sqrt(2))), high = 20 * log10(rms(y, LEN / 2, LEN) / (0.5 / sqrt(2)));
    printf("     tilt draw %llu: low tone %+.2f dB, high tone %+.2f dB\n", (unsigned long long)seed, low, high);
    /* Symmetric around the 1 kHz crossover; at most +-6 dB at the ends of the spectrum. */
    if (fabs(low + high) > 0.5 || fabs(low) > 6.0 || fabs(high) > 6.0) tilt_ok = 0;
    if (fabs(high - low) > 1.0) tilted = 1;
  }
  df_expect_true(tilt_ok, "tilt: highs gain what lows lose, at most 6 dB each");
  df_expect_true(tilted, "tilt: the draws tilt the spectrum");

  /* Pitch: a 440 Hz tone plays 2^(u / 12) faster, |u| <= 2 semitones. */
  dc_augment pitch = off();
  pitch.pitch_semitones = 2;
  int pitch_ok = 1, moved = 0;
  for (uint64_t seed = 0; seed < 8; seed++) {
    df_rng_init(&r1, seed);
    tone(x, 440, 0.5);
    df_expect_ok(dc_augment_batch(&pitch, &r1, x, 1, 1, LEN, scratch), "change the pitch");
    double hz = frequency(x, 200, LEN * 3 / 4), semis = 12 * log2(hz / 440);
    printf("     pitch draw %llu: %.1f Hz (%+.2f semitones)\n", (unsigned long long)seed, hz, semis);
    if (!(fabs(semis) <= 2.02)) pitch_ok = 0;
    if (fabs(semis) > 0.1) moved = 1;
  }
  df_expect_true(pitch_ok, "pitch: the tone moves by at most 2 semitones");
  df_expect_true(moved, "pitch: the draws move the tone");

  /* Mixup of up to half: example 2 is unlabelled. */
  dc_augment mix = off();
  mix.mixup = 0.5;
  const int32_t labels[BATCH] = {0, 1, -1, 2, 0, 1};
  int32_t other[BATCH];
  float keep[BATCH];
  int64_t partner[BATCH];
  df_rng_init(&r1, 5);
  memcpy(x, in, sizeof(float) * BATCH * LEN);
  df_expect_ok(dc_mixup_batch(&mix, &r1, in, x, labels, 3, BATCH, 1, LEN, other, keep, partner), "mixup");
  int mix_ok = 1, mixed = 0;
  for (int e = 0; e < BATCH; e++) {
    if (other[e] < 0) {
      if (keep[e] != 1.0f || memcmp(x + e * LEN, in + e * LEN, sizeof(float) * LEN)) mix_ok = 0;
      continue;
    }
    if (labels[e] < 0 || keep[e] < 0.5f || keep[e] > 1.0f) mix_ok = 0;
    int found = 0; /* the partner: a labelled example of label other[e] whose blend is x_e */
    for (int j = 0; j < BATCH && !found; j++) {
      if (j == e || labels[j] != other[e]) continue;
      int same = 1;
      for (int i = 0; i < LEN && same; i++)
        same = x[e * LEN + i] == keep[e] * in[e * LEN + i] + (1 - keep[e]) * in[j * LEN + i];
      found = same;
    }
    if (!found) mix_ok = 0;
    mixed++;
  }
  df_expect_true(other[2] == -1 && keep[2] == 1.0f, "mixup: the unlabelled example is left alone");
  df_expect_true(mix_ok, "mixup: keep x_i + (1 - keep) x_j with j labelled other[i], keep in [0.5, 1]");
  df_expect_true(mixed >= 3, "mixup: most labelled examples are blended");

  free(in);
  free(x);
  free(y);
  free(scratch);
  return df_test_finish();
}
