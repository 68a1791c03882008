/*
 * Unit tests for regex.c: Ruby (Onigmo) semantics on PCRE2.  Every
 * expected result in the table was checked against Ruby's own Regexp.
 */
#include "compat.h"

#include "regex.h"
#include "unit.h"

static const struct {
	const char *pattern, *subject;
	int want; /* 1 match, 0 no match, -1 invalid pattern */
} ruby_cases[] = {
	{ "^ma", "master", 1 },
	{ "^ma", "xma", 0 },
	{ "ma$", "ma\nx", 1 },
	{ "ma$", "max", 0 },
	{ "\\Ama", "x\nma", 0 },
	{ "\\Ama", "ma", 1 },
	{ "ma\\z", "ma\n", 0 },
	{ "ma\\z", "ma", 1 },
	{ "ma\\Z", "ma\n", 1 },
	{ "ma\\Z", "ma\nx", 0 },
	{ "\\h+", "f0", 1 },
	{ "\\h+", "g", 0 },
	{ "\\h+", " ", 0 },
	{ "\\H", "f", 0 },
	{ "\\H", "g", 1 },
	{ "[\\h]", "F", 1 },
	{ "[\\h]", "x", 0 },
	{ "[^\\h]", "x", 1 },
	{ "[^\\h]", "a", 0 },
	{ "\\v", "\x0b", 1 },
	{ "\\v", "\n", 0 },
	{ "\\d", "5", 1 },
	{ "\\d", "\xd9\xa3", 0 },
	{ "\\w", "_", 1 },
	{ "\\w", "\xc3\xa9", 0 },
	{ "\\s", " ", 1 },
	{ "\\s", "\xc2\xa0", 0 },
	{ "[[:alpha:]]", "\xc3\xa9", 1 },
	{ "[[:alpha:]]", "1", 0 },
	{ "[[:digit:]]", "\xd9\xa3", 1 },
	{ "[[:digit:]]", "a", 0 },
	{ "\\b\xc3\xa9", " \xc3\xa9", 1 },
	{ "(?i)MASTER", "master", 1 },
	{ "(?i:a)b", "Ab", 1 },
	{ "(?i:a)b", "AB", 0 },
	{ "a(?i)b|c", "C", 0 },
	{ "a(?i)b|c", "aB", 1 },
	{ "a(?i)b|c", "c", 0 },
	{ "(?m).", "\n", 1 },
	{ ".", "\n", 0 },
	{ "(?s).", "a", -1 },
	{ "(?x) a b # c", "ab", 1 },
	{ "(?x) a b # c", "a b", 0 },
	{ "a{,2}", "aa", 1 },
	{ "x{,2}y", "xxy", 1 },
	{ "x{,2}y", "y", 1 },
	{ "a{2}?", "b", 1 },
	{ "a{2,3}?", "b", 0 },
	{ "a{2,3}?", "aa", 1 },
	{ "\\d{2}?+", "-", 1 },
	{ "a**", "b", 1 },
	{ "a+*", "b", 1 },
	{ "^*", "a", 1 },
	{ "\\b?x", "ax", 1 },
	{ "\\z?a", "a", 1 },
	{ "\\u00e9", "\xc3\xa9", 1 },
	{ "\\u{61 62}", "ab", 1 },
	{ "x\\u{61 62}*", "xa", 1 },
	{ "x\\u{61 62}*", "x", 0 },
	{ "\\xc3\\xa9", "\xc3\xa9", 1 },
	{ "\\x41", "A", 1 },
	{ "\\xff", "a", -1 },
	{ "\\C-a", "\x01", 1 },
	{ "\\y", "y", 1 },
	{ "\\Q.\\E", "Q.E", 1 },
	{ "\\N", "N", 1 },
	{ "\\R", "\r\n", 1 },
	{ "\\R", "\x0b", 1 },
	{ ".{1,3}\\R", "f0\x0b", 1 },
	{ "[a-z[0-9]]", "5", 1 },
	{ "[a-z[0-9]]", "-", 0 },
	{ "[a[^b]]", "b", 0 },
	{ "[a[^b]]", "c", 1 },
	{ "[a-z&&[^aeiou]]", "b", 1 },
	{ "[a-z&&[^aeiou]]", "a", 0 },
	{ "[^a-z&&b]", "b", 0 },
	{ "[^a-z&&b]", "c", 1 },
	{ "[a&&]", "a", 0 },
	{ "[[:a]", "[", -1 },
	{ "[[:ab:]]", "a", -1 },
	{ "[[:alpha]", "a", -1 },
	{ "[[:xyzzyxyzzyxyzzyxyzzyxyzzy:]]", "a", 0 },
	{ "[[:xyzzyxyzzyxyzzyxyzzyxyzzy:]]", "x", 0 },
	{ "[:alpha:]", "a", 1 },
	{ "[:alpha:]", "b", 0 },
	{ "[]a]", "]", 1 },
	{ "[]", "a", -1 },
	{ "[\\d-z]", "-", -1 },
	{ "[\\d-]", "-", 1 },
	{ "[\\d-]", "5", 1 },
	{ "[a-\\d]", "-", -1 },
	{ "[z-a]", "a", -1 },
	{ "+d2$", "d2", -1 },
	{ "*a", "a", -1 },
	{ "a{3,2}", "a", -1 },
	{ "\\", "a", -1 },
	{ "a)", "a", -1 },
	{ "(a", "a", -1 },
	{ "(?s)a", "a", -1 },
	{ "(?~a)", "b", 1 },
	{ "(?P<x>a)", "a", -1 },
	{ "(?<n>a)\\k<n>", "aa", 1 },
	{ "\\k<n>(?<n>a)", "a", -1 },
	{ "(?<n>a)(b)\\2", "abb", -1 },
	{ "(a)\\2", "a", -1 },
	{ "\\1(a)", "aa", 0 },
	{ "(?<=a|bc)d", "bcd", 1 },
	{ "(?<=a+)d", "ad", -1 },
	{ "(?<=\\z)", "a", -1 },
	{ "(?<=\\K)a", "a", 1 },
	{ "(?=a)*", "a", 1 },
	{ "(?#comment)a", "a", 1 },
	{ "/", "/", 1 },
	{ "\\/", "/", 1 },
	{ "^(develop|master|release\\/.*)$", "release/1.0", 1 },
	{ "^(develop|master|release\\/.*)$", "feature/x", 0 },
	{ "^v\\d+\\.\\d+(\\.\\d+)?$", "v1.2", 1 },
	{ "^v\\d+\\.\\d+(\\.\\d+)?$", "v1.2.3", 1 },
	{ "^v\\d+\\.\\d+(\\.\\d+)?$", "v1", 0 },
	{ "[[:word:]]+", "\xc3\xa9", 1 },
	{ "\\p{L}", "\xc3\xa9", 1 },
	{ "\\p{Alpha}", "\xc3\xa9", 1 },
	{ "\\p{^L}", "1", 1 },
	{ "^$", "", 1 },
	{ "^$", "a\n\nb", 1 },
};

void test_regex__ruby_semantics(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(ruby_cases); i++) {
		int got = regex_test(ruby_cases[i].pattern,
				     ruby_cases[i].subject, 0);

		if (got < 0)
			got = -1;
		if (got != ruby_cases[i].want) {
			unit_fail(__FILE__, __LINE__,
				  "/%s/ =~ \"%s\": %d, want %d (%s)",
				  ruby_cases[i].pattern, ruby_cases[i].subject,
				  got, ruby_cases[i].want,
				  got < 0 ? err_msg() : "no error");
			return;
		}
	}
}

void test_regex__error_message(void)
{
	struct regex *re = NULL;

	check_int(regex_compile(&re, "[z-a]", 0), ==, FY_EINVALID);
	check(!strncmp(err_msg(), "invalid regular expression: /[z-a]/: ",
		       strlen("invalid regular expression: /[z-a]/: ")));
	check_int(regex_compile(&re, "(?s)x", 0), ==, FY_EINVALID);
	check(strstr(err_msg(), "/(?s)x/: undefined group option"));
	check(!re);
}

void test_regex__icase_flag(void)
{
	check_int(regex_test("^master$", "MASTER", REGEX_ICASE), ==, 1);
	check_int(regex_test("^master$", "MASTER", 0), ==, 0);
	check_int(regex_test("\xc3\xa9", "\xc3\x89", REGEX_ICASE), ==, 1);
}

void test_regex__search_groups_and_offsets(void)
{
	struct regex *re = NULL;
	size_t ov[6];
	const char *s = "FOO=1 BAR=xy";

	check_ok(regex_compile(&re, "(\\w+)=(\\w*)|(z)", 0));
	check_int(regex_search(re, s, strlen(s), 0, ov, 3), ==, 1);
	check_int(ov[0], ==, 0);
	check_int(ov[1], ==, 5);
	check_int(ov[2], ==, 0);
	check_int(ov[3], ==, 3);
	check_int(ov[4], ==, 4);
	check_int(ov[5], ==, 5);
	check_int(regex_search(re, s, strlen(s), 5, ov, 3), ==, 1);
	check_int(ov[2], ==, 6);
	check_int(regex_search(re, s, strlen(s), 12, ov, 3), ==, 0);
	check_int(regex_search(re, "z", 1, 0, ov, 3), ==, 1);
	check(ov[2] == REGEX_UNSET && ov[4] == REGEX_UNSET);
	check_str(regex_source(re), "(\\w+)=(\\w*)|(z)");
	regex_free(re);
	regex_free(NULL);
}

/* Subjects may hold NUL bytes and invalid UTF-8; matching still works. */
void test_regex__binary_subjects(void)
{
	struct regex *re = NULL;

	check_ok(regex_compile(&re, "b$", 0));
	check_int(regex_match(re, "a\0b", 3), ==, 1);
	check_int(regex_match(re, "\xff\xfe b", 4), ==, 1);
	check_int(regex_match(re, "\xff", 1), ==, 0);
	regex_free(re);
}

/* Catastrophic backtracking ends in an error, not a hang. */
void test_regex__match_limit(void)
{
	char s[64];

	memset(s, 'a', sizeof(s) - 2);
	s[sizeof(s) - 2] = 'b';
	s[sizeof(s) - 1] = '\0';
	check_int(regex_test("^(a|a)*$", s, 0), <, 0);
}
