#include "compat.h"

#include "buf.h"
#include "json.h"
#include "loader.h"
#include "msg.h"
#include "norm.h"
#include "svec.h"
#include "unit.h"
#include "val.h"

/*
 * The normaliser, table driven: YAML in, the normalised config (JSON,
 * key order ignored) and the messages ("level code key", in any order)
 * out.  Expectations follow travis-yml's parse endpoint (defaults, fix,
 * alert and line on).
 */
struct norm_case {
	const char *yaml;
	const char *config; /* NULL: not checked */
	const char *msgs;   /* "level code key; ..." */
};

/* The messages every config without language, os and dist gets. */
#define DEFAULTS "info default root; info default root; info default root"
#define ROOT	 "\"language\":\"ruby\",\"os\":[\"linux\"],\"dist\":\"focal\""

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Messages as sorted "level code key" entries joined by "; ". */
static char *msgs_text(const struct msgs *m)
{
	struct svec v = SVEC_INIT;
	char *out;

	for (size_t i = 0; i < m->n; i++)
		svec_pushf(&v, "%s %s %s", msg_level_name(m->v[i].level),
			   m->v[i].code, m->v[i].key);
	qsort(v.v, v.n, sizeof(*v.v), cmp_str);
	out = svec_join(&v, "; ");
	svec_release(&v);
	return out;
}

static char *sorted_msgs(const char *text)
{
	struct svec v = SVEC_INIT;
	char *out;

	svec_split(&v, text, ";", true);
	for (size_t i = 0; i < v.n; i++) {
		char *s = v.v[i];

		while (*s == ' ')
			memmove(s, s + 1, strlen(s));
	}
	qsort(v.v, v.n, sizeof(*v.v), cmp_str);
	out = svec_join(&v, "; ");
	svec_release(&v);
	return out;
}

/* Load and normalise; the config and messages go to *config and *msgs. */
static int normalise(const char *yaml, struct val **config, struct msgs *msgs)
{
	struct svec anchors = SVEC_INIT;
	struct val *v = NULL;
	int err = loader_load(&v, yaml, strlen(yaml), "t.yml", msgs, &anchors);

	if (err < 0) {
		svec_release(&anchors);
		return err;
	}
	*config = norm_apply(v, &anchors, msgs);
	svec_release(&anchors);
	return 0;
}

static void run_cases(const struct norm_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct norm_case *c = &cases[i];
		struct msgs msgs = MSGS_INIT;
		struct val *got = NULL, *want = NULL;
		char *gm = NULL, *wm = NULL, *gj = NULL;
		bool ok = true;

		check_ok(normalise(c->yaml, &got, &msgs));
		if (c->config) {
			check_ok(json_parse(&want, c->config, strlen(c->config),
					    JSON_SECURE));
			ok = val_equal(got, want);
		}
		gm = msgs_text(&msgs);
		wm = sorted_msgs(c->msgs);
		gj = json_dump(got, JSON_SORTED);
		if (!ok)
			unit_fail(__FILE__, __LINE__,
				  "case %zu: %s\n got  %s\n want %s", i,
				  c->yaml, gj, c->config);
		else if (strcmp(gm, wm))
			unit_fail(__FILE__, __LINE__,
				  "case %zu: %s\n got  [%s]\n want [%s]", i,
				  c->yaml, gm, wm);
		free(gm);
		free(wm);
		free(gj);
		val_free(got);
		val_free(want);
		msgs_release(&msgs);
		if (!ok)
			return;
	}
}

void test_norm__defaults(void)
{
	static const struct norm_case cases[] = {
		{ "", "{" ROOT "}", DEFAULTS },
		{ "os: osx", "{\"language\":\"objective-c\",\"os\":[\"osx\"]}",
		  "info default root" },
		{ "language: objective-c",
		  "{\"language\":\"objective-c\",\"os\":[\"osx\"]}",
		  "info default root" },
		{ "os: windows", "{\"language\":\"ruby\",\"os\":[\"windows\"]}",
		  "info default root" },
		{ "os: [linux, osx]",
		  "{\"language\":\"ruby\",\"os\":[\"linux\",\"osx\"],\"dist\":\"focal\"}",
		  "info default root; info default root" },
		{ "dist: xenial\nlanguage: go\nos: linux",
		  "{\"language\":\"go\",\"os\":[\"linux\"],\"dist\":\"xenial\"}",
		  "" },
		/* An empty value is missing: the default fills it. */
		{ "language:\nos:", "{" ROOT "}", DEFAULTS },
		/* Downcased and de-aliased before defaults apply. */
		{ "os: MacOS",
		  "{\"language\":\"objective-c\",\"os\":[\"osx\"]}",
		  "info default root; info downcase os; info alias_value os" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__key_aliases(void)
{
	static const struct norm_case cases[] = {
		{ "matrix:\n  include:\n    - ruby: 2.3\nruby: 2.4",
		  "{" ROOT ",\"jobs\":{\"include\":[{\"rvm\":\"2.3\"}]},"
		  "\"rvm\":[\"2.4\"]}",
		  DEFAULTS "; info alias_key root; info alias_key root; "
			   "info alias_key jobs.include" },
		/* Both given: the alias overwrites, with an error. */
		{ "matrix:\n  fast_finish: true\njobs:\n  include:\n    - env: A=1",
		  "{" ROOT ",\"jobs\":{\"fast_finish\":true}}",
		  DEFAULTS "; info alias_key root; error overwrite root" },
		/* jobs given as a list means jobs.include. */
		{ "jobs:\n  - script: a\n  - script: b",
		  "{" ROOT ",\"jobs\":{\"include\":[{\"script\":[\"a\"]},"
		  "{\"script\":[\"b\"]}]}}",
		  DEFAULTS },
		{ "jobs:\n  allowed_failures:\n    - rvm: 2.3\n  fast-failure: true",
		  "{" ROOT ",\"jobs\":{\"allow_failures\":[{\"rvm\":\"2.3\"}],"
		  "\"fast_finish\":true}}",
		  DEFAULTS "; info alias_key jobs; info alias_key jobs" },
		{ "language: node_js\nnode: 10",
		  "{\"language\":\"node_js\",\"os\":[\"linux\"],\"dist\":\"focal\","
		  "\"node_js\":[\"10\"]}",
		  "info default root; info default root; info alias_key root" },
		{ "gemfiles: [a, b]", "{" ROOT ",\"gemfile\":[\"a\",\"b\"]}",
		  DEFAULTS "; info alias_key root" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__casts(void)
{
	static const struct norm_case cases[] = {
		/* Numbers become strings where strings are expected. */
		{ "python: 3\nscript: [1, true]\nlanguage: python",
		  "{\"language\":\"python\",\"os\":[\"linux\"],\"dist\":\"focal\","
		  "\"python\":[\"3\"],\"script\":[\"1\",\"true\"]}",
		  "info default root; info default root" },
		/* Strings become numbers and booleans where those are. */
		{ "git:\n  depth: \"10\"\n  quiet: \"yes\"\n  submodules: off",
		  "{" ROOT ",\"git\":{\"depth\":10,\"quiet\":true,"
		  "\"submodules\":false}}",
		  DEFAULTS },
		{ "git:\n  depth: false",
		  "{" ROOT ",\"git\":{\"depth\":false}}", DEFAULTS },
		{ "sudo: required", "{" ROOT ",\"sudo\":true}",
		  DEFAULTS "; warn deprecated_key root" },
		{ "script: false", "{" ROOT ",\"script\":[\"false\"]}",
		  DEFAULTS },
		/* A fuzzy boolean. */
		{ "git:\n  quiet: ture", "{" ROOT ",\"git\":{\"quiet\":true}}",
		  DEFAULTS },
		/* Not a number: kept, with an error. */
		{ "git:\n  depth: deep",
		  "{" ROOT ",\"git\":{\"depth\":\"deep\"}}",
		  DEFAULTS "; error invalid_type git.depth" },
		{ "git:\n  submodules_depth: \"1.5\"",
		  "{" ROOT ",\"git\":{\"submodules_depth\":1.5}}", DEFAULTS },
		{ "git:\n  autocrlf: Input",
		  "{" ROOT ",\"git\":{\"autocrlf\":\"input\"}}",
		  DEFAULTS "; warn find_value git.autocrlf" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__wrap_and_pick(void)
{
	static const struct norm_case cases[] = {
		{ "before_install: ./a\ninstall: [b]",
		  "{" ROOT ",\"before_install\":[\"./a\"],\"install\":[\"b\"]}",
		  DEFAULTS },
		/* A null item is dropped, an empty seq stays. */
		{ "script:\n  - a\n  -\n  - b\nafter_script: []",
		  "{" ROOT ",\"script\":[\"a\",\"b\"],\"after_script\":[]}",
		  DEFAULTS },
		/* Nested lists are flattened. */
		{ "script:\n  - [a, b]\n  - - c",
		  "{" ROOT ",\"script\":[\"a\",\"b\",\"c\"]}", DEFAULTS },
		/* A list where one value is expected: the first is used. */
		{ "language: [python, ruby]",
		  "{\"language\":\"python\",\"os\":[\"linux\"],\"dist\":\"focal\"}",
		  "info default root; info default root; "
		  "warn unexpected_seq language" },
		/* The warning names the value after its alias is resolved. */
		{ "language: [minimal]",
		  "{\"language\":\"shell\",\"os\":[\"linux\"],\"dist\":\"focal\"}",
		  "info default root; info default root; "
		  "warn unexpected_seq language; info alias_value language" },
		{ "dist: [xenial]\nos: linux\nlanguage: c",
		  "{\"language\":\"c\",\"os\":[\"linux\"],\"dist\":\"xenial\"}",
		  "warn unexpected_seq dist" },
		/* An empty map section disappears. */
		{ "addons:\ngit: {}", "{" ROOT "}", DEFAULTS },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__env(void)
{
	static const struct norm_case cases[] = {
		{ "env: FOO=foo BAR=\"b z\"",
		  "{" ROOT
		  ",\"env\":{\"jobs\":[{\"FOO\":\"foo\",\"BAR\":\"\\\"b z\\\"\"}]}}",
		  DEFAULTS },
		{ "env:\n  - FOO=1\n  - [BAR=2]\n  - BAZ: 3",
		  "{" ROOT
		  ",\"env\":{\"jobs\":[{\"FOO\":\"1\"},{\"BAR\":\"2\"},"
		  "{\"BAZ\":\"3\"}]}}",
		  DEFAULTS },
		{ "env:\n  FOO: 1\n  BAR: true",
		  "{" ROOT
		  ",\"env\":{\"jobs\":[{\"FOO\":\"1\",\"BAR\":\"true\"}]}}",
		  DEFAULTS },
		{ "env:\n  global:\n    - secure: QUJD\n    - A=1\n  matrix: B=2",
		  "{" ROOT
		  ",\"env\":{\"global\":[{\"secure\":\"QUJD\"},{\"A\":\"1\"}],"
		  "\"jobs\":[{\"B\":\"2\"}]}}",
		  DEFAULTS "; info alias_key env" },
		/* A bare name has an empty value; the row stays one row. */
		{ "env: FOO", "{" ROOT ",\"env\":{\"jobs\":[{\"FOO\":\"\"}]}}",
		  DEFAULTS },
		/* Unbalanced quotes: an error and an empty row. */
		{ "env:\n  - FOO=\"x", "{" ROOT ",\"env\":{\"jobs\":[{}]}}",
		  DEFAULTS "; error invalid_env_var env.jobs" },
		{ "env:\n  global:\n    - secure:",
		  "{" ROOT ",\"env\":{\"global\":[]}}",
		  DEFAULTS "; warn empty env.global.secure" },
		{ "env:\n  jobs:\n    - secure: not*base64",
		  "{" ROOT ",\"env\":{\"jobs\":[{\"secure\":\"not*base64\"}]}}",
		  DEFAULTS "; warn invalid_secure env.jobs.secure" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__deploy(void)
{
	static const struct norm_case cases[] = {
		/* A map, keys with dashes, `on` as a string, secure values. */
		{ "deploy:\n  provider: s3\n  access-key-id: AKIA\n"
		  "  secret_access_key:\n    secure: QUJD\n"
		  "  skip_cleanup: true\n  on: master",
		  "{" ROOT ",\"deploy\":[{\"provider\":\"s3\","
		  "\"access_key_id\":\"AKIA\",\"secret_access_key\":{\"secure\":"
		  "\"QUJD\"},\"skip_cleanup\":true,\"on\":{\"branch\":[\"master\"]}}]}",
		  DEFAULTS "; info underscore_key deploy; "
			   "warn deprecated_key deploy" },
		/* A list; a bare provider name; aliases; defaults per provider. */
		{ "deploy:\n  - heroku\n  - provider: pages\n    github_token: plain\n"
		  "    on:\n      tags: true",
		  "{" ROOT
		  ",\"deploy\":[{\"provider\":\"heroku\"},{\"provider\":"
		  "\"pages\",\"strategy\":\"git\",\"token\":\"plain\","
		  "\"on\":{\"tags\":true}}]}",
		  DEFAULTS "; info alias_key deploy; info default deploy; "
			   "alert secure deploy.token" },
		/* A misspelt provider is found; its defaults apply. */
		{ "deploy:\n  provider: herokuu\n  api_key: $KEY",
		  "{" ROOT
		  ",\"deploy\":[{\"provider\":\"heroku\",\"api_key\":\"$KEY\","
		  "\"strategy\":\"api\"}]}",
		  DEFAULTS
		  "; warn find_value deploy.provider; info default deploy" },
		{ "deploy:\n  provider: nope\n  foo: 1",
		  "{" ROOT ",\"deploy\":[{\"provider\":\"nope\",\"foo\":1}]}",
		  DEFAULTS "; error unknown_value deploy.provider; "
			   "warn unknown_key deploy" },
		{ "deploy:\n  provider: pages\n  token:\n    secure: $TOKEN",
		  "{" ROOT
		  ",\"deploy\":[{\"provider\":\"pages\",\"strategy\":\"git\","
		  "\"token\":{\"secure\":\"$TOKEN\"}}]}",
		  DEFAULTS "; info default deploy; "
			   "warn invalid_secure deploy.token.secure" },
		{ "deploy:\n  provider: releases\n  on:\n    branch: [a, b]\n"
		  "    condition: $X = 1\n    all_branches: master",
		  "{" ROOT ",\"deploy\":[{\"provider\":\"releases\",\"on\":{"
		  "\"branch\":[\"a\",\"b\"],\"condition\":[\"$X = 1\"],"
		  "\"all_branches\":\"master\"}}]}",
		  DEFAULTS "; error invalid_type deploy.on.all_branches" },
		/* The alias overwrites; a required key is missing. */
		{ "deploy:\n  provider: puppetforge\n  user: a\n  username: b",
		  "{" ROOT ",\"deploy\":[{\"provider\":\"puppetforge\","
		  "\"username\":\"a\"}]}",
		  DEFAULTS "; info alias_key deploy; error overwrite deploy; "
			   "error required deploy" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__notifications(void)
{
	static const struct norm_case cases[] = {
		/* Frequencies given for all are inherited by each type. */
		{ "notifications:\n  email: false\n  on_success: never\n  slack:\n"
		  "    rooms:\n      - secure: QUJD\n    on_failure: changed\n"
		  "  webhooks: https://x",
		  "{" ROOT ",\"notifications\":{\"email\":[{\"enabled\":false,"
		  "\"on_success\":\"never\"}],\"slack\":[{\"rooms\":[{\"secure\":"
		  "\"QUJD\"}],\"on_failure\":\"change\",\"on_success\":\"never\"}],"
		  "\"webhooks\":[{\"urls\":[\"https://x\"],\"on_success\":\"never\"}]}}",
		  DEFAULTS
		  "; info alias_value notifications.slack.on_failure" },
		/* A string is the email recipients. */
		{ "notifications: me@x.org",
		  "{" ROOT ",\"notifications\":{\"email\":[{\"recipients\":"
		  "[\"me@x.org\"]}]}}",
		  DEFAULTS },
		/* disabled: true becomes enabled: false; channels may be plain. */
		{ "notifications:\n  irc:\n    channels: [a]\n    disabled: true",
		  "{" ROOT ",\"notifications\":{\"irc\":[{\"channels\":[\"a\"],"
		  "\"enabled\":false}]}}",
		  DEFAULTS },
		{ "notifications:\n  slack: team:token",
		  "{" ROOT ",\"notifications\":{\"slack\":[{\"rooms\":"
		  "[\"team:token\"]}]}}",
		  DEFAULTS "; alert secure notifications.slack.rooms" },
		{ "notifications:\n  slack:\n    rooms: [a]\n    template: \"%{nope}\"",
		  NULL,
		  DEFAULTS "; alert secure notifications.slack.rooms; "
			   "warn unknown_var notifications.slack.template" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__cache_addons(void)
{
	static const struct norm_case cases[] = {
		{ "cache:\n  - bundler\n  - node_modules\n  - directories: [a]",
		  "{" ROOT ",\"cache\":{\"bundler\":true,\"directories\":"
		  "[\"node_modules\",\"a\"]}}",
		  DEFAULTS },
		{ "cache: false", "{" ROOT ",\"cache\":false}", DEFAULTS },
		{ "cache: pip3", "{" ROOT ",\"cache\":{\"pip\":true}}",
		  DEFAULTS "; info find_value cache" },
		{ "cache: vendor/bundle",
		  "{" ROOT ",\"cache\":{\"directories\":[\"vendor/bundle\"]}}",
		  DEFAULTS },
		{ "cache:\n  npm: false\n  timeout: \"600\"",
		  "{" ROOT ",\"cache\":{\"npm\":false,\"timeout\":600}}",
		  DEFAULTS },
		{ "addons:\n  apt:\n    packages: curl\n  ssh_known_hosts: github.com\n"
		  "  code_climate:\n    repo_token: abc",
		  "{" ROOT ",\"addons\":{\"apt\":{\"packages\":[\"curl\"]},"
		  "\"ssh_known_hosts\":[\"github.com\"],\"code_climate\":"
		  "{\"repo_token\":\"abc\"}}}",
		  DEFAULTS "; alert secure addons.code_climate.repo_token" },
		{ "addons: code_climate",
		  "{" ROOT ",\"addons\":\"code_climate\"}",
		  DEFAULTS "; error invalid_type addons" },
		{ "addons:\n  apt_packages: [a]\n  postgres: \"9.6\"",
		  "{" ROOT ",\"addons\":{\"apt_packages\":[\"a\"],"
		  "\"postgresql\":\"9.6\"}}",
		  DEFAULTS "; info alias_key addons" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__branches_stages_imports(void)
{
	static const struct norm_case cases[] = {
		{ "branches: master",
		  "{" ROOT ",\"branches\":{\"only\":[\"master\"]}}", DEFAULTS },
		{ "branches:\n  exclude: [a]",
		  "{" ROOT ",\"branches\":{\"except\":[\"a\"]}}",
		  DEFAULTS "; info alias_key branches" },
		{ "branch:\n  only: /^v\\d/",
		  "{" ROOT ",\"branches\":{\"only\":[\"/^v\\\\d/\"]}}",
		  DEFAULTS "; info alias_key root" },
		{ "stages: [test, {name: deploy, if: tag IS present}]",
		  "{" ROOT
		  ",\"stages\":[{\"name\":\"test\"},{\"name\":\"deploy\","
		  "\"if\":\"tag IS present\"}]}",
		  DEFAULTS },
		{ "import: a.yml",
		  "{" ROOT ",\"import\":[{\"source\":\"a.yml\"}]}", DEFAULTS },
		{ "import:\n  - source: o/r:b.yml@v1\n    mode: deep_merge_prepend",
		  "{" ROOT ",\"import\":[{\"source\":\"o/r:b.yml@v1\","
		  "\"mode\":\"deep_merge_prepend\"}]}",
		  DEFAULTS },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__keys(void)
{
	static const struct norm_case cases[] = {
		/* Typos are fixed, unknown keys kept with a warning. */
		{ "langauge: python\nscripts: pytest\nbefore-install: x\n"
		  "foo: bar\n_private: 1",
		  "{\"language\":\"python\",\"os\":[\"linux\"],\"dist\":\"focal\","
		  "\"script\":[\"pytest\"],\"before_install\":[\"x\"],\"foo\":\"bar\","
		  "\"_private\":1}",
		  "info default root; info default root; warn find_key root; "
		  "warn find_key root; info underscore_key root; "
		  "warn unknown_key root" },
		/* An unknown key with no value is dropped silently. */
		{ "foo:", "{" ROOT "}", DEFAULTS },
		/* merge_mode is not reported. */
		{ "merge_mode: replace",
		  "{" ROOT ",\"merge_mode\":\"replace\"}", DEFAULTS },
		/* Anchors on keys that are not private are deprecated. */
		{ "base: &base\n  a: 1\n_x: &y\n  b: 2",
		  "{" ROOT ",\"base\":{\"a\":1},\"_x\":{\"b\":2}}",
		  DEFAULTS "; warn deprecated_key root" },
		{ "  Before_Script: x", "{" ROOT ",\"before_script\":[\"x\"]}",
		  DEFAULTS "; info underscore_key root" },
		{ "addon:\n  hosts: a",
		  "{" ROOT ",\"addons\":{\"hosts\":[\"a\"]}}",
		  DEFAULTS "; warn find_key root" },
		{ "addons:\n  ssh_know_hosts: a",
		  "{" ROOT ",\"addons\":{\"ssh_known_hosts\":[\"a\"]}}",
		  DEFAULTS "; warn find_key addons" },
		{ "result: x\nconfigured: true", "{" ROOT "}", DEFAULTS },
		{ "sudo: false", "{" ROOT ",\"sudo\":false}",
		  DEFAULTS "; warn deprecated_key root" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__values(void)
{
	static const struct norm_case cases[] = {
		{ "language: nodejs",
		  "{\"language\":\"node_js\",\"os\":[\"linux\"],\"dist\":\"focal\"}",
		  "info default root; info default root; warn find_value language" },
		{ "language: Node",
		  "{\"language\":\"node_js\",\"os\":[\"linux\"],\"dist\":\"focal\"}",
		  "info default root; info default root; info downcase language; "
		  "info alias_value language" },
		{ "language: \"node_js - 6\"",
		  "{\"language\":\"node_js\",\"os\":[\"linux\"],\"dist\":\"focal\"}",
		  "info default root; info default root; warn clean_value language" },
		{ "language: emacs-lisp",
		  "{\"language\":\"emacs-lisp\",\"os\":[\"linux\"],\"dist\":\"focal\"}",
		  "info default root; info default root; "
		  "error unknown_value language" },
		{ "services: [Redis-Server, zookeeper, postgres]",
		  "{" ROOT
		  ",\"services\":[\"redis\",\"zookeeper\",\"postgresql\"]}",
		  DEFAULTS
		  "; info downcase services; info alias_value services; "
		  "error unknown_value services; "
		  "info alias_value services" },
		{ "arch: [x86_64, arm64]\nos: linux",
		  "{\"language\":\"ruby\",\"os\":[\"linux\"],\"dist\":\"focal\","
		  "\"arch\":[\"amd64\",\"arm64\"]}",
		  "info default root; info default root; info alias_value arch" },
		{ "cache: true", "{" ROOT ",\"cache\":true}",
		  DEFAULTS "; error unknown_value cache" },
		{ "version: \"1.0\"", "{" ROOT ",\"version\":\"1.0\"}",
		  DEFAULTS "; error invalid_format version" },
		{ "version: \"~> 1.0\"", "{" ROOT ",\"version\":\"~> 1.0\"}",
		  DEFAULTS },
		{ "language: __garnet__",
		  "{\"language\":\"__garnet__\",\"os\":[\"linux\"],\"dist\":\"focal\"}",
		  "info default root; info default root; "
		  "warn deprecated_value language" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

void test_norm__jobs_and_conditions(void)
{
	static const struct norm_case cases[] = {
		{ "jobs:\n  include:\n    - name: a\n    - name: a",
		  "{" ROOT
		  ",\"jobs\":{\"include\":[{\"name\":\"a\"},{\"name\":\"a\"}]}}",
		  DEFAULTS "; info duplicate jobs.include" },
		/* Entries take singular values of matrix keys. */
		{ "jobs:\n  include:\n    - python: [3.6, 3.7]\n      os: osx",
		  "{" ROOT
		  ",\"jobs\":{\"include\":[{\"python\":\"3.6\",\"os\":\"osx\"}]}}",
		  DEFAULTS "; warn unexpected_seq jobs.include.python" },
		{ "jobs:\n  include:\n    - env: [A=1, B=2]",
		  "{" ROOT ",\"jobs\":{\"include\":[{\"env\":[{\"A\":\"1\"},"
		  "{\"B\":\"2\"}]}]}}",
		  DEFAULTS },
		{ "jobs:\n  allow_failures:\n    - A=1",
		  "{" ROOT ",\"jobs\":{\"allow_failures\":[\"A=1\"]}}",
		  DEFAULTS "; error invalid_type jobs.allow_failures" },
		{ "if: branch = master AND (",
		  "{" ROOT ",\"if\":\"branch = master AND (\"}",
		  DEFAULTS "; error invalid_condition if" },
		{ "jobs:\n  include:\n    - if: (branch = dev) AND (type IS cron",
		  NULL, DEFAULTS "; error invalid_condition jobs.include.if" },
		{ "if: branch = master",
		  "{" ROOT ",\"if\":\"branch = master\"}", DEFAULTS },
		{ "vm:\n  create:\n    name: x\njobs:\n  include:\n    - vm:\n"
		  "        create:\n          name: x",
		  NULL, DEFAULTS "; error duplicate jobs.include.vm.create" },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}

/* Arguments and lines, as travis-yml's messages carry them. */
void test_norm__message_args(void)
{
	const char *yaml = "language: python\nmatrix:\n  include:\n"
			   "    - python: 3.6\ndeploy:\n  provider: pages\n"
			   "  github_token: x\n";
	struct msgs msgs = MSGS_INIT;
	struct val *config = NULL;
	const struct msg *alias = NULL, *dep = NULL, *dflt = NULL;

	check_ok(normalise(yaml, &config, &msgs));
	for (size_t i = 0; i < msgs.n; i++) {
		const struct msg *m = &msgs.v[i];

		if (!strcmp(m->code, "alias_key") && !strcmp(m->key, "root"))
			alias = m;
		if (!strcmp(m->code, "alias_key") && !strcmp(m->key, "deploy"))
			dep = m;
		if (!strcmp(m->code, "default") && !strcmp(m->key, "root") &&
		    !dflt)
			dflt = m;
	}
	check(alias && dep && dflt);
	check_int(alias->line, ==, 1);
	check_str(val_strv(val_map_get(alias->args, "alias")), "matrix");
	check_str(val_strv(val_map_get(alias->args, "key")), "jobs");
	check_int(dep->line, ==, 6);
	check_str(val_strv(val_map_get(dep->args, "provider")), "pages");
	/* Defaults of keys not given have no line. */
	check_int(dflt->line, ==, -1);
	check_str(val_strv(val_map_get(dflt->args, "key")), "os");
	val_free(config);
	msgs_release(&msgs);
}

/* Secure strings come out as secure values; odd input never fails. */
void test_norm__secure_and_odd_input(void)
{
	struct msgs msgs = MSGS_INIT;
	struct val *config = NULL, *raw;

	check_ok(normalise("env:\n  global:\n    - secure: QUJD\n", &config,
			   &msgs));
	{
		const struct val *g =
			val_map_get(val_map_get(config, "env"), "global");

		check(g && g->type == VAL_SEQ && g->seq.n == 1);
		check(g->seq.v[0]->type == VAL_SECURE);
	}
	val_free(config);
	msgs_release(&msgs);

	/* Not a map: an empty config with the defaults. */
	raw = val_seq();
	config = norm_apply(raw, NULL, &msgs);
	check(config->type == VAL_MAP);
	check_int(config->map.n, ==, 3);
	val_free(config);
	msgs_release(&msgs);
	config = norm_apply(NULL, NULL, NULL);
	check(config && config->type == VAL_MAP);
	val_free(config);
}

/* The text as travis-yml reads it (loader rules the normaliser relies on). */
void test_norm__text(void)
{
	static const struct norm_case cases[] = {
		/* Bytes over 0x7f are dropped. */
		{ "script: echo \"Se\xc3\xa7\xc3\xa3o\"",
		  "{" ROOT ",\"script\":[\"echo \\\"Seo\\\"\"]}", DEFAULTS },
		/* The text is stripped: a last block scalar loses its newline. */
		{ "script:\n  - |\n    a\n    b\n\n",
		  "{" ROOT ",\"script\":[\"a\\nb\"]}", DEFAULTS },
		{ "script:\n  - |\n    a\ninstall: b\n",
		  "{" ROOT ",\"script\":[\"a\\n\"],\"install\":[\"b\"]}",
		  DEFAULTS },
		/* The first line's indentation is removed from every line. */
		{ "  script: a\n  install: b\n",
		  "{" ROOT ",\"script\":[\"a\"],\"install\":[\"b\"]}",
		  DEFAULTS },
		/* !!binary is decoded; other tags resolve like plain scalars. */
		{ "deploy:\n  provider: pypi\n  password:\n    secure: !!binary |\n"
		  "      UVVKRA==\n",
		  "{" ROOT ",\"deploy\":[{\"provider\":\"pypi\",\"password\":"
		  "{\"secure\":\"QUJD\"}}]}",
		  DEFAULTS },
		{ "deploy:\n  provider: pypi\n  on:\n    condition: !$X\n",
		  "{" ROOT ",\"deploy\":[{\"provider\":\"pypi\",\"on\":"
		  "{\"condition\":[]}}]}",
		  DEFAULTS },
	};

	run_cases(cases, ARRAY_SIZE(cases));
}
