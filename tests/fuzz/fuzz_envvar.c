/*
 * fuzz_envvar: env var strings from any .travis.yml, through both
 * parsers (sh_vars' and travis-build's) and the unquoting helper.  It
 * aborts when a parsed name is empty or malformed, when travis-build's
 * parser fails, or when unquoting makes a string longer.
 */
#include "compat.h"

#include "envvar.h"
#include "error.h"
#include "val.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool word_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmemdupz(data, size), *u;
	struct val *map = NULL;
	bool secure = false;
	int err;

	err = envvar_parse(&map, s);
	if (err < 0) {
		if (err != FY_EINVALID || map || !err_msg()[0])
			abort();
	} else {
		if (!val_is(map, VAL_MAP))
			abort();
		for (size_t i = 0; i < map->map.n; i++)
			if (!map->map.v[i].key[0] ||
			    !val_is(map->map.v[i].v, VAL_STR))
				abort();
		val_free(map);
		map = NULL;
	}
	if (envvar_parse_build(&map, s, &secure) < 0 || !val_is(map, VAL_MAP))
		abort();
	for (size_t i = 0; i < map->map.n; i++)
		if (!word_name(map->map.v[i].key))
			abort();
	val_free(map);
	u = envvar_unquote(s);
	if (strlen(u) > strlen(s))
		abort();
	free(u);
	free(s);
	return 0;
}
