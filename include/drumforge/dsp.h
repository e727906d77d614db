/* Digital signal processing for the spectrogram models: STFT and inverse STFT, magnitudes,
 * Mel filterbanks and their pseudo-inverse, log and dB scales, the normalisations the
 * spectrogram projects used, and batched fast Griffin-Lim.
 *
 * Conventions (PyTorch's and librosa's, so fixtures and results map one to one):
 *  - signals are [B, L] fp32; spectra are [B, F, T, 2] (interleaved real and imaginary parts,
 *    torch.view_as_real(torch.stft(...)) order); magnitudes and Mel spectrograms are [B, F, T]
 *    and [B, M, T]; F = n_fft / 2 + 1 frequency bins (one-sided), T frames;
 *  - the window is a periodic Hann window of win_length samples (torch.hann_window,
 *    scipy/librosa "hann"), zero-padded on both sides to n_fft (centred in the frame);
 *  - centred frames (default): frame t is centred on sample t * hop, the signal is padded by
 *    n_fft / 2 samples on each side, reflect (torch.stft's default) or zeros (librosa's);
 *    T = 1 + L / hop. Without centring T = 1 + (L - n_fft) / hop;
 *  - the FFT is unnormalised (forward sum, as torch.stft with normalized=False); the inverse
 *    STFT is torch.istft: inverse FFT, window, overlap-add, divided by the overlap-added
 *    squared window, trimmed to the plan's signal length;
 *  - every tensor of one call lives on the plan's (or the first tensor's) device; outputs are
 *    allocated by the caller with the documented shape. */
#ifndef DRUMFORGE_DSP_H
#define DRUMFORGE_DSP_H

#include <stdint.h>

#include "drumforge/rng.h"
#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================ STFT */

typedef enum df_pad_mode {
  DF_PAD_REFLECT = 0, /* torch.stft default: mirror without repeating the edge sample */
  DF_PAD_CONSTANT     /* zeros (librosa's default) */
} df_pad_mode;

typedef struct df_stft_config {
  int n_fft;            /* FFT size, >= 2 */
  int hop;              /* hop length in samples; 0 means n_fft / 4 */
  int win_length;       /* Hann window length, <= n_fft; 0 means n_fft */
  int center;           /* 1: centred frames (padding of n_fft / 2 on each side) */
  df_pad_mode pad_mode; /* padding of centred frames */
} df_stft_config;

/* n_fft with hop n_fft / 4, win_length n_fft, centred, reflect padding (torch.stft). */
df_stft_config df_stft_config_default(int n_fft);

/* Frequency bins (F) and frames (T) of a signal of `length` samples; checks the config. */
df_status df_stft_dims(const df_stft_config *cfg, int64_t length, int *bins, int64_t *frames);

/* A plan fixes the config, the device, the signal length and the largest batch; it owns the
 * FFT plans (FFTW on the CPU, batched cuFFT on the GPU), the window and scratch memory, and is
 * created once and reused. Calls may pass any batch from 1 to max_batch. One plan is used by
 * one thread at a time (the CPU backend parallelises over the batch itself, with OpenMP). */
typedef struct df_stft_plan df_stft_plan;

df_status df_stft_plan_create(const df_stft_config *cfg, df_device dev, int64_t max_batch,
                              int64_t length, df_stft_plan **out);
void df_stft_plan_free(df_stft_plan *plan);

/* The resolved config (hop and win_length filled in) and the plan's dimensions (zeros for a
 * NULL plan). */
df_stft_config df_stft_plan_config(const df_stft_plan *plan);
int df_stft_plan_bins(const df_stft_plan *plan);
int64_t df_stft_plan_frames(const df_stft_plan *plan);
int64_t df_stft_plan_length(const df_stft_plan *plan);
int64_t df_stft_plan_max_batch(const df_stft_plan *plan);
df_device df_stft_plan_device(const df_stft_plan *plan);

/* x [B, L] -> spec [B, F, T, 2]. */
df_status df_stft(df_stft_plan *plan, const df_tensor *x, df_tensor *spec);
/* x [B, L] -> |STFT(x)|^power [B, F, T]; power 1 gives magnitudes, 2 power (any > 0). */
df_status df_stft_magnitude(df_stft_plan *plan, const df_tensor *x, float power,
                            df_tensor *mag);
/* spec [B, F, T, 2] -> x [B, L] (torch.istft with length = L). The imaginary parts of the DC
 * and Nyquist bins are ignored, as by any inverse real FFT. Needs the overlap-added squared
 * window to be non-zero over the output (NOLA): true for centred frames with hop <= n_fft / 2
 * (and win_length >= hop); DF_ERR_INVALID_ARG otherwise, naming the first bad sample. */
df_status df_istft(df_stft_plan *plan, const df_tensor *spec, df_tensor *x);

/* ================================================================ Griffin-Lim */

typedef enum df_phase_init {
  DF_PHASE_RANDOM = 0, /* uniform on the unit circle, from the project RNG */
  DF_PHASE_ZERO,       /* all phases 0 (torchaudio's rand_init=False) */
  DF_PHASE_RANDOM_SHARED /* random as DF_PHASE_RANDOM, the same phases for every item of the
                          * batch: an item's result does not depend on its place in the batch */
} df_phase_init;

typedef struct df_griffinlim_config {
  int n_iter;          /* iterations, >= 0 (default 32) */
  float momentum;      /* fast Griffin-Lim momentum in [0, 1) (default 0.99; 0 = classic) */
  df_phase_init init;  /* default DF_PHASE_RANDOM */
} df_griffinlim_config;

df_griffinlim_config df_griffinlim_config_default(void);

/* Fast Griffin-Lim (Perraudin et al. 2013, as librosa.griffinlim and torchaudio):
 *     X = S exp(j phi0);  P = 0
 *     repeat n_iter:  T = STFT(ISTFT(X));  A = T - m / (1 + m) P;  X = S A / (|A| + 1e-16);  P = T
 *     audio = ISTFT(X)
 * mag [B, F, T] holds magnitudes S (not power) -> audio [B, L]. The random initial phase of
 * element (b, f, t) is 2 pi u with u word (b F + f) T + t of the stream of rng from its
 * offset, so the CPU and the GPU start from the same phases; rng advances by B F T rounded up
 * to 4 (rng may be NULL with DF_PHASE_ZERO). DF_PHASE_RANDOM_SHARED gives element (b, f, t)
 * word f T + t for every b, and advances rng by F T rounded up to 4. convergence (host, B floats, or NULL to skip the
 * extra STFT) receives the spectral convergence ||S - |STFT(audio)||| / ||S|| per item
 * (0 for an all-zero S). The whole batch runs at once: on the GPU in one batched cuFFT plan. */
df_status df_griffinlim(df_stft_plan *plan, const df_griffinlim_config *cfg, df_rng *rng,
                        const df_tensor *mag, df_tensor *audio, float *convergence);

/* The spectral convergence ||S(ref) - S(test)|| / ||S(ref)|| of n_fft-point STFT magnitudes
 * (hop, centred frames, zero padding) for each of n pairs of host sounds ref[i], test[i] of
 * length samples each, on the CPU, into sc[n] (0: the same spectrogram; 1: as far as silence,
 * above 1: farther; 0 for a silent reference). How close a reconstruction is to its input,
 * phase error included. */
df_status df_spectral_convergence(const float *ref, const float *test, int n, int64_t length,
                                  int n_fft, int hop, float *sc);

/* Griffin-Lim from a Mel spectrogram: magnitudes max(0, pinv mel) first (df_mel_to_linear,
 * pinv [F, M] from df_mel_matrices), then df_griffinlim; convergence is measured against those
 * magnitudes. mel [B, M, T]. */
df_status df_griffinlim_mel(df_stft_plan *plan, const df_griffinlim_config *cfg, df_rng *rng,
                            const df_tensor *pinv, const df_tensor *mel, df_tensor *audio,
                            float *convergence);

/* ================================================================ Mel */

typedef enum df_mel_scale {
  DF_MEL_SLANEY = 0, /* linear below 1 kHz, logarithmic above (librosa's default) */
  DF_MEL_HTK         /* 2595 log10(1 + f / 700) (torchaudio's default) */
} df_mel_scale;

typedef enum df_mel_norm {
  DF_MEL_NORM_SLANEY = 0, /* each triangle divided by its width in Hz / 2: equal area */
  DF_MEL_NORM_NONE        /* triangles of peak 1 */
} df_mel_norm;

typedef struct df_mel_config {
  double sample_rate;
  int n_fft;
  int n_mels;
  double f_min;       /* Hz, >= 0 */
  double f_max;       /* Hz, <= sample_rate / 2; 0 means sample_rate / 2 */
  df_mel_scale scale;
  df_mel_norm norm;
} df_mel_config;

/* librosa.filters.mel defaults: f_min 0, f_max sample_rate / 2, Slaney scale and norm. */
df_mel_config df_mel_config_default(double sample_rate, int n_fft, int n_mels);

double df_hz_to_mel(double hz, df_mel_scale scale);
double df_mel_to_hz(double mel, df_mel_scale scale);

/* The filterbank as librosa.filters.mel and torchaudio.functional.melscale_fbanks (transposed)
 * define it, computed in double: host fb [n_mels, n_fft / 2 + 1], row-major. */
df_status df_mel_filterbank(const df_mel_config *cfg, float *fb);
/* The number of bands of that filterbank that no frequency bin falls in (all-zero rows, when
 * the bands are narrower than the bins: librosa warns "Empty filters detected"). The
 * filterbank functions accept such configurations; models refuse them (their config). */
df_status df_mel_empty_bands(const df_mel_config *cfg, int *empty);
/* Moore-Penrose pseudo-inverse of a host matrix a [rows, cols] -> pinv [cols, rows] (SVD in
 * double, singular values below max(rows, cols) eps sigma_max dropped, as torch.linalg.pinv). */
df_status df_pseudo_inverse(int rows, int cols, const float *a, float *pinv);
/* Allocates the filterbank fb [M, F] and (when pinv is not NULL) its pseudo-inverse
 * pinv [F, M] as tensors on dev. */
df_status df_mel_matrices(const df_mel_config *cfg, df_device dev, df_tensor *fb,
                          df_tensor *pinv);

/* mel [B, M, T] = fb [M, F] x mag [B, F, T] (magnitudes or power, whichever the caller has). */
df_status df_mel_project(const df_tensor *fb, const df_tensor *mag, df_tensor *mel);
/* The least-squares inverse, clipped non-negative: mag [B, F, T] = max(0, pinv [F, M] x mel). */
df_status df_mel_to_linear(const df_tensor *pinv, const df_tensor *mel, df_tensor *mag);

/* ================================================================ dB and log scales */

typedef struct df_db_config {
  float multiplier; /* 20 for amplitudes, 10 for power */
  float ref;        /* the value that maps to 0 dB, > 0 */
  float amin;       /* floor applied to values (and ref) before the logarithm, > 0 */
  float top_db;     /* > 0: values below (item maximum - top_db) are raised to it; 0: off */
} df_db_config;

/* librosa.amplitude_to_db defaults: 20, ref 1, amin 1e-5, top_db 80. */
df_db_config df_db_config_amplitude(void);
/* librosa.power_to_db defaults: 10, ref 1, amin 1e-10, top_db 80. */
df_db_config df_db_config_power(void);

/* y = multiplier (log10(max(amin, x)) - log10(max(amin, ref))), then the top_db floor with the
 * maximum taken per item (x [B, ...]; librosa applied to each file). y may alias x. */
df_status df_to_db(const df_db_config *cfg, const df_tensor *x, df_tensor *y);
/* The inverse (librosa.db_to_amplitude / db_to_power): y = ref 10^(x / multiplier). */
df_status df_from_db(const df_db_config *cfg, const df_tensor *x, df_tensor *y);
/* Natural log scale (SpecGAN: eps 1e-6): y = ln(x + eps); inverse y = max(0, exp(x) - eps). */
df_status df_to_log(const df_tensor *x, float eps, df_tensor *y);
df_status df_from_log(const df_tensor *x, float eps, df_tensor *y);

/* ================================================================ normalisations */

/* Per-item min-max to [0, 1] (the loop VAE and DK-VAE): x [B, ...] -> y, with the item's
 * minimum and maximum written to lo [B] and hi [B] for de-normalisation. A constant item maps
 * to 0. y may alias x. */
df_status df_minmax_normalize(const df_tensor *x, df_tensor *y, df_tensor *lo, df_tensor *hi);
/* x = y (hi - lo) + lo. */
df_status df_minmax_denormalize(const df_tensor *y, const df_tensor *lo, const df_tensor *hi,
                                df_tensor *x);
/* Folds items' ranges (lo, hi [B] of df_minmax_normalize) into running means per class, for
 * de-normalising sampled spectrograms: stats [K, 3] rows hold (items seen, mean lo, mean hi);
 * classes [B] int32 in [0, K), or NULL for row 0. Items in order, each an incremental mean
 * update in double, so both backends give the same bits. */
df_status df_minmax_range_update(df_tensor *stats, const df_tensor *lo, const df_tensor *hi,
                                 const df_tensor *classes);

/* SpecGAN's per-frequency-bin normalisation: mean and standard deviation of each bin over a
 * whole dataset (every frame of every item), then
 *     y = clip((x - mean[f]) / (n_std std[f]), -1, 1)      (n_std = 3: clipped at 3 sigma)
 * Accumulate with df_bin_stats_add over the dataset's [B, F, T] batches (any device; sums in
 * double, in a fixed order), then df_bin_stats_moments. */
typedef struct df_bin_stats {
  int bins;
  int64_t count; /* values per bin so far */
  double *sum;
  double *sum_sq;
} df_bin_stats;

df_status df_bin_stats_init(df_bin_stats *s, int bins);
void df_bin_stats_free(df_bin_stats *s);
df_status df_bin_stats_add(df_bin_stats *s, const df_tensor *x);
/* Host mean [bins] and population standard deviation [bins] (np.std), the latter floored at
 * DF_BIN_STD_FLOOR so that a constant bin cannot divide by zero. */
#define DF_BIN_STD_FLOOR 1e-6f
df_status df_bin_stats_moments(const df_bin_stats *s, float *mean, float *std);

/* Stores and loads the moments as JSON {"format": "drumforge-bin-moments", "bins": F,
 * "mean": [...], "std": [...]} (written atomically; load allocates *mean and *std with
 * malloc and names the file and the problem on any error). */
df_status df_bin_moments_save(const char *path, int bins, const float *mean, const float *std);
df_status df_bin_moments_load(const char *path, int *bins, float **mean, float **std);

/* x [B, F, T], mean and std [F] on the same device. y may alias x. */
df_status df_bin_normalize(const df_tensor *mean, const df_tensor *std, float n_std,
                           const df_tensor *x, df_tensor *y);
/* x = y n_std std[f] + mean[f] (the clipping is not undone). */
df_status df_bin_denormalize(const df_tensor *mean, const df_tensor *std, float n_std,
                             const df_tensor *y, df_tensor *x);

#ifdef __cplusplus
}
#endif
#endif
