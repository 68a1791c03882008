#include "compat.h"

#include <unistd.h>

#include "fs.h"
#include "rbglob.h"
#include "svec.h"
#include "unit.h"
#include "xalloc.h"

#define P  RBGLOB_PATHNAME
#define D  RBGLOB_DOTMATCH
#define E  RBGLOB_EXTGLOB
#define NE RBGLOB_NOESCAPE
#define CF RBGLOB_CASEFOLD

/* Ruby's File.fnmatch documentation examples, and dpl's mapping flags. */
void test_rbglob__fnmatch(void)
{
	static const struct {
		const char *pat, *str;
		unsigned flags;
		bool want;
	} cases[] = {
		{ "cat", "cat", 0, true },
		{ "cat", "category", 0, false },
		{ "c{at,ub}s", "cats", 0, false },
		{ "c{at,ub}s", "cats", E, true },
		{ "c{at,ub}s", "cubs", E, true },
		{ "c{at,{u,o}b}s", "cobs", E, true },
		{ "c?t", "cat", 0, true },
		{ "c??t", "cat", 0, false },
		{ "c*", "cats", 0, true },
		{ "c*t", "c/a/b/t", 0, true },
		{ "ca[a-z]", "cat", 0, true },
		{ "ca[^t]", "cat", 0, false },
		{ "ca[!a-s]", "cat", 0, true },
		{ "cat", "CAT", 0, false },
		{ "cat", "CAT", CF, true },
		{ "?", "/", P, false },
		{ "*", "/", P, false },
		{ "[/]", "/", P, false },
		{ "\\?", "?", 0, true },
		{ "\\a", "a", 0, true },
		{ "\\a", "\\a", NE, true },
		{ "[\\?]", "?", 0, true },
		{ "*", ".profile", 0, false },
		{ "*", ".profile", D, true },
		{ ".*", ".profile", 0, true },
		{ "**/*.rb", "main.rb", 0, false },
		{ "**/*.rb", "./main.rb", 0, false },
		{ "**/*.rb", "lib/song.rb", 0, true },
		{ "**.rb", "main.rb", 0, true },
		{ "**.rb", "./main.rb", 0, false },
		{ "**.rb", "lib/song.rb", 0, true },
		{ "*", "dave/.profile", 0, true },
		{ "**/foo", "a/b/c/foo", P, true },
		{ "**/foo", "/a/b/c/foo", P, true },
		{ "**/foo", "c:/a/b/c/foo", P, true },
		{ "**/foo", "a/.b/c/foo", P, false },
		{ "**/foo", "a/.b/c/foo", P | D, true },
		{ "*/*", "dave/.profile", P, false },
		{ "*/*", "dave/.profile", P | D, true },
		{ "*", "a/b", P, false },
		{ "a/*/c", "a/b/c", P, true },
		/* dpl's cache_control/expires globs: DOTMATCH | EXTGLOB */
		{ "{*.css,*.js}", "one.css", D | E, true },
		{ "{*.css,*.js}", "css/site.css", D | E, true },
		{ "{*.css,*.js}", "one.txt", D | E, false },
		{ "{one.css}", "one.css", D | E, true },
		{ "{*.txt}", ".hidden.txt", D | E, true },
		{ "ü*", "übung", 0, true },
		{ "[ä-ü]x", "öx", 0, true },
		{ "a{b", "a{b", E, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool got = rbglob_match(cases[i].pat, cases[i].str,
					cases[i].flags);

		if (got != cases[i].want)
			unit_fail(__FILE__, __LINE__,
				  "fnmatch('%s', '%s', %u) = %d, want %d",
				  cases[i].pat, cases[i].str, cases[i].flags,
				  got, cases[i].want);
		check(got == cases[i].want);
	}
}

void test_rbglob__braces(void)
{
	struct svec v = SVEC_INIT;
	char *j;

	check_ok(rbglob_braces(&v, "a{b,c{d,e}}f{1,2}"));
	j = svec_join(&v, " ");
	check_str(j, "abf1 abf2 acdf1 acdf2 acef1 acef2");
	free(j);
	svec_release(&v);
	check_ok(rbglob_braces(&v, "plain}"));
	check_str(v.v[0], "plain}");
	svec_release(&v);
	check_int(rbglob_braces(&v, "a{b,c"), ==, FY_EINVALID);
	svec_release(&v);
}

static void touch(const char *path)
{
	char *dir = fs_dirname(path);

	fs_mkdir_p(dir, 0755);
	fs_write_file(path, "x", 1, 0644);
	free(dir);
}

static bool glob_is(const char *pattern, unsigned flags, bool files_only,
		    const char *want)
{
	struct svec v = SVEC_INIT;
	char *got;
	bool same;

	if (rbglob_dir(&v, "tree", pattern, flags, files_only) < 0) {
		unit_fail(__FILE__, __LINE__, "glob '%s': %s", pattern,
			  err_msg());
		return false;
	}
	got = svec_join(&v, " ");
	same = !strcmp(got, want);
	if (!same)
		unit_fail(__FILE__, __LINE__, "glob '%s' (%u): '%s', want '%s'",
			  pattern, flags, got, want);
	free(got);
	svec_release(&v);
	return same;
}

/* Dir.glob over a tree with dot files, nesting and a symlink. */
void test_rbglob__dir(void)
{
	struct svec v = SVEC_INIT;

	touch("tree/one.txt");
	touch("tree/two/two.txt");
	touch("tree/two/.h2");
	touch("tree/.hidden.txt");
	touch("tree/.dir/x.txt");
	touch("tree/a/b/c/d.txt");
	touch("tree/sp ace/f{x}.css");
	check_int(symlink("two", "tree/link"), ==, 0);
	check_int(symlink("one.txt", "tree/one-link.txt"), ==, 0);

	check(glob_is("**/*", 0, true,
		      "a/b/c/d.txt one-link.txt one.txt sp ace/f{x}.css "
		      "two/two.txt"));
	check(glob_is("**/*", D, true,
		      ".dir/x.txt .hidden.txt a/b/c/d.txt one-link.txt "
		      "one.txt sp ace/f{x}.css two/.h2 two/two.txt"));
	check(glob_is("**/*", 0, false,
		      "a a/b a/b/c a/b/c/d.txt link one-link.txt one.txt "
		      "sp ace sp ace/f{x}.css two two/two.txt"));
	check(glob_is("two/*", 0, true, "two/two.txt"));
	check(glob_is("*.txt", 0, true, "one-link.txt one.txt"));
	check(glob_is("{one,two/two}.txt", 0, true, "one.txt two/two.txt"));
	check(glob_is("**/d.txt", 0, true, "a/b/c/d.txt"));
	check(glob_is("**/**/d.txt", 0, true, "a/b/c/d.txt"));
	check(glob_is("nope/*", 0, true, ""));
	check(glob_is("link/*", 0, true, "link/two.txt"));
	check(glob_is("a/**", 0, false, "a/b"));
	check(glob_is("*/", 0, false, "a/ link/ sp ace/ two/"));
	check(glob_is("one.txt", 0, true, "one.txt"));
	check(glob_is("sp ace/f\\{x}.css", 0, true, "sp ace/f{x}.css"));
	check(glob_is("two", 0, true, ""));
	check_int(rbglob_dir(&v, "tree", "/etc/*", 0, true), ==, FY_EINVALID);
	check_int(rbglob_dir(&v, "tree", "{a", 0, true), ==, FY_EINVALID);
	check_int(rbglob_dir(&v, "missing", "*", 0, true), ==, FY_ENOTFOUND);
	check_int(v.n, ==, 0);
}
