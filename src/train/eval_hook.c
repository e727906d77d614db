/* Evaluation at every checkpoint and the best-checkpoint mark (train/eval_hook.h). */
#include "train/eval_hook.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drumforge/eval.h"
#include "drumforge/fileio.h"
#include "eval/json_file.h"
#include "io/json_read.h"

struct df_eval_hook {
  char run_dir[4096];
  df_classifier *classifier;
  df_evaluator *evaluator;
  double best_fd; /* -1: none yet */
  void (*log)(void *ctx, const char *line);
  void *ctx;
};

/* The Frechet distance of the best checkpoint so far (-1: none yet); a best.json that does not
 * parse is an error, not a reason to mark another checkpoint best. */
static df_status best_so_far(df_eval_hook *h) {
  char path[4200];
  cJSON *root;
  h->best_fd = -1;
  snprintf(path, sizeof path, "%s/best.json", h->run_dir);
  DF_TRY(df_json_read_file(path, 1, &root));
  const double fd = df_json_number(root, "frechet_distance");
  if (fd >= 0) h->best_fd = fd;
  cJSON_Delete(root);
  return DF_OK;
}

df_status df_eval_hook_open(const char *run_dir, const char *dataset, df_device dev, int count,
                            uint64_t seed, void (*log)(void *ctx, const char *line), void *ctx,
                            df_eval_hook **out) {
  df_eval_hook *h = calloc(1, sizeof *h);
  if (!h) return DF_FAIL(DF_ERR_OOM, "evaluation hook");
  snprintf(h->run_dir, sizeof h->run_dir, "%s", run_dir);
  h->log = log;
  h->ctx = ctx;
  df_status s = best_so_far(h);
  /* Checked before a classifier is trained for the dataset (minutes). */
  if (!s) s = df_eval_check_dataset(dataset, 0); /* the model is trained on it: same rate */
  df_classifier_options co = {0};
  co.dataset = dataset;
  co.device = dev;
  co.log = log;
  co.ctx = ctx;
  if (!s) s = df_classifier_open(&co, &h->classifier);
  if (!s) {
    df_eval_options eo = {dataset, h->classifier, dev, count, seed, 0, 0};
    s = df_evaluator_open(&eo, &h->evaluator);
  }
  if (s) {
    df_eval_hook_close(h);
    return s;
  }
  *out = h;
  return DF_OK;
}

void df_eval_hook_close(df_eval_hook *h) {
  if (!h) return;
  df_evaluator_close(h->evaluator);
  df_classifier_close(h->classifier);
  free(h);
}

static df_status append_line(const df_eval_hook *h, const df_eval_result *r) {
  char path[4200];
  snprintf(path, sizeof path, "%s/metrics.jsonl", h->run_dir);
  FILE *fp = fopen(path, "a");
  if (!fp) return DF_FAIL(DF_ERR_IO, "%s: cannot append: %s", path, strerror(errno));
  fprintf(fp, "{\"step\": %lld, \"eval_fd\": %.7g, \"eval_kid\": %.7g, \"eval_is\": %.7g, \"eval_diversity\": %.7g",
          (long long)r->step, r->fd, r->kid, r->is_generated, r->diversity_generated);
  if (r->conditional) fprintf(fp, ", \"eval_cond_acc\": %.7g", r->conditioning_accuracy);
  fprintf(fp, "}\n");
  int bad = ferror(fp);
  if (fclose(fp) != 0 || bad) return DF_FAIL(DF_ERR_IO, "%s: write failed: %s", path, strerror(errno));
  return DF_OK;
}

/* best.safetensors becomes another name of the checkpoint (a hard link, or a copy where the
 * file system has none), replaced atomically; then best.json says which step it is. */
static df_status mark_best(const df_eval_hook *h, const df_eval_result *r, const char *checkpoint) {
  char best[4300], tmp[4400], json[4200];
  snprintf(best, sizeof best, "%s/checkpoints/best.safetensors", h->run_dir);
  df_atomic_tmp_name(best, tmp, sizeof tmp);
  unlink(tmp);
  if (link(checkpoint, tmp) != 0) {
    char *data;
    size_t len;
    DF_TRY(df_read_file(checkpoint, &data, &len));
    df_status s = df_write_file_atomic(best, data, len);
    free(data);
    DF_TRY(s);
  } else {
    DF_TRY(df_atomic_rename(tmp, best));
  }
  snprintf(json, sizeof json, "%s/best.json", h->run_dir);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddNumberToObject(root, "step", (double)r->step);
  cJSON_AddStringToObject(root, "checkpoint", "checkpoints/best.safetensors");
  const char *slash = strrchr(checkpoint, '/');
  cJSON_AddStringToObject(root, "same_as", slash ? slash + 1 : checkpoint);
  cJSON_AddNumberToObject(root, "frechet_distance", r->fd);
  cJSON_AddNumberToObject(root, "kid", r->kid);
  cJSON_AddNumberToObject(root, "inception_score", r->is_generated);
  return ev_write_json(json, root);
}

df_status df_eval_hook_checkpoint(df_eval_hook *h, const df_model_type *type, void *model,
                                  const df_training_classes *trained, int64_t step, const char *checkpoint) {
  df_eval_result r;
  DF_TRY(df_evaluator_run(h->evaluator, type, model, trained, step, &r));
  char line[512];
  /* A distance that is not a number is never the best, nor is a model that is mostly silent
   * (silence can lie closer to the real sounds than an untrained model's noise). */
  const int mostly_silent = 2 * r.silent > r.n_generated;
  int better = isfinite(r.fd) && !mostly_silent && (h->best_fd < 0 || r.fd < h->best_fd);
  char silent[96] = "";
  if (r.silent)
    snprintf(silent, sizeof silent, ", %lld of %d sounds silent%s", (long long)r.silent, r.n_generated,
             mostly_silent ? " (never the best)" : "");
  snprintf(line, sizeof line, "step %lld: Frechet distance %.4g, KID %.4g, Inception Score %.3f%s%s", (long long)step,
           r.fd, r.kid, r.is_generated, silent, better ? " (best so far: checkpoints/best.safetensors)" : "");
  if (h->log) h->log(h->ctx, line);
  if (better) {
    DF_TRY(mark_best(h, &r, checkpoint));
    h->best_fd = r.fd;
  }
  /* The line last: it says the evaluation is complete (a resume evaluates a checkpoint whose
   * line is missing again; its mark is then already there and not made twice). */
  return append_line(h, &r);
}
