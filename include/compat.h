#ifndef FY_COMPAT_H
#define FY_COMPAT_H

/*
 * compat.h: the first include of every .c file.  It selects C11 plus
 * POSIX.1-2008 (with the few GNU and BSD extensions we rely on, such as
 * explicit_bzero and memmem), and gives the small macros used everywhere.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define UNUSED		 __attribute__((unused))
#define SENTINEL	 __attribute__((sentinel))
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))

#define FERRY_VERSION "0.1.0"

#endif
