#ifndef FY_TARBALL_H
#define FY_TARBALL_H

#include "compat.h"

struct buf;

/*
 * tarball.c: archives, on libarchive (the only file that includes
 * <archive.h>).  Used for container archive uploads and downloads, image
 * imports, build caches and deploy bundles.
 *
 * Packing is pull-style, so that a consumer (an HTTP upload, a file)
 * takes the bytes at its own pace:
 *
 *  1. tarball_pack_new() with the format and owner options;
 *  2. tarball_pack_add() for each file or directory tree, and
 *     tarball_pack_add_data() for files made in memory;
 *  3. tarball_pack_read() until it gives 0 bytes, or one of the drains
 *     tarball_pack_write(), tarball_pack_to_fd(), tarball_pack_to_buf();
 *  4. tarball_pack_free().
 *
 * Trees are walked while the archive is read, never held in memory: one
 * 64 KiB chunk and a few headers are buffered, whatever the tree's size.
 * Stored: regular files, directories, symlinks (never followed), hard
 * links (stored once; tar formats only), devices and fifos, with their
 * permissions, mtimes and numeric owners.  Sockets are skipped; extended
 * attributes, ACLs and file flags are not stored.
 *
 * Extraction detects the format (tar, plain or compressed with gzip,
 * zstd, xz or bzip2; zip) and refuses any entry that would land outside
 * the destination: an absolute path (unless TARBALL_ABSOLUTE), a ".."
 * component, a path through a symlink, a hard link to outside.  It keeps
 * permissions exactly (no umask), symlinks and mtimes; owners only with
 * TARBALL_OWNER.  Entries extracted before a refused one stay.  A zip
 * read through a callback cannot seek to its central directory and loses
 * modes and symlinks: give zips as a descriptor or in memory.
 *
 * Errors: FY_ENOTFOUND for a missing source path, FY_EINVALID for a
 * malformed or unsafe archive, FY_ETOOBIG when a capped buffer fills, a
 * callback's own code, FY_EFAIL otherwise; messages name the entry and
 * carry libarchive's text.  A pack that failed stays failed.
 */

enum tarball_format {
	TARBALL_TAR,	 /* POSIX pax (readable by any tar) */
	TARBALL_TAR_GZ,	 /* .tar.gz */
	TARBALL_TAR_ZST, /* .tar.zst */
	TARBALL_ZIP,
};

struct tarball_opts {
	enum tarball_format format;
	int level;     /* gzip/zstd compression level; 0: default */
	long uid, gid; /* store every entry with this owner; -1: keep */
};
/* clang-format off */
#define TARBALL_OPTS_INIT { .format = TARBALL_TAR, .uid = -1, .gid = -1 }
/* clang-format on */

/* Fill `dst` with up to `cap` bytes; *got = 0 at the end of the input. */
typedef int (*tarball_read_fn)(void *dst, size_t cap, size_t *got,
			       void *payload);
/* Take `len` bytes of archive; return 0 or a FY_E* code to stop. */
typedef int (*tarball_write_fn)(const void *data, size_t len, void *payload);

struct tarball_pack;

int tarball_pack_new(struct tarball_pack **out,
		     const struct tarball_opts *opts);
void tarball_pack_free(struct tarball_pack *p);

/*
 * Queue `path` (a file, a symlink, or a directory and everything below
 * it) to be stored as `name`: "" stores a directory's contents at the
 * top of the archive.  FY_ENOTFOUND if `path` does not exist.
 */
int tarball_pack_add(struct tarball_pack *p, const char *path,
		     const char *name);
/* Queue a regular file `name` holding a copy of `data`. */
void tarball_pack_add_data(struct tarball_pack *p, const char *name,
			   const void *data, size_t len, unsigned mode);

/* Copy up to `cap` more archive bytes to `dst`; *got = 0 at the end. */
int tarball_pack_read(struct tarball_pack *p, void *dst, size_t cap,
		      size_t *got);
/* tarball_pack_read() with the pack last: a read callback for uploads. */
int tarball_pack_pull(void *dst, size_t cap, size_t *got, void *pack);
int tarball_pack_write(struct tarball_pack *p, tarball_write_fn fn,
		       void *payload);
int tarball_pack_to_fd(struct tarball_pack *p, int fd);
/* Honours out's cap (FY_ETOOBIG). */
int tarball_pack_to_buf(struct tarball_pack *p, struct buf *out);
/* Archive bytes produced so far. */
uint64_t tarball_pack_size(const struct tarball_pack *p);

/* Extraction flags. */
#define TARBALL_ABSOLUTE (1u << 0) /* trusted: extract absolute paths */
#define TARBALL_OWNER	 (1u << 1) /* restore numeric owners (root) */

/* Extract into `dir` (created if missing). */
int tarball_extract(const char *dir, unsigned flags, tarball_read_fn fn,
		    void *payload);
int tarball_extract_fd(const char *dir, unsigned flags, int fd);
int tarball_extract_mem(const char *dir, unsigned flags, const void *data,
			size_t len);

#endif
