/* Crash-safe file writing (include/drumforge/fileio.h). */
#define _GNU_SOURCE /* syncfs */
#include "drumforge/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/check.h"

/* The PID names the writing process for the leftover check; the count of names this process
 * made keeps two writers of one path in one process (threads, or a writer while another is
 * open) off each other's temporary file. */
void df_atomic_tmp_name(const char *path, char *tmp, size_t len) {
  static atomic_ulong made;
  if (!tmp || !len) return;
  snprintf(tmp, len, "%s.tmp.%ld.%lu", path, (long)getpid(), atomic_fetch_add(&made, 1));
}

/* When process pid started, in seconds since the epoch (a little early, never late); -1 when
 * /proc does not say. Its start time is field 22 of /proc/PID/stat, in clock ticks after boot;
 * the command name (field 2, in parentheses) may hold spaces. */
static double process_started(long pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *fp = fopen(path, "r");
  if (!fp) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = '\0';
  const char *p = strrchr(buf, ')');
  for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
  unsigned long long ticks;
  struct timespec now, up;
  if (!p || sscanf(p, " %llu", &ticks) != 1 || clock_gettime(CLOCK_REALTIME, &now) ||
      clock_gettime(CLOCK_BOOTTIME, &up))
    return -1;
  double boot = (double)(now.tv_sec - up.tv_sec) + 1e-9 * (double)(now.tv_nsec - up.tv_nsec);
  return boot + (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

int df_leftover_pid_gone(const char *digits, const char *path) {
  if (!digits || !path) return 0;
  char *end;
  errno = 0;
  long pid = strtol(digits, &end, 10);
  /* "PID" or "PID.N" (df_atomic_tmp_name); the older names had the PID only. */
  if (end != digits && *end == '.' && end[1] >= '0' && end[1] <= '9') strtoul(end + 1, &end, 10);
  if (end == digits || *end || errno || pid <= 0 || pid > INT_MAX) return 0;
  if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return 1;
  /* A live process with that PID wrote it only if it changed since that process started:
   * otherwise the PID was reused (after a reboot, in a restarted container, or by us). The
   * slack covers file systems that store times to the second or two (FAT). */
  struct stat sb;
  double started = process_started(pid);
  if (started < 0) return pid == (long)getpid(); /* no /proc: ours can only be a predecessor's */
  if (stat(path, &sb) != 0) return 0;
  time_t changed = sb.st_mtime > sb.st_ctime ? sb.st_mtime : sb.st_ctime;
  return (double)changed + 2.0 < started;
}

void df_remove_stale_temporaries(const char *dir, const char *const *kinds, int n_kinds) {
  DIR *d = dir ? opendir(dir) : NULL;
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    const char *tmp = NULL;
    for (const char *p = strstr(e->d_name, ".tmp."); p; p = strstr(p + 1, ".tmp.")) tmp = p;
    if (!tmp) continue;
    int wanted = n_kinds == 0;
    for (int k = 0; k < n_kinds; k++) {
      size_t n = strlen(kinds[k]);
      wanted |= (size_t)(tmp - e->d_name) > n && !strncasecmp(tmp - n, kinds[k], n);
    }
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (wanted && df_leftover_pid_gone(tmp + 5, path)) unlink(path);
  }
  closedir(d);
}

/* Removes path's own temporaries (PATH.tmp.PID.N) that killed writers left, once path has
 * been written again: the next export, encode or report into the same name leaves none. */
static void remove_stale_temporaries_of(const char *path) {
  char dir[4096], base[4096];
  snprintf(dir, sizeof dir, "%s", path);
  snprintf(base, sizeof base, "%s", path);
  const char *name = basename(base);
  size_t n = strlen(name);
  const char *folder = dirname(dir);
  DIR *d = opendir(folder);
  for (struct dirent *e; d && (e = readdir(d));) {
    if (strncmp(e->d_name, name, n) || strncmp(e->d_name + n, ".tmp.", 5)) continue;
    char tmp[8400];
    snprintf(tmp, sizeof tmp, "%s/%s", folder, e->d_name);
    if (df_leftover_pid_gone(e->d_name + n + 5, tmp)) unlink(tmp);
  }
  if (d) closedir(d);
}

df_status df_atomic_open(df_atomic_file *f, const char *path) {
  DF_CHECK_ARG(f);
  memset(f, 0, sizeof *f);
  DF_CHECK_ARG(path);
  if (strlen(path) >= sizeof f->path)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: path too long", path);
  snprintf(f->path, sizeof f->path, "%s", path);
  df_atomic_tmp_name(path, f->tmp_path, sizeof f->tmp_path);
  f->fp = fopen(f->tmp_path, "wb");
  if (!f->fp) return DF_FAIL(DF_ERR_IO, "%s: cannot create (its temporary file %s): %s", path, f->tmp_path, strerror(errno));
  return DF_OK;
}

void df_atomic_abort(df_atomic_file *f) {
  if (!f) return;
  if (f->fp) fclose(f->fp);
  f->fp = NULL;
  /* Forget the name: a second abort must not remove a file another writer made since. */
  if (f->tmp_path[0]) unlink(f->tmp_path);
  f->tmp_path[0] = '\0';
}

df_status df_fsync_dir(const char *dir) {
  DF_CHECK_ARG(dir);
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot open directory: %s", dir, strerror(errno));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  /* Some file systems refuse fsync on directories; the rename itself already happened. */
  if (rc != 0 && err != EINVAL && err != EROFS)
    return DF_FAIL(DF_ERR_IO, "%s: fsync of directory failed: %s", dir, strerror(err));
  return DF_OK;
}

static df_status fsync_dir_of(const char *path) {
  char copy[4096];
  snprintf(copy, sizeof copy, "%s", path);
  return df_fsync_dir(dirname(copy));
}

df_status df_atomic_commit(df_atomic_file *f) {
  DF_CHECK_ARG(f);
  if (!f->fp) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: file is not open", f->path);
  int bad = ferror(f->fp) || fflush(f->fp) != 0;
  int err = errno;
  if (!bad && fsync(fileno(f->fp)) != 0) {
    bad = 1;
    err = errno;
  }
  if (fclose(f->fp) != 0 && !bad) {
    bad = 1;
    err = errno;
  }
  f->fp = NULL;
  if (bad) {
    unlink(f->tmp_path);
    return DF_FAIL(DF_ERR_IO, "%s: write failed: %s", f->path, strerror(err));
  }
  if (rename(f->tmp_path, f->path) != 0) {
    err = errno;
    unlink(f->tmp_path);
    return DF_FAIL(DF_ERR_IO, "%s: rename from temporary file failed: %s", f->path, strerror(err));
  }
  remove_stale_temporaries_of(f->path);
  return fsync_dir_of(f->path);
}

df_status df_atomic_rename(const char *tmp, const char *path) {
  DF_CHECK_ARG(tmp);
  DF_CHECK_ARG(path);
  int fd = open(tmp, O_RDONLY);
  if (fd < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot open: %s", tmp, strerror(errno));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) {
    unlink(tmp);
    return DF_FAIL(DF_ERR_IO, "%s: fsync failed: %s", path, strerror(err));
  }
  if (rename(tmp, path) != 0) {
    err = errno;
    unlink(tmp);
    return DF_FAIL(DF_ERR_IO, "%s: rename from temporary file failed: %s", path, strerror(err));
  }
  remove_stale_temporaries_of(path);
  return fsync_dir_of(path);
}

df_status df_write_file_atomic(const char *path, const void *data, size_t len) {
  if (len) DF_CHECK_ARG(data);
  df_atomic_file f;
  DF_TRY(df_atomic_open(&f, path));
  if (len && fwrite(data, 1, len, f.fp) != len) {
    int err = errno;
    df_atomic_abort(&f);
    return DF_FAIL(DF_ERR_IO, "%s: write failed: %s", path, strerror(err));
  }
  return df_atomic_commit(&f);
}

df_status df_write_file_replace(const char *path, const void *data, size_t len) {
  DF_CHECK_ARG(path);
  if (len) DF_CHECK_ARG(data);
  char tmp[4200];
  df_atomic_tmp_name(path, tmp, sizeof tmp);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot create (its temporary file %s): %s", path, tmp, strerror(errno));
  const char *p = data;
  for (size_t done = 0; done < len;) {
    ssize_t n = write(fd, p + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      close(fd);
      unlink(tmp);
      return DF_FAIL(DF_ERR_IO, "%s: write failed: %s", path, strerror(err));
    }
    done += (size_t)n;
  }
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmp);
    return DF_FAIL(DF_ERR_IO, "%s: write failed: %s", path, strerror(err));
  }
  if (rename(tmp, path) != 0) {
    int err = errno;
    unlink(tmp);
    return DF_FAIL(DF_ERR_IO, "%s: rename from temporary file failed: %s", path, strerror(err));
  }
  return DF_OK;
}

df_status df_sync_filesystem(const char *path) {
  DF_CHECK_ARG(path);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  int rc = syncfs(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return DF_FAIL(DF_ERR_IO, "%s: syncing to disk failed: %s", path, strerror(err));
  return DF_OK;
}

df_status df_read_file(const char *path, char **data, size_t *len) {
  DF_CHECK_ARG(data);
  DF_CHECK_ARG(len);
  *data = NULL;
  *len = 0;
  DF_CHECK_ARG(path);
  /* Opening a named pipe blocks until someone writes to it; a device has no end. */
  struct stat pre;
  if (stat(path, &pre) == 0 && !S_ISREG(pre.st_mode) && !S_ISDIR(pre.st_mode))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: not a regular file (a pipe or a device)", path);
  FILE *fp = fopen(path, "rb");
  if (!fp) return DF_FAIL(errno == ENOENT ? DF_ERR_NOT_FOUND : DF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  /* fopen opens a folder for reading, and its "size" is then LONG_MAX. */
  struct stat sb;
  if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
    fclose(fp);
    return DF_FAIL(DF_ERR_IO, "%s is a folder, not a file", path);
  }
  if (fseek(fp, 0, SEEK_END) != 0) {
    fclose(fp);
    return DF_FAIL(DF_ERR_IO, "%s: cannot seek: %s", path, strerror(errno));
  }
  long size = ftell(fp);
  if (size < 0 || fseek(fp, 0, SEEK_SET) != 0) {
    fclose(fp);
    return DF_FAIL(DF_ERR_IO, "%s: cannot tell size: %s", path, strerror(errno));
  }
  char *buf = malloc((size_t)size + 1);
  if (!buf) {
    fclose(fp);
    return DF_FAIL(DF_ERR_OOM, "%s: cannot allocate %ld bytes", path, size);
  }
  if (fread(buf, 1, (size_t)size, fp) != (size_t)size) {
    int err = ferror(fp) ? errno : 0;
    free(buf);
    fclose(fp);
    return DF_FAIL(DF_ERR_IO, "%s: read failed: %s", path, err ? strerror(err) : "short read");
  }
  fclose(fp);
  buf[size] = '\0';
  *data = buf;
  *len = (size_t)size;
  return DF_OK;
}

df_status df_mkdirs(const char *path) {
  DF_CHECK_ARG(path);
  char buf[4096];
  size_t n = strlen(path);
  /* A truncated copy would create another folder and report success. */
  if (n == 0 || n >= sizeof buf)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_mkdirs: path of %zu characters (1 to %zu)", n,
                   sizeof buf - 1);
  snprintf(buf, sizeof buf, "%s", path);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] == '/' || buf[i] == '\0') {
      char c = buf[i];
      buf[i] = '\0';
      if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return DF_FAIL(DF_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
      buf[i] = c;
    }
  }
  /* EEXIST also answers for a file of that name. */
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return DF_FAIL(DF_ERR_IO, "%s: cannot create directory: a file of that name exists", path);
  return DF_OK;
}

int df_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
