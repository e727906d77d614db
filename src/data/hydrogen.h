/* Hydrogen drum kits: a folder with a drumkit.xml naming each instrument and the sample files
 * of its layers. Every drumkit.xml version is read the same way: the files of an instrument
 * are all <filename> elements below its <instrument> element, whether directly (old kits),
 * in <layer> (0.9.x) or in <instrumentComponent><layer> (1.x). */
#ifndef DF_DATA_HYDROGEN_H
#define DF_DATA_HYDROGEN_H

#include "drumforge/status.h"

typedef struct h2_sample {
  char *instrument; /* the instrument's <name> ("" when absent) */
  char *file;       /* as written in <filename>, usually relative to the kit folder */
} h2_sample;

typedef struct h2_kit {
  char name[256];    /* <name> of the kit */
  char license[512]; /* <license> (or <licence>), "" when absent */
  h2_sample *samples; /* in document order */
  int n_samples;
} h2_kit;

/* Parses a drumkit.xml with libxml2; a malformed file is DF_ERR_FORMAT naming the file and
 * the line. */
df_status h2_kit_parse(const char *xml_path, h2_kit *kit);
void h2_kit_free(h2_kit *kit);

#endif
