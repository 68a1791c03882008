#ifndef FY_LOADER_INT_H
#define FY_LOADER_INT_H

/*
 * loader_int.h: private to runner/loader*.c.  loader.c is the only file
 * that includes <yaml.h>: it turns libyaml's events into a val tree and
 * writes YAML back; loader_scalar.c has the scalar rules of Travis's
 * Psych-based parser; loader_text.c checks and normalises the text before
 * libyaml sees it and reads files.
 */

#include "compat.h"

struct buf;
struct val;

/* A malformed UTF-8 sequence, in libyaml's words. */
struct utf8_problem {
	const char *what;
	size_t offset;
	long value; /* the offending octet or code point, or -1 */
};

/* Well-formed UTF-8 (no overlong forms, surrogates, nor past U+10FFFF)? */
bool loader_utf8_valid(const char *text, size_t len, struct utf8_problem *p);

/*
 * travis-yml reads the text as binary and converts it to UTF-8, which
 * drops every byte over 0x7f; it then removes the indentation of the
 * first line from all lines and strips the text.  Line numbers are kept
 * (leading blank lines stay).
 */
void loader_normalize_text(struct buf *out, const char *text, size_t len);

struct val *loader_plain_scalar(const char *s, size_t len);

/* Ruby's unpack('m'): base64, skipping what is not in the alphabet. */
struct val *loader_binary_scalar(const char *s, size_t len);

bool loader_str_tag(const char *tag);

#endif
