#include "compat.h"

#include <errno.h>
#include <unistd.h>

#include "xalloc.h"

static _Noreturn void oom(size_t n)
{
	char msg[96];
	int len = snprintf(msg, sizeof(msg),
			   "ferry: out of memory (%zu bytes)\n", n);

	if (len > 0)
		(void)!write(2, msg, (size_t)len);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xmemdupz(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	return xmemdupz(s, strnlen(s, n));
}

char *xmemdupz(const void *p, size_t n)
{
	char *s = xmalloc(st_add(n, 1));

	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap, ap2;
	char *s;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return s;
}

size_t st_add(size_t a, size_t b)
{
	if (a > SIZE_MAX - b)
		oom(SIZE_MAX);
	return a + b;
}

size_t st_mult(size_t a, size_t b)
{
	if (b && a > SIZE_MAX / b)
		oom(SIZE_MAX);
	return a * b;
}

void *xgrow(void *p, size_t *alloc, size_t want, size_t size)
{
	size_t n = *alloc;

	if (want <= n)
		return p;
	n = n < 8 ? 8 : st_add(n, n / 2);
	if (n < want)
		n = want;
	p = xrealloc(p, st_mult(n, size));
	*alloc = n;
	return p;
}
