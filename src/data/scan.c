/* Walking input folders and Hydrogen kits (src/data/scan.h). */
#include "data/scan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/hydrogen.h"
#include "data/text.h"

/* Directories already walked (device, inode), so symbolic-link loops end. */
typedef struct visited {
  dev_t *dev;
  ino_t *ino;
  int n, cap;
} visited;

/* A link to a folder, walked after every input's own folders (see visit). */
typedef struct linked_dir {
  char *path, *rel, *root_name;
} linked_dir;

typedef struct walker {
  scan_list *list;
  const classmap *map;
  visited seen;
  const char *root_name; /* basename of the current input */
  linked_dir *links;
  int n_links, cap_links;
  struct stat out;       /* the output folder, not read (has_out) */
  int has_out;
} walker;

static df_status add_item(scan_list *l, scan_kind kind, const char *path, const char *key,
                          const char *group, const char *label_name, int kit, char *reason) {
  if (l->n == l->cap) {
    int64_t cap = l->cap ? 2 * l->cap : 256;
    scan_item *it = realloc(l->items, sizeof *it * (size_t)cap);
    if (!it) {
      free(reason);
      return DF_FAIL(DF_ERR_OOM, "scan list");
    }
    l->items = it;
    l->cap = cap;
  }
  scan_item *it = &l->items[l->n++];
  memset(it, 0, sizeof *it);
  it->kind = kind;
  it->kit = kit;
  it->reason = reason;
  it->path = strdup(path);
  it->key = strdup(key ? key : path);
  it->group = strdup(group ? group : "");
  it->label_name = label_name ? strdup(label_name) : NULL;
  if (!it->path || !it->key || !it->group || (label_name && !it->label_name) ||
      (kind != SCAN_AUDIO && !reason))
    return DF_FAIL(DF_ERR_OOM, "scan list");
  return DF_OK;
}

void scan_free(scan_list *l) {
  for (int64_t i = 0; i < l->n; i++) {
    scan_item *it = &l->items[i];
    free(it->path);
    free(it->key);
    free(it->group);
    free(it->label_name);
    free(it->reason);
  }
  for (int k = 0; k < l->n_kits; k++) {
    free(l->kits[k].folder);
    free(l->kits[k].path);
    free(l->kits[k].name);
    free(l->kits[k].license);
  }
  free(l->items);
  free(l->kits);
  memset(l, 0, sizeof *l);
}

static int byte_order(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry names of a folder, sorted byte-wise (independent of the locale). */
static df_status list_dir(const char *dir, char ***names, int *n) {
  *names = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) return DF_FAIL(DF_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
  int cap = 0;
  df_status st = DF_OK;
  for (struct dirent *e = readdir(d); e && st == DF_OK; e = readdir(d)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 64;
      char **grown = realloc(*names, sizeof(char *) * (size_t)cap);
      if (!grown) {
        st = DF_FAIL(DF_ERR_OOM, "%s: listing", dir);
        break;
      }
      *names = grown;
    }
    if (!((*names)[(*n)++] = strdup(e->d_name))) st = DF_FAIL(DF_ERR_OOM, "%s: listing", dir);
  }
  closedir(d);
  if (*n) qsort(*names, (size_t)*n, sizeof(char *), byte_order);
  return st;
}

static void free_names(char **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

static int seen_before(visited *v, const struct stat *st) {
  for (int i = 0; i < v->n; i++)
    if (v->dev[i] == st->st_dev && v->ino[i] == st->st_ino) return 1;
  if (v->n == v->cap) {
    v->cap = v->cap ? 2 * v->cap : 64;
    v->dev = realloc(v->dev, sizeof(dev_t) * (size_t)v->cap);
    v->ino = realloc(v->ino, sizeof(ino_t) * (size_t)v->cap);
    if (!v->dev || !v->ino) return 1;
  }
  v->dev[v->n] = st->st_dev;
  v->ino[v->n++] = st->st_ino;
  return 0;
}

/* A folder met again (st: its stat), listed as skipped: the output folder, or one read as
 * `why_read` says. */
static df_status skip_folder(walker *w, const char *path, const struct stat *st, const char *why_read) {
  const int is_out = w->has_out && st->st_dev == w->out.st_dev && st->st_ino == w->out.st_ino;
  return add_item(w->list, SCAN_SKIPPED, path, NULL, NULL, NULL, -1,
                  text_printf("%s", is_out ? "the output folder (--out): its shards are not read as input" : why_read));
}

#define READ_BEFORE "a folder already read (an earlier input is this folder or holds it)"

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* "C:\\Users\\...\\kick.wav", "C:/...", "\\\\server\\...": a kit saved on Windows; its files sit
 * beside drumkit.xml here. */
static int windows_absolute(const char *file) {
  return file[0] == '\\' || (isalpha((unsigned char)file[0]) && file[1] == ':' && (file[2] == '/' || file[2] == '\\'));
}

static const char *windows_base_name(const char *file) {
  const char *s = file;
  for (const char *p = file; *p; p++)
    if (*p == '/' || *p == '\\') s = p + 1;
  return s;
}

/* A plain folder: rel is the path inside the input ("" at its top). */
static df_status walk_dir(walker *w, const char *dir, const char *rel);

/* The files in kit folder `dir` (and its subfolders) that its drumkit.xml does not name: listed
 * as skipped, so nothing disappears silently. A subfolder with its own drumkit.xml is a kit of
 * its own and is walked as one. */
static df_status list_unused(walker *w, const char *dir, const char *rel, int k, const char *folder,
                             char **used, int n_used) {
  char **names;
  int n;
  if (list_dir(dir, &names, &n) != DF_OK) return DF_OK;
  df_status st = DF_OK;
  for (int i = 0; i < n && st == DF_OK; i++) {
    char *path = text_printf("%s/%s", dir, names[i]);
    char *sub = rel[0] ? text_printf("%s/%s", rel, names[i]) : strdup(names[i]);
    char *xml = path ? text_printf("%s/drumkit.xml", path) : NULL;
    int known = !strcmp(names[i], "drumkit.xml");
    for (int j = 0; j < n_used && path && !known; j++) known = !strcmp(used[j], path);
    struct stat sb, xb;
    if (!path || !sub || !xml)
      st = DF_FAIL(DF_ERR_OOM, "scan");
    else if (known || stat(path, &sb) != 0)
      ;
    else if (S_ISREG(sb.st_mode))
      st = add_item(w->list, SCAN_SKIPPED, path, NULL, folder, NULL, k,
                    text_printf("in kit folder '%s' but not used by its drumkit.xml", folder));
    else if (S_ISDIR(sb.st_mode) && names[i][0] != '.' && !seen_before(&w->seen, &sb))
      st = stat(xml, &xb) == 0 && S_ISREG(xb.st_mode) ? walk_dir(w, path, sub)
                                                       : list_unused(w, path, sub, k, folder, used, n_used);
    free(path);
    free(sub);
    free(xml);
  }
  free_names(names, n);
  return st;
}

/* A Hydrogen kit: the files its drumkit.xml names, then its other files as skipped. Returns
 * DF_ERR_FORMAT (already reported as a rejected drumkit.xml) when the XML is unusable, so the
 * caller walks the folder as a plain one. */
static df_status walk_kit(walker *w, const char *dir, const char *rel, const char *xml) {
  h2_kit kit;
  df_status st = h2_kit_parse(xml, &kit);
  if (st == DF_ERR_FORMAT) {
    DF_TRY(add_item(w->list, SCAN_REJECTED, xml, NULL, NULL, NULL, -1,
                    text_printf("%s (the kit folder is read as a plain folder)", df_last_error())));
    return DF_ERR_FORMAT;
  }
  DF_TRY(st);
  scan_list *l = w->list;
  scan_kit *kits = realloc(l->kits, sizeof *kits * (size_t)(l->n_kits + 1));
  if (!kits) {
    h2_kit_free(&kit);
    return DF_FAIL(DF_ERR_OOM, "kits");
  }
  l->kits = kits;
  int k = l->n_kits++;
  const char *folder = base_name(dir);
  kits[k].folder = strdup(folder);
  kits[k].path = strdup(dir);
  kits[k].name = strdup(kit.name);
  kits[k].license = strdup(kit.license);

  char **used = calloc((size_t)kit.n_samples + 1, sizeof(char *));
  int n_used = 0;
  for (int i = 0; i < kit.n_samples && st == DF_OK; i++) {
    const h2_sample *s = &kit.samples[i];
    char *path = s->file[0] == '/' ? strdup(s->file)
                 : windows_absolute(s->file) ? text_printf("%s/%s", dir, windows_base_name(s->file))
                                             : text_printf("%s/%s", dir, s->file);
    struct stat sb;
    if (path && s->file[0] == '/' && stat(path, &sb) != 0) {
      /* Kits saved on another machine keep absolute paths; the file sits beside drumkit.xml. */
      free(path);
      path = text_printf("%s/%s", dir, base_name(s->file));
    }
    if (!path || !used) {
      free(path);
      st = DF_FAIL(DF_ERR_OOM, "kit %s", dir);
      break;
    }
    int dup = 0;
    for (int j = 0; j < n_used; j++) dup |= !strcmp(used[j], path);
    if (dup) {
      free(path);
      continue;
    }
    used[n_used++] = path;
    char *key = text_printf("%s/%s", folder, base_name(path));
    int rule = 0;
    int cls = classmap_lookup(w->map, folder, s->instrument, &rule);
    if (cls == CLASSMAP_SKIP)
      st = add_item(l, SCAN_SKIPPED, path, key, folder, s->instrument, k,
                    text_printf("instrument '%s' of kit '%s' is mapped to skip (%s line %d)", s->instrument,
                         folder, w->map->path, rule));
    else if (stat(path, &sb) != 0)
      st = add_item(l, SCAN_REJECTED, path, key, folder, s->instrument, k,
                    text_printf("missing: %s/drumkit.xml names it for instrument '%s' but it is not there",
                         folder, s->instrument));
    else
      st = add_item(l, SCAN_AUDIO, path, key, folder, s->instrument, k, NULL);
    free(key);
  }
  h2_kit_free(&kit);

  if (st == DF_OK) st = list_unused(w, dir, rel, k, folder, used, n_used);
  free_names(used, n_used);
  return st;
}

static df_status defer_link(walker *w, const char *path, const char *rel) {
  if (w->n_links == w->cap_links) {
    int cap = w->cap_links ? 2 * w->cap_links : 16;
    linked_dir *grown = realloc(w->links, sizeof *grown * (size_t)cap);
    if (!grown) return DF_FAIL(DF_ERR_OOM, "scan");
    w->links = grown;
    w->cap_links = cap;
  }
  linked_dir *l = &w->links[w->n_links++];
  *l = (linked_dir){strdup(path), strdup(rel), strdup(w->root_name)};
  return l->path && l->rel && l->root_name ? DF_OK : DF_FAIL(DF_ERR_OOM, "scan");
}

/* The linked folders, once every input's own folders are read: one already read is listed as
 * skipped; the others (links out of the inputs) are walked, under the link's name. */
static df_status walk_links(walker *w) {
  df_status s = DF_OK;
  for (int i = 0; i < w->n_links && s == DF_OK; i++) { /* walking may add links */
    linked_dir l = w->links[i];
    struct stat st;
    w->root_name = l.root_name;
    if (stat(l.path, &st) != 0)
      s = DF_OK; /* gone since */
    else if (seen_before(&w->seen, &st))
      s = skip_folder(w, l.path, &st, "a link to a folder that is read under its own name");
    else
      s = walk_dir(w, l.path, l.rel);
  }
  for (int i = 0; i < w->n_links; i++) {
    free(w->links[i].path);
    free(w->links[i].rel);
    free(w->links[i].root_name);
  }
  free(w->links);
  return s;
}

static df_status visit(walker *w, const char *path, const char *rel, const char *name) {
  struct stat st, lst;
  if (!strcmp(name, "drumkit.xml")) return DF_OK; /* a kit's that could not be read: reported */
  if (name[0] == '.') {
    if (lstat(path, &lst) == 0 && S_ISDIR(lst.st_mode)) return DF_OK; /* .git, .cache, ... */
    return add_item(w->list, SCAN_SKIPPED, path, NULL, NULL, NULL, -1, text_printf("hidden file"));
  }
  char *key = text_printf("%s/%s", w->root_name, rel);
  char *group = text_printf("%s%s%.*s", w->root_name, strchr(rel, '/') ? "/" : "",
                     strrchr(rel, '/') ? (int)(strrchr(rel, '/') - rel) : 0, rel);
  if (!key || !group) return DF_FAIL(DF_ERR_OOM, "scan");
  df_status s = DF_OK;
  if (stat(path, &st) != 0) {
    int broken = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
    s = add_item(w->list, SCAN_REJECTED, path, key, group, NULL, -1,
                 broken ? text_printf("broken symbolic link") : text_printf("cannot open: %s", strerror(errno)));
  } else if (S_ISDIR(st.st_mode) && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
    /* Later: a link that is an alias of a folder the inputs hold (bank/hihat -> hh_closed)
     * must not take that folder's files, and their labels, under its own name. */
    s = defer_link(w, path, rel);
  } else if (S_ISDIR(st.st_mode)) {
    s = seen_before(&w->seen, &st) ? skip_folder(w, path, &st, READ_BEFORE) : walk_dir(w, path, rel);
  } else if (!S_ISREG(st.st_mode)) {
    s = add_item(w->list, SCAN_SKIPPED, path, key, group, NULL, -1, text_printf("not a regular file"));
  } else {
    /* The first folder level names the instrument ("bank/instrument/file.wav"). */
    const char *slash = strchr(rel, '/');
    char *label = slash ? strndup(rel, (size_t)(slash - rel)) : NULL;
    s = add_item(w->list, SCAN_AUDIO, path, key, group, label, -1, NULL);
    free(label);
  }
  free(key);
  free(group);
  return s;
}

static df_status walk_dir(walker *w, const char *dir, const char *rel) {
  char *xml = text_printf("%s/drumkit.xml", dir);
  struct stat st;
  if (!xml) return DF_FAIL(DF_ERR_OOM, "scan");
  int is_kit = stat(xml, &st) == 0 && S_ISREG(st.st_mode);
  df_status s = is_kit ? walk_kit(w, dir, rel, xml) : DF_ERR_FORMAT;
  free(xml);
  if (s != DF_ERR_FORMAT) return s;
  char **names;
  int n;
  s = list_dir(dir, &names, &n);
  if (s != DF_OK) {
    /* An unreadable folder is reported and the walk goes on. */
    return add_item(w->list, SCAN_REJECTED, dir, NULL, NULL, NULL, -1, text_printf("%s", df_last_error()));
  }
  for (int i = 0; i < n && s == DF_OK; i++) {
    char *path = text_printf("%s/%s", dir, names[i]);
    char *sub = rel[0] ? text_printf("%s/%s", rel, names[i]) : strdup(names[i]);
    s = path && sub ? visit(w, path, sub, names[i]) : DF_FAIL(DF_ERR_OOM, "scan");
    free(path);
    free(sub);
  }
  free_names(names, n);
  return s;
}

df_status scan_inputs(const char *const *inputs, int n_inputs, const classmap *map, const char *out_dir,
                      scan_list *out) {
  memset(out, 0, sizeof *out);
  walker w = {.list = out, .map = map};
  /* The output folder counts as read: inside an input, its shards are not inputs. */
  w.has_out = out_dir && stat(out_dir, &w.out) == 0 && S_ISDIR(w.out.st_mode);
  if (w.has_out) seen_before(&w.seen, &w.out);
  df_status s = DF_OK;
  for (int i = 0; i < n_inputs && s == DF_OK; i++) {
    char root[4096];
    snprintf(root, sizeof root, "%s", inputs[i]);
    size_t len = strlen(root);
    while (len > 1 && root[len - 1] == '/') root[--len] = '\0';
    struct stat st;
    if (stat(root, &st) != 0) {
      s = DF_FAIL(DF_ERR_NOT_FOUND, "input %s: %s", root, strerror(errno));
      break;
    }
    w.root_name = base_name(root);
    if (S_ISDIR(st.st_mode)) {
      s = seen_before(&w.seen, &st) ? skip_folder(&w, root, &st, READ_BEFORE) : walk_dir(&w, root, "");
    } else {
      s = add_item(out, SCAN_AUDIO, root, w.root_name, w.root_name, NULL, -1, NULL);
    }
  }
  df_status links = walk_links(&w);
  if (s == DF_OK) s = links;
  free(w.seen.dev);
  free(w.seen.ino);
  if (s != DF_OK) scan_free(out);
  return s;
}
