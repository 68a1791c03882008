#ifndef FY_UNIT_H
#define FY_UNIT_H

#include "compat.h"

#include "error.h"

/*
 * A tiny unit test framework.  A test is `void test_<module>__<case>(void)`
 * in tests/unit/<module>.c; the Makefile finds it.  Each test runs in a
 * fresh empty directory (kept when the test fails).  A failed check ends
 * the test.
 */
void unit_fail(const char *file, int line, const char *fmt, ...)
	PRINTFLIKE(3, 4);
/* Path of the fixtures directory (tests/fixtures) and shared data. */
const char *unit_fixture(const char *name);
const char *unit_shared(const char *name);

#define check(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			unit_fail(__FILE__, __LINE__, "check(%s)", #cond); \
			return;                                            \
		}                                                          \
	} while (0)

#define check_int(a, op, b)                                                  \
	do {                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);          \
		if (!(a_ op b_)) {                                           \
			unit_fail(__FILE__, __LINE__,                        \
				  "%s %s %s: %lld vs %lld", #a, #op, #b, a_, \
				  b_);                                       \
			return;                                              \
		}                                                            \
	} while (0)

#define check_str(a, b)                                                    \
	do {                                                               \
		const char *a_ = (a), *b_ = (b);                           \
		if (!a_ || !b_ || strcmp(a_, b_)) {                        \
			unit_fail(__FILE__, __LINE__,                      \
				  "%s == %s: \"%s\" vs \"%s\"", #a, #b,    \
				  a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			return;                                            \
		}                                                          \
	} while (0)

#define check_ok(call)                                                      \
	do {                                                                \
		int e_ = (call);                                            \
		if (e_ < 0) {                                               \
			unit_fail(__FILE__, __LINE__, "%s = %d: %s", #call, \
				  e_, err_msg());                           \
			return;                                             \
		}                                                           \
	} while (0)

#endif
