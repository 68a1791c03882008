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
/* Compile, match and free in one call. */
int regex_test(const char *pattern, const char *s, unsigned flags);

#endif
