#ifndef FY_LANG_H
#define FY_LANG_H

#include "compat.h"

struct buf;
struct val;

/*
 * Language defaults, as travis-build's script classes define them
 * (spec/travis.md 1.7): what runs for install and script when the keys
 * are absent, the announce commands, and the language's exports
 * (TRAVIS_<LANG>_VERSION, CC/CXX, BUNDLE_GEMFILE, ...).
 */

/* travis-build's class for a `language:` value ("c++" -> "cpp", unknown -> "ruby"). */
const char *lang_canonical(const char *language);

/*
 * Append bash for the default of `stage` ("install", "script",
 * "announce", "before_cache") to `out`.  Returns false when the language
 * has no default for that stage (nothing appended).  The script default
 * ends with its own `travis_result` when the language has one.
 */
bool lang_default(struct buf *out, const char *stage, const struct val *job);

/* Append the language's `export` lines (not echoed). */
void lang_exports(struct buf *out, const struct val *job);

/* The cache slug suffix of the language (spec 8.2), e.g. "--rvm-2.7--gemfile-Gemfile". */
char *lang_cache_suffix(const struct val *job);

#endif
