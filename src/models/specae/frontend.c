/* The spectrogram front end of the autoencoders and its inverse:
 *   audio [N, 1, L] -> |STFT| [N, F, T] (librosa's frames: centred, zero-padded, Hann n_fft)
 *     -> Mel [N, M, T] (Slaney, librosa's default) or the F - 1 bins below Nyquist
 *     -> the first W frames -> dB (20 log10, amin 1e-10, top_db per item) -> min-max to [0, 1];
 * and back: [0, 1] -> dB range -> magnitudes -> (the dropped Nyquist bin and frames as
 * silence) -> Griffin-Lim (from Mel through the clipped pseudo-inverse). */
#include <stdio.h>
#include <string.h>

#include "core/backend.h"
#include "models/specae/specae.h"

/* Griffin-Lim's initial phases come from this seed at every call: decoding is deterministic. */
#define SA_GRIFFINLIM_SEED 0x5eedULL

/* librosa's amplitude_to_db, but with amin 1e-10 instead of 1e-5: the per-item top_db floor
 * sets the range, so the normalised spectrogram of a sound does not depend on its level (with
 * amin 1e-5 it would for quiet sounds, and for most Mel spectrograms, whose Slaney-normalised
 * values are small). */
static df_db_config db_config(const sa_config *c) {
  df_db_config db = df_db_config_amplitude();
  db.amin = 1e-10f;
  db.top_db = c->top_db;
  return db;
}

static df_status reserve(sa_frontend *fe, const sa_config *c, int64_t n);

df_status sa_frontend_init(sa_frontend *fe, const sa_config *c, df_device dev) {
  memset(fe, 0, sizeof *fe);
  fe->device = dev;
  if (c->mel_bands) {
    df_mel_config mc = df_mel_config_default(c->sample_rate, c->n_fft, c->mel_bands);
    DF_TRY(df_mel_matrices(&mc, dev, &fe->fb, &fe->pinv));
  }
  /* Decoding inverts the STFT: find out now, not at the first preview, whether the frames
   * overlap enough for that (an inverse STFT of silence). */
  DF_TRY(reserve(fe, c, 1));
  df_tensor spec, audio;
  int64_t shape[4] = {1, c->n_fft / 2 + 1, c->stft_frames, 2};
  DF_TRY(df_tensor_alloc(&spec, dev, DF_F32, 4, shape, "silence"));
  df_status s = df_tensor_alloc(&audio, dev, DF_F32, 2, (int64_t[]){1, c->length}, "silence audio");
  if (!s) s = df_istft(fe->plan, &spec, &audio);
  df_tensor_free(&spec);
  df_tensor_free(&audio);
  if (!s) return DF_OK;
  char why[512];
  snprintf(why, sizeof why, "%s", df_last_error());
  return DF_FAIL(DF_ERR_CONFIG, "spectrogram: n_fft %d with hop %d cannot be inverted: %s", c->n_fft, c->hop, why);
}

/* The STFT plan and the scratch; fe->capacity 0. */
static void free_scratch(sa_frontend *fe) {
  df_stft_plan_free(fe->plan);
  fe->plan = NULL;
  df_tensor_free(&fe->mag);
  df_tensor_free(&fe->band);
  fe->capacity = 0;
}

void sa_frontend_free(sa_frontend *fe) {
  free_scratch(fe);
  df_tensor_free(&fe->fb);
  df_tensor_free(&fe->pinv);
  memset(fe, 0, sizeof *fe);
}

/* The STFT plan and the scratch for at least n items: grown to the largest batch yet, never
 * shrunk (a smaller batch runs on their first rows). A failed growth leaves none, and the
 * next call tries again. */
static df_status reserve(sa_frontend *fe, const sa_config *c, int64_t n) {
  if (n <= fe->capacity) return DF_OK;
  free_scratch(fe);
  df_stft_config sc = df_stft_config_default(c->n_fft);
  sc.hop = c->hop;
  sc.pad_mode = DF_PAD_CONSTANT;
  int64_t f = c->n_fft / 2 + 1, t = c->stft_frames;
  df_status s = df_stft_plan_create(&sc, fe->device, n, c->length, &fe->plan);
  if (!s) s = df_tensor_alloc(&fe->mag, fe->device, DF_F32, 3, (int64_t[]){n, f, t}, "STFT magnitudes");
  if (!s) s = df_tensor_alloc(&fe->band, fe->device, DF_F32, 3, (int64_t[]){n, c->bins, t}, "spectrogram (all frames)");
  if (s) {
    free_scratch(fe);
    return s;
  }
  fe->capacity = n;
  return DF_OK;
}

df_status sa_analyse(sa_frontend *fe, const sa_config *c, const df_tensor *audio, df_tensor *spec,
                     df_tensor *lo, df_tensor *hi) {
  int64_t n = audio->shape[0], f = c->n_fft / 2 + 1, t = c->stft_frames, h = c->bins, w = c->frames;
  DF_TRY(df_check_shape("spectrogram front end", audio, 3, (int64_t[]){n, 1, c->length}));
  DF_TRY(df_check_shape("spectrogram front end", spec, 4, (int64_t[]){n, 1, h, w}));
  DF_TRY(reserve(fe, c, n));
  df_tensor signal = DF_VIEW(audio, n, c->length), mag = DF_VIEW(&fe->mag, n, f, t), band = DF_VIEW(&fe->band, n, h, t);
  DF_TRY(df_stft_magnitude(fe->plan, &signal, 1.0f, &mag));
  if (c->mel_bands) {
    DF_TRY(df_mel_project(&fe->fb, &mag, &band));
  } else { /* bins 0 .. F - 2: the first (F - 1) T values of every item */
    df_tensor src = DF_VIEW(&mag, n, f * t), dst = DF_VIEW(&band, n, h * t);
    DF_TRY(df_copy_band(&src, 0, &dst, 0, h * t));
  }
  df_tensor out = DF_VIEW(spec, n * h, w);
  if (w == t) DF_TRY(df_tensor_copy(&out, &band));
  else {
    df_tensor src = DF_VIEW(&band, n * h, t);
    DF_TRY(df_copy_band(&src, 0, &out, 0, w));
  }
  df_db_config db = db_config(c);
  df_tensor items = DF_VIEW(spec, n, h * w);
  DF_TRY(df_to_db(&db, &items, &items));
  return df_minmax_normalize(&items, &items, lo, hi);
}

df_status sa_synthesise(sa_frontend *fe, const sa_config *c, df_tensor *spec, const df_tensor *lo,
                        const df_tensor *hi, df_tensor *audio) {
  int64_t n = spec->shape[0], f = c->n_fft / 2 + 1, t = c->stft_frames, h = c->bins, w = c->frames;
  DF_TRY(df_check_shape("spectrogram synthesis", spec, 4, (int64_t[]){n, 1, h, w}));
  DF_TRY(df_check_shape("spectrogram synthesis", audio, 3, (int64_t[]){n, 1, c->length}));
  DF_TRY(reserve(fe, c, n));
  df_db_config db = db_config(c);
  df_tensor items = DF_VIEW(spec, n, h * w), mag = DF_VIEW(&fe->mag, n, f, t), band = DF_VIEW(&fe->band, n, h, t);
  DF_TRY(df_minmax_denormalize(&items, lo, hi, &items));
  DF_TRY(df_from_db(&db, &items, &items));
  /* Frames past W are silence. */
  df_tensor in = DF_VIEW(spec, n * h, w), all = DF_VIEW(&band, n * h, t);
  if (w < t) DF_TRY(df_tensor_zero(&band));
  DF_TRY(df_copy_band(&in, 0, &all, 0, w));
  df_griffinlim_config gl = df_griffinlim_config_default();
  gl.n_iter = c->gl_iters;
  gl.momentum = c->gl_momentum;
  gl.init = DF_PHASE_RANDOM_SHARED; /* a sound decodes alike alone or in any batch */
  df_rng rng;
  df_rng_init(&rng, SA_GRIFFINLIM_SEED);
  df_tensor signal = DF_VIEW(audio, n, c->length);
  if (c->mel_bands) return df_griffinlim_mel(fe->plan, &gl, &rng, &fe->pinv, &band, &signal, NULL);
  /* The Nyquist bin is silence. */
  df_tensor src = DF_VIEW(&band, n, h * t), dst = DF_VIEW(&mag, n, f * t);
  DF_TRY(df_tensor_zero(&mag));
  DF_TRY(df_copy_band(&src, 0, &dst, 0, h * t));
  return df_griffinlim(fe->plan, &gl, &rng, &mag, &signal, NULL);
}
