#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "log.h"

enum log_level log_verbosity = LL_WARN;
static int log_fd = 2;

void log_set_level(enum log_level level)
{
	log_verbosity = level;
}

int log_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0)
		return err_errno("cannot open log file '%s'", path);
	if (log_fd > 2)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void log_write(enum log_level level, const char *func, const char *fmt, ...)
{
	static const char letters[] = "EWID";
	char line[2048];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	int n, m;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %ld %c %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (long)tv.tv_usec / 1000,
		     (long)getpid(), letters[level], func);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	if ((size_t)(n + m) > sizeof(line) - 2)
		m = (int)(sizeof(line) - 2) - n;
	/* A branch name with a newline must not forge a log line. */
	for (int i = n; i < n + m; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n + m] = '\n';
	fs_write_all(log_fd, line, (size_t)(n + m + 1));
}
