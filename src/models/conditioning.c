/* The class-conditioning keys (conditioning.h). */
#include "models/conditioning.h"

df_status df_model_read_conditioning(df_config *cfg, int data_classes, int default_embed, int *n_classes,
                                     int *class_embed) {
  int conditional;
  long v;
  DF_TRY(df_config_bool(cfg, "model.conditional", 0, &conditional));
  if (conditional && data_classes < 2)
    return DF_CONFIG_FAIL(cfg, "model.conditional", "the data has %d class%s; a conditional model needs at least 2 "
                          "(a labelled dataset)", data_classes, data_classes == 1 ? "" : "es");
  *n_classes = conditional ? data_classes : 0;
  DF_TRY(df_config_int(cfg, "model.class_embed", default_embed, 1, 1024, &v));
  *class_embed = (int)v;
  return DF_OK;
}
