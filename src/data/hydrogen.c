/* Reading Hydrogen's drumkit.xml with libxml2 (src/data/hydrogen.h). */
#include "data/hydrogen.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Element names are compared without namespace: newer kits declare a default namespace. */
static int is(const xmlNode *n, const char *name) {
  return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *parent, const char *name) {
  for (const xmlNode *c = parent->children; c; c = c->next)
    if (is(c, name)) return c;
  return NULL;
}

/* The trimmed text of an element into buf. */
static void text_of(const xmlNode *n, char *buf, size_t len) {
  buf[0] = '\0';
  if (!n) return;
  xmlChar *t = xmlNodeGetContent(n);
  if (!t) return;
  const char *s = (const char *)t;
  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
  snprintf(buf, len, "%s", s);
  size_t k = strlen(buf);
  while (k && (buf[k - 1] == ' ' || buf[k - 1] == '\t' || buf[k - 1] == '\n' || buf[k - 1] == '\r'))
    buf[--k] = '\0';
  xmlFree(t);
}

static df_status add_sample(h2_kit *kit, const char *instrument, const char *file) {
  h2_sample *s = realloc(kit->samples, sizeof *s * (size_t)(kit->n_samples + 1));
  if (!s) return DF_FAIL(DF_ERR_OOM, "drumkit samples");
  kit->samples = s;
  s[kit->n_samples].instrument = strdup(instrument);
  s[kit->n_samples].file = strdup(file);
  if (!s[kit->n_samples].instrument || !s[kit->n_samples].file)
    return DF_FAIL(DF_ERR_OOM, "drumkit samples");
  kit->n_samples++;
  return DF_OK;
}

/* Every <filename> below `n`, in document order. */
static df_status collect_files(h2_kit *kit, const char *instrument, const xmlNode *n) {
  for (const xmlNode *c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is(c, "filename")) {
      char file[4096];
      text_of(c, file, sizeof file);
      if (file[0]) DF_TRY(add_sample(kit, instrument, file));
    } else {
      DF_TRY(collect_files(kit, instrument, c));
    }
  }
  return DF_OK;
}

static df_status read_kit(const char *path, const xmlNode *root, h2_kit *kit) {
  if (!is(root, "drumkit_info"))
    return DF_FAIL(DF_ERR_FORMAT, "%s: root element is <%s>, not <drumkit_info>", path,
                   (const char *)root->name);
  text_of(child(root, "name"), kit->name, sizeof kit->name);
  const xmlNode *lic = child(root, "license");
  text_of(lic ? lic : child(root, "licence"), kit->license, sizeof kit->license);
  const xmlNode *list = child(root, "instrumentList");
  if (!list) return DF_FAIL(DF_ERR_FORMAT, "%s: no <instrumentList>", path);
  for (const xmlNode *ins = list->children; ins; ins = ins->next) {
    if (!is(ins, "instrument")) continue;
    char name[512];
    text_of(child(ins, "name"), name, sizeof name);
    DF_TRY(collect_files(kit, name, ins));
  }
  return DF_OK;
}

df_status h2_kit_parse(const char *xml_path, h2_kit *kit) {
  memset(kit, 0, sizeof *kit);
  xmlDoc *doc = xmlReadFile(xml_path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) {
    const xmlError *e = xmlGetLastError();
    char msg[256] = "unreadable";
    if (e && e->message) {
      snprintf(msg, sizeof msg, "%s", e->message);
      size_t k = strlen(msg);
      while (k && msg[k - 1] == '\n') msg[--k] = '\0';
    }
    return DF_FAIL(DF_ERR_FORMAT, "%s:%d: not valid XML: %s", xml_path, e ? e->line : 0, msg);
  }
  const xmlNode *root = xmlDocGetRootElement(doc);
  df_status st = root ? read_kit(xml_path, root, kit)
                      : DF_FAIL(DF_ERR_FORMAT, "%s: empty XML document", xml_path);
  xmlFreeDoc(doc);
  if (st != DF_OK) h2_kit_free(kit);
  return st;
}

void h2_kit_free(h2_kit *kit) {
  for (int i = 0; i < kit->n_samples; i++) {
    free(kit->samples[i].instrument);
    free(kit->samples[i].file);
  }
  free(kit->samples);
  memset(kit, 0, sizeof *kit);
}
