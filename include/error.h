#ifndef FY_ERROR_H
#define FY_ERROR_H

#include "compat.h"

/*
 * Errors: a function that can fail returns 0 or a negative FY_E* code and
 * records one message for its thread with err_set().  Callers pass the
 * code up unchanged; exactly one place (main(), or the server's job loop)
 * prints err_msg().  Outcomes of a build are results, never errors.
 */
enum err_code {
	FY_EFAIL = -1,	   /* generic: read the message */
	FY_ENOTFOUND = -2, /* file, ref, key or provider missing */
	FY_EINVALID = -3,  /* bad input: .travis.yml, flags, config */
	FY_ETOOBIG = -4,   /* a size cap was reached */
	FY_ETIMEOUT = -5,  /* a time limit expired */
	FY_ECANCELED = -6, /* canceled from outside */
	FY_EAUTH = -7,	   /* a remote rejected our credentials */
};

/* Record a message for this thread; returns `code`. */
int err_set(int code, const char *fmt, ...) PRINTFLIKE(2, 3);

/* err_set() plus ": <strerror(errno)>"; ENOENT maps to FY_ENOTFOUND. */
int err_errno(const char *fmt, ...) PRINTFLIKE(1, 2);

/* Prefix the current message with "<context>: "; returns `code`. */
int err_wrap(int code, const char *fmt, ...) PRINTFLIKE(2, 3);

/* The last message recorded on this thread; never NULL. */
const char *err_msg(void);

/* A bug in our code, never in the input: print where, then abort(). */
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
	PRINTFLIKE(3, 4);

#endif
