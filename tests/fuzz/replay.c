/*
 * replay.c: runs a fuzz target over files and directories without
 * libFuzzer, so that targets build and run under gcc in every test run.
 */
#include "compat.h"

#include <dirent.h>
#include <sys/stat.h>

#include "buf.h"
#include "fs.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count;

static int replay(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "cannot stat '%s'\n", path);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		int rc = 0;

		if (!d)
			return 1;
		while ((e = readdir(d))) {
			char *sub;

			if (e->d_name[0] == '.')
				continue;
			sub = fs_join(path, e->d_name);
			rc |= replay(sub);
			free(sub);
		}
		closedir(d);
		return rc;
	}
	{
		struct buf b = BUF_INIT;

		if (fs_read_file(&b, path) < 0) {
			fprintf(stderr, "cannot read '%s'\n", path);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)b.ptr, b.len);
		buf_release(&b);
		count++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++)
		rc |= replay(argv[i]);
	printf("%zu inputs\n", count);
	return rc;
}
