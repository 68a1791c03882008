#ifndef FY_JSON_H
#define FY_JSON_H

#include "compat.h"

struct buf;
struct val;

/*
 * JSON in and out of val trees (common/json.c is the only file that
 * includes <jansson.h>).  JSON numbers become VAL_NUM with their literal
 * text; `{"secure": "..."}` objects stay maps (JSON has no secure type)
 * unless JSON_SECURE is given.
 */
#define JSON_SECURE (1u << 0) /* parse: {"secure": s} -> VAL_SECURE */
#define JSON_PRETTY (1u << 1) /* write: indent by two spaces */
#define JSON_SORTED (1u << 2) /* write: sort map keys */

/* Parse `len` bytes of JSON; errors carry line and column. */
int json_parse(struct val **out, const char *text, size_t len, unsigned flags);
/* Append `v` as JSON to `out` (secure values as {"secure": "..."}). */
int json_write(struct buf *out, const struct val *v, unsigned flags);
/* Convenience: a malloc'd JSON string. */
char *json_dump(const struct val *v, unsigned flags);

#endif
