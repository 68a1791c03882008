/*
 * regex.c: Ruby (Onigmo) regular expressions on PCRE2; the only file that
 * includes <pcre2.h>.
 *
 * A pattern is rewritten from Ruby's syntax into PCRE2's (regex_rewrite.c
 * says how), then compiled with PCRE2_UTF, PCRE2_UCP (Ruby's POSIX
 * brackets and `\b` know Unicode) and PCRE2_MULTILINE (Ruby's `^` and `$`
 * are line anchors).
 */
#include "compat.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "error.h"
#include "regex.h"
#include "regex_int.h"
#include "xalloc.h"

/* Bounds on backtracking: a pattern that needs more fails to match. */
#define REGEX_MATCH_LIMIT 1000000
#define REGEX_DEPTH_LIMIT 10000

struct regex {
	pcre2_code *code;
	char *src; /* the Ruby pattern, for messages */
};

int regex_compile(struct regex **out, const char *pattern, unsigned flags)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE |
			PCRE2_UCP | PCRE2_DUPNAMES;
	pcre2_compile_context *cc = NULL;
	pcre2_code *code;
	const char *why = NULL;
	char *pcre;
	int errcode;
	PCRE2_SIZE erroff;
	struct regex *re;

	pcre = regex_translate(pattern, strlen(pattern), &why);
	if (!pcre)
		return err_set(FY_EINVALID,
			       "invalid regular expression: /%s/: %s", pattern,
			       why);
	if (flags & REGEX_ICASE)
		opts |= PCRE2_CASELESS;
	cc = pcre2_compile_context_create(NULL);
	if (!cc)
		BUG("out of memory in pcre2_compile_context_create");
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALLOW_LOOKAROUND_BSK);
	code = pcre2_compile((PCRE2_SPTR)pcre, PCRE2_ZERO_TERMINATED, opts,
			     &errcode, &erroff, cc);
	pcre2_compile_context_free(cc);
	free(pcre);
	if (!code) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", errcode);
		return err_set(FY_EINVALID,
			       "invalid regular expression: /%s/: %s", pattern,
			       (const char *)msg);
	}
	re = xcalloc(1, sizeof(*re));
	re->code = code;
	re->src = xstrdup(pattern);
	*out = re;
	return 0;
}

void regex_free(struct regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re->src);
	free(re);
}

int regex_search(const struct regex *re, const char *s, size_t len,
		 size_t start, size_t *ovec, size_t npairs)
{
	pcre2_match_data *md;
	pcre2_match_context *mc;
	int rc;

	md = pcre2_match_data_create_from_pattern(re->code, NULL);
	mc = pcre2_match_context_create(NULL);
	if (!md || !mc)
		BUG("out of memory in pcre2_match_data_create");
	pcre2_set_match_limit(mc, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(mc, REGEX_DEPTH_LIMIT);
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, md, mc);
	if (rc >= 0) {
		const PCRE2_SIZE *v = pcre2_get_ovector_pointer(md);
		uint32_t have = pcre2_get_ovector_count(md);

		for (size_t k = 0; k < npairs; k++) {
			bool set = k < have && v[2 * k] != PCRE2_UNSET;

			ovec[2 * k] = set ? v[2 * k] : REGEX_UNSET;
			ovec[2 * k + 1] = set ? v[2 * k + 1] : REGEX_UNSET;
		}
		rc = 1;
	} else if (rc == PCRE2_ERROR_NOMATCH) {
		rc = 0;
	} else {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", rc);
		rc = err_set(FY_EFAIL, "cannot match /%s/: %s", re->src,
			     (const char *)msg);
	}
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	return rc;
}

int regex_match(const struct regex *re, const char *s, size_t len)
{
	return regex_search(re, s, len, 0, NULL, 0);
}

int regex_test(const char *pattern, const char *s, unsigned flags)
{
	struct regex *re = NULL;
	int err;

	err = regex_compile(&re, pattern, flags);
	if (err < 0 || !re)
		return err;
	err = regex_match(re, s, strlen(s));
	regex_free(re);
	return err;
}

const char *regex_source(const struct regex *re)
{
	return re->src;
}
