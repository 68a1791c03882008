/* units.c: durations and sizes as people write them in config files. */
#include "compat.h"

#include <errno.h>

#include "error.h"
#include "units.h"

int units_duration(const char *s, long *out)
{
	long total = 0;
	const char *p = s;

	if (!s || !*s)
		return err_set(FY_EINVALID, "empty duration");
	while (*p) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || end == p || v < 0)
			return err_set(FY_EINVALID, "invalid duration '%s'", s);
		switch (*end) {
		case '\0':
		case 's':
			total += v;
			break;
		case 'm':
			total += v * 60;
			break;
		case 'h':
			total += v * 3600;
			break;
		default:
			return err_set(
				FY_EINVALID,
				"invalid duration '%s' (use 90, 90s, 10m, 1h)",
				s);
		}
		p = *end ? end + 1 : end;
	}
	*out = total;
	return 0;
}

int units_size(const char *s, size_t *out)
{
	static const struct {
		const char *unit;
		unsigned long long mult;
	} units[] = {
		{ "", 1 },	    { "B", 1 },		  { "K", 1024 },
		{ "KiB", 1024 },    { "KB", 1000 },	  { "M", 1024 * 1024 },
		{ "MiB", 1 << 20 }, { "MB", 1000000 },	  { "G", 1 << 30 },
		{ "GiB", 1 << 30 }, { "GB", 1000000000 },
	};
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return err_set(FY_EINVALID, "invalid size '%s'", s);
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].unit)) {
			*out = (size_t)(v * units[i].mult);
			return 0;
		}
	return err_set(FY_EINVALID,
		       "invalid size '%s' (use 4194304, 4MiB, 500KiB)", s);
}
