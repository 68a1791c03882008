/*
 * norm_change.c: the first pass of the normaliser (travis-yml's
 * Doc::Change).  It repairs the structure of the config against the
 * schema: casts, lists from scalars, prefix keys, env var strings, cache
 * and notification forms, enum aliases; the keys of maps (aliases and
 * typos) are norm_key.c's.
 */
#include "compat.h"

#include "buf.h"
#include "envvar.h"
#include "norm_priv.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

/* --- small helpers --- */

static struct val *wrap_seq(struct val *v)
{
	struct val *seq = val_at(val_seq(), v->line, v->col);

	val_seq_push(seq, v);
	return seq;
}

void norm_map_put(struct val *map, const char *key, int line, struct val *v)
{
	struct val_pair *p = val_map_pair(map, key);

	if (p) {
		val_free(p->v);
		p->v = v;
		p->line = line;
		return;
	}
	val_map_set_at(map, key, line, -1, v);
}

struct val_pair norm_map_take_at(struct val *map, size_t i)
{
	struct val_pair p = map->map.v[i];

	memmove(map->map.v + i, map->map.v + i + 1,
		(map->map.n - i - 1) * sizeof(*map->map.v));
	map->map.n--;
	return p;
}

static bool schema_known(const struct schema *s, const char *key)
{
	if (schema_r_key(key))
		return false;
	return schema_child(s, key) || schema_key_alias(s, key);
}

/* --- pick, wrap, flatten, casts --- */

/*
 * travis-yml changes strings in place (downcase, enum aliases) unless a
 * cast made a new value first, so a trial change of a scalar that kept
 * its type leaves the scalar changed.  Is `t` such a result of `orig`?
 */
static bool in_place(struct val *orig, const struct val *t)
{
	return norm_is_scalar(orig) && norm_vtype(orig) != VT_NONE &&
	       norm_vtype(orig) == norm_vtype(t);
}

/* A seq where one value is expected: use its first item. */
static struct val *pick(struct norm *n, const struct schema *s, struct val *v,
			const struct nctx *c)
{
	struct val *first;

	if (norm_vtype(v) != VT_SEQ || !norm_given(v) || norm_matches(s, v))
		return v;
	first = v->seq.v[0];
	if (s->type == SCHEMA_SEQ) {
		if (!norm_matches(s, first))
			return v;
	} else {
		struct nctx sc = *c, ic;
		struct val *t;
		bool ok;

		sc.seq = true;
		ic = nctx_item(&sc, NULL);
		t = norm_change(n, s, val_dup(first), &ic);
		ok = norm_matches(s, t) ||
		     (schema_is_scalar(s) && norm_is_scalar(first));
		if (in_place(first, t)) {
			val_free(first);
			v->seq.v[0] = first = t;
			t = NULL;
		}
		val_free(t);
		if (!ok)
			return v;
	}
	norm_msg(n, c, v, MSG_WARN, "unexpected_seq", -1, "value",
		 val_dup(first), NULL);
	first = val_seq_take(v, 0);
	val_free(v);
	return first;
}

static void flatten_into(struct val *out, struct val *v)
{
	if (v->type != VAL_SEQ) {
		val_seq_push(out, v);
		return;
	}
	for (size_t i = 0; i < v->seq.n; i++)
		flatten_into(out, v->seq.v[i]);
	v->seq.n = 0;
	val_free(v);
}

/* Rebuilt values lose the lines of their keys, as in travis-yml. */
static void forget_lines(struct val *v)
{
	if (v->type == VAL_SEQ) {
		for (size_t i = 0; i < v->seq.n; i++)
			forget_lines(v->seq.v[i]);
	} else if (v->type == VAL_MAP) {
		for (size_t i = 0; i < v->map.n; i++) {
			v->map.v[i].line = -1;
			forget_lines(v->map.v[i].v);
		}
	}
}

static struct val *flatten(struct val *v)
{
	struct val *out;
	bool nested = false;

	if (v->type != VAL_SEQ)
		return v;
	for (size_t i = 0; i < v->seq.n && !nested; i++)
		nested = v->seq.v[i]->type == VAL_SEQ;
	if (!nested)
		return v;
	out = val_at(val_seq(), v->line, v->col);
	flatten_into(out, v);
	forget_lines(out);
	return out;
}

static struct val *cast(const struct schema *s, struct val *v)
{
	enum vtype t = norm_vtype(v);
	struct val *c;

	if (!norm_is_scalar(v) || !norm_given(v) || s->type == SCHEMA_SECURE)
		return v;
	if (norm_schema_is(s, t))
		return v;
	c = norm_cast(v, s->type);
	if (!c)
		return v;
	val_at(c, v->line, v->col);
	val_free(v);
	return c;
}

static void set_str(struct val *v, const char *s)
{
	char *copy = xstrdup(s);

	free(v->str.s);
	v->str.s = copy;
	v->str.len = strlen(copy);
}

static struct val *downcase(struct norm *n, const struct schema *s,
			    struct val *v, const struct nctx *c)
{
	char *low;

	if (s->type != SCHEMA_STR || !(s->flags & SCHEMA_DOWNCASE) ||
	    norm_vtype(v) != VT_STR || !norm_given(v))
		return v;
	low = xstrdup(v->str.s);
	for (char *p = low; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (strcmp(low, v->str.s)) {
		norm_msg(n, c, v, MSG_INFO, "downcase", -1, "value",
			 val_str(v->str.s), NULL);
		set_str(v, low);
	}
	free(low);
	return v;
}

/* --- enum values --- */

static bool value_known(const struct schema *s, const struct val *v)
{
	return v->type == VAL_STR && schema_value_find(s, v->str.s, false);
}

/* A value the enum knows, among the first word, the word characters. */
static const char *clean_value(const struct schema *s, const char *str)
{
	struct buf word = BUF_INIT, all = BUF_INIT, letters = BUF_INIT;
	const char *p = str, *res = NULL;
	const struct schema_value *f;

	for (const char *q = str; *q; q++) {
		unsigned char ch = (unsigned char)*q;

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '_')
			buf_addch(&all, ch);
		else if (ch >= 'A' && ch <= 'Z')
			buf_addch(&all, ch - 'A' + 'a');
	}
	while (*p && strchr(" \t\n\v\f\r", *p))
		p++;
	while (*p && !strchr(" \t\n\v\f\r", *p))
		buf_addch(&word, *p++);
	for (size_t i = 0; i < word.len; i++)
		if (word.ptr[i] >= 'a' && word.ptr[i] <= 'z')
			buf_addch(&letters, word.ptr[i]);
	f = schema_value_find(s, word.ptr, false);
	if (!f)
		f = schema_value_find(s, all.ptr, false);
	if (!f)
		f = schema_value_find(s, letters.ptr, false);
	if (f)
		res = f->str;
	buf_release(&word);
	buf_release(&all);
	buf_release(&letters);
	return res;
}

static struct val *fix_value(struct norm *n, const struct schema *s,
			     struct val *v, const struct nctx *c)
{
	const char **strs;
	const char *m;

	if (strchr(v->str.s, '\n')) {
		char *first = xmemdupz(v->str.s, strcspn(v->str.s, "\n"));

		norm_msg(n, c, v, MSG_WARN, "clean_value", -1, "original",
			 val_str(v->str.s), "value", val_str(first), NULL);
		set_str(v, first);
		free(first);
	}
	if (value_known(s, v))
		return v;
	strs = xmalloc(st_mult(s->nvalues, sizeof(*strs)));
	for (size_t i = 0; i < s->nvalues; i++)
		strs[i] = s->values[i].str;
	m = norm_match(strs, s->nvalues, v->str.s, true);
	free(strs);
	if (m) {
		norm_msg(n, c, v, MSG_WARN, "find_value", -1, "original",
			 val_str(v->str.s), "value", val_str(m), NULL);
		set_str(v, m);
		return v;
	}
	m = clean_value(s, v->str.s);
	if (m) {
		norm_msg(n, c, v, MSG_WARN, "clean_value", -1, "original",
			 val_str(v->str.s), "value", val_str(m), NULL);
		set_str(v, m);
	}
	return v;
}

static struct val *enum_value(struct norm *n, const struct schema *s,
			      struct val *v, const struct nctx *c)
{
	const struct schema_value *a;

	if (!s->nvalues || v->type != VAL_STR || value_known(s, v))
		return v;
	a = schema_value_alias(s, v->str.s);
	if (a) {
		norm_msg(n, c, v, MSG_INFO, "alias_value", -1, "alias",
			 val_str(v->str.s), "value", val_str(a->str), NULL);
		set_str(v, a->str);
		if (value_known(s, v))
			return v;
	}
	return fix_value(n, s, v, c);
}

static struct val *change_scalar(struct norm *n, const struct schema *s,
				 struct val *v, const struct nctx *c)
{
	v = pick(n, s, v, c);
	v = cast(s, v);
	v = downcase(n, s, v, c);
	return enum_value(n, s, v, c);
}

/* --- cache --- */

static bool strs_has(const struct schema_strs *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

static struct val *cache_str(const struct schema *s, const char *str)
{
	struct val *m = val_map();

	if (strs_has(&s->bool_keys, str)) {
		val_map_set(m, str, val_bool(true));
	} else {
		struct val *dirs = val_seq();

		val_seq_push(dirs, val_str(str));
		val_map_set(m, "directories", dirs);
	}
	return m;
}

/* travis-yml's deep merge: maps merge, lists concatenate uniquely. */
static struct val *deep_merge(struct val *l, struct val *r)
{
	if (l->type == VAL_MAP && r->type == VAL_MAP) {
		for (size_t i = 0; i < r->map.n; i++) {
			struct val_pair *p = &r->map.v[i];
			struct val_pair *q = val_map_pair(l, p->key);

			if (q)
				q->v = deep_merge(q->v, p->v);
			else
				val_map_set_at(l, p->key, p->line, p->col,
					       p->v);
			p->v = NULL;
		}
		val_free(r);
		return l;
	}
	if (l->type == VAL_SEQ && r->type == VAL_SEQ) {
		for (size_t i = 0; i < r->seq.n; i++) {
			bool dup = false;

			for (size_t j = 0; j < l->seq.n && !dup; j++)
				dup = val_equal(l->seq.v[j], r->seq.v[i]);
			if (dup)
				val_free(r->seq.v[i]);
			else
				val_seq_push(l, r->seq.v[i]);
		}
		r->seq.n = 0;
		val_free(r);
		return l;
	}
	val_free(l);
	return r;
}

static struct val *cache_items(const struct schema *s, struct val *acc,
			       const struct val *v)
{
	if (v->type == VAL_SEQ) {
		for (size_t i = 0; i < v->seq.n; i++)
			acc = cache_items(s, acc, v->seq.v[i]);
		return acc;
	}
	if (v->type == VAL_MAP) {
		for (size_t i = 0; i < v->map.n; i++) {
			struct val *m = val_map();
			const char *k = v->map.v[i].key;
			int line = v->map.v[i].line;

			if (strs_has(&s->bool_keys, k))
				val_map_set_at(m, k, line, -1, val_bool(true));
			else
				val_map_set_at(m, k, line, -1,
					       val_dup(v->map.v[i].v));
			acc = deep_merge(acc, m);
		}
		return acc;
	}
	if (v->type == VAL_STR) {
		acc = deep_merge(acc, cache_str(s, v->str.s));
	} else {
		struct val *m = val_map(), *dirs = val_seq();

		val_seq_push(dirs, val_dup(v));
		val_map_set(m, "directories", dirs);
		acc = deep_merge(acc, m);
	}
	return acc;
}

static struct val *cache(struct norm *n, const struct schema *s, struct val *v,
			 const struct nctx *c)
{
	struct val *res;

	if (v->type == VAL_STR) {
		const char *m = norm_match(s->bool_keys.v, s->bool_keys.n,
					   v->str.s, true);

		if (m && strcmp(m, v->str.s))
			norm_msg(n, c, v, MSG_INFO, "find_value", -1,
				 "original", val_str(v->str.s), "value",
				 val_str(m), NULL);
		res = cache_str(s, m ? m : v->str.s);
	} else {
		res = cache_items(s, val_map(), v);
	}
	val_at(res, v->line, v->col);
	val_free(v);
	return res;
}

/* --- enable --- */

/* Doc::Cast to bool of a raw value: 1, 0, or -1 for "not a bool". */
static int cast_bool(const struct val *v, struct val **other)
{
	struct val *c;

	*other = NULL;
	switch (norm_vtype(v)) {
	case VT_NONE:
		return 0;
	case VT_BOOL:
		return v->b;
	case VT_STR:
		c = norm_cast(v, SCHEMA_BOOL);
		if (c) {
			int b = c->b;

			val_free(c);
			return b;
		}
		*other = val_dup(v);
		return -1;
	case VT_NUM:
		*other = val_dup(v);
		return -1;
	case VT_SECURE:
	case VT_SEQ:
	case VT_MAP:
		return 1;
	}
	return -1;
}

static bool empty_node(const struct val *v)
{
	switch (v->type) {
	case VAL_STR:
		return !v->str.len;
	case VAL_SEQ:
		return !v->seq.n;
	case VAL_MAP:
		return !v->map.n;
	case VAL_NULL:
	case VAL_BOOL:
	case VAL_NUM:
	case VAL_SECURE:
		return false;
	}
	return false;
}

static struct val *enable(const struct schema *s, struct val *v)
{
	enum vtype t = norm_vtype(v);
	struct val *other;
	int b;

	if (schema_child(s, "enabled") && norm_is_scalar(v) && t != VT_NONE &&
	    (t == VT_BOOL || (t == VT_STR && (!strcmp(v->str.s, "yes") ||
					      !strcmp(v->str.s, "no"))))) {
		struct val *m = val_at(val_map(), v->line, v->col);

		b = cast_bool(v, &other);
		val_map_set_at(m, "enabled", -1, -1,
			       b < 0 ? other : val_bool(b));
		val_free(v);
		v = m;
		t = VT_MAP;
	}
	if (t != VT_MAP || val_map_index(v, "disabled") < 0)
		return v;
	{
		struct val *en = val_map_get(v, "enabled");
		struct val *res;

		if (en) {
			b = cast_bool(en, &other);
			res = b < 0 ? other : val_bool(b);
		} else {
			b = cast_bool(val_map_get(v, "disabled"), &other);
			/* Ruby's `!`: only nil and false are false. */
			if (b < 0)
				res = val_bool(false);
			else
				res = val_bool(!b);
			val_free(other);
		}
		{
			struct val_pair *p = val_map_pair(v, "enabled");

			norm_map_put(v, "enabled", p ? p->line : -1, res);
		}
		val_map_del(v, "disabled");
		for (size_t i = v->map.n; i-- > 0;)
			if (empty_node(v->map.v[i].v))
				val_map_del_at(v, i);
	}
	return v;
}

/* --- prefix --- */

static struct val *prefix(struct norm *n, const struct schema *s, struct val *v,
			  const struct nctx *c)
{
	enum vtype t = norm_vtype(v);
	struct val *other;

	if (t == VT_MAP && val_map_index(v, s->prefix) >= 0)
		return v;
	if ((s->prefix_only & SCHEMA_PREFIX_STR) && t != VT_STR)
		return v;
	if (!norm_given(v))
		return v;
	other = val_at(val_map(), v->line, v->col);
	if (t == VT_MAP) {
		struct val *rest = val_map();
		bool all_known = true;

		for (size_t i = 0; i < v->map.n && all_known; i++)
			all_known = schema_known(s, v->map.v[i].key);
		if (all_known) {
			val_free(other);
			val_free(rest);
			return v;
		}
		val_map_set_at(other, s->prefix, -1, -1, rest);
		for (size_t i = 0; i < v->map.n; i++) {
			const struct val_pair *p = &v->map.v[i];
			struct val *target =
				schema_child(s, p->key) ? other : rest;

			val_map_set_at(target, p->key, p->line, p->col,
				       val_dup(p->v));
		}
	} else {
		/* A new key: it has no line. */
		val_map_set_at(other, s->prefix, -1, -1, val_dup(v));
	}
	if (!norm_matches(s, other))
		other = norm_change(n, s, other, c);
	if (norm_matches(s, other)) {
		val_free(v);
		return other;
	}
	val_free(other);
	return v;
}

/* --- inherit --- */

static void inherit_into(const struct schema *s, const struct val *from,
			 struct val *m)
{
	for (size_t i = 0; i < from->map.n; i++) {
		const struct val_pair *p = &from->map.v[i];

		if (!strs_has(&s->inherit, p->key) ||
		    val_map_index(m, p->key) >= 0)
			continue;
		val_map_set_at(m, p->key, p->line, p->col, val_dup(p->v));
	}
}

static struct val *inherit(struct norm *n, const struct schema *s,
			   struct val *v, const struct nctx *c)
{
	/*
	 * Children inherit the keys as given.  travis-yml changes a string
	 * in place, so a string changed before a child is inherited changed.
	 */
	struct val *from = val_dup(v);

	for (size_t i = 0; i < v->map.n; i++) {
		struct val_pair *p = &v->map.v[i];
		enum vtype t = norm_vtype(p->v);

		if (t != VT_MAP && t != VT_SEQ) {
			const struct schema *cs = schema_child(s, p->key);

			if (cs) {
				struct nctx cc =
					nctx_child(c, p->key, p->line, NULL);

				p->v = norm_change(n, cs, p->v, &cc);
				if (t == VT_STR && p->v->type == VAL_STR)
					val_map_set(from, p->key,
						    val_dup(p->v));
			}
			t = norm_vtype(p->v);
		}
		if (t == VT_MAP) {
			inherit_into(s, from, p->v);
		} else if (t == VT_SEQ) {
			for (size_t j = 0; j < p->v->seq.n; j++)
				if (norm_vtype(p->v->seq.v[j]) == VT_MAP)
					inherit_into(s, from, p->v->seq.v[j]);
		}
	}
	val_free(from);
	for (size_t i = 0; i < s->inherit.n; i++)
		val_map_del(v, s->inherit.v[i]);
	return v;
}

/* --- env vars --- */

/* An env var string as a map (sh_vars); {} when it does not parse. */
static struct val *parse_env(struct norm *n, const struct nctx *c,
			     const struct val *on, bool *failed)
{
	struct val *vars = NULL;

	*failed = false;
	if (!on->str.len)
		return val_map();
	if (envvar_parse(&vars, on->str.s) < 0) {
		norm_msg(n, c, on, MSG_ERROR, "invalid_env_var", -1, "var",
			 val_str(on->str.s), NULL);
		*failed = true;
		return val_map();
	}
	return vars ? vars : val_map();
}

static void env_item(struct norm *n, const struct nctx *c, struct val *out,
		     struct val *item)
{
	bool failed;

	switch (norm_vtype(item)) {
	case VT_SEQ:
		for (size_t i = 0; i < item->seq.n; i++)
			env_item(n, c, out, item->seq.v[i]);
		item->seq.n = 0;
		val_free(item);
		return;
	case VT_STR:
		val_seq_push(out, val_at(parse_env(n, c, item, &failed),
					 item->line, item->col));
		val_free(item);
		return;
	case VT_NONE:
		val_free(item);
		val_seq_push(out, val_map());
		return;
	case VT_BOOL:
		if (!item->b) {
			val_free(item);
			val_seq_push(out, val_map());
			return;
		}
		val_seq_push(out, item);
		return;
	case VT_NUM:
	case VT_SECURE:
	case VT_MAP:
		val_seq_push(out, item);
		return;
	}
}

static struct val *env_vars(struct norm *n, struct val *v, const struct nctx *c)
{
	struct val *out;
	bool failed;

	switch (norm_vtype(v)) {
	case VT_MAP:
		return wrap_seq(v);
	case VT_SEQ: {
		struct nctx sc = *c, ic;

		sc.seq = true;
		ic = nctx_item(&sc, NULL);
		out = val_at(val_seq(), v->line, v->col);
		for (size_t i = 0; i < v->seq.n; i++)
			env_item(n, &ic, out, v->seq.v[i]);
		v->seq.n = 0;
		val_free(v);
		return out;
	}
	case VT_STR:
		out = parse_env(n, c, v, &failed);
		val_at(out, v->line, v->col);
		val_free(v);
		return failed ? wrap_seq(out) : out;
	case VT_NONE:
	case VT_BOOL:
	case VT_NUM:
	case VT_SECURE:
		return v;
	}
	return v;
}

/* --- the walk --- */

static struct val *change_seq(struct norm *n, const struct schema *s,
			      struct val *v, const struct nctx *c)
{
	if (s->changes & SCHEMA_CH_ENV_VARS)
		v = env_vars(n, v, c);
	v = flatten(v);
	v = pick(n, s, v, c);
	if (v->type != VAL_SEQ)
		v = wrap_seq(v);
	if (s->items) {
		struct nctx sc = *c;

		sc.seq = true;
		for (size_t i = 0; i < v->seq.n; i++) {
			struct nctx ic = nctx_item(&sc, NULL);

			v->seq.v[i] =
				norm_change(n, s->items, v->seq.v[i], &ic);
		}
	}
	return v;
}

static struct val *change_map(struct norm *n, const struct schema *s,
			      struct val *v, const struct nctx *c)
{
	enum vtype t = norm_vtype(v);

	if (schema_strict(s) && t == VT_MAP)
		v = norm_keys(n, s, v, c);
	if ((s->changes & SCHEMA_CH_CACHE) && (t == VT_STR || t == VT_SEQ))
		v = cache(n, s, v, c);
	if (s->changes & SCHEMA_CH_ENABLE)
		v = enable(s, v);
	if (s->prefix)
		v = prefix(n, s, v, c);
	v = pick(n, s, v, c);
	if ((s->changes & SCHEMA_CH_INHERIT) && norm_vtype(v) == VT_MAP)
		v = inherit(n, s, v, c);
	if (norm_vtype(v) != VT_MAP)
		return v;
	for (size_t i = 0; i < v->map.n; i++) {
		struct val_pair *p = &v->map.v[i];
		const struct schema *cs = schema_child(s, p->key);
		struct nctx cc;

		if (!cs && !schema_strict(s))
			cs = s->pattern;
		if (!cs)
			continue;
		cc = nctx_child(c, p->key, p->line, NULL);
		p->v = norm_change(n, cs, p->v, &cc);
	}
	return v;
}

static struct val *change_any(struct norm *n, const struct schema *s,
			      struct val *v, const struct nctx *c)
{
	const struct schema *list[64];
	bool detected;
	size_t k = norm_select(s, v, list, ARRAY_SIZE(list), &detected);

	if (!k)
		return v;
	if (detected) {
		struct nctx dc = *c;

		dc.detected = s->detect;
		return norm_change(n, list[0], v, &dc);
	}
	if (list[0]->flags & SCHEMA_NORMAL)
		return norm_change(n, list[0], v, c);
	for (size_t i = 0; i < k; i++) {
		struct val *other = norm_change(n, list[i], val_dup(v), c);

		if (norm_matches(list[i], other)) {
			val_free(v);
			return other;
		}
		if (in_place(v, other)) {
			val_free(v);
			v = other;
		} else {
			val_free(other);
		}
	}
	return v;
}

struct val *norm_change(struct norm *n, const struct schema *s, struct val *v,
			const struct nctx *c)
{
	switch (s->type) {
	case SCHEMA_ANY:
		return change_any(n, s, v, c);
	case SCHEMA_SEQ:
		return change_seq(n, s, v, c);
	case SCHEMA_MAP:
		return change_map(n, s, v, c);
	case SCHEMA_STR:
	case SCHEMA_NUM:
	case SCHEMA_BOOL:
	case SCHEMA_SECURE:
		return change_scalar(n, s, v, c);
	}
	return v;
}
