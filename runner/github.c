/*
 * github.c: the commit status sender of `ferry serve`.  One thread reads
 * the status outbox of the store in order (a build's statuses never
 * overtake each other), POSTs each to GitHub's REST API
 * (POST {api_url}/repos/{owner}/{repo}/statuses/{sha}) and marks it sent;
 * a transport error, a 5xx, 403 or 429 is retried with exponential
 * backoff (2 s doubling to 10 minutes, 12 attempts), other 4xx answers
 * are final.  Workers only write to the outbox, so a slow or failing
 * GitHub never holds a job up.
 */
#include "compat.h"

#include <time.h>

#include "buf.h"
#include "error.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "serve.h"
#include "store.h"
#include "val.h"
#include "xalloc.h"

#define GITHUB_MAX_ATTEMPTS 12
#define GITHUB_MAX_BACKOFF  600

void github_status_for(const char *build_state, const char **state,
		       const char **description)
{
	static const struct {
		const char *build, *state, *description;
	} map[] = {
		{ "passed", "success", "The build passed" },
		{ "failed", "failure", "The build failed" },
		{ "errored", "error",
		  "The build could not complete due to an error" },
		{ "canceled", "error", "The build was canceled" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(build_state, map[i].build)) {
			*state = map[i].state;
			*description = map[i].description;
			return;
		}
	*state = "pending";
	*description = "The build is in progress";
}

static const char *text_of(const struct val *m, const char *key)
{
	return val_text(val_map_get(m, key));
}

static char *status_body(const struct serve *s, const struct val *st)
{
	struct val *doc = val_map();
	const char *state, *desc;
	const char *event = text_of(st, "event");
	char *json;

	github_status_for(text_of(st, "state"), &state, &desc);
	val_map_set(doc, "state", val_str(state));
	val_map_set(doc, "target_url",
		    val_strf("%s/builds/%s", s->conf.base_url,
			     text_of(st, "build_id")));
	val_map_set(doc, "description", val_str(desc));
	val_map_set(doc, "context",
		    val_strf("%s/%s", s->conf.context,
			     !strcmp(event, "pull_request") ? "pr" : "push"));
	json = json_dump(doc, 0);
	val_free(doc);
	return json;
}

/* POST one status; 0 sent, 1 retry, < 0 give up (message set). */
static int post(struct serve *s, struct http_client *hc, const struct val *st)
{
	struct http_request rq = HTTP_REQUEST_INIT;
	struct http_response rs = HTTP_RESPONSE_INIT;
	struct svec headers = SVEC_INIT;
	struct buf url = BUF_INIT;
	char *body = status_body(s, st);
	int err, ret;

	buf_addf(&url, "%s/repos/", s->conf.api_url);
	http_escape(&url, text_of(st, "slug"), true);
	buf_addstr(&url, "/statuses/");
	http_escape(&url, text_of(st, "status_sha"), false);
	svec_pushf(&headers, "Authorization: Bearer %s", s->conf.token);
	svec_push(&headers, "Accept: application/vnd.github+json");
	svec_push(&headers, "X-GitHub-Api-Version: 2022-11-28");
	svec_push(&headers, "Content-Type: application/json");
	svec_push(&headers, "User-Agent: ferry/" FERRY_VERSION);
	rq.method = "POST";
	rq.url = url.ptr;
	rq.headers = &headers;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.connect_timeout_ms = 10000;
	rq.timeout_ms = 20000;
	rq.cancel = &s->stopping;
	buf_set_limit(&rs.body, 64 * 1024);
	err = http_request(hc, &rq, &rs);
	if (err < 0) {
		ret = 1;
	} else if (rs.status >= 200 && rs.status < 300) {
		ret = 0;
	} else if (rs.status >= 500 || rs.status == 403 || rs.status == 429) {
		err_set(FY_EFAIL, "HTTP %ld from %s", rs.status, url.ptr);
		ret = 1;
	} else {
		ret = err_set(FY_EFAIL, "HTTP %ld from %s: %.200s", rs.status,
			      url.ptr, rs.body.ptr);
	}
	http_response_release(&rs);
	for (size_t i = 0; i < headers.n; i++)
		explicit_bzero(headers.v[i], strlen(headers.v[i]));
	svec_release(&headers);
	buf_release(&url);
	free(body);
	return ret;
}

static void count(struct serve *s, bool sent)
{
	pthread_mutex_lock(&s->lock);
	if (sent)
		s->metrics.statuses_sent++;
	else
		s->metrics.statuses_failed++;
	pthread_mutex_unlock(&s->lock);
}

static void send_one(struct serve *s, struct http_client *hc,
		     const struct val *st)
{
	int64_t id = strtoll(text_of(st, "id"), NULL, 10);
	long attempts = strtol(text_of(st, "attempts"), NULL, 10) + 1;
	const char *why = NULL;
	int r;

	if (!s->conf.statuses)
		why = "not sent: serve.statuses is false";
	else if (!s->conf.token)
		why = "not sent: no serve.token";
	if (why) {
		store_status_done(s->store, id, why);
		return;
	}
	r = post(s, hc, st);
	if (!r) {
		log_debug("status %lld sent (build %s %s)", (long long)id,
			  text_of(st, "build_id"), text_of(st, "state"));
		store_status_done(s->store, id, NULL);
		count(s, true);
	} else if (r > 0 && attempts < GITHUB_MAX_ATTEMPTS &&
		   !atomic_load(&s->stopping)) {
		long delay = 2L << (attempts - 1);

		if (delay > GITHUB_MAX_BACKOFF)
			delay = GITHUB_MAX_BACKOFF;
		log_warn("status %lld: %s (retry in %lds)", (long long)id,
			 err_msg(), delay);
		store_status_retry(s->store, id, (int64_t)time(NULL) + delay,
				   err_msg());
		count(s, false);
	} else if (r > 0 && atomic_load(&s->stopping)) {
		store_status_retry(s->store, id, 0, err_msg());
	} else {
		log_error("status %lld: giving up: %s", (long long)id,
			  err_msg());
		store_status_done(s->store, id, err_msg());
		count(s, false);
	}
}

void *github_main(void *arg)
{
	struct serve *s = arg;
	struct http_client *hc = NULL;

	if (http_client_new(&hc) < 0) {
		log_error("statuses: %s", err_msg());
		return NULL;
	}
	while (!atomic_load(&s->stopping)) {
		unsigned g = serve_gen(s, &s->status_gen);
		struct val *st = NULL;
		long wait = -1;
		int err;

		err = store_status_next(s->store, (int64_t)time(NULL), &st,
					&wait);
		if (err == FY_ENOTFOUND) {
			serve_wait(s, &s->status_gen, g,
				   wait < 0   ? 60
				   : wait < 1 ? 1
					      : wait);
			continue;
		}
		if (err < 0) {
			log_error("statuses: %s", err_msg());
			serve_wait(s, &s->status_gen, g, 5);
			continue;
		}
		send_one(s, hc, st);
		val_free(st);
	}
	http_client_free(hc);
	return NULL;
}
