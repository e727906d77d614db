/* Log-Mel spectrogram images (include/drumforge/report.h): the classifier's front end on the
 * CPU (STFT, Slaney Mel, power dB with an 80 dB range), viridis colours, libpng. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

#include "drumforge/dsp.h"
#include "drumforge/fileio.h"
#include "drumforge/report.h"

#define MEL_BANDS 80
#define N_FFT 1024
#define HOP 128
#define PIXELS_PER_BAND 2

/* Viridis at 9 stops (matplotlib), linearly interpolated. */
static void viridis(double t, unsigned char rgb[3]) {
  static const unsigned char stops[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},
                                            {44, 113, 142}, {33, 144, 141}, {39, 173, 129},
                                            {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  double x = t * 8;
  int i = (int)x < 8 ? (int)x : 7;
  double f = x - i;
  for (int c = 0; c < 3; c++) rgb[c] = (unsigned char)(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]) + 0.5);
}

static df_status write_png(const char *path, int width, int height, const unsigned char *rgb) {
  df_atomic_file f;
  DF_TRY(df_atomic_open(&f, path));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    df_atomic_abort(&f);
    return DF_FAIL(DF_ERR_IO, "%s: libpng could not write the image", path);
  }
  png_init_io(png, f.fp);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * width * 3));
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return df_atomic_commit(&f);
}

df_status df_mel_png(const char *path, const float *audio, int64_t length, int rate) {
  if (!path || length < 0 || (length > 0 && !audio))
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_mel_png: no path or no audio (%lld samples)", (long long)length);
  df_stft_config sc = df_stft_config_default(N_FFT);
  sc.hop = HOP;
  int64_t len = length < N_FFT ? N_FFT : length;
  df_stft_plan *plan = NULL;
  df_tensor x = {0}, mag = {0}, mel = {0}, fb = {0};
  unsigned char *rgb = NULL;
  df_status s = df_stft_plan_create(&sc, DF_DEVICE_CPU, 1, len, &plan);
  const int bins = N_FFT / 2 + 1;
  const int64_t frames = plan ? df_stft_plan_frames(plan) : 0;
  if (!s) s = df_tensor_new(&x, DF_DEVICE_CPU, "audio", 1, len);
  if (!s) s = df_tensor_new(&mag, DF_DEVICE_CPU, "power", 1, bins, frames);
  if (!s) s = df_tensor_new(&mel, DF_DEVICE_CPU, "mel", 1, MEL_BANDS, frames);
  df_mel_config mc = df_mel_config_default(rate, N_FFT, MEL_BANDS);
  if (!s) s = df_mel_matrices(&mc, DF_DEVICE_CPU, &fb, NULL);
  if (!s) {
    for (int64_t i = 0; i < length; i++) ((float *)x.data)[i] = audio[i];
    s = df_stft_magnitude(plan, &x, 2.0f, &mag);
  }
  if (!s) s = df_mel_project(&fb, &mag, &mel);
  df_db_config db = df_db_config_power();
  if (!s) s = df_to_db(&db, &mel, &mel);
  const int width = (int)frames, height = MEL_BANDS * PIXELS_PER_BAND;
  if (!s && !(rgb = malloc((size_t)width * height * 3))) s = DF_FAIL(DF_ERR_OOM, "%s", path);
  if (!s) {
    const float *m = mel.data;
    float top = m[0];
    for (int64_t i = 1; i < MEL_BANDS * frames; i++)
      if (m[i] > top) top = m[i];
    for (int y = 0; y < height; y++) {
      int band = MEL_BANDS - 1 - y / PIXELS_PER_BAND; /* low frequencies at the bottom */
      for (int t = 0; t < width; t++) viridis((m[band * frames + t] - (top - 80.0)) / 80.0, rgb + ((size_t)y * width + t) * 3);
    }
    s = write_png(path, width, height, rgb);
  }
  free(rgb);
  df_tensor_free(&x);
  df_tensor_free(&mag);
  df_tensor_free(&mel);
  df_tensor_free(&fb);
  df_stft_plan_free(plan);
  return s;
}
