/* awss3.c: S3 uploads, HEAD, listings and dpl's option helpers. */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "awsiam.h"
#include "awss3.h"
#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "fs.h"
#include "rbglob.h"
#include "sigv4.h"
#include "svec.h"
#include "xalloc.h"
#include "xml.h"

#define AWSS3_BLOCK    (256u << 10)
#define AWSS3_XMLNS    "http://s3.amazonaws.com/doc/2006-03-01/"
#define AWSS3_DRY_ID   "DRY-RUN-UPLOAD-ID"
#define AWSS3_LIST_MAX (4u << 20)

uint64_t awss3_part_size(uint64_t size)
{
	uint64_t part = (size + AWSS3_MAX_PARTS - 1) / AWSS3_MAX_PARTS;

	return part > AWSS3_MIN_PART ? part : AWSS3_MIN_PART;
}

/* ---- hashing file ranges ---- */

struct digests {
	char md5_b64[32]; /* Content-MD5 */
	char md5_hex[33];
	unsigned char md5[16];
	char sha256_hex[65];
};

static int read_at(int fd, void *dst, size_t len, uint64_t off, size_t *got)
{
	ssize_t n;

	do
		n = pread(fd, dst, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno("cannot read the upload");
	*got = (size_t)n;
	return 0;
}

/* MD5 (and SHA-256 when `sha`) of a range, in one pass. */
static int digest_range(int fd, uint64_t off, uint64_t size, bool sha,
			struct digests *d)
{
	struct crypto_hash *m = crypto_hash_new(CRYPTO_MD5);
	struct crypto_hash *s = sha ? crypto_hash_new(CRYPTO_SHA256) : NULL;
	unsigned char *blk = xmalloc(AWSS3_BLOCK), sd[32];
	struct buf b64 = BUF_INIT;
	int err = 0;

	while (size && !err) {
		size_t want = size < AWSS3_BLOCK ? (size_t)size : AWSS3_BLOCK;
		size_t got = 0;

		err = read_at(fd, blk, want, off, &got);
		if (!err && !got)
			err = err_set(FY_EFAIL, "the file shrank while read");
		crypto_hash_update(m, blk, got);
		if (s)
			crypto_hash_update(s, blk, got);
		off += got;
		size -= got;
	}
	crypto_hash_final(m, d->md5);
	crypto_hex(d->md5_hex, d->md5, 16);
	crypto_base64_encode(&b64, d->md5, 16);
	snprintf(d->md5_b64, sizeof(d->md5_b64), "%s", b64.ptr);
	d->sha256_hex[0] = '\0';
	if (s) {
		crypto_hash_final(s, sd);
		crypto_hex(d->sha256_hex, sd, sizeof(sd));
	}
	crypto_hash_free(m);
	crypto_hash_free(s);
	buf_release(&b64);
	free(blk);
	return err;
}

int awss3_file_etag(const char *path, uint64_t threshold, char out[80])
{
	struct stat st;
	struct digests d;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		err = err_errno("cannot stat '%s'", path);
	} else if ((uint64_t)st.st_size <
		   (threshold ? threshold : AWSS3_MULTIPART_THRESHOLD)) {
		err = digest_range(fd, 0, (uint64_t)st.st_size, false, &d);
		if (!err)
			snprintf(out, 80, "%s", d.md5_hex);
	} else {
		uint64_t size = (uint64_t)st.st_size;
		uint64_t part = awss3_part_size(size);
		struct crypto_hash *all = crypto_hash_new(CRYPTO_MD5);
		unsigned char md[16];
		char hex[33];
		unsigned n = 0;

		for (uint64_t off = 0; off < size && !err; off += part, n++) {
			uint64_t len = size - off < part ? size - off : part;

			err = digest_range(fd, off, len, false, &d);
			crypto_hash_update(all, d.md5, 16);
		}
		crypto_hash_final(all, md);
		crypto_hash_free(all);
		crypto_hex(hex, md, 16);
		if (!err)
			snprintf(out, 80, "%s-%u", hex, n);
	}
	close_fd(&fd);
	return err;
}

/* ---- requests ---- */

static bool client_https(const struct aws_client_opts *o)
{
	return !o->endpoint || !strncmp(o->endpoint, "https://", 8) ||
	       !strstr(o->endpoint, "://");
}

static void object_headers(struct aws_request *r, const struct awss3_object *o)
{
	if (!o)
		return;
	if (o->content_type)
		aws_request_header(r, "Content-Type", o->content_type);
	if (o->content_encoding)
		aws_request_header(r, "Content-Encoding", o->content_encoding);
	if (o->cache_control)
		aws_request_header(r, "Cache-Control", o->cache_control);
	if (o->expires)
		aws_request_header(r, "Expires", o->expires);
	if (o->acl)
		aws_request_header(r, "x-amz-acl", o->acl);
	if (o->storage_class)
		aws_request_header(r, "x-amz-storage-class", o->storage_class);
	if (o->sse)
		aws_request_header(r, "x-amz-server-side-encryption", o->sse);
	if (o->sse_kms_key_id)
		aws_request_header(
			r, "x-amz-server-side-encryption-aws-kms-key-id",
			o->sse_kms_key_id);
}

/* The ETag of an answer, quotes removed. */
static void copy_etag(char out[80], const char *etag)
{
	size_t n;

	out[0] = '\0';
	if (!etag)
		return;
	if (*etag == '"')
		etag++;
	n = strcspn(etag, "\"");
	if (n >= 80)
		n = 79;
	memcpy(out, etag, n);
	out[n] = '\0';
}

static void copy_version(char out[128], const struct aws_response *resp)
{
	const char *v = aws_response_header(resp, "x-amz-version-id");

	snprintf(out, 128, "%s", v && strcmp(v, "null") ? v : "");
}

/* IAM action and resource of an object upload. */
struct iam_names {
	char *resource;
	const char *action;
};

static void iam_object(struct iam_names *n, struct aws_client *c,
		       const char *bucket, const char *key,
		       const struct awss3_object *o)
{
	n->resource = awsiam_arn_s3_object(aws_client_region(c), bucket, key);
	n->action =
		o && o->acl ? "s3:PutObject,s3:PutObjectAcl" : "s3:PutObject";
}

static int put_object(struct aws_client *c, bool https, const char *bucket,
		      const char *key, int fd, const void *data, uint64_t size,
		      const struct awss3_object *o, const char *grant,
		      char etag[80], char version_id[128])
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	struct iam_names iam;
	struct digests d;
	int err = 0;

	if (fd >= 0) {
		err = digest_range(fd, 0, size, !https, &d);
	} else {
		struct buf b64 = BUF_INIT;

		crypto_digest(CRYPTO_MD5, data, (size_t)size, d.md5);
		crypto_base64_encode(&b64, d.md5, 16);
		snprintf(d.md5_b64, sizeof(d.md5_b64), "%s", b64.ptr);
		buf_release(&b64);
		d.sha256_hex[0] = '\0';
	}
	if (err < 0)
		return err;
	iam_object(&iam, c, bucket, key, o);
	r.op = "PutObject";
	r.method = "PUT";
	r.bucket = bucket;
	r.key = key;
	if (fd >= 0) {
		r.body_fd = fd;
		r.body_size = size;
		r.payload_hash = https ? SIGV4_UNSIGNED_PAYLOAD : d.sha256_hex;
	} else {
		r.body = data;
		r.body_len = (size_t)size;
	}
	object_headers(&r, o);
	aws_request_header(&r, "Content-MD5", d.md5_b64);
	r.iam_action = iam.action;
	r.iam_resource = iam.resource;
	r.iam_grant = grant;
	err = aws_send(c, &r, &resp);
	if (!err) {
		copy_etag(etag, aws_response_header(&resp, "ETag"));
		copy_version(version_id, &resp);
	}
	free(iam.resource);
	aws_request_release(&r);
	aws_response_release(&resp);
	return err;
}

int awss3_put_data(struct aws_client *c, const char *bucket, const char *key,
		   const void *data, size_t len,
		   const struct awss3_object *object, const char *grant,
		   char etag[80], char version_id[128])
{
	return put_object(c, false, bucket, key, -1, data, len, object, grant,
			  etag, version_id);
}

/* ---- multipart ---- */

struct mp {
	struct awss3_upload *u;
	int fd;
	bool https, dry;
	char *upload_id;
	uint64_t size, part;
	unsigned nparts;
	char (*etags)[80];
	pthread_mutex_t lock;
	unsigned next;
	bool failed;
	int err;
	char *msg;
	uint64_t done;
};

static void mp_fail(struct mp *m, int err)
{
	pthread_mutex_lock(&m->lock);
	if (!m->failed) {
		m->failed = true;
		m->err = err;
		m->msg = xstrdup(err_msg());
	}
	pthread_mutex_unlock(&m->lock);
}

static int upload_part(struct mp *m, struct aws_client *c, unsigned i)
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	struct awss3_upload *u = m->u;
	uint64_t off = (uint64_t)i * m->part;
	uint64_t len = m->size - off < m->part ? m->size - off : m->part;
	struct iam_names iam;
	struct digests d;
	char num[16];
	int err = digest_range(m->fd, off, len, !m->https, &d);

	if (err < 0)
		return err;
	iam_object(&iam, c, u->bucket, u->key, NULL);
	snprintf(num, sizeof(num), "%u", i + 1);
	r.op = "UploadPart";
	r.method = "PUT";
	r.bucket = u->bucket;
	r.key = u->key;
	aws_request_param(&r, "partNumber", num);
	aws_request_param(&r, "uploadId", m->upload_id);
	r.body_fd = m->fd;
	r.body_off = off;
	r.body_size = len;
	r.payload_hash = m->https ? SIGV4_UNSIGNED_PAYLOAD : d.sha256_hex;
	aws_request_header(&r, "Content-MD5", d.md5_b64);
	r.iam_action = iam.action;
	r.iam_resource = iam.resource;
	r.iam_grant = u->grant;
	err = aws_send(c, &r, &resp);
	if (!err) {
		copy_etag(m->etags[i], aws_response_header(&resp, "ETag"));
		if (!m->etags[i][0] && !m->dry)
			err = err_set(FY_EFAIL,
				      "UploadPart %u of 's3://%s/%s': no ETag "
				      "in the answer",
				      i + 1, u->bucket, u->key);
	}
	free(iam.resource);
	aws_request_release(&r);
	aws_response_release(&resp);
	if (!err) {
		pthread_mutex_lock(&m->lock);
		m->done += len;
		if (u->progress)
			u->progress(u->progress_payload, m->done, m->size);
		pthread_mutex_unlock(&m->lock);
	}
	return err;
}

static void *part_worker(void *arg)
{
	struct mp *m = arg;
	struct aws_client *c = NULL;
	int err = aws_client_new(&c, m->u->client_opts);

	if (err < 0) {
		mp_fail(m, err);
		return NULL;
	}
	for (;;) {
		unsigned i;

		pthread_mutex_lock(&m->lock);
		i = m->next++;
		if (m->failed)
			i = m->nparts;
		pthread_mutex_unlock(&m->lock);
		if (i >= m->nparts)
			break;
		err = upload_part(m, c, i);
		if (err < 0) {
			mp_fail(m, err);
			break;
		}
	}
	aws_client_free(c);
	return NULL;
}

static int mp_create(struct mp *m)
{
	struct awss3_upload *u = m->u;
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	struct xml_node *x = NULL;
	struct iam_names iam;
	const char *id;
	int err;

	iam_object(&iam, u->client, u->bucket, u->key, u->object);
	r.op = "CreateMultipartUpload";
	r.method = "POST";
	r.bucket = u->bucket;
	r.key = u->key;
	aws_request_param(&r, "uploads", NULL);
	object_headers(&r, u->object);
	r.iam_action = iam.action;
	r.iam_resource = iam.resource;
	r.iam_grant = u->grant;
	err = aws_send(u->client, &r, &resp);
	if (!err && m->dry) {
		m->upload_id = xstrdup(AWSS3_DRY_ID);
	} else if (!err) {
		err = xml_parse(&x, resp.http.body.ptr, resp.http.body.len);
		id = err ? NULL : xml_child_text(x, "UploadId");
		if (!err && (!id || !*id))
			err = err_set(FY_EFAIL,
				      "CreateMultipartUpload 's3://%s/%s': no "
				      "UploadId in the answer",
				      u->bucket, u->key);
		if (!err)
			m->upload_id = xstrdup(id);
	}
	xml_free(x);
	free(iam.resource);
	aws_request_release(&r);
	aws_response_release(&resp);
	return err;
}

static int mp_complete(struct mp *m)
{
	struct awss3_upload *u = m->u;
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	struct xml_node *x = NULL;
	struct buf body = BUF_INIT;
	struct iam_names iam;
	int err;

	buf_addstr(&body,
		   "<CompleteMultipartUpload xmlns=\"" AWSS3_XMLNS "\">");
	for (unsigned i = 0; i < m->nparts; i++) {
		buf_addstr(&body, "<Part><ETag>&quot;");
		xml_escape(&body, m->etags[i]);
		buf_addf(&body,
			 "&quot;</ETag><PartNumber>%u</PartNumber></Part>",
			 i + 1);
	}
	buf_addstr(&body, "</CompleteMultipartUpload>");
	iam_object(&iam, u->client, u->bucket, u->key, NULL);
	r.op = "CompleteMultipartUpload";
	r.method = "POST";
	r.bucket = u->bucket;
	r.key = u->key;
	aws_request_param(&r, "uploadId", m->upload_id);
	aws_request_header(&r, "Content-Type", "application/xml");
	r.body = body.ptr;
	r.body_len = body.len;
	r.s3_200_error = true;
	r.iam_action = iam.action;
	r.iam_resource = iam.resource;
	r.iam_grant = u->grant;
	err = aws_send(u->client, &r, &resp);
	if (!err && !m->dry &&
	    !xml_parse(&x, resp.http.body.ptr, resp.http.body.len)) {
		copy_etag(u->etag, xml_child_text(x, "ETag"));
		copy_version(u->version_id, &resp);
	}
	xml_free(x);
	free(iam.resource);
	buf_release(&body);
	aws_request_release(&r);
	aws_response_release(&resp);
	return err;
}

/* Best effort: the first error stays the one reported. */
static void mp_abort(struct mp *m)
{
	struct awss3_upload *u = m->u;
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	char *saved = xstrdup(err_msg());
	int code = m->err;

	r.op = "AbortMultipartUpload";
	r.method = "DELETE";
	r.bucket = u->bucket;
	r.key = u->key;
	aws_request_param(&r, "uploadId", m->upload_id);
	if (aws_send(u->client, &r, &resp) < 0)
		err_set(code, "%s (and AbortMultipartUpload failed: %s)", saved,
			err_msg());
	else
		err_set(code, "%s (the multipart upload was aborted)", saved);
	free(saved);
	aws_request_release(&r);
	aws_response_release(&resp);
}

static int multipart(struct awss3_upload *u, int fd, uint64_t size)
{
	struct mp m;
	pthread_t tids[64];
	unsigned want = u->part_threads ? u->part_threads : AWSS3_PART_THREADS;
	unsigned nthreads = 0;
	int err;

	memset(&m, 0, sizeof(m));
	m.u = u;
	m.fd = fd;
	m.https = client_https(u->client_opts);
	m.dry = aws_client_dry_run(u->client);
	m.size = size;
	m.part = awss3_part_size(size);
	m.nparts = (unsigned)((size + m.part - 1) / m.part);
	m.etags = xcalloc(m.nparts, sizeof(*m.etags));
	pthread_mutex_init(&m.lock, NULL);
	err = mp_create(&m);
	if (err < 0)
		goto out;
	/* A dry run prints its requests in order, from this thread. */
	if (m.dry)
		want = 0;
	if (want > m.nparts)
		want = m.nparts;
	if (want > ARRAY_SIZE(tids))
		want = ARRAY_SIZE(tids);
	for (; nthreads < want; nthreads++)
		if (pthread_create(&tids[nthreads], NULL, part_worker, &m)) {
			mp_fail(&m, err_errno("cannot start an upload thread"));
			break;
		}
	if (!want) {
		for (unsigned i = 0; i < m.nparts && !m.failed; i++) {
			err = upload_part(&m, u->client, i);
			if (err < 0)
				mp_fail(&m, err);
		}
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	if (!m.failed) {
		err = mp_complete(&m);
		if (err < 0)
			mp_fail(&m, err);
	}
	if (m.failed) {
		err_set(m.err, "%s", m.msg);
		if (!m.dry)
			mp_abort(&m);
		err = m.err;
	}
	u->parts = m.nparts;
out:
	pthread_mutex_destroy(&m.lock);
	free(m.etags);
	free(m.upload_id);
	free(m.msg);
	return err;
}

int awss3_upload_file(struct awss3_upload *u)
{
	struct stat st;
	int fd = open(u->path, O_RDONLY | O_CLOEXEC);
	uint64_t threshold =
		u->threshold ? u->threshold : AWSS3_MULTIPART_THRESHOLD;
	int err;

	u->etag[0] = u->version_id[0] = '\0';
	u->parts = 0;
	if (fd < 0)
		return err_errno("cannot open '%s'", u->path);
	if (fstat(fd, &st) < 0) {
		err = err_errno("cannot stat '%s'", u->path);
		goto out;
	}
	u->size = (uint64_t)st.st_size;
	if (u->size < threshold) {
		err = put_object(u->client, client_https(u->client_opts),
				 u->bucket, u->key, fd, NULL, u->size,
				 u->object, u->grant, u->etag, u->version_id);
		if (!err && u->progress)
			u->progress(u->progress_payload, u->size, u->size);
	} else {
		err = multipart(u, fd, u->size);
	}
out:
	close_fd(&fd);
	return err;
}

/* ---- HEAD, listings, website ---- */

int awss3_head_object(struct aws_client *c, const char *bucket, const char *key,
		      struct awss3_head *out)
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	char *res = awsiam_arn_s3_object(aws_client_region(c), bucket, key);
	const char *len, *type;
	int err;

	memset(out, 0, sizeof(*out));
	r.op = "HeadObject";
	r.method = "HEAD";
	r.bucket = bucket;
	r.key = key;
	r.iam_action = "s3:GetObject";
	r.iam_resource = res;
	err = aws_send(c, &r, &resp);
	if (err == FY_ENOTFOUND) {
		err = 0;
	} else if (!err && resp.status) {
		out->exists = true;
		len = aws_response_header(&resp, "Content-Length");
		out->size = len ? strtoull(len, NULL, 10) : 0;
		copy_etag(out->etag, aws_response_header(&resp, "ETag"));
		copy_version(out->version_id, &resp);
		type = aws_response_header(&resp, "Content-Type");
		out->content_type = type ? xstrdup(type) : NULL;
	}
	free(res);
	aws_request_release(&r);
	aws_response_release(&resp);
	return err;
}

static char *url_decode(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (*s == '+') {
			buf_addch(&b, ' ');
		} else if (*s == '%' && s[1] && s[2]) {
			char hex[3] = { s[1], s[2], 0 };
			char *end;
			long v = strtol(hex, &end, 16);

			if (*end) {
				buf_addch(&b, *s);
				continue;
			}
			buf_addch(&b, (int)v);
			s += 2;
		} else {
			buf_addch(&b, *s);
		}
	}
	return buf_detach(&b, NULL);
}

/* One page of a listing; *token gets the next continuation token. */
static int list_page(const struct xml_node *x, awss3_list_fn fn, void *payload,
		     char **token)
{
	const char *truncated = xml_child_text(x, "IsTruncated");
	const char *enc = xml_child_text(x, "EncodingType");
	bool url = enc && !strcmp(enc, "url");
	int err = 0;

	for (size_t i = 0; i < x->nr_kids && !err; i++) {
		const struct xml_node *k = x->kids[i];
		struct awss3_entry e;
		char etag[80];
		char *key;
		const char *raw;

		if (strcmp(k->name, "Contents"))
			continue;
		raw = xml_child_text(k, "Key");
		if (!raw)
			continue;
		key = url ? url_decode(raw) : xstrdup(raw);
		copy_etag(etag, xml_child_text(k, "ETag"));
		e.key = key;
		e.etag = etag;
		e.size = strtoull(xml_child_text(k, "Size")
					  ? xml_child_text(k, "Size")
					  : "0",
				  NULL, 10);
		e.mtime = xml_child_text(k, "LastModified")
				  ? aws_parse_time(
					    xml_child_text(k, "LastModified"))
				  : 0;
		err = fn(payload, &e);
		free(key);
	}
	free(*token);
	*token = NULL;
	if (!err && truncated && !strcmp(truncated, "true")) {
		const char *next = xml_child_text(x, "NextContinuationToken");

		if (!next || !*next)
			return err_set(FY_EFAIL, "ListObjectsV2: truncated "
						 "page without a token");
		*token = xstrdup(next);
	}
	return err;
}

int awss3_list(struct aws_client *c, const char *bucket, const char *prefix,
	       awss3_list_fn fn, void *payload)
{
	char *res = awsiam_arn_s3_bucket(aws_client_region(c), bucket);
	char *token = NULL;
	int err = 0;

	do {
		struct aws_request r = AWS_REQUEST_INIT;
		struct aws_response resp = AWS_RESPONSE_INIT;
		struct xml_node *x = NULL;

		r.op = "ListObjectsV2";
		r.method = "GET";
		r.bucket = bucket;
		aws_request_param(&r, "list-type", "2");
		if (prefix && *prefix)
			aws_request_param(&r, "prefix", prefix);
		if (token)
			aws_request_param(&r, "continuation-token", token);
		aws_request_param(&r, "encoding-type", "url");
		r.iam_action = "s3:ListBucket";
		r.iam_resource = res;
		r.body_limit = AWSS3_LIST_MAX;
		err = aws_send(c, &r, &resp);
		if (!err && aws_client_dry_run(c)) {
			free(token);
			token = NULL;
		} else if (!err) {
			err = xml_parse(&x, resp.http.body.ptr,
					resp.http.body.len);
			if (!err)
				err = list_page(x, fn, payload, &token);
		}
		xml_free(x);
		aws_request_release(&r);
		aws_response_release(&resp);
	} while (!err && token);
	free(token);
	free(res);
	return err;
}

int awss3_put_website(struct aws_client *c, const char *bucket,
		      const char *suffix)
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	struct buf body = BUF_INIT, b64 = BUF_INIT;
	char *res = awsiam_arn_s3_bucket(aws_client_region(c), bucket);
	unsigned char md5[16];
	int err;

	buf_addstr(&body, "<WebsiteConfiguration xmlns=\"" AWSS3_XMLNS "\">"
			  "<IndexDocument><Suffix>");
	xml_escape(&body, suffix);
	buf_addstr(&body, "</Suffix></IndexDocument></WebsiteConfiguration>");
	crypto_digest(CRYPTO_MD5, body.ptr, body.len, md5);
	crypto_base64_encode(&b64, md5, sizeof(md5));
	r.op = "PutBucketWebsite";
	r.method = "PUT";
	r.bucket = bucket;
	aws_request_param(&r, "website", NULL);
	aws_request_header(&r, "Content-Type", "application/xml");
	aws_request_header(&r, "Content-MD5", b64.ptr);
	r.body = body.ptr;
	r.body_len = body.len;
	r.iam_action = "s3:PutBucketWebsite";
	r.iam_resource = res;
	err = aws_send(c, &r, &resp);
	free(res);
	buf_release(&body);
	buf_release(&b64);
	aws_request_release(&r);
	aws_response_release(&resp);
	return err;
}

/* ---- dpl's option values ---- */

static char *strip(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return xmemdupz(s, len);
}

/* One entry: its value when it applies to `path`, else NULL. */
static char *mapping_value(const char *entry, const char *path)
{
	const char *sep = NULL, *p = entry, *hit;
	char *value, *glob = NULL;
	size_t vlen;
	bool match = true;

	for (;;) {
		hit = strstr(p, ": ");
		if (!hit)
			break;
		sep = hit;
		p = hit + 2;
	}
	vlen = sep ? (size_t)(sep - entry) : strlen(entry);
	if (sep) {
		struct buf g = BUF_INIT;
		const char *globs = sep + 2;

		if (strchr(globs, '{')) {
			buf_addstr(&g, globs);
		} else {
			struct svec parts = SVEC_INIT;

			svec_split(&parts, globs, ",", false);
			buf_addch(&g, '{');
			for (size_t i = 0; i < parts.n; i++) {
				char *s = strip(parts.v[i], strlen(parts.v[i]));

				buf_addf(&g, "%s%s", i ? "," : "", s);
				free(s);
			}
			buf_addch(&g, '}');
			svec_release(&parts);
		}
		glob = buf_detach(&g, NULL);
		match = rbglob_match(glob, path,
				     RBGLOB_DOTMATCH | RBGLOB_EXTGLOB);
	}
	free(glob);
	if (!match)
		return NULL;
	if (vlen >= 2 && entry[0] == '"' && entry[vlen - 1] == '"')
		value = xmemdupz(entry + 1, vlen - 2);
	else
		value = xmemdupz(entry, vlen);
	return value;
}

char *awss3_mapping_match(const struct svec *entries, const char *path)
{
	for (size_t i = 0; i < entries->n; i++) {
		char *v = mapping_value(entries->v[i], path);

		if (v)
			return v;
	}
	return NULL;
}

static const struct {
	const char *name;
	int minutes;
} zones[] = {
	{ "UTC", 0 },	 { "GMT", 0 },	  { "UT", 0 },	   { "Z", 0 },
	{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
	{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
};

static bool zone_offset(const char *z, int *minutes)
{
	int sign, h, m;

	for (size_t i = 0; i < ARRAY_SIZE(zones); i++)
		if (!strcasecmp(z, zones[i].name)) {
			*minutes = zones[i].minutes;
			return true;
		}
	if (*z != '+' && *z != '-')
		return false;
	sign = *z == '-' ? -1 : 1;
	z++;
	if (strlen(z) == 4 && strspn(z, "0123456789") == 4) {
		h = (z[0] - '0') * 10 + (z[1] - '0');
		m = (z[2] - '0') * 10 + (z[3] - '0');
	} else if (strlen(z) == 5 && z[2] == ':' &&
		   strspn(z, "0123456789") == 2 &&
		   strspn(z + 3, "0123456789") == 2) {
		h = (z[0] - '0') * 10 + (z[1] - '0');
		m = (z[3] - '0') * 10 + (z[4] - '0');
	} else {
		return false;
	}
	if (h > 23 || m > 59)
		return false;
	*minutes = sign * (h * 60 + m);
	return true;
}

int awss3_http_date(const char *value, char out[32])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
					    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
					      "May", "Jun", "Jul", "Aug",
					      "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char *end, *zone;
	int minutes = 0;
	time_t t;
	size_t len = strlen(value);

	if (len >= 2 && value[0] == '"' && value[len - 1] == '"')
		zone = xmemdupz(value + 1, len - 2);
	else
		zone = xstrdup(value);
	memset(&tm, 0, sizeof(tm));
	end = strptime(zone, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end || *end != ' ' || !zone_offset(end + 1, &minutes)) {
		free(zone);
		return err_set(FY_EINVALID,
			       "expires '%s' is not 'YYYY-MM-DD HH:MM:SS ZONE'",
			       value);
	}
	free(zone);
	t = timegm(&tm) - (time_t)minutes * 60;
	if (!gmtime_r(&t, &tm))
		return err_set(FY_EINVALID, "expires '%s' is out of range",
			       value);
	snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}
