/*
 * regex_quant.c: quantifiers in the rewrite of Ruby patterns for PCRE2
 * (regex_rewrite.c): `{,n}`, `a{n}?`, quantified anchors, and a
 * quantifier on a quantifier reduced as Onigmo does.
 */
#include "compat.h"

#include <limits.h>

#include "buf.h"
#include "regex_int.h"

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
size_t regex_interval_len(const struct rx *r, bool *low_missing)
{
	size_t j = 1, lo = 0, hi = 0;

	while (regex_is_digit(regex_peek(r, j))) {
		j++;
		lo++;
	}
	if (regex_peek(r, j) == ',') {
		j++;
		while (regex_is_digit(regex_peek(r, j))) {
			j++;
			hi++;
		}
	}
	if (regex_peek(r, j) != '}' || (!lo && !hi))
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
	int c = regex_peek(r, 0);
	bool suffix = n == 1 && (c == '?' || c == '+') &&
		      (r->q == RQ_SIMPLE ||
		       (r->q == RQ_INTERVAL && c == '?' && !r->q_exact));
	unsigned long lo = 0, hi = ULONG_MAX;
	char *end = NULL;

	if (c == '{') {
		lo = strtoul(r->p + r->i + 1, &end, 10);
		if (*end == ',' && regex_is_digit((unsigned char)end[1]))
			hi = strtoul(end + 1, NULL, 10);
		else if (*end != ',')
			hi = lo;
		if (hi < lo) {
			regex_fail(
				r,
				"upper is smaller than lower in repeat range");
			return;
		}
	} else if (!suffix) {
		lo = c == '+' ? 1 : 0;
		hi = c == '?' ? 1 : ULONG_MAX;
	}
	if (r->behind && (suffix || lo != hi)) {
		regex_fail(r, "invalid pattern in look-behind");
		return;
	}
	if (!suffix && !lo)
		buf_setlen(&r->out, r->atom);
	r->q_exact = c == '{' && lo == hi;
	r->i += n;
	r->q = suffix ? RQ_DONE : c == '{' ? RQ_INTERVAL : RQ_SIMPLE;
	r->q_pop = -1;
}

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
	int c = regex_peek(r, 0), base;

	if (n != 1)
		return -1;
	base = c == '?' ? 0 : c == '*' ? 1 : 2;
	if (regex_peek(r, 1) == '?')
		return base + 3;
	if (regex_peek(r, 1) == '+')
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
void regex_quantifier(struct rx *r, size_t n, bool low_missing)
{
	int c = regex_peek(r, 0), pop = rx_popular(r, n);
	enum rx_quant kind = c == '{' ? RQ_INTERVAL : RQ_SIMPLE;

	if (r->atom == SIZE_MAX) {
		regex_fail(r, "target of repeat operator is not specified");
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
