/* The loss backend table (see include/drumforge/loss.h for the maths). Arguments arrive
 * validated; scalars are written to host memory. */
#ifndef DF_LOSS_LOSS_BACKEND_H
#define DF_LOSS_LOSS_BACKEND_H

#include "drumforge/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_loss_backend {
  df_status (*gan_critic)(df_gan_loss kind, const df_tensor *real, const df_tensor *fake,
                          df_tensor *dreal, df_tensor *dfake, float *loss, float *wdist);
  df_status (*gan_generator)(df_gan_loss kind, const df_tensor *fake, df_tensor *dfake,
                             float *loss);
  df_status (*gradient_penalty)(const df_tensor *g, float lambda, df_tensor *u, float *gp,
                                float *mean_slope);
} df_loss_backend;

const df_loss_backend *df_cpu_loss_backend(void);

#ifdef __cplusplus
}
#endif
#endif
