/* Stopping `drumforge generate`: Ctrl-C (SIGINT) and SIGTERM in the middle of a long run end
 * it with exit status 130 after the sounds already decoded are written; then every file is
 * complete, the manifest lists exactly the files present, in position order, latents.npy has
 * one row per file, and no temporary file is left. After SIGKILL every file under its final
 * name is still complete and every manifest line names a file that exists, and the next run
 * into the folder (--overwrite) removes the temporary files of dead processes and the earlier
 * run's listed files, and keeps (and counts in a note) the files no manifest lists. A killed
 * --overwrite run leaves no latents.npy (the earlier run's would not match its lines). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "drumforge/npy.h"

static char dir[4096], ckpt[4200];

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Starts a long run into out; returns the child's pid. With first, it replaces the run in out
 * (--overwrite), its files starting at position first. */
static pid_t start(const char *out, const char *first) {
  pid_t pid = fork();
  if (pid == 0) {
    char count[] = "100000";
    execl(DF_DRUMFORGE_EXE, DF_DRUMFORGE_EXE, "generate", "--checkpoint", ckpt, "--out", out, "--count", count,
          "--batch", "8", "--workers", "2", "--save-latents", "--device", "cpu", "--quiet", "--start",
          first ? first : "0", first ? "--overwrite" : (char *)NULL, (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* Waits until the manifest has at least n lines (at most 60 s). */
static int wait_lines(const char *out, int64_t n) {
  char manifest[4300];
  snprintf(manifest, sizeof manifest, "%s/manifest.jsonl", out);
  for (int i = 0; i < 6000; i++) {
    if (df_test_count_lines(manifest) >= n) return 1;
    sleep_ms(10);
  }
  return 0;
}

typedef struct listing {
  int listed, files, missing, unlisted, temporaries, unreadable, out_of_order;
} listing;

static listing inspect(const char *out) {
  listing l = {0};
  char manifest[4300], path[4600], line[16384];
  snprintf(manifest, sizeof manifest, "%s/manifest.jsonl", out);
  /* Listed names, checked to exist and follow positions 0, 1, 2, ... */
  char (*names)[64] = calloc(200000, sizeof *names);
  FILE *fp = fopen(manifest, "r");
  while (fp && fgets(line, sizeof line, fp)) {
    cJSON *j = cJSON_Parse(line);
    cJSON *file = cJSON_GetObjectItem(j, "file"), *index = cJSON_GetObjectItem(j, "index");
    if (cJSON_IsString(file) && l.listed < 200000) snprintf(names[l.listed], 64, "%s", file->valuestring);
    if (!cJSON_IsNumber(index) || (int)index->valuedouble != l.listed) l.out_of_order++;
    snprintf(path, sizeof path, "%s/%s", out, cJSON_IsString(file) ? file->valuestring : "?");
    if (access(path, F_OK) != 0) l.missing++;
    l.listed++;
    cJSON_Delete(j);
  }
  if (fp) fclose(fp);
  DIR *d = opendir(out);
  for (struct dirent *e; d && (e = readdir(d));) {
    if (strstr(e->d_name, ".tmp.")) l.temporaries++;
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 4, ".wav")) continue;
    l.files++;
    int found = 0;
    for (int i = 0; i < l.listed && !found; i++) found = !strcmp(names[i], e->d_name);
    if (!found) l.unlisted++;
    snprintf(path, sizeof path, "%s/%s", out, e->d_name);
    df_audio a;
    if (df_audio_read(path, NULL, &a) != DF_OK || a.frames != 16384) l.unreadable++;
    else df_audio_free(&a);
  }
  if (d) closedir(d);
  free(names);
  return l;
}

static void graceful(int sig, const char *name) {
  char out[4300], what[256];
  snprintf(out, sizeof out, "%s/%s", dir, name);
  pid_t pid = start(out, NULL);
  int started = wait_lines(out, 20);
  kill(pid, sig);
  int status;
  waitpid(pid, &status, 0);
  snprintf(what, sizeof what, "%s: the run was under way, then exited with status 130", name);
  if (started && WIFEXITED(status) && WEXITSTATUS(status) == 130) df_test_pass(what);
  else df_test_fail(what, "started %d, status %d", started, status);
  listing l = inspect(out);
  snprintf(what, sizeof what, "%s: the manifest lists exactly the %d files present, in order", name, l.files);
  if (l.listed == l.files && l.missing == 0 && l.unlisted == 0 && l.out_of_order == 0 && l.files >= 20)
    df_test_pass(what);
  else
    df_test_fail(what, "%d listed, %d files, %d missing, %d unlisted, %d out of order", l.listed, l.files, l.missing,
                 l.unlisted, l.out_of_order);
  snprintf(what, sizeof what, "%s: every file is complete and no temporary file is left", name);
  df_expect_true(l.unreadable == 0 && l.temporaries == 0, what);
  char latents[4400];
  snprintf(latents, sizeof latents, "%s/latents.npy", out);
  float *rows = NULL;
  int64_t n = 0, cols = 0;
  snprintf(what, sizeof what, "%s: latents.npy has one row per file", name);
  df_expect_true(df_npy_read_f32(latents, &rows, &n, &cols) == DF_OK && n == l.files && cols == 100, what);
  free(rows);
}

/* 1 when the manifest's first line names file (at most 60 s). */
static int wait_first(const char *out, const char *file) {
  char manifest[4300], line[16384];
  snprintf(manifest, sizeof manifest, "%s/manifest.jsonl", out);
  for (int i = 0; i < 6000; i++) {
    FILE *fp = fopen(manifest, "r");
    int found = fp && fgets(line, sizeof line, fp) && strstr(line, file);
    if (fp) fclose(fp);
    if (found) return 1;
    sleep_ms(10);
  }
  return 0;
}

/* A run with --overwrite killed once it has replaced the manifest leaves no latents.npy: the
 * earlier run's rows would not match the new lines. */
static void killed_overwrite(void) {
  char out[4300], latents[4400];
  snprintf(out, sizeof out, "%s/sigint", dir); /* graceful() left a run with its latents */
  snprintf(latents, sizeof latents, "%s/latents.npy", out);
  int had = access(latents, F_OK) == 0;
  pid_t pid = start(out, "50000");
  int replaced = wait_first(out, "sound_050000.wav");
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  listing l = inspect(out);
  df_expect_true(had && replaced && l.listed >= 1 && l.missing == 0 && access(latents, F_OK) != 0,
                 "SIGKILL of an --overwrite run: the earlier run's latents.npy is gone with its manifest");
}

static void killed(void) {
  char out[4300];
  snprintf(out, sizeof out, "%s/killed", dir);
  pid_t pid = start(out, NULL);
  int started = wait_lines(out, 30);
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  listing l = inspect(out);
  if (started && l.unreadable == 0 && l.missing == 0 && l.files >= l.listed && l.files >= 30)
    df_test_pass("SIGKILL: every file under its final name is complete, every listed file exists");
  else
    df_test_fail("SIGKILL: every file under its final name is complete, every listed file exists",
                 "%d files, %d unreadable, %d listed, %d missing", l.files, l.unreadable, l.listed, l.missing);

  /* The next run into the folder removes the temporary files of dead processes (the killed
   * run's, and one planted for a PID known to be gone), not a live process's or another kind. */
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, &status, 0);
  char stale[4600], live[4600], other[4600];
  snprintf(stale, sizeof stale, "%s/sound_999999.wav.tmp.%ld", out, (long)gone);
  snprintf(live, sizeof live, "%s/sound_888888.wav.tmp.%ld", out, (long)getpid());
  snprintf(other, sizeof other, "%s/notes.txt.tmp.%ld", out, (long)gone);
  df_test_write_text(stale, "x");
  df_test_write_text(live, "x");
  df_test_write_text(other, "x");
  /* Plus a file named like a generated one that no manifest lists (as the killed run's last
   * files are): kept, and counted in a note, with the killed run's own. */
  const int leftovers = l.files - l.listed;
  char mine[4600];
  snprintf(mine, sizeof mine, "%s/sound_777777.wav", out);
  df_test_write_text(mine, "x");
  char *err;
  char args[9000];
  snprintf(args, sizeof args, "generate --checkpoint '%s' --out '%s' --count 2 --overwrite --device cpu --quiet", ckpt, out);
  int rc = df_test_drumforge(dir, args, &err);
  char note[64];
  snprintf(note, sizeof note, "holds %d file%s named like generated ones", leftovers + 1, leftovers ? "s" : "");
  df_expect_true(rc == 0 && strstr(err, note) != NULL, "a run with --overwrite after SIGKILL notes the unlisted files");
  free(err);
  l = inspect(out);
  df_expect_true(access(stale, F_OK) != 0 && access(live, F_OK) == 0 && access(other, F_OK) == 0 && l.temporaries == 2,
                 "it removed the dead processes' temporary files and only those");
  df_expect_true(l.listed == 2 && l.missing == 0 && l.unlisted == leftovers + 1 && access(mine, F_OK) == 0,
                 "and the killed run's listed files beyond its 2; the unlisted ones are kept");

  /* Without --overwrite a folder the killed run left without a manifest line is refused. */
  char manifest[4400];
  snprintf(manifest, sizeof manifest, "%s/manifest.jsonl", out);
  unlink(manifest);
  snprintf(args, sizeof args, "generate --checkpoint '%s' --out '%s' --count 2 --device cpu --quiet", ckpt, out);
  rc = df_test_drumforge(dir, args, &err);
  df_expect_true(rc == 1 && strstr(err, "named like generated files") && df_test_count_files(out, ".wav") == 3 + leftovers,
                 "a run into a folder of unlisted generated files without --overwrite is refused");
  free(err);
}

int main(void) {
  df_test_begin("test_generate_interrupt");
  if (!df_test_generate_setup("generate_interrupt", 0, 9, dir, sizeof dir, ckpt, sizeof ckpt)) return df_test_finish();
  graceful(SIGINT, "sigint");
  graceful(SIGTERM, "sigterm");
  killed_overwrite();
  killed();
  return df_test_finish();
}
