#ifndef FY_REGEX_H
#define FY_REGEX_H

#include "compat.h"

/*
 * Regular expressions with Ruby (Onigmo) syntax on PCRE2 (common/regex.c
 * is the only file that includes <pcre2.h>).  Ruby's rules are kept: `^`
 * and `$` match at line starts and ends, `\A`, `\z`, `\Z`, `\h` (hex
 * digit), `(?i:...)`, POSIX brackets; matching finds the pattern anywhere.
 * Compiled patterns are immutable and may be shared between threads.
 */
struct regex;

#define REGEX_ICASE (1u << 0)

/* FY_EINVALID with "invalid regular expression: /src/: reason". */
int regex_compile(struct regex **out, const char *pattern, unsigned flags);
void regex_free(struct regex *re);
/* 1 when `s` matches, 0 when not, < 0 on a matching error. */
int regex_match(const struct regex *re, const char *s, size_t len);
/*
 * Find the first match starting at or after byte `start`.  Returns 1 and
 * fills `npairs` pairs of start and end offsets in `ovec` (group 0 is the
 * whole match; REGEX_UNSET for a group that took no part), 0 when there
 * is no match, < 0 on a matching error.
 */
#define REGEX_UNSET ((size_t)-1)
int regex_search(const struct regex *re, const char *s, size_t len,
		 size_t start, size_t *ovec, size_t npairs);
/* The pattern as given to regex_compile(). */
const char *regex_source(const struct regex *re);
/* Compile, match and free in one call. */
int regex_test(const char *pattern, const char *s, unsigned flags);

#endif
