/* Split names (include/drumforge/dataset.h). */
#include <strings.h>

#include "drumforge/dataset.h"

const char *df_split_name(df_split s) {
  switch (s) {
    case DF_SPLIT_TRAIN: return "train";
    case DF_SPLIT_VALIDATION: return "validation";
    case DF_SPLIT_TEST: return "test";
  }
  return "unknown";
}

df_status df_parse_split(const char *text, df_split *out) {
  if (!strcasecmp(text, "train")) *out = DF_SPLIT_TRAIN;
  else if (!strcasecmp(text, "validation") || !strcasecmp(text, "val")) *out = DF_SPLIT_VALIDATION;
  else if (!strcasecmp(text, "test")) *out = DF_SPLIT_TEST;
  else return DF_FAIL(DF_ERR_INVALID_ARG, "unknown split '%s' (use train, validation or test)", text);
  return DF_OK;
}
