/*
 * cond_eval.c: the evaluator of Travis `if:` conditions (v1), following
 * travis-conditions' Eval and Data classes.
 *
 * Values are Ruby's: nil, true, false, strings, numbers, and collections
 * from the data.  Every evaluated node is "cast": a string whose lower
 * case is "true" or "false" becomes that boolean.  Only nil and false are
 * false.  Evaluation errors (an invalid regex, a call with bad arguments,
 * `IN` without a list) are FY_EINVALID.
 */
#include "compat.h"

#include "buf.h"
#include "cond.h"
#include "cond_tree.h"
#include "envvar.h"
#include "error.h"
#include "json.h"
#include "regex.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

enum cv_type {
	CV_NIL,
	CV_FALSE,
	CV_TRUE,
	CV_STR,
	CV_NUM,	  /* a number from the data: `s` is its literal */
	CV_OTHER, /* a list or map from the data: `v` */
	CV_REGEX, /* a compiled pattern: `re` */
	CV_MATCH, /* the truthy result of a match */
};

struct cv {
	enum cv_type type;
	const char *s;
	size_t len;
	const struct val *v;
	struct regex *re;
};

/* One evaluation: the data, its env map and what the values borrow. */
struct ectx {
	const struct val *data;
	struct val *env;  /* normalised env vars, built on first use */
	bool env_broken;  /* env given as one string: lookups fail */
	struct svec strs; /* strings made during evaluation */
	struct regex **res;
	size_t nres, ares;
};

static int ev(struct ectx *x, const struct cond_node *n, struct cv *out);

static bool cv_truthy(const struct cv *v)
{
	return v->type != CV_NIL && v->type != CV_FALSE;
}

static void cv_bool(struct cv *v, bool b)
{
	memset(v, 0, sizeof(*v));
	v->type = b ? CV_TRUE : CV_FALSE;
}

static void cv_str(struct cv *v, const char *s, size_t len)
{
	memset(v, 0, sizeof(*v));
	v->type = CV_STR;
	v->s = s;
	v->len = len;
}

/* A string the context keeps until the evaluation ends. */
static const char *ectx_keep(struct ectx *x, char *s)
{
	svec_push_nodup(&x->strs, s);
	return s;
}

/* Ruby's cast: "true"/"false" in any case become booleans. */
static void cv_cast(struct cv *v)
{
	if (v->type != CV_STR)
		return;
	if (v->len == 4 && !strncasecmp(v->s, "true", 4))
		cv_bool(v, true);
	else if (v->len == 5 && !strncasecmp(v->s, "false", 5))
		cv_bool(v, false);
}

/* A value from the data (borrowed), cast. */
static void cv_from_val(struct ectx *x, struct cv *out, const struct val *v)
{
	memset(out, 0, sizeof(*out));
	switch (v ? v->type : VAL_NULL) {
	case VAL_NULL:
		out->type = CV_NIL;
		return;
	case VAL_BOOL:
		cv_bool(out, v->b);
		return;
	case VAL_NUM:
		out->type = CV_NUM;
		out->s = v->str.s;
		out->len = v->str.len;
		return;
	case VAL_STR:
		cv_str(out, v->str.s, v->str.len);
		cv_cast(out);
		return;
	case VAL_SECURE:
	case VAL_SEQ:
	case VAL_MAP:
		out->type = CV_OTHER;
		out->v = v;
		return;
	}
	(void)x;
}

/*
 * Ruby's to_s; false for nil (which has no string in `=~`).  Lists and
 * maps give their JSON, where Ruby would give its inspect form.
 */
static bool cv_to_s(struct ectx *x, const struct cv *v, const char **s,
		    size_t *len)
{
	char *json;

	switch (v->type) {
	case CV_NIL:
		return false;
	case CV_FALSE:
	case CV_TRUE:
		*s = v->type == CV_TRUE ? "true" : "false";
		*len = strlen(*s);
		return true;
	case CV_STR:
	case CV_NUM:
		*s = v->s;
		*len = v->len;
		return true;
	case CV_OTHER:
		json = json_dump(v->v, 0);
		*s = ectx_keep(x, json);
		*len = strlen(json);
		return true;
	case CV_REGEX:
		*s = regex_source(v->re);
		*len = strlen(*s);
		return true;
	case CV_MATCH:
		*s = "0";
		*len = 1;
		return true;
	}
	BUG("bad value type %d", (int)v->type);
}

static bool cv_num_equal(const struct cv *a, const struct cv *b)
{
	char *ea, *eb;
	double da, db;

	if (a->len == b->len && !memcmp(a->s, b->s, a->len))
		return true;
	da = strtod(a->s, &ea);
	db = strtod(b->s, &eb);
	return ea != a->s && eb != b->s && !*ea && !*eb && da == db;
}

/* Ruby's ==. */
static bool cv_equal(const struct cv *a, const struct cv *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case CV_NIL:
	case CV_FALSE:
	case CV_TRUE:
		return true;
	case CV_STR:
		return a->len == b->len && !memcmp(a->s, b->s, a->len);
	case CV_NUM:
		return cv_num_equal(a, b);
	case CV_OTHER:
		return val_equal(a->v, b->v);
	case CV_REGEX:
	case CV_MATCH:
		return false;
	}
	BUG("bad value type %d", (int)a->type);
}

/* IS present: non-empty if it has a length, else truthy. */
static bool cv_present(const struct cv *v)
{
	switch (v->type) {
	case CV_STR:
		return v->len > 0;
	case CV_OTHER:
		if (v->v->type == VAL_SEQ)
			return v->v->seq.n > 0;
		if (v->v->type == VAL_MAP)
			return v->v->map.n > 0;
		return true;
	default:
		return cv_truthy(v);
	}
}

/*
 * Ruby's /^(["'])(.*)\1$/ =~ s && $2 || s (the first line wrapped in one
 * kind of quote), then the cast, as Data#parse does for env strings.
 */
static struct val *env_value(const char *s)
{
	char *u = envvar_unquote(s);

	if (!strcasecmp(u, "true") || !strcasecmp(u, "false")) {
		bool b = !strcasecmp(u, "true");

		free(u);
		return val_bool(b);
	}
	return val_str_take(u);
}

/* Parse one env string into `env` (Data#parse: unparsable means none). */
static void env_add_string(struct val *env, const char *s)
{
	struct val *vars = NULL;

	if (envvar_parse(&vars, s) < 0)
		return;
	for (size_t i = 0; i < vars->map.n; i++)
		val_map_set(env, vars->map.v[i].key,
			    env_value(val_strv(vars->map.v[i].v)));
	val_free(vars);
}

/* Data#to_h for one entry of an env list (recursing into lists). */
static void env_add(struct val *env, const struct val *v, int depth)
{
	const char *text;

	if (depth > 64)
		return;
	switch (v->type) {
	case VAL_MAP:
		for (size_t i = 0; i < v->map.n; i++)
			val_map_set(env, v->map.v[i].key,
				    val_dup(v->map.v[i].v));
		return;
	case VAL_SECURE:
		/* A `secure:` entry is the map {secure: ...} upstream. */
		val_map_set(env, "secure", val_str(v->str.s));
		return;
	case VAL_SEQ:
		for (size_t i = 0; i < v->seq.n; i++)
			env_add(env, v->seq.v[i], depth + 1);
		return;
	case VAL_NULL:
		return;
	case VAL_BOOL:
	case VAL_NUM:
	case VAL_STR:
		text = val_text(v);
		env_add_string(env, text);
		return;
	}
}

/* Data#normalize_env, once per evaluation. */
static void ectx_env(struct ectx *x)
{
	const struct val *env;

	if (x->env || x->env_broken)
		return;
	env = val_is(x->data, VAL_MAP) ? val_map_get(x->data, "env") : NULL;
	if (val_is(env, VAL_BOOL) && !env->b)
		env = NULL; /* `env || {}` */
	if (env && env->type != VAL_NULL && env->type != VAL_MAP &&
	    env->type != VAL_SEQ && env->type != VAL_SECURE) {
		/* Upstream keeps a list of pairs and then indexes it by name. */
		x->env_broken = true;
		return;
	}
	x->env = val_map();
	if (env)
		env_add(x->env, env, 0);
}

/* gsub(/^(["'])(.*)\1$/, '\2'): one pair of quotes off every line. */
static void unquote_lines(struct ectx *x, struct cv *out, const char *s,
			  size_t len)
{
	struct buf b = BUF_INIT;
	size_t n;

	while (len) {
		const char *nl = memchr(s, '\n', len);
		size_t line = nl ? (size_t)(nl - s) : len;

		if (line >= 2 && (s[0] == '"' || s[0] == '\'') &&
		    s[line - 1] == s[0])
			buf_add(&b, s + 1, line - 2);
		else
			buf_add(&b, s, line);
		if (!nl)
			break;
		buf_addch(&b, '\n');
		s += line + 1;
		len -= line + 1;
	}
	n = b.len;
	cv_str(out, ectx_keep(x, buf_detach(&b, NULL)), n);
}

/* env(NAME): the value without one pair of quotes on each line. */
static int ev_env(struct ectx *x, const struct cv *args, size_t n,
		  struct cv *out)
{
	const struct val *v;
	const char *key;

	if (n > 1)
		return err_set(FY_EINVALID,
			       "env() takes one argument, %zu given", n);
	ectx_env(x);
	if (x->env_broken)
		return err_set(FY_EINVALID,
			       "env() needs env data as a list or a map");
	if (!n || args[0].type == CV_NIL) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (args[0].type != CV_STR)
		return err_set(FY_EINVALID, "env() needs a name, not '%s'",
			       args[0].type == CV_TRUE	  ? "true"
			       : args[0].type == CV_FALSE ? "false"
							  : "a value");
	key = ectx_keep(x, xmemdupz(args[0].s, args[0].len));
	v = val_map_get(x->env, key);
	if (val_is(v, VAL_STR)) {
		unquote_lines(x, out, v->str.s, v->str.len);
		return 0;
	}
	cv_from_val(x, out, v);
	return 0;
}

static int ev_call(struct ectx *x, const struct cond_node *n, struct cv *out)
{
	struct cv *args = xcalloc(n->nitems ? n->nitems : 1, sizeof(*args));
	int err = 0;

	for (size_t i = 0; i < n->nitems && !err; i++)
		err = ev(x, n->items[i], &args[i]);
	if (err < 0)
		goto out;
	if (!strcasecmp(n->str, "env")) {
		err = ev_env(x, args, n->nitems, out);
	} else {
		struct buf b = BUF_INIT;

		for (size_t i = 0; i < n->nitems; i++) {
			const char *s;
			size_t len;

			if (cv_to_s(x, &args[i], &s, &len))
				buf_add(&b, s, len);
		}
		cv_str(out, NULL, b.len);
		out->s = ectx_keep(x, buf_detach(&b, NULL));
	}
out:
	free(args);
	return err;
}

/* [:reg, x]: nil or false give no pattern; other non-strings fail. */
static int ev_reg(struct ectx *x, const struct cond_node *n, struct cv *out)
{
	struct cv src;
	struct regex *re = NULL;
	int err;

	if (n->lft) {
		err = ev(x, n->lft, &src);
		if (err < 0)
			return err;
	} else {
		cv_str(&src, n->str, n->len);
		cv_cast(&src);
	}
	memset(out, 0, sizeof(*out));
	if (src.type == CV_NIL || src.type == CV_FALSE)
		return 0;
	if (src.type != CV_STR)
		return err_set(FY_EINVALID,
			       "a regular expression must be a string");
	if (memchr(src.s, '\0', src.len))
		return err_set(FY_EINVALID, "invalid regular expression: "
					    "it contains a NUL byte");
	err = regex_compile(&re, src.s, 0);
	if (err < 0)
		return err;
	XGROW(x->res, x->ares, x->nres + 1);
	x->res[x->nres++] = re;
	out->type = CV_REGEX;
	out->re = re;
	return 0;
}

/* `lft =~ rgt`: both sides are evaluated before nil is checked. */
static int ev_match(struct ectx *x, const struct cond_node *n, bool *res)
{
	struct cv lft, rgt;
	const char *s;
	size_t len;
	int err;

	err = ev(x, n->lft, &lft);
	if (!err)
		err = n->rgt ? ev(x, n->rgt, &rgt) : 0;
	if (err < 0)
		return err;
	if (!n->rgt)
		memset(&rgt, 0, sizeof(rgt));
	*res = false;
	if (!cv_to_s(x, &lft, &s, &len) || rgt.type != CV_REGEX)
		return 0;
	err = regex_match(rgt.re, s, len);
	if (err < 0)
		return err_set(FY_EINVALID, "%s", err_msg());
	*res = err > 0;
	return 0;
}

/* `lft IN (list)`: the list first, then the left side. */
static int ev_in(struct ectx *x, const struct cond_node *n, bool *res)
{
	struct cv *items, lft;
	int err = 0;

	if (!n->has_list)
		return err_set(FY_EINVALID, "IN needs a list in parentheses");
	items = xcalloc(n->nitems ? n->nitems : 1, sizeof(*items));
	for (size_t i = 0; i < n->nitems && !err; i++)
		err = ev(x, n->items[i], &items[i]);
	if (!err)
		err = ev(x, n->lft, &lft);
	*res = false;
	for (size_t i = 0; !err && i < n->nitems && !*res; i++)
		*res = cv_equal(&items[i], &lft);
	free(items);
	return err;
}

static int ev_is(struct ectx *x, const struct cond_node *n, bool *res)
{
	struct cv v;
	int err = ev(x, n->lft, &v);

	if (err < 0)
		return err;
	switch (n->pred) {
	case CP_PRESENT:
		*res = cv_present(&v);
		break;
	case CP_BLANK:
		*res = !cv_present(&v);
		break;
	case CP_TRUE:
		*res = cv_truthy(&v);
		break;
	case CP_FALSE:
		*res = !cv_truthy(&v);
		break;
	}
	return 0;
}

/*
 * A chain of one operator, `((a AND b) AND c) AND d`, walked without
 * recursing on its left side, short-circuiting like Ruby's && and ||.
 */
static int ev_chain(struct ectx *x, const struct cond_node *n, bool *res)
{
	enum cond_kind kind = n->kind;
	const struct cond_node *leftmost = n, **spine;
	size_t depth = 0;
	struct cv v;
	int err;

	while (leftmost->kind == kind) {
		leftmost = leftmost->lft;
		depth++;
	}
	spine = xmalloc(st_mult(depth, sizeof(*spine)));
	leftmost = n;
	for (size_t i = depth; i--;) {
		spine[i] = leftmost;
		leftmost = leftmost->lft;
	}
	err = ev(x, leftmost, &v);
	*res = cv_truthy(&v);
	for (size_t i = 0; !err && i < depth; i++) {
		if (*res == (kind == CN_OR))
			break;
		err = ev(x, spine[i]->rgt, &v);
		*res = cv_truthy(&v);
	}
	free(spine);
	return err;
}

static int ev_bool(struct ectx *x, const struct cond_node *n, bool *res)
{
	struct cv a, b;
	int err;

	switch (n->kind) {
	case CN_OR:
	case CN_AND:
		return ev_chain(x, n, res);
	case CN_NOT:
		err = ev(x, n->lft, &a);
		*res = !cv_truthy(&a);
		return err;
	case CN_EQ:
	case CN_NOT_EQ:
		err = ev(x, n->lft, &a);
		if (!err)
			err = ev(x, n->rgt, &b);
		*res = !err && cv_equal(&a, &b) == (n->kind == CN_EQ);
		return err;
	case CN_MATCH:
	case CN_NOT_MATCH:
		err = ev_match(x, n, res);
		*res = *res == (n->kind == CN_MATCH);
		return err;
	case CN_IN:
	case CN_NOT_IN:
		err = ev_in(x, n, res);
		*res = *res == (n->kind == CN_IN);
		return err;
	case CN_IS:
	case CN_IS_NOT:
		err = ev_is(x, n, res);
		*res = *res == (n->kind == CN_IS);
		return err;
	case CN_VAL:
	case CN_VAR:
	case CN_CALL:
	case CN_REG:
		break;
	}
	BUG("node kind %d is not boolean", (int)n->kind);
}

/* Evaluate a node; the value is cast, as upstream's evl does. */
static int ev(struct ectx *x, const struct cond_node *n, struct cv *out)
{
	bool b = false;
	int err;

	memset(out, 0, sizeof(*out));
	if (!n)
		return 0;
	switch (n->kind) {
	case CN_VAL:
		cv_str(out, n->str, n->len);
		break;
	case CN_VAR:
		cv_from_val(x, out,
			    val_is(x->data, VAL_MAP)
				    ? val_map_get(x->data, n->str)
				    : NULL);
		break;
	case CN_CALL:
		err = ev_call(x, n, out);
		if (err < 0)
			return err;
		break;
	case CN_REG:
		return ev_reg(x, n, out);
	default:
		err = ev_bool(x, n, &b);
		if (err < 0)
			return err;
		cv_bool(out, b);
		return 0;
	}
	cv_cast(out);
	return 0;
}

int cond_eval(const struct cond *c, const struct val *data, bool *result)
{
	struct ectx x = { .data = data, .strs = SVEC_INIT };
	struct cv v;
	int err;

	err = ev(&x, c->root, &v);
	if (!err)
		*result = cv_truthy(&v);
	for (size_t i = 0; i < x.nres; i++)
		regex_free(x.res[i]);
	free(x.res);
	svec_release(&x.strs);
	val_free(x.env);
	return err;
}
