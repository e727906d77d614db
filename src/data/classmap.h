/* The drum-class table (data/drum_classes.tsv): class names with fixed ids, and ordered
 * regular-expression rules from instrument (or folder) names, optionally per kit. */
#ifndef DF_DATA_CLASSMAP_H
#define DF_DATA_CLASSMAP_H

#include <regex.h>

#include "drumforge/dataset.h"

enum { CLASSMAP_NONE = -1, CLASSMAP_SKIP = -2 };

typedef struct classmap_rule {
  int cls;       /* class id, or CLASSMAP_SKIP */
  regex_t name;
  regex_t kit;
  int has_kit;
  int line;      /* in the table file, for messages */
} classmap_rule;

typedef struct classmap {
  int n_classes;
  char names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  classmap_rule *rules;
  int n_rules;
  char path[4096];
} classmap;

/* Loads a table; errors name the file and line. */
df_status classmap_load(const char *path, classmap *m);
void classmap_free(classmap *m);

/* The class id for an instrument `name` in kit `kit` (kit may be NULL: only rules without a
 * kit column apply): an id, CLASSMAP_NONE (no rule matched) or CLASSMAP_SKIP. When no rule
 * matches, a name equal to a class name (any case) is that class. *rule_line
 * (may be NULL) receives the matching rule's line, 0 if none. */
int classmap_lookup(const classmap *m, const char *kit, const char *name, int *rule_line);


/* The id of a class name, or CLASSMAP_NONE. */
int classmap_find(const classmap *m, const char *class_name);

#endif
