/* Pieces of the report (internal to src/report/). */
#ifndef DF_REPORT_PARTS_H
#define DF_REPORT_PARTS_H

#include <stdint.h>
#include <stdio.h>

#include "drumforge/status.h"

#define RP_MAX_SERIES 32

/* metrics.jsonl as one series (step, value) per key (the first RP_MAX_SERIES keys). */
typedef struct rp_series {
  int n;
  char *name[RP_MAX_SERIES];
  int count[RP_MAX_SERIES], cap[RP_MAX_SERIES];
  double *step[RP_MAX_SERIES], *value[RP_MAX_SERIES];
} rp_series;

df_status rp_series_read(const char *run_dir, rp_series *out);
void rp_series_free(rp_series *s);
/* Writes text for HTML or SVG: & < > " ' as entities, control characters as '?'. */
void rp_escape(FILE *fp, const char *text);
/* Writes one path component of a URL (an href or src): every byte but A-Z a-z 0-9 - . _ ~ as
 * %XX, so a file or class name with a space, '#', '?', '%' or '/' stays one component (and
 * needs no HTML escaping: no markup character is left). */
void rp_url_escape(FILE *fp, const char *component);
/* One SVG chart per series in OUT/curves/, and their <img> tags. */
df_status rp_curves(FILE *html, const char *out_dir, const rp_series *s);
/* data.path of RUN/config.ini into buf ("" when there is none). */
void rp_run_dataset(const char *run_dir, char *buf, size_t len);

#endif
