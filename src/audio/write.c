/* Writing WAV and FLAC files crash-safely (include/drumforge/audio.h). */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drumforge/audio.h"
#include "drumforge/fileio.h"

df_status df_parse_audio_encoding(const char *text, df_audio_encoding *out) {
  if (!text || !out)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_parse_audio_encoding: text or out is NULL");
  if (!strcasecmp(text, "16") || !strcasecmp(text, "pcm16")) *out = DF_AUDIO_PCM16;
  else if (!strcasecmp(text, "24") || !strcasecmp(text, "pcm24")) *out = DF_AUDIO_PCM24;
  else if (!strcasecmp(text, "float") || !strcasecmp(text, "float32"))
    *out = DF_AUDIO_FLOAT32;
  else if (!strcmp(text, "32")) /* could be read as 32-bit integers, which are not written */
    return DF_FAIL(DF_ERR_INVALID_ARG, "audio encoding '32': 32-bit integer PCM is not written; use float for 32-bit "
                   "float samples (or 16 or 24)");
  else
    return DF_FAIL(DF_ERR_INVALID_ARG, "unknown audio encoding '%s' (use 16, 24 or float)", text);
  return DF_OK;
}

static df_status container_for(const char *path, df_audio_encoding enc, int *format) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: no file extension (use .wav or .flac)", path);
  if (enc != DF_AUDIO_PCM16 && enc != DF_AUDIO_PCM24 && enc != DF_AUDIO_FLOAT32)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: unknown audio encoding %d", path, (int)enc);
  int sub = enc == DF_AUDIO_PCM16 ? SF_FORMAT_PCM_16
            : enc == DF_AUDIO_PCM24 ? SF_FORMAT_PCM_24 : SF_FORMAT_FLOAT;
  if (!strcasecmp(dot, ".wav")) {
    *format = SF_FORMAT_WAV | sub;
  } else if (!strcasecmp(dot, ".flac")) {
    if (enc == DF_AUDIO_FLOAT32)
      return DF_FAIL(DF_ERR_UNSUPPORTED, "%s: FLAC stores integers; use 16 or 24 bits", path);
    *format = SF_FORMAT_FLAC | sub;
  } else {
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: unknown extension '%s' (use .wav or .flac)", path, dot);
  }
  return DF_OK;
}

df_status df_audio_check_size(const char *path, int channels, int64_t frames, df_audio_encoding enc) {
  int format;
  DF_TRY(container_for(path, enc, &format));
  if ((format & SF_FORMAT_TYPEMASK) != SF_FORMAT_WAV || channels < 1 || frames < 0) return DF_OK;
  const int64_t bytes = enc == DF_AUDIO_PCM16 ? 2 : enc == DF_AUDIO_PCM24 ? 3 : 4;
  const int64_t limit = 0xFFFFFFFFLL - 4096; /* the RIFF size counts the header chunks too */
  if (frames > limit / (bytes * channels))
    return DF_FAIL(DF_ERR_UNSUPPORTED, "%s: %lld frames of %d channels make %.1f GiB of samples, but a WAV file holds at "
                   "most 4 GiB; write FLAC, fewer bits or a shorter sound", path, (long long)frames, channels,
                   (double)frames * (double)(bytes * channels) / 1073741824.0);
  return DF_OK;
}

/* libsndfile's virtual I/O onto a growing memory buffer. */
typedef struct membuf {
  unsigned char *data;
  sf_count_t len, cap, pos;
} membuf;

static sf_count_t mem_length(void *user) { return ((membuf *)user)->len; }

static sf_count_t mem_seek(sf_count_t offset, int whence, void *user) {
  membuf *m = user;
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->len;
  if (base + offset < 0) return -1;
  m->pos = base + offset;
  return m->pos;
}

static sf_count_t mem_read(void *ptr, sf_count_t count, void *user) {
  membuf *m = user;
  sf_count_t n = m->pos >= m->len ? 0 : (m->len - m->pos < count ? m->len - m->pos : count);
  if (n > 0) memcpy(ptr, m->data + m->pos, (size_t)n);
  m->pos += n;
  return n;
}

static sf_count_t mem_write(const void *ptr, sf_count_t count, void *user) {
  membuf *m = user;
  if (m->pos + count > m->cap) {
    sf_count_t cap = m->cap ? m->cap : 65536;
    while (cap < m->pos + count) cap *= 2;
    unsigned char *grown = realloc(m->data, (size_t)cap);
    if (!grown) return 0;
    m->data = grown;
    m->cap = cap;
  }
  if (m->pos > m->len) memset(m->data + m->len, 0, (size_t)(m->pos - m->len));
  memcpy(m->data + m->pos, ptr, (size_t)count);
  m->pos += count;
  if (m->pos > m->len) m->len = m->pos;
  return count;
}

static sf_count_t mem_tell(void *user) { return ((membuf *)user)->pos; }

/* Interleaves and writes all frames. */
static df_status write_frames(const char *path, SNDFILE *f, const df_audio *a) {
  enum { CHUNK = 8192 };
  float *buf = malloc(sizeof(float) * CHUNK * (size_t)a->channels);
  if (!buf) return DF_FAIL(DF_ERR_OOM, "%s: write buffer", path);
  for (int64_t done = 0; done < a->frames;) {
    int64_t n = a->frames - done < CHUNK ? a->frames - done : CHUNK;
    for (int64_t i = 0; i < n; i++)
      for (int c = 0; c < a->channels; c++)
        buf[i * a->channels + c] = a->data[(int64_t)c * a->frames + done + i];
    if (sf_writef_float(f, buf, n) != n) {
      free(buf);
      return DF_FAIL(DF_ERR_IO, "%s: encoding failed: %s", path, sf_strerror(f));
    }
    done += n;
  }
  free(buf);
  return DF_OK;
}

df_status df_audio_encode(const char *path, const df_audio *a, df_audio_encoding enc, void **data,
                          size_t *len) {
  if (!data || !len || !path)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_audio_encode: path, data or len is NULL");
  *data = NULL;
  *len = 0;
  if (!a) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: no sound given", path);
  if (!a->data || a->channels < 1 || a->rate <= 0 || a->frames < 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: nothing to write (%d channels, %d Hz)", path,
                   a->channels, a->rate);
  SF_INFO sfi;
  memset(&sfi, 0, sizeof sfi);
  DF_TRY(container_for(path, enc, &sfi.format));
  DF_TRY(df_audio_check_size(path, a->channels, a->frames, enc));
  sfi.channels = a->channels;
  sfi.samplerate = a->rate;
  if (!sf_format_check(&sfi))
    return DF_FAIL(DF_ERR_UNSUPPORTED, "%s: libsndfile cannot write %d channels at %d Hz here",
                   path, a->channels, a->rate);
  SF_VIRTUAL_IO io = {mem_length, mem_seek, mem_read, mem_write, mem_tell};
  membuf m = {0};
  SNDFILE *f = sf_open_virtual(&io, SFM_WRITE, &sfi, &m);
  if (!f) {
    free(m.data);
    return DF_FAIL(DF_ERR_IO, "%s: cannot start encoding: %s", path, sf_strerror(NULL));
  }
  /* Integer encodings clip instead of wrapping around; float WAVs get no PEAK chunk, whose
   * time stamp would make identical audio give different files. */
  sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
  sf_command(f, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
  df_status st = write_frames(path, f, a);
  if (sf_close(f) != 0 && st == DF_OK) st = DF_FAIL(DF_ERR_IO, "%s: encoding failed (out of memory?)", path);
  if (st != DF_OK) {
    free(m.data);
    return st;
  }
  *data = m.data;
  *len = (size_t)m.len;
  return DF_OK;
}

int64_t df_audio_count_clipped(const df_audio *a, float *peak) {
  int64_t n = a && a->data ? (int64_t)a->channels * a->frames : 0, over = 0;
  float top = 0.0f;
  for (int64_t i = 0; i < n; i++) {
    const float x = fabsf(a->data[i]);
    over += x > 1.0f;
    top = fmaxf(top, x);
  }
  if (peak) *peak = top;
  return over;
}

df_status df_audio_write(const char *path, const df_audio *a, df_audio_encoding enc) {
  void *data;
  size_t len;
  DF_TRY(df_audio_encode(path, a, enc, &data, &len));
  df_status st = df_write_file_atomic(path, data, len);
  free(data);
  return st;
}
