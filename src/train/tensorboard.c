/* TensorBoard event files (src/train/tensorboard.h). The protocol-buffer fields written:
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; float simple_value = 2; Audio audio = 6; }
 *   Audio   { float sample_rate = 1; int64 num_channels = 2; int64 length_frames = 3;
 *             bytes encoded_audio_string = 4; string content_type = 5; }
 * Each record: uint64 length, uint32 masked CRC-32C of the length, the data, uint32 masked
 * CRC-32C of the data (mask: rotate right 15, add 0xa282ead8). */
#include "train/tensorboard.h"

#include "drumforge/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

struct df_tb_writer {
  FILE *fp;
  char path[4300];
};

uint32_t df_crc32c(uint32_t crc, const void *data, size_t len) {
  static uint32_t table[256];
  if (!table[1])
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      table[i] = c;
    }
  const unsigned char *p = data;
  crc = ~crc;
  while (len--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

/* ---- a growable buffer with protocol-buffer encoders ---- */
typedef struct buf {
  unsigned char *p;
  size_t n, cap;
  int oom;
} buf;

static void put(buf *b, const void *data, size_t len) {
  if (b->oom) return;
  if (b->n + len > b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 256;
    while (cap < b->n + len) cap *= 2;
    unsigned char *np = realloc(b->p, cap);
    if (!np) {
      b->oom = 1;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->n, data, len);
  b->n += len;
}

static void varint(buf *b, uint64_t v) {
  unsigned char tmp[10];
  int n = 0;
  do {
    tmp[n] = (unsigned char)(v & 0x7f);
    v >>= 7;
    if (v) tmp[n] |= 0x80;
    n++;
  } while (v);
  put(b, tmp, (size_t)n);
}

static void key(buf *b, int field, int wire) { varint(b, (uint64_t)(field << 3 | wire)); }

static void field_bytes(buf *b, int field, const void *data, size_t len) {
  key(b, field, 2);
  varint(b, len);
  put(b, data, len);
}

static void field_double(buf *b, int field, double v) {
  key(b, field, 1);
  unsigned char le[8];
  uint64_t u;
  memcpy(&u, &v, 8);
  for (int i = 0; i < 8; i++) le[i] = (unsigned char)(u >> (8 * i));
  put(b, le, 8);
}

static void field_float(buf *b, int field, float v) {
  key(b, field, 5);
  unsigned char le[4];
  uint32_t u;
  memcpy(&u, &v, 4);
  for (int i = 0; i < 4; i++) le[i] = (unsigned char)(u >> (8 * i));
  put(b, le, 4);
}

static void field_varint(buf *b, int field, uint64_t v) {
  key(b, field, 0);
  varint(b, v);
}

static double wall_time(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + 1e-6 * (double)tv.tv_usec;
}

/* Writes one Event: file_version when `value` is NULL, else a summary with one value. */
static df_status write_event(df_tb_writer *w, int64_t step, const buf *value) {
  buf ev = {0};
  field_double(&ev, 1, wall_time());
  field_varint(&ev, 2, (uint64_t)step);
  if (value) {
    buf summary = {0};
    field_bytes(&summary, 1, value->p, value->n);
    field_bytes(&ev, 5, summary.p, summary.n);
    free(summary.p);
  } else {
    field_bytes(&ev, 3, "brain.Event:2", 13);
  }
  df_status s = DF_OK;
  if (ev.oom) s = DF_FAIL(DF_ERR_OOM, "tensorboard event");
  if (!s) {
    unsigned char header[12];
    uint64_t len = ev.n;
    for (int i = 0; i < 8; i++) header[i] = (unsigned char)(len >> (8 * i));
    uint32_t lc = masked(df_crc32c(0, header, 8));
    for (int i = 0; i < 4; i++) header[8 + i] = (unsigned char)(lc >> (8 * i));
    uint32_t dc = masked(df_crc32c(0, ev.p, ev.n));
    unsigned char footer[4];
    for (int i = 0; i < 4; i++) footer[i] = (unsigned char)(dc >> (8 * i));
    if (fwrite(header, 1, 12, w->fp) != 12 || fwrite(ev.p, 1, ev.n, w->fp) != ev.n ||
        fwrite(footer, 1, 4, w->fp) != 4)
      s = DF_FAIL(DF_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
  }
  free(ev.p);
  return s;
}

df_status df_tb_open(const char *dir, df_tb_writer **out) {
  df_tb_writer *w = calloc(1, sizeof *w);
  if (!w) return DF_FAIL(DF_ERR_OOM, "tensorboard writer");
  snprintf(w->path, sizeof w->path, "%s/events.out.tfevents.%lld.drumforge", dir, (long long)time(NULL));
  w->fp = fopen(w->path, "ab");
  if (!w->fp) {
    df_status s = DF_FAIL(DF_ERR_IO, "%s: cannot create: %s", w->path, strerror(errno));
    free(w);
    return s;
  }
  df_status s = write_event(w, 0, NULL);
  if (s) {
    df_tb_close(w);
    return s;
  }
  *out = w;
  return DF_OK;
}

void df_tb_close(df_tb_writer *w) {
  if (!w) return;
  if (w->fp) fclose(w->fp);
  free(w);
}

df_status df_tb_scalar(df_tb_writer *w, int64_t step, const char *tag, float value) {
  buf v = {0};
  field_bytes(&v, 1, tag, strlen(tag));
  field_float(&v, 2, value);
  df_status s = v.oom ? DF_FAIL(DF_ERR_OOM, "tensorboard scalar") : write_event(w, step, &v);
  free(v.p);
  return s;
}

df_status df_tb_audio(df_tb_writer *w, int64_t step, const char *tag, const void *wav, size_t len,
                      float sample_rate, int channels, int64_t frames) {
  buf audio = {0}, v = {0};
  field_float(&audio, 1, sample_rate);
  field_varint(&audio, 2, (uint64_t)channels);
  field_varint(&audio, 3, (uint64_t)frames);
  field_bytes(&audio, 4, wav, len);
  field_bytes(&audio, 5, "audio/wav", 9);
  field_bytes(&v, 1, tag, strlen(tag));
  field_bytes(&v, 6, audio.p, audio.n);
  df_status s = audio.oom || v.oom ? DF_FAIL(DF_ERR_OOM, "tensorboard audio") : write_event(w, step, &v);
  free(audio.p);
  free(v.p);
  return s;
}

df_status df_tb_flush(df_tb_writer *w) {
  if (fflush(w->fp) != 0) return DF_FAIL(DF_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
  return DF_OK;
}

/* ---- trimming ---- */
static int read_varint(const unsigned char *p, size_t n, size_t *at, uint64_t *v) {
  *v = 0;
  for (int shift = 0; *at < n && shift < 64; shift += 7) {
    unsigned char c = p[(*at)++];
    *v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) return 1;
  }
  return 0;
}

/* The step of an Event (0 when it has none, as for the version record); -1: not an Event. */
static int64_t event_step(const unsigned char *p, size_t n) {
  int64_t step = 0;
  for (size_t at = 0; at < n;) {
    uint64_t k, v;
    if (!read_varint(p, n, &at, &k)) return -1;
    switch (k & 7) {
      case 0:
        if (!read_varint(p, n, &at, &v)) return -1;
        if (k >> 3 == 2) step = (int64_t)v;
        break;
      case 1: at += 8; break;
      case 5: at += 4; break;
      case 2:
        if (!read_varint(p, n, &at, &v) || v > n - at) return -1;
        at += v;
        break;
      default: return -1;
    }
    if (at > n) return -1;
  }
  return step;
}

static uint64_t le_bytes(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* The length of the records of data[0, len) to keep: complete, intact ones up to the first
 * past `step` (a killed writer's partial record ends the file too). */
static size_t records_up_to(const unsigned char *data, size_t len, int64_t step) {
  size_t at = 0;
  while (len - at >= 16) {
    uint64_t n = le_bytes(data + at, 8);
    if ((uint32_t)le_bytes(data + at + 8, 4) != masked(df_crc32c(0, data + at, 8)) || n > len - at - 16) break;
    const unsigned char *ev = data + at + 12;
    if ((uint32_t)le_bytes(ev + n, 4) != masked(df_crc32c(0, ev, (size_t)n))) break;
    int64_t s = event_step(ev, (size_t)n);
    if (s < 0 || s > step) break;
    at += 16 + (size_t)n;
  }
  return at;
}

df_status df_tb_trim(const char *dir, int64_t step, df_tb_writer *w) {
  if (w) { /* its file is replaced: reopened below */
    fclose(w->fp);
    w->fp = NULL;
  }
  DIR *dp = opendir(dir);
  if (!dp) return DF_FAIL(DF_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
  static const char prefix[] = "events.out.tfevents.", suffix[] = ".drumforge";
  const struct dirent *e;
  df_status s = DF_OK;
  while (!s && (e = readdir(dp))) {
    size_t n = strlen(e->d_name);
    if (strncmp(e->d_name, prefix, sizeof prefix - 1) || n < sizeof suffix ||
        strcmp(e->d_name + n - (sizeof suffix - 1), suffix))
      continue; /* only the files drumforge writes */
    char path[4600], *data;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    s = df_read_file(path, &data, &len);
    if (s) break;
    size_t keep = records_up_to((const unsigned char *)data, len, step);
    if (keep < len) s = df_write_file_atomic(path, data, keep);
    free(data);
  }
  closedir(dp);
  if (w && !(w->fp = fopen(w->path, "ab")) && !s) s = DF_FAIL(DF_ERR_IO, "%s: cannot open: %s", w->path, strerror(errno));
  return s;
}
