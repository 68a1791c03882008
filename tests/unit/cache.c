/*
 * Tests of the build cache (lifecycle/cache.c, cache_store.c): the
 * ferry config, what a job caches and under which name (spec 8.1, 8.2),
 * the script's cache stages, checksums of trees and their differences,
 * records, the eviction plan and the local store.  The hand-offs into a
 * container are in tests/suites/70-cache.sh.
 */
#include "compat.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "crypto.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "loader.h"
#include "svec.h"
#include "unit.h"
#include "val.h"
#include "xalloc.h"

static struct val *json(const char *text)
{
	struct val *v = NULL;

	if (json_parse(&v, text, strlen(text), JSON_SECURE) < 0)
		return NULL;
	return v;
}

static struct val *yaml(const char *text)
{
	struct val *v = NULL;

	if (loader_load(&v, text, strlen(text), "config.yml", NULL, NULL) < 0)
		return NULL;
	return v;
}

/* ---- configuration ---- */

void test_cache__conf_defaults(void)
{
	struct cache_conf c;

	check_ok(cache_conf_parse(&c, NULL, "/data"));
	check(c.enabled);
	check_int(c.store, ==, CACHE_LOCAL);
	check_str(c.dir, "/data/cache");
	check(c.format_auto);
	check_int(c.quota, ==, CACHE_QUOTA);
	check_int(c.repo_quota, ==, CACHE_REPO_QUOTA);
	check_int(c.timeout, ==, 180);
	cache_conf_release(&c);
}

void test_cache__conf_full(void)
{
	struct val *v = yaml("store: s3\n"
			     "dir: /srv/cache\n"
			     "compression: gzip\n"
			     "level: 3\n"
			     "quota: 1GiB\n"
			     "repo_quota: 500MiB\n"
			     "timeout: 5m\n"
			     "s3:\n"
			     "  bucket: b\n"
			     "  prefix: ci\n"
			     "  region: eu-west-1\n"
			     "  endpoint: http://127.0.0.1:9000\n"
			     "  path_style: true\n"
			     "  access_key_id: AKID\n"
			     "  secret_access_key: SECRET\n");
	struct cache_conf c;

	check(v);
	check_ok(cache_conf_parse(&c, v, "/data"));
	check_int(c.store, ==, CACHE_S3);
	check_str(c.dir, "/srv/cache");
	check_int(c.format, ==, TARBALL_TAR_GZ);
	check(!c.format_auto);
	check_int(c.level, ==, 3);
	check_int(c.quota, ==, 1ull << 30);
	check_int(c.repo_quota, ==, 500ull << 20);
	check_int(c.timeout, ==, 300);
	check_str(c.s3.bucket, "b");
	check_str(c.s3.prefix, "ci/");
	check_str(c.s3.region, "eu-west-1");
	check_str(c.s3.endpoint, "http://127.0.0.1:9000");
	check(c.s3.path_style);
	check_str(c.s3.secret_access_key, "SECRET");
	cache_conf_release(&c);
	check(!c.s3.secret_access_key);
	val_free(v);
}

void test_cache__conf_errors(void)
{
	static const struct {
		const char *yaml, *msg;
	} cases[] = {
		{ "colour: red\n", "unknown key 'colour'" },
		{ "store: ftp\n", "store must be local or s3" },
		{ "compression: xz\n",
		  "compression must be auto, zstd or gzip" },
		{ "quota: lots\n", "invalid size 'lots'" },
		{ "timeout: soon\n", "invalid duration 'soon'" },
		{ "level: 99\n", "bad level '99'" },
		{ "enabled: maybe\n", "expected true or false" },
		{ "store: s3\n", "needs s3.bucket" },
		{ "s3: {bucket: b, acl: x}\n", "unknown key 's3.acl'" },
		{ "s3: []\n", "expected a map for 's3'" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *v = yaml(cases[i].yaml);
		struct cache_conf c;
		int err;

		check(v);
		err = cache_conf_parse(&c, v, "/d");
		val_free(v);
		if (err != FY_EINVALID || !strstr(err_msg(), cases[i].msg)) {
			unit_fail(__FILE__, __LINE__, "%s: %d '%s'",
				  cases[i].yaml, err, err_msg());
			return;
		}
	}
}

void test_cache__conf_enabled(void)
{
	static const struct {
		const char *yaml;
		bool enabled;
	} cases[] = {
		{ "cache: false\n", false },
		{ "cache: true\n", true },
		{ "cache: {enabled: false}\n", false },
		{ "cache: {enabled: true, quota: 1GiB}\n", true },
		{ "cache: {store: local}\n", true },
		{ "other: 1\n", true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *v = yaml(cases[i].yaml);
		bool on = cache_conf_enabled(val_map_get(v, "cache"));

		val_free(v);
		if (on != cases[i].enabled) {
			unit_fail(__FILE__, __LINE__, "%s", cases[i].yaml);
			return;
		}
	}
}

/* ---- what a job caches ---- */

void test_cache__wanted(void)
{
	static const struct {
		const char *job;
		bool wanted;
	} cases[] = {
		{ "{\"language\":\"shell\"}", false },
		{ "{\"language\":\"shell\",\"cache\":{\"directories\":[\"a\"]}}",
		  true },
		{ "{\"language\":\"python\"}", false },
		{ "{\"language\":\"python\",\"cache\":{\"pip\":true}}", true },
		{ "{\"language\":\"node_js\"}", true }, /* npm by default */
		{ "{\"language\":\"node_js\",\"cache\":{\"npm\":false}}",
		  false },
		{ "{\"language\":\"node_js\",\"cache\":false}", false },
		{ "{\"language\":\"node_js\",\"cache\":{\"npm\":false,"
		  "\"yarn\":true}}",
		  true },
		{ "{\"language\":\"c\",\"cache\":{\"ccache\":true}}", true },
		{ "{\"language\":\"cpp\",\"cache\":{\"ccache\":true}}", true },
		{ "{\"language\":\"shell\",\"cache\":{\"ccache\":true}}",
		  false },
		{ "{\"language\":\"rust\",\"cache\":{\"cargo\":true}}", true },
		{ "{\"language\":\"ruby\",\"cache\":{\"bundler\":true}}",
		  true },
		{ "{\"language\":\"r\",\"cache\":{\"packages\":true}}", true },
		{ "{\"language\":\"go\",\"cache\":{\"pip\":true}}", false },
		{ "{\"language\":\"go\",\"cache\":{\"timeout\":100}}", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *job = json(cases[i].job);

		check(job);
		if (cache_wanted(job) != cases[i].wanted) {
			unit_fail(__FILE__, __LINE__, "%s", cases[i].job);
			val_free(job);
			return;
		}
		val_free(job);
	}
}

void test_cache__name(void)
{
	static const struct {
		const char *job, *name;
	} cases[] = {
		/* spec 8.2: FOO=foo with a secure variable left out */
		{ "{\"language\":\"shell\",\"os\":\"linux\",\"dist\":\"focal\","
		  "\"env\":[{\"FOO\":\"foo\"},{\"BAR\":{\"secure\":\"x\"}}]}",
		  "cache-amd64-linux-focal-d5b6dcf6629e552946e7baf3fc0aca4de552e1cd76b596a2800194fe085a53f7" },
		/* no env: SHA-256 of "" (as in Travis's own logs) */
		{ "{\"language\":\"node_js\",\"os\":\"linux\",\"dist\":\"xenial\","
		  "\"node_js\":\"12.13\"}",
		  "cache-amd64-linux-xenial-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855--node-12.13" },
		{ "{\"language\":\"python\",\"os\":\"linux\",\"dist\":\"focal\","
		  "\"arch\":\"arm64\",\"python\":\"3.8\"}",
		  "cache-arm64-linux-focal-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855--python-3.8" },
		{ "{\"language\":\"objective-c\",\"os\":\"osx\","
		  "\"osx_image\":\"xcode12\"}",
		  "cache-amd64-osx-xcode12-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *job = json(cases[i].job);
		char *name;

		check(job);
		name = cache_name(job);
		val_free(job);
		if (strcmp(name, cases[i].name)) {
			unit_fail(__FILE__, __LINE__, "%s: %s", cases[i].job,
				  name);
			free(name);
			return;
		}
		free(name);
	}
}

void test_cache__env_order(void)
{
	/* sorted "NAME=value" strings joined with '=' (spec 8.2) */
	struct val *a = json("{\"env\":[{\"B\":\"2\",\"A\":\"1\"}]}");
	struct val *b = json("{\"env\":[{\"A\":\"1\"},{\"B\":\"2\"}]}");
	char *na, *nb, hex[65];
	struct buf want = BUF_INIT;

	check(a && b);
	na = cache_name(a);
	nb = cache_name(b);
	crypto_digest_hex(CRYPTO_SHA256, "A=1=B=2", 7, hex);
	buf_addf(&want, "cache-amd64-%s", hex);
	check_str(na, nb);
	check(strstr(na, hex));
	free(na);
	free(nb);
	buf_release(&want);
	val_free(a);
	val_free(b);
}

void test_cache__groups(void)
{
	static const struct {
		const char *branch, *pr, *dflt, *want;
	} cases[] = {
		{ "main", NULL, "main", "main" },
		{ "feature/x", NULL, "main", "feature/x main" },
		{ "feature/x", NULL, NULL, "feature/x" },
		{ "main", "42", "main", "PR.42 main" },
		{ "release", "7", "main", "PR.7 release main" },
		{ "", NULL, "trunk", "trunk" },
		{ NULL, NULL, NULL, "master" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct svec g = SVEC_INIT;
		char *got;

		cache_groups(&g, cases[i].branch, cases[i].pr, cases[i].dflt);
		got = svec_join(&g, " ");
		svec_release(&g);
		if (strcmp(got, cases[i].want)) {
			unit_fail(__FILE__, __LINE__, "case %zu: %s", i, got);
			free(got);
			return;
		}
		free(got);
	}
}

void test_cache__keys(void)
{
	struct buf b = BUF_INIT;
	char *k;

	cache_escape(&b, "feature/a.b c%");
	check_str(b.ptr, "feature%2Fa%2Eb%20c%25");
	buf_reset(&b);
	check_ok(cache_unescape(&b, "feature%2Fa%2Eb%20c%25"));
	check_str(b.ptr, "feature/a.b c%");
	buf_reset(&b);
	check(cache_unescape(&b, "bad%2") == FY_EINVALID);
	check(cache_unescape(&b, "bad%zz") == FY_EINVALID);
	k = cache_key("octo/hello.world", "PR.7", "cache--node-lts/*");
	check_str(k, "octo/hello%2Eworld/PR%2E7/cache--node-lts%2F%2A");
	free(k);
	k = cache_key("proj", "", "n");
	check_str(k, "local/proj/_/n");
	free(k);
	buf_release(&b);
}

/* ---- the script ---- */

static bool has(const struct buf *b, const char *s)
{
	return strstr(b->ptr, s) != NULL;
}

void test_cache__script(void)
{
	struct val *job =
		json("{\"language\":\"python\",\"cache\":{\"pip\":true,"
		     "\"directories\":[\"$HOME/a\",\"vendor/b\",\"x\\ny\"],"
		     "\"timeout\":1000}}");
	struct val *node = json("{\"language\":\"node_js\"}");
	struct val *rust =
		json("{\"language\":\"rust\",\"os\":\"linux\","
		     "\"cache\":\"cargo\",\"cache\":{\"cargo\":true}}");
	struct val *none = json("{\"language\":\"shell\"}");
	struct buf b = BUF_INIT;

	check(job && node && rust && none);
	cache_script_fetch(&b, job);
	check(has(&b, "export CASHER_TIME_OUT=1000\n"));
	check(has(&b, "travis_fold start cache.1\n"
		      "echo -e 'Setting up build cache'\n"
		      "travis_cmd 'ferry_handoff cache-fetch' --timing\n"
		      "travis_cmd 'ferry_cache_add $HOME/a vendor/b' --timing\n"
		      "travis_fold end cache.1\n"));
	buf_reset(&b);
	cache_script_languages(&b, job);
	check(has(&b, "travis_fold start cache.pip\necho\n"
		      "travis_cmd 'ferry_cache_add ${TRAVIS_HOME}/.cache/pip' "
		      "--timing\n"
		      "travis_fold end cache.pip\n"));
	buf_reset(&b);
	cache_script_push(&b, job);
	check(has(&b, "travis_fold start cache.2\n"
		      "echo -e 'store build cache'\n"
		      "travis_cmd 'ferry_handoff cache-push' --timing\n"
		      "travis_fold end cache.2\n"));
	buf_reset(&b);
	cache_script_languages(&b, node);
	check(has(&b, "package-lock.json"));
	check(has(&b, "travis_cmd 'ferry_cache_add $HOME/.npm' --timing\n"
		      "else\n"
		      "travis_cmd 'ferry_cache_add node_modules' --timing\n"
		      "fi\n"));
	buf_reset(&b);
	cache_script_fetch(&b, node);
	check(!has(&b, "ferry_cache_add")); /* no `directories` */
	buf_reset(&b);
	cache_script_languages(&b, rust);
	check(has(&b, "travis_cmd 'ferry_cache_add ${TRAVIS_HOME}/.cargo "
		      "target ${TRAVIS_HOME}/.rustup "
		      "${TRAVIS_HOME}/.cache/sccache' --timing\n"));
	buf_reset(&b);
	cache_script_fetch(&b, none);
	cache_script_languages(&b, none);
	cache_script_push(&b, none);
	check_int(b.len, ==, 0);
	buf_release(&b);
	val_free(job);
	val_free(node);
	val_free(rust);
	val_free(none);
}

/* ---- checksums ---- */

static bool put(const char *path, const char *text, mode_t mode)
{
	return !fs_write_file(path, text, strlen(text), 0600) &&
	       !chmod(path, mode);
}

static int manifest_of(struct buf *m, const char *dir, const char *as)
{
	int err;

	buf_reset(m);
	err = cache_manifest(m, dir, as, NULL, NULL);
	if (!err)
		cache_manifest_sort(m);
	return err;
}

void test_cache__manifest(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT, d = BUF_INIT;
	char hex[65];

	check(!mkdir("t", 0755) && !mkdir("t/sub", 0700));
	check(put("t/f", "hello\n", 0644));
	check(put("t/sub/tab\there", "x", 0600));
	check(!symlink("f", "t/ln"));
	check(!mkfifo("t/fifo", 0600));
	check_ok(manifest_of(&a, "t", "/home/travis/t"));
	crypto_digest_hex(CRYPTO_SHA256, "hello\n", 6, hex);
	{
		struct buf want = BUF_INIT;

		buf_addf(&want,
			 "/home/travis/t\td0755\t-\n"
			 "/home/travis/t/f\tf0644\t%s\n"
			 "/home/travis/t/fifo\to010600\t-\n"
			 "/home/travis/t/ln\tl0777\tf\n"
			 "/home/travis/t/sub\td0700\t-\n",
			 hex);
		check(!strncmp(a.ptr, want.ptr, want.len));
		buf_release(&want);
	}
	check(strstr(a.ptr, "/home/travis/t/sub/tab\\there\tf0600\t"));
	{
		/* the files' sizes: "hello\n" and "x" */
		struct buf m = BUF_INIT;
		uint64_t bytes = 0;

		check_ok(cache_manifest(&m, "t", "/h", &bytes, NULL));
		check_int(bytes, ==, 7);
		buf_release(&m);
	}
	/* the same tree gives the same manifest: nothing changed */
	check_ok(manifest_of(&b, "t", "/home/travis/t"));
	check_str(a.ptr, b.ptr);
	check_int(cache_manifest_diff(&d, a.ptr, a.len, b.ptr, b.len, 1000), ==,
		  0);
	/* content, mode, link target, a new and a removed file */
	check(put("t/f", "hello!\n", 0644));
	check(!chmod("t/sub", 0755));
	check(!unlink("t/ln") && !symlink("sub", "t/ln"));
	check(put("t/new", "", 0644));
	check(!unlink("t/fifo"));
	check_ok(manifest_of(&b, "t", "/home/travis/t"));
	check_int(cache_manifest_diff(&d, a.ptr, a.len, b.ptr, b.len, 1000), ==,
		  5);
	check_str(d.ptr, "/home/travis/t/f\n"
			 "/home/travis/t/fifo\n"
			 "/home/travis/t/ln\n"
			 "/home/travis/t/new\n"
			 "/home/travis/t/sub");
	/* a listing cut at `max` bytes ends with "..." */
	buf_reset(&d);
	cache_manifest_diff(&d, a.ptr, a.len, b.ptr, b.len, 20);
	check_str(d.ptr, "/home/travis/t/f\n/ho\n...");
	/* the root's mode is part of it; mtimes are not */
	check(!chmod("t", 0700));
	check_ok(manifest_of(&a, "t", "/home/travis/t"));
	check(!strncmp(a.ptr, "/home/travis/t\td0700\t-\n", 23));
	buf_release(&a);
	buf_release(&b);
	buf_release(&d);
}

void test_cache__manifest_diff_table(void)
{
	static const struct {
		const char *a, *b, *want;
		size_t n;
	} cases[] = {
		{ "", "", "", 0 },
		{ "/a\tf0644\t1\n", "", "/a", 1 },
		{ "", "/a\tf0644\t1\n", "/a", 1 },
		{ "/a\tf0644\t1\n/b\tf0644\t1\n",
		  "/a\tf0644\t2\n/b\tf0644\t1\n", "/a", 1 },
		{ "/a\tf0644\t1\n/c\tf0644\t1\n",
		  "/b\tf0644\t1\n/c\tf0600\t1\n", "/a\n/b\n/c", 3 },
		/* a path shorter than another that starts with it */
		{ "/a\td0755\t-\n/a/b\tf0644\t1\n",
		  "/a\td0700\t-\n/a/b\tf0644\t1\n", "/a", 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf d = BUF_INIT;
		size_t n = cache_manifest_diff(&d, cases[i].a,
					       strlen(cases[i].a), cases[i].b,
					       strlen(cases[i].b), 1000);

		if (n != cases[i].n || strcmp(d.ptr, cases[i].want)) {
			unit_fail(__FILE__, __LINE__, "case %zu: %zu '%s'", i,
				  n, d.ptr);
			buf_release(&d);
			return;
		}
		buf_release(&d);
	}
}

/* ---- records ---- */

void test_cache__meta(void)
{
	struct cache_meta m = CACHE_META_INIT, r = CACHE_META_INIT;
	struct buf b = BUF_INIT;
	static const char *const bad[] = {
		"{}",
		"[1]",
		"{\"archive\":\"../x\",\"format\":\"tar.zst\",\"size\":\"1\","
		"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"archive\":\"x\",\"format\":\"tar.xz\",\"size\":\"1\","
		"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"archive\":\"x\",\"format\":\"tar.gz\",\"size\":\"-1\","
		"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"archive\":\"x\",\"format\":\"tar.gz\",\"size\":\"1\","
		"\"sha256\":\"abc\"}",
		"{\"archive\":\"x\",\"format\":\"tar.gz\",\"size\":\"1\","
		"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"sums\":\"s\"}",
	};

	m.archive = xstrdup("n@0123.tar.gz");
	m.sums = xstrdup("n@0123.sums");
	m.format = TARBALL_TAR_GZ;
	m.size = 123456789012ull;
	m.content = 987654321098ull;
	memset(m.sha256, 'a', 64);
	memset(m.sums_sha256, 'b', 64);
	m.created = 1700000000;
	svec_push(&m.paths, "/home/travis/.cache/pip");
	cache_meta_write(&b, &m);
	check_ok(cache_meta_parse(&r, b.ptr, b.len));
	check_str(r.archive, m.archive);
	check_str(r.sums, m.sums);
	check_int(r.format, ==, TARBALL_TAR_GZ);
	check_int(r.size, ==, 123456789012ull);
	check_int(r.content, ==, 987654321098ull);
	check_str(r.sha256, m.sha256);
	check_str(r.sums_sha256, m.sums_sha256);
	check_int(r.created, ==, 1700000000);
	check_int(r.paths.n, ==, 1);
	check_str(r.paths.v[0], "/home/travis/.cache/pip");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct cache_meta x = CACHE_META_INIT;

		if (cache_meta_parse(&x, bad[i], strlen(bad[i])) !=
		    FY_EINVALID) {
			unit_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
			cache_meta_release(&x);
			return;
		}
	}
	cache_meta_release(&m);
	cache_meta_release(&r);
	buf_release(&b);
}

/* ---- eviction ---- */

void test_cache__evict_plan(void)
{
#define E(key, repo, used)                                             \
	{                                                              \
		(char *)key, (char *)repo, NULL, NULL, 100, used, true \
	}
	struct cache_entry e[] = {
		E("a/r/m/1", "a/r", 10), E("a/r/m/2", "a/r", 30),
		E("a/r/f/1", "a/r", 20), E("b/s/m/1", "b/s", 5),
		E("b/s/m/2", "b/s", 40),
	};
#undef E
	static const struct {
		const char *repo;
		uint64_t repo_quota, quota;
		const char *keep, *want;
	} cases[] = {
		{ "a/r", 0, 0, NULL, "" },
		{ "a/r", 300, 500, NULL, "" },
		/* the repository's least recently used first */
		{ "a/r", 200, 0, NULL, "a/r/m/1" },
		{ "a/r", 100, 0, NULL, "a/r/m/1 a/r/f/1" },
		/* never the entry just pushed */
		{ "a/r", 100, 0, "a/r/m/1", "a/r/f/1 a/r/m/2" },
		/* the total: least recently used of all */
		{ "a/r", 0, 300, NULL, "b/s/m/1 a/r/m/1" },
		{ "a/r", 200, 200, NULL, "a/r/m/1 b/s/m/1 a/r/f/1" },
		/* a quota nothing can meet: everything but `keep` */
		{ "b/s", 1, 0, "b/s/m/2", "b/s/m/1" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t v[ARRAY_SIZE(e)];
		size_t n = cache_evict_plan(e, ARRAY_SIZE(e), cases[i].repo,
					    cases[i].repo_quota, cases[i].quota,
					    cases[i].keep, v);
		struct buf got = BUF_INIT;

		for (size_t k = 0; k < n; k++)
			buf_addf(&got, "%s%s", k ? " " : "", e[v[k]].key);
		if (strcmp(got.ptr, cases[i].want)) {
			unit_fail(__FILE__, __LINE__, "case %zu: '%s'", i,
				  got.ptr);
			buf_release(&got);
			return;
		}
		buf_release(&got);
	}
}

/* ---- the local store ---- */

static int store_put(struct cache_store *s, const char *key,
		     const char *content, const char *sums)
{
	struct cache_meta m = CACHE_META_INIT;
	struct buf sb = BUF_INIT;
	char *path = NULL;
	int err;

	err = cache_store_begin(s, key, ".", &path);
	if (!err)
		err = fs_write_file(path, content, strlen(content), 0600);
	if (!err) {
		m.format = TARBALL_TAR_ZST;
		m.size = strlen(content);
		crypto_digest_hex(CRYPTO_SHA256, content, strlen(content),
				  m.sha256);
		svec_push(&m.paths, "/x");
		buf_addstr(&sb, sums);
		err = cache_store_commit(s, key, path, &m, &sb, NULL);
	}
	if (err < 0 && path)
		cache_store_abort(s, path);
	free(path);
	cache_meta_release(&m);
	buf_release(&sb);
	return err;
}

static bool set_used(const char *store, const char *key, time_t when)
{
	char *path = xasprintf("%s/%s.json", store, key);
	struct timespec t[2] = { { when, 0 }, { when, 0 } };
	bool ok = !utimensat(AT_FDCWD, path, t, 0);

	free(path);
	return ok;
}

void test_cache__local_store(void)
{
	struct cache_conf c;
	struct cache_store *s = NULL;
	struct cache_hit h = CACHE_HIT_INIT;
	struct cache_entry *e = NULL;
	size_t n = 0, removed = 0;
	char *k1 = cache_key("o/r", "main", "cache-1");
	char *k2 = cache_key("o/r", "dev/x", "cache-1");
	char *k3 = cache_key("p/q", "main", "cache-2");
	char cwd[4096], *dir;

	check(getcwd(cwd, sizeof(cwd)));
	dir = xasprintf("%s/store", cwd);
	check_ok(cache_conf_parse(&c, NULL, cwd));
	free(c.dir);
	c.dir = dir;
	check_ok(cache_store_open(&s, &c));
	check_str(cache_store_where(s), dir);
	check(cache_store_find(s, k1, ".", &h, NULL) == FY_ENOTFOUND);
	check_ok(store_put(s, k1, "archive one", "sums one\n"));
	check_ok(cache_store_find(s, k1, ".", &h, NULL));
	check(!h.downloaded);
	check_int(h.meta.size, ==, 11);
	check_str(h.sums.ptr, "sums one\n");
	{
		struct buf b = BUF_INIT;

		check_ok(fs_read_file(&b, h.path));
		check_str(b.ptr, "archive one");
		buf_release(&b);
	}
	cache_hit_release(&h);
	/* a new push replaces the archive and removes the old one */
	check_ok(store_put(s, k1, "archive two!", "sums two\n"));
	check_ok(cache_store_list(s, "o/r", NULL, &e, &n));
	check_int(n, ==, 1);
	check_str(e[0].key, k1);
	check_str(e[0].repo, "o/r");
	check_str(e[0].branch, "main");
	check_str(e[0].name, "cache-1");
	check(e[0].complete);
	{
		/* record + archive + sums, nothing of the first push left */
		char *json = xasprintf("%s/%s.json", dir, k1);
		struct stat st;

		check(!stat(json, &st));
		check_int(e[0].size, ==, (uint64_t)st.st_size + 12 + 9);
		free(json);
	}
	cache_entries_free(e, n);
	/* truncated: reported, not used */
	check_ok(cache_store_find(s, k1, ".", &h, NULL));
	check(!truncate(h.path, 5));
	cache_hit_release(&h);
	check(cache_store_find(s, k1, ".", &h, NULL) == FY_EINVALID);
	check(strstr(err_msg(), "truncated: 5 bytes of 12"));
	/* altered checksums are dropped, the archive stays usable */
	check_ok(store_put(s, k1, "archive three", "sums three\n"));
	{
		char *sums = NULL;

		check_ok(cache_store_find(s, k1, ".", &h, NULL));
		sums = xasprintf("%s/o/r/main/%s", dir, h.meta.sums);
		cache_hit_release(&h);
		check(put(sums, "forged\n", 0600));
		free(sums);
		check_ok(cache_store_find(s, k1, ".", &h, NULL));
		check_int(h.sums.len, ==, 0);
		cache_hit_release(&h);
	}
	/* listing by repository and branch, LRU order, enforcement */
	check_ok(store_put(s, k2, "0123456789", "s\n"));
	check_ok(store_put(s, k3, "0123456789", "s\n"));
	check(set_used(dir, k1, 1000) && set_used(dir, k2, 3000) &&
	      set_used(dir, k3, 2000));
	check_ok(cache_store_list(s, NULL, NULL, &e, &n));
	check_int(n, ==, 3);
	cache_entries_free(e, n);
	check_ok(cache_store_list(s, "o/r", "dev/x", &e, &n));
	check_int(n, ==, 1);
	check_str(e[0].key, k2);
	check_int(e[0].used, ==, 3000);
	cache_entries_free(e, n);
	check_ok(cache_store_touch(s, k1));
	check_ok(cache_store_list(s, "o/r", "main", &e, &n));
	check_int(n, ==, 1);
	check(e[0].used > 1000);
	cache_entries_free(e, n);
	check(set_used(dir, k1, 1000));
	/* total quota below the three: the oldest (k1) goes */
	c.repo_quota = 0;
	c.quota = 1;
	check_ok(cache_store_list(s, NULL, NULL, &e, &n));
	c.quota = e[0].size + e[1].size + e[2].size - 1;
	cache_entries_free(e, n);
	check_ok(cache_store_enforce(s, &c, "o/r", k2, &removed));
	check_int(removed, ==, 1);
	check(cache_store_find(s, k1, ".", &h, NULL) == FY_ENOTFOUND);
	check_ok(cache_store_list(s, NULL, NULL, &e, &n));
	check_int(n, ==, 2);
	cache_entries_free(e, n);
	/* removal takes every object and the empty directories */
	check_ok(cache_store_remove(s, k2));
	check_ok(cache_store_remove(s, k3));
	check(!fs_exists("store/o"));
	check(!fs_exists("store/p"));
	cache_store_free(s);
	cache_conf_release(&c);
	free(k1);
	free(k2);
	free(k3);
}
