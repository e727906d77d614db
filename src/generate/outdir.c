/* The output folder of a generation run: what may already be there, one run at a time, and
 * what --overwrite removes of an earlier run (README "Generating"). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "drumforge/fileio.h"
#include "drumforge/npy.h"
#include "generate/gen_internal.h"

/* A name generate writes: "<stem>_<6 to 19 digits>.wav|flac" (any case). *digits: where the
 * position starts, *ext: the extension after the dot. */
static int generated_name(const char *name, const char **digits, const char **ext) {
  const char *dot = strrchr(name, '.');
  if (!dot || (strcasecmp(dot + 1, "wav") && strcasecmp(dot + 1, "flac"))) return 0;
  const char *d = dot;
  while (d > name && isdigit((unsigned char)d[-1])) d--;
  if (dot - d < 6 || dot - d > 19 || d - name < 2 || d[-1] != '_') return 0;
  *digits = d;
  *ext = dot + 1;
  return 1;
}

/* Whether a file of the folder is one of the first `written` items of this run. */
static int written_by_run(const gen_run *run, const char *name, int64_t written) {
  const char *digits, *ext;
  if (!generated_name(name, &digits, &ext) || strcmp(ext, run->ext)) return 0;
  const df_generate_options *o = run->o;
  const int64_t position = strtoll(digits, NULL, 10);
  if (position < o->start || position - o->start >= o->count) return 0;
  const int n_classes = o->n_classes ? o->n_classes : 1;
  for (int c = 0; c < n_classes; c++) {
    gen_item it = {.number = (int64_t)c * o->count + (position - o->start), .position = position,
                   .class_id = o->n_classes ? o->classes[c] : -1};
    char expected[256];
    gen_file_name(run, &it, expected, sizeof expected);
    if (it.number < written && !strcmp(expected, name)) return 1;
  }
  return 0;
}

/* Whether an input named in the options ("FILE.npy" or "FILE.npy:ROW") is the file at path. */
static int input_is(const char *origin, const char *path) {
  if (!origin) return 0;
  const size_t len = df_npy_spec_file_len(origin);
  char file[4200];
  snprintf(file, sizeof file, "%.*s", (int)(len ? len : strlen(origin)), origin);
  return df_same_file(file, path);
}

/* The earlier run's files, as its manifest lists them (only names generate makes: a manifest
 * edited to name other files never gets them deleted). Lines that do not parse (a kill in the
 * middle of one) are passed over. */
static df_status read_earlier(const char *manifest, gen_earlier *earlier) {
  FILE *f = fopen(manifest, "r");
  if (!f) return errno == ENOENT ? DF_OK : DF_FAIL(DF_ERR_IO, "%s: cannot open: %s", manifest, strerror(errno));
  char *line = NULL;
  size_t line_cap = 0;
  int64_t room = 0; /* entries allocated in earlier->files */
  df_status s = DF_OK;
  while (!s && getline(&line, &line_cap, f) > 0) {
    cJSON *j = cJSON_Parse(line);
    const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "file"));
    const char *digits, *ext;
    if (file && !strchr(file, '/') && generated_name(file, &digits, &ext)) {
      if (earlier->n == room) { /* doubling: a pack of millions of files is read in linear time */
        char **grown = realloc(earlier->files, sizeof *grown * (size_t)(room ? 2 * room : 1024));
        if (grown) earlier->files = grown, room = room ? 2 * room : 1024;
      }
      char *copy = earlier->n < room ? strdup(file) : NULL;
      if (!copy) s = DF_FAIL(DF_ERR_OOM, "%s: the earlier run's file list", manifest);
      else earlier->files[earlier->n++] = copy;
    }
    cJSON_Delete(j);
  }
  free(line);
  fclose(f);
  return s;
}

void gen_earlier_free(gen_earlier *earlier) {
  for (int64_t i = 0; i < earlier->n; i++) free(earlier->files[i]);
  free(earlier->files);
  memset(earlier, 0, sizeof *earlier);
}

#define BUSY "another drumforge generate is writing into this folder"

/* Without overwrite, a folder holding a manifest, latents.npy or files named as generate names
 * them (a run killed before its first manifest line, or the user's own) is refused: they would
 * be replaced or sit unlisted beside the new ones. */
static df_status check_contents(const char *out_dir, int overwrite) {
  if (overwrite) return DF_OK;
  char path[4300];
  snprintf(path, sizeof path, "%s/%s", out_dir, DF_GENERATE_MANIFEST);
  if (access(path, F_OK) == 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: already holds a generation run (%s); use another folder or --overwrite",
                   out_dir, DF_GENERATE_MANIFEST);
  DIR *d = opendir(out_dir);
  df_status s = DF_OK;
  for (struct dirent *e; d && !s && (e = readdir(d));) {
    const char *digits, *ext;
    if (!strcmp(e->d_name, DF_GENERATE_LATENTS) || generated_name(e->d_name, &digits, &ext))
      s = DF_FAIL(DF_ERR_INVALID_ARG, "%s: already holds %s, named like generated files; use another folder or "
                  "--overwrite", out_dir, e->d_name);
  }
  if (d) closedir(d);
  return s;
}

df_status df_generate_check_out_dir(const char *out_dir, int overwrite) {
  if (!out_dir || !out_dir[0]) return DF_FAIL(DF_ERR_INVALID_ARG, "no output folder");
  struct stat st;
  if (stat(out_dir, &st) != 0 && errno == ENOENT) return DF_OK; /* the run creates it */
  int fd;
  DF_TRY(df_lock_folder(out_dir, BUSY, &fd));
  df_status s = check_contents(out_dir, overwrite);
  close(fd);
  return s;
}

df_status gen_out_dir_open(const gen_run *run, gen_earlier *earlier, int *lock_fd) {
  const df_generate_options *o = run->o;
  *lock_fd = -1;
  memset(earlier, 0, sizeof *earlier);
  if (!o->out_dir || !o->out_dir[0]) return DF_FAIL(DF_ERR_INVALID_ARG, "no output folder");
  DF_TRY(df_mkdirs(o->out_dir));
  /* Two runs into one folder would truncate each other's manifest and replace each other's
   * files: the folder itself is locked (released however the process ends). */
  int fd;
  DF_TRY(df_lock_folder(o->out_dir, BUSY, &fd));
  char path[4300];
  df_status s = check_contents(o->out_dir, o->overwrite);
  if (!s && o->overwrite) {
    snprintf(path, sizeof path, "%s/%s", o->out_dir, DF_GENERATE_MANIFEST);
    int had_manifest = access(path, F_OK) == 0;
    s = read_earlier(path, earlier);
    /* The earlier run's latents, unless this run reads its own input from that file. */
    snprintf(path, sizeof path, "%s/%s", o->out_dir, DF_GENERATE_LATENTS);
    earlier->latents = had_manifest && access(path, F_OK) == 0 && !input_is(o->rows_origin, path) &&
                       !input_is(o->interp_a_origin, path) && !input_is(o->interp_b_origin, path);
  }
  if (!s) {
    /* What a SIGKILLed generate left: its temporary files (the audio, latents and manifest). */
    static const char *const kinds[] = {".wav", ".flac", ".npy", ".jsonl"};
    df_remove_stale_temporaries(o->out_dir, kinds, 4);
    snprintf(path, sizeof path, "%s/.drumforge-probe.%ld", o->out_dir, (long)getpid());
    int probe = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (probe < 0) s = DF_FAIL(DF_ERR_IO, "%s: cannot write files there: %s", o->out_dir, strerror(errno));
    else close(probe), unlink(path);
  }
  if (s) {
    close(fd);
    gen_earlier_free(earlier);
    return s;
  }
  *lock_fd = fd;
  return DF_OK;
}

df_status gen_out_dir_replace(const gen_run *run, const gen_earlier *earlier, int64_t written,
                              int64_t *unlisted) {
  const df_generate_options *o = run->o;
  char path[4600];
  df_status s = DF_OK;
  *unlisted = 0;
  for (int64_t i = 0; i < earlier->n; i++) {
    if (written_by_run(run, earlier->files[i], written)) continue;
    snprintf(path, sizeof path, "%s/%s", o->out_dir, earlier->files[i]);
    if (unlink(path) != 0 && errno != ENOENT && !s)
      s = DF_FAIL(DF_ERR_IO, "%s: cannot remove this file of the earlier run: %s", path, strerror(errno));
  }
  snprintf(path, sizeof path, "%s/%s", o->out_dir, DF_GENERATE_LATENTS);
  if (earlier->latents && !o->save_latents && unlink(path) != 0 && errno != ENOENT && !s)
    s = DF_FAIL(DF_ERR_IO, "%s: cannot remove the earlier run's latents: %s", path, strerror(errno));
  /* Files named like generated ones that no manifest lists (a killed run's last files, or the
   * user's): kept, and counted for the caller to say so. */
  DIR *d = opendir(o->out_dir);
  for (struct dirent *e; d && (e = readdir(d));) {
    const char *digits, *ext;
    *unlisted += generated_name(e->d_name, &digits, &ext) && !written_by_run(run, e->d_name, written);
  }
  if (d) closedir(d);
  return s;
}
