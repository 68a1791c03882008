#include "compat.h"

#include "buf.h"
#include "error.h"
#include "xalloc.h"

char buf_empty[1];

void buf_init(struct buf *b)
{
	struct buf init = BUF_INIT;

	*b = init;
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->ptr);
	buf_init(b);
}

void buf_release_secure(struct buf *b)
{
	if (b->alloc)
		explicit_bzero(b->ptr, b->alloc);
	buf_release(b);
}

char *buf_detach(struct buf *b, size_t *len_out)
{
	char *p = b->alloc ? b->ptr : xstrdup("");

	if (len_out)
		*len_out = b->len;
	buf_init(b);
	return p;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->truncated = false;
	if (b->alloc)
		b->ptr[0] = '\0';
}

void buf_set_limit(struct buf *b, size_t limit)
{
	if (limit && b->len > limit)
		BUG("buffer already holds %zu bytes, over the cap %zu", b->len,
		    limit);
	b->limit = limit;
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t want = st_add3(b->len, extra, 1);

	if (want <= b->alloc)
		return;
	if (want < b->alloc / 2 * 3)
		want = b->alloc / 2 * 3;
	if (want < 64)
		want = 64;
	b->ptr = xrealloc(b->alloc ? b->ptr : NULL, want);
	if (!b->alloc)
		b->ptr[0] = '\0';
	b->alloc = want;
}

void buf_setlen(struct buf *b, size_t len)
{
	if (len > (b->alloc ? b->alloc - 1 : 0))
		BUG("buf_setlen beyond allocation");
	b->len = len;
	b->ptr[len] = '\0';
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	int err = 0;

	if (b->limit && len > b->limit - b->len) {
		len = b->limit - b->len;
		b->truncated = true;
		err = FY_ETOOBIG;
	}
	if (!len)
		return err;
	buf_grow(b, len);
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return err;
}

int buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_add(b, &ch, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return FY_EFAIL;
	}
	if ((size_t)n < sizeof(small)) {
		va_end(ap2);
		return buf_add(b, small, (size_t)n);
	}
	{
		char *big = xmalloc((size_t)n + 1);
		int err;

		vsnprintf(big, (size_t)n + 1, fmt, ap2);
		err = buf_add(b, big, (size_t)n);
		free(big);
		va_end(ap2);
		return err;
	}
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return err;
}

int buf_add_shquote(struct buf *b, const char *s)
{
	int err = buf_addch(b, '\'');

	for (; *s; s++) {
		if (*s == '\'')
			err |= buf_addstr(b, "'\\''");
		else
			err |= buf_addch(b, *s);
	}
	err |= buf_addch(b, '\'');
	return err ? FY_ETOOBIG : 0;
}

void buf_rtrim(struct buf *b)
{
	while (b->len &&
	       (b->ptr[b->len - 1] == ' ' || b->ptr[b->len - 1] == '\t' ||
		b->ptr[b->len - 1] == '\n' || b->ptr[b->len - 1] == '\r'))
		b->len--;
	if (b->alloc)
		b->ptr[b->len] = '\0';
}
