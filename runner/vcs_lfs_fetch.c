#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "fs.h"
#include "http.h"
#include "json.h"
#include "svec.h"
#include "val.h"
#include "vcs.h"
#include "vcs_int.h"
#include "vcs_lfs.h"
#include "xalloc.h"

/*
 * vcs_lfs_fetch.c: putting Git LFS content in a work tree (see
 * vcs_lfs.h): the endpoint's credentials, the cache and the stores, the
 * batch request and the downloads, verified, a few at a time.
 */

#define LFS_BATCH_BODY_MAX (1u << 20) /* a batch answer */
#define LFS_ERROR_BODY_MAX (64u << 10)
#define LFS_TRIES	   3
#define LFS_STALL_MS	   60000 /* a download that moves nothing this long */

static bool is_alpha(int c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_http(const char *scheme)
{
	return scheme && (!strcmp(scheme, "https") || !strcmp(scheme, "http"));
}

/* ---- the endpoint and its credentials ---------------------------------------- */

static const char *default_port(const char *scheme)
{
	return scheme && !strcmp(scheme, "http") ? "80" : "443";
}

/* Is the endpoint `e` where the remote `r` is (credentials may go)? */
static bool same_server(const struct vcs_url *e, const struct vcs_url *r)
{
	const char *ep, *rp;

	if (!e->host || !r->host || strcasecmp(e->host, r->host))
		return false;
	ep = e->port && *e->port ? e->port : default_port(e->scheme);
	if (!is_http(r->scheme)) /* ssh, git: the https of the host */
		return !strcmp(e->scheme, "https") && !strcmp(ep, "443");
	rp = r->port && *r->port ? r->port : default_port(r->scheme);
	return !strcmp(e->scheme, r->scheme) && !strcmp(ep, rp);
}

void vcs_lfs_fetch_endpoint(struct vcs_lfs_fetch *f, const char *lfs_url,
			    const char *remote_url,
			    const struct vcs_remote_opts *ropts)
{
	struct vcs_url e, r;
	char *raw = lfs_url	 ? xstrdup(lfs_url)
		    : remote_url ? vcs_lfs_endpoint(remote_url)
				 : NULL;
	const char *user = NULL, *pass = NULL, *token;

	if (!raw)
		return;
	vcs_url_parse(&e, raw);
	vcs_url_parse(&r, remote_url ? remote_url : "");
	if (!is_http(e.scheme) || !e.host || !*e.host)
		goto out;
	f->endpoint = vcs_url_strip_auth(raw);
	while (*f->endpoint && f->endpoint[strlen(f->endpoint) - 1] == '/')
		f->endpoint[strlen(f->endpoint) - 1] = '\0';
	if (e.user && e.pass) {
		user = e.user;
		pass = e.pass;
	} else if (remote_url && same_server(&e, &r)) {
		token = vcs_token(ropts);
		if (is_http(r.scheme)) {
			user = r.user;
			pass = r.pass;
		}
		if (!pass && token) {
			pass = token;
			if (!user)
				user = ropts && ropts->username
					       ? ropts->username
					       : "x-access-token";
		}
	}
	if (user && pass) {
		f->user = xstrdup(user);
		f->pass = xstrdup(pass);
	}
out:
	explicit_bzero(raw, strlen(raw));
	free(raw);
	vcs_url_release(&e);
	vcs_url_release(&r);
}

/* ---- the fetch ------------------------------------------------------------- */

void vcs_lfs_fetch_add(struct vcs_lfs_fetch *f, const char *path,
		       const struct vcs_lfs_pointer *ptr)
{
	XGROW(f->files, f->alloc, f->n + 1);
	f->files[f->n].path = xstrdup(path);
	f->files[f->n].ptr = *ptr;
	f->n++;
}

void vcs_lfs_fetch_release(struct vcs_lfs_fetch *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->files[i].path);
	free(f->files);
	free(f->dir);
	svec_release(&f->stores);
	free(f->endpoint);
	free(f->user);
	if (f->pass)
		explicit_bzero(f->pass, strlen(f->pass));
	free(f->pass);
	memset(f, 0, sizeof(*f));
	f->stores.v = svec_empty;
}

enum file_state { FS_TODO, FS_CACHED, FS_DOWNLOADED, FS_KEPT };

/* An object to download, and what became of it. */
struct want {
	const struct vcs_lfs_pointer *ptr;
	char *href;
	struct svec headers;
	char *why; /* the failure; NULL once it is in the cache */
};

struct run {
	struct vcs_lfs_fetch *f;
	char *objects; /* <dir>/objects: looked up first */
	char *store;   /* objects/ that downloads go to */
	char *tmp;     /* their temporary files */
	char *scratch; /* a private directory when <dir> is unusable */
	enum file_state *state;
	char **why;
	struct want *wants;
	size_t nw;
	size_t next; /* the next want to download (under mu) */
	pthread_mutex_t mu;
};

static char *obj_path(const char *objects, const char *oid)
{
	return xasprintf("%s/%.2s/%.2s/%s", objects, oid, oid + 2, oid);
}

static void pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* Worth another try: the transport failed or the server is busy. */
static bool retryable(int err, long status)
{
	if (err < 0)
		return err == FY_EFAIL || err == FY_ETIMEOUT;
	return status == 429 || (status >= 500 && status <= 504);
}

static void wipe_headers(struct svec *h)
{
	for (size_t i = 0; i < h->n; i++)
		explicit_bzero(h->v[i], strlen(h->v[i]));
	svec_release(h);
}

static void add_auth(struct svec *h, const struct vcs_lfs_fetch *f)
{
	struct buf up = BUF_INIT, b64 = BUF_INIT;

	buf_addf(&up, "%s:%s", f->user, f->pass);
	crypto_base64_encode(&b64, up.ptr, up.len);
	svec_pushf(h, "Authorization: Basic %s", b64.ptr);
	buf_release_secure(&up);
	buf_release_secure(&b64);
}

static bool has_header(const struct svec *h, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < h->n; i++)
		if (!strncasecmp(h->v[i], name, n) && h->v[i][n] == ':')
			return true;
	return false;
}

/* Are two URLs on the same scheme, host and port? */
static bool same_origin(const char *a, const char *b)
{
	struct vcs_url ua, ub;
	bool same;

	vcs_url_parse(&ua, a);
	vcs_url_parse(&ub, b);
	same = is_http(ua.scheme) && is_http(ub.scheme) &&
	       !strcmp(ua.scheme, ub.scheme) && ua.host && ub.host &&
	       !strcasecmp(ua.host, ub.host) &&
	       !strcmp(ua.port ? ua.port : default_port(ua.scheme),
		       ub.port ? ub.port : default_port(ub.scheme));
	vcs_url_release(&ua);
	vcs_url_release(&ub);
	return same;
}

/*
 * Copy the object file `src` over the pointer file of `file`, through a
 * temporary file beside it, checking size and SHA-256 on the way.
 * FY_EINVALID when `src` does not hold the object; other codes when the
 * work tree cannot be written.
 */
static int place(const struct vcs_lfs_fetch *f, const struct vcs_lfs_file *file,
		 const char *src)
{
	struct crypto_hash *h = crypto_hash_new(CRYPTO_SHA256);
	unsigned char md[CRYPTO_MAX_DIGEST];
	char hex[CRYPTO_MAX_HEX], chunk[65536];
	char *full = fs_join(f->workdir, file->path);
	char *dir = fs_dirname(full);
	char *tmp = xasprintf("%s/.ferry-lfs-XXXXXX", dir);
	uint64_t got = 0;
	struct stat st;
	int in = -1, out = -1, err = 0;

	/* no symlink on the way: the work tree is the repository's */
	for (const char *s = strchr(file->path, '/'); s;
	     s = strchr(s + 1, '/')) {
		char *part = xasprintf("%s/%.*s", f->workdir,
				       (int)(s - file->path), file->path);

		if (lstat(part, &st) < 0 || !S_ISDIR(st.st_mode))
			err = err_set(FY_EFAIL, "'%s' is not a directory",
				      part);
		free(part);
		if (err < 0)
			goto out;
	}
	if (lstat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = err_set(FY_EFAIL, "'%s' is not a file", full);
		goto out;
	}
	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0) {
		err = err_errno("cannot open '%s'", src);
		goto out;
	}
	out = mkostemp(tmp, O_CLOEXEC);
	if (out < 0) {
		err = err_errno("cannot create a file in '%s'", dir);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = err_errno("cannot read '%s'", src);
			goto out;
		}
		if (!n)
			break;
		got += (uint64_t)n;
		if (got > file->ptr.size)
			break;
		crypto_hash_update(h, chunk, (size_t)n);
		err = fs_write_all(out, chunk, (size_t)n);
		if (err < 0)
			goto out;
	}
	crypto_hash_final(h, md);
	crypto_hex(hex, md, 32);
	if (got != file->ptr.size || strcmp(hex, file->ptr.oid)) {
		err = err_set(FY_EINVALID, "'%s' does not hold the object",
			      src);
		goto out;
	}
	if (fchmod(out, st.st_mode & 0777) < 0) {
		err = err_errno("cannot write '%s'", tmp);
		goto out;
	}
	err = close(out);
	out = -1;
	if (err < 0) {
		err = err_errno("cannot write '%s'", tmp);
		goto out;
	}
	if (rename(tmp, full) < 0)
		err = err_errno("cannot replace '%s'", full);
out:
	if (err < 0 && tmp)
		unlink(tmp);
	close_fd(&in);
	close_fd(&out);
	crypto_hash_free(h);
	free(tmp);
	free(dir);
	free(full);
	return err;
}

/*
 * Put file i in place (state `done`) from the objects directory `only`,
 * or when NULL from the cache then the stores.  An object that turns out
 * corrupt is skipped, and removed when it is in the cache; a work tree
 * that cannot be written ends the file (FS_KEPT).
 */
static void from_stores(struct run *r, size_t i, const char *only,
			enum file_state done)
{
	const struct vcs_lfs_file *file = &r->f->files[i];
	size_t n = only ? 1 : 1 + r->f->stores.n;

	for (size_t s = 0; s < n && r->state[i] == FS_TODO; s++) {
		const char *dir = only ? only
				  : s  ? r->f->stores.v[s - 1]
				       : r->objects;
		char *path;
		struct stat st;
		int err;

		if (!dir)
			continue;
		path = obj_path(dir, file->ptr.oid);
		if (lstat(path, &st) || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size != file->ptr.size) {
			free(path);
			continue;
		}
		err = place(r->f, file, path);
		if (!err) {
			r->state[i] = done;
		} else if (err == FY_EINVALID) {
			if (dir == r->objects || dir == r->store)
				unlink(path);
		} else {
			r->state[i] = FS_KEPT;
			r->why[i] = xstrdup(err_msg());
		}
		free(path);
	}
}

/* Where downloads go: <dir>/objects, else a private directory. */
static void prepare_store(struct run *r)
{
	char *objects = xasprintf("%s/objects", r->f->dir);
	char *tmp = xasprintf("%s/tmp", r->f->dir);

	if (!fs_mkdir_p(objects, 0755) && !fs_mkdir_p(tmp, 0755)) {
		r->store = objects;
		r->tmp = tmp;
		return;
	}
	free(objects);
	free(tmp);
	if (fs_tmpdir(&r->scratch, "ferry-lfs") < 0)
		return;
	r->store = xasprintf("%s/objects", r->scratch);
	r->tmp = xasprintf("%s/tmp", r->scratch);
	if (fs_mkdir_p(r->store, 0700) < 0 || fs_mkdir_p(r->tmp, 0700) < 0) {
		free(r->store);
		r->store = NULL;
	}
}

/* A download's body: into the temporary file, hashed and counted. */
struct sink {
	int fd;
	struct crypto_hash *h;
	uint64_t got, size;
};

static int sink_write(const void *data, size_t len, void *payload)
{
	struct sink *s = payload;

	if (s->got + len > s->size)
		return err_set(FY_ETOOBIG, "more than the object's %llu bytes",
			       (unsigned long long)s->size);
	s->got += len;
	crypto_hash_update(s->h, data, len);
	return fs_write_all(s->fd, data, len);
}

/* `what` and err_msg() without URLs (a download URL's query may be a
 * credential). */
static char *msg_without_urls(const char *what)
{
	struct buf b = BUF_INIT;
	const char *m = err_msg();

	buf_addstr(&b, what);
	while (*m) {
		const char *u = strstr(m, "://"), *end;

		while (u && u > m && is_alpha(u[-1]))
			u--;
		if (!u) {
			buf_addstr(&b, m);
			break;
		}
		end = u + strcspn(u, " \t");
		if (end > u && end[-1] == ':')
			end--;
		buf_add(&b, m, (size_t)(u - m));
		buf_addstr(&b, "the download URL");
		m = end;
	}
	return buf_detach(&b, NULL);
}

/* Check what arrived and move it into the store. */
static char *download_done(struct run *r, struct want *w, struct sink *s,
			   const char *tmp)
{
	unsigned char md[CRYPTO_MAX_DIGEST];
	char hex[CRYPTO_MAX_HEX];
	char *dest, *dir;
	char *why = NULL;

	crypto_hash_final(s->h, md);
	crypto_hex(hex, md, 32);
	if (s->got != w->ptr->size)
		return xasprintf("the download has %llu bytes, not %llu; not "
				 "cached",
				 (unsigned long long)s->got,
				 (unsigned long long)w->ptr->size);
	if (strcmp(hex, w->ptr->oid))
		return xasprintf("the downloaded content does not match the "
				 "object (its SHA-256 is %s); not cached",
				 hex);
	dest = obj_path(r->store, w->ptr->oid);
	dir = fs_dirname(dest);
	if (fs_mkdir_p(dir, 0755) < 0 || rename(tmp, dest) < 0)
		why = xasprintf("cannot store it in '%s'", r->store);
	free(dir);
	free(dest);
	return why;
}

static void download(struct run *r, struct http_client *c, struct want *w)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct svec headers = SVEC_INIT;
	struct sink s = { -1, NULL, 0, w->ptr->size };
	char *tmp = xasprintf("%s/%s-XXXXXX", r->tmp, w->ptr->oid);
	int err = 0;

	s.fd = mkostemp(tmp, O_CLOEXEC);
	if (s.fd < 0) {
		w->why = xasprintf("cannot create a file in '%s'", r->tmp);
		free(tmp);
		return;
	}
	for (size_t i = 0; i < w->headers.n; i++)
		svec_push(&headers, w->headers.v[i]);
	if (r->f->pass && same_origin(w->href, r->f->endpoint) &&
	    !has_header(&headers, "Authorization"))
		add_auth(&headers, r->f);
	req.url = w->href;
	req.headers = &headers;
	req.follow = true;
	req.stall_ms = LFS_STALL_MS;
	resp.write = sink_write;
	resp.write_payload = &s;
	buf_set_limit(&resp.body, LFS_ERROR_BODY_MAX);
	for (int attempt = 0;; attempt++) {
		crypto_hash_free(s.h);
		s.h = crypto_hash_new(CRYPTO_SHA256);
		s.got = 0;
		if (ftruncate(s.fd, 0) < 0 || lseek(s.fd, 0, SEEK_SET) < 0) {
			err = err_errno("cannot rewrite '%s'", tmp);
			break;
		}
		err = http_request(c, &req, &resp);
		if (!retryable(err, resp.status) || attempt + 1 == LFS_TRIES)
			break;
		pause_ms(300L * (attempt + 1));
	}
	if (err == FY_ETOOBIG && s.got)
		w->why = xasprintf("the download is larger than the object's "
				   "%llu bytes; not cached",
				   (unsigned long long)s.size);
	else if (err < 0)
		w->why = msg_without_urls("cannot download it: ");
	else if (resp.status != 200)
		w->why = xasprintf("the download answered HTTP %ld",
				   resp.status);
	else
		w->why = download_done(r, w, &s, tmp);
	close_fd(&s.fd);
	if (w->why)
		unlink(tmp);
	crypto_hash_free(s.h);
	http_response_release(&resp);
	wipe_headers(&headers);
	free(tmp);
}

static void *download_main(void *payload)
{
	struct run *r = payload;
	struct http_client *c = NULL;
	char *no_client = NULL;

	if (http_client_new(&c) < 0)
		no_client = xstrdup(err_msg());
	for (;;) {
		struct want *w;

		pthread_mutex_lock(&r->mu);
		w = r->next < r->nw ? &r->wants[r->next++] : NULL;
		pthread_mutex_unlock(&r->mu);
		if (!w)
			break;
		if (w->why || !w->href)
			continue;
		if (no_client)
			w->why = xstrdup(no_client);
		else
			download(r, c, w);
	}
	http_client_free(c);
	free(no_client);
	return NULL;
}

/* What a batch answer's HTTP status means. */
static char *batch_status(const struct run *r, const struct http_response *resp)
{
	char *msg = vcs_lfs_error_message(resp->body.ptr, resp->body.len);
	char *why;
	const char *what;

	switch (resp->status) {
	case 401:
		what = r->f->pass ? "it rejected the credentials"
				  : "it wants credentials (set "
				    "FERRY_GIT_TOKEN)";
		break;
	case 403:
		what = "access denied";
		break;
	case 404:
		what = "no such repository there";
		break;
	default:
		what = "it failed";
		break;
	}
	why = xasprintf("LFS server '%s': %s (HTTP %ld%s%s)", r->f->endpoint,
			what, resp->status, msg ? ": " : "", msg ? msg : "");
	free(msg);
	return why;
}

/* The JSON of a download request for wants [from, to). */
static void batch_request(const struct run *r, size_t from, size_t to,
			  struct buf *out)
{
	struct val *body = val_map(), *objs = val_seq(), *tr = val_seq();

	val_map_set(body, "operation", val_str("download"));
	val_seq_push(tr, val_str("basic"));
	val_map_set(body, "transfers", tr);
	for (size_t i = from; i < to; i++) {
		struct val *o = val_map();

		val_map_set(o, "oid", val_str(r->wants[i].ptr->oid));
		val_map_set(o, "size",
			    val_numi((long long)r->wants[i].ptr->size));
		val_seq_push(objs, o);
	}
	val_map_set(body, "objects", objs);
	json_write(out, body, 0);
	val_free(body);
}

static char *object_error(const struct vcs_lfs_answer *a)
{
	const char *what = a->code == 404   ? "not on the LFS server"
			   : a->code == 410 ? "removed from the LFS server"
			   : a->code == 422 ? "refused by the LFS server"
					    : "not available from the LFS "
					      "server";

	if (!a->code)
		return xstrdup(a->error);
	return xasprintf("%s (%ld: %s)", what, a->code, a->error);
}

/* Ask the server where to download wants [from, to) from. */
static void batch(struct run *r, struct http_client *c, size_t from, size_t to)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct vcs_lfs_batch b = { NULL, 0 };
	struct svec headers = SVEC_INIT;
	struct buf body = BUF_INIT;
	char *url = xasprintf("%s/objects/batch", r->f->endpoint);
	char *all = NULL;
	int err;

	batch_request(r, from, to, &body);
	svec_push(&headers, "Accept: application/vnd.git-lfs+json");
	svec_push(&headers, "Content-Type: application/vnd.git-lfs+json");
	if (r->f->pass)
		add_auth(&headers, r->f);
	req.method = "POST";
	req.url = url;
	req.headers = &headers;
	req.body = body.ptr;
	req.body_len = body.len;
	req.timeout_ms = 120000;
	buf_set_limit(&resp.body, LFS_BATCH_BODY_MAX);
	for (int attempt = 0;; attempt++) {
		err = http_request(c, &req, &resp);
		if (!retryable(err, resp.status) || attempt + 1 == LFS_TRIES)
			break;
		pause_ms(300L * (attempt + 1));
	}
	if (err < 0)
		all = xasprintf("cannot reach the LFS server: %s", err_msg());
	else if (resp.status != 200)
		all = batch_status(r, &resp);
	else if (vcs_lfs_batch_parse(&b, resp.body.ptr, resp.body.len) < 0)
		all = xasprintf("LFS server '%s': a bad answer: %s",
				r->f->endpoint, err_msg());
	for (size_t i = from; i < to; i++) {
		struct want *w = &r->wants[i];
		const struct vcs_lfs_answer *a = NULL;

		for (size_t k = 0; !all && k < b.n && !a; k++)
			if (!strcmp(b.v[k].oid, w->ptr->oid))
				a = &b.v[k];
		if (all)
			w->why = xstrdup(all);
		else if (!a)
			w->why = xstrdup("the LFS server's answer leaves it "
					 "out");
		else if (a->error)
			w->why = object_error(a);
		else {
			w->href = xstrdup(a->href);
			for (size_t k = 0; k < a->headers.n; k++)
				svec_push(&w->headers, a->headers.v[k]);
		}
	}
	vcs_lfs_batch_release(&b);
	http_response_release(&resp);
	wipe_headers(&headers);
	buf_release(&body);
	free(all);
	free(url);
}

/* Download the wants, VCS_LFS_PARALLEL at a time. */
static void download_all(struct run *r)
{
	struct http_client *c = NULL;
	pthread_t th[VCS_LFS_PARALLEL];
	size_t started = 0;

	if (http_client_new(&c) < 0) {
		for (size_t i = 0; i < r->nw; i++)
			r->wants[i].why = xstrdup(err_msg());
		return;
	}
	for (size_t i = 0; i < r->nw; i += VCS_LFS_BATCH_MAX)
		batch(r, c, i,
		      i + VCS_LFS_BATCH_MAX < r->nw ? i + VCS_LFS_BATCH_MAX
						    : r->nw);
	http_client_free(c);
	pthread_mutex_init(&r->mu, NULL);
	r->next = 0;
	while (started + 1 < VCS_LFS_PARALLEL && started + 1 < r->nw &&
	       !pthread_create(&th[started], NULL, download_main, r))
		started++;
	download_main(r);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&r->mu);
}

/* The objects still missing, once each. */
static void collect_wants(struct run *r)
{
	size_t alloc = 0;

	for (size_t i = 0; i < r->f->n; i++) {
		const struct vcs_lfs_pointer *p = &r->f->files[i].ptr;
		bool seen = false;

		if (r->state[i] != FS_TODO)
			continue;
		for (size_t k = 0; k < r->nw && !seen; k++)
			seen = !strcmp(r->wants[k].ptr->oid, p->oid);
		if (seen)
			continue;
		XGROW(r->wants, alloc, r->nw + 1);
		r->wants[r->nw] = (struct want){ p, NULL, SVEC_INIT, NULL };
		r->nw++;
	}
}

static struct want *want_of(const struct run *r, const char *oid)
{
	for (size_t k = 0; k < r->nw; k++)
		if (!strcmp(r->wants[k].ptr->oid, oid))
			return &r->wants[k];
	return NULL;
}

/* Fetch what the cache and stores lacked, and put it in place. */
static void fetch_missing(struct run *r)
{
	int lfd = -1;
	char *lock = NULL;
	bool cached = false;

	collect_wants(r);
	if (!r->nw)
		return;
	if (!r->f->endpoint) {
		for (size_t k = 0; k < r->nw; k++)
			r->wants[k].why = xstrdup(
				"not in the LFS cache, and no LFS server is "
				"known (no remote URL, no lfs.url)");
		return;
	}
	prepare_store(r);
	if (!r->store) {
		for (size_t k = 0; k < r->nw; k++)
			r->wants[k].why = xstrdup(err_msg());
		return;
	}
	if (!r->scratch) {
		lock = xasprintf("%s/lock", r->f->dir);
		if (vcs_lock(&lfd, lock, true, r->f->lock_timeout,
			     "the LFS cache") < 0) {
			for (size_t k = 0; k < r->nw; k++)
				r->wants[k].why = xstrdup(err_msg());
			free(lock);
			return;
		}
		/* another build may have fetched them while we waited */
		for (size_t i = 0; i < r->f->n; i++)
			if (r->state[i] == FS_TODO)
				from_stores(r, i, r->store, FS_CACHED);
		free(r->wants);
		r->wants = NULL;
		r->nw = 0;
		collect_wants(r);
		cached = !r->nw;
	}
	if (!cached)
		download_all(r);
	vcs_unlock(&lfd);
	free(lock);
}

static void report(struct run *r, struct vcs_lfs_report *rep)
{
	for (size_t i = 0; i < r->f->n; i++) {
		const struct vcs_lfs_file *file = &r->f->files[i];
		struct buf b = BUF_INIT;

		rep->files++;
		rep->bytes += file->ptr.size;
		if (r->state[i] == FS_CACHED) {
			rep->cached++;
			continue;
		}
		if (r->state[i] == FS_DOWNLOADED) {
			rep->downloaded++;
			continue;
		}
		rep->kept++;
		buf_addf(&b,
			 "Git LFS: '%s%s' (object %s, %llu bytes): %s; the "
			 "pointer file is kept",
			 r->f->prefix ? r->f->prefix : "", file->path,
			 file->ptr.oid, (unsigned long long)file->ptr.size,
			 r->why[i] ? r->why[i] : "not fetched");
		vcs_scrub(&b, r->f->pass);
		for (char *p = b.ptr; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = '?';
		svec_push(&rep->warnings, b.ptr);
		buf_release(&b);
	}
}

void vcs_lfs_fetch_run(struct vcs_lfs_fetch *f, struct vcs_lfs_report *rep)
{
	struct run r = { f };
	char cap[32];

	if (!f->n)
		return;
	if (!f->dir)
		BUG("an LFS fetch without a directory");
	vcs_lfs_size_text(cap, sizeof(cap), VCS_LFS_OBJECT_MAX);
	r.state = xcalloc(f->n, sizeof(*r.state));
	r.why = xcalloc(f->n, sizeof(*r.why));
	r.objects = xasprintf("%s/objects", f->dir);
	for (size_t i = 0; i < f->n; i++) {
		const struct vcs_lfs_pointer *p = &f->files[i].ptr;

		if (p->extensions) {
			r.state[i] = FS_KEPT;
			r.why[i] = xstrdup("it uses LFS extensions, which "
					   "ferry does not run");
		} else if (p->size > VCS_LFS_OBJECT_MAX) {
			r.state[i] = FS_KEPT;
			r.why[i] =
				xasprintf("larger than ferry's cap of %s", cap);
		} else {
			from_stores(&r, i, NULL, FS_CACHED);
		}
	}
	fetch_missing(&r);
	for (size_t i = 0; i < f->n; i++) {
		struct want *w;

		if (r.state[i] != FS_TODO)
			continue;
		w = want_of(&r, f->files[i].ptr.oid);
		if (w && !w->why)
			from_stores(&r, i, r.store, FS_DOWNLOADED);
		if (r.state[i] == FS_TODO) {
			r.state[i] = FS_KEPT;
			if (!r.why[i])
				r.why[i] = xstrdup(w && w->why ? w->why
							       : "lost from "
								 "the cache");
		}
	}
	report(&r, rep);
	for (size_t k = 0; k < r.nw; k++) {
		free(r.wants[k].href);
		free(r.wants[k].why);
		wipe_headers(&r.wants[k].headers);
	}
	for (size_t i = 0; i < f->n; i++)
		free(r.why[i]);
	if (r.scratch)
		fs_rm_rf(r.scratch);
	free(r.scratch);
	free(r.wants);
	free(r.why);
	free(r.state);
	free(r.objects);
	free(r.store);
	free(r.tmp);
}
