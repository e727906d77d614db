/* Quality metrics for generated sounds (README "Evaluation"): Inception Score, Frechet
 * distance, kernel distance (KID), diversity and the confusion matrix work on small host
 * arrays of a classifier's outputs (class probabilities, embeddings); the nearest-neighbour
 * search behind BeatGAN's novelty score works on audio tensors on either device (a GEMM on
 * cuBLAS or OpenBLAS, then an exact recomputation of each winner's distance in double).
 *
 * Arrays are row-major: p [n, classes], embeddings [n, dim]. Sums are in double. */
#ifndef DRUMFORGE_METRICS_H
#define DRUMFORGE_METRICS_H

#include <stdint.h>

#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Inception Score of class probabilities p [n, classes] (rows sum to 1):
 *   IS = exp( mean_i KL(p_i || p_bar) ),  p_bar = mean_i p_i.
 * 1 for a predictor that says the same thing for every input, `classes` for confident,
 * evenly spread predictions. With splits > 1 the rows are cut into that many consecutive
 * parts, IS taken on each, and *score / *std are their mean and standard deviation (the
 * WaveGAN paper's protocol); splits = 1 gives std 0. */
df_status df_inception_score(const float *p, int64_t n, int classes, int splits, double *score,
                             double *std);

/* Frechet distance between Gaussians fitted to the rows of a [na, dim] and b [nb, dim]:
 *   FD = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))
 * with unbiased covariances (n - 1). The trace of the matrix square root is computed as
 * tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)), two symmetric eigendecompositions (LAPACK dsyevd),
 * negative eigenvalues from rounding clipped to 0. Needs na, nb >= 2. */
df_status df_frechet_distance(const float *a, int64_t na, const float *b, int64_t nb, int dim,
                              double *fd);

/* Kernel Inception Distance (Binkowski et al. 2018): the unbiased estimate of MMD^2 with the
 * polynomial kernel k(x, y) = (x.y / dim + 1)^3, averaged over `subsets` random subsets of
 * m = min(subset_size, na, nb) rows of each set (drawn with the project RNG from seed).
 * *mean and *std over the subsets. Needs na, nb >= 2. */
df_status df_kernel_distance(const float *a, int64_t na, const float *b, int64_t nb, int dim,
                             int subsets, int subset_size, uint64_t seed, double *mean,
                             double *std);

/* Mean Euclidean distance over all pairs of distinct rows of x [n, dim] (n >= 2). */
df_status df_mean_pairwise_distance(const float *x, int64_t n, int dim, double *out);

/* Confusion matrix: counts[want * classes + got] over n pairs (ids in [0, classes)), and the
 * accuracy trace / n. */
df_status df_confusion(const int32_t *want, const int32_t *got, int64_t n, int classes,
                       int64_t *counts, double *accuracy);

/* Nearest neighbours: for every row i of a [Na, D] the row index[i] of b [Nb, D] with the
 * smallest squared Euclidean distance, and that distance sq_dist[i] = sum_k (a_ik - b_jk)^2
 * (host arrays of Na). The candidates come from |a|^2 + |b|^2 - 2 a.b with the cross terms
 * as one GEMM (strict fp32 on the GPU: no TF32); the winner's distance is then recomputed
 * exactly in double, so an example found in b has distance 0. Ties go to the lower index.
 * Tensors may be [N, ...] of any rank (rows are flattened), fp32, on one device. */
df_status df_nearest_rows(const df_tensor *a, const df_tensor *b, double *sq_dist,
                          int64_t *index);

/* BeatGAN's novelty of a generated sound A against its nearest training example B:
 * sum((A - B)^2) / sum(A^2). At or below this it counts as a near copy. */
#define DF_NOVELTY_NEAR_COPY 0.1

#ifdef __cplusplus
}
#endif
#endif
