/* The DSP fixtures: tests/fixtures/dsp/dsp.safetensors, written by tests/make_dsp_fixtures.py
 * with torch and torchaudio. */
#ifndef DF_TESTS_DSP_FIXTURE_H
#define DF_TESTS_DSP_FIXTURE_H

#include <stdint.h>

/* A malloc'd copy of fp32 fixture `name`, which must have shape [ndim] `shape`; NULL after
 * recording a failure naming it (the file is committed, so a missing one never skips). */
float *df_dsp_fixture(const char *name, int ndim, const int64_t *shape);

#endif
