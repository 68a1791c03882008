#include "compat.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "unit.h"
#include "val.h"
#include "vcs.h"
#include "../../runner/vcs_int.h"
#include "xalloc.h"

static const struct {
	const char *url, *slug;
} slug_cases[] = {
	{ "https://github.com/travis-ci/travis-build.git",
	  "travis-ci/travis-build" },
	{ "https://github.com/travis-ci/travis-build",
	  "travis-ci/travis-build" },
	{ "https://github.com/travis-ci/travis-build/",
	  "travis-ci/travis-build" },
	{ "https://user:tok@github.com:443/o/r.git", "o/r" },
	{ "http://127.0.0.1:8080/git/owner/name.git", "owner/name" },
	{ "git@github.com:owner/name.git", "owner/name" },
	{ "git@github.com:owner/name", "owner/name" },
	{ "github.com:owner/name.git", "owner/name" },
	{ "ssh://git@github.com/owner/name.git", "owner/name" },
	{ "ssh://git@host:2222/owner/name", "owner/name" },
	{ "git://127.0.0.1:9418/owner/name.git", "owner/name" },
	{ "git://host/name.git/../owner/x.git", "owner/x" },
	{ "file:///srv/git/owner/name.git", "owner/name" },
	{ "/srv/git/owner/name", "owner/name" },
	{ "../owner/name.git", "owner/name" },
	{ "https://[::1]:8080/owner/name.git", "owner/name" },
	{ "https://gitlab.com/group/sub/proj.git", "sub/proj" },
};

void test_vcs__slug_from_url(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(slug_cases); i++) {
		char *slug = NULL;

		check_ok(vcs_slug_from_url(&slug, slug_cases[i].url));
		check_str(slug, slug_cases[i].slug);
		free(slug);
	}
}

void test_vcs__slug_from_url_rejects(void)
{
	static const char *const bad[] = {
		"https://github.com/",
		"https://github.com/name.git",
		"git@github.com:name.git",
		"name",
		"",
		"file:///x.git",
	};
	char *slug = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		check_int(vcs_slug_from_url(&slug, bad[i]), ==, FY_EINVALID);
		check(!slug);
	}
	/* the message never shows a credential */
	check_int(vcs_slug_from_url(&slug, "https://me:s3cret@h/x"), ==,
		  FY_EINVALID);
	check(!strstr(err_msg(), "s3cret"));
	check(strstr(err_msg(), "https://me:***@h/x"));
}

static const struct {
	const char *url, *redacted, *stripped;
} redact_cases[] = {
	{ "https://github.com/o/r.git", "https://github.com/o/r.git",
	  "https://github.com/o/r.git" },
	{ "https://user:secret@github.com/o/r.git",
	  "https://user:***@github.com/o/r.git", "https://github.com/o/r.git" },
	{ "https://ghp_token123@github.com/o/r.git",
	  "https://***@github.com/o/r.git", "https://github.com/o/r.git" },
	{ "HTTP://u:p@h:80/x@y", "HTTP://u:***@h:80/x@y", "HTTP://h:80/x@y" },
	{ "https://a@b:c@host/x", "https://a@b:***@host/x", "https://host/x" },
	{ "ssh://git@host/o/r", "ssh://git@host/o/r", "ssh://git@host/o/r" },
	{ "ssh://git:pw@host/o/r", "ssh://git:***@host/o/r",
	  "ssh://git@host/o/r" },
	{ "git@github.com:o/r.git", "git@github.com:o/r.git",
	  "git@github.com:o/r.git" },
	{ "/srv/x@y/r", "/srv/x@y/r", "/srv/x@y/r" },
	{ "git://host/o/r", "git://host/o/r", "git://host/o/r" },
};

void test_vcs__redact(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(redact_cases); i++) {
		char *r = vcs_url_redact(redact_cases[i].url);
		char *s = vcs_url_strip_auth(redact_cases[i].url);

		check_str(r, redact_cases[i].redacted);
		check_str(s, redact_cases[i].stripped);
		free(r);
		free(s);
	}
}

void test_vcs__url_parse(void)
{
	struct vcs_url u;

	vcs_url_parse(&u, "https://us%40er:p%3Ass@Host.example:8443/a/b.git");
	check_str(u.scheme, "https");
	check_str(u.user, "us@er");
	check_str(u.pass, "p:ss");
	check_str(u.host, "Host.example");
	check_str(u.port, "8443");
	check_str(u.path, "a/b.git");
	check(!u.scp && !u.local);
	vcs_url_release(&u);

	vcs_url_parse(&u, "git@github.com:owner/r.git");
	check(u.scp);
	check(!u.scheme);
	check_str(u.user, "git");
	check_str(u.host, "github.com");
	check(!u.port);
	check_str(u.path, "owner/r.git");
	vcs_url_release(&u);

	vcs_url_parse(&u, "/tmp/repo");
	check(u.local);
	check_str(u.path, "tmp/repo");
	vcs_url_release(&u);

	vcs_url_parse(&u, "file:///tmp/repo");
	check(u.local);
	check_str(u.scheme, "file");
	check_str(u.path, "tmp/repo");
	vcs_url_release(&u);
}

static const struct {
	const char *base, *rel, *url;
} join_cases[] = {
	{ "https://h/o/main.git", "../sub.git", "https://h/o/sub.git" },
	{ "https://t:x@h/o/main.git/", "../sub.git",
	  "https://t:x@h/o/sub.git" },
	{ "https://h/o/main.git", "./sub", "https://h/o/main.git/sub" },
	{ "https://h/o/main.git", "../../x/y.git", "https://h/x/y.git" },
	{ "https://h/main.git", "../../../y.git", "https://h/y.git" },
	{ "git@h:o/main.git", "../sub.git", "git@h:o/sub.git" },
	{ "git@h:main.git", "../sub.git", "git@h:sub.git" },
	{ "file:///srv/o/main.git", "../sub.git", "file:///srv/o/sub.git" },
	{ "/srv/o/main.git", "../sub.git", "/srv/o/sub.git" },
	{ "git://h:9/o/m", "../s", "git://h:9/o/s" },
	{ "https://h/o/main.git", "https://x/y.git", "https://x/y.git" },
	{ "https://h/o/main.git", "git@x:y.git", "git@x:y.git" },
};

void test_vcs__url_join(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(join_cases); i++) {
		char *u = vcs_url_join(join_cases[i].base, join_cases[i].rel);

		check_str(u, join_cases[i].url);
		free(u);
	}
}

static const struct {
	const char *url, *path;
} mirror_cases[] = {
	{ "https://github.com/Owner/Repo.git", "/c/github.com/Owner/Repo.git" },
	{ "https://github.com/Owner/Repo", "/c/github.com/Owner/Repo.git" },
	{ "git@GitHub.com:o/r.git", "/c/github.com/o/r.git" },
	{ "ssh://git@host:2222/o/r", "/c/host_2222/o/r.git" },
	{ "git://127.0.0.1:9418/o/r.git", "/c/127.0.0.1_9418/o/r.git" },
	{ "https://tok@h/../../etc/passwd", "/c/h/etc/passwd.git" },
	{ "https://h/a b/c$d", "/c/h/a_b/c_d.git" },
	{ "https://h/.hidden/x", "/c/h/_.hidden/x.git" },
	{ "https://h/", "/c/h/repo.git" },
	{ "/srv/git/o/r.git", "/c/local/srv/git/o/r.git" },
	{ "file:///srv/git/o/r", "/c/local/srv/git/o/r.git" },
};

void test_vcs__mirror_path(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(mirror_cases); i++) {
		char *p = vcs_mirror_path("/c/", mirror_cases[i].url);

		check_str(p, mirror_cases[i].path);
		free(p);
	}
}

static const struct {
	const char *message;
	bool skip;
} skip_cases[] = {
	{ "fix the build [ci skip]", true },
	{ "[skip ci] docs", true },
	{ "docs\n\nbody [CI SKIP]", true },
	{ "[Skip CI]", true },
	{ "[skip travis] update README", true },
	{ "[travis skip]", true },
	{ "[skip travis ci]", true },
	{ "[travis ci skip]", true },
	{ "[skip travis  ci]", true },
	{ "[skip travis-ci]", true },
	{ "[travis-ci skip]", true },
	{ "[skip travisci]", true },
	{ "[travisci skip]", true },
	{ "[skip\tci]", true },
	{ "[ci  skip]", true },
	{ "[ci:skip]", true },
	{ "x [ [skip ci]", true },
	{ "skip ci", false },
	{ "[skip ci", false },
	{ "[skipci]", false },
	{ "[ciskip]", false },
	{ "[ skip ci]", false },
	{ "[skip ci ]", false },
	{ "[skip appveyor]", false },
	{ "[skip travis client]", false },
	{ "[ci skip please]", false },
	{ "[travis-cis skip]", false },
	{ "[skip circleci]", false },
	{ "", false },
};

void test_vcs__skip_message(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(skip_cases); i++) {
		if (vcs_skip_message(skip_cases[i].message) !=
		    skip_cases[i].skip) {
			unit_fail(__FILE__, __LINE__, "skip(\"%s\") != %d",
				  skip_cases[i].message, skip_cases[i].skip);
			return;
		}
	}
	check(!vcs_skip_message(NULL));
}

void test_vcs__env_push(void)
{
	struct vcs_info info = VCS_INFO_INIT;
	struct val *env = val_map();
	static const char *const order[] = {
		"TRAVIS_BRANCH",
		"TRAVIS_COMMIT",
		"TRAVIS_COMMIT_MESSAGE",
		"TRAVIS_COMMIT_RANGE",
		"TRAVIS_EVENT_TYPE",
		"TRAVIS_PULL_REQUEST",
		"TRAVIS_PULL_REQUEST_BRANCH",
		"TRAVIS_PULL_REQUEST_SHA",
		"TRAVIS_PULL_REQUEST_SLUG",
		"TRAVIS_REPO_SLUG",
		"TRAVIS_TAG",
	};

	memcpy(info.commit, "0123456789012345678901234567890123456789", 41);
	info.branch = xstrdup("main");
	info.message = xstrdup("hello\n\nbody");
	info.slug = xstrdup("o/r");
	info.range = xstrdup("a...b");
	info.pr_sha = xstrdup("ignored for pushes");
	vcs_info_env(&info, env);
	check_int(env->map.n, ==, ARRAY_SIZE(order));
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		check_str(env->map.v[i].key, order[i]);
	check_str(val_strv(val_map_get(env, "TRAVIS_BRANCH")), "main");
	check_str(val_strv(val_map_get(env, "TRAVIS_COMMIT_MESSAGE")),
		  "hello\n\nbody");
	check_str(val_strv(val_map_get(env, "TRAVIS_EVENT_TYPE")), "push");
	check_str(val_strv(val_map_get(env, "TRAVIS_PULL_REQUEST")), "false");
	check_str(val_strv(val_map_get(env, "TRAVIS_PULL_REQUEST_SHA")), "");
	check_str(val_strv(val_map_get(env, "TRAVIS_TAG")), "");
	check_str(val_strv(val_map_get(env, "TRAVIS_REPO_SLUG")), "o/r");
	val_free(env);
	vcs_info_release(&info);
	check(!info.branch);
}

void test_vcs__env_pull_request(void)
{
	struct vcs_info info = VCS_INFO_INIT;
	struct val *env = val_map();

	info.pr = 42;
	info.branch = xstrdup("main");
	info.pr_branch = xstrdup("topic");
	info.pr_sha = xstrdup("abc");
	info.pr_slug = xstrdup("fork/r");
	info.event_type = xstrdup("pull_request");
	vcs_info_env(&info, env);
	check_str(val_strv(val_map_get(env, "TRAVIS_PULL_REQUEST")), "42");
	check_str(val_strv(val_map_get(env, "TRAVIS_PULL_REQUEST_BRANCH")),
		  "topic");
	check_str(val_strv(val_map_get(env, "TRAVIS_PULL_REQUEST_SHA")), "abc");
	check_str(val_strv(val_map_get(env, "TRAVIS_PULL_REQUEST_SLUG")),
		  "fork/r");
	check_str(val_strv(val_map_get(env, "TRAVIS_EVENT_TYPE")),
		  "pull_request");
	check_str(val_strv(val_map_get(env, "TRAVIS_COMMIT")), "");
	val_free(env);
	vcs_info_release(&info);
}

void test_vcs__lock_waits_and_times_out(void)
{
	int a = -1, b = -1, c = -1, d = -1;

	check_ok(vcs_lock(&a, "m.lock", true, 5, "'m'"));
	/* a second writer, and a reader, wait and then give up */
	check_int(vcs_lock(&b, "m.lock", true, 1, "'m'"), ==, FY_ETIMEOUT);
	check(strstr(err_msg(), "'m'"));
	check_int(vcs_lock(&b, "m.lock", false, 1, "'m'"), ==, FY_ETIMEOUT);
	check_int(b, ==, -1);
	vcs_unlock(&a);
	check_int(a, ==, -1);
	/* readers share */
	check_ok(vcs_lock(&c, "m.lock", false, 1, "'m'"));
	check_ok(vcs_lock(&d, "m.lock", false, 1, "'m'"));
	check_int(vcs_lock(&a, "m.lock", true, 1, "'m'"), ==, FY_ETIMEOUT);
	vcs_unlock(&c);
	vcs_unlock(&d);
	check_ok(vcs_lock(&a, "m.lock", true, 1, "'m'"));
	vcs_unlock(&a);
}

void test_vcs__dir_sink(void)
{
	struct vcs_dir_sink ds = { "out" };
	struct vcs_entry dir = { VCS_ENTRY_DIR, "d", 0755, NULL, 0, NULL };
	struct vcs_entry f = { VCS_ENTRY_FILE, "d/x.sh", 0755,
			       "#!/bin/sh\n",  10,	 NULL };
	struct vcs_entry l = {
		VCS_ENTRY_SYMLINK, "lnk", 0777, "d/x.sh", 6, NULL
	};
	struct vcs_entry c = { VCS_ENTRY_FILE, "copy", 0644, NULL, 0, "src" };
	struct buf b = BUF_INIT;
	struct stat st;
	char target[64];
	ssize_t n;

	check(!mkdir("out", 0755));
	check_ok(fs_write_file("src", "copied\n", 7, 0600));
	check_ok(vcs_dir_sink_entry(&ds, &dir));
	check_ok(vcs_dir_sink_entry(&ds, &f));
	check_ok(vcs_dir_sink_entry(&ds, &l));
	check_ok(vcs_dir_sink_entry(&ds, &c));
	check(!stat("out/d/x.sh", &st));
	check_int(st.st_mode & 0777, ==, 0755);
	n = readlink("out/lnk", target, sizeof(target));
	check_int(n, ==, 6);
	check(!memcmp(target, "d/x.sh", 6));
	check_ok(fs_read_file(&b, "out/copy"));
	check_str(b.ptr, "copied\n");
	check(!stat("out/copy", &st));
	check_int(st.st_mode & 0777, ==, 0644);
	buf_release(&b);
	/* an existing file is never overwritten */
	check_int(vcs_dir_sink_entry(&ds, &c), <, 0);
}

void test_vcs__scrub(void)
{
	struct buf b = BUF_INIT;

	buf_addstr(&b, "token abcd1234 and abcd1234!");
	vcs_scrub(&b, "abcd1234");
	check_str(b.ptr, "token *** and ***!");
	vcs_scrub(&b, NULL);
	vcs_scrub(&b, "ab"); /* too short to be a secret: left alone */
	check_str(b.ptr, "token *** and ***!");
	buf_release(&b);
}

void test_vcs__version(void)
{
	check(!strncmp(vcs_version(), "libgit2 ", 8));
	check(strstr(vcs_version(), vcs_has_ssh() ? "ssh" : "no ssh"));
}
