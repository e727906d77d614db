/* Preview audio written at checkpoints, the same way for every model type. */
#ifndef DF_MODELS_PREVIEW_H
#define DF_MODELS_PREVIEW_H

#include "drumforge/train.h"

/* Draws `count` latents from `seed` with type->sample_latents (truncation 1), decodes them
 * (conditional models: the classes with training examples in turn; class_examples NULL: all) and writes dir/NN.wav, or NN_<class>.wav,
 * as 16-bit WAV, after removing such files an earlier session left in dir (other files stay).
 * The same seed gives the same latents at every checkpoint. */
df_status df_model_write_previews(const df_model_type *type, void *model, const char *dir, uint64_t seed,
                                  int count, int sample_rate, const char *const *class_names,
                                  const int64_t *class_examples);

/* Removes the previews (NN.wav, NN_<class>.wav) and preview temporaries in dir: those an earlier
 * session wrote there (a step reached again after a resume from an earlier checkpoint, maybe
 * with another preview count, or one past the step a run resumes from); other files stay. */
df_status df_model_remove_previews(const char *dir);

#endif
