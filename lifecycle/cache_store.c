/*
 * cache_store.c: where build caches live (cache.h "Store"): a directory
 * of this host, or an S3 bucket through the AWS client (aws.h).  Both
 * keep the same objects under the same names; only the object
 * operations (read, write, list, remove) differ.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "cache_s3.h"
#include "crypto.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define META_MAX (1u << 20)   /* a record (KEY.json) */
#define SUMS_MAX (256u << 20) /* the checksums of an archive */

struct cache_store {
	enum cache_store_kind kind;
	char *where;
	/* local */
	char *root;
	/* S3 */
	struct cache_s3 *s3;
};

/* ---- records ---- */

const char *cache_format_ext(enum tarball_format f)
{
	return f == TARBALL_TAR_GZ ? "tar.gz" : "tar.zst";
}

void cache_meta_release(struct cache_meta *m)
{
	free(m->archive);
	free(m->sums);
	svec_release(&m->paths);
	memset(m, 0, sizeof(*m));
	m->paths = (struct svec)SVEC_INIT;
}

void cache_meta_write(struct buf *out, const struct cache_meta *m)
{
	struct val *v = val_map(), *paths = val_seq();

	val_map_set(v, "version", val_numi(1));
	val_map_set(v, "archive", val_str(m->archive));
	val_map_set(v, "format", val_str(cache_format_ext(m->format)));
	val_map_set(v, "size", val_strf("%llu", (unsigned long long)m->size));
	val_map_set(v, "sha256", val_str(m->sha256));
	val_map_set(v, "content_size",
		    val_strf("%llu", (unsigned long long)m->content));
	if (m->sums) {
		val_map_set(v, "sums", val_str(m->sums));
		val_map_set(v, "sums_sha256", val_str(m->sums_sha256));
	}
	val_map_set(v, "created", val_numi((long long)m->created));
	for (size_t i = 0; i < m->paths.n; i++)
		val_seq_push(paths, val_str(m->paths.v[i]));
	val_map_set(v, "paths", paths);
	json_write(out, v, JSON_PRETTY);
	buf_addch(out, '\n');
	val_free(v);
}

/* An object name of the record's directory: no '/', no leading '.'. */
static bool plain_name(const char *s)
{
	return s && *s && *s != '.' && !strchr(s, '/');
}

static bool hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return false;
	return true;
}

int cache_meta_parse(struct cache_meta *out, const char *json, size_t len)
{
	struct cache_meta m = CACHE_META_INIT;
	struct val *v = NULL;
	const char *archive, *sums, *format, *sha, *ssha, *size, *created;
	const char *content;
	const struct val *paths;
	char *end;
	int err;

	err = json_parse(&v, json, len, 0);
	if (err < 0)
		return err_wrap(FY_EINVALID, "bad cache record");
	archive = val_text(val_map_get(v, "archive"));
	sums = val_text(val_map_get(v, "sums"));
	format = val_text(val_map_get(v, "format"));
	sha = val_text(val_map_get(v, "sha256"));
	ssha = val_text(val_map_get(v, "sums_sha256"));
	size = val_text(val_map_get(v, "size"));
	created = val_text(val_map_get(v, "created"));
	paths = val_map_get(v, "paths");
	if (!plain_name(archive) || (sums && !plain_name(sums)) || !format ||
	    !hex64(sha) || (sums && !hex64(ssha)) || !size) {
		err = err_set(FY_EINVALID, "bad cache record: missing or "
					   "malformed fields");
		goto out;
	}
	if (!strcmp(format, "tar.zst"))
		m.format = TARBALL_TAR_ZST;
	else if (!strcmp(format, "tar.gz"))
		m.format = TARBALL_TAR_GZ;
	else {
		err = err_set(FY_EINVALID, "bad cache record: format '%s'",
			      format);
		goto out;
	}
	errno = 0;
	m.size = strtoull(size, &end, 10);
	if (errno || *end || *size == '-') {
		err = err_set(FY_EINVALID, "bad cache record: size '%s'", size);
		goto out;
	}
	m.created = created ? (time_t)strtoll(created, NULL, 10) : 0;
	content = val_text(val_map_get(v, "content_size"));
	m.content = content ? strtoull(content, NULL, 10) : 0;
	m.archive = xstrdup(archive);
	m.sums = sums ? xstrdup(sums) : NULL;
	snprintf(m.sha256, sizeof(m.sha256), "%s", sha);
	snprintf(m.sums_sha256, sizeof(m.sums_sha256), "%s", ssha ? ssha : "");
	for (size_t i = 0; paths && paths->type == VAL_SEQ && i < paths->seq.n;
	     i++)
		if (val_text(paths->seq.v[i]))
			svec_push(&m.paths, val_text(paths->seq.v[i]));
	*out = m;
	memset(&m, 0, sizeof(m));
	m.paths = (struct svec)SVEC_INIT;
out:
	cache_meta_release(&m);
	val_free(v);
	return err;
}

void cache_hit_release(struct cache_hit *h)
{
	if (h->downloaded && h->path)
		unlink(h->path);
	free(h->path);
	cache_meta_release(&h->meta);
	buf_release(&h->sums);
	h->path = NULL;
	h->downloaded = false;
}

/* "o/r/g/name" -> directory part "o/r/g" and name; false if not a key. */
static bool split_key(const char *key, char **dir, const char **name)
{
	const char *slash = strrchr(key, '/');

	if (!slash || !slash[1])
		return false;
	*dir = xstrndup(key, (size_t)(slash - key));
	*name = slash + 1;
	return true;
}

/* ---- local directory ---- */

static char *local_path(const struct cache_store *s, const char *key,
			const char *suffix)
{
	return xasprintf("%s/%s%s", s->root, key, suffix);
}

/* Read a small object of the local store; FY_ENOTFOUND if missing. */
static int local_read(struct cache_store *s, const char *name, struct buf *out,
		      size_t cap)
{
	char *path = xasprintf("%s/%s", s->root, name);
	int err;

	buf_set_limit(out, cap);
	err = fs_read_file(out, path);
	free(path);
	return err;
}

/* ---- opening ---- */

int cache_store_open(struct cache_store **out, const struct cache_conf *conf)
{
	struct cache_store *s = xcalloc(1, sizeof(*s));
	int err = 0;

	s->kind = conf->store;
	if (s->kind == CACHE_LOCAL) {
		/* created by the first push (cache_store_begin) */
		s->root = xstrdup(conf->dir);
		s->where = xstrdup(conf->dir);
	} else {
		err = cache_s3_open(&s->s3, &conf->s3);
		if (!err)
			s->where = xstrdup(cache_s3_where(s->s3));
	}
	if (err < 0) {
		cache_store_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void cache_store_free(struct cache_store *s)
{
	if (!s)
		return;
	cache_s3_free(s->s3);
	free(s->root);
	free(s->where);
	free(s);
}

const char *cache_store_where(const struct cache_store *s)
{
	return s->where;
}

/* ---- objects, whatever the store ---- */

/* Read a small object; FY_ENOTFOUND when missing. */
static int obj_read(struct cache_store *s, const char *name, struct buf *out,
		    size_t cap)
{
	if (s->kind == CACHE_LOCAL)
		return local_read(s, name, out, cap);
	return cache_s3_get(s->s3, name, NULL, out, cap);
}

static int obj_write(struct cache_store *s, const char *name, const void *data,
		     size_t len)
{
	if (s->kind == CACHE_LOCAL) {
		char *path = xasprintf("%s/%s", s->root, name);
		int err = fs_write_file(path, data, len, 0600);

		free(path);
		return err;
	}
	return cache_s3_put(s->s3, name, data, len, -1, 0);
}

static int obj_remove(struct cache_store *s, const char *name)
{
	if (s->kind == CACHE_LOCAL) {
		char *path = xasprintf("%s/%s", s->root, name);
		int err = 0;

		if (unlink(path) < 0 && errno != ENOENT)
			err = err_errno("cannot remove '%s'", path);
		free(path);
		return err;
	}
	return cache_s3_delete(s->s3, name);
}

/* One stored object, as listed. */
struct object {
	char *name; /* relative to the store: "o/r/g/file" */
	uint64_t size;
	time_t mtime;
};

struct objects {
	struct object *v;
	size_t n, alloc;
};

static void objects_add(struct objects *o, const char *name, uint64_t size,
			time_t mtime)
{
	XGROW(o->v, o->alloc, o->n + 1);
	o->v[o->n].name = xstrdup(name);
	o->v[o->n].size = size;
	o->v[o->n].mtime = mtime;
	o->n++;
}

/* A listed S3 object (cache_s3_list_fn). */
static void add_object(void *payload, const char *name, uint64_t size,
		       time_t mtime)
{
	objects_add(payload, name, size, mtime);
}

static void objects_release(struct objects *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].name);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

/* Walk `rel` (below the root) `depth` more directory levels down. */
static int local_walk(struct cache_store *s, const char *rel, int depth,
		      struct objects *out)
{
	char *dir = *rel ? xasprintf("%s/%s", s->root, rel) : xstrdup(s->root);
	DIR *d = opendir(dir);
	struct dirent *de;
	int err = 0;

	if (!d) {
		err = errno == ENOENT ? 0 : err_errno("cannot list '%s'", dir);
		free(dir);
		return err;
	}
	while (!err) {
		struct stat st;
		char *name;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				err = err_errno("cannot list '%s'", dir);
			break;
		}
		if (de->d_name[0] == '.')
			continue; /* ".", "..", temporary files */
		name = *rel ? xasprintf("%s/%s", rel, de->d_name)
			    : xstrdup(de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0) {
			free(name);
			continue; /* removed meanwhile */
		}
		if (depth && S_ISDIR(st.st_mode))
			err = local_walk(s, name, depth - 1, out);
		else if (!depth && S_ISREG(st.st_mode))
			objects_add(out, name, (uint64_t)st.st_size,
				    st.st_mtime);
		free(name);
	}
	closedir(d);
	free(dir);
	return err;
}

/*
 * The objects under `under` ("" or "o/r/" or "o/r/g/"), whatever their
 * depth: the local walk goes to the files of the group directories.
 */
static int obj_list(struct cache_store *s, const char *under,
		    struct objects *out)
{
	if (s->kind == CACHE_LOCAL) {
		int slashes = 0;
		char *rel = xstrdup(under);
		size_t len = strlen(rel);
		int err;

		if (len && rel[len - 1] == '/')
			rel[len - 1] = '\0';
		for (const char *p = under; *p; p++)
			slashes += *p == '/';
		err = local_walk(s, rel, 3 - slashes, out);
		free(rel);
		return err;
	}
	return cache_s3_list(s->s3, under, add_object, out);
}

/* ---- finding an archive ---- */

/* The checksums of the record, or nothing when missing or altered. */
static void read_sums(struct cache_store *s, const char *dir,
		      const struct cache_meta *m, struct buf *out)
{
	char *name;
	char hex[65];
	int err;

	buf_reset(out);
	if (!m->sums)
		return;
	name = xasprintf("%s/%s", dir, m->sums);
	err = obj_read(s, name, out, SUMS_MAX);
	if (!err) {
		crypto_digest_hex(CRYPTO_SHA256, out->ptr, out->len, hex);
		if (strcmp(hex, m->sums_sha256))
			err = err_set(FY_EINVALID, "checksums altered");
	}
	if (err < 0) {
		log_debug("%s: no checksums: %s", name, err_msg());
		buf_reset(out);
	}
	free(name);
}

int cache_store_find(struct cache_store *s, const char *key, const char *tmpdir,
		     struct cache_hit *out, const atomic_bool *cancel)
{
	struct cache_hit h = CACHE_HIT_INIT;
	struct buf b = BUF_INIT;
	const char *base;
	char *dir = NULL, *name = NULL;
	int fd = -1, err;

	if (s->s3)
		cache_s3_cancel(s->s3, cancel);
	if (!split_key(key, &dir, &base))
		return err_set(FY_EINVALID, "bad cache key '%s'", key);
	name = xasprintf("%s.json", key);
	err = obj_read(s, name, &b, META_MAX);
	if (!err)
		err = cache_meta_parse(&h.meta, b.ptr, b.len);
	if (err < 0)
		goto out;
	free(name);
	name = xasprintf("%s/%s", dir, h.meta.archive);
	if (s->kind == CACHE_LOCAL) {
		struct stat st;

		h.path = xasprintf("%s/%s", s->root, name);
		if (stat(h.path, &st) < 0) {
			err = err_errno("cannot read the cache archive");
			goto out;
		}
		if ((uint64_t)st.st_size != h.meta.size) {
			err = err_set(FY_EINVALID,
				      "the cache archive is truncated: %llu "
				      "bytes of %llu",
				      (unsigned long long)st.st_size,
				      (unsigned long long)h.meta.size);
			goto out;
		}
	} else {
		h.path = xasprintf("%s/fetch.%s", tmpdir,
				   cache_format_ext(h.meta.format));
		h.downloaded = true;
		fd = open(h.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0600);
		if (fd < 0) {
			err = err_errno("cannot create '%s'", h.path);
			goto out;
		}
		err = cache_s3_download(s->s3, name, fd, h.meta.size);
		if (!err && close(fd) < 0)
			err = err_errno("cannot write '%s'", h.path);
		fd = -1;
		if (err < 0)
			goto out;
	}
	read_sums(s, dir, &h.meta, &h.sums);
	*out = h;
	memset(&h, 0, sizeof(h));
	buf_init(&h.sums);
	h.meta.paths = (struct svec)SVEC_INIT;
out:
	close_fd(&fd);
	cache_hit_release(&h);
	buf_release(&b);
	free(name);
	free(dir);
	if (s->s3)
		cache_s3_cancel(s->s3, NULL);
	return err;
}

int cache_store_touch(struct cache_store *s, const char *key)
{
	char *name;
	int err = 0;

	if (s->kind == CACHE_LOCAL) {
		char *path = local_path(s, key, ".json");

		if (utimensat(AT_FDCWD, path, NULL, 0) < 0)
			err = err_errno("cannot touch '%s'", path);
		free(path);
		return err;
	}
	name = xasprintf("%s.used", key);
	err = cache_s3_put(s->s3, name, "", 0, -1, 0);
	free(name);
	return err;
}

/* ---- storing ---- */

int cache_store_begin(struct cache_store *s, const char *key,
		      const char *tmpdir, char **path_out)
{
	char *dir = NULL, *path = NULL;
	const char *base;
	int fd, err;

	if (!split_key(key, &dir, &base))
		return err_set(FY_EINVALID, "bad cache key '%s'", key);
	if (s->kind == CACHE_LOCAL) {
		char *full = xasprintf("%s/%s", s->root, dir);

		err = fs_mkdir_p(full, 0700);
		if (err < 0) {
			free(full);
			free(dir);
			return err;
		}
		path = xasprintf("%s/.push-XXXXXX", full);
		free(full);
	} else {
		path = xasprintf("%s/push-XXXXXX", tmpdir);
	}
	free(dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		err = err_errno("cannot create '%s'", path);
		free(path);
		return err;
	}
	close(fd);
	*path_out = path;
	return 0;
}

void cache_store_abort(struct cache_store *s, const char *path)
{
	if (path)
		unlink(path);
}

/* The old record of `key`, if readable (to remove what it names). */
static void old_meta(struct cache_store *s, const char *key,
		     struct cache_meta *m)
{
	struct buf b = BUF_INIT;
	char *name = xasprintf("%s.json", key);

	if (!obj_read(s, name, &b, META_MAX))
		cache_meta_parse(m, b.ptr, b.len);
	free(name);
	buf_release(&b);
}

/* Put the archive file `path` in place as `name` (below the store). */
static int place_archive(struct cache_store *s, const char *path,
			 const char *name, uint64_t size)
{
	int fd, err;

	if (s->kind == CACHE_LOCAL) {
		char *to = xasprintf("%s/%s", s->root, name);

		err = rename(path, to) < 0 ? err_errno("cannot store '%s'", to)
					   : 0;
		free(to);
		return err;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno("cannot read '%s'", path);
	err = cache_s3_put(s->s3, name, NULL, 0, fd, size);
	close(fd);
	if (!err)
		unlink(path);
	return err;
}

int cache_store_commit(struct cache_store *s, const char *key, const char *path,
		       struct cache_meta *m, const struct buf *sums,
		       const atomic_bool *cancel)
{
	struct cache_meta old = CACHE_META_INIT;
	struct buf rec = BUF_INIT;
	char *dir = NULL, *name = NULL;
	const char *base;
	char id[17];
	int err;

	if (s->s3)
		cache_s3_cancel(s->s3, cancel);
	if (!split_key(key, &dir, &base)) {
		err = err_set(FY_EINVALID, "bad cache key '%s'", key);
		goto out;
	}
	snprintf(id, sizeof(id), "%.16s", m->sha256);
	free(m->archive);
	free(m->sums);
	m->archive =
		xasprintf("%s@%s.%s", base, id, cache_format_ext(m->format));
	m->sums = xasprintf("%s@%s.sums", base, id);
	crypto_digest_hex(CRYPTO_SHA256, sums->ptr, sums->len, m->sums_sha256);
	old_meta(s, key, &old);
	name = xasprintf("%s/%s", dir, m->archive);
	err = place_archive(s, path, name, m->size);
	free(name);
	name = xasprintf("%s/%s", dir, m->sums);
	if (!err)
		err = obj_write(s, name, sums->ptr, sums->len);
	free(name);
	name = xasprintf("%s.json", key);
	cache_meta_write(&rec, m);
	if (!err)
		err = obj_write(s, name, rec.ptr, rec.len);
	/* What the old record named goes, unless it is the same content. */
	if (!err && old.archive && strcmp(old.archive, m->archive)) {
		free(name);
		name = xasprintf("%s/%s", dir, old.archive);
		obj_remove(s, name);
	}
	if (!err && old.sums && strcmp(old.sums, m->sums)) {
		free(name);
		name = xasprintf("%s/%s", dir, old.sums);
		obj_remove(s, name);
	}
out:
	cache_meta_release(&old);
	buf_release(&rec);
	free(name);
	free(dir);
	if (s->s3)
		cache_s3_cancel(s->s3, NULL);
	return err;
}

/* ---- listing and eviction ---- */

void cache_entries_free(struct cache_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].key);
		free(e[i].repo);
		free(e[i].branch);
		free(e[i].name);
	}
	free(e);
}

/* "o/r/g/stem..." -> the key "o/r/g/stem", or NULL for a foreign name. */
static char *object_key(const char *name)
{
	const char *p = name, *base = name;
	int slashes = 0;
	size_t stem;

	for (; *p; p++)
		if (*p == '/') {
			slashes++;
			base = p + 1;
		}
	if (slashes != 3)
		return NULL;
	stem = strcspn(base, ".@");
	if (!stem || !base[stem])
		return NULL;
	if (strcmp(base + stem, ".json") && strcmp(base + stem, ".used") &&
	    base[stem] != '@')
		return NULL;
	return xstrndup(name, (size_t)(base - name) + stem);
}

static int cmp_objects(const void *a, const void *b)
{
	return strcmp(((const struct object *)a)->name,
		      ((const struct object *)b)->name);
}

/* The unescaped part `i` (0-3) of a key. */
static char *key_part(const char *key, int i)
{
	struct buf b = BUF_INIT;
	char *part;

	while (i-- > 0)
		key = strchr(key, '/') + 1;
	part = xstrndup(key, strcspn(key, "/"));
	if (cache_unescape(&b, part) < 0) {
		buf_reset(&b);
		buf_addstr(&b, part);
	}
	free(part);
	return buf_detach(&b, NULL);
}

int cache_store_list(struct cache_store *s, const char *repo,
		     const char *branch, struct cache_entry **out, size_t *n)
{
	struct objects objs = { 0 };
	struct cache_entry *e = NULL;
	struct buf under = BUF_INIT;
	size_t ne = 0, alloc = 0;
	int err;

	*out = NULL;
	*n = 0;
	if (repo) {
		char *k = cache_key(repo, branch ? branch : "x", "x");

		/* "o/r/" or "o/r/g/" */
		buf_add(&under, k, strlen(k) - (branch ? 1 : 3));
		free(k);
	}
	err = obj_list(s, under.ptr, &objs);
	buf_release(&under);
	if (err < 0)
		goto out;
	if (objs.n)
		qsort(objs.v, objs.n, sizeof(*objs.v), cmp_objects);
	for (size_t i = 0; i < objs.n; i++) {
		char *key = object_key(objs.v[i].name);
		const char *suffix;
		struct cache_entry *x;

		if (!key)
			continue;
		if (!ne || strcmp(e[ne - 1].key, key)) {
			XGROW(e, alloc, ne + 1);
			x = &e[ne++];
			memset(x, 0, sizeof(*x));
			x->key = key;
			x->repo = key_part(key, 0);
			{
				char *r = key_part(key, 1);
				char *full = xasprintf("%s/%s", x->repo, r);

				free(x->repo);
				free(r);
				x->repo = full;
			}
			x->branch = key_part(key, 2);
			x->name = key_part(key, 3);
		} else {
			x = &e[ne - 1];
			free(key);
		}
		suffix = objs.v[i].name + strlen(x->key);
		x->size += objs.v[i].size;
		if (!strcmp(suffix, ".json"))
			x->complete = true;
		if ((!strcmp(suffix, ".json") || !strcmp(suffix, ".used") ||
		     !x->complete) &&
		    objs.v[i].mtime > x->used)
			x->used = objs.v[i].mtime;
	}
	if (branch) {
		size_t k = 0;

		for (size_t i = 0; i < ne; i++) {
			if (!strcmp(e[i].branch, branch)) {
				e[k++] = e[i];
				continue;
			}
			free(e[i].key);
			free(e[i].repo);
			free(e[i].branch);
			free(e[i].name);
		}
		ne = k;
	}
	*out = e;
	*n = ne;
	e = NULL;
	ne = 0;
out:
	objects_release(&objs);
	cache_entries_free(e, ne);
	return err;
}

int cache_store_remove(struct cache_store *s, const char *key)
{
	struct objects objs = { 0 };
	char *dir = NULL;
	const char *base;
	int err;

	if (!split_key(key, &dir, &base))
		return err_set(FY_EINVALID, "bad cache key '%s'", key);
	{
		char *under = xasprintf("%s/", dir);

		err = obj_list(s, under, &objs);
		free(under);
	}
	for (size_t i = 0; !err && i < objs.n; i++) {
		char *k = object_key(objs.v[i].name);

		if (k && !strcmp(k, key))
			err = obj_remove(s, objs.v[i].name);
		free(k);
	}
	if (!err && s->kind == CACHE_LOCAL) {
		/* Empty directories go too (rmdir fails on the others). */
		char *path = xasprintf("%s/%s", s->root, dir);

		for (int i = 0; i < 3; i++) {
			char *up;

			if (rmdir(path) < 0)
				break;
			up = fs_dirname(path);
			free(path);
			path = up;
		}
		free(path);
	}
	objects_release(&objs);
	free(dir);
	return err;
}

static bool same_repo(const struct cache_entry *e, const char *repo)
{
	return repo && !strcmp(e->repo, repo);
}

/* The least recently used entry not yet gone (in `repo`, if given). */
static ptrdiff_t lru(const struct cache_entry *e, size_t n, const bool *gone,
		     const char *repo, const char *keep)
{
	ptrdiff_t best = -1;

	for (size_t i = 0; i < n; i++) {
		if (gone[i] || (keep && !strcmp(e[i].key, keep)) ||
		    (repo && !same_repo(&e[i], repo)))
			continue;
		if (best < 0 || e[i].used < e[best].used ||
		    (e[i].used == e[best].used &&
		     strcmp(e[i].key, e[best].key) < 0))
			best = (ptrdiff_t)i;
	}
	return best;
}

size_t cache_evict_plan(const struct cache_entry *e, size_t n, const char *repo,
			uint64_t repo_quota, uint64_t quota, const char *keep,
			size_t *victims)
{
	bool *gone = xcalloc(n ? n : 1, sizeof(*gone));
	uint64_t total = 0, in_repo = 0;
	size_t nv = 0;
	ptrdiff_t i;

	for (size_t k = 0; k < n; k++) {
		total += e[k].size;
		if (same_repo(&e[k], repo))
			in_repo += e[k].size;
	}
	while (repo && repo_quota && in_repo > repo_quota) {
		i = lru(e, n, gone, repo, keep);
		if (i < 0)
			break;
		gone[i] = true;
		victims[nv++] = (size_t)i;
		in_repo -= e[i].size;
		total -= e[i].size;
	}
	while (quota && total > quota) {
		i = lru(e, n, gone, NULL, keep);
		if (i < 0)
			break;
		gone[i] = true;
		victims[nv++] = (size_t)i;
		total -= e[i].size;
	}
	free(gone);
	return nv;
}

int cache_store_enforce(struct cache_store *s, const struct cache_conf *conf,
			const char *repo, const char *keep, size_t *removed)
{
	struct cache_entry *e = NULL;
	size_t n = 0, nv, *victims = NULL;
	int err;

	if (removed)
		*removed = 0;
	if (!conf->quota && !conf->repo_quota)
		return 0;
	err = cache_store_list(s, conf->quota ? NULL : repo, NULL, &e, &n);
	if (err < 0)
		return err;
	victims = xcalloc(n ? n : 1, sizeof(*victims));
	nv = cache_evict_plan(e, n, repo, conf->repo_quota, conf->quota, keep,
			      victims);
	for (size_t i = 0; !err && i < nv; i++) {
		log_info("cache: evicting '%s' (%llu bytes, last used %lld)",
			 e[victims[i]].key,
			 (unsigned long long)e[victims[i]].size,
			 (long long)e[victims[i]].used);
		err = cache_store_remove(s, e[victims[i]].key);
		if (!err && removed)
			(*removed)++;
	}
	free(victims);
	cache_entries_free(e, n);
	return err;
}
