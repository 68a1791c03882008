/*
 * norm_validate.c: the second pass of the normaliser (travis-yml's
 * Doc::Validate).  It reports what the first pass could not repair
 * (unknown keys and values, invalid types, missing required keys,
 * deprecations, invalid conditions), adds defaults and drops empty
 * values.
 */
#include "compat.h"

#include "buf.h"
#include "cond.h"
#include "json.h"
#include "norm_priv.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

/* --- helpers --- */

static const struct nctx *parent_node(const struct nctx *c)
{
	return c->up;
}

/* The value of a base64 digit, or -1. */
static int b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* A canonical base64 string (what Ruby's strict encoding gives back). */
static bool base64_canonical(const char *s)
{
	size_t n = 0, pad = 0;
	int last = 0;

	if (!s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (is_space(*p))
			continue;
		if (*p == '=') {
			pad++;
		} else {
			if (pad || b64_digit(*p) < 0)
				return false;
			last = b64_digit(*p);
		}
		n++;
	}
	if (n % 4 || pad > 2)
		return false;
	/* The bits after the last byte must be zero. */
	if (pad == 2)
		return !(last & 0xf);
	if (pad == 1)
		return !(last & 0x3);
	return true;
}

static const char *secure_text(const struct val *v)
{
	if (v->type == VAL_SECURE)
		return v->str.s;
	if (v->type == VAL_MAP && v->map.n == 1)
		return val_strv(v->map.v[0].v);
	return NULL;
}

/* --- support (only/except against language, os, dist) --- */

struct supporting {
	const struct val *v[3]; /* language, os, dist */
};

static const char *const supporting_keys[] = { "language", "os", "dist" };

static void find_supporting(const struct nctx *c, struct supporting *sup)
{
	memset(sup, 0, sizeof(*sup));
	for (; c; c = c->up) {
		if (!c->v || c->v->type != VAL_MAP)
			continue;
		for (size_t i = 0; i < 3; i++) {
			const struct val *x;

			if (sup->v[i])
				continue;
			x = val_map_get(c->v, supporting_keys[i]);
			if (norm_given(x))
				sup->v[i] = x;
		}
	}
}

static const struct val *supporting_get(const struct supporting *sup,
					const char *key)
{
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(supporting_keys[i], key))
			return sup->v[i];
	return NULL;
}

/* Items of a supporting value (a string, or a list). */
static size_t sup_items(const struct val *v, const struct val ***items)
{
	static const struct val *one[1];

	if (!v)
		return 0;
	if (v->type == VAL_SEQ) {
		*items = (const struct val **)v->seq.v;
		return v->seq.n;
	}
	one[0] = v;
	*items = one;
	return 1;
}

static bool in_strs(const struct schema_strs *l, const struct val *v)
{
	if (v->type != VAL_STR)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], v->str.s))
			return true;
	return false;
}

static bool supported(const struct schema_cond *only,
		      const struct schema_cond *except,
		      const struct supporting *sup)
{
	for (size_t i = 0; i < only->n; i++) {
		const struct val **items;
		size_t n =
			sup_items(supporting_get(sup, only->keys[i]), &items);
		bool any_in = false, any_out = false;

		for (size_t j = 0; j < n; j++) {
			if (in_strs(&only->values[i], items[j]))
				any_in = true;
			else
				any_out = true;
		}
		if (!any_in && any_out)
			return false;
	}
	for (size_t i = 0; i < except->n; i++) {
		const struct val **items;
		size_t n =
			sup_items(supporting_get(sup, except->keys[i]), &items);
		bool any_in = false, any_out = false;

		for (size_t j = 0; j < n; j++) {
			if (in_strs(&except->values[i], items[j]))
				any_in = true;
			else
				any_out = true;
		}
		if (!any_out && any_in)
			return false;
	}
	return true;
}

/* --- validators for every type --- */

static struct val *invalid_type(struct norm *n, const struct schema *s,
				struct val *v, const struct nctx *c)
{
	enum vtype t = norm_vtype(v);

	if (!norm_given(v))
		return v;
	if (s->type == SCHEMA_SECURE && schema_strict(s) && t == VT_SECURE &&
	    !base64_canonical(secure_text(v))) {
		norm_msg(n, c, v, MSG_WARN, "invalid_secure", -1, "value",
			 val_dup(v), NULL);
		return v;
	}
	if (!norm_schema_is(s, t))
		norm_msg(n, c, v, MSG_ERROR, "invalid_type", -1, "expected",
			 val_str(norm_schema_type_name(s)), "actual",
			 val_str(norm_vtype_name(t)), "value", val_dup(v),
			 NULL);
	return v;
}

static struct val *empty(struct norm *n, const struct schema *s, struct val *v,
			 const struct nctx *c)
{
	bool secure = norm_vtype(v) == VT_SECURE;
	struct val *blank;

	if (s->type != SCHEMA_SEQ && s->type != SCHEMA_MAP && !secure)
		return v;
	if (norm_given(v))
		return v;
	if (secure) {
		char *key = norm_full_key(c, true);

		norm_msg(n, c, v, MSG_WARN, "empty", -1, "key", val_str(key),
			 NULL);
		free(key);
	}
	if (s->type == SCHEMA_SEQ)
		blank = val_seq();
	else if (s->type == SCHEMA_MAP)
		blank = val_map();
	else
		blank = val_null();
	val_at(blank, v->line, v->col);
	val_free(v);
	return blank;
}

static void flags(struct norm *n, const struct schema *s, struct val *v,
		  const struct nctx *c)
{
	if (!norm_given(v))
		return;
	if (s->flags & SCHEMA_EDGE)
		norm_msg(n, c, v, MSG_INFO, "edge", -1, NULL);
	if (s->type == SCHEMA_MAP && norm_vtype(v) == VT_MAP) {
		for (size_t i = 0; i < v->map.n; i++) {
			const struct schema *cs =
				schema_child(s, v->map.v[i].key);

			if (cs && cs->deprecated)
				norm_msg(n, c, v, MSG_WARN, "deprecated_key",
					 v->map.v[i].line, "key",
					 val_str(v->map.v[i].key), "info",
					 val_str(cs->deprecated), NULL);
		}
	}
	if (s->nvalues && v->type == VAL_STR) {
		const struct schema_value *sv =
			schema_value_find(s, v->str.s, false);

		if (sv && sv->deprecated)
			norm_msg(n, c, v, MSG_WARN, "deprecated_value", -1,
				 "value", val_str(v->str.s), "info",
				 val_str(sv->deprecated), NULL);
	}
}

/* --- seqs --- */

static bool remove_missing(struct val *v)
{
	bool any = false;

	if (v->type == VAL_SEQ) {
		for (size_t i = v->seq.n; i-- > 0;) {
			if (norm_missing(v->seq.v[i])) {
				val_seq_del(v, i);
				any = true;
			}
		}
	} else if (v->type == VAL_MAP) {
		for (size_t i = v->map.n; i-- > 0;) {
			if (norm_missing(v->map.v[i].v)) {
				val_map_del_at(v, i);
				any = true;
			}
		}
	}
	return any;
}

static void append_text(struct buf *b, const struct val *v)
{
	const char *t = val_text(v);

	if (t) {
		buf_addstr(b, t);
	} else {
		char *j = json_dump(v, 0);

		buf_addstr(b, j);
		free(j);
	}
}

/* Info on duplicate values of `unique` keys (job names). */
static void unique(struct norm *n, const struct schema *s, struct val *v,
		   const struct nctx *c)
{
	const struct schema *items = s->items;
	struct buf msg = BUF_INIT;

	if (!items || items->type != SCHEMA_MAP || !items->unique_keys.n ||
	    !norm_given(v))
		return;
	for (size_t k = 0; k < items->unique_keys.n; k++) {
		const char *key = items->unique_keys.v[k];
		struct val *seen = val_seq(), *dupes = val_seq();

		for (size_t i = 0; i < v->seq.n; i++) {
			const struct val *x;

			if (norm_vtype(v->seq.v[i]) != VT_MAP)
				continue;
			x = val_map_get(v->seq.v[i], key);
			if (x && x->type != VAL_NULL)
				val_seq_push(seen, val_dup(x));
		}
		for (size_t i = 0; i < seen->seq.n; i++) {
			size_t count = 0;
			bool listed = false;

			for (size_t j = 0; j < seen->seq.n; j++)
				count += val_equal(seen->seq.v[i],
						   seen->seq.v[j]);
			for (size_t j = 0; j < dupes->seq.n && !listed; j++)
				listed = val_equal(dupes->seq.v[j],
						   seen->seq.v[i]);
			if (count > 1 && !listed)
				val_seq_push(dupes, val_dup(seen->seq.v[i]));
		}
		if (dupes->seq.n) {
			if (msg.len)
				buf_addstr(&msg, ", ");
			buf_addf(&msg, "%s: ", key);
			for (size_t i = 0; i < dupes->seq.n; i++) {
				if (i)
					buf_addstr(&msg, ", ");
				append_text(&msg, dupes->seq.v[i]);
			}
		}
		val_free(seen);
		val_free(dupes);
	}
	if (msg.len)
		norm_msg(n, c, v, MSG_INFO, "duplicate", -1, "values",
			 val_str(msg.ptr), NULL);
	buf_release(&msg);
}

static struct val *validate_seq(struct norm *n, const struct schema *s,
				struct val *v, const struct nctx *c)
{
	if (v->type == VAL_SEQ && s->items) {
		struct nctx sc = *c;

		sc.seq = true;
		sc.v = v;
		for (size_t i = 0; i < v->seq.n;) {
			struct nctx ic = nctx_item(&sc, v->seq.v[i]);

			v->seq.v[i] =
				norm_validate(n, s->items, v->seq.v[i], &ic);
			if (v->seq.v[i]->type == VAL_NULL)
				val_seq_del(v, i);
			else
				i++;
		}
	}
	v = invalid_type(n, s, v, c);
	if (v->type == VAL_SEQ && !(s->changes & SCHEMA_CH_ENV_VARS))
		remove_missing(v);
	v = empty(n, s, v, c);
	if (v->type == VAL_SEQ)
		unique(n, s, v, c);
	flags(n, s, v, c);
	return v;
}

/* --- maps --- */

static void unique_globally(struct norm *n, const struct schema *s,
			    struct val *v, const struct nctx *c)
{
	const struct val *first;

	if (!(s->flags & SCHEMA_UNIQUE_GLOBALLY) || norm_vtype(v) != VT_MAP ||
	    !norm_given(v))
		return;
	first = v->map.v[0].v;
	if (!n->globally_used)
		n->globally_used = val_seq();
	for (size_t i = 0; i < n->globally_used->seq.n; i++) {
		if (val_equal(n->globally_used->seq.v[i], first)) {
			norm_msg(n, c, v, MSG_ERROR, "duplicate", -1, "values",
				 val_dup(n->globally_used), NULL);
			return;
		}
	}
	val_seq_push(n->globally_used, val_dup(first));
}

static bool is_anchor(const struct norm *n, const char *key)
{
	return n->anchors && svec_has(n->anchors, key);
}

static void unknown_keys(struct norm *n, const struct schema *s, struct val *v,
			 const struct nctx *c)
{
	if (norm_vtype(v) != VT_MAP || !schema_strict(s) || !norm_given(v))
		return;
	for (size_t i = 0; i < v->map.n; i++) {
		const struct val_pair *p = &v->map.v[i];

		if (norm_custom_key(p->key) || !norm_given(p->v) ||
		    schema_child(s, p->key) || !strcmp(p->key, "merge_mode"))
			continue;
		if (is_anchor(n, p->key))
			norm_msg(n, c, v, MSG_WARN, "deprecated_key", p->line,
				 "key", val_str(p->key), "info",
				 val_str("anchor on a non-private key"), NULL);
		else
			norm_msg(n, c, v, MSG_WARN, "unknown_key", p->line,
				 "key", val_str(p->key), "value", val_dup(p->v),
				 NULL);
	}
}

static void required(struct norm *n, const struct schema *s, struct val *v,
		     const struct nctx *c)
{
	if (norm_vtype(v) != VT_MAP)
		return;
	for (size_t i = 0; i < s->required.n; i++)
		if (norm_missing(val_map_get(v, s->required.v[i])))
			norm_msg(n, c, v, MSG_ERROR, "required", -1, "key",
				 val_str(s->required.v[i]), NULL);
}

static void condition(struct norm *n, const struct schema *s, struct val *v,
		      const struct nctx *c)
{
	struct val_pair *p;
	struct val *data;
	bool result;
	int err;

	if (!schema_child(s, "if") || norm_vtype(v) != VT_MAP || n->v0)
		return;
	p = val_map_pair(v, "if");
	if (!p || p->v->type != VAL_STR)
		return;
	data = val_map();
	err = cond_check(p->v->str.s, data, &result);
	val_free(data);
	if (err < 0) {
		struct nctx ic = nctx_child(c, "if", p->line, p->v);

		norm_msg(n, &ic, p->v, MSG_ERROR, "invalid_condition", -1,
			 "condition", val_dup(p->v), "message", val_null(),
			 NULL);
	}
}

static struct val *validate_map(struct norm *n, const struct schema *s,
				struct val *v, const struct nctx *c)
{
	if (norm_vtype(v) == VT_MAP) {
		struct nctx mc = *c;

		mc.v = v;
		for (size_t i = 0; i < v->map.n; i++) {
			struct val_pair *p = &v->map.v[i];
			const struct schema *cs = schema_child(s, p->key);
			struct nctx cc;

			if (!cs)
				cs = s->pattern;
			if (!cs)
				continue;
			cc = nctx_child(&mc, p->key, p->line, p->v);
			p->v = norm_validate(n, cs, p->v, &cc);
		}
	}
	v = invalid_type(n, s, v, c);
	unique_globally(n, s, v, c);
	unknown_keys(n, s, v, c);
	if (schema_strict(s) && norm_vtype(v) == VT_MAP)
		remove_missing(v);
	required(n, s, v, c);
	v = empty(n, s, v, c);
	flags(n, s, v, c);
	condition(n, s, v, c);
	return v;
}

/* --- scalars and secures --- */

static struct val *unknown_value(struct norm *n, const struct schema *s,
				 struct val *v, const struct nctx *c)
{
	bool known = false;

	if (!s->nvalues || !norm_is_scalar(v) || !norm_given(v))
		return v;
	if (v->type == VAL_STR) {
		known = schema_value_find(s, v->str.s,
					  s->flags & SCHEMA_IGNORE_CASE);
	} else if (v->type == VAL_BOOL) {
		for (size_t i = 0; i < s->nvalues && !known; i++)
			known = s->values[i].is_bool && s->values[i].b == v->b;
	}
	if (!known)
		norm_msg(n, c, v, MSG_ERROR, "unknown_value", -1, "value",
			 val_dup(v), NULL);
	return v;
}

static const struct schema_default *supported_default(const struct schema *s,
						      const struct nctx *c)
{
	struct supporting sup;

	find_supporting(c->up, &sup);
	for (size_t i = 0; i < s->ndefaults; i++) {
		const struct schema_default *d = &s->defaults[i];
		const struct schema_value *sv =
			schema_value_find(s, d->value, false);

		if (sv && (sv->only.n || sv->except.n)) {
			if (supported(&sv->only, &sv->except, &sup))
				return d;
		} else if (supported(&d->only, &d->except, &sup)) {
			return d;
		}
	}
	return NULL;
}

static struct val *set_default(struct norm *n, const struct schema *s,
			       struct val *v, const struct nctx *c)
{
	const struct schema_default *d;
	const struct nctx *target;
	struct val *res;

	if (norm_vtype(v) == VT_MAP || s->type == SCHEMA_SECURE ||
	    !s->has_default || !norm_missing(v))
		return v;
	d = supported_default(s, c);
	if (!d)
		return v;
	target = parent_node(c);
	if (target && target->seq && target->key && c->key &&
	    !strcmp(target->key, c->key))
		target = target->up;
	if (target)
		norm_msg(n, target, target->v, MSG_INFO, "default", c->line,
			 "key", c->key ? val_str(c->key) : val_null(),
			 "default", val_str(d->value), NULL);
	res = val_at(val_str(d->value), v->line, v->col);
	val_free(v);
	return res;
}

/* A reference to an env var ("$TOKEN") needs no encryption. */
static bool env_var_ref(const char *s)
{
	return s[0] == '$' && !strstr(s, ":$");
}

static void alert(struct norm *n, const struct schema *s, struct val *v,
		  const struct nctx *c)
{
	const struct nctx *up = parent_node(c);

	if (s->type != SCHEMA_SECURE || !schema_strict(s) ||
	    v->type != VAL_STR || env_var_ref(v->str.s))
		return;
	norm_msg(n, c, v, MSG_ALERT, "secure", -1, "type", val_str("str"),
		 NULL);
	if (up && up->key && !strcmp(up->key, "vault"))
		norm_msg(
			n, c, v, MSG_ERROR, "secure", -1, "message",
			val_str("The token value must be put under \"secure\" section"),
			NULL);
}

static void format(struct norm *n, const struct schema *s, struct val *v,
		   const struct nctx *c)
{
	bool bad;

	if (s->type != SCHEMA_STR || !s->re)
		return;
	if (v->type == VAL_NULL || (v->type == VAL_BOOL && !v->b))
		return;
	bad = v->type != VAL_STR || !norm_formatted(s, v->str.s);
	if (bad)
		norm_msg(n, c, v, MSG_ERROR, "invalid_format", -1, "format",
			 val_str(s->format), "value", val_dup(v), NULL);
}

static void template(struct norm *n, const struct schema *s, struct val *v,
		     const struct nctx *c)
{
	const char *p;

	if (s->type != SCHEMA_STR || !s->vars.n || v->type != VAL_STR)
		return;
	for (p = v->str.s; (p = strstr(p, "%{"));) {
		const char *end = p + 2;
		char *var;
		bool known = false;

		while (*end && *end != '}')
			end++;
		if (!*end)
			break;
		if (end == p + 2) {
			p += 2;
			continue;
		}
		var = xmemdupz(p + 2, (size_t)(end - p - 2));
		for (size_t i = 0; i < s->vars.n && !known; i++)
			known = !strcmp(s->vars.v[i], var);
		if (!known)
			norm_msg(n, c, v, MSG_WARN, "unknown_var", -1, "var",
				 val_str(var), NULL);
		free(var);
		p = end + 1;
	}
}

static struct val *validate_obj(struct norm *n, const struct schema *s,
				struct val *v, const struct nctx *c)
{
	v = invalid_type(n, s, v, c);
	v = unknown_value(n, s, v, c);
	v = set_default(n, s, v, c);
	alert(n, s, v, c);
	v = empty(n, s, v, c);
	flags(n, s, v, c);
	format(n, s, v, c);
	template(n, s, v, c);
	return v;
}

struct val *norm_validate(struct norm *n, const struct schema *s, struct val *v,
			  const struct nctx *c)
{
	const struct schema *list[64];
	bool detected;
	size_t k;

	switch (s->type) {
	case SCHEMA_ANY:
		k = norm_select(s, v, list, ARRAY_SIZE(list), &detected);
		if (!k)
			return v;
		if (detected) {
			struct nctx dc = *c;

			dc.detected = s->detect;
			return norm_validate(n, list[0], v, &dc);
		}
		for (size_t i = 0; i < k; i++)
			if (norm_matches(list[i], v))
				return norm_validate(n, list[i], v, c);
		return norm_validate(n, list[0], v, c);
	case SCHEMA_SEQ:
		return validate_seq(n, s, v, c);
	case SCHEMA_MAP:
		return validate_map(n, s, v, c);
	case SCHEMA_STR:
	case SCHEMA_NUM:
	case SCHEMA_BOOL:
	case SCHEMA_SECURE:
		return validate_obj(n, s, v, c);
	}
	return v;
}
