#include "compat.h"

#include <errno.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "msg.h"

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

size_t cli_print_msgs(FILE *f, const char *path, const struct msgs *m,
		      bool color, bool include_info)
{
	static const char *const words[] = { "info", "warning", "error",
					     "alert" };
	static const char *const colors[] = { "", "\033[33m", "\033[31m",
					      "\033[35m" };
	size_t errors = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct msg *msg = &m->v[i];
		char *text;

		if (msg->level == MSG_ERROR)
			errors++;
		if (msg->level == MSG_INFO && !include_info)
			continue;
		text = msg_text(msg);
		if (msg->line >= 0)
			fprintf(f, "%s:%d: ", path, msg->line + 1);
		else
			fprintf(f, "%s: ", path);
		fprintf(f, "%s%s%s: %s (%s on %s)\n",
			color ? colors[msg->level] : "", words[msg->level],
			color && msg->level != MSG_INFO ? "\033[0m" : "", text,
			msg->code, msg->key);
		free(text);
	}
	return errors;
}
