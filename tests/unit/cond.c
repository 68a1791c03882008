/*
 * Unit tests for the `if:` condition parser and evaluator.  The
 * "upstream" tables restate travis-conditions' v1 specs (spec/v1/
 * parser_spec.rb, parser/ *_spec.rb, eval_spec.rb, data_spec.rb,
 * user_spec.rb, conditions_spec.rb) case by case; sub-rule cases are
 * wrapped into whole conditions.  The expected trees are Ruby's inspect
 * of upstream's s-expressions.
 */
#include "compat.h"

#include "buf.h"
#include "cond.h"
#include "json.h"
#include "unit.h"
#include "val.h"

/* Parse and evaluate: 1 true, 0 false, -1 parse error, -2 eval error. */
static int run(const char *src, const char *data_json, char **sexp)
{
	struct cond *c = NULL;
	struct val *data = NULL;
	bool res = false;
	int err;

	if (data_json && json_parse(&data, data_json, strlen(data_json), 0) < 0)
		return -3;
	err = cond_parse(&c, src);
	if (err == FY_EINVALID) {
		val_free(data);
		return -1;
	}
	if (err < 0) {
		val_free(data);
		return -2;
	}
	if (sexp)
		*sexp = cond_sexp(c);
	err = cond_eval(c, data, &res);
	cond_free(c);
	val_free(data);
	return err < 0 ? -2 : res;
}

struct parse_case {
	const char *src;
	const char *sexp; /* NULL: must not parse */
};

static void check_parse_cases(const struct parse_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cond *c = NULL;
		char *got;
		int err = cond_parse(&c, cases[i].src);

		if (!cases[i].sexp) {
			if (err != FY_EINVALID) {
				unit_fail(
					__FILE__, __LINE__,
					"'%s' parsed (%d), want a parse error",
					cases[i].src, err);
				cond_free(c);
				return;
			}
			continue;
		}
		if (err < 0) {
			unit_fail(__FILE__, __LINE__, "'%s': %s", cases[i].src,
				  err_msg());
			return;
		}
		got = cond_sexp(c);
		cond_free(c);
		if (strcmp(got, cases[i].sexp)) {
			unit_fail(__FILE__, __LINE__,
				  "'%s':\n    got  %s\n    want %s",
				  cases[i].src, got, cases[i].sexp);
			free(got);
			return;
		}
		free(got);
	}
}

struct eval_case {
	const char *src;
	const char *data; /* JSON */
	int want;	  /* 1 true, 0 false, -1 parse error, -2 eval error */
};

static void check_eval_cases(const struct eval_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int got = run(cases[i].src, cases[i].data, NULL);

		if (got != cases[i].want) {
			unit_fail(__FILE__, __LINE__,
				  "'%s' with %s: %d, want %d", cases[i].src,
				  cases[i].data, got, cases[i].want);
			return;
		}
	}
}

/* Parser specs: parser_spec.rb, the parser/ specs, user_spec.rb lists. */
static const struct parse_case
	upstream_parse
		[] = {
			{ "1", "[:val, \"1\"]" },
			{ "true", "[:val, \"true\"]" },
			{ "type", "[:var, :type]" },
			{ "env(FOO)", "[:call, :env, [[:val, \"FOO\"]]]" },
			{ "env()", "[:call, :env, []]" },
			{ "1=1", "[:eq, [:val, \"1\"], [:val, \"1\"]]" },
			{ "true=true",
			  "[:eq, [:val, \"true\"], [:val, \"true\"]]" },
			{ "true!=false",
			  "[:not_eq, [:val, \"true\"], [:val, \"false\"]]" },
			{ "1 = 1", "[:eq, [:val, \"1\"], [:val, \"1\"]]" },
			{ "true = true",
			  "[:eq, [:val, \"true\"], [:val, \"true\"]]" },
			{ "type = foo",
			  "[:eq, [:var, :type], [:val, \"foo\"]]" },
			{ "(type = foo)",
			  "[:eq, [:var, :type], [:val, \"foo\"]]" },
			{ "type = foo OR type = bar",
			  "[:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]]" },
			{ "(type = foo OR type = bar)",
			  "[:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]]" },
			{ "type = foo OR type = bar OR type = baz",
			  "[:or, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "type = foo AND type = bar OR type = baz",
			  "[:or, [:and, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "type = foo OR type = bar AND type = baz",
			  "[:or, [:eq, [:var, :type], [:val, \"foo\"]], [:and, [:eq, [:var, :type], [:val, \"bar\"]], [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "type = foo AND type = bar AND type = baz",
			  "[:and, [:and, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "(type = foo OR type = bar OR type = baz)",
			  "[:or, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "(type = foo OR type = bar) AND type = baz",
			  "[:and, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "type = foo AND (type = bar OR type = baz)",
			  "[:and, [:eq, [:var, :type], [:val, \"foo\"]], [:or, [:eq, [:var, :type], [:val, \"bar\"]], [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "(type = foo OR type = bar) AND (type = baz OR type = buz)",
			  "[:and, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:or, [:eq, [:var, :type], [:val, \"baz\"]], [:eq, [:var, :type], [:val, \"buz\"]]]]" },
			{ "type = foo AND (type = bar OR type = baz) AND type = buz",
			  "[:and, [:and, [:eq, [:var, :type], [:val, \"foo\"]], [:or, [:eq, [:var, :type], [:val, \"bar\"]], [:eq, [:var, :type], [:val, \"baz\"]]]], [:eq, [:var, :type], [:val, \"buz\"]]]" },
			{ "type = foo AND (type = bar OR type = baz OR type = buz)",
			  "[:and, [:eq, [:var, :type], [:val, \"foo\"]], [:or, [:or, [:eq, [:var, :type], [:val, \"bar\"]], [:eq, [:var, :type], [:val, \"baz\"]]], [:eq, [:var, :type], [:val, \"buz\"]]]]" },
			{ "(type = foo AND (type = bar OR type = baz)) OR type = buz",
			  "[:or, [:and, [:eq, [:var, :type], [:val, \"foo\"]], [:or, [:eq, [:var, :type], [:val, \"bar\"]], [:eq, [:var, :type], [:val, \"baz\"]]]], [:eq, [:var, :type], [:val, \"buz\"]]]" },
			{ "NOT type = foo",
			  "[:not, [:eq, [:var, :type], [:val, \"foo\"]]]" },
			{ "NOT type = foo OR type = bar",
			  "[:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:eq, [:var, :type], [:val, \"bar\"]]]" },
			{ "type = foo OR NOT type = bar",
			  "[:or, [:eq, [:var, :type], [:val, \"foo\"]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]]" },
			{ "NOT type = foo OR NOT type = bar",
			  "[:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]]" },
			{ "NOT (type = foo OR type = bar)",
			  "[:not, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]]]" },
			{ "NOT type = foo OR type = bar OR type = baz",
			  "[:or, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:eq, [:var, :type], [:val, \"bar\"]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "(NOT type = foo OR type = bar OR type = baz)", "[:or, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:eq, [:var, :type], [:val, \"bar\"]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "type = foo OR NOT type = bar OR type = baz",
			  "[:or, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "(type = foo OR NOT type = bar OR type = baz)",
			  "[:or, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "type = foo OR type = bar OR NOT type = baz",
			  "[:or, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "(type = foo OR type = bar OR NOT type = baz)",
			  "[:or, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "NOT type = foo OR NOT type = bar OR type = baz",
			  "[:or, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "(NOT type = foo OR NOT type = bar OR type = baz)",
			  "[:or, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "NOT type = foo OR type = bar OR NOT type = baz",
			  "[:or, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:eq, [:var, :type], [:val, \"bar\"]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "(NOT type = foo OR type = bar OR NOT type = baz)",
			  "[:or, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:eq, [:var, :type], [:val, \"bar\"]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "type = foo OR NOT type = bar OR NOT type = baz",
			  "[:or, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "(type = foo OR NOT type = bar OR NOT type = baz)",
			  "[:or, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "NOT type = foo OR NOT type = bar OR NOT type = baz",
			  "[:or, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "(NOT type = foo OR NOT type = bar OR NOT type = baz)",
			  "[:or, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "NOT (type = foo OR type = bar OR type = baz)",
			  "[:not, [:or, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "NOT (type = foo OR type = bar) AND type = baz",
			  "[:and, [:not, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]]], [:eq, [:var, :type], [:val, \"baz\"]]]" },
			{ "(type = foo OR type = bar) AND NOT type = baz", "[:and, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "NOT (type = foo OR type = bar) AND NOT type = baz",
			  "[:and, [:not, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "(NOT type = foo OR type = bar) AND NOT type = baz",
			  "[:and, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:eq, [:var, :type], [:val, \"bar\"]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "(type = foo OR NOT type = bar) AND NOT type = baz",
			  "[:and, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]" },
			{ "NOT (type = foo OR type = bar) AND NOT (type = baz OR type = buz)",
			  "[:and, [:not, [:or, [:eq, [:var, :type], [:val, \"foo\"]], [:eq, [:var, :type], [:val, \"bar\"]]]], [:not, [:or, [:eq, [:var, :type], [:val, \"baz\"]], [:eq, [:var, :type], [:val, \"buz\"]]]]]" },
			{ "(NOT type = foo OR NOT type = bar) AND (NOT type = baz OR NOT type = buz)",
			  "[:and, [:or, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:not, [:eq, [:var, :type], [:val, \"bar\"]]]], [:or, [:not, [:eq, [:var, :type], [:val, \"baz\"]]], [:not, [:eq, [:var, :type], [:val, \"buz\"]]]]]" },
			{ "NOT type = foo AND NOT (type = bar OR type = baz) AND NOT type = buz",
			  "[:and, [:and, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:not, [:or, [:eq, [:var, :type], [:val, \"bar\"]], [:eq, [:var, :type], [:val, \"baz\"]]]]], [:not, [:eq, [:var, :type], [:val, \"buz\"]]]]" },
			{ "NOT type = foo AND (NOT type = bar OR NOT type = baz) AND NOT type = buz",
			  "[:and, [:and, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:or, [:not, [:eq, [:var, :type], [:val, \"bar\"]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]], [:not, [:eq, [:var, :type], [:val, \"buz\"]]]]" },
			{ "NOT (NOT type = foo AND NOT (NOT type = bar OR NOT type = baz)) OR NOT type = buz",
			  "[:or, [:not, [:and, [:not, [:eq, [:var, :type], [:val, \"foo\"]]], [:not, [:or, [:not, [:eq, [:var, :type], [:val, \"bar\"]]], [:not, [:eq, [:var, :type], [:val, \"baz\"]]]]]]], [:not, [:eq, [:var, :type], [:val, \"buz\"]]]]" },
			{ "= foo", NULL },
			{ "branch = $FOO", NULL },
			{ "$FOO = bar", NULL },
			{ "1 = 1 AND\\\n2 = 2",
			  "[:and, [:eq, [:val, \"1\"], [:val, \"1\"]], [:eq, [:val, \"2\"], [:val, \"2\"]]]" },
			{ "1 = 1 AND \\\n 2 = 2",
			  "[:and, [:eq, [:val, \"1\"], [:val, \"1\"]], [:eq, [:val, \"2\"], [:val, \"2\"]]]" },
			{ "1 = 1 AND \\ \n 2 = 2",
			  "[:and, [:eq, [:val, \"1\"], [:val, \"1\"]], [:eq, [:val, \"2\"], [:val, \"2\"]]]" },
			{ "\\\n1 = 1 AND\\\n2 = 2",
			  "[:and, [:eq, [:val, \"1\"], [:val, \"1\"]], [:eq, [:val, \"2\"], [:val, \"2\"]]]" },
			{ "\\\n1 = 1 AND\\\n2 = 2\\\n",
			  "[:and, [:eq, [:val, \"1\"], [:val, \"1\"]], [:eq, [:val, \"2\"], [:val, \"2\"]]]" },
			{ "type = \"foo\"",
			  "[:eq, [:var, :type], [:val, \"foo\"]]" },
			{ "\"foo\" = type",
			  "[:eq, [:val, \"foo\"], [:var, :type]]" },
			{ "type = env(foo)",
			  "[:eq, [:var, :type], [:call, :env, [[:val, \"foo\"]]]]" },
			{ "env(foo) = type",
			  "[:eq, [:call, :env, [[:val, \"foo\"]]], [:var, :type]]" },
			{ "\"foo\" = env(foo)",
			  "[:eq, [:val, \"foo\"], [:call, :env, [[:val, \"foo\"]]]]" },
			{ "env(foo) = \"foo\"",
			  "[:eq, [:call, :env, [[:val, \"foo\"]]], [:val, \"foo\"]]" },
			{ "type = type",
			  "[:eq, [:var, :type], [:var, :type]]" },
			{ "\"foo\" = \"foo\"",
			  "[:eq, [:val, \"foo\"], [:val, \"foo\"]]" },
			{ "env(foo) = env(bar)", "[:eq, [:call, :env, [[:val, \"foo\"]]], [:call, :env, [[:val, \"bar\"]]]]" },
			{ "tag =~ foo",
			  "[:match, [:var, :tag], [:reg, \"foo\"]]" },
			{ "tag =~ /foo/",
			  "[:match, [:var, :tag], [:reg, \"foo\"]]" },
			{ "tag =~ env(foo)",
			  "[:match, [:var, :tag], [:reg, [:call, :env, [[:val, \"foo\"]]]]]" },
			{ "tag =~ concat(^foo-, env(foo))",
			  "[:match, [:var, :tag], [:reg, [:call, :concat, [[:val, \"^foo-\"], [:call, :env, [[:val, \"foo\"]]]]]]]" },
			{ "type IN (foo)",
			  "[:in, [:var, :type], [[:val, \"foo\"]]]" },
			{ "\"foo\" IN (foo)",
			  "[:in, [:val, \"foo\"], [[:val, \"foo\"]]]" },
			{ "env(foo) IN (foo)",
			  "[:in, [:call, :env, [[:val, \"foo\"]]], [[:val, \"foo\"]]]" },
			{ "type IS present", "[:is, [:var, :type], :present]" },
			{ "\"foo\" IS present",
			  "[:is, [:val, \"foo\"], :present]" },
			{ "env(foo) IS present",
			  "[:is, [:call, :env, [[:val, \"foo\"]]], :present]" },
			{ "sender = sender-foo",
			  "[:eq, [:var, :sender], [:val, \"sender-foo\"]]" },
			{ "env(foo)", "[:call, :env, [[:val, \"foo\"]]]" },
			{ "env(type)", "[:call, :env, [[:var, :type]]]" },
			{ "env(env(foo))",
			  "[:call, :env, [[:call, :env, [[:val, \"foo\"]]]]]" },
			{ "env(env(env(foo)))",
			  "[:call, :env, [[:call, :env, [[:call, :env, [[:val, \"foo\"]]]]]]]" },
			{ "env(foo, bar)",
			  "[:call, :env, [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "env(\"foo\")", "[:call, :env, [[:val, \"foo\"]]]" },
			{ "env(\"foo\", \"bar\")",
			  "[:call, :env, [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "env('foo')", "[:call, :env, [[:val, \"foo\"]]]" },
			{ "env('foo', 'bar')",
			  "[:call, :env, [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "concat()", "[:call, :concat, []]" },
			{ "concat(foo)",
			  "[:call, :concat, [[:val, \"foo\"]]]" },
			{ "concat(foo, bar)",
			  "[:call, :concat, [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "concat(foo, env(bar))",
			  "[:call, :concat, [[:val, \"foo\"], [:call, :env, [[:val, \"bar\"]]]]]" },
			{ "concat(branch, foo)",
			  "[:call, :concat, [[:var, :branch], [:val, \"foo\"]]]" },
			{ "bar()", NULL },
			{ "(foo)", "[:val, \"foo\"]" },
			{ "( foo)", "[:val, \"foo\"]" },
			{ "(foo )", "[:val, \"foo\"]" },
			{ "( foo )", "[:val, \"foo\"]" },
			{ "foo", "[:val, \"foo\"]" },
			{ "'foo'", "[:val, \"foo\"]" },
			{ "\"foo\"", "[:val, \"foo\"]" },
			{ "'\"foo\"'", "[:val, \"\\\"foo\\\"\"]" },
			{ "\"'foo'\"", "[:val, \"'foo'\"]" },
			{ "\"&.foo bar!?\"", "[:val, \"&.foo bar!?\"]" },
			{ "foo\t", "[:val, \"foo\"]" },
			{ "\tfoo", "[:val, \"foo\"]" },
			{ "foo\n", "[:val, \"foo\"]" },
			{ "\nfoo", "[:val, \"foo\"]" },
			{ "typescript", "[:val, \"typescript\"]" },
			{ "sender-foo", "[:val, \"sender-foo\"]" },
			{ "repo", "[:var, :repo]" },
			{ "nope", "[:val, \"nope\"]" },
			{ "A", "[:val, \"A\"]" },
			{ "(A)", "[:val, \"A\"]" },
			{ "not A", "[:not, [:val, \"A\"]]" },
			{ "not (A)", "[:not, [:val, \"A\"]]" },
			{ "(not A)", "[:not, [:val, \"A\"]]" },
			{ "!A", "[:not, [:val, \"A\"]]" },
			{ "! A", "[:not, [:val, \"A\"]]" },
			{ "!(A)", "[:not, [:val, \"A\"]]" },
			{ "! (A)", "[:not, [:val, \"A\"]]" },
			{ "A and B", "[:and, [:val, \"A\"], [:val, \"B\"]]" },
			{ "(A) and B", "[:and, [:val, \"A\"], [:val, \"B\"]]" },
			{ "A and (B)", "[:and, [:val, \"A\"], [:val, \"B\"]]" },
			{ "(A) and (B)",
			  "[:and, [:val, \"A\"], [:val, \"B\"]]" },
			{ "not A and B",
			  "[:and, [:not, [:val, \"A\"]], [:val, \"B\"]]" },
			{ "A and not B",
			  "[:and, [:val, \"A\"], [:not, [:val, \"B\"]]]" },
			{ "not A and not B",
			  "[:and, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]]" },
			{ "not (A) and B",
			  "[:and, [:not, [:val, \"A\"]], [:val, \"B\"]]" },
			{ "(A) and not B",
			  "[:and, [:val, \"A\"], [:not, [:val, \"B\"]]]" },
			{ "not (A) and not B",
			  "[:and, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]]" },
			{ "not (A) and (B)",
			  "[:and, [:not, [:val, \"A\"]], [:val, \"B\"]]" },
			{ "(A) and not (B)",
			  "[:and, [:val, \"A\"], [:not, [:val, \"B\"]]]" },
			{ "not (A) and not (B)",
			  "[:and, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]]" },
			{ "(not A) and B",
			  "[:and, [:not, [:val, \"A\"]], [:val, \"B\"]]" },
			{ "(not A) and not B",
			  "[:and, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]]" },
			{ "(not A) and (B)",
			  "[:and, [:not, [:val, \"A\"]], [:val, \"B\"]]" },
			{ "(A) and (not B)",
			  "[:and, [:val, \"A\"], [:not, [:val, \"B\"]]]" },
			{ "(not A) and (not B)",
			  "[:and, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]]" },
			{ "(! A) && !B",
			  "[:and, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]]" },
			{ "A and B and C",
			  "[:and, [:and, [:val, \"A\"], [:val, \"B\"]], [:val, \"C\"]]" },
			{ "A and B or C",
			  "[:or, [:and, [:val, \"A\"], [:val, \"B\"]], [:val, \"C\"]]" },
			{ "A or B and C",
			  "[:or, [:val, \"A\"], [:and, [:val, \"B\"], [:val, \"C\"]]]" },
			{ "A or B or C",
			  "[:or, [:or, [:val, \"A\"], [:val, \"B\"]], [:val, \"C\"]]" },
			{ "(A and B and C)",
			  "[:and, [:and, [:val, \"A\"], [:val, \"B\"]], [:val, \"C\"]]" },
			{ "(A and B) and C",
			  "[:and, [:and, [:val, \"A\"], [:val, \"B\"]], [:val, \"C\"]]" },
			{ "A and (B and C)",
			  "[:and, [:val, \"A\"], [:and, [:val, \"B\"], [:val, \"C\"]]]" },
			{ "(A or B) and C",
			  "[:and, [:or, [:val, \"A\"], [:val, \"B\"]], [:val, \"C\"]]" },
			{ "A and (B or C)",
			  "[:and, [:val, \"A\"], [:or, [:val, \"B\"], [:val, \"C\"]]]" },
			{ "(not A and not B and not C)",
			  "[:and, [:and, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]], [:not, [:val, \"C\"]]]" },
			{ "not (not A and not B and not C)",
			  "[:not, [:and, [:and, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]], [:not, [:val, \"C\"]]]]" },
			{ "(not A or not B) and not C",
			  "[:and, [:or, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]], [:not, [:val, \"C\"]]]" },
			{ "not (not A or not B) and not C",
			  "[:and, [:not, [:or, [:not, [:val, \"A\"]], [:not, [:val, \"B\"]]]], [:not, [:val, \"C\"]]]" },
			{ "not(not A and not (not B or not C))",
			  "[:not, [:and, [:not, [:val, \"A\"]], [:not, [:or, [:not, [:val, \"B\"]], [:not, [:val, \"C\"]]]]]]" },
			{ "A or B and C or D and E or F",
			  "[:or, [:or, [:or, [:val, \"A\"], [:and, [:val, \"B\"], [:val, \"C\"]]], [:and, [:val, \"D\"], [:val, \"E\"]]], [:val, \"F\"]]" },
			{ "(A or B) and C or D and (E or F)",
			  "[:or, [:and, [:or, [:val, \"A\"], [:val, \"B\"]], [:val, \"C\"]], [:and, [:val, \"D\"], [:or, [:val, \"E\"], [:val, \"F\"]]]]" },
			{ "(A or B) and (C or D) and (E or F)",
			  "[:and, [:and, [:or, [:val, \"A\"], [:val, \"B\"]], [:or, [:val, \"C\"], [:val, \"D\"]]], [:or, [:val, \"E\"], [:val, \"F\"]]]" },
			{ "foo in (foo)",
			  "[:in, [:val, \"foo\"], [[:val, \"foo\"]]]" },
			{ "foo in (type)",
			  "[:in, [:val, \"foo\"], [[:var, :type]]]" },
			{ "foo in (env(foo))",
			  "[:in, [:val, \"foo\"], [[:call, :env, [[:val, \"foo\"]]]]]" },
			{ "foo in (env(env(foo)))",
			  "[:in, [:val, \"foo\"], [[:call, :env, [[:call, :env, [[:val, \"foo\"]]]]]]]" },
			{ "foo in ( foo,bar)",
			  "[:in, [:val, \"foo\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "foo in (foo, bar )",
			  "[:in, [:val, \"foo\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "foo in (foo ,bar)",
			  "[:in, [:val, \"foo\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "foo in (\"foo\")",
			  "[:in, [:val, \"foo\"], [[:val, \"foo\"]]]" },
			{ "foo not in (foo )",
			  "[:not_in, [:val, \"foo\"], [[:val, \"foo\"]]]" },
			{ "foo not in ( foo,bar)",
			  "[:not_in, [:val, \"foo\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "foo not in (foo, bar )",
			  "[:not_in, [:val, \"foo\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "foo not in (foo ,bar)",
			  "[:not_in, [:val, \"foo\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "foo not in (\"foo\")",
			  "[:not_in, [:val, \"foo\"], [[:val, \"foo\"]]]" },
			{ "foo in ()", NULL },
			{ "type is present", "[:is, [:var, :type], :present]" },
			{ "type is blank", "[:is, [:var, :type], :blank]" },
			{ "type IS blank", "[:is, [:var, :type], :blank]" },
			{ "x IN (foo,bar)",
			  "[:in, [:val, \"x\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "x IN (foo, bar)",
			  "[:in, [:val, \"x\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "x IN (foo ,bar)",
			  "[:in, [:val, \"x\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "x IN (foo , bar)",
			  "[:in, [:val, \"x\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "x IN (foo, bar,)",
			  "[:in, [:val, \"x\"], [[:val, \"foo\"], [:val, \"bar\"]]]" },
			{ "x IN (foo)",
			  "[:in, [:val, \"x\"], [[:val, \"foo\"]]]" },
			{ "x IN (type)",
			  "[:in, [:val, \"x\"], [[:var, :type]]]" },
			{ "x IN (env(foo))",
			  "[:in, [:val, \"x\"], [[:call, :env, [[:val, \"foo\"]]]]]" },
			{ "a = b", "[:eq, [:val, \"a\"], [:val, \"b\"]]" },
			{ "a == b", "[:eq, [:val, \"a\"], [:val, \"b\"]]" },
			{ "a != b", "[:not_eq, [:val, \"a\"], [:val, \"b\"]]" },
			{ "branch =~ ^.*-foo$",
			  "[:match, [:var, :branch], [:reg, \"^.*-foo$\"]]" },
			{ "branch =~ /^.* foo$/",
			  "[:match, [:var, :branch], [:reg, \"^.* foo$\"]]" },
			{ "branch =~ /foo/ OR tag =~ /^foo$/",
			  "[:or, [:match, [:var, :branch], [:reg, \"foo\"]], [:match, [:var, :tag], [:reg, \"^foo$\"]]]" },
			{ "branch =~ /foo/ OR (tag =~ /^foo$/)",
			  "[:or, [:match, [:var, :branch], [:reg, \"foo\"]], [:match, [:var, :tag], [:reg, \"^foo$\"]]]" },
			{ "branch =~ /^(develop|master|release\\/.*)$/",
			  "[:match, [:var, :branch], [:reg, \"^(develop|master|release\\\\/.*)$\"]]" },
			{ "branch =~ /^(develop|master|release\\/.*|feature\\/.*)$/",
			  "[:match, [:var, :branch], [:reg, \"^(develop|master|release\\\\/.*|feature\\\\/.*)$\"]]" },
			{ "((NOT branch =~ ^develop/.*$) OR (branch = develop/travis)) AND (tag IS blank)",
			  "[:and, [:or, [:not, [:match, [:var, :branch], [:reg, \"^develop/.*$\"]]], [:eq, [:var, :branch], [:val, \"develop/travis\"]]], [:is, [:var, :tag], :blank]]" },
			{ "(NOT branch =~ ^develop/.*$) AND (tag IS blank)",
			  "[:and, [:not, [:match, [:var, :branch], [:reg, \"^develop/.*$\"]]], [:is, [:var, :tag], :blank]]" },
			{ "(branch != master OR type = cron OR type = api)",
			  "[:or, [:or, [:not_eq, [:var, :branch], [:val, \"master\"]], [:eq, [:var, :type], [:val, \"cron\"]]], [:eq, [:var, :type], [:val, \"api\"]]]" },
			{ "(branch = develop/travis) AND (tag IS blank)",
			  "[:and, [:eq, [:var, :branch], [:val, \"develop/travis\"]], [:is, [:var, :tag], :blank]]" },
			{ "(branch = master) AND (NOT (type IN (api, pull_request)))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"api\"], [:val, \"pull_request\"]]]]]" },
			{ "(branch = master) AND (NOT (type IN (api,pull_request)))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"api\"], [:val, \"pull_request\"]]]]]" },
			{ "(branch = master) AND (NOT (type IN (push, pull_request)))", "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"push\"], [:val, \"pull_request\"]]]]]" },
			{ "(branch = master) AND (NOT (type IN (push,pull_request)))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"push\"], [:val, \"pull_request\"]]]]]" },
			{ "(branch = master) AND (NOT(type IN (api, pull_request)))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"api\"], [:val, \"pull_request\"]]]]]" },
			{ "(branch = master) AND (NOT(type IN (api,pull_request)))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"api\"], [:val, \"pull_request\"]]]]]" },
			{ "(branch = master) AND (NOT(type IN (push ,pull_request)))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"push\"], [:val, \"pull_request\"]]]]]" },
			{ "(branch = master) AND (NOT(type IN (push, pull_request)))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"push\"], [:val, \"pull_request\"]]]]]" },
			{ "(branch = master) AND (NOT(type IN (push,pull_request)))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"push\"], [:val, \"pull_request\"]]]]]" },
			{ "(type = pull_request) OR (tag IS present)",
			  "[:or, [:eq, [:var, :type], [:val, \"pull_request\"]], [:is, [:var, :tag], :present]]" },
			{ "(type = push AND NOT (branch = develop)) OR (type = cron)",
			  "[:or, [:and, [:eq, [:var, :type], [:val, \"push\"]], [:not, [:eq, [:var, :branch], [:val, \"develop\"]]]], [:eq, [:var, :type], [:val, \"cron\"]]]" },
			{ "NOT branch = master",
			  "[:not, [:eq, [:var, :branch], [:val, \"master\"]]]" },
			{ "NOT branch =~ ^develop/.*$",
			  "[:not, [:match, [:var, :branch], [:reg, \"^develop/.*$\"]]]" },
			{ "NOT tag = \"stable\"",
			  "[:not, [:eq, [:var, :tag], [:val, \"stable\"]]]" },
			{ "NOT tag = stable",
			  "[:not, [:eq, [:var, :tag], [:val, \"stable\"]]]" },
			{ "NOT tag =~ +d2$",
			  "[:not, [:match, [:var, :tag], [:reg, \"+d2$\"]]]" },
			{ "branch = develop/hardening",
			  "[:eq, [:var, :branch], [:val, \"develop/hardening\"]]" },
			{ "branch = develop/pipes-travis",
			  "[:eq, [:var, :branch], [:val, \"develop/pipes-travis\"]]" },
			{ "branch = develop/travis",
			  "[:eq, [:var, :branch], [:val, \"develop/travis\"]]" },
			{ "branch = master",
			  "[:eq, [:var, :branch], [:val, \"master\"]]" },
			{ "branch = master AND NOT(type IN (push,pull_request))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:in, [:var, :type], [[:val, \"push\"], [:val, \"pull_request\"]]]]]" },
			{ "branch = master AND type = pull_request",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:eq, [:var, :type], [:val, \"pull_request\"]]]" },
			{ "branch = master AND type = push",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:eq, [:var, :type], [:val, \"push\"]]]" },
			{ "branch = master OR tag =~ ^vd+.d+$",
			  "[:or, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :tag], [:reg, \"^vd+.d+$\"]]]" },
			{ "branch = master OR tag IS present",
			  "[:or, [:eq, [:var, :branch], [:val, \"master\"]], [:is, [:var, :tag], :present]]" },
			{ "branch = master OR type = pull_request OR branch =~ ^rc_.*",
			  "[:or, [:or, [:eq, [:var, :branch], [:val, \"master\"]], [:eq, [:var, :type], [:val, \"pull_request\"]]], [:match, [:var, :branch], [:reg, \"^rc_.*\"]]]" },
			{ "branch = staging",
			  "[:eq, [:var, :branch], [:val, \"staging\"]]" },
			{ "branch = task/ASI-93-auto-update-campaign-performance-summary-for-periscope",
			  "[:eq, [:var, :branch], [:val, \"task/ASI-93-auto-update-campaign-performance-summary-for-periscope\"]]" },
			{ "branch = travis",
			  "[:eq, [:var, :branch], [:val, \"travis\"]]" },
			{ "branch =~ /^release.*$/",
			  "[:match, [:var, :branch], [:reg, \"^release.*$\"]]" },
			{ "branch =~ /release/",
			  "[:match, [:var, :branch], [:reg, \"release\"]]" },
			{ "branch =~ ^develop",
			  "[:match, [:var, :branch], [:reg, \"^develop\"]]" },
			{ "branch =~ ^develop OR branch =~ ^master OR branch =~ ^release",
			  "[:or, [:or, [:match, [:var, :branch], [:reg, \"^develop\"]], [:match, [:var, :branch], [:reg, \"^master\"]]], [:match, [:var, :branch], [:reg, \"^release\"]]]" },
			{ "branch =~ ^release",
			  "[:match, [:var, :branch], [:reg, \"^release\"]]" },
			{ "branch =~ ^release.*$",
			  "[:match, [:var, :branch], [:reg, \"^release.*$\"]]" },
			{ "branch =~ ^release/ or tag =~ ^version_code/",
			  "[:or, [:match, [:var, :branch], [:reg, \"^release\"]], [:match, [:var, :tag], [:reg, \"^version_code\"]]]" },
			{ "branch IN (master, ^develop, ^release)",
			  "[:in, [:var, :branch], [[:val, \"master\"], [:val, \"^develop\"], [:val, \"^release\"]]]" },
			{ "branch IN (master, develop) OR branch =~ ^release/.+$ OR branch =~ ^hotfix/.+$ OR branch =~ ^bugfix/.+$ OR branch =~ ^support/.+$ ORtag IS present OR type IN (pull_request, api)",
			  "[:or, [:or, [:or, [:or, [:or, [:or, [:in, [:var, :branch], [[:val, \"master\"], [:val, \"develop\"]]], [:match, [:var, :branch], [:reg, \"^release/.+$\"]]], [:match, [:var, :branch], [:reg, \"^hotfix/.+$\"]]], [:match, [:var, :branch], [:reg, \"^bugfix/.+$\"]]], [:match, [:var, :branch], [:reg, \"^support/.+$\"]]], [:is, [:var, :tag], :present]], [:in, [:var, :type], [[:val, \"pull_request\"], [:val, \"api\"]]]]" },
			{ "branch IN (master, development, features)",
			  "[:in, [:var, :branch], [[:val, \"master\"], [:val, \"development\"], [:val, \"features\"]]]" },
			{ "branch is blank", "[:is, [:var, :branch], :blank]" },
			{ "env(TRAVIS_SECURE_ENV_VARS) = true",
			  "[:eq, [:call, :env, [[:val, \"TRAVIS_SECURE_ENV_VARS\"]]], [:val, \"true\"]]" },
			{ "fork = false",
			  "[:eq, [:var, :fork], [:val, \"false\"]]" },
			{ "not tag =~ ^autobuild",
			  "[:not, [:match, [:var, :tag], [:reg, \"^autobuild\"]]]" },
			{ "tag =~ ''",
			  "[:match, [:var, :tag], [:reg, \"''\"]]" },
			{ "tag =~ /(^version_code\\/)|(^$)/",
			  "[:match, [:var, :tag], [:reg, \"(^version_code\\\\/)|(^$)\"]]" },
			{ "tag =~ /^$| +/",
			  "[:match, [:var, :tag], [:reg, \"^$| +\"]]" },
			{ "tag =~ [0-9]+.[0-9]+.[0-9]+",
			  "[:match, [:var, :tag], [:reg, \"[0-9]+.[0-9]+.[0-9]+\"]]" },
			{ "tag =~ ^d+(.d+)+(-.*)?",
			  "[:match, [:var, :tag], [:reg, \"^d+(.d+)+(-.*)?\"]]" },
			{ "tag =~ ^d+(.d+)+(-.*)? OR branch = travisbuilds-selenium",
			  "[:or, [:match, [:var, :tag], [:reg, \"^d+(.d+)+(-.*)?\"]], [:eq, [:var, :branch], [:val, \"travisbuilds-selenium\"]]]" },
			{ "tag =~ ^travis*",
			  "[:match, [:var, :tag], [:reg, \"^travis*\"]]" },
			{ "tag =~ ^v",
			  "[:match, [:var, :tag], [:reg, \"^v\"]]" },
			{ "tag =~ ^version_code/ OR (tag IS NOT present)",
			  "[:or, [:match, [:var, :tag], [:reg, \"^version_code\"]], [:is_not, [:var, :tag], :present]]" },
			{ "tag =~ ^version_code/ OR tag IS NOT present",
			  "[:or, [:match, [:var, :tag], [:reg, \"^version_code\"]], [:is_not, [:var, :tag], :present]]" },
			{ "tag =~ ^version_code/ OR tag =~ ^$",
			  "[:or, [:match, [:var, :tag], [:reg, \"^version_code\"]], [:match, [:var, :tag], [:reg, \"^$\"]]]" },
			{ "tag =~ ^version_code/|^$",
			  "[:match, [:var, :tag], [:reg, \"^version_code/|^$\"]]" },
			{ "tag IS blank", "[:is, [:var, :tag], :blank]" },
			{ "tag IS present", "[:is, [:var, :tag], :present]" },
			{ "tag is blank", "[:is, [:var, :tag], :blank]" },
			{ "type = push",
			  "[:eq, [:var, :type], [:val, \"push\"]]" },
			{ "type IN (api, cron)",
			  "[:in, [:var, :type], [[:val, \"api\"], [:val, \"cron\"]]]" },
			{ "type IN (push, pull_request)",
			  "[:in, [:var, :type], [[:val, \"push\"], [:val, \"pull_request\"]]]" },
			{ "( branch NOT IN (master) OR fork = true ) AND type IN (push, api, pull_request)",
			  "[:and, [:or, [:not_in, [:var, :branch], [[:val, \"master\"]]], [:eq, [:var, :fork], [:val, \"true\"]]], [:in, [:var, :type], [[:val, \"push\"], [:val, \"api\"], [:val, \"pull_request\"]]]]" },
			{ "(((type != pull_request) AND (branch = master)) OR (tag =~ ^\\d+\\.\\d+\\.\\d+$))",
			  "[:or, [:and, [:not_eq, [:var, :type], [:val, \"pull_request\"]], [:eq, [:var, :branch], [:val, \"master\"]]], [:match, [:var, :tag], [:reg, \"^\\\\d+\\\\.\\\\d+\\\\.\\\\d+$\"]]]" },
			{ "((branch = master) OR (tag =~ ^\\d+\\.\\d+\\.\\d+$))",
			  "[:or, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :tag], [:reg, \"^\\\\d+\\\\.\\\\d+\\\\.\\\\d+$\"]]]" },
			{ "(branch = master AND type != pull_request) AND (NOT tag =~ ^v)",
			  "[:and, [:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not_eq, [:var, :type], [:val, \"pull_request\"]]], [:not, [:match, [:var, :tag], [:reg, \"^v\"]]]]" },
			{ "(branch = master AND type != pull_request) OR (tag =~ ^v)",
			  "[:or, [:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not_eq, [:var, :type], [:val, \"pull_request\"]]], [:match, [:var, :tag], [:reg, \"^v\"]]]" },
			{ "(branch = master OR branch =~ ^infra/$) AND type = push",
			  "[:and, [:or, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :branch], [:reg, \"^infra/$\"]]], [:eq, [:var, :type], [:val, \"push\"]]]" },
			{ "(branch = master OR tag =~ ^deploy/) AND (type != pull_request)",
			  "[:and, [:or, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :tag], [:reg, \"^deploy\"]]], [:not_eq, [:var, :type], [:val, \"pull_request\"]]]" },
			{ "(branch = master) AND (NOT (tag =~prod_))",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:not, [:match, [:var, :tag], [:reg, \"prod_\"]]]]" },
			{ "(branch = master) AND (tag =~ ^v\\d+\\.\\d+\\.\\d+.*$) AND (type IN (push, pull_request))",
			  "[:and, [:and, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :tag], [:reg, \"^v\\\\d+\\\\.\\\\d+\\\\.\\\\d+.*$\"]]], [:in, [:var, :type], [[:val, \"push\"], [:val, \"pull_request\"]]]]" },
			{ "(branch = master) AND (tag =~ ^v\\d+\\.\\d+\\.\\d+.*$) AND type IN (push, pull_request)",
			  "[:and, [:and, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :tag], [:reg, \"^v\\\\d+\\\\.\\\\d+\\\\.\\\\d+.*$\"]]], [:in, [:var, :type], [[:val, \"push\"], [:val, \"pull_request\"]]]]" },
			{ "(tag =~ ^prod_)",
			  "[:match, [:var, :tag], [:reg, \"^prod_\"]]" },
			{ "(tag =~ ^v) AND (branch = master)",
			  "[:and, [:match, [:var, :tag], [:reg, \"^v\"]], [:eq, [:var, :branch], [:val, \"master\"]]]" },
			{ "(tag =~ ^v) AND (branch = release)",
			  "[:and, [:match, [:var, :tag], [:reg, \"^v\"]], [:eq, [:var, :branch], [:val, \"release\"]]]" },
			{ "(tag =~ ^v) AND (repo = meniga/mobile-sdk-android)",
			  "[:and, [:match, [:var, :tag], [:reg, \"^v\"]], [:eq, [:var, :repo], [:val, \"meniga/mobile-sdk-android\"]]]" },
			{ "(type IN (cron, api)) OR ((tag IS present) AND (tag =~ ^v))",
			  "[:or, [:in, [:var, :type], [[:val, \"cron\"], [:val, \"api\"]]], [:and, [:is, [:var, :tag], :present], [:match, [:var, :tag], [:reg, \"^v\"]]]]" },
			{ "(type IN (cron, api)) OR (tag =~ ^v)",
			  "[:or, [:in, [:var, :type], [[:val, \"cron\"], [:val, \"api\"]]], [:match, [:var, :tag], [:reg, \"^v\"]]]" },
			{ "(type IN (cron, api)) OR (tag =~ ^v?([0-9]+)\\.([0-9]+)\\.([0-9]+)(?:(?:\\-|\\+)([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)){0,2}$)",
			  "[:or, [:in, [:var, :type], [[:val, \"cron\"], [:val, \"api\"]]], [:match, [:var, :tag], [:reg, \"^v?([0-9]+)\\\\.([0-9]+)\\\\.([0-9]+)(?:(?:\\\\-|\\\\+)([0-9A-Za-z-]+(?:\\\\.[0-9A-Za-z-]+)*)){0,2}$\"]]]" },
			{ "NOT type IN (pull_request) AND (branch = master OR tag =~ ^v[1-9])",
			  "[:and, [:not, [:in, [:var, :type], [[:val, \"pull_request\"]]]], [:or, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :tag], [:reg, \"^v[1-9]\"]]]]" },
			{ "TRAVIS_PULL_REQUEST = false",
			  "[:eq, [:val, \"TRAVIS_PULL_REQUEST\"], [:val, \"false\"]]" },
			{ "branch = master AND tag is blank AND fork is false AND repo = head_repo AND type != pull_request",
			  "[:and, [:and, [:and, [:and, [:eq, [:var, :branch], [:val, \"master\"]], [:is, [:var, :tag], :blank]], [:is, [:var, :fork], :false]], [:eq, [:var, :repo], [:var, :head_repo]]], [:not_eq, [:var, :type], [:val, \"pull_request\"]]]" },
			{ "branch = master AND tag is blank AND fork is false AND type != pull_request",
			  "[:and, [:and, [:and, [:eq, [:var, :branch], [:val, \"master\"]], [:is, [:var, :tag], :blank]], [:is, [:var, :fork], :false]], [:not_eq, [:var, :type], [:val, \"pull_request\"]]]" },
			{ "branch = master AND type == pull_request",
			  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:eq, [:var, :type], [:val, \"pull_request\"]]]" },
			{ "branch IN (master, dev_package)",
			  "[:in, [:var, :branch], [[:val, \"master\"], [:val, \"dev_package\"]]]" },
			{ "branch NOT IN (master) OR fork = true", "[:or, [:not_in, [:var, :branch], [[:val, \"master\"]]], [:eq, [:var, :fork], [:val, \"true\"]]]" },
			{ "branch in (master, dev) OR type == pull",
			  "[:or, [:in, [:var, :branch], [[:val, \"master\"], [:val, \"dev\"]]], [:eq, [:var, :type], [:val, \"pull\"]]]" },
			{ "env(FOO) = env(TRAVIS_SECURE_ENV_VARS)",
			  "[:eq, [:call, :env, [[:val, \"FOO\"]]], [:call, :env, [[:val, \"TRAVIS_SECURE_ENV_VARS\"]]]]" },
			{ "env(IS_TAGS_ONLY) = env(NO)",
			  "[:eq, [:call, :env, [[:val, \"IS_TAGS_ONLY\"]]], [:call, :env, [[:val, \"NO\"]]]]" },
			{ "env(IS_TAGS_ONLY) = env(NO) AND env(YES) IN (env(IS_FULL_REGRESSION), env(IS_READY_TO_BUILD))",
			  "[:and, [:eq, [:call, :env, [[:val, \"IS_TAGS_ONLY\"]]], [:call, :env, [[:val, \"NO\"]]]], [:in, [:call, :env, [[:val, \"YES\"]]], [[:call, :env, [[:val, \"IS_FULL_REGRESSION\"]]], [:call, :env, [[:val, \"IS_READY_TO_BUILD\"]]]]]]" },
			{ "env(PRIOR_VERSION) != env(RELEASE_VERSION)",
			  "[:not_eq, [:call, :env, [[:val, \"PRIOR_VERSION\"]]], [:call, :env, [[:val, \"RELEASE_VERSION\"]]]]" },
			{ "env(PRIOR_VERSION) IS present AND env(PRIOR_VERSION) != env(RELEASE_VERSION) AND branch = master AND type = push AND repo = cotsog/travis_ci_prod_regular",
			  "[:and, [:and, [:and, [:and, [:is, [:call, :env, [[:val, \"PRIOR_VERSION\"]]], :present], [:not_eq, [:call, :env, [[:val, \"PRIOR_VERSION\"]]], [:call, :env, [[:val, \"RELEASE_VERSION\"]]]]], [:eq, [:var, :branch], [:val, \"master\"]]], [:eq, [:var, :type], [:val, \"push\"]]], [:eq, [:var, :repo], [:val, \"cotsog/travis_ci_prod_regular\"]]]" },
			{ "env(PRIOR_VERSION) IS present AND env(PRIOR_VERSION) != env(RELEASE_VERSION) AND branch = master AND type = push AND repo = justien/travis_conditional_stages",
			  "[:and, [:and, [:and, [:and, [:is, [:call, :env, [[:val, \"PRIOR_VERSION\"]]], :present], [:not_eq, [:call, :env, [[:val, \"PRIOR_VERSION\"]]], [:call, :env, [[:val, \"RELEASE_VERSION\"]]]]], [:eq, [:var, :branch], [:val, \"master\"]]], [:eq, [:var, :type], [:val, \"push\"]]], [:eq, [:var, :repo], [:val, \"justien/travis_conditional_stages\"]]]" },
			{ "env(PRIOR_VERSION) IS present AND env(PRIOR_VERSION) != env(RELEASE_VERSION) AND branch = master AND type = push AND repo = plus3it/terraform-aws-watchmaker",
			  "[:and, [:and, [:and, [:and, [:is, [:call, :env, [[:val, \"PRIOR_VERSION\"]]], :present], [:not_eq, [:call, :env, [[:val, \"PRIOR_VERSION\"]]], [:call, :env, [[:val, \"RELEASE_VERSION\"]]]]], [:eq, [:var, :branch], [:val, \"master\"]]], [:eq, [:var, :type], [:val, \"push\"]]], [:eq, [:var, :repo], [:val, \"plus3it/terraform-aws-watchmaker\"]]]" },
			{ "env(TRAVIS_SECURE_ENV_VARS) IS true",
			  "[:is, [:call, :env, [[:val, \"TRAVIS_SECURE_ENV_VARS\"]]], :true]" },
			{ "env(env_name) IS blank",
			  "[:is, [:call, :env, [[:val, \"_name\"]]], :blank]" },
			{ "env(env_name) IS present",
			  "[:is, [:call, :env, [[:val, \"_name\"]]], :present]" },
			{ "tag IS NOT blank",
			  "[:is_not, [:var, :tag], :blank]" },
			{ "tag IS NOT present",
			  "[:is_not, [:var, :tag], :present]" },
			{ "tag IS present OR branch == master",
			  "[:or, [:is, [:var, :tag], :present], [:eq, [:var, :branch], [:val, \"master\"]]]" },
			{ "true = false",
			  "[:eq, [:val, \"true\"], [:val, \"false\"]]" },
			{ "type = pull_request",
			  "[:eq, [:var, :type], [:val, \"pull_request\"]]" },
			{ "type IN (push, cron) AND (NOT branch =~ [0-9]{8,})",
			  "[:and, [:in, [:var, :type], [[:val, \"push\"], [:val, \"cron\"]]], [:not, [:match, [:var, :branch], [:reg, \"[0-9]{8,}\"]]]]" },
			{ "type IN (push, cron) AND (tag =~ ^$)",
			  "[:and, [:in, [:var, :type], [[:val, \"push\"], [:val, \"cron\"]]], [:match, [:var, :tag], [:reg, \"^$\"]]]" },
			{ "type IN (push, cron) AND NOT (branch =~ [0-9]{8,})",
			  "[:and, [:in, [:var, :type], [[:val, \"push\"], [:val, \"cron\"]]], [:not, [:match, [:var, :branch], [:reg, \"[0-9]{8,}\"]]]]" },
			{ "type NOT IN (api, cron)",
			  "[:not_in, [:var, :type], [[:val, \"api\"], [:val, \"cron\"]]]" },
			{ "type NOT IN (cron)",
			  "[:not_in, [:var, :type], [[:val, \"cron\"]]]" },
			{ "env(FORCE_REBUILD) ~= ^true$",
			  "[:match, [:call, :env, [[:val, \"FORCE_REBUILD\"]]], [:reg, \"^true$\"]]" },
			{ "env(REBUILD) ~= ^true$ OR env(FORCE_REBUILD) ~= ^true$ OR (branch = master AND type = push)",
			  "[:or, [:or, [:match, [:call, :env, [[:val, \"REBUILD\"]]], [:reg, \"^true$\"]], [:match, [:call, :env, [[:val, \"FORCE_REBUILD\"]]], [:reg, \"^true$\"]]], [:and, [:eq, [:var, :branch], [:val, \"master\"]], [:eq, [:var, :type], [:val, \"push\"]]]]" },
			{ "type = cron OR env(TEST_SQLITE) ~= ^true$",
			  "[:or, [:eq, [:var, :type], [:val, \"cron\"]], [:match, [:call, :env, [[:val, \"TEST_SQLITE\"]]], [:reg, \"^true$\"]]]" },
			{ "tags IS blank", "[:is, [:val, \"tags\"], :blank]" },
			{ "type = cron OR env(TEST_SQLITE) IS true",
			  "[:or, [:eq, [:var, :type], [:val, \"cron\"]], [:is, [:call, :env, [[:val, \"TEST_SQLITE\"]]], :true]]" },
			{ "tag !~ \\",
			  "[:not_match, [:var, :tag], [:reg, \"\\\\\"]]" },
			{ " ^v-", "[:val, \"^v-\"]" },
			{ "env(REBUILD) OR env(FORCE_REBUILD) OR branch = master",
			  "[:or, [:or, [:call, :env, [[:val, \"REBUILD\"]]], [:call, :env, [[:val, \"FORCE_REBUILD\"]]]], [:eq, [:var, :branch], [:val, \"master\"]]]" },
			{ "env(DOCKER_BUILD)",
			  "[:call, :env, [[:val, \"DOCKER_BUILD\"]]]" },
			{ "env(DOCKER_PASSWORD)",
			  "[:call, :env, [[:val, \"DOCKER_PASSWORD\"]]]" },
			{ "type = cron OR env(TEST_SQLITE)",
			  "[:or, [:eq, [:var, :type], [:val, \"cron\"]], [:call, :env, [[:val, \"TEST_SQLITE\"]]]]" },
			{ "type != pull_request AND ( branch =~ ^release$ OR branch =~ ^release-(d).(d).(d)$ )",
			  "[:and, [:not_eq, [:var, :type], [:val, \"pull_request\"]], [:or, [:match, [:var, :branch], [:reg, \"^release$\"]], [:match, [:var, :branch], [:reg, \"^release-(d).(d).(d)$\"]]]]" },
			{ "type != pull_request AND (branch =~ ^release$ OR branch =~ ^release-(d).(d).(d)$)",
			  "[:and, [:not_eq, [:var, :type], [:val, \"pull_request\"]], [:or, [:match, [:var, :branch], [:reg, \"^release$\"]], [:match, [:var, :branch], [:reg, \"^release-(d).(d).(d)$\"]]]]" },
			{ "(branch = master) OR (branch =~ ^release/) OR (tag is present)",
			  "[:or, [:or, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :branch], [:reg, \"^release\"]]], [:is, [:var, :tag], :present]]" },
			{ "(branch = dev) AND (type IS cron)", NULL },
			{ "(repo IS 2m/sssio) AND (tag =~ ^v)", NULL },
			{ "branch IS master", NULL },
			{ "type IS push", NULL },
			{ "(type = pull_request) AND (branch IN dev)", NULL },
			{ "branch = IN (master, dev_package)", NULL },
			{ "branch = master AND ( tag =~ ^deploy/ OR )", NULL },
			{ "branch = master AND type NON IN (pull_request)",
			  NULL },
			{ "branch = master NOT type = pull_request", NULL },
			{ "branch = type = pull_request", NULL },
			{ "tag NOT present", NULL },
			{ "env(FORCE_JOBS) IS blank && (branch = ${MASTER_BRANCH} OR type = pull_request)",
			  NULL },
			{ "branch = master or branch !=~ ^renovate/", NULL },
			{ "env(TRAVIS_COMMIT_MESSAGE) =~ ^Replace Conditionalaaa$",
			  NULL },
			{ "env(TRAVIS_COMMIT_MESSAGE) IN (Replace Conditional)",
			  NULL },
			{ "env(TRAVIS_COMMIT_MESSAGE) = Replace conditional",
			  NULL },
			{ "\n        repo = iribeyri/travis-experiments\n        AND type != pull_request\n        AND (branch = master OR tag =~ ^v[0-9]+.[0-9]+.[0-9]+.*$)\n      ", "[:and, [:and, [:eq, [:var, :repo], [:val, \"iribeyri/travis-experiments\"]], [:not_eq, [:var, :type], [:val, \"pull_request\"]]], [:or, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :tag], [:reg, \"^v[0-9]+.[0-9]+.[0-9]+.*$\"]]]]" },
			{ "commit_message !~ concat(\"[skip\", env(TRAVIS_JOB_NAME), \"]\")",
			  "[:not_match, [:var, :commit_message], [:reg, [:call, :concat, [[:val, \"[skip\"], [:call, :env, [[:val, \"TRAVIS_JOB_NAME\"]]], [:val, \"]\"]]]]]" },
		};

void test_cond__upstream_parser_specs(void)
{
	check_parse_cases(upstream_parse, ARRAY_SIZE(upstream_parse));
}

/* eval_spec.rb, conditions_spec.rb (eval) and data_spec.rb (as env()). */
static const struct eval_case upstream_eval[] = {
	{ "1",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "0",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "\"\"",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "true",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "TRUE",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "false",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "FALSE",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "NOT branch = foo AND (env(foo) = foo OR tag = wat)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch = foo OR env(foo) = foo AND NOT tag = wat",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch = foo OR env(foo) = foo AND tag = wat",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(bar) = true",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "concat(foo, -, bar) = foo-bar",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "concat(branch, -, env(foo), -, env(bar)) = master-foo-false",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "tag =~ /^(0|[1-9]\\d*)(?:\\.(0|[1-9]\\d*))?(?:\\.(0|[1-9]\\d*))?(?:-([\\w.-]+))?(?:\\+([\\w.-]+))?$ AND type IN (push, api)/",
	  "{\"branch\":\"master\",\"tag\":\"0.0.1\",\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "1 = 1",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "true = true",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch = master",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch = foo",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(foo) = foo",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "ENV(foo) = foo",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "env(foo) = bar",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "branch != master",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "branch != foo",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "env(foo) != foo",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(foo) != bar",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch =~ ^ma.*$",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch =~ ^foo.*$",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(foo) =~ ^foo.*$",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "env(foo) =~ ^bar.*$",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(foo) =~ env(foo)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "env(foo) =~ concat(\"^\", env(foo), \"$\")",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "env(missing) =~ str",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "str =~ env(missing)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(missing) =~ ^.*$",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "^.*$ =~ env(missing)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "str =~ /[z-a]/",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  -2 },
	{ "branch in (foo, master, bar)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch IN (foo, master, bar)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch IN (foo, bar)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(foo) IN (foo, bar, baz)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "env(foo) IN (bar, baz)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "branch not in (foo, master, bar)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "branch NOT IN (foo, master, bar)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "branch NOT IN (foo, bar)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "env(foo) NOT IN (foo, bar, baz)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(foo) NOT IN (bar, baz)",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch is present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch IS PRESENT",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "tag IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(foo) IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\"}}", 1 },
	{ "env(foo) IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":1}}", 1 },
	{ "env(foo) IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":true}}", 1 },
	{ "env(foo) IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":[\"foo=foo\"]}", 1 },
	{ "env(foo) IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":[\"foo=1\"]}", 1 },
	{ "env(foo) IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":[\"foo=true\"]}", 1 },
	{ "env(bar) IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(baz) IS present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "branch IS BLANK",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "branch IS blank",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "tag IS blank",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "env(foo) IS blank",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(bar) IS blank",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "env(baz) IS blank",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch is not present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "branch IS NOT present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "tag IS NOT present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "branch IS NOT blank",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  1 },
	{ "tag IS NOT blank",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(foo) IS NOT present",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "env(bar) IS NOT blank",
	  "{\"branch\":\"master\",\"tag\":null,\"env\":{\"foo\":\"foo\",\"bar\":false}}",
	  0 },
	{ "sudo = true", "{\"sudo\":\"true\"}", 1 },
	{ "sudo != false", "{\"sudo\":\"true\"}", 1 },
	{ "sudo IS true", "{\"sudo\":\"true\"}", 1 },
	{ "sudo IS NOT false", "{\"sudo\":\"true\"}", 1 },
	{ "branch = env(FOO)",
	  "{\"branch\":\"foo\",\"env\":[{\"FOO\":\"\\\"foo\\\"\"}]}", 1 },
	{ "repo = env(SLUG)",
	  "{\"repo\":\"owner/name\",\"env\":[{\"SLUG\":\"owner/name\"}]}", 1 },
	{ "repo = env(REPO)",
	  "{\"repo\":\"owner/name\",\"env\":[{\"REPO\":\"owner/name\"}]}", 1 },
	{ "branch =~ env(PATTERN)", "{\"branch\":\"master\",\"env\":[]}", 0 },
	{ "branch = env()", "{\"branch\":\"master\"}", 0 },
	{ "env(FOO) = 'foo'",
	  "{\"branch\":\"branch\",\"env\":{\"FOO\":\"foo\"}}", 1 },
	{ "env(FOO) = 'foo'", "{\"branch\":\"branch\",\"env\":[\"FOO=foo\"]}",
	  1 },
	{ "env(FOO) = 'foo'",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=foo BAR=bar\"]}", 1 },
	{ "env(BAR) = 'bar'",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=foo BAR=bar\"]}", 1 },
	{ "env(FOO) = 'foo bar'",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=\\\"foo bar\\\" BAR=\\\"bar baz\\\"\"]}",
	  1 },
	{ "env(BAR) = 'bar baz'",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=\\\"foo bar\\\" BAR=\\\"bar baz\\\"\"]}",
	  1 },
	{ "env(FOO) = 'foo\\ bar'",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=foo\\\\ bar\"]}", 1 },
	{ "env(FOO) = \"`bar 'baz'`\"",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=`bar 'baz'`\"]}", 1 },
	{ "env(FOO) = '`bar \"baz\"`'",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=`bar \\\"baz\\\"`\"]}", 1 },
	{ "env(FOO) = \"$(bar 'baz')\"",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=$(bar 'baz')\"]}", 1 },
	{ "env(FOO) = 'foo'",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=foo BAR=bar\",{\"secure\":\"12345\"}]}",
	  1 },
	{ "env(BAR) = 'bar'",
	  "{\"branch\":\"branch\",\"env\":[\"FOO=foo BAR=bar\",{\"secure\":\"12345\"}]}",
	  1 },
	{ "env(FOO) = 'foo'",
	  "{\"branch\":\"branch\",\"env\":[{\"FOO\":\"foo\"}]}", 1 },
	{ "env(BAR) = 'bar'",
	  "{\"branch\":\"branch\",\"env\":[{\"FOO\":\"foo\"},{\"BAR\":\"bar\"}]}",
	  1 },
	{ "env(FOO) = 'foo'",
	  "{\"branch\":\"branch\",\"env\":[{\"FOO\":\"\\\"foo\\\"\"}]}", 1 },
	{ "env(FOO) = 'foo'",
	  "{\"branch\":\"branch\",\"env\":[{\"FOO\":\"'foo'\"}]}", 1 },
	{ "env(FOO) = '\"foo'",
	  "{\"branch\":\"branch\",\"env\":[{\"FOO\":\"\\\"foo\"}]}", 1 },
	{ "env(FOO) = 'foo\"'",
	  "{\"branch\":\"branch\",\"env\":[{\"FOO\":\"foo\\\"\"}]}", 1 },
	{ "env(FOO) = \"'foo\"",
	  "{\"branch\":\"branch\",\"env\":[{\"FOO\":\"'foo\"}]}", 1 },
	{ "env(FOO) = \"foo'\"",
	  "{\"branch\":\"branch\",\"env\":[{\"FOO\":\"foo'\"}]}", 1 },
};

void test_cond__upstream_eval_specs(void)
{
	check_eval_cases(upstream_eval, ARRAY_SIZE(upstream_eval));
}

/* The examples of spec section 6.3, with its data. */
void test_cond__spec_section_6_examples(void)
{
	static const char data[] = "{\"branch\": \"master\", \"env\": "
				   "{\"foo\": \"foo\", \"bar\": false}}";
	static const struct eval_case cases[] = {
		{ "NOT branch = foo AND (env(foo) = foo OR tag = wat)", data,
		  1 },
		{ "branch = foo OR env(foo) = foo AND tag = wat", data, 0 },
		{ "env(bar) = true", data, 0 },
		{ "concat(foo, -, bar) = foo-bar", data, 1 },
		{ "env(missing) =~ ^.*$", data, 0 },
		{ "branch IS blank", data, 0 },
		{ "env(bar) IS blank", data, 1 },
		{ "1", data, 1 },
		{ "0", data, 1 },
		{ "\"\"", data, 1 },
		{ "false", data, 0 },
		{ "FALSE", data, 0 },
		{ "tag", data, 0 },
		{ "1 = 01", data, 0 },
		{ "fork = false", "{\"fork\": false}", 1 },
		{ "fork = false", "{\"fork\": \"false\"}", 1 },
		{ "BRANCH = master", data, 0 },
		{ "env(missing) !~ x", data, 1 },
		{ "str =~ /[z-a]/", data, -2 },
		{ "branch IS \"master\"", data, -1 },
		{ "branch = master \\\n AND env(foo) = foo", data, 1 },
		{ "branch = $FOO", data, -1 },
		{ "branch = \"$FOO\"", data, 0 },
		{ "branch =~ /^ma ster$|^master$/", data, 1 },
		{ "branch =~ ^ma.*$)", data, -1 },
		{ "branch =~ /^ma.*$)/", data, -2 },
	};

	check_eval_cases(cases, ARRAY_SIZE(cases));
}

/*
 * Our own cases for upstream's quirks and for every class of parse and
 * evaluation error; the trees and results were checked against
 * travis-conditions.
 */
static const char own_data[] =
	"{\"type\":\"push\",\"branch\":\"master\",\"repo\":\"octo/app\",\"os\":\"linux\",\"fork\":false,\"tag\":null,\"commit_message\":\"Fix [skip deploy]\",\"env\":[\"FOO=false BAR=1\",\"PAT='^ma' BR=master\",\"EMPTY=\"]}";

static const struct {
	const char *src;
	const char *sexp; /* NULL: does not parse */
	int want;	  /* as in struct eval_case */
} own_cases[] = {
	{ "nothing = x", "[:not, [:eq, [:val, \"hing\"], [:val, \"x\"]]]", 1 },
	{ "environment = x", "[:eq, [:val, \"ironment\"], [:val, \"x\"]]", 0 },
	{ "envy = x", "[:eq, [:val, \"y\"], [:val, \"x\"]]", 0 },
	{ "branchy = master", "[:eq, [:val, \"branchy\"], [:val, \"master\"]]",
	  0 },
	{ "BRANCH = master", "[:eq, [:val, \"BRANCH\"], [:val, \"master\"]]",
	  0 },
	{ "branch!=master", "[:not_eq, [:val, \"branch\"], [:val, \"master\"]]",
	  1 },
	{ "branch = master AND", NULL, -1 },
	{ "branch = master ORDER",
	  "[:or, [:eq, [:var, :branch], [:val, \"master\"]], [:val, \"DER\"]]",
	  1 },
	{ "branch = master andrew = x",
	  "[:and, [:eq, [:var, :branch], [:val, \"master\"]], [:eq, [:val, \"rew\"], [:val, \"x\"]]]",
	  0 },
	{ "type IN (push, api,)",
	  "[:in, [:var, :type], [[:val, \"push\"], [:val, \"api\"]]]", 1 },
	{ "type IN (push, api,,)",
	  "[:in, [:var, :type], [[:val, \"push\"], [:val, \"api\"]]]", 1 },
	{ "type IN (push,, api)", NULL, -1 },
	{ "type IN ()", NULL, -1 },
	{ "type IN push", NULL, -1 },
	{ "type in", "[:in, [:var, :type], nil]", -2 },
	{ "branch IS master", NULL, -1 },
	{ "branch IS present AND", NULL, -1 },
	{ "branch =~", "[:match, [:var, :branch], nil]", 0 },
	{ "branch =~ )", NULL, -1 },
	{ "branch =~ /unterminated",
	  "[:match, [:var, :branch], [:reg, \"unterminated\"]]", 0 },
	{ "branch =~ /a b/ OR type = push",
	  "[:or, [:match, [:var, :branch], [:reg, \"a b\"]], [:eq, [:var, :type], [:val, \"push\"]]]",
	  1 },
	{ "branch =~ ^ma)", NULL, -1 },
	{ "branch =~ ^(ma)", NULL, -1 },
	{ "branch =~ \xc3\xa4", NULL, -1 },
	{ "branch =~ /\xc3\xa4\xc3\xa4/", NULL, -1 },
	{ "branch =~ \xc3\xa9\xc3\xa9|| type = push",
	  "[:or, [:match, [:var, :branch], [:reg, \"\xc3\xa9\xc3\xa9||\"]], [:eq, [:var, :type], [:val, \"push\"]]]",
	  1 },
	{ "branch =~ env(PAT)",
	  "[:match, [:var, :branch], [:reg, [:call, :env, [[:val, \"PAT\"]]]]]",
	  1 },
	{ "branch =~ environment",
	  "[:match, [:var, :branch], [:reg, \"ironment\"]]", 0 },
	{ "branch =~ true", "[:match, [:var, :branch], [:reg, \"true\"]]", -2 },
	{ "branch =~ false", "[:match, [:var, :branch], [:reg, \"false\"]]",
	  0 },
	{ "branch =~ \"^ma\"",
	  "[:match, [:var, :branch], [:reg, \"\\\"^ma\\\"\"]]", 0 },
	{ "(branch = master", NULL, -1 },
	{ "branch = master)", NULL, -1 },
	{ "\"unterminated", NULL, -1 },
	{ "'unterminated", NULL, -1 },
	{ "branch = $FOO", NULL, -1 },
	{ "$FOO = bar", NULL, -1 },
	{ "branch = \"$FOO\"", "[:eq, [:var, :branch], [:val, \"$FOO\"]]", 0 },
	{ "NOT", NULL, -1 },
	{ "!", NULL, -1 },
	{ "! !branch", "[:not, [:not, [:var, :branch]]]", 1 },
	{ "NOT NOT branch = master",
	  "[:not, [:not, [:eq, [:var, :branch], [:val, \"master\"]]]]", 1 },
	{ "branch = a\\\n OR branch = master",
	  "[:or, [:eq, [:var, :branch], [:val, \"a\"]], [:eq, [:var, :branch], [:val, \"master\"]]]",
	  1 },
	{ "branch = a \\  ", NULL, -1 },
	{ "  OR branch = master", NULL, -1 },
	{ "env(FOO)", "[:call, :env, [[:val, \"FOO\"]]]", 0 },
	{ "env()", "[:call, :env, []]", 0 },
	{ "env(FOO, BAR)", "[:call, :env, [[:val, \"FOO\"], [:val, \"BAR\"]]]",
	  -2 },
	{ "ENV(foo) = foo",
	  "[:eq, [:call, :ENV, [[:val, \"foo\"]]], [:val, \"foo\"]]", 0 },
	{ "concat() = \"\"", "[:eq, [:call, :concat, []], [:val, \"\"]]", 1 },
	{ "concat(branch, \"-\", tag) = master-",
	  "[:eq, [:call, :concat, [[:var, :branch], [:val, \"-\"], [:var, :tag]]], [:val, \"master-\"]]",
	  1 },
	{ "branch == master", "[:eq, [:var, :branch], [:val, \"master\"]]", 1 },
	{ "branch = master || type = cron && os = linux",
	  "[:or, [:eq, [:var, :branch], [:val, \"master\"]], [:and, [:eq, [:var, :type], [:val, \"cron\"]], [:eq, [:var, :os], [:val, \"linux\"]]]]",
	  1 },
	{ "a = b = c", NULL, -1 },
	{ "TRUE", "[:val, \"TRUE\"]", 1 },
	{ "False", "[:val, \"False\"]", 0 },
	{ "fork = false", "[:eq, [:var, :fork], [:val, \"false\"]]", 1 },
	{ "fork IS false", "[:is, [:var, :fork], :false]", 1 },
	{ "env(FOO) IS blank",
	  "[:is, [:call, :env, [[:val, \"FOO\"]]], :blank]", 1 },
	{ "env(MISSING) IS blank",
	  "[:is, [:call, :env, [[:val, \"MISSING\"]]], :blank]", 1 },
	{ "env(MISSING) =~ ^.*$",
	  "[:match, [:call, :env, [[:val, \"MISSING\"]]], [:reg, \"^.*$\"]]",
	  0 },
	{ "env(MISSING) !~ ^.*$",
	  "[:not_match, [:call, :env, [[:val, \"MISSING\"]]], [:reg, \"^.*$\"]]",
	  1 },
	{ "tag IS present", "[:is, [:var, :tag], :present]", 0 },
	{ "tag IS NOT present", "[:is_not, [:var, :tag], :present]", 1 },
	{ "os IS true", "[:is, [:var, :os], :true]", 1 },
	{ "branch IN (env(BR), \"master\")",
	  "[:in, [:var, :branch], [[:call, :env, [[:val, \"BR\"]]], [:val, \"master\"]]]",
	  1 },
	{ "(((branch = master)))", "[:eq, [:var, :branch], [:val, \"master\"]]",
	  1 },
	{ "branch =~ /a\\/b/", "[:match, [:var, :branch], [:reg, \"a\\\\/b\"]]",
	  0 },
	{ "branch =~ /a\\\\/b/",
	  "[:match, [:var, :branch], [:reg, \"a\\\\\\\\/b\"]]", 0 },
	{ "type = push AND (branch = master OR branch =~ ^release/)",
	  "[:and, [:eq, [:var, :type], [:val, \"push\"]], [:or, [:eq, [:var, :branch], [:val, \"master\"]], [:match, [:var, :branch], [:reg, \"^release\"]]]]",
	  1 },
	{ "commit_message =~ /\\[skip deploy\\]/",
	  "[:match, [:var, :commit_message], [:reg, \"\\\\[skip deploy\\\\]\"]]",
	  1 },
	{ "branch =~ [z-a]", "[:match, [:var, :branch], [:reg, \"[z-a]\"]]",
	  -2 },
	{ "env(MISSING) =~ [z-a]",
	  "[:match, [:call, :env, [[:val, \"MISSING\"]]], [:reg, \"[z-a]\"]]",
	  -2 },
	{ "type = cron AND branch =~ [z-a]",
	  "[:and, [:eq, [:var, :type], [:val, \"cron\"]], [:match, [:var, :branch], [:reg, \"[z-a]\"]]]",
	  0 },
	{ "type = push OR branch =~ [z-a]",
	  "[:or, [:eq, [:var, :type], [:val, \"push\"]], [:match, [:var, :branch], [:reg, \"[z-a]\"]]]",
	  1 },
};

void test_cond__quirks_and_error_classes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(own_cases); i++) {
		char *sexp = NULL;
		int got = run(own_cases[i].src, own_data, &sexp);

		if (got != own_cases[i].want) {
			unit_fail(__FILE__, __LINE__, "'%s': %d, want %d",
				  own_cases[i].src, got, own_cases[i].want);
			free(sexp);
			return;
		}
		if (own_cases[i].sexp &&
		    (!sexp || strcmp(sexp, own_cases[i].sexp))) {
			unit_fail(__FILE__, __LINE__,
				  "'%s':\n    got  %s\n    want %s",
				  own_cases[i].src, sexp ? sexp : "(none)",
				  own_cases[i].sexp);
			free(sexp);
			return;
		}
		free(sexp);
	}
}

/* Parse errors say where, in characters, on the condition as written. */
void test_cond__parse_errors_have_positions(void)
{
	static const struct {
		const char *src, *msg;
	} cases[] = {
		{ "branch = master AND", "col 20: expected an operand" },
		{ "(branch = master", "col 17: expected ')'" },
		{ "type IN ()", "col 10: expected a list of values" },
		{ "type IN (a b)", "col 12: expected ')'" },
		{ "\"unterminated", "col 14: expected '\"'" },
		{ "'x", "col 3: expected \"'\"" },
		{ "branch = $FOO",
		  "col 10: strings cannot start with a dollar" },
		{ "branch IS master",
		  "col 11: cannot parse from here: 'master'" },
		{ "branch = master)", "col 16: cannot parse from here: ')'" },
		{ "NOT", "col 4: expected an operand" },
		{ "= foo", "col 1: expected an operand" },
		{ "env(FOO", "col 8: expected ')'" },
		{ "branch = master\nAND (type = x",
		  "line 2, col 14: expected ')'" },
		{ "\xc3\xa4 = \xc3\xa4 AND (x", "col 13: expected ')'" },
		{ "a = b \\\n  AND (", "line 2, col 8: expected an operand" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cond *c = NULL;

		check_int(cond_parse(&c, cases[i].src), ==, FY_EINVALID);
		if (strncmp(err_msg(), cases[i].msg, strlen(cases[i].msg))) {
			unit_fail(__FILE__, __LINE__,
				  "'%s': '%s', want '%s...'", cases[i].src,
				  err_msg(), cases[i].msg);
			return;
		}
	}
}

/* Inputs on which upstream fails with an internal error, not a parse error. */
void test_cond__upstream_internal_errors(void)
{
	struct cond *c = NULL;

	check_int(cond_parse(&c, "branch\xc3\xa9 = x"), ==, FY_EFAIL);
	check_int(cond_parse(&c, "a = \xff"), ==, FY_EFAIL);
	check(!c);
}

/* Evaluation errors name the problem. */
void test_cond__eval_errors(void)
{
	static const struct {
		const char *src, *data, *msg;
	} cases[] = {
		{ "branch =~ /[z-a]/", NULL,
		  "invalid regular expression: /[z-a]/" },
		{ "env(MISSING) =~ (", NULL,
		  "invalid regular expression: /(/" },
		{ "branch =~ true", NULL,
		  "a regular expression must be a string" },
		{ "type in", NULL, "IN needs a list" },
		{ "env(true)", NULL, "env() needs a name" },
		{ "env(a, b)", NULL, "env() takes one argument" },
		{ "env(A)", "{\"env\": \"A=1\"}", "env() needs env data" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		check_int(run(cases[i].src, cases[i].data, NULL), ==, -2);
		if (!strstr(err_msg(), cases[i].msg)) {
			unit_fail(__FILE__, __LINE__, "'%s': '%s', want '%s'",
				  cases[i].src, err_msg(), cases[i].msg);
			return;
		}
	}
}

/* The forms env data comes in (data.rb). */
void test_cond__env_data_forms(void)
{
	static const struct eval_case cases[] = {
		{ "env(A) = 1 AND env(B) = \"x y\"",
		  "{\"env\": [\"A=1 B='x y'\"]}", 1 },
		{ "env(A) = 2", "{\"env\": [\"A=1\", \"A=2\"]}", 1 },
		{ "env(A) = 1", "{\"env\": [{\"A\": \"1\"}, \"B=2\"]}", 1 },
		{ "env(A) = 1", "{\"env\": {\"A\": \"'1'\"}}", 1 },
		{ "env(A) = 1", "{\"env\": [[\"A=1\"]]}", 1 },
		{ "env(A) IS present", "{\"env\": {\"A\": 1}}", 1 },
		{ "env(A) = 1", "{\"env\": {\"A\": 1}}", 0 },
		{ "env(A) IS blank", "{\"env\": [\"A=false\"]}", 1 },
		{ "env(A) IS blank", "{\"env\": [\"A=FALSE\"]}", 1 },
		{ "env(A) = true", "{\"env\": [\"A='TRUE'\"]}", 1 },
		{ "env(A) IS present", "{\"env\": [\"A='x' BAD=\\\"\"]}", 0 },
		{ "env(B) = 2", "{\"env\": [\"A=\\\"\", \"B=2\"]}", 1 },
		{ "env(secure) = abc", "{\"env\": [{\"secure\": \"abc\"}]}",
		  1 },
		{ "env(A) IS blank", "{\"env\": null}", 1 },
		{ "env(A) IS blank", "{\"env\": false}", 1 },
		{ "env(A) IS blank", "{}", 1 },
		{ "env(A) IS blank", NULL, 1 },
		{ "env(A) = \"a\nb\"", "{\"env\": {\"A\": \"'a'\\n'b'\"}}", 1 },
		{ "env(A) = x", "{\"env\": \"A=x\"}", -2 },
		{ "env(A) = x", "{\"env\": true}", -2 },
		{ "env(A) = \"x=y\"", "{\"env\": [\"A=x=y\"]}", 1 },
		{ "env(FOO) = \"$(cmd) BAR=x\"",
		  "{\"env\": [\"FOO=$(cmd) BAR=x\"]}", 1 },
	};

	check_eval_cases(cases, ARRAY_SIZE(cases));
}

/* Data attributes: strings, booleans, numbers, missing ones. */
void test_cond__data_attributes(void)
{
	static const char data[] =
		"{\"type\": \"pull_request\", \"fork\": true, \"draft\": false,"
		" \"sudo\": \"TRUE\", \"group\": 1, \"head_repo\": \"a/b\","
		" \"head_branch\": \"feat\", \"sender\": \"me\", \"dist\": \"focal\","
		" \"language\": \"c\", \"commit_message\": \"x\\ny\"}";
	static const struct eval_case cases[] = {
		{ "fork", data, 1 },
		{ "draft", data, 0 },
		{ "fork = true AND draft = false", data, 1 },
		{ "sudo = true AND sudo IS true", data, 1 },
		{ "group = 1", data, 0 },
		{ "group IS present", data, 1 },
		{ "concat(group, x) = 1x", data, 1 },
		{ "group =~ ^1$", data, 1 },
		{ "head_repo = a/b AND head_branch = feat AND sender = me",
		  data, 1 },
		{ "dist IN (xenial, focal) AND language = c", data, 1 },
		{ "commit_message =~ ^y$", data, 1 },
		{ "commit_message =~ /\\Ay\\z/", data, 0 },
		{ "os IS blank AND repo IS blank", data, 1 },
		{ "type = pull_request", data, 1 },
	};

	check_eval_cases(cases, ARRAY_SIZE(cases));
}

/* Deep nesting is refused, long chains evaluate without recursion. */
void test_cond__nesting_and_long_chains(void)
{
	struct buf b = BUF_INIT;
	struct cond *c = NULL;
	bool res = false;

	for (int i = 0; i < 5000; i++)
		buf_addch(&b, '(');
	buf_addstr(&b, "a");
	for (int i = 0; i < 5000; i++)
		buf_addch(&b, ')');
	check_int(cond_parse(&c, b.ptr), ==, FY_EINVALID);
	check(strstr(err_msg(), "nested too deeply"));

	buf_reset(&b);
	for (int i = 0; i < 5000; i++)
		buf_addstr(&b, "env(");
	check_int(cond_parse(&c, b.ptr), ==, FY_EINVALID);

	/* 6,000 terms (bare words would swallow "&&" without spaces). */
	buf_reset(&b);
	buf_addstr(&b, "a");
	for (int i = 0; i < 6000; i++)
		buf_addstr(&b, " && a");
	check_ok(cond_check(b.ptr, NULL, &res));
	check(res);
	buf_addstr(&b, " && false");
	check_ok(cond_check(b.ptr, NULL, &res));
	check(!res);
	buf_reset(&b);
	buf_addstr(&b, "false");
	for (int i = 0; i < 6000; i++)
		buf_addstr(&b, " OR false");
	check_ok(cond_check(b.ptr, NULL, &res));
	check(!res);
	buf_addstr(&b, " || a");
	check_ok(cond_check(b.ptr, NULL, &res));
	check(res);
	check_ok(cond_parse(&c, b.ptr));
	{
		char *s = cond_sexp(c);

		check(!strncmp(s, "[:or, [:or, ", 12));
		free(s);
	}
	cond_free(c);
	buf_release(&b);
}
