/*
 * regex_class.c: character classes in the rewrite of Ruby patterns for
 * PCRE2 (regex_rewrite.c): POSIX brackets checked as Onigmo does, nested
 * classes as unions, `&&` as intersections.
 */
#include "compat.h"

#include "buf.h"
#include "regex_int.h"
#include "svec.h"

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
				regex_fail(r, "invalid POSIX bracket type");
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
		regex_fail(r, "invalid POSIX bracket type");
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
		regex_escape(r, true);
	else
		regex_copy_char(r);
	*b = r->out;
	r->out = saved;
}

/* A set was just added: a range may neither end nor start with it. */
static void rx_cc_set(struct rx *r, enum rx_cc_last *last)
{
	if (*last == RCL_DASH) {
		regex_fail(r, "char-class value at end of range");
		return;
	}
	if (regex_peek(r, 0) == '-' && regex_peek(r, 1) >= 0 &&
	    regex_peek(r, 1) != ']')
		regex_fail(r, "unmatched range specifier in char-class");
	*last = RCL_SET;
}

/* One item of a class body into `part`. */
static void rx_cc_item(struct rx *r, struct rx_cc_part *part,
		       enum rx_cc_last *last, int depth)
{
	int c = regex_peek(r, 0), d = regex_peek(r, 1);
	size_t n;

	if (c == '\\') {
		bool set = (d >= 0 && strchr("dDwWsShH", d)) ||
			   ((d == 'p' || d == 'P') && regex_peek(r, 2) == '{');

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
		regex_fail(r, "character classes nested too deeply");
		return;
	}
	rx_cc_part_init(&parts[0]);
	if (regex_peek(r, 0) == '^') {
		neg = true;
		r->i++;
	}
	while (!r->err) {
		int c = regex_peek(r, 0);

		if (c < 0) {
			regex_fail(r, "premature end of char-class");
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
		} else if (c == '&' && regex_peek(r, 1) == '&') {
			r->i += 2;
			if (nparts == ARRAY_SIZE(parts)) {
				regex_fail(r,
					   "too many && in a character class");
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

void regex_class(struct rx *r)
{
	regex_begin_atom(r, false);
	r->i++;
	rx_cc(r, &r->out, 0);
}
