/*
 * regex.c: Ruby (Onigmo) regular expressions on PCRE2; the only file that
 * includes <pcre2.h>.
 *
 * A pattern is rewritten from Ruby's syntax into PCRE2's, then compiled
 * with PCRE2_UTF, PCRE2_UCP (Ruby's POSIX brackets and `\b` know
 * Unicode) and PCRE2_MULTILINE (Ruby's `^` and `$` are line anchors).
 * The rewrite covers where the two disagree:
 *
 *  - `\d`, `\w`, `\s` are ASCII in Ruby: spelled out as ASCII sets;
 *  - `\h`/`\H` are hex digits in Ruby; `\v` is the VT character; `\R`
 *    is spelled out;
 *  - `\uHHHH`, `\u{H ...}`, `\C-x` and `\xHH` byte sequences exist only
 *    in Ruby; other letters after a backslash that mean nothing to Ruby
 *    are the letter itself (`\y`, `\Q`, `\E`, `\N`, `\L`, ...);
 *  - `(?m)` is Ruby's dot-all (PCRE2's `(?s)`), `(?s)` an error; an option
 *    group `(?i)` covers the rest of its group, alternatives included;
 *    extended mode `(?x)` is done here;
 *  - `{,n}` is `{0,n}`; `a{n}?` is `(?:a{n})?`; a quantifier on a
 *    quantifier repeats it (reduced as Onigmo does: `a?*` is `a*`); a
 *    quantified anchor is the anchor or nothing;
 *  - classes: nested classes are unions, `&&` intersections, POSIX
 *    brackets are checked as Onigmo does, `:`, `.`, `=` are plain;
 *  - `(?~X)` (the absent operator) becomes `(?:(?!X)(?s:.))*`, which
 *    differs when X can match the empty string (Onigmo then never
 *    matches);
 *  - names must be defined before `\k<name>`; some constructs are refused
 *    in look-behinds, as Onigmo refuses them.
 *
 * Known differences that remain: case folding is one character to one
 * (Ruby also folds "ss" and "\u00df"), a negated property under (?i) does
 * not take case variants into account, `\k<name>` for a name given to
 * several groups refers to the first set one only, and a few odd
 * combinations that Onigmo refuses inside look-behinds pass.
 */
#include "compat.h"

#include <limits.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "error.h"
#include "regex.h"
#include "svec.h"
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

struct rx_group {
	size_t at;     /* where its "(" is in `out` */
	bool implicit; /* opened by `(?i)`: closes with the enclosing group */
	bool ext;      /* extended mode outside the group */
	int behind;    /* 1: (?<=, 2: (?<! */
	bool absent;   /* Ruby's absent operator (?~...) */
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
	size_t q_start; /* where the last quantifier starts in `out` */
	int q_pop;	/* it as a "popular" quantifier (rx_popular), or -1 */
	bool q_exact;	/* it is an exact interval `{n}` */
	size_t cp_at;	/* where the last code point of an escape starts */
	struct rx_group *groups; /* the open groups */
	size_t ngroups, agroups;
	bool named, numbered; /* named groups, numbered backrefs seen */
	struct svec names;    /* group names defined so far */
	bool ext;	      /* extended mode (?x): skip spaces, # comments */
	int behind, behind_not; /* open look-behinds, negative ones */
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
	r->cp_at = r->out.len;
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

/*
 * A quantifier on an anchor (`\b?`, `^*`): an anchor matched several
 * times is the anchor, zero times nothing.  PCRE2 gets the result, not
 * the quantifier.
 */
static void rx_anchor_quantifier(struct rx *r, size_t n)
{
	int c = rx_peek(r, 0);
	bool suffix = n == 1 && (c == '?' || c == '+') &&
		      (r->q == RQ_SIMPLE ||
		       (r->q == RQ_INTERVAL && c == '?' && !r->q_exact));
	unsigned long lo = 0, hi = ULONG_MAX;
	char *end = NULL;

	if (c == '{') {
		lo = strtoul(r->p + r->i + 1, &end, 10);
		if (*end == ',' && rx_is_digit((unsigned char)end[1]))
			hi = strtoul(end + 1, NULL, 10);
		else if (*end != ',')
			hi = lo;
		if (hi < lo) {
			rx_fail(r,
				"upper is smaller than lower in repeat range");
			return;
		}
	} else if (!suffix) {
		lo = c == '+' ? 1 : 0;
		hi = c == '?' ? 1 : ULONG_MAX;
	}
	if (r->behind && (suffix || lo != hi)) {
		rx_fail(r, "invalid pattern in look-behind");
		return;
	}
	if (!suffix && !lo)
		buf_setlen(&r->out, r->atom);
	r->q_exact = c == '{' && lo == hi;
	r->i += n;
	r->q = suffix ? RQ_DONE : c == '{' ? RQ_INTERVAL : RQ_SIMPLE;
	r->q_pop = -1;
}

/* A quantifier: `*`, `+`, `?` or an interval of `n` characters. */
/* Onigmo's reduction of a quantifier on a quantifier (`a?*` is `a*`). */
enum rx_reduce {
	RR_ASIS, /* keep both */
	RR_DEL,	 /* keep the inner one */
	RR_A,	 /* `*` */
	RR_AQ,	 /* `*?` */
	RR_QQ,	 /* `??` */
	RR_P_QQ, /* `+` then `??` */
	RR_PQ_Q, /* `+?` then `?` */
};

/* Rows: the inner quantifier, columns: the outer; ? * + ?? *? +? */
static const unsigned char rx_reduce_table[6][6] = {
	{ RR_DEL, RR_A, RR_A, RR_QQ, RR_AQ, RR_ASIS },
	{ RR_DEL, RR_DEL, RR_DEL, RR_P_QQ, RR_P_QQ, RR_DEL },
	{ RR_A, RR_A, RR_DEL, RR_ASIS, RR_P_QQ, RR_DEL },
	{ RR_DEL, RR_AQ, RR_AQ, RR_DEL, RR_AQ, RR_AQ },
	{ RR_DEL, RR_DEL, RR_DEL, RR_DEL, RR_DEL, RR_DEL },
	{ RR_ASIS, RR_PQ_Q, RR_DEL, RR_AQ, RR_AQ, RR_DEL },
};

/*
 * The quantifier at the scan position as one of Onigmo's "popular" ones
 * (0-5 for ? * + ?? *? +?), or -1 (an interval, a possessive one).
 */
static int rx_popular(const struct rx *r, size_t n)
{
	int c = rx_peek(r, 0), base;

	if (n != 1)
		return -1;
	base = c == '?' ? 0 : c == '*' ? 1 : 2;
	if (rx_peek(r, 1) == '?')
		return base + 3;
	if (rx_peek(r, 1) == '+')
		return -1;
	return base;
}

/* Emit a quantifier, remembering what it is. */
static void rx_emit_quant(struct rx *r, const char *q, size_t n,
			  enum rx_quant kind, int pop)
{
	r->q_start = r->out.len;
	buf_add(&r->out, q, n);
	r->q = kind;
	r->q_pop = pop;
}

/* A popular quantifier on a popular quantifier, reduced as Onigmo does. */
static void rx_reduce(struct rx *r, int outer)
{
	static const char *const names[] = { "?", "*", "+", "??", "*?", "+?" };
	enum rx_reduce how = rx_reduce_table[r->q_pop][outer];

	r->i += outer >= 3 ? 2 : 1;
	switch (how) {
	case RR_DEL:
		break;
	case RR_A:
	case RR_AQ:
	case RR_QQ:
		buf_setlen(&r->out, r->q_start);
		rx_emit_quant(r,
			      how == RR_A    ? "*"
			      : how == RR_AQ ? "*?"
					     : "??",
			      how == RR_A ? 1 : 2, RQ_DONE,
			      how == RR_A    ? 1
			      : how == RR_AQ ? 4
					     : 3);
		break;
	case RR_P_QQ:
	case RR_PQ_Q:
		buf_setlen(&r->out, r->q_start);
		buf_addstr(&r->out, how == RR_P_QQ ? "+" : "+?");
		rx_wrap_atom(r);
		rx_emit_quant(r, how == RR_P_QQ ? "??" : "?",
			      how == RR_P_QQ ? 2 : 1, RQ_DONE,
			      how == RR_P_QQ ? 3 : 0);
		break;
	case RR_ASIS:
		rx_wrap_atom(r);
		rx_emit_quant(r, names[outer], strlen(names[outer]), RQ_DONE,
			      outer);
		break;
	}
	r->q = RQ_DONE;
}

/* A quantifier: `*`, `+`, `?` or an interval of `n` characters. */
static void rx_quantifier(struct rx *r, size_t n, bool low_missing)
{
	int c = rx_peek(r, 0), pop = rx_popular(r, n);
	enum rx_quant kind = c == '{' ? RQ_INTERVAL : RQ_SIMPLE;

	if (r->atom == SIZE_MAX) {
		rx_fail(r, "target of repeat operator is not specified");
		return;
	}
	if (r->anchor) {
		rx_anchor_quantifier(r, n);
		return;
	}
	if (n == 1 && r->q == RQ_SIMPLE && (c == '?' || c == '+')) {
		/* A lazy or possessive suffix. */
		buf_addch(&r->out, (char)c);
		r->i++;
		r->q = RQ_DONE;
		r->q_pop = c == '?' && r->q_pop >= 0 ? r->q_pop + 3 : -1;
		return;
	}
	if (n == 1 && r->q == RQ_INTERVAL && c == '?') {
		r->i++;
		if (r->q_exact) {
			/* Ruby's `a{2}?` is `(?:a{2})?`, not a lazy `{2}`. */
			rx_wrap_atom(r);
			rx_emit_quant(r, "?", 1, RQ_SIMPLE, 0);
		} else {
			buf_addch(&r->out, '?');
			r->q = RQ_DONE;
			r->q_pop = -1;
		}
		return;
	}
	if (r->q != RQ_NONE && r->q_pop >= 0 && pop >= 0) {
		rx_reduce(r, pop);
		return;
	}
	if (r->q != RQ_NONE || r->anchor)
		rx_wrap_atom(r);
	if (low_missing) {
		r->q_start = r->out.len;
		buf_addstr(&r->out, "{0");
		buf_add(&r->out, r->p + r->i + 1, n - 1);
		r->q = kind;
		r->q_pop = -1;
	} else {
		rx_emit_quant(r, r->p + r->i, n, kind, n == 1 ? pop % 3 : -1);
	}
	r->q_exact = kind == RQ_INTERVAL && !memchr(r->p + r->i, ',', n);
	r->i += n;
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

/* Ruby's ASCII-only \d \D \w \W \s \S, outside or inside a class. */
static const char *rx_ascii_set(int c, bool in_class)
{
	switch (c) {
	case 'd':
		return in_class ? "0-9" : "[0-9]";
	case 'D':
		return in_class ? "\\x00-\\x2f\\x3a-\\x{10ffff}" : "[^0-9]";
	case 'w':
		return in_class ? "0-9A-Za-z_" : "[0-9A-Za-z_]";
	case 'W':
		return in_class ? "\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60"
				  "\\x7b-\\x{10ffff}"
				: "[^0-9A-Za-z_]";
	case 's':
		return in_class ? "\\t\\n\\x0b\\f\\r\\x20"
				: "[\\t\\n\\x0b\\f\\r\\x20]";
	case 'S':
		return in_class ? "\\x00-\\x08\\x0e-\\x1f\\x21-\\x{10ffff}"
				: "[^\\t\\n\\x0b\\f\\r\\x20]";
	}
	BUG("not an ASCII class escape: %c", c);
}

/*
 * Whether `\k<name>` here names a group already defined (Ruby refuses
 * forward references by name; numbers and relative numbers pass).
 */
static bool rx_name_known(const struct rx *r)
{
	int close = rx_peek(r, 2) == '<' ? '>' : '\'';
	size_t at = r->i + 3;
	const char *end = memchr(r->p + at, close, r->len - at);
	size_t len;
	int c0;

	if (!end)
		return true; /* PCRE2 reports the missing delimiter */
	len = (size_t)(end - r->p) - at;
	c0 = len ? (unsigned char)r->p[at] : 0;
	if (!len || rx_is_digit(c0) || c0 == '-' || c0 == '+')
		return true;
	for (size_t k = 0; k < r->names.n; k++)
		if (strlen(r->names.v[k]) == len &&
		    !memcmp(r->names.v[k], r->p + at, len))
			return true;
	return false;
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

	if (r->behind && !in_class && c >= 0 &&
	    (strchr("zZXRk", c) || (c >= '1' && c <= '9'))) {
		/* Onigmo refuses these inside a look-behind. */
		rx_fail(r, "invalid pattern in look-behind");
		r->i += 2;
		return false;
	}
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
		/* ASCII in Ruby; PCRE2_UCP (for `\b` and POSIX) would widen them. */
		buf_addstr(&r->out, rx_ascii_set(c, in_class));
		r->i += 2;
		return false;
	case 'R':
		/* Spelled out: PCRE2 auto-possessifies `.{1,3}\R` wrongly. */
		buf_addstr(&r->out, in_class
					    ? "R"
					    : "(?>\\r\\n|[\\n\\x0b\\f\\r\\x{85}"
					      "\\x{2028}\\x{2029}])");
		r->i += 2;
		return false;
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
		if (c == 'k' &&
		    (rx_peek(r, 2) == '<' || rx_peek(r, 2) == '\'') &&
		    !rx_name_known(r)) {
			rx_fail(r, "undefined name reference");
			return false;
		}
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

/*
 * Onigmo's str_exist_check_with_esc: whether ":]" comes (outside escapes)
 * before a "]" from `from` on.
 */
static bool rx_posix_close_ahead(const struct rx *r, size_t from)
{
	for (size_t k = from; k < r->len; k++) {
		if (r->p[k] == '\\') {
			k++;
			continue;
		}
		if (r->p[k] == ':' && k + 1 < r->len && r->p[k + 1] == ']')
			return true;
		if (r->p[k] == ']')
			return false;
	}
	return false;
}

static size_t rx_chars(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t k = 0; k < n; k++)
		if (((unsigned char)s[k] & 0xc0) != 0x80)
			count++;
	return count;
}

/*
 * At "[:" with a ":]" ahead (Onigmo's parse_posix_bracket): the length
 * of the POSIX bracket, or 0 when "[" is a plain character; a name that
 * looks like a bracket but is none is an error.
 */
static size_t rx_posix(struct rx *r)
{
	static const char *const names[] = {
		"alnum", "alpha", "blank", "cntrl", "digit",  "graph", "lower",
		"print", "punct", "space", "upper", "xdigit", "ascii", "word",
	};
	size_t j = r->i + 2, n = 0;
	int c = 0;

	if (j < r->len && r->p[j] == '^')
		j++;
	if (rx_chars(r->p + j, r->len - j) >= 7) {
		for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
			size_t len = strlen(names[k]);

			if (strncmp(r->p + j, names[k], len))
				continue;
			if (r->len - j - len < 2 || r->p[j + len] != ':' ||
			    r->p[j + len + 1] != ']') {
				rx_fail(r, "invalid POSIX bracket type");
				return 0;
			}
			return j + len + 2 - r->i;
		}
	}
	while (j < r->len && (c = (unsigned char)r->p[j]) != ':' && c != ']') {
		j++;
		if (++n > 20)
			break;
	}
	if (c == ':' && j + 1 < r->len && r->p[j + 1] == ']')
		rx_fail(r, "invalid POSIX bracket type");
	return 0;
}

/* One operand of a class (between `&&`): items and nested classes. */
struct rx_cc_part {
	struct buf items;   /* PCRE2 class items */
	struct svec nested; /* nested classes, each a PCRE2 expression */
};

enum rx_cc_last {
	RCL_NONE,
	RCL_CHAR, /* a character, which may start a range */
	RCL_DASH, /* the "-" of a range */
	RCL_SET,  /* \d, [:alpha:], a nested class: not in ranges */
};

static void rx_cc(struct rx *r, struct buf *dst, int depth);

static void rx_cc_part_init(struct rx_cc_part *part)
{
	struct buf b = BUF_INIT;
	struct svec v = SVEC_INIT;

	part->items = b;
	part->nested = v;
}

/* Run the scan of one escape or character with r->out redirected. */
static void rx_into(struct rx *r, struct buf *b, bool escape)
{
	struct buf saved = r->out;

	r->out = *b;
	if (escape)
		rx_escape(r, true);
	else
		rx_copy_char(r);
	*b = r->out;
	r->out = saved;
}

/* A set was just added: a range may neither end nor start with it. */
static void rx_cc_set(struct rx *r, enum rx_cc_last *last)
{
	if (*last == RCL_DASH) {
		rx_fail(r, "char-class value at end of range");
		return;
	}
	if (rx_peek(r, 0) == '-' && rx_peek(r, 1) >= 0 && rx_peek(r, 1) != ']')
		rx_fail(r, "unmatched range specifier in char-class");
	*last = RCL_SET;
}

/* One item of a class body into `part`. */
static void rx_cc_item(struct rx *r, struct rx_cc_part *part,
		       enum rx_cc_last *last, int depth)
{
	int c = rx_peek(r, 0), d = rx_peek(r, 1);
	size_t n;

	if (c == '\\') {
		bool set = (d >= 0 && strchr("dDwWsShH", d)) ||
			   ((d == 'p' || d == 'P') && rx_peek(r, 2) == '{');

		rx_into(r, &part->items, true);
		if (set)
			rx_cc_set(r, last);
		else
			*last = *last == RCL_DASH ? RCL_NONE : RCL_CHAR;
		return;
	}
	if (c == '[' && d == ':' && rx_posix_close_ahead(r, r->i + 2)) {
		n = rx_posix(r);
		if (r->err)
			return;
		if (n) {
			buf_add(&part->items, r->p + r->i, n);
			r->i += n;
			rx_cc_set(r, last);
			return;
		}
		buf_addstr(&part->items, "\\[");
		r->i++;
		*last = *last == RCL_DASH ? RCL_NONE : RCL_CHAR;
		return;
	}
	if (c == '[') {
		struct buf sub = BUF_INIT;

		r->i++;
		rx_cc(r, &sub, depth + 1);
		svec_push(&part->nested, sub.ptr);
		buf_release(&sub);
		if (!r->err)
			rx_cc_set(r, last);
		return;
	}
	if (c == '-' && *last == RCL_CHAR && d >= 0 && d != ']') {
		buf_addch(&part->items, '-');
		r->i++;
		*last = RCL_DASH;
		return;
	}
	if (c == ':' || c == '.' || c == '=' || c == '-' || c == '^') {
		buf_addch(&part->items, '\\');
		buf_addch(&part->items, (char)c);
		r->i++;
	} else {
		rx_into(r, &part->items, false);
	}
	*last = *last == RCL_DASH ? RCL_NONE : RCL_CHAR;
}

/* One operand: the union of its items and nested classes. */
static void rx_cc_emit_part(struct buf *dst, const struct rx_cc_part *part)
{
	size_t alts = part->nested.n + (part->items.len ? 1 : 0);

	if (!alts) {
		buf_addstr(dst, "(?!)");
		return;
	}
	if (alts > 1)
		buf_addstr(dst, "(?:");
	if (part->items.len)
		buf_addf(dst, "[%s]", part->items.ptr);
	for (size_t k = 0; k < part->nested.n; k++) {
		if (k || part->items.len)
			buf_addch(dst, '|');
		buf_addstr(dst, part->nested.v[k]);
	}
	if (alts > 1)
		buf_addch(dst, ')');
}

/*
 * A class, from after its "[" through its "]", as one PCRE2 expression
 * that matches one character.  A plain class stays a class; nested
 * classes become alternatives, `&&` lookaheads, `^` a negative lookahead.
 */
static void rx_cc(struct rx *r, struct buf *dst, int depth)
{
	struct rx_cc_part parts[16];
	size_t nparts = 1;
	enum rx_cc_last last = RCL_NONE;
	bool neg = false, first = true;

	if (depth > 100) {
		rx_fail(r, "character classes nested too deeply");
		return;
	}
	rx_cc_part_init(&parts[0]);
	if (rx_peek(r, 0) == '^') {
		neg = true;
		r->i++;
	}
	while (!r->err) {
		int c = rx_peek(r, 0);

		if (c < 0) {
			rx_fail(r, "premature end of char-class");
			break;
		}
		if (c == ']' && !first) {
			r->i++;
			break;
		}
		if (c == ']') {
			buf_addstr(&parts[nparts - 1].items, "\\]");
			r->i++;
			last = RCL_CHAR;
		} else if (c == '&' && rx_peek(r, 1) == '&') {
			r->i += 2;
			if (nparts == ARRAY_SIZE(parts)) {
				rx_fail(r, "too many && in a character class");
				break;
			}
			rx_cc_part_init(&parts[nparts++]);
			last = RCL_NONE;
		} else {
			rx_cc_item(r, &parts[nparts - 1], &last, depth);
		}
		first = false;
	}
	if (r->err) {
		/* nothing to emit */
	} else if (nparts == 1 && !parts[0].nested.n && parts[0].items.len) {
		buf_addf(dst, "[%s%s]", neg ? "^" : "", parts[0].items.ptr);
	} else {
		buf_addstr(dst, neg ? "(?:(?!" : "(?:");
		for (size_t k = 0; k < nparts; k++) {
			if (k + 1 < nparts)
				buf_addstr(dst, "(?=");
			rx_cc_emit_part(dst, &parts[k]);
			if (k + 1 < nparts)
				buf_addch(dst, ')');
		}
		buf_addstr(dst, neg ? ")(?s:.))" : ")");
	}
	for (size_t k = 0; k < nparts; k++) {
		buf_release(&parts[k].items);
		svec_release(&parts[k].nested);
	}
}

static void rx_class(struct rx *r)
{
	rx_begin_atom(r, false);
	r->i++;
	rx_cc(r, &r->out, 0);
}

/* `(?imx-imx)` or `(?imx-imx:`: Ruby's `m` is PCRE2's `s`. */
static bool rx_options(struct rx *r)
{
	size_t j = 2;
	bool off = false, ext = r->ext;
	struct buf opts = BUF_INIT;
	int c;

	for (;; j++) {
		c = rx_peek(r, j);
		if (c == 'i') {
			buf_addch(&opts, (char)c);
		} else if (c == 'x') {
			/* Extended mode is done here, not by PCRE2. */
			ext = !off;
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
	/*
	 * Ruby's `(?i)` covers the rest of the enclosing group, alternatives
	 * included: `a(?i)b|c` is `a(?i:b|c)`.
	 */
	r->groups[r->ngroups].at = r->out.len;
	r->groups[r->ngroups].implicit = c == ')';
	r->groups[r->ngroups].ext = r->ext;
	r->groups[r->ngroups].behind = 0;
	r->groups[r->ngroups].absent = false;
	r->ngroups++;
	r->ext = ext;
	buf_addstr(&r->out, "(?");
	buf_add(&r->out, opts.ptr, opts.len);
	buf_addch(&r->out, ':');
	r->i += j + 1;
	buf_release(&opts);
	rx_no_atom(r);
	return true;
}

/* Remember the name of a group `(?<name>` starting at `at`. */
static void rx_group_name(struct rx *r, size_t at, int close)
{
	const char *end = memchr(r->p + at, close, r->len - at);

	if (end)
		svec_push_nodup(&r->names,
				xmemdupz(r->p + at, (size_t)(end - r->p) - at));
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
			n = 3;
		} else {
			rx_fail(r, d < 0 ? "end pattern in group"
					 : "undefined group option");
			return;
		}
	}
	if (r->behind && ((c == '?' && (d == '=' || d == '!' || d == '>')) ||
			  (r->behind_not && (c != '?' || n == 3) &&
			   !(c == '?' && d == ':')))) {
		/* Onigmo allows no lookahead, atomic group or capture there. */
		rx_fail(r, "invalid pattern in look-behind");
		return;
	}
	r->groups[r->ngroups].at = r->out.len;
	r->groups[r->ngroups].implicit = false;
	r->groups[r->ngroups].ext = r->ext;
	r->groups[r->ngroups].behind =
		n == 4 ? (rx_peek(r, 3) == '=' ? 1 : 2) : 0;
	r->groups[r->ngroups].absent = c == '?' && d == '~';
	r->behind += n == 4;
	r->behind_not += n == 4 && rx_peek(r, 3) == '!';
	r->ngroups++;
	if (n == 3 && (d == '<' || d == '\''))
		rx_group_name(r, r->i + 3, d == '<' ? '>' : '\'');
	if (c == '?' && d == '~')
		/* (?~X): the longest run that does not contain X. */
		buf_addstr(&r->out, "(?:(?:(?!");
	else
		buf_add(&r->out, r->p + r->i, n);
	r->i += n;
	rx_no_atom(r);
}

/* Close the groups `(?i)` opened inside the innermost real group. */
static void rx_close_implicit(struct rx *r)
{
	while (r->ngroups && r->groups[r->ngroups - 1].implicit) {
		buf_addch(&r->out, ')');
		r->ext = r->groups[--r->ngroups].ext;
	}
}

static void rx_close_group(struct rx *r)
{
	rx_close_implicit(r);
	if (!r->ngroups) {
		rx_fail(r, "unmatched close parenthesis");
		return;
	}
	buf_addstr(&r->out,
		   r->groups[r->ngroups - 1].absent ? ")(?s:.))*)" : ")");
	r->i++;
	r->ngroups--;
	r->atom = r->groups[r->ngroups].at;
	r->ext = r->groups[r->ngroups].ext;
	r->behind -= r->groups[r->ngroups].behind > 0;
	r->behind_not -= r->groups[r->ngroups].behind == 2;
	r->anchor = false;
	r->q = RQ_NONE;
}

static void rx_step(struct rx *r)
{
	int c = rx_peek(r, 0);
	size_t n;
	bool low_missing = false;

	if (r->ext &&
	    (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')) {
		r->i++;
		return;
	}
	if (r->ext && c == '#') {
		while (r->i < r->len && r->p[r->i] != '\n')
			r->i++;
		return;
	}
	switch (c) {
	case '\\': {
		size_t at = r->out.len;
		bool anchor;

		/* `\u{61 62}` is two characters: a quantifier takes the last. */
		r->cp_at = SIZE_MAX;
		anchor = rx_escape(r, false);
		r->atom = r->cp_at != SIZE_MAX ? r->cp_at : at;
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
	struct rx r = {
		.p = p, .len = len, .out = BUF_INIT, .names = SVEC_INIT
	};
	char *res = NULL;

	rx_no_atom(&r);
	while (!r.err && r.i < r.len)
		rx_step(&r);
	rx_close_implicit(&r);
	if (!r.err && r.ngroups)
		rx_fail(&r, "end pattern with unmatched parenthesis");
	if (!r.err && r.named && r.numbered)
		rx_fail(&r, "numbered backref/call is not allowed (use name)");
	if (r.err)
		*why = r.err;
	else
		res = buf_detach(&r.out, NULL);
	buf_release(&r.out);
	svec_release(&r.names);
	free(r.groups);
	return res;
}

int regex_compile(struct regex **out, const char *pattern, unsigned flags)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE |
			PCRE2_UCP | PCRE2_DUPNAMES;
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
	pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALLOW_LOOKAROUND_BSK);
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
