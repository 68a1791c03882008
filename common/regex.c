/*
 * regex.c: Ruby (Onigmo) regular expressions on PCRE2; the only file that
 * includes <pcre2.h>.
 *
 * A pattern is first rewritten from Ruby's syntax into PCRE2's, then
 * compiled with PCRE2_MULTILINE (Ruby's `^` and `$` are line anchors) and
 * PCRE2_UTF.  The rewrite handles what the two disagree on:
 *
 *  - `\h`/`\H` are hex digits in Ruby, horizontal space in PCRE2;
 *  - `\v` is the VT character in Ruby, a class in PCRE2;
 *  - `\uHHHH`, `\u{H ...}` and `\C-x` exist only in Ruby;
 *  - other letters after a backslash that mean nothing to Ruby are the
 *    letter itself (`\y`, `\Q`, `\E`, `\N`, `\L`, ...);
 *  - `(?m)` is Ruby's dot-all, PCRE2's `(?s)`; `(?s)` is an error;
 *  - `{,n}` is `{0,n}`, and a quantifier after a quantifier (`a**`,
 *    `a{2}+`) repeats the repetition, where PCRE2 would refuse it or read
 *    a possessive quantifier;
 *  - a quantified anchor (`^*`) is allowed;
 *  - nested classes `[a-z[0-9]]` are unions; `:`, `.` and `=` in a class
 *    are plain characters (PCRE2 would read POSIX forms into `[:x:]`).
 *
 * Known differences that remain: POSIX brackets and `\b` are ASCII-only
 * here and Unicode-aware in Ruby, case folding is one character to one,
 * negated nested classes, `&&` and the absent operator `(?~...)` are
 * refused with an error.
 */
#include "compat.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "error.h"
#include "regex.h"
#include "xalloc.h"

/* Bounds on backtracking: a pattern that needs more fails to match. */
#define REGEX_MATCH_LIMIT 1000000
#define REGEX_DEPTH_LIMIT 10000
/* Nesting of groups and classes the rewrite accepts. */
#define REGEX_MAX_GROUPS 1000

struct regex {
	pcre2_code *code;
	char *src; /* the Ruby pattern, for messages */
};

enum rx_quant {
	RQ_NONE,     /* the last atom has no quantifier yet */
	RQ_SIMPLE,   /* after `*`, `+` or `?`: `?` and `+` are suffixes */
	RQ_INTERVAL, /* after `{n,m}`: only `?` is a suffix */
	RQ_DONE,     /* after a lazy or possessive suffix */
};

/* The rewrite from Ruby's syntax into PCRE2's. */
struct rx {
	const char *p;
	size_t len, i;
	struct buf out;
	const char *err; /* first error, a static string */
	size_t atom;	 /* where the last atom starts in `out`, or SIZE_MAX */
	bool anchor;	 /* the last atom is an anchor (`^`, `\b`, ...) */
	enum rx_quant q;
	size_t *groups; /* `out` offsets of the open groups */
	size_t ngroups, agroups;
	bool named, numbered; /* named groups, numbered backrefs seen */
};

static void rx_fail(struct rx *r, const char *why)
{
	if (!r->err)
		r->err = why;
}

static bool rx_is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int rx_hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

static bool rx_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int rx_peek(const struct rx *r, size_t ahead)
{
	return r->i + ahead < r->len ? (unsigned char)r->p[r->i + ahead] : -1;
}

/* Length of the UTF-8 sequence starting with byte `c` (1 if invalid). */
static size_t rx_utf8_len(int c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* Copy one (possibly multibyte) character from the pattern. */
static void rx_copy_char(struct rx *r)
{
	size_t n = rx_utf8_len(rx_peek(r, 0));

	if (n > r->len - r->i)
		n = r->len - r->i;
	buf_add(&r->out, r->p + r->i, n);
	r->i += n;
}

static void rx_add_codepoint(struct rx *r, unsigned long cp)
{
	buf_addf(&r->out, "\\x{%lx}", cp);
}

static void rx_begin_atom(struct rx *r, bool anchor)
{
	r->atom = r->out.len;
	r->anchor = anchor;
	r->q = RQ_NONE;
}

static void rx_no_atom(struct rx *r)
{
	r->atom = SIZE_MAX;
	r->anchor = false;
	r->q = RQ_NONE;
}

/* Wrap the last atom and its quantifiers in a non-capturing group. */
static void rx_wrap_atom(struct rx *r)
{
	static const char open[] = "(?:";
	size_t n = sizeof(open) - 1;
	size_t tail = r->out.len - r->atom;

	buf_grow(&r->out, n + 1);
	memmove(r->out.ptr + r->atom + n, r->out.ptr + r->atom, tail);
	memcpy(r->out.ptr + r->atom, open, n);
	buf_setlen(&r->out, r->out.len + n);
	buf_addch(&r->out, ')');
	r->anchor = false;
}

/*
 * `{n}`, `{n,}`, `{,m}` or `{n,m}` at the scan position: its length, or 0
 * when the brace is a plain character.
 */
static size_t rx_interval_len(const struct rx *r, bool *low_missing)
{
	size_t j = 1, lo = 0, hi = 0;

	while (rx_is_digit(rx_peek(r, j))) {
		j++;
		lo++;
	}
	if (rx_peek(r, j) == ',') {
		j++;
		while (rx_is_digit(rx_peek(r, j))) {
			j++;
			hi++;
		}
	}
	if (rx_peek(r, j) != '}' || (!lo && !hi))
		return 0;
	*low_missing = !lo;
	return j + 1;
}

/* A quantifier: `*`, `+`, `?` or an interval of `n` characters. */
static void rx_quantifier(struct rx *r, size_t n, bool low_missing)
{
	int c = rx_peek(r, 0);
	enum rx_quant kind = c == '{' ? RQ_INTERVAL : RQ_SIMPLE;

	if (r->atom == SIZE_MAX) {
		rx_fail(r, "target of repeat operator is not specified");
		return;
	}
	if (n == 1 && ((r->q == RQ_SIMPLE && (c == '?' || c == '+')) ||
		       (r->q == RQ_INTERVAL && c == '?'))) {
		buf_addch(&r->out, (char)c);
		r->i++;
		r->q = RQ_DONE;
		return;
	}
	if (r->q != RQ_NONE || r->anchor)
		rx_wrap_atom(r);
	if (low_missing) {
		buf_addstr(&r->out, "{0");
		buf_add(&r->out, r->p + r->i + 1, n - 1);
	} else {
		buf_add(&r->out, r->p + r->i, n);
	}
	r->i += n;
	r->q = kind;
}

/* `\xHH` escapes, several of which may spell one UTF-8 character. */
static void rx_hex_escapes(struct rx *r)
{
	unsigned char bytes[4];
	size_t nb = 0, want = 0;

	do {
		int v = 0, digits = 0;

		r->i += 2;
		while (digits < 2 && rx_is_hex(rx_peek(r, 0))) {
			v = v * 16 + rx_hex_val(rx_peek(r, 0));
			r->i++;
			digits++;
		}
		if (!digits) {
			rx_fail(r, "invalid hex escape");
			return;
		}
		if (v < 0x80 && !nb) {
			buf_addf(&r->out, "\\x%02x", v);
			return;
		}
		if (!nb) {
			want = rx_utf8_len(v);
			if (want < 2 || (v & 0xc0) == 0x80) {
				rx_fail(r, "invalid multibyte escape");
				return;
			}
		} else if ((v & 0xc0) != 0x80) {
			rx_fail(r, "invalid multibyte escape");
			return;
		}
		bytes[nb++] = (unsigned char)v;
	} while (nb < want && rx_peek(r, 0) == '\\' && rx_peek(r, 1) == 'x');
	if (nb < want) {
		rx_fail(r, "invalid multibyte escape");
		return;
	}
	{
		unsigned long cp = bytes[0] & (0x7f >> want);

		for (size_t k = 1; k < nb; k++)
			cp = (cp << 6) | (bytes[k] & 0x3f);
		rx_add_codepoint(r, cp);
	}
}

/* `\uHHHH` or `\u{H ...}` (code points separated by spaces). */
static void rx_unicode_escape(struct rx *r)
{
	unsigned long cp = 0;
	int digits = 0;

	r->i += 2;
	if (rx_peek(r, 0) != '{') {
		for (; digits < 4 && rx_is_hex(rx_peek(r, 0)); digits++) {
			cp = cp * 16 + rx_hex_val(rx_peek(r, 0));
			r->i++;
		}
		if (digits < 4)
			rx_fail(r, "invalid Unicode escape");
		else
			rx_add_codepoint(r, cp);
		return;
	}
	r->i++;
	for (;;) {
		while (rx_peek(r, 0) == ' ')
			r->i++;
		if (rx_peek(r, 0) == '}' && digits) {
			r->i++;
			return;
		}
		cp = 0;
		digits = 0;
		while (rx_is_hex(rx_peek(r, 0)) && digits < 7) {
			cp = cp * 16 + rx_hex_val(rx_peek(r, 0));
			r->i++;
			digits++;
		}
		if (!digits || cp > 0x10ffff ||
		    (rx_peek(r, 0) != ' ' && rx_peek(r, 0) != '}')) {
			rx_fail(r, "invalid Unicode list");
			return;
		}
		rx_add_codepoint(r, cp);
	}
}

/* Copy `\k<name>`-like forms through their closing delimiter. */
static void rx_copy_delimited(struct rx *r, size_t skip, int close)
{
	size_t start = r->i;

	r->i += skip;
	while (rx_peek(r, 0) >= 0 && rx_peek(r, 0) != close)
		r->i++;
	if (rx_peek(r, 0) != close) {
		rx_fail(r, "invalid escape: missing closing delimiter");
		return;
	}
	r->i++;
	buf_add(&r->out, r->p + start, r->i - start);
}

/*
 * An escape outside or inside a class; returns whether it is an anchor
 * (outside a class).
 */
static bool rx_escape(struct rx *r, bool in_class)
{
	int c = rx_peek(r, 1);

	if (c < 0) {
		rx_fail(r, "too short escape sequence");
		r->i++;
		return false;
	}
	switch (c) {
	case 'A':
	case 'b':
	case 'B':
	case 'G':
	case 'K':
	case 'z':
	case 'Z':
		buf_add(&r->out, r->p + r->i, 2);
		r->i += 2;
		return !in_class;
	case 'd':
	case 'D':
	case 's':
	case 'S':
	case 'w':
	case 'W':
	case 'R':
	case 'X':
	case 'n':
	case 'r':
	case 't':
	case 'f':
	case 'a':
	case 'e':
		buf_add(&r->out, r->p + r->i, 2);
		r->i += 2;
		return false;
	case 'h':
		buf_addstr(&r->out, in_class ? "[:xdigit:]" : "[[:xdigit:]]");
		r->i += 2;
		return false;
	case 'H':
		buf_addstr(&r->out, in_class ? "[:^xdigit:]" : "[^[:xdigit:]]");
		r->i += 2;
		return false;
	case 'v':
		buf_addstr(&r->out, "\\x0b");
		r->i += 2;
		return false;
	case 'x':
		rx_hex_escapes(r);
		return false;
	case 'u':
		rx_unicode_escape(r);
		return false;
	case 'c':
		if (rx_peek(r, 2) < 0 || rx_peek(r, 2) >= 0x80) {
			rx_fail(r, "too short control escape");
			r->i += 2;
			return false;
		}
		buf_add(&r->out, r->p + r->i, 3);
		r->i += 3;
		return false;
	case 'C':
		if (rx_peek(r, 2) != '-' || rx_peek(r, 3) < 0 ||
		    rx_peek(r, 3) >= 0x80) {
			rx_fail(r, "too short control escape");
			r->i += 2;
			return false;
		}
		buf_addf(&r->out, "\\x%02x",
			 rx_peek(r, 3) == '?' ? 0x7f : rx_peek(r, 3) & 0x1f);
		r->i += 4;
		return false;
	case 'M':
		rx_fail(r, "meta escapes are not supported");
		r->i += 2;
		return false;
	case 'k':
	case 'g':
		if (rx_peek(r, 2) == '<' || rx_peek(r, 2) == '\'') {
			rx_copy_delimited(r, 3,
					  rx_peek(r, 2) == '<' ? '>' : '\'');
			return false;
		}
		break;
	case 'p':
	case 'P':
		if (rx_peek(r, 2) == '{') {
			rx_copy_delimited(r, 3, '}');
			return false;
		}
		break;
	default:
		if (rx_is_digit(c)) {
			size_t start = r->i;

			r->i++;
			while (rx_is_digit(rx_peek(r, 0)))
				r->i++;
			if (c != '0' && !in_class)
				r->numbered = true;
			buf_add(&r->out, r->p + start, r->i - start);
			return false;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			/* Escaped punctuation or a multibyte character. */
			buf_addch(&r->out, '\\');
			r->i++;
			rx_copy_char(r);
			return false;
		}
		break;
	}
	/* A letter that means nothing to Ruby: the letter itself. */
	buf_addch(&r->out, (char)c);
	r->i += 2;
	return false;
}

/* Length of a POSIX bracket `[:name:]` or `[:^name:]` here, or 0. */
static size_t rx_posix_len(const struct rx *r)
{
	size_t j = 2;

	if (rx_peek(r, 0) != '[' || rx_peek(r, 1) != ':')
		return 0;
	if (rx_peek(r, j) == '^')
		j++;
	while ((rx_peek(r, j) >= 'a' && rx_peek(r, j) <= 'z') ||
	       (rx_peek(r, j) >= 'A' && rx_peek(r, j) <= 'Z'))
		j++;
	if (rx_peek(r, j) != ':' || rx_peek(r, j + 1) != ']')
		return 0;
	return j + 2;
}

/* The inside of a class, up to and including its `]`. */
static void rx_class_body(struct rx *r, int depth)
{
	bool first = true;

	if (depth > REGEX_MAX_GROUPS) {
		rx_fail(r, "character classes nested too deeply");
		return;
	}
	while (!r->err) {
		int c = rx_peek(r, 0);

		if (c < 0) {
			rx_fail(r, "premature end of char-class");
			return;
		}
		if (c == ']' && !first) {
			r->i++;
			if (!depth)
				buf_addch(&r->out, ']');
			return;
		}
		first = false;
		if (c == ']') {
			buf_addstr(&r->out, "\\]");
			r->i++;
		} else if (c == '\\') {
			rx_escape(r, true);
		} else if (c == '[' && rx_posix_len(r)) {
			size_t n = rx_posix_len(r);

			buf_add(&r->out, r->p + r->i, n);
			r->i += n;
		} else if (c == '[') {
			if (rx_peek(r, 1) == '^') {
				rx_fail(r, "negated nested character classes "
					   "are not supported");
				return;
			}
			r->i++;
			rx_class_body(r, depth + 1);
		} else if (c == '&' && rx_peek(r, 1) == '&') {
			rx_fail(r, "character class intersection is not "
				   "supported");
		} else if (c == ':' || c == '.' || c == '=') {
			buf_addch(&r->out, '\\');
			buf_addch(&r->out, (char)c);
			r->i++;
		} else {
			rx_copy_char(r);
		}
	}
}

static void rx_class(struct rx *r)
{
	rx_begin_atom(r, false);
	buf_addch(&r->out, '[');
	r->i++;
	if (rx_peek(r, 0) == '^') {
		buf_addch(&r->out, '^');
		r->i++;
	}
	rx_class_body(r, 0);
}

/* `(?imx-imx)` or `(?imx-imx:`: Ruby's `m` is PCRE2's `s`. */
static bool rx_options(struct rx *r)
{
	size_t j = 2;
	bool off = false;
	struct buf opts = BUF_INIT;
	int c;

	for (;; j++) {
		c = rx_peek(r, j);
		if (c == 'i' || c == 'x') {
			buf_addch(&opts, (char)c);
		} else if (c == 'm') {
			buf_addch(&opts, 's');
		} else if (!off && (c == 'a' || c == 'd' || c == 'u')) {
			/* Ruby's character-set options: nothing to do. */
		} else if (c == '-' && !off) {
			off = true;
			buf_addch(&opts, '-');
		} else {
			break;
		}
	}
	if ((c != ')' && c != ':') || j == 2) {
		buf_release(&opts);
		return false;
	}
	if (opts.len && opts.ptr[opts.len - 1] == '-')
		buf_setlen(&opts, opts.len - 1);
	if (c == ':')
		r->groups[r->ngroups++] = r->out.len;
	buf_addstr(&r->out, "(?");
	buf_add(&r->out, opts.ptr, opts.len);
	buf_addch(&r->out, (char)c);
	r->i += j + 1;
	buf_release(&opts);
	if (c == ')')
		rx_no_atom(r);
	return true;
}

/* An opening parenthesis and what says which kind of group it is. */
static void rx_group(struct rx *r)
{
	int c = rx_peek(r, 1), d = rx_peek(r, 2);
	size_t n = 1;

	if (r->ngroups >= REGEX_MAX_GROUPS) {
		rx_fail(r, "groups nested too deeply");
		return;
	}
	XGROW(r->groups, r->agroups, r->ngroups + 1);
	if (c == '?') {
		if (d == '#') {
			const char *end =
				memchr(r->p + r->i, ')', r->len - r->i);

			if (!end) {
				rx_fail(r, "end pattern in group");
				return;
			}
			r->i = (size_t)(end - r->p) + 1;
			return;
		}
		if (rx_options(r))
			return;
		if (d == ':' || d == '=' || d == '!' || d == '>' || d == '(') {
			n = 3;
		} else if (d == '<' &&
			   (rx_peek(r, 3) == '=' || rx_peek(r, 3) == '!')) {
			n = 4;
		} else if (d == '<' || d == '\'') {
			n = 3;
			r->named = true;
		} else if (d == '~') {
			rx_fail(r, "the absent operator (?~...) is not "
				   "supported");
			return;
		} else {
			rx_fail(r, d < 0 ? "end pattern in group"
					 : "undefined group option");
			return;
		}
	}
	r->groups[r->ngroups++] = r->out.len;
	buf_add(&r->out, r->p + r->i, n);
	r->i += n;
	rx_no_atom(r);
}

static void rx_close_group(struct rx *r)
{
	if (!r->ngroups) {
		rx_fail(r, "unmatched close parenthesis");
		return;
	}
	buf_addch(&r->out, ')');
	r->i++;
	r->atom = r->groups[--r->ngroups];
	r->anchor = false;
	r->q = RQ_NONE;
}

static void rx_step(struct rx *r)
{
	int c = rx_peek(r, 0);
	size_t n;
	bool low_missing = false;

	switch (c) {
	case '\\': {
		size_t at = r->out.len;
		bool anchor = rx_escape(r, false);

		r->atom = at;
		r->anchor = anchor;
		r->q = RQ_NONE;
		break;
	}
	case '(':
		rx_group(r);
		break;
	case ')':
		rx_close_group(r);
		break;
	case '|':
		buf_addch(&r->out, '|');
		r->i++;
		rx_no_atom(r);
		break;
	case '[':
		rx_class(r);
		break;
	case '^':
	case '$':
		rx_begin_atom(r, true);
		buf_addch(&r->out, (char)c);
		r->i++;
		break;
	case '*':
	case '+':
	case '?':
		rx_quantifier(r, 1, false);
		break;
	case '{':
		n = rx_interval_len(r, &low_missing);
		if (n) {
			rx_quantifier(r, n, low_missing);
			break;
		}
		rx_begin_atom(r, false);
		buf_addstr(&r->out, "\\{");
		r->i++;
		break;
	default:
		rx_begin_atom(r, false);
		rx_copy_char(r);
		break;
	}
}

/* Rewrite Ruby pattern `p` for PCRE2; NULL and `*why` on an error. */
static char *rx_translate(const char *p, size_t len, const char **why)
{
	struct rx r = { .p = p, .len = len, .out = BUF_INIT };
	char *res = NULL;

	rx_no_atom(&r);
	while (!r.err && r.i < r.len)
		rx_step(&r);
	if (!r.err && r.ngroups)
		rx_fail(&r, "end pattern with unmatched parenthesis");
	if (!r.err && r.named && r.numbered)
		rx_fail(&r, "numbered backref/call is not allowed (use name)");
	if (r.err)
		*why = r.err;
	else
		res = buf_detach(&r.out, NULL);
	buf_release(&r.out);
	free(r.groups);
	return res;
}

int regex_compile(struct regex **out, const char *pattern, unsigned flags)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE;
	pcre2_compile_context *cc = NULL;
	pcre2_code *code;
	const char *why = NULL;
	char *pcre;
	int errcode;
	PCRE2_SIZE erroff;
	struct regex *re;

	pcre = rx_translate(pattern, strlen(pattern), &why);
	if (!pcre)
		return err_set(FY_EINVALID,
			       "invalid regular expression: /%s/: %s", pattern,
			       why);
	if (flags & REGEX_ICASE)
		opts |= PCRE2_CASELESS;
	cc = pcre2_compile_context_create(NULL);
	if (!cc)
		BUG("out of memory in pcre2_compile_context_create");
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	code = pcre2_compile((PCRE2_SPTR)pcre, PCRE2_ZERO_TERMINATED, opts,
			     &errcode, &erroff, cc);
	pcre2_compile_context_free(cc);
	free(pcre);
	if (!code) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", errcode);
		return err_set(FY_EINVALID,
			       "invalid regular expression: /%s/: %s", pattern,
			       (const char *)msg);
	}
	re = xcalloc(1, sizeof(*re));
	re->code = code;
	re->src = xstrdup(pattern);
	*out = re;
	return 0;
}

void regex_free(struct regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re->src);
	free(re);
}

int regex_search(const struct regex *re, const char *s, size_t len,
		 size_t start, size_t *ovec, size_t npairs)
{
	pcre2_match_data *md;
	pcre2_match_context *mc;
	int rc;

	md = pcre2_match_data_create_from_pattern(re->code, NULL);
	mc = pcre2_match_context_create(NULL);
	if (!md || !mc)
		BUG("out of memory in pcre2_match_data_create");
	pcre2_set_match_limit(mc, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(mc, REGEX_DEPTH_LIMIT);
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, md, mc);
	if (rc >= 0) {
		const PCRE2_SIZE *v = pcre2_get_ovector_pointer(md);
		uint32_t have = pcre2_get_ovector_count(md);

		for (size_t k = 0; k < npairs; k++) {
			bool set = k < have && v[2 * k] != PCRE2_UNSET;

			ovec[2 * k] = set ? v[2 * k] : REGEX_UNSET;
			ovec[2 * k + 1] = set ? v[2 * k + 1] : REGEX_UNSET;
		}
		rc = 1;
	} else if (rc == PCRE2_ERROR_NOMATCH) {
		rc = 0;
	} else {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", rc);
		rc = err_set(FY_EFAIL, "cannot match /%s/: %s", re->src,
			     (const char *)msg);
	}
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	return rc;
}

int regex_match(const struct regex *re, const char *s, size_t len)
{
	return regex_search(re, s, len, 0, NULL, 0);
}

int regex_test(const char *pattern, const char *s, unsigned flags)
{
	struct regex *re = NULL;
	int err;

	err = regex_compile(&re, pattern, flags);
	if (err < 0)
		return err;
	err = regex_match(re, s, strlen(s));
	regex_free(re);
	return err;
}

const char *regex_source(const struct regex *re)
{
	return re->src;
}
