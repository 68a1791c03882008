#ifndef FY_HTTP_H
#define FY_HTTP_H

#include "compat.h"

#include <stdatomic.h>

#include "buf.h"
#include "svec.h"

/*
 * http.c: the project's HTTP(S) client, on libcurl (the only file that
 * includes <curl/curl.h>).  It serves the Docker Engine API, the AWS and
 * GitHub APIs and cache downloads alike.
 *
 * A struct http_client owns one connection cache: successive requests
 * made through the same client reuse their connections (keep-alive), TLS
 * sessions and DNS results.  A client runs one transfer at a time and is
 * used by one thread at a time; threads that work in parallel each make
 * their own client (creating one is cheap).  libcurl's global state is
 * set up once, thread-safely, by the first http_client_new().
 *
 * Two ways to make a request:
 *
 *  - http_request() runs the whole transfer.  The response body goes to
 *    resp->body (capped) or, when resp->write is set, to that callback
 *    as it arrives (large downloads, streamed progress).
 *  - http_open() returns as soon as the response headers are in; the
 *    caller then pulls the body with http_read(), which can wait with a
 *    time limit, and ends with http_close().  This is how a caller reads
 *    a long stream (a container's output) while it does other work.
 *
 * Ownership: the request and everything it points to are borrowed and
 * must stay valid until http_request() returns or http_close() is
 * called.  The response belongs to the caller (http_response_release()).
 *
 * Return contract: 0 once a response arrived, whatever its status: an
 * HTTP error status is not an error, read resp->status.  A transport
 * failure returns a negative FY_E* code with one message naming the
 * method and the URL (credentials stripped) and curl's own text:
 * FY_ETIMEOUT when a time limit expired, FY_ECANCELED when the cancel
 * flag was raised, FY_ETOOBIG when the body exceeded resp->body's cap,
 * a callback's own code (its message kept) when a read, write or
 * progress callback failed, FY_EFAIL otherwise.
 */

struct http_client;

/* Body upload from a callback: fill `dst` with up to `cap` bytes. */
typedef int (*http_read_fn)(void *dst, size_t cap, size_t *got, void *payload);
/* Streamed body download; return 0, or a FY_E* code to abort. */
typedef int (*http_write_fn)(const void *data, size_t len, void *payload);

struct http_progress {
	uint64_t down_now, down_total; /* total: 0 while unknown */
	uint64_t up_now, up_total;
};
/* Called about once per chunk moved; return < 0 to abort the transfer. */
typedef int (*http_progress_fn)(const struct http_progress *p, void *payload);

struct http_request {
	const char *method; /* NULL: GET, or POST when there is a body */
	const char *url;
	const struct svec *headers; /* "Name: value" lines, or NULL */

	/* The body: at most one of memory, callback or descriptor. */
	const void *body; /* from memory: body_len bytes */
	size_t body_len;
	http_read_fn read; /* from a callback; got = 0 ends the body */
	void *read_payload;
	int body_fd;	   /* from a descriptor, read to EOF; -1: none */
	int64_t body_size; /* callback or fd: byte count, -1 unknown */

	const char *unix_socket; /* connect to this socket, not the host */
	const char *ca_file;	 /* PEM bundle of trusted CAs; NULL: system */
	const char *cert_file;	 /* client certificate (PEM) */
	const char *key_file;	 /* its private key (PEM) */
	bool insecure;		 /* skip TLS verification (tests only) */
	bool follow;		 /* follow redirects, at most 10 */

	long connect_timeout_ms; /* 0: 30 seconds */
	long timeout_ms;	 /* whole transfer; 0: no limit */
	long stall_ms;		 /* abort when no byte moved this long */

	const atomic_bool *cancel; /* checked at least every 100 ms */
	http_progress_fn progress;
	void *progress_payload;
};
/* clang-format off */
#define HTTP_REQUEST_INIT { .body_fd = -1, .body_size = -1 }
/* clang-format on */

/* Default cap of resp->body when the caller set none. */
#define HTTP_BODY_LIMIT (16u << 20)

struct http_response {
	long status;	     /* of the final response */
	struct svec headers; /* its header lines, "Name: value" */
	struct buf body;     /* the body, unless `write` takes it */
	http_write_fn write; /* stream a 1xx/2xx body here instead */
	void *write_payload;
};
/* clang-format off */
#define HTTP_RESPONSE_INIT { .headers = SVEC_INIT, .body = BUF_INIT }
/* clang-format on */

int http_client_new(struct http_client **out);
void http_client_free(struct http_client *c);

/*
 * Run a request to its end.  resp->status, resp->headers and the body
 * are replaced; a limit set on resp->body beforehand is kept.
 */
int http_request(struct http_client *c, const struct http_request *req,
		 struct http_response *resp);

/*
 * The pull interface:
 *
 *  1. http_open() sends the request and waits for the response headers
 *     (within req->connect_timeout_ms and req->timeout_ms);
 *  2. http_read() waits at most `timeout_ms` (-1: no limit, 0: do not
 *     wait) for body bytes and copies up to `cap` of them to `dst`;
 *     *got is 0 when the time passed without data, or when the body
 *     ended, which http_eof() tells;
 *  3. http_close() ends the transfer, finished or not; the connection
 *     is kept for the next request only if the body was read to its end.
 *
 * resp->write and resp->body are not used.  After a failed http_open()
 * or http_read() the caller still calls http_close().
 */
int http_open(struct http_client *c, const struct http_request *req,
	      struct http_response *resp);
int http_read(struct http_client *c, void *dst, size_t cap, int timeout_ms,
	      size_t *got);
bool http_eof(const struct http_client *c);
void http_close(struct http_client *c);

void http_response_release(struct http_response *r);
/* The value of header `name` (any case), or NULL when absent. */
const char *http_response_header(const struct http_response *r,
				 const char *name);

/* `url` without its user and password: "https://u:p@h/" -> "https://h/". */
char *http_url_redact(const char *url);
/*
 * Append `s` percent-encoded: everything but RFC 3986's unreserved
 * characters, and '/', ':' and '@' as well unless `path`.
 */
void http_escape(struct buf *out, const char *s, bool path);

#endif
