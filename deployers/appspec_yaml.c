/*
 * appspec_yaml.c: YAML as the agent's Psych reads it, on top of our
 * loader (see appspec.c): UTF-8 kept through the loader, plain scalars
 * told from quoted ones by their source text, Psych's floats and
 * booleans, and the Ruby conversions the agent applies (to_s, to_i,
 * strip, inspect).
 */
#include "compat.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>

#include "appspec_int.h"
#include "buf.h"
#include "error.h"
#include "loader.h"
#include "msg.h"
#include "val.h"
#include "xalloc.h"

/* The escape for bytes over 0x7f: "Zj" + two hex digits ("ZjZj": "Zj"). */
#define ESC	"Zj"
#define ESC_LEN 2

/* ---- UTF-8 escaping around the loader ------------------------------- */

static bool utf8_ok(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		size_t n;
		unsigned cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

/* Escape valid UTF-8 into ASCII; other text is left for the loader. */
static void escape_text(struct buf *out, const char *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	if (!utf8_ok((const unsigned char *)text, len)) {
		buf_add(out, text, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c & 0x80) {
			buf_addstr(out, ESC);
			buf_addch(out, hex[c >> 4]);
			buf_addch(out, hex[c & 15]);
		} else if (i + ESC_LEN <= len &&
			   !memcmp(text + i, ESC, ESC_LEN)) {
			buf_addstr(out, ESC ESC);
			i += ESC_LEN - 1;
		} else {
			buf_addch(out, c);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undo escape_text() in place; returns the new length. */
static size_t unescape(char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		if (i + 4 <= len && !strncmp(s + i, ESC, ESC_LEN)) {
			int hi = hexval(s[i + 2]), lo = hexval(s[i + 3]);

			if (!strncmp(s + i + 2, ESC, ESC_LEN)) {
				memmove(s + o, ESC, ESC_LEN);
				o += ESC_LEN;
				i += 4;
				continue;
			}
			if (hi >= 0 && lo >= 0) {
				s[o++] = (char)(hi << 4 | lo);
				i += 4;
				continue;
			}
		}
		s[o++] = s[i++];
	}
	s[o] = '\0';
	return o;
}

static void unescape_tree(struct val *v)
{
	switch (v->type) {
	case VAL_NULL:
	case VAL_BOOL:
	case VAL_NUM:
		return;
	case VAL_STR:
	case VAL_SECURE:
		v->str.len = unescape(v->str.s, v->str.len);
		return;
	case VAL_SEQ:
		for (size_t i = 0; i < v->seq.n; i++)
			unescape_tree(v->seq.v[i]);
		return;
	case VAL_MAP:
		for (size_t i = 0; i < v->map.n; i++) {
			unescape(v->map.v[i].key, strlen(v->map.v[i].key));
			unescape_tree(v->map.v[i].v);
		}
		return;
	}
}

/* ---- scalars as Psych reads them ------------------------------------ */

static void index_lines(struct appspec_src *p)
{
	size_t alloc = 0;

	XGROW(p->lines, alloc, 1);
	p->lines[p->nlines++] = 0;
	/* libyaml's line breaks: "\r\n", "\r" and "\n". */
	for (size_t i = 0; i < p->len; i++) {
		if (p->text[i] != '\n' && p->text[i] != '\r')
			continue;
		if (p->text[i] == '\r' && i + 1 < p->len &&
		    p->text[i + 1] == '\n')
			i++;
		XGROW(p->lines, alloc, p->nlines + 1);
		p->lines[p->nlines++] = i + 1;
	}
}

/* The source text where node `v` starts, or NULL. */
const char *appspec_node_src(const struct appspec_src *p, const struct val *v)
{
	size_t i, col;

	if (v->line < 0 || v->col < 0 || (size_t)v->line >= p->nlines)
		return NULL;
	i = p->lines[v->line];
	col = (size_t)v->col;
	if (col > p->len - i)
		return NULL;
	return p->text + i + col;
}

static bool str_tag(const char *t, size_t n)
{
	return (n == 5 && !strncmp(t, "!!str", 5)) ||
	       (n == 4 && !strncmp(t, "!str", 4)) ||
	       (n == 8 && !strncmp(t, "!!binary", 8)) ||
	       (n == 21 && !strncmp(t, "tag:yaml.org,2002:str", 21));
}

/* Whether the scalar at `v` was plain (unquoted, not tagged !!str). */
static bool is_plain(const struct appspec_src *p, const struct val *v)
{
	const char *s = appspec_node_src(p, v);

	if (!s)
		return false;
	while (*s == '&' || *s == '!') {
		size_t n = strcspn(s, " \t\r\n");

		if (*s == '!' && str_tag(s, n))
			return false;
		s += n;
		s += strspn(s, " \t");
	}
	return !strchr("'\"|>", *s);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Psych's FLOAT (base 10, .inf, .nan), with its value. */
static bool psych_float(const char *s, double *out)
{
	const char *p = s + (*s == '+' || *s == '-');
	struct buf clean = BUF_INIT;

	if (!loader_psych_float(s) || !strcmp(p, "."))
		return false;
	if (*p == '.' && strchr("iI", p[1])) {
		*out = *s == '-' ? -HUGE_VAL : HUGE_VAL;
		return true;
	}
	if (*p == '.' && strchr("nN", p[1])) {
		*out = NAN;
		return true;
	}
	for (p = s; *p; p++)
		if (*p != '_' && *p != ',')
			buf_addch(&clean, *p);
	*out = strtod(clean.ptr, NULL);
	buf_release(&clean);
	return true;
}

/* Ruby's Float#to_s: shortest digits, "1.0", "1.0e+20", "1.0e-05". */
static void ruby_float_s(double f, char *out, size_t cap)
{
	char tmp[40], digits[24];
	int prec, exp, decpt, nd = 0;
	char *e;

	if (isnan(f) || isinf(f) || f == 0) {
		snprintf(out, cap, "%s",
			 isnan(f)     ? "NaN"
			 : isinf(f)   ? (f < 0 ? "-Infinity" : "Infinity")
			 : signbit(f) ? "-0.0"
				      : "0.0");
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	e = strchr(tmp, 'e');
	exp = (int)strtol(e + 1, NULL, 10);
	for (const char *c = tmp; c < e; c++)
		if (is_digit(*c))
			digits[nd++] = *c;
	digits[nd] = '\0';
	decpt = exp + 1;
	if (decpt > 0 && decpt <= 15 && decpt >= nd)
		snprintf(out, cap, "%s%s%.*d.0", f < 0 ? "-" : "", digits,
			 decpt - nd, 0);
	else if (decpt > 0 && decpt <= 15)
		snprintf(out, cap, "%s%.*s.%s", f < 0 ? "-" : "", decpt, digits,
			 digits + decpt);
	else if (decpt > -4 && decpt <= 0)
		snprintf(out, cap, "%s0.%.*d%s", f < 0 ? "-" : "", -decpt, 0,
			 digits);
	else
		snprintf(out, cap, "%s%c.%se%+03d", f < 0 ? "-" : "", digits[0],
			 nd > 1 ? digits + 1 : "0", decpt - 1);
}

/* The Ruby value of a loaded node. */
void appspec_rvalue(const struct appspec_src *p, const struct val *v,
		    struct appspec_rval *r)
{
	memset(r, 0, sizeof(*r));
	if (!v || v->type == VAL_NULL) {
		r->type = APPSPEC_R_NIL;
		r->s = "";
		return;
	}
	switch (v->type) {
	case VAL_NULL:
		break;
	case VAL_BOOL:
		r->type = APPSPEC_R_BOOL;
		r->b = v->b;
		r->s = v->b ? "true" : "false";
		return;
	case VAL_NUM:
		r->type = APPSPEC_R_INT;
		r->s = v->str.s;
		r->i = strtoll(v->str.s, NULL, 10);
		return;
	case VAL_STR:
	case VAL_SECURE:
		r->type = APPSPEC_R_STR;
		r->s = v->str.s;
		if (v->type != VAL_STR || !is_plain(p, v))
			return;
		if (!strcasecmp(v->str.s, "yes") ||
		    !strcasecmp(v->str.s, "on")) {
			r->type = APPSPEC_R_BOOL;
			r->b = true;
			r->s = "true";
		} else if (!strcasecmp(v->str.s, "no") ||
			   !strcasecmp(v->str.s, "off")) {
			r->type = APPSPEC_R_BOOL;
			r->s = "false";
		} else if (psych_float(v->str.s, &r->f)) {
			r->type = APPSPEC_R_FLOAT;
			ruby_float_s(r->f, r->fbuf, sizeof(r->fbuf));
			r->s = r->fbuf;
		}
		return;
	case VAL_SEQ:
		r->type = APPSPEC_R_SEQ;
		r->s = "";
		return;
	case VAL_MAP:
		r->type = APPSPEC_R_MAP;
		r->s = "";
		return;
	}
}

bool appspec_rtruthy(const struct appspec_rval *r)
{
	return r->type != APPSPEC_R_NIL &&
	       !(r->type == APPSPEC_R_BOOL && !r->b);
}

/* Ruby's String#to_i: optional spaces and sign, digits with single '_'. */
long long appspec_ruby_to_i(const char *s)
{
	long long n = 0;
	bool neg = false;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; is_digit(*s) || (*s == '_' && is_digit(s[1]) && n); s++) {
		if (*s == '_')
			continue;
		if (n > (LLONG_MAX - 9) / 10)
			return neg ? LLONG_MIN : LLONG_MAX;
		n = n * 10 + (*s - '0');
	}
	return neg ? -n : n;
}

/* Ruby's String#strip (whitespace and NUL at both ends). */
char *appspec_ruby_strip(const char *s)
{
	size_t len = strlen(s);

	while (len && (isspace((unsigned char)s[len - 1]) || !s[len - 1]))
		len--;
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	return xmemdupz(s, len);
}

/* A scalar's to_s, or NULL for a list or map (the agent would crash). */
char *appspec_scalar_text(const struct appspec_src *p, const struct val *v)
{
	struct appspec_rval r;

	appspec_rvalue(p, v, &r);
	if (r.type == APPSPEC_R_SEQ || r.type == APPSPEC_R_MAP)
		return NULL;
	return xstrdup(r.s);
}

/* Ruby's inspect of a value, for the agent's messages. */
void appspec_inspect(struct buf *b, const struct appspec_src *p,
		     const struct val *v)
{
	struct appspec_rval r;

	appspec_rvalue(p, v, &r);
	switch (r.type) {
	case APPSPEC_R_NIL:
		buf_addstr(b, "nil");
		return;
	case APPSPEC_R_BOOL:
	case APPSPEC_R_INT:
	case APPSPEC_R_FLOAT:
		buf_addstr(b, r.s);
		return;
	case APPSPEC_R_STR:
		buf_addch(b, '"');
		for (const char *s = r.s; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_addch(b, '\\');
			buf_addch(b, *s);
		}
		buf_addch(b, '"');
		return;
	case APPSPEC_R_SEQ:
		buf_addch(b, '[');
		for (size_t i = 0; i < v->seq.n; i++) {
			if (i)
				buf_addstr(b, ", ");
			appspec_inspect(b, p, v->seq.v[i]);
		}
		buf_addch(b, ']');
		return;
	case APPSPEC_R_MAP:
		buf_addch(b, '{');
		for (size_t i = 0; i < v->map.n; i++) {
			if (i)
				buf_addstr(b, ", ");
			buf_addf(b, "\"%s\"=>", v->map.v[i].key);
			appspec_inspect(b, p, v->map.v[i].v);
		}
		buf_addch(b, '}');
		return;
	}
}

char *appspec_ruby_to_s(const struct appspec_src *src, const struct val *v)
{
	struct appspec_rval r;
	struct buf b = BUF_INIT;

	appspec_rvalue(src, v, &r);
	if (r.type != APPSPEC_R_SEQ && r.type != APPSPEC_R_MAP)
		return xstrdup(r.s);
	appspec_inspect(&b, src, v);
	return buf_detach(&b, NULL);
}

/* ---- loading ----------------------------------------------------------- */

/* Positions were taken with the "#\n" line in front: one line up. */
static void shift_lines(struct val *v)
{
	if (v->line > 0)
		v->line--;
	if (v->type == VAL_SEQ)
		for (size_t i = 0; i < v->seq.n; i++)
			shift_lines(v->seq.v[i]);
	if (v->type != VAL_MAP)
		return;
	for (size_t i = 0; i < v->map.n; i++) {
		if (v->map.v[i].line > 0)
			v->map.v[i].line--;
		shift_lines(v->map.v[i].v);
	}
}

/* The loader's "NAME:LINE:COL: ... (started at line N)", one line up. */
static int shift_message(int err, const char *name)
{
	const char *msg = err_msg(), *p = msg + strlen(name), *at;
	struct buf b = BUF_INIT;
	char *end;
	long n;

	if (strncmp(msg, name, strlen(name)) || *p != ':')
		return err;
	n = strtol(p + 1, &end, 10);
	buf_add(&b, msg, (size_t)(p - msg));
	buf_addf(&b, ":%ld", n > 1 ? n - 1 : n);
	at = strstr(end, "(started at line ");
	if (at) {
		buf_add(&b, end, (size_t)(at - end));
		n = strtol(at + 17, &end, 10);
		buf_addf(&b, "(started at line %ld", n > 1 ? n - 1 : n);
	}
	buf_addstr(&b, end);
	err = err_set(err, "%s", b.ptr);
	buf_release(&b);
	return err;
}

int appspec_yaml_load(struct val **out, struct appspec_src *src,
		      const char *text, size_t len, const char *name,
		      struct msgs *msgs)
{
	struct buf in = BUF_INIT;
	struct val *root = NULL;
	int err;

	escape_text(&src->esc, text, len);
	src->text = src->esc.ptr;
	src->len = src->esc.len;
	index_lines(src);
	/*
	 * The loader removes the first line's indentation from every line,
	 * as travis-yml does; Psych does not.  A comment line in front keeps
	 * the text as it is.
	 */
	buf_addstr(&in, "#\n");
	buf_add(&in, src->text, src->len);
	err = loader_load(&root, in.ptr, in.len, name, msgs, NULL);
	buf_release(&in);
	if (err < 0)
		return shift_message(err, name);
	for (size_t i = 0; msgs && i < msgs->n; i++)
		if (msgs->v[i].line > 0)
			msgs->v[i].line--;
	shift_lines(root);
	unescape_tree(root);
	*out = root;
	return 0;
}

void appspec_src_release(struct appspec_src *src)
{
	buf_release(&src->esc);
	free(src->lines);
	memset(src, 0, sizeof(*src));
	src->esc = (struct buf)BUF_INIT;
}
