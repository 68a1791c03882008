/*
 * cache_job_fetch.c: the "fetch" hand-off: find the job's archive in the
 * store, check its checksum while it streams, and restore it into the
 * container, straight from the store when the engine takes its format,
 * else through a tree on this host.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "cache_job_int.h"
#include "crypto.h"
#include "docker.h"
#include "error.h"
#include "fs.h"
#include "log.h"
#include "tarball.h"
#include "val.h"
#include "xalloc.h"

#define CHUNK (256 * 1024)

/* Reading an archive file, stopping when told to; with `h`, its SHA-256
 * is computed on the way. */
struct archive_read {
	int fd;
	struct crypto_hash *h;
	const struct watch *w;
};

static int archive_open(struct archive_read *r, const char *path, bool hash,
			const struct watch *w)
{
	r->w = w;
	r->h = NULL;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return err_errno("cannot read the cache archive");
	if (hash)
		r->h = crypto_hash_new(CRYPTO_SHA256);
	return 0;
}

static int archive_pull(void *dst, size_t cap, size_t *got, void *payload)
{
	struct archive_read *r = payload;
	ssize_t n;

	*got = 0;
	if (atomic_load(&r->w->stop))
		return cache_job_stopped(r->w);
	do
		n = read(r->fd, dst, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno("cannot read the cache archive");
	if (r->h)
		crypto_hash_update(r->h, dst, (size_t)n);
	*got = (size_t)n;
	return 0;
}

/*
 * Read what is left of the archive (a reader may stop before the end),
 * compare its SHA-256 with the one recorded, and close it; `err` is the
 * reading so far.
 */
static int archive_check(struct archive_read *r, const struct cache_hit *hit,
			 int err)
{
	unsigned char digest[CRYPTO_MAX_DIGEST];
	char hex[65], *chunk = xmalloc(CHUNK);
	size_t got;

	while (!err) {
		err = archive_pull(chunk, CHUNK, &got, r);
		if (!got)
			break;
	}
	if (!err) {
		crypto_hash_final(r->h, digest);
		crypto_hex(hex, digest, 32);
		if (strcmp(hex, hit->meta.sha256))
			err = err_set(FY_EINVALID,
				      "the cache archive does not match its "
				      "checksum");
	}
	crypto_hash_free(r->h);
	close(r->fd);
	free(chunk);
	return err;
}

/* Extract the archive into `tree`, checking its SHA-256. */
static int extract_hit(const char *tree, const struct cache_hit *hit,
		       const struct watch *w)
{
	struct archive_read r;
	int err = archive_open(&r, hit->path, true, w);

	if (err < 0)
		return err;
	return archive_check(&r, hit,
			     tarball_extract(tree, 0, archive_pull, &r));
}

struct checked_pack {
	struct tarball_pack *p;
	const struct watch *w;
};

static int checked_pull(void *dst, size_t cap, size_t *got, void *payload)
{
	struct checked_pack *c = payload;

	if (atomic_load(&c->w->stop)) {
		*got = 0;
		return cache_job_stopped(c->w);
	}
	return tarball_pack_read(c->p, dst, cap, got);
}

/* Check the archive's SHA-256 before anything of it goes anywhere. */
static int verify(const struct cache_hit *hit, const struct watch *w)
{
	struct archive_read r;
	int err = archive_open(&r, hit->path, true, w);

	return err < 0 ? err : archive_check(&r, hit, 0);
}

/* The archive as it is into the container: the engine extracts it. */
static int restore_direct(const struct cache_ctx *ctx, struct docker *d,
			  const struct cache_hit *hit, const struct watch *w)
{
	struct archive_read r;
	int err = archive_open(&r, hit->path, false, w);

	if (err < 0)
		return err;
	err = docker_archive_put(d, ctx->container, "/", false, archive_pull,
				 &r);
	close(r.fd);
	return err;
}

/*
 * A format the engine cannot read: extracted here (checking it), then
 * the directories it holds uploaded as a plain tar.
 */
static int restore_via_host(struct cache_job *cj, const struct cache_ctx *ctx,
			    struct docker *d, const struct cache_hit *hit,
			    const struct watch *w)
{
	struct tarball_opts o = TARBALL_OPTS_INIT;
	struct checked_pack cp = { NULL, w };
	char *tree = cache_job_mem_dir(cj, hit->meta.content,
				       cache_job_count_lines(&hit->sums));
	bool in_memory = tree != NULL;
	size_t n = 0;
	int err;

	if (!tree) {
		tree = fs_join(cj->tmp, "tree");
		fs_rm_rf(tree);
	}
	err = extract_hit(tree, hit, w);
	if (!err)
		err = cache_job_check_room(tree);
	if (!err) {
		o.uid = o.gid = 0;
		err = tarball_pack_new(&cp.p, &o);
	}
	/* only what the archive holds: never the parents' modes */
	for (size_t i = 0; !err && i < hit->meta.paths.n; i++) {
		const char *p = hit->meta.paths.v[i];
		char *host = xasprintf("%s%s", tree, p);

		if (*p == '/' && !strstr(p, "/..") && fs_exists(host)) {
			err = tarball_pack_add(cp.p, host, p + 1);
			n++;
		}
		free(host);
	}
	if (!err && n)
		err = docker_archive_put(d, ctx->container, "/", false,
					 checked_pull, &cp);
	tarball_pack_free(cp.p);
	cache_job_drop_tree(&tree, in_memory);
	return err;
}

/*
 * Restore the whole archive into the container: directly when the engine
 * reads its format (checked first), else through the host.
 */
static int restore(struct cache_job *cj, const struct cache_ctx *ctx,
		   struct docker *d, const struct cache_hit *hit,
		   const struct watch *w)
{
	int err;

	if (!cache_job_engine_takes(d, hit->meta.format))
		return restore_via_host(cj, ctx, d, hit, w);
	err = verify(hit, w);
	if (!err)
		err = restore_direct(ctx, d, hit, w);
	if (err < 0 && hit->meta.format == TARBALL_TAR_ZST &&
	    !atomic_load(&w->stop) && err != FY_EINVALID) {
		/* an engine that does not read zstd after all */
		log_debug("cache: the engine refused zstd: %s", err_msg());
		err = restore_via_host(cj, ctx, d, hit, w);
	}
	return err;
}

int cache_job_fetch(struct cache_job *cj, const struct cache_ctx *ctx,
		    struct docker *d, const struct watch *w)
{
	const char *ext = cache_format_ext(cache_job_push_format(cj, d));
	struct cache_hit hit = CACHE_HIT_INIT;
	char *key = NULL;
	bool found = false;
	int err;

	ctx->say(ctx->payload, "attempting to download cache archive\n");
	err = cache_job_open_store(cj);
	if (err < 0) {
		cache_job_warn(ctx, "%s", err_msg());
		ctx->say(ctx->payload, "could not download cache\n");
		return 0;
	}
	for (size_t i = 0; !found && i < cj->groups.n; i++) {
		free(key);
		key = cache_key(cj->repo, cj->groups.v[i], cj->name);
		ctx->say(ctx->payload, "fetching %s/%s.%s\n", cj->groups.v[i],
			 cj->name, ext);
		err = cache_store_find(cj->store, key, cj->tmp, &hit, &w->stop);
		if (!err) {
			found = true;
		} else if (atomic_load(&w->stop)) {
			goto out;
		} else if (err != FY_ENOTFOUND) {
			cache_job_warn(ctx, "cannot use the cache of %s: %s",
				       cj->groups.v[i], err_msg());
		}
	}
	err = 0;
	if (!found) {
		ctx->say(ctx->payload, "could not download cache\n");
		goto out;
	}
	ctx->say(ctx->payload, "found cache\n");
	err = restore(cj, ctx, d, &hit, w);
	if (err < 0) {
		if (atomic_load(&w->stop))
			goto out;
		cache_job_warn(ctx,
			       "the cache archive cannot be used: %s; going on "
			       "without it",
			       err_msg());
		err = 0;
		goto out;
	}
	cj->fetched = true;
	cj->content = hit.meta.content;
	buf_reset(&cj->sums);
	buf_add(&cj->sums, hit.sums.ptr, hit.sums.len);
	if (cache_store_touch(cj->store, key) < 0)
		log_debug("cache: %s", err_msg());
out:
	cache_hit_release(&hit);
	free(key);
	return err;
}
