#include "compat.h"

#include <strings.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "sigv4.h"
#include "xalloc.h"

/* AWS Signature Version 4: see include/sigv4.h for the contract. */

/* One header as it goes into the canonical request. */
struct canon_header {
	char *name;	   /* lower-cased */
	const char *value; /* as given */
	size_t index;	   /* position in r->headers, for a stable sort */
};

/* One encoded query parameter. */
struct canon_param {
	struct buf name;
	struct buf value;
};

/* Headers that proxies and HTTP libraries may add or rewrite. */
static const char *const unsigned_headers[] = {
	"user-agent",
	"expect",
	"x-amzn-trace-id",
};

void sigv4_init(struct sigv4_request *r)
{
	struct sigv4_request blank = SIGV4_REQUEST_INIT;

	*r = blank;
}

/* Free a string that may hold a credential (a session token). */
static void free_wiped(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void sigv4_release(struct sigv4_request *r)
{
	for (size_t i = 0; i < r->nr_headers; i++) {
		free(r->headers[i].name);
		free_wiped(r->headers[i].value);
	}
	free(r->headers);
	for (size_t i = 0; i < r->nr_params; i++) {
		free(r->params[i].name);
		free_wiped(r->params[i].value);
	}
	free(r->params);
	buf_release(&r->scope);
	buf_release(&r->wire_path);
	buf_release_secure(&r->wire_query);
	buf_release_secure(&r->canonical_request); /* may hold a token */
	buf_release(&r->string_to_sign);
	buf_release(&r->signed_headers);
	buf_release(&r->authorization);
	buf_release(&r->chunk_string_to_sign);
	explicit_bzero(r->key, sizeof(r->key));
	sigv4_init(r);
}

void sigv4_add_header(struct sigv4_request *r, const char *name,
		      const char *value)
{
	XGROW(r->headers, r->alloc_headers, r->nr_headers + 1);
	r->headers[r->nr_headers].name = xstrdup(name);
	r->headers[r->nr_headers].value = xstrdup(value);
	r->nr_headers++;
}

void sigv4_add_param(struct sigv4_request *r, const char *name,
		     const char *value)
{
	XGROW(r->params, r->alloc_params, r->nr_params + 1);
	r->params[r->nr_params].name = xstrdup(name);
	r->params[r->nr_params].value = value ? xstrdup(value) : NULL;
	r->nr_params++;
}

const char *sigv4_header(const struct sigv4_request *r, const char *name)
{
	for (size_t i = 0; i < r->nr_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

static bool has_param(const struct sigv4_request *r, const char *name)
{
	for (size_t i = 0; i < r->nr_params; i++)
		if (!strcmp(r->params[i].name, name))
			return true;
	return false;
}

static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

void sigv4_uri_encode(struct buf *out, const char *s, size_t len,
		      bool keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c) || (keep_slash && c == '/')) {
			buf_addch(out, c);
		} else {
			char esc[3] = { '%', digits[c >> 4], digits[c & 15] };

			buf_add(out, esc, 3);
		}
	}
}

int sigv4_format_time(char out[17], time_t t)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || tm.tm_year < 0 || tm.tm_year > 8099 ||
	    !strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm))
		return err_set(FY_EINVALID, "signing time %lld is out of range",
			       (long long)t);
	return 0;
}

void sigv4_derive_keys(unsigned char keys[4][32], const char *secret,
		       const char *date, const char *region,
		       const char *service)
{
	size_t len = strlen(secret);
	char *k = xmalloc(st_add(len, 5));

	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, len + 1);
	crypto_hmac(CRYPTO_SHA256, k, len + 4, date, strlen(date), keys[0]);
	crypto_hmac(CRYPTO_SHA256, keys[0], 32, region, strlen(region),
		    keys[1]);
	crypto_hmac(CRYPTO_SHA256, keys[1], 32, service, strlen(service),
		    keys[2]);
	crypto_hmac(CRYPTO_SHA256, keys[2], 32, "aws4_request", 12, keys[3]);
	explicit_bzero(k, len + 4);
	free(k);
}

/* Append `value` trimmed, with every run of whitespace made one space. */
static void add_trimmed(struct buf *out, const char *value)
{
	bool space = false, any = false;

	for (const char *p = value; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\v' || *p == '\f') {
			space = any;
			continue;
		}
		if (space)
			buf_addch(out, ' ');
		buf_addch(out, *p);
		space = false;
		any = true;
	}
}

/* Is `have` equal to `want` once trimmed like a canonical value? */
static bool same_value(const char *have, const char *want)
{
	struct buf b = BUF_INIT;
	bool same;

	add_trimmed(&b, have);
	same = !strcmp(b.ptr, want);
	buf_release_secure(&b);
	return same;
}

/*
 * Add header `name: value` unless the caller gave it; a given one must
 * hold the same value (it is not printed: it may be a session token).
 */
static int ensure_header(struct sigv4_request *r, const char *name,
			 const char *value)
{
	const char *have = sigv4_header(r, name);

	if (!have) {
		sigv4_add_header(r, name, value);
		return 0;
	}
	if (!same_value(have, value))
		return err_set(FY_EINVALID,
			       "the request's '%s' header does not match the "
			       "value being signed",
			       name);
	return 0;
}

static int check_inputs(const struct sigv4_request *r)
{
	const char *empty = NULL;

	if (!r->method || !*r->method)
		empty = "method";
	else if (!r->path)
		empty = "path";
	else if (!r->region || !*r->region || strchr(r->region, '/'))
		empty = "region";
	else if (!r->service || !*r->service || strchr(r->service, '/'))
		empty = "service";
	else if (!r->creds.access_key_id || !*r->creds.access_key_id)
		empty = "access key id";
	else if (!r->creds.secret_access_key || !*r->creds.secret_access_key)
		empty = "secret access key";
	if (empty)
		return err_set(FY_EINVALID, "cannot sign: no valid %s", empty);
	if (!sigv4_header(r, "host"))
		return err_set(FY_EINVALID, "cannot sign: no Host header");
	if (sigv4_header(r, "authorization"))
		return err_set(FY_EINVALID,
			       "cannot sign: the request is already signed");
	if (!(r->flags & SIGV4_PRESIGN))
		return 0;
	if (r->expires < 1 || r->expires > SIGV4_MAX_EXPIRES)
		return err_set(FY_EINVALID,
			       "cannot presign: expiry %u is not in 1..%d "
			       "seconds",
			       r->expires, SIGV4_MAX_EXPIRES);
	if (has_param(r, "X-Amz-Signature") || has_param(r, "X-Amz-Credential"))
		return err_set(FY_EINVALID,
			       "cannot presign: the query is already signed");
	return 0;
}

/* The last line of the canonical request; `hex` holds a computed hash. */
static const char *payload_line(const struct sigv4_request *r, char hex[65])
{
	if (r->payload_hash)
		return r->payload_hash;
	if ((r->flags & SIGV4_PRESIGN) && (r->flags & SIGV4_S3))
		return SIGV4_UNSIGNED_PAYLOAD;
	if (!r->payload && r->payload_len)
		BUG("payload of %zu bytes without data", r->payload_len);
	crypto_digest_hex(CRYPTO_SHA256, r->payload, r->payload_len, hex);
	return hex;
}

/* Headers the signer adds before signing, in header mode. */
static int add_auth_headers(struct sigv4_request *r, const char *payload)
{
	int err;

	err = ensure_header(r, "X-Amz-Date", r->amz_date);
	if (!err && r->creds.session_token &&
	    !(r->flags & SIGV4_TOKEN_UNSIGNED))
		err = ensure_header(r, "X-Amz-Security-Token",
				    r->creds.session_token);
	if (!err && (r->flags & (SIGV4_S3 | SIGV4_CONTENT_SHA256)))
		err = ensure_header(r, "x-amz-content-sha256", payload);
	return err;
}

/* Query parameters the signer adds before signing, in presign mode. */
static void add_auth_params(struct sigv4_request *r)
{
	struct buf b = BUF_INIT;

	sigv4_add_param(r, "X-Amz-Algorithm", SIGV4_ALGORITHM);
	buf_addf(&b, "%s/%s", r->creds.access_key_id, r->scope.ptr);
	sigv4_add_param(r, "X-Amz-Credential", b.ptr);
	sigv4_add_param(r, "X-Amz-Date", r->amz_date);
	buf_reset(&b);
	buf_addf(&b, "%u", r->expires);
	sigv4_add_param(r, "X-Amz-Expires", b.ptr);
	sigv4_add_param(r, "X-Amz-SignedHeaders", r->signed_headers.ptr);
	if (r->creds.session_token && !(r->flags & SIGV4_TOKEN_UNSIGNED))
		sigv4_add_param(r, "X-Amz-Security-Token",
				r->creds.session_token);
	buf_release(&b);
}

static bool is_unsigned_header(const char *lname)
{
	for (size_t i = 0; i < ARRAY_SIZE(unsigned_headers); i++)
		if (!strcmp(lname, unsigned_headers[i]))
			return true;
	return false;
}

static int cmp_canon_header(const void *a, const void *b)
{
	const struct canon_header *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Append the CanonicalHeaders block (each line ending in '\n') to `out`
 * and set r->signed_headers.
 */
static void canonical_headers(struct sigv4_request *r, struct buf *out)
{
	struct canon_header *h = xcalloc(r->nr_headers + 1, sizeof(*h));
	size_t n = 0;

	for (size_t i = 0; i < r->nr_headers; i++) {
		char *lname = xstrdup(r->headers[i].name);

		for (char *p = lname; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if (is_unsigned_header(lname)) {
			free(lname);
			continue;
		}
		h[n].name = lname;
		h[n].value = r->headers[i].value;
		h[n].index = i;
		n++;
	}
	qsort(h, n, sizeof(*h), cmp_canon_header);
	buf_reset(&r->signed_headers);
	for (size_t i = 0; i < n; i++) {
		bool same = i && !strcmp(h[i].name, h[i - 1].name);

		if (same) {
			buf_addch(out, ',');
		} else {
			if (i)
				buf_addch(out, '\n');
			buf_addf(out, "%s:", h[i].name);
			if (r->signed_headers.len)
				buf_addch(&r->signed_headers, ';');
			buf_addstr(&r->signed_headers, h[i].name);
		}
		add_trimmed(out, h[i].value);
	}
	if (n)
		buf_addch(out, '\n');
	for (size_t i = 0; i < n; i++)
		free(h[i].name);
	free(h);
}

static int cmp_canon_param(const void *a, const void *b)
{
	const struct canon_param *x = a, *y = b;
	int c = strcmp(x->name.ptr, y->name.ptr);

	return c ? c : strcmp(x->value.ptr, y->value.ptr);
}

/* Append the CanonicalQueryString (no newline). */
static void canonical_query(const struct sigv4_request *r, struct buf *out)
{
	struct canon_param *q = xcalloc(r->nr_params + 1, sizeof(*q));
	size_t n = r->nr_params;

	for (size_t i = 0; i < n; i++) {
		const struct sigv4_param *p = &r->params[i];

		buf_init(&q[i].name);
		buf_init(&q[i].value);
		sigv4_uri_encode(&q[i].name, p->name, strlen(p->name), false);
		if (p->value)
			sigv4_uri_encode(&q[i].value, p->value,
					 strlen(p->value), false);
	}
	qsort(q, n, sizeof(*q), cmp_canon_param);
	for (size_t i = 0; i < n; i++) {
		buf_addf(out, "%s%s=%s", i ? "&" : "", q[i].name.ptr,
			 q[i].value.ptr);
		buf_release(&q[i].name);
		buf_release_secure(&q[i].value);
	}
	free(q);
}

/*
 * Remove "." and ".." segments and empty segments ("//"), keeping the
 * leading slash and a trailing one, as botocore's normalize_url_path.
 */
static void normalize_path(struct buf *out, const char *path)
{
	size_t len = strlen(path), nr = 0, alloc = 0;
	struct {
		const char *p;
		size_t len;
	} *seg = NULL;

	for (const char *p = path; p < path + len;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && !memcmp(p, "..", 2)) {
			if (nr)
				nr--;
		} else if (n && !(n == 1 && *p == '.')) {
			XGROW(seg, alloc, nr + 1);
			seg[nr].p = p;
			seg[nr].len = n;
			nr++;
		}
		p += n + (slash ? 1 : 0);
	}
	if (*path == '/')
		buf_addch(out, '/');
	for (size_t i = 0; i < nr; i++) {
		if (i)
			buf_addch(out, '/');
		buf_add(out, seg[i].p, seg[i].len);
	}
	if (nr && len && path[len - 1] == '/')
		buf_addch(out, '/');
	if (!out->len)
		buf_addch(out, '/');
	free(seg);
}

/* Append the CanonicalURI (no newline). */
static void canonical_uri(const struct sigv4_request *r, struct buf *out)
{
	struct buf norm = BUF_INIT;

	if (r->flags & SIGV4_S3) {
		buf_add(out, r->wire_path.ptr, r->wire_path.len);
		return;
	}
	if (r->flags & SIGV4_NO_NORMALIZE)
		buf_add(&norm, r->wire_path.ptr, r->wire_path.len);
	else
		normalize_path(&norm, r->wire_path.ptr);
	sigv4_uri_encode(out, norm.ptr, norm.len, true);
	buf_release(&norm);
}

/* Fill canonical_request, string_to_sign, key and signature. */
static void compute_signature(struct sigv4_request *r, const char *payload)
{
	struct buf *cr = &r->canonical_request;
	unsigned char keys[4][32], mac[32];
	char hash[65], date[9];

	buf_reset(cr);
	buf_addf(cr, "%s\n", r->method);
	canonical_uri(r, cr);
	buf_addch(cr, '\n');
	canonical_query(r, cr);
	buf_addch(cr, '\n');
	canonical_headers(r, cr);
	buf_addf(cr, "\n%s\n%s", r->signed_headers.ptr, payload);

	crypto_digest_hex(CRYPTO_SHA256, cr->ptr, cr->len, hash);
	buf_reset(&r->string_to_sign);
	buf_addf(&r->string_to_sign, "%s\n%s\n%s\n%s", SIGV4_ALGORITHM,
		 r->amz_date, r->scope.ptr, hash);

	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	sigv4_derive_keys(keys, r->creds.secret_access_key, date, r->region,
			  r->service);
	memcpy(r->key, keys[3], sizeof(r->key));
	explicit_bzero(keys, sizeof(keys));
	crypto_hmac(CRYPTO_SHA256, r->key, sizeof(r->key),
		    r->string_to_sign.ptr, r->string_to_sign.len, mac);
	crypto_hex(r->signature, mac, sizeof(mac));
	memcpy(r->prev_signature, r->signature, sizeof(r->signature));
}

/* After signing: the unsigned token, then the signature itself. */
static void add_signature(struct sigv4_request *r)
{
	bool late_token =
		r->creds.session_token && (r->flags & SIGV4_TOKEN_UNSIGNED);

	if (r->flags & SIGV4_PRESIGN) {
		if (late_token)
			sigv4_add_param(r, "X-Amz-Security-Token",
					r->creds.session_token);
		sigv4_add_param(r, "X-Amz-Signature", r->signature);
		return;
	}
	if (late_token)
		sigv4_add_header(r, "X-Amz-Security-Token",
				 r->creds.session_token);
	buf_reset(&r->authorization);
	buf_addf(&r->authorization,
		 "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		 SIGV4_ALGORITHM, r->creds.access_key_id, r->scope.ptr,
		 r->signed_headers.ptr, r->signature);
	sigv4_add_header(r, "Authorization", r->authorization.ptr);
}

/* Rebuild r->wire_query from r->params, in order. */
static void build_wire_query(struct sigv4_request *r)
{
	buf_reset(&r->wire_query);
	for (size_t i = 0; i < r->nr_params; i++) {
		const struct sigv4_param *p = &r->params[i];

		if (i)
			buf_addch(&r->wire_query, '&');
		sigv4_uri_encode(&r->wire_query, p->name, strlen(p->name),
				 false);
		if (!p->value)
			continue;
		buf_addch(&r->wire_query, '=');
		sigv4_uri_encode(&r->wire_query, p->value, strlen(p->value),
				 false);
	}
}

int sigv4_sign(struct sigv4_request *r)
{
	bool presign = r->flags & SIGV4_PRESIGN;
	const char *payload;
	char hex[65];
	char date[9];
	int err;

	if (r->is_signed)
		BUG("a SigV4 request signed twice");
	err = check_inputs(r);
	if (!err)
		err = sigv4_format_time(r->amz_date, r->time);
	if (err < 0)
		return err;
	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	buf_reset(&r->scope);
	buf_addf(&r->scope, "%s/%s/%s/aws4_request", date, r->region,
		 r->service);
	buf_reset(&r->wire_path);
	if (r->flags & SIGV4_RAW_PATH)
		sigv4_uri_encode(&r->wire_path, r->path, strlen(r->path), true);
	else
		buf_addstr(&r->wire_path, r->path);
	if (!r->wire_path.len)
		buf_addch(&r->wire_path, '/');
	payload = payload_line(r, hex);

	if (!presign) {
		err = add_auth_headers(r, payload);
		if (err < 0)
			return err;
	} else {
		/* SignedHeaders goes into the query: compute it first. */
		struct buf scratch = BUF_INIT;

		canonical_headers(r, &scratch);
		buf_release(&scratch);
		add_auth_params(r);
	}
	compute_signature(r, payload);
	add_signature(r);
	build_wire_query(r);
	r->is_signed = true;
	return 0;
}

void sigv4_sign_chunk(struct sigv4_request *r, const void *data, size_t len,
		      char sig[65])
{
	struct buf *sts = &r->chunk_string_to_sign;
	unsigned char mac[32];
	char hash[65];

	if (!r->is_signed || !r->payload_hash ||
	    strcmp(r->payload_hash, SIGV4_STREAMING_PAYLOAD))
		BUG("chunk signing needs a signed streaming request");
	crypto_digest_hex(CRYPTO_SHA256, data, len, hash);
	buf_reset(sts);
	buf_addf(sts, "%s-PAYLOAD\n%s\n%s\n%s\n%s\n%s", SIGV4_ALGORITHM,
		 r->amz_date, r->scope.ptr, r->prev_signature,
		 SIGV4_EMPTY_SHA256, hash);
	crypto_hmac(CRYPTO_SHA256, r->key, sizeof(r->key), sts->ptr, sts->len,
		    mac);
	crypto_hex(sig, mac, sizeof(mac));
	memcpy(r->prev_signature, sig, 65);
}

int sigv4_chunk_frame(struct sigv4_request *r, struct buf *out,
		      const void *data, size_t len)
{
	char sig[65];

	sigv4_sign_chunk(r, data, len, sig);
	buf_addf(out, "%zx;chunk-signature=%s\r\n", len, sig);
	buf_add(out, data, len);
	buf_add(out, "\r\n", 2);
	if (buf_truncated(out))
		return err_set(FY_ETOOBIG,
			       "chunked body exceeds the limit of %zu bytes",
			       out->limit);
	return 0;
}

/* Bytes of framing around one chunk of `len` bytes. */
static uint64_t chunk_overhead(uint64_t len)
{
	uint64_t digits = 1;

	while (len >>= 4)
		digits++;
	/* hex(len) ";chunk-signature=" 64 hex "\r\n" ... "\r\n" */
	return digits + 17 + 64 + 2 + 2;
}

uint64_t sigv4_chunked_length(uint64_t decoded_len, size_t chunk_size)
{
	uint64_t full, rest, total;

	if (!chunk_size)
		BUG("chunk size 0");
	full = decoded_len / chunk_size;
	rest = decoded_len % chunk_size;
	total = full * (chunk_size + chunk_overhead(chunk_size));
	if (rest)
		total += rest + chunk_overhead(rest);
	return total + chunk_overhead(0);
}
