/*
 * Matrix expansion: the job list travis-yml's Matrix#jobs makes of a
 * normalised config (lib/travis/yml/matrix.rb and matrix/), restated in
 * C.  The steps, in order: expand the cartesian product of the
 * expansion keys, add jobs.include, fall back to one default job, merge
 * the shared root keys and the first value of every root expansion key,
 * normalise env and add env.global, drop jobs.exclude matches, drop keys
 * the job's language/os/arch does not support, remove duplicates, and
 * (with request data) drop jobs whose `if:` is false.
 */
#include "compat.h"

#include <strings.h>

#include "buf.h"
#include "cond.h"
#include "error.h"
#include "matrix.h"
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

/*
 * Support rules from the schema: a key (or one value of a key) is only
 * supported when the job's `on` attribute (language, os) is in `list`
 * (`except`: not only in `list`).  `list` holds names separated by
 * spaces.  Both tables are sorted by key (then value) for bsearch.
 * Keys whose values are maps (android, virtualenv, gimme_config, repos,
 * smalltalk_edge) are missing on purpose: travis-yml's Map#supports
 * reports its children's rules, never its own, so they are kept.
 */
struct support {
	const char *key;
	const char *value;
	const char *on;
	bool except;
	const char *list;
};

#define ONLY_LANG(k, l)                       \
	{                                     \
		k, NULL, "language", false, l \
	}
static const struct support key_rules[] = {
	ONLY_LANG("apt_packages", "r"),
	{ "arch", NULL, "os", false, "linux" },
	ONLY_LANG("bioc", "r"),
	ONLY_LANG("bioc_check", "r"),
	ONLY_LANG("bioc_packages", "r"),
	ONLY_LANG("bioc_required", "r"),
	ONLY_LANG("bioc_use_devel", "r"),
	ONLY_LANG("brew_packages", "r"),
	ONLY_LANG("bundler_args", "ruby objective-c"),
	ONLY_LANG("compiler", "c cpp"),
	ONLY_LANG("composer_args", "php"),
	ONLY_LANG("cran", "r"),
	ONLY_LANG("crystal", "crystal"),
	ONLY_LANG("d", "d"),
	ONLY_LANG("dart", "dart"),
	ONLY_LANG("dart_task", "dart"),
	ONLY_LANG("disable_homebrew", "r"),
	ONLY_LANG("dotnet", "csharp"),
	ONLY_LANG("elixir", "elixir"),
	ONLY_LANG("elm", "elm"),
	ONLY_LANG("elm_format", "elm"),
	ONLY_LANG("elm_test", "elm"),
	ONLY_LANG("gemfile", "ruby objective-c"),
	ONLY_LANG("ghc", "haskell"),
	ONLY_LANG("go", "go"),
	ONLY_LANG("go_import_path", "go"),
	ONLY_LANG("gobuild_args", "go"),
	ONLY_LANG("haxe", "haxe"),
	ONLY_LANG("hhvm", "hack"),
	ONLY_LANG("hxml", "haxe"),
	ONLY_LANG("jdk", "android clojure groovy java ruby scala"),
	ONLY_LANG("julia", "julia"),
	ONLY_LANG("latex", "r"),
	ONLY_LANG("lein", "clojure"),
	ONLY_LANG("matlab", "matlab"),
	ONLY_LANG("mono", "csharp"),
	ONLY_LANG("neko", "haxe"),
	ONLY_LANG("nix", "nix"),
	ONLY_LANG("node_js", "elm node_js"),
	ONLY_LANG("npm_args", "node_js"),
	{ "osx_image", NULL, "os", false, "osx" },
	ONLY_LANG("otp_release", "elixir erlang"),
	ONLY_LANG("pandoc", "r"),
	ONLY_LANG("pandoc_version", "r"),
	ONLY_LANG("perl", "perl"),
	ONLY_LANG("perl6", "perl6"),
	ONLY_LANG("php", "hack php"),
	ONLY_LANG("podfile", "objective-c"),
	ONLY_LANG("python", "python"),
	ONLY_LANG("r", "r"),
	ONLY_LANG("r_binary_packages", "r"),
	ONLY_LANG("r_build_args", "r"),
	ONLY_LANG("r_check_args", "r"),
	ONLY_LANG("r_check_revdep", "r"),
	ONLY_LANG("r_github_packages", "r"),
	ONLY_LANG("r_packages", "r"),
	ONLY_LANG("remotes", "r"),
	ONLY_LANG("rust", "rust"),
	ONLY_LANG("rvm", "ruby objective-c"),
	ONLY_LANG("sbt_args", "scala"),
	ONLY_LANG("scala", "scala"),
	ONLY_LANG("smalltalk", "smalltalk"),
	ONLY_LANG("smalltalk_config", "smalltalk"),
	ONLY_LANG("smalltalk_vm", "smalltalk"),
	ONLY_LANG("solution", "csharp"),
	ONLY_LANG("warnings_are_errors", "r"),
	ONLY_LANG("with_content_shell", "dart"),
	ONLY_LANG("xcode_destination", "objective-c"),
	ONLY_LANG("xcode_project", "objective-c"),
	ONLY_LANG("xcode_scheme", "objective-c"),
	ONLY_LANG("xcode_sdk", "objective-c"),
	ONLY_LANG("xcode_workspace", "objective-c"),
	ONLY_LANG("xctool_args", "objective-c"),
};
#undef ONLY_LANG

#define DIST(v, l)                        \
	{                                 \
		"dist", v, "os", false, l \
	}
#define OS(v)                                            \
	{                                                \
		"os", v, "language", true, "objective-c" \
	}
static const struct support value_rules[] = {
	DIST("bionic", "linux"),
	DIST("focal", "linux linux-ppc64le"),
	DIST("jammy", "linux"),
	DIST("noble", "linux"),
	DIST("precise", "linux"),
	DIST("rhel8", "linux"),
	DIST("server-2016", "windows"),
	DIST("trusty", "linux"),
	DIST("xenial", "linux linux-ppc64le"),
	OS("freebsd"),
	OS("linux"),
	OS("windows"),
};
#undef DIST
#undef OS

struct flat {
	const struct val **v;
	size_t n, alloc;
};

struct matrix {
	const struct val *config;
	const struct val *request; /* NULL: conditions are not evaluated */
	struct val *dropped;	   /* NULL, or a seq of {config, reason} */
	struct msgs *msgs;
	const char *keys[NKEYS]; /* the expansion keys in use */
	size_t nkeys;
	size_t *shared_at; /* indexes of the root keys jobs inherit */
	size_t nshared;
	struct flat include;	     /* jobs.include entries */
	struct flat exclude;	     /* jobs.exclude entries */
	const struct val *first_env; /* the first env.jobs entry or NULL */
	const struct val *global_env;
	const struct val *global_env_key; /* root global_env */
};

static bool truthy(const struct val *v)
{
	return v && v->type != VAL_NULL && !(v->type == VAL_BOOL && !v->b);
}

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

/* Whether `s` is one of the space separated names in `list`. */
static bool in_list(const char *list, const struct val *s)
{
	size_t n;

	if (!s || s->type != VAL_STR)
		return false;
	while (*list) {
		n = strcspn(list, " ");
		if (n == s->str.len && !memcmp(list, s->str.s, n))
			return true;
		list += n;
		list += *list == ' ';
	}
	return false;
}

/*
 * Doc::Value::Support: the job's `on` values (Ruby's Array(): none for
 * nil, the items of a seq, the pairs of a map, else the value) must meet
 * an `only` list at least once, or must not all be in an `except` list.
 */
static bool rule_ok(const struct support *r, const struct val *job)
{
	const struct val *on = val_map_get(job, r->on);
	size_t n = 0, hits = 0;

	if (!on || on->type == VAL_NULL)
		return true;
	if (on->type == VAL_SEQ) {
		n = on->seq.n;
		for (size_t i = 0; i < n; i++)
			hits += in_list(r->list, on->seq.v[i]);
	} else if (on->type == VAL_MAP) {
		n = on->map.n;
	} else {
		n = 1;
		hits = in_list(r->list, on);
	}
	if (!n)
		return true;
	return r->except ? hits < n : hits > 0;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct support *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c || !x->value || !y->value)
		return c;
	return strcmp(x->value, y->value);
}

static const struct support *rule_find(const struct support *rules, size_t n,
				       const char *key, const char *value)
{
	struct support k = { .key = key, .value = value };

	return bsearch(&k, rules, n, sizeof(*rules), rule_cmp);
}

bool matrix_key_supported(const struct val *job, const char *key)
{
	const struct support *r =
		rule_find(key_rules, ARRAY_SIZE(key_rules), key, NULL);

	return !r || rule_ok(r, job);
}

/* Support#supported? for one key and value of a job. */
static bool supported(const struct val *job, const char *key,
		      const struct val *value)
{
	const struct support *r;

	if (!truthy(value))
		return true;
	if (!matrix_key_supported(job, key))
		return false;
	if (value->type != VAL_STR)
		return true;
	r = rule_find(value_rules, ARRAY_SIZE(value_rules), key, value->str.s);
	return !r || rule_ok(r, job);
}

/* The values of an expansion key (env: env.jobs when given). */
static const struct val *key_values(const struct val *config, const char *key)
{
	const struct val *v = val_map_get(config, key), *jobs;

	if (!strcmp(key, "env") && v->type == VAL_MAP) {
		jobs = val_map_get(v, "jobs");
		if (truthy(jobs))
			return jobs;
	}
	return v;
}

static size_t wrap_len(const struct val *v)
{
	return v->type == VAL_SEQ ? v->seq.n : 1;
}

static const struct val *wrap_at(const struct val *v, size_t i)
{
	return v->type == VAL_SEQ ? v->seq.v[i] : v;
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
		total *= wrap_len(vals[k]);
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
			flatten(&f, wrap_at(vals[k], idx[k]));
		for (size_t k = 0; k < m->nkeys; k++)
			val_map_set(job, m->keys[k],
				    k < f.n ? val_dup(f.v[k]) : val_null());
		val_seq_push(jobs, job);
		for (size_t k = m->nkeys; k-- > 0;) {
			if (++idx[k] < wrap_len(vals[k]))
				break;
			idx[k] = 0;
		}
	}
	free(f.v);
}

/* Entries of jobs.include or jobs.exclude: maps, nested lists flattened. */
static void collect_maps(struct flat *f, const struct val *v)
{
	if (v->type == VAL_SEQ) {
		for (size_t i = 0; i < v->seq.n; i++)
			collect_maps(f, v->seq.v[i]);
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

		if (!truthy(own) && stage)
			val_map_set(job, "stage", val_dup(stage));
		else if (truthy(own))
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

static bool seq_has(const struct val *seq, size_t n, const struct val *v)
{
	for (size_t i = 0; i < n; i++)
		if (val_equal(seq->seq.v[i], v))
			return true;
	return false;
}

/* Ruby's Array#uniq: drop later duplicates. */
static void seq_uniq(struct val *seq)
{
	for (size_t i = 1; i < seq->seq.n;)
		if (seq_has(seq, i, seq->seq.v[i]))
			val_seq_del(seq, i);
		else
			i++;
}

/* FNV-1a over the length and the first 16 bytes: cheap, and enough. */
static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
	h = (h ^ n) * 0x100000001b3ull;
	for (size_t i = 0; i < n && i < 16; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/*
 * A hash that agrees with val_equal (map key order is ignored), to
 * compare only jobs that may be equal.
 */
static uint64_t hash_val(const struct val *v)
{
	uint64_t h = 0xcbf29ce484222325ull + (uint64_t)v->type, sum = 0;

	switch (v->type) {
	case VAL_NULL:
		break;
	case VAL_BOOL:
		h ^= v->b;
		break;
	case VAL_NUM:
	case VAL_STR:
	case VAL_SECURE:
		h = hash_bytes(h, v->str.s, v->str.len);
		break;
	case VAL_SEQ:
		for (size_t i = 0; i < v->seq.n; i++)
			h = (h ^ hash_val(v->seq.v[i])) * 0x100000001b3ull;
		break;
	case VAL_MAP:
		for (size_t i = 0; i < v->map.n; i++) {
			const char *k = v->map.v[i].key;
			uint64_t kh = hash_bytes(h, k, strlen(k));

			sum += (kh ^ hash_val(v->map.v[i].v)) *
			       0x9e3779b97f4a7c15ull;
		}
		h ^= sum;
		break;
	}
	return h;
}

/* seq_uniq for jobs: compare only jobs whose hashes agree. */
static void jobs_uniq(struct val *jobs)
{
	uint64_t *h = xmalloc(st_mult(jobs->seq.n + 1, sizeof(*h)));
	size_t n = 0;

	for (size_t i = 0; i < jobs->seq.n;) {
		uint64_t hi = hash_val(jobs->seq.v[i]);
		bool dup = false;

		for (size_t j = 0; j < n && !dup; j++)
			dup = h[j] == hi &&
			      val_equal(jobs->seq.v[j], jobs->seq.v[i]);
		if (dup) {
			val_seq_del(jobs, i);
			continue;
		}
		h[n++] = hi;
		i++;
	}
	free(h);
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
		if (truthy(v))
			m->global_env = v;
	}
	m->global_env_key = val_map_get(m->config, "global_env");
	if (!m->global_env && truthy(m->global_env_key))
		m->global_env = m->global_env_key;
	if (!truthy(m->first_env))
		m->first_env = NULL;
}

/* Matrix::Env: env lists, the legacy first env.jobs entry, env.global. */
static void with_env(const struct matrix *m, struct val *job)
{
	struct val *env = val_map_get(job, "env"), *list;
	const struct val *g = m->global_env;

	if (truthy(env)) {
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
	if (truthy(env) && env->type == VAL_SEQ)
		for (size_t i = 0; i < env->seq.n; i++)
			val_seq_push(list, val_dup(env->seq.v[i]));
	seq_uniq(list);
	val_map_set(job, "env", list);
}

static void drop(struct matrix *m, struct val *job, char *reason)
{
	struct val *d;

	if (!m->dropped) {
		val_free(job);
		free(reason);
		return;
	}
	d = val_map();
	val_map_set(d, "config", job);
	val_map_set(d, "reason", val_str_take(reason));
	val_seq_push(m->dropped, d);
}

/* The job's env without env.global (and root global_env). */
static struct val *env_minus_global(const struct matrix *m,
				    const struct val *job)
{
	const struct val *env = val_map_get(job, "env");
	const struct val *genv = val_map_get(m->config, "env");
	const struct val *g = genv && genv->type == VAL_MAP
				      ? val_map_get(genv, "global")
				      : NULL;
	const struct val *ge = m->global_env_key;
	struct val *out;

	if (!truthy(env) || env->type != VAL_SEQ)
		return env ? val_dup(env) : val_null();
	out = val_seq();
	for (size_t i = 0; i < env->seq.n; i++) {
		const struct val *e = env->seq.v[i];

		if (truthy(g) && g->type == VAL_SEQ && seq_has(g, g->seq.n, e))
			continue;
		if (ge && ge->type == VAL_SEQ && seq_has(ge, ge->seq.n, e))
			continue;
		val_seq_push(out, val_dup(e));
	}
	return out;
}

/* [a] == [b] with Ruby's wrap (a seq stays as it is; absent is nil). */
static bool wrap_equal(const struct val *a, const struct val *b)
{
	static const struct val null_val = { .type = VAL_NULL };
	size_t n;

	a = a ? a : &null_val;
	n = wrap_len(a);
	if (n != wrap_len(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!val_equal(wrap_at(a, i), wrap_at(b, i)))
			return false;
	return true;
}

static bool exclude_stage(const struct val *job, const struct val *name)
{
	const struct val *stage = val_map_get(job, "stage");

	if (stage && val_equal(stage, name))
		return true;
	if (stage && stage->type != VAL_NULL)
		return false;
	return name->type == VAL_STR && !strcasecmp(name->str.s, "test");
}

/* Exclude#applies?: every key of the entry (but `if`) matches. */
static bool exclude_applies(const struct matrix *m, const struct val *entry,
			    const struct val *job)
{
	for (size_t i = 0; i < entry->map.n; i++) {
		const char *key = entry->map.v[i].key;
		const struct val *v = entry->map.v[i].v;
		bool ok;

		if (!strcmp(key, "if"))
			continue;
		if (!strcmp(key, "env")) {
			struct val *env = env_minus_global(m, job);

			ok = val_equal(env, v);
			val_free(env);
		} else if (!strcmp(key, "stage")) {
			ok = exclude_stage(job, v);
		} else {
			ok = wrap_equal(val_map_get(job, key), v);
		}
		if (!ok)
			return false;
	}
	return true;
}

/* The reason a job is excluded, or NULL. */
static char *excluded(struct matrix *m, const struct val *job)
{
	const struct val *const *entries = m->exclude.v;
	char *why = NULL;

	for (size_t i = 0; i < m->exclude.n; i++) {
		const struct val *cond = val_map_get(entries[i], "if");

		if (!matrix_accept(cond, job, m->request, NULL)) {
			if (m->msgs)
				msgs_addv(m->msgs, MSG_INFO, "skip_exclude",
					  "jobs.exclude", -1, "number",
					  val_numi((long long)i + 1),
					  "condition", val_dup(cond), NULL);
			continue;
		}
		if (!why && exclude_applies(m, entries[i], job))
			why = xasprintf("excluded by jobs.exclude entry %zu",
					i + 1);
	}
	return why;
}

/* Drop the keys the job's language, os or arch does not support. */
static void without_unsupported(struct val *job)
{
	size_t n = job->map.n, j = 0;
	bool *keep = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++)
		keep[i] = supported(job, job->map.v[i].key, job->map.v[i].v);
	for (size_t i = 0; i < n; i++) {
		if (keep[i])
			continue;
		val_map_del_at(job, i - j);
		j++;
	}
	free(keep);
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
		collect_maps(&m->include, v);
	v = val_map_get(jobs, "exclude");
	if (v)
		collect_maps(&m->exclude, v);
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

/* Exclude, unsupported keys, uniq, `if:`. */
static void finish(struct matrix *m, struct val *jobs)
{
	char *why;

	for (size_t i = 0; i < jobs->seq.n;) {
		why = excluded(m, jobs->seq.v[i]);
		if (!why) {
			i++;
			continue;
		}
		drop(m, val_seq_take(jobs, i), why);
	}
	for (size_t i = 0; i < jobs->seq.n; i++)
		without_unsupported(jobs->seq.v[i]);
	jobs_uniq(jobs);
	for (size_t i = 0; i < jobs->seq.n;) {
		const struct val *job = jobs->seq.v[i];
		const struct val *cond = val_map_get(job, "if");

		why = NULL;
		if (matrix_accept(cond, job, m->request, &why)) {
			i++;
			continue;
		}
		if (m->msgs)
			msgs_addv(m->msgs, MSG_INFO, "skip_job", "jobs.include",
				  -1, "number", val_numi((long long)i + 1),
				  "condition", val_dup(cond), NULL);
		drop(m, val_seq_take(jobs, i), why);
	}
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
	finish(m, jobs);
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

/* Helper::Obj's MERGE: maps merge deeply, seqs concatenate (uniq). */
static void deep_merge(struct val *dst, const char *key, const struct val *v)
{
	struct val *cur = val_map_get(dst, key);

	if (cur && cur->type == VAL_MAP && v->type == VAL_MAP) {
		for (size_t i = 0; i < v->map.n; i++)
			deep_merge(cur, v->map.v[i].key, v->map.v[i].v);
	} else if (cur && cur->type == VAL_SEQ && v->type == VAL_SEQ) {
		for (size_t i = 0; i < v->seq.n; i++)
			val_seq_push(cur, val_dup(v->seq.v[i]));
		seq_uniq(cur);
	} else {
		val_map_set(dst, key, val_dup(v));
	}
}

/*
 * A root env map becomes one list entry with the vars of env.global,
 * env.jobs and env.matrix merged (later wins), as Gatekeeper's config
 * did; a string becomes a list of one.
 */
static struct val *cond_env(const struct val *env)
{
	static const char *const parts[] = { "global", "jobs", "matrix" };
	struct val *out = val_seq(), *vars;
	struct flat f = { 0 };

	if (env->type == VAL_SEQ) {
		val_free(out);
		return val_dup(env);
	}
	if (env->type != VAL_MAP) {
		val_seq_push(out, val_dup(env));
		return out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		const struct val *p = val_map_get(env, parts[i]);

		if (p)
			collect_maps(&f, p);
	}
	vars = val_map();
	for (size_t i = 0; i < f.n; i++)
		for (size_t k = 0; k < f.v[i]->map.n; k++)
			deep_merge(vars, f.v[i]->map.v[k].key,
				   f.v[i]->map.v[k].v);
	free(f.v);
	val_seq_push(out, vars);
	return out;
}

struct val *matrix_cond_data(const struct val *request,
			     const struct val *config)
{
	static const char *const attrs[] = {
		"type",	 "repo",   "head_repo",	  "os",	    "dist",
		"group", "sudo",   "language",	  "sender", "fork",
		"draft", "branch", "head_branch", "tag",    "commit_message",
	};
	struct val *data =
		val_is(request, VAL_MAP) ? val_dup(request) : val_map();
	const struct val *v;

	if (!val_is(config, VAL_MAP))
		return data;
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		v = val_map_get(config, attrs[i]);
		if (v)
			deep_merge(data, attrs[i], v);
	}
	v = val_map_get(config, "env");
	if (v && v->type != VAL_NULL) {
		struct val *env = cond_env(v);

		deep_merge(data, "env", env);
		val_free(env);
	}
	return data;
}

bool matrix_accept(const struct val *cond, const struct val *config,
		   const struct val *request, char **why)
{
	struct val *data;
	const char *src;
	bool result = false;
	int err;

	if (!cond || !request)
		return true;
	if (cond->type == VAL_NULL || cond->type == VAL_SEQ ||
	    cond->type == VAL_MAP || cond->type == VAL_SECURE)
		return true;
	src = val_text(cond);
	data = matrix_cond_data(request, config);
	err = cond_check(src, data, &result);
	val_free(data);
	if (err < 0) {
		if (why)
			*why = xasprintf("if: %s is invalid: %s", src,
					 err_msg());
		return false;
	}
	if (!result && why)
		*why = xasprintf("if: %s is false", src);
	return result;
}
