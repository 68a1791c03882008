#include "compat.h"

#include <errno.h>
#include <unistd.h>

#include "error.h"

/* Per thread and fixed size: recording a message never allocates. */
static _Thread_local char last_msg[2048];

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_errno(const char *fmt, ...)
{
	int saved = errno;
	char what[1024];
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* GNU strerror_r may return a static string instead of filling ours. */
	const char *r = strerror_r(saved, reason, sizeof(reason));
	snprintf(last_msg, sizeof(last_msg), "%s: %s", what, r);
	if (saved == ENOENT)
		return FY_ENOTFOUND;
	if (saved == EFBIG)
		return FY_ETOOBIG;
	return FY_EFAIL;
}

int err_wrap(int code, const char *fmt, ...)
{
	char ctx[1024];
	char old[sizeof(last_msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, last_msg, sizeof(old));
	snprintf(last_msg, sizeof(last_msg), "%.1000s: %.1040s", ctx, old);
	return code;
}

const char *err_msg(void)
{
	return last_msg;
}

void bug_at(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "BUG: %s:%d: %s\n", file, line, msg);
	fflush(stderr);
	abort();
}
