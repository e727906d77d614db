/* Test helpers for the data tests: write real audio files of any libsndfile format, and
 * deterministic test signals. */
#ifndef DF_TESTS_AUDIOFILES_H
#define DF_TESTS_AUDIOFILES_H

#include <stdint.h>

/* Writes planar samples [channels, frames] with libsndfile; format is an SF_FORMAT_* major |
 * subtype combination. Returns 0 on success (prints the libsndfile error otherwise). */
int df_test_write_sndfile(const char *path, int format, int channels, int rate, int64_t frames,
                          const float *planar);

/* A decaying mix of two sines per channel (a drum-like test tone), amplitude <= 0.6,
 * starting at frame `onset` (zeros before). */
void df_test_tone(float *planar, int channels, int64_t frames, int rate, int64_t onset,
                  double freq);

/* Writes a text file (for drumkit.xml, class tables, corrupt files). Returns 0 on success. */
int df_test_write_text(const char *path, const char *text);

#endif
