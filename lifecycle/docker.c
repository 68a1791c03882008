/*
 * docker.c: the Docker Engine API client.  Control calls go through one
 * keep-alive http_client; output streams take a second client, kept for
 * reuse, because the engine turns their connection into the stream.
 */
#include "compat.h"

#include <unistd.h>

#include "buf.h"
#include "docker.h"
#include "error.h"
#include "fs.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "svec.h"
#include "tarball.h"
#include "val.h"
#include "xalloc.h"

#define DOCKER_CHUNK	     (64 * 1024)
#define DOCKER_LINE_LIMIT    (1024 * 1024) /* one progress line */
#define DOCKER_ERRBODY_LIMIT (64 * 1024)
#define DOCKER_SYSERR_LIMIT  4096

struct docker {
	struct http_client *http;  /* control calls */
	struct http_client *spare; /* for the next stream */
	char *host;		   /* as given, for messages */
	char *base;		   /* http://localhost, https://host:port */
	char *socket;		   /* unix socket path, or NULL */
	char *ca, *cert, *key;
	bool insecure;
	char version[16]; /* API version in use, "1.41" */
	char *engine_version;
	const atomic_bool *cancel;
};

struct docker_stream {
	struct docker *d;
	struct http_client *http;
	struct http_request req;
	struct http_response resp;
	struct svec headers;
	struct buf body;
	char *url;
	char what[160];
	struct docker_demux demux;
	bool tty;
	bool done;
	struct buf syserr; /* the engine's error frames */
	char *chunk;
};

/* "1.41" -> 1041; -1 when it is no version. */
static int api_num(const char *v)
{
	char *end;
	long major, minor;

	if (!v)
		return -1;
	major = strtol(v, &end, 10);
	if (end == v || *end != '.')
		return -1;
	v = end + 1;
	minor = strtol(v, &end, 10);
	if (end == v || *end || major < 0 || major > 99 || minor < 0 ||
	    minor > 999)
		return -1;
	return (int)(major * 1000 + minor);
}

static const char *short_id(const char *id, char *tmp, size_t size)
{
	snprintf(tmp, size, "%.12s", id);
	return tmp;
}

void docker_endpoint_from_env(struct docker_endpoint *ep)
{
	const char *verify = getenv("DOCKER_TLS_VERIFY");
	const char *tls = getenv("DOCKER_TLS");
	const char *certs = getenv("DOCKER_CERT_PATH");
	const char *version = getenv("DOCKER_API_VERSION");

	memset(ep, 0, sizeof(*ep));
	ep->host = getenv("DOCKER_HOST");
	ep->tls_verify = verify && *verify;
	ep->tls = ep->tls_verify || (tls && *tls);
	ep->cert_path = certs && *certs ? certs : NULL;
	ep->api_version = version && *version ? version : NULL;
}

static int set_tls(struct docker *d, const struct docker_endpoint *ep)
{
	const char *home = getenv("HOME");
	char *dir = ep->cert_path ? xstrdup(ep->cert_path)
				  : xasprintf("%s/.docker", home ? home : "");
	char *cert = fs_join(dir, "cert.pem");
	char *key = fs_join(dir, "key.pem");
	int err = 0;

	if (ep->tls_verify) {
		d->ca = fs_join(dir, "ca.pem");
		if (!fs_exists(d->ca))
			err = err_set(FY_EINVALID,
				      "docker: TLS verification needs '%s'",
				      d->ca);
	} else {
		d->insecure = true;
	}
	if (fs_exists(cert) && fs_exists(key)) {
		d->cert = cert;
		d->key = key;
		cert = key = NULL;
	}
	free(cert);
	free(key);
	free(dir);
	return err;
}

static int set_endpoint(struct docker *d, const struct docker_endpoint *ep)
{
	const char *host = ep->host && *ep->host
				   ? ep->host
				   : "unix:///var/run/docker.sock";
	const char *hp, *colon;
	size_t len;
	char *hostport;

	d->host = xstrdup(host);
	if (!strncmp(host, "unix://", 7) && host[7]) {
		d->socket = xstrdup(host + 7);
		d->base = xstrdup("http://localhost");
		return 0;
	}
	if (strncmp(host, "tcp://", 6) || !host[6])
		return err_set(FY_EINVALID,
			       "docker: unsupported DOCKER_HOST '%s' (ferry "
			       "speaks unix:// and tcp://)",
			       host);
	hp = host + 6;
	len = strcspn(hp, "/");
	hostport = xstrndup(hp, len);
	colon = strrchr(hostport, ':');
	if (colon && strchr(colon, ']'))
		colon = NULL; /* a bare IPv6 address */
	d->base = xasprintf("%s://%s%s", ep->tls ? "https" : "http", hostport,
			    colon     ? ""
			    : ep->tls ? ":2376"
				      : ":2375");
	free(hostport);
	return ep->tls ? set_tls(d, ep) : 0;
}

static void request_init(struct docker *d, struct http_request *req,
			 const char *url)
{
	req->url = url;
	req->unix_socket = d->socket;
	req->ca_file = d->ca;
	req->cert_file = d->cert;
	req->key_file = d->key;
	req->insecure = d->insecure;
	req->cancel = d->cancel;
	req->connect_timeout_ms = 10000;
}

/* Record the engine's message for a status of 300 or more. */
static int engine_error(const struct http_response *r, const char *what)
{
	struct val *v = NULL;
	const char *msg = NULL;
	char text[320];
	int code = FY_EFAIL;

	if (r->status == 404)
		code = FY_ENOTFOUND;
	else if (r->status == 400)
		code = FY_EINVALID;
	else if (r->status == 401 || r->status == 403)
		code = FY_EAUTH;
	if (!json_parse(&v, r->body.ptr, r->body.len, 0))
		msg = val_strv(val_map_get(v, "message"));
	if (!msg && r->body.len) {
		snprintf(text, sizeof(text), "%.*s",
			 (int)strcspn(r->body.ptr, "\r\n"), r->body.ptr);
		msg = text;
	}
	if (!msg || !*msg) {
		snprintf(text, sizeof(text), "HTTP %ld", r->status);
		msg = text;
	}
	err_set(code, "docker: %s: %s", what, msg);
	val_free(v);
	return code;
}

/*
 * A call on the control connection to `path` (under /v<version>), with
 * the body and headers the caller put in `req`.  A status of 300 or more
 * records the engine's message; `resp` keeps the answer either way.
 */
static int call(struct docker *d, const char *what, struct http_request *req,
		const char *path, struct http_response *resp)
{
	char *url = xasprintf("%s/v%s%s", d->base, d->version, path);
	int err;

	request_init(d, req, url);
	err = http_request(d->http, req, resp);
	if (err < 0)
		err = err_wrap(err, "docker: %s", what);
	else if (resp->status >= 300)
		err = engine_error(resp, what);
	free(url);
	return err;
}

/* A control call with an optional JSON body. */
static int control(struct docker *d, const char *what, const char *method,
		   const char *path, const struct val *json,
		   struct http_response *resp)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct svec hdrs = SVEC_INIT;
	struct buf body = BUF_INIT;
	int err;

	req.method = method;
	if (json) {
		json_write(&body, json, 0);
		req.body = body.ptr;
		req.body_len = body.len;
		svec_push(&hdrs, "Content-Type: application/json");
		req.headers = &hdrs;
	}
	err = call(d, what, &req, path, resp);
	buf_release(&body);
	svec_release(&hdrs);
	return err;
}

/* A control call whose answer is a JSON document (`out` may be NULL). */
static int control_json(struct docker *d, const char *what, const char *method,
			const char *path, const struct val *json,
			struct val **out)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	int err = control(d, what, method, path, json, &resp);

	if (!err && out) {
		err = json_parse(out, resp.body.ptr, resp.body.len, 0);
		if (err < 0)
			err = err_wrap(err, "docker: %s: unreadable answer",
				       what);
	}
	http_response_release(&resp);
	return err;
}

/* Append "?key=value" or "&key=value", the value escaped. */
static void query(struct buf *path, const char *key, const char *value)
{
	buf_addch(path, strchr(path->ptr, '?') ? '&' : '?');
	buf_addstr(path, key);
	buf_addch(path, '=');
	http_escape(path, value, false);
}

/* "/<kind>/<name><rest>", the name escaped. */
static void object_path(struct buf *path, const char *kind, const char *name,
			const char *rest)
{
	buf_addf(path, "/%s/", kind);
	http_escape(path, name, true);
	buf_addstr(path, rest);
}

static int negotiate(struct docker *d, const char *pinned)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	char *url = xasprintf("%s/version", d->base);
	const char *engine = NULL;
	struct val *v = NULL;
	int err, have, min = api_num(DOCKER_API_MIN);

	request_init(d, &req, url);
	err = http_request(d->http, &req, &resp);
	if (err < 0) {
		err = err_wrap(err, "docker: cannot reach the engine at '%s'",
			       d->host);
		goto out;
	}
	if (resp.status != 200 ||
	    json_parse(&v, resp.body.ptr, resp.body.len, 0)) {
		err = engine_error(&resp, "ask the engine's version");
		goto out;
	}
	engine = val_strv(val_map_get(v, "ApiVersion"));
	d->engine_version =
		xstrdup(val_strv(val_map_get(v, "Version"))
				? val_strv(val_map_get(v, "Version"))
				: "unknown");
	if (pinned) {
		if (api_num(pinned) < min) {
			err = err_set(FY_EINVALID,
				      "docker: API version '%s' is older "
				      "than %s, the oldest ferry speaks",
				      pinned, DOCKER_API_MIN);
			goto out;
		}
		snprintf(d->version, sizeof(d->version), "%s", pinned);
		goto out;
	}
	have = api_num(engine);
	if (have < min) {
		err = err_set(FY_EFAIL,
			      "docker: the engine at '%s' (Docker %s) speaks "
			      "API %s; ferry needs %s (Docker 17.06) or later",
			      d->host, d->engine_version,
			      engine ? engine : "(none)", DOCKER_API_MIN);
		goto out;
	}
	snprintf(d->version, sizeof(d->version), "%s",
		 have > api_num(DOCKER_API_MAX) ? DOCKER_API_MAX : engine);
	log_debug("docker engine %s at %s, API %s", d->engine_version, d->host,
		  d->version);
out:
	val_free(v);
	http_response_release(&resp);
	free(url);
	return err;
}

int docker_open(struct docker **out, const struct docker_endpoint *ep)
{
	struct docker_endpoint env;
	struct docker *d = xcalloc(1, sizeof(*d));
	int err;

	if (!ep) {
		docker_endpoint_from_env(&env);
		ep = &env;
	}
	err = set_endpoint(d, ep);
	if (!err)
		err = http_client_new(&d->http);
	if (!err)
		err = negotiate(d, ep->api_version);
	if (err < 0) {
		docker_close(d);
		return err;
	}
	*out = d;
	return 0;
}

void docker_close(struct docker *d)
{
	if (!d)
		return;
	http_client_free(d->http);
	http_client_free(d->spare);
	free(d->host);
	free(d->base);
	free(d->socket);
	free(d->ca);
	free(d->cert);
	free(d->key);
	free(d->engine_version);
	free(d);
}

void docker_set_cancel(struct docker *d, const atomic_bool *flag)
{
	d->cancel = flag;
}

const char *docker_host(const struct docker *d)
{
	return d->host;
}

const char *docker_api_version(const struct docker *d)
{
	return d->version;
}

const char *docker_engine_version(const struct docker *d)
{
	return d->engine_version;
}

/* The multiplexed stream. */

int docker_demux_feed(struct docker_demux *m, const void *data, size_t len,
		      docker_output_fn fn, void *payload)
{
	const unsigned char *p = data;

	if (m->failed)
		return err_set(FY_EINVALID, "malformed docker stream");
	while (len) {
		size_t n;

		if (m->left) {
			int err;

			n = len < m->left ? len : m->left;
			m->left -= (uint32_t)n;
			err = fn(m->stream, (const char *)p, n, payload);
			if (err < 0)
				return err;
			p += n;
			len -= n;
			continue;
		}
		n = sizeof(m->hdr) - m->have;
		if (n > len)
			n = len;
		memcpy(m->hdr + m->have, p, n);
		m->have += n;
		p += n;
		len -= n;
		if (m->have < sizeof(m->hdr))
			break;
		m->have = 0;
		if (m->hdr[0] > 3 || m->hdr[1] || m->hdr[2] || m->hdr[3]) {
			m->failed = true;
			return err_set(FY_EINVALID,
				       "malformed docker stream: frame header "
				       "%02x %02x %02x %02x",
				       m->hdr[0], m->hdr[1], m->hdr[2],
				       m->hdr[3]);
		}
		m->stream = m->hdr[0] ? m->hdr[0] : 1;
		m->left = (uint32_t)m->hdr[4] << 24 |
			  (uint32_t)m->hdr[5] << 16 | (uint32_t)m->hdr[6] << 8 |
			  (uint32_t)m->hdr[7];
	}
	return 0;
}

int docker_demux_finish(const struct docker_demux *m)
{
	if (m->failed)
		return err_set(FY_EINVALID, "malformed docker stream");
	if (m->have || m->left)
		return err_set(FY_EINVALID,
			       "docker stream ended inside a frame");
	return 0;
}

/* Streams. */

/* Read what is left of a body (an error message) into `into`. */
static void read_rest(struct http_client *h, struct buf *into)
{
	char tmp[4096];

	buf_set_limit(into, DOCKER_ERRBODY_LIMIT);
	for (;;) {
		size_t got = 0;

		if (http_read(h, tmp, sizeof(tmp), 10000, &got) < 0 || !got)
			return;
		if (buf_add(into, tmp, got) < 0)
			return;
	}
}

static int stream_open(struct docker *d, const char *what, const char *method,
		       const struct buf *path, const struct val *json, bool tty,
		       struct docker_stream **out)
{
	struct docker_stream *s = xcalloc(1, sizeof(*s));
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	int err = 0;

	s->d = d;
	s->req = req;
	s->resp = resp;
	svec_push(&s->headers, "Content-Type: application/json");
	buf_init(&s->body);
	buf_init(&s->syserr);
	buf_set_limit(&s->syserr, DOCKER_SYSERR_LIMIT);
	s->tty = tty;
	s->chunk = xmalloc(DOCKER_CHUNK);
	snprintf(s->what, sizeof(s->what), "%s", what);
	s->url = xasprintf("%s/v%s%s", d->base, d->version, path->ptr);
	s->http = d->spare;
	d->spare = NULL;
	if (!s->http)
		err = http_client_new(&s->http);
	if (err < 0)
		goto out;
	request_init(d, &s->req, s->url);
	s->req.method = method;
	s->req.headers = &s->headers;
	if (json) {
		json_write(&s->body, json, 0);
		s->req.body = s->body.ptr;
		s->req.body_len = s->body.len;
	}
	err = http_open(s->http, &s->req, &s->resp);
	if (err < 0) {
		err = err_wrap(err, "docker: %s", what);
	} else if (s->resp.status >= 300) {
		read_rest(s->http, &s->resp.body);
		err = engine_error(&s->resp, what);
	}
out:
	if (err < 0) {
		docker_stream_close(s);
		return err;
	}
	*out = s;
	return 0;
}

void docker_stream_close(struct docker_stream *s)
{
	if (!s)
		return;
	if (s->http) {
		http_close(s->http);
		if (!s->d->spare)
			s->d->spare = s->http;
		else
			http_client_free(s->http);
	}
	http_response_release(&s->resp);
	svec_release(&s->headers);
	buf_release(&s->body);
	buf_release(&s->syserr);
	free(s->url);
	free(s->chunk);
	free(s);
}

struct sink {
	struct docker_stream *s;
	docker_output_fn fn;
	void *payload;
};

static int sink_frame(int stream, const char *data, size_t len, void *payload)
{
	struct sink *k = payload;

	if (stream == 3) {
		buf_add(&k->s->syserr, data, len);
		return 0;
	}
	return k->fn(stream, data, len, k->payload);
}

int docker_stream_pump(struct docker_stream *s, int timeout_ms,
		       docker_output_fn fn, void *payload, bool *done)
{
	struct sink k = { s, fn, payload };
	size_t got = 0;
	int err;

	*done = s->done;
	if (s->done)
		return 0;
	s->req.cancel = s->d->cancel; /* http.c reads it as it goes */
	err = http_read(s->http, s->chunk, DOCKER_CHUNK, timeout_ms, &got);
	if (err < 0)
		return err_wrap(err, "docker: %s", s->what);
	if (got) {
		if (s->tty)
			return fn(1, s->chunk, got, payload);
		err = docker_demux_feed(&s->demux, s->chunk, got, sink_frame,
					&k);
		if (err < 0 && s->demux.failed)
			err = err_wrap(err, "docker: %s", s->what);
		return err;
	}
	if (!http_eof(s->http))
		return 0; /* nothing came in time */
	s->done = *done = true;
	if (s->syserr.len)
		return err_set(FY_EFAIL, "docker: %s: %s", s->what,
			       s->syserr.ptr);
	err = docker_demux_finish(&s->demux);
	if (err < 0)
		return err_wrap(err, "docker: %s", s->what);
	return 0;
}

int docker_stream_drain(struct docker_stream *s, docker_output_fn fn,
			void *payload)
{
	bool done = false;

	while (!done) {
		int err = docker_stream_pump(s, -1, fn, payload, &done);

		if (err < 0)
			return err;
	}
	return 0;
}

/* Images. */

/* Whether the last part of `ref` names a tag, or `ref` a digest. */
static bool names_tag(const char *ref)
{
	const char *slash = strrchr(ref, '/');

	return strchr(ref, '@') || strchr(slash ? slash + 1 : ref, ':');
}

int docker_image_inspect(struct docker *d, const char *name, struct val **out)
{
	struct buf path = BUF_INIT;
	char what[300];
	int err;

	snprintf(what, sizeof(what), "inspect image '%s'", name);
	object_path(&path, "images", name, "/json");
	err = control_json(d, what, "GET", path.ptr, NULL, out);
	buf_release(&path);
	return err;
}

/* The JSON lines of a pull or import answer, decoded as they come. */
struct lines {
	struct buf line;
	const char *what;
	docker_progress_fn fn;
	void *payload;
	char *status; /* the last status seen */
};

static int64_t num_of(const struct val *v)
{
	const char *t = val_is(v, VAL_NUM) ? val_text(v) : NULL;

	return t ? strtoll(t, NULL, 10) : 0;
}

static int line_done(struct lines *l)
{
	struct docker_progress p = { NULL, NULL, NULL, 0, 0 };
	struct val *v = NULL, *detail;
	const char *msg;
	int err;

	buf_rtrim(&l->line);
	if (!l->line.len)
		return 0;
	err = json_parse(&v, l->line.ptr, l->line.len, 0);
	if (err < 0)
		return err_set(FY_EFAIL,
			       "docker: %s: unreadable answer '%.80s'", l->what,
			       l->line.ptr);
	msg = val_strv(val_map_get(val_map_get(v, "errorDetail"), "message"));
	if (!msg)
		msg = val_strv(val_map_get(v, "error"));
	if (msg) {
		err = err_set(FY_EFAIL, "docker: %s: %s", l->what, msg);
		val_free(v);
		return err;
	}
	p.status = val_strv(val_map_get(v, "status"));
	if (p.status) {
		free(l->status);
		l->status = xstrdup(p.status);
	}
	if (l->fn) {
		p.id = val_strv(val_map_get(v, "id"));
		p.progress = val_strv(val_map_get(v, "progress"));
		detail = val_map_get(v, "progressDetail");
		p.current = num_of(val_map_get(detail, "current"));
		p.total = num_of(val_map_get(detail, "total"));
		l->fn(&p, l->payload);
	}
	val_free(v);
	return 0;
}

static int lines_write(const void *data, size_t len, void *payload)
{
	struct lines *l = payload;
	const char *p = data, *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int err;

		if (buf_add(&l->line, p, n) < 0)
			return err_set(FY_ETOOBIG,
				       "docker: %s: answer line over %d bytes",
				       l->what, DOCKER_LINE_LIMIT);
		if (!nl)
			break;
		err = line_done(l);
		buf_reset(&l->line);
		if (err < 0)
			return err;
		p = nl + 1;
	}
	return 0;
}

static void lines_init(struct lines *l, const char *what, docker_progress_fn fn,
		       void *payload)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->line);
	buf_set_limit(&l->line, DOCKER_LINE_LIMIT);
	l->what = what;
	l->fn = fn;
	l->payload = payload;
}

static void lines_release(struct lines *l)
{
	buf_release(&l->line);
	free(l->status);
}

/* The whole exchange of a pull or import: request, lines, last line. */
static int progress_call(struct docker *d, struct lines *l,
			 struct http_request *req, const char *path)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	int err;

	resp.write = lines_write;
	resp.write_payload = l;
	err = call(d, l->what, req, path, &resp);
	if (!err)
		err = line_done(l); /* a last line without a newline */
	http_response_release(&resp);
	return err;
}

int docker_image_pull(struct docker *d, const char *ref, const char *auth,
		      docker_progress_fn fn, void *payload)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct svec hdrs = SVEC_INIT;
	struct buf path = BUF_INIT;
	struct lines l;
	char what[300];
	int err;

	snprintf(what, sizeof(what), "pull '%s'", ref);
	lines_init(&l, what, fn, payload);
	buf_addstr(&path, "/images/create");
	query(&path, "fromImage", ref);
	if (!names_tag(ref))
		query(&path, "tag", "latest");
	if (auth)
		svec_pushf(&hdrs, "X-Registry-Auth: %s", auth);
	req.method = "POST";
	req.headers = &hdrs;
	err = progress_call(d, &l, &req, path.ptr);
	lines_release(&l);
	svec_release(&hdrs);
	buf_release(&path);
	return err;
}

int docker_image_import(struct docker *d, docker_read_fn fn, void *payload,
			const char *ref, const struct svec *changes,
			char **id_out)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct svec hdrs = SVEC_INIT;
	struct buf path = BUF_INIT;
	char *repo = xstrdup(ref);
	const char *tag = "latest";
	struct lines l;
	char what[300];
	int err;

	if (names_tag(ref) && !strchr(ref, '@')) {
		char *colon = strrchr(repo, ':');

		*colon = '\0';
		tag = colon + 1;
	}
	snprintf(what, sizeof(what), "import image '%s'", ref);
	lines_init(&l, what, NULL, NULL);
	buf_addstr(&path, "/images/create?fromSrc=-");
	query(&path, "repo", repo);
	query(&path, "tag", tag);
	for (size_t i = 0; changes && i < changes->n; i++)
		query(&path, "changes", changes->v[i]);
	svec_push(&hdrs, "Content-Type: application/x-tar");
	req.method = "POST";
	req.headers = &hdrs;
	req.read = fn;
	req.read_payload = payload;
	err = progress_call(d, &l, &req, path.ptr);
	if (!err && (!l.status || strncmp(l.status, "sha256:", 7)))
		err = err_set(FY_EFAIL, "docker: %s: no image id in the answer",
			      what);
	if (!err && id_out) {
		*id_out = l.status;
		l.status = NULL;
	}
	lines_release(&l);
	svec_release(&hdrs);
	buf_release(&path);
	free(repo);
	return err;
}

int docker_image_tag(struct docker *d, const char *name, const char *ref)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct buf path = BUF_INIT;
	char *repo = xstrdup(ref);
	const char *tag = "latest";
	char what[300];
	int err;

	if (names_tag(ref) && !strchr(ref, '@')) {
		char *colon = strrchr(repo, ':');

		*colon = '\0';
		tag = colon + 1;
	}
	snprintf(what, sizeof(what), "tag image '%s' as '%s'", name, ref);
	object_path(&path, "images", name, "/tag");
	query(&path, "repo", repo);
	query(&path, "tag", tag);
	err = control(d, what, "POST", path.ptr, NULL, &resp);
	http_response_release(&resp);
	buf_release(&path);
	free(repo);
	return err;
}

int docker_image_remove(struct docker *d, const char *name, bool force)
{
	struct buf path = BUF_INIT;
	char what[300];
	int err;

	snprintf(what, sizeof(what), "remove image '%s'", name);
	object_path(&path, "images", name, "");
	if (force)
		query(&path, "force", "1");
	err = control_json(d, what, "DELETE", path.ptr, NULL, NULL);
	buf_release(&path);
	return err;
}

/* GET <base>?all=..&filters={"label":[label]}. */
static int list_call(struct docker *d, const char *what, const char *base,
		     const char *label, bool all, struct val **out)
{
	struct buf path = BUF_INIT;
	int err;

	buf_addstr(&path, base);
	if (all)
		query(&path, "all", "1");
	if (label) {
		struct val *f = val_map(), *seq = val_seq();
		char *json;

		val_seq_push(seq, val_str(label));
		val_map_set(f, "label", seq);
		json = json_dump(f, 0);
		query(&path, "filters", json);
		free(json);
		val_free(f);
	}
	err = control_json(d, what, "GET", path.ptr, NULL, out);
	buf_release(&path);
	return err;
}

int docker_image_list(struct docker *d, const char *label, struct val **out)
{
	return list_call(d, "list images", "/images/json", label, false, out);
}

/* Containers. */

void docker_spec_release(struct docker_spec *s)
{
	svec_release(&s->cmd);
	svec_release(&s->entrypoint);
	svec_release(&s->env);
	svec_release(&s->labels);
	svec_release(&s->binds);
	svec_release(&s->tmpfs);
	svec_release(&s->extra_hosts);
}

static struct val *strings(const struct svec *s)
{
	struct val *v = val_seq();

	for (size_t i = 0; i < s->n; i++)
		val_seq_push(v, val_str(s->v[i]));
	return v;
}

/* "k=v" (or "k:v" with sep ':') items as a map; "k" alone maps to "". */
static struct val *pairs(const struct svec *s, char sep)
{
	struct val *v = val_map();

	for (size_t i = 0; i < s->n; i++) {
		const char *eq = strchr(s->v[i], sep);
		char *key = eq ? xstrndup(s->v[i], (size_t)(eq - s->v[i]))
			       : xstrdup(s->v[i]);

		val_map_set(v, key, val_str(eq ? eq + 1 : ""));
		free(key);
	}
	return v;
}

static void set_str(struct val *map, const char *key, const char *s)
{
	if (s)
		val_map_set(map, key, val_str(s));
}

static void set_strings(struct val *map, const char *key, const struct svec *s)
{
	if (s->n)
		val_map_set(map, key, strings(s));
}

static struct val *create_body(const struct docker_spec *spec)
{
	struct val *v = val_map(), *hc = val_map();

	set_str(v, "Image", spec->image);
	set_strings(v, "Cmd", &spec->cmd);
	set_strings(v, "Entrypoint", &spec->entrypoint);
	set_strings(v, "Env", &spec->env);
	set_str(v, "WorkingDir", spec->workdir);
	set_str(v, "User", spec->user);
	set_str(v, "Hostname", spec->hostname);
	if (spec->labels.n)
		val_map_set(v, "Labels", pairs(&spec->labels, '='));
	val_map_set(v, "AttachStdin", val_bool(spec->open_stdin));
	val_map_set(v, "AttachStdout", val_bool(true));
	val_map_set(v, "AttachStderr", val_bool(true));
	val_map_set(v, "OpenStdin", val_bool(spec->open_stdin));
	val_map_set(v, "StdinOnce", val_bool(false));
	val_map_set(v, "Tty", val_bool(spec->tty));

	val_map_set(hc, "AutoRemove", val_bool(spec->auto_remove));
	set_strings(hc, "Binds", &spec->binds);
	if (spec->tmpfs.n)
		val_map_set(hc, "Tmpfs", pairs(&spec->tmpfs, ':'));
	set_str(hc, "NetworkMode", spec->network_mode);
	set_strings(hc, "ExtraHosts", &spec->extra_hosts);
	if (spec->init)
		val_map_set(hc, "Init", val_bool(true));
	if (spec->privileged)
		val_map_set(hc, "Privileged", val_bool(true));
	val_map_set(v, "HostConfig", hc);
	return v;
}

int docker_container_create(struct docker *d, const struct docker_spec *spec,
			    char **id_out)
{
	struct val *body = create_body(spec), *ans = NULL;
	struct buf path = BUF_INIT;
	const char *id;
	int err;

	buf_addstr(&path, "/containers/create");
	if (spec->name)
		query(&path, "name", spec->name);
	err = control_json(d, "create container", "POST", path.ptr, body, &ans);
	id = val_strv(val_map_get(ans, "Id"));
	if (!err && !id)
		err = err_set(FY_EFAIL, "docker: create container: no id in "
					"the answer");
	if (!err)
		*id_out = xstrdup(id);
	val_free(ans);
	val_free(body);
	buf_release(&path);
	return err;
}

/* A bodiless container call; statuses in `fine` (0-ended) are success. */
static int container_call(struct docker *d, const char *verb, const char *id,
			  const char *method, const char *rest,
			  const char *params, const long *fine)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "%s container '%s'", verb,
		 short_id(id, sid, sizeof(sid)));
	object_path(&path, "containers", id, rest);
	if (params)
		buf_addf(&path, "?%s", params);
	err = control(d, what, method, path.ptr, NULL, &resp);
	for (size_t i = 0; err && fine && fine[i]; i++)
		if (resp.status == fine[i])
			err = 0;
	http_response_release(&resp);
	buf_release(&path);
	return err;
}

int docker_container_start(struct docker *d, const char *id)
{
	static const long fine[] = { 304, 0 };

	return container_call(d, "start", id, "POST", "/start", NULL, fine);
}

int docker_container_kill(struct docker *d, const char *id, const char *signal)
{
	struct buf params = BUF_INIT;
	int err;

	buf_addstr(&params, "signal=");
	http_escape(&params, signal ? signal : "SIGKILL", false);
	err = container_call(d, "kill", id, "POST", "/kill", params.ptr, NULL);
	if (err < 0 && strstr(err_msg(), "is not running"))
		err = 0;
	buf_release(&params);
	return err;
}

int docker_container_stop(struct docker *d, const char *id, int timeout_s)
{
	static const long fine[] = { 304, 0 };
	char params[32];

	snprintf(params, sizeof(params), "t=%d", timeout_s);
	return container_call(d, "stop", id, "POST", "/stop", params, fine);
}

int docker_container_remove(struct docker *d, const char *id, bool force)
{
	return container_call(d, "remove", id, "DELETE", "",
			      force ? "v=1&force=1" : "v=1", NULL);
}

int docker_container_wait(struct docker *d, const char *id, int *exit_code)
{
	struct buf path = BUF_INIT;
	struct val *ans = NULL;
	const char *msg;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "wait for container '%s'",
		 short_id(id, sid, sizeof(sid)));
	object_path(&path, "containers", id, "/wait");
	err = control_json(d, what, "POST", path.ptr, NULL, &ans);
	msg = val_strv(val_map_get(val_map_get(ans, "Error"), "Message"));
	if (!err && msg && *msg)
		err = err_set(FY_EFAIL, "docker: %s: %s", what, msg);
	if (!err && !val_is(val_map_get(ans, "StatusCode"), VAL_NUM))
		err = err_set(FY_EFAIL, "docker: %s: no status in the answer",
			      what);
	if (!err)
		*exit_code = (int)num_of(val_map_get(ans, "StatusCode"));
	val_free(ans);
	buf_release(&path);
	return err;
}

int docker_container_list(struct docker *d, const char *label, bool all,
			  struct val **out)
{
	return list_call(d, "list containers", "/containers/json", label, all,
			 out);
}

void docker_state_release(struct docker_state *s)
{
	free(s->status);
	free(s->network_mode);
	free(s->sandbox_key);
	memset(s, 0, sizeof(*s));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int docker_container_inspect(struct docker *d, const char *id,
			     struct docker_state *out, struct val **raw)
{
	struct buf path = BUF_INIT;
	struct val *ans = NULL, *state;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "inspect container '%s'",
		 short_id(id, sid, sizeof(sid)));
	object_path(&path, "containers", id, "/json");
	err = control_json(d, what, "GET", path.ptr, NULL, &ans);
	buf_release(&path);
	if (err < 0)
		return err;
	state = val_map_get(ans, "State");
	docker_state_release(out);
	out->status = dup_or_null(val_strv(val_map_get(state, "Status")));
	out->running = val_is(val_map_get(state, "Running"), VAL_BOOL) &&
		       val_map_get(state, "Running")->b;
	out->oom_killed = val_is(val_map_get(state, "OOMKilled"), VAL_BOOL) &&
			  val_map_get(state, "OOMKilled")->b;
	out->exit_code = (int)num_of(val_map_get(state, "ExitCode"));
	out->pid = (long)num_of(val_map_get(state, "Pid"));
	out->network_mode = dup_or_null(val_strv(
		val_map_get(val_map_get(ans, "HostConfig"), "NetworkMode")));
	out->sandbox_key = dup_or_null(val_strv(val_map_get(
		val_map_get(ans, "NetworkSettings"), "SandboxKey")));
	if (raw)
		*raw = ans;
	else
		val_free(ans);
	return 0;
}

int docker_container_attach(struct docker *d, const char *id, bool tty,
			    struct docker_stream **out)
{
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "attach to container '%s'",
		 short_id(id, sid, sizeof(sid)));
	object_path(&path, "containers", id,
		    "/attach?stream=1&stdout=1&stderr=1");
	err = stream_open(d, what, "POST", &path, NULL, tty, out);
	buf_release(&path);
	return err;
}

int docker_container_logs(struct docker *d, const char *id, bool follow,
			  bool tty, struct docker_stream **out)
{
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "read the logs of container '%s'",
		 short_id(id, sid, sizeof(sid)));
	object_path(&path, "containers", id,
		    follow ? "/logs?stdout=1&stderr=1&follow=1"
			   : "/logs?stdout=1&stderr=1");
	err = stream_open(d, what, "GET", &path, NULL, tty, out);
	buf_release(&path);
	return err;
}

/* Remove a container after a failure, keeping the failure's message. */
static int cleanup_after(struct docker *d, const char *id, int err)
{
	char saved[1024];

	snprintf(saved, sizeof(saved), "%s", err_msg());
	if (docker_container_remove(d, id, true) < 0)
		log_warn("%s", err_msg());
	return err_set(err, "%s", saved);
}

int docker_run(struct docker *d, const struct docker_spec *spec,
	       docker_output_fn fn, void *payload, int *exit_code)
{
	struct docker_stream *s = NULL;
	char *id = NULL;
	int err;

	err = docker_container_create(d, spec, &id);
	if (err < 0)
		return err;
	err = docker_container_attach(d, id, spec->tty, &s);
	if (!err)
		err = docker_container_start(d, id);
	if (!err)
		err = docker_stream_drain(s, fn, payload);
	docker_stream_close(s);
	if (!err)
		err = docker_container_wait(d, id, exit_code);
	if (err < 0)
		err = cleanup_after(d, id, err);
	else
		err = docker_container_remove(d, id, false);
	free(id);
	return err;
}

/* Exec. */

int docker_exec_create(struct docker *d, const char *id,
		       const struct docker_spec *spec, char **exec_id)
{
	struct val *body = val_map(), *ans = NULL;
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	const char *eid;
	int err;

	snprintf(what, sizeof(what), "exec in container '%s'",
		 short_id(id, sid, sizeof(sid)));
	val_map_set(body, "AttachStdin", val_bool(false));
	val_map_set(body, "AttachStdout", val_bool(true));
	val_map_set(body, "AttachStderr", val_bool(true));
	val_map_set(body, "Tty", val_bool(spec->tty));
	set_strings(body, "Cmd", &spec->cmd);
	set_strings(body, "Env", &spec->env);
	set_str(body, "WorkingDir", spec->workdir);
	set_str(body, "User", spec->user);
	if (spec->privileged)
		val_map_set(body, "Privileged", val_bool(true));
	object_path(&path, "containers", id, "/exec");
	err = control_json(d, what, "POST", path.ptr, body, &ans);
	eid = val_strv(val_map_get(ans, "Id"));
	if (!err && !eid)
		err = err_set(FY_EFAIL, "docker: %s: no id in the answer",
			      what);
	if (!err)
		*exec_id = xstrdup(eid);
	val_free(ans);
	val_free(body);
	buf_release(&path);
	return err;
}

int docker_exec_start(struct docker *d, const char *exec_id, bool tty,
		      struct docker_stream **out)
{
	struct val *body = val_map();
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "start exec '%s'",
		 short_id(exec_id, sid, sizeof(sid)));
	val_map_set(body, "Detach", val_bool(false));
	val_map_set(body, "Tty", val_bool(tty));
	object_path(&path, "exec", exec_id, "/start");
	err = stream_open(d, what, "POST", &path, body, tty, out);
	val_free(body);
	buf_release(&path);
	return err;
}

int docker_exec_inspect(struct docker *d, const char *exec_id, bool *running,
			int *exit_code)
{
	struct buf path = BUF_INIT;
	struct val *ans = NULL, *r;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "inspect exec '%s'",
		 short_id(exec_id, sid, sizeof(sid)));
	object_path(&path, "exec", exec_id, "/json");
	err = control_json(d, what, "GET", path.ptr, NULL, &ans);
	buf_release(&path);
	if (err < 0)
		return err;
	r = val_map_get(ans, "Running");
	*running = val_is(r, VAL_BOOL) && r->b;
	*exit_code = (int)num_of(val_map_get(ans, "ExitCode"));
	val_free(ans);
	return 0;
}

int docker_exec_run(struct docker *d, const char *id,
		    const struct docker_spec *spec, docker_output_fn fn,
		    void *payload, int *exit_code)
{
	struct docker_stream *s = NULL;
	char *eid = NULL;
	bool running = false;
	int err;

	err = docker_exec_create(d, id, spec, &eid);
	if (!err)
		err = docker_exec_start(d, eid, spec->tty, &s);
	if (!err)
		err = docker_stream_drain(s, fn, payload);
	docker_stream_close(s);
	if (!err)
		err = docker_exec_inspect(d, eid, &running, exit_code);
	if (!err && running)
		err = err_set(FY_EFAIL,
			      "docker: exec '%.12s' still runs after "
			      "its output ended",
			      eid);
	free(eid);
	return err;
}

/* Archives. */

int docker_archive_put(struct docker *d, const char *id, const char *path,
		       bool chown, docker_read_fn fn, void *payload)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct svec hdrs = SVEC_INIT;
	struct buf url = BUF_INIT;
	char what[300], sid[16];
	int err;

	snprintf(what, sizeof(what), "copy into '%s' of container '%s'", path,
		 short_id(id, sid, sizeof(sid)));
	object_path(&url, "containers", id, "/archive");
	query(&url, "path", path);
	if (chown)
		query(&url, "copyUIDGID", "1");
	svec_push(&hdrs, "Content-Type: application/x-tar");
	req.method = "PUT";
	req.headers = &hdrs;
	req.read = fn;
	req.read_payload = payload;
	err = call(d, what, &req, url.ptr, &resp);
	http_response_release(&resp);
	svec_release(&hdrs);
	buf_release(&url);
	return err;
}

static int pull_body(void *dst, size_t cap, size_t *got, void *payload)
{
	return http_read(payload, dst, cap, -1, got);
}

int docker_archive_get(struct docker *d, const char *id, const char *path,
		       const char *dir)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct buf url = BUF_INIT;
	char *full = NULL;
	char what[300], sid[16];
	int err;

	snprintf(what, sizeof(what), "copy '%s' out of container '%s'", path,
		 short_id(id, sid, sizeof(sid)));
	object_path(&url, "containers", id, "/archive");
	query(&url, "path", path);
	full = xasprintf("%s/v%s%s", d->base, d->version, url.ptr);
	request_init(d, &req, full);
	err = http_open(d->http, &req, &resp);
	if (err < 0) {
		err = err_wrap(err, "docker: %s", what);
	} else if (resp.status >= 300) {
		read_rest(d->http, &resp.body);
		err = engine_error(&resp, what);
	} else {
		err = tarball_extract(dir, 0, pull_body, d->http);
		if (err < 0)
			err = err_wrap(err, "docker: %s", what);
	}
	http_close(d->http);
	http_response_release(&resp);
	buf_release(&url);
	free(full);
	return err;
}
