/* Latents in and out: --save-latents writes the seed stream's rows; generating from that file
 * (--latents, also a slice with --start/--count) gives byte-identical files; --interpolate
 * between seeds or .npy rows starts and ends exactly on its end points' sounds with linear
 * steps in between; slerp keeps to the great circle with the norm interpolated. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/datafiles.h"
#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "drumforge/npy.h"

static char dir[4096], ckpt[4200];

static int generate(const char *out, const char *extra) {
  char args[8192];
  snprintf(args, sizeof args, "--batch 4 --bits float %s", extra);
  return df_test_generate(dir, ckpt, out, args);
}

static int same(const char *a, int pa, const char *b, int pb) {
  char x[4400], y[4400];
  snprintf(x, sizeof x, "%s/%s/sound_%06d.wav", dir, a, pa);
  snprintf(y, sizeof y, "%s/%s/sound_%06d.wav", dir, b, pb);
  return df_test_same_file(x, y);
}

/* The latent of manifest line `k` of run `out`. */
static void manifest_latent(const char *out, int k, float *z) {
  char path[4400], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/%s/manifest.jsonl", dir, out);
  memset(z, 0, 100 * sizeof(float));
  if (df_read_file(path, &text, &len)) return;
  char *line = text;
  for (int i = 0; i < k && line; i++) line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
  cJSON *j = line ? cJSON_Parse(line) : NULL;
  cJSON *lat = cJSON_GetObjectItem(j, "latent");
  for (int i = 0; i < 100 && i < cJSON_GetArraySize(lat); i++) z[i] = (float)cJSON_GetArrayItem(lat, i)->valuedouble;
  cJSON_Delete(j);
  free(text);
}

static void save_and_reuse(const df_loaded_model *m) {
  if (!df_expect_true(generate("seeded", "--seed 3 --count 6 --save-latents"), "generate with --save-latents")) return;
  char path[4400];
  snprintf(path, sizeof path, "%s/seeded/latents.npy", dir);
  float *rows = NULL;
  int64_t n = 0, cols = 0;
  df_tensor z;
  df_tensor_new(&z, DF_DEVICE_CPU, "seed latents", 6, 100);
  df_generate_seed_latents(m, 3, 0, 1.0f, &z);
  df_expect_true(df_npy_read_f32(path, &rows, &n, &cols) == DF_OK && n == 6 && cols == 100 &&
                     !memcmp(rows, z.data, sizeof(float) * 600),
                 "latents.npy holds the seed stream's rows in file order");
  free(rows);
  df_tensor_free(&z);
  char extra[4600];
  snprintf(extra, sizeof extra, "--latents '%s'", path);
  generate("from_file", extra);
  int equal = 0;
  for (int i = 0; i < 6; i++) equal += same("seeded", i, "from_file", i);
  df_expect_true(equal == 6, "generating from the saved latents gives byte-identical files");
  snprintf(extra, sizeof extra, "--latents '%s' --start 2 --count 2", path);
  generate("slice", extra);
  df_expect_true(same("seeded", 2, "slice", 2) && same("seeded", 3, "slice", 3), "rows 2 and 3 alone are identical too");
}

static void interpolation(void) {
  generate("ends", "--seed 3 --count 6");
  if (!df_expect_true(generate("walk", "--seed 3 --interpolate 3 3:5 --steps 5"), "interpolate between two seeds")) return;
  df_expect_true(same("walk", 0, "ends", 0) && same("walk", 4, "ends", 5), "the walk starts and ends on its ends' sounds");
  float a[100], b[100], mid[100], want[100];
  manifest_latent("walk", 0, a);
  manifest_latent("walk", 4, b);
  manifest_latent("walk", 2, mid);
  for (int i = 0; i < 100; i++) want[i] = 0.5f * (a[i] + b[i]);
  df_expect_close("linear interpolation: the middle step is the mean", mid, want, 100, 0, 1e-6);

  char extra[4600];
  snprintf(extra, sizeof extra, "--interpolate '%s/seeded/latents.npy:1' '%s/seeded/latents.npy:4' --steps 3", dir, dir);
  df_expect_true(generate("rows", extra) && same("rows", 0, "seeded", 1) && same("rows", 2, "seeded", 4),
                 "interpolation between .npy rows starts and ends on their sounds");

  /* slerp: unit a and b at right angles meet at (a + b) / sqrt 2; norms interpolate. */
  float u[4] = {1, 0, 0, 0}, v[4] = {0, 2, 0, 0}, out[4];
  df_latent_interpolate(u, v, 4, 0.5f, 1, out);
  float s[4] = {(float)(1.5 * M_SQRT1_2), (float)(1.5 * M_SQRT1_2), 0, 0};
  df_expect_close("slerp halfway between orthogonal latents", out, s, 4, 0, 1e-6);
  df_latent_interpolate(u, v, 4, 1.0f / 3, 1, out);
  float t[4] = {(float)(4.0 / 3 * cos(M_PI / 6)), (float)(4.0 / 3 * sin(M_PI / 6)), 0, 0};
  df_expect_close("slerp a third of the way", out, t, 4, 0, 1e-6);
}

int main(void) {
  df_test_begin("test_generate_latents");
  df_loaded_model m;
  if (!df_test_generate_setup("generate_latents", 0, 6, dir, sizeof dir, ckpt, sizeof ckpt) ||
      !df_expect_ok(df_model_load(ckpt, DF_DEVICE_CPU, &m), "load the model"))
    return df_test_finish();
  save_and_reuse(&m);
  interpolation();
  df_model_unload(&m);
  return df_test_finish();
}
