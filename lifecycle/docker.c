/*
 * docker.c: the Docker Engine API client's connection: the endpoint
 * (DOCKER_HOST, TLS), API version negotiation and the control calls the
 * other docker*.c files make.  Control calls go through one keep-alive
 * http_client; output streams (docker_stream.c) take a second client,
 * kept for reuse, because the engine turns their connection into the
 * stream.
 */
#include "compat.h"

#include "buf.h"
#include "docker.h"
#include "docker_int.h"
#include "error.h"
#include "fs.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define DOCKER_ERRBODY_LIMIT (64 * 1024)

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

const char *docker_short_id(const char *id, char *tmp, size_t size)
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

void docker_request_init(struct docker *d, struct http_request *req,
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
int docker_engine_error(const struct http_response *r, const char *what)
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

/* Read what is left of a body (an error message) into `into`. */
void docker_read_rest(struct http_client *h, struct buf *into)
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

/*
 * A call on the control connection to `path` (under /v<version>), with
 * the body and headers the caller put in `req`.  A status of 300 or more
 * records the engine's message; `resp` keeps the answer either way.
 */
int docker_call(struct docker *d, const char *what, struct http_request *req,
		const char *path, struct http_response *resp)
{
	char *url = xasprintf("%s/v%s%s", d->base, d->version, path);
	int err;

	docker_request_init(d, req, url);
	err = http_request(d->http, req, resp);
	if (err < 0)
		err = err_wrap(err, "docker: %s", what);
	else if (resp->status >= 300)
		err = docker_engine_error(resp, what);
	free(url);
	return err;
}

/* A control call with an optional JSON body. */
int docker_control(struct docker *d, const char *what, const char *method,
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
	err = docker_call(d, what, &req, path, resp);
	buf_release(&body);
	svec_release(&hdrs);
	return err;
}

/* A control call whose answer is a JSON document (`out` may be NULL). */
int docker_control_json(struct docker *d, const char *what, const char *method,
			const char *path, const struct val *json,
			struct val **out)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	int err = docker_control(d, what, method, path, json, &resp);

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
void docker_query(struct buf *path, const char *key, const char *value)
{
	buf_addch(path, strchr(path->ptr, '?') ? '&' : '?');
	buf_addstr(path, key);
	buf_addch(path, '=');
	http_escape(path, value, false);
}

/* "/<kind>/<name><rest>", the name escaped. */
void docker_object_path(struct buf *path, const char *kind, const char *name,
			const char *rest)
{
	buf_addf(path, "/%s/", kind);
	http_escape(path, name, true);
	buf_addstr(path, rest);
}

/* GET <base>?all=..&filters={"label":[label]}. */
int docker_list(struct docker *d, const char *what, const char *base,
		const char *label, bool all, struct val **out)
{
	struct buf path = BUF_INIT;
	int err;

	buf_addstr(&path, base);
	if (all)
		docker_query(&path, "all", "1");
	if (label) {
		struct val *f = val_map(), *seq = val_seq();
		char *json;

		val_seq_push(seq, val_str(label));
		val_map_set(f, "label", seq);
		json = json_dump(f, 0);
		docker_query(&path, "filters", json);
		free(json);
		val_free(f);
	}
	err = docker_control_json(d, what, "GET", path.ptr, NULL, out);
	buf_release(&path);
	return err;
}

int64_t docker_num(const struct val *v)
{
	const char *t = val_is(v, VAL_NUM) ? val_text(v) : NULL;

	return t ? strtoll(t, NULL, 10) : 0;
}

static int negotiate(struct docker *d, const char *pinned)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	char *url = xasprintf("%s/version", d->base);
	const char *engine = NULL;
	struct val *v = NULL;
	int err, have, min = api_num(DOCKER_API_MIN);

	docker_request_init(d, &req, url);
	err = http_request(d->http, &req, &resp);
	if (err < 0) {
		err = err_wrap(err, "docker: cannot reach the engine at '%s'",
			       d->host);
		goto out;
	}
	if (resp.status != 200 ||
	    json_parse(&v, resp.body.ptr, resp.body.len, 0)) {
		err = docker_engine_error(&resp, "ask the engine's version");
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
