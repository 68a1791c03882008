#include "compat.h"

#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "fs.h"
#include "unit.h"
#include "vcs.h"
#include "../../runner/vcs_lfs.h"
#include "xalloc.h"

#define V1  "version https://git-lfs.github.com/spec/v1\n"
#define OID "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"

void test_vcs_lfs__pointer_valid(void)
{
	static const struct {
		const char *text;
		uint64_t size;
		bool ext;
	} cases[] = {
		{ V1 "oid sha256:" OID "\nsize 12345\n", 12345, false },
		{ "version https://hawser.github.com/spec/v1\noid sha256:" OID
		  "\nsize 0\n",
		  0, false },
		{ V1 "ext-0-foo sha256:" OID "\noid sha256:" OID "\nsize 7\n",
		  7, true },
		/* unknown keys are kept out of the way, in order */
		{ V1 "a-key x\noid sha256:" OID "\nsize 1\nzz.top yes\n", 1,
		  false },
		{ V1 "oid sha256:" OID "\nsize 9223372036854775807\n",
		  9223372036854775807ULL, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vcs_lfs_pointer p;

		check_ok(vcs_lfs_pointer_parse(&p, cases[i].text,
					       strlen(cases[i].text)));
		check_str(p.oid, OID);
		check(p.size == cases[i].size);
		check(p.extensions == cases[i].ext);
	}
}

void test_vcs_lfs__pointer_invalid(void)
{
	static const char *const bad[] = {
		"",
		"\n",
		V1 "oid sha256:" OID "\nsize 12", /* no final newline */
		V1 "oid sha256:" OID "\r\nsize 12\r\n",
		"oid sha256:" OID "\n" V1 "size 12\n", /* version not first */
		"version https://git-lfs.github.com/spec/v2\noid sha256:" OID
		"\nsize 1\n",
		"version  https://git-lfs.github.com/spec/v1\noid sha256:" OID
		"\nsize 1\n",
		V1 "size 12\noid sha256:" OID "\n", /* wrong order */
		V1 "oid sha256:" OID "\noid sha256:" OID "\nsize 1\n",
		V1 "oid sha256:" OID "\n",	     /* no size */
		V1 "size 12\n",			     /* no oid */
		V1 "oid sha256:" OID "\nsize -1\n",  /* negative */
		V1 "oid sha256:" OID "\nsize 012\n", /* leading zero */
		V1 "oid sha256:" OID "\nsize 1e3\n", /* not decimal */
		V1 "oid sha256:" OID "\nsize 9223372036854775808\n",
		V1 "oid sha256:" OID "\nsize 99999999999999999999\n",
		V1 "oid sha1:" OID "\nsize 1\n",    /* other hash */
		V1 "oid sha256:" OID "0\nsize 1\n", /* 65 digits */
		V1 "oid sha256:4D7A214614AB2935C943F9E0FF69D22EADBB8F32B1258DAA"
		   "A5E2CA24D17E2393\nsize 1\n",     /* upper case */
		V1 "oid sha256:" OID "\n\nsize 1\n", /* blank line */
		V1 "oid sha256:" OID "\nsize 1\ngarbage\n",
		V1 "oid sha256:" OID "\nsize 1\nversion x\n",
		V1 "Oid sha256:" OID "\nsize 1\n", /* key case */
		V1 "oid sha256:" OID "\nsize 1\nx\tz\n",
		"hello world\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct vcs_lfs_pointer p = { "unset", 42, false };

		check_int(vcs_lfs_pointer_parse(&p, bad[i], strlen(bad[i])), ==,
			  FY_EINVALID);
		check_str(p.oid, "unset");
	}
}

void test_vcs_lfs__pointer_size_cap(void)
{
	struct buf b = BUF_INIT;
	struct vcs_lfs_pointer p;
	size_t pad;

	buf_addstr(&b, V1 "oid sha256:" OID "\nsize 5\nzz ");
	pad = VCS_LFS_POINTER_MAX - 1 - b.len - 1;
	for (size_t i = 0; i < pad; i++)
		buf_addch(&b, 'x');
	buf_addch(&b, '\n');
	check_int(b.len, ==, VCS_LFS_POINTER_MAX - 1);
	check_ok(vcs_lfs_pointer_parse(&p, b.ptr, b.len));
	check(p.size == 5);
	buf_setlen(&b, b.len - 1);
	buf_addstr(&b, "x\n");
	check_int(vcs_lfs_pointer_parse(&p, b.ptr, b.len), ==, FY_ETOOBIG);
	buf_release(&b);
}

void test_vcs_lfs__config_get(void)
{
	static const struct {
		const char *text, *section, *sub, *name, *want;
	} cases[] = {
		{ "[lfs]\n\turl = https://h/x.git/info/lfs\n", "lfs", NULL,
		  "url", "https://h/x.git/info/lfs" },
		{ "[LFS]\n\tURL = \"https://h/a b\" # note\n", "lfs", NULL,
		  "url", "https://h/a b" },
		{ "[lfs] url = one\n[lfs]\nurl = two\n", "lfs", NULL, "url",
		  "two" },
		{ "[remote \"origin\"]\n\tlfsurl = https://o\n", "remote",
		  "origin", "lfsurl", "https://o" },
		{ "[remote \"Origin\"]\n\tlfsurl = https://o\n", "remote",
		  "origin", "lfsurl", NULL },
		{ "[remote.origin]\n\tlfsurl = https://legacy\n", "remote",
		  "origin", "lfsurl", "https://legacy" },
		{ "; comment\n# comment\n[lfs]\r\n\turl = a\\\n  b ; c\r\n",
		  "lfs", NULL, "url", "a  b" },
		{ "[lfs]\n\turl = a\\tb\\\\c\\\"\n", "lfs", NULL, "url",
		  "a\tb\\c\"" },
		{ "[lfs]\n\turl = x\n[core]\n\turl = y\n", "lfs", NULL, "url",
		  "x" },
		{ "[lfs \"https://h/\"]\n\turl = y\n", "lfs", NULL, "url",
		  NULL },
		{ "[lfs]\n\turl\n", "lfs", NULL, "url", NULL },
		{ "[lfs]\n\turl = \"open\n", "lfs", NULL, "url", NULL },
		{ "[lfs]\n\turl = \\q\n", "lfs", NULL, "url", NULL },
		{ "url = x\n", "lfs", NULL, "url", NULL },
		{ "[lfs\n\turl = x\n", "lfs", NULL, "url", NULL },
		{ "[lfs]\n\turl = x\n[include]\n\tpath = /etc/passwd\n", "lfs",
		  NULL, "url", "x" },
		{ "", "lfs", NULL, "url", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = vcs_lfs_config_get(
			cases[i].text, strlen(cases[i].text), cases[i].section,
			cases[i].sub, cases[i].name);

		if (cases[i].want)
			check_str(got, cases[i].want);
		else
			check(!got);
		free(got);
	}
}

void test_vcs_lfs__endpoint(void)
{
	static const struct {
		const char *remote, *want;
	} cases[] = {
		{ "https://github.com/o/r",
		  "https://github.com/o/r.git/info/lfs" },
		{ "https://github.com/o/r.git",
		  "https://github.com/o/r.git/info/lfs" },
		{ "https://github.com/o/r/",
		  "https://github.com/o/r.git/info/lfs" },
		{ "https://u:secret@h:8443/o/r.git",
		  "https://h:8443/o/r.git/info/lfs" },
		{ "http://127.0.0.1:8080/acme/x.git",
		  "http://127.0.0.1:8080/acme/x.git/info/lfs" },
		{ "git@github.com:o/r.git",
		  "https://github.com/o/r.git/info/lfs" },
		{ "ssh://git@host:2222/o/r", "https://host/o/r.git/info/lfs" },
		{ "git://host:9418/o/r.git", "https://host/o/r.git/info/lfs" },
		{ "https://[::1]:8080/o/r.git",
		  "https://[::1]:8080/o/r.git/info/lfs" },
		{ "file:///srv/o/r.git", NULL },
		{ "/srv/o/r.git", NULL },
		{ "ftp://h/o/r.git", NULL },
		{ "https://h", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = vcs_lfs_endpoint(cases[i].remote);

		if (cases[i].want)
			check_str(got, cases[i].want);
		else
			check(!got);
		free(got);
	}
}

void test_vcs_lfs__endpoint_credentials(void)
{
	struct vcs_remote_opts ro = { .token = "tok-123", .username = "me" };
	static const struct {
		const char *lfs_url, *remote, *endpoint, *user, *pass;
	} cases[] = {
		/* the remote's own credentials, then the token */
		{ NULL, "https://a:pw@h/o/r.git", "https://h/o/r.git/info/lfs",
		  "a", "pw" },
		{ NULL, "https://h/o/r.git", "https://h/o/r.git/info/lfs", "me",
		  "tok-123" },
		{ NULL, "git@h:o/r.git", "https://h/o/r.git/info/lfs", "me",
		  "tok-123" },
		/* lfs.url elsewhere: nothing of ours goes there */
		{ "https://other/lfs/", "https://a:pw@h/o/r.git",
		  "https://other/lfs", NULL, NULL },
		{ "https://h:444/lfs", "https://h/o/r.git", "https://h:444/lfs",
		  NULL, NULL },
		{ "http://h/lfs", "https://h/o/r.git", "http://h/lfs", NULL,
		  NULL },
		{ "https://h:443/lfs", "https://h/o/r.git", "https://h:443/lfs",
		  "me", "tok-123" },
		/* its own user information */
		{ "https://x:y@other/lfs", "https://h/o/r.git",
		  "https://other/lfs", "x", "y" },
		{ "ftp://other/lfs", "https://h/o/r.git", NULL, NULL, NULL },
		{ NULL, "/srv/o/r.git", NULL, NULL, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vcs_lfs_fetch f = VCS_LFS_FETCH_INIT;

		vcs_lfs_fetch_endpoint(&f, cases[i].lfs_url, cases[i].remote,
				       &ro);
		if (cases[i].endpoint)
			check_str(f.endpoint, cases[i].endpoint);
		else
			check(!f.endpoint);
		if (cases[i].user) {
			check_str(f.user, cases[i].user);
			check_str(f.pass, cases[i].pass);
		} else {
			check(!f.user && !f.pass);
		}
		vcs_lfs_fetch_release(&f);
	}
}

void test_vcs_lfs__batch_parse(void)
{
	static const char answer[] =
		"{\"transfer\": \"basic\", \"objects\": ["
		"{\"oid\": \"" OID "\", \"size\": 12, \"authenticated\": true,"
		" \"actions\": {\"download\": {\"href\": \"https://d/x?sig=1\","
		" \"header\": {\"Authorization\": \"RemoteAuth t\"},"
		" \"expires_in\": 60}}},"
		"{\"oid\": \"" OID "\", \"size\": 1, \"error\": {\"code\": 404,"
		" \"message\": \"Object\\ndoes not exist\"}},"
		"{\"oid\": \"" OID
		"\", \"size\": 1, \"actions\": {\"download\":"
		" {\"href\": \"https://d/y\", \"header\": {\"X\": \"a\\r\\nB: "
		"c\"}}}},"
		"{\"oid\": \"" OID
		"\", \"size\": 1, \"actions\": {\"download\":"
		" {\"href\": \"file:///etc/passwd\"}}},"
		"{\"oid\": \"" OID "\", \"size\": 1},"
		"{\"oid\": \"short\", \"size\": 1},"
		"[1, 2]"
		"]}";
	struct vcs_lfs_batch b = { NULL, 0 };

	check_ok(vcs_lfs_batch_parse(&b, answer, strlen(answer)));
	check_int(b.n, ==, 5);
	check_str(b.v[0].href, "https://d/x?sig=1");
	check(b.v[0].size == 12);
	check(!b.v[0].error);
	check_int(b.v[0].headers.n, ==, 1);
	check_str(b.v[0].headers.v[0], "Authorization: RemoteAuth t");
	check(!b.v[1].href);
	check_int(b.v[1].code, ==, 404);
	check_str(b.v[1].error, "Object?does not exist");
	for (size_t i = 2; i < 5; i++) {
		check(!b.v[i].href && b.v[i].error);
		check_int(b.v[i].headers.n, ==, 0);
	}
	vcs_lfs_batch_release(&b);
}

void test_vcs_lfs__batch_parse_rejects(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"objects\": {}}",
		"{\"transfer\": \"tus\", \"objects\": []}",
		"{\"transfer\": 3, \"objects\": []}",
		"not json",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct vcs_lfs_batch b = { NULL, 0 };

		check_int(vcs_lfs_batch_parse(&b, bad[i], strlen(bad[i])), ==,
			  FY_EINVALID);
		check(!b.v && !b.n);
	}
}

void test_vcs_lfs__error_message_and_summary(void)
{
	static const char body[] = "{\"message\": \"Not\\u0001found\"}";
	struct vcs_lfs_report r = VCS_LFS_REPORT_INIT;
	struct buf b = BUF_INIT;
	char *m = vcs_lfs_error_message(body, strlen(body));
	char text[32];

	check_str(m, "Not?found");
	free(m);
	check(!vcs_lfs_error_message("<html>", 6));
	vcs_lfs_size_text(text, sizeof(text), 1000);
	check_str(text, "1000 bytes");
	vcs_lfs_size_text(text, sizeof(text), 13002342);
	check_str(text, "12.4 MiB");
	r.files = 3;
	r.bytes = 13002342;
	r.downloaded = 1;
	r.cached = 2;
	vcs_lfs_summary(&r, &b);
	check_str(b.ptr, "Git LFS: 3 files (12.4 MiB), 1 downloaded, 2 from "
			 "the cache");
	r.kept = 1;
	buf_reset(&b);
	vcs_lfs_summary(&r, &b);
	check_str(b.ptr, "Git LFS: 3 files (12.4 MiB), 1 downloaded, 2 from "
			 "the cache, 1 left as pointer");
	buf_release(&b);
	vcs_lfs_report_release(&r);
}

/* An object `content` in the objects directory `dir`; its pointer. */
static void put_object(const char *dir, const char *content,
		       struct vcs_lfs_pointer *p)
{
	char *sub, *path;

	crypto_digest_hex(CRYPTO_SHA256, content, strlen(content), p->oid);
	p->size = strlen(content);
	p->extensions = false;
	sub = xasprintf("%s/%.2s/%.2s", dir, p->oid, p->oid + 2);
	path = xasprintf("%s/%s", sub, p->oid);
	fs_mkdir_p(sub, 0755);
	fs_write_file(path, content, strlen(content), 0644);
	free(path);
	free(sub);
}

static void write_pointer(const char *path, const struct vcs_lfs_pointer *p,
			  int mode)
{
	char *text = xasprintf(V1 "oid sha256:%s\nsize %llu\n", p->oid,
			       (unsigned long long)p->size);

	fs_write_file(path, text, strlen(text), mode);
	chmod(path, (mode_t)mode);
	free(text);
}

void test_vcs_lfs__fetch_from_stores(void)
{
	struct vcs_lfs_fetch f = VCS_LFS_FETCH_INIT;
	struct vcs_lfs_report r = VCS_LFS_REPORT_INIT;
	struct vcs_lfs_pointer good, other, bad, gone;
	struct buf b = BUF_INIT;
	struct stat st;
	char *corrupt;

	fs_mkdir_p("wt/sub", 0755);
	fs_mkdir_p("elsewhere", 0755);
	put_object("cache/objects", "good content\n", &good);
	put_object("store/objects", "from the store\n", &other);
	put_object("cache/objects", "will be broken\n", &bad);
	corrupt = xasprintf("cache/objects/%.2s/%.2s/%s", bad.oid, bad.oid + 2,
			    bad.oid);
	fs_write_file(corrupt, "will be Broken\n", 15, 0644);
	crypto_digest_hex(CRYPTO_SHA256, "nowhere", 7, gone.oid);
	gone.size = 7;
	gone.extensions = false;
	write_pointer("wt/a.bin", &good, 0755);
	write_pointer("wt/sub/b.bin", &other, 0644);
	write_pointer("wt/c.bin", &bad, 0644);
	write_pointer("wt/d.bin", &gone, 0644);
	write_pointer("elsewhere/e.bin", &good, 0644);
	check(!symlink("../elsewhere", "wt/link"));

	f.workdir = "wt";
	f.dir = xstrdup("cache");
	svec_push(&f.stores, "store/objects");
	vcs_lfs_fetch_add(&f, "a.bin", &good);
	vcs_lfs_fetch_add(&f, "sub/b.bin", &other);
	vcs_lfs_fetch_add(&f, "c.bin", &bad);
	vcs_lfs_fetch_add(&f, "d.bin", &gone);
	vcs_lfs_fetch_add(&f, "link/e.bin", &good);
	vcs_lfs_fetch_run(&f, &r);

	check_int(r.files, ==, 5);
	check_int(r.cached, ==, 2);
	check_int(r.downloaded, ==, 0);
	check_int(r.kept, ==, 3);
	check_ok(fs_read_file(&b, "wt/a.bin"));
	check_str(b.ptr, "good content\n");
	check(!stat("wt/a.bin", &st) && (st.st_mode & 0777) == 0755);
	buf_reset(&b);
	check_ok(fs_read_file(&b, "wt/sub/b.bin"));
	check_str(b.ptr, "from the store\n");
	/* the corrupt object left the cache; no server: a warning each */
	check(!fs_exists(corrupt));
	check_int(r.warnings.n, ==, 3);
	check(strstr(r.warnings.v[0], "'c.bin'") &&
	      strstr(r.warnings.v[0], bad.oid) &&
	      strstr(r.warnings.v[0], "no LFS server is known"));
	check(strstr(r.warnings.v[1], "'d.bin'"));
	/* never written through a symlink */
	check(strstr(r.warnings.v[2], "'link/e.bin'") &&
	      strstr(r.warnings.v[2], "is not a directory"));
	buf_reset(&b);
	check_ok(fs_read_file(&b, "elsewhere/e.bin"));
	check(!strncmp(b.ptr, "version ", 8));
	/* nothing left behind in the work tree */
	check(!fs_exists("cache/tmp"));
	buf_release(&b);
	free(corrupt);
	vcs_lfs_report_release(&r);
	vcs_lfs_fetch_release(&f);
}
