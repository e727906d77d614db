#include "common/datafiles.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/shard.h"
#include "drumforge/fileio.h"

int df_test_write_sndfile(const char *path, int format, int channels, int rate, int64_t frames,
                          const float *planar) {
  SF_INFO sfi;
  memset(&sfi, 0, sizeof sfi);
  sfi.format = format;
  sfi.channels = channels;
  sfi.samplerate = rate;
  SNDFILE *f = sf_open(path, SFM_WRITE, &sfi);
  if (!f) {
    fprintf(stderr, "cannot write %s: %s\n", path, sf_strerror(NULL));
    return 1;
  }
  float *inter = malloc(sizeof(float) * (size_t)(frames > 0 ? frames : 1) * (size_t)channels);
  for (int64_t i = 0; i < frames; i++)
    for (int c = 0; c < channels; c++) inter[i * channels + c] = planar[(int64_t)c * frames + i];
  sf_count_t n = sf_writef_float(f, inter, frames);
  free(inter);
  sf_close(f);
  if (n != frames) {
    fprintf(stderr, "short write to %s\n", path);
    return 1;
  }
  return 0;
}

void df_test_tone(float *planar, int channels, int64_t frames, int rate, int64_t onset,
                  double freq) {
  for (int c = 0; c < channels; c++) {
    for (int64_t i = 0; i < frames; i++) {
      double t = (double)(i - onset) / rate;
      double v = 0.0;
      if (i >= onset)
        v = exp(-t * 8.0) * (0.4 * sin(2 * M_PI * freq * (1 + 0.1 * c) * t) +
                             0.2 * sin(2 * M_PI * freq * 2.7 * t));
      planar[(int64_t)c * frames + i] = (float)v;
    }
  }
}

int df_test_write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f) return 1;
  size_t n = strlen(text);
  int bad = fwrite(text, 1, n, f) != n;
  return fclose(f) != 0 || bad;
}

int df_test_write_kit(const char *root, const char *name, const char *const *instruments, int n,
                      int rate, int frames, int lead, int seed) {
  char dir[4096], path[4200];
  snprintf(dir, sizeof dir, "%s/%s", root, name);
  mkdir(dir, 0777);
  size_t cap = 4096 + (size_t)n * 256;
  char *xml = malloc(cap);
  size_t used = (size_t)snprintf(xml, cap, "<drumkit_info>\n <name>%s</name>\n <instrumentList>\n", name);
  float *x = malloc(sizeof(float) * (size_t)frames);
  int bad = 0;
  for (int k = 0; k < n; k++) {
    df_test_tone(x, 1, frames, rate, lead, 80.0 + 37.0 * k + 11.0 * seed);
    snprintf(path, sizeof path, "%s/i%d.wav", dir, k);
    bad |= df_test_write_sndfile(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, rate, frames, x);
    used += (size_t)snprintf(xml + used, cap - used,
                             "  <instrument><name>%s</name><layer><filename>i%d.wav</filename></layer></instrument>\n",
                             instruments[k], k);
  }
  snprintf(xml + used, cap - used, " </instrumentList>\n</drumkit_info>\n");
  snprintf(path, sizeof path, "%s/drumkit.xml", dir);
  bad |= df_test_write_text(path, xml);
  free(xml);
  free(x);
  return bad;
}

int df_test_same_file(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  int same = fa && fb;
  while (same) {
    int ca = fgetc(fa), cb = fgetc(fb);
    if (ca != cb) same = 0;
    if (ca == EOF || cb == EOF) break;
  }
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}

df_shard_info df_test_shard_info(const char *kind, int rate, int channels, int64_t length) {
  df_shard_info info;
  memset(&info, 0, sizeof info);
  info.rate = rate;
  info.channels = channels;
  info.length = length;
  info.n_classes = 3;
  snprintf(info.class_names[0], DF_CLASS_NAME_LEN, "kick");
  snprintf(info.class_names[1], DF_CLASS_NAME_LEN, "snare");
  snprintf(info.class_names[2], DF_CLASS_NAME_LEN, "hh_closed");
  snprintf(info.kind, sizeof info.kind, "%s", kind);
  return info;
}

int64_t df_test_write_dataset(const char *dir, const int *train_shards, int n_train,
                              const int *val_shards, int n_val, int channels, int64_t length,
                              int n_classes) {
  df_shard_info info;
  memset(&info, 0, sizeof info);
  info.rate = 16000;
  info.channels = channels;
  info.length = length;
  info.n_classes = n_classes;
  snprintf(info.kind, sizeof info.kind, "oneshots");
  for (int c = 0; c < n_classes; c++) snprintf(info.class_names[c], DF_CLASS_NAME_LEN, "c%d", c);
  if (df_mkdirs(dir) != DF_OK) return -1;
  cJSON *root = cJSON_CreateObject(), *shards = cJSON_CreateArray();
  cJSON_AddStringToObject(root, "format", "drumforge-dataset");
  cJSON_AddNumberToObject(root, "format_version", DF_DATASET_FORMAT_VERSION);
  cJSON *names = cJSON_AddArrayToObject(root, "class_names");
  for (int c = 0; c < n_classes; c++) cJSON_AddItemToArray(names, cJSON_CreateString(info.class_names[c]));
  cJSON_AddItemToObject(root, "shards", shards);
  int64_t k = 0;
  float *x = malloc(sizeof(float) * (size_t)channels * (size_t)length);
  for (int sp = 0; sp < 2; sp++) {
    const int *sizes = sp ? val_shards : train_shards;
    int n = sp ? n_val : n_train;
    for (int i = 0; i < n; i++) {
      shard_buffer b;
      if (shard_buffer_init(&b, &info, sp ? DF_SPLIT_VALIDATION : DF_SPLIT_TRAIN, sizes[i]) != DF_OK) return -1;
      for (int e = 0; e < sizes[i]; e++, k++) {
        for (int64_t t = 0; t < (int64_t)channels * length; t++) x[t] = (float)k;
        char src[64];
        snprintf(src, sizeof src, "example-%lld.wav", (long long)k);
        shard_buffer_add(&b, x, (int32_t)(k % (n_classes + 1)) - 1, 0, 0, src, "g", NULL);
      }
      char name[64], path[4200];
      snprintf(name, sizeof name, "%s-%05d.h5", sp ? "validation" : "train", i);
      snprintf(path, sizeof path, "%s/%s", dir, name);
      df_status st = shard_buffer_write(&b, path);
      shard_buffer_free(&b);
      if (st != DF_OK) return -1;
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "file", name);
      cJSON_AddStringToObject(e, "split", sp ? "validation" : "train");
      cJSON_AddNumberToObject(e, "examples", sizes[i]);
      cJSON_AddItemToArray(shards, e);
    }
  }
  free(x);
  char *text = cJSON_Print(root), path[4200];
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  df_status st = df_write_file_atomic(path, text, strlen(text));
  free(text);
  cJSON_Delete(root);
  return st == DF_OK ? k : -1;
}
