#ifndef FY_LOG_H
#define FY_LOG_H

#include "compat.h"

/*
 * The diagnostic log, for whoever runs ferry (never the job log).  Lines
 * go to stderr (or a file set with log_open) as
 *   2026-08-22T10:04:05.120Z 4711 W func: message
 * The level is checked before any argument is evaluated.  Control
 * characters in messages become '?', and each line is one write().
 */
enum log_level { LL_ERROR, LL_WARN, LL_INFO, LL_DEBUG };

extern enum log_level log_verbosity;

void log_set_level(enum log_level level);
int log_open(const char *path);
void log_write(enum log_level level, const char *func, const char *fmt, ...)
	PRINTFLIKE(3, 4);

#define log_at(lvl, ...)                                         \
	do {                                                     \
		if ((lvl) <= log_verbosity)                      \
			log_write((lvl), __func__, __VA_ARGS__); \
	} while (0)
#define log_error(...) log_at(LL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_at(LL_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LL_DEBUG, __VA_ARGS__)

#endif
