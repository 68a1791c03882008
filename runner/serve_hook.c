/*
 * serve_hook.c: POST /webhooks/github.  The signature is checked over
 * the raw body before anything else is looked at; then the event is
 * sorted (ping, push, pull_request, the rest ignored), the payload parsed
 * and turned into a build request, which is recorded together with the
 * delivery id (a delivery seen before records nothing).
 */
#include "compat.h"

#include <ctype.h>

#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "httpd.h"
#include "json.h"
#include "log.h"
#include "serve.h"
#include "store.h"
#include "val.h"
#include "xalloc.h"

#define SIG_PREFIX "sha256="

bool serve_hook_signature_ok(const char *secret, const char *header,
			     const void *body, size_t len)
{
	char want[CRYPTO_MAX_HEX], got[65];
	size_t n;

	if (!header || strncmp(header, SIG_PREFIX, strlen(SIG_PREFIX)))
		return false;
	header += strlen(SIG_PREFIX);
	n = strlen(header);
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		got[i] = (char)tolower((unsigned char)header[i]);
	got[64] = '\0';
	crypto_hmac_sha256_hex(secret, strlen(secret), body, len, want);
	return crypto_equal(want, got, 64);
}

static const char *str_at(const struct val *v, const char *a, const char *b,
			  const char *c)
{
	v = val_map_get(v, a);
	if (b)
		v = val_map_get(v, b);
	if (c)
		v = val_map_get(v, c);
	return val_strv(v);
}

static bool is_zero_sha(const char *sha)
{
	for (; *sha; sha++)
		if (*sha != '0')
			return false;
	return true;
}

static bool is_sha(const char *s)
{
	size_t n = 0;

	for (; s && isxdigit((unsigned char)s[n]); n++)
		;
	return s && n == 40 && !s[n];
}

static void set_str(struct val *m, const char *key, const char *v)
{
	val_map_set(m, key, v ? val_str(v) : val_null());
}

static int from_push(const struct val *p, struct val *r, char **ignored)
{
	const char *ref = val_strv(val_map_get(p, "ref"));
	const char *after = val_strv(val_map_get(p, "after"));
	const struct val *deleted = val_map_get(p, "deleted");

	if (!ref || !after)
		return err_set(FY_EINVALID,
			       "push payload without ref or after");
	if ((deleted && deleted->type == VAL_BOOL && deleted->b) ||
	    is_zero_sha(after)) {
		*ignored = xasprintf("'%s' was deleted", ref);
		return 0;
	}
	if (!is_sha(after))
		return err_set(FY_EINVALID, "push payload: bad 'after' commit");
	if (!strncmp(ref, "refs/heads/", 11)) {
		set_str(r, "branch", ref + 11);
		set_str(r, "tag", NULL);
	} else if (!strncmp(ref, "refs/tags/", 10)) {
		set_str(r, "branch", ref + 10);
		set_str(r, "tag", ref + 10);
	} else {
		*ignored = xasprintf("ref '%s' is not a branch or tag", ref);
		return 0;
	}
	set_str(r, "sha", after);
	set_str(r, "status_sha", after);
	set_str(r, "before", val_strv(val_map_get(p, "before")));
	set_str(r, "message", str_at(p, "head_commit", "message", NULL));
	return 0;
}

static int from_pr(const struct val *p, struct val *r, char **ignored)
{
	const char *action = val_strv(val_map_get(p, "action"));
	const struct val *pr = val_map_get(p, "pull_request");
	const char *num = val_text(val_map_get(p, "number"));
	const char *head_sha = str_at(pr, "head", "sha", NULL);
	const char *base = str_at(pr, "base", "ref", NULL);
	const char *head_slug = str_at(pr, "head", "repo", "full_name");
	const char *base_slug = str_at(pr, "base", "repo", "full_name");
	const struct val *draft = val_map_get(pr, "draft");
	char *end;

	if (!action || !pr)
		return err_set(FY_EINVALID,
			       "pull_request payload without action or "
			       "pull_request");
	if (strcmp(action, "opened") && strcmp(action, "synchronize") &&
	    strcmp(action, "reopened")) {
		*ignored = xasprintf("pull request action '%s' is not built",
				     action);
		return 0;
	}
	if (!num)
		num = val_text(val_map_get(pr, "number"));
	if (!num || strtoul(num, &end, 10) == 0 || *end || !is_sha(head_sha) ||
	    !base)
		return err_set(FY_EINVALID,
			       "pull_request payload without number, "
			       "head.sha or base.ref");
	set_str(r, "pr", num);
	set_str(r, "branch", base);
	set_str(r, "tag", NULL);
	set_str(r, "sha", head_sha);
	set_str(r, "status_sha", head_sha);
	set_str(r, "head_branch", str_at(pr, "head", "ref", NULL));
	set_str(r, "head_slug", head_slug);
	set_str(r, "title", val_strv(val_map_get(pr, "title")));
	val_map_set(r, "fork",
		    val_bool(!head_slug || !base_slug ||
			     strcmp(head_slug, base_slug)));
	val_map_set(r, "draft",
		    val_bool(draft && draft->type == VAL_BOOL && draft->b));
	return 0;
}

int serve_hook_request(const char *event, const struct val *payload,
		       struct val **out, char **ignored)
{
	const char *slug = str_at(payload, "repository", "full_name", NULL);
	const char *clone = str_at(payload, "repository", "clone_url", NULL);
	struct val *r;
	int err;

	*out = NULL;
	*ignored = NULL;
	if (!payload || payload->type != VAL_MAP)
		return err_set(FY_EINVALID, "the payload is not a JSON object");
	if (!slug || !strchr(slug, '/'))
		return err_set(FY_EINVALID,
			       "the payload has no repository.full_name");
	r = val_map();
	set_str(r, "event", event);
	set_str(r, "slug", slug);
	set_str(r, "clone_url", clone);
	set_str(r, "sender", str_at(payload, "sender", "login", NULL));
	if (!strcmp(event, "push"))
		err = from_push(payload, r, ignored);
	else if (!strcmp(event, "pull_request"))
		err = from_pr(payload, r, ignored);
	else
		BUG("event '%s' reached serve_hook_request", event);
	if (err < 0 || *ignored) {
		val_free(r);
		return err;
	}
	*out = r;
	return 0;
}

static void count(struct serve *s, enum serve_hook_result r)
{
	pthread_mutex_lock(&s->lock);
	s->metrics.hooks[r]++;
	pthread_mutex_unlock(&s->lock);
}

static void answer(struct httpd_response *resp, int status, const char *key,
		   struct val *value)
{
	struct val *doc = val_map();
	char *json;

	val_map_set(doc, key, value);
	json = json_dump(doc, 0);
	httpd_set_json(resp, status, json);
	free(json);
	val_free(doc);
}

/*
 * Record the delivery with its request and answer.  Ignored deliveries
 * are only counted and logged: they need no durable record, and a flood
 * of them (a busy organisation's hook) then costs no disk write.
 */
static void record(struct serve *s, struct httpd_response *resp,
		   const char *guid, const char *event, const char *slug,
		   const char *outcome, const struct val *request)
{
	int64_t id = 0;
	bool dup = false;

	if (!request) {
		count(s, HOOK_IGNORED);
		log_debug("delivery %s: %s of %s ignored: %s", guid, event,
			  slug, outcome);
		answer(resp, 202, "ignored", val_str(outcome));
		return;
	}
	if (store_delivery_add(s->store, guid, event, slug, outcome, request,
			       &id, &dup) < 0) {
		log_error("delivery %s: %s", guid, err_msg());
		httpd_set_error(resp, 503, "cannot record the delivery");
		return;
	}
	if (dup) {
		count(s, HOOK_DUPLICATE);
		answer(resp, 200, "duplicate", val_str(guid));
		return;
	}
	count(s, HOOK_ACCEPTED);
	log_info("delivery %s: %s of %s: request %lld", guid, event, slug,
		 (long long)id);
	answer(resp, 202, "request", val_numi(id));
	serve_wake_planner(s);
}

static void on_github(void *payload, const struct httpd_request *req,
		      struct httpd_response *resp)
{
	struct serve *s = payload;
	const struct buf *body = httpd_body(req);
	const char *event = httpd_header(req, "X-GitHub-Event");
	const char *guid = httpd_header(req, "X-GitHub-Delivery");
	struct val *doc = NULL, *request = NULL;
	char *ignored = NULL, *why = NULL;
	const char *slug;

	if (!serve_hook_signature_ok(s->conf.secret,
				     httpd_header(req, "X-Hub-Signature-256"),
				     body->ptr, body->len)) {
		count(s, HOOK_UNAUTHORIZED);
		httpd_set_error(resp, 401,
				"missing or wrong X-Hub-Signature-256");
		return;
	}
	if (!event || !*event || !guid || !*guid || strlen(guid) > 128) {
		count(s, HOOK_BAD_REQUEST);
		httpd_set_error(resp, 400,
				"X-GitHub-Event and X-GitHub-Delivery are "
				"required");
		return;
	}
	if (!strcmp(event, "ping")) {
		count(s, HOOK_PING);
		answer(resp, 200, "pong", val_bool(true));
		return;
	}
	if (strcmp(event, "push") && strcmp(event, "pull_request")) {
		count(s, HOOK_IGNORED);
		why = xasprintf("event '%.64s' is not built", event);
		answer(resp, 202, "ignored", val_str(why));
		free(why);
		return;
	}
	if (json_parse(&doc, body->ptr, body->len, 0) < 0) {
		count(s, HOOK_BAD_REQUEST);
		httpd_set_error(resp, 400, "malformed JSON: %s", err_msg());
		return;
	}
	if (serve_hook_request(event, doc, &request, &ignored) < 0) {
		count(s, HOOK_BAD_REQUEST);
		httpd_set_error(resp, 400, "%s", err_msg());
		goto out;
	}
	slug = str_at(doc, "repository", "full_name", NULL);
	if (!ignored && !serve_repo_allowed(&s->conf, slug)) {
		ignored = xasprintf("repository '%s' is not in "
				    "serve.repositories",
				    slug);
		val_free(request);
		request = NULL;
	}
	record(s, resp, guid, event, slug, ignored ? ignored : "accepted",
	       request);
out:
	free(ignored);
	val_free(request);
	val_free(doc);
}

void serve_hook_routes(struct serve *s)
{
	httpd_route(s->httpd, "POST", "/webhooks/github", on_github, s);
}
