/* Finding the inputs' audio: folder trees walked in a fixed (byte-wise sorted) order, with
 * Hydrogen kits (folders holding a drumkit.xml) read through their drumkit.xml. Everything
 * found ends up as an audio candidate, a rejected file (with the reason) or a skipped one. */
#ifndef DF_DATA_SCAN_H
#define DF_DATA_SCAN_H

#include <stdint.h>

#include "data/classmap.h"

typedef enum scan_kind { SCAN_AUDIO = 0, SCAN_REJECTED, SCAN_SKIPPED } scan_kind;

typedef struct scan_item {
  scan_kind kind;
  char *path;       /* the file */
  char *key;        /* stable per-file name: input folder name + path inside it */
  char *group;      /* the kit's folder name, or the file's folder (input name + subpath) */
  char *label_name; /* Hydrogen instrument or first subfolder; NULL when there is none */
  int kit;          /* index into scan_list.kits for Hydrogen files, -1 otherwise */
  char *reason;     /* rejected or skipped: why */
} scan_item;

typedef struct scan_kit {
  char *folder;  /* kit folder name (the group) */
  char *path;
  char *name;    /* drumkit.xml <name> */
  char *license;
} scan_kit;

typedef struct scan_list {
  scan_item *items;
  int64_t n, cap;
  scan_kit *kits;
  int n_kits;
} scan_list;

/* Walks every input. Kit instruments that the class table maps to `skip` (e.g. excluded kits
 * or placeholder slots) become skipped items; files a drumkit.xml names but that are missing
 * become rejected ones; the folder out_dir (prepare's --out; NULL: none), where an input
 * holds it, and a folder met again are skipped ones. Fails only on a missing input or when
 * out of memory. */
df_status scan_inputs(const char *const *inputs, int n_inputs, const classmap *map, const char *out_dir,
                      scan_list *out);
void scan_free(scan_list *list);

#endif
