/*
 * loader.c: the only file that includes <yaml.h>.  Turns YAML into a val
 * tree with the scalar rules of Travis's Psych-based parser (loader.h).
 */
#include "compat.h"

#include <ctype.h>
#include <errno.h>

#include <yaml.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "loader.h"
#include "msg.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

struct anchor {
	char *name;
	struct val *v; /* a private copy: the tree's node may be replaced */
};

struct loader {
	yaml_parser_t parser;
	yaml_event_t ev; /* the current event, valid while `have` */
	bool have;
	const char *name;
	const char *text;
	size_t len;
	struct msgs *msgs;
	struct svec *anchors_out;
	struct anchor *anchors;
	size_t nanchors, anchors_alloc;
	size_t nodes;
	char *last_scalar; /* what Psych's handler calls last_scalar */
};

/* Record an error at 0-based (line, col). */
static int load_error(struct loader *l, size_t line, size_t col,
		      const char *what)
{
	return err_set(FY_EINVALID, "%s:%zu:%zu: %s", l->name, line + 1,
		       col + 1, what);
}

/* 0-based line and column of a byte offset (for reader errors). */
static void offset_pos(const struct loader *l, size_t off, size_t *line,
		       size_t *col)
{
	size_t ln = 0, c = 0;

	for (size_t i = 0; i < off && i < l->len; i++) {
		if (l->text[i] == '\n') {
			ln++;
			c = 0;
		} else if (((unsigned char)l->text[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = ln;
	*col = c;
}

/* A malformed UTF-8 sequence, in libyaml's words. */
struct utf8_problem {
	const char *what;
	size_t offset;
	long value; /* the offending octet or code point, or -1 */
};

/* Length of the well-formed UTF-8 sequence at s[i], or 0 and *p. */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len,
		       struct utf8_problem *p)
{
	unsigned c = s[i], cp, min;
	size_t n;

	if (c < 0x80)
		return 1;
	p->offset = i;
	p->value = -1;
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		p->what = "invalid leading UTF-8 octet";
		p->value = c;
		return 0;
	}
	for (size_t k = 1; k <= n; k++) {
		if (i + k >= len) {
			p->what = "incomplete UTF-8 octet sequence";
			return 0;
		}
		if ((s[i + k] & 0xc0) != 0x80) {
			p->what = "invalid trailing UTF-8 octet";
			p->offset = i + k;
			p->value = s[i + k];
			return 0;
		}
		cp = (cp << 6) | (s[i + k] & 0x3f);
	}
	if (cp < min) {
		p->what = "invalid length of a UTF-8 sequence";
		return 0;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		p->what = "invalid Unicode character";
		p->value = cp;
		return 0;
	}
	return n + 1;
}

/* Well-formed UTF-8 (no overlong forms, surrogates, nor past U+10FFFF)? */
static bool utf8_valid(const char *text, size_t len, struct utf8_problem *p)
{
	const unsigned char *s = (const unsigned char *)text;
	struct utf8_problem ignored;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s, i, len, p ? p : &ignored);

		if (!n)
			return false;
		i += n;
	}
	return true;
}

/*
 * travis-yml reads the text as binary and converts it to UTF-8, which
 * drops every byte over 0x7f; it then removes the indentation of the
 * first line from all lines and strips the text.  Line numbers are kept
 * (leading blank lines stay).
 */
static void normalize_text(struct buf *out, const char *text, size_t len)
{
	size_t width = 0, i = 0, end;

	buf_grow(out, len);
	for (size_t k = 0; k < len; k++)
		if (!((unsigned char)text[k] & 0x80))
			out->ptr[i++] = text[k];
	buf_setlen(out, i);
	i = 0;
	/* The width: the spaces right before the first non-space. */
	while (i < out->len) {
		size_t sp = 0;

		while (i + sp < out->len && out->ptr[i + sp] == ' ')
			sp++;
		if (i + sp < out->len &&
		    !isspace((unsigned char)out->ptr[i + sp])) {
			width = sp;
			break;
		}
		i += sp ? sp : 1;
	}
	if (width) {
		struct buf b = BUF_INIT;

		for (size_t k = 0; k < out->len;) {
			size_t e = k, sp = 0;

			while (e < out->len && out->ptr[e] != '\n')
				e++;
			while (sp < width && k + sp < e &&
			       out->ptr[k + sp] == ' ')
				sp++;
			if (sp == width)
				k += width;
			buf_add(&b, out->ptr + k,
				(e < out->len ? e + 1 : e) - k);
			k = e + 1;
		}
		buf_release(out);
		*out = b;
	}
	end = out->len;
	while (end > 0 && strchr(" \t\n\v\f\r", out->ptr[end - 1]))
		end--;
	buf_setlen(out, end);
}

static int parser_error(struct loader *l)
{
	yaml_parser_t *p = &l->parser;
	struct buf what = BUF_INIT;
	size_t line, col;
	int err;

	if (p->error == YAML_READER_ERROR) {
		offset_pos(l, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			buf_addf(&what, "%s (byte 0x%02x)",
				 p->problem ? p->problem : "invalid input",
				 (unsigned)p->problem_value & 0xff);
		else
			buf_addstr(&what,
				   p->problem ? p->problem : "invalid input");
	} else {
		line = p->problem_mark.line;
		col = p->problem_mark.column;
		buf_addstr(&what, p->problem ? p->problem : "invalid YAML");
		if (p->context)
			buf_addf(&what, " %s", p->context);
		if (p->context && p->context_mark.line != p->problem_mark.line)
			buf_addf(&what, " (started at line %zu)",
				 p->context_mark.line + 1);
	}
	err = load_error(l, line, col, what.ptr);
	buf_release(&what);
	return err;
}

static int next_event(struct loader *l)
{
	if (l->have)
		yaml_event_delete(&l->ev);
	l->have = false;
	if (!yaml_parser_parse(&l->parser, &l->ev))
		return parser_error(l);
	l->have = true;
	return 0;
}

static int count_node(struct loader *l, size_t n, const yaml_mark_t *m)
{
	l->nodes += n;
	if (l->nodes > LOADER_MAX_NODES)
		return load_error(
			l, m->line, m->column,
			"document too large (more than 500000 nodes, check aliases)");
	return 0;
}

/* --- scalars, as Psych's ScalarScanner with travis-yml's overrides --- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Psych's FLOAT, including .inf and .nan: travis-yml keeps these as str. */
static bool is_float(const char *s)
{
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.' && (!strcmp(p + 1, "inf") || !strcmp(p + 1, "Inf") ||
			  !strcmp(p + 1, "INF")))
		return true;
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return true;
	if (is_digit(*p)) {
		p++;
		while (is_digit(*p) || *p == '_' || *p == ',')
			p++;
	}
	if (*p != '.')
		return false;
	p++;
	while (is_digit(*p))
		p++;
	if ((*p == 'e' || *p == 'E') && (p[1] == '+' || p[1] == '-') &&
	    is_digit(p[2])) {
		p += 2;
		while (is_digit(*p))
			p++;
	}
	return !*p;
}

static bool digits(const char **p, int min, int max)
{
	int n = 0;

	while (is_digit(**p) && n < max) {
		(*p)++;
		n++;
	}
	return n >= min;
}

/* Psych's TIME (a timestamp with a time part): kept as str. */
static bool is_time(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (!digits(&p, 4, 4) || *p++ != '-' || !digits(&p, 1, 2) ||
	    *p++ != '-' || !digits(&p, 1, 2))
		return false;
	if (*p == 'T' || *p == 't') {
		p++;
	} else if (isspace((unsigned char)*p)) {
		while (isspace((unsigned char)*p))
			p++;
	} else {
		return false;
	}
	if (!digits(&p, 1, 2) || *p++ != ':' || !digits(&p, 2, 2) ||
	    *p++ != ':' || !digits(&p, 2, 2))
		return false;
	if (*p == '.') {
		p++;
		while (is_digit(*p))
			p++;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		p++;
		if (!digits(&p, 1, 2))
			return false;
		if (*p == ':')
			p++;
		digits(&p, 0, 2);
	}
	return !*p;
}

/* Psych's "looks like a word" test at the start of tokenize. */
static bool in_word_class(unsigned char c)
{
	return isalpha(c) || c >= 0x80 || c == '_' || isspace(c) ||
	       (c && strchr("!@#$%^&*(){}<>|/\\~;=", c));
}

static bool is_wordish(const char *s)
{
	unsigned char c0 = (unsigned char)s[0];

	if (strchr(s, '\n'))
		return true;
	if (in_word_class(c0))
		return true;
	return c0 && !is_digit((char)c0) && !strchr(".:-", c0) &&
	       in_word_class((unsigned char)s[1]);
}

static bool ieq_any(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcasecmp(s, *words))
			return true;
	return false;
}

/* Psych's INTEGER, with its value (octal, binary, hex, commas). */
static bool parse_integer(const char *s, long long *out)
{
	const char *p = s;
	char clean[64];
	size_t n = 0;
	int base = 10;
	bool neg = false;
	char *end;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && p[1] == 'b') {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p++;
	} else if (!is_digit(*p)) {
		return false;
	}
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p == '_' || *p == ',') {
			if (base == 10 && (p == s || !is_digit(p[1])))
				return false;
			continue;
		}
		if (base == 2 && *p != '0' && *p != '1')
			return false;
		if (base == 8 && (*p < '0' || *p > '7'))
			return false;
		if (base == 10 && !is_digit(*p))
			return false;
		if (base == 16 && !isxdigit((unsigned char)*p))
			return false;
		if (n + 1 >= sizeof(clean))
			return false;
		clean[n++] = *p;
	}
	clean[n] = '\0';
	if (!n)
		return false;
	errno = 0;
	*out = strtoll(clean, &end, base);
	if (errno || *end)
		return false;
	if (neg)
		*out = -*out;
	return true;
}

/* Psych's sexagesimal integers ("1:30"), with its arithmetic. */
static bool parse_sexagesimal(const char *s, long long *out)
{
	const char *p = s;
	int parts = 0;
	long long total = 0;

	if (*p == '+' || *p == '-')
		p++;
	if (!is_digit(*p))
		return false;
	while (is_digit(*p) || *p == '_')
		p++;
	while (*p == ':') {
		p++;
		if (!is_digit(*p))
			return false;
		p++;
		if (is_digit(*p)) {
			if (p[-1] > '5')
				return false;
			p++;
		}
		parts++;
	}
	if (*p || parts < 1 || parts > 2)
		return false;
	{
		struct svec f = SVEC_INIT;

		bool big = false;

		svec_split(&f, s, ":", false);
		for (size_t e = 0; e < f.n && !big; e++) {
			long long mult = 1, v, term;

			errno = 0;
			v = strtoll(f.v[e], NULL, 10);
			for (int k = 0; k < llabs((long long)e - 2); k++)
				mult *= 60;
			/* Ruby's integers do not overflow; ours stay text then */
			big = errno == ERANGE ||
			      __builtin_mul_overflow(v, mult, &term) ||
			      __builtin_add_overflow(total, term, &total);
		}
		svec_release(&f);
		if (big)
			return false;
	}
	*out = total;
	return true;
}

static struct val *plain_scalar(const char *s, size_t len)
{
	static const char *const truthy[] = { "yes", "true", "on", NULL };
	static const char *const falsy[] = { "no", "false", "off", NULL };
	long long n;

	if (!len)
		return val_null();
	if (strlen(s) != len)
		return val_strn(s, len);
	if (is_float(s) || strstr(s, "yes") || strstr(s, "no") ||
	    strstr(s, "on") || strstr(s, "off") || is_time(s))
		return val_strn(s, len);
	if (is_wordish(s)) {
		if (len > 5 || !strchr("ytonf~YTONF", s[0]))
			return val_strn(s, len);
		if (!strcmp(s, "~") || !strcasecmp(s, "null"))
			return val_null();
		if (ieq_any(s, truthy))
			return val_bool(true);
		if (ieq_any(s, falsy))
			return val_bool(false);
		return val_strn(s, len);
	}
	if (s[0] == ':' && s[1]) {
		const char *p = s + 1;

		if ((*p == '"' || *p == '\'') && len > 2 && s[len - 1] == *p)
			return val_strn(p + 1, len - 3);
		return val_strn(p, len - 1);
	}
	if (parse_sexagesimal(s, &n))
		return val_numi(n);
	if (parse_integer(s, &n))
		return val_numi(n);
	return val_strn(s, len);
}

/* --- the tree --- */

static int load_node(struct loader *l, struct val **out, int depth,
		     const char *path, int key_line);

static void set_last_scalar(struct loader *l, const char *s)
{
	free(l->last_scalar);
	l->last_scalar = xstrdup(s);
}

static void note_anchor(struct loader *l)
{
	if (l->anchors_out && l->last_scalar &&
	    !svec_has(l->anchors_out, l->last_scalar))
		svec_push(l->anchors_out, l->last_scalar);
}

static void save_anchor(struct loader *l, const char *name, const struct val *v)
{
	for (size_t i = 0; i < l->nanchors; i++) {
		if (!strcmp(l->anchors[i].name, name)) {
			val_free(l->anchors[i].v);
			l->anchors[i].v = val_dup(v);
			return;
		}
	}
	XGROW(l->anchors, l->anchors_alloc, l->nanchors + 1);
	l->anchors[l->nanchors].name = xstrdup(name);
	l->anchors[l->nanchors].v = val_dup(v);
	l->nanchors++;
}

static int alias_node(struct loader *l, struct val **out)
{
	const char *name = (const char *)l->ev.data.alias.anchor;
	const yaml_mark_t *m = &l->ev.start_mark;

	/* An unknown alias is null, as travis-yml lets Psych do. */
	for (size_t i = l->nanchors; i-- > 0;) {
		if (!strcmp(l->anchors[i].name, name)) {
			int err = count_node(l, val_count(l->anchors[i].v), m);

			if (err < 0)
				return err;
			*out = val_dup(l->anchors[i].v);
			return 0;
		}
	}
	*out = val_at(val_null(), (int)m->line, (int)m->column);
	return 0;
}

/* Ruby's unpack('m'): base64, skipping what is not in the alphabet. */
static struct val *binary_scalar(const char *s, size_t len)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf out = BUF_INIT;
	unsigned acc = 0;
	int bits = 0;
	struct val *v;

	for (size_t i = 0; i < len && s[i] != '='; i++) {
		const char *p = s[i] ? strchr(alpha, s[i]) : NULL;

		if (!p)
			continue;
		acc = (acc << 6) | (unsigned)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addch(&out, (int)((acc >> bits) & 0xff));
		}
	}
	/* Bytes JSON cannot carry keep the text as given. */
	if (memchr(out.ptr, '\0', out.len) ||
	    !utf8_valid(out.ptr, out.len, NULL))
		v = val_strn(s, len);
	else
		v = val_strn(out.ptr, out.len);
	buf_release(&out);
	return v;
}

static bool str_tag(const char *tag)
{
	return !strcmp(tag, "tag:yaml.org,2002:str") || !strcmp(tag, "!str") ||
	       !strncmp(tag, "!str:", 5);
}

/*
 * Psych's rules: an untagged plain scalar is resolved (plain_scalar), an
 * untagged quoted or block scalar is a string; a tagged one (even quoted)
 * is decoded for !!binary, kept for !!str, and resolved otherwise.
 */
static int scalar_node(struct loader *l, struct val **out)
{
	yaml_event_t *e = &l->ev;
	const char *s = (const char *)e->data.scalar.value;
	size_t len = e->data.scalar.length;
	const char *tag = (const char *)e->data.scalar.tag;
	struct val *v;

	if (e->data.scalar.anchor)
		note_anchor(l);
	if (!tag)
		v = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
			    ? plain_scalar(s, len)
			    : val_strn(s, len);
	else if (!strcmp(tag, "tag:yaml.org,2002:binary") ||
		 !strcmp(tag, "!binary"))
		v = binary_scalar(s, len);
	else if (str_tag(tag))
		v = val_strn(s, len);
	else
		v = plain_scalar(s, len);
	if (v->type == VAL_STR)
		set_last_scalar(l, v->str.s);
	val_at(v, (int)e->start_mark.line, (int)e->start_mark.column);
	*out = v;
	return 0;
}

static int seq_node(struct loader *l, struct val **out, int depth,
		    const char *path, int key_line)
{
	struct val *seq = val_seq();
	int err;

	val_at(seq, (int)l->ev.start_mark.line, (int)l->ev.start_mark.column);
	if (l->ev.data.sequence_start.anchor)
		note_anchor(l);
	if (l->ev.data.sequence_start.tag &&
	    strncmp((const char *)l->ev.data.sequence_start.tag, "tag:", 4))
		seq->tag = xstrdup((const char *)l->ev.data.sequence_start.tag);
	for (;;) {
		struct val *item = NULL;

		err = next_event(l);
		if (err < 0)
			goto fail;
		if (l->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		err = load_node(l, &item, depth + 1, path, key_line);
		if (err < 0)
			goto fail;
		val_seq_push(seq, item);
	}
	*out = seq;
	return 0;
fail:
	val_free(seq);
	return err;
}

/* Psych's merge: `<<` with a map (or a list of maps) overwrites keys. */
static void merge_into(struct val *map, const struct val *src)
{
	for (size_t i = 0; i < src->map.n; i++)
		val_map_set_at(map, src->map.v[i].key, src->map.v[i].line,
			       src->map.v[i].col, val_dup(src->map.v[i].v));
}

static bool merge_key(struct val *map, struct val *v)
{
	if (v->type == VAL_MAP) {
		merge_into(map, v);
		return true;
	}
	if (v->type != VAL_SEQ)
		return false;
	for (size_t i = 0; i < v->seq.n; i++)
		if (v->seq.v[i]->type != VAL_MAP)
			return false;
	{
		struct val *h = val_map();

		for (size_t i = v->seq.n; i-- > 0;)
			merge_into(h, v->seq.v[i]);
		merge_into(map, h);
		val_free(h);
	}
	return true;
}

static char *child_path(const char *path, const char *key)
{
	const char *last;

	if (!*path)
		return xstrdup(key);
	/* travis-yml's full_keys are uniq'ed: a repeated key is not added. */
	last = strrchr(path, '.');
	last = last ? last + 1 : path;
	if (!strcmp(last, key))
		return xstrdup(path);
	{
		struct svec parts = SVEC_INIT;
		char *res;

		svec_split(&parts, path, ".", false);
		if (svec_has(&parts, key)) {
			svec_release(&parts);
			return xstrdup(path);
		}
		svec_release(&parts);
		res = xasprintf("%s.%s", path, key);
		return res;
	}
}

static int map_node(struct loader *l, struct val **out, int depth,
		    const char *path, int key_line)
{
	struct val *map = val_map();
	struct svec seen = SVEC_INIT, dups = SVEC_INIT;
	int err = 0;

	val_at(map, (int)l->ev.start_mark.line, (int)l->ev.start_mark.column);
	if (l->ev.data.mapping_start.anchor)
		note_anchor(l);
	if (l->ev.data.mapping_start.tag &&
	    strncmp((const char *)l->ev.data.mapping_start.tag, "tag:", 4))
		map->tag = xstrdup((const char *)l->ev.data.mapping_start.tag);
	for (;;) {
		struct val *v = NULL;
		char *key, *sub;
		int kline, kcol;
		bool quoted;

		err = next_event(l);
		if (err < 0)
			goto fail;
		if (l->ev.type == YAML_MAPPING_END_EVENT)
			break;
		kline = (int)l->ev.start_mark.line;
		kcol = (int)l->ev.start_mark.column;
		if (l->ev.type != YAML_SCALAR_EVENT) {
			err = load_error(
				l, (size_t)kline, (size_t)kcol,
				l->ev.type == YAML_ALIAS_EVENT
					? "unacceptable key (alias)"
				: l->ev.type == YAML_SEQUENCE_START_EVENT
					? "unacceptable key (sequence)"
					: "unacceptable key (mapping)");
			goto fail;
		}
		key = xmemdupz(l->ev.data.scalar.value,
			       l->ev.data.scalar.length);
		quoted = l->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (l->ev.data.scalar.anchor)
			note_anchor(l);
		set_last_scalar(l, key);
		if (key[0] == ':' && !quoted)
			memmove(key, key + 1, strlen(key));
		err = next_event(l);
		if (err < 0) {
			free(key);
			goto fail;
		}
		sub = child_path(path, key);
		err = load_node(l, &v, depth + 1, sub, kline);
		free(sub);
		if (err < 0) {
			free(key);
			goto fail;
		}
		if (!strcmp(key, "<<") && !quoted && merge_key(map, v)) {
			val_free(v);
			free(key);
			continue;
		}
		if (strcmp(key, "<<")) {
			if (svec_has(&seen, key) && !svec_has(&dups, key))
				svec_push(&dups, key);
			svec_push(&seen, key);
		}
		val_map_set_at(map, key, kline, kcol, v);
		free(key);
	}
	if (l->msgs && dups.n) {
		/* travis-yml reports on a {secure: ...} map as KEY.secure. */
		bool secure =
			map->map.n == 1 && !strcmp(map->map.v[0].key, "secure");
		char *at = xasprintf("%s%s", *path ? path : "root",
				     secure ? ".secure" : "");

		for (size_t i = 0; i < dups.n; i++)
			msgs_addv(l->msgs, MSG_ERROR, "duplicate_key", at,
				  *path ? key_line : -1, "key",
				  val_str(dups.v[i]), NULL);
		free(at);
	}
	*out = map;
	svec_release(&seen);
	svec_release(&dups);
	return 0;
fail:
	svec_release(&seen);
	svec_release(&dups);
	val_free(map);
	return err;
}

static int load_node(struct loader *l, struct val **out, int depth,
		     const char *path, int key_line)
{
	const yaml_mark_t *m = &l->ev.start_mark;
	char *anchor = NULL;
	int err;

	if (depth > LOADER_MAX_DEPTH)
		return load_error(l, m->line, m->column,
				  "nesting too deep (more than 64 levels)");
	err = count_node(l, 1, m);
	if (err < 0)
		return err;
	switch (l->ev.type) {
	case YAML_ALIAS_EVENT:
		return alias_node(l, out);
	case YAML_SCALAR_EVENT:
		if (l->ev.data.scalar.anchor)
			anchor = xstrdup((char *)l->ev.data.scalar.anchor);
		err = scalar_node(l, out);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (l->ev.data.sequence_start.anchor)
			anchor = xstrdup(
				(char *)l->ev.data.sequence_start.anchor);
		err = seq_node(l, out, depth, path, key_line);
		break;
	case YAML_MAPPING_START_EVENT:
		if (l->ev.data.mapping_start.anchor)
			anchor = xstrdup(
				(char *)l->ev.data.mapping_start.anchor);
		err = map_node(l, out, depth, path, key_line);
		break;
	default:
		err = load_error(l, m->line, m->column,
				 "unexpected YAML event");
		break;
	}
	if (!err && anchor)
		save_anchor(l, anchor, *out);
	free(anchor);
	return err;
}

static int load_document(struct loader *l, struct val **out)
{
	struct val *root = NULL;
	int err;

	do {
		err = next_event(l);
		if (err < 0)
			return err;
	} while (l->ev.type == YAML_STREAM_START_EVENT);
	if (l->ev.type == YAML_STREAM_END_EVENT) {
		*out = val_map();
		return 0;
	}
	err = next_event(l); /* past DOCUMENT-START */
	if (err < 0)
		return err;
	err = load_node(l, &root, 0, "", -1);
	if (err < 0)
		return err;
	if (root->type == VAL_NULL) {
		val_free(root);
		root = val_map();
	}
	if (root->type != VAL_MAP) {
		err = load_error(
			l, (size_t)(root->line < 0 ? 0 : root->line),
			(size_t)(root->col < 0 ? 0 : root->col),
			"the config must be a map of keys to values, not a "
			"single value or a list");
		val_free(root);
		return err;
	}
	*out = root;
	return 0;
}

int loader_load(struct val **out, const char *text, size_t len,
		const char *name, struct msgs *msgs, struct svec *anchors)
{
	struct loader l = { 0 };
	struct buf norm = BUF_INIT;
	int err;

	if (len > LOADER_MAX_BYTES)
		return err_set(FY_ETOOBIG,
			       "%s:1:1: file too large (%zu bytes, limit %u)",
			       name, len, LOADER_MAX_BYTES);
	if (memchr(text, '\0', len)) {
		size_t line, col;

		l.text = text;
		l.len = len;
		offset_pos(
			&l,
			(size_t)((const char *)memchr(text, '\0', len) - text),
			&line, &col);
		return err_set(FY_EINVALID, "%s:%zu:%zu: NUL byte in the file",
			       name, line + 1, col + 1);
	}
	{
		struct utf8_problem p;
		size_t line, col;

		if (!utf8_valid(text, len, &p)) {
			l.text = text;
			l.len = len;
			offset_pos(&l, p.offset, &line, &col);
			if (p.value < 0)
				return err_set(FY_EINVALID, "%s:%zu:%zu: %s",
					       name, line + 1, col + 1, p.what);
			return err_set(FY_EINVALID,
				       "%s:%zu:%zu: %s (byte 0x%02lx)", name,
				       line + 1, col + 1, p.what,
				       (unsigned long)p.value & 0xff);
		}
	}
	normalize_text(&norm, text, len);
	if (!yaml_parser_initialize(&l.parser)) {
		buf_release(&norm);
		return err_set(FY_EFAIL, "cannot initialise the YAML parser");
	}
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)norm.ptr,
				     norm.len);
	l.name = name;
	l.text = norm.ptr;
	l.len = norm.len;
	l.msgs = msgs;
	l.anchors_out = anchors;
	err = load_document(&l, out);
	if (l.have)
		yaml_event_delete(&l.ev);
	yaml_parser_delete(&l.parser);
	for (size_t i = 0; i < l.nanchors; i++) {
		free(l.anchors[i].name);
		val_free(l.anchors[i].v);
	}
	free(l.anchors);
	free(l.last_scalar);
	buf_release(&norm);
	return err;
}

int loader_read_file(struct buf *out, const char *path)
{
	int err;

	buf_set_limit(out, LOADER_MAX_BYTES + 1);
	err = fs_read_file(out, path);
	if (err == FY_ETOOBIG || (!err && out->len > LOADER_MAX_BYTES))
		err = err_set(FY_ETOOBIG,
			      "%s:1:1: file too large (limit %u bytes)", path,
			      LOADER_MAX_BYTES);
	return err;
}

int loader_load_file(struct val **out, const char *path, struct msgs *msgs,
		     struct svec *anchors)
{
	struct buf b = BUF_INIT;
	int err = loader_read_file(&b, path);

	if (!err)
		err = loader_load(out, b.ptr, b.len, path, msgs, anchors);
	buf_release(&b);
	return err;
}

/* --- emitting --- */

static int emit_cb(void *data, unsigned char *buffer, size_t size)
{
	buf_add(data, buffer, size);
	return 1;
}

static bool needs_quotes(const char *s, size_t len)
{
	struct val *v = plain_scalar(s, len);
	bool same = v->type == VAL_STR && v->str.len == len &&
		    !memcmp(v->str.s, s, len);

	val_free(v);
	return !same;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, size_t len, bool quote)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
				     (int)len, !quote, quote,
				     quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
					   : YAML_ANY_SCALAR_STYLE);
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_node(yaml_emitter_t *e, const struct val *v)
{
	yaml_event_t ev;

	switch (v->type) {
	case VAL_NULL:
		return emit_scalar(e, "null", 4, false);
	case VAL_BOOL:
		return emit_scalar(e, v->b ? "true" : "false", v->b ? 4 : 5,
				   false);
	case VAL_NUM:
		return emit_scalar(e, v->str.s, v->str.len, false);
	case VAL_STR:
		return emit_scalar(e, v->str.s, v->str.len,
				   needs_quotes(v->str.s, v->str.len));
	case VAL_SECURE:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev) ||
		    emit_scalar(e, "secure", 6, false) < 0 ||
		    emit_scalar(e, v->str.s, v->str.len, false) < 0)
			return -1;
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	case VAL_SEQ:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		for (size_t i = 0; i < v->seq.n; i++)
			if (emit_node(e, v->seq.v[i]) < 0)
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	case VAL_MAP:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		for (size_t i = 0; i < v->map.n; i++) {
			const char *k = v->map.v[i].key;

			if (emit_scalar(e, k, strlen(k),
					needs_quotes(k, strlen(k))) < 0 ||
			    emit_node(e, v->map.v[i].v) < 0)
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	}
	return -1;
}

int loader_emit(struct buf *out, const struct val *v)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int err = 0;

	if (!yaml_emitter_initialize(&e))
		return err_set(FY_EFAIL, "cannot initialise the YAML emitter");
	yaml_emitter_set_output(&e, emit_cb, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, 100);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(&e, &ev))
		err = -1;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (!err && !yaml_emitter_emit(&e, &ev))
		err = -1;
	if (!err)
		err = emit_node(&e, v);
	yaml_document_end_event_initialize(&ev, 1);
	if (!err && !yaml_emitter_emit(&e, &ev))
		err = -1;
	yaml_stream_end_event_initialize(&ev);
	if (!err && !yaml_emitter_emit(&e, &ev))
		err = -1;
	if (err)
		err = err_set(FY_EFAIL, "cannot write YAML: %s",
			      e.problem ? e.problem : "emitter error");
	yaml_emitter_delete(&e);
	return err;
}
