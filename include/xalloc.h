#ifndef FY_XALLOC_H
#define FY_XALLOC_H

#include "compat.h"

/*
 * Allocation that never returns NULL: running out of memory prints one
 * line and aborts (we are a program, not a library).  The st_* helpers
 * abort on size_t overflow instead of wrapping.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xmemdupz(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) PRINTFLIKE(1, 2);

size_t st_add(size_t a, size_t b);
size_t st_mult(size_t a, size_t b);
static inline size_t st_add3(size_t a, size_t b, size_t c)
{
	return st_add(st_add(a, b), c);
}

/* Grow `*p` (of `*alloc` elements of `size`) to hold at least `want`. */
void *xgrow(void *p, size_t *alloc, size_t want, size_t size);
#define XGROW(p, alloc, want) ((p) = xgrow((p), &(alloc), (want), sizeof(*(p))))

#endif
