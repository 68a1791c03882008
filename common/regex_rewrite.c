/*
 * regex_rewrite.c: the rewrite of a Ruby (Onigmo) pattern into PCRE2's
 * syntax, which regex.c compiles: the scan, groups and options.
 * Quantifiers are in regex_quant.c, escapes in regex_escape.c, character
 * classes in regex_class.c.  The rewrite covers where the two disagree:
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

#include "buf.h"
#include "regex_int.h"
#include "svec.h"
#include "xalloc.h"

/* Nesting of groups and classes the rewrite accepts. */
#define REGEX_MAX_GROUPS 1000

void regex_fail(struct rx *r, const char *why)
{
	if (!r->err)
		r->err = why;
}

bool regex_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

int regex_peek(const struct rx *r, size_t ahead)
{
	return r->i + ahead < r->len ? (unsigned char)r->p[r->i + ahead] : -1;
}

/* Length of the UTF-8 sequence starting with byte `c` (1 if invalid). */
size_t regex_utf8_len(int c)
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
void regex_copy_char(struct rx *r)
{
	size_t n = regex_utf8_len(regex_peek(r, 0));

	if (n > r->len - r->i)
		n = r->len - r->i;
	buf_add(&r->out, r->p + r->i, n);
	r->i += n;
}

void regex_begin_atom(struct rx *r, bool anchor)
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

/* `(?imx-imx)` or `(?imx-imx:`: Ruby's `m` is PCRE2's `s`. */
static bool rx_options(struct rx *r)
{
	size_t j = 2;
	bool off = false, ext = r->ext;
	struct buf opts = BUF_INIT;
	int c;

	for (;; j++) {
		c = regex_peek(r, j);
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
	int c = regex_peek(r, 1), d = regex_peek(r, 2);
	size_t n = 1;

	if (r->ngroups >= REGEX_MAX_GROUPS) {
		regex_fail(r, "groups nested too deeply");
		return;
	}
	XGROW(r->groups, r->agroups, r->ngroups + 1);
	if (c == '?') {
		if (d == '#') {
			const char *end =
				memchr(r->p + r->i, ')', r->len - r->i);

			if (!end) {
				regex_fail(r, "end pattern in group");
				return;
			}
			r->i = (size_t)(end - r->p) + 1;
			return;
		}
		if (rx_options(r))
			return;
		if (d == ':' || d == '=' || d == '!' || d == '>' || d == '(') {
			n = 3;
		} else if (d == '<' && (regex_peek(r, 3) == '=' ||
					regex_peek(r, 3) == '!')) {
			n = 4;
		} else if (d == '<' || d == '\'') {
			n = 3;
			r->named = true;
		} else if (d == '~') {
			n = 3;
		} else {
			regex_fail(r, d < 0 ? "end pattern in group"
					    : "undefined group option");
			return;
		}
	}
	if (r->behind && ((c == '?' && (d == '=' || d == '!' || d == '>')) ||
			  (r->behind_not && (c != '?' || n == 3) &&
			   !(c == '?' && d == ':')))) {
		/* Onigmo allows no lookahead, atomic group or capture there. */
		regex_fail(r, "invalid pattern in look-behind");
		return;
	}
	r->groups[r->ngroups].at = r->out.len;
	r->groups[r->ngroups].implicit = false;
	r->groups[r->ngroups].ext = r->ext;
	r->groups[r->ngroups].behind =
		n == 4 ? (regex_peek(r, 3) == '=' ? 1 : 2) : 0;
	r->groups[r->ngroups].absent = c == '?' && d == '~';
	r->behind += n == 4;
	r->behind_not += n == 4 && regex_peek(r, 3) == '!';
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
		regex_fail(r, "unmatched close parenthesis");
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
	int c = regex_peek(r, 0);
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
		anchor = regex_escape(r, false);
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
		regex_class(r);
		break;
	case '^':
	case '$':
		regex_begin_atom(r, true);
		buf_addch(&r->out, (char)c);
		r->i++;
		break;
	case '*':
	case '+':
	case '?':
		regex_quantifier(r, 1, false);
		break;
	case '{':
		n = regex_interval_len(r, &low_missing);
		if (n) {
			regex_quantifier(r, n, low_missing);
			break;
		}
		regex_begin_atom(r, false);
		buf_addstr(&r->out, "\\{");
		r->i++;
		break;
	default:
		regex_begin_atom(r, false);
		regex_copy_char(r);
		break;
	}
}

/* Rewrite Ruby pattern `p` for PCRE2; NULL and `*why` on an error. */
char *regex_translate(const char *p, size_t len, const char **why)
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
		regex_fail(&r, "end pattern with unmatched parenthesis");
	if (!r.err && r.named && r.numbered)
		regex_fail(&r,
			   "numbered backref/call is not allowed (use name)");
	if (r.err)
		*why = r.err;
	else
		res = buf_detach(&r.out, NULL);
	buf_release(&r.out);
	svec_release(&r.names);
	free(r.groups);
	return res;
}
