/*
 * webui.c: the web UI, the JSON API, the badge, /healthz and /metrics of
 * `ferry serve`.  Pages are one static application (runner/web/, compiled
 * in) that renders what the API returns; the API prints store rows as
 * JSON.  Changes (cancel, restart) need the admin token as a bearer
 * token.  Nothing here shows a secret: job logs were masked when they
 * were written, and builds are shown without their clone URLs.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "httpd.h"
#include "job.h"
#include "jobprep.h"
#include "json.h"
#include "serve.h"
#include "store.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

/* The embedded files (Makefile: runner/web/NAME.EXT -> web_NAME_EXT). */
extern const char web_index_html_text[], web_app_js_text[], web_app_css_text[];
extern const size_t web_index_html_len, web_app_js_len, web_app_css_len;

static void send_val(struct httpd_response *resp, int status,
		     const struct val *v)
{
	resp->status = status;
	resp->content_type = "application/json";
	json_write(&resp->body, v, JSON_PRETTY);
	buf_addch(&resp->body, '\n');
	httpd_add_header(resp, "Cache-Control: no-store");
}

/* An error of the store as an HTTP answer. */
static void send_err(struct httpd_response *resp, int err)
{
	if (err == FY_ENOTFOUND)
		httpd_set_error(resp, 404, "not found");
	else if (err == FY_EINVALID)
		httpd_set_error(resp, 409, "%s", err_msg());
	else
		httpd_set_error(resp, 500, "%s", err_msg());
}

static bool id_param(const struct httpd_request *req, int64_t *id)
{
	const char *p = httpd_param(req, "id");
	char *end;

	if (!p)
		return false;
	*id = strtoll(p, &end, 10);
	return *id > 0 && !*end;
}

static long num_query(const struct httpd_request *req, const char *name,
		      long def, long max)
{
	const char *q = httpd_query(req, name);
	char *end;
	long n;

	if (!q)
		return def;
	n = strtol(q, &end, 10);
	if (*end || n < 0)
		return def;
	return n > max ? max : n;
}

static const char *text_of(const struct val *m, const char *key)
{
	return val_text(val_map_get(m, key));
}

/* Add "description" and "log_url" to a job row. */
static void decorate_job(struct val *j)
{
	char d[256];

	val_map_set(
		j, "description",
		val_str(job_describe(val_map_get(j, "config"), d, sizeof(d))));
	val_map_set(j, "log_url",
		    val_strf("/api/jobs/%s/log", text_of(j, "id")));
}

/* ---- read-only API ------------------------------------------------------- */

static void api_repos(void *p, const struct httpd_request *req,
		      struct httpd_response *resp)
{
	struct serve *s = p;
	struct val *v = NULL;
	int err = store_repos(s->store, &v);

	if (err < 0) {
		send_err(resp, err);
		return;
	}
	send_val(resp, 200, v);
	val_free(v);
}

static char *slug_param(const struct httpd_request *req)
{
	return xasprintf("%s/%s", httpd_param(req, "owner"),
			 httpd_param(req, "name"));
}

static void api_builds(void *p, const struct httpd_request *req,
		       struct httpd_response *resp)
{
	struct serve *s = p;
	char *slug = slug_param(req);
	const char *before = httpd_query(req, "before");
	struct val *v = NULL;
	int err;

	err = store_builds(s->store, slug, httpd_query(req, "branch"),
			   num_query(req, "limit", 25, 100),
			   before ? strtoll(before, NULL, 10) : 0, &v);
	free(slug);
	if (err < 0) {
		send_err(resp, err);
		return;
	}
	send_val(resp, 200, v);
	val_free(v);
}

static void api_requests(void *p, const struct httpd_request *req,
			 struct httpd_response *resp)
{
	struct serve *s = p;
	char *slug = slug_param(req);
	struct val *v = NULL;
	int err;

	err = store_requests(s->store, slug, num_query(req, "limit", 25, 100),
			     &v);
	free(slug);
	if (err < 0) {
		send_err(resp, err);
		return;
	}
	send_val(resp, 200, v);
	val_free(v);
}

static void api_build(void *p, const struct httpd_request *req,
		      struct httpd_response *resp)
{
	struct serve *s = p;
	struct val *v = NULL, *jobs;
	int64_t id;
	int err;

	if (!id_param(req, &id)) {
		httpd_set_error(resp, 404, "not found");
		return;
	}
	err = store_build(s->store, id, &v);
	if (err < 0) {
		send_err(resp, err);
		return;
	}
	jobs = val_map_get(v, "jobs");
	for (size_t i = 0; i < jobs->seq.n; i++)
		decorate_job(jobs->seq.v[i]);
	send_val(resp, 200, v);
	val_free(v);
}

static void api_job(void *p, const struct httpd_request *req,
		    struct httpd_response *resp)
{
	struct serve *s = p;
	struct val *v = NULL;
	int64_t id;
	int err;

	if (!id_param(req, &id)) {
		httpd_set_error(resp, 404, "not found");
		return;
	}
	err = store_job(s->store, id, &v);
	if (err < 0) {
		send_err(resp, err);
		return;
	}
	decorate_job(v);
	send_val(resp, 200, v);
	val_free(v);
}

/* The raw (masked) log from byte `offset` on, streamed from its file. */
static void api_log(void *p, const struct httpd_request *req,
		    struct httpd_response *resp)
{
	struct serve *s = p;
	struct val *v = NULL;
	struct stat st;
	int64_t id;
	long offset = num_query(req, "offset", 0, LONG_MAX);
	char *path;
	int err, fd;

	if (!id_param(req, &id)) {
		httpd_set_error(resp, 404, "not found");
		return;
	}
	err = store_job(s->store, id, &v);
	if (err < 0) {
		send_err(resp, err);
		return;
	}
	resp->content_type = "text/plain; charset=utf-8";
	httpd_add_header(resp, "Cache-Control: no-store");
	httpd_add_header(resp, "X-Job-State: %s", text_of(v, "state"));
	val_free(v);
	path = serve_log_path(s, id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		httpd_add_header(resp, "X-Log-Size: 0");
		return;
	}
	if (offset > st.st_size)
		offset = (long)st.st_size;
	httpd_add_header(resp, "X-Log-Size: %lld", (long long)st.st_size);
	resp->fd = fd;
	resp->offset = offset;
	resp->size = (uint64_t)(st.st_size - offset);
}

/* ---- changes (admin token) ------------------------------------------------ */

static bool admin_ok(struct serve *s, const struct httpd_request *req,
		     struct httpd_response *resp)
{
	const char *h = httpd_header(req, "Authorization");
	unsigned char a[CRYPTO_MAX_DIGEST], b[CRYPTO_MAX_DIGEST];

	if (!s->conf.admin_token) {
		httpd_set_error(resp, 403,
				"changes are disabled: no serve.admin_token");
		return false;
	}
	if (!h || strncmp(h, "Bearer ", 7)) {
		httpd_add_header(resp, "WWW-Authenticate: Bearer");
		httpd_set_error(resp, 401, "an admin token is required");
		return false;
	}
	/* Compare digests: constant time, and no length leak. */
	crypto_digest(CRYPTO_SHA256, h + 7, strlen(h + 7), a);
	crypto_digest(CRYPTO_SHA256, s->conf.admin_token,
		      strlen(s->conf.admin_token), b);
	if (!crypto_equal(a, b, sizeof(a))) {
		httpd_add_header(resp, "WWW-Authenticate: Bearer");
		httpd_set_error(resp, 401, "wrong admin token");
		return false;
	}
	return true;
}

static void changed(struct serve *s, struct httpd_response *resp,
		    const char *what, int64_t id, const char *action)
{
	struct val *doc = val_map();

	val_map_set(doc, what, val_numi(id));
	val_map_set(doc, "action", val_str(action));
	send_val(resp, 202, doc);
	val_free(doc);
	serve_wake_workers(s);
	serve_wake_statuses(s);
}

static void api_build_cancel(void *p, const struct httpd_request *req,
			     struct httpd_response *resp)
{
	struct serve *s = p;
	struct svec running = SVEC_INIT;
	int64_t id;
	int err;

	if (!admin_ok(s, req, resp))
		return;
	if (!id_param(req, &id)) {
		httpd_set_error(resp, 404, "not found");
		return;
	}
	err = store_build_cancel(s->store, id, "canceled through the API",
				 &running);
	if (!err)
		serve_cancel_running(s, &running);
	svec_release(&running);
	if (err < 0) {
		send_err(resp, err);
		return;
	}
	changed(s, resp, "build", id, "cancel");
}

static void api_job_cancel(void *p, const struct httpd_request *req,
			   struct httpd_response *resp)
{
	struct serve *s = p;
	struct svec ids = SVEC_INIT;
	bool running = false;
	int64_t id;
	int err;

	if (!admin_ok(s, req, resp))
		return;
	if (!id_param(req, &id)) {
		httpd_set_error(resp, 404, "not found");
		return;
	}
	err = store_job_cancel(s->store, id, "canceled through the API",
			       &running);
	if (err < 0) {
		send_err(resp, err);
		return;
	}
	if (running) {
		svec_pushf(&ids, "%lld", (long long)id);
		serve_cancel_running(s, &ids);
		svec_release(&ids);
	}
	changed(s, resp, "job", id, "cancel");
}

static void api_build_restart(void *p, const struct httpd_request *req,
			      struct httpd_response *resp)
{
	struct serve *s = p;
	int64_t id;
	int err;

	if (!admin_ok(s, req, resp))
		return;
	if (!id_param(req, &id)) {
		httpd_set_error(resp, 404, "not found");
		return;
	}
	err = store_build_restart(s->store, id);
	if (err < 0) {
		send_err(resp, err);
		return;
	}
	changed(s, resp, "build", id, "restart");
}

static void api_job_restart(void *p, const struct httpd_request *req,
			    struct httpd_response *resp)
{
	struct serve *s = p;
	int64_t id;
	int err;

	if (!admin_ok(s, req, resp))
		return;
	if (!id_param(req, &id)) {
		httpd_set_error(resp, 404, "not found");
		return;
	}
	err = store_job_restart(s->store, id);
	if (err < 0) {
		send_err(resp, err);
		return;
	}
	changed(s, resp, "job", id, "restart");
}

/* ---- badge, health, metrics ----------------------------------------------- */

static void badge(void *p, const struct httpd_request *req,
		  struct httpd_response *resp)
{
	static const struct {
		const char *state, *text, *colour;
	} looks[] = {
		{ "passed", "passing", "#4c1" },
		{ "failed", "failing", "#e05d44" },
		{ "errored", "error", "#fe7d37" },
		{ "canceled", "canceled", "#9f9f9f" },
	};
	struct serve *s = p;
	const char *file = httpd_param(req, "file");
	size_t n = strlen(file);
	char *slug, *state = NULL;
	const char *text = "unknown", *colour = "#9f9f9f";
	unsigned lw = 37, rw;

	if (n < 5 || strcmp(file + n - 4, ".svg")) {
		httpd_set_error(resp, 404, "not found");
		return;
	}
	slug = xasprintf("%s/%.*s", httpd_param(req, "owner"), (int)(n - 4),
			 file);
	if (!store_badge(s->store, slug, httpd_query(req, "branch"), &state))
		for (size_t i = 0; i < ARRAY_SIZE(looks); i++)
			if (!strcmp(state, looks[i].state)) {
				text = looks[i].text;
				colour = looks[i].colour;
			}
	rw = (unsigned)strlen(text) * 7 + 10;
	resp->content_type = "image/svg+xml";
	httpd_add_header(resp, "Cache-Control: no-cache");
	buf_addf(&resp->body,
		 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		 "height=\"20\" role=\"img\" aria-label=\"build: %s\">"
		 "<title>build: %s</title>"
		 "<rect width=\"%u\" height=\"20\" fill=\"#555\"/>"
		 "<rect x=\"%u\" width=\"%u\" height=\"20\" fill=\"%s\"/>"
		 "<g fill=\"#fff\" text-anchor=\"middle\" "
		 "font-family=\"Verdana,DejaVu Sans,sans-serif\" "
		 "font-size=\"11\"><text x=\"%u\" y=\"14\">build</text>"
		 "<text x=\"%u\" y=\"14\">%s</text></g></svg>\n",
		 lw + rw, text, text, lw, lw, rw, colour, lw / 2, lw + rw / 2,
		 text);
	free(state);
	free(slug);
}

static void healthz(void *p, const struct httpd_request *req,
		    struct httpd_response *resp)
{
	struct serve *s = p;
	struct val *doc = val_map();
	bool ok = !atomic_load(&s->stopping) && !store_ping(s->store);

	val_map_set(doc, "status", val_str(ok ? "ok" : "unavailable"));
	send_val(resp, ok ? 200 : 503, doc);
	val_free(doc);
}

static void metric(struct buf *b, const char *name, const char *type,
		   const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics(void *p, const struct httpd_request *req,
		    struct httpd_response *resp)
{
	static const char *const hooks[] = { "accepted",    "duplicate",
					     "ignored",	    "unauthorized",
					     "bad_request", "ping" };
	struct serve *s = p;
	struct serve_metrics m;
	struct buf *b = &resp->body;
	long queued = 0, running = 0, pending = 0;

	store_counts(s->store, &queued, &running);
	store_status_pending(s->store, &pending);
	pthread_mutex_lock(&s->lock);
	m = s->metrics;
	pthread_mutex_unlock(&s->lock);
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	metric(b, "ferry_queue_depth", "gauge", "Jobs waiting for a worker.");
	buf_addf(b, "ferry_queue_depth %ld\n", queued);
	metric(b, "ferry_jobs_running", "gauge", "Jobs running now.");
	buf_addf(b, "ferry_jobs_running %ld\n", running);
	metric(b, "ferry_workers", "gauge", "Worker threads (concurrency).");
	buf_addf(b, "ferry_workers %d\n", s->conf.concurrency);
	metric(b, "ferry_jobs_finished_total", "counter",
	       "Jobs finished since the server started, by result.");
	for (int i = JOB_PASSED; i <= JOB_CANCELED; i++)
		buf_addf(b, "ferry_jobs_finished_total{state=\"%s\"} %lu\n",
			 job_state_name((enum job_state)i), m.jobs[i]);
	metric(b, "ferry_job_duration_seconds", "histogram",
	       "How long finished jobs ran.");
	for (size_t i = 0; i < SERVE_BUCKETS; i++)
		buf_addf(b,
			 "ferry_job_duration_seconds_bucket{le=\"%g\"} %lu\n",
			 serve_buckets[i], m.duration_bucket[i]);
	buf_addf(b, "ferry_job_duration_seconds_bucket{le=\"+Inf\"} %lu\n",
		 m.duration_count);
	buf_addf(b, "ferry_job_duration_seconds_sum %.3f\n", m.duration_sum);
	buf_addf(b, "ferry_job_duration_seconds_count %lu\n", m.duration_count);
	metric(b, "ferry_webhooks_total", "counter",
	       "Webhook deliveries, by what was done with them.");
	for (size_t i = 0; i < ARRAY_SIZE(hooks); i++)
		buf_addf(b, "ferry_webhooks_total{result=\"%s\"} %lu\n",
			 hooks[i], m.hooks[i]);
	metric(b, "ferry_builds_created_total", "counter", "Builds created.");
	buf_addf(b, "ferry_builds_created_total %lu\n", m.builds_created);
	metric(b, "ferry_requests_rejected_total", "counter",
	       "Build requests that made no build (filtered or failed).");
	buf_addf(b, "ferry_requests_rejected_total %lu\n", m.requests_rejected);
	metric(b, "ferry_statuses_sent_total", "counter",
	       "Commit statuses GitHub accepted.");
	buf_addf(b, "ferry_statuses_sent_total %lu\n", m.statuses_sent);
	metric(b, "ferry_statuses_failed_total", "counter",
	       "Commit status attempts that failed.");
	buf_addf(b, "ferry_statuses_failed_total %lu\n", m.statuses_failed);
	metric(b, "ferry_statuses_pending", "gauge",
	       "Commit statuses waiting to be sent.");
	buf_addf(b, "ferry_statuses_pending %ld\n", pending);
}

/* ---- the pages -------------------------------------------------------------- */

static void page(void *p, const struct httpd_request *req,
		 struct httpd_response *resp)
{
	resp->content_type = "text/html; charset=utf-8";
	httpd_add_header(resp, "Content-Security-Policy: default-src 'self'; "
			       "img-src 'self' data:");
	buf_add(&resp->body, web_index_html_text, web_index_html_len);
}

static void asset(void *p, const struct httpd_request *req,
		  struct httpd_response *resp)
{
	const char *file = httpd_param(req, "file");

	httpd_add_header(resp, "Cache-Control: max-age=300");
	if (!strcmp(file, "app.js")) {
		resp->content_type = "text/javascript; charset=utf-8";
		buf_add(&resp->body, web_app_js_text, web_app_js_len);
	} else if (!strcmp(file, "app.css")) {
		resp->content_type = "text/css; charset=utf-8";
		buf_add(&resp->body, web_app_css_text, web_app_css_len);
	} else {
		httpd_set_error(resp, 404, "not found");
	}
}

void webui_routes(struct serve *s)
{
	struct httpd *h = s->httpd;

	httpd_route(h, "GET", "/healthz", healthz, s);
	httpd_route(h, "GET", "/metrics", metrics, s);
	httpd_route(h, "GET", "/api/repos", api_repos, s);
	httpd_route(h, "GET", "/api/repos/:owner/:name/builds", api_builds, s);
	httpd_route(h, "GET", "/api/repos/:owner/:name/requests", api_requests,
		    s);
	httpd_route(h, "GET", "/api/builds/:id", api_build, s);
	httpd_route(h, "POST", "/api/builds/:id/cancel", api_build_cancel, s);
	httpd_route(h, "POST", "/api/builds/:id/restart", api_build_restart, s);
	httpd_route(h, "GET", "/api/jobs/:id", api_job, s);
	httpd_route(h, "GET", "/api/jobs/:id/log", api_log, s);
	httpd_route(h, "POST", "/api/jobs/:id/cancel", api_job_cancel, s);
	httpd_route(h, "POST", "/api/jobs/:id/restart", api_job_restart, s);
	httpd_route(h, "GET", "/badge/:owner/:file", badge, s);
	httpd_route(h, "GET", "/static/:file", asset, s);
	httpd_route(h, "GET", "/", page, s);
	httpd_route(h, "GET", "/repos/:owner/:name", page, s);
	httpd_route(h, "GET", "/builds/:id", page, s);
	httpd_route(h, "GET", "/jobs/:id", page, s);
}
