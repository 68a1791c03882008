/*
 * Unit tests for envvar.c.  The sh_vars and travis-build tables restate
 * the upstream specs (sh_vars spec/sh_vars_spec.rb, travis-build
 * spec/build/env/var_spec.rb) case by case; the other tables are ours,
 * each result checked against sh_vars itself.
 */
#include "compat.h"

#include "buf.h"
#include "envvar.h"
#include "unit.h"
#include "val.h"

struct env_case {
	const char *in;
	bool fails;
	const char *want[16]; /* name, value, name, value, ..., NULL */
};

/* Compare one parsed map with a NULL-terminated name/value list. */
static bool env_map_is(const struct val *map, const char *const *want,
		       const char *in)
{
	size_t n = 0;

	for (; want[n]; n += 2) {
		const struct val_pair *p;

		if (n / 2 >= map->map.n) {
			unit_fail(__FILE__, __LINE__, "'%s': missing '%s'", in,
				  want[n]);
			return false;
		}
		p = &map->map.v[n / 2];
		if (strcmp(p->key, want[n]) || !val_strv(p->v) ||
		    strcmp(val_strv(p->v), want[n + 1])) {
			unit_fail(__FILE__, __LINE__,
				  "'%s': pair %zu is '%s'='%s', want '%s'='%s'",
				  in, n / 2, p->key,
				  val_strv(p->v) ? val_strv(p->v) : "(?)",
				  want[n], want[n + 1]);
			return false;
		}
	}
	if (map->map.n != n / 2) {
		unit_fail(__FILE__, __LINE__, "'%s': %zu pairs, want %zu", in,
			  map->map.n, n / 2);
		return false;
	}
	return true;
}

static void env_check_cases(const struct env_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct val *map = NULL;
		int err = envvar_parse(&map, cases[i].in);

		if (cases[i].fails) {
			if (err != FY_EINVALID) {
				unit_fail(__FILE__, __LINE__,
					  "'%s' parsed, want an error",
					  cases[i].in);
				val_free(map);
				return;
			}
			continue;
		}
		if (err < 0) {
			unit_fail(__FILE__, __LINE__, "'%s': %s", cases[i].in,
				  err_msg());
			return;
		}
		if (!env_map_is(map, cases[i].want, cases[i].in)) {
			val_free(map);
			return;
		}
		val_free(map);
	}
}

/* sh_vars spec/sh_vars_spec.rb, every case. */
static const struct env_case sh_vars_spec[] = {
	{ "FOO", false, { "FOO", "", NULL } },
	{ "FOO= BAR=bar", false, { "FOO", "", "BAR", "bar", NULL } },
	{ "FOO= BAR=", false, { "FOO", "", "BAR", "", NULL } },
	{ "FOO=foo=bar", false, { "FOO", "foo=bar", NULL } },
	{ "FOO=foo BAR=bar BAZ=baz",
	  false,
	  { "FOO", "foo", "BAR", "bar", "BAZ", "baz", NULL } },
	{ "FOO=\"foo foo\" BAR=\"bar bar\"",
	  false,
	  { "FOO", "\"foo foo\"", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=foo\"bar\"baz\"buz\"",
	  false,
	  { "FOO", "foo\"bar\"baz\"buz\"", NULL } },
	{ "FOO=\"foo\"bar", false, { "FOO", "\"foo\"bar", NULL } },
	{ "FOO='foo foo' BAR='bar bar'",
	  false,
	  { "FOO", "'foo foo'", "BAR", "'bar bar'", NULL } },
	{ "FOO='foo foo' BAR=bar",
	  false,
	  { "FOO", "'foo foo'", "BAR", "bar", NULL } },
	{ "FOO=foo'bar'baz'buz'", false, { "FOO", "foo'bar'baz'buz'", NULL } },
	{ "FOO='foo'bar'baz'buz", false, { "FOO", "'foo'bar'baz'buz", NULL } },
	{ "FOO='foo''bar'", false, { "FOO", "'foo''bar'", NULL } },
	{ "FOO='foo foo' BAR='bar bar'",
	  false,
	  { "FOO", "'foo foo'", "BAR", "'bar bar'", NULL } },
	{ "FOO='foo foo' BAR=\"bar bar\"",
	  false,
	  { "FOO", "'foo foo'", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=\"foo foo\" BAR=bar",
	  false,
	  { "FOO", "\"foo foo\"", "BAR", "bar", NULL } },
	{ "FOO=\"foo foo\" BAR=\"bar bar\"",
	  false,
	  { "FOO", "\"foo foo\"", "BAR", "\"bar bar\"", NULL } },
	{ "FOO='\"foo foo\" foo' BAR='\"bar bar\" bar'",
	  false,
	  { "FOO", "'\"foo foo\" foo'", "BAR", "'\"bar bar\" bar'", NULL } },
	{ "FOO=\"'foo foo' foo\" BAR=\"'bar bar' bar\"",
	  false,
	  { "FOO", "\"'foo foo' foo\"", "BAR", "\"'bar bar' bar\"", NULL } },
	{ "FOO=foo\\\"bar", false, { "FOO", "foo\\\"bar", NULL } },
	{ "FOO=\"\\\"foo\\\" bar\"",
	  false,
	  { "FOO", "\"\\\"foo\\\" bar\"", NULL } },
	{ "FOO=\"\\\"\\\\\"foo bar\\\\\"\\\" baz\"",
	  false,
	  { "FOO", "\"\\\"\\\\\"foo bar\\\\\"\\\" baz\"", NULL } },
	{ "\"FOO='foo'\"", false, { "FOO", "'foo'", NULL } },
	{ "\"FOO=\\\"foo\\\"\"", false, { "FOO", "\"foo\"", NULL } },
	{ "\"FOO=\\\"\\\\\"foo\\\\\"\\\"\"",
	  false,
	  { "FOO", "\"\\\"foo\\\"\"", NULL } },
	{ "\"FOO=\\\"\\\\\"\\\\\\\\\"foo\\\\\\\\\"\\\\\"\\\"\"",
	  false,
	  { "FOO", "\"\\\"\\\\\"foo\\\\\"\\\"\"", NULL } },
	{ "$var BAR=\"bar bar\"",
	  false,
	  { "$var", "", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=$var BAR=\"bar bar\"",
	  false,
	  { "FOO", "$var", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=\"$var\" BAR=\"bar bar\"",
	  false,
	  { "FOO", "\"$var\"", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=$var bar BAR=\"bar bar\"",
	  false,
	  { "FOO", "$var", "bar", "", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=$ BAR=\"bar bar\"",
	  false,
	  { "FOO", "$", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=\\$foo", false, { "FOO", "\\$foo", NULL } },
	{ "`cmd`", false, { "`cmd`", "", NULL } },
	{ "foo`cmd`bar", false, { "foo`cmd`bar", "", NULL } },
	{ "FOO=`cmd`", false, { "FOO", "`cmd`", NULL } },
	{ "FOO=`\"$(cmd -r)\"`", false, { "FOO", "`\"$(cmd -r)\"`", NULL } },
	{ "FOO=foo`cmd`bar", false, { "FOO", "foo`cmd`bar", NULL } },
	{ "$(cmd)", false, { "$(cmd)", "", NULL } },
	{ "foo$(cmd)bar", false, { "foo$(cmd)bar", "", NULL } },
	{ "FOO=$(cmd)", false, { "FOO", "$(cmd)", NULL } },
	{ "FOO=$(cmd -r)", false, { "FOO", "$(cmd -r)", NULL } },
	{ "FOO=$(cmd $(cmd $(cmd -r)))",
	  false,
	  { "FOO", "$(cmd $(cmd $(cmd -r)))", NULL } },
	{ "FOO=\"$(cmd $(cmd $(cmd -r)))\"",
	  false,
	  { "FOO", "\"$(cmd $(cmd $(cmd -r)))\"", NULL } },
	{ "FOO=\"$(cmd \\\"$(cmd $(cmd -r))\\\")\"",
	  false,
	  { "FOO", "\"$(cmd \\\"$(cmd $(cmd -r))\\\")\"", NULL } },
	{ "FOO=$(`$(`cmd -r`)`)", false, { "FOO", "$(`$(`cmd -r`)`)", NULL } },
	{ "FOO=${var}", false, { "FOO", "${var}", NULL } },
	{ "FOO=${var}foo", false, { "FOO", "${var}foo", NULL } },
	{ "FOO=\"foo\\\"bar\"", false, { "FOO", "\"foo\\\"bar\"", NULL } },
	{ "FOO=FOO:`cmd -r`bar", false, { "FOO", "FOO:`cmd -r`bar", NULL } },
	{ "FOO=`cmd -r`", false, { "FOO", "`cmd -r`", NULL } },
	{ "FOO=foo`cmd -r`", false, { "FOO", "foo`cmd -r`", NULL } },
	{ "FOO=foo$(cmd -r)", false, { "FOO", "foo$(cmd -r)", NULL } },
	{ "FOO=foo$($(cmd -r))", false, { "FOO", "foo$($(cmd -r))", NULL } },
	{ "FOO=foo$(\"$(cmd -r)\")",
	  false,
	  { "FOO", "foo$(\"$(cmd -r)\")", NULL } },
	{ "FOO=\"$(FOO)\"", false, { "FOO", "\"$(FOO)\"", NULL } },
	{ "FOO=\"$(\\\"${FOO}\\\")\"",
	  false,
	  { "FOO", "\"$(\\\"${FOO}\\\")\"", NULL } },
	{ "FOO=foo\"$(cmd \\\"${FOO}\\\" {} \\;)\"",
	  false,
	  { "FOO", "foo\"$(cmd \\\"${FOO}\\\" {} \\;)\"", NULL } },
	{ "FOO=-foo$((1+${bar}))",
	  false,
	  { "FOO", "-foo$((1+${bar}))", NULL } },
	{ "FOO=$(cmd foo)", false, { "FOO", "$(cmd foo)", NULL } },
	{ "FOO=http://$BAR:80", false, { "FOO", "http://$BAR:80", NULL } },
	{ "FOO=\"\\foo \\bar\"", false, { "FOO", "\"\\foo \\bar\"", NULL } },
	{ "= FOO", true, { NULL } },
	{ "==FOO== FOO=foo", true, { NULL } },
	{ "FOO='", true, { NULL } },
	{ "FOO=\"", true, { NULL } },
	{ "FOO=\"\\\"", true, { NULL } },
	{ "FOO=\"\\\" ", true, { NULL } },
	{ "FOO=\"\\\" BAR=bar", true, { NULL } },
	{ "FOO=foo\"bar", true, { NULL } },
};

void test_envvar__sh_vars_spec(void)
{
	env_check_cases(sh_vars_spec, ARRAY_SIZE(sh_vars_spec));
}

/* Our own cases: spacing, duplicates, unclosed groups, nesting, errors. */
static const struct env_case own_cases[] = {
	{ "A=1   B=2", false, { "A", "1", "B", "2", NULL } },
	{ "MSG=\"two words\" X=y",
	  false,
	  { "MSG", "\"two words\"", "X", "y", NULL } },
	{ "  P='$HOME' Q=", false, { "P", "'$HOME'", "Q", "", NULL } },
	{ "FOO=\"it's\" BAR=`echo \"hi\"`",
	  false,
	  { "FOO", "\"it's\"", "BAR", "`echo \"hi\"`", NULL } },
	{ "\"FOO=bar\"", false, { "FOO", "bar", NULL } },
	{ "\"=x\" rest", false, { "rest", "", NULL } },
	{ "\"FOO\"", false, { "FOO", "", NULL } },
	{ "FOO=a\"$(cmd)\"b", false, { "FOO", "a\"$(cmd)\"b", NULL } },
	{ "FOO=$(cmd) BAR=x", false, { "FOO", "$(cmd) BAR=x", NULL } },
	{ "FOO=${A:-$(b c)} D=e", false, { "FOO", "${A:-$(b c)} D=e", NULL } },
	{ "FOO=$(a \"b c\") D=e", false, { "FOO", "$(a \"b c\") D=e", NULL } },
	{ "FOO=\"\\\"nested\\\" \\\\\"deep\\\\\" end\"",
	  false,
	  { "FOO", "\"\\\"nested\\\" \\\\\"deep\\\\\" end\"", NULL } },
	{ "FOO=x\\ y", false, { "FOO", "x\\ y", NULL } },
	{ "FOO=x\\", false, { "FOO", "x\\", NULL } },
	{ "FOO=a'b c'd", false, { "FOO", "a'b c'd", NULL } },
	{ "FOO='a''b' BAR=\"c\"\"d\"",
	  false,
	  { "FOO", "'a''b'", "BAR", "\"c\"\"d\"", NULL } },
	{ "FOO=\xc3\xa9 BAR=\xc3\xbc",
	  false,
	  { "FOO", "\xc3\xa9", "BAR", "\xc3\xbc", NULL } },
	{ "FOO=1 FOO=2 BAR=3", false, { "FOO", "2", "BAR", "3", NULL } },
	{ "FOO=1", false, { "FOO", "1", NULL } },
	{ "BAR=2", false, { "BAR", "2", NULL } },
	{ "A=1\tB=2", false, { "A", "1", "B", "2", NULL } },
	{ "X", false, { "X", "", NULL } },
	{ "a b c", false, { "a", "", "b", "", "c", "", NULL } },
	{ "FOO=`a`b`c`", false, { "FOO", "`a`b`c`", NULL } },
	{ "FOO=\"$(echo \")\")\"",
	  false,
	  { "FOO", "\"$(echo \")\")\"", NULL } },
	{ "FOO=\"a\\b\"", false, { "FOO", "\"a\\b\"", NULL } },
	{ "FOO=\"a", true, { NULL } }, /* expected " at position 6 */
	{ "b\"", false, { "b\"", "", NULL } },
	{ "FOO=${", false, { "FOO", "${", NULL } },
	{ "FOO=$(", false, { "FOO", "$(", NULL } },
	{ "\"FOO=\\\\\"", true, { NULL } }, /* expected \\" at position 8 */
	{ "FOO=a\"b", true, { NULL } },	    /* expected " at position 7 */
	{ "FOO='a", true, { NULL } },	    /* expected ' at position 6 */
	{ "FOO=`a", true, { NULL } },	    /* expected ` at position 6 */
	{ "FOO=\"\\\\\" BAR=x",
	  true,
	  { NULL } },		 /* expected \\" at position 14 */
	{ "=", true, { NULL } }, /* expected end of string at position 0 */
	{ "A=1 = B=2",
	  true,
	  { NULL } }, /* expected end of string at position 4 */
	{ "FOO=\"a\"'b", true, { NULL } }, /* expected ' at position 9 */
	{ "FOO=\"a\nb\"", false, { "FOO", "\"a\nb\"", NULL } },
	{ "FOO=1\nBAR=2", false, { "FOO", "1", "BAR", "2", NULL } },
	{ "  \n ", false, { NULL } },
	{ "", false, { NULL } },
	{ "FOO=\"a\\\\\nb\"", false, { "FOO", "\"a\\\\\nb\"", NULL } },
};

void test_envvar__own_cases(void)
{
	env_check_cases(own_cases, ARRAY_SIZE(own_cases));
}

void test_envvar__error_says_where(void)
{
	struct val *map = NULL;

	check_int(envvar_parse(&map, "FOO=\"a"), ==, FY_EINVALID);
	check(strstr(err_msg(), "expected \" at position 6"));
	check_int(envvar_parse(&map, "A=1 = B=2"), ==, FY_EINVALID);
	check(strstr(err_msg(), "expected end of string at position 4"));
	check_int(envvar_parse(&map, "FOO=`a"), ==, FY_EINVALID);
	check(strstr(err_msg(), "expected ` at position 6"));
	check(!map);
}

void test_envvar__deep_nesting_is_an_error(void)
{
	struct buf b = BUF_INIT;
	struct val *map = NULL;

	buf_addstr(&b, "FOO=");
	for (int i = 0; i < 5000; i++)
		buf_addstr(&b, "$(");
	check_int(envvar_parse(&map, b.ptr), ==, FY_EINVALID);
	buf_release(&b);
}

/* travis-build spec/build/env/var_spec.rb, every `parse` case. */
static const struct env_case build_spec[] = {
	{ "SECURE FOO=foo BAR=bar",
	  true,
	  { "FOO", "foo", "BAR", "bar", NULL } },
	{ "FOO=foo BAR=bar", false, { "FOO", "foo", "BAR", "bar", NULL } },
	{ "FOO=\"\" BAR=bar", false, { "FOO", "\"\"", "BAR", "bar", NULL } },
	{ "FOO=\"foo\" BAR=bar",
	  false,
	  { "FOO", "\"foo\"", "BAR", "bar", NULL } },
	{ "FOO=\"foo\" BAR=\"bar\"",
	  false,
	  { "FOO", "\"foo\"", "BAR", "\"bar\"", NULL } },
	{ "FOO='' BAR=bar", false, { "FOO", "''", "BAR", "bar", NULL } },
	{ "FOO= BAR=bar", false, { "FOO", "", "BAR", "bar", NULL } },
	{ "FOO= BAR=", false, { "FOO", "", "BAR", "", NULL } },
	{ "FOO='foo' BAR=bar", false, { "FOO", "'foo'", "BAR", "bar", NULL } },
	{ "FOO='foo' BAR='bar'",
	  false,
	  { "FOO", "'foo'", "BAR", "'bar'", NULL } },
	{ "FOO='foo' BAR=\"bar\"",
	  false,
	  { "FOO", "'foo'", "BAR", "\"bar\"", NULL } },
	{ "FOO=\"foo foo\" BAR=bar",
	  false,
	  { "FOO", "\"foo foo\"", "BAR", "bar", NULL } },
	{ "FOO=\"foo foo\" BAR=\"bar bar\"",
	  false,
	  { "FOO", "\"foo foo\"", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=\"$var\" BAR=\"bar bar\"",
	  false,
	  { "FOO", "\"$var\"", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=$var BAR=\"bar bar\"",
	  false,
	  { "FOO", "$var", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=$(command) BAR=\"bar bar\"",
	  false,
	  { "FOO", "$(command)", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=${NAME} BAR=\"bar bar\"",
	  false,
	  { "FOO", "${NAME}", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=${NAME}STUFF BAR=\"bar bar\"",
	  false,
	  { "FOO", "${NAME}STUFF", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=$ BAR=\"bar bar\"",
	  false,
	  { "FOO", "$", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=comm=bar BAR=\"bar bar\"",
	  false,
	  { "FOO", "comm=bar", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=$comm bar BAR=\"bar bar\"",
	  false,
	  { "FOO", "$comm", "BAR", "\"bar bar\"", NULL } },
	{ "FOO=\"foo\\\"bar\" BAR=\"bar bar\"",
	  false,
	  { "FOO", "\"foo\\\"bar\"", "BAR", "\"bar bar\"", NULL } },
	{ "APP_URL=http://$APP_HOST:8080 BAR=\"bar bar\"",
	  false,
	  { "APP_URL", "http://$APP_HOST:8080", "BAR", "\"bar bar\"", NULL } },
	{ "PATH=FOO:`pwd`/bin BAR=\"bar bar\"",
	  false,
	  { "PATH", "FOO:`pwd`/bin", "BAR", "\"bar bar\"", NULL } },
	{ "KERNEL=`uname -r` BAR=\"bar bar\"",
	  false,
	  { "KERNEL", "`uname -r`", "BAR", "\"bar bar\"", NULL } },
	{ "KERNEL=a`uname -r` BAR=\"bar bar\"",
	  false,
	  { "KERNEL", "a`uname -r`", "BAR", "\"bar bar\"", NULL } },
	{ "KERNEL=a$(uname -r) BAR=\"bar bar\"",
	  false,
	  { "KERNEL", "a$(uname -r)", "BAR", "\"bar bar\"", NULL } },
	{ "KERNEL=a\"$(find \\\"${TRAVIS_HOME}\\\" {} \\;)\" BAR=\"bar bar\"",
	  false,
	  { "KERNEL", "a\"$(find \\\"${TRAVIS_HOME}\\\" {} \\;)\"", "BAR",
	    "\"bar bar\"", NULL } },
	{ "CAT_VERSION=$(cat VERSION)",
	  false,
	  { "CAT_VERSION", "$(cat VERSION)", NULL } },
	{ "SECURE_VAR=value BAR=\"bar bar\"",
	  false,
	  { "SECURE_VAR", "value", "BAR", "\"bar bar\"", NULL } },
};

void test_envvar__build_spec(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(build_spec); i++) {
		struct val *map = NULL;
		bool secure = !build_spec[i].fails;

		check_ok(envvar_parse_build(&map, build_spec[i].in, &secure));
		check_int(secure, ==, build_spec[i].fails);
		if (!env_map_is(map, build_spec[i].want, build_spec[i].in)) {
			val_free(map);
			return;
		}
		val_free(map);
	}
}

/* Var.parse never fails: what it cannot read it skips. */
void test_envvar__build_skips_what_it_cannot_read(void)
{
	static const struct env_case cases[] = {
		{ "", false, { NULL } },
		{ "no pairs here", false, { NULL } },
		{ "FOO=\"unclosed BAR=bar", false, { "BAR", "bar", NULL } },
		{ "=x A=1", false, { "A", "1", NULL } },
		{ "A-B=1 C=2", false, { "B", "1", "C", "2", NULL } },
		{ "FOO=", false, { "FOO", "", NULL } },
		{ "x\nSECURE A=1", true, { "A", "1", NULL } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *map = NULL;
		bool secure = false;

		check_ok(envvar_parse_build(&map, cases[i].in, &secure));
		check_int(secure, ==, cases[i].fails);
		if (!env_map_is(map, cases[i].want, cases[i].in)) {
			val_free(map);
			return;
		}
		val_free(map);
	}
}

void test_envvar__unquote(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "\"foo\"", "foo" },
		{ "'foo'", "foo" },
		{ "\"\"", "" },
		{ "\"foo", "\"foo" },
		{ "foo\"", "foo\"" },
		{ "'foo", "'foo" },
		{ "foo'", "foo'" },
		{ "\"foo'", "\"foo'" },
		{ "\"", "\"" },
		{ "", "" },
		{ "\"a\" \"b\"", "a\" \"b" },
		{ "x\n'y'", "y" },
		{ "\"a\"\n'b'", "a" },
		{ "`a`", "`a`" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = envvar_unquote(cases[i].in);

		check_str(got, cases[i].want);
		free(got);
	}
}
