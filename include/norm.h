#ifndef FY_NORM_H
#define FY_NORM_H

#include "compat.h"

struct msgs;
struct svec;
struct val;

/*
 * The normaliser: applies Travis's config schema to a loaded .travis.yml
 * exactly as travis-yml's parse endpoint does (options alert, defaults,
 * fix and line on; support, drop and empty off): key aliases, casting,
 * defaults, wrapping scalars into lists, env forms, deploy, notification
 * and addon forms, language specific keys.  Problems become messages
 * (level, code, dotted key, line); normalising never fails.
 *
 * `raw` is consumed; `anchors` are the keys holding YAML anchors (from
 * the loader; may be NULL).  Returns the normalised config (a map).
 */
struct val *norm_apply(struct val *raw, const struct svec *anchors,
		       struct msgs *msgs);

#endif
