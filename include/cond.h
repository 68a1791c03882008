#ifndef FY_COND_H
#define FY_COND_H

#include "compat.h"

struct val;

/*
 * Travis `if:` conditions, language v1 (travis-conditions): parser and
 * evaluator.  A parsed condition is immutable.
 *
 * Data is a val map with the attributes `type`, `repo`, `head_repo`,
 * `branch`, `head_branch`, `tag`, `commit_message`, `sender`, `fork`,
 * `draft`, `os`, `dist`, `group`, `sudo`, `language` (strings or bools)
 * and `env`: a seq of "NAME=value ..." strings or of maps, or a map.
 */
struct cond;

/*
 * Parse `src`.  A parse error is FY_EINVALID with a message that gives
 * the 1-based column: "col 12: expected an operand".  FY_EFAIL marks the
 * few inputs on which travis-conditions fails with an internal error
 * instead (invalid UTF-8; an attribute name followed directly by a
 * non-ASCII character): Travis treats those like evaluation errors.
 */
int cond_parse(struct cond **out, const char *src);
void cond_free(struct cond *c);
/* Evaluate; FY_EINVALID for evaluation errors (an invalid regex). */
int cond_eval(const struct cond *c, const struct val *data, bool *result);
/* Parse and evaluate in one call. */
int cond_check(const char *src, const struct val *data, bool *result);
/* The parse tree as an s-expression string (tests, `--debug`). */
char *cond_sexp(const struct cond *c);

#endif
