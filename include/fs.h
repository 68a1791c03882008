#ifndef FY_FS_H
#define FY_FS_H

#include "compat.h"

struct buf;

/*
 * File helpers.  All descriptors are opened close-on-exec.  Errors are
 * recorded with err_errno() and returned as FY_E* codes.
 */

/* Read a whole file into `out`, honouring out's cap (FY_ETOOBIG). */
int fs_read_file(struct buf *out, const char *path);
/* Write `len` bytes to `path` atomically (temp file + rename). */
int fs_write_file(const char *path, const void *data, size_t len, int mode);
int fs_mkdir_p(const char *path, int mode);
int fs_rm_rf(const char *path);
/* Create a fresh private directory under $TMPDIR; returns its path. */
int fs_tmpdir(char **out, const char *prefix);
bool fs_exists(const char *path);
bool fs_is_dir(const char *path);
/* Close *fd if open and set it to -1. */
void close_fd(int *fd);
/* write() all of it, retrying on EINTR and short writes. */
int fs_write_all(int fd, const void *data, size_t len);
/*
 * The program `name` as execvp() would run it: as given when it holds a
 * '/' (exec says whether it runs), else the first executable file of
 * that name in the directories of $PATH (default /usr/local/bin:/usr/bin:
 * /bin; an empty entry is the current directory), or NULL.
 */
char *fs_which(const char *name);
/* Directory part and last part of `path` (newly allocated). */
char *fs_dirname(const char *path);
const char *fs_basename(const char *path);
/* Join two path parts with one '/'. */
char *fs_join(const char *a, const char *b);

#endif
