#include "compat.h"

#include <errno.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ferry %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'ferry %s --help')\n", cmd);
	return EXIT_USAGE;
}

int cli_error(int code)
{
	fprintf(stderr, "ferry: %s\n", err_msg());
	return code;
}

bool cli_color(int fd)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (nc && *nc)
		return false;
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fd);
}

long cli_number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return -1;
	return v;
}
