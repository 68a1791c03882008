#ifndef FY_HTTPD_H
#define FY_HTTPD_H

#include "compat.h"

#include <sys/types.h>

#include "buf.h"
#include "svec.h"

/*
 * httpd: the HTTP server of `ferry serve`, on libmicrohttpd (the only
 * file that includes <microhttpd.h>), private to runner/.
 *
 * Threads.  libmicrohttpd runs in "internal polling thread" mode with a
 * pool of `threads` threads, each with its own epoll set (select/poll
 * where epoll is missing); every request is handled on one of them, so
 * route handlers must be thread-safe and must not block for long (no
 * git fetch, no Docker call: the server hands such work to its own
 * threads and answers at once).
 *
 * Requests.  The whole body is read into req->body before the handler
 * runs, up to `max_body` bytes: a larger Content-Length, or a chunked
 * body that grows past the cap, is answered 413 with a JSON error and
 * the handler never sees it.  A request that matches no route gets 404,
 * one whose path matches with another method 405 (both JSON).
 *
 * Routes.  A pattern is a path whose segments are literals, ":name"
 * (one non-empty segment, read back with httpd_param()) or a final "*"
 * (the rest of the path, possibly empty, as param "*").  Routes are
 * tried in the order they were added; add them all before
 * httpd_start().
 *
 * Responses.  The handler fills `resp`: status (default 200), content
 * type (default application/json), extra headers, and a body either in
 * memory (resp->body) or streamed from a file (resp->fd with offset and
 * size, which libmicrohttpd sends without loading it; the descriptor is
 * closed by the server).
 *
 * Ownership: strings given to httpd are copied; the request and its
 * strings are valid during the handler only.
 */
struct httpd;
struct httpd_request;

struct httpd_response {
	int status;
	const char *content_type; /* static or borrowed for the call */
	struct svec headers;	  /* "Name: value" */
	struct buf body;
	int fd;	       /* >= 0: send this file instead of body */
	off_t offset;  /* where in fd */
	uint64_t size; /* bytes to send from fd */
};

typedef void (*httpd_handler_fn)(void *payload, const struct httpd_request *req,
				 struct httpd_response *resp);

struct httpd_opts {
	const char *address; /* IPv4 or IPv6 literal; NULL: 127.0.0.1 */
	unsigned port;	     /* 0: any free port (see httpd_port) */
	unsigned threads;    /* 0: 4 */
	size_t max_body;     /* 0: 1 MiB */
	unsigned timeout_s;  /* idle connection timeout; 0: 30 */
	unsigned max_conns;  /* 0: 256 */
};

int httpd_new(struct httpd **out);
/* Add a route; `method` is "GET", "POST", ... ("GET" also serves HEAD). */
void httpd_route(struct httpd *h, const char *method, const char *pattern,
		 httpd_handler_fn fn, void *payload);
/* Bind and start serving; FY_EFAIL with the OS's reason otherwise. */
int httpd_start(struct httpd *h, const struct httpd_opts *opts);
/* The port bound (useful with port 0). */
unsigned httpd_port(const struct httpd *h);
/* Stop accepting connections, finish the requests in progress, free. */
void httpd_free(struct httpd *h);

/* ---- inside a handler -------------------------------------------------- */

const char *httpd_method(const struct httpd_request *r);
const char *httpd_path(const struct httpd_request *r);
const struct buf *httpd_body(const struct httpd_request *r);
/* A request header (any case), or NULL. */
const char *httpd_header(const struct httpd_request *r, const char *name);
/* A query-string argument, or NULL. */
const char *httpd_query(const struct httpd_request *r, const char *name);
/* A route parameter (":id" -> "id", "*"), or NULL. */
const char *httpd_param(const struct httpd_request *r, const char *name);

/* Helpers for handlers. */
void httpd_set_json(struct httpd_response *resp, int status, const char *json);
/* {"error": message} with `status`. */
void httpd_set_error(struct httpd_response *resp, int status, const char *fmt,
		     ...) PRINTFLIKE(3, 4);
void httpd_add_header(struct httpd_response *resp, const char *fmt, ...)
	PRINTFLIKE(2, 3);

#endif
