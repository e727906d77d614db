/* Latents of positions and between latents (include/drumforge/generate.h). */
#include <math.h>

#include "drumforge/generate.h"

/* Words of the RNG stream reserved for one position: a row, rounded up to a whole Philox
 * block so every row's fill starts where the stream layout wants it (rng.h). */
static uint64_t stride(int dim) { return ((uint64_t)dim + 3) / 4 * 4; }

df_status df_generate_seed_latents(const df_loaded_model *m, uint64_t seed, int64_t first,
                                   float truncation, df_tensor *z) {
  const int dim = m->type->latent_dim(m->model);
  if (z->ndim != 2 || z->shape[1] != dim)
    return DF_FAIL(DF_ERR_INVALID_ARG, "seed latents: z must be [N, %d]", dim);
  if (first < 0) return DF_FAIL(DF_ERR_INVALID_ARG, "seed latents: negative position %lld", (long long)first);
  if (!(truncation > 0.0f && truncation <= 1.0f))
    return DF_FAIL(DF_ERR_INVALID_ARG, "truncation %g is outside (0, 1]", truncation);
  df_rng rng = {seed, (uint64_t)first * stride(dim)};
  /* With a whole number of blocks per row one fill lays the rows out exactly as separate
   * fills would; otherwise each row is drawn on its own. */
  if (dim % 4 == 0) return m->type->sample_latents(m->model, &rng, truncation, z);
  for (int64_t i = 0; i < z->shape[0]; i++) {
    df_tensor row;
    DF_TRY(df_tensor_slice0(z, i, 1, &row));
    rng.offset = (uint64_t)(first + i) * stride(dim);
    DF_TRY(m->type->sample_latents(m->model, &rng, truncation, &row));
  }
  return DF_OK;
}

void df_latent_interpolate(const float *a, const float *b, int dim, float t, int slerp, float *out) {
  double na = 0, nb = 0, dot = 0;
  for (int i = 0; i < dim; i++) {
    na += (double)a[i] * a[i];
    nb += (double)b[i] * b[i];
    dot += (double)a[i] * b[i];
  }
  na = sqrt(na);
  nb = sqrt(nb);
  double cosw = na > 0 && nb > 0 ? dot / (na * nb) : 1.0;
  if (!slerp || cosw > 1.0 - 1e-7 || cosw < -1.0 + 1e-7) {
    for (int i = 0; i < dim; i++) out[i] = (float)((1.0 - t) * a[i] + (double)t * b[i]);
    return;
  }
  /* Along the great circle between the directions, the norm interpolated linearly. */
  double w = acos(cosw), s = sin(w);
  double ca = sin((1.0 - t) * w) / s, cb = sin((double)t * w) / s;
  double norm = (1.0 - t) * na + (double)t * nb;
  for (int i = 0; i < dim; i++) out[i] = (float)(norm * (ca * a[i] / na + cb * b[i] / nb));
}
