/* Loading and applying the drum-class table (src/data/classmap.h). */
#include "data/classmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/text.h"

void classmap_free(classmap *m) {
  for (int i = 0; i < m->n_rules; i++) {
    regfree(&m->rules[i].name);
    if (m->rules[i].has_kit) regfree(&m->rules[i].kit);
  }
  free(m->rules);
  memset(m, 0, sizeof *m);
}

int classmap_find(const classmap *m, const char *class_name) {
  for (int c = 0; c < m->n_classes; c++)
    if (!strcmp(m->names[c], class_name)) return c;
  return CLASSMAP_NONE;
}

static df_status compile(regex_t *re, const char *text, const classmap *m, int line) {
  int rc = regcomp(re, text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
  if (rc != 0) {
    char msg[256];
    regerror(rc, re, msg, sizeof msg);
    return DF_FAIL(DF_ERR_CONFIG, "%s:%d: bad regular expression '%s': %s", m->path, line, text, msg);
  }
  return DF_OK;
}

static df_status parse_classes(classmap *m, char **f, int nf, int line) {
  if (m->n_classes) return DF_FAIL(DF_ERR_CONFIG, "%s:%d: a second 'classes' line", m->path, line);
  if (nf < 2) return DF_FAIL(DF_ERR_CONFIG, "%s:%d: 'classes' names no class", m->path, line);
  if (nf - 1 > DF_MAX_CLASSES)
    return DF_FAIL(DF_ERR_CONFIG, "%s:%d: more than %d classes", m->path, line, DF_MAX_CLASSES);
  for (int i = 1; i < nf; i++) {
    const char *why = df_class_name_problem(f[i]);
    if (why) return DF_FAIL(DF_ERR_CONFIG, "%s:%d: class name '%s': %s", m->path, line, f[i], why);
    if (!strcmp(f[i], "skip") || classmap_find(m, f[i]) >= 0)
      return DF_FAIL(DF_ERR_CONFIG, "%s:%d: bad or repeated class name '%s'", m->path, line, f[i]);
    snprintf(m->names[m->n_classes++], DF_CLASS_NAME_LEN, "%s", f[i]);
  }
  return DF_OK;
}

static df_status parse_rule(classmap *m, char **f, int nf, int line) {
  if (!m->n_classes)
    return DF_FAIL(DF_ERR_CONFIG, "%s:%d: rules must come after the 'classes' line", m->path, line);
  if (nf < 2 || nf > 3)
    return DF_FAIL(DF_ERR_CONFIG, "%s:%d: want CLASS<TAB>NAME-REGEX[<TAB>KIT-REGEX], got %d fields",
                   m->path, line, nf);
  int cls = !strcmp(f[0], "skip") ? CLASSMAP_SKIP : classmap_find(m, f[0]);
  if (cls == CLASSMAP_NONE)
    return DF_FAIL(DF_ERR_CONFIG, "%s:%d: class '%s' is not on the 'classes' line", m->path, line, f[0]);
  classmap_rule *r = realloc(m->rules, sizeof *r * (size_t)(m->n_rules + 1));
  if (!r) return DF_FAIL(DF_ERR_OOM, "%s: rules", m->path);
  m->rules = r;
  classmap_rule *rule = &m->rules[m->n_rules];
  memset(rule, 0, sizeof *rule);
  rule->cls = cls;
  rule->line = line;
  DF_TRY(compile(&rule->name, f[1], m, line));
  if (nf == 3) {
    df_status s = compile(&rule->kit, f[2], m, line);
    if (s != DF_OK) {
      regfree(&rule->name);
      return s;
    }
    rule->has_kit = 1;
  }
  m->n_rules++;
  return DF_OK;
}

static df_status parse_row(void *ctx, int line, char **f, int nf) {
  classmap *m = ctx;
  return !strcmp(f[0], "classes") ? parse_classes(m, f, nf, line) : parse_rule(m, f, nf, line);
}

df_status classmap_load(const char *path, classmap *m) {
  memset(m, 0, sizeof *m);
  snprintf(m->path, sizeof m->path, "%s", path);
  df_status st = text_read_table(path, DF_MAX_CLASSES + 2, parse_row, m);
  if (st == DF_OK && !m->n_classes) st = DF_FAIL(DF_ERR_CONFIG, "%s: no 'classes' line", path);
  if (st != DF_OK) classmap_free(m);
  return st;
}

int classmap_lookup(const classmap *m, const char *kit, const char *name, int *rule_line) {
  if (rule_line) *rule_line = 0;
  for (int i = 0; i < m->n_rules; i++) {
    const classmap_rule *r = &m->rules[i];
    if (r->has_kit && (!kit || regexec(&r->kit, kit, 0, NULL, 0) != 0)) continue;
    if (regexec(&r->name, name, 0, NULL, 0) == 0) {
      if (rule_line) *rule_line = r->line;
      return r->cls;
    }
  }
  /* A name that is a class's own name ("hh_closed", a folder named after the class) is that
   * class, even where the rules' word boundaries miss it (the '_' of hh_closed). */
  for (int c = 0; c < m->n_classes; c++)
    if (!strcasecmp(m->names[c], name)) return c;
  return CLASSMAP_NONE;
}
