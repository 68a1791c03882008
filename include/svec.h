#ifndef FY_SVEC_H
#define FY_SVEC_H

#include "compat.h"

/*
 * struct svec: a NULL-terminated array of owned strings (argv, envp,
 * lists of names).  `v` is never NULL after SVEC_INIT.
 */
struct svec {
	char **v;
	size_t n;
	size_t alloc;
};

extern char *svec_empty[];
/* clang-format off */
#define SVEC_INIT { .v = svec_empty }
/* clang-format on */

void svec_release(struct svec *s);
void svec_push(struct svec *s, const char *str);
void svec_push_nodup(struct svec *s, char *str);
void svec_pushf(struct svec *s, const char *fmt, ...) PRINTFLIKE(2, 3);
void svec_pushl(struct svec *s, ...) SENTINEL;
void svec_pop(struct svec *s);
bool svec_has(const struct svec *s, const char *str);
/* Split `str` at `sep` characters, skipping empty fields when `skip`. */
void svec_split(struct svec *s, const char *str, const char *sep, bool skip);
char *svec_join(const struct svec *s, const char *sep);

#endif
