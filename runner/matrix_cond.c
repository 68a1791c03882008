/*
 * matrix_cond.c: `if:` conditions on jobs: the data a condition sees (the
 * request merged with the job's config, as Gatekeeper did) and whether
 * it accepts a job.
 */
#include "compat.h"

#include "cond.h"
#include "error.h"
#include "matrix.h"
#include "matrix_int.h"
#include "val.h"
#include "xalloc.h"

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
		matrix_seq_uniq(cur);
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
			matrix_collect_maps(&f, p);
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
