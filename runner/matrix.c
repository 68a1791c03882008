/*
 * Matrix expansion: the job list travis-yml's Matrix#jobs makes of a
 * normalised config (lib/travis/yml/matrix.rb and matrix/), restated in
 * C.  The steps, in order: expand the cartesian product of the
 * expansion keys, add jobs.include, fall back to one default job, merge
 * the shared root keys and the first value of every root expansion key,
 * normalise env and add env.global (this file); then drop jobs.exclude
 * matches, drop keys the job's language/os/arch does not support
 * (matrix_support.c), remove duplicates, and (with request data) drop
 * jobs whose `if:` is false (matrix_filter.c, matrix_cond.c).
 */
#include "compat.h"

#include "matrix.h"
#include "matrix_int.h"
#include "msg.h"
#include "val.h"
#include "xalloc.h"

/* Expansion keys in travis-yml's order (schema.json `expand` + env). */
static const char *const expand_keys[] = {
	"os",		"arch",	       "compiler",     "osx_image",
	"jdk",		"crystal",     "dotnet",       "mono",
	"solution",	"d",	       "dart",	       "dart_task",
	"elixir",	"otp_release", "elm",	       "node_js",
	"go",		"hhvm",	       "php",	       "ghc",
	"haxe",		"julia",       "matlab",       "nix",
	"perl",		"perl6",       "python",       "r",
	"rvm",		"gemfile",     "xcode_scheme", "xcode_sdk",
	"rust",		"scala",       "smalltalk",    "smalltalk_config",
	"smalltalk_vm", "env",
};
#define NKEYS ARRAY_SIZE(expand_keys)
_Static_assert(NKEYS == MATRIX_NKEYS, "MATRIX_NKEYS counts expand_keys");

/*
 * Root keys that are not shared with jobs: the expansion keys and the
 * keys Matrix::DROP lists (`drop`), sorted for bsearch.
 */
struct special {
	const char *key;
	bool drop;
};

static const struct special special_keys[] = {
	{ "allow_failure", true },
	{ "arch", false },
	{ "compiler", false },
	{ "crystal", false },
	{ "d", false },
	{ "dart", false },
	{ "dart_task", false },
	{ "dotnet", false },
	{ "elixir", false },
	{ "elm", false },
	{ "env", false },
	{ "gemfile", false },
	{ "ghc", false },
	{ "global_env", true },
	{ "go", false },
	{ "haxe", false },
	{ "hhvm", false },
	{ "import", true },
	{ "jdk", false },
	{ "jobs", true },
	{ "julia", false },
	{ "matlab", false },
	{ "merge_mode", true },
	{ "mono", false },
	{ "nix", false },
	{ "node_js", false },
	{ "notifications", true },
	{ "os", false },
	{ "osx_image", false },
	{ "otp_release", false },
	{ "perl", false },
	{ "perl6", false },
	{ "php", false },
	{ "python", false },
	{ "r", false },
	{ "rust", false },
	{ "rvm", false },
	{ "scala", false },
	{ "smalltalk", false },
	{ "smalltalk_config", false },
	{ "smalltalk_vm", false },
	{ "solution", false },
	{ "stages", true },
	{ "version", true },
	{ "xcode_scheme", false },
	{ "xcode_sdk", false },
};

/* Ruby's compact(obj) leaves nothing: nil, "", or only such things. */
static bool compact_empty(const struct val *v)
{
	switch (v->type) {
	case VAL_NULL:
		return true;
	case VAL_STR:
		return !v->str.len;
	case VAL_BOOL:
	case VAL_NUM:
	case VAL_SECURE:
		return false;
	case VAL_SEQ:
		for (size_t i = 0; i < v->seq.n; i++)
			if (!compact_empty(v->seq.v[i]))
				return false;
		return true;
	case VAL_MAP:
		for (size_t i = 0; i < v->map.n; i++)
			if (!compact_empty(v->map.v[i].v))
				return false;
		return true;
	}
	return true;
}

/* Matrix#blank?: nil and empty strings, seqs and maps. */
static bool rb_blank(const struct val *v)
{
	switch (v->type) {
	case VAL_NULL:
		return true;
	case VAL_STR:
		return !v->str.len;
	case VAL_SEQ:
		return !v->seq.n;
	case VAL_MAP:
		return !v->map.n;
	default:
		return false;
	}
}

static int special_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct special *)elem)->key);
}

static const struct special *special_find(const char *key)
{
	return bsearch(key, special_keys, ARRAY_SIZE(special_keys),
		       sizeof(*special_keys), special_cmp);
}

/* The values of an expansion key (env: env.jobs when given). */
static const struct val *key_values(const struct val *config, const char *key)
{
	const struct val *v = val_map_get(config, key), *jobs;

	if (!strcmp(key, "env") && v->type == VAL_MAP) {
		jobs = val_map_get(v, "jobs");
		if (matrix_truthy(jobs))
			return jobs;
	}
	return v;
}

/* Ruby's Array#flatten of one product element. */
static void flatten(struct flat *f, const struct val *v)
{
	if (v->type == VAL_SEQ) {
		for (size_t i = 0; i < v->seq.n; i++)
			flatten(f, v->seq.v[i]);
		return;
	}
	XGROW(f->v, f->alloc, f->n + 1);
	f->v[f->n++] = v;
}

static void too_many(struct matrix *m)
{
	if (m->msgs)
		msgs_addv(m->msgs, MSG_ERROR, "too_many_jobs", "jobs", -1,
			  "max", val_numi(MATRIX_MAX_JOBS), NULL);
}

/* Expand: one job per combination of the expansion keys' values. */
static void expand(struct matrix *m, struct val *jobs)
{
	const struct val *vals[NKEYS];
	size_t idx[NKEYS] = { 0 }, total = m->nkeys ? 1 : 0;
	struct flat f = { 0 };

	for (size_t k = 0; k < m->nkeys; k++) {
		vals[k] = key_values(m->config, m->keys[k]);
		total *= matrix_wrap_len(vals[k]);
		if (total > MATRIX_MAX_JOBS)
			total = MATRIX_MAX_JOBS + 1;
	}
	for (size_t t = 0; t < total; t++) {
		struct val *job = val_map();

		if (jobs->seq.n == MATRIX_MAX_JOBS) {
			val_free(job);
			too_many(m);
			break;
		}
		f.n = 0;
		for (size_t k = 0; k < m->nkeys; k++)
			flatten(&f, matrix_wrap_at(vals[k], idx[k]));
		for (size_t k = 0; k < m->nkeys; k++)
			val_map_set(job, m->keys[k],
				    k < f.n ? val_dup(f.v[k]) : val_null());
		val_seq_push(jobs, job);
		for (size_t k = m->nkeys; k-- > 0;) {
			if (++idx[k] < matrix_wrap_len(vals[k]))
				break;
			idx[k] = 0;
		}
	}
	free(f.v);
}

/* Entries of jobs.include or jobs.exclude: maps, nested lists flattened. */
void matrix_collect_maps(struct flat *f, const struct val *v)
{
	if (v->type == VAL_SEQ) {
		for (size_t i = 0; i < v->seq.n; i++)
			matrix_collect_maps(f, v->seq.v[i]);
	} else if (v->type == VAL_MAP) {
		XGROW(f->v, f->alloc, f->n + 1);
		f->v[f->n++] = v;
	}
}

/*
 * Add the includes; an include without a stage takes the stage of the
 * include above it.  A single expanded job is replaced by the includes.
 */
static void add_includes(struct matrix *m, struct val *jobs)
{
	const struct val *stage = NULL;

	if (!m->include.n)
		return;
	if (jobs->seq.n == 1) {
		bool single = true;
		const struct val *job = jobs->seq.v[0];

		for (size_t i = 0; i < job->map.n; i++)
			single &= job->map.v[i].v->type != VAL_SEQ;
		if (single)
			val_seq_del(jobs, 0);
	}
	for (size_t i = 0; i < m->include.n; i++) {
		struct val *job = val_dup(m->include.v[i]);
		const struct val *own = val_map_get(m->include.v[i], "stage");

		if (!matrix_truthy(own) && stage)
			val_map_set(job, "stage", val_dup(stage));
		else if (matrix_truthy(own))
			stage = own;
		if (jobs->seq.n == MATRIX_MAX_JOBS) {
			val_free(job);
			too_many(m);
			break;
		}
		val_seq_push(jobs, job);
	}
}

static const struct val *global_value(const struct matrix *m, const char *key)
{
	const struct val *v;

	for (size_t k = 0; k < m->nkeys; k++) {
		if (strcmp(m->keys[k], key) || !strcmp(key, "env"))
			continue;
		v = val_map_get(m->config, key);
		if (v->type != VAL_SEQ)
			return v;
		return v->seq.n ? v->seq.v[0] : NULL;
	}
	return NULL;
}

/* Move the value of `key` out of `job` (NULL when absent). */
static struct val *steal(struct val *job, const char *key)
{
	ptrdiff_t i = val_map_index(job, key);
	struct val *v;

	if (i < 0)
		return NULL;
	v = job->map.v[i].v;
	job->map.v[i].v = NULL;
	return v;
}

/* Append a pair whose key the map does not hold yet. */
static void append(struct val *map, char *key, struct val *v)
{
	XGROW(map->map.v, map->map.alloc, map->map.n + 1);
	map->map.v[map->map.n].key = key;
	map->map.v[map->map.n].line = v->line;
	map->map.v[map->map.n].col = v->col;
	map->map.v[map->map.n].v = v;
	map->map.n++;
}

static void append_from(struct val *out, struct val *job, const char *key,
			const struct val *fallback)
{
	struct val *v = steal(job, key);

	if (!v)
		v = fallback ? val_dup(fallback) : val_null();
	append(out, xstrdup(key), v);
}

/*
 * global.merge(shared.merge(job)): the first value of every root
 * expansion key, the shared root keys, then the job's other keys; the
 * job's values win.  The three key sets are disjoint.  Consumes `job`.
 */
static struct val *merge_root(const struct matrix *m, struct val *job)
{
	const struct val *cfg = m->config;
	struct val *out = val_map();

	for (size_t k = 0; k < m->nkeys; k++)
		if (strcmp(m->keys[k], "env"))
			append_from(out, job, m->keys[k],
				    global_value(m, m->keys[k]));
	for (size_t i = 0; i < m->nshared; i++) {
		const struct val_pair *p = &cfg->map.v[m->shared_at[i]];

		append_from(out, job, p->key, p->v);
	}
	for (size_t i = 0; i < job->map.n; i++) {
		if (!job->map.v[i].v)
			continue;
		append(out, job->map.v[i].key, job->map.v[i].v);
		job->map.v[i].key = NULL;
		job->map.v[i].v = NULL;
	}
	val_free(job);
	return out;
}

/* Env#with_env_array: env as a flat list of var maps (or strings). */
static void env_flatten(struct val *out, const struct val *env)
{
	struct val *copy;

	switch (env->type) {
	case VAL_MAP:
		copy = val_dup(env);
		val_map_del(copy, "global");
		if (copy->map.n)
			val_seq_push(out, copy);
		else
			val_free(copy);
		break;
	case VAL_SEQ:
		for (size_t i = 0; i < env->seq.n; i++)
			env_flatten(out, env->seq.v[i]);
		break;
	default:
		val_seq_push(out, val_dup(env));
	}
}

bool matrix_seq_has(const struct val *seq, size_t n, const struct val *v)
{
	for (size_t i = 0; i < n; i++)
		if (val_equal(seq->seq.v[i], v))
			return true;
	return false;
}

/* Ruby's Array#uniq: drop later duplicates. */
void matrix_seq_uniq(struct val *seq)
{
	for (size_t i = 1; i < seq->seq.n;)
		if (matrix_seq_has(seq, i, seq->seq.v[i]))
			val_seq_del(seq, i);
		else
			i++;
}

static void env_setup(struct matrix *m)
{
	const struct val *env = val_map_get(m->config, "env"), *v;

	m->first_env = NULL;
	m->global_env = NULL;
	if (env && env->type == VAL_SEQ && env->seq.n)
		m->first_env = env->seq.v[0];
	if (env && env->type == VAL_MAP) {
		v = val_map_get(env, "jobs");
		if (v && v->type == VAL_SEQ && v->seq.n)
			m->first_env = v->seq.v[0];
		v = val_map_get(env, "global");
		if (matrix_truthy(v))
			m->global_env = v;
	}
	m->global_env_key = val_map_get(m->config, "global_env");
	if (!m->global_env && matrix_truthy(m->global_env_key))
		m->global_env = m->global_env_key;
	if (!matrix_truthy(m->first_env))
		m->first_env = NULL;
}

/* Matrix::Env: env lists, the legacy first env.jobs entry, env.global. */
static void with_env(const struct matrix *m, struct val *job)
{
	struct val *env = val_map_get(job, "env"), *list;
	const struct val *g = m->global_env;

	if (matrix_truthy(env)) {
		list = val_seq();
		env_flatten(list, env);
		val_map_set(job, "env", list);
		env = list;
	} else if (m->first_env) {
		list = val_seq();
		val_seq_push(list, val_dup(m->first_env));
		val_map_set(job, "env", list);
		env = list;
	}
	if (!g)
		return;
	list = val_seq();
	if (g->type == VAL_SEQ)
		for (size_t i = 0; i < g->seq.n; i++)
			val_seq_push(list, val_dup(g->seq.v[i]));
	else
		val_seq_push(list, val_dup(g));
	if (matrix_truthy(env) && env->type == VAL_SEQ)
		for (size_t i = 0; i < env->seq.n; i++)
			val_seq_push(list, val_dup(env->seq.v[i]));
	matrix_seq_uniq(list);
	val_map_set(job, "env", list);
}

/*
 * One pass over the root keys: the expansion keys in use (present, not
 * empty once compacted, supported by the root language/os), in the order
 * of expand_keys, and the keys every job inherits.
 */
static void pick_root(struct matrix *m)
{
	const struct val *cfg = m->config;
	const struct val *vals[NKEYS] = { 0 };

	m->shared_at = xmalloc(st_mult(cfg->map.n + 1, sizeof(size_t)));
	for (size_t i = 0; i < cfg->map.n; i++) {
		const struct val_pair *p = &cfg->map.v[i];
		const struct special *sp = special_find(p->key);

		if (!sp) {
			if (!rb_blank(p->v))
				m->shared_at[m->nshared++] = i;
			continue;
		}
		for (size_t k = 0; !sp->drop && k < NKEYS; k++)
			if (!strcmp(p->key, expand_keys[k]))
				vals[k] = p->v;
	}
	for (size_t k = 0; k < NKEYS; k++) {
		if (!vals[k] || compact_empty(vals[k]))
			continue;
		if (!matrix_key_supported(cfg, expand_keys[k]))
			continue;
		m->keys[m->nkeys++] = expand_keys[k];
	}
}

static void pick_entries(struct matrix *m)
{
	const struct val *jobs = val_map_get(m->config, "jobs"), *v;

	if (!jobs || jobs->type != VAL_MAP)
		return;
	v = val_map_get(jobs, "include");
	if (v)
		matrix_collect_maps(&m->include, v);
	v = val_map_get(jobs, "exclude");
	if (v)
		matrix_collect_maps(&m->exclude, v);
}

static struct val *shared_job(const struct matrix *m)
{
	const struct val *cfg = m->config;
	struct val *job = val_map();

	for (size_t i = 0; i < m->nshared; i++)
		val_map_set(job, cfg->map.v[m->shared_at[i]].key,
			    val_dup(cfg->map.v[m->shared_at[i]].v));
	return job;
}

struct val *matrix_jobs(const struct val *config, const struct val *request,
			struct val *dropped, struct msgs *msgs)
{
	struct matrix *m = xcalloc(1, sizeof(*m));
	struct val *jobs = val_seq();

	if (!config || config->type != VAL_MAP) {
		free(m);
		return jobs;
	}
	m->config = config;
	m->request = request;
	m->dropped = dropped;
	m->msgs = msgs;
	pick_root(m);
	pick_entries(m);
	env_setup(m);
	expand(m, jobs);
	add_includes(m, jobs);
	if (!jobs->seq.n)
		val_seq_push(jobs, shared_job(m));
	for (size_t i = 0; i < jobs->seq.n; i++) {
		jobs->seq.v[i] = merge_root(m, jobs->seq.v[i]);
		with_env(m, jobs->seq.v[i]);
	}
	matrix_filter(m, jobs);
	free(m->shared_at);
	free(m->include.v);
	free(m->exclude.v);
	free(m);
	return jobs;
}

struct val *matrix_expand(const struct val *config, struct msgs *msgs)
{
	return matrix_jobs(config, NULL, NULL, msgs);
}
