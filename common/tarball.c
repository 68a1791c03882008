/*
 * tarball.c: the only file that includes <archive.h>.  libarchive's
 * errors become FY_E* codes with its text here and nowhere else.
 */
#include "compat.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "log.h"
#include "tarball.h"
#include "xalloc.h"

#define TARBALL_CHUNK (64 * 1024)

struct pack_src {
	char *path;	 /* on disk, or NULL for in-memory data */
	char *name;	 /* in the archive ("" for a tree's top) */
	struct buf data; /* in-memory contents */
	unsigned mode;
};

struct tarball_pack {
	struct tarball_opts opts;
	struct archive *w;
	struct archive *disk; /* walk of the current source, or NULL */
	struct archive_entry *entry;
	struct archive_entry_linkresolver *links; /* tar formats only */
	struct pack_src *src;
	size_t nsrc, alloc, next;
	const struct pack_src *cur;
	bool in_data;	/* the current file's data is still to copy */
	bool closed;	/* the archive's trailer has been written */
	int err;	/* sticky failure */
	time_t now;	/* mtime of in-memory files */
	struct buf out; /* archive bytes not read yet */
	size_t out_off;
	uint64_t total;
	char *chunk;
};

static la_ssize_t pack_write_cb(struct archive *a, void *payload,
				const void *data, size_t len)
{
	struct tarball_pack *p = payload;

	buf_add(&p->out, data, len);
	p->total += len;
	return (la_ssize_t)len;
}

static int PRINTFLIKE(3, 4)
	lib_error(int code, struct archive *a, const char *fmt, ...)
{
	const char *why = a ? archive_error_string(a) : NULL;
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(code, "%s: %s", what, why ? why : "unknown error");
}

static int set_format(struct tarball_pack *p)
{
	struct archive *w = p->w;
	char level[16];
	int r = ARCHIVE_OK;

	switch (p->opts.format) {
	case TARBALL_TAR:
		r = archive_write_set_format_pax_restricted(w);
		break;
	case TARBALL_TAR_GZ:
		r = archive_write_set_format_pax_restricted(w);
		if (r == ARCHIVE_OK)
			r = archive_write_add_filter_gzip(w);
		break;
	case TARBALL_TAR_ZST:
		r = archive_write_set_format_pax_restricted(w);
		if (r == ARCHIVE_OK)
			r = archive_write_add_filter_zstd(w);
		break;
	case TARBALL_ZIP:
		r = archive_write_set_format_zip(w);
		break;
	}
	/* Compressed streams must not be padded: zstd reads zeros as junk. */
	if (r == ARCHIVE_OK && p->opts.format != TARBALL_TAR)
		r = archive_write_set_bytes_in_last_block(w, 1);
	if (r == ARCHIVE_OK && p->opts.level &&
	    (p->opts.format == TARBALL_TAR_GZ ||
	     p->opts.format == TARBALL_TAR_ZST)) {
		snprintf(level, sizeof(level), "%d", p->opts.level);
		r = archive_write_set_filter_option(w, NULL,
						    "compression-level", level);
	}
	if (r != ARCHIVE_OK)
		return lib_error(FY_EFAIL, w, "cannot set up the archive");
	return 0;
}

int tarball_pack_new(struct tarball_pack **out, const struct tarball_opts *opts)
{
	struct tarball_pack *p = xcalloc(1, sizeof(*p));
	int err;

	p->opts = *opts;
	p->now = time(NULL);
	buf_init(&p->out);
	p->chunk = xmalloc(TARBALL_CHUNK);
	p->w = archive_write_new();
	p->entry = archive_entry_new();
	if (!p->w || !p->entry) {
		tarball_pack_free(p);
		return err_set(FY_EFAIL, "cannot create an archive writer");
	}
	err = set_format(p);
	if (!err && archive_write_open2(p->w, p, NULL, pack_write_cb, NULL,
					NULL) != ARCHIVE_OK)
		err = lib_error(FY_EFAIL, p->w, "cannot start the archive");
	if (err) {
		tarball_pack_free(p);
		return err;
	}
	if (opts->format != TARBALL_ZIP) {
		p->links = archive_entry_linkresolver_new();
		archive_entry_linkresolver_set_strategy(p->links,
							archive_format(p->w));
	}
	*out = p;
	return 0;
}

static void close_disk(struct tarball_pack *p)
{
	if (!p->disk)
		return;
	archive_read_close(p->disk);
	archive_read_free(p->disk);
	p->disk = NULL;
	p->in_data = false;
}

void tarball_pack_free(struct tarball_pack *p)
{
	if (!p)
		return;
	close_disk(p);
	if (p->w)
		archive_write_free(p->w); /* closes it if still open */
	if (p->entry)
		archive_entry_free(p->entry);
	if (p->links)
		archive_entry_linkresolver_free(p->links);
	for (size_t i = 0; i < p->nsrc; i++) {
		free(p->src[i].path);
		free(p->src[i].name);
		buf_release(&p->src[i].data);
	}
	free(p->src);
	buf_release(&p->out);
	free(p->chunk);
	free(p);
}

/* "./a/b/" -> "a/b"; "." and "./" -> "". */
static char *clean_name(const char *name)
{
	size_t len;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	if (!strcmp(name, "."))
		name = "";
	len = strlen(name);
	while (len > 1 && name[len - 1] == '/')
		len--;
	return xstrndup(name, len);
}

static struct pack_src *new_src(struct tarball_pack *p, const char *name)
{
	struct pack_src *s;

	XGROW(p->src, p->alloc, p->nsrc + 1);
	s = &p->src[p->nsrc++];
	memset(s, 0, sizeof(*s));
	buf_init(&s->data);
	s->name = clean_name(name);
	return s;
}

int tarball_pack_add(struct tarball_pack *p, const char *path, const char *name)
{
	struct pack_src *s;
	struct stat st;
	size_t len = strlen(path);

	if (lstat(path, &st) < 0)
		return err_errno("cannot archive '%s'", path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	s = new_src(p, name);
	s->path = xstrndup(path, len);
	return 0;
}

void tarball_pack_add_data(struct tarball_pack *p, const char *name,
			   const void *data, size_t len, unsigned mode)
{
	struct pack_src *s = new_src(p, name);

	buf_add(&s->data, data, len);
	s->mode = mode & 07777;
}

uint64_t tarball_pack_size(const struct tarball_pack *p)
{
	return p->total;
}

static void set_owner(const struct tarball_pack *p, struct archive_entry *e)
{
	if (p->opts.uid >= 0) {
		archive_entry_set_uid(e, p->opts.uid);
		archive_entry_set_uname(e, NULL);
	}
	if (p->opts.gid >= 0) {
		archive_entry_set_gid(e, p->opts.gid);
		archive_entry_set_gname(e, NULL);
	}
}

static int write_data_src(struct tarball_pack *p, const struct pack_src *s)
{
	struct archive_entry *e = p->entry;

	archive_entry_clear(e);
	archive_entry_set_pathname(e, s->name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, s->mode);
	archive_entry_set_size(e, (la_int64_t)s->data.len);
	archive_entry_set_mtime(e, p->now, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	set_owner(p, e);
	if (archive_write_header(p->w, e) < ARCHIVE_WARN)
		return lib_error(FY_EFAIL, p->w, "cannot archive '%s'",
				 s->name);
	if (s->data.len &&
	    archive_write_data(p->w, s->data.ptr, s->data.len) < 0)
		return lib_error(FY_EFAIL, p->w, "cannot archive '%s'",
				 s->name);
	return 0;
}

static int open_disk(struct tarball_pack *p, const struct pack_src *s)
{
	int flags = ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
		    ARCHIVE_READDISK_NO_FFLAGS | ARCHIVE_READDISK_NO_SPARSE;

	p->disk = archive_read_disk_new();
	if (!p->disk)
		return err_set(FY_EFAIL, "cannot create a directory reader");
	p->cur = s;
	if (archive_read_disk_set_symlink_physical(p->disk) != ARCHIVE_OK ||
	    archive_read_disk_set_behavior(p->disk, flags) != ARCHIVE_OK ||
	    archive_read_disk_open(p->disk, s->path) != ARCHIVE_OK)
		return lib_error(FY_EFAIL, p->disk, "cannot archive '%s'",
				 s->path);
	return 0;
}

/* Rename an entry of the walk: the source path becomes the source name. */
static void rename_entry(struct tarball_pack *p, struct archive_entry *e,
			 bool *skip)
{
	const char *path = archive_entry_pathname(e);
	const char *name = p->cur->name;
	size_t plen = strlen(p->cur->path);
	const char *rest;
	char *full;

	*skip = false;
	if (!path || strncmp(path, p->cur->path, plen))
		BUG("walk of '%s' returned '%s'", p->cur->path,
		    path ? path : "(null)");
	rest = path + plen;
	while (*rest == '/')
		rest++;
	if (!*name && !*rest) {
		*skip = true; /* the top of a tree stored as "" */
		return;
	}
	if (!*name)
		full = xstrdup(rest);
	else if (!*rest)
		full = xstrdup(name);
	else
		full = xasprintf("%s/%s", name, rest);
	archive_entry_set_pathname(e, full);
	free(full);
}

/* Sockets never go in; zip holds files, directories and symlinks only. */
static bool storable(const struct tarball_pack *p, unsigned type)
{
	if (type == AE_IFSOCK)
		return false;
	if (p->opts.format == TARBALL_ZIP)
		return type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK;
	return true;
}

/* Write the next header of the current walk. */
static int next_disk_entry(struct tarball_pack *p)
{
	struct archive_entry *e = p->entry, *spare = NULL;
	bool skip;
	int r;

	archive_entry_clear(e);
	r = archive_read_next_header2(p->disk, e);
	if (r == ARCHIVE_EOF) {
		close_disk(p);
		return 0;
	}
	if (r < ARCHIVE_WARN)
		return lib_error(FY_EFAIL, p->disk, "cannot archive '%s'",
				 p->cur->path);
	if (r == ARCHIVE_WARN)
		log_debug("%s: %s", archive_entry_pathname(e),
			  archive_error_string(p->disk));
	if (archive_read_disk_can_descend(p->disk))
		archive_read_disk_descend(p->disk);
	if (!storable(p, archive_entry_filetype(e)))
		return 0;
	rename_entry(p, e, &skip);
	if (skip)
		return 0;
	set_owner(p, e);
	if (p->links) {
		archive_entry_linkify(p->links, &e, &spare);
		if (!e)
			return 0;
	}
	if (archive_write_header(p->w, e) < ARCHIVE_WARN)
		return lib_error(FY_EFAIL, p->w, "cannot archive '%s'",
				 archive_entry_pathname(e));
	p->in_data = archive_entry_filetype(e) == AE_IFREG &&
		     archive_entry_size(e) > 0;
	return 0;
}

static int copy_chunk(struct tarball_pack *p)
{
	la_ssize_t n = archive_read_data(p->disk, p->chunk, TARBALL_CHUNK);

	if (n < 0)
		return lib_error(FY_EFAIL, p->disk, "cannot read '%s'",
				 archive_entry_pathname(p->entry));
	if (!n) {
		p->in_data = false;
		return 0;
	}
	if (archive_write_data(p->w, p->chunk, (size_t)n) < 0)
		return lib_error(FY_EFAIL, p->w, "cannot archive '%s'",
				 archive_entry_pathname(p->entry));
	return 0;
}

/* Produce some more archive bytes (or finish the archive). */
static int pack_step(struct tarball_pack *p)
{
	const struct pack_src *s;

	if (p->in_data)
		return copy_chunk(p);
	if (p->disk)
		return next_disk_entry(p);
	if (p->next < p->nsrc) {
		s = &p->src[p->next++];
		return s->path ? open_disk(p, s) : write_data_src(p, s);
	}
	p->closed = true;
	if (archive_write_close(p->w) != ARCHIVE_OK)
		return lib_error(FY_EFAIL, p->w, "cannot finish the archive");
	return 0;
}

int tarball_pack_read(struct tarball_pack *p, void *dst, size_t cap,
		      size_t *got)
{
	size_t n;

	*got = 0;
	if (p->err)
		return err_set(p->err, "the archive failed earlier");
	while (p->out.len == p->out_off && !p->closed) {
		int err = pack_step(p);

		if (err < 0) {
			p->err = err;
			return err;
		}
	}
	n = p->out.len - p->out_off;
	if (n > cap)
		n = cap;
	memcpy(dst, p->out.ptr + p->out_off, n);
	p->out_off += n;
	if (p->out_off == p->out.len) {
		buf_reset(&p->out);
		p->out_off = 0;
	}
	*got = n;
	return 0;
}

int tarball_pack_pull(void *dst, size_t cap, size_t *got, void *pack)
{
	return tarball_pack_read(pack, dst, cap, got);
}

int tarball_pack_write(struct tarball_pack *p, tarball_write_fn fn,
		       void *payload)
{
	for (;;) {
		size_t got;
		int err = tarball_pack_read(p, p->chunk, TARBALL_CHUNK, &got);

		if (err < 0)
			return err;
		if (!got)
			return 0;
		err = fn(p->chunk, got, payload);
		if (err < 0)
			return err;
	}
}

static int fd_write(const void *data, size_t len, void *payload)
{
	return fs_write_all(*(int *)payload, data, len);
}

int tarball_pack_to_fd(struct tarball_pack *p, int fd)
{
	return tarball_pack_write(p, fd_write, &fd);
}

static int buf_write(const void *data, size_t len, void *payload)
{
	struct buf *b = payload;

	if (buf_add(b, data, len) < 0)
		return err_set(FY_ETOOBIG, "archive larger than %zu bytes",
			       b->limit);
	return 0;
}

int tarball_pack_to_buf(struct tarball_pack *p, struct buf *out)
{
	return tarball_pack_write(p, buf_write, out);
}

/* Extraction. */

/* The input: a callback, or a descriptor or memory, which can seek. */
struct source {
	tarball_read_fn fn;
	void *payload;
	int fd;		 /* >= 0: read (and seek) this descriptor */
	const char *mem; /* or this memory */
	size_t len, off;
	int err; /* the callback's failure */
	char *chunk;
};

static la_ssize_t source_read(struct archive *a, void *payload,
			      const void **out)
{
	struct source *s = payload;
	size_t got = 0;
	int err = 0;

	if (s->mem) {
		*out = s->mem + s->off;
		got = s->len - s->off;
		s->off = s->len;
		return (la_ssize_t)got;
	}
	if (s->fd >= 0) {
		for (;;) {
			ssize_t n = read(s->fd, s->chunk, TARBALL_CHUNK);

			if (n >= 0) {
				got = (size_t)n;
				break;
			}
			if (errno != EINTR) {
				err = err_errno("cannot read the archive");
				break;
			}
		}
	} else {
		err = s->fn(s->chunk, TARBALL_CHUNK, &got, s->payload);
	}
	if (err < 0) {
		s->err = err;
		archive_set_error(a, EIO, "reading the archive failed");
		return -1;
	}
	*out = s->chunk;
	return (la_ssize_t)got;
}

/* Seeking lets the zip reader use the central directory (modes, links). */
static la_int64_t source_seek(struct archive *a, void *payload, la_int64_t off,
			      int whence)
{
	struct source *s = payload;
	la_int64_t base = 0;

	if (s->fd >= 0)
		return lseek(s->fd, off, whence);
	if (whence == SEEK_CUR)
		base = (la_int64_t)s->off;
	else if (whence == SEEK_END)
		base = (la_int64_t)s->len;
	if (base + off < 0 || base + off > (la_int64_t)s->len)
		return ARCHIVE_FATAL;
	s->off = (size_t)(base + off);
	return (la_int64_t)s->off;
}

/*
 * Where entry `name` goes: `root`/name, or name itself when absolute and
 * allowed.  *out is NULL for the top directory itself ("./").
 */
static int target_path(const char *root, const char *name, unsigned flags,
		       char **out)
{
	const char *p = name;
	char *clean;

	*out = NULL;
	if (!*name)
		return err_set(FY_EINVALID, "archive entry with an empty name");
	if (name[0] == '/' && !(flags & TARBALL_ABSOLUTE))
		return err_set(FY_EINVALID,
			       "archive entry '%s' has an absolute path", name);
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && !strncmp(p, "..", 2))
			return err_set(FY_EINVALID,
				       "archive entry '%s' leads outside '%s'",
				       name, root);
		p += len;
		p += strspn(p, "/");
	}
	if (name[0] == '/') {
		*out = xstrdup(name);
		return 0;
	}
	clean = clean_name(name);
	if (*clean)
		*out = fs_join(root, clean);
	free(clean);
	return 0;
}

static int copy_entry_data(struct archive *a, struct archive *disk,
			   const char *name)
{
	for (;;) {
		const void *block;
		size_t size;
		la_int64_t offset;
		int r = archive_read_data_block(a, &block, &size, &offset);

		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return lib_error(FY_EINVALID, a, "cannot read '%s'",
					 name);
		/* A short write (a full disk) comes back as ARCHIVE_WARN. */
		if (archive_write_data_block(disk, block, size, offset) <
		    ARCHIVE_OK)
			return lib_error(FY_EFAIL, disk, "cannot extract '%s'",
					 name);
	}
}

/* Extract one entry whose header was just read. */
static int extract_entry(struct archive *a, struct archive *disk,
			 struct archive_entry *e, const char *root,
			 unsigned flags)
{
	const char *pathname = archive_entry_pathname(e);
	char *name = xstrdup(pathname ? pathname : "");
	const char *hard = archive_entry_hardlink(e);
	char *path = NULL, *link = NULL;
	int err;

	err = target_path(root, name, flags, &path);
	if (!err && !path)
		goto out; /* the destination itself */
	if (!err && hard) {
		err = target_path(root, hard, flags, &link);
		if (!err && !link)
			err = err_set(FY_EINVALID,
				      "archive entry '%s' links to '%s'", name,
				      hard);
	}
	if (err)
		goto out;
	archive_entry_set_pathname(e, path);
	if (link)
		archive_entry_set_hardlink(e, link);
	if (archive_write_header(disk, e) < ARCHIVE_WARN) {
		err = lib_error(FY_EFAIL, disk, "cannot extract '%s'", name);
		goto out;
	}
	if (archive_entry_size(e) > 0)
		err = copy_entry_data(a, disk, name);
	if (!err && archive_write_finish_entry(disk) < ARCHIVE_WARN)
		err = lib_error(FY_EFAIL, disk, "cannot extract '%s'", name);
out:
	free(name);
	free(path);
	free(link);
	return err;
}

static int extract_flags(unsigned flags)
{
	int f = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
		ARCHIVE_EXTRACT_SECURE_NODOTDOT;

	/* Trusted archives with absolute paths may go through symlinks. */
	if (!(flags & TARBALL_ABSOLUTE))
		f |= ARCHIVE_EXTRACT_SECURE_SYMLINKS;
	if (flags & TARBALL_OWNER)
		f |= ARCHIVE_EXTRACT_OWNER;
	return f;
}

static struct archive *new_reader(void)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	archive_read_support_filter_none(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	return a;
}

static int open_source(struct archive *a, struct source *src)
{
	bool can_seek =
		src->mem || (src->fd >= 0 && lseek(src->fd, 0, SEEK_CUR) >= 0);

	archive_read_set_callback_data(a, src);
	archive_read_set_read_callback(a, source_read);
	if (can_seek)
		archive_read_set_seek_callback(a, source_seek);
	return archive_read_open1(a);
}

static int extract(const char *dir, unsigned flags, struct source *src)
{
	struct archive *a = NULL, *disk = NULL;
	struct archive_entry *e;
	char *root = NULL;
	int err;

	err = fs_mkdir_p(dir, 0755);
	if (err < 0)
		return err;
	root = realpath(dir, NULL);
	if (!root)
		return err_errno("cannot extract into '%s'", dir);
	src->chunk = xmalloc(TARBALL_CHUNK);
	a = new_reader();
	disk = archive_write_disk_new();
	if (!a || !disk) {
		err = err_set(FY_EFAIL, "cannot create an archive reader");
		goto out;
	}
	archive_write_disk_set_options(disk, extract_flags(flags));
	if (open_source(a, src) != ARCHIVE_OK) {
		err = src->err ? src->err
			       : lib_error(FY_EINVALID, a, "invalid archive");
		goto out;
	}
	for (;;) {
		int r = archive_read_next_header(a, &e);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			err = src->err ? src->err
				       : lib_error(FY_EINVALID, a,
						   "invalid archive");
			goto out;
		}
		err = extract_entry(a, disk, e, root, flags);
		if (err < 0) {
			if (src->err)
				err = src->err;
			goto out;
		}
	}
	/* Directory permissions and times are set last, on close. */
	if (archive_write_close(disk) != ARCHIVE_OK)
		err = lib_error(FY_EFAIL, disk, "cannot extract into '%s'",
				dir);
out:
	if (a)
		archive_read_free(a);
	if (disk)
		archive_write_free(disk);
	free(src->chunk);
	free(root);
	return err;
}

int tarball_extract(const char *dir, unsigned flags, tarball_read_fn fn,
		    void *payload)
{
	struct source src = { .fn = fn, .payload = payload, .fd = -1 };

	return extract(dir, flags, &src);
}

int tarball_extract_fd(const char *dir, unsigned flags, int fd)
{
	struct source src = { .fd = fd };

	return extract(dir, flags, &src);
}

int tarball_extract_mem(const char *dir, unsigned flags, const void *data,
			size_t len)
{
	struct source src = { .fd = -1, .mem = data ? data : "", .len = len };

	return extract(dir, flags, &src);
}
