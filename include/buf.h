#ifndef FY_BUF_H
#define FY_BUF_H

#include "compat.h"

/*
 * struct buf: a growable byte string that is always NUL-terminated.
 *
 * Invariants, from BUF_INIT onwards:
 *  - `ptr` is never NULL and ptr[len] is '\0'.  Embedded NULs are allowed;
 *    trust `len`, not strlen().
 *  - A buffer that never grew owns no memory.  Never free(b.ptr): call
 *    buf_release(), or take the bytes with buf_detach().
 *  - Running out of memory aborts; appends never fail for lack of memory.
 *
 * Size cap: after buf_set_limit(b, n), appends keep only what fits in n
 * bytes, return FY_ETOOBIG and set a sticky flag; test buf_truncated()
 * once after all appends.  Cap every buffer fed from outside.
 */
struct buf {
	char *ptr;
	size_t len;
	size_t alloc; /* 0 while ptr is the shared empty string */
	size_t limit; /* 0: no cap */
	bool truncated;
};

extern char buf_empty[];
/* clang-format off */
#define BUF_INIT { .ptr = buf_empty }
/* clang-format on */

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Wipe the bytes (secrets) before releasing. */
void buf_release_secure(struct buf *b);
char *buf_detach(struct buf *b, size_t *len_out);
void buf_reset(struct buf *b);
void buf_set_limit(struct buf *b, size_t limit);
void buf_grow(struct buf *b, size_t extra);
void buf_setlen(struct buf *b, size_t len);

int buf_add(struct buf *b, const void *data, size_t len);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, int c);
int buf_addf(struct buf *b, const char *fmt, ...) PRINTFLIKE(2, 3);
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Append `s` quoted for a POSIX shell (single quotes). */
int buf_add_shquote(struct buf *b, const char *s);

void buf_rtrim(struct buf *b);

static inline bool buf_truncated(const struct buf *b)
{
	return b->truncated;
}

#endif
