#ifndef FY_ENVVAR_H
#define FY_ENVVAR_H

#include "compat.h"

struct val;

/*
 * Env var strings as Travis reads them.
 *
 * envvar_parse() follows travis-yml (which uses sh_vars): "A=1 B='x y'"
 * becomes the map {A: "1", B: "'x y'"} in order, quotes kept; values may
 * hold "...", '...', backticks, $(...), ${...} (nested) and \x escapes;
 * a bare NAME means NAME="", and a later NAME replaces an earlier one in
 * place.  Unbalanced quotes are FY_EINVALID (the message says where); an
 * unclosed `$(` or `${` is not an error, as in sh_vars.
 *
 * envvar_parse_build() follows travis-build's Var.parse (used when jobs
 * export their variables): a leading "SECURE " marks the string secure,
 * then NAME=VALUE pairs; it never fails, and skips what it cannot read.
 */
int envvar_parse(struct val **out, const char *s);
int envvar_parse_build(struct val **out, const char *s, bool *secure);

/*
 * `value` without one pair of matching surrounding quotes (malloc'd).
 * As Ruby's line-anchored /^(["'])(.*)\1$/ does, a multi-line value gives
 * the inside of its first line that is so wrapped.
 */
char *envvar_unquote(const char *value);

#endif
