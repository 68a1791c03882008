/*
 * s3.c: `provider: s3`, dpl v2's S3 provider (spec travis.md 10.4) on
 * our own AWS client.  Same options, defaults, log lines and error
 * texts; beyond dpl: temporary credentials and the whole credential
 * chain, `kms_key_id`, `skip_unchanged` (size and MD5/ETag), progress of
 * large uploads on a terminal, a summary line, and dry runs.
 */
#include "compat.h"

#include <pthread.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "aws.h"
#include "awsendpoint.h"
#include "awsdeploy.h"
#include "awsiam.h"
#include "awss3.h"
#include "buf.h"
#include "deployer.h"
#include "error.h"
#include "fs.h"
#include "mime.h"
#include "rbglob.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define S3_DEFAULT_THREADS 5
#define S3_MAX_THREADS	   15
#define S3_DEFAULT_TYPE	   "application/octet-stream"

/* dpl's messages. */
#define MSG_ACCESS_DENIED                                                    \
	"It looks like you tried to write to a bucket that is not yours or " \
	"does not exist. Please create the bucket before trying to write "   \
	"to it."
#define MSG_CHECKSUM	"AWS secret key does not match the access key id"
#define MSG_INVALID_KEY "Invalid S3 access key id"

static const char *const prefixes[] = { "S3", "AWS", NULL };

static const char *const acls[] = {
	"private",	     "public_read",
	"public_read_write", "authenticated_read",
	"bucket_owner_read", "bucket_owner_full_control",
};

/* dpl allows the first three; S3 knows the rest. */
static const char *const storage_classes[] = {
	"STANDARD",   "STANDARD_IA",	     "REDUCED_REDUNDANCY",
	"ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
	"GLACIER_IR", "DEEP_ARCHIVE",	     "EXPRESS_ONEZONE",
};

struct remote_obj {
	char *key;
	uint64_t size;
	char etag[80];
};

struct s3 {
	struct awsdeploy d;
	struct deploy_ctx *ctx;
	const char *bucket;
	char *upload_dir; /* without leading or trailing '/', or NULL */
	char *base;	  /* the local directory on this host */
	char *grant;	  /* IAM resource for every upload */
	struct svec files;
	struct svec cache_control, expires;
	char *acl; /* dashes */
	const char *storage_class, *sse, *kms_key_id, *charset;
	bool detect_encoding, overwrite, verbose, skip_unchanged;
	unsigned threads;
	struct aws_client_opts copts;

	struct remote_obj *remote;
	size_t nr_remote, alloc_remote;

	pthread_mutex_t lock;
	size_t next;
	bool failed;
	int err;
	char *msg;
	unsigned uploaded, skipped;
	uint64_t bytes;
};

static bool in_list(const char *v, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v, list[i]))
			return true;
	return false;
}

/* The entries of a mapping option (a string or a list of them). */
static void mapping_entries(const struct val *v, struct svec *out)
{
	if (!v || v->type == VAL_NULL)
		return;
	if (v->type != VAL_SEQ) {
		if (val_text(v))
			svec_push(out, val_text(v));
		return;
	}
	for (size_t i = 0; i < v->seq.n; i++)
		if (val_text(v->seq.v[i]))
			svec_push(out, val_text(v->seq.v[i]));
}

/* dpl's allowed shapes of a cache_control entry. */
static bool cache_control_ok(const char *s)
{
	static const char *const plain[] = { "no-cache", "no-store",
					     "no-transform", "public",
					     "private" };
	static const char *const numeric[] = { "max-age=", "s-maxage=" };

	if (*s == '"')
		s++;
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
		if (!strncmp(s, plain[i], strlen(plain[i])))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(numeric); i++) {
		size_t n = strlen(numeric[i]);

		if (!strncmp(s, numeric[i], n) && s[n] >= '0' && s[n] <= '9')
			return true;
	}
	return false;
}

/* dpl's /^"?\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} .+"?.*$/ */
static bool expires_ok(const char *s)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd ";

	if (*s == '"')
		s++;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9')
				    : s[i] != shape[i])
			return false;
	}
	return s[sizeof(shape) - 1] != '\0';
}

static int s3_validate(const struct val *opts)
{
	const char *acl = val_text(val_map_get(opts, "acl"));
	const char *sc = val_text(val_map_get(opts, "storage_class"));
	const char *mt = val_text(val_map_get(opts, "max_threads"));
	struct svec cc = SVEC_INIT, ex = SVEC_INIT;
	int err = 0;

	if (acl && !in_list(acl, acls, ARRAY_SIZE(acls)))
		err = err_set(FY_EINVALID,
			      "s3: unknown acl '%s' (one of private, "
			      "public_read, public_read_write, "
			      "authenticated_read, bucket_owner_read, "
			      "bucket_owner_full_control)",
			      acl);
	else if (sc &&
		 !in_list(sc, storage_classes, ARRAY_SIZE(storage_classes)))
		err = err_set(FY_EINVALID, "s3: unknown storage_class '%s'",
			      sc);
	if (!err && mt) {
		char *end;
		long n = strtol(mt, &end, 10);

		if (*end || n < 1)
			err = err_set(FY_EINVALID,
				      "s3: max_threads '%s' is not a positive "
				      "number",
				      mt);
	}
	mapping_entries(val_map_get(opts, "cache_control"), &cc);
	mapping_entries(val_map_get(opts, "expires"), &ex);
	for (size_t i = 0; !err && i < cc.n; i++)
		if (!cache_control_ok(cc.v[i]))
			err = err_set(FY_EINVALID,
				      "s3: cache_control '%s' is not one of "
				      "no-cache, no-store, max-age=N, "
				      "s-maxage=N, no-transform, public, "
				      "private (optionally ': globs')",
				      cc.v[i]);
	for (size_t i = 0; !err && i < ex.n; i++)
		if (!expires_ok(ex.v[i]))
			err = err_set(FY_EINVALID,
				      "s3: expires '%s' is not "
				      "'YYYY-MM-DD HH:MM:SS ZONE'",
				      ex.v[i]);
	svec_release(&cc);
	svec_release(&ex);
	return err;
}

/* ---- setup ---- */

static char *trim_slashes(const char *s)
{
	size_t len;

	while (*s == '/')
		s++;
	len = strlen(s);
	while (len && s[len - 1] == '/')
		len--;
	return len ? xmemdupz(s, len) : NULL;
}

/*
 * The local directory on this host.  dpl changes into local_dir from the
 * job's working directory; an absolute path must lie in the build
 * directory ($TRAVIS_BUILD_DIR, or $HOME/... for "~/"), which is the
 * workspace here.
 */
static int local_base(struct s3 *s, const char *local_dir)
{
	struct deploy_ctx *ctx = s->ctx;
	const char *build = val_text(val_map_get(ctx->env, "TRAVIS_BUILD_DIR"));
	const char *home = val_text(val_map_get(ctx->env, "HOME"));
	char *abs = NULL;
	size_t n;

	if (local_dir[0] == '~' && (local_dir[1] == '/' || !local_dir[1]))
		abs = xasprintf("%s%s", home ? home : "/home/travis",
				local_dir + 1);
	else if (local_dir[0] == '/')
		abs = xstrdup(local_dir);
	if (!abs) {
		s->base = xasprintf("%s%s%s/%s", ctx->workspace,
				    *ctx->cwd ? "/" : "", ctx->cwd, local_dir);
		return 0;
	}
	n = build ? strlen(build) : 0;
	if (!n || strncmp(abs, build, n) || (abs[n] && abs[n] != '/')) {
		int err = err_set(FY_EINVALID,
				  "s3: local_dir '%s' is outside the build "
				  "directory '%s'",
				  local_dir, build ? build : "(unknown)");

		free(abs);
		return err;
	}
	s->base = xasprintf("%s%s", ctx->workspace, abs + n);
	free(abs);
	return 0;
}

static int read_options(struct s3 *s)
{
	struct awsdeploy *d = &s->d;
	const char *acl = awsdeploy_opt(d, "acl");
	const char *mt = awsdeploy_opt(d, "max_threads");
	const char *up = awsdeploy_opt(d, "upload_dir");
	int err;

	s->bucket = awsdeploy_opt(d, "bucket");
	if (!s->bucket || !*s->bucket)
		return err_set(FY_EINVALID, "s3: missing required option "
					    "'bucket'");
	err = s3_validate(s->ctx->opts);
	if (err < 0)
		return err;
	if (acl && !in_list(acl, acls, ARRAY_SIZE(acls)))
		return err_set(FY_EINVALID, "s3: unknown acl '%s'", acl);
	s->acl = xstrdup(acl ? acl : "private");
	for (char *p = s->acl; *p; p++)
		if (*p == '_')
			*p = '-';
	s->storage_class = awsdeploy_opt(d, "storage_class");
	if (!s->storage_class)
		s->storage_class = "STANDARD";
	s->kms_key_id = awsdeploy_opt(d, "kms_key_id");
	if (s->kms_key_id)
		s->sse = "aws:kms";
	else if (awsdeploy_opt_bool(d, "server_side_encryption", false))
		s->sse = "AES256";
	s->charset = awsdeploy_opt(d, "default_text_charset");
	s->detect_encoding = awsdeploy_opt_bool(d, "detect_encoding", false);
	s->overwrite = awsdeploy_opt_bool(d, "overwrite", true);
	s->verbose = awsdeploy_opt_bool(d, "verbose", false);
	s->skip_unchanged = awsdeploy_opt_bool(d, "skip_unchanged", false);
	s->threads = S3_DEFAULT_THREADS;
	if (mt)
		s->threads = (unsigned)strtoul(mt, NULL, 10);
	if (s->threads > S3_MAX_THREADS) {
		awsdeploy_printf(d, "max_threads %u is too high, using %u\n",
				 s->threads, S3_MAX_THREADS);
		s->threads = S3_MAX_THREADS;
	}
	if (!s->threads)
		s->threads = 1;
	mapping_entries(val_map_get(s->ctx->opts, "cache_control"),
			&s->cache_control);
	if (!s->cache_control.n && awsdeploy_opt(d, "cache_control"))
		svec_push(&s->cache_control, awsdeploy_opt(d, "cache_control"));
	if (!s->cache_control.n)
		svec_push(&s->cache_control, "no-cache");
	mapping_entries(val_map_get(s->ctx->opts, "expires"), &s->expires);
	if (!s->expires.n && awsdeploy_opt(d, "expires"))
		svec_push(&s->expires, awsdeploy_opt(d, "expires"));
	s->upload_dir = up ? trim_slashes(up) : NULL;
	if (s->upload_dir)
		s->grant = xasprintf("arn:%s:s3:::%s/%s/*",
				     awsendpoint_partition(d->region)->name,
				     s->bucket, s->upload_dir);
	else
		s->grant = xasprintf("arn:%s:s3:::%s/*",
				     awsendpoint_partition(d->region)->name,
				     s->bucket);
	return 0;
}

static int collect_files(struct s3 *s)
{
	const char *local_dir = awsdeploy_opt(&s->d, "local_dir");
	const char *glob = awsdeploy_opt(&s->d, "glob");
	unsigned flags = awsdeploy_opt_bool(&s->d, "dot_match", false)
				 ? RBGLOB_DOTMATCH
				 : 0;
	int err = local_base(s, local_dir ? local_dir : ".");

	if (!err)
		err = rbglob_dir(&s->files, s->base, glob ? glob : "**/*",
				 flags, true);
	if (err < 0)
		return err_wrap(err, "s3: local_dir '%s'",
				local_dir ? local_dir : ".");
	return 0;
}

/* ---- skip_unchanged: what the bucket already holds ---- */

static int remember(void *payload, const struct awss3_entry *e)
{
	struct s3 *s = payload;
	struct remote_obj *r;

	XGROW(s->remote, s->alloc_remote, s->nr_remote + 1);
	r = &s->remote[s->nr_remote++];
	r->key = xstrdup(e->key);
	r->size = e->size;
	snprintf(r->etag, sizeof(r->etag), "%s", e->etag);
	return 0;
}

static int cmp_remote(const void *a, const void *b)
{
	return strcmp(((const struct remote_obj *)a)->key,
		      ((const struct remote_obj *)b)->key);
}

static int list_remote(struct s3 *s, struct aws_client *c)
{
	char *prefix = s->upload_dir ? xasprintf("%s/", s->upload_dir) : NULL;
	int err = awss3_list(c, s->bucket, prefix, remember, s);

	free(prefix);
	if (!err && s->nr_remote)
		qsort(s->remote, s->nr_remote, sizeof(*s->remote), cmp_remote);
	return err;
}

static const struct remote_obj *find_remote(const struct s3 *s, const char *key)
{
	struct remote_obj want = { (char *)key, 0, "" };

	if (!s->nr_remote)
		return NULL;
	return bsearch(&want, s->remote, s->nr_remote, sizeof(*s->remote),
		       cmp_remote);
}

/* ---- one file ---- */

struct file_job {
	const char *rel;
	char *path, *key;
	struct awss3_object obj;
	char *content_type, *cache_control;
	struct buf expires_raw; /* dpl's value, as the user wrote it */
	char expires[32];
	struct buf pairs; /* "acl=private content_type=..." */
};

static void file_job_release(struct file_job *f)
{
	free(f->path);
	free(f->key);
	free(f->content_type);
	free(f->cache_control);
	buf_release(&f->expires_raw);
	buf_release(&f->pairs);
}

static void add_pair(struct buf *b, const char *k, const char *v)
{
	if (v)
		buf_addf(b, "%s%s=%s", b->len ? " " : "", k, v);
}

static int prepare(struct s3 *s, struct file_job *f)
{
	enum mime_class cls = MIME_NONE;
	const char *type = mime_type(f->rel);
	const char *encoding;
	char *expires;
	int err = 0;

	f->path = xasprintf("%s/%s", s->base, f->rel);
	f->key = s->upload_dir ? xasprintf("%s/%s", s->upload_dir, f->rel)
			       : xstrdup(f->rel);
	if (s->detect_encoding || (s->charset && type))
		err = mime_detect_file(f->path, &cls);
	if (err < 0)
		return err;
	if (!type)
		f->content_type = xstrdup(S3_DEFAULT_TYPE);
	else if (s->charset && cls == MIME_TEXT)
		f->content_type = xasprintf("%s; charset=%s", type, s->charset);
	else
		f->content_type = xstrdup(type);
	f->cache_control = awss3_mapping_match(&s->cache_control, f->rel);
	expires = awss3_mapping_match(&s->expires, f->rel);
	if (expires) {
		buf_addstr(&f->expires_raw, expires);
		free(expires);
		err = awss3_http_date(f->expires_raw.ptr, f->expires);
		if (err < 0)
			return err;
		f->obj.expires = f->expires;
	}
	encoding = s->detect_encoding ? mime_class_encoding(cls) : NULL;
	f->obj.content_type = f->content_type;
	f->obj.content_encoding = encoding;
	f->obj.cache_control = f->cache_control;
	/*
	 * dpl sends x-amz-acl: private too; a new object is private without
	 * it, and the header would need s3:PutObjectAcl and be refused by
	 * buckets whose ACLs are disabled (BucketOwnerEnforced, S3's default
	 * since 2023).  The log line still says acl=private, as dpl's.
	 */
	f->obj.acl = strcmp(s->acl, "private") ? s->acl : NULL;
	f->obj.storage_class = s->storage_class;
	f->obj.sse = s->sse;
	f->obj.sse_kms_key_id = s->kms_key_id;
	add_pair(&f->pairs, "acl", s->acl);
	add_pair(&f->pairs, "content_type", f->content_type);
	add_pair(&f->pairs, "content_encoding", f->obj.content_encoding);
	add_pair(&f->pairs, "cache_control", f->cache_control);
	add_pair(&f->pairs, "expires",
		 f->expires_raw.len ? f->expires_raw.ptr : NULL);
	add_pair(&f->pairs, "storage_class", s->storage_class);
	add_pair(&f->pairs, "server_side_encryption", s->sse);
	return 0;
}

struct progress {
	struct s3 *s;
	const char *rel;
	unsigned last; /* percent shown */
};

/* Big uploads on a terminal: one line rewritten in place. */
static void show_progress(void *payload, uint64_t done, uint64_t total)
{
	struct progress *p = payload;
	unsigned pct = total ? (unsigned)(done * 100 / total) : 100;

	if (pct == p->last)
		return;
	p->last = pct;
	awsdeploy_printf(&p->s->d, "\r%s: %3u%% of %.1f MiB%s", p->rel, pct,
			 total / 1048576.0, pct == 100 ? "\n" : "");
}

static int upload_one(struct s3 *s, struct aws_client *c, const char *rel)
{
	struct file_job f = { .rel = rel,
			      .expires_raw = BUF_INIT,
			      .pairs = BUF_INIT };
	struct awss3_upload u;
	struct progress prog = { s, rel, 0 };
	const char *to = s->upload_dir ? s->upload_dir : "/";
	int err = prepare(s, &f);

	if (err < 0)
		goto out;
	if (s->verbose)
		awsdeploy_printf(&s->d, "Uploading %s to %s with %s\n", rel, to,
				 f.pairs.ptr);
	if (!s->overwrite) {
		struct awss3_head h;

		err = awss3_head_object(c, s->bucket, f.key, &h);
		free(h.content_type);
		if (err < 0)
			goto out;
		if (h.exists) {
			awsdeploy_printf(&s->d,
					 "%sSkipping %s, already exists\n",
					 s->verbose ? "" : ".", rel);
			goto skipped;
		}
	}
	if (s->skip_unchanged && !s->kms_key_id) {
		/* SSE-KMS ETags are not MD5s: nothing to compare then. */
		const struct remote_obj *r = find_remote(s, f.key);
		struct stat st;
		char etag[80];

		if (r && !stat(f.path, &st) &&
		    (uint64_t)st.st_size == r->size) {
			err = awss3_file_etag(f.path, 0, etag);
			if (err < 0)
				goto out;
			if (!strcmp(r->etag, etag)) {
				awsdeploy_printf(&s->d,
						 "%sSkipping %s, unchanged\n",
						 s->verbose ? "" : ".", rel);
				goto skipped;
			}
		}
	}
	awsdeploy_printf(&s->d, "%sUploading %s to %s with %s\n",
			 s->verbose ? "" : ".", rel, to, f.pairs.ptr);
	memset(&u, 0, sizeof(u));
	u.client = c;
	u.client_opts = &s->copts;
	u.bucket = s->bucket;
	u.key = f.key;
	u.path = f.path;
	u.object = &f.obj;
	u.grant = s->grant;
	if (s->ctx->color && !s->d.dry_run) {
		u.progress = show_progress;
		u.progress_payload = &prog;
	}
	err = awss3_upload_file(&u);
	if (!err) {
		if (!u.parts && u.progress)
			prog.last = 100;
		pthread_mutex_lock(&s->lock);
		s->uploaded++;
		s->bytes += u.size;
		pthread_mutex_unlock(&s->lock);
	}
	goto out;
skipped:
	pthread_mutex_lock(&s->lock);
	s->skipped++;
	pthread_mutex_unlock(&s->lock);
out:
	file_job_release(&f);
	return err;
}

/* ---- workers ---- */

static void record_failure(struct s3 *s, int err)
{
	pthread_mutex_lock(&s->lock);
	if (!s->failed) {
		s->failed = true;
		s->err = err;
		s->msg = xstrdup(err_msg());
	}
	pthread_mutex_unlock(&s->lock);
}

static void *worker(void *arg)
{
	struct s3 *s = arg;
	struct aws_client *c = NULL;
	int err = aws_client_new(&c, &s->copts);

	if (err < 0) {
		record_failure(s, err);
		return NULL;
	}
	for (;;) {
		size_t i;

		pthread_mutex_lock(&s->lock);
		i = s->failed ? s->files.n : s->next++;
		pthread_mutex_unlock(&s->lock);
		if (i >= s->files.n)
			break;
		err = upload_one(s, c, s->files.v[i]);
		if (err < 0) {
			record_failure(s, err);
			break;
		}
	}
	aws_client_free(c);
	return NULL;
}

static int upload_all(struct s3 *s)
{
	pthread_t tids[S3_MAX_THREADS];
	unsigned n = s->threads, started = 0;

	awsdeploy_printf(&s->d,
			 "Uploading %zu files with up to %u threads ...\n",
			 s->files.n, s->threads);
	/* A dry run prints its requests in order. */
	if (s->d.dry_run || n > s->files.n)
		n = s->d.dry_run ? 1 : (unsigned)s->files.n;
	for (; started < n; started++)
		if (pthread_create(&tids[started], NULL, worker, s)) {
			record_failure(s, err_errno("cannot start an upload "
						    "thread"));
			break;
		}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (!s->verbose)
		awsdeploy_printf(&s->d, "\n");
	if (s->failed)
		return err_set(s->err, "%s", s->msg);
	return 0;
}

/* dpl's texts for the errors it knows, with ours after them. */
static int explain(int err)
{
	const char *msg = err_msg();
	const char *text = NULL;
	char *ours;

	if (strstr(msg, ": InvalidAccessKeyId:") ||
	    strstr(msg, ": InvalidClientTokenId:"))
		text = MSG_INVALID_KEY;
	else if (strstr(msg, ": SignatureDoesNotMatch:"))
		text = MSG_CHECKSUM;
	else if (strstr(msg, ": AccessDenied:"))
		text = MSG_ACCESS_DENIED;
	if (!text)
		return err;
	ours = xstrdup(msg);
	err_set(err, "%s (%s)", text, ours);
	free(ours);
	return err;
}

static void summary(struct s3 *s, double secs)
{
	double mib = s->bytes / 1048576.0;
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s %u file%s (%.1f MiB) to s3://%s/%s in %.1f s",
		 s->d.dry_run ? "Dry run: would upload" : "Uploaded",
		 s->uploaded, s->uploaded == 1 ? "" : "s", mib, s->bucket,
		 s->upload_dir ? s->upload_dir : "", secs);
	if (secs > 0 && !s->d.dry_run)
		buf_addf(&b, " (%.1f MiB/s)", mib / secs);
	if (s->skipped)
		buf_addf(&b, ", %u skipped", s->skipped);
	awsdeploy_printf(&s->d, "%s\n", b.ptr);
	buf_release(&b);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int s3_run(struct deploy_ctx *ctx)
{
	struct s3 s;
	struct aws_client *c = NULL;
	const char *suffix;
	double t0 = now_s();
	int err;

	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	pthread_mutex_init(&s.lock, NULL);
	err = awsdeploy_init(&s.d, ctx, prefixes);
	if (!err)
		err = read_options(&s);
	if (!err)
		err = awsdeploy_login(&s.d);
	if (err < 0)
		goto out;
	awsdeploy_client_opts(&s.d, &aws_s3, true, &s.copts);
	s.copts.force_path_style =
		awsdeploy_opt_bool(&s.d, "force_path_style", false);
	if (s.copts.endpoint && !strstr(s.copts.endpoint, "://"))
		awsdeploy_printf(&s.d, "S3 endpoint does not specify a "
				       "scheme; defaulting to https\n");
	err = aws_client_new(&c, &s.copts);
	if (!err)
		err = collect_files(&s);
	if (!err && s.skip_unchanged)
		err = list_remote(&s, c);
	if (!err)
		err = upload_all(&s);
	suffix = awsdeploy_opt(&s.d, "index_document_suffix");
	if (!err && suffix) {
		awsdeploy_printf(&s.d, "Setting index document suffix to %s\n",
				 suffix);
		err = awss3_put_website(c, s.bucket, suffix);
	}
	if (!err)
		summary(&s, now_s() - t0);
	else
		err = explain(err);
out:
	aws_client_free(c);
	for (size_t i = 0; i < s.nr_remote; i++)
		free(s.remote[i].key);
	free(s.remote);
	svec_release(&s.files);
	svec_release(&s.cache_control);
	svec_release(&s.expires);
	free(s.upload_dir);
	free(s.base);
	free(s.grant);
	free(s.acl);
	free(s.msg);
	awsdeploy_release(&s.d);
	pthread_mutex_destroy(&s.lock);
	return err;
}

const struct deployer deployer_s3 = {
	.name = "s3",
	.validate = s3_validate,
	.run = s3_run,
};
