/*
 * serve_work.c: the worker threads.  Each takes the oldest queued job,
 * checks the build's commit out into a fresh workspace from the mirror,
 * runs the job in Docker with the engine `ferry run` uses (jobprep.h,
 * job.h), records the result (which moves the build on) and deletes the
 * workspace.  A job's cancel flag is raised by the API, by
 * auto-cancellation and by the shutdown; a job canceled by the shutdown
 * goes back to the queue.
 */
#include "compat.h"

#include <time.h>

#include "buf.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "job.h"
#include "jobprep.h"
#include "log.h"
#include "serve.h"
#include "store.h"
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

static char *dup_or_null(const struct val *m, const char *key)
{
	const char *t = val_strv(val_map_get(m, key));

	return t ? xstrdup(t) : NULL;
}

static char *dup_or_empty(const struct val *m, const char *key)
{
	const char *t = val_text(val_map_get(m, key));

	return xstrdup(t ? t : "");
}

/* What was resolved when the build was made, back from its row. */
static void info_from_build(struct vcs_info *i, const struct val *b)
{
	const char *pr = val_text(val_map_get(b, "pr"));

	snprintf(i->commit, sizeof(i->commit), "%s", text_of(b, "commit_sha"));
	i->message = dup_or_empty(b, "message");
	i->author = dup_or_empty(b, "author");
	i->branch = dup_or_empty(b, "branch");
	i->tag = dup_or_null(b, "tag");
	i->range = dup_or_empty(b, "commit_range");
	i->slug = dup_or_empty(b, "slug");
	i->default_branch = dup_or_null(b, "default_branch");
	i->event_type = dup_or_empty(b, "event");
	i->pr = pr ? strtoul(pr, NULL, 10) : 0;
	i->pr_branch = dup_or_empty(b, "pr_branch");
	i->pr_sha = dup_or_empty(b, "pr_sha");
	i->pr_slug = dup_or_empty(b, "pr_slug");
	i->gitdir = dup_or_null(b, "gitdir");
	i->url = dup_or_null(b, "url");
}

static struct serve_running *track(struct serve *s, int64_t job_id)
{
	struct serve_running *r = xcalloc(1, sizeof(*r));

	r->job_id = job_id;
	atomic_init(&r->cancel, false);
	atomic_init(&r->requeue, false);
	pthread_mutex_lock(&s->lock);
	XGROW(s->running, s->running_alloc, s->nrunning + 1);
	s->running[s->nrunning++] = r;
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void untrack(struct serve *s, struct serve_running *r)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nrunning; i++)
		if (s->running[i] == r) {
			s->running[i] = s->running[--s->nrunning];
			break;
		}
	pthread_mutex_unlock(&s->lock);
	free(r);
}

static void record_metrics(struct serve *s, enum job_state st, double secs)
{
	pthread_mutex_lock(&s->lock);
	s->metrics.jobs[st]++;
	for (size_t i = 0; i < SERVE_BUCKETS; i++)
		if (secs <= serve_buckets[i])
			s->metrics.duration_bucket[i]++;
	s->metrics.duration_sum += secs;
	s->metrics.duration_count++;
	pthread_mutex_unlock(&s->lock);
}

/* The plan job (jobprep.h) of a job row. */
static struct val *plan_job(const struct val *j)
{
	struct val *p = val_map();
	const struct val *stage = val_map_get(j, "stage");

	val_map_set(p, "number", val_str(text_of(j, "number")));
	val_map_set(p, "stage", stage ? val_dup(stage) : val_null());
	val_map_set(p, "allow_failure",
		    val_dup(val_map_get(j, "allow_failure")));
	val_map_set(p, "config", val_dup(val_map_get(j, "config")));
	return p;
}

struct job_run_ctx {
	struct serve *s;
	const struct val *job, *build;
	struct vcs_info info;
	const char *workspace, *log_path;
	struct serve_running *flag;
	const struct svec *notes; /* the checkout's, for the job log */
	char run_id[64];
};

/* Check out and run; the result goes to *res (state, reason). */
static void run_checked_out(struct job_run_ctx *c, struct job_result *res)
{
	struct job_prep prep;
	struct job_prep_opts po = { 0 };
	struct val *pj = plan_job(c->job);
	const char *pr = val_text(val_map_get(c->build, "pr"));
	const char *host = c->s->conf.base_url;

	if (host && strstr(host, "://"))
		host = strstr(host, "://") + 3;
	po.conf = c->s->fconf;
	po.vcs = &c->info;
	po.event = text_of(c->build, "event");
	po.pull_request = pr;
	po.build_id = text_of(c->build, "id");
	po.build_number = text_of(c->build, "number");
	po.web_host = host;
	po.workspace = c->workspace;
	po.checkout_notes = c->notes;
	/* secrets.h: a pull request from a fork gets no secret */
	po.fork = flag_of(c->build, "fork");
	po.head_slug = val_strv(val_map_get(c->build, "head_slug"));
	po.head_branch = val_strv(val_map_get(c->build, "pr_branch"));
	if (job_prep_init(&prep, pj, &po) < 0)
		log_warn("job %s: %s", po.build_id, err_msg());
	for (size_t i = 0; i < prep.secrets.warnings.n; i++)
		log_warn("job %s %s: %s", text_of(c->build, "slug"),
			 text_of(c->job, "number"), prep.secrets.warnings.v[i]);
	prep.spec.log_path = c->log_path;
	prep.spec.run_id = c->run_id;
	prep.spec.cancel = &c->flag->cancel;
	if (job_run(&prep.spec, res) < 0) {
		res->state = JOB_ERRORED;
		free(res->reason);
		res->reason = xstrdup(err_msg());
	}
	job_prep_release(&prep);
	val_free(pj);
}

/* A job that could not start: say why in its log. */
static void log_failure(const char *path, const char *what)
{
	char *text = xasprintf("ferry: %s\n", what);

	fs_write_file(path, text, strlen(text), 0600);
	free(text);
}

/* The Git LFS outcome of a job's checkout, in the diagnostic log. */
static void log_lfs(int64_t id, const struct vcs_lfs_report *r)
{
	struct buf b = BUF_INIT;

	if (r->files) {
		vcs_lfs_summary(r, &b);
		log_info("job %lld: %s", (long long)id, b.ptr);
	}
	for (size_t i = 0; i < r->warnings.n; i++)
		log_warn("job %lld: %s", (long long)id, r->warnings.v[i]);
	buf_release(&b);
}

static void run_job(struct serve *s, const struct val *job,
		    const struct val *build)
{
	struct job_run_ctx c = { s, job, build, VCS_INFO_INIT };
	struct job_result res = { JOB_ERRORED, -1 };
	struct vcs_remote_opts ro = { 0 };
	struct vcs_checkout_opts co;
	struct vcs_lfs_report lfs = VCS_LFS_REPORT_INIT;
	struct svec notes = SVEC_INIT;
	const struct val *git = val_map_get(val_map_get(job, "config"), "git");
	int64_t id = strtoll(text_of(job, "id"), NULL, 10);
	char *ws = xasprintf("%s/%lld", s->work_dir, (long long)id);
	char *log_path = serve_log_path(s, id);
	const char *state;

	c.flag = track(s, id);
	c.workspace = ws;
	c.log_path = log_path;
	snprintf(c.run_id, sizeof(c.run_id), "serve-%lld", (long long)id);
	info_from_build(&c.info, build);
	log_info("job %lld (%s %s) started", (long long)id,
		 text_of(build, "slug"), text_of(job, "number"));
	fs_rm_rf(ws);
	ro.cache_root = s->git_dir;
	ro.token = s->conf.token;
	vcs_checkout_opts_from_git(&co, git);
	co.lfs_report = &lfs;
	if (vcs_checkout(&c.info, ws, &ro, &co) < 0) {
		res.reason = xasprintf("cannot check out: %s", err_msg());
		log_failure(log_path, res.reason);
	} else {
		log_lfs(id, &lfs);
		vcs_lfs_notes(&lfs, &notes);
		c.notes = &notes;
		run_checked_out(&c, &res);
	}
	state = job_state_name(res.state);
	if (res.state == JOB_CANCELED && atomic_load(&c.flag->requeue))
		state = "queued";
	if (store_job_finish(s->store, id, state, res.exit_code, res.seconds,
			     res.reason) < 0)
		log_error("job %lld: %s", (long long)id, err_msg());
	log_info("job %lld %s in %.1fs%s%s", (long long)id, state, res.seconds,
		 res.reason ? ": " : "", res.reason ? res.reason : "");
	if (strcmp(state, "queued"))
		record_metrics(s, res.state, res.seconds);
	fs_rm_rf(ws);
	untrack(s, c.flag);
	job_result_release(&res);
	vcs_lfs_report_release(&lfs);
	svec_release(&notes);
	vcs_info_release(&c.info);
	free(ws);
	free(log_path);
	serve_wake_statuses(s);
	serve_wake_workers(s);
}

void *serve_work_main(void *arg)
{
	struct serve *s = arg;

	while (!atomic_load(&s->stopping)) {
		unsigned g = serve_gen(s, &s->work_gen);
		struct val *job = NULL, *build = NULL;
		int err = store_job_claim(s->store, &job, &build);

		if (err == FY_ENOTFOUND) {
			serve_wait(s, &s->work_gen, g, 10);
			continue;
		}
		if (err < 0) {
			log_error("jobs: %s", err_msg());
			serve_wait(s, &s->work_gen, g, 5);
			continue;
		}
		run_job(s, job, build);
		val_free(job);
		val_free(build);
	}
	return NULL;
}
