/* Loss and metric curves of a run: metrics.jsonl read into series, one SVG line chart each. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/config.h"
#include "drumforge/fileio.h"
#include "report/report_parts.h"

/* Keys of metrics.jsonl that are not curves. */
static int bookkeeping(const char *key) {
  return !strcmp(key, "step") || !strcmp(key, "time") || !strcmp(key, "elapsed");
}

static void add(rp_series *s, const char *name, double step, double value) {
  int k = 0;
  while (k < s->n && strcmp(s->name[k], name)) k++;
  if (k == s->n) {
    if (s->n == RP_MAX_SERIES || !(s->name[s->n] = strdup(name))) return;
    s->n++;
  }
  if (s->count[k] == s->cap[k]) {
    int cap = s->cap[k] ? 2 * s->cap[k] : 64;
    double *st = realloc(s->step[k], sizeof(double) * (size_t)cap);
    if (st) s->step[k] = st;
    double *va = st ? realloc(s->value[k], sizeof(double) * (size_t)cap) : NULL;
    if (!va) return;
    s->value[k] = va;
    s->cap[k] = cap;
  }
  s->step[k][s->count[k]] = step;
  s->value[k][s->count[k]++] = value;
}

df_status rp_series_read(const char *run_dir, rp_series *out) {
  memset(out, 0, sizeof *out);
  char path[4200], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/metrics.jsonl", run_dir);
  df_status s = df_read_file(path, &text, &len);
  if (s == DF_ERR_NOT_FOUND) return DF_OK;
  DF_TRY(s);
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    cJSON *j = cJSON_Parse(line);
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(j, "step"), *v;
    if (cJSON_IsNumber(step))
      cJSON_ArrayForEach(v, j) if (cJSON_IsNumber(v) && !bookkeeping(v->string) && isfinite(v->valuedouble))
          add(out, v->string, step->valuedouble, v->valuedouble);
    cJSON_Delete(j);
  }
  free(text);
  return DF_OK;
}

void rp_series_free(rp_series *s) {
  for (int k = 0; k < s->n; k++) {
    free(s->name[k]);
    free(s->step[k]);
    free(s->value[k]);
  }
  memset(s, 0, sizeof *s);
}

void rp_escape(FILE *fp, const char *text) {
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (*p == '&') fputs("&amp;", fp);
    else if (*p == '<') fputs("&lt;", fp);
    else if (*p == '>') fputs("&gt;", fp);
    else if (*p == '"') fputs("&quot;", fp);
    else if (*p == '\'') fputs("&#39;", fp);
    else fputc(*p < 0x20 ? '?' : *p, fp); /* control characters are not allowed in XML (SVG) */
  }
}

void rp_url_escape(FILE *fp, const char *component) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)component; *p; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
      fputc(*p, fp);
    else
      fprintf(fp, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
  }
}

static df_status chart(const char *path, const char *name, const double *x, const double *y, int n) {
  const double W = 480, H = 200, L = 60, R = 10, T = 24, B = 28;
  double x0 = x[0], x1 = x[0], y0 = y[0], y1 = y[0];
  for (int i = 1; i < n; i++) {
    x0 = fmin(x0, x[i]);
    x1 = fmax(x1, x[i]);
    y0 = fmin(y0, y[i]);
    y1 = fmax(y1, y[i]);
  }
  /* One step or one value: the axis names only it (its range is padded to draw the line). */
  const int one_step = x1 == x0, one_value = y1 == y0;
  if (one_step) x1 = x0 + 1;
  if (one_value) y1 = y0 + 1;
  df_atomic_file f;
  DF_TRY(df_atomic_open(&f, path));
  fprintf(f.fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
                "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                "<text x=\"%g\" y=\"15\" font-size=\"13\">",
          W, H, W, H, L);
  rp_escape(f.fp, name);
  fprintf(f.fp, "</text>\n");
  fprintf(f.fp, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#888\"/><line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#888\"/>\n",
          L, T, L, H - B, L, H - B, W - R, H - B);
  if (!one_value) fprintf(f.fp, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g</text>", L - 4, T + 8, y1);
  fprintf(f.fp, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g</text>\n", L - 4, H - B, y0);
  if (one_step) fprintf(f.fp, "<text x=\"%g\" y=\"%g\">step %.0f</text>\n", L, H - 10, x0);
  else
    fprintf(f.fp, "<text x=\"%g\" y=\"%g\">%.0f</text><text x=\"%g\" y=\"%g\" text-anchor=\"end\">step %.0f</text>\n", L,
            H - 10, x0, W - R, H - 10, x1);
  fprintf(f.fp, "<polyline fill=\"none\" stroke=\"#21908d\" stroke-width=\"1.5\" points=\"");
  for (int i = 0; i < n; i++)
    fprintf(f.fp, "%.1f,%.1f ", L + (x[i] - x0) / (x1 - x0) * (W - L - R), H - B - (y[i] - y0) / (y1 - y0) * (H - T - B));
  fprintf(f.fp, "\"/>\n");
  if (n == 1) fprintf(f.fp, "<circle cx=\"%g\" cy=\"%g\" r=\"3\" fill=\"#21908d\"/>\n", L, H - B);
  fprintf(f.fp, "</svg>\n");
  return df_atomic_commit(&f);
}

/* A chart's file name: the metric's name when it is a plain one (letters, digits, '_', '-',
 * '.', not starting with '.'), else "metric~K" (K: its place; plain names have no '~'), so a
 * name from the user's metrics.jsonl never leaves curves/ or breaks the page's link. */
static void chart_file(const char *name, int k, char *buf, size_t len) {
  int plain = name[0] && name[0] != '.' && strlen(name) < 200;
  for (const char *p = name; plain && *p; p++) plain = isalnum((unsigned char)*p) || strchr("_-.", *p);
  if (plain) snprintf(buf, len, "%s.svg", name);
  else snprintf(buf, len, "metric~%d.svg", k);
}

df_status rp_curves(FILE *html, const char *out_dir, const rp_series *s) {
  char dir[4300];
  snprintf(dir, sizeof dir, "%s/curves", out_dir);
  DF_TRY(df_mkdirs(dir));
  fprintf(html, "<h2>Curves</h2>\n<div class=\"curves\">\n");
  if (s->n == 0) fprintf(html, "<p>No metrics.jsonl yet.</p>\n");
  for (int k = 0; k < s->n; k++) {
    char file[256], path[4600];
    chart_file(s->name[k], k, file, sizeof file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    DF_TRY(chart(path, s->name[k], s->step[k], s->value[k], s->count[k]));
    fprintf(html, "<img src=\"curves/");
    rp_url_escape(html, file);
    fprintf(html, "\" alt=\"");
    rp_escape(html, s->name[k]);
    fprintf(html, " over the steps\" onerror=\"this.classList.add('missing')\">\n");
  }
  fprintf(html, "</div>\n");
  return DF_OK;
}

void rp_run_dataset(const char *run_dir, char *buf, size_t len) {
  char path[4200];
  snprintf(path, sizeof path, "%s/config.ini", run_dir);
  buf[0] = 0;
  df_config *cfg;
  if (df_config_load(path, &cfg) != DF_OK) return;
  const char *v;
  if (df_config_string(cfg, "data.path", "", &v) == DF_OK) snprintf(buf, len, "%s", v);
  df_config_free(cfg);
}
