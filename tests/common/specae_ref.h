/* Helpers of the spectrogram autoencoders' PyTorch tests (test_specae_torch,
 * test_specae_train_torch; tests/python/specae_reference.py). */
#ifndef DF_TESTS_SPECAE_REF_H
#define DF_TESTS_SPECAE_REF_H

#include <stddef.h>

#include "models/specae/specae.h"

/* The model's parsed configuration as the JSON the Python references read ("kind", "filters",
 * "strides", ..., the front end's and Adam's settings). */
void df_test_specae_config_json(const sa_config *c, char *buf, size_t len);
/* Biases and batch-norm parameters start at 0 and 1: moves them to a general position. */
void df_test_specae_perturb(df_param_set *set);

#endif
