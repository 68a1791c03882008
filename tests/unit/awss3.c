#include "compat.h"

#include "awss3.h"
#include "buf.h"
#include "crypto.h"
#include "fs.h"
#include "svec.h"
#include "unit.h"
#include "xalloc.h"

void test_awss3__part_size(void)
{
	static const struct {
		uint64_t size, part;
	} cases[] = {
		{ 0, 5ull << 20 },
		{ 100ull << 20, 5ull << 20 },
		{ 200ull << 20, 5ull << 20 },
		{ 50000ull << 20, 5ull << 20 },
		{ 50001ull << 20, 5242985 },
		{ 100ull << 30, 10737419 },
		{ 5ull << 40, 549755814 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t p = awss3_part_size(cases[i].size);

		check_int(p, ==, cases[i].part);
		/* never more than 10,000 parts */
		check_int((cases[i].size + p - 1) / p, <=, 10000);
	}
}

/* dpl's Mapping spec cases (spec/dpl/providers/s3_spec.rb), file one.css. */
void test_awss3__mapping(void)
{
	static const struct {
		const char *entry, *path, *want;
	} cases[] = {
		{ "no-cache", "one.css", "no-cache" },
		{ "max-age=0", "one.css", "max-age=0" },
		{ "max-age=0: one.css", "one.css", "max-age=0" },
		{ "max-age=0: *.css", "one.css", "max-age=0" },
		{ "max-age=0: *.css, *.js", "one.css", "max-age=0" },
		{ "max-age=0: *.txt", "one.css", NULL },
		{ "2020-01-01 00:00:00 UTC: *.css, *.js", "one.css",
		  "2020-01-01 00:00:00 UTC" },
		{ "\"2020-01-01 00:00:00 UTC\": *.css, *.js", "one.css",
		  "2020-01-01 00:00:00 UTC" },
		{ "public, max-age=60: *.txt", "a/one.txt",
		  "public, max-age=60" },
		{ "max-age=5: {*.css,*.js}", "js/app.js", "max-age=5" },
		{ "max-age=5: *.css", ".hidden.css", "max-age=5" },
		{ "max-age=5: img/*", "img/a/b.png", "max-age=5" },
		{ "max-age=5: img/*", "css/a.css", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct svec entries = SVEC_INIT;
		char *got;

		svec_push(&entries, cases[i].entry);
		got = awss3_mapping_match(&entries, cases[i].path);
		if (!cases[i].want)
			check(!got);
		else
			check_str(got, cases[i].want);
		free(got);
		svec_release(&entries);
	}
}

void test_awss3__mapping_first_match_wins(void)
{
	struct svec e = SVEC_INIT;
	char *got;

	svec_pushl(&e, "max-age=60: *.css", "max-age=30: *.css, *.js",
		   "no-cache", NULL);
	got = awss3_mapping_match(&e, "a.css");
	check_str(got, "max-age=60");
	free(got);
	got = awss3_mapping_match(&e, "a.js");
	check_str(got, "max-age=30");
	free(got);
	got = awss3_mapping_match(&e, "a.html");
	check_str(got, "no-cache");
	free(got);
	svec_release(&e);
}

void test_awss3__http_date(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "2020-01-01 00:00:00 UTC", "Wed, 01 Jan 2020 00:00:00 GMT" },
		{ "\"2020-01-01 00:00:00 UTC\"",
		  "Wed, 01 Jan 2020 00:00:00 GMT" },
		{ "2020-01-01 00:00:00 GMT", "Wed, 01 Jan 2020 00:00:00 GMT" },
		{ "2020-01-01 00:30:00 +0100",
		  "Tue, 31 Dec 2019 23:30:00 GMT" },
		{ "2020-01-01 00:00:00 -05:00",
		  "Wed, 01 Jan 2020 05:00:00 GMT" },
		{ "2020-07-04 12:00:00 PDT", "Sat, 04 Jul 2020 19:00:00 GMT" },
		{ "2030-12-31 23:59:59 Z", "Tue, 31 Dec 2030 23:59:59 GMT" },
		{ "2020-01-01 00:00:00", NULL },
		{ "2020-01-01 00:00:00 Mars/Olympus", NULL },
		{ "2020-01-01T00:00:00Z", NULL },
		{ "tomorrow", NULL },
		{ "2020-01-01 00:00:00 +2500", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char out[32];
		int err = awss3_http_date(cases[i].in, out);

		if (!cases[i].want) {
			check_int(err, ==, FY_EINVALID);
			continue;
		}
		check_ok(err);
		check_str(out, cases[i].want);
	}
}

/* Single-part ETags are the MD5; multipart ones md5(part md5s)-N. */
void test_awss3__file_etag(void)
{
	size_t part = 5u << 20, len = part + 1000;
	unsigned char *data = xmalloc(len), md5s[32], md[16];
	char hex[33], want[80], got[80];

	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	check_ok(fs_write_file("f", data, len, 0644));
	check_ok(awss3_file_etag("f", 0, got));
	crypto_digest_hex(CRYPTO_MD5, data, len, hex);
	check_str(got, hex);
	check_ok(awss3_file_etag("f", 1, got));
	crypto_digest(CRYPTO_MD5, data, part, md5s);
	crypto_digest(CRYPTO_MD5, data + part, len - part, md5s + 16);
	crypto_digest(CRYPTO_MD5, md5s, 32, md);
	crypto_hex(hex, md, 16);
	snprintf(want, sizeof(want), "%s-2", hex);
	check_str(got, want);
	check_int(awss3_file_etag("missing", 0, got), ==, FY_ENOTFOUND);
	free(data);
}

/* The fixture's arithmetic: 1024 x "A" per part, two parts. */
void test_awss3__multipart_etag_fixture(void)
{
	char a[1024];
	unsigned char md5s[32], md[16];
	char hex[33];

	memset(a, 'A', sizeof(a));
	crypto_digest_hex(CRYPTO_MD5, a, sizeof(a), hex);
	check_str(hex, "d47b127bc2de2d687ddc82dac354c415");
	crypto_digest(CRYPTO_MD5, a, sizeof(a), md5s);
	memcpy(md5s + 16, md5s, 16);
	crypto_digest(CRYPTO_MD5, md5s, 32, md);
	crypto_hex(hex, md, 16);
	check_str(hex, "b19ac885fb71d75baaa368fdd932ae20");
}
