/* Preview audio through the generation interface (src/models/preview.h). */
#include "models/preview.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drumforge/audio.h"
#include "drumforge/fileio.h"

/* 1 for a name this file writes: "NN.wav" or "NN_<class>.wav" with NN the index as %02d. */
static int is_preview_name(const char *name) {
  char *end;
  long i = strtol(name, &end, 10);
  char canonical[32];
  snprintf(canonical, sizeof canonical, "%02ld", i);
  size_t digits = (size_t)(end - name);
  if (name[0] < '0' || name[0] > '9' || digits != strlen(canonical) || strncmp(name, canonical, digits)) return 0;
  size_t n = strlen(end);
  return !strcmp(end, ".wav") || (end[0] == '_' && n > 5 && !strcmp(end + n - 4, ".wav"));
}

df_status df_model_remove_previews(const char *dir) {
  static const char *const wav[] = {".wav"};
  df_remove_stale_temporaries(dir, wav, 1);
  DIR *d = opendir(dir);
  if (!d) return DF_FAIL(DF_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
  df_status s = DF_OK;
  for (struct dirent *e; !s && (e = readdir(d));) {
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (is_preview_name(e->d_name) && unlink(path) && errno != ENOENT)
      s = DF_FAIL(DF_ERR_IO, "%s: cannot remove the previous preview: %s", path, strerror(errno));
  }
  closedir(d);
  return s;
}

df_status df_model_write_previews(const df_model_type *type, void *model, const char *dir, uint64_t seed,
                                  int count, int sample_rate, const char *const *class_names,
                                  const int64_t *class_examples) {
  int32_t learned[DF_MAX_CLASSES];
  int classes = df_trained_class_ids(type->n_classes(model), class_examples, learned), channels;
  int64_t length;
  type->audio_shape(model, &channels, &length);
  df_device dev = type->param_set(model, 0)->device;
  DF_TRY(df_mkdirs(dir));
  df_rng rng;
  df_rng_init(&rng, seed);
  df_tensor z, out;
  DF_TRY(df_tensor_alloc(&z, dev, DF_F32, 2, (int64_t[]){count, type->latent_dim(model)}, "preview latents"));
  df_status s = df_tensor_alloc(&out, dev, DF_F32, 3, (int64_t[]){count, channels, length}, "previews");
  int32_t *labels = calloc((size_t)count, sizeof *labels);
  float *host = malloc(sizeof(float) * (size_t)count * (size_t)channels * (size_t)length);
  if (!s && (!labels || !host)) s = DF_FAIL(DF_ERR_OOM, "previews");
  for (int i = 0; labels && i < count; i++) labels[i] = classes ? learned[i % classes] : 0;
  if (!s) s = type->sample_latents(model, &rng, 1.0f, &z);
  if (!s) s = type->decode(model, &z, classes ? labels : NULL, &out);
  if (!s) s = df_tensor_to_host(&out, host, df_tensor_numel(&out));
  if (!s) s = df_model_remove_previews(dir);
  for (int i = 0; !s && i < count; i++) {
    char path[4300];
    if (classes && class_names)
      snprintf(path, sizeof path, "%s/%02d_%s.wav", dir, i, class_names[labels[i]]);
    else
      snprintf(path, sizeof path, "%s/%02d.wav", dir, i);
    df_audio a = {host + (size_t)i * (size_t)channels * (size_t)length, length, channels, sample_rate};
    s = df_audio_write(path, &a, DF_AUDIO_PCM16);
  }
  free(host);
  free(labels);
  df_tensor_free(&z);
  df_tensor_free(&out);
  return s;
}
