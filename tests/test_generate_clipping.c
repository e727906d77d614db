/* Sounds louder than full scale in integer files: 16- and 24-bit samples stop at full scale,
 * so generate clips them (never wraps them around) and says so: the file's manifest line
 * counts its clipped samples ("clipped"), the run's result counts the files and their largest
 * peak (the command prints it as a note). A float WAV keeps them whole and lists nothing.
 * The sounds come from a stub model whose decoded sound is z[0] cos(...), from latent rows
 * of amplitudes 0.5, 2, 1 (exactly full scale: nothing clipped) and 3; the clipped counts
 * are checked against the float run's files read back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "drumforge/audio.h"
#include "drumforge/fileio.h"

enum { LENGTH = 2048, ROWS = 4 };
static const float amplitudes[ROWS] = {0.5f, 2.0f, 1.0f, 3.0f};

static int latent_dim(void *model) { return 1; }
static int n_classes(void *model) { return 0; }
static void audio_shape(void *model, int *channels, int64_t *length) {
  *channels = 1;
  *length = LENGTH;
}

/* audio[i] = z[i] cos(2 pi 441 (t - 1000) / 16000), peaking at exactly |z[i]| (t = 1000). */
static df_status decode(void *model, const df_tensor *z, const int32_t *labels, df_tensor *audio) {
  const float *zz = z->data;
  float *out = audio->data;
  for (int64_t i = 0; i < z->shape[0]; i++)
    for (int64_t t = 0; t < LENGTH; t++)
      out[i * LENGTH + t] = zz[i] * (float)cos(2.0 * M_PI * 441.0 * (double)(t - 1000) / 16000.0);
  return DF_OK;
}

static const df_model_type stub_type = {
    .name = "stub", .latent_dim = latent_dim, .n_classes = n_classes, .audio_shape = audio_shape, .decode = decode};

/* Runs the stub into scratch/out with an encoding; returns 1 when the run succeeded. */
static int run(df_loaded_model *m, const char *dir, const char *out, df_audio_encoding enc, df_generate_result *res) {
  char path[4300];
  snprintf(path, sizeof path, "%s/%s", dir, out);
  df_generate_options o;
  df_test_generate_options(&o, m, path, ROWS);
  o.source = DF_LATENTS_ROWS;
  o.rows = amplitudes;
  o.n_rows = ROWS;
  o.rows_origin = "amplitudes";
  o.encoding = enc;
  o.overwrite = 1;
  return df_expect_ok(df_generate(&o, res), out);
}

/* The "clipped" value of manifest line k (0 when the line has none), -1 when unreadable. */
static int64_t listed_clipped(const char *dir, const char *out, int k) {
  char path[4300], *text = NULL;
  size_t len;
  snprintf(path, sizeof path, "%s/%s/manifest.jsonl", dir, out);
  if (df_read_file(path, &text, &len) != DF_OK) return -1;
  char *line = text;
  for (int i = 0; i < k && line; i++) line = strchr(line, '\n'), line = line ? line + 1 : NULL;
  int64_t v = -1;
  if (line) {
    char *end = strchr(line, '\n'), *field = strstr(line, "\"clipped\":");
    v = field && (!end || field < end) ? atoll(field + strlen("\"clipped\":")) : 0;
  }
  free(text);
  return v;
}

int main(void) {
  df_test_begin("test_generate_clipping");
  char dir[4096];
  df_test_scratch_dir("generate_clipping", dir, sizeof dir);
  df_loaded_model m;
  memset(&m, 0, sizeof m);
  m.type = &stub_type;
  m.model = &m; /* the stub keeps no state, but a model must be there */
  m.device = DF_DEVICE_CPU;
  m.sample_rate = 16000;
  snprintf(m.checkpoint, sizeof m.checkpoint, "stub");

  df_generate_result whole, pcm16, pcm24;
  if (!run(&m, dir, "float", DF_AUDIO_FLOAT32, &whole) || !run(&m, dir, "pcm16", DF_AUDIO_PCM16, &pcm16) ||
      !run(&m, dir, "pcm24", DF_AUDIO_PCM24, &pcm24))
    return df_test_finish();
  df_expect_true(whole.clipped == 0 && whole.clipped_peak == 0.0f, "a float WAV clips nothing and counts nothing");
  int expected_files = 0;
  for (int k = 0; k < ROWS; k++) {
    char path[4300], what[160];
    snprintf(path, sizeof path, "%s/float/sound_%06d.wav", dir, k);
    df_audio f = {0}, i16 = {0};
    if (!df_expect_ok(df_audio_read(path, NULL, &f), path)) continue;
    int64_t over = 0, wrapped = 0;
    snprintf(path, sizeof path, "%s/pcm16/sound_%06d.wav", dir, k);
    if (df_expect_ok(df_audio_read(path, NULL, &i16), path) && i16.frames == f.frames) {
      for (int64_t t = 0; t < f.frames; t++) {
        over += fabsf(f.data[t]) > 1.0f;
        /* clipped, not wrapped around: the sign stays and the value is at full scale */
        if (fabsf(f.data[t]) > 1.0f && !(i16.data[t] * f.data[t] > 0 && fabsf(i16.data[t]) >= 32767.0f / 32768.0f))
          wrapped++;
      }
    }
    expected_files += over > 0;
    printf("     sound %d (amplitude %g): %lld samples beyond full scale; listed %lld (16-bit), %lld (24-bit), "
           "%lld (float)\n", k, amplitudes[k], (long long)over, (long long)listed_clipped(dir, "pcm16", k),
           (long long)listed_clipped(dir, "pcm24", k), (long long)listed_clipped(dir, "float", k));
    snprintf(what, sizeof what, "sound %d: the 16-bit manifest line counts its clipped samples", k);
    df_expect_true(listed_clipped(dir, "pcm16", k) == over, what);
    snprintf(what, sizeof what, "sound %d: so does the 24-bit one", k);
    df_expect_true(listed_clipped(dir, "pcm24", k) == over, what);
    snprintf(what, sizeof what, "sound %d: the float line lists none", k);
    df_expect_true(listed_clipped(dir, "float", k) == 0, what);
    snprintf(what, sizeof what, "sound %d: its 16-bit samples beyond full scale sit at full scale", k);
    df_expect_true(wrapped == 0, what);
    df_audio_free(&f);
    df_audio_free(&i16);
  }
  df_expect_true(expected_files == 2, "two of the four sounds (amplitudes 2 and 3) go beyond full scale");
  df_expect_true(pcm16.clipped == expected_files && pcm24.clipped == expected_files,
                 "the results count the files clipped");
  df_expect_near("the results' largest clipped peak (16-bit)", pcm16.clipped_peak, 3.0, 1e-5);
  df_expect_near("the results' largest clipped peak (24-bit)", pcm24.clipped_peak, 3.0, 1e-5);
  return df_test_finish();
}
