/*
 * The build plan (runner/plan.c): spec sections 5.3-5.6 and 6.1, 6.4, and
 * the scenarios of travis-yml's configs/stages_spec.rb,
 * configs/allow_failures_spec.rb, configs/conditionals_spec.rb and
 * configs_spec.rb restated as tables.  Configs are normalised YAML,
 * requests and jobs JSON (jobs as travis-yml's Configs#jobs: in the final
 * order, with `stage` and `allow_failure` in the job).
 */
#include "compat.h"

#include "buf.h"
#include "error.h"
#include "json.h"
#include "loader.h"
#include "matrix.h"
#include "msg.h"
#include "unit.h"
#include "val.h"

struct plan_case {
	const char *name;
	const char *yaml;    /* normalised config */
	const char *request; /* JSON, or NULL: no request data */
	const char *jobs;    /* JSON job configs, or NULL: not checked */
	const char *stages;  /* "a,b" stage names, or NULL: not checked */
	const char *reason;  /* why no build is created, NULL: created;
			      * a trailing '*' matches any rest */
	const char *dropped; /* "reason|reason", or NULL: not checked */
};

/* conditionals_spec.rb's request data */
#define CREQ   "{\"branch\": \"master\", \"env\": [{\"SETTING\": \"on\"}]}"
#define NOJOBS "the matrix created no jobs"

static const struct plan_case plan_cases[] = {
	/* configs/stages_spec.rb: stage names */
	{ "stages: no stages", "jobs:\n  include:\n  - name: one\n  - {}\n",
	  NULL, "[{\"name\": \"one\"}, {}]", "", NULL, "" },
	{ "stages: no stages section (1)",
	  "jobs:\n  include:\n  - {stage: one, name: a}\n  - {name: b}\n"
	  "  - {stage: two, name: c}\n  - {name: d}\n",
	  NULL,
	  "[{\"stage\": \"one\", \"name\": \"a\"}, {\"stage\": \"one\", "
	  "\"name\": \"b\"},"
	  " {\"stage\": \"two\", \"name\": \"c\"}, {\"stage\": \"two\", "
	  "\"name\": \"d\"}]",
	  "one,two", NULL, "" },
	{ "stages: no stages section (2)",
	  "jobs:\n  include:\n  - {name: a}\n  - {name: b}\n"
	  "  - {stage: one, name: c}\n  - {name: d}\n",
	  NULL,
	  "[{\"stage\": \"test\", \"name\": \"a\"}, {\"stage\": \"test\", "
	  "\"name\": \"b\"},"
	  " {\"stage\": \"one\", \"name\": \"c\"}, {\"stage\": \"one\", "
	  "\"name\": \"d\"}]",
	  "test,one", NULL, "" },
	{ "stages: stages section",
	  "stages:\n- {name: one, if: 'true'}\n- {name: two}\n"
	  "jobs:\n  include:\n  - {stage: three, name: j1}\n"
	  "  - {stage: two, name: j2}\n  - {name: j3}\n"
	  "  - {stage: one, name: j4}\n  - {name: j5}\n"
	  "  - {stage: four, name: j6}\n",
	  "{}",
	  "[{\"stage\": \"one\", \"name\": \"j4\"}, {\"stage\": \"one\", "
	  "\"name\": \"j5\"},"
	  " {\"stage\": \"two\", \"name\": \"j2\"}, {\"stage\": \"two\", "
	  "\"name\": \"j3\"},"
	  " {\"stage\": \"three\", \"name\": \"j1\"}, {\"stage\": \"four\", "
	  "\"name\": \"j6\"}]",
	  "one,two,three,four", NULL, "" },
	{ "stages: stages section with an empty stage",
	  "stages:\n- {name: empty}\n- {name: one}\n"
	  "jobs:\n  include:\n  - {stage: one, name: a}\n  - {stage: one, "
	  "name: b}\n",
	  NULL,
	  "[{\"stage\": \"one\", \"name\": \"a\"}, {\"stage\": \"one\", "
	  "\"name\": \"b\"}]",
	  "one", NULL, "" },
	{ "stages: conditional stage matches",
	  "stages:\n- {name: one}\n- {name: two, if: branch = other}\n"
	  "jobs:\n  include:\n  - {stage: one}\n  - {stage: two}\n",
	  "{\"branch\": \"other\"}",
	  "[{\"stage\": \"one\"}, {\"stage\": \"two\"}]", "one,two", NULL, "" },
	{ "stages: conditional stage does not match",
	  "stages:\n- {name: one}\n- {name: two, if: branch = other}\n"
	  "jobs:\n  include:\n  - {stage: one}\n  - {stage: two}\n",
	  "{\"branch\": \"master\"}", "[{\"stage\": \"one\"}]", "one", NULL,
	  "stage 'two' is skipped: if: branch = other is false" },
	{ "stages: stage name capitalized",
	  "stages:\n- {name: One}\njobs:\n  include:\n  - {stage: one}\n", NULL,
	  "[{\"stage\": \"one\"}]", "One", NULL, "" },
	{ "stages: job stage capitalized",
	  "stages:\n- {name: one}\njobs:\n  include:\n  - {stage: One}\n", NULL,
	  "[{\"stage\": \"One\"}]", "one", NULL, "" },
	{ "stages: default stage name out of matrix expansion",
	  "stages:\n- {name: other}\n- {name: test}\n"
	  "jobs:\n  include:\n  - {name: a}\n  - {stage: other, name: b}\n"
	  "  - {stage: test, name: c}\n",
	  NULL,
	  "[{\"stage\": \"other\", \"name\": \"b\"}, {\"stage\": \"test\", "
	  "\"name\": \"a\"},"
	  " {\"stage\": \"test\", \"name\": \"c\"}]",
	  "other,test", NULL, "" },
	{ "stages: plain strings in stages:, expanded jobs in the first stage",
	  "stages: [test, deploy]\nrvm: ['2.6', '2.7']\n"
	  "jobs:\n  include:\n  - {stage: deploy, name: d}\n",
	  NULL,
	  "[{\"rvm\": \"2.6\", \"stage\": \"test\"}, {\"rvm\": \"2.7\", "
	  "\"stage\": \"test\"},"
	  " {\"rvm\": \"2.6\", \"stage\": \"deploy\", \"name\": \"d\"}]",
	  "test,deploy", NULL, "" },

	/* configs_spec.rb "with stages" and "stages" */
	{ "configs: allow_failures, no stages section",
	  "jobs:\n  include:\n  - {name: one, stage: one}\n  - {name: two}\n"
	  "  - {name: three, stage: two}\n  - {name: four}\n"
	  "  allow_failures:\n  - {name: one}\n  - {name: four}\n",
	  NULL,
	  "[{\"name\": \"two\", \"stage\": \"one\"},"
	  " {\"name\": \"one\", \"stage\": \"one\", \"allow_failure\": true},"
	  " {\"name\": \"three\", \"stage\": \"two\"},"
	  " {\"name\": \"four\", \"stage\": \"two\", \"allow_failure\": true}]",
	  "one,two", NULL, "" },
	{ "configs: allow_failures with a stages section",
	  "stages: [one, two]\n"
	  "jobs:\n  include:\n  - {name: three, stage: two}\n  - {name: four}\n"
	  "  - {name: two, stage: one}\n  - {name: one}\n"
	  "  - {name: six, stage: three}\n  - {name: five}\n"
	  "  allow_failures:\n  - {name: two}\n  - {name: four}\n  - {name: "
	  "six}\n",
	  NULL,
	  "[{\"name\": \"one\", \"stage\": \"one\"},"
	  " {\"name\": \"two\", \"stage\": \"one\", \"allow_failure\": true},"
	  " {\"name\": \"three\", \"stage\": \"two\"},"
	  " {\"name\": \"four\", \"stage\": \"two\", \"allow_failure\": true},"
	  " {\"name\": \"five\", \"stage\": \"three\"},"
	  " {\"name\": \"six\", \"stage\": \"three\", \"allow_failure\": "
	  "true}]",
	  "one,two,three", NULL, "" },
	{ "configs: capitalized stage name Test in stages",
	  "stages:\n- {name: Other}\n- {name: Test}\n"
	  "env:\n  jobs: [{ONE: one}, {TWO: two}]\n"
	  "jobs:\n  include:\n  - {stage: Other, name: other}\n"
	  "  - {stage: Test, name: test}\n",
	  NULL,
	  "[{\"stage\": \"Other\", \"name\": \"other\", \"env\": [{\"ONE\": "
	  "\"one\"}]},"
	  " {\"stage\": \"Test\", \"env\": [{\"ONE\": \"one\"}]},"
	  " {\"stage\": \"Test\", \"env\": [{\"TWO\": \"two\"}]},"
	  " {\"stage\": \"Test\", \"name\": \"test\", \"env\": [{\"ONE\": "
	  "\"one\"}]}]",
	  "Other,Test", NULL, "" },
	{ "configs: capitalized stage name Test in jobs",
	  "stages:\n- {name: other}\n- {name: test}\n"
	  "env:\n  jobs: [{ONE: one}, {TWO: two}]\n"
	  "jobs:\n  include:\n  - {stage: Other, name: other}\n"
	  "  - {stage: Test, name: test}\n",
	  NULL,
	  "[{\"stage\": \"Other\", \"name\": \"other\", \"env\": [{\"ONE\": "
	  "\"one\"}]},"
	  " {\"stage\": \"test\", \"env\": [{\"ONE\": \"one\"}]},"
	  " {\"stage\": \"test\", \"env\": [{\"TWO\": \"two\"}]},"
	  " {\"stage\": \"Test\", \"name\": \"test\", \"env\": [{\"ONE\": "
	  "\"one\"}]}]",
	  "other,test", NULL, "" },
	{ "configs: allow_failures with env.global",
	  "env:\n  global: [{FOO: foo}]\n"
	  "jobs:\n  include:\n  - env: [{BAR: bar}]\n  - env: [{BAZ: baz}]\n"
	  "  allow_failures:\n  - env: [{BAZ: baz}]\n",
	  NULL,
	  "[{\"env\": [{\"FOO\": \"foo\"}, {\"BAR\": \"bar\"}]},"
	  " {\"env\": [{\"FOO\": \"foo\"}, {\"BAZ\": \"baz\"}], "
	  "\"allow_failure\": true}]",
	  "", NULL, "" },
	{ "configs: allow_failures matching include env and env.global",
	  "env:\n  global: [{FOO: foo}]\n"
	  "jobs:\n  include:\n  - env: [{BAR: bar}]\n"
	  "  allow_failures:\n  - env: [{FOO: foo}, {BAR: bar}]\n",
	  NULL,
	  "[{\"env\": [{\"FOO\": \"foo\"}, {\"BAR\": \"bar\"}], "
	  "\"allow_failure\": true}]",
	  "", NULL, "" },
	{ "configs: conditional exclude matching the default stage name",
	  "env:\n  jobs: [{ONE: one}, {TWO: two}]\n"
	  "jobs:\n  exclude:\n  - env: [{TWO: two}]\n    stage: test\n",
	  NULL, "[{\"env\": [{\"ONE\": \"one\"}]}]", "", NULL,
	  "excluded by jobs.exclude entry 1" },

	/* configs/allow_failures_spec.rb */
	{ "allow_failures: none", "rvm: [2.6.5, 2.7.0]\n", NULL,
	  "[{\"rvm\": \"2.6.5\"}, {\"rvm\": \"2.7.0\"}]", "", NULL, "" },
	{ "allow_failures: default matrix expansion",
	  "rvm: [2.6.5, 2.7.0]\ngemfile: [one, two]\n"
	  "jobs:\n  allow_failures:\n  - {rvm: 2.6.5, gemfile: one}\n"
	  "  - {rvm: 2.7.0, gemfile: two}\n",
	  NULL,
	  "[{\"rvm\": \"2.6.5\", \"gemfile\": \"two\"},"
	  " {\"rvm\": \"2.7.0\", \"gemfile\": \"one\"},"
	  " {\"rvm\": \"2.6.5\", \"gemfile\": \"one\", \"allow_failure\": "
	  "true},"
	  " {\"rvm\": \"2.7.0\", \"gemfile\": \"two\", \"allow_failure\": "
	  "true}]",
	  "", NULL, NULL },
	{ "allow_failures: the branch matches",
	  "rvm: [2.6.5, 2.7.0]\n"
	  "jobs:\n  allow_failures:\n  - {rvm: 2.6.5, branch: master}\n",
	  "{\"branch\": \"master\"}",
	  "[{\"rvm\": \"2.7.0\"}, {\"rvm\": \"2.6.5\", \"allow_failure\": "
	  "true}]",
	  "", NULL, NULL },
	{ "allow_failures: the branch does not match",
	  "rvm: [2.6.5, 2.7.0]\n"
	  "jobs:\n  allow_failures:\n  - {rvm: 2.6.5, branch: master}\n",
	  "{\"branch\": \"other\"}",
	  "[{\"rvm\": \"2.6.5\"}, {\"rvm\": \"2.7.0\"}]", "", NULL, NULL },
	{ "allow_failures: empty section with condition",
	  "env:\n  jobs: [{ONE: one}, {TWO: two}]\n"
	  "jobs:\n  allow_failures:\n  - if: env(TWO) = two\n",
	  "{}",
	  "[{\"env\": [{\"ONE\": \"one\"}]},"
	  " {\"env\": [{\"TWO\": \"two\"}], \"allow_failure\": true}]",
	  "", NULL, NULL },
	{ "allow_failures: no match with extra env vars (1)",
	  "jobs:\n  include:\n  - env: [{ONE: one}, {TWO: two}]\n"
	  "  allow_failures:\n  - env: [{ONE: one}]\n",
	  NULL, "[{\"env\": [{\"ONE\": \"one\"}, {\"TWO\": \"two\"}]}]", "",
	  NULL, NULL },
	{ "allow_failures: no match with extra env vars (2)",
	  "jobs:\n  include:\n  - env: [{ONE: one, TWO: two}]\n"
	  "  allow_failures:\n  - env: [{TWO: two}]\n",
	  NULL, "[{\"env\": [{\"ONE\": \"one\", \"TWO\": \"two\"}]}]", "", NULL,
	  NULL },
	{ "allow_failures: invalid condition",
	  "jobs:\n  allow_failures:\n  - {name: two, if: '= kaputt'}\n"
	  "  include:\n  - {name: one}\n  - {name: two}\n",
	  "{}", "[{\"name\": \"one\"}, {\"name\": \"two\"}]", "", NULL, NULL },
	{ "allow_failures: with stages",
	  "jobs:\n  allow_failures:\n  - env: [{ONE: one}]\n"
	  "  include:\n  - {stage: one, env: [{ONE: one}]}\n"
	  "  - {stage: one, env: [{TWO: two}]}\n"
	  "  - {stage: two, env: [{ONE: one}]}\n"
	  "  - {stage: two, env: [{TWO: two}]}\n"
	  "  - {stage: three, env: [{ONE: one}]}\n"
	  "  - {stage: three, env: [{TWO: two}]}\n",
	  NULL,
	  "[{\"stage\": \"one\", \"env\": [{\"TWO\": \"two\"}]},"
	  " {\"stage\": \"one\", \"env\": [{\"ONE\": \"one\"}], "
	  "\"allow_failure\": true},"
	  " {\"stage\": \"two\", \"env\": [{\"TWO\": \"two\"}]},"
	  " {\"stage\": \"two\", \"env\": [{\"ONE\": \"one\"}], "
	  "\"allow_failure\": true},"
	  " {\"stage\": \"three\", \"env\": [{\"TWO\": \"two\"}]},"
	  " {\"stage\": \"three\", \"env\": [{\"ONE\": \"one\"}], "
	  "\"allow_failure\": true}]",
	  "one,two,three", NULL, NULL },
	{ "allow_failure set by an include (spec 5.3), sorted last",
	  "jobs:\n  include:\n  - {name: a, allow_failure: true}\n  - {name: "
	  "b}\n",
	  NULL,
	  "[{\"name\": \"b\"}, {\"name\": \"a\", \"allow_failure\": true}]", "",
	  NULL, NULL },

	/* configs/conditionals_spec.rb: jobs */
	{ "conditionals: job not matching",
	  "jobs:\n  include:\n  - if: 'false'\n", CREQ, "[]", "", NOJOBS,
	  "if: false is false" },
	{ "conditionals: job matching branch",
	  "jobs:\n  include:\n  - if: branch = master\n", CREQ,
	  "[{\"if\": \"branch = master\"}]", "", NULL, "" },
	{ "conditionals: job matching a repo setting",
	  "jobs:\n  include:\n  - if: env(SETTING) = on\n", CREQ,
	  "[{\"if\": \"env(SETTING) = on\"}]", "", NULL, "" },
	{ "conditionals: job matching env.global",
	  "env:\n  global: [{ONE: one}]\n"
	  "jobs:\n  include:\n  - if: env(ONE) = one\n",
	  CREQ, "[{\"if\": \"env(ONE) = one\", \"env\": [{\"ONE\": \"one\"}]}]",
	  "", NULL, "" },
	{ "conditionals: job matching env.jobs (the first entry)",
	  "env:\n  jobs: [{ONE: one}]\n"
	  "jobs:\n  include:\n  - if: env(ONE) = one\n",
	  CREQ, "[{\"if\": \"env(ONE) = one\", \"env\": [{\"ONE\": \"one\"}]}]",
	  "", NULL, "" },
	{ "conditionals: job matching its own env",
	  "jobs:\n  include:\n  - env: [{ONE: one}]\n    if: env(ONE) = one\n",
	  CREQ, "[{\"if\": \"env(ONE) = one\", \"env\": [{\"ONE\": \"one\"}]}]",
	  "", NULL, "" },
	{ "conditionals: invalid job condition",
	  "jobs:\n  include:\n  - name: one\n  - name: two\n    if: '= "
	  "kaputt'\n",
	  CREQ, "[{\"name\": \"one\"}]", "", NULL, NULL },

	/* configs/conditionals_spec.rb: stages */
	{ "conditionals: stage not matching",
	  "stages:\n- {name: test, if: 'false'}\n"
	  "jobs:\n  include:\n  - name: one\n",
	  CREQ, "[]", "", NOJOBS,
	  "stage 'test' is skipped: if: false is false" },
	{ "conditionals: stage matching branch",
	  "stages:\n- {name: test, if: branch = master}\n"
	  "jobs:\n  include:\n  - name: one\n",
	  CREQ, "[{\"name\": \"one\", \"stage\": \"test\"}]", "test", NULL,
	  "" },
	{ "conditionals: stage matching a repo setting",
	  "stages:\n- {name: test, if: env(SETTING) = on}\n"
	  "jobs:\n  include:\n  - name: one\n",
	  CREQ, NULL, "test", NULL, "" },
	{ "conditionals: stage matching env.global",
	  "env:\n  global: [{ONE: one}]\n"
	  "stages:\n- {name: test, if: env(ONE) = one}\n",
	  CREQ, NULL, "test", NULL, "" },
	{ "conditionals: stage matching a setting with env.global",
	  "env:\n  global: [{ONE: one}]\n"
	  "stages:\n- {name: deploy, if: env(SETTING)}\n"
	  "jobs:\n  include:\n  - stage: deploy\n",
	  CREQ, NULL, "deploy", NULL, "" },
	{ "conditionals: stage matching env.jobs (root env merged)",
	  "env:\n  jobs: [{one: one}]\n"
	  "stages:\n- {name: test, if: env(one) = one}\n",
	  CREQ, NULL, "test", NULL, "" },
	{ "conditionals: stage does not see a job's env",
	  "stages:\n- {name: test, if: env(one) = one}\n"
	  "jobs:\n  include:\n  - env: [{one: one}]\n",
	  CREQ, "[]", "", NOJOBS, NULL },
	{ "conditionals: invalid stage condition",
	  "stages:\n- {name: test, if: '= kaputt'}\n- {name: other}\n"
	  "jobs:\n  include:\n  - env: [{ONE: one}]\n",
	  CREQ, "[]", "", NOJOBS, NULL },

	/* configs/conditionals_spec.rb: excludes */
	{ "conditionals: exclude not matching",
	  "jobs:\n  include:\n  - name: one\n  exclude:\n  - if: 'false'\n",
	  CREQ, "[{\"name\": \"one\"}]", "", NULL, "" },
	{ "conditionals: exclude matching branch",
	  "jobs:\n  include:\n  - name: one\n  exclude:\n  - if: branch = "
	  "master\n",
	  CREQ, "[]", "", NOJOBS, "excluded by jobs.exclude entry 1" },
	{ "conditionals: exclude matching a repo setting",
	  "jobs:\n  include:\n  - name: one\n  exclude:\n"
	  "  - if: env(SETTING) = on\n",
	  CREQ, "[]", "", NOJOBS, NULL },
	{ "conditionals: exclude matching env.global",
	  "env:\n  global: [{ONE: one}]\n"
	  "jobs:\n  include:\n  - name: one\n  exclude:\n  - if: env(ONE) = "
	  "one\n",
	  CREQ, "[]", "", NOJOBS, NULL },
	{ "conditionals: exclude matching env.jobs",
	  "env:\n  jobs: [{ONE: one}]\n"
	  "jobs:\n  include:\n  - name: one\n  exclude:\n  - if: env(ONE) = "
	  "one\n",
	  CREQ, "[]", "", NOJOBS, NULL },
	{ "conditionals: exclude (a map) matching the job's env",
	  "jobs:\n  include:\n  - env: [{ONE: one}]\n  exclude:\n"
	  "    if: env(ONE) = one\n",
	  CREQ, "[]", "", NOJOBS, NULL },
	{ "conditionals: invalid exclude condition",
	  "jobs:\n  include:\n  - env: [{ONE: one}]\n  exclude:\n"
	  "    if: '= kaputt'\n",
	  CREQ, "[{\"env\": [{\"ONE\": \"one\"}]}]", "", NULL, "" },

	/* configs/conditionals_spec.rb: allow_failures */
	{ "conditionals: allow_failures not matching",
	  "jobs:\n  include:\n  - name: one\n  allow_failures:\n  - if: "
	  "'false'\n",
	  CREQ, "[{\"name\": \"one\"}]", "", NULL, NULL },
	{ "conditionals: allow_failures matching branch",
	  "jobs:\n  include:\n  - name: one\n  allow_failures:\n"
	  "  - if: branch = master\n",
	  CREQ, "[{\"name\": \"one\", \"allow_failure\": true}]", "", NULL,
	  NULL },
	{ "conditionals: allow_failures matching a repo setting",
	  "jobs:\n  include:\n  - name: one\n  allow_failures:\n"
	  "  - if: env(SETTING) = on\n",
	  CREQ, "[{\"name\": \"one\", \"allow_failure\": true}]", "", NULL,
	  NULL },
	{ "conditionals: allow_failures matching env.global",
	  "env:\n  global: [{ONE: one}]\n"
	  "jobs:\n  include:\n  - name: one\n  allow_failures:\n"
	  "  - if: env(ONE) = one\n",
	  CREQ,
	  "[{\"name\": \"one\", \"env\": [{\"ONE\": \"one\"}], "
	  "\"allow_failure\": true}]",
	  "", NULL, NULL },
	{ "conditionals: allow_failures matching env.jobs",
	  "env:\n  jobs: [{ONE: one}]\n"
	  "jobs:\n  include:\n  - name: one\n  allow_failures:\n"
	  "  - if: env(ONE) = one\n",
	  CREQ,
	  "[{\"name\": \"one\", \"env\": [{\"ONE\": \"one\"}], "
	  "\"allow_failure\": true}]",
	  "", NULL, NULL },
	{ "conditionals: allow_failures invalid condition",
	  "jobs:\n  include:\n  - env: [{ONE: one}]\n  allow_failures:\n"
	  "  - if: '= kaputt'\n",
	  CREQ, "[{\"env\": [{\"ONE\": \"one\"}]}]", "", NULL, NULL },

	/* spec 6.1, 6.4: build-level rules */
	{ "build: no request, nothing is filtered",
	  "branches:\n  only: [master]\nif: branch = master\n"
	  "jobs:\n  include:\n  - {name: a, if: 'false'}\n",
	  NULL,
	  "[{\"name\": \"a\", \"if\": \"false\","
	  " \"branches\": {\"only\": [\"master\"]}}]",
	  "", NULL, "" },
	{ "build: root if true (jobs inherit it, as travis-yml does)",
	  "if: branch = master\nscript: [x]\n",
	  "{\"type\": \"push\", \"branch\": \"master\"}",
	  "[{\"script\": [\"x\"], \"if\": \"branch = master\"}]", "", NULL,
	  "" },
	{ "build: root if false", "if: branch = master\nscript: [x]\n",
	  "{\"type\": \"push\", \"branch\": \"dev\"}", "[]", "",
	  "if: branch = master is false", "" },
	{ "build: root if sees the request type",
	  "if: type IN (push, pull_request)\nscript: [x]\n",
	  "{\"type\": \"cron\", \"branch\": \"master\"}", "[]", "",
	  "if: type IN (push, pull_request) is false", "" },
	{ "build: branches.only", "branches:\n  only: [master]\n",
	  "{\"type\": \"push\", \"branch\": \"dev\"}", "[]", "",
	  "branch 'dev' is not in branches.only", "" },
	{ "build: branches.only matches", "branches:\n  only: [master, dev]\n",
	  "{\"type\": \"push\", \"branch\": \"dev\"}",
	  "[{\"branches\": {\"only\": [\"master\", \"dev\"]}}]", "", NULL, "" },
	{ "build: branches.only regex",
	  "branches:\n  only: ['/^release-.*$/']\n",
	  "{\"type\": \"push\", \"branch\": \"release-1.2\"}", NULL, "", NULL,
	  "" },
	{ "build: branches.only regex not anchored matches anywhere",
	  "branches:\n  only: [/feature/]\n",
	  "{\"type\": \"push\", \"branch\": \"my-feature-x\"}", NULL, "", NULL,
	  "" },
	{ "build: branches.only regex does not match",
	  "branches:\n  only: ['/^release-.*$/']\n",
	  "{\"type\": \"push\", \"branch\": \"prerelease-1\"}", "[]", "",
	  "branch 'prerelease-1' is not in branches.only", "" },
	{ "build: branches.only with a Ruby (?i) group",
	  "branches:\n  only: ['/^(?i:main)$/']\n",
	  "{\"type\": \"push\", \"branch\": \"MAIN\"}", NULL, "", NULL, "" },
	{ "build: branches.except", "branches:\n  except: [legacy, /^exp-/]\n",
	  "{\"type\": \"push\", \"branch\": \"exp-1\"}", "[]", "",
	  "branch 'exp-1' is in branches.except", "" },
	{ "build: branches.except does not match",
	  "branches:\n  except: [legacy]\n",
	  "{\"type\": \"push\", \"branch\": \"main\"}", NULL, "", NULL, "" },
	{ "build: only takes precedence over except",
	  "branches:\n  only: [main]\n  except: [dev]\n",
	  "{\"type\": \"push\", \"branch\": \"dev\"}", "[]", "",
	  "branch 'dev' is not in branches.only", "" },
	{ "build: branches as a comma separated string",
	  "branches: 'master, dev'\n",
	  "{\"type\": \"push\", \"branch\": \"dev\"}", NULL, "", NULL, "" },
	{ "build: a tag is checked by its name",
	  "branches:\n  only: [master]\n",
	  "{\"type\": \"push\", \"branch\": \"v1.0\", \"tag\": \"v1.0\"}", "[]",
	  "", "tag 'v1.0' is not in branches.only", "" },
	{ "build: a tag listed by regex",
	  "branches:\n  only: [master, '/^v\\d+\\.\\d+/']\n",
	  "{\"type\": \"push\", \"branch\": \"v1.0\", \"tag\": \"v1.0\"}", NULL,
	  "", NULL, "" },
	{ "build: a pull request is checked by its base branch",
	  "branches:\n  only: [master]\n",
	  "{\"type\": \"pull_request\", \"branch\": \"master\","
	  " \"head_branch\": \"feature\"}",
	  NULL, "", NULL, "" },
	{ "build: gh-pages is not built by default", "script: [x]\n",
	  "{\"type\": \"push\", \"branch\": \"gh-pages\"}", "[]", "",
	  "branch 'gh-pages' is a GitHub Pages branch (not built unless "
	  "listed in branches.only)",
	  "" },
	{ "build: gh_pages neither", "script: [x]\n",
	  "{\"type\": \"push\", \"branch\": \"GH_Pages\"}", "[]", "",
	  "branch 'GH_Pages' is a GitHub Pages branch (not built unless "
	  "listed in branches.only)",
	  "" },
	{ "build: gh-pages listed in branches.only",
	  "branches:\n  only: [gh-pages]\n",
	  "{\"type\": \"push\", \"branch\": \"gh-pages\"}", NULL, "", NULL,
	  "" },
	{ "build: [skip ci]", "script: [x]\n",
	  "{\"type\": \"push\", \"branch\": \"master\","
	  " \"commit_message\": \"docs: typo [skip ci]\"}",
	  "[]", "", "[skip ci] in the commit message", "" },
	{ "build: [ci skip]", "script: [x]\n",
	  "{\"type\": \"push\", \"commit_message\": \"[ci skip] wip\"}", "[]",
	  "", "[ci skip] in the commit message", "" },
	{ "build: [SKIP TRAVIS] in capitals", "script: [x]\n",
	  "{\"type\": \"push\", \"commit_message\": \"x\\n\\n[SKIP TRAVIS]\"}",
	  "[]", "", "[SKIP TRAVIS] in the commit message", "" },
	{ "build: [travis ci skip]", "script: [x]\n",
	  "{\"type\": \"pull_request\", \"commit_message\": \"a [travis ci "
	  "skip]\"}",
	  "[]", "", "[travis ci skip] in the commit message", "" },
	{ "build: [skip travis-ci]", "script: [x]\n",
	  "{\"commit_message\": \"[skip travis-ci]\"}", "[]", "",
	  "[skip travis-ci] in the commit message", "" },
	{ "build: [travisci skip]", "script: [x]\n",
	  "{\"type\": \"push\", \"commit_message\": \"[travisci skip]\"}", "[]",
	  "", "[travisci skip] in the commit message", "" },
	{ "build: no skip keyword", "script: [x]\n",
	  "{\"type\": \"push\", \"commit_message\": \"skip ci [skip cix] "
	  "[skip]\"}",
	  "[{\"script\": [\"x\"]}]", "", NULL, "" },
	{ "build: api requests ignore skip keywords", "script: [x]\n",
	  "{\"type\": \"api\", \"commit_message\": \"[skip ci]\"}",
	  "[{\"script\": [\"x\"]}]", "", NULL, "" },
	{ "build: an invalid root if", "if: '= kaputt'\n",
	  "{\"type\": \"push\"}", "[]", "", "if: = kaputt is invalid: *", "" },
};

static struct val *load_yaml(const char *text)
{
	struct val *v = NULL;

	if (loader_load(&v, text, strlen(text), "case.yml", NULL, NULL) < 0)
		return NULL;
	return v;
}

static struct val *load_json(const char *text)
{
	struct val *v = NULL;

	if (!text || json_parse(&v, text, strlen(text), 0) < 0)
		return NULL;
	return v;
}

/* Join the string field `key` of every entry of `seq` with `sep`. */
static char *join(const struct val *seq, const char *key, const char *sep)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; seq && i < seq->seq.n; i++) {
		const char *s = val_text(val_map_get(seq->seq.v[i], key));

		buf_addf(&b, "%s%s", i ? sep : "", s ? s : "(null)");
	}
	return buf_detach(&b, NULL);
}

static bool check_jobs(const struct plan_case *c, const struct val *plan)
{
	const struct val *jobs = val_map_get(plan, "jobs");
	struct val *want = load_json(c->jobs), *got = val_seq();
	bool ok;

	for (size_t i = 0; i < jobs->seq.n; i++)
		val_seq_push(got,
			     val_dup(val_map_get(jobs->seq.v[i], "config")));
	ok = want && val_equal(got, want);
	if (!ok) {
		char *s = json_dump(got, 0);

		unit_fail(__FILE__, __LINE__,
			  "%s: jobs\n      got  %s\n      want %s", c->name, s,
			  c->jobs);
		free(s);
	}
	val_free(got);
	val_free(want);
	return ok;
}

static bool text_matches(const char *got, const char *want)
{
	size_t n = want ? strlen(want) : 0;

	if (!got || !want)
		return !got && !want;
	if (n && want[n - 1] == '*')
		return !strncmp(got, want, n - 1);
	return !strcmp(got, want);
}

static bool check_text(const struct plan_case *c, const char *what,
		       const char *got, const char *want)
{
	if (!text_matches(got, want)) {
		unit_fail(__FILE__, __LINE__,
			  "%s: %s\n      got  %s\n      want %s", c->name, what,
			  got ? got : "(null)", want ? want : "(null)");
		return false;
	}
	return true;
}

static void run_case(const struct plan_case *c)
{
	struct val *config = load_yaml(c->yaml);
	struct val *request = load_json(c->request), *plan;
	const struct val *build;
	struct msgs m = MSGS_INIT;
	char *s;

	if (!config || (c->request && !request)) {
		unit_fail(__FILE__, __LINE__, "%s: bad case: %s", c->name,
			  err_msg());
		goto out;
	}
	plan = matrix_plan(config, request, 1, &m);
	build = val_map_get(plan, "build");
	if (c->jobs)
		check_jobs(c, plan);
	if (c->stages) {
		s = join(val_map_get(plan, "stages"), "name", ",");
		check_text(c, "stages", s, c->stages);
		free(s);
	}
	check_text(c, "reason", val_text(val_map_get(build, "reason")),
		   c->reason);
	if (val_map_get(build, "created")->b != !c->reason)
		unit_fail(__FILE__, __LINE__, "%s: created", c->name);
	if (c->dropped) {
		s = join(val_map_get(plan, "dropped"), "reason", "|");
		check_text(c, "dropped", s, c->dropped);
		free(s);
	}
	val_free(plan);
out:
	msgs_release(&m);
	val_free(request);
	val_free(config);
}

void test_plan__cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(plan_cases); i++)
		run_case(&plan_cases[i]);
}

/* Spec 5.6: numbers "<build>.<n>" in the final order; the entry fields. */
void test_plan__numbering(void)
{
	struct val *config =
		load_yaml("stages: [test, deploy]\nrvm: ['2.6', '2.7']\n"
			  "jobs:\n  fast_finish: true\n"
			  "  include:\n  - {stage: deploy, name: ship}\n"
			  "  allow_failures:\n  - rvm: '2.6'\n");
	struct val *plan;
	const struct val *jobs, *j, *st;

	check(config);
	plan = matrix_plan(config, NULL, 42, NULL);
	jobs = val_map_get(plan, "jobs");
	check_int(jobs->seq.n, ==, 3);
	j = jobs->seq.v[0];
	check_str(val_text(val_map_get(j, "number")), "42.1");
	check_str(val_text(val_map_get(val_map_get(j, "config"), "rvm")),
		  "2.7");
	check_str(val_text(val_map_get(j, "stage")), "test");
	check(!val_map_get(j, "allow_failure")->b);
	check(val_is(val_map_get(j, "name"), VAL_NULL));
	j = jobs->seq.v[1];
	check_str(val_text(val_map_get(j, "number")), "42.2");
	check(val_map_get(j, "allow_failure")->b);
	j = jobs->seq.v[2];
	check_str(val_text(val_map_get(j, "number")), "42.3");
	check_str(val_text(val_map_get(j, "name")), "ship");
	check_str(val_text(val_map_get(j, "stage")), "deploy");
	check(val_map_get(plan, "fast_finish")->b);
	st = val_map_get(plan, "stages");
	check_int(st->seq.n, ==, 2);
	check(val_is(val_map_get(st->seq.v[0], "if"), VAL_NULL));
	val_free(plan);
	val_free(config);
}

/* Skipped conditions are reported as info messages, as travis-yml does. */
void test_plan__messages(void)
{
	struct val *config = load_yaml(
		"stages:\n- {name: one, if: 'false'}\n- {name: two}\n"
		"jobs:\n  include:\n  - {stage: one}\n  - {stage: two, if: "
		"'false'}\n"
		"  - {stage: two, name: x}\n"
		"  exclude:\n  - {name: y, if: 'false'}\n"
		"  allow_failures:\n  - {name: x, if: 'false'}\n");
	struct val *request = load_json("{\"type\": \"push\"}"), *plan;
	static const char *const codes[] = { "skip_exclude", "skip_job",
					     "skip_stage",
					     "skip_allow_failure" };
	struct msgs m = MSGS_INIT;

	check(config && request);
	plan = matrix_plan(config, request, 1, &m);
	check_int(m.n, ==, ARRAY_SIZE(codes));
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		check_str(m.v[i].code, codes[i]);
		check(m.v[i].level == MSG_INFO);
	}
	check_str(m.v[2].key, "stages");
	check_int(val_map_get(plan, "jobs")->seq.n, ==, 1);
	msgs_release(&m);
	val_free(plan);
	val_free(request);
	val_free(config);
}

void test_plan__skip_keyword(void)
{
	static const struct {
		const char *msg, *want;
	} cases[] = {
		{ "[skip ci]", "[skip ci]" },
		{ "fix [ci skip]", "[ci skip]" },
		{ "[Skip Travis] x", "[Skip Travis]" },
		{ "[travis ci skip]", "[travis ci skip]" },
		{ "[skip travis ci]", "[skip travis ci]" },
		{ "[travis-ci skip]", "[travis-ci skip]" },
		{ "[skip travisci]", "[skip travisci]" },
		{ "a [b] [skip ci", NULL },
		{ "[skip ci ]", NULL },
		{ "[skipci]", NULL },
		{ "[ci-skip]", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = matrix_skip_keyword(cases[i].msg);

		if (!got != !cases[i].want ||
		    (got && strcmp(got, cases[i].want)))
			unit_fail(__FILE__, __LINE__, "%s: got %s",
				  cases[i].msg ? cases[i].msg : "(null)",
				  got ? got : "(null)");
		free(got);
	}
}
