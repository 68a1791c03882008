#ifndef FY_MSG_H
#define FY_MSG_H

#include "compat.h"

struct val;

/*
 * Messages about a config, as travis-yml reports them: a level, a code
 * (`default`, `alias_key`, `unknown_key`, ...), the dotted key they are
 * about, the 0-based line where known (-1 otherwise), and a map of
 * arguments.  struct msgs owns its messages and their arguments.
 */
enum msg_level { MSG_INFO, MSG_WARN, MSG_ERROR, MSG_ALERT };

struct msg {
	enum msg_level level;
	char *code;
	char *key;
	int line;
	int src;	  /* source file index, as in struct val */
	struct val *args; /* a map, owned */
};

struct msgs {
	struct msg *v;
	size_t n, alloc;
};

/* clang-format off */
#define MSGS_INIT { 0 }
/* clang-format on */

void msgs_release(struct msgs *m);
/* Add a message; takes ownership of `args` (a map, or NULL for none). */
struct msg *msgs_add(struct msgs *m, enum msg_level level, const char *code,
		     const char *key, int line, struct val *args);
/*
 * Add with arguments given as pairs of (name, struct val *) ending in
 * NULL: msgs_addv(m, MSG_INFO, "default", "root", -1, "key",
 * val_str("os"), "default", val_str("linux"), NULL).
 */
struct msg *msgs_addv(struct msgs *m, enum msg_level level, const char *code,
		      const char *key, int line, ...) SENTINEL;
const char *msg_level_name(enum msg_level level);
bool msgs_has_error(const struct msgs *m);
/* One message as travis-yml's JSON shape (a map val). */
struct val *msg_to_val(const struct msg *msg);
/* A human readable line, travis-yml's wording: "[warn] on root: ..." */
char *msg_format(const struct msg *msg);
/* Only the text part: "unknown key foo (bar)". */
char *msg_text(const struct msg *msg);

#endif
