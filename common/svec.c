#include "compat.h"

#include "buf.h"
#include "svec.h"
#include "xalloc.h"

char *svec_empty[1];

void svec_release(struct svec *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	if (s->alloc)
		free(s->v);
	s->v = svec_empty;
	s->n = s->alloc = 0;
}

void svec_push_nodup(struct svec *s, char *str)
{
	if (!s->alloc)
		s->v = NULL;
	XGROW(s->v, s->alloc, s->n + 2);
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void svec_push(struct svec *s, const char *str)
{
	svec_push_nodup(s, xstrdup(str));
}

void svec_pushf(struct svec *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	svec_push_nodup(s, buf_detach(&b, NULL));
}

void svec_pushl(struct svec *s, ...)
{
	const char *arg;
	va_list ap;

	va_start(ap, s);
	while ((arg = va_arg(ap, const char *)))
		svec_push(s, arg);
	va_end(ap);
}

void svec_pop(struct svec *s)
{
	if (!s->n)
		return;
	free(s->v[--s->n]);
	s->v[s->n] = NULL;
}

bool svec_has(const struct svec *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

void svec_split(struct svec *s, const char *str, const char *sep, bool skip)
{
	const char *p = str;

	for (;;) {
		size_t n = strcspn(p, sep);

		if (n || !skip)
			svec_push_nodup(s, xmemdupz(p, n));
		if (!p[n])
			break;
		p += n + 1;
	}
}

char *svec_join(const struct svec *s, const char *sep)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < s->n; i++) {
		if (i)
			buf_addstr(&b, sep);
		buf_addstr(&b, s->v[i]);
	}
	return buf_detach(&b, NULL);
}
