/*
 * norm.c: the normaliser's entry point and the helpers both of its passes
 * share: value types, schema matching, messages, the fuzzy matcher that
 * travis-yml uses to correct typos, and its casts.
 */
#include "compat.h"

#include <math.h>

#include "buf.h"
#include "msg.h"
#include "norm.h"
#include "norm_priv.h"
#include "regex.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

/* --- value types --- */

enum vtype norm_vtype(const struct val *v)
{
	if (!v)
		return VT_NONE;
	switch (v->type) {
	case VAL_NULL:
		return VT_NONE;
	case VAL_BOOL:
		return VT_BOOL;
	case VAL_NUM:
		return VT_NUM;
	case VAL_STR:
		return VT_STR;
	case VAL_SECURE:
		return VT_SECURE;
	case VAL_SEQ:
		return VT_SEQ;
	case VAL_MAP:
		if (v->map.n == 1 && !strcmp(v->map.v[0].key, "secure"))
			return VT_SECURE;
		return VT_MAP;
	}
	return VT_NONE;
}

const char *norm_vtype_name(enum vtype t)
{
	switch (t) {
	case VT_NONE:
		return "none";
	case VT_BOOL:
		return "bool";
	case VT_NUM:
		return "num";
	case VT_STR:
		return "str";
	case VT_SECURE:
		return "secure";
	case VT_SEQ:
		return "seq";
	case VT_MAP:
		return "map";
	}
	return "none";
}

const char *norm_schema_type_name(const struct schema *s)
{
	switch (s->type) {
	case SCHEMA_MAP:
		return "map";
	case SCHEMA_SEQ:
		return "seq";
	case SCHEMA_ANY:
		return "any";
	case SCHEMA_STR:
		return "str";
	case SCHEMA_NUM:
		return "num";
	case SCHEMA_BOOL:
		return "bool";
	case SCHEMA_SECURE:
		return "secure";
	}
	return "any";
}

bool norm_given(const struct val *v)
{
	switch (norm_vtype(v)) {
	case VT_NONE:
		return false;
	case VT_BOOL:
	case VT_NUM:
		return true;
	case VT_STR:
		return v->str.len > 0;
	case VT_SECURE:
		/* A secure is given when it holds a string. */
		return v->type == VAL_SECURE || v->map.v[0].v->type == VAL_STR;
	case VT_SEQ:
		return v->seq.n > 0;
	case VT_MAP:
		return v->map.n > 0;
	}
	return false;
}

bool norm_missing(const struct val *v)
{
	enum vtype t = norm_vtype(v);

	return t == VT_NONE || (t == VT_MAP && !v->map.n);
}

bool norm_is_scalar(const struct val *v)
{
	enum vtype t = norm_vtype(v);

	return t == VT_NONE || t == VT_BOOL || t == VT_NUM || t == VT_STR;
}

bool norm_schema_is(const struct schema *s, enum vtype t)
{
	switch (s->type) {
	case SCHEMA_MAP:
		return t == VT_MAP;
	case SCHEMA_SEQ:
		return t == VT_SEQ;
	case SCHEMA_ANY:
		return false;
	case SCHEMA_STR:
		return t == VT_STR;
	case SCHEMA_NUM:
		return t == VT_NUM;
	case SCHEMA_BOOL:
		return t == VT_BOOL;
	case SCHEMA_SECURE:
		return t == VT_SECURE || t == VT_STR;
	}
	return false;
}

bool norm_custom_key(const char *key)
{
	return key[0] == '_' || key[0] == '.';
}

bool norm_formatted(const struct schema *s, const char *str)
{
	if (!s->re)
		return true;
	return regex_match(s->re, str, strlen(str)) > 0;
}

static bool matches_map(const struct schema *s, const struct val *v)
{
	for (size_t i = 0; i < v->map.n; i++) {
		const struct val_pair *p = &v->map.v[i];
		const struct schema *c = schema_child(s, p->key);

		if (c) {
			if (!norm_matches(c, p->v))
				return false;
		} else if (!norm_custom_key(p->key) &&
			   (schema_strict(s) || !norm_formatted(s, p->key))) {
			return false;
		}
	}
	return true;
}

bool norm_matches(const struct schema *s, const struct val *v)
{
	enum vtype t = norm_vtype(v);

	switch (s->type) {
	case SCHEMA_MAP:
		return t == VT_NONE || (t == VT_MAP && matches_map(s, v));
	case SCHEMA_SEQ:
		if (t == VT_NONE)
			return true;
		if (t != VT_SEQ || !s->items)
			return false;
		for (size_t i = 0; i < v->seq.n; i++)
			if (!norm_matches(s->items, v->seq.v[i]))
				return false;
		return true;
	case SCHEMA_ANY:
		for (size_t i = 0; i < s->nanys; i++)
			if (norm_matches(s->anys[i], v))
				return true;
		return false;
	case SCHEMA_SECURE:
		return t == VT_SECURE || t == VT_STR;
	case SCHEMA_STR:
		if (t != VT_STR && t != VT_NONE)
			return false;
		return norm_formatted(s, t == VT_STR ? v->str.s : "");
	case SCHEMA_NUM:
		return t == VT_NUM || t == VT_NONE;
	case SCHEMA_BOOL:
		return t == VT_BOOL || t == VT_NONE;
	}
	return false;
}

/* --- selecting the schemas of an any --- */

static size_t child_maps(const struct schema *s, const struct schema **out,
			 size_t n, size_t max)
{
	switch (s->type) {
	case SCHEMA_ANY:
		for (size_t i = 0; i < s->nanys; i++)
			n = child_maps(s->anys[i], out, n, max);
		return n;
	case SCHEMA_SEQ:
		if (s->items && s->items->type == SCHEMA_MAP && n < max)
			out[n++] = s->items;
		return n;
	case SCHEMA_MAP:
		if (n < max)
			out[n++] = s;
		return n;
	case SCHEMA_STR:
	case SCHEMA_NUM:
	case SCHEMA_BOOL:
	case SCHEMA_SECURE:
		return n;
	}
	return n;
}

static bool str_known(const struct schema *s, const char *str)
{
	return str && schema_value_find(s, str, s->flags & SCHEMA_IGNORE_CASE);
}

/* Does `map` apply to `v` by the value of the any's detect key? */
static bool detect_applies(const struct schema *any, const struct schema *map,
			   const struct val *v)
{
	const struct schema *e = schema_child(map, any->detect);
	const char *str = NULL;
	const char *values[1];

	if (!e || e->type != SCHEMA_STR || e->nvalues != 1)
		return false;
	if (norm_vtype(v) == VT_MAP)
		str = val_strv(val_map_get(v, any->detect));
	else if (v && v->type == VAL_STR)
		str = v->str.s;
	if (!str)
		return false;
	if (str_known(e, str))
		return true;
	values[0] = e->values[0].str;
	return str_known(e, norm_match(values, 1, str, true));
}

size_t norm_select(const struct schema *s, const struct val *v,
		   const struct schema **out, size_t max, bool *detected)
{
	size_t n = 0;

	*detected = false;
	if (s->detect) {
		for (size_t i = 0; i < s->nanys; i++) {
			const struct schema *maps[8];
			size_t nm = child_maps(s->anys[i], maps, 0,
					       ARRAY_SIZE(maps));

			for (size_t j = 0; j < nm; j++) {
				if (detect_applies(s, maps[j], v)) {
					out[0] = s->anys[i];
					*detected = true;
					return 1;
				}
			}
		}
	}
	for (size_t i = 0; i < s->nanys && n < max; i++)
		if (s->anys[i]->flags & SCHEMA_NORMAL)
			out[n++] = s->anys[i];
	if (n)
		return n;
	for (size_t i = 0; i < s->nanys && n < max; i++)
		out[n++] = s->anys[i];
	return n;
}

/* --- messages --- */

char *norm_full_key(const struct nctx *c, bool secure)
{
	const char *stack[128];
	size_t n = 0, nkeys = 0;
	const char *keys[128];
	struct buf b = BUF_INIT;

	for (; c && n < ARRAY_SIZE(stack); c = c->up)
		if (c->key)
			stack[n++] = c->key;
	/* travis-yml keeps each key of the path once (`uniq`). */
	while (n--) {
		bool seen = false;

		for (size_t i = 0; i < nkeys && !seen; i++)
			seen = !strcmp(keys[i], stack[n]);
		if (seen)
			continue;
		keys[nkeys++] = stack[n];
		if (b.len)
			buf_addch(&b, '.');
		buf_addstr(&b, stack[n]);
	}
	if (secure)
		buf_addstr(&b, b.len ? ".secure" : "root.secure");
	if (!b.len)
		buf_addstr(&b, "root");
	return buf_detach(&b, NULL);
}

void norm_msg(struct norm *n, const struct nctx *c, const struct val *on,
	      enum msg_level level, const char *code, int line, ...)
{
	struct val *args = val_map();
	const char *name;
	char *key;
	va_list ap;

	va_start(ap, line);
	while ((name = va_arg(ap, const char *))) {
		struct val *v = va_arg(ap, struct val *);

		val_map_set(args, name, v ? v : val_null());
	}
	va_end(ap);
	if (!n->msgs) {
		val_free(args);
		return;
	}
	if (c->detected && norm_vtype(on) == VT_MAP) {
		const struct val *d = val_map_get(on, c->detected);

		if (d)
			val_map_set(args, c->detected, val_dup(d));
	}
	key = norm_full_key(c, norm_vtype(on) == VT_SECURE);
	msgs_add(n->msgs, level, code, key, line >= 0 ? line : c->line, args);
	free(key);
}

/* --- the fuzzy matcher (travis-yml's Match) --- */

static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xmalloc(st_mult(lb + 1, sizeof(*row)));
	size_t res;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	res = row[lb];
	free(row);
	return res;
}

static int cmp_char(const void *a, const void *b)
{
	return *(const unsigned char *)a - *(const unsigned char *)b;
}

/* Same letters in another order (a permutation of `a`). */
static bool is_permutation(const char *a, const char *b)
{
	char x[8], y[8];
	size_t n = strlen(a);

	if (n != strlen(b) || n >= sizeof(x))
		return false;
	memcpy(x, a, n);
	memcpy(y, b, n);
	qsort(x, n, 1, cmp_char);
	qsort(y, n, 1, cmp_char);
	return !memcmp(x, y, n);
}

/* Distinct characters `a` and `b` share. */
static size_t common_chars(const char *a, const char *b)
{
	bool seen[256] = { false };
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)a; *p; p++) {
		if (!seen[*p] && strchr(b, *p)) {
			seen[*p] = true;
			n++;
		}
	}
	return n;
}

struct pair {
	double score;
	const char *str;
};

/* A stable insertion sort by ascending score. */
static void sort_pairs(struct pair *p, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct pair t = p[i];
		size_t j = i;

		while (j > 0 && p[j - 1].score > t.score) {
			p[j] = p[j - 1];
			j--;
		}
		p[j] = t;
	}
}

const char *norm_match(const char *const *strs, size_t n, const char *str,
		       bool stop)
{
	struct pair *pairs;
	size_t np = 0, size;
	const char *res = NULL;

	if (!str)
		return NULL;
	size = utf8_len(str);
	if (size < 3)
		return NULL;
	/* An exact match yields no suggestion (its pair has no string). */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(strs[i], str))
			return NULL;
	pairs = xmalloc(st_mult(n ? n : 1, sizeof(*pairs)));
	for (size_t i = 0; i < n; i++) {
		size_t other = utf8_len(strs[i]);
		double max = fmin(size / 2.0, other / 2.0);
		size_t d;

		if (max > 4)
			max = 4;
		/* The distance is at least the difference in length. */
		if ((double)(size > other ? size - other : other - size) >= max)
			continue;
		d = levenshtein(strs[i], str);
		if ((double)d < max) {
			pairs[np].score = (double)d;
			pairs[np++].str = strs[i];
		}
	}
	sort_pairs(pairs, np);
	if (!np && size < 6) {
		for (size_t i = 0; i < n; i++) {
			if (utf8_len(strs[i]) == size &&
			    is_permutation(strs[i], str)) {
				pairs[0].score = 1;
				pairs[0].str = strs[i];
				np = 1;
				break;
			}
		}
	}
	if (np > 1 && pairs[0].score == pairs[1].score) {
		for (size_t i = 0; i < np; i++)
			pairs[i].score =
				1000.0 - common_chars(str, pairs[i].str);
		sort_pairs(pairs, np);
		if (np > 1 && pairs[0].score == pairs[1].score) {
			for (size_t i = 0; i < np; i++)
				pairs[i].score =
					1000.0 - (double)utf8_len(pairs[i].str);
			sort_pairs(pairs, np);
		}
	}
	if (np && !(stop && schema_stop(str, pairs[0].str)))
		res = pairs[0].str;
	free(pairs);
	return res;
}

/* --- casts (travis-yml's Doc::Cast) --- */

static const char *const trues[] = { "true", "on", "yes", "enabled",
				     "required" };
static const char *const falses[] = { "false", "off", "no", "disabled",
				      "not required" };

/* Ruby's /^(a|b)$/ against `s`: any line equal to one of the words. */
static bool any_line_is(const char *s, const char *const *words, size_t n)
{
	const char *line = s;

	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		for (size_t i = 0; i < n; i++)
			if (strlen(words[i]) == len &&
			    !memcmp(words[i], line, len))
				return true;
		if (!nl)
			return false;
		line = nl + 1;
	}
}

static int str_bool(const char *s)
{
	if (any_line_is(s, falses, ARRAY_SIZE(falses)))
		return 0;
	if (any_line_is(s, trues, ARRAY_SIZE(trues)))
		return 1;
	return -1;
}

static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* str_to_bool: 1, 0, or -1 (unchanged). */
static int fuzzy_bool(const char *s)
{
	static const char *const bools[] = {
		"true",	 "on",	"yes", "enabled",  "required",
		"false", "off", "no",  "disabled", "not required",
	};
	char *clean = xmalloc(strlen(s) + 1), *o = clean;
	const char *m;
	int res = -1;

	for (const char *p = s; *p; p++)
		if (is_word((unsigned char)*p))
			*o++ = *p;
	*o = '\0';
	if (strcmp(clean, s))
		res = str_bool(clean);
	free(clean);
	if (res >= 0)
		return res;
	m = norm_match(bools, ARRAY_SIZE(bools), s, false);
	return m ? str_bool(m) : -1;
}

char *norm_float_text(double d)
{
	char buf[64], digits[32];
	struct buf out = BUF_INIT;
	size_t nd = 0;
	int prec, exp;
	char *e;

	if (isnan(d))
		return xstrdup("NaN");
	if (isinf(d))
		return xstrdup(d < 0 ? "-Infinity" : "Infinity");
	if (d == 0)
		return xstrdup(signbit(d) ? "-0.0" : "0.0");
	/* The shortest mantissa that reads back as d. */
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
	e = strchr(buf, 'e');
	exp = (int)strtol(e + 1, NULL, 10);
	for (const char *p = buf; p < e; p++)
		if (*p >= '0' && *p <= '9' && nd < sizeof(digits) - 1)
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (d < 0)
		buf_addch(&out, '-');
	if (exp < -4 || exp >= 16) {
		/* Ruby: 1.0e+16, 2.5e-05 */
		buf_addf(&out, "%c.%s", digits[0], nd > 1 ? digits + 1 : "0");
		buf_addf(&out, "e%c%02d", exp < 0 ? '-' : '+',
			 exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		buf_addstr(&out, "0.");
		for (int i = -1; i > exp; i--)
			buf_addch(&out, '0');
		buf_addstr(&out, digits);
	} else {
		for (int i = 0; i <= exp; i++)
			buf_addch(&out, (size_t)i < nd ? digits[i] : '0');
		buf_addch(&out, '.');
		if ((size_t)exp + 1 < nd)
			buf_addstr(&out, digits + exp + 1);
		else
			buf_addch(&out, '0');
	}
	return buf_detach(&out, NULL);
}

/* /\A[\d\.]+\Z/ */
static bool numeric_text(const char *s)
{
	const char *p = s;

	if (!*p)
		return false;
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	if (p == s)
		return false;
	return !*p || (p[0] == '\n' && !p[1]);
}

static struct val *str_to_num(const char *s)
{
	if (strchr(s, '.')) {
		char *t = norm_float_text(strtod(s, NULL));
		struct val *v = val_num(t);

		free(t);
		return v;
	}
	while (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		s++;
	{
		size_t len = strspn(s, "0123456789");
		char *t = xmemdupz(s, len);
		struct val *v = val_num(t);

		free(t);
		return v;
	}
}

struct val *norm_cast(const struct val *v, enum schema_type type)
{
	switch (type) {
	case SCHEMA_STR:
		if (v->type == VAL_NUM)
			return val_strn(v->str.s, v->str.len);
		if (v->type == VAL_BOOL)
			return val_str(v->b ? "true" : "false");
		return NULL;
	case SCHEMA_NUM:
		if (v->type == VAL_STR && numeric_text(v->str.s))
			return str_to_num(v->str.s);
		return NULL;
	case SCHEMA_BOOL:
		if (v->type == VAL_STR) {
			int b = str_bool(v->str.s);

			if (b < 0)
				b = fuzzy_bool(v->str.s);
			return b < 0 ? NULL : val_bool(b);
		}
		return NULL;
	case SCHEMA_MAP:
	case SCHEMA_SEQ:
	case SCHEMA_ANY:
	case SCHEMA_SECURE:
		return NULL;
	}
	return NULL;
}

/* --- the entry point --- */

/* {secure: "..."} maps become secure strings. */
static void secure_pass(struct val *v)
{
	if (v->type == VAL_SEQ) {
		for (size_t i = 0; i < v->seq.n; i++)
			secure_pass(v->seq.v[i]);
	} else if (v->type == VAL_MAP) {
		if (v->map.n == 1 && !strcmp(v->map.v[0].key, "secure") &&
		    v->map.v[0].v->type == VAL_STR) {
			struct val *s = val_secure(v->map.v[0].v->str.s);

			s->line = v->line;
			s->col = v->col;
			val_replace(v, s);
			return;
		}
		for (size_t i = 0; i < v->map.n; i++)
			secure_pass(v->map.v[i].v);
	}
}

struct val *norm_apply(struct val *raw, const struct svec *anchors,
		       struct msgs *msgs)
{
	struct norm n = { .msgs = msgs, .anchors = anchors };
	struct nctx root = { .line = -1 };
	const struct schema *s = schema_root();
	struct val *v;

	if (!raw || raw->type != VAL_MAP) {
		val_free(raw);
		raw = val_map();
	}
	secure_pass(raw);
	v = norm_change(&n, s, raw, &root);
	if (v->type != VAL_MAP) {
		val_free(v);
		v = val_map();
	}
	n.root = v;
	n.v0 = !strcmp(val_text(val_map_get(v, "conditions")) ?: "", "v0");
	root.v = v;
	v = norm_validate(&n, s, v, &root);
	val_free(n.globally_used);
	return v;
}
