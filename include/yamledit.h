#ifndef FY_YAMLEDIT_H
#define FY_YAMLEDIT_H

#include "compat.h"

struct buf;
struct val;

/*
 * yamledit: change one key of a YAML file (a .travis.yml) by editing its
 * text, so that every other byte stays as it was: what `travis encrypt
 * --add` and `travis encrypt-file --add` do, without rewriting the file.
 *
 * The key is a dotted path of map keys ("env.global", "deploy.api_key",
 * "before_install").  Missing keys are created (block style, indented
 * like their siblings, two spaces deeper than their parent otherwise).
 *
 *  YAMLEDIT_APPEND / YAMLEDIT_PREPEND: the items go at the end (start) of
 *    the list at the key.  A block list gets one "- item" line each, a
 *    one-line flow list `[a, b]` gets the items inside its brackets, an
 *    empty value becomes a block list, and a one-line scalar or flow map
 *    becomes a block list holding it and the items (Travis's
 *    [old, new...]).  `env.jobs` and `env.matrix` also reach a list given
 *    directly as `env:`.
 *  YAMLEDIT_SET: the key's value becomes the item (or a list of the items
 *    when there are several), replacing what was there (Travis's
 *    --override, the default for keys outside env).
 *
 * Items are vals: strings, or maps of strings such as {secure: "..."};
 * they are written as one line each.  The edited text is parsed again
 * and must hold exactly the original document with that one change;
 * anything else (a shape that cannot be edited safely: flow maps on the
 * path, aliases, multi-line flow lists or scalars, duplicated keys) is
 * FY_EINVALID with a message saying what, and `out` is left alone.
 */
enum yamledit_mode {
	YAMLEDIT_APPEND,
	YAMLEDIT_PREPEND,
	YAMLEDIT_SET,
};

/* Append the edited form of `text` (`len` bytes) to `out`. */
int yamledit_add(struct buf *out, const char *text, size_t len,
		 const char *keypath, const struct val *const *items,
		 size_t nitems, enum yamledit_mode mode);

#endif
