/*
 * http.c: the only file that includes <curl/curl.h>.  Every transfer runs
 * through the client's multi handle: its connection cache outlives each
 * request, and our own loop around curl_multi_poll() checks the cancel
 * flag and lets a reader pull the body at its own pace.
 */
#include "compat.h"

#include <errno.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "error.h"
#include "http.h"
#include "svec.h"
#include "xalloc.h"

#define HTTP_CHUNK	 (64 * 1024)
#define HTTP_PENDING_MAX (1024 * 1024) /* pause the server beyond this */
#define HTTP_SLICE_MS	 100	       /* cancel flag checks */
#define HTTP_IDLE_MS	 1000	       /* poll slice without a flag */
#define HTTP_MAX_HEADERS 500

struct http_client {
	CURL *easy;
	CURLM *multi;
	struct curl_slist *slist;
	char errbuf[CURL_ERROR_SIZE];

	/* The transfer under way, if any. */
	const struct http_request *req;
	struct http_response *resp;
	char *what;	   /* "METHOD url" for messages */
	bool active;	   /* the easy handle is in the multi */
	bool streaming;	   /* http_open(): body goes to `pending` */
	bool headers_done; /* the final response's headers are in */
	bool done;	   /* curl finished the transfer */
	bool paused;	   /* the write callback paused the transfer */
	bool canceled;
	bool stalled;
	long last_move_ms; /* when a byte last moved, for stall_ms */
	uint64_t moved;	   /* bytes moved so far, both ways */
	CURLcode result;
	int cb_err;  /* failure recorded by one of our callbacks */
	long status; /* of the latest status line */
	struct buf pending;
	size_t pending_off;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int http_client_new(struct http_client **out)
{
	struct http_client *c;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return err_set(FY_EFAIL, "cannot initialise libcurl: %s",
			       curl_easy_strerror(global_rc));
	c = xcalloc(1, sizeof(*c));
	buf_init(&c->pending);
	c->easy = curl_easy_init();
	c->multi = curl_multi_init();
	if (!c->easy || !c->multi) {
		http_client_free(c);
		return err_set(FY_EFAIL, "cannot create a libcurl handle");
	}
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 8L);
	*out = c;
	return 0;
}

/* Take the easy handle out of the multi; the connection stays cached. */
static void transfer_end(struct http_client *c)
{
	if (c->active)
		curl_multi_remove_handle(c->multi, c->easy);
	c->active = false;
	c->req = NULL;
	c->resp = NULL;
	buf_reset(&c->pending);
	c->pending_off = 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	transfer_end(c);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->slist);
	buf_release(&c->pending);
	free(c->what);
	free(c);
}

char *http_url_redact(const char *url)
{
	const char *auth = strstr(url, "://");
	const char *end, *at = NULL;
	struct buf b = BUF_INIT;

	if (!auth)
		return xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return xstrdup(url);
	buf_add(&b, url, (size_t)(auth - url));
	buf_addstr(&b, at + 1);
	return buf_detach(&b, NULL);
}

void http_escape(struct buf *out, const char *s, bool path)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) ||
		    (path && strchr("/:@", *p))) {
			buf_addch(out, *p);
			continue;
		}
		buf_addch(out, '%');
		buf_addch(out, hex[*p >> 4]);
		buf_addch(out, hex[*p & 15]);
	}
}

void http_response_release(struct http_response *r)
{
	svec_release(&r->headers);
	buf_release(&r->body);
	r->status = 0;
}

const char *http_response_header(const struct http_response *r,
				 const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < r->headers.n; i++) {
		const char *line = r->headers.v[i];

		if (strncasecmp(line, name, len) || line[len] != ':')
			continue;
		line += len + 1;
		return line + strspn(line, " \t");
	}
	return NULL;
}

static bool cancel_raised(const struct http_client *c)
{
	return c->req && c->req->cancel && atomic_load(c->req->cancel);
}

static bool is_redirect(const struct http_client *c)
{
	long s = c->status;

	if (!c->req->follow)
		return false;
	if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308)
		return false;
	return http_response_header(c->resp, "Location") != NULL;
}

/* The status line resets the header list: only the final one is kept. */
static size_t on_header(char *data, size_t size, size_t n, void *payload)
{
	struct http_client *c = payload;
	struct http_response *r = c->resp;
	size_t len = size * n, keep = len;

	if (c->headers_done || !r)
		return len; /* trailers */
	while (keep && (data[keep - 1] == '\n' || data[keep - 1] == '\r'))
		keep--;
	if (keep >= 5 && !strncmp(data, "HTTP/", 5)) {
		const char *sp = memchr(data, ' ', keep);

		svec_release(&r->headers);
		c->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	if (!keep) {
		if (c->status >= 200 && !is_redirect(c)) {
			c->headers_done = true;
			r->status = c->status;
		}
		return len;
	}
	if (r->headers.n < HTTP_MAX_HEADERS)
		svec_push_nodup(&r->headers, xmemdupz(data, keep));
	return len;
}

static size_t on_write(char *data, size_t size, size_t n, void *payload)
{
	struct http_client *c = payload;
	struct http_response *r = c->resp;
	size_t len = size * n;
	int err;

	if (!c->headers_done) {
		c->headers_done = true;
		r->status = c->status;
	}
	if (c->streaming) {
		if (c->pending.len - c->pending_off >= HTTP_PENDING_MAX) {
			c->paused = true;
			return CURL_WRITEFUNC_PAUSE;
		}
		buf_add(&c->pending, data, len);
		return len;
	}
	if (r->write && c->status < 300) {
		err = r->write(data, len, r->write_payload);
		if (err < 0) {
			c->cb_err = err;
			return 0;
		}
		return len;
	}
	if (buf_add(&r->body, data, len) < 0) {
		c->cb_err = err_set(FY_ETOOBIG,
				    "%s: response body larger than %zu bytes",
				    c->what, r->body.limit);
		return 0;
	}
	return len;
}

static size_t on_read(char *dst, size_t size, size_t n, void *payload)
{
	struct http_client *c = payload;
	const struct http_request *req = c->req;
	size_t cap = size * n, got = 0;
	int err;

	if (req->read) {
		err = req->read(dst, cap, &got, req->read_payload);
		if (err < 0) {
			c->cb_err = err;
			return CURL_READFUNC_ABORT;
		}
		return got;
	}
	for (;;) {
		ssize_t r = read(req->body_fd, dst, cap);

		if (r >= 0)
			return (size_t)r;
		if (errno == EINTR)
			continue;
		c->cb_err =
			err_errno("%s: cannot read the request body", c->what);
		return CURL_READFUNC_ABORT;
	}
}

static int on_progress(void *payload, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_client *c = payload;
	const struct http_request *req = c->req;
	struct http_progress p;
	int err;

	if (cancel_raised(c)) {
		c->canceled = true;
		return 1;
	}
	if ((uint64_t)(dlnow + ulnow) != c->moved) {
		c->moved = (uint64_t)(dlnow + ulnow);
		c->last_move_ms = now_ms();
	}
	if (!req->progress)
		return 0;
	p.down_now = (uint64_t)dlnow;
	p.down_total = (uint64_t)dltotal;
	p.up_now = (uint64_t)ulnow;
	p.up_total = (uint64_t)ultotal;
	err = req->progress(&p, req->progress_payload);
	if (err < 0) {
		c->cb_err = err;
		return 1;
	}
	return 0;
}

static bool has_header(const struct svec *h, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; h && i < h->n; i++)
		if (!strncasecmp(h->v[i], name, len) && h->v[i][len] == ':')
			return true;
	return false;
}

static void add_header(struct http_client *c, const char *line)
{
	struct curl_slist *l = curl_slist_append(c->slist, line);

	if (!l)
		BUG("out of memory in curl_slist_append");
	c->slist = l;
}

/* Method and body options. */
static void set_method(struct http_client *c, const char *method)
{
	const struct http_request *req = c->req;
	CURL *e = c->easy;
	bool fd_body = req->read || req->body_fd >= 0;
	bool is_post = !strcmp(method, "POST");

	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return;
	}
	if (fd_body) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, c);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)req->body_size);
		if (req->body_size < 0 &&
		    !has_header(req->headers, "Transfer-Encoding"))
			add_header(c, "Transfer-Encoding: chunked");
		if (strcmp(method, "PUT"))
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
		return;
	}
	if (req->body || is_post || !strcmp(method, "PUT") ||
	    !strcmp(method, "PATCH")) {
		/* A body from memory; curl can resend it after a redirect. */
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
				 req->body ? req->body : "");
		if (!has_header(req->headers, "Content-Type"))
			add_header(c, "Content-Type:");
		if (!is_post)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
		return;
	}
	if (strcmp(method, "GET"))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	else
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
}

static void set_options(struct http_client *c, const char *method)
{
	const struct http_request *req = c->req;
	CURL *e = c->easy;

	curl_easy_reset(e);
	c->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ferry/" FERRY_VERSION);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)HTTP_CHUNK);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms ? req->connect_timeout_ms
						 : 30000L);
	if (req->timeout_ms)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	if (req->unix_socket) {
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	}
	if (req->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
	if (req->cert_file)
		curl_easy_setopt(e, CURLOPT_SSLCERT, req->cert_file);
	if (req->key_file)
		curl_easy_setopt(e, CURLOPT_SSLKEY, req->key_file);
	if (req->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (req->follow) {
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
	}
	set_method(c, method);
	for (size_t i = 0; req->headers && i < req->headers->n; i++)
		add_header(c, req->headers->v[i]);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->slist);
}

static int transfer_start(struct http_client *c, const struct http_request *req,
			  struct http_response *resp, bool streaming)
{
	bool has_body = req->body || req->read || req->body_fd >= 0;
	const char *method = req->method;
	char *url = http_url_redact(req->url);
	CURLMcode mc;

	if (c->active || c->req)
		BUG("http client already busy with %s", c->what);
	if (!method)
		method = has_body ? "POST" : "GET";
	free(c->what);
	if (req->unix_socket)
		c->what = xasprintf("%s %s (socket '%s')", method, url,
				    req->unix_socket);
	else
		c->what = xasprintf("%s %s", method, url);
	free(url);

	c->req = req;
	c->resp = resp;
	c->streaming = streaming;
	c->headers_done = c->done = c->paused = c->canceled = false;
	c->stalled = false;
	c->moved = 0;
	c->last_move_ms = now_ms();
	c->result = CURLE_OK;
	c->cb_err = 0;
	c->status = 0;
	buf_reset(&c->pending);
	c->pending_off = 0;
	curl_slist_free_all(c->slist);
	c->slist = NULL;

	resp->status = 0;
	svec_release(&resp->headers);
	buf_reset(&resp->body);
	if (!resp->body.limit)
		buf_set_limit(&resp->body, HTTP_BODY_LIMIT);

	set_options(c, method);
	mc = curl_multi_add_handle(c->multi, c->easy);
	if (mc != CURLM_OK) {
		c->req = NULL;
		c->resp = NULL;
		return err_set(FY_EFAIL, "%s: %s", c->what,
			       curl_multi_strerror(mc));
	}
	c->active = true;
	return 0;
}

/* Let curl move whatever data is ready, without waiting. */
static int transfer_perform(struct http_client *c)
{
	int running = 0;
	CURLMcode mc = curl_multi_perform(c->multi, &running);

	if (mc != CURLM_OK)
		return err_set(FY_EFAIL, "%s: %s", c->what,
			       curl_multi_strerror(mc));
	for (;;) {
		int left;
		CURLMsg *m = curl_multi_info_read(c->multi, &left);

		if (!m)
			break;
		if (m->msg == CURLMSG_DONE && m->easy_handle == c->easy) {
			c->done = true;
			c->result = m->data.result;
		}
	}
	return 0;
}

/* Wait up to `ms` for activity (curl shortens it for its own timers). */
static int transfer_poll(struct http_client *c, int ms)
{
	int nfds = 0;
	CURLMcode mc = curl_multi_poll(c->multi, NULL, 0, ms, &nfds);

	if (mc != CURLM_OK)
		return err_set(FY_EFAIL, "%s: %s", c->what,
			       curl_multi_strerror(mc));
	return 0;
}

static int transfer_result(struct http_client *c)
{
	int code = FY_EFAIL;

	if (c->cb_err)
		return c->cb_err;
	if (c->canceled)
		return err_set(FY_ECANCELED, "%s: canceled", c->what);
	if (c->stalled)
		return err_set(FY_ETIMEOUT, "%s: no data moved for %ld ms",
			       c->what, c->req->stall_ms);
	if (!c->done || c->result == CURLE_OK)
		return 0;
	if (c->result == CURLE_OPERATION_TIMEDOUT)
		code = FY_ETIMEOUT;
	if (c->result == CURLE_COULDNT_CONNECT && c->req->unix_socket) {
		/* curl would speak of "localhost port 80" */
		long os = 0;
		char why[256];

		curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &os);
		if (os)
			return err_set(code, "%s: cannot connect: %s", c->what,
				       strerror_r((int)os, why, sizeof(why)));
	}
	return err_set(code, "%s: %s", c->what,
		       c->errbuf[0] ? c->errbuf
				    : curl_easy_strerror(c->result));
}

static int slice_ms(const struct http_client *c)
{
	return c->req->cancel || c->req->stall_ms ? HTTP_SLICE_MS
						  : HTTP_IDLE_MS;
}

/* Raise the cancel or stall flag when due; true if the transfer must end. */
static bool must_stop(struct http_client *c)
{
	if (cancel_raised(c))
		c->canceled = true;
	else if (c->req->stall_ms && !c->paused &&
		 now_ms() - c->last_move_ms > c->req->stall_ms)
		c->stalled = true;
	return c->canceled || c->stalled;
}

int http_request(struct http_client *c, const struct http_request *req,
		 struct http_response *resp)
{
	int err = transfer_start(c, req, resp, false);

	while (!err) {
		err = transfer_perform(c);
		if (err || c->done || must_stop(c))
			break;
		err = transfer_poll(c, slice_ms(c));
	}
	if (!err)
		err = transfer_result(c);
	if (!err)
		resp->status = c->status;
	transfer_end(c);
	return err;
}

int http_open(struct http_client *c, const struct http_request *req,
	      struct http_response *resp)
{
	int err = transfer_start(c, req, resp, true);

	while (!err) {
		err = transfer_perform(c);
		if (err || c->done || c->headers_done || must_stop(c))
			break;
		err = transfer_poll(c, slice_ms(c));
	}
	if (!err)
		err = transfer_result(c);
	if (!err) {
		c->headers_done = true;
		resp->status = c->status;
	}
	return err;
}

int http_read(struct http_client *c, void *dst, size_t cap, int timeout_ms,
	      size_t *got)
{
	long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	int err;

	*got = 0;
	if (!c->req)
		BUG("http_read() without http_open()");
	for (;;) {
		size_t avail = c->pending.len - c->pending_off;
		int wait = slice_ms(c);

		if (avail) {
			size_t n = avail < cap ? avail : cap;

			memcpy(dst, c->pending.ptr + c->pending_off, n);
			c->pending_off += n;
			if (c->pending_off == c->pending.len) {
				buf_reset(&c->pending);
				c->pending_off = 0;
			}
			*got = n;
			return 0;
		}
		if (c->done || c->canceled || c->stalled || c->cb_err)
			return transfer_result(c);
		if (c->paused) {
			c->paused = false;
			c->last_move_ms = now_ms();
			curl_easy_pause(c->easy, CURLPAUSE_CONT);
		}
		err = transfer_perform(c);
		if (err < 0)
			return err;
		if (c->pending.len || c->done || must_stop(c))
			continue;
		if (deadline >= 0) {
			long left = deadline - now_ms();

			if (left <= 0)
				return 0;
			if (left < wait)
				wait = (int)left;
		}
		err = transfer_poll(c, wait);
		if (err < 0)
			return err;
	}
}

bool http_eof(const struct http_client *c)
{
	return c->done && c->result == CURLE_OK && !c->cb_err &&
	       c->pending.len == c->pending_off;
}

void http_close(struct http_client *c)
{
	transfer_end(c);
}
