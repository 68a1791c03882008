#ifndef FY_UNITS_H
#define FY_UNITS_H

#include "compat.h"

/*
 * Durations and sizes as people write them: FY_EINVALID with a message
 * saying the accepted forms.
 */

/* "90", "90s", "10m", "1h30m" -> seconds. */
int units_duration(const char *s, long *out);
/* "4194304", "4MiB", "500KiB", "1GB" -> bytes. */
int units_size(const char *s, size_t *out);

#endif
