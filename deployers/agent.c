/*
 * agent.c: a CodeDeploy deployment on this host, event by event, as the
 * agent's codedeploy-local Deployer and CommandExecutor carry it out (see
 * agent.h): the deployment root's layout, DownloadBundle, which revision
 * each event runs, and the result.
 */
#include "compat.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agent_int.h"
#include "appspec.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

extern char **environ;

const char *const agent_default_events[] = {
	"BeforeBlockTraffic", "AfterBlockTraffic", "ApplicationStop",
	"DownloadBundle",     "BeforeInstall",	   "Install",
	"AfterInstall",	      "ApplicationStart",  "ValidateService",
	"BeforeAllowTraffic", "AfterAllowTraffic", NULL
};

/* The events that run the last successful revision's scripts. */
static const char *const previous_events[] = { "BeforeBlockTraffic",
					       "AfterBlockTraffic",
					       "ApplicationStop", NULL };
/* Events that may not come before DownloadBundle or Install (--events). */
static const char *const new_events[] = {
	"AfterInstall",	     "ApplicationStart", "BeforeAllowTraffic",
	"AfterAllowTraffic", "ValidateService",	 NULL
};

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* ---- the appspec of a revision ------------------------------------------ */

/* The agent's app_spec_real_path: as asked, else .yaml, else .yml. */
static char *appspec_path(const struct agent_run *r, const char *archive)
{
	char *asked = agent_path_join(archive, r->appspec_name);
	char *yaml, *yml;

	if (fs_exists(asked))
		return asked;
	yaml = agent_path_join(archive, "appspec.yaml");
	yml = agent_path_join(archive, "appspec.yml");
	if (fs_exists(yaml)) {
		free(asked);
		free(yml);
		return yaml;
	}
	free(yaml);
	free(asked);
	return yml;
}

static int load_appspec(struct appspec **out, const struct agent_run *r,
			const char *archive)
{
	char *path = appspec_path(r, archive);
	const struct appspec_problem *bad;
	struct appspec *spec = NULL;
	int err = 0;

	if (!fs_exists(path)) {
		err = err_set(
			FY_ENOTFOUND,
			"The CodeDeploy agent did not find an AppSpec "
			"file within the unpacked revision directory at "
			"revision-relative path \"%s\". The revision was "
			"unpacked to directory \"%s\", and the AppSpec "
			"file was expected but not found at path \"%s\". "
			"Consult the AWS CodeDeploy Appspec documentation "
			"for more information at "
			"http://docs.aws.amazon.com/codedeploy/latest/"
			"userguide/reference-appspec-file.html",
			r->appspec_name, archive, path);
		goto out;
	}
	err = appspec_load_file(&spec, path);
	if (err < 0)
		goto out;
	bad = appspec_error(spec);
	if (bad) {
		err = err_set(FY_EINVALID, "%s", bad->message);
		appspec_free(spec);
		goto out;
	}
	*out = spec;
out:
	free(path);
	return err;
}

/* The agent's default_app_spec: unknown lifecycle events are refused. */
static int check_events(const struct appspec *spec, const char *path,
			struct svec *all)
{
	struct svec unknown = SVEC_INIT, missing = SVEC_INIT;
	struct buf list = BUF_INIT;
	int err = 0;

	if (appspec_unknown_events(spec, (const char *const *)all->v,
				   &unknown)) {
		for (size_t i = 0; i < unknown.n; i++)
			buf_addf(&list, "%s\"%s\"", i ? ", " : "[",
				 unknown.v[i]);
		buf_addch(&list, ']');
		err = err_set(FY_EINVALID,
			      "%s file contains unknown lifecycle events: %s",
			      fs_basename(path), list.ptr);
		goto out;
	}
	for (size_t i = 0; i < all->n; i++) {
		const char *ev = all->v[i];
		bool listed = false;

		if (in_list(ev, agent_default_events))
			continue;
		for (size_t k = 0; k < spec->nhooks; k++)
			listed = listed || !strcmp(spec->hooks[k].event, ev);
		if (!listed)
			svec_push(&missing, ev);
	}
	if (missing.n) {
		char *names = svec_join(&missing, ",");

		err = err_set(FY_EINVALID,
			      "You specified a lifecycle event which is not a "
			      "default one and doesn't exist in your %s file: "
			      "%s",
			      fs_basename(path), names);
		free(names);
	}
out:
	buf_release(&list);
	svec_release(&unknown);
	svec_release(&missing);
	return err;
}

/* ---- the events -------------------------------------------------------- */

struct events {
	struct svec run; /* in order, with DownloadBundle and Install */
	struct svec all; /* AllPossibleLifecycleEvents */
};

static int install_event(struct agent_run *r, struct events *evs)
{
	struct appspec *spec = NULL;
	char *path = appspec_path(r, r->archive);
	int err = load_appspec(&spec, r, r->archive);

	if (!err)
		err = check_events(spec, path, &evs->all);
	if (!err)
		err = agent_install(r, spec);
	if (!err)
		err = agent_pointer_write(r, "last_successful_install");
	appspec_free(spec);
	free(path);
	return err;
}

/* A lifecycle event with scripts (HookExecutor). */
static int hook_event(struct agent_run *r, struct agent_event *ev)
{
	struct appspec *spec = NULL;
	const struct appspec_hook *hook;
	char *root = NULL, *archive = NULL;
	int err = 0;

	/* Old-revision events use the last successful install until this
	 * deployment has its own archive. */
	if (in_list(ev->name, previous_events) && !fs_exists(r->archive)) {
		root = agent_pointer_read(r, "last_successful_install");
		ev->previous = true;
		if (!root) {
			ev->state = AGENT_SKIPPED;
			ev->no_previous = true;
			return 0;
		}
		archive = fs_join(root, "deployment-archive");
	} else {
		archive = xstrdup(r->archive);
	}
	err = load_appspec(&spec, r, archive);
	if (err < 0)
		goto out;
	hook = appspec_hook(spec, ev->name);
	if (!hook) {
		ev->state = AGENT_SKIPPED;
		goto out;
	}
	err = agent_hook_run(r, ev, archive, hook);
	if (!err)
		ev->state = AGENT_SUCCEEDED;
out:
	appspec_free(spec);
	free(root);
	free(archive);
	return err;
}

static int run_event(struct agent_run *r, struct events *evs,
		     struct agent_event *ev)
{
	int err = fs_mkdir_p(r->dir, 0755);

	if (err < 0)
		return err;
	if (!strcmp(ev->name, "DownloadBundle"))
		err = agent_download_bundle(r);
	else if (!strcmp(ev->name, "Install"))
		err = install_event(r, evs);
	else
		return hook_event(r, ev);
	if (!err)
		ev->state = AGENT_SUCCEEDED;
	return err;
}

/* codedeploy-local's CLIValidator rules for --events. */
static int check_order(const char *const *events)
{
	bool before_download = true, before_install = true;
	bool has_download = false, has_install = false;

	for (const char *const *e = events; *e; e++) {
		has_download = has_download || !strcmp(*e, "DownloadBundle");
		has_install = has_install || !strcmp(*e, "Install");
	}
	for (const char *const *e = events; *e; e++) {
		if (!strcmp(*e, "DownloadBundle"))
			before_download = false;
		if (!strcmp(*e, "Install"))
			before_install = false;
		if (has_download && before_download &&
		    (in_list(*e, new_events) || !strcmp(*e, "Install")))
			return err_set(FY_EINVALID,
				       "The only events that can be specified "
				       "before DownloadBundle are "
				       "BeforeBlockTraffic,AfterBlockTraffic,"
				       "ApplicationStop. Please fix the order "
				       "of your specified events");
		if (has_install && before_install && in_list(*e, new_events))
			return err_set(
				FY_EINVALID,
				"The only events that can be specified "
				"before Install are BeforeBlockTraffic,"
				"AfterBlockTraffic,ApplicationStop,"
				"DownloadBundle,BeforeInstall. Please "
				"fix the order of your specified events");
	}
	return 0;
}

static int plan_events(struct events *evs, const char *const *given)
{
	const char *const *order = given ? given : agent_default_events;
	ptrdiff_t dl = -1, in = -1;
	int err = given ? check_order(given) : 0;

	if (err < 0)
		return err;
	for (const char *const *e = agent_default_events; *e; e++)
		svec_push(&evs->all, *e);
	for (const char *const *e = order; *e; e++)
		if (!svec_has(&evs->all, *e))
			svec_push(&evs->all, *e);
	if (!in_list("DownloadBundle", order))
		svec_push(&evs->run, "DownloadBundle");
	if (!in_list("Install", order))
		svec_push(&evs->run, "Install");
	for (const char *const *e = order; *e; e++)
		svec_push(&evs->run, *e);
	for (size_t i = 0; i < evs->run.n; i++) {
		if (!strcmp(evs->run.v[i], "DownloadBundle") && dl < 0)
			dl = (ptrdiff_t)i;
		if (!strcmp(evs->run.v[i], "Install") && in < 0)
			in = (ptrdiff_t)i;
	}
	if (in < dl) {
		char *t = evs->run.v[dl];

		evs->run.v[dl] = evs->run.v[in];
		evs->run.v[in] = t;
	}
	return 0;
}

/* ---- setting up ---------------------------------------------------------- */

static bool safe_name(const char *s)
{
	return *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/') &&
	       strlen(s) < 256;
}

static int random_id(char **out)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[9];
	char id[32] = "d-";

	if (getentropy(rnd, sizeof(rnd)) < 0)
		return err_errno("cannot make a deployment id");
	for (size_t i = 0; i < sizeof(rnd); i++)
		id[2 + i] = alpha[rnd[i] % 36];
	snprintf(id + 11, sizeof(id) - 11, "-local");
	*out = xstrdup(id);
	return 0;
}

static void env_set(struct svec *env, const char *name, const char *value)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], name, n) || env->v[i][n] != '=')
			continue;
		free(env->v[i]);
		memmove(env->v + i, env->v + i + 1,
			(env->n - i) * sizeof(*env->v));
		env->n--;
		break;
	}
	if (value)
		svec_pushf(env, "%s=%s", name, value);
}

/* The agent's child_envs: ours, plus the deployment's. */
static void make_env(struct agent_run *r)
{
	const struct agent_deployment *d = r->d;

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "LIFECYCLE_EVENT=", 16))
			svec_push(&r->env, *e);
	env_set(&r->env, "DEPLOYMENT_ID", r->id);
	env_set(&r->env, "APPLICATION_NAME", r->app_name);
	env_set(&r->env, "DEPLOYMENT_GROUP_NAME", r->group_name);
	env_set(&r->env, "DEPLOYMENT_GROUP_ID", r->group);
	if (d->bucket) {
		env_set(&r->env, "BUNDLE_BUCKET", d->bucket);
		env_set(&r->env, "BUNDLE_KEY", d->key);
		env_set(&r->env, "BUNDLE_VERSION", d->version);
		env_set(&r->env, "BUNDLE_ETAG", d->etag);
	} else if (d->commit) {
		env_set(&r->env, "BUNDLE_COMMIT", d->commit);
	}
}

static int check_bundle(const struct agent_deployment *d, const char *name)
{
	struct stat st;

	if (!d->bundle || !*d->bundle)
		return err_set(FY_EINVALID, "no bundle given");
	if (stat(d->bundle, &st) < 0)
		return err_errno("location %s is specified as a file or "
				 "directory which does not exist",
				 d->bundle);
	if (!S_ISDIR(st.st_mode))
		return 0;
	/* codedeploy-local checks a directory bundle before starting. */
	{
		char *a = agent_path_join(d->bundle, name);
		char *b = agent_path_join(d->bundle, "appspec.yaml");
		bool ok = fs_exists(a) || (!d->appspec && fs_exists(b));
		int err = 0;

		if (!ok)
			err = err_set(
				FY_ENOTFOUND,
				"Expecting appspec file at location %s/%s "
				"but it is not found there",
				d->bundle, name);
		free(a);
		free(b);
		return err;
	}
}

static int setup(struct agent_run *r, const struct agent_deployment *d)
{
	const char *root = d->root ? d->root : AGENT_DEFAULT_ROOT;
	int err;

	r->d = d;
	r->appspec_name = xstrdup(d->appspec ? d->appspec : "appspec.yml");
	err = check_bundle(d, r->appspec_name);
	if (err < 0)
		return err;
	r->feb = APPSPEC_DISALLOW;
	if (d->file_exists_behavior) {
		r->feb = appspec_feb_parse(d->file_exists_behavior);
		if (!r->feb)
			return err_set(FY_EINVALID,
				       "invalid file exists behavior '%s' (use "
				       "DISALLOW, OVERWRITE or RETAIN)",
				       d->file_exists_behavior);
	}
	r->group = xstrdup(d->group_id ? d->group_id : AGENT_DEFAULT_GROUP);
	if (d->deployment_id)
		r->id = xstrdup(d->deployment_id);
	else if (random_id(&r->id) < 0)
		return FY_EFAIL;
	if (!safe_name(r->group) || !safe_name(r->id))
		return err_set(FY_EINVALID,
			       "invalid deployment group '%s' or deployment id "
			       "'%s' (they name folders)",
			       r->group, r->id);
	r->root = agent_path_expand(root);
	r->dir = xasprintf("%s/%s/%s", r->root, r->group, r->id);
	r->archive = fs_join(r->dir, "deployment-archive");
	r->instructions = fs_join(r->root, "deployment-instructions");
	r->app_name = xstrdup(d->application ? d->application : d->bundle);
	r->group_name = xstrdup(d->group_name ? d->group_name
					      : AGENT_DEFAULT_GROUP_NAME);
	make_env(r);
	return 0;
}

static void run_release(struct agent_run *r)
{
	free(r->root);
	free(r->group);
	free(r->id);
	free(r->dir);
	free(r->archive);
	free(r->instructions);
	free(r->app_name);
	free(r->group_name);
	free(r->appspec_name);
	svec_release(&r->env);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int agent_run(const struct agent_deployment *d, struct agent_result *res)
{
	struct agent_run r = { .env = SVEC_INIT };
	struct events evs = { .run = SVEC_INIT, .all = SVEC_INIT };
	bool stopped = false;
	int err;

	memset(res, 0, sizeof(*res));
	err = setup(&r, d);
	if (!err)
		err = plan_events(&evs, d->events);
	if (!err) {
		err = fs_mkdir_p(r.dir, 0755);
		if (err < 0)
			err_wrap(err, "cannot make the deployment folder");
	}
	if (err < 0)
		goto out;
	res->deployment_id = xstrdup(r.id);
	res->group_id = xstrdup(r.group);
	res->dir = xstrdup(r.dir);
	res->log = xasprintf("%s/logs/scripts.log", r.dir);
	res->events = xcalloc(evs.run.n, sizeof(*res->events));
	res->nevents = evs.run.n;
	for (size_t i = 0; i < evs.run.n; i++) {
		res->events[i].name = xstrdup(evs.run.v[i]);
		res->events[i].exit_status = -1;
	}
	if (d->on_start)
		d->on_start(res, d->payload);
	for (size_t i = 0; i < res->nevents && !stopped; i++) {
		struct agent_event *ev = &res->events[i];
		struct timespec t0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (run_event(&r, &evs, ev) < 0) {
			ev->state = AGENT_FAILED;
			if (!ev->message) {
				ev->code = AGENT_UNKNOWN_ERROR;
				ev->message = xstrdup(err_msg());
			}
			if (d->ignore_stop_failures &&
			    in_list(ev->name, previous_events))
				ev->state = AGENT_IGNORED;
			else
				stopped = true;
		}
		ev->seconds = seconds_since(&t0);
		if (ev->state == AGENT_FAILED)
			res->failed = ev;
		if (d->on_event)
			d->on_event(ev, d->payload);
	}
out:
	svec_release(&evs.run);
	svec_release(&evs.all);
	run_release(&r);
	if (err < 0)
		agent_result_release(res);
	return err;
}

void agent_result_release(struct agent_result *res)
{
	for (size_t i = 0; i < res->nevents; i++) {
		free(res->events[i].name);
		free(res->events[i].script);
		free(res->events[i].message);
		free(res->events[i].log);
	}
	free(res->events);
	free(res->deployment_id);
	free(res->group_id);
	free(res->dir);
	free(res->log);
	memset(res, 0, sizeof(*res));
}

const char *agent_state_name(enum agent_state state)
{
	switch (state) {
	case AGENT_PENDING:
		return "Pending";
	case AGENT_SKIPPED:
		return "Skipped";
	case AGENT_SUCCEEDED:
		return "Succeeded";
	case AGENT_FAILED:
		return "Failed";
	case AGENT_IGNORED:
		return "Ignored";
	}
	return "Unknown";
}

/* The agent's ScriptError#to_json for one event. */
static struct val *diagnostics(const struct agent_event *ev)
{
	struct val *m = val_map();
	bool ok = ev->state == AGENT_SUCCEEDED || ev->state == AGENT_SKIPPED;

	val_map_set(m, "error_code", val_numi(ok ? AGENT_OK : ev->code));
	val_map_set(m, "script_name", val_str(ev->script ? ev->script : ""));
	val_map_set(m, "message",
		    ok ? val_str("Succeeded: ")
		       : val_str(ev->message ? ev->message : ""));
	val_map_set(m, "log", val_str(ev->log ? ev->log : ""));
	return m;
}

struct val *agent_result_to_val(const struct agent_result *res)
{
	struct val *doc = val_map(), *events = val_seq(), *error;

	val_map_set(doc, "deployment_id", val_str(res->deployment_id));
	val_map_set(doc, "deployment_group_id", val_str(res->group_id));
	val_map_set(doc, "directory", val_str(res->dir));
	val_map_set(doc, "log", val_str(res->log));
	val_map_set(doc, "status",
		    val_str(res->failed ? "Failed" : "Succeeded"));
	for (size_t i = 0; i < res->nevents; i++) {
		const struct agent_event *ev = &res->events[i];
		struct val *m = val_map();
		char secs[32];

		snprintf(secs, sizeof(secs), "%.3f", ev->seconds);
		val_map_set(m, "name", val_str(ev->name));
		val_map_set(m, "status", val_str(agent_state_name(ev->state)));
		val_map_set(m, "revision",
			    val_str(ev->previous ? "previous" : "new"));
		val_map_set(m, "scripts", val_numi((long long)ev->scripts));
		val_map_set(m, "seconds", val_num(secs));
		if (ev->state != AGENT_PENDING)
			val_map_set(m, "diagnostics", diagnostics(ev));
		val_seq_push(events, m);
	}
	val_map_set(doc, "events", events);
	if (res->failed) {
		error = diagnostics(res->failed);
		val_map_set(error, "event", val_str(res->failed->name));
		val_map_set(error, "exit_status",
			    res->failed->exit_status >= 0
				    ? val_numi(res->failed->exit_status)
				    : val_null());
	} else {
		error = val_null();
	}
	val_map_set(doc, "error", error);
	return doc;
}
