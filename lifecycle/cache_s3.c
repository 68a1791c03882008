/*
 * cache_s3.c: the cache's S3 objects (cache_s3.h) on the AWS client:
 * GetObject (whole or ranged), PutObject, DeleteObject, ListObjectsV2.
 */
#include "compat.h"

#include "aws.h"
#include "awss3.h"
#include "awscreds.h"
#include "buf.h"
#include "cache.h"
#include "cache_s3.h"
#include "error.h"
#include "fs.h"
#include "xalloc.h"

#define GET_CHUNK (8u << 20) /* ranged GETs of an archive */

struct cache_s3 {
	struct aws_creds creds;
	struct aws_client *aws;
	char *bucket, *prefix, *where;
	const atomic_bool *cancel; /* of the current call */
};

static void no_secret(void *payload, const char *secret)
{
}

int cache_s3_open(struct cache_s3 **out, const struct cache_s3_conf *k)
{
	struct cache_s3 *s = xcalloc(1, sizeof(*s));
	struct aws_env env = { NULL, false };
	struct awscreds_opts co = { 0 };
	struct aws_client_opts ao = { 0 };
	const char *region = aws_config_region(&env, k->region, NULL);
	int err;

	if (!k->bucket || !*k->bucket) {
		err = err_set(FY_EINVALID, "cache: s3: no bucket");
		goto fail;
	}
	co.env = &env;
	co.access_key_id = k->access_key_id;
	co.secret_access_key = k->secret_access_key;
	co.session_token = k->session_token;
	co.profile = k->profile;
	co.region = region;
	co.add_secret = no_secret;
	err = awscreds_resolve(&s->creds, &co);
	if (err < 0) {
		err = err_wrap(err, "cache: s3");
		goto fail;
	}
	ao.service = &aws_s3;
	ao.region = region;
	ao.endpoint = aws_config_endpoint(&env, &aws_s3, k->endpoint);
	ao.force_path_style = k->path_style;
	ao.creds = &s->creds;
	err = aws_client_new(&s->aws, &ao);
	if (err < 0) {
		err = err_wrap(err, "cache: s3");
		goto fail;
	}
	s->bucket = xstrdup(k->bucket);
	s->prefix = xstrdup(k->prefix ? k->prefix : "");
	s->where = xasprintf("s3://%s/%s", s->bucket, s->prefix);
	*out = s;
	return 0;
fail:
	cache_s3_free(s);
	return err;
}

void cache_s3_free(struct cache_s3 *s)
{
	if (!s)
		return;
	aws_client_free(s->aws);
	aws_creds_release(&s->creds);
	free(s->bucket);
	free(s->prefix);
	free(s->where);
	free(s);
}

const char *cache_s3_where(const struct cache_s3 *s)
{
	return s->where;
}

void cache_s3_cancel(struct cache_s3 *s, const atomic_bool *cancel)
{
	s->cancel = cancel;
}

static int s3_progress(const struct http_progress *p, void *payload)
{
	struct cache_s3 *s = payload;

	if (s->cancel && atomic_load(s->cancel))
		return err_set(FY_ECANCELED, "the cache operation was stopped");
	return 0;
}

static char *s3_key(const struct cache_s3 *s, const char *name)
{
	return xasprintf("%s%s", s->prefix, name);
}

int cache_s3_get(struct cache_s3 *s, const char *name, const char *range,
		 struct buf *out, size_t cap)
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	char *key = s3_key(s, name);
	int err;

	r.op = "GetObject";
	r.method = "GET";
	r.bucket = s->bucket;
	r.key = key;
	r.iam_action = "s3:GetObject";
	r.body_limit = cap;
	r.progress = s3_progress;
	r.progress_payload = s;
	if (range)
		aws_request_header(&r, "Range", range);
	err = aws_send(s->aws, &r, &resp);
	if (!err) {
		buf_reset(out);
		buf_add(out, resp.http.body.ptr, resp.http.body.len);
	}
	aws_request_release(&r);
	aws_response_release(&resp);
	free(key);
	return err;
}

int cache_s3_put(struct cache_s3 *s, const char *name, const void *data,
		 size_t len, int fd, uint64_t size)
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	char *key = s3_key(s, name);
	int err;

	r.op = "PutObject";
	r.method = "PUT";
	r.bucket = s->bucket;
	r.key = key;
	r.iam_action = "s3:PutObject";
	r.progress = s3_progress;
	r.progress_payload = s;
	if (fd >= 0) {
		r.body_fd = fd;
		r.body_off = 0;
		r.body_size = size;
	} else {
		r.body = data;
		r.body_len = len;
	}
	aws_request_header(&r, "Content-Type", "application/octet-stream");
	err = aws_send(s->aws, &r, &resp);
	aws_request_release(&r);
	aws_response_release(&resp);
	free(key);
	return err;
}

int cache_s3_delete(struct cache_s3 *s, const char *name)
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	char *key = s3_key(s, name);
	int err;

	r.op = "DeleteObject";
	r.method = "DELETE";
	r.bucket = s->bucket;
	r.key = key;
	r.iam_action = "s3:DeleteObject";
	err = aws_send(s->aws, &r, &resp);
	if (err == FY_ENOTFOUND)
		err = 0;
	aws_request_release(&r);
	aws_response_release(&resp);
	free(key);
	return err;
}

int cache_s3_download(struct cache_s3 *s, const char *name, int fd,
		      uint64_t size)
{
	struct buf chunk = BUF_INIT;
	uint64_t off = 0;
	int err = 0;

	while (!err && off < size) {
		uint64_t want = size - off < GET_CHUNK ? size - off : GET_CHUNK;
		char range[64];

		snprintf(range, sizeof(range), "bytes=%llu-%llu",
			 (unsigned long long)off,
			 (unsigned long long)(off + want - 1));
		err = cache_s3_get(s, name, range, &chunk, GET_CHUNK + 1);
		if (!err && chunk.len != want)
			err = err_set(FY_EINVALID,
				      "the cache archive is truncated: %llu "
				      "bytes of %llu",
				      (unsigned long long)(off + chunk.len),
				      (unsigned long long)size);
		if (!err)
			err = fs_write_all(fd, chunk.ptr, chunk.len);
		off += want;
	}
	buf_release(&chunk);
	return err;
}

struct list_adapter {
	size_t plen; /* the store's prefix, left out of names */
	const char *prefix;
	cache_s3_list_fn fn;
	void *payload;
};

static int list_one(void *payload, const struct awss3_entry *e)
{
	struct list_adapter *la = payload;

	if (!strncmp(e->key, la->prefix, la->plen))
		la->fn(la->payload, e->key + la->plen, e->size, e->mtime);
	return 0;
}

int cache_s3_list(struct cache_s3 *s, const char *under, cache_s3_list_fn fn,
		  void *payload)
{
	char *prefix = s3_key(s, under);
	struct list_adapter la = { strlen(s->prefix), s->prefix, fn, payload };
	int err = awss3_list(s->aws, s->bucket, prefix, list_one, &la);

	free(prefix);
	return err;
}
