/*
 * httpd.c: libmicrohttpd behind httpd.h (the only file that includes
 * <microhttpd.h>).  Bodies are gathered into a capped buffer, routes are
 * matched segment by segment, and responses come from memory or from a
 * file descriptor.
 */
#include "compat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "error.h"
#include "fs.h"
#include "httpd.h"
#include "json.h"
#include "log.h"
#include "val.h"
#include "xalloc.h"

#define HTTPD_MAX_PARAMS 8

struct route {
	char *method;
	struct svec segs;
	httpd_handler_fn fn;
	void *payload;
};

struct httpd {
	struct MHD_Daemon *d;
	struct route *routes;
	size_t nroutes, alloc;
	size_t max_body;
	unsigned port;
};

struct httpd_request {
	struct MHD_Connection *conn;
	const char *method, *path;
	struct buf body;
	bool answered; /* a response is queued already (413) */
	size_t nparams;
	const char *pnames[HTTPD_MAX_PARAMS];
	char *pvals[HTTPD_MAX_PARAMS];
};

int httpd_new(struct httpd **out)
{
	*out = xcalloc(1, sizeof(**out));
	return 0;
}

void httpd_route(struct httpd *h, const char *method, const char *pattern,
		 httpd_handler_fn fn, void *payload)
{
	struct route *r;

	XGROW(h->routes, h->alloc, h->nroutes + 1);
	r = &h->routes[h->nroutes++];
	memset(r, 0, sizeof(*r));
	r->method = xstrdup(method);
	r->segs = (struct svec)SVEC_INIT;
	svec_split(&r->segs, pattern, "/", true);
	r->fn = fn;
	r->payload = payload;
}

static void free_params(struct httpd_request *r)
{
	for (size_t i = 0; i < r->nparams; i++)
		free(r->pvals[i]);
	r->nparams = 0;
}

/* Whether `path` matches route `rt`; the parameters go into `r`. */
static bool route_match(const struct route *rt, const char *path,
			struct httpd_request *r)
{
	const char *p = path;

	free_params(r);
	for (size_t i = 0; i < rt->segs.n; i++) {
		const char *seg = rt->segs.v[i];
		const char *end;

		while (*p == '/')
			p++;
		if (!strcmp(seg, "*") && i + 1 == rt->segs.n) {
			r->pnames[r->nparams] = "*";
			r->pvals[r->nparams++] = xstrdup(p);
			return true;
		}
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		if (end == p)
			return false;
		if (seg[0] == ':') {
			if (r->nparams == HTTPD_MAX_PARAMS)
				return false;
			r->pnames[r->nparams] = seg + 1;
			r->pvals[r->nparams++] = xmemdupz(p, (size_t)(end - p));
		} else if (strlen(seg) != (size_t)(end - p) ||
			   memcmp(seg, p, (size_t)(end - p))) {
			return false;
		}
		p = end;
	}
	while (*p == '/')
		p++;
	return !*p;
}

static int queue(struct MHD_Connection *c, struct httpd_response *resp)
{
	struct MHD_Response *m;
	int ret;

	if (resp->fd >= 0) {
		m = MHD_create_response_from_fd_at_offset64(
			resp->size, resp->fd, (uint64_t)resp->offset);
		if (m)
			resp->fd = -1; /* MHD closes it */
	} else {
		size_t len = resp->body.len;
		char *data = buf_detach(&resp->body, NULL);

		m = MHD_create_response_from_buffer(len, data,
						    MHD_RESPMEM_MUST_FREE);
		if (!m)
			free(data);
	}
	if (!m)
		return MHD_NO;
	MHD_add_response_header(m, "Content-Type",
				resp->content_type ? resp->content_type
						   : "application/json");
	for (size_t i = 0; i < resp->headers.n; i++) {
		char *name = xstrdup(resp->headers.v[i]);
		char *colon = strchr(name, ':');

		if (colon) {
			const char *v = colon + 1;

			*colon = '\0';
			while (*v == ' ')
				v++;
			MHD_add_response_header(m, name, v);
		}
		free(name);
	}
	ret = MHD_queue_response(c, (unsigned)resp->status, m);
	MHD_destroy_response(m);
	return ret;
}

static void response_init(struct httpd_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	resp->headers = (struct svec)SVEC_INIT;
	resp->body = (struct buf)BUF_INIT;
	resp->fd = -1;
}

static void response_release(struct httpd_response *resp)
{
	svec_release(&resp->headers);
	buf_release(&resp->body);
	close_fd(&resp->fd);
}

static int answer_error(struct MHD_Connection *c, int status, const char *msg)
{
	struct httpd_response resp;
	int ret;

	response_init(&resp);
	httpd_set_error(&resp, status, "%s", msg);
	ret = queue(c, &resp);
	response_release(&resp);
	return ret;
}

static int dispatch(struct httpd *h, struct httpd_request *r)
{
	struct httpd_response resp;
	const char *method = r->method;
	bool path_known = false;
	int ret;

	if (!strcmp(method, "HEAD"))
		method = "GET";
	for (size_t i = 0; i < h->nroutes; i++) {
		const struct route *rt = &h->routes[i];

		if (!route_match(rt, r->path, r))
			continue;
		path_known = true;
		if (strcmp(rt->method, method))
			continue;
		response_init(&resp);
		rt->fn(rt->payload, r, &resp);
		ret = queue(r->conn, &resp);
		response_release(&resp);
		return ret;
	}
	free_params(r);
	if (path_known)
		return answer_error(r->conn, 405, "method not allowed");
	return answer_error(r->conn, 404, "not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *size, void **state)
{
	struct httpd *h = cls;
	struct httpd_request *r = *state;

	if (!r) {
		const char *cl = MHD_lookup_connection_value(
			c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

		r = xcalloc(1, sizeof(*r));
		r->conn = c;
		r->method = method;
		r->path = url;
		r->body = (struct buf)BUF_INIT;
		buf_set_limit(&r->body, h->max_body);
		*state = r;
		if (cl && strtoull(cl, NULL, 10) > h->max_body) {
			r->answered = true;
			return answer_error(c, 413, "request body too large")
				       ? MHD_YES
				       : MHD_NO;
		}
		return MHD_YES;
	}
	if (*size) {
		if (!r->answered && buf_add(&r->body, data, *size) < 0) {
			r->answered = true;
			*size = 0;
			return answer_error(c, 413, "request body too large")
				       ? MHD_YES
				       : MHD_NO;
		}
		*size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	r->answered = true;
	return dispatch(h, r) ? MHD_YES : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
			 enum MHD_RequestTerminationCode why)
{
	struct httpd_request *r = *state;

	if (!r)
		return;
	free_params(r);
	buf_release(&r->body);
	free(r);
	*state = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

int httpd_start(struct httpd *h, const struct httpd_opts *o)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	const char *addr = o->address ? o->address : "127.0.0.1";
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
			 MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		return err_set(FY_EINVALID,
			       "cannot listen on '%s': not an IP address",
			       addr);
	}
	h->max_body = o->max_body ? o->max_body : 1024 * 1024;
	errno = 0;
	h->d = MHD_start_daemon(
		flags, (uint16_t)o->port, NULL, NULL, on_request, h,
		MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)(o->threads ? o->threads : 4),
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(o->timeout_s ? o->timeout_s : 30),
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(o->max_conns ? o->max_conns : 256),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h, MHD_OPTION_END);
	if (!h->d)
		return errno ? err_errno("cannot listen on %s port %u", addr,
					 o->port)
			     : err_set(FY_EFAIL, "cannot listen on %s port %u",
				       addr, o->port);
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : o->port;
	return 0;
}

unsigned httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	for (size_t i = 0; i < h->nroutes; i++) {
		free(h->routes[i].method);
		svec_release(&h->routes[i].segs);
	}
	free(h->routes);
	free(h);
}

const char *httpd_method(const struct httpd_request *r)
{
	return r->method;
}

const char *httpd_path(const struct httpd_request *r)
{
	return r->path;
}

const struct buf *httpd_body(const struct httpd_request *r)
{
	return &r->body;
}

const char *httpd_header(const struct httpd_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *httpd_query(const struct httpd_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

const char *httpd_param(const struct httpd_request *r, const char *name)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (!strcmp(r->pnames[i], name))
			return r->pvals[i];
	return NULL;
}

void httpd_set_json(struct httpd_response *resp, int status, const char *json)
{
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	buf_addstr(&resp->body, json);
	buf_addch(&resp->body, '\n');
}

void httpd_set_error(struct httpd_response *resp, int status, const char *fmt,
		     ...)
{
	struct val *doc = val_map();
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	val_map_set(doc, "error", val_str(msg.ptr));
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	json_write(&resp->body, doc, 0);
	buf_addch(&resp->body, '\n');
	val_free(doc);
	buf_release(&msg);
}

void httpd_add_header(struct httpd_response *resp, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	svec_push_nodup(&resp->headers, buf_detach(&b, NULL));
}
