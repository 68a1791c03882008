#ifndef FY_RBGLOB_H
#define FY_RBGLOB_H

#include "compat.h"

struct svec;

/*
 * rbglob: Ruby's File.fnmatch and Dir.glob, which dpl's options are
 * written in (s3 `glob:`, the globs of `cache_control:` and `expires:`).
 *
 * rbglob_match() is File.fnmatch: '*' any run of characters, '?' one,
 * "[a-z]" / "[!a-z]" / "[^a-z]" a class, '\' escapes the next character.
 * Without RBGLOB_PATHNAME, '*' and '?' match '/' too; with it they stop
 * at '/', and "**" followed by '/' matches any number of directories.
 * A leading '.' (at the start, or after '/' with RBGLOB_PATHNAME) is
 * matched only by a literal '.' unless RBGLOB_DOTMATCH.  With
 * RBGLOB_EXTGLOB, "{a,b}" is tried as each alternative (nesting works).
 * RBGLOB_CASEFOLD ignores ASCII case outside brackets (Ruby's own
 * folding inside brackets compares the wrong character; not copied).
 *
 * rbglob_dir() is Dir.glob relative to a base directory: braces are
 * always expanded, each '/'-separated part is matched as above with
 * RBGLOB_PATHNAME, "**" followed by '/' walks every subdirectory
 * (hidden ones only with RBGLOB_DOTMATCH; symlinked directories are not
 * walked, as Ruby does), and "." and ".." never match a wildcard (Ruby
 * 3.1 lists "." and "dir/." for some FNM_DOTMATCH patterns; they are
 * directories, which deploys leave out anyway).
 * Results are paths relative to the base, sorted, without duplicates.
 * It fails with FY_EINVALID for an absolute or unbalanced pattern and
 * with the errno message when the base cannot be read; unreadable
 * subdirectories are skipped like Ruby skips them.
 */
#define RBGLOB_PATHNAME (1u << 0)
#define RBGLOB_DOTMATCH (1u << 1)
#define RBGLOB_EXTGLOB	(1u << 2)
#define RBGLOB_NOESCAPE (1u << 3)
#define RBGLOB_CASEFOLD (1u << 4)

bool rbglob_match(const char *pattern, const char *string, unsigned flags);

/*
 * Append to `out` the paths below `base` that `pattern` matches, with
 * RBGLOB_DOTMATCH as the only meaningful flag.  `files_only` leaves out
 * directories (symlinks are followed for that test).
 */
int rbglob_dir(struct svec *out, const char *base, const char *pattern,
	       unsigned flags, bool files_only);

/*
 * Expand the braces of `pattern` into `out` ("a{b,c}d" -> "abd", "acd");
 * a pattern without braces is appended as it is.  FY_EINVALID when the
 * braces do not balance, FY_ETOOBIG beyond 4096 alternatives.
 */
int rbglob_braces(struct svec *out, const char *pattern);

#endif
