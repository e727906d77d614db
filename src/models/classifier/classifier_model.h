/* The classifier model type's inference entry points for the evaluation code (src/eval/). */
#ifndef DF_MODELS_CLASSIFIER_MODEL_H
#define DF_MODELS_CLASSIFIER_MODEL_H

#include "drumforge/train.h"
#include "models/classifier/classifier_net.h"

extern const df_model_type df_classifier_model_type;

typedef struct dc_shape_info {
  int classes, embed_dim, channels, sample_rate;
  int64_t length;
} dc_shape_info;

/* What a loaded classifier (df_loaded_model.model of type df_classifier_model_type) takes and
 * gives. */
void dc_shape(void *model, dc_shape_info *out);
/* Class probabilities probs [N, classes] and embeddings embed [N, embed_dim] (host; either may
 * be NULL) of audio [N, channels, length] on the model's device, in inference mode. */
df_status dc_classify(void *model, const df_tensor *audio, float *probs, float *embed);

#endif
