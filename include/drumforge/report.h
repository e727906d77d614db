/* The HTML report of a run (README "`drumforge report`"): a static page with its images beside it,
 * readable offline from the file system:
 *   REPORT/index.html       curves, the metric table (eval.json), the best checkpoint,
 *                           Mel spectrograms of previews next to real examples of the same
 *                           class, audio players for every checkpoint's previews, the
 *                           confusion matrices
 *   REPORT/curves/NAME.svg  one chart per metric of metrics.jsonl over the steps
 *   REPORT/mel/NAME.png     log-Mel spectrograms (viridis colours, low frequencies at the bottom) */
#ifndef DRUMFORGE_REPORT_H
#define DRUMFORGE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_report_options {
  const char *run_dir;
  const char *out_dir;  /* NULL: RUN/report */
  const char *dataset;  /* real examples and the classifier card; NULL: the run's data.path (skipped when missing) */
} df_report_options;

/* Writes the report; *index receives the path of index.html. */
df_status df_report_write(const df_report_options *o, char *index, size_t len);

/* A log-Mel spectrogram image of mono audio [length] at `rate` as an 8-bit RGB PNG. */
df_status df_mel_png(const char *path, const float *audio, int64_t length, int rate);

#ifdef __cplusplus
}
#endif
#endif
