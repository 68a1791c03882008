/*
 * fuzz_cond: the `if:` condition parser and evaluator, and the Ruby
 * regex translation beneath `=~`, on arbitrary bytes.  The first byte
 * picks one of three fixed data sets (env as strings, as a map, as one
 * broken string) or, for the fourth, compiles the rest as a regex and
 * matches it against fixed subjects.  It aborts when a parsed condition
 * has no tree, when an error has no message or an unexpected code, or
 * when evaluating twice gives two answers.
 */
#include "compat.h"

#include "cond.h"
#include "error.h"
#include "json.h"
#include "regex.h"
#include "val.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const data_json[] = {
	"{\"type\": \"push\", \"branch\": \"master\", \"repo\": \"octo/app\","
	" \"tag\": null, \"fork\": false, \"os\": \"linux\","
	" \"commit_message\": \"Fix [skip deploy]\\nmore\","
	" \"env\": [\"DEPLOY=true PY=3.8\", \"Q='x y' PAT=^ma\","
	" \"BAD=\\\"\", {\"M\": \"\\\"q\\\"\"}, [\"N=1\"]]}",
	"{\"type\": \"pull_request\", \"branch\": \"\xc3\xa4\", \"draft\": true,"
	" \"sudo\": \"TRUE\", \"group\": 1, \"head_branch\": \"feat/x\","
	" \"env\": {\"FOO\": \"'foo'\", \"BAR\": false, \"N\": 2,"
	" \"L\": [1, 2], \"PAT\": \"(\"}}",
	"{\"type\": \"cron\", \"env\": \"A=1\", \"language\": \"\"}",
};

static const char *const subjects[] = {
	"", "master", "release/1.0", "a\nb\n", "\xc3\xa9t\xc3\xa9", "x y z",
};

static struct val *fixed_data(size_t i)
{
	static struct val *cache[ARRAY_SIZE(data_json)];

	if (!cache[i] &&
	    json_parse(&cache[i], data_json[i], strlen(data_json[i]), 0) < 0)
		abort();
	return cache[i];
}

static void fuzz_regex(const char *pattern)
{
	struct regex *re = NULL;

	if (regex_compile(&re, pattern, pattern[0] & 1 ? REGEX_ICASE : 0) < 0) {
		if (!err_msg()[0])
			abort();
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subjects); i++)
		if (regex_match(re, subjects[i], strlen(subjects[i])) > 1)
			abort();
	regex_free(re);
}

static void fuzz_condition(const char *src, const struct val *data)
{
	struct cond *c = NULL;
	bool a = false, b = false;
	char *sexp;
	int err, err2;

	err = cond_parse(&c, src);
	if (err < 0) {
		if ((err != FY_EINVALID && err != FY_EFAIL) || !err_msg()[0] ||
		    c)
			abort();
		return;
	}
	sexp = cond_sexp(c);
	if (!sexp || sexp[0] != '[')
		abort();
	free(sexp);
	err = cond_eval(c, data, &a);
	err2 = cond_eval(c, data, &b);
	if (err != err2 || (err && err != FY_EINVALID) || a != b)
		abort();
	cond_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src;
	size_t mode;

	if (!size)
		return 0;
	mode = data[0] % 4;
	src = xmemdupz(data + 1, size - 1);
	if (mode == 3)
		fuzz_regex(src);
	else
		fuzz_condition(src, fixed_data(mode));
	free(src);
	return 0;
}
