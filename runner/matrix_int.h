#ifndef FY_MATRIX_INT_H
#define FY_MATRIX_INT_H

#include "compat.h"

#include "val.h"

struct msgs;

/*
 * matrix_int.h: private to runner/matrix*.c.  matrix.c expands a config
 * into jobs, matrix_support.c knows what a job's language, os or arch
 * supports, matrix_filter.c drops jobs (jobs.exclude, duplicates, `if:`)
 * and matrix_cond.c evaluates `if:` conditions.
 */

/* The number of expansion keys (expand_keys in matrix.c). */
#define MATRIX_NKEYS 38

/* A list of borrowed values. */
struct flat {
	const struct val **v;
	size_t n, alloc;
};

/* One expansion in progress. */
struct matrix {
	const struct val *config;
	const struct val *request; /* NULL: conditions are not evaluated */
	struct val *dropped;	   /* NULL, or a seq of {config, reason} */
	struct msgs *msgs;
	const char *keys[MATRIX_NKEYS]; /* the expansion keys in use */
	size_t nkeys;
	size_t *shared_at; /* indexes of the root keys jobs inherit */
	size_t nshared;
	struct flat include;	     /* jobs.include entries */
	struct flat exclude;	     /* jobs.exclude entries */
	const struct val *first_env; /* the first env.jobs entry or NULL */
	const struct val *global_env;
	const struct val *global_env_key; /* root global_env */
};

/* Ruby's truthiness: not absent, nil or false. */
static inline bool matrix_truthy(const struct val *v)
{
	return v && v->type != VAL_NULL && !(v->type == VAL_BOOL && !v->b);
}

/* Ruby's Array(): a seq's items, or the value alone. */
static inline size_t matrix_wrap_len(const struct val *v)
{
	return v->type == VAL_SEQ ? v->seq.n : 1;
}

static inline const struct val *matrix_wrap_at(const struct val *v, size_t i)
{
	return v->type == VAL_SEQ ? v->seq.v[i] : v;
}
/* Whether one of the first `n` items of `seq` equals `v`. */
bool matrix_seq_has(const struct val *seq, size_t n, const struct val *v);
/* Ruby's Array#uniq: drop later duplicates. */
void matrix_seq_uniq(struct val *seq);
/* Entries of jobs.include or jobs.exclude: maps, nested lists flattened. */
void matrix_collect_maps(struct flat *f, const struct val *v);

/* Drop the keys the job's language, os or arch does not support. */
void matrix_without_unsupported(struct val *job);
/* Exclude, unsupported keys, uniq, `if:`. */
void matrix_filter(struct matrix *m, struct val *jobs);

#endif
