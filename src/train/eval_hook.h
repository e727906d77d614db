/* The trainer's optional evaluation at every checkpoint (train.eval_every_checkpoint): the
 * cheap metrics (no novelty) appended to metrics.jsonl as eval_* keys, and the checkpoint
 * with the lowest Frechet distance marked as the best: RUN/best.json and a hard link
 * RUN/checkpoints/best.safetensors (so pruning the ckpt-* name keeps the file). */
#ifndef DF_TRAIN_EVAL_HOOK_H
#define DF_TRAIN_EVAL_HOOK_H

#include "drumforge/eval.h"
#include "drumforge/train.h"

typedef struct df_eval_hook df_eval_hook;

/* Opens the dataset's classifier (training it when missing) and reads the real test sounds;
 * the best Frechet distance so far comes from RUN/best.json when the run is resumed. */
df_status df_eval_hook_open(const char *run_dir, const char *dataset, df_device dev, int count,
                            uint64_t seed, void (*log)(void *ctx, const char *line), void *ctx,
                            df_eval_hook **out);
/* Evaluates the model just saved at `checkpoint` (step `step`), trained on `trained`: marks it
 * best when it is, then appends its eval_* line to metrics.jsonl (the sign that it is done). */
df_status df_eval_hook_checkpoint(df_eval_hook *h, const df_model_type *type, void *model,
                                  const df_training_classes *trained, int64_t step, const char *checkpoint);
void df_eval_hook_close(df_eval_hook *h);

#endif
