/*
 * aws_send.c: sending a request: an attempt, the error answer it may get
 * (with a hint at the IAM permission it lacks), retries with backoff, and
 * the JSON and query protocols on top of aws_send().
 */
#include "compat.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "aws_int.h"
#include "awsendpoint.h"
#include "awserror.h"
#include "awsiam.h"
#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "http.h"
#include "json.h"
#include "sigv4.h"
#include "val.h"
#include "xalloc.h"
#include "xml.h"

#define AWS_STALL_MS 60000L

static void logf_(struct aws_client *c, const char *fmt, ...) PRINTFLIKE(2, 3);
static void logf_(struct aws_client *c, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	c->log(c->log_payload, b.ptr);
	buf_release(&b);
}

/* xorshift64*: jitter only, never secrets. */
static double next_random(struct aws_client *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (double)((c->rng * 2685821657736338717ull) >> 11) /
	       (double)(1ull << 53);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A file range as a request body that can be sent again. */
struct range_body {
	int fd;
	uint64_t off, left;
	bool failed;
};

static int range_read(void *dst, size_t cap, size_t *got, void *payload)
{
	struct range_body *rb = payload;
	size_t want = cap < rb->left ? cap : (size_t)rb->left;
	ssize_t n;

	*got = 0;
	if (!want)
		return 0;
	do
		n = pread(rb->fd, dst, want, (off_t)rb->off);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		rb->failed = true;
		return n < 0 ? err_errno("cannot read the upload body")
			     : err_set(FY_EFAIL, "upload body: file shrank");
	}
	rb->off += (uint64_t)n;
	rb->left -= (uint64_t)n;
	*got = (size_t)n;
	return 0;
}

/* The SHA-256 of a file range, for a signed payload. */
static int hash_range(int fd, uint64_t off, uint64_t size, char hex[65])
{
	struct crypto_hash *h = crypto_hash_new(CRYPTO_SHA256);
	unsigned char *blk = xmalloc(1 << 16), md[32];
	struct range_body rb = { fd, off, size, false };
	int err = 0;

	while (rb.left && !err) {
		size_t got = 0;

		err = range_read(blk, 1 << 16, &got, &rb);
		crypto_hash_update(h, blk, got);
	}
	crypto_hash_final(h, md);
	crypto_hash_free(h);
	free(blk);
	crypto_hex(hex, md, sizeof(md));
	return err;
}

/* Does a 200 answer of S3 hide an <Error>? */
static bool hidden_error(const struct aws_response *resp)
{
	const char *p = resp->http.body.ptr;
	size_t len = resp->http.body.len;

	while (len && strchr(" \t\r\n", *p)) {
		p++;
		len--;
	}
	if (len > 5 && !memcmp(p, "<?xml", 5)) {
		const char *gt = memchr(p, '>', len);

		if (!gt)
			return false;
		len -= (size_t)(gt + 1 - p);
		p = gt + 1;
		while (len && strchr(" \t\r\n", *p)) {
			p++;
			len--;
		}
	}
	return len >= 7 && !memcmp(p, "<Error>", 7);
}

static void describe_target(struct buf *b, const struct aws_client *c,
			    const struct aws_request *r)
{
	if (c->svc == &aws_s3 && r->bucket)
		buf_addf(b, " 's3://%s%s%s'", r->bucket, r->key ? "/" : "",
			 r->key ? r->key : "");
}

/* The statement for a comma-separated list of actions. */
static char *statement(const char *actions, const char *resource)
{
	struct svec list = SVEC_INIT;
	char *st;

	svec_split(&list, actions, ",", true);
	st = awsiam_statement_actions((const char *const *)list.v, resource);
	svec_release(&list);
	return st;
}

/* The word after `label` in `msg` ("perform: s3:PutObject ..."). */
static char *word_after(const char *msg, const char *label)
{
	const char *p = msg ? strstr(msg, label) : NULL;
	size_t n;

	if (!p)
		return NULL;
	p += strlen(label);
	n = strcspn(p, " \t\n,;");
	while (n && p[n - 1] == '.')
		n--;
	return n ? xmemdupz(p, n) : NULL;
}

/*
 * Name the refused action and resource, and a statement that allows
 * them.  AWS's own message wins where it names them: CreateDeployment,
 * for one, is refused for a GetDeploymentConfig on another resource.
 */
static void access_hint(struct buf *b, const struct aws_request *r,
			const char *msg)
{
	char *m_action = word_after(msg, "perform: ");
	char *m_res = word_after(msg, "on resource: ");
	const char *action = m_action ? m_action : r->iam_action;
	const char *res = m_res ? m_res : r->iam_resource;
	const char *grant = m_res	   ? m_res
			    : r->iam_grant ? r->iam_grant
					   : r->iam_resource;
	char acct[13];
	bool has = msg && awsiam_account_from(msg, acct);
	char *res_a = awsiam_with_account(res, has ? acct : NULL);
	char *grant_a = awsiam_with_account(grant, has ? acct : NULL);
	char *st = statement(action, grant_a);

	buf_addstr(b, "; the credentials are not allowed ");
	for (const char *p = action; *p; p++) {
		if (*p == ',')
			buf_addstr(b, " and ");
		else
			buf_addch(b, *p);
	}
	buf_addf(b, " on %s; a policy statement that allows it: %s", res_a, st);
	free(m_action);
	free(m_res);
	free(res_a);
	free(grant_a);
	free(st);
}

/* The one message of a failed answer (see aws.h). */
static int answer_error(struct aws_client *c, const struct aws_request *r,
			const struct aws_response *resp)
{
	const struct awserror *e = &resp->error;
	struct buf b = BUF_INIT;
	bool denied = awserror_access_denied(e->code) ||
		      (resp->status == 403 && !strcmp(e->code, "Forbidden"));
	const char *bucket_region =
		aws_response_header(resp, "x-amz-bucket-region");
	int code = FY_EFAIL;

	buf_addstr(&b, r->op);
	describe_target(&b, c, r);
	buf_addf(&b, ": %s", e->code);
	if (e->message)
		buf_addf(&b, ": %s", e->message);
	buf_addf(&b, " (HTTP %ld)", resp->status);
	if (!bucket_region)
		bucket_region = e->region;
	if (bucket_region && c->svc == &aws_s3 &&
	    strcmp(bucket_region, c->region))
		buf_addf(&b, "; the bucket is in region '%s': set `region: %s`",
			 bucket_region, bucket_region);
	/* An unsigned request has no identity a policy could allow. */
	if (denied && !c->anonymous && r->iam_action && r->iam_resource)
		access_hint(&b, r, e->message);
	if (resp->status == 404)
		code = FY_ENOTFOUND;
	else if (resp->status == 403 || awserror_credentials(e->code))
		code = FY_EAUTH;
	err_set(code, "%s", b.ptr);
	buf_release(&b);
	return code;
}

/* One attempt: sign, send, parse an error answer.  *transport: no answer. */
static int attempt(struct aws_client *c, const struct aws_request *r,
		   const struct target *t, const char *payload_hash,
		   struct aws_response *resp, bool *transport)
{
	struct sigv4_request s = SIGV4_REQUEST_INIT;
	struct http_request hr = HTTP_REQUEST_INIT;
	struct svec lines = SVEC_INIT;
	struct range_body rb = { r->body_fd, r->body_off, r->body_size, false };
	struct aws_creds now = AWS_CREDS_INIT;
	const struct aws_creds *creds = c->anonymous ? NULL : c->creds;
	struct buf url = BUF_INIT;
	int err = 0;

	*transport = false;
	/* Each attempt asks the cache: a retry may come after a refresh. */
	if (!c->anonymous && c->credcache) {
		err = aws_credcache_get(c->credcache, &now);
		creds = &now;
	}
	if (!err)
		err = aws_sign(c, r, t, creds, &s, payload_hash);
	if (err < 0)
		goto out;
	buf_addf(&url, "%s%s", t->origin, s.wire_path.ptr);
	if (s.wire_query.len)
		buf_addf(&url, "?%s", s.wire_query.ptr);
	if (c->dry_run) {
		if (c->log)
			aws_dry_print(c, r, &s, url.ptr);
		resp->status = 0;
		goto out;
	}
	for (size_t i = 0; i < s.nr_headers; i++)
		svec_pushf(&lines, "%s: %s", s.headers[i].name,
			   s.headers[i].value);
	svec_push(&lines, "Expect:");
	hr.method = s.method;
	hr.url = url.ptr;
	hr.headers = &lines;
	hr.stall_ms = AWS_STALL_MS;
	hr.progress = r->progress;
	hr.progress_payload = r->progress_payload;
	if (r->body_fd >= 0) {
		hr.read = range_read;
		hr.read_payload = &rb;
		hr.body_size = (int64_t)r->body_size;
	} else if (r->body) {
		hr.body = r->body;
		hr.body_len = r->body_len;
	}
	aws_response_release(resp);
	if (r->body_limit)
		buf_set_limit(&resp->http.body, r->body_limit);
	err = http_request(c->http, &hr, &resp->http);
	if (err < 0) {
		*transport =
			!rb.failed && (err == FY_EFAIL || err == FY_ETIMEOUT);
		goto out;
	}
	resp->status = resp->http.status;
	if (resp->status >= 300 ||
	    (r->s3_200_error && resp->status == 200 && hidden_error(resp))) {
		const char *qe = c->svc->protocol == AWS_JSON
					 ? aws_response_header(
						   resp, "x-amzn-query-error")
					 : NULL;

		awserror_parse(&resp->error, resp->status, resp->http.body.ptr,
			       resp->http.body.len, qe);
		if (resp->status < 300)
			resp->error.status = 500;
	}
out:
	sigv4_release(&s);
	svec_release(&lines);
	buf_release(&url);
	aws_creds_release(&now);
	return err;
}

/* "PutObject 's3://b/k': HTTP 503 SlowDown; retrying (attempt 2 of 3)" */
static void retry_note(struct aws_client *c, const struct aws_request *r,
		       const struct aws_response *resp, bool transport,
		       int next, unsigned wait)
{
	struct buf b = BUF_INIT;

	buf_addstr(&b, r->op);
	describe_target(&b, c, r);
	if (transport)
		buf_addf(&b, ": %s", err_msg());
	else
		buf_addf(&b, ": HTTP %ld %s", resp->status, resp->error.code);
	logf_(c, "%s; retrying (attempt %d of %d) in %.1f s", b.ptr, next,
	      c->max_attempts, wait / 1000.0);
	buf_release(&b);
}

int aws_send(struct aws_client *c, const struct aws_request *r,
	     struct aws_response *resp)
{
	struct target t = { AWSENDPOINT_INIT, NULL, NULL, BUF_INIT };
	char hex[65];
	const char *payload_hash = r->payload_hash;
	int cost = 0;
	int err;

	err = aws_target_init(c, r, &t);
	if (err < 0)
		goto out;
	if (!payload_hash && r->body_fd >= 0 && !c->dry_run) {
		err = hash_range(r->body_fd, r->body_off, r->body_size, hex);
		if (err < 0)
			goto out;
		payload_hash = hex;
	}
	for (int n = 1;; n++) {
		bool transport = false, failed;
		unsigned wait;

		err = attempt(c, r, &t, payload_hash, resp, &transport);
		if (err < 0 && !transport)
			goto out;
		failed = err < 0 || resp->error.code;
		if (!failed) {
			c->quota += cost ? cost : 1;
			if (c->quota > AWS_RETRY_QUOTA)
				c->quota = AWS_RETRY_QUOTA;
			goto out;
		}
		if (!transport &&
		    !awserror_retryable(resp->error.status, resp->error.code)) {
			err = answer_error(c, r, resp);
			goto out;
		}
		cost = err == FY_ETIMEOUT ? AWS_TIMEOUT_COST : AWS_RETRY_COST;
		if (n >= c->max_attempts || c->quota < cost) {
			if (!transport)
				err = answer_error(c, r, resp);
			if (n > 1)
				err_wrap(err, "after %d attempts", n);
			goto out;
		}
		c->quota -= cost;
		if (n == 1)
			c->retried++;
		c->retries++;
		wait = awserror_backoff_ms((unsigned)n, next_random(c),
					   c->base_ms);
		retry_note(c, r, resp, transport, n + 1, wait);
		sleep_ms(wait);
	}
out:
	aws_target_release(&t);
	return err;
}

int aws_json_call(struct aws_client *c, const char *op, const struct val *in,
		  struct val **out, const char *iam_resource)
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	struct val *empty = in ? NULL : val_map();
	struct buf body = BUF_INIT, action = BUF_INIT;
	struct val *v = NULL;
	int err;

	json_write(&body, in ? in : empty, 0);
	buf_addf(&action, "%s:%s", c->svc->iam_prefix, op);
	r.op = op;
	r.body = body.ptr;
	r.body_len = body.len;
	r.iam_action = action.ptr;
	r.iam_resource = iam_resource ? iam_resource : "*";
	aws_request_header(&r, "Content-Type", "application/x-amz-json-1.1");
	svec_pushf(&r.headers, "X-Amz-Target: %s.%s", c->svc->target_prefix,
		   op);
	err = aws_send(c, &r, &resp);
	if (!err && (c->dry_run || !resp.http.body.len))
		v = val_map();
	else if (!err &&
		 json_parse(&v, resp.http.body.ptr, resp.http.body.len, 0) < 0)
		err = err_wrap(FY_EFAIL, "%s: bad JSON answer", op);
	if (!err && v && v->type != VAL_MAP)
		err = err_set(FY_EFAIL, "%s: the answer is not a JSON object",
			      op);
	if (!err) {
		*out = v;
		v = NULL;
	}
	val_free(v);
	val_free(empty);
	buf_release(&body);
	buf_release(&action);
	aws_request_release(&r);
	aws_response_release(&resp);
	return err;
}

void aws_form_add(struct buf *form, const char *name, const char *value)
{
	if (form->len)
		buf_addch(form, '&');
	sigv4_uri_encode(form, name, strlen(name), false);
	buf_addch(form, '=');
	sigv4_uri_encode(form, value, strlen(value), false);
}

int aws_query_call(struct aws_client *c, const char *action, const char *form,
		   struct xml_node **out, const char *iam_resource)
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	struct buf body = BUF_INIT, act = BUF_INIT;
	struct xml_node *x = NULL;
	int err;

	aws_form_add(&body, "Action", action);
	aws_form_add(&body, "Version", c->svc->api_version);
	if (form && *form)
		buf_addf(&body, "&%s", form);
	buf_addf(&act, "%s:%s", c->svc->iam_prefix, action);
	r.op = action;
	r.body = body.ptr;
	r.body_len = body.len;
	r.iam_action = act.ptr;
	r.iam_resource = iam_resource ? iam_resource : "*";
	aws_request_header(&r, "Content-Type",
			   "application/x-www-form-urlencoded; charset=utf-8");
	err = aws_send(c, &r, &resp);
	if (!err && !c->dry_run &&
	    xml_parse(&x, resp.http.body.ptr, resp.http.body.len) < 0)
		err = err_wrap(FY_EFAIL, "%s: bad XML answer", action);
	if (!err)
		*out = x;
	buf_release(&body);
	buf_release(&act);
	aws_request_release(&r);
	aws_response_release(&resp);
	return err;
}
