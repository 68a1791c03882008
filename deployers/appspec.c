/*
 * appspec.c: the AppSpec file of an EC2/on-premises revision, read as the
 * CodeDeploy agent 1.8.1 reads it (see appspec.h).
 *
 * The YAML goes through our loader (loader.h), which follows travis-yml.
 * Three differences from Psych are undone here:
 *  - the loader drops bytes over 0x7f; valid UTF-8 is therefore escaped
 *    into ASCII before loading and restored in every key and string after;
 *  - floats and quoted scalars are both strings in the tree; the source
 *    text at the node's position tells a plain scalar from a quoted one,
 *    and a plain float is then read as Psych reads it;
 *  - lower-case yes/no/on/off stay strings; as plain scalars they are
 *    Psych's booleans here.
 */
#include "compat.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>

#include "appspec.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "loader.h"
#include "msg.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define APPSPEC_MAX_BYTES (4u << 20)

/* The escape for bytes over 0x7f: "Zj" + two hex digits ("ZjZj": "Zj"). */
#define ESC	"Zj"
#define ESC_LEN 2

struct parse {
	struct appspec *spec;
	const char *text; /* what the loader read (escaped) */
	size_t len;
	size_t width;  /* indentation the loader removed from each line */
	size_t *lines; /* offset of each line's start */
	size_t nlines;
};

/* What a scalar is to Ruby after Psych has read it. */
enum rtype { R_NIL, R_BOOL, R_INT, R_FLOAT, R_STR, R_SEQ, R_MAP };

struct rval {
	enum rtype type;
	bool b;
	long long i;
	double f;
	const char *s; /* the text, as Ruby's to_s gives it */
	char fbuf[40]; /* R_FLOAT: to_s */
};

static void add_problem(struct appspec *spec, bool warning, int line0,
			const char *code, const char *fmt, ...)
	PRINTFLIKE(5, 6);

static void add_problem(struct appspec *spec, bool warning, int line0,
			const char *code, const char *fmt, ...)
{
	struct appspec_problem *p;
	struct buf b = BUF_INIT;
	va_list ap;
	size_t alloc = spec->nproblems;

	spec->problems = xrealloc(spec->problems,
				  st_mult(alloc + 1, sizeof(*spec->problems)));
	p = &spec->problems[spec->nproblems++];
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	p->warning = warning;
	p->line = line0 >= 0 ? line0 + 1 : 0;
	p->code = xstrdup(code);
	p->message = buf_detach(&b, NULL);
}

#define error_at(p, v, code, ...) \
	add_problem((p)->spec, false, (v) ? (v)->line : -1, code, __VA_ARGS__)
#define warn_at(p, line0, code, ...) \
	add_problem((p)->spec, true, line0, code, __VA_ARGS__)

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
		} else if (!strncmp(text + i, ESC, ESC_LEN)) {
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

/* The loader's width: the spaces before the first non-space character. */
static size_t text_width(const char *t, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t sp = 0;

		while (i + sp < len && t[i + sp] == ' ')
			sp++;
		if (i + sp < len && !isspace((unsigned char)t[i + sp]))
			return sp;
		i += sp ? sp : 1;
	}
	return 0;
}

static void index_lines(struct parse *p)
{
	size_t alloc = 0;

	XGROW(p->lines, alloc, 1);
	p->lines[p->nlines++] = 0;
	for (size_t i = 0; i < p->len; i++) {
		if (p->text[i] != '\n')
			continue;
		XGROW(p->lines, alloc, p->nlines + 1);
		p->lines[p->nlines++] = i + 1;
	}
}

/* The source text where node `v` starts, or NULL. */
static const char *node_src(const struct parse *p, const struct val *v)
{
	size_t i, col;

	if (v->line < 0 || v->col < 0 || (size_t)v->line >= p->nlines)
		return NULL;
	i = p->lines[v->line];
	col = (size_t)v->col;
	if (p->width && p->len - i >= p->width &&
	    strspn(p->text + i, " ") >= p->width)
		col += p->width;
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
static bool is_plain(const struct parse *p, const struct val *v)
{
	const char *s = node_src(p, v);

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
	const char *p = s;
	struct buf clean = BUF_INIT;
	bool neg = false;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (*p == '.' && (!strcmp(p + 1, "inf") || !strcmp(p + 1, "Inf") ||
			  !strcmp(p + 1, "INF"))) {
		*out = neg ? -HUGE_VAL : HUGE_VAL;
		return true;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*out = NAN;
		return true;
	}
	if (!strcmp(p, "."))
		return false;
	if (is_digit(*p)) {
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
	if (*p)
		return false;
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
	if (decpt > 0 && decpt <= 16 && decpt >= nd)
		snprintf(out, cap, "%s%s%.*d.0", f < 0 ? "-" : "", digits,
			 decpt - nd, 0);
	else if (decpt > 0 && decpt <= 16)
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
static void rvalue(const struct parse *p, const struct val *v, struct rval *r)
{
	memset(r, 0, sizeof(*r));
	if (!v || v->type == VAL_NULL) {
		r->type = R_NIL;
		r->s = "";
		return;
	}
	switch (v->type) {
	case VAL_NULL:
		break;
	case VAL_BOOL:
		r->type = R_BOOL;
		r->b = v->b;
		r->s = v->b ? "true" : "false";
		return;
	case VAL_NUM:
		r->type = R_INT;
		r->s = v->str.s;
		r->i = strtoll(v->str.s, NULL, 10);
		return;
	case VAL_STR:
	case VAL_SECURE:
		r->type = R_STR;
		r->s = v->str.s;
		if (v->type != VAL_STR || !is_plain(p, v))
			return;
		if (!strcasecmp(v->str.s, "yes") ||
		    !strcasecmp(v->str.s, "on")) {
			r->type = R_BOOL;
			r->b = true;
			r->s = "true";
		} else if (!strcasecmp(v->str.s, "no") ||
			   !strcasecmp(v->str.s, "off")) {
			r->type = R_BOOL;
			r->s = "false";
		} else if (psych_float(v->str.s, &r->f)) {
			r->type = R_FLOAT;
			ruby_float_s(r->f, r->fbuf, sizeof(r->fbuf));
			r->s = r->fbuf;
		}
		return;
	case VAL_SEQ:
		r->type = R_SEQ;
		r->s = "";
		return;
	case VAL_MAP:
		r->type = R_MAP;
		r->s = "";
		return;
	}
}

static bool rtruthy(const struct rval *r)
{
	return r->type != R_NIL && !(r->type == R_BOOL && !r->b);
}

/* Ruby's String#to_i: optional spaces and sign, digits with single '_'. */
static long long ruby_to_i(const char *s)
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
static char *ruby_strip(const char *s)
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
static char *scalar_text(const struct parse *p, const struct val *v)
{
	struct rval r;

	rvalue(p, v, &r);
	if (r.type == R_SEQ || r.type == R_MAP)
		return NULL;
	return xstrdup(r.s);
}

/* Ruby's inspect of a value, for the agent's messages. */
static void inspect(struct buf *b, const struct parse *p, const struct val *v)
{
	struct rval r;

	rvalue(p, v, &r);
	switch (r.type) {
	case R_NIL:
		buf_addstr(b, "nil");
		return;
	case R_BOOL:
	case R_INT:
	case R_FLOAT:
		buf_addstr(b, r.s);
		return;
	case R_STR:
		buf_addch(b, '"');
		for (const char *s = r.s; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_addch(b, '\\');
			buf_addch(b, *s);
		}
		buf_addch(b, '"');
		return;
	case R_SEQ:
		buf_addch(b, '[');
		for (size_t i = 0; i < v->seq.n; i++) {
			if (i)
				buf_addstr(b, ", ");
			inspect(b, p, v->seq.v[i]);
		}
		buf_addch(b, ']');
		return;
	case R_MAP:
		buf_addch(b, '{');
		for (size_t i = 0; i < v->map.n; i++) {
			if (i)
				buf_addstr(b, ", ");
			buf_addf(b, "\"%s\"=>", v->map.v[i].key);
			inspect(b, p, v->map.v[i].v);
		}
		buf_addch(b, '}');
		return;
	}
}

/* ---- the sections ---------------------------------------------------- */

static const char *const top_keys[] = { "version", "os",
					"files",   "permissions",
					"hooks",   "file_exists_behavior",
					NULL };
static const char *const script_keys[] = { "location", "timeout", "runas",
					   "sudo", NULL };
static const char *const file_keys[] = { "source", "destination", NULL };
static const char *const perm_keys[] = { "object",  "pattern", "except", "type",
					 "owner",   "group",   "mode",	 "acls",
					 "context", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static void warn_unknown_keys(struct parse *p, const struct val *map,
			      const char *const *known, const char *where)
{
	for (size_t i = 0; i < map->map.n; i++)
		if (!in_list(map->map.v[i].key, known))
			warn_at(p, map->map.v[i].line, "unknown_key",
				"unknown key '%s' in %s (the agent ignores it)",
				map->map.v[i].key, where);
}

static void check_version(struct parse *p, const struct val *root)
{
	const struct val *v = val_map_get(root, "version");
	struct rval r;

	rvalue(p, v, &r);
	if ((r.type == R_INT && r.i == 0) || (r.type == R_FLOAT && r.f == 0))
		return;
	error_at(p, v ? v : root, "invalid_version",
		 "The deployment failed because an invalid version value (%s) "
		 "was entered in the application specification file. Make "
		 "sure your AppSpec file specifies \"0.0\" as the version, "
		 "and then try again.",
		 r.s);
}

static void check_os(struct parse *p, const struct val *root)
{
	const struct val *v = val_map_get(root, "os");
	struct rval r;

	rvalue(p, v, &r);
	if (r.type == R_STR && !strcmp(r.s, "linux")) {
		p->spec->os = xstrdup(r.s);
		return;
	}
	error_at(p, v ? v : root, "unsupported_os",
		 "The deployment failed because the application specification "
		 "file specifies an unsupported operating system (%s). "
		 "Specify either \"linux\" or \"windows\" in the os section of "
		 "the AppSpec file, and then try again.",
		 r.type == R_SEQ || r.type == R_MAP ? "" : r.s);
}

static void structure(struct parse *p, const struct val *v, const char *what)
{
	error_at(p, v, "invalid_structure", "%s", what);
}

static const char msg_no_location[] =
	"The deployment failed because the application specification file "
	"specifies a script with no location value. Specify the location in "
	"the hooks section of the AppSpec file, and then try again.";

/* Ruby's `timeout || 3600` then to_i; false when the agent fails. */
static bool script_timeout(struct parse *p, const struct val *v, long *out)
{
	struct rval r;
	long long n = 0;

	rvalue(p, v, &r);
	switch (r.type) {
	case R_NIL:
		n = APPSPEC_DEFAULT_TIMEOUT;
		break;
	case R_BOOL:
		if (r.b)
			return false;
		n = APPSPEC_DEFAULT_TIMEOUT;
		break;
	case R_INT:
		n = r.i;
		break;
	case R_FLOAT:
		if (!isfinite(r.f))
			return false;
		n = r.f >= (double)LONG_MAX ? LONG_MAX : (long long)r.f;
		break;
	case R_STR:
		n = ruby_to_i(r.s);
		break;
	case R_SEQ:
	case R_MAP:
		return false;
	}
	if (n <= 0)
		return false;
	*out = n > LONG_MAX ? LONG_MAX : (long)n;
	return true;
}

static void parse_script(struct parse *p, struct appspec_hook *h,
			 const struct val *v)
{
	const struct val *loc = val_map_get(v, "location");
	const struct val *runas = val_map_get(v, "runas");
	struct appspec_script s = { .line = v->line + 1 };
	struct rval r;
	char *text;

	if (!loc || loc->type == VAL_NULL) {
		error_at(p, v, "missing_location", msg_no_location);
		return;
	}
	text = scalar_text(p, loc);
	if (!text) {
		structure(p, loc, "a script's 'location' must be a path");
		return;
	}
	s.location = ruby_strip(text);
	free(text);
	if (!*s.location) {
		error_at(p, loc, "missing_location", msg_no_location);
		free(s.location);
		return;
	}
	if (runas && runas->type != VAL_NULL) {
		text = scalar_text(p, runas);
		s.runas = text ? ruby_strip(text) : NULL;
		free(text);
		if (!s.runas) {
			structure(p, runas,
				  "a script's 'runas' must be a user");
			free(s.location);
			return;
		}
	}
	rvalue(p, val_map_get(v, "sudo"), &r);
	s.sudo = rtruthy(&r);
	if (!script_timeout(p, val_map_get(v, "timeout"), &s.timeout)) {
		const struct val *t = val_map_get(v, "timeout");

		error_at(p, t ? t : v, "invalid_timeout",
			 "The deployment failed because an invalid timeout "
			 "value was provided for a script in the application "
			 "specification file. Make corrections in the hooks "
			 "section of the AppSpec file, and then try again.");
		free(s.location);
		free(s.runas);
		return;
	}
	warn_unknown_keys(p, v, script_keys, "a hook script");
	h->scripts = xrealloc(h->scripts, st_mult(h->n + 1, sizeof(s)));
	h->scripts[h->n++] = s;
}

/* Events whose scripts the agent never runs (reserved or unknown). */
static const char *const reserved_events[] = { "Start",
					       "DownloadBundle",
					       "Install",
					       "BlockTraffic",
					       "AllowTraffic",
					       "End",
					       NULL };

static void hook_warnings(struct parse *p, const struct appspec_hook *h)
{
	long total = 0;

	if (in_list(h->event, reserved_events))
		warn_at(p, h->line - 1, "reserved_event",
			"scripts for '%s' never run: the agent reserves this "
			"lifecycle event",
			h->event);
	for (size_t i = 0; i < h->n; i++)
		total = h->scripts[i].timeout > LONG_MAX - total
				? LONG_MAX
				: total + h->scripts[i].timeout;
	if (total > APPSPEC_DEFAULT_TIMEOUT)
		warn_at(p, h->line - 1, "event_timeout",
			"the scripts of '%s' may take %ld s; CodeDeploy allows "
			"3600 s for all the scripts of one lifecycle event",
			h->event, total);
}

static void parse_hooks(struct parse *p, const struct val *root)
{
	const struct val *hooks = val_map_get(root, "hooks");
	struct appspec *spec = p->spec;

	if (!hooks || hooks->type == VAL_NULL)
		return;
	if (hooks->type != VAL_MAP) {
		structure(p, hooks,
			  "'hooks' must be a map of lifecycle events "
			  "to lists of scripts");
		return;
	}
	for (size_t i = 0; i < hooks->map.n; i++) {
		const struct val_pair *e = &hooks->map.v[i];
		struct appspec_hook *h;
		struct rval r;

		rvalue(p, e->v, &r);
		if (!rtruthy(&r))
			continue;
		if (e->v->type != VAL_SEQ) {
			structure(p, e->v,
				  "a lifecycle event must have a list "
				  "of scripts");
			continue;
		}
		spec->hooks = xrealloc(spec->hooks,
				       st_mult(spec->nhooks + 1, sizeof(*h)));
		h = &spec->hooks[spec->nhooks++];
		memset(h, 0, sizeof(*h));
		h->event = xstrdup(e->key);
		h->line = e->line + 1;
		for (size_t k = 0; k < e->v->seq.n; k++) {
			const struct val *s = e->v->seq.v[k];

			if (s->type != VAL_MAP)
				structure(p, s,
					  "a hook script must be a map "
					  "with 'location'");
			else
				parse_script(p, h, s);
		}
		hook_warnings(p, h);
	}
}

static void parse_files(struct parse *p, const struct val *root)
{
	const struct val *files = val_map_get(root, "files");
	struct appspec *spec = p->spec;
	struct rval r;

	rvalue(p, files, &r);
	if (!rtruthy(&r))
		return;
	if (files->type != VAL_SEQ) {
		structure(p, files,
			  "'files' must be a list of source and "
			  "destination pairs");
		return;
	}
	for (size_t i = 0; i < files->seq.n; i++) {
		const struct val *m = files->seq.v[i];
		const struct val *src, *dst;
		struct appspec_file f = { .line = m->line + 1 };

		if (m->type != VAL_MAP) {
			structure(p, m,
				  "a 'files' entry must be a map with "
				  "'source' and 'destination'");
			continue;
		}
		src = val_map_get(m, "source");
		dst = val_map_get(m, "destination");
		if (!src || src->type == VAL_NULL) {
			error_at(p, m, "missing_source",
				 "The deployment failed because the "
				 "application specification file specifies a "
				 "destination file, but no source file. Update "
				 "the files section of the AppSpec file, and "
				 "then try again.");
			continue;
		}
		f.source = scalar_text(p, src);
		if (!dst || dst->type == VAL_NULL) {
			error_at(p, m, "missing_destination",
				 "The deployment failed because the "
				 "application specification file specifies "
				 "only a source file (%s). Add the name of the "
				 "destination file to the files section of the "
				 "AppSpec file, and then try again.",
				 f.source ? f.source : "");
			free(f.source);
			continue;
		}
		f.destination = scalar_text(p, dst);
		if (!f.source || !f.destination) {
			structure(p, m,
				  "'source' and 'destination' must be "
				  "paths");
			free(f.source);
			free(f.destination);
			continue;
		}
		if (f.destination[0] != '/')
			warn_at(p, dst->line, "relative_path",
				"destination '%s' is not an absolute path (the "
				"agent resolves it from its own directory)",
				f.destination);
		warn_unknown_keys(p, m, file_keys, "a 'files' entry");
		spec->files = xrealloc(spec->files,
				       st_mult(spec->nfiles + 1, sizeof(f)));
		spec->files[spec->nfiles++] = f;
	}
}

/* ---- permissions ----------------------------------------------------- */

static int mode_parse(char **out, const char *text)
{
	struct buf m = BUF_INIT;
	size_t len = strlen(text);

	for (size_t i = len; i < 3; i++)
		buf_addch(&m, '0');
	buf_addstr(&m, text);
	if (m.len > 4) {
		err_set(FY_EINVALID,
			"The deployment failed because the length of a "
			"permissions mode (%s) in the application "
			"specification file is invalid. Permissions modes must "
			"be between one and four characters long. Update the "
			"permissions section of the AppSpec file, and then try "
			"again.",
			m.ptr);
		buf_release(&m);
		return -1;
	}
	for (size_t i = 0; i < m.len; i++) {
		if (m.ptr[i] < '0' || m.ptr[i] > '7') {
			err_set(FY_EINVALID,
				"The deployment failed because the permissions "
				"mode (%s) in the application specification "
				"file contains an invalid character (%c). "
				"Update the permissions section of the AppSpec "
				"file, and then try again.",
				m.ptr, m.ptr[i]);
			buf_release(&m);
			return -2;
		}
	}
	*out = buf_detach(&m, NULL);
	return 0;
}

static int ace_invalid(const char *text)
{
	return err_set(FY_EINVALID,
		       "The deployment failed because of a problem with the "
		       "acls permission settings in the application "
		       "specification file. Invalid acl entry (%s).",
		       text);
}

static bool is_word(const char *s, const char *a, const char *b)
{
	return !strcmp(s, a) || !strcmp(s, b);
}

static int ace_perms(struct appspec_ace *ace, const char *perms,
		     const char *text)
{
	if (strlen(perms) == 1 && perms[0] >= '0' && perms[0] <= '7') {
		int d = perms[0] - '0';

		ace->r = d & 4;
		ace->w = d & 2;
		ace->x = d & 1;
		return 0;
	}
	for (const char *c = perms; *c; c++) {
		if (*c == 'r')
			ace->r = true;
		else if (*c == 'w')
			ace->w = true;
		else if (*c == 'x')
			ace->x = true;
		else if (*c != '-')
			return err_set(
				FY_EINVALID,
				"The deployment failed because the "
				"access control list (ACL) named %s in "
				"the application specification file "
				"contains an invalid character (%c). "
				"Correct the ACL in the hooks section of "
				"the AppSpec file, and then try again.",
				text, *c);
	}
	return 0;
}

int appspec_ace_parse(struct appspec_ace *ace, const char *text, bool internal)
{
	struct svec parts = SVEC_INIT;
	const char *type = NULL, *p1;
	int err = 0;

	memset(ace, 0, sizeof(*ace));
	svec_split(&parts, text, ":", false);
	if (parts.n < 2 || parts.n > 4) {
		err = ace_invalid(text);
		goto out;
	}
	/* The agent reads the parts from the end: perms, name, type, "d". */
	if (parts.n == 4) {
		if (!is_word(parts.v[0], "d", "default")) {
			err = ace_invalid(text);
			goto out;
		}
		ace->is_default = true;
	}
	if (parts.n >= 3) {
		const char *t = parts.v[parts.n - 3];

		if (is_word(t, "d", "default")) {
			if (ace->is_default) {
				err = ace_invalid(text);
				goto out;
			}
			ace->is_default = true;
		} else if (is_word(t, "m", "mask")) {
			type = "mask";
		} else if (is_word(t, "o", "other")) {
			type = "other";
		} else if (is_word(t, "g", "group")) {
			type = "group";
		} else if (is_word(t, "u", "user")) {
			type = "user";
		} else {
			err = ace_invalid(text);
			goto out;
		}
	}
	p1 = parts.v[parts.n - 2];
	if (is_word(p1, "m", "mask") || is_word(p1, "o", "other")) {
		const char *w = p1[0] == 'm' ? "mask" : "other";

		if (!type) {
			type = w;
			ace->name = xstrdup("");
		} else {
			ace->name = xstrdup(w);
		}
	} else {
		if (!type)
			type = "user";
		ace->name = xstrdup(p1);
	}
	snprintf(ace->type, sizeof(ace->type), "%s", type);
	if ((!strcmp(type, "mask") || !strcmp(type, "other")) && *ace->name) {
		err = ace_invalid(text);
		goto out;
	}
	if (!internal && !ace->is_default && strcmp(type, "mask") &&
	    !*ace->name) {
		err = err_set(FY_EINVALID,
			      "The deployment failed because of a problem with "
			      "the acls permission settings in the application "
			      "specification file. Use mode to set the base "
			      "acl entry (%s). Update the permissions section "
			      "of the AppSpec file, and then try again.",
			      text);
		goto out;
	}
	err = ace_perms(ace, parts.v[parts.n - 1], text);
out:
	if (err < 0) {
		free(ace->name);
		ace->name = NULL;
	}
	svec_release(&parts);
	return err;
}

char *appspec_ace_format(const struct appspec_ace *ace)
{
	return xasprintf("%s%s:%s:%c%c%c", ace->is_default ? "default:" : "",
			 ace->type, ace->name ? ace->name : "",
			 ace->r ? 'r' : '-', ace->w ? 'w' : '-',
			 ace->x ? 'x' : '-');
}

static int range_invalid(const char *what, const char *input)
{
	return err_set(FY_EINVALID, "%s %s", what, input);
}

/* The agent's ensure_parts: one part, or two non-empty around `sep`. */
static int range_split(const char *in, char sep, char **a, char **b)
{
	const char *s = strchr(in, sep);

	*a = *b = NULL;
	if (!*in || (s && (s == in || !s[1])))
		return range_invalid("invalid range part", in);
	if (!s) {
		*a = xstrdup(in);
		return 0;
	}
	*a = xmemdupz(in, (size_t)(s - in));
	*b = xstrdup(s + 1);
	return 0;
}

static int range_number(const char *s, char letter, const char *what, long max,
			long *out)
{
	char *end;

	if (strlen(s) < 2 || s[0] != letter)
		return range_invalid(what, s);
	for (const char *c = s + 1; *c; c++)
		if (!is_digit(*c))
			return range_invalid(what, s);
	errno = 0;
	*out = strtol(s + 1, &end, 10);
	if (errno || *out > max)
		return range_invalid(what, s);
	return 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static int range_categories(const char *list, struct buf *out)
{
	struct svec parts = SVEC_INIT;
	long *cats = NULL;
	size_t n = 0, alloc = 0;
	int err = 0;

	svec_split(&parts, list, ",", false);
	/* Ruby's split drops trailing empty fields. */
	while (parts.n && !*parts.v[parts.n - 1])
		svec_pop(&parts);
	for (size_t i = 0; i < parts.n && !err; i++) {
		char *a = NULL, *b = NULL;
		long lo, hi;

		if (strchr(parts.v[i], '.')) {
			err = range_split(parts.v[i], '.', &a, &b);
			if (!err)
				err = range_number(a, 'c', "invalid category",
						   1023, &lo);
			if (!err)
				err = range_number(b, 'c', "invalid category",
						   1023, &hi);
			if (!err && hi < lo)
				err = err_set(FY_EINVALID,
					      "invalid category range %s.%s", a,
					      b);
		} else {
			err = range_number(parts.v[i], 'c', "invalid category",
					   1023, &lo);
			hi = lo;
		}
		for (long c = lo; !err && c <= hi; c++) {
			XGROW(cats, alloc, n + 1);
			cats[n++] = c;
		}
		free(a);
		free(b);
	}
	if (!err && n) {
		qsort(cats, n, sizeof(*cats), cmp_long);
		for (size_t i = 1; i < n; i++)
			if (cats[i] == cats[i - 1])
				err = err_set(FY_EINVALID,
					      "duplicate categories");
	}
	/* Runs of consecutive categories are written c0.c3. */
	for (size_t i = 0; !err && i < n;) {
		size_t j = i;

		while (j + 1 < n && cats[j + 1] == cats[j] + 1)
			j++;
		buf_addf(out, "%s", i ? "," : ":");
		if (j == i)
			buf_addf(out, "c%ld", cats[i]);
		else
			buf_addf(out, "c%ld.c%ld", cats[i], cats[j]);
		i = j + 1;
	}
	free(cats);
	svec_release(&parts);
	return err;
}

/* An SELinux range "s0[-s1][:c0[.c3][,c5]]", normalised as the agent. */
static int range_parse(char **out, const char *range)
{
	char *sens = NULL, *cats = NULL, *low = NULL, *high = NULL;
	struct buf b = BUF_INIT;
	long lo, hi;
	int err;

	err = range_split(range, ':', &sens, &cats);
	if (!err)
		err = range_split(sens, '-', &low, &high);
	if (!err)
		err = range_number(low, 's', "invalid sensitivity", LONG_MAX,
				   &lo);
	hi = lo;
	if (!err && high)
		err = range_number(high, 's', "invalid sensitivity", LONG_MAX,
				   &hi);
	if (!err && hi < lo)
		err = err_set(
			FY_EINVALID,
			"The deployment failed because of a problem with "
			"the SELinux range specified (%s) for the context "
			"parameter in the permissions section of the "
			"application specification file. Make corrections "
			"in the permissions section of the AppSpec file, "
			"and then try again.",
			range);
	if (!err) {
		buf_addf(&b, "s%ld", lo);
		if (hi != lo)
			buf_addf(&b, "-s%ld", hi);
		if (cats)
			err = range_categories(cats, &b);
	}
	if (!err)
		*out = buf_detach(&b, NULL);
	buf_release(&b);
	free(sens);
	free(cats);
	free(low);
	free(high);
	return err;
}

static void parse_context(struct parse *p, struct appspec_permission *perm,
			  const struct val_pair *pair)
{
	const struct val *v = pair->v;
	const struct val *type =
		v->type == VAL_MAP ? val_map_get(v, "type") : NULL;
	const struct val *range;
	struct appspec_context *c;
	struct buf b = BUF_INIT;

	if (!type || type->type == VAL_NULL) {
		inspect(&b, p, v);
		add_problem(p->spec, false, pair->line, "invalid_context",
			    "The deployment failed because the application "
			    "specification file specifies an invalid context "
			    "type (%s). Update the permissions section of the "
			    "AppSpec file, and then try again.",
			    b.ptr);
		buf_release(&b);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	perm->context = c;
	c->type = scalar_text(p, type);
	if (val_map_get(v, "name") && val_map_get(v, "name")->type != VAL_NULL)
		c->user = scalar_text(p, val_map_get(v, "name"));
	if (val_map_get(v, "user") && !val_map_get(v, "name"))
		warn_at(p, val_map_pair(v, "user")->line, "context_user",
			"the agent reads the SELinux user from 'name', not "
			"'user'");
	range = val_map_get(v, "range");
	if (range && range->type != VAL_NULL) {
		char *text = scalar_text(p, range);

		if (!text || range_parse(&c->range, text) < 0)
			error_at(p, range, "invalid_range", "%s",
				 text ? err_msg()
				      : "an SELinux range must be a string");
		free(text);
	}
	if (!c->type)
		structure(p, type, "an SELinux context type must be a string");
}

static void parse_acls(struct parse *p, struct appspec_permission *perm,
		       const struct val *v)
{
	if (v->type != VAL_SEQ) {
		structure(p, v, "'acls' must be a list of ACL entries");
		return;
	}
	perm->acls = xcalloc(v->seq.n + 1, sizeof(*perm->acls));
	for (size_t i = 0; i < v->seq.n; i++) {
		const struct val *e = v->seq.v[i];

		if (e->type != VAL_STR && e->type != VAL_NUM) {
			structure(p, e, "an ACL entry must be a string");
			return;
		}
		if (appspec_ace_parse(&perm->acls[perm->nacls], e->str.s,
				      false) < 0) {
			error_at(p, e, "invalid_acl", "%s", err_msg());
			return;
		}
		perm->nacls++;
	}
}

static bool parse_types(struct parse *p, struct appspec_permission *perm,
			const struct val *v)
{
	if (!v || v->type == VAL_NULL) {
		svec_pushl(&perm->types, "file", "directory", NULL);
		perm->type_file = perm->type_dir = true;
		return true;
	}
	if (v->type != VAL_SEQ) {
		structure(p, v,
			  "'type' must be a list of 'file' and "
			  "'directory'");
		return false;
	}
	for (size_t i = 0; i < v->seq.n; i++) {
		const struct val *t = v->seq.v[i];
		struct rval r;

		rvalue(p, t, &r);
		if (r.type != R_STR ||
		    (strcmp(r.s, "file") && strcmp(r.s, "directory"))) {
			error_at(
				p, t, "invalid_type",
				"The deployment failed because the application "
				"specification filespecifies a permission for "
				"an object type not supported for permissions "
				"(%s). Update the permissions section of the "
				"AppSpec file, and then try again.",
				r.s);
			return false;
		}
		svec_push(&perm->types, r.s);
		if (r.s[0] == 'f')
			perm->type_file = true;
		else
			perm->type_dir = true;
	}
	return true;
}

static void perm_release(struct appspec_permission *perm)
{
	free(perm->object);
	free(perm->pattern);
	svec_release(&perm->except);
	svec_release(&perm->types);
	free(perm->owner);
	free(perm->group);
	free(perm->mode);
	for (size_t i = 0; i < perm->nacls; i++)
		free(perm->acls[i].name);
	free(perm->acls);
	if (perm->context) {
		free(perm->context->user);
		free(perm->context->type);
		free(perm->context->range);
		free(perm->context);
	}
}

/* The octal trap: an unquoted mode with a leading zero. */
static void mode_warning(struct parse *p, const struct val *v, const char *mode)
{
	const char *s = node_src(p, v);
	size_t n;

	if (v->type != VAL_NUM || !s || s[0] != '0' || !is_digit(s[1]))
		return;
	n = strspn(s, "0123456789_");
	warn_at(p, v->line, "octal_mode",
		"mode %.*s is read by YAML 1.1 as the octal number %s, so the "
		"agent sets the mode %s: quote it (\"%.*s\") or drop the "
		"leading zero",
		(int)n, s, v->str.s, mode, (int)n, s);
}

static bool parse_perm_fields(struct parse *p, struct appspec_permission *perm,
			      const struct val *m)
{
	const struct val *v;
	int before = (int)p->spec->nproblems;

	v = val_map_get(m, "pattern");
	if (v && v->type != VAL_NULL)
		perm->pattern = scalar_text(p, v);
	if (!perm->pattern)
		perm->pattern = xstrdup("**");
	v = val_map_get(m, "except");
	if (v && v->type != VAL_NULL) {
		if (v->type != VAL_SEQ)
			structure(p, v, "'except' must be a list of patterns");
		for (size_t i = 0; v->type == VAL_SEQ && i < v->seq.n; i++) {
			char *t = scalar_text(p, v->seq.v[i]);

			if (t)
				svec_push_nodup(&perm->except, t);
		}
	}
	if (!parse_types(p, perm, val_map_get(m, "type")))
		return false;
	v = val_map_get(m, "owner");
	if (v && v->type != VAL_NULL)
		perm->owner = scalar_text(p, v);
	v = val_map_get(m, "group");
	if (v && v->type != VAL_NULL)
		perm->group = scalar_text(p, v);
	v = val_map_get(m, "mode");
	if (v && v->type != VAL_NULL) {
		char *t = scalar_text(p, v);
		int e = t ? mode_parse(&perm->mode, t) : -3;

		if (e == -1)
			error_at(p, v, "invalid_mode_length", "%s", err_msg());
		else if (e == -2)
			error_at(p, v, "invalid_mode_char", "%s", err_msg());
		else if (e == -3)
			structure(p, v, "'mode' must be octal digits");
		else
			mode_warning(p, v, perm->mode);
		free(t);
		if (e)
			return false;
	}
	v = val_map_get(m, "acls");
	if (v && v->type != VAL_NULL)
		parse_acls(p, perm, v);
	v = val_map_get(m, "context");
	if (v && v->type != VAL_NULL)
		parse_context(p, perm, val_map_pair(m, "context"));
	for (size_t i = (size_t)before; i < p->spec->nproblems; i++)
		if (!p->spec->problems[i].warning)
			return false;
	return true;
}

static void parse_perm(struct parse *p, const struct val *m)
{
	struct appspec *spec = p->spec;
	struct appspec_permission perm = { .line = m->line + 1 };
	const struct val *obj = val_map_get(m, "object");
	char *text = NULL;

	if (obj && obj->type != VAL_NULL)
		text = scalar_text(p, obj);
	if (text)
		perm.object = ruby_strip(text);
	free(text);
	if (!perm.object || !*perm.object) {
		error_at(p, obj ? obj : m, "missing_object",
			 "The deployment failed because a permission listed in "
			 "the application specification file has no object "
			 "value. Update the permissions section of the AppSpec "
			 "file, and then try again.");
		free(perm.object);
		return;
	}
	if (!parse_perm_fields(p, &perm, m)) {
		perm_release(&perm);
		return;
	}
	if (perm.object[0] != '/')
		warn_at(p, obj->line, "relative_path",
			"object '%s' is not an absolute path (the agent "
			"resolves it from its own directory)",
			perm.object);
	warn_unknown_keys(p, m, perm_keys, "a permission");
	spec->perms =
		xrealloc(spec->perms, st_mult(spec->nperms + 1, sizeof(perm)));
	spec->perms[spec->nperms++] = perm;
}

static void parse_perms(struct parse *p, const struct val *root)
{
	const struct val *perms = val_map_get(root, "permissions");
	struct rval r;

	rvalue(p, perms, &r);
	if (!rtruthy(&r))
		return;
	if (perms->type != VAL_SEQ) {
		structure(p, perms, "'permissions' must be a list");
		return;
	}
	for (size_t i = 0; i < perms->seq.n; i++) {
		if (perms->seq.v[i]->type != VAL_MAP)
			structure(p, perms->seq.v[i],
				  "a permission must be a map with 'object'");
		else
			parse_perm(p, perms->seq.v[i]);
	}
}

static void parse_feb(struct parse *p, const struct val *root)
{
	const struct val *v = val_map_get(root, "file_exists_behavior");
	struct rval r;

	rvalue(p, v, &r);
	if (r.type == R_NIL)
		return;
	if (r.type == R_STR) {
		if (!strcmp(r.s, "DISALLOW"))
			p->spec->file_exists_behavior = APPSPEC_DISALLOW;
		else if (!strcmp(r.s, "OVERWRITE"))
			p->spec->file_exists_behavior = APPSPEC_OVERWRITE;
		else if (!strcmp(r.s, "RETAIN"))
			p->spec->file_exists_behavior = APPSPEC_RETAIN;
	}
	if (p->spec->file_exists_behavior)
		return;
	error_at(
		p, v, "invalid_file_exists_behavior",
		"The deployment failed because an invalid file_exists_behavior "
		"value (%s) was entered in the application specification "
		"file. Make sure your AppSpec file specifies one of "
		"DISALLOW,OVERWRITE,RETAIN as the file_exists_behavior, and "
		"then try again.",
		r.s);
}

/* ---- loading --------------------------------------------------------- */

/* "NAME:LINE:COL: what" from the loader: the line. */
static int yaml_line(const char *msg, const char *name)
{
	size_t n = strlen(name);
	long line;

	if (strncmp(msg, name, n) || msg[n] != ':')
		return -1;
	line = strtol(msg + n + 1, NULL, 10);
	return line > 0 && line < INT_MAX ? (int)line - 1 : -1;
}

/* The loader's duplicate_key messages, as warnings. */
static void duplicate_warning(struct parse *p, const struct val *root,
			      const struct msg *m)
{
	const char *key = val_strv(val_map_get(m->args, "key"));
	const struct val_pair *pair;
	int line = m->line;

	if (strcmp(m->code, "duplicate_key") || !key)
		return;
	pair = !strcmp(m->key, "root") && root->type == VAL_MAP
		       ? val_map_pair(root, key)
		       : NULL;
	if (pair)
		line = pair->line;
	warn_at(p, line, "duplicate_key",
		"key '%s' is given more than once (in %s): the agent uses the "
		"last value",
		key, m->key);
}

static void parse_doc(struct parse *p, const struct val *root)
{
	check_version(p, root);
	check_os(p, root);
	parse_hooks(p, root);
	parse_files(p, root);
	parse_perms(p, root);
	parse_feb(p, root);
	warn_unknown_keys(p, root, top_keys, "the appspec");
}

int appspec_load(struct appspec **out, const char *text, size_t len,
		 const char *name)
{
	struct appspec *spec = xcalloc(1, sizeof(*spec));
	struct parse p = { .spec = spec };
	struct buf esc = BUF_INIT;
	struct msgs msgs = MSGS_INIT;
	struct val *root = NULL;

	escape_text(&esc, text, len);
	p.text = esc.ptr;
	p.len = esc.len;
	p.width = text_width(esc.ptr, esc.len);
	index_lines(&p);
	if (loader_load(&root, esc.ptr, esc.len, name, &msgs, NULL) < 0) {
		add_problem(spec, false, yaml_line(err_msg(), name), "yaml",
			    "%s", err_msg());
		goto out;
	}
	unescape_tree(root);
	for (size_t i = 0; i < msgs.n; i++)
		duplicate_warning(&p, root, &msgs.v[i]);
	if (root->type == VAL_MAP && !root->map.n && root->line < 0)
		add_problem(spec, false, -1, "empty",
			    "The deployment failed because the application "
			    "specification file was empty. Make sure your "
			    "AppSpec file defines at minimum the 'version' "
			    "and 'os' properties.");
	else
		parse_doc(&p, root);
out:
	val_free(root);
	msgs_release(&msgs);
	buf_release(&esc);
	free(p.lines);
	*out = spec;
	return 0;
}

int appspec_load_file(struct appspec **out, const char *path)
{
	struct buf text = BUF_INIT;
	int err;

	buf_set_limit(&text, APPSPEC_MAX_BYTES);
	err = fs_read_file(&text, path);
	if (err == FY_ETOOBIG)
		err = err_set(FY_ETOOBIG, "'%s' is larger than 4 MiB", path);
	if (!err)
		err = appspec_load(out, text.ptr, text.len, path);
	buf_release(&text);
	return err;
}

void appspec_free(struct appspec *spec)
{
	if (!spec)
		return;
	free(spec->os);
	for (size_t i = 0; i < spec->nhooks; i++) {
		for (size_t k = 0; k < spec->hooks[i].n; k++) {
			free(spec->hooks[i].scripts[k].location);
			free(spec->hooks[i].scripts[k].runas);
		}
		free(spec->hooks[i].scripts);
		free(spec->hooks[i].event);
	}
	free(spec->hooks);
	for (size_t i = 0; i < spec->nfiles; i++) {
		free(spec->files[i].source);
		free(spec->files[i].destination);
	}
	free(spec->files);
	for (size_t i = 0; i < spec->nperms; i++)
		perm_release(&spec->perms[i]);
	free(spec->perms);
	for (size_t i = 0; i < spec->nproblems; i++) {
		free(spec->problems[i].code);
		free(spec->problems[i].message);
	}
	free(spec->problems);
	free(spec);
}

const struct appspec_problem *appspec_error(const struct appspec *spec)
{
	for (size_t i = 0; i < spec->nproblems; i++)
		if (!spec->problems[i].warning)
			return &spec->problems[i];
	return NULL;
}

const struct appspec_hook *appspec_hook(const struct appspec *spec,
					const char *event)
{
	/* A repeated key keeps its last value, as a Ruby hash does. */
	for (size_t i = spec->nhooks; i-- > 0;)
		if (!strcmp(spec->hooks[i].event, event))
			return spec->hooks[i].n ? &spec->hooks[i] : NULL;
	return NULL;
}

size_t appspec_unknown_events(const struct appspec *spec,
			      const char *const *events, struct svec *unknown)
{
	size_t n = 0;

	for (size_t i = 0; i < spec->nhooks; i++) {
		if (in_list(spec->hooks[i].event, events) ||
		    svec_has(unknown, spec->hooks[i].event))
			continue;
		svec_push(unknown, spec->hooks[i].event);
		n++;
	}
	return n;
}

const char *appspec_feb_name(enum appspec_feb feb)
{
	switch (feb) {
	case APPSPEC_FEB_UNSET:
		return NULL;
	case APPSPEC_DISALLOW:
		return "DISALLOW";
	case APPSPEC_OVERWRITE:
		return "OVERWRITE";
	case APPSPEC_RETAIN:
		return "RETAIN";
	}
	return NULL;
}

enum appspec_feb appspec_feb_parse(const char *name)
{
	if (!strcasecmp(name, "DISALLOW"))
		return APPSPEC_DISALLOW;
	if (!strcasecmp(name, "OVERWRITE"))
		return APPSPEC_OVERWRITE;
	if (!strcasecmp(name, "RETAIN"))
		return APPSPEC_RETAIN;
	return APPSPEC_FEB_UNSET;
}

bool appspec_glob_match(const char *pattern, const char *name)
{
	const char *star = NULL, *resume = NULL;

	if (strchr(name, '/'))
		return false;
	while (*name) {
		if (*pattern == '*') {
			star = pattern++;
			resume = name;
		} else if (*pattern == *name) {
			pattern++;
			name++;
		} else if (star) {
			pattern = star + 1;
			name = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return !*pattern;
}

/* ---- output ---------------------------------------------------------- */

static struct val *str_or_null(const char *s)
{
	return s ? val_str(s) : val_null();
}

static struct val *svec_to_val(const struct svec *s)
{
	struct val *seq = val_seq();

	for (size_t i = 0; i < s->n; i++)
		val_seq_push(seq, val_str(s->v[i]));
	return seq;
}

static struct val *hooks_to_val(const struct appspec *spec)
{
	struct val *hooks = val_map();

	for (size_t i = 0; i < spec->nhooks; i++) {
		const struct appspec_hook *h = &spec->hooks[i];
		struct val *list = val_seq();

		for (size_t k = 0; k < h->n; k++) {
			const struct appspec_script *s = &h->scripts[k];
			struct val *m = val_map();

			val_map_set(m, "location", val_str(s->location));
			val_map_set(m, "timeout", val_numi(s->timeout));
			val_map_set(m, "runas", str_or_null(s->runas));
			if (s->sudo)
				val_map_set(m, "sudo", val_bool(true));
			val_seq_push(list, m);
		}
		val_map_set(hooks, h->event, list);
	}
	return hooks;
}

static struct val *perm_to_val(const struct appspec_permission *perm)
{
	struct val *m = val_map();

	val_map_set(m, "object", val_str(perm->object));
	val_map_set(m, "pattern", val_str(perm->pattern));
	val_map_set(m, "except", svec_to_val(&perm->except));
	val_map_set(m, "type", svec_to_val(&perm->types));
	val_map_set(m, "owner", str_or_null(perm->owner));
	val_map_set(m, "group", str_or_null(perm->group));
	val_map_set(m, "mode", str_or_null(perm->mode));
	if (perm->acls) {
		struct val *acls = val_seq();

		for (size_t k = 0; k < perm->nacls; k++)
			val_seq_push(acls, val_str_take(appspec_ace_format(
						   &perm->acls[k])));
		val_map_set(m, "acls", acls);
	}
	if (perm->context) {
		struct val *c = val_map();

		val_map_set(c, "name", str_or_null(perm->context->user));
		val_map_set(c, "type", str_or_null(perm->context->type));
		val_map_set(c, "range", str_or_null(perm->context->range));
		val_map_set(m, "context", c);
	}
	return m;
}

struct val *appspec_to_val(const struct appspec *spec)
{
	struct val *doc = val_map(), *files = val_seq(), *perms = val_seq();
	struct val *problems = val_seq();

	val_map_set(doc, "valid", val_bool(!appspec_error(spec)));
	val_map_set(doc, "os", str_or_null(spec->os));
	val_map_set(doc, "file_exists_behavior",
		    str_or_null(appspec_feb_name(spec->file_exists_behavior)));
	val_map_set(doc, "hooks", hooks_to_val(spec));
	for (size_t i = 0; i < spec->nfiles; i++) {
		struct val *m = val_map();

		val_map_set(m, "source", val_str(spec->files[i].source));
		val_map_set(m, "destination",
			    val_str(spec->files[i].destination));
		val_seq_push(files, m);
	}
	val_map_set(doc, "files", files);
	for (size_t i = 0; i < spec->nperms; i++)
		val_seq_push(perms, perm_to_val(&spec->perms[i]));
	val_map_set(doc, "permissions", perms);
	for (size_t i = 0; i < spec->nproblems; i++) {
		const struct appspec_problem *pr = &spec->problems[i];
		struct val *m = val_map();

		val_map_set(m, "level",
			    val_str(pr->warning ? "warning" : "error"));
		val_map_set(m, "line",
			    pr->line ? val_numi(pr->line) : val_null());
		val_map_set(m, "code", val_str(pr->code));
		val_map_set(m, "message", val_str(pr->message));
		val_seq_push(problems, m);
	}
	val_map_set(doc, "problems", problems);
	return doc;
}
