/*
 * serve_plan.c: the planner thread.  It takes pending build requests in
 * order and, for each, brings the repository's mirror up to date,
 * resolves the commit (a pushed commit on its branch, a tag, or a pull
 * request's merge ref), reads .travis.yml at that commit, applies the
 * build-level rules (skip keywords, branches:, root if:) through
 * matrix_plan(), and records the build with its jobs, or the reason why
 * there is none.  Requests survive a crash: one is closed only in the
 * transaction that records its outcome.
 */
#include "compat.h"

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "loader.h"
#include "log.h"
#include "matrix.h"
#include "serve.h"
#include "store.h"
#include "svec.h"
#include "val.h"
#include "vcs.h"
#include "xalloc.h"

static const char *text_of(const struct val *m, const char *key)
{
	return val_text(val_map_get(m, key));
}

static bool flag_of(const struct val *m, const char *key)
{
	const struct val *v = val_map_get(m, key);

	return v && v->type == VAL_BOOL && v->b;
}

/* Condition data of the request (cond.h), as `ferry run` makes it. */
static struct val *condition_data(const struct val *d,
				  const struct vcs_info *info)
{
	struct request_opts r = { 0 };

	r.event = text_of(d, "event");
	r.branch = text_of(d, "branch");
	r.tag = val_strv(val_map_get(d, "tag"));
	r.commit_message = info->message;
	r.repo = text_of(d, "slug");
	r.pull_request = val_strv(val_map_get(d, "pr"));
	r.head_branch = val_strv(val_map_get(d, "head_branch"));
	r.head_repo = val_strv(val_map_get(d, "head_slug"));
	r.sender = val_strv(val_map_get(d, "sender"));
	r.given = true;
	return request_data(&r);
}

static void set_text(struct val *m, const char *key, const char *v)
{
	val_map_set(m, key, v ? val_str(v) : val_null());
}

/* The build's columns (store_build_create). */
static struct val *build_row(const struct val *d, const struct vcs_info *i)
{
	struct val *b = val_map();

	set_text(b, "slug", text_of(d, "slug"));
	set_text(b, "event", text_of(d, "event"));
	set_text(b, "branch",
		 i->branch && *i->branch ? i->branch : text_of(d, "branch"));
	set_text(b, "tag", val_strv(val_map_get(d, "tag")));
	set_text(b, "pr", val_strv(val_map_get(d, "pr")));
	set_text(b, "commit_sha", i->commit);
	set_text(b, "status_sha", text_of(d, "status_sha"));
	set_text(b, "message", i->message);
	set_text(b, "author", i->author);
	set_text(b, "range", i->range);
	set_text(b, "pr_branch", i->pr ? i->pr_branch : NULL);
	set_text(b, "pr_sha", i->pr ? i->pr_sha : NULL);
	set_text(b, "pr_slug", i->pr ? i->pr_slug : NULL);
	set_text(b, "head_slug", val_strv(val_map_get(d, "head_slug")));
	set_text(b, "sender", val_strv(val_map_get(d, "sender")));
	val_map_set(b, "fork", val_bool(flag_of(d, "fork")));
	set_text(b, "clone_url", i->url);
	set_text(b, "gitdir", i->gitdir);
	set_text(b, "url", i->url);
	set_text(b, "default_branch", i->default_branch);
	return b;
}

/* Which commit a request builds. */
static void request_ref(const struct val *d, struct vcs_ref *ref)
{
	const char *pr = val_strv(val_map_get(d, "pr"));
	const char *tag = val_strv(val_map_get(d, "tag"));

	memset(ref, 0, sizeof(*ref));
	if (pr) {
		ref->kind = VCS_REF_PR;
		ref->pr = strtoul(pr, NULL, 10);
		ref->branch = text_of(d, "branch");
	} else if (tag) {
		ref->kind = VCS_REF_TAG;
		ref->name = tag;
	} else {
		ref->kind = VCS_REF_COMMIT;
		ref->name = text_of(d, "sha");
		ref->branch = text_of(d, "branch");
	}
}

/* The head of a pull request as the payload says (the mirror may not). */
static void pr_from_payload(struct vcs_info *info, const struct val *d)
{
	const char *hb = val_strv(val_map_get(d, "head_branch"));
	const char *hs = val_strv(val_map_get(d, "head_slug"));

	if (!info->pr)
		return;
	if (hb) {
		free(info->pr_branch);
		info->pr_branch = xstrdup(hb);
	}
	if (hs) {
		free(info->pr_slug);
		info->pr_slug = xstrdup(hs);
	}
}

struct outcome {
	const char *state; /* built, rejected, errored */
	char *reason;
};

static int load_plan(struct serve *s, const struct val *d,
		     struct vcs_info *info, struct val **plan,
		     struct outcome *o)
{
	struct travis_config *c = NULL;
	struct config_opts co = { 0 };
	struct config_fetcher fetcher;
	struct vcs_importer im = { 0 };
	struct vcs_remote_opts ro = { 0 };
	struct buf text = BUF_INIT;
	struct val *request = NULL;
	const struct val *b, *created;
	int err;

	buf_set_limit(&text, LOADER_MAX_BYTES);
	err = vcs_read_file(info, NULL, ".travis.yml", &text);
	if (err == FY_ENOTFOUND) {
		o->state = "rejected";
		o->reason = xasprintf("no .travis.yml at %.12s", info->commit);
		goto out;
	}
	if (err < 0)
		goto fail;
	ro.cache_root = s->git_dir;
	ro.token = s->conf.token;
	im.info = info;
	im.url_template = s->conf.clone_url ? s->conf.clone_url
					    : "https://github.com/%s.git";
	im.remote = &ro;
	vcs_config_fetcher(&fetcher, &im);
	request = condition_data(d, info);
	co.repo = info->slug;
	co.fetcher = &fetcher;
	co.request = request;
	err = config_load_text(&c, ".travis.yml", text.ptr, text.len, &co);
	if (err < 0) {
		err = err_wrap(err, "invalid .travis.yml");
		goto fail;
	}
	*plan = matrix_plan(c->config, request, 0, &c->msgs);
	b = val_map_get(*plan, "build");
	created = val_map_get(b, "created");
	if (created && created->type == VAL_BOOL && !created->b) {
		const char *why = val_text(val_map_get(b, "reason"));

		o->state = "rejected";
		o->reason = xstrdup(why ? why : "filtered out by the config");
	}
	goto out;
fail:
	o->state = "errored";
	o->reason = xstrdup(err_msg());
out:
	config_free(c);
	val_free(request);
	buf_release(&text);
	return err;
}

/* Plan one request; false when it stays pending (store failure). */
static bool plan_request(struct serve *s, const struct val *q)
{
	int64_t id = strtoll(text_of(q, "id"), NULL, 10), bid = 0;
	const struct val *d = val_map_get(q, "data");
	const char *slug = text_of(d, "slug");
	struct vcs_info info = VCS_INFO_INIT;
	struct vcs_remote_opts ro = { 0 };
	struct vcs_ref ref;
	struct outcome o = { "built", NULL };
	struct val *plan = NULL, *build = NULL;
	struct svec running = SVEC_INIT;
	char *url = NULL;
	const char *event = text_of(d, "event");
	bool cancel_old, done = true;

	if (s->conf.clone_url)
		url = xasprintf(s->conf.clone_url, slug);
	else if (text_of(d, "clone_url"))
		url = xstrdup(text_of(d, "clone_url"));
	if (!url) {
		o.state = "errored";
		o.reason = xstrdup("the payload has no clone URL");
		goto out;
	}
	ro.cache_root = s->git_dir;
	ro.token = s->conf.token;
	request_ref(d, &ref);
	if (vcs_remote_resolve(&info, url, &ref, &ro) < 0) {
		o.state = "errored";
		o.reason = xstrdup(err_msg());
		goto out;
	}
	free(info.slug);
	info.slug = xstrdup(slug);
	pr_from_payload(&info, d);
	if (load_plan(s, d, &info, &plan, &o) < 0 || o.reason)
		goto out;
	build = build_row(d, &info);
	cancel_old = !strcmp(event, "pull_request") ? s->conf.cancel_pr
						    : s->conf.cancel_push;
	if (store_build_create(s->store, id, build, plan, cancel_old, &bid,
			       &running) < 0) {
		log_error("request %lld: %s", (long long)id, err_msg());
		done = false;
		goto out_nostore;
	}
	log_info("request %lld: build %lld of %s at %.12s (%zu jobs)",
		 (long long)id, (long long)bid, slug, info.commit,
		 val_map_get(plan, "jobs") ? val_map_get(plan, "jobs")->seq.n
					   : (size_t)0);
	pthread_mutex_lock(&s->lock);
	s->metrics.builds_created++;
	pthread_mutex_unlock(&s->lock);
	serve_cancel_running(s, &running);
	serve_wake_workers(s);
	serve_wake_statuses(s);
	goto out_nostore;
out:
	log_info("request %lld of %s: %s: %s", (long long)id, slug, o.state,
		 o.reason);
	if (store_request_close(s->store, id, o.state, o.reason) < 0)
		log_error("request %lld: %s", (long long)id, err_msg());
	pthread_mutex_lock(&s->lock);
	s->metrics.requests_rejected++;
	pthread_mutex_unlock(&s->lock);
out_nostore:
	free(o.reason);
	free(url);
	val_free(plan);
	val_free(build);
	svec_release(&running);
	vcs_info_release(&info);
	return done;
}

void *serve_plan_main(void *arg)
{
	struct serve *s = arg;

	while (!atomic_load(&s->stopping)) {
		unsigned g = serve_gen(s, &s->plan_gen);
		struct val *q = NULL;
		int err = store_request_next(s->store, &q);

		if (err == FY_ENOTFOUND) {
			serve_wait(s, &s->plan_gen, g, 30);
			continue;
		}
		if (err < 0) {
			log_error("requests: %s", err_msg());
			serve_wait(s, &s->plan_gen, g, 5);
			continue;
		}
		if (!plan_request(s, q))
			serve_wait(s, &s->plan_gen, g, 5);
		val_free(q);
	}
	return NULL;
}
