/*
 * regex_escape.c: backslash escapes in the rewrite of Ruby patterns for
 * PCRE2 (regex_rewrite.c): Ruby's ASCII \d \w \s, \h, \R, \x and \u
 * code points, control escapes, named references and properties.
 */
#include "compat.h"

#include "buf.h"
#include "error.h"
#include "regex_int.h"
#include "svec.h"

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

static void rx_add_codepoint(struct rx *r, unsigned long cp)
{
	r->cp_at = r->out.len;
	buf_addf(&r->out, "\\x{%lx}", cp);
}

/* `\xHH` escapes, several of which may spell one UTF-8 character. */
static void rx_hex_escapes(struct rx *r)
{
	unsigned char bytes[4];
	size_t nb = 0, want = 0;

	do {
		int v = 0, digits = 0;

		r->i += 2;
		while (digits < 2 && rx_is_hex(regex_peek(r, 0))) {
			v = v * 16 + rx_hex_val(regex_peek(r, 0));
			r->i++;
			digits++;
		}
		if (!digits) {
			regex_fail(r, "invalid hex escape");
			return;
		}
		if (v < 0x80 && !nb) {
			buf_addf(&r->out, "\\x%02x", v);
			return;
		}
		if (!nb) {
			want = regex_utf8_len(v);
			if (want < 2 || (v & 0xc0) == 0x80) {
				regex_fail(r, "invalid multibyte escape");
				return;
			}
		} else if ((v & 0xc0) != 0x80) {
			regex_fail(r, "invalid multibyte escape");
			return;
		}
		bytes[nb++] = (unsigned char)v;
	} while (nb < want && regex_peek(r, 0) == '\\' &&
		 regex_peek(r, 1) == 'x');
	if (nb < want) {
		regex_fail(r, "invalid multibyte escape");
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
	if (regex_peek(r, 0) != '{') {
		for (; digits < 4 && rx_is_hex(regex_peek(r, 0)); digits++) {
			cp = cp * 16 + rx_hex_val(regex_peek(r, 0));
			r->i++;
		}
		if (digits < 4)
			regex_fail(r, "invalid Unicode escape");
		else
			rx_add_codepoint(r, cp);
		return;
	}
	r->i++;
	for (;;) {
		while (regex_peek(r, 0) == ' ')
			r->i++;
		if (regex_peek(r, 0) == '}' && digits) {
			r->i++;
			return;
		}
		cp = 0;
		digits = 0;
		while (rx_is_hex(regex_peek(r, 0)) && digits < 7) {
			cp = cp * 16 + rx_hex_val(regex_peek(r, 0));
			r->i++;
			digits++;
		}
		if (!digits || cp > 0x10ffff ||
		    (regex_peek(r, 0) != ' ' && regex_peek(r, 0) != '}')) {
			regex_fail(r, "invalid Unicode list");
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
	int close = regex_peek(r, 2) == '<' ? '>' : '\'';
	size_t at = r->i + 3;
	const char *end = memchr(r->p + at, close, r->len - at);
	size_t len;
	int c0;

	if (!end)
		return true; /* PCRE2 reports the missing delimiter */
	len = (size_t)(end - r->p) - at;
	c0 = len ? (unsigned char)r->p[at] : 0;
	if (!len || regex_is_digit(c0) || c0 == '-' || c0 == '+')
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
	while (regex_peek(r, 0) >= 0 && regex_peek(r, 0) != close)
		r->i++;
	if (regex_peek(r, 0) != close) {
		regex_fail(r, "invalid escape: missing closing delimiter");
		return;
	}
	r->i++;
	buf_add(&r->out, r->p + start, r->i - start);
}

/*
 * The escapes that stand for a character or a set and become a fixed
 * PCRE2 text: whether `c` is one (the escape is then consumed).
 */
static bool rx_fixed_escape(struct rx *r, int c, bool in_class)
{
	switch (c) {
	case 'd':
	case 'D':
	case 's':
	case 'S':
	case 'w':
	case 'W':
		/* ASCII in Ruby; PCRE2_UCP (for `\b` and POSIX) would widen them. */
		buf_addstr(&r->out, rx_ascii_set(c, in_class));
		break;
	case 'R':
		/* Spelled out: PCRE2 auto-possessifies `.{1,3}\R` wrongly. */
		buf_addstr(&r->out, in_class
					    ? "R"
					    : "(?>\\r\\n|[\\n\\x0b\\f\\r\\x{85}"
					      "\\x{2028}\\x{2029}])");
		break;
	case 'X':
	case 'n':
	case 'r':
	case 't':
	case 'f':
	case 'a':
	case 'e':
		buf_add(&r->out, r->p + r->i, 2);
		break;
	case 'h':
		buf_addstr(&r->out, in_class ? "[:xdigit:]" : "[[:xdigit:]]");
		break;
	case 'H':
		buf_addstr(&r->out, in_class ? "[:^xdigit:]" : "[^[:xdigit:]]");
		break;
	case 'v':
		buf_addstr(&r->out, "\\x0b");
		break;
	default:
		return false;
	}
	r->i += 2;
	return true;
}

/* `\cx` or `\C-x` (`c` says which): a control character. */
static void rx_control_escape(struct rx *r, int c)
{
	if (c == 'c') {
		if (regex_peek(r, 2) < 0 || regex_peek(r, 2) >= 0x80) {
			regex_fail(r, "too short control escape");
			r->i += 2;
			return;
		}
		buf_add(&r->out, r->p + r->i, 3);
		r->i += 3;
		return;
	}
	if (regex_peek(r, 2) != '-' || regex_peek(r, 3) < 0 ||
	    regex_peek(r, 3) >= 0x80) {
		regex_fail(r, "too short control escape");
		r->i += 2;
		return;
	}
	buf_addf(&r->out, "\\x%02x",
		 regex_peek(r, 3) == '?' ? 0x7f : regex_peek(r, 3) & 0x1f);
	r->i += 4;
}

/*
 * `\k<name>`, `\g<name>` (or with quotes), `\p{...}` and `\P{...}`
 * (`c` is the letter): whether the escape is one of them; `\k`, `\g`,
 * `\p` and `\P` without their delimiter are letters.
 */
static bool rx_delimited_escape(struct rx *r, int c)
{
	int open = regex_peek(r, 2);

	if (c == 'p' || c == 'P') {
		if (open != '{')
			return false;
		rx_copy_delimited(r, 3, '}');
		return true;
	}
	if (open != '<' && open != '\'')
		return false;
	if (c == 'k' && !rx_name_known(r))
		regex_fail(r, "undefined name reference");
	else
		rx_copy_delimited(r, 3, open == '<' ? '>' : '\'');
	return true;
}

/*
 * Digits (a backreference such as `\1`, or an octal escape such as
 * `\012`), or an escaped character that is not an ASCII letter: whether
 * the escape is one.
 */
static bool rx_nonletter_escape(struct rx *r, int c, bool in_class)
{
	if (regex_is_digit(c)) {
		size_t start = r->i;

		r->i++;
		while (regex_is_digit(regex_peek(r, 0)))
			r->i++;
		if (c != '0' && !in_class)
			r->numbered = true;
		buf_add(&r->out, r->p + start, r->i - start);
		return true;
	}
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
		/* Escaped punctuation or a multibyte character. */
		buf_addch(&r->out, '\\');
		r->i++;
		regex_copy_char(r);
		return true;
	}
	return false;
}

/*
 * An escape outside or inside a class; returns whether it is an anchor
 * (outside a class).
 */
bool regex_escape(struct rx *r, bool in_class)
{
	int c = regex_peek(r, 1);

	if (r->behind && !in_class && c >= 0 &&
	    (strchr("zZXRk", c) || (c >= '1' && c <= '9'))) {
		/* Onigmo refuses these inside a look-behind. */
		regex_fail(r, "invalid pattern in look-behind");
		r->i += 2;
		return false;
	}
	if (c < 0) {
		regex_fail(r, "too short escape sequence");
		r->i++;
		return false;
	}
	if (rx_fixed_escape(r, c, in_class))
		return false;
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
	case 'x':
		rx_hex_escapes(r);
		return false;
	case 'u':
		rx_unicode_escape(r);
		return false;
	case 'c':
	case 'C':
		rx_control_escape(r, c);
		return false;
	case 'M':
		regex_fail(r, "meta escapes are not supported");
		r->i += 2;
		return false;
	case 'k':
	case 'g':
	case 'p':
	case 'P':
		if (rx_delimited_escape(r, c))
			return false;
		break;
	default:
		if (rx_nonletter_escape(r, c, in_class))
			return false;
		break;
	}
	/* A letter that means nothing to Ruby: the letter itself. */
	buf_addch(&r->out, (char)c);
	r->i += 2;
	return false;
}
