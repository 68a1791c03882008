/*
 * envvar.c: env var strings as Travis reads them.
 *
 * envvar_parse() follows sh_vars' scanner rule by rule (travis-yml and
 * travis-conditions both use it), including its oddities: nested double
 * quotes are written with 2 * level backslashes, an escaped quote inside
 * a level-L string has 2L + 1 backslashes, `$(` and `${` groups need no
 * closing bracket, and a pair written as one double-quoted string
 * ("FOO=\"x\"") is unquoted once and parsed again.
 */
#include "compat.h"

#include <pthread.h>

#include "buf.h"
#include "envvar.h"
#include "error.h"
#include "regex.h"
#include "val.h"
#include "xalloc.h"

/* Nesting of quotes and $( groups; sh_vars itself only has Ruby's stack. */
#define SHV_MAX_DEPTH 200

struct shv_quote {
	char ch;    /* '"', '\'' or '`' */
	size_t nbs; /* backslashes before a '"' quote: 2 * its level */
};

/* One scanner over one string (sh_vars' ShVars::String). */
struct shv {
	const char *s;
	size_t len, pos;
	struct shv_quote *q;
	size_t nq, aq;
	int depth;
	bool failed; /* an error is recorded: unwind */
};

static bool shv_pair(struct shv *p, struct buf *key, struct buf *val);
static bool shv_values(struct shv *p, struct buf *out);

static bool shv_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* Ruby's String#strip, then a scanner at its start. */
static void shv_init(struct shv *p, const char *s, size_t len)
{
	memset(p, 0, sizeof(*p));
	while (len && (shv_is_space((unsigned char)*s) || !*s)) {
		s++;
		len--;
	}
	while (len && (shv_is_space((unsigned char)s[len - 1]) || !s[len - 1]))
		len--;
	p->s = s;
	p->len = len;
}

static void shv_release(struct shv *p)
{
	free(p->q);
	p->q = NULL;
	p->nq = p->aq = 0;
}

static bool shv_eos(const struct shv *p)
{
	return p->pos >= p->len;
}

static int shv_peek(const struct shv *p)
{
	return shv_eos(p) ? -1 : (unsigned char)p->s[p->pos];
}

static void shv_fail(struct shv *p, const char *what)
{
	if (p->failed)
		return;
	p->failed = true;
	err_set(FY_EINVALID, "expected %s at position %zu in '%.*s'", what,
		p->pos, (int)(p->len > 200 ? 200 : p->len), p->s);
}

static bool shv_enter(struct shv *p)
{
	if (p->depth >= SHV_MAX_DEPTH) {
		if (!p->failed)
			err_set(FY_EINVALID,
				"env var string nested too deeply");
		p->failed = true;
		return false;
	}
	p->depth++;
	return true;
}

static void shv_push(struct shv *p, char ch, size_t nbs)
{
	XGROW(p->q, p->aq, p->nq + 1);
	p->q[p->nq].ch = ch;
	p->q[p->nq].nbs = nbs;
	p->nq++;
}

static void shv_add_quote(struct buf *out, const struct shv_quote *q)
{
	for (size_t i = 0; i < q->nbs; i++)
		buf_addch(out, '\\');
	buf_addch(out, q->ch);
}

/* Whether `nbs` backslashes and a '"' start at the scan position. */
static bool shv_at_dquote(const struct shv *p, size_t nbs)
{
	if (p->len - p->pos < nbs + 1)
		return false;
	for (size_t i = 0; i < nbs; i++)
		if (p->s[p->pos + i] != '\\')
			return false;
	return p->s[p->pos + nbs] == '"';
}

/* sh_vars' quote?: the innermost open quote comes next. */
static bool shv_at_quote(const struct shv *p)
{
	const struct shv_quote *q;

	if (!p->nq)
		return false;
	q = &p->q[p->nq - 1];
	if (q->ch == '"')
		return shv_at_dquote(p, q->nbs);
	return shv_peek(p) == q->ch;
}

static bool shv_space(struct shv *p, struct buf *out)
{
	size_t start = p->pos;

	while (!shv_eos(p) && shv_is_space(shv_peek(p)))
		p->pos++;
	if (out)
		buf_add(out, p->s + start, p->pos - start);
	return p->pos > start;
}

/* A run of [^"\\]: the plain text inside double quotes. */
static bool shv_plain_run(struct shv *p, struct buf *out)
{
	size_t start = p->pos;

	while (!shv_eos(p) && shv_peek(p) != '"' && shv_peek(p) != '\\')
		p->pos++;
	buf_add(out, p->s + start, p->pos - start);
	return p->pos > start;
}

/*
 * sh_vars' word: characters other than space, quotes and the start of
 * `$(`/`${`, or a backslash and the character after it; stops before the
 * innermost open quote.
 */
static bool shv_word(struct shv *p, struct buf *out)
{
	size_t start = p->pos;

	while (!shv_eos(p) && !shv_at_quote(p)) {
		int c = shv_peek(p);

		if (c == '\\' && p->pos + 1 < p->len &&
		    p->s[p->pos + 1] != '\n') {
			p->pos += 2;
			continue;
		}
		if (shv_is_space(c) || c == '"' || c == '\'' || c == '`')
			break;
		if (c == '$' && p->pos + 1 < p->len &&
		    (p->s[p->pos + 1] == '(' || p->s[p->pos + 1] == '{'))
			break;
		p->pos++;
	}
	buf_add(out, p->s + start, p->pos - start);
	return p->pos > start;
}

/* '...' or `...`: no escapes, must be closed. */
static bool shv_single_quoted(struct shv *p, char ch, struct buf *out)
{
	size_t start;
	char what[2] = { ch, '\0' };

	if (shv_peek(p) != ch)
		return false;
	p->pos++;
	start = p->pos;
	while (!shv_eos(p) && shv_peek(p) != ch)
		p->pos++;
	if (shv_eos(p)) {
		shv_fail(p, what);
		return true;
	}
	buf_addch(out, ch);
	buf_add(out, p->s + start, p->pos - start);
	buf_addch(out, ch);
	p->pos++;
	return true;
}

/* Inside a double-quoted string of level `nq`: text or an escaped quote. */
static bool shv_scan_quote(struct shv *p, struct buf *out)
{
	size_t k = 2 * p->nq - 1;

	if (shv_plain_run(p, out))
		return true;
	if (!shv_at_dquote(p, k))
		return false;
	buf_add(out, p->s + p->pos, k + 1);
	p->pos += k + 1;
	return true;
}

static bool shv_double_quoted(struct shv *p, struct buf *out)
{
	struct shv_quote q = { '"', 2 * p->nq };

	if (!shv_at_dquote(p, q.nbs))
		return false;
	if (!shv_enter(p))
		return true;
	p->pos += q.nbs + 1;
	shv_push(p, q.ch, q.nbs);
	shv_add_quote(out, &q);
	while (!p->failed && shv_scan_quote(p, out))
		;
	if (!p->failed)
		shv_values(p, out);
	while (!p->failed && shv_scan_quote(p, out))
		;
	p->nq--;
	p->depth--;
	if (p->failed)
		return true;
	if (!shv_at_dquote(p, q.nbs)) {
		struct buf what = BUF_INIT;

		shv_add_quote(&what, &q);
		shv_fail(p, what.ptr);
		buf_release(&what);
		return true;
	}
	p->pos += q.nbs + 1;
	shv_add_quote(out, &q);
	return true;
}

static bool shv_quoted(struct shv *p, struct buf *out)
{
	return shv_double_quoted(p, out) || shv_single_quoted(p, '\'', out) ||
	       shv_single_quoted(p, '`', out);
}

/* `$(` or `${`, what follows, and the closing bracket if there is one. */
static bool shv_parens(struct shv *p, struct buf *out)
{
	char close;

	if (shv_peek(p) != '$' || p->pos + 1 >= p->len)
		return false;
	if (p->s[p->pos + 1] == '(')
		close = ')';
	else if (p->s[p->pos + 1] == '{')
		close = '}';
	else
		return false;
	if (!shv_enter(p))
		return true;
	buf_add(out, p->s + p->pos, 2);
	p->pos += 2;
	shv_values(p, out);
	p->depth--;
	if (!p->failed && shv_peek(p) == close) {
		buf_addch(out, close);
		p->pos++;
	}
	return true;
}

static bool shv_value(struct shv *p, struct buf *out)
{
	return shv_parens(p, out) || shv_quoted(p, out) || shv_word(p, out);
}

static bool shv_values(struct shv *p, struct buf *out)
{
	bool any = false;

	while (!p->failed && (shv_value(p, out) || shv_space(p, out)))
		any = true;
	return any;
}

/* Inside unquote(): text, or an escaped quote one level down. */
static bool shv_scan_unquote(struct shv *p, struct buf *out)
{
	const struct shv_quote *q = &p->q[p->nq - 1];
	size_t k = q->nbs + 1;

	if (shv_plain_run(p, out))
		return true;
	if (!shv_at_dquote(p, k))
		return false;
	p->pos += k + 1;
	for (size_t i = 0; i + 1 < p->nq; i++)
		buf_addch(out, '\\');
	shv_add_quote(out, q);
	return true;
}

/* Remove one level of double quotes (and of escaping inside them). */
static bool shv_unquote(struct shv *p, struct buf *out)
{
	struct shv_quote q = { '"', 2 * p->nq };
	struct buf parts = BUF_INIT;
	size_t level;

	if (!shv_at_dquote(p, q.nbs))
		return false;
	if (!shv_enter(p))
		return true;
	p->pos += q.nbs + 1;
	shv_push(p, q.ch, q.nbs);
	while (!p->failed && shv_scan_unquote(p, &parts))
		;
	if (!p->failed)
		shv_unquote(p, &parts);
	while (!p->failed && shv_scan_unquote(p, &parts))
		;
	p->nq--;
	p->depth--;
	level = p->nq;
	if (!p->failed && !shv_at_dquote(p, q.nbs)) {
		struct buf what = BUF_INIT;

		shv_add_quote(&what, &q);
		shv_fail(p, what.ptr);
		buf_release(&what);
	}
	if (!p->failed) {
		p->pos += q.nbs + 1;
		for (size_t i = 0; i < level; i++)
			buf_addch(out, '\\');
		if (level)
			buf_addch(out, '"');
		buf_add(out, parts.ptr, parts.len);
		for (size_t i = 0; i < level; i++)
			buf_addch(out, '\\');
		if (level)
			buf_addch(out, '"');
	}
	buf_release(&parts);
	return true;
}

/* Copy a nested scanner's failure into ours. */
static void shv_adopt(struct shv *p, struct shv *sub)
{
	if (sub->failed)
		p->failed = true;
	shv_release(sub);
}

/* "NAME=value" written as one double-quoted string. */
static bool shv_double_quoted_pair(struct shv *p, struct buf *key,
				   struct buf *val)
{
	struct buf var = BUF_INIT, str = BUF_INIT;
	struct shv sub;
	bool found = false;

	if (!shv_double_quoted(p, &var))
		goto out;
	if (p->failed) {
		found = true;
		goto out;
	}
	shv_init(&sub, var.ptr, var.len);
	shv_unquote(&sub, &str);
	if (sub.failed) {
		shv_adopt(p, &sub);
		found = true;
		goto out;
	}
	shv_release(&sub);
	shv_init(&sub, str.ptr, str.len);
	found = shv_pair(&sub, key, val);
	if (sub.failed)
		found = true;
	shv_adopt(p, &sub);
out:
	buf_release(&var);
	buf_release(&str);
	return found;
}

static bool shv_unquoted_pair(struct shv *p, struct buf *key, struct buf *val)
{
	size_t start = p->pos;

	while (!shv_eos(p) && !shv_is_space(shv_peek(p)) && shv_peek(p) != '=')
		p->pos++;
	if (p->pos == start)
		return false;
	buf_add(key, p->s + start, p->pos - start);
	if (shv_peek(p) != '=')
		return true;
	p->pos++;
	while (!p->failed && shv_value(p, val))
		;
	return true;
}

static bool shv_empty_pair(struct shv *p, struct buf *key, struct buf *val)
{
	if (shv_peek(p) == '=')
		return false;
	return shv_word(p, key);
}

/* One pair; false for sh_vars' nil pair. */
static bool shv_pair(struct shv *p, struct buf *key, struct buf *val)
{
	buf_reset(key);
	buf_reset(val);
	if (shv_double_quoted_pair(p, key, val))
		return true;
	buf_reset(key);
	buf_reset(val);
	return !p->failed &&
	       (shv_unquoted_pair(p, key, val) || shv_empty_pair(p, key, val));
}

static void shv_set(struct val *map, const struct buf *key,
		    const struct buf *val)
{
	/* A key with a NUL byte cannot be a map key; sh_vars never makes one. */
	val_map_set(map, key->ptr, val_strn(val->ptr, val->len));
}

int envvar_parse(struct val **out, const char *s)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	struct val *map = val_map();
	struct shv p;
	int err = 0;

	shv_init(&p, s, strlen(s));
	if (shv_pair(&p, &key, &val) && !p.failed)
		shv_set(map, &key, &val);
	while (!p.failed && shv_space(&p, NULL))
		if (shv_pair(&p, &key, &val) && !p.failed)
			shv_set(map, &key, &val);
	if (!p.failed && !shv_eos(&p))
		shv_fail(&p, "end of string");
	if (p.failed) {
		err = FY_EINVALID;
		val_free(map);
	} else {
		*out = map;
	}
	shv_release(&p);
	buf_release(&key);
	buf_release(&val);
	return err;
}

/*
 * travis-build's Var::PATTERN, in Ruby syntax: an optional "SECURE ", a
 * name, "=", then quoted parts, $(...) groups, a bare word, or nothing.
 */
static const char build_pattern[] = "(?:SECURE )?(\\w+)=("
				    "(?:[^\"'` ]?(\"|'|`).*?((?<!\\\\)\\3))+"
				    "|(?:[^$]?\\$\\(.*?\\))+"
				    "|[^\"' ]+"
				    "|(?=\\s)"
				    "|\\z)";

/* The pattern is compiled once; compiled patterns are read-only. */
static struct regex *build_re;
static pthread_once_t build_once = PTHREAD_ONCE_INIT;

static void build_compile(void)
{
	if (regex_compile(&build_re, build_pattern, 0) < 0)
		BUG("travis-build's env var pattern does not compile: %s",
		    err_msg());
}

int envvar_parse_build(struct val **out, const char *s, bool *secure)
{
	struct val *map;
	size_t len = strlen(s), at = 0;
	size_t ov[6];

	pthread_once(&build_once, build_compile);
	map = val_map();
	while (at <= len && regex_search(build_re, s, len, at, ov, 3) > 0) {
		char *name = xmemdupz(s + ov[2], ov[3] - ov[2]);

		val_map_set(map, name, val_strn(s + ov[4], ov[5] - ov[4]));
		free(name);
		at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	/* Ruby's /^SECURE /: at the start of any line. */
	*secure = !strncmp(s, "SECURE ", 7) || strstr(s, "\nSECURE ");
	*out = map;
	return 0;
}

/*
 * Ruby's `str =~ /^(["'])(.*)\1$/ && $2 || str`: the first line that is
 * wrapped in one kind of quote loses them; `^`, `$` and `.` work on
 * lines, so only that line is returned.
 */
char *envvar_unquote(const char *value)
{
	const char *line = value;

	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (n >= 2 && (line[0] == '"' || line[0] == '\'') &&
		    line[n - 1] == line[0])
			return xmemdupz(line + 1, n - 2);
		if (!nl)
			return xstrdup(value);
		line = nl + 1;
	}
}
