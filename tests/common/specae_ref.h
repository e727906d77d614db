/* Helpers of the spectrogram autoencoders' PyTorch tests (test_specae_torch,
 * test_specae_train_torch; tests/python/specae_reference.py). */
#ifndef DF_TESTS_SPECAE_REF_H
#define DF_TESTS_SPECAE_REF_H

#include <stddef.h>

#include "models/specae/specae.h"

/* The model's parsed configuration as the JSON the Python references read ("kind", "filters",
 * "strides", ..., the front end's and Adam's settings). */
void df_test_specae_config_json(const sa_config *c, char *buf, size_t len);
/* The tests' small model's configuration into text: three layers (3, 4, 5 channels, strides
 * 2, (2, 1), 2, kernel 3), latent 4, 3-wide class embeddings when conditional, 16 x 8
 * spectrograms of 128 samples (n_fft 32, hop 8, the first 8 frames); extra follows the
 * [spectrogram] section's keys (more of them, then [loss], [optim] ...). */
void df_test_specae_config_text(int conditional, const char *extra, char *text, size_t len);
/* A model of type from text on dev for data (weights from seed 7), its biases and batch-norm
 * parameters moved from 0 and 1 to a general position; name names the config in errors. */
df_status df_test_specae_create(const df_model_type *type, const char *text, const char *name, df_device dev,
                                const df_train_data *data, sa_model **out);

#endif
