#include "compat.h"

#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "unit.h"
#include "xalloc.h"

#define UNIT(name) void name(void);
#include "suites.inc"
#undef UNIT

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
#define UNIT(name) { #name, name },
#include "suites.inc"
#undef UNIT
};

static bool failed;
static char top[4096];

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	failed = true;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *unit_fixture(const char *name)
{
	static char path[8192];

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", top, name);
	return path;
}

const char *unit_shared(const char *name)
{
	static char path[8192];
	const char *shared = getenv("FERRY_SHARED");

	if (shared)
		snprintf(path, sizeof(path), "%s/%s", shared, name);
	else
		snprintf(path, sizeof(path), "%s/../shared/%s", top, name);
	return path;
}

int main(int argc, char **argv)
{
	size_t passed = 0, nfailed = 0;

	if (!getcwd(top, sizeof(top)))
		return 2;
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		const char *short_name = tests[i].name + 5;
		char *dir = NULL;
		bool want = argc < 2;

		for (int a = 1; a < argc; a++)
			if (!strncmp(short_name, argv[a], strlen(argv[a])))
				want = true;
		if (!want)
			continue;
		if (fs_tmpdir(&dir, "unit") < 0 || chdir(dir) < 0) {
			fprintf(stderr, "cannot make a test directory\n");
			return 2;
		}
		failed = false;
		tests[i].fn();
		if (chdir(top) < 0)
			return 2;
		if (failed) {
			printf("FAIL %s  (left in %s)\n", short_name, dir);
			nfailed++;
		} else {
			printf("ok   %s\n", short_name);
			fs_rm_rf(dir);
			passed++;
		}
		fflush(stdout);
		free(dir);
	}
	printf("%zu passed, %zu failed\n", passed, nfailed);
	return nfailed ? 1 : 0;
}
