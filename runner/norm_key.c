/*
 * norm_key.c: the keys of a map in the normaliser's first pass
 * (travis-yml's Doc::Change::Keys): aliases, dashes, spaces and case
 * repaired, typos matched against the schema's known keys, internal keys
 * dropped, required and defaulted keys put first.
 */
#include "compat.h"

#include "buf.h"
#include "norm_priv.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

static char *tr_dash(const char *key)
{
	char *k = xstrdup(key);

	for (char *p = k; *p; p++)
		if (*p == '-')
			*p = '_';
	return k;
}

static const char *alias_of(const struct schema *s, const char *key)
{
	const char *other = schema_key_alias(s, key);

	if (!other) {
		char *k = tr_dash(key);

		other = schema_key_alias(s, k);
		free(k);
	}
	return other;
}

/* Replace *key by the key its alias stands for, with messages. */
static void dealias(struct norm *n, const struct schema *s, struct val *map,
		    const struct nctx *c, char **key, int line)
{
	const char *other = alias_of(s, *key);

	if (!other || !strcmp(*key, other))
		return;
	norm_msg(n, c, map, MSG_INFO, "alias_key", line, "alias", val_str(*key),
		 "key", val_str(other), NULL);
	if (val_map_index(map, other) >= 0)
		norm_msg(n, c, map, MSG_ERROR, "overwrite", -1, "key",
			 val_str(*key), "other", val_str(other), NULL);
	free(*key);
	*key = xstrdup(other);
}

static bool is_space(unsigned char ch)
{
	return ch && strchr(" \t\n\v\f\r", ch);
}

static char *strip_key(const char *key)
{
	const char *b = key, *e = key + strlen(key);

	for (;;) {
		if (is_space((unsigned char)*b))
			b++;
		else if ((unsigned char)b[0] == 0xc2 &&
			 (unsigned char)b[1] == 0xa0)
			b += 2;
		else
			break;
	}
	for (;;) {
		if (e > b && is_space((unsigned char)e[-1]))
			e--;
		else if (e - b >= 2 && (unsigned char)e[-2] == 0xc2 &&
			 (unsigned char)e[-1] == 0xa0)
			e -= 2;
		else
			break;
	}
	return xmemdupz(b, (size_t)(e - b));
}

static bool is_upper(char ch)
{
	return ch >= 'A' && ch <= 'Z';
}

static bool is_lower(char ch)
{
	return ch >= 'a' && ch <= 'z';
}

/* Ruby on Rails' underscore: FooBar -> foo_bar, foo-bar -> foo_bar. */
static char *underscore_key(const char *key)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t len = strlen(key);

	for (size_t i = 0; i < len; i++) {
		if (i > 0 && is_upper(key[i]) && is_upper(key[i - 1]) &&
		    is_lower(key[i + 1]))
			buf_addch(&a, '_');
		buf_addch(&a, key[i]);
	}
	for (size_t i = 0; i < a.len; i++) {
		char ch = a.ptr[i];

		if (i > 0 && is_upper(ch) &&
		    (is_lower(a.ptr[i - 1]) ||
		     (a.ptr[i - 1] >= '0' && a.ptr[i - 1] <= '9')))
			buf_addch(&b, '_');
		if (ch == '-')
			ch = '_';
		else if (is_upper(ch))
			ch = (char)(ch - 'A' + 'a');
		buf_addch(&b, ch);
	}
	buf_release(&a);
	return buf_detach(&b, NULL);
}

static bool is_word(unsigned char ch)
{
	return is_lower((char)ch) || is_upper((char)ch) ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

static char *clean_key(const char *key)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t start = 0, end;

	for (const char *p = key; *p; p++) {
		char ch = *p == '-' || *p == ' ' ? '_' : *p;

		if (is_word((unsigned char)ch) || ch == '.')
			buf_addch(&a, ch);
	}
	/* Drop leading "__+" and trailing "_+". */
	if (a.len >= 2 && a.ptr[0] == '_' && a.ptr[1] == '_')
		while (start < a.len && a.ptr[start] == '_')
			start++;
	end = a.len;
	while (end > start && a.ptr[end - 1] == '_')
		end--;
	for (size_t i = start; i < end; i++) {
		if (a.ptr[i] == '_' && i + 1 < end && a.ptr[i + 1] == '_') {
			buf_addch(&b, '_');
			i++;
			continue;
		}
		buf_addch(&b, a.ptr[i]);
	}
	buf_release(&a);
	return buf_detach(&b, NULL);
}

enum fixer { FIX_STRIP, FIX_UNDERSCORE, FIX_CLEAN, FIX_FIND };

/* One of travis-yml's key filters; returns the fixed key or NULL. */
static char *fix_step(struct norm *n, const struct schema *s, struct val *map,
		      const struct nctx *c, const char *key, int line,
		      enum fixer f)
{
	char *other = NULL;
	const char *code = NULL;
	enum msg_level level = MSG_WARN;

	switch (f) {
	case FIX_STRIP:
		other = strip_key(key);
		code = "strip_key";
		break;
	case FIX_UNDERSCORE:
		other = underscore_key(key);
		code = "underscore_key";
		level = MSG_INFO;
		break;
	case FIX_CLEAN:
		other = clean_key(key);
		code = "clean_key";
		break;
	case FIX_FIND: {
		const char *t = schema_typo(key);
		const char *m;

		if (t && !schema_stop(key, t) && schema_child(s, t)) {
			other = xstrdup(t);
		} else {
			m = norm_match(s->known.v, s->known.n, key, true);
			if (m && (schema_child(s, m) || alias_of(s, m)))
				other = xstrdup(m);
		}
		code = "find_key";
		if (!other)
			return NULL;
		break;
	}
	}
	if (f != FIX_FIND && !schema_child(s, other)) {
		free(other);
		return NULL;
	}
	if (strcmp(key, other))
		norm_msg(n, c, map, level, code, line, "original", val_str(key),
			 "key", val_str(other), NULL);
	return other;
}

/* The key an unknown key of a strict map stands for (Change::Key). */
static char *fix_key(struct norm *n, const struct schema *s, struct val *map,
		     const struct nctx *c, const char *key, int line)
{
	char *k = xstrdup(key);

	if (alias_of(s, k))
		dealias(n, s, map, c, &k, line);
	if (schema_child(s, k))
		return k;
	for (int f = FIX_STRIP; f <= FIX_FIND; f++) {
		char *o = fix_step(n, s, map, c, k, line, (enum fixer)f);

		if (o) {
			free(k);
			k = o;
		}
		if (!schema_child(s, k) && alias_of(s, k))
			dealias(n, s, map, c, &k, line);
		if (schema_child(s, k))
			return k;
	}
	return k;
}

/* ^\W*(configured|result|fetching_failed|parsing_failed)\W*$ */
static bool internal_key(const char *key)
{
	static const char *const words[] = { "configured", "result",
					     "fetching_failed",
					     "parsing_failed" };
	const char *line = key;

	for (;;) {
		size_t len = strcspn(line, "\n");
		size_t b = 0, e = len;

		while (b < len && !is_word((unsigned char)line[b]))
			b++;
		while (e > b && !is_word((unsigned char)line[e - 1]))
			e--;
		for (size_t i = 0; i < ARRAY_SIZE(words); i++)
			if (strlen(words[i]) == e - b &&
			    !memcmp(words[i], line + b, e - b))
				return true;
		if (!line[len])
			return false;
		line += len + 1;
	}
}

/* Required and defaulted keys first (missing ones as null), then the rest. */
static void missing_keys(const struct schema *s, struct val *map)
{
	struct val_pair *pairs;
	size_t n = 0, total;
	bool *used;
	struct svec first = SVEC_INIT;

	for (size_t i = 0; i < s->required.n; i++)
		if (!svec_has(&first, s->required.v[i]))
			svec_push(&first, s->required.v[i]);
	for (size_t i = 0; i < s->default_keys.n; i++)
		if (!svec_has(&first, s->default_keys.v[i]))
			svec_push(&first, s->default_keys.v[i]);
	if (!first.n)
		return;
	total = map->map.n + first.n;
	pairs = xcalloc(total, sizeof(*pairs));
	used = xcalloc(map->map.n + 1, sizeof(*used));
	for (size_t i = 0; i < first.n; i++) {
		ptrdiff_t j = val_map_index(map, first.v[i]);

		if (j >= 0) {
			pairs[n++] = map->map.v[j];
			used[j] = true;
		} else {
			pairs[n].key = xstrdup(first.v[i]);
			pairs[n].line = pairs[n].col = -1;
			pairs[n++].v = val_null();
		}
	}
	for (size_t i = 0; i < map->map.n; i++)
		if (!used[i])
			pairs[n++] = map->map.v[i];
	free(map->map.v);
	map->map.v = pairs;
	map->map.n = n;
	map->map.alloc = total;
	free(used);
	svec_release(&first);
}

struct val *norm_keys(struct norm *n, const struct schema *s, struct val *v,
		      const struct nctx *c)
{
	struct svec snapshot = SVEC_INIT;

	missing_keys(s, v);
	for (size_t i = v->map.n; i-- > 0;)
		if (internal_key(v->map.v[i].key))
			val_map_del_at(v, i);
	for (size_t i = 0; i < v->map.n; i++)
		svec_push(&snapshot, v->map.v[i].key);
	for (size_t i = 0; i < snapshot.n; i++) {
		const char *key = snapshot.v[i];
		ptrdiff_t at = val_map_index(v, key);
		struct val_pair p;
		char *to;

		if (at < 0 || schema_child(s, key) || norm_custom_key(key))
			continue;
		to = fix_key(n, s, v, c, key, v->map.v[at].line);
		/* The key moves to the end (or onto the key it stands for). */
		at = val_map_index(v, key);
		p = norm_map_take_at(v, (size_t)at);
		norm_map_put(v, to, p.line, p.v);
		free(p.key);
		free(to);
	}
	svec_release(&snapshot);
	return v;
}
