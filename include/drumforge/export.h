/* Model weights as plain safetensors files with PyTorch-style names, for use outside drumforge
 * (a PyTorch WaveGAN loads them with load_state_dict, see README "Export and import"), and
 * back into a checkpoint that `drumforge generate` loads.
 *
 * Tensor names are "<set>.<parameter>" as the model names them: for WaveGAN "G.fc.weight"
 * [out, in], "G.fc.bias", "G.embed.weight" [classes, embed], "G.ups.<i>.weight"
 * [in, out, kernel] (transposed convolutions; [out, in, kernel] with upsample = nn),
 * "G.ups.<i>.bias", "G.ups_bn.<i>.weight|bias|running_mean|running_var", "G.post.weight",
 * "D.convs.<i>.weight" [out, in, kernel], "D.convs.<i>.bias", "D.fc.weight" [1, features],
 * "D.fc.bias", "D.embed.weight" [classes, features], "D.bns.<i>.*". Values are fp32
 * (F16, BF16 and F64 are accepted on import, and PyTorch's "<batch norm>.num_batches_tracked"
 * is skipped). */
#ifndef DRUMFORGE_EXPORT_H
#define DRUMFORGE_EXPORT_H

#include <stdint.h>

#include "drumforge/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_EXPORT_FORMAT "drumforge-export"

typedef struct df_export_result {
  int tensors;
  int64_t values;
  char checkpoint[4200]; /* the checkpoint exported */
} df_export_result;

/* Writes every parameter and buffer of the model in a checkpoint (or the newest valid one of
 * a run folder) to path, without the optimiser state. Metadata: format (DF_EXPORT_FORMAT),
 * model_type, step, sample_rate, class_names (a JSON array), class_examples (training
 * examples per class, when the checkpoint recorded them), config (the model's INI). */
df_status df_export_safetensors(const char *checkpoint_or_run, const char *path, df_export_result *result);

typedef struct df_import_options {
  const char *weights;     /* a safetensors file */
  const char *config_path; /* experiment INI; NULL: the file's "config" metadata */
  const char *classes;     /* "kick,snare,..."; NULL: the file's class_names metadata (or none),
                              and its class_examples with them */
  int sample_rate;         /* 0: the file's metadata, else 16000 */
  int init_missing;        /* parameters the file lacks keep their fresh initial values */
  const char *out;         /* the checkpoint to write */
} df_import_options;

typedef struct df_import_result {
  int loaded, initialised; /* parameters read from the file / left at their initial values */
  char first_initialised[128];
} df_import_result;

/* Builds the model the configuration describes, fills every parameter from the file (shapes
 * must match), and writes an inference checkpoint (no optimiser state; the file's step when it
 * has one). A parameter the file lacks is an error naming it unless init_missing; a tensor the
 * model has no parameter for is an error naming it. Nothing is written on error. */
df_status df_import_safetensors(const df_import_options *o, df_import_result *result);

#ifdef __cplusplus
}
#endif
#endif
