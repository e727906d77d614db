/* Sample-rate conversion with libsoxr (include/drumforge/audio.h). */
#include <math.h>
#include <soxr.h>
#include <string.h>

#include "drumforge/audio.h"

df_status df_audio_resample(const df_audio *in, int rate, df_audio *out) {
  if (!out) return DF_FAIL(DF_ERR_INVALID_ARG, "df_audio_resample: argument 'out' is NULL");
  memset(out, 0, sizeof *out);
  if (!in || (!in->data && in->frames * in->channels > 0))
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_audio_resample: no sound given");
  if (rate <= 0 || in->rate <= 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "resample: rates %d -> %d Hz", in->rate, rate);
  int64_t frames = in->rate == rate ? in->frames
                                    : (int64_t)llround((double)in->frames * rate / in->rate);
  DF_TRY(df_audio_alloc(out, in->channels, frames, rate));
  if (in->rate == rate) {
    memcpy(out->data, in->data, sizeof(float) * (size_t)in->channels * (size_t)in->frames);
    return DF_OK;
  }
  if (frames == 0) return DF_OK;
  /* Split (planar) float I/O; high quality with soxr's default linear phase; one thread so
   * prepare's own parallelism is not oversubscribed and results do not depend on it. */
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  soxr_runtime_spec_t rt = soxr_runtime_spec(1);
  const float *ins[64];
  float *outs[64];
  if (in->channels > 64) {
    df_audio_free(out);
    return DF_FAIL(DF_ERR_UNSUPPORTED, "resample: %d channels (at most 64)", in->channels);
  }
  for (int c = 0; c < in->channels; c++) {
    ins[c] = in->data + (int64_t)c * in->frames;
    outs[c] = out->data + (int64_t)c * frames;
  }
  size_t idone = 0, odone = 0;
  soxr_error_t err = soxr_oneshot(in->rate, rate, (unsigned)in->channels, (soxr_in_t)ins,
                                  (size_t)in->frames, &idone, (soxr_out_t)outs, (size_t)frames,
                                  &odone, &io, &q, &rt);
  if (err) {
    df_audio_free(out);
    return DF_FAIL(DF_ERR_INVALID_ARG, "resample %d -> %d Hz failed: %s", in->rate, rate, err);
  }
  /* soxr may deliver a frame less than the rounded length; the rest stays zero. */
  return DF_OK;
}
