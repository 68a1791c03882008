/*
 * The build plan: what Travis makes of a request and a normalised config.
 * First the build-level rules (travis-core's request approval and the
 * gatekeeper: skip keywords in the commit message, gh-pages branches,
 * `branches:` only/except, the root `if:`), then travis-yml's Configs#load
 * after its merge step: the matrix (matrix.c), stages with their `if:`,
 * allow_failures, reorder (stage, allow_failure, position), uniq, and the
 * job numbers "<build>.<n>".  Every job that is not run and every build
 * that is not created gets a reason people can read.
 */
#include "compat.h"

#include <strings.h>

#include "error.h"
#include "matrix.h"
#include "msg.h"
#include "regex.h"
#include "val.h"
#include "xalloc.h"

struct plan {
	const struct val *config;
	const struct val *request; /* NULL: no conditions evaluated */
	struct msgs *msgs;	   /* may be NULL */
	struct val *jobs;	   /* seq of job configs */
	struct val *dropped;	   /* seq of {config, reason} */
	struct val *stages;	   /* seq of stage maps (name, if) */
};

static bool truthy(const struct val *v)
{
	return v && v->type != VAL_NULL && !(v->type == VAL_BOOL && !v->b);
}

static const char *req_str(const struct plan *p, const char *key)
{
	const char *s = val_text(val_map_get(p->request, key));

	return s && *s ? s : NULL;
}

/* ---- build-level rules ---- */

/*
 * The skip keyword in a commit message: "[skip KEYWORD]" or "[KEYWORD
 * skip]" with KEYWORD ci, travis, travis ci, travis-ci or travisci, in any
 * case.  Returns the length of the match at `s`, or 0.
 */
static size_t skip_at(const char *s)
{
	static const char *const words[] = { "ci", "travis", "travis ci",
					     "travis-ci", "travisci" };

	if (*s != '[')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		size_t n = strlen(words[i]);

		if (!strncasecmp(s + 1, "skip ", 5) &&
		    !strncasecmp(s + 6, words[i], n) && s[6 + n] == ']')
			return n + 7;
		if (!strncasecmp(s + 1, words[i], n) &&
		    !strncasecmp(s + 1 + n, " skip]", 6))
			return n + 7;
	}
	return 0;
}

char *matrix_skip_keyword(const char *message)
{
	for (const char *s = message ? strchr(message, '[') : NULL; s;
	     s = strchr(s + 1, '[')) {
		size_t n = skip_at(s);

		if (n)
			return xstrndup(s, n);
	}
	return NULL;
}

/* One `branches:` entry against a branch name. */
static bool branch_matches(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);
	char *re;
	int r;

	if (n < 2 || pattern[0] != '/' || pattern[n - 1] != '/' ||
	    memchr(pattern, '\n', n))
		return !strcmp(pattern, name);
	re = xstrndup(pattern + 1, n - 2);
	r = regex_test(re, name, 0);
	free(re);
	return r > 0;
}

/* Whether any entry of a list (or comma separated string) matches. */
static bool branch_list_matches(const struct val *list, const char *name)
{
	const char *s;

	if (list->type == VAL_SEQ) {
		for (size_t i = 0; i < list->seq.n; i++)
			if (branch_list_matches(list->seq.v[i], name))
				return true;
		return false;
	}
	s = val_text(list);
	if (!s)
		return false;
	if (list->type != VAL_STR || !strchr(s, ','))
		return branch_matches(s, name);
	while (*s) {
		size_t n = strcspn(s, ","), b = 0, e = n;
		char *one;
		bool ok;

		while (b < e && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		one = xstrndup(s + b, e - b);
		ok = branch_matches(one, name);
		free(one);
		if (ok)
			return true;
		s += n + (s[n] == ',');
	}
	return false;
}

static void branch_config(const struct val *b, const struct val **only,
			  const struct val **except)
{
	*only = *except = NULL;
	if (!b || b->type == VAL_NULL)
		return;
	if (b->type != VAL_MAP) {
		*only = b;
		return;
	}
	*only = val_map_get(b, "only");
	*except = val_map_get(b, "except");
	if (*only && (*only)->type == VAL_NULL)
		*only = NULL;
	if (*except && (*except)->type == VAL_NULL)
		*except = NULL;
}

static bool gh_pages(const char *name)
{
	for (const char *s = name; *s; s++)
		if (!strncasecmp(s, "gh-pages", 8) ||
		    !strncasecmp(s, "gh_pages", 8))
			return true;
	return false;
}

/* Skip keyword, gh-pages and `branches:`: NULL, or why there is no build. */
static char *build_branch_reason(const struct plan *p)
{
	const char *type = req_str(p, "type"), *name, *kind;
	const struct val *only, *except;
	char *kw;

	if (!type || !strcmp(type, "push") || !strcmp(type, "pull_request")) {
		kw = matrix_skip_keyword(req_str(p, "commit_message"));
		if (kw) {
			char *why = xasprintf("%s in the commit message", kw);

			free(kw);
			return why;
		}
	}
	name = req_str(p, "tag");
	kind = name ? "tag" : "branch";
	if (!name)
		name = req_str(p, "branch");
	if (!name)
		return NULL;
	branch_config(val_map_get(p->config, "branches"), &only, &except);
	if (gh_pages(name) && !only)
		return xasprintf("%s '%s' is a GitHub Pages branch (not built "
				 "unless listed in branches.only)",
				 kind, name);
	if (only && !branch_list_matches(only, name))
		return xasprintf("%s '%s' is not in branches.only", kind, name);
	if (except && branch_list_matches(except, name))
		return xasprintf("%s '%s' is in branches.except", kind, name);
	return NULL;
}

static char *build_reason(const struct plan *p)
{
	char *why = NULL;

	if (!p->request)
		return NULL;
	why = build_branch_reason(p);
	if (why)
		return why;
	if (!matrix_accept(val_map_get(p->config, "if"), p->config, p->request,
			   &why))
		return why ? why : xstrdup("the build condition is false");
	return NULL;
}

/* ---- stages ---- */

static void drop(struct plan *p, struct val *job, char *reason)
{
	struct val *d = val_map();

	val_map_set(d, "config", job);
	val_map_set(d, "reason", val_str_take(reason));
	val_seq_push(p->dropped, d);
}

/* A job's stage name (Model::Job#stage: strings only). */
static const char *job_stage(const struct val *job)
{
	return val_strv(val_map_get(job, "stage"));
}

static const char *stage_name(const struct val *stage)
{
	return val_strv(val_map_get(stage, "name"));
}

static bool same_name(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcasecmp(a, b);
}

/* The `stages:` entries as maps (a string is a name). */
static struct val *stage_configs(const struct val *config)
{
	const struct val *s = val_map_get(config, "stages");
	struct val *out = val_seq(), *m;

	for (size_t i = 0; s && s->type == VAL_SEQ && i < s->seq.n; i++) {
		const struct val *e = s->seq.v[i];

		if (e->type == VAL_MAP) {
			val_seq_push(out, val_dup(e));
		} else if (e->type == VAL_STR) {
			m = val_map();
			val_map_set(m, "name", val_dup(e));
			val_seq_push(out, m);
		}
	}
	return out;
}

/* Jobs without a stage take the stage of the job before them. */
static void assign_stages(struct plan *p, const struct val *configs)
{
	const char *name = "test";

	for (size_t i = 0; i < configs->seq.n; i++) {
		const char *n = stage_name(configs->seq.v[i]);

		if (n && !strcasecmp(n, "test")) {
			name = n;
			goto found;
		}
	}
	for (size_t i = 0; i < p->jobs->seq.n; i++) {
		const char *n = job_stage(p->jobs->seq.v[i]);

		if (n && !strcasecmp(n, "test")) {
			name = n;
			break;
		}
	}
found:
	for (size_t i = 0; i < p->jobs->seq.n; i++) {
		struct val *job = p->jobs->seq.v[i];
		const char *own = job_stage(job);

		if (own)
			name = own;
		else
			val_map_set(job, "stage", val_str(name));
	}
}

static bool stage_has_jobs(const struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->jobs->seq.n; i++)
		if (same_name(job_stage(p->jobs->seq.v[i]), name))
			return true;
	return false;
}

/* The stage list: `stages:` entries, then job stages, unique by name. */
static struct val *stage_list(const struct plan *p, struct val *configs)
{
	struct val *list = val_seq();

	for (size_t i = 0; i < p->jobs->seq.n; i++) {
		struct val *m = val_map();

		val_map_set(m, "name", val_str(job_stage(p->jobs->seq.v[i])));
		val_seq_push(configs, m);
	}
	for (size_t i = 0; i < configs->seq.n; i++) {
		const char *name = stage_name(configs->seq.v[i]);
		bool seen = false;

		for (size_t k = 0; k < list->seq.n && !seen; k++)
			seen = same_name(stage_name(list->seq.v[k]), name);
		if (!seen)
			val_seq_push(list, val_dup(configs->seq.v[i]));
	}
	return list;
}

static void keep_stage_jobs(struct plan *p, const struct val *skipped,
			    char **why)
{
	for (size_t i = 0; i < p->jobs->seq.n;) {
		const char *st = job_stage(p->jobs->seq.v[i]);
		bool kept = false;

		for (size_t k = 0; k < p->stages->seq.n && !kept; k++)
			kept = same_name(stage_name(p->stages->seq.v[k]), st);
		if (kept) {
			i++;
			continue;
		}
		for (size_t k = 0; k < skipped->seq.n; k++) {
			if (!same_name(stage_name(skipped->seq.v[k]), st))
				continue;
			drop(p, val_seq_take(p->jobs, i),
			     xasprintf("stage '%s' is skipped: %s", st,
				       why[k]));
			st = NULL;
			break;
		}
		if (st)
			drop(p, val_seq_take(p->jobs, i),
			     xasprintf("stage '%s' is skipped", st));
	}
}

/* Configs::Stages: names, stage `if:`, empty stages, orphaned jobs. */
static void plan_stages(struct plan *p)
{
	struct val *configs = stage_configs(p->config), *list, *skipped;
	bool any = configs->seq.n > 0;
	char **why;

	for (size_t i = 0; i < p->jobs->seq.n && !any; i++)
		any = job_stage(p->jobs->seq.v[i]) != NULL;
	if (!any) {
		val_free(configs);
		return;
	}
	assign_stages(p, configs);
	list = stage_list(p, configs);
	skipped = val_seq();
	why = xcalloc(list->seq.n + 1, sizeof(*why));
	for (size_t i = 0; i < list->seq.n; i++) {
		struct val *st = list->seq.v[i];
		const struct val *cond = val_map_get(st, "if");
		char *w = NULL;

		if (!matrix_accept(cond, p->config, p->request, &w)) {
			if (p->msgs)
				msgs_addv(p->msgs, MSG_INFO, "skip_stage",
					  "stages", -1, "number",
					  val_numi((long long)i + 1),
					  "condition", val_dup(cond), NULL);
			why[skipped->seq.n] = w;
			val_seq_push(skipped, val_dup(st));
		} else if (stage_has_jobs(p, stage_name(st))) {
			val_seq_push(p->stages, val_dup(st));
		}
	}
	keep_stage_jobs(p, skipped, why);
	for (size_t i = 0; i < skipped->seq.n; i++)
		free(why[i]);
	free(why);
	val_free(skipped);
	val_free(list);
	val_free(configs);
}

/* ---- allow_failures ---- */

static bool seq_has(const struct val *seq, const struct val *v)
{
	for (size_t i = 0; seq && seq->type == VAL_SEQ && i < seq->seq.n; i++)
		if (val_equal(seq->seq.v[i], v))
			return true;
	return false;
}

/* AllowFailures#matches_env?: the job's env without env.global. */
static bool env_matches(const struct plan *p, const struct val *job_env,
			const struct val *want)
{
	const struct val *env = val_map_get(p->config, "env");
	const struct val *g =
		val_is(env, VAL_MAP) ? val_map_get(env, "global") : NULL;
	struct val *own = val_seq();
	size_t others = 0;
	bool ok = true;

	if (!truthy(job_env) || job_env->type != VAL_SEQ ||
	    !val_is(want, VAL_SEQ)) {
		val_free(own);
		return false;
	}
	for (size_t i = 0; i < job_env->seq.n; i++)
		if (!seq_has(g, job_env->seq.v[i]))
			val_seq_push(own, val_dup(job_env->seq.v[i]));
	if (val_equal(own, want)) {
		val_free(own);
		return true;
	}
	for (size_t i = 0; i < want->seq.n; i++) {
		if (seq_has(own, want->seq.v[i]))
			continue;
		others++;
		ok &= seq_has(g, want->seq.v[i]);
	}
	val_free(own);
	return others > 0 && ok;
}

static bool allow_failure_matches(const struct plan *p, const struct val *entry,
				  const struct val *job)
{
	static const struct val null_val = { .type = VAL_NULL };

	for (size_t i = 0; i < entry->map.n; i++) {
		const char *key = entry->map.v[i].key;
		const struct val *want = entry->map.v[i].v, *have;

		if (!strcmp(key, "if"))
			continue;
		if (!strcmp(key, "branch"))
			have = val_map_get(p->request, "branch");
		else
			have = val_map_get(job, key);
		if (!strcmp(key, "env")) {
			if (!env_matches(p, have, want))
				return false;
			continue;
		}
		if (!val_equal(have ? have : &null_val, want))
			return false;
	}
	return true;
}

static void plan_allow_failures(struct plan *p)
{
	const struct val *jobs = val_map_get(p->config, "jobs");
	const struct val *af = val_is(jobs, VAL_MAP)
				       ? val_map_get(jobs, "allow_failures")
				       : NULL;

	for (size_t e = 0; val_is(af, VAL_SEQ) && e < af->seq.n; e++) {
		const struct val *entry = af->seq.v[e];
		const struct val *cond = val_map_get(entry, "if");

		if (entry->type != VAL_MAP)
			continue;
		for (size_t i = 0; i < p->jobs->seq.n; i++) {
			struct val *job = p->jobs->seq.v[i];

			if (!allow_failure_matches(p, entry, job))
				continue;
			if (matrix_accept(cond, job, p->request, NULL)) {
				val_map_set(job, "allow_failure",
					    val_bool(true));
				continue;
			}
			if (p->msgs)
				msgs_addv(p->msgs, MSG_INFO,
					  "skip_allow_failure",
					  "jobs.allow_failures", -1, "number",
					  val_numi((long long)i + 1),
					  "condition", val_dup(cond), NULL);
		}
	}
}

/* ---- reorder, uniq, numbering ---- */

struct order {
	long stage; /* position of the stage, -1 without one */
	int allow_failure;
	size_t index;
	struct val *job;
};

static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	if (x->allow_failure != y->allow_failure)
		return x->allow_failure - y->allow_failure;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Reorder: stage position, allow_failure jobs last, original order. */
static void reorder(struct plan *p)
{
	size_t n = p->jobs->seq.n;
	struct order *o = xcalloc(n + 1, sizeof(*o));

	for (size_t i = 0; i < n; i++) {
		struct val *job = p->jobs->seq.v[i];
		const char *st = job_stage(job);

		o[i].stage = -1;
		for (size_t k = 0; st && k < p->stages->seq.n; k++)
			if (same_name(stage_name(p->stages->seq.v[k]), st)) {
				o[i].stage = (long)k;
				break;
			}
		o[i].allow_failure = truthy(val_map_get(job, "allow_failure"));
		o[i].index = i;
		o[i].job = job;
	}
	qsort(o, n, sizeof(*o), order_cmp);
	for (size_t i = 0; i < n; i++)
		p->jobs->seq.v[i] = o[i].job;
	free(o);
}

static void uniq(struct plan *p)
{
	for (size_t i = 1; i < p->jobs->seq.n;) {
		bool dup = false;

		for (size_t k = 0; k < i && !dup; k++)
			dup = val_equal(p->jobs->seq.v[k], p->jobs->seq.v[i]);
		if (dup)
			val_seq_del(p->jobs, i);
		else
			i++;
	}
}

static struct val *str_or_null(const char *s)
{
	return s ? val_str(s) : val_null();
}

static struct val *job_entries(struct plan *p, long build_number)
{
	struct val *out = val_seq();

	for (size_t i = 0; i < p->jobs->seq.n; i++) {
		struct val *job = p->jobs->seq.v[i], *e = val_map();

		val_map_set(e, "number",
			    val_strf("%ld.%zu", build_number, i + 1));
		val_map_set(e, "stage", str_or_null(job_stage(job)));
		val_map_set(
			e, "allow_failure",
			val_bool(truthy(val_map_get(job, "allow_failure"))));
		val_map_set(e, "name",
			    str_or_null(val_strv(val_map_get(job, "name"))));
		val_map_set(e, "config", job);
		p->jobs->seq.v[i] = NULL;
		val_seq_push(out, e);
	}
	p->jobs->seq.n = 0;
	return out;
}

static struct val *stage_entries(const struct plan *p)
{
	struct val *out = val_seq();

	for (size_t i = 0; i < p->stages->seq.n; i++) {
		const struct val *st = p->stages->seq.v[i];
		const struct val *cond = val_map_get(st, "if");
		struct val *e = val_map();

		val_map_set(e, "name", str_or_null(stage_name(st)));
		val_map_set(e, "if",
			    val_text(cond) ? val_str(val_text(cond))
					   : val_null());
		val_seq_push(out, e);
	}
	return out;
}

static bool fast_finish(const struct val *config)
{
	const struct val *jobs = val_map_get(config, "jobs");

	return val_is(jobs, VAL_MAP) &&
	       truthy(val_map_get(jobs, "fast_finish"));
}

struct val *matrix_plan(const struct val *config, const struct val *request,
			long build_number, struct msgs *msgs)
{
	struct plan p = { .config = config, .request = request, .msgs = msgs };
	struct val *out = val_map(), *build = val_map();
	char *why;

	p.dropped = val_seq();
	p.stages = val_seq();
	if (!val_is(request, VAL_MAP))
		p.request = NULL;
	why = val_is(config, VAL_MAP) ? build_reason(&p) : NULL;
	if (!why) {
		p.jobs = matrix_jobs(config, p.request, p.dropped, msgs);
		plan_stages(&p);
		plan_allow_failures(&p);
		reorder(&p);
		uniq(&p);
		if (!p.jobs->seq.n)
			why = xstrdup("the matrix created no jobs");
	} else {
		p.jobs = val_seq();
	}
	val_map_set(build, "created", val_bool(!why));
	val_map_set(build, "reason", why ? val_str_take(why) : val_null());
	val_map_set(out, "build", build);
	val_map_set(out, "stages", stage_entries(&p));
	val_map_set(out, "jobs", job_entries(&p, build_number));
	val_map_set(out, "dropped", p.dropped);
	val_map_set(out, "fast_finish", val_bool(fast_finish(config)));
	val_free(p.jobs);
	val_free(p.stages);
	return out;
}
