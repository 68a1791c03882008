#ifndef FY_REGEX_INT_H
#define FY_REGEX_INT_H

#include "compat.h"

#include "buf.h"
#include "svec.h"

/*
 * regex_int.h: private to common/regex*.c, the rewrite of a Ruby pattern
 * into PCRE2's syntax.  regex_rewrite.c scans the pattern and handles
 * groups, regex_quant.c quantifiers, regex_escape.c escapes and
 * regex_class.c character classes; regex.c compiles the result.  Each
 * part reads the pattern at r->i and appends to r->out; the first error
 * is kept in r->err and ends the scan.
 */
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

/* Rewrite Ruby pattern `p` for PCRE2; NULL and `*why` on an error. */
char *regex_translate(const char *p, size_t len, const char **why);

/* Record `why` unless an error was recorded already. */
void regex_fail(struct rx *r, const char *why);
bool regex_is_digit(int c);
/* The byte `ahead` of the scan position, or -1 past the end. */
int regex_peek(const struct rx *r, size_t ahead);
/* Length of the UTF-8 sequence starting with byte `c` (1 if invalid). */
size_t regex_utf8_len(int c);
/* Copy one (possibly multibyte) character from the pattern. */
void regex_copy_char(struct rx *r);
/* A new atom starts at the end of r->out. */
void regex_begin_atom(struct rx *r, bool anchor);

/*
 * `{n}`, `{n,}`, `{,m}` or `{n,m}` at the scan position: its length, or 0
 * when the brace is a plain character.
 */
size_t regex_interval_len(const struct rx *r, bool *low_missing);
/* A quantifier: `*`, `+`, `?` or an interval of `n` characters. */
void regex_quantifier(struct rx *r, size_t n, bool low_missing);

/*
 * An escape outside or inside a class; returns whether it is an anchor
 * (outside a class).
 */
bool regex_escape(struct rx *r, bool in_class);

/* A character class, at its "[". */
void regex_class(struct rx *r);

#endif
