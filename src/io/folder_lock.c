/* df_lock_folder (include/drumforge/fileio.h): generate, prepare and the classifier store
 * lock the folder they write into. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "drumforge/fileio.h"

df_status df_lock_folder(const char *dir, const char *busy, int *fd) {
  *fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot open the folder: %s", dir, strerror(errno));
  if (flock(*fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    close(*fd);
    *fd = -1;
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: %s", dir, busy);
  }
  return DF_OK;
}
