#include "compat.h"

#include "buf.h"
#include "error.h"
#include "val.h"
#include "xalloc.h"

static struct val *val_new(enum val_type t)
{
	struct val *v = xcalloc(1, sizeof(*v));

	v->type = t;
	v->line = v->col = -1;
	return v;
}

struct val *val_null(void)
{
	return val_new(VAL_NULL);
}

struct val *val_bool(bool b)
{
	struct val *v = val_new(VAL_BOOL);

	v->b = b;
	return v;
}

static struct val *val_text_new(enum val_type t, const char *s, size_t len)
{
	struct val *v = val_new(t);

	v->str.s = xmemdupz(s, len);
	v->str.len = len;
	return v;
}

struct val *val_num(const char *literal)
{
	return val_text_new(VAL_NUM, literal, strlen(literal));
}

struct val *val_numi(long long n)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%lld", n);
	return val_num(tmp);
}

struct val *val_str(const char *s)
{
	return val_text_new(VAL_STR, s, strlen(s));
}

struct val *val_strn(const char *s, size_t len)
{
	return val_text_new(VAL_STR, s, len);
}

struct val *val_str_take(char *s)
{
	struct val *v = val_new(VAL_STR);

	v->str.s = s;
	v->str.len = strlen(s);
	return v;
}

struct val *val_strf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	size_t len;
	struct val *v = val_new(VAL_STR);

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	v->str.s = buf_detach(&b, &len);
	v->str.len = len;
	return v;
}

struct val *val_secure(const char *ciphertext)
{
	return val_text_new(VAL_SECURE, ciphertext, strlen(ciphertext));
}

struct val *val_seq(void)
{
	return val_new(VAL_SEQ);
}

struct val *val_map(void)
{
	return val_new(VAL_MAP);
}

struct val *val_at(struct val *v, int line, int col)
{
	v->line = line;
	v->col = col;
	return v;
}

/* Free what `v` owns, but not `v` itself. */
static void val_clear(struct val *v)
{
	switch (v->type) {
	case VAL_NULL:
	case VAL_BOOL:
		break;
	case VAL_NUM:
	case VAL_STR:
	case VAL_SECURE:
		free(v->str.s);
		break;
	case VAL_SEQ:
		for (size_t i = 0; i < v->seq.n; i++)
			val_free(v->seq.v[i]);
		free(v->seq.v);
		break;
	case VAL_MAP:
		for (size_t i = 0; i < v->map.n; i++) {
			free(v->map.v[i].key);
			val_free(v->map.v[i].v);
		}
		free(v->map.v);
		break;
	}
	free(v->tag);
	v->tag = NULL;
}

void val_free(struct val *v)
{
	if (!v)
		return;
	val_clear(v);
	free(v);
}

struct val *val_dup(const struct val *v)
{
	struct val *c;

	if (!v)
		return NULL;
	c = val_new(v->type);
	c->line = v->line;
	c->col = v->col;
	c->src = v->src;
	c->tag = v->tag ? xstrdup(v->tag) : NULL;
	switch (v->type) {
	case VAL_NULL:
		break;
	case VAL_BOOL:
		c->b = v->b;
		break;
	case VAL_NUM:
	case VAL_STR:
	case VAL_SECURE:
		c->str.s = xmemdupz(v->str.s, v->str.len);
		c->str.len = v->str.len;
		break;
	case VAL_SEQ:
		c->seq.v = xmalloc(
			st_mult(v->seq.n ? v->seq.n : 1, sizeof(*c->seq.v)));
		c->seq.alloc = v->seq.n;
		for (size_t i = 0; i < v->seq.n; i++)
			c->seq.v[i] = val_dup(v->seq.v[i]);
		c->seq.n = v->seq.n;
		break;
	case VAL_MAP:
		c->map.v = xmalloc(
			st_mult(v->map.n ? v->map.n : 1, sizeof(*c->map.v)));
		c->map.alloc = v->map.n;
		for (size_t i = 0; i < v->map.n; i++) {
			c->map.v[i] = v->map.v[i];
			c->map.v[i].key = xstrdup(v->map.v[i].key);
			c->map.v[i].v = val_dup(v->map.v[i].v);
		}
		c->map.n = v->map.n;
		break;
	}
	return c;
}

void val_replace(struct val *dst, struct val *src)
{
	val_clear(dst);
	*dst = *src;
	free(src);
}

const char *val_type_name(enum val_type t)
{
	switch (t) {
	case VAL_NULL:
		return "null";
	case VAL_BOOL:
		return "bool";
	case VAL_NUM:
		return "num";
	case VAL_STR:
		return "str";
	case VAL_SECURE:
		return "secure";
	case VAL_SEQ:
		return "seq";
	case VAL_MAP:
		return "map";
	}
	BUG("bad val type %d", (int)t);
}

const char *val_strv(const struct val *v)
{
	return v && v->type == VAL_STR ? v->str.s : NULL;
}

const char *val_text(const struct val *v)
{
	if (!v)
		return NULL;
	switch (v->type) {
	case VAL_STR:
	case VAL_NUM:
	case VAL_SECURE:
		return v->str.s;
	case VAL_BOOL:
		return v->b ? "true" : "false";
	case VAL_NULL:
	case VAL_SEQ:
	case VAL_MAP:
		return NULL;
	}
	return NULL;
}

bool val_is_scalar(const struct val *v)
{
	return v && v->type != VAL_SEQ && v->type != VAL_MAP;
}

bool val_blank(const struct val *v)
{
	if (!v)
		return true;
	switch (v->type) {
	case VAL_NULL:
		return true;
	case VAL_BOOL:
		return !v->b;
	case VAL_STR:
		for (size_t i = 0; i < v->str.len; i++)
			if (!strchr(" \t\r\n\f\v", v->str.s[i]))
				return false;
		return true;
	case VAL_NUM:
	case VAL_SECURE:
		return !v->str.len;
	case VAL_SEQ:
		return !v->seq.n;
	case VAL_MAP:
		return !v->map.n;
	}
	return false;
}

bool val_equal(const struct val *a, const struct val *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->type != b->type)
		return false;
	switch (a->type) {
	case VAL_NULL:
		return true;
	case VAL_BOOL:
		return a->b == b->b;
	case VAL_NUM:
	case VAL_STR:
	case VAL_SECURE:
		return a->str.len == b->str.len &&
		       !memcmp(a->str.s, b->str.s, a->str.len);
	case VAL_SEQ:
		if (a->seq.n != b->seq.n)
			return false;
		for (size_t i = 0; i < a->seq.n; i++)
			if (!val_equal(a->seq.v[i], b->seq.v[i]))
				return false;
		return true;
	case VAL_MAP:
		if (a->map.n != b->map.n)
			return false;
		for (size_t i = 0; i < a->map.n; i++) {
			const struct val *o;

			/* Most maps compare in the same order: try that first. */
			if (!strcmp(a->map.v[i].key, b->map.v[i].key))
				o = b->map.v[i].v;
			else
				o = val_map_get(b, a->map.v[i].key);
			if (!o || !val_equal(a->map.v[i].v, o))
				return false;
		}
		return true;
	}
	return false;
}

size_t val_count(const struct val *v)
{
	size_t n = 1;

	if (!v)
		return 0;
	if (v->type == VAL_SEQ)
		for (size_t i = 0; i < v->seq.n; i++)
			n += val_count(v->seq.v[i]);
	else if (v->type == VAL_MAP)
		for (size_t i = 0; i < v->map.n; i++)
			n += val_count(v->map.v[i].v);
	return n;
}

void val_seq_push(struct val *seq, struct val *item)
{
	if (seq->type != VAL_SEQ)
		BUG("val_seq_push on a %s", val_type_name(seq->type));
	XGROW(seq->seq.v, seq->seq.alloc, seq->seq.n + 1);
	seq->seq.v[seq->seq.n++] = item;
}

void val_seq_insert(struct val *seq, size_t at, struct val *item)
{
	if (seq->type != VAL_SEQ || at > seq->seq.n)
		BUG("bad val_seq_insert");
	XGROW(seq->seq.v, seq->seq.alloc, seq->seq.n + 1);
	memmove(seq->seq.v + at + 1, seq->seq.v + at,
		(seq->seq.n - at) * sizeof(*seq->seq.v));
	seq->seq.v[at] = item;
	seq->seq.n++;
}

struct val *val_seq_take(struct val *seq, size_t i)
{
	struct val *item;

	if (seq->type != VAL_SEQ || i >= seq->seq.n)
		BUG("bad val_seq_take");
	item = seq->seq.v[i];
	memmove(seq->seq.v + i, seq->seq.v + i + 1,
		(seq->seq.n - i - 1) * sizeof(*seq->seq.v));
	seq->seq.n--;
	return item;
}

void val_seq_del(struct val *seq, size_t i)
{
	val_free(val_seq_take(seq, i));
}

ptrdiff_t val_map_index(const struct val *map, const char *key)
{
	if (!map || map->type != VAL_MAP)
		return -1;
	/* Maps are small: a linear scan, comparing the first byte first. */
	for (size_t i = 0; i < map->map.n; i++)
		if (map->map.v[i].key[0] == key[0] &&
		    !strcmp(map->map.v[i].key, key))
			return (ptrdiff_t)i;
	return -1;
}

struct val_pair *val_map_pair(const struct val *map, const char *key)
{
	ptrdiff_t i = val_map_index(map, key);

	return i < 0 ? NULL : &map->map.v[i];
}

struct val *val_map_get(const struct val *map, const char *key)
{
	ptrdiff_t i = val_map_index(map, key);

	return i < 0 ? NULL : map->map.v[i].v;
}

void val_map_set_at(struct val *map, const char *key, int line, int col,
		    struct val *v)
{
	ptrdiff_t i = val_map_index(map, key);

	if (map->type != VAL_MAP)
		BUG("val_map_set on a %s", val_type_name(map->type));
	if (i >= 0) {
		val_free(map->map.v[i].v);
		map->map.v[i].v = v;
		return;
	}
	XGROW(map->map.v, map->map.alloc, map->map.n + 1);
	map->map.v[map->map.n].key = xstrdup(key);
	map->map.v[map->map.n].line = line;
	map->map.v[map->map.n].col = col;
	map->map.v[map->map.n].v = v;
	map->map.n++;
}

void val_map_set(struct val *map, const char *key, struct val *v)
{
	val_map_set_at(map, key, v ? v->line : -1, v ? v->col : -1, v);
}

void val_map_insert(struct val *map, size_t at, const char *key, struct val *v)
{
	if (map->type != VAL_MAP || at > map->map.n)
		BUG("bad val_map_insert");
	val_map_del(map, key);
	if (at > map->map.n)
		at = map->map.n;
	XGROW(map->map.v, map->map.alloc, map->map.n + 1);
	memmove(map->map.v + at + 1, map->map.v + at,
		(map->map.n - at) * sizeof(*map->map.v));
	map->map.v[at].key = xstrdup(key);
	map->map.v[at].line = v ? v->line : -1;
	map->map.v[at].col = v ? v->col : -1;
	map->map.v[at].v = v;
	map->map.n++;
}

struct val *val_map_take(struct val *map, const char *key)
{
	ptrdiff_t i = val_map_index(map, key);
	struct val *v;

	if (i < 0)
		return NULL;
	v = map->map.v[i].v;
	map->map.v[i].v = NULL;
	val_map_del_at(map, (size_t)i);
	return v;
}

void val_map_del_at(struct val *map, size_t i)
{
	if (map->type != VAL_MAP || i >= map->map.n)
		BUG("bad val_map_del_at");
	free(map->map.v[i].key);
	val_free(map->map.v[i].v);
	memmove(map->map.v + i, map->map.v + i + 1,
		(map->map.n - i - 1) * sizeof(*map->map.v));
	map->map.n--;
}

bool val_map_del(struct val *map, const char *key)
{
	ptrdiff_t i = val_map_index(map, key);

	if (i < 0)
		return false;
	val_map_del_at(map, (size_t)i);
	return true;
}

void val_map_rename(struct val *map, size_t i, const char *to)
{
	ptrdiff_t j = val_map_index(map, to);

	if (j == (ptrdiff_t)i)
		return;
	free(map->map.v[i].key);
	map->map.v[i].key = xstrdup(to);
	if (j >= 0)
		val_map_del_at(map, (size_t)j);
}
