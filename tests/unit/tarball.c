/*
 * Tests of common/tarball.c: round trips through every format, owners,
 * pull reads in small pieces, and unsafe archives refused.
 */
#include "compat.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "tarball.h"
#include "unit.h"
#include "xalloc.h"

static bool write_file(const char *path, const char *text, mode_t mode)
{
	if (fs_write_file(path, text, strlen(text), 0600) < 0)
		return false;
	return chmod(path, mode) == 0;
}

/* A tree with one of everything, under `dir`. */
static bool make_tree(const char *dir, bool special)
{
	struct buf big = BUF_INIT;
	char name[200];
	bool ok = true;

	for (int i = 0; i < 20000; i++)
		buf_addf(&big, "line %d of a file larger than one chunk\n", i);
	memset(name, 'n', 130);
	snprintf(name + 130, sizeof(name) - 130, "%s", ".txt");
	ok = ok && !fs_mkdir_p(dir, 0755);
	ok = ok && !chdir(dir);
	ok = ok && write_file("f.txt", "hello\n", 0640);
	ok = ok && write_file("exe", "#!/bin/sh\necho hi\n", 0755);
	ok = ok && !mkdir("sub", 0700) && !mkdir("sub/deep", 0755);
	ok = ok && write_file("sub/deep/big", big.ptr, 0600);
	ok = ok && !mkdir("empty", 0750);
	ok = ok && !symlink("f.txt", "ln") && !symlink("/etc/passwd", "abs");
	ok = ok && !symlink("nowhere", "dangling");
	ok = ok && write_file("sp ace & \xc3\xbc", "x", 0644);
	ok = ok && !mkdir("d", 0755) && !chdir("d");
	ok = ok && write_file(name, "long name\n", 0644);
	ok = ok && !chdir("..");
	if (special) {
		ok = ok && !link("f.txt", "hl");
		ok = ok && !mkfifo("fifo", 0620);
	}
	ok = !chdir("..") && ok;
	buf_release(&big);
	return ok;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Same names, types, permissions, contents, link targets, mtimes. */
static bool same_tree(const char *a, const char *b)
{
	DIR *d = opendir(a);
	struct dirent *e;
	bool ok = true;

	if (!d || count_entries(a) != count_entries(b)) {
		unit_fail(__FILE__, __LINE__, "'%s' and '%s' differ in size", a,
			  b);
		if (d)
			closedir(d);
		return false;
	}
	while (ok && (e = readdir(d))) {
		char *pa, *pb;
		struct stat sa, sb;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		pa = fs_join(a, e->d_name);
		pb = fs_join(b, e->d_name);
		if (lstat(pa, &sa) || lstat(pb, &sb) ||
		    (sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT) ||
		    (sa.st_mode & 07777) != (sb.st_mode & 07777)) {
			unit_fail(__FILE__, __LINE__, "'%s' vs '%s': type/mode",
				  pa, pb);
			ok = false;
		} else if (S_ISDIR(sa.st_mode)) {
			ok = same_tree(pa, pb);
		} else if (S_ISLNK(sa.st_mode)) {
			char ta[PATH_MAX] = "", tb[PATH_MAX] = "";

			if (readlink(pa, ta, sizeof(ta) - 1) < 0 ||
			    readlink(pb, tb, sizeof(tb) - 1) < 0 ||
			    strcmp(ta, tb)) {
				unit_fail(__FILE__, __LINE__, "link '%s'", pb);
				ok = false;
			}
		} else if (S_ISREG(sa.st_mode)) {
			struct buf ca = BUF_INIT, cb = BUF_INIT;

			if (fs_read_file(&ca, pa) || fs_read_file(&cb, pb) ||
			    ca.len != cb.len ||
			    memcmp(ca.ptr, cb.ptr, ca.len) ||
			    sa.st_mtime != sb.st_mtime) {
				unit_fail(__FILE__, __LINE__, "file '%s'", pb);
				ok = false;
			}
			buf_release(&ca);
			buf_release(&cb);
		}
		free(pa);
		free(pb);
	}
	closedir(d);
	return ok;
}

static bool same_inode(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_ino == sb.st_ino;
}

void test_tarball__round_trip_every_format(void)
{
	static const struct {
		enum tarball_format format;
		bool special; /* hard links and fifos */
	} cases[] = {
		{ TARBALL_TAR, true },
		{ TARBALL_TAR_GZ, true },
		{ TARBALL_TAR_ZST, true },
		{ TARBALL_ZIP, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tarball_opts opts = TARBALL_OPTS_INIT;
		struct tarball_pack *p = NULL;
		struct buf ar = BUF_INIT;
		char src[32], out[32];

		snprintf(src, sizeof(src), "src%zu", i);
		snprintf(out, sizeof(out), "out%zu", i);
		check(make_tree(src, cases[i].special));
		opts.format = cases[i].format;
		check_ok(tarball_pack_new(&p, &opts));
		check_ok(tarball_pack_add(p, src, "top/dir/"));
		check_ok(tarball_pack_to_buf(p, &ar));
		check_int(tarball_pack_size(p), ==, ar.len);
		tarball_pack_free(p);
		check_ok(tarball_extract_mem(out, 0, ar.ptr, ar.len));
		{
			char *got = xasprintf("%s/top/dir", out);
			bool same = same_tree(src, got);

			check(same);
			if (cases[i].special) {
				char *a = xasprintf("%s/f.txt", got);
				char *b = xasprintf("%s/hl", got);

				same = same_inode(a, b);
				free(a);
				free(b);
				check(same);
			}
			free(got);
		}
		buf_release(&ar);
	}
}

void test_tarball__contents_at_the_top(void)
{
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	int fd = -1;

	check(make_tree("src", true));
	check_ok(tarball_pack_new(&p, &opts));
	check_ok(tarball_pack_add(p, "src", ""));
	check_ok(tarball_pack_add(p, "src/exe", "bin/tool"));
	tarball_pack_add_data(p, "etc/conf", "a=1\n", 4, 0600);
	fd = open("a.tar", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	check(fd >= 0);
	check_ok(tarball_pack_to_fd(p, fd));
	close_fd(&fd);
	tarball_pack_free(p);

	fd = open("a.tar", O_RDONLY | O_CLOEXEC);
	check(fd >= 0);
	check_ok(tarball_extract_fd("out", 0, fd));
	close_fd(&fd);
	check(fs_exists("out/f.txt"));
	check(fs_exists("out/sub/deep/big"));
	check(!fs_exists("out/src"));
	{
		struct buf b = BUF_INIT;
		struct stat st;

		check_ok(fs_read_file(&b, "out/etc/conf"));
		check_str(b.ptr, "a=1\n");
		buf_release(&b);
		check_int(stat("out/etc/conf", &st), ==, 0);
		check_int(st.st_mode & 07777, ==, 0600);
		check_int(stat("out/bin/tool", &st), ==, 0);
		check_int(st.st_mode & 07777, ==, 0755);
	}
}

void test_tarball__small_pull_reads(void)
{
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	struct buf ar = BUF_INIT;
	size_t reads = 0;

	check(make_tree("src", true));
	opts.format = TARBALL_TAR_GZ;
	check_ok(tarball_pack_new(&p, &opts));
	check_ok(tarball_pack_add(p, "src", "x"));
	for (;;) {
		char piece[7];
		size_t got = 0;

		check_ok(tarball_pack_read(p, piece, 1 + reads % 7, &got));
		if (!got)
			break;
		buf_add(&ar, piece, got);
		reads++;
	}
	tarball_pack_free(p);
	check_int(reads, >, 100);
	check_ok(tarball_extract_mem("out", 0, ar.ptr, ar.len));
	check(same_tree("src", "out/x"));
	buf_release(&ar);
}

void test_tarball__owner_mapping(void)
{
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	struct buf ar = BUF_INIT;
	struct stat st;

	check(make_tree("src", false));
	opts.uid = 1234;
	opts.gid = 5678;
	check_ok(tarball_pack_new(&p, &opts));
	check_ok(tarball_pack_add(p, "src", ""));
	check_ok(tarball_pack_to_buf(p, &ar));
	tarball_pack_free(p);

	check_ok(tarball_extract_mem("mine", 0, ar.ptr, ar.len));
	check_int(lstat("mine/sub/deep/big", &st), ==, 0);
	check_int(st.st_uid, ==, geteuid());
	if (geteuid() == 0) {
		check_ok(tarball_extract_mem("theirs", TARBALL_OWNER, ar.ptr,
					     ar.len));
		check_int(lstat("theirs/sub/deep/big", &st), ==, 0);
		check_int(st.st_uid, ==, 1234);
		check_int(st.st_gid, ==, 5678);
		check_int(lstat("theirs/ln", &st), ==, 0);
		check_int(st.st_uid, ==, 1234);
	}
	buf_release(&ar);
}

/* An archive holding one in-memory file per name. */
static int archive_of(struct buf *out, const char *const *names)
{
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	int err;

	err = tarball_pack_new(&p, &opts);
	if (err)
		return err;
	for (size_t i = 0; names[i]; i++)
		tarball_pack_add_data(p, names[i], "evil\n", 5, 0644);
	err = tarball_pack_to_buf(p, out);
	tarball_pack_free(p);
	return err;
}

void test_tarball__refuses_escapes(void)
{
	static const struct {
		const char *names[3];
		const char *msg;
	} cases[] = {
		{ { "../evil", NULL }, "leads outside" },
		{ { "ok", "a/../../evil", NULL }, "leads outside" },
		{ { "a/b/../../../evil", NULL }, "leads outside" },
		{ { "/tmp/ferry-tarball-evil", NULL }, "has an absolute path" },
	};

	check(!mkdir("dest", 0755));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf ar = BUF_INIT;
		int err;

		check_ok(archive_of(&ar, cases[i].names));
		err = tarball_extract_mem("dest/x", 0, ar.ptr, ar.len);
		check_int(err, ==, FY_EINVALID);
		check(strstr(err_msg(), cases[i].msg));
		buf_release(&ar);
	}
	check(!fs_exists("evil"));
	check(!fs_exists("dest/evil"));
	check(!fs_exists("/tmp/ferry-tarball-evil"));
	check(fs_exists("dest/x/ok")); /* entries before the bad one */
}

void test_tarball__absolute_paths_when_allowed(void)
{
	char cwd[PATH_MAX];
	const char *names[2] = { NULL, NULL };
	struct buf ar = BUF_INIT;
	char *abs = NULL;

	check(getcwd(cwd, sizeof(cwd)));
	abs = xasprintf("%s/cache/dir/file", cwd);
	names[0] = abs;
	check_ok(archive_of(&ar, names));
	check_int(tarball_extract_mem("x", 0, ar.ptr, ar.len), ==, FY_EINVALID);
	check(!fs_exists(abs));
	check_ok(tarball_extract_mem("x", TARBALL_ABSOLUTE, ar.ptr, ar.len));
	check(fs_exists(abs));
	check(!fs_exists("x/cache"));
	free(abs);
	buf_release(&ar);
}

void test_tarball__refuses_paths_through_symlinks(void)
{
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	struct buf ar = BUF_INIT;
	char cwd[PATH_MAX], *target = NULL;

	check(getcwd(cwd, sizeof(cwd)));
	check(!mkdir("outside", 0755));
	target = xasprintf("%s/outside", cwd);
	check(!symlink(target, "link"));
	check_ok(tarball_pack_new(&p, &opts));
	check_ok(tarball_pack_add(p, "link", "link"));
	tarball_pack_add_data(p, "link/pwned", "x", 1, 0644);
	check_ok(tarball_pack_to_buf(p, &ar));
	tarball_pack_free(p);
	check(tarball_extract_mem("dest", 0, ar.ptr, ar.len) < 0);
	check(strstr(err_msg(), "link/pwned"));
	check(!fs_exists("outside/pwned"));
	/* The symlink itself was extracted, as a symlink. */
	{
		struct stat st;

		check_int(lstat("dest/link", &st), ==, 0);
		check(S_ISLNK(st.st_mode));
	}
	free(target);
	buf_release(&ar);
}

/* One ustar header block; `type` '0' file, '1' hard link, '2' symlink. */
static void ustar_header(unsigned char *h, const char *name, char type,
			 const char *link, size_t size)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011zo", size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

void test_tarball__refuses_hard_links_outside(void)
{
	static const struct {
		const char *link;
		const char *msg;
	} cases[] = {
		{ "../secret", "leads outside" },
		{ "/etc/passwd", "has an absolute path" },
		{ "./", "links to" },
	};

	check(write_file("secret", "s3cret\n", 0600));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned char ar[512 * 3];

		memset(ar, 0, sizeof(ar));
		ustar_header(ar, "hl", '1', cases[i].link, 0);
		check_int(tarball_extract_mem("dest", 0, ar, sizeof(ar)), ==,
			  FY_EINVALID);
		check(strstr(err_msg(), cases[i].msg));
		check(!fs_exists("dest/hl"));
	}
	/* The same header with a harmless target works. */
	{
		unsigned char ar[512 * 4];

		memset(ar, 0, sizeof(ar));
		ustar_header(ar, "a", '0', "", 0);
		ustar_header(ar + 512, "hl", '1', "a", 0);
		check_ok(tarball_extract_mem("dest", 0, ar, sizeof(ar)));
		check(same_inode("dest/a", "dest/hl"));
	}
}

void test_tarball__bad_input(void)
{
	static const char junk[] = "this is not an archive at all, sorry";
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;

	check_int(tarball_extract_mem("x", 0, junk, sizeof(junk)), ==,
		  FY_EINVALID);
	check(strstr(err_msg(), "invalid archive"));
	check_int(tarball_extract_mem("x", 0, "", 0), ==, FY_EINVALID);

	check_ok(tarball_pack_new(&p, &opts));
	check_int(tarball_pack_add(p, "no/such/dir", "x"), ==, FY_ENOTFOUND);
	check(strstr(err_msg(), "'no/such/dir'"));
	tarball_pack_free(p);
}

struct failing {
	size_t left;
};

static int failing_read(void *dst, size_t cap, size_t *got, void *payload)
{
	struct failing *f = payload;

	if (!f->left)
		return err_set(FY_ETIMEOUT, "the source timed out");
	*got = cap < f->left ? cap : f->left;
	memset(dst, 0, *got);
	f->left -= *got;
	return 0;
}

void test_tarball__source_errors_pass_through(void)
{
	struct failing f = { 100 };

	check_int(tarball_extract("x", 0, failing_read, &f), ==, FY_ETIMEOUT);
	check_str(err_msg(), "the source timed out");
}
