/* The model types the trainer and the commands know, by config name (model.type). */
#include <stdio.h>
#include <string.h>

#include "drumforge/train.h"

extern const df_model_type df_wavegan_model_type, df_specvae_model_type, df_specwae_model_type;
extern const df_model_type df_classifier_model_type;

static const df_model_type *const types[] = {&df_wavegan_model_type, &df_specvae_model_type,
                                             &df_specwae_model_type, &df_classifier_model_type};
static const int n_types = (int)(sizeof types / sizeof types[0]);

const df_model_type *df_model_type_find(const char *name) {
  for (int i = 0; i < n_types; i++)
    if (!strcmp(types[i]->name, name)) return types[i];
  return NULL;
}

const char *df_model_type_list(void) {
  static char list[256];
  if (!list[0])
    for (int i = 0; i < n_types; i++) {
      size_t used = strlen(list);
      snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", types[i]->name);
    }
  return list;
}
