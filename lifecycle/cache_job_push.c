/*
 * cache_job_push.c: the "add" and "push" hand-offs: record the
 * directories to cache, copy them out of the container, compare their
 * checksums with the fetched archive's and store a new archive when they
 * changed.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "cache_job_int.h"
#include "crypto.h"
#include "docker.h"
#include "error.h"
#include "fs.h"
#include "log.h"
#include "svec.h"
#include "tarball.h"
#include "val.h"
#include "xalloc.h"

#define PATHS_MAX  (1u << 20)	/* the list of directories to add */
#define SUMS_MAX   (256u << 20) /* checksums of what is pushed */
#define DIFF_SHOWN 1000		/* bytes of changed paths shown (casher) */

/* "/a/./b/../c/" -> "/a/c"; NULL for a relative path or "/". */
static char *clean_path(const char *p)
{
	struct svec parts = SVEC_INIT, keep = SVEC_INIT;
	char *joined, *out = NULL;

	if (*p != '/')
		return NULL;
	svec_split(&parts, p, "/", true);
	for (size_t i = 0; i < parts.n; i++) {
		if (!strcmp(parts.v[i], "."))
			continue;
		if (!strcmp(parts.v[i], "..")) {
			if (keep.n)
				svec_pop(&keep);
			continue;
		}
		svec_push(&keep, parts.v[i]);
	}
	if (keep.n) {
		joined = svec_join(&keep, "/");
		out = xasprintf("/%s", joined);
		free(joined);
	}
	svec_release(&parts);
	svec_release(&keep);
	return out;
}

/* Whether `p` or a directory above it was added already. */
static bool covered(const struct svec *paths, const char *p)
{
	for (size_t i = 0; i < paths->n; i++) {
		size_t n = strlen(paths->v[i]);

		if (!strncmp(p, paths->v[i], n) && (!p[n] || p[n] == '/'))
			return true;
	}
	return false;
}

/* Read a file of the container's ~/.ferry (hand-off arguments). */
static int read_ferry_file(const struct cache_job *cj,
			   const struct cache_ctx *ctx, struct docker *d,
			   const char *name, struct buf *out)
{
	char *dir = fs_join(cj->tmp, "in"), *path = NULL, *local = NULL;
	int err;

	fs_rm_rf(dir);
	path = xasprintf("%s/.ferry/%s", ctx->home, name);
	err = docker_archive_get(d, ctx->container, path, dir);
	if (!err) {
		local = fs_join(dir, name);
		buf_set_limit(out, PATHS_MAX);
		err = fs_read_file(out, local);
	}
	fs_rm_rf(dir);
	free(dir);
	free(path);
	free(local);
	return err;
}

/*
 * Record the directories of a `ferry_cache_add` (restored already, with
 * the whole archive, at the fetch).
 */
int cache_job_add(struct cache_job *cj, const struct cache_ctx *ctx,
		  struct docker *d, const char *arg)
{
	struct buf list = BUF_INIT;
	int err;

	/* "list:" paths joined by \x1f, or "file:" NAME of ~/.ferry */
	if (!strncmp(arg, "list:", 5)) {
		buf_addstr(&list, arg + 5);
		for (size_t i = 0; i < list.len; i++)
			if (list.ptr[i] == '\x1f')
				list.ptr[i] = '\0';
		err = 0;
	} else if (!strncmp(arg, "file:", 5) && arg[5] && arg[5] != '.' &&
		   !strchr(arg + 5, '/')) {
		log_debug("cache: the paths are in '%s'", arg + 5);
		err = read_ferry_file(cj, ctx, d, arg + 5, &list);
	} else {
		return err_set(FY_EINVALID, "bad cache-add argument '%s'", arg);
	}
	for (size_t i = 0; !err && i < list.len;) {
		const char *p = list.ptr + i;
		char *clean;

		i += strnlen(p, list.len - i) + 1;
		clean = clean_path(p);
		if (clean && !covered(&cj->paths, clean))
			svec_push(&cj->paths, clean);
		free(clean);
	}
	buf_release(&list);
	return err;
}

/* Writing the new archive: to a file, with its size and SHA-256. */
struct hashed_write {
	int fd;
	struct crypto_hash *h;
	uint64_t size;
	const struct watch *w;
};

static int hashed_push(const void *data, size_t len, void *payload)
{
	struct hashed_write *hw = payload;

	if (atomic_load(&hw->w->stop))
		return cache_job_stopped(hw->w);
	crypto_hash_update(hw->h, data, len);
	hw->size += len;
	return fs_write_all(hw->fd, data, len);
}

/* Pack the trees copied out of the container into `path`. */
static int pack_push(struct cache_job *cj, enum tarball_format format,
		     const struct svec *hosts, const struct svec *paths,
		     const char *path, struct cache_meta *m,
		     const struct watch *w)
{
	struct tarball_opts o = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	struct hashed_write hw = { -1, NULL, 0, w };
	unsigned char digest[CRYPTO_MAX_DIGEST];
	int err;

	o.format = format;
	o.level = cj->conf.level;
	if (!o.level && format == TARBALL_TAR_GZ)
		o.level = 1; /* fast: caches are often compressed already */
	o.uid = o.gid = 0;
	hw.fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (hw.fd < 0)
		return err_errno("cannot write '%s'", path);
	hw.h = crypto_hash_new(CRYPTO_SHA256);
	err = tarball_pack_new(&p, &o);
	for (size_t i = 0; !err && i < hosts->n; i++)
		err = tarball_pack_add(p, hosts->v[i], paths->v[i] + 1);
	if (!err)
		err = tarball_pack_write(p, hashed_push, &hw);
	if (!err && fsync(hw.fd) < 0)
		err = err_errno("cannot write '%s'", path);
	if (close(hw.fd) < 0 && !err)
		err = err_errno("cannot write '%s'", path);
	if (!err) {
		crypto_hash_final(hw.h, digest);
		crypto_hex(m->sha256, digest, 32);
		m->size = hw.size;
		m->format = o.format;
	}
	crypto_hash_free(hw.h);
	tarball_pack_free(p);
	return err;
}

static void say_changes(const struct cache_job *cj, const struct cache_ctx *ctx,
			const struct buf *now)
{
	struct buf list = BUF_INIT;
	bool more;

	cache_manifest_diff(&list, cj->sums.ptr, cj->sums.len, now->ptr,
			    now->len, DIFF_SHOWN);
	more = list.len >= 4 && !strcmp(list.ptr + list.len - 4, "\n...");
	if (more)
		buf_setlen(&list, list.len - 4);
	ctx->say(ctx->payload,
		 "change detected (content changed, file is created, or file "
		 "is deleted):\n%s\n\n%s",
		 list.ptr, more ? "...\n\n" : "\n");
	buf_release(&list);
}

/* Copy the added directories out and take their checksums. */
static int copy_out(struct cache_job *cj, const struct cache_ctx *ctx,
		    struct docker *d, const char *dir, struct svec *hosts,
		    struct svec *paths, struct buf *sums, uint64_t *bytes,
		    const struct watch *w)
{
	int err = 0;

	for (size_t i = 0; !err && i < cj->paths.n; i++) {
		const char *p = cj->paths.v[i];
		char *sub = xasprintf("%s/%zu", dir, i), *host;

		err = docker_archive_get(d, ctx->container, p, sub);
		/* a failed copy on a full filesystem: say so */
		if (err != FY_ENOTFOUND && cache_job_check_room(sub) < 0)
			err = FY_EFAIL;
		if (err == FY_ENOTFOUND) {
			/* gone (before_cache may remove things) */
			log_debug("cache: '%s' is not in the container", p);
			free(sub);
			err = 0;
			continue;
		}
		host = fs_join(sub, fs_basename(p));
		free(sub);
		if (!err)
			err = cache_manifest(sums, host, p, bytes, &w->stop);
		if (!err) {
			svec_push(hosts, host);
			svec_push(paths, p);
		}
		free(host);
	}
	if (!err)
		cache_manifest_sort(sums);
	return err;
}

int cache_job_push(struct cache_job *cj, const struct cache_ctx *ctx,
		   struct docker *d, const struct watch *w)
{
	const char *group = cj->groups.v[0];
	enum tarball_format format = cache_job_push_format(cj, d);
	const char *ext = cache_format_ext(format);
	struct cache_meta m = CACHE_META_INIT;
	struct svec hosts = SVEC_INIT, paths = SVEC_INIT;
	struct buf sums = BUF_INIT;
	char *dir = NULL, *key = NULL, *archive = NULL;
	bool in_memory = false;
	size_t evicted = 0;
	int err;

	/* about the size of what was fetched, if anything was */
	if (cj->fetched)
		dir = cache_job_mem_dir(cj, cj->content,
					cache_job_count_lines(&cj->sums));
	in_memory = dir != NULL;
	if (!dir) {
		dir = fs_join(cj->tmp, "push");
		fs_rm_rf(dir);
	}
	buf_set_limit(&sums, SUMS_MAX);
	err = copy_out(cj, ctx, d, dir, &hosts, &paths, &sums, &m.content, w);
	if (err < 0 && in_memory && !atomic_load(&w->stop)) {
		/* grown past the room in memory: again, on the disk */
		log_debug("cache: in memory: %s", err_msg());
		cache_job_drop_tree(&dir, in_memory);
		in_memory = false;
		dir = fs_join(cj->tmp, "push");
		fs_rm_rf(dir);
		svec_release(&hosts);
		svec_release(&paths);
		buf_reset(&sums);
		m.content = 0;
		err = copy_out(cj, ctx, d, dir, &hosts, &paths, &sums,
			       &m.content, w);
	}
	if (err < 0)
		goto out;
	if (cj->fetched && sums.len == cj->sums.len &&
	    !memcmp(sums.ptr, cj->sums.ptr, sums.len)) {
		ctx->say(ctx->payload, "nothing changed, not updating cache\n");
		goto out;
	}
	if (cj->fetched)
		say_changes(cj, ctx, &sums);
	ctx->say(ctx->payload, "changes detected, packing new archive\n");
	err = cache_job_open_store(cj);
	key = cache_key(cj->repo, group, cj->name);
	if (!err)
		err = cache_store_begin(cj->store, key, cj->tmp, &archive);
	if (!err)
		err = pack_push(cj, format, &hosts, &paths, archive, &m, w);
	if (err < 0)
		goto out;
	if ((cj->conf.repo_quota && m.size > cj->conf.repo_quota) ||
	    (cj->conf.quota && m.size > cj->conf.quota)) {
		cache_job_warn(
			ctx,
			"the cache archive (%llu MiB) is larger than the cache "
			"quota; not storing it",
			(unsigned long long)(m.size >> 20));
		goto out;
	}
	for (size_t i = 0; i < paths.n; i++)
		svec_push(&m.paths, paths.v[i]);
	m.created = time(NULL);
	ctx->say(ctx->payload, "uploading %s/%s.%s\n", group, cj->name, ext);
	err = cache_store_commit(cj->store, key, archive, &m, &sums, &w->stop);
	if (err < 0) {
		if (!atomic_load(&w->stop))
			ctx->say(ctx->payload, "failed to upload cache\n");
		goto out;
	}
	free(archive);
	archive = NULL;
	ctx->say(ctx->payload, "cache uploaded\n");
	if (cache_store_enforce(cj->store, &cj->conf, cj->repo, key, &evicted) <
	    0)
		log_warn("cache: quota: %s", err_msg());
	else if (evicted)
		log_info("cache: %zu least recently used caches removed to "
			 "stay within the quota",
			 evicted);
out:
	if (archive && cj->store)
		cache_store_abort(cj->store, archive);
	free(archive);
	cache_job_drop_tree(&dir, in_memory);
	free(key);
	cache_meta_release(&m);
	svec_release(&hosts);
	svec_release(&paths);
	buf_release(&sums);
	return err;
}
