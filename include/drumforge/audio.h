/* Audio files and buffers: read any format libsndfile knows into float samples, resample with
 * libsoxr, write WAV or FLAC crash-safely (temporary file + rename, see fileio.h).
 *
 * Samples are planar: channel c of frame i is data[c * frames + i], the [channels, frames]
 * layout of one example in a dataset shard and of PyTorch's [C, L] audio tensors. Integer
 * files are scaled to [-1, 1); float files are read as stored. */
#ifndef DRUMFORGE_AUDIO_H
#define DRUMFORGE_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_audio {
  float *data;    /* [channels, frames], planar; owned (df_audio_free releases it) */
  int64_t frames; /* samples per channel */
  int channels;
  int rate;       /* Hz */
} df_audio;

/* What a file holds, from its header (df_audio_probe, no decoding). */
typedef struct df_audio_file_info {
  int64_t frames;
  int channels;
  int rate;
  char format[32];   /* container, e.g. "WAV", "FLAC", "AIFF", "OGG" */
  char encoding[32]; /* e.g. "PCM_16", "PCM_24", "PCM_U8", "FLOAT", "VORBIS" */
} df_audio_file_info;

typedef struct df_audio_read_options {
  int mono;           /* 1: average all channels into one */
  double max_seconds; /* longer files are rejected; <= 0: DF_AUDIO_DEFAULT_MAX_SECONDS */
} df_audio_read_options;

#define DF_AUDIO_DEFAULT_MAX_SECONDS 600.0

/* Zero-filled buffer. */
df_status df_audio_alloc(df_audio *a, int channels, int64_t frames, int rate);
void df_audio_free(df_audio *a);

/* Header information of an audio file. Errors as df_audio_read. */
df_status df_audio_probe(const char *path, df_audio_file_info *info);

/* Reads a whole file (opt NULL: keep the channels, default length limit). Every problem is
 * DF_ERR_FORMAT (or DF_ERR_IO / DF_ERR_NOT_FOUND) with a one-line reason naming the file:
 * missing file or broken link, not a regular file, empty (0 bytes or 0 frames), unknown or
 * corrupt format, truncated data, NaN or Inf samples, samples beyond +-1000 (+60 dBFS),
 * longer than max_seconds. */
df_status df_audio_read(const char *path, const df_audio_read_options *opt, df_audio *out);

/* Resamples every channel to `rate` with libsoxr (high quality: 20-bit precision,
 * linear phase, so onsets do not move). out receives round(frames * rate / in->rate)
 * frames. When the rates are equal the samples are copied. out must not be in. */
df_status df_audio_resample(const df_audio *in, int rate, df_audio *out);

typedef enum df_audio_encoding {
  DF_AUDIO_PCM16 = 0,
  DF_AUDIO_PCM24,
  DF_AUDIO_FLOAT32 /* WAV only; FLAC stores integers */
} df_audio_encoding;

/* Parses "16", "24", "float" (also "pcm16", "pcm24", "float32"). "32" is refused with a hint:
 * it could mean 32-bit integers, which are not written. */
df_status df_parse_audio_encoding(const char *text, df_audio_encoding *out);

/* The samples of a beyond full scale (|x| > 1), which an integer encoding clips; *peak (may
 * be NULL) receives the largest |x| (0 for no samples). Writers that clip say so with it. */
int64_t df_audio_count_clipped(const df_audio *a, float *peak);

/* Writes a .wav or .flac file (chosen by the extension) through a temporary file that is
 * renamed over `path` once complete. Integer encodings clip samples to [-1, 1]. */
df_status df_audio_write(const char *path, const df_audio *a, df_audio_encoding enc);

/* DF_OK when `frames` frames of `channels` channels fit a file of path's format; else
 * DF_ERR_UNSUPPORTED naming the file. A WAV's chunk sizes are 32-bit: its samples must stay
 * under 4 GiB (libsndfile writes a larger one with wrapped sizes, read back as a fraction). */
df_status df_audio_check_size(const char *path, int channels, int64_t frames, df_audio_encoding enc);

/* The bytes df_audio_write would write to `path` (its extension picks WAV or FLAC), in a
 * malloc'd buffer, for writers that place files themselves (`generate` writes thousands). */
df_status df_audio_encode(const char *path, const df_audio *a, df_audio_encoding enc, void **data,
                          size_t *len);

#ifdef __cplusplus
}
#endif
#endif
