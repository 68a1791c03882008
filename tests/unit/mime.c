#include "compat.h"

#include "fs.h"
#include "mime.h"
#include "unit.h"

void test_mime__types(void)
{
	static const struct {
		const char *name, *type;
	} cases[] = {
		{ "index.html", "text/html" },
		{ "INDEX.HTM", "text/html" },
		{ "css/site.css", "text/css" },
		{ "app.js", "text/javascript" },
		{ "app.mjs", "text/javascript" },
		{ "data.json", "application/json" },
		{ "one.txt", "text/plain" },
		{ "logo.svg", "image/svg+xml" },
		{ "a.png", "image/png" },
		{ "a.JPG", "image/jpeg" },
		{ "font.woff2", "font/woff2" },
		{ "bundle.zip", "application/zip" },
		{ "bundle.tgz", "application/gzip" },
		{ "bundle.tar", "application/x-tar" },
		{ "site.webmanifest", "application/manifest+json" },
		{ "feed.xml", "application/xml" },
		{ "a.wasm", "application/wasm" },
		{ "noext", NULL },
		{ "dir.d/noext", NULL },
		{ ".hidden", NULL },
		{ "trailing.", NULL },
		{ "weird.unknownext", NULL },
		{ "a.tar.gz", "application/gzip" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = mime_type(cases[i].name);

		if (!cases[i].type) {
			check(!got);
			continue;
		}
		check_str(got, cases[i].type);
	}
}

/* Classes checked against file(1) 5.44 on this content (see mime.h). */
void test_mime__detect(void)
{
	static const struct {
		const char *data;
		size_t len;
		enum mime_class want;
	} cases[] = {
		{ "body { color: red }\n", 20, MIME_TEXT },
		{ "<!DOCTYPE html>\n<html></html>\n", 30, MIME_TEXT },
		{ "{\"a\": 1}\n", 9, MIME_TEXT },
		{ "h\xc3\xa9llo\n", 7, MIME_TEXT },
		{ "h\xe9llo\n", 6, MIME_TEXT },
		{ "h\x85llo\n", 6, MIME_TEXT },
		{ "a\x1b"
		  "b\n",
		  4, MIME_TEXT },
		{ "a\x0c"
		  "b\x08\n",
		  5, MIME_TEXT },
		{ "\xef\xbb\xbfhello\n", 9, MIME_TEXT },
		{ "\xff\xfeh\0i\0", 6, MIME_TEXT },
		{ "abc\0\0", 5, MIME_TEXT },
		{ "%!PS-Adobe-3.0\n", 15, MIME_TEXT },
		{ "x%PDF-", 6, MIME_TEXT },
		{ "<!-- c -->\n<svg></svg>\n", 23, MIME_TEXT },
		{ "a\x01"
		  "b\n",
		  4, MIME_NONE },
		{ "a\x7f"
		  "b\n",
		  4, MIME_NONE },
		{ "\0abc", 4, MIME_NONE },
		{ "a\0\0b", 4, MIME_NONE },
		{ "\x89PNG\r\n\x1a\n", 8, MIME_NONE },
		{ "GIF89a", 6, MIME_NONE },
		{ "%PDF-1.4\nabc\n", 13, MIME_NONE },
		{ "<svg xmlns=\"x\"></svg>\n", 22, MIME_NONE },
		{ "<?xml version=\"1.0\"?>\n<svg/>", 28, MIME_NONE },
		{ "<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg/>", 43,
		  MIME_NONE },
		{ "{\\rtf1 hello}\n", 14, MIME_NONE },
		{ "BEGIN:VCALENDAR\n", 16, MIME_NONE },
		{ "\x1f\x8b\x08\0\0\0", 6, MIME_GZIP },
		{ "\x1f\x9d\x90"
		  "abc",
		  6, MIME_COMPRESS },
		{ "", 0, MIME_NONE },
		{ "a", 1, MIME_NONE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum mime_class got = mime_detect(cases[i].data, cases[i].len,
						  cases[i].len, false);

		if (got != cases[i].want)
			unit_fail(__FILE__, __LINE__, "case %zu: %d, want %d",
				  i, (int)got, (int)cases[i].want);
		check(got == cases[i].want);
	}
	check_str(mime_class_encoding(MIME_TEXT), "text");
	check_str(mime_class_encoding(MIME_GZIP), "gzip");
	check_str(mime_class_encoding(MIME_COMPRESS), "compress");
	check(!mime_class_encoding(MIME_NONE));
}

/* Only the first 64 KiB count; NULs that run to the end are dropped. */
void test_mime__detect_file_window(void)
{
	size_t n = 70000;
	char *big = calloc(1, n + 1);
	enum mime_class c;

	memset(big, 'a', 60000);
	check_ok(fs_write_file("tail-nul", big, n, 0644));
	check_ok(mime_detect_file("tail-nul", &c));
	check_int(c, ==, MIME_TEXT);
	big[n - 1] = 'b';
	check_ok(fs_write_file("inner-nul", big, n, 0644));
	check_ok(mime_detect_file("inner-nul", &c));
	check_int(c, ==, MIME_NONE);
	memset(big, 'a', n);
	big[65536] = 1;
	check_ok(fs_write_file("late-ctl", big, n, 0644));
	check_ok(mime_detect_file("late-ctl", &c));
	check_int(c, ==, MIME_TEXT);
	big[65535] = 1;
	check_ok(fs_write_file("edge-ctl", big, n, 0644));
	check_ok(mime_detect_file("edge-ctl", &c));
	check_int(c, ==, MIME_NONE);
	check_int(mime_detect_file("missing", &c), ==, FY_ENOTFOUND);
	free(big);
}
