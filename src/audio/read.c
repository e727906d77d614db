/* Reading audio files with libsndfile (include/drumforge/audio.h). Every way a file can be
 * unusable gets its own one-line reason, because the dataset builder reports them per file. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drumforge/audio.h"

df_status df_audio_alloc(df_audio *a, int channels, int64_t frames, int rate) {
  if (!a) return DF_FAIL(DF_ERR_INVALID_ARG, "df_audio_alloc: argument 'a' is NULL");
  memset(a, 0, sizeof *a);
  /* The sample count must fit in memory sizes: channels * frames would wrap and allocate a
   * small buffer for a long sound. */
  if (channels < 1 || frames < 0 || frames > (int64_t)(SIZE_MAX / sizeof(float) / 2) / channels)
    return DF_FAIL(DF_ERR_INVALID_ARG, "audio buffer: %d channels, %lld frames", channels,
                   (long long)frames);
  /* A rate of 0 would reach libsndfile (or a division) much later, far from its cause. */
  if (rate < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "audio buffer: sample rate %d Hz", rate);
  size_t n = (size_t)channels * (size_t)(frames > 0 ? frames : 1);
  a->data = calloc(n, sizeof(float));
  if (!a->data) return DF_FAIL(DF_ERR_OOM, "audio buffer of %zu samples", n);
  a->frames = frames;
  a->channels = channels;
  a->rate = rate;
  return DF_OK;
}

void df_audio_free(df_audio *a) {
  if (!a) return;
  free(a->data);
  memset(a, 0, sizeof *a);
}

/* Short names for the header fields (libsndfile's own names are long descriptions). */
static void format_names(int format, df_audio_file_info *info) {
  static const struct { int code; const char *name; } majors[] = {
      {SF_FORMAT_WAV, "WAV"},   {SF_FORMAT_AIFF, "AIFF"}, {SF_FORMAT_FLAC, "FLAC"},
      {SF_FORMAT_OGG, "OGG"},   {SF_FORMAT_AU, "AU"},     {SF_FORMAT_W64, "W64"},
      {SF_FORMAT_RF64, "RF64"}, {SF_FORMAT_CAF, "CAF"},   {SF_FORMAT_WAVEX, "WAVEX"},
      {SF_FORMAT_MPEG, "MPEG"},
  };
  static const struct { int code; const char *name; } subs[] = {
      {SF_FORMAT_PCM_S8, "PCM_S8"}, {SF_FORMAT_PCM_U8, "PCM_U8"}, {SF_FORMAT_PCM_16, "PCM_16"},
      {SF_FORMAT_PCM_24, "PCM_24"}, {SF_FORMAT_PCM_32, "PCM_32"}, {SF_FORMAT_FLOAT, "FLOAT"},
      {SF_FORMAT_DOUBLE, "DOUBLE"}, {SF_FORMAT_VORBIS, "VORBIS"}, {SF_FORMAT_OPUS, "OPUS"},
      {SF_FORMAT_ULAW, "ULAW"},     {SF_FORMAT_ALAW, "ALAW"},
  };
  snprintf(info->format, sizeof info->format, "0x%x", format & SF_FORMAT_TYPEMASK);
  snprintf(info->encoding, sizeof info->encoding, "0x%x", format & SF_FORMAT_SUBMASK);
  for (size_t i = 0; i < sizeof majors / sizeof majors[0]; i++)
    if ((format & SF_FORMAT_TYPEMASK) == majors[i].code)
      snprintf(info->format, sizeof info->format, "%s", majors[i].name);
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
    if ((format & SF_FORMAT_SUBMASK) == subs[i].code)
      snprintf(info->encoding, sizeof info->encoding, "%s", subs[i].name);
}

/* The file-system checks that come before libsndfile sees the file. */
static df_status check_file(const char *path) {
  if (!path) return DF_FAIL(DF_ERR_INVALID_ARG, "audio: the file path is NULL");
  struct stat st, lst;
  if (stat(path, &st) != 0) {
    int err = errno;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
      return DF_FAIL(DF_ERR_NOT_FOUND, "%s: broken symbolic link", path);
    return DF_FAIL(err == ENOENT ? DF_ERR_NOT_FOUND : DF_ERR_IO, "%s: cannot open: %s", path,
                   strerror(err));
  }
  if (!S_ISREG(st.st_mode)) return DF_FAIL(DF_ERR_FORMAT, "%s: not a regular file", path);
  if (st.st_size == 0) return DF_FAIL(DF_ERR_FORMAT, "%s: empty file (0 bytes)", path);
  return DF_OK;
}

/* libsndfile clamps a WAV or AIFF whose data chunk runs past the end of the file to the
 * bytes present and notes it in its log ("data : 88200 (should be 44078)"); a cut file is
 * damaged, so it is rejected rather than silently shortened. */
static int header_says_truncated(SNDFILE *f) {
  char log[8192];
  sf_command(f, SFC_GET_LOG_INFO, log, sizeof log);
  char *save = NULL;
  for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    while (*line == ' ') line++;
    int data_chunk = !strncmp(line, "data :", 6) || !strncmp(line, "SSND :", 6);
    if (data_chunk && strstr(line, "(should be")) return 1;
    if (strstr(line, "> file length")) return 1;
  }
  return 0;
}

/* libsndfile keeps the error of a failed sf_open in one global: opens are serialised so that
 * files read in parallel each get their own reason. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static df_status open_checked(const char *path, SNDFILE **f, SF_INFO *sfi) {
  DF_TRY(check_file(path));
  memset(sfi, 0, sizeof *sfi);
  char why[256];
  pthread_mutex_lock(&open_lock);
  *f = sf_open(path, SFM_READ, sfi);
  snprintf(why, sizeof why, "%s", *f ? "" : sf_strerror(NULL));
  pthread_mutex_unlock(&open_lock);
  if (!*f) return DF_FAIL(DF_ERR_FORMAT, "%s: not a readable audio file (%s)", path, why);
  if (sfi->channels < 1 || sfi->samplerate <= 0) {
    sf_close(*f);
    return DF_FAIL(DF_ERR_FORMAT, "%s: corrupt header (%d channels, %d Hz)", path,
                   sfi->channels, sfi->samplerate);
  }
  if (sfi->frames <= 0) {
    sf_close(*f);
    return DF_FAIL(DF_ERR_FORMAT, "%s: no audio frames", path);
  }
  return DF_OK;
}

df_status df_audio_probe(const char *path, df_audio_file_info *info) {
  SNDFILE *f;
  SF_INFO sfi;
  if (!info) return DF_FAIL(DF_ERR_INVALID_ARG, "df_audio_probe: argument 'info' is NULL");
  memset(info, 0, sizeof *info);
  DF_TRY(open_checked(path, &f, &sfi));
  info->frames = sfi.frames;
  info->channels = sfi.channels;
  info->rate = sfi.samplerate;
  format_names(sfi.format, info);
  sf_close(f);
  return DF_OK;
}

/* Float files may go past full scale (1.0) after processing without clipping, so some
 * headroom is legitimate; +60 dBFS is not audio but garbage (uninitialised or mis-scaled
 * data), and values like 1e30 would turn training losses into -1e27 or NaN. */
#define DF_AUDIO_MAX_SAMPLE 1000.0f

/* Decodes into out (already sized), de-interleaving or mixing down; checks every sample. */
static df_status decode(const char *path, SNDFILE *f, const SF_INFO *sfi, int mono, df_audio *out) {
  enum { CHUNK = 16384 };
  int ch = sfi->channels;
  float *buf = malloc(sizeof(float) * CHUNK * (size_t)ch);
  if (!buf) return DF_FAIL(DF_ERR_OOM, "%s: decode buffer", path);
  int64_t done = 0;
  df_status st = DF_OK;
  while (done < sfi->frames && st == DF_OK) {
    sf_count_t want = sfi->frames - done < CHUNK ? sfi->frames - done : CHUNK;
    sf_count_t got = sf_readf_float(f, buf, want);
    if (got <= 0) break;
    for (sf_count_t i = 0; i < got && st == DF_OK; i++) {
      float sum = 0.0f;
      for (int c = 0; c < ch; c++) {
        float v = buf[i * ch + c];
        if (!isfinite(v)) {
          st = DF_FAIL(DF_ERR_FORMAT, "%s: %s sample at frame %lld, channel %d", path,
                       isnan(v) ? "NaN" : "infinite", (long long)(done + i), c);
          break;
        }
        if (fabsf(v) > DF_AUDIO_MAX_SAMPLE) {
          st = DF_FAIL(DF_ERR_FORMAT, "%s: sample %g at frame %lld, channel %d is far outside the audio range (|x| > %g)",
                       path, (double)v, (long long)(done + i), c, (double)DF_AUDIO_MAX_SAMPLE);
          break;
        }
        if (mono) sum += v;
        else out->data[(int64_t)c * out->frames + done + i] = v;
      }
      if (mono) out->data[done + i] = sum / (float)ch;
    }
    done += got;
  }
  free(buf);
  if (st != DF_OK) return st;
  if (done < sfi->frames)
    return DF_FAIL(DF_ERR_FORMAT, "%s: truncated or corrupt: decoded %lld of %lld frames (%s)",
                   path, (long long)done, (long long)sfi->frames, sf_strerror(f));
  return DF_OK;
}

df_status df_audio_read(const char *path, const df_audio_read_options *opt, df_audio *out) {
  if (!out) return DF_FAIL(DF_ERR_INVALID_ARG, "df_audio_read: argument 'out' is NULL");
  memset(out, 0, sizeof *out);
  int mono = opt ? opt->mono : 0;
  double max_seconds = opt && opt->max_seconds > 0 ? opt->max_seconds : DF_AUDIO_DEFAULT_MAX_SECONDS;
  SNDFILE *f;
  SF_INFO sfi;
  DF_TRY(open_checked(path, &f, &sfi));
  double seconds = (double)sfi.frames / sfi.samplerate;
  df_status st = DF_OK;
  if (seconds > max_seconds)
    st = DF_FAIL(DF_ERR_FORMAT, "%s: too long: %.1f s (the limit is %.0f s)", path, seconds,
                 max_seconds);
  else if (header_says_truncated(f))
    st = DF_FAIL(DF_ERR_FORMAT, "%s: truncated: the header promises more data than the file has",
                 path);
  if (st == DF_OK) st = df_audio_alloc(out, mono ? 1 : sfi.channels, sfi.frames, sfi.samplerate);
  if (st == DF_OK) st = decode(path, f, &sfi, mono, out);
  sf_close(f);
  if (st != DF_OK) df_audio_free(out);
  return st;
}
