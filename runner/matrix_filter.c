/*
 * matrix_filter.c: what is dropped from the expanded jobs, in order:
 * jobs.exclude matches, unsupported keys, duplicates, and jobs whose
 * `if:` is false; dropped jobs are kept with their reason when asked.
 */
#include "compat.h"

#include <strings.h>

#include "matrix.h"
#include "matrix_int.h"
#include "msg.h"
#include "val.h"
#include "xalloc.h"

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

/* matrix_seq_uniq for jobs: compare only jobs whose hashes agree. */
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

	if (!matrix_truthy(env) || env->type != VAL_SEQ)
		return env ? val_dup(env) : val_null();
	out = val_seq();
	for (size_t i = 0; i < env->seq.n; i++) {
		const struct val *e = env->seq.v[i];

		if (matrix_truthy(g) && g->type == VAL_SEQ &&
		    matrix_seq_has(g, g->seq.n, e))
			continue;
		if (ge && ge->type == VAL_SEQ &&
		    matrix_seq_has(ge, ge->seq.n, e))
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
	n = matrix_wrap_len(a);
	if (n != matrix_wrap_len(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!val_equal(matrix_wrap_at(a, i), matrix_wrap_at(b, i)))
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

/* Exclude, unsupported keys, uniq, `if:`. */
void matrix_filter(struct matrix *m, struct val *jobs)
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
		matrix_without_unsupported(jobs->seq.v[i]);
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
