#include "compat.h"

#include <pthread.h>

#include "buf.h"
#include "mask.h"
#include "unit.h"
#include "xalloc.h"

/*
 * The reference: mark every byte inside an occurrence of a pattern (found
 * by plain memmem), link the bytes each occurrence spans, then write one
 * "[secure]" per linked group.  Deliberately naive and independent of the
 * automaton.
 */
static void ref_mask(const struct mask_set *set, const char *s, size_t n,
		     struct buf *out)
{
	bool *cov = xcalloc(n + 1, 1), *link = xcalloc(n + 1, 1);
	const char *pat;
	size_t plen;

	for (size_t i = 0; (pat = mask_set_pattern(set, i, &plen)); i++) {
		const char *p = s, *end = s + n, *hit;

		while ((hit = memmem(p, (size_t)(end - p), pat, plen))) {
			size_t at = (size_t)(hit - s);

			for (size_t k = at; k < at + plen; k++) {
				cov[k] = true;
				if (k + 1 < at + plen)
					link[k] = true;
			}
			p = hit + 1;
		}
	}
	for (size_t k = 0; k < n; k++) {
		if (!cov[k])
			buf_addch(out, s[k]);
		else if (!k || !link[k - 1])
			buf_addstr(out, MASK_TOKEN);
	}
	free(cov);
	free(link);
}

static struct mask_set *set_of(const char *const *secrets)
{
	struct mask_set *set = NULL;
	size_t n = 0;

	while (secrets[n])
		n++;
	if (mask_set_new(&set, secrets, n) < 0)
		return NULL;
	return set;
}

/* Feed `s` cut at the given offsets (ascending, ending with len). */
static void feed_cuts(const struct mask_set *set, const char *s,
		      const size_t *cuts, size_t ncuts, struct buf *out)
{
	struct mask *m = mask_new(set);
	size_t at = 0;

	for (size_t i = 0; i < ncuts; i++) {
		mask_feed(m, s + at, cuts[i] - at, out);
		at = cuts[i];
	}
	mask_finish(m, out);
	mask_free(m);
}

static const struct {
	const char *secrets[5];
	const char *in, *want;
} mask_cases[] = {
	/* travis-build spec/filter_spec.rb */
	{ { "baz" }, "foobar", "foobar" },
	{ { "foobar", "baz" }, "foobar foobaz", "[secure] foo[secure]" },
	{ { "foobar", "foo" }, "foobar foobaz", "[secure] [secure]baz" },
	{ { "foo", "foobar" }, "foobar foobaz", "[secure] [secure]baz" },
	{ { "a", "bc", "def" }, "abcdef", "abc[secure]" },
	/* where Travis misses, ferry does not */
	{ { "aab" }, "aaab", "a[secure]" },
	{ { "abab" }, "abababab", "[secure]" },
	{ { "abcd", "cdef" }, "xabcdefx", "x[secure]x" },
	{ { "password", "ass" }, "my password!", "my [secure]!" },
	{ { "ass", "password" }, "pass word", "p[secure] word" },
	/* repeated on one line, adjacent, at the edges */
	{ { "s3cr3t" },
	  "s3cr3t and s3cr3t, s3cr3ts3cr3t",
	  "[secure] and [secure], [secure][secure]" },
	{ { "abc" }, "abcabc", "[secure][secure]" },
	{ { "abc" }, "ab", "ab" },
	{ { "abc" }, "", "" },
	{ { "abc" }, "xxab\nabc\n", "xxab\n[secure]\n" },
	/* a long secret whose prefix repeats */
	{ { "aaaaaaaaab" },
	  "aaaaaaaaaaaaaaaaab aaaa",
	  "aaaaaaaa[secure] aaaa" },
	/* chains of overlaps merge into one group */
	{ { "abc", "cde", "efg" }, "abcdefg abcde", "[secure] [secure]" },
	{ { "abc", "bcd", "cde" }, "abcde", "[secure]" },
	/* shorter than 3 characters: ignored, as Travis does */
	{ { "ab", "x" }, "ab x xab", "ab x xab" },
	{ { "\xc3\xa9\xc3\xa9" }, "\xc3\xa9\xc3\xa9", "\xc3\xa9\xc3\xa9" },
	{ { "\xc3\xa9\xc3\xa9\xc3\xa9" },
	  "[\xc3\xa9\xc3\xa9\xc3\xa9]",
	  "[[secure]]" },
	/* the shell-unescaped form is masked too */
	{ { "\"two words\"" },
	  "$ echo \"two words\"\ntwo words\n",
	  "$ echo [secure]\n[secure]\n" },
	{ { "p\\$ss\\ word" }, "p$ss word p\\$ss\\ word", "[secure] [secure]" },
	{ { "'it'\\''s ok'" }, "it's ok", "[secure]" },
	/* a secret that contains the replacement */
	{ { "[secure]" }, "[secure][secure]", "[secure][secure]" },
};

void test_mask__cases_whole_and_every_two_cuts(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(mask_cases); i++) {
		struct mask_set *set = set_of(mask_cases[i].secrets);
		const char *in = mask_cases[i].in;
		size_t n = strlen(in);
		struct buf got = BUF_INIT;

		check(set);
		mask_string(set, in, n, &got);
		if (strcmp(got.ptr, mask_cases[i].want))
			unit_fail(__FILE__, __LINE__, "case %zu: got '%s'", i,
				  got.ptr);
		/* every pair of cut points, including empty chunks */
		for (size_t a = 0; a <= n; a++) {
			for (size_t b = a; b <= n; b++) {
				size_t cuts[3] = { a, b, n };

				buf_reset(&got);
				feed_cuts(set, in, cuts, 3, &got);
				if (strcmp(got.ptr, mask_cases[i].want)) {
					unit_fail(__FILE__, __LINE__,
						  "case %zu cut %zu,%zu: '%s'",
						  i, a, b, got.ptr);
					break;
				}
			}
		}
		buf_release(&got);
		mask_set_free(set);
	}
}

void test_mask__byte_by_byte(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(mask_cases); i++) {
		struct mask_set *set = set_of(mask_cases[i].secrets);
		struct mask *m = mask_new(set);
		const char *in = mask_cases[i].in;
		struct buf got = BUF_INIT;

		for (size_t k = 0; in[k]; k++) {
			mask_feed(m, in + k, 1, &got);
			check(!mask_held(m) ||
			      mask_held(m) < mask_set_max_len(set));
		}
		mask_finish(m, &got);
		check_str(got.ptr, mask_cases[i].want);
		buf_release(&got);
		mask_free(m);
		mask_set_free(set);
	}
}

/* Bytes come out as soon as they cannot start a secret. */
void test_mask__holds_only_possible_starts(void)
{
	static const char *const secrets[] = { "hunter2", "2fa-code", NULL };
	static const struct {
		const char *feed, *out;
		size_t held;
	} steps[] = {
		{ "login: hun", "login: ", 3 },
		{ "t", "", 4 },
		{ "x", "huntx", 0 },
		{ " hunter", " ", 6 },
		{ "2", "[secure]", 1 }, /* "2" may start "2fa-code" */
		{ "fa", "", 3 },
		{ "-cod", "", 7 },
		{ "E", "fa-codE", 0 }, /* that "2" ended hunter2 */
		{ "2fa-code\n", "[secure]\n", 0 },
		{ "hunter", "", 6 },
	};
	struct mask_set *set = set_of(secrets);
	struct mask *m = mask_new(set);
	struct buf got = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		buf_reset(&got);
		mask_feed(m, steps[i].feed, strlen(steps[i].feed), &got);
		check_str(got.ptr, steps[i].out);
		check_int(mask_held(m), ==, steps[i].held);
	}
	buf_reset(&got);
	mask_finish(m, &got);
	check_str(got.ptr, "hunter");
	check_int(mask_held(m), ==, 0);
	/* the stream starts afresh after mask_finish() */
	buf_reset(&got);
	mask_feed(m, "unter2", 6, &got);
	mask_finish(m, &got);
	check_str(got.ptr, "unter2");
	buf_release(&got);
	mask_free(m);
	mask_set_free(set);
}

void test_mask__unescape(void)
{
	static const struct {
		const char *in, *want; /* want NULL: no form */
	} cases[] = {
		{ "plain", "plain" },
		{ "a\\ b", "a b" },
		{ "a\\$b\\\\c", "a$b\\c" },
		{ "'single $x \\n'", "single $x \\n" },
		{ "\"dq \\$x \\a \\\" \\\\\"", "dq $x \\a \" \\" },
		{ "'it'\\''s'", "it's" },
		{ "  lots   of\tblanks  ", "lots of blanks" },
		{ "a '' b", "a  b" },
		{ "abc #comment", "abc" },
		{ "abc#notcomment", "abc#notcomment" },
		{ "ab\\\ncd", "abcd" },
		{ "\"ab\\\ncd\"", "abcd" },
		{ "$HOME/`x`", "$HOME/`x`" },
		{ "trailing\\", "trailing\\" },
		{ "'open", NULL },
		{ "\"open", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf got = BUF_INIT;
		bool ok = mask_unescape(&got, cases[i].in);

		if (!cases[i].want) {
			check(!ok);
		} else {
			check(ok);
			check_str(got.ptr, cases[i].want);
		}
		buf_release(&got);
	}
}

void test_mask__patterns_are_deduplicated_and_filtered(void)
{
	static const char *const secrets[] = {
		"abc", "abc", "'abc'", "ab", "'ab'", "\"a b\"", "'xy", NULL
	};
	struct mask_set *set = set_of(secrets);
	const char *p;
	size_t len;

	check(set);
	/* abc, 'abc', 'ab' (its form "ab" is too short), "a b", a b, 'xy */
	check_int(mask_set_count(set), ==, 6);
	p = mask_set_pattern(set, 0, &len);
	check(len == 3 && !memcmp(p, "abc", 3));
	check(!mask_set_pattern(set, 6, &len));
	check_int(mask_set_max_len(set), ==, 5);
	mask_set_free(set);
}

void test_mask__no_secrets_pass_through(void)
{
	static const char *const none[] = { NULL };
	struct mask_set *set = set_of(none);
	struct buf got = BUF_INIT;

	check(set);
	mask_string(set, "anything", 8, &got);
	mask_string(NULL, " at all", 7, &got);
	check_str(got.ptr, "anything at all");
	buf_release(&got);
	mask_set_free(set);
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random secrets and texts over a tiny alphabet, so that they overlap. */
void test_mask__random_against_reference(void)
{
	static const char alpha[] = "aab'\" \\c";

	for (int iter = 0; iter < 3000; iter++) {
		char secrets[6][12], text[200];
		const char *sv[6];
		size_t ns = 1 + rnd() % 5, n = rnd() % sizeof(text);
		struct mask_set *set = NULL;
		struct buf want = BUF_INIT, got = BUF_INIT;
		size_t cuts[200], ncuts = 0, at = 0;

		for (size_t i = 0; i < ns; i++) {
			size_t len = 1 + rnd() % (sizeof(secrets[i]) - 1);

			for (size_t k = 0; k < len; k++)
				secrets[i][k] =
					alpha[rnd() % (sizeof(alpha) - 1)];
			secrets[i][len] = '\0';
			sv[i] = secrets[i];
		}
		for (size_t k = 0; k < n; k++)
			text[k] = alpha[rnd() % (sizeof(alpha) - 1)];
		/* plant some secrets whole */
		for (size_t i = 0; i < ns && n > 12; i++) {
			size_t len = strlen(sv[i]), where = rnd() % (n - len);

			memcpy(text + where, sv[i], len);
		}
		while (at < n) {
			at += 1 + rnd() % (iter % 3 ? 9 : 1);
			cuts[ncuts++] = at < n ? at : n;
		}
		check_ok(mask_set_new(&set, sv, ns));
		ref_mask(set, text, n, &want);
		feed_cuts(set, text, cuts, ncuts, &got);
		if (got.len != want.len || memcmp(got.ptr, want.ptr, got.len)) {
			unit_fail(__FILE__, __LINE__, "iteration %d: '%.*s'",
				  iter, (int)n, text);
			return;
		}
		buf_release(&want);
		buf_release(&got);
		mask_set_free(set);
	}
}

/* Many secrets at once, over a larger text with every byte value. */
void test_mask__many_secrets(void)
{
	enum { NSEC = 500, SLEN = 24, TLEN = 1 << 18 };
	char **secrets = xcalloc(NSEC, sizeof(*secrets));
	char *text = xmalloc(TLEN);
	struct mask_set *set = NULL;
	struct buf want = BUF_INIT, got = BUF_INIT;
	struct mask *m;
	size_t at = 0;

	for (size_t i = 0; i < NSEC; i++) {
		secrets[i] = xmalloc(SLEN + 1);
		for (size_t k = 0; k < SLEN; k++)
			secrets[i][k] = (char)('!' + rnd() % 90);
		secrets[i][SLEN] = '\0';
	}
	for (size_t k = 0; k < TLEN; k++)
		text[k] = (char)(1 + rnd() % 255);
	for (size_t i = 0; i < 2000; i++) {
		const char *s = secrets[rnd() % NSEC];
		size_t len = SLEN - rnd() % 3; /* also near misses */

		memcpy(text + rnd() % (TLEN - SLEN), s, len);
	}
	check_ok(mask_set_new(&set, (const char *const *)secrets, NSEC));
	ref_mask(set, text, TLEN, &want);
	m = mask_new(set);
	while (at < TLEN) {
		size_t len = 1 + rnd() % 5000;

		if (len > TLEN - at)
			len = TLEN - at;
		mask_feed(m, text + at, len, &got);
		at += len;
	}
	mask_finish(m, &got);
	check_int(got.len, ==, want.len);
	check(!memcmp(got.ptr, want.ptr, got.len));
	check(want.len != TLEN); /* the test did mask something */
	mask_free(m);
	mask_set_free(set);
	for (size_t i = 0; i < NSEC; i++)
		free(secrets[i]);
	free(secrets);
	free(text);
	buf_release(&want);
	buf_release(&got);
}

void test_mask__refuses_a_huge_automaton(void)
{
	enum { NSEC = 300, SLEN = 256 };
	char **secrets = xcalloc(NSEC, sizeof(*secrets));
	struct mask_set *set = NULL;

	for (size_t i = 0; i < NSEC; i++) {
		secrets[i] = xmalloc(SLEN + 1);
		for (size_t k = 0; k < SLEN; k++)
			secrets[i][k] = (char)(1 + (i + k * 7) % 255);
		secrets[i][SLEN] = '\0';
	}
	check_int(mask_set_new(&set, (const char *const *)secrets, NSEC), ==,
		  FY_ETOOBIG);
	check(!set);
	for (size_t i = 0; i < NSEC; i++)
		free(secrets[i]);
	free(secrets);
}

struct thread_arg {
	const struct mask_set *set;
	unsigned seed;
	bool ok;
};

static void *mask_thread(void *p)
{
	struct thread_arg *a = p;
	const char *line = "token=tok-123456 again tok-123456tok-123456!\n";
	const char *want = "token=[secure] again [secure][secure]!\n";
	struct buf got = BUF_INIT, expect = BUF_INIT;
	struct mask *m = mask_new(a->set);
	unsigned r = a->seed;
	size_t n = strlen(line);

	for (int i = 0; i < 2000; i++) {
		size_t at = 0;

		while (at < n) {
			size_t len = 1 + (r = r * 1103515245 + 12345) % 7;

			if (len > n - at)
				len = n - at;
			mask_feed(m, line + at, len, &got);
			at += len;
		}
		buf_addstr(&expect, want);
	}
	mask_finish(m, &got);
	a->ok = got.len == expect.len && !memcmp(got.ptr, expect.ptr, got.len);
	mask_free(m);
	buf_release(&got);
	buf_release(&expect);
	return NULL;
}

void test_mask__threads_share_one_set(void)
{
	static const char *const secrets[] = { "tok-123456", NULL };
	struct mask_set *set = set_of(secrets);
	struct thread_arg args[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		args[i].set = set;
		args[i].seed = (unsigned)i + 1;
		args[i].ok = false;
		check(!pthread_create(&th[i], NULL, mask_thread, &args[i]));
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		check(args[i].ok);
	}
	mask_set_free(set);
}
