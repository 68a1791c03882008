#ifndef FY_LOADER_H
#define FY_LOADER_H

#include "compat.h"

struct buf;
struct msgs;
struct svec;
struct val;

/*
 * The YAML loader (runner/loader.c is the only file that includes
 * <yaml.h>).  It reads YAML the way Travis does (Psych with travis-yml's
 * scalar rules):
 *
 *  - `yes`, `no`, `on`, `off` in lower case stay strings (also inside
 *    longer words); `Yes`/`ON`/`True`/`false` ... are booleans;
 *  - floats (`3.10`), times and dates stay strings; integers become nums
 *    (`010` is octal, `1_000` is 1000, `1:30` is 90, as Psych reads them);
 *  - `~`, `null` and empty values are null; quoted scalars are strings;
 *  - anchors and aliases work within the file (an alias is copied, an
 *    unknown alias is null); `<<` merge keys merge as Psych does;
 *  - a duplicated key keeps its first position and its last value, and is
 *    reported as an error message `duplicate_key` on the enclosing path;
 *  - only the first document is read; an empty document is an empty map.
 *
 * Malformed YAML, a root that is not a map, invalid UTF-8, nesting deeper
 * than LOADER_MAX_DEPTH, more than LOADER_MAX_NODES nodes (alias bombs)
 * and files over LOADER_MAX_BYTES are FY_EINVALID (FY_ETOOBIG for sizes)
 * with a message "NAME:LINE:COL: what" (1-based line and column).
 */
#define LOADER_MAX_BYTES (4u << 20)
#define LOADER_MAX_DEPTH 64
#define LOADER_MAX_NODES 500000

/*
 * Parse `len` bytes named `name`.  `msgs` (may be NULL) receives the
 * duplicate_key messages; `anchors` (may be NULL) receives the keys whose
 * values carry an anchor (travis-yml accepts unknown keys holding anchors).
 */
int loader_load(struct val **out, const char *text, size_t len,
		const char *name, struct msgs *msgs, struct svec *anchors);
/*
 * Whether `s` matches Psych's FLOAT (base 10 with '_' and ',', .inf, .nan);
 * travis-yml keeps such scalars as strings, the appspec reader as floats.
 */
bool loader_psych_float(const char *s);
/* Read a file under the size cap (FY_ETOOBIG "PATH:1:1: file too large"). */
int loader_read_file(struct buf *out, const char *path);
/* Read and parse a file; `name` in messages is the path as given. */
int loader_load_file(struct val **out, const char *path, struct msgs *msgs,
		     struct svec *anchors);

/*
 * Write `v` as block-style YAML (for people: `ferry config`).  Strings
 * that this loader would read back as something else are quoted.
 */
int loader_emit(struct buf *out, const struct val *v);

#endif
