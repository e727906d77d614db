/* One generated file: post-processing, tiling, encoding and writing (generate.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/fileio.h"
#include "drumforge/postfx.h"
#include "generate/gen_internal.h"

void gen_file_name(const gen_run *run, const gen_item *it, char *buf, size_t len) {
  const char *stem = it->class_id >= 0 ? run->m->class_names[it->class_id] : run->n_bars ? "loop" : "sound";
  char safe[64];
  size_t n = 0;
  /* Class names come from datasets: keep them to characters every file system takes. */
  for (; stem[n] && n < sizeof safe - 1; n++) {
    unsigned char c = (unsigned char)stem[n];
    safe[n] = isalnum(c) || c == '-' || c == '_' || c == '.' ? (char)c : '_';
  }
  safe[n] = '\0';
  snprintf(buf, len, "%s_%0*lld.%s", safe, run->name_width, (long long)it->position, run->ext);
}

/* Decoded sound k of the item as its own buffer, post-processed at the model's rate and
 * resampled to the output rate. */
static df_status prepare_sound(const gen_run *run, const gen_item *it, int k, df_audio *out) {
  const df_postfx_options *p = &run->o->post;
  df_audio a;
  DF_TRY(df_audio_alloc(&a, run->channels, run->length, run->model_rate));
  memcpy(a.data, it->audio + (size_t)k * run->channels * run->length, sizeof(float) * (size_t)(run->channels * run->length));
  df_status s = DF_OK;
  for (int c = 0; !s && c < a.channels; c++) {
    float *x = a.data + (int64_t)c * a.frames;
    if (run->has_lowpass) s = df_filtfilt(&run->lowpass, x, a.frames);
    if (!s && p->smooth > 1) s = df_moving_average(x, a.frames, p->smooth);
  }
  if (!s && p->trim) s = df_trim_trailing_silence(&a, p->trim_db, run->trim_fade);
  if (!s && run->out_rate != run->model_rate) {
    df_audio r;
    s = df_audio_resample(&a, run->out_rate, &r);
    df_audio_free(&a);
    if (s) return s;
    a = r;
  }
  if (s) {
    df_audio_free(&a);
    return s;
  }
  *out = a;
  return DF_OK;
}

/* A NaN or infinity (from the model or the post-processing) would be written as silence,
 * full scale or garbage without a word: refuse the file instead. */
static df_status check_finite(const char *path, const df_audio *a) {
  for (int64_t i = 0; i < a->frames * a->channels; i++)
    if (!isfinite(a->data[i]))
      return DF_FAIL(DF_ERR_NUMERIC, "%s: sample %lld of channel %lld is %g after decoding and post-processing; "
                     "it was not written", path, (long long)(i % a->frames), (long long)(i / a->frames), a->data[i]);
  return DF_OK;
}

df_status gen_render(const gen_run *run, const gen_item *it, char **line, float *clipped_peak) {
  const df_generate_options *o = run->o;
  *line = NULL;
  *clipped_peak = 0.0f;
  df_audio sounds[DF_TILE_MAX_LETTERS];
  int made = 0;
  df_status s = DF_OK;
  for (; !s && made < run->letters; made++) {
    s = prepare_sound(run, it, made, &sounds[made]);
    if (s) break;
  }
  df_audio out = {0};
  if (!s && run->n_bars)
    s = df_loop_tile(sounds, o->tile.pattern, run->n_bars, run->bar_frames, run->cut_fade, &out);
  else if (!s)
    out = sounds[0], sounds[0].data = NULL;
  if (!s && o->post.normalize == DF_NORMALIZE_PEAK) s = df_normalize_peak(&out, o->post.normalize_db);
  if (!s && o->post.normalize == DF_NORMALIZE_RMS) s = df_normalize_rms(&out, o->post.normalize_db);
  char name[256], path[4400];
  gen_file_name(run, it, name, sizeof name);
  snprintf(path, sizeof path, "%s/%s", o->out_dir, name);
  void *bytes = NULL;
  size_t len = 0;
  if (!s) s = check_finite(path, &out);
  /* Integer samples stop at full scale: a sound louder than that (the spectrogram models'
   * level is the training data's, and Griffin-Lim's phases can add up above it) is clipped,
   * and the manifest and the run's summary say so. */
  int64_t clipped = 0;
  float peak = 0.0f;
  if (!s && o->encoding != DF_AUDIO_FLOAT32) clipped = df_audio_count_clipped(&out, &peak);
  if (!s) s = df_audio_encode(path, &out, o->encoding, &bytes, &len);
  if (!s) s = df_write_file_replace(path, bytes, len);
  if (!s) s = gen_manifest_line(run, it, name, out.frames, clipped, line);
  if (!s && clipped) *clipped_peak = peak;
  free(bytes);
  df_audio_free(&out);
  for (int k = 0; k < made; k++) df_audio_free(&sounds[k]);
  return s;
}
