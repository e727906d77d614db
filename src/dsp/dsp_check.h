/* Argument checks shared by the DSP dispatching functions. */
#ifndef DF_DSP_DSP_CHECK_H
#define DF_DSP_DSP_CHECK_H

#include "dsp/stft_plan.h"

/* plan is usable and t is an fp32 tensor on the plan's device of shape
 * [B, inner[0], ..., inner[ndim - 2]] with 1 <= B <= max_batch (B = batch when batch > 0). */
df_status df_dsp_check_batch(const char *fn, const df_stft_plan *plan, const df_tensor *t,
                             int ndim, const int64_t *inner, int64_t batch);

#endif
