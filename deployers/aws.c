/*
 * aws.c: the AWS client (see aws.h): endpoints, signing, retries and
 * error answers.  The three protocols share aws_send(); the JSON and
 * query calls only shape the body and parse the answer.
 */
#include "compat.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
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

#define AWS_DEFAULT_ATTEMPTS 3
#define AWS_MAX_ATTEMPTS_CAP 20
#define AWS_DEFAULT_BASE_MS  1000u
#define AWS_STALL_MS	     60000L
#define AWS_DRY_BODY_MAX     4096

const struct aws_service aws_s3 = {
	.id = "s3",
	.endpoint_prefix = "s3",
	.signing_name = "s3",
	.iam_prefix = "s3",
	.protocol = AWS_REST_XML,
};

const struct aws_service aws_codedeploy = {
	.id = "codedeploy",
	.endpoint_prefix = "codedeploy",
	.signing_name = "codedeploy",
	.iam_prefix = "codedeploy",
	.protocol = AWS_JSON,
	.target_prefix = "CodeDeploy_20141006",
};

const struct aws_service aws_sts = {
	.id = "sts",
	.endpoint_prefix = "sts",
	.signing_name = "sts",
	.iam_prefix = "sts",
	.protocol = AWS_QUERY,
	.api_version = "2011-06-15",
};

const struct aws_service aws_ecr = {
	.id = "ecr",
	.endpoint_prefix = "api.ecr",
	.signing_name = "ecr",
	.iam_prefix = "ecr",
	.protocol = AWS_JSON,
	.target_prefix = "AmazonEC2ContainerRegistry_V20150921",
};

const struct aws_service aws_iam = {
	.id = "iam",
	.endpoint_prefix = "iam",
	.signing_name = "iam",
	.iam_prefix = "iam",
	.protocol = AWS_QUERY,
	.api_version = "2010-05-08",
	.global = true,
};

/* ---- environment and configuration ---- */

const char *aws_getenv(const struct aws_env *env, const char *name)
{
	const char *v = NULL;

	if (env && env->vars && val_map_get(env->vars, name))
		v = val_text(val_map_get(env->vars, name));
	else if (!env || !env->no_host)
		v = getenv(name);
	return v && *v ? v : NULL;
}

static bool env_true(const struct aws_env *env, const char *name)
{
	const char *v = aws_getenv(env, name);

	return v && !strcasecmp(v, "true");
}

const char *aws_config_region(const struct aws_env *env, const char *option,
			      const char *profile_region)
{
	const char *r = option && *option ? option : NULL;

	if (!r)
		r = aws_getenv(env, "AWS_REGION");
	if (!r)
		r = aws_getenv(env, "AWS_DEFAULT_REGION");
	if (!r && profile_region && *profile_region)
		r = profile_region;
	return r ? r : AWS_DEFAULT_REGION;
}

const char *aws_config_endpoint(const struct aws_env *env,
				const struct aws_service *svc,
				const char *option)
{
	char name[64];
	size_t n;

	if (option && *option)
		return option;
	if (env_true(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
		return NULL;
	n = (size_t)snprintf(name, sizeof(name), "AWS_ENDPOINT_URL_%s",
			     svc->id);
	for (size_t i = 17; i < n && i < sizeof(name); i++) {
		if (name[i] >= 'a' && name[i] <= 'z')
			name[i] = (char)(name[i] - 'a' + 'A');
		else if (name[i] == '-' || name[i] == ' ')
			name[i] = '_';
	}
	if (aws_getenv(env, name))
		return aws_getenv(env, name);
	return aws_getenv(env, "AWS_ENDPOINT_URL");
}

/* ---- credentials, obfuscation, times ---- */

static void free_secret(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
	}
	*s = NULL;
}

void aws_creds_release(struct aws_creds *c)
{
	free_secret(&c->access_key_id);
	free_secret(&c->secret_access_key);
	free_secret(&c->session_token);
	free(c->source);
	c->source = NULL;
	c->expiration = 0;
}

void aws_obfuscate(struct buf *out, const char *secret)
{
	size_t len = strlen(secret);
	size_t keep = len / (4 + len / 5);

	if (!keep)
		keep = 1;
	if (keep > len)
		keep = len;
	buf_add(out, secret, keep);
	for (size_t i = keep; i < 20; i++)
		buf_addch(out, '*');
}

/* `t` read as local to the offset "+HH:MM", "-HHMM" or "+HH"; 0 if bad. */
static time_t with_offset(time_t t, const char *off)
{
	int sign = *off == '+' ? -1 : *off == '-' ? 1 : 0;
	int h, m = 0;

	if (!sign || strspn(off + 1, "0123456789") < 2)
		return 0;
	h = (off[1] - '0') * 10 + (off[2] - '0');
	off += 3;
	if (*off == ':')
		off++;
	if (*off) {
		if (strlen(off) != 2 || strspn(off, "0123456789") != 2)
			return 0;
		m = (off[0] - '0') * 10 + (off[1] - '0');
	}
	if (h > 23 || m > 59)
		return 0;
	return t + sign * (h * 3600 + m * 60);
}

time_t aws_parse_time(const char *s)
{
	struct tm tm;
	char *end;

	if (!s)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	if (*end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (!*end || !strcmp(end, "Z"))
		return timegm(&tm);
	return with_offset(timegm(&tm), end);
}

/* ---- the credentials cache ---- */

struct aws_credcache {
	pthread_mutex_t lock;	    /* guards cur and gen */
	pthread_mutex_t refreshing; /* one refresh at a time */
	struct aws_creds cur;
	unsigned long gen; /* refreshes so far */
	struct aws_credcache_src src;
	bool has_src;
};

static void creds_copy(struct aws_creds *out, const struct aws_creds *c)
{
	out->access_key_id = xstrdup(c->access_key_id);
	out->secret_access_key = xstrdup(c->secret_access_key);
	out->session_token =
		c->session_token ? xstrdup(c->session_token) : NULL;
	out->expiration = c->expiration;
	out->source = c->source ? xstrdup(c->source) : NULL;
}

void aws_credcache_new(struct aws_credcache **out, struct aws_creds *creds,
		       const struct aws_credcache_src *src)
{
	struct aws_credcache *cc = xcalloc(1, sizeof(*cc));

	pthread_mutex_init(&cc->lock, NULL);
	pthread_mutex_init(&cc->refreshing, NULL);
	cc->cur = *creds;
	memset(creds, 0, sizeof(*creds));
	if (src && src->refresh) {
		cc->src = *src;
		cc->has_src = true;
	}
	*out = cc;
}

void aws_credcache_free(struct aws_credcache *cc)
{
	if (!cc)
		return;
	aws_creds_release(&cc->cur);
	if (cc->has_src && cc->src.free)
		cc->src.free(cc->src.payload);
	pthread_mutex_destroy(&cc->lock);
	pthread_mutex_destroy(&cc->refreshing);
	free(cc);
}

void aws_credcache_peek(struct aws_credcache *cc, struct aws_creds *out)
{
	pthread_mutex_lock(&cc->lock);
	creds_copy(out, &cc->cur);
	pthread_mutex_unlock(&cc->lock);
}

static void cache_note(struct aws_credcache *cc, const char *fmt, ...)
	PRINTFLIKE(2, 3);
static void cache_note(struct aws_credcache *cc, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!cc->src.log)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	cc->src.log(cc->src.log_payload, b.ptr);
	buf_release(&b);
}

static void utc_clock(char out[16], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%H:%M:%S", &tm);
}

/*
 * Fetch new credentials, with c->refreshing held, unless another caller
 * did since `seen`.  A failure is an error only once the current
 * credentials have expired.
 */
static int cache_refresh(struct aws_credcache *cc, unsigned long seen)
{
	struct aws_creds fresh = AWS_CREDS_INIT;
	time_t now = time(NULL), exp;
	unsigned long gen;
	char when[16];
	int err;

	pthread_mutex_lock(&cc->lock);
	exp = cc->cur.expiration;
	gen = cc->gen;
	pthread_mutex_unlock(&cc->lock);
	if (gen != seen)
		return 0;
	err = cc->src.refresh(cc->src.payload, &fresh);
	if (!err && fresh.expiration && fresh.expiration <= now)
		err = err_set(FY_EAUTH,
			      "the credentials from %s expired "
			      "as they were fetched",
			      fresh.source ? fresh.source : "the refresh");
	if (err < 0) {
		aws_creds_release(&fresh);
		if (exp <= now)
			return err_wrap(err, "the credentials have expired "
					     "and cannot be refreshed");
		utc_clock(when, exp);
		cache_note(cc,
			   "Refreshing the credentials failed (%s); the "
			   "current ones serve until they expire at %s UTC",
			   err_msg(), when);
		return 0;
	}
	pthread_mutex_lock(&cc->lock);
	aws_creds_release(&cc->cur);
	cc->cur = fresh;
	cc->gen++;
	pthread_mutex_unlock(&cc->lock);
	if (fresh.expiration) {
		utc_clock(when, fresh.expiration);
		cache_note(cc, "Credentials refreshed from %s (until %s UTC)",
			   fresh.source ? fresh.source : "their source", when);
	} else {
		cache_note(cc, "Credentials refreshed from %s",
			   fresh.source ? fresh.source : "their source");
	}
	return 0;
}

int aws_credcache_get(struct aws_credcache *cc, struct aws_creds *out)
{
	time_t exp, left;
	unsigned long seen;
	int err = 0;

	pthread_mutex_lock(&cc->lock);
	exp = cc->cur.expiration;
	seen = cc->gen;
	pthread_mutex_unlock(&cc->lock);
	left = exp - time(NULL);
	if (!cc->has_src || !exp) {
		/* fixed credentials */
	} else if (left < AWS_CREDS_REFRESH_MANDATORY) {
		pthread_mutex_lock(&cc->refreshing);
		err = cache_refresh(cc, seen);
		pthread_mutex_unlock(&cc->refreshing);
	} else if (left < AWS_CREDS_REFRESH_MARGIN &&
		   !pthread_mutex_trylock(&cc->refreshing)) {
		err = cache_refresh(cc, seen);
		pthread_mutex_unlock(&cc->refreshing);
	}
	if (err < 0)
		return err;
	aws_credcache_peek(cc, out);
	return 0;
}

/* ---- the client ---- */

struct aws_client {
	const struct aws_service *svc;
	char *region;
	char *endpoint;
	bool force_path_style, use_global, dry_run, anonymous;
	const struct aws_creds *creds;
	struct aws_credcache *credcache;
	int max_attempts;
	unsigned base_ms;
	aws_log_fn log;
	void *log_payload;
	struct http_client *http;
	int quota;
	uint64_t rng;
	unsigned retried, retries;
};

int aws_client_new(struct aws_client **out, const struct aws_client_opts *o)
{
	struct aws_client *c;
	const char *env_attempts = aws_getenv(o->env, "AWS_MAX_ATTEMPTS");
	int err;

	if (!o->service || !o->region ||
	    (!o->creds && !o->credcache && !o->anonymous))
		BUG("aws client without service, region or credentials");
	c = xcalloc(1, sizeof(*c));
	c->svc = o->service;
	c->region = xstrdup(o->region);
	c->endpoint = o->endpoint ? xstrdup(o->endpoint) : NULL;
	c->force_path_style = o->force_path_style;
	c->use_global = o->use_global;
	c->dry_run = o->dry_run;
	c->creds = o->creds;
	c->credcache = o->credcache;
	c->anonymous = o->anonymous;
	c->max_attempts = o->max_attempts;
	if (!c->max_attempts && env_attempts)
		c->max_attempts = (int)strtol(env_attempts, NULL, 10);
	if (c->max_attempts <= 0)
		c->max_attempts = AWS_DEFAULT_ATTEMPTS;
	if (c->max_attempts > AWS_MAX_ATTEMPTS_CAP)
		c->max_attempts = AWS_MAX_ATTEMPTS_CAP;
	c->base_ms =
		o->backoff_base_ms ? o->backoff_base_ms : AWS_DEFAULT_BASE_MS;
	c->log = o->log;
	c->log_payload = o->log_payload;
	c->quota = AWS_RETRY_QUOTA;
	if (crypto_random(&c->rng, sizeof(c->rng)) < 0 || !c->rng)
		c->rng = (uint64_t)time(NULL) * 2654435761u + 1;
	err = c->dry_run ? 0 : http_client_new(&c->http);
	if (err < 0) {
		aws_client_free(c);
		return err;
	}
	*out = c;
	return 0;
}

void aws_client_free(struct aws_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	free(c->region);
	free(c->endpoint);
	free(c);
}

bool aws_client_dry_run(const struct aws_client *c)
{
	return c->dry_run;
}

const char *aws_client_region(const struct aws_client *c)
{
	return c->region;
}

void aws_client_stats(const struct aws_client *c, unsigned *retried,
		      unsigned *retries)
{
	*retried = c->retried;
	*retries = c->retries;
}

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

void aws_request_release(struct aws_request *r)
{
	for (size_t i = 0; i < r->nr_params; i++) {
		free(r->params[i].name);
		free(r->params[i].value);
	}
	free(r->params);
	r->params = NULL;
	r->nr_params = r->alloc_params = 0;
	svec_release(&r->headers);
}

void aws_request_param(struct aws_request *r, const char *name,
		       const char *value)
{
	XGROW(r->params, r->alloc_params, r->nr_params + 1);
	r->params[r->nr_params].name = xstrdup(name);
	r->params[r->nr_params].value = value ? xstrdup(value) : NULL;
	r->nr_params++;
}

void aws_request_header(struct aws_request *r, const char *name,
			const char *value)
{
	svec_pushf(&r->headers, "%s: %s", name, value);
}

void aws_response_release(struct aws_response *r)
{
	http_response_release(&r->http);
	awserror_release(&r->error);
	r->status = 0;
}

const char *aws_response_header(const struct aws_response *r, const char *name)
{
	return http_response_header(&r->http, name);
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

/* The parts of a request's URL that do not change between attempts. */
struct target {
	struct awsendpoint ep;
	char *origin;	 /* scheme://authority */
	char *authority; /* Host header */
	struct buf path; /* wire path */
};

static void target_release(struct target *t)
{
	awsendpoint_release(&t->ep);
	free(t->origin);
	free(t->authority);
	buf_release(&t->path);
}

static int target_init(struct aws_client *c, const struct aws_request *r,
		       struct target *t)
{
	struct awsendpoint_params p = { c->region, c->endpoint, r->bucket,
					c->force_path_style, c->use_global };
	const char *auth, *path;
	int err = awsendpoint_resolve(&t->ep, c->svc, &p);

	if (err < 0)
		return err;
	auth = strstr(t->ep.url, "://") + 3;
	path = auth + strcspn(auth, "/");
	t->origin = xmemdupz(t->ep.url, (size_t)(path - t->ep.url));
	t->authority = xmemdupz(auth, (size_t)(path - auth));
	buf_addstr(&t->path, path);
	if (r->key) {
		buf_addch(&t->path, '/');
		sigv4_uri_encode(&t->path, r->key, strlen(r->key), true);
	} else if (r->path && strcmp(r->path, "/")) {
		buf_addstr(&t->path, r->path);
	}
	if (!t->path.len)
		buf_addch(&t->path, '/');
	return 0;
}

/* A header line split into a signer header. */
static void add_line(struct sigv4_request *s, const char *line)
{
	const char *colon = strchr(line, ':');
	char *name;

	if (!colon)
		BUG("header line without ':': %s", line);
	name = xmemdupz(line, (size_t)(colon - line));
	colon++;
	sigv4_add_header(s, name, colon + strspn(colon, " "));
	free(name);
}

/* An anonymous request: the wire path and query, the headers as given. */
static int unsigned_request(const struct aws_request *r, const struct target *t,
			    struct sigv4_request *s)
{
	s->method = r->method ? r->method : "POST";
	sigv4_add_header(s, "Host", t->authority);
	for (size_t i = 0; i < r->headers.n; i++)
		add_line(s, r->headers.v[i]);
	buf_addstr(&s->wire_path, t->path.ptr);
	for (size_t i = 0; i < r->nr_params; i++) {
		const struct aws_param *p = &r->params[i];

		if (i)
			buf_addch(&s->wire_query, '&');
		sigv4_uri_encode(&s->wire_query, p->name, strlen(p->name),
				 false);
		if (p->value) {
			buf_addch(&s->wire_query, '=');
			sigv4_uri_encode(&s->wire_query, p->value,
					 strlen(p->value), false);
		}
	}
	return 0;
}

static int sign(struct aws_client *c, const struct aws_request *r,
		const struct target *t, const struct aws_creds *creds,
		struct sigv4_request *s, const char *payload_hash)
{
	if (!creds)
		return unsigned_request(r, t, s);
	s->method = r->method ? r->method : "POST";
	s->path = t->path.ptr;
	s->region = t->ep.signing_region;
	s->service = c->svc->signing_name;
	s->creds.access_key_id = creds->access_key_id;
	s->creds.secret_access_key = creds->secret_access_key;
	s->creds.session_token = creds->session_token;
	s->time = time(NULL);
	s->flags = c->svc == &aws_s3 ? SIGV4_S3 : 0;
	s->payload = r->body;
	s->payload_len = r->body_len;
	s->payload_hash = payload_hash;
	sigv4_add_header(s, "Host", t->authority);
	for (size_t i = 0; i < r->headers.n; i++)
		add_line(s, r->headers.v[i]);
	for (size_t i = 0; i < r->nr_params; i++)
		sigv4_add_param(s, r->params[i].name, r->params[i].value);
	return sigv4_sign(s);
}

/* "Authorization" shown without its signature, key obfuscated. */
static void mask_authorization(struct buf *out, const char *value)
{
	const char *cred = strstr(value, "Credential=");
	const char *slash, *sig;

	if (!cred) {
		buf_addstr(out, "[hidden]");
		return;
	}
	cred += 11;
	slash = cred + strcspn(cred, "/,");
	buf_add(out, value, (size_t)(cred - value));
	{
		char *akid = xmemdupz(cred, (size_t)(slash - cred));

		aws_obfuscate(out, akid);
		free(akid);
	}
	sig = strstr(slash, "Signature=");
	if (sig) {
		buf_add(out, slash, (size_t)(sig - slash));
		buf_addstr(out, "Signature=[hidden]");
	} else {
		buf_addstr(out, slash);
	}
}

static bool printable(const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\t')
			return false;
	return true;
}

static void dry_print(struct aws_client *c, const struct aws_request *r,
		      const struct sigv4_request *s, const char *url)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "dry run: %s %s", s->method, url);
	for (size_t i = 0; i < s->nr_headers; i++) {
		const struct sigv4_header *h = &s->headers[i];

		buf_addf(&b, "\n    %s: ", h->name);
		if (!strcasecmp(h->name, "Authorization"))
			mask_authorization(&b, h->value);
		else if (!strcasecmp(h->name, "X-Amz-Security-Token"))
			buf_addstr(&b, "[hidden]");
		else
			buf_addstr(&b, h->value);
	}
	if (r->body_fd >= 0)
		buf_addf(&b, "\n    (body: %" PRIu64 " bytes of a file)",
			 r->body_size);
	else if (r->body_len && r->body_len <= AWS_DRY_BODY_MAX &&
		 printable(r->body, r->body_len))
		buf_addf(&b, "\n    %.*s", (int)r->body_len,
			 (const char *)r->body);
	else if (r->body_len)
		buf_addf(&b, "\n    (body: %zu bytes)", r->body_len);
	c->log(c->log_payload, b.ptr);
	buf_release(&b);
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
		err = sign(c, r, t, creds, &s, payload_hash);
	if (err < 0)
		goto out;
	buf_addf(&url, "%s%s", t->origin, s.wire_path.ptr);
	if (s.wire_query.len)
		buf_addf(&url, "?%s", s.wire_query.ptr);
	if (c->dry_run) {
		if (c->log)
			dry_print(c, r, &s, url.ptr);
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

	err = target_init(c, r, &t);
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
	target_release(&t);
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
