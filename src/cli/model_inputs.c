/* A user's audio files as a model's examples, and their latents (src/cli/cli.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

df_status cli_class_count(const char *classes, int k, int n) {
  if (k == 1 || k == n) return DF_OK;
  return DF_FAIL(DF_ERR_INVALID_ARG, "--class %s: %d classes for %d sounds (give one for all, or one each)", classes, k,
                 n);
}

/* Class ids of n files from "NAME" (all of them) or "A,B,..." (one each). */
static df_status parse_classes(const df_loaded_model *m, const char *classes, int n, int32_t *ids) {
  if (m->type->n_classes(m->model) == 0) {
    if (classes) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: --class %s: this model is not conditional", m->checkpoint, classes);
    return DF_OK;
  }
  if (!classes) {
    char list[1024];
    df_model_class_list(m, list, sizeof list);
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: this model is conditional: give the class of the sound(s) with --class "
                   "(one of: %s)", m->checkpoint, list);
  }
  char names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  int k;
  DF_TRY(df_parse_class_list(classes, names, DF_MAX_CLASSES, &k));
  for (int i = 0; i < k; i++) {
    int id;
    DF_TRY(df_model_class_id(m, names[i], &id));
    if (i < n) ids[i] = id;
  }
  DF_TRY(cli_class_count(classes, k, n));
  for (int i = 1; k == 1 && i < n; i++) ids[i] = ids[0];
  return DF_OK;
}

df_status cli_load_inputs(const char *cmd, const df_loaded_model *m, const char *const *paths, int n,
                          const char *classes, int trim, cli_inputs *out) {
  memset(out, 0, sizeof *out);
  if (!m->type->encode)
    return DF_FAIL(DF_ERR_UNSUPPORTED, "%s: a %s model has no encoder; sounds can be encoded by the autoencoders "
                   "(specvae, specwae)", m->checkpoint, m->type->name);
  int channels;
  int64_t length;
  m->type->audio_shape(m->model, &channels, &length);
  df_prepare_options opt;
  df_prepare_defaults(&opt);
  opt.rate = m->sample_rate;
  opt.length = length;
  opt.channels = channels;
  opt.trim = trim;
  /* The models normalise each input, so a quiet sound encodes as its louder copies do (to
   * float rounding down to -140 dBFS): only silence, or next to it, is refused. */
  opt.silence_db = -120.0;
  out->n = n;
  if (m->type->n_classes(m->model) > 0) {
    out->labels = calloc((size_t)n, sizeof *out->labels);
    if (!out->labels) return DF_FAIL(DF_ERR_OOM, "labels");
  }
  DF_TRY(parse_classes(m, classes, n, out->labels));
  size_t per = (size_t)channels * (size_t)length;
  float *host = malloc(sizeof(float) * per * (size_t)n);
  if (!host) return DF_FAIL(DF_ERR_OOM, "%d sounds", n);
  df_status s = DF_OK;
  for (int i = 0; !s && i < n; i++) {
    int64_t frames;
    s = df_prepare_example(&opt, paths[i], host + per * (size_t)i, &frames);
    if (!s && frames > length)
      fprintf(stderr, "drumforge %s: %s: %.2f s long; the model's sounds are %.2f s: only its start is used\n", cmd,
              paths[i], (double)frames / opt.rate, (double)length / opt.rate);
  }
  if (!s) s = df_tensor_alloc(&out->audio, m->device, DF_F32, 3, (int64_t[]){n, channels, length}, "input sounds");
  if (!s) s = df_tensor_from_host(&out->audio, host, (int64_t)per * n);
  free(host);
  return s;
}

void cli_inputs_free(cli_inputs *in) {
  df_tensor_free(&in->audio);
  free(in->labels);
  memset(in, 0, sizeof *in);
}

df_status cli_encode_inputs(const df_loaded_model *m, const cli_inputs *in, float *z) {
  df_tensor zt;
  int dim = m->type->latent_dim(m->model);
  DF_TRY(df_tensor_alloc(&zt, m->device, DF_F32, 2, (int64_t[]){in->n, dim}, "latents"));
  df_status s = m->type->encode(m->model, &in->audio, in->labels, &zt);
  if (!s) s = df_tensor_to_host(&zt, z, (int64_t)in->n * dim);
  df_tensor_free(&zt);
  return s;
}
