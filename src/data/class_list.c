/* Comma-separated class lists, as every option and key that names classes takes them (dataset.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "drumforge/dataset.h"

static int blank(char c) { return c == ' ' || c == '\t'; }

df_status df_parse_class_list(const char *list, char (*names)[DF_CLASS_NAME_LEN], int max, int *n) {
  *n = 0;
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    const char *a = p, *b = end;
    while (a < b && blank(*a)) a++;
    while (b > a && blank(b[-1])) b--;
    p = *end ? end + 1 : end;
    if (a == b) continue;
    if (b - a >= DF_CLASS_NAME_LEN)
      return DF_FAIL(DF_ERR_INVALID_ARG, "class list '%s': the name '%.*s' is longer than %d characters", list,
                     (int)(b - a), a, DF_CLASS_NAME_LEN - 1);
    if (*n == max) return DF_FAIL(DF_ERR_INVALID_ARG, "class list '%s': more than %d classes", list, max);
    snprintf(names[(*n)++], DF_CLASS_NAME_LEN, "%.*s", (int)(b - a), a);
  }
  if (*n == 0) return DF_FAIL(DF_ERR_INVALID_ARG, "class list '%s' names no class", list ? list : "");
  return DF_OK;
}

int df_class_list_repeat(const char (*names)[DF_CLASS_NAME_LEN], int n) {
  for (int i = 0; i < n; i++)
    for (int k = 0; k < i; k++)
      if (!strcasecmp(names[k], names[i])) return i;
  return -1;
}

const char *df_class_name_problem(const char *name) {
  size_t n = strlen(name);
  if (n == 0) return "it is empty";
  if (n >= DF_CLASS_NAME_LEN) return "it is longer than 31 bytes";
  if (strchr(name, ',')) return "it has a comma (class lists are comma-separated)";
  if (isspace((unsigned char)name[0]) || isspace((unsigned char)name[n - 1]))
    return "it begins or ends with a space";
  if (strchr(name, '/')) return "it has a '/' (class names become parts of file names)";
  for (size_t i = 0; i < n; i++)
    if (iscntrl((unsigned char)name[i])) return "it has a control character";
  if (!strcasecmp(name, "unlabelled")) return "'unlabelled' stands for the examples without a class";
  return NULL;
}
