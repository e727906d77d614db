/* The class-conditioning keys every generative model reads the same way. */
#ifndef DF_MODELS_CONDITIONING_H
#define DF_MODELS_CONDITIONING_H

#include "drumforge/config.h"

/* model.conditional (default false: n_classes = 0) and model.class_embed (default
 * default_embed). A conditional model takes the data's classes and needs at least 2. */
df_status df_model_read_conditioning(df_config *cfg, int data_classes, int default_embed, int *n_classes,
                                     int *class_embed);

#endif
