#ifndef FY_MATRIX_H
#define FY_MATRIX_H

#include "compat.h"

struct msgs;
struct val;

/*
 * Jobs from a normalised config.
 *
 * matrix_expand() is travis-yml's Matrix#jobs with no request data (the
 * expand endpoint): the expanded, included, excluded and de-duplicated
 * job configs in order, as a seq of maps.  Nothing is filtered by `if:`.
 *
 * matrix_plan() is the whole build as Travis creates it from a request
 * (travis-yml Configs plus the build-level rules of gatekeeper): it
 * returns a map
 *   { "build": {"created": bool, "reason": str|null},
 *     "stages": [ {"name": str, "if": str|null}, ... ],
 *     "jobs": [ {"number": "1.1", "stage": str|null,
 *                "allow_failure": bool, "name": str|null,
 *                "config": {...}}, ... ],
 *     "dropped": [ {"config": {...}, "reason": str}, ... ],
 *     "fast_finish": bool }
 * `request` is a map of condition data (cond.h: type, branch, tag, repo,
 * commit_message, ...) or NULL, in which case no `if:`, `branches:` or
 * skip keyword is applied (every job is kept).  `build_number` numbers
 * the jobs ("<build_number>.<n>").
 */
struct val *matrix_expand(const struct val *config, struct msgs *msgs);
struct val *matrix_plan(const struct val *config, const struct val *request,
			long build_number, struct msgs *msgs);

#endif
