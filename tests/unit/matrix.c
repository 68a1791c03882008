/*
 * Matrix expansion (runner/matrix.c): spec sections 5.1 and 5.2, and the
 * scenarios of travis-yml's spec/travis/yml/matrix_spec.rb and
 * matrix/defaults_spec.rb restated as tables.  Configs are given in their
 * normalised form (what norm_apply makes of the upstream YAML), jobs as
 * JSON; job order matters, key order does not.
 */
#include "compat.h"

#include "error.h"
#include "json.h"
#include "loader.h"
#include "matrix.h"
#include "msg.h"
#include "unit.h"
#include "val.h"

struct expand_case {
	const char *name;
	const char *yaml;    /* normalised config */
	const char *request; /* JSON condition data, or NULL for none */
	const char *jobs;    /* JSON */
};

static const struct expand_case expand_cases[] = {
	/* matrix_spec.rb */
	{ "no matrix", "{}", NULL, "[{}]" },
	{ "matrix (1)", "rvm: ['2.2']\ngemfile: [str]\n", NULL,
	  "[{\"rvm\": \"2.2\", \"gemfile\": \"str\"}]" },
	{ "matrix (1 from include, redundant expand key at root)",
	  "os: [linux]\n"
	  "jobs:\n  include:\n  - os: osx\n    env: [{FOO: foo}]\n",
	  NULL, "[{\"os\": \"osx\", \"env\": [{\"FOO\": \"foo\"}]}]" },
	{ "matrix (1 from include, multi-value expand key at root)",
	  "os: [linux, osx]\n"
	  "jobs:\n  include:\n  - env: [{FOO: foo}]\n",
	  NULL,
	  "[{\"os\": \"linux\"}, {\"os\": \"osx\"},"
	  " {\"os\": \"linux\", \"env\": [{\"FOO\": \"foo\"}]}]" },
	{ "matrix (1 with non-expand key at root, include as a map)",
	  "language: rust\njobs:\n  include:\n    env: [{FOO: foo}]\n", NULL,
	  "[{\"language\": \"rust\", \"env\": [{\"FOO\": \"foo\"}]}]" },
	{ "matrix (2)", "rvm: ['2.2', '2.3']\ngemfile: [str]\n", NULL,
	  "[{\"rvm\": \"2.2\", \"gemfile\": \"str\"},"
	  " {\"rvm\": \"2.3\", \"gemfile\": \"str\"}]" },
	{ "matrix (3), spec 5.1",
	  "env:\n  jobs: [{FOO: foo}, {BAR: bar}, {BAZ: baz}]\n"
	  "rvm: ['2.2', '2.3']\ngemfile: [str]\n",
	  NULL,
	  "[{\"rvm\": \"2.2\", \"gemfile\": \"str\", \"env\": [{\"FOO\": "
	  "\"foo\"}]},"
	  " {\"rvm\": \"2.2\", \"gemfile\": \"str\", \"env\": [{\"BAR\": "
	  "\"bar\"}]},"
	  " {\"rvm\": \"2.2\", \"gemfile\": \"str\", \"env\": [{\"BAZ\": "
	  "\"baz\"}]},"
	  " {\"rvm\": \"2.3\", \"gemfile\": \"str\", \"env\": [{\"FOO\": "
	  "\"foo\"}]},"
	  " {\"rvm\": \"2.3\", \"gemfile\": \"str\", \"env\": [{\"BAR\": "
	  "\"bar\"}]},"
	  " {\"rvm\": \"2.3\", \"gemfile\": \"str\", \"env\": [{\"BAZ\": "
	  "\"baz\"}]}]" },
	{ "env strs", "env:\n  jobs: [{FOO: '1'}, {FOO: '2'}]\n", NULL,
	  "[{\"env\": [{\"FOO\": \"1\"}]}, {\"env\": [{\"FOO\": \"2\"}]}]" },
	{ "env.jobs strs", "env:\n  jobs: [{FOO: foo, BAR: bar}, {BAZ: baz}]\n",
	  NULL,
	  "[{\"env\": [{\"FOO\": \"foo\", \"BAR\": \"bar\"}]},"
	  " {\"env\": [{\"BAZ\": \"baz\"}]}]" },
	{ "env.jobs one hash", "env:\n  jobs: [{FOO: foo, BAR: bar}]\n", NULL,
	  "[{\"env\": [{\"FOO\": \"foo\", \"BAR\": \"bar\"}]}]" },
	{ "env.global", "env:\n  global: [{FOO: foo}]\nrvm: ['2.2', '2.3']\n",
	  NULL,
	  "[{\"rvm\": \"2.2\", \"env\": [{\"FOO\": \"foo\"}]},"
	  " {\"rvm\": \"2.3\", \"env\": [{\"FOO\": \"foo\"}]}]" },
	{ "env.jobs and env.global",
	  "env:\n  jobs: [{FOO: foo}, {BAR: bar}]\n  global: [{BAZ: baz}]\n"
	  "rvm: ['2.2', '2.3']\n",
	  NULL,
	  "[{\"rvm\": \"2.2\", \"env\": [{\"BAZ\": \"baz\"}, {\"FOO\": "
	  "\"foo\"}]},"
	  " {\"rvm\": \"2.2\", \"env\": [{\"BAZ\": \"baz\"}, {\"BAR\": "
	  "\"bar\"}]},"
	  " {\"rvm\": \"2.3\", \"env\": [{\"BAZ\": \"baz\"}, {\"FOO\": "
	  "\"foo\"}]},"
	  " {\"rvm\": \"2.3\", \"env\": [{\"BAZ\": \"baz\"}, {\"BAR\": "
	  "\"bar\"}]}]" },
	{ "empty var on env.jobs overwriting env.global",
	  "env:\n  global: [{ONE: one}]\n"
	  "jobs:\n  include:\n  - env: [{ONE: ''}]\n",
	  NULL, "[{\"env\": [{\"ONE\": \"one\"}, {\"ONE\": \"\"}]}]" },
	{ "matrix key unsupported by language",
	  "language: c\npython: ['3.7']\n", NULL, "[{\"language\": \"c\"}]" },
	{ "matrix key unsupported by the language does not leave bogus job",
	  "language: shell\ncompiler: [gcc, clang]\n"
	  "jobs:\n  include:\n  - env: [{ONE: one}]\n",
	  NULL, "[{\"language\": \"shell\", \"env\": [{\"ONE\": \"one\"}]}]" },
	{ "os matrix with no language",
	  "language: ruby\nos: [linux, osx]\ndist: focal\n", NULL,
	  "[{\"language\": \"ruby\", \"os\": \"linux\", \"dist\": \"focal\"},"
	  " {\"language\": \"ruby\", \"os\": \"osx\"}]" },
	{ "osx_image on linux",
	  "os: [linux, osx]\nosx_image: [xcode9.4, xcode10.2]\n", NULL,
	  "[{\"os\": \"linux\"},"
	  " {\"os\": \"osx\", \"osx_image\": \"xcode9.4\"},"
	  " {\"os\": \"osx\", \"osx_image\": \"xcode10.2\"}]" },
	{ "arch on osx", "os: [linux, osx]\narch: [amd64, arm64]\n", NULL,
	  "[{\"os\": \"linux\", \"arch\": \"amd64\"},"
	  " {\"os\": \"linux\", \"arch\": \"arm64\"}, {\"os\": \"osx\"}]" },
	{ "arch on windows", "os: [linux, windows]\narch: [amd64, arm64]\n",
	  NULL,
	  "[{\"os\": \"linux\", \"arch\": \"amd64\"},"
	  " {\"os\": \"linux\", \"arch\": \"arm64\"}, {\"os\": \"windows\"}]" },
	{ "env and jobs include",
	  "env:\n  jobs: [{FOO: foo}]\n"
	  "jobs:\n  include:\n  - name: one\n  - name: two\n",
	  NULL,
	  "[{\"env\": [{\"FOO\": \"foo\"}], \"name\": \"one\"},"
	  " {\"env\": [{\"FOO\": \"foo\"}], \"name\": \"two\"}]" },
	{ "rvm and jobs include",
	  "rvm: ['2.5']\njobs:\n  include:\n  - name: one\n  - name: two\n",
	  NULL,
	  "[{\"rvm\": \"2.5\", \"name\": \"one\"},"
	  " {\"rvm\": \"2.5\", \"name\": \"two\"}]" },
	{ "jobs include (1)",
	  "env:\n  jobs: [{FOO: foo}]\nrvm: ['2.2', '2.3']\n"
	  "jobs:\n  include:\n  - env: [{BAR: bar}]\n    rvm: '2.4'\n",
	  NULL,
	  "[{\"env\": [{\"FOO\": \"foo\"}], \"rvm\": \"2.2\"},"
	  " {\"env\": [{\"FOO\": \"foo\"}], \"rvm\": \"2.3\"},"
	  " {\"env\": [{\"BAR\": \"bar\"}], \"rvm\": \"2.4\"}]" },
	{ "jobs include (2)",
	  "env:\n  global: [{FOO: foo}]\n"
	  "jobs:\n  include:\n  - name: one\n  - name: two\n",
	  NULL,
	  "[{\"env\": [{\"FOO\": \"foo\"}], \"name\": \"one\"},"
	  " {\"env\": [{\"FOO\": \"foo\"}], \"name\": \"two\"}]" },
	{ "jobs include inheriting a global matrix key",
	  "rvm: ['2.4']\njobs:\n  include:\n  - rvm: '2.2'\n  - name: str\n",
	  NULL, "[{\"rvm\": \"2.2\"}, {\"rvm\": \"2.4\", \"name\": \"str\"}]" },
	{ "jobs include inheriting env (legacy)",
	  "env:\n  global: [{FOO: foo}]\n  jobs: [{BAR: bar}]\n"
	  "jobs:\n  include:\n  - name: one\n  - name: two\n",
	  NULL,
	  "[{\"env\": [{\"FOO\": \"foo\"}, {\"BAR\": \"bar\"}], \"name\": "
	  "\"one\"},"
	  " {\"env\": [{\"FOO\": \"foo\"}, {\"BAR\": \"bar\"}], \"name\": "
	  "\"two\"}]" },
	{ "jobs include duplicate",
	  "env:\n  jobs: [{FOO: foo}]\nrvm: ['2.2']\n"
	  "jobs:\n  include:\n  - env: [{FOO: foo}]\n    rvm: '2.2'\n",
	  NULL, "[{\"env\": [{\"FOO\": \"foo\"}], \"rvm\": \"2.2\"}]" },
	{ "jobs exclude (1)",
	  "env:\n  jobs: [{FOO: foo}, {BAR: bar}]\nrvm: ['2.2', '2.3']\n"
	  "jobs:\n  exclude:\n  - env: [{BAR: bar}]\n    rvm: '2.3'\n",
	  NULL,
	  "[{\"rvm\": \"2.2\", \"env\": [{\"FOO\": \"foo\"}]},"
	  " {\"rvm\": \"2.2\", \"env\": [{\"BAR\": \"bar\"}]},"
	  " {\"rvm\": \"2.3\", \"env\": [{\"FOO\": \"foo\"}]}]" },
	{ "jobs exclude (2), spec 5.2",
	  "scala: ['2.11.8']\njdk: [oraclejdk8]\n"
	  "jobs:\n  exclude:\n  - scala: '2.11.8'\n    jdk: oraclejdk8\n",
	  NULL, "[]" },
	{ "jobs exclude (3)",
	  "env:\n  jobs: [{FOO: one, BAR: one}, {FOO: two, BAR: two}]\n"
	  "jobs:\n  exclude:\n  - env: [{FOO: one, BAR: one}]\n",
	  NULL, "[{\"env\": [{\"FOO\": \"two\", \"BAR\": \"two\"}]}]" },
	{ "jobs exclude: env must match exactly (spec 5.2)",
	  "env:\n  jobs: [{DB: mongodb, SUITE: all}, {DB: mysql}]\n"
	  "jobs:\n  exclude:\n  - env: [{DB: mongodb}]\n",
	  NULL,
	  "[{\"env\": [{\"DB\": \"mongodb\", \"SUITE\": \"all\"}]},"
	  " {\"env\": [{\"DB\": \"mysql\"}]}]" },
	{ "jobs exclude with global env",
	  "language: python\npython: ['3.7']\n"
	  "env:\n  global: [{FOO: foo}]\n  jobs: [{ONE: one}, {TWO: two}]\n"
	  "jobs:\n  exclude:\n  - env: [{TWO: two}]\n",
	  NULL,
	  "[{\"env\": [{\"FOO\": \"foo\"}, {\"ONE\": \"one\"}],"
	  " \"language\": \"python\", \"python\": \"3.7\"}]" },
	{ "jobs exclude matching the default stage name",
	  "env:\n  jobs: [{ONE: one}, {TWO: two}]\n"
	  "jobs:\n  exclude:\n  - env: [{TWO: two}]\n    stage: test\n",
	  NULL, "[{\"env\": [{\"ONE\": \"one\"}]}]" },
	{ "conditional jobs exclude (1)",
	  "env:\n  jobs: [{FOO: one}, {FOO: two}]\n"
	  "jobs:\n  exclude:\n  - env: [{FOO: one}]\n    if: 'true'\n",
	  "{}", "[{\"env\": [{\"FOO\": \"two\"}]}]" },
	{ "conditional jobs exclude (2)",
	  "env:\n  jobs: [{FOO: one}, {FOO: two}]\n"
	  "jobs:\n  exclude:\n  - env: [{FOO: one}]\n    if: 'false'\n",
	  "{}",
	  "[{\"env\": [{\"FOO\": \"one\"}]}, {\"env\": [{\"FOO\": "
	  "\"two\"}]}]" },
	{ "conditional jobs exclude without request data: the if is true",
	  "env:\n  jobs: [{FOO: one}, {FOO: two}]\n"
	  "jobs:\n  exclude:\n  - env: [{FOO: one}]\n    if: 'false'\n",
	  NULL, "[{\"env\": [{\"FOO\": \"two\"}]}]" },
	{ "conditional jobs exclude matching env",
	  "env:\n  jobs: [{FOO: one}, {FOO: two}]\n"
	  "jobs:\n  exclude:\n  - if: env(FOO) = two\n",
	  "{}", "[{\"env\": [{\"FOO\": \"one\"}]}]" },
	{ "null env with include",
	  "env: null\nrvm: ['2.2', '2.3']\n"
	  "jobs:\n  include:\n  - rvm: 1.8.7\n    env: [{FOO: foo}]\n",
	  NULL,
	  "[{\"rvm\": \"2.2\"}, {\"rvm\": \"2.3\"},"
	  " {\"rvm\": \"1.8.7\", \"env\": [{\"FOO\": \"foo\"}]}]" },
	{ "include as hash",
	  "dist: trusty\njobs:\n  include:\n    env: [{FOO: foo}]\n", NULL,
	  "[{\"dist\": \"trusty\", \"env\": [{\"FOO\": \"foo\"}]}]" },
	{ "removes version", "language: shell\nversion: '= 0'\n", NULL,
	  "[{\"language\": \"shell\"}]" },
	{ "stages with matching env vars",
	  "env:\n  jobs: [{ONE: one}, {TWO: two}]\n"
	  "jobs:\n  include:\n  - stage: one\n    env: [{ONE: one}]\n"
	  "  - env: [{TWO: two}]\n",
	  NULL,
	  "[{\"env\": [{\"ONE\": \"one\"}]}, {\"env\": [{\"TWO\": \"two\"}]},"
	  " {\"env\": [{\"ONE\": \"one\"}], \"stage\": \"one\"},"
	  " {\"env\": [{\"TWO\": \"two\"}], \"stage\": \"one\"}]" },
	{ "python with an os matrix",
	  "language: python\nos: [linux, osx, windows]\ndist: focal\n", NULL,
	  "[{\"language\": \"python\", \"os\": \"linux\", \"dist\": \"focal\"},"
	  " {\"language\": \"python\", \"os\": \"osx\"},"
	  " {\"language\": \"python\", \"os\": \"windows\"}]" },
	{ "linux-ppc64le and s390x",
	  "language: cpp\nos: [linux]\ndist: focal\n"
	  "jobs:\n  include:\n  - os: linux-ppc64le\n"
	  "  - os: linux\n    arch: ppc64le\n"
	  "  - os: linux\n    arch: s390x\n"
	  "  - os: linux\n    arch: s390x\n    dist: bionic\n",
	  NULL,
	  "[{\"language\": \"cpp\", \"os\": \"linux-ppc64le\", \"dist\": "
	  "\"focal\"},"
	  " {\"language\": \"cpp\", \"os\": \"linux\", \"dist\": \"focal\","
	  " \"arch\": \"ppc64le\"},"
	  " {\"language\": \"cpp\", \"os\": \"linux\", \"dist\": \"focal\","
	  " \"arch\": \"s390x\"},"
	  " {\"language\": \"cpp\", \"os\": \"linux\", \"dist\": \"bionic\","
	  " \"arch\": \"s390x\"}]" },

	/* matrix/defaults_spec.rb (configs with the normaliser's defaults) */
	{ "defaults: os: linux", "language: ruby\nos: [linux]\ndist: focal\n",
	  NULL,
	  "[{\"language\": \"ruby\", \"os\": \"linux\", \"dist\": "
	  "\"focal\"}]" },
	{ "defaults: os: unknown", "language: ruby\nos: [unknown]\n", NULL,
	  "[{\"language\": \"ruby\", \"os\": \"unknown\"}]" },
	{ "defaults: os: [linux, osx, windows]",
	  "language: ruby\nos: [linux, osx, windows]\ndist: focal\n", NULL,
	  "[{\"language\": \"ruby\", \"os\": \"linux\", \"dist\": \"focal\"},"
	  " {\"language\": \"ruby\", \"os\": \"osx\"},"
	  " {\"language\": \"ruby\", \"os\": \"windows\"}]" },
	{ "defaults: language: objective-c, dist, arch",
	  "language: objective-c\nos: [osx]\ndist: focal\narch: [amd64, "
	  "arm64]\n",
	  NULL, "[{\"language\": \"objective-c\", \"os\": \"osx\"}]" },
	{ "defaults: language: objective-c, osx_image",
	  "language: objective-c\nos: [osx]\nosx_image: [one, two]\n", NULL,
	  "[{\"language\": \"objective-c\", \"os\": \"osx\", \"osx_image\": "
	  "\"one\"},"
	  " {\"language\": \"objective-c\", \"os\": \"osx\", \"osx_image\": "
	  "\"two\"}]" },
	{ "defaults: multi-os, osx_image",
	  "language: ruby\nos: [linux, osx]\ndist: focal\n"
	  "osx_image: [one, two]\n",
	  NULL,
	  "[{\"language\": \"ruby\", \"os\": \"linux\", \"dist\": \"focal\"},"
	  " {\"language\": \"ruby\", \"os\": \"osx\", \"osx_image\": \"one\"},"
	  " {\"language\": \"ruby\", \"os\": \"osx\", \"osx_image\": "
	  "\"two\"}]" },
	{ "defaults: multi-os, dist: focal, multi-arch",
	  "language: ruby\nos: [linux, osx, windows]\narch: [amd64, arm64]\n"
	  "dist: focal\n",
	  NULL,
	  "[{\"language\": \"ruby\", \"os\": \"linux\", \"arch\": \"amd64\","
	  " \"dist\": \"focal\"},"
	  " {\"language\": \"ruby\", \"os\": \"linux\", \"arch\": \"arm64\","
	  " \"dist\": \"focal\"},"
	  " {\"language\": \"ruby\", \"os\": \"osx\"},"
	  " {\"language\": \"ruby\", \"os\": \"windows\"}]" },

	/* further rules of spec 5.1 and 5.2 and of the schema */
	{ "key order of the file does not matter",
	  "gemfile: [a, b]\nrvm: ['2.2', '2.3']\n", NULL,
	  "[{\"rvm\": \"2.2\", \"gemfile\": \"a\"}, {\"rvm\": \"2.2\", "
	  "\"gemfile\": \"b\"},"
	  " {\"rvm\": \"2.3\", \"gemfile\": \"a\"}, {\"rvm\": \"2.3\", "
	  "\"gemfile\": \"b\"}]" },
	{ "env varies fastest, os slowest",
	  "env:\n  jobs: [{A: '1'}, {A: '2'}]\nos: [linux, osx]\n"
	  "language: node_js\nnode_js: ['10', '12']\n",
	  NULL,
	  "[{\"os\": \"linux\", \"language\": \"node_js\", \"node_js\": "
	  "\"10\", \"env\": [{\"A\": \"1\"}]},"
	  " {\"os\": \"linux\", \"language\": \"node_js\", \"node_js\": "
	  "\"10\", \"env\": [{\"A\": \"2\"}]},"
	  " {\"os\": \"linux\", \"language\": \"node_js\", \"node_js\": "
	  "\"12\", \"env\": [{\"A\": \"1\"}]},"
	  " {\"os\": \"linux\", \"language\": \"node_js\", \"node_js\": "
	  "\"12\", \"env\": [{\"A\": \"2\"}]},"
	  " {\"os\": \"osx\", \"language\": \"node_js\", \"node_js\": \"10\", "
	  "\"env\": [{\"A\": \"1\"}]},"
	  " {\"os\": \"osx\", \"language\": \"node_js\", \"node_js\": \"10\", "
	  "\"env\": [{\"A\": \"2\"}]},"
	  " {\"os\": \"osx\", \"language\": \"node_js\", \"node_js\": \"12\", "
	  "\"env\": [{\"A\": \"1\"}]},"
	  " {\"os\": \"osx\", \"language\": \"node_js\", \"node_js\": "
	  "\"12\", \"env\": [{\"A\": \"2\"}]}]" },
	{ "shared keys: an include's addons replace the root's",
	  "addons:\n  apt:\n    packages: [a]\nscript: [make]\n"
	  "jobs:\n  include:\n  - addons:\n      apt:\n        packages: [b]\n",
	  NULL,
	  "[{\"addons\": {\"apt\": {\"packages\": [\"b\"]}}, \"script\": "
	  "[\"make\"]}]" },
	{ "keys never copied into jobs, blank values skipped",
	  "language: go\ngo: ['1.x']\nstages: [test]\nnotifications:\n  "
	  "email: false\n"
	  "import: [a.yml]\nallow_failure: true\nscript: []\ninstall: ''\n"
	  "before_install: false\n",
	  NULL,
	  "[{\"language\": \"go\", \"go\": \"1.x\", \"before_install\": "
	  "false}]" },
	{ "language keys of another language are dropped, map keys stay",
	  "language: python\npython: ['3.8']\nnpm_args: --x\njdk: [openjdk8]\n"
	  "virtualenv:\n  system_site_packages: true\nandroid:\n  components: "
	  "[x]\n",
	  NULL,
	  "[{\"language\": \"python\", \"python\": \"3.8\","
	  " \"virtualenv\": {\"system_site_packages\": true},"
	  " \"android\": {\"components\": [\"x\"]}}]" },
	{ "os linux is unsupported for objective-c",
	  "language: objective-c\njobs:\n  include:\n  - os: linux\n    dist: "
	  "focal\n",
	  NULL, "[{\"language\": \"objective-c\", \"dist\": \"focal\"}]" },
	{ "dist is kept only where the os supports it",
	  "os: [linux, windows]\ndist: server-2016\n", NULL,
	  "[{\"os\": \"linux\"}, {\"os\": \"windows\", \"dist\": "
	  "\"server-2016\"}]" },
	{ "include stage is sticky, expanded jobs have none",
	  "rvm: ['2.6', '2.7']\njobs:\n  include:\n  - name: a\n"
	  "  - stage: deploy\n    name: b\n  - name: c\n  - stage: test\n    "
	  "name: d\n",
	  NULL,
	  "[{\"rvm\": \"2.6\"}, {\"rvm\": \"2.7\"},"
	  " {\"rvm\": \"2.6\", \"name\": \"a\"},"
	  " {\"rvm\": \"2.6\", \"stage\": \"deploy\", \"name\": \"b\"},"
	  " {\"rvm\": \"2.6\", \"stage\": \"deploy\", \"name\": \"c\"},"
	  " {\"rvm\": \"2.6\", \"stage\": \"test\", \"name\": \"d\"}]" },
	{ "an exclude of only an if applies to every job",
	  "env:\n  jobs: [{A: '1'}, {A: '2'}]\njobs:\n  exclude:\n  - if: "
	  "'true'\n",
	  NULL, "[]" },
	{ "an exclude compares lists as lists",
	  "language: c\ncompiler: [gcc, clang]\n"
	  "jobs:\n  exclude:\n  - compiler: [clang]\n",
	  NULL, "[{\"language\": \"c\", \"compiler\": \"gcc\"}]" },
	{ "env.jobs empty: no expansion",
	  "env:\n  global: [{A: '1'}]\n  jobs: []\nscript: [x]\n", NULL,
	  "[{\"script\": [\"x\"], \"env\": [{\"A\": \"1\"}]}]" },
	{ "env.global only: one job with the global vars",
	  "env:\n  global: [{A: '1'}, {B: '2'}]\nlanguage: shell\n", NULL,
	  "[{\"language\": \"shell\", \"env\": [{\"A\": \"1\"}, {\"B\": "
	  "\"2\"}]}]" },
	{ "duplicates of env.global in a job's env are removed",
	  "env:\n  global: [{A: '1'}]\n"
	  "jobs:\n  include:\n  - env: [{A: '1'}, {B: '2'}]\n",
	  NULL, "[{\"env\": [{\"A\": \"1\"}, {\"B\": \"2\"}]}]" },
	{ "job-level if is kept in the job and not applied without data",
	  "jobs:\n  include:\n  - name: one\n    if: 'false'\n", NULL,
	  "[{\"name\": \"one\", \"if\": \"false\"}]" },
	{ "conditional jobs.include: branch matches",
	  "jobs:\n  include:\n  - env: [{FOO: one}]\n"
	  "  - env: [{FOO: two}]\n    if: branch = master\n",
	  "{\"branch\": \"master\"}",
	  "[{\"env\": [{\"FOO\": \"one\"}]},"
	  " {\"env\": [{\"FOO\": \"two\"}], \"if\": \"branch = master\"}]" },
	{ "conditional jobs.include: branch does not match",
	  "jobs:\n  include:\n  - env: [{FOO: one}]\n"
	  "  - env: [{FOO: two}]\n    if: branch = master\n",
	  "{\"branch\": \"other\"}", "[{\"env\": [{\"FOO\": \"one\"}]}]" },
	{ "conditional job matching global env",
	  "env:\n  global: [{SLUG: owner/name}]\n"
	  "jobs:\n  include:\n  - name: one\n    if: repo = env(SLUG)\n",
	  "{\"repo\": \"owner/name\"}",
	  "[{\"name\": \"one\", \"env\": [{\"SLUG\": \"owner/name\"}],"
	  " \"if\": \"repo = env(SLUG)\"}]" },
	{ "conditional job: config env wins over a repo setting",
	  "env:\n  global: [{SLUG: owner/name}]\n"
	  "jobs:\n  include:\n  - name: one\n    if: repo = env(SLUG)\n",
	  "{\"repo\": \"owner/name\", \"env\": [{\"SLUG\": \"other\"}]}",
	  "[{\"name\": \"one\", \"env\": [{\"SLUG\": \"owner/name\"}],"
	  " \"if\": \"repo = env(SLUG)\"}]" },
	{ "conditional job: matches env on job",
	  "jobs:\n  include:\n  - env: [{FOO: one}]\n"
	  "  - env: [{FOO: two}]\n    if: env(FOO) = two\n",
	  "{}",
	  "[{\"env\": [{\"FOO\": \"one\"}]},"
	  " {\"env\": [{\"FOO\": \"two\"}], \"if\": \"env(FOO) = two\"}]" },
	{ "conditional job: does not match env on job",
	  "jobs:\n  include:\n  - env: [{FOO: one}]\n"
	  "  - env: [{FOO: two}]\n    if: env(FOO) = one\n",
	  "{}", "[{\"env\": [{\"FOO\": \"one\"}]}]" },
	{ "conditional job: matches global env",
	  "env:\n  global: [{ONE: one}]\n"
	  "jobs:\n  include:\n  - if: env(ONE) IS present\n    name: one\n"
	  "  - if: env(ONE) IS present\n    name: two\n    env: [{TWO: two}]\n",
	  "{}",
	  "[{\"if\": \"env(ONE) IS present\", \"name\": \"one\","
	  " \"env\": [{\"ONE\": \"one\"}]},"
	  " {\"if\": \"env(ONE) IS present\", \"name\": \"two\","
	  " \"env\": [{\"ONE\": \"one\"}, {\"TWO\": \"two\"}]}]" },
	{ "conditional job: matches a settings env var",
	  "env:\n  global: [{GLOBAL: 'true'}]\n"
	  "jobs:\n  include:\n  - name: one\n"
	  "  - name: two\n    if: env(SETTING) is present\n",
	  "{\"env\": [{\"SETTING\": true}]}",
	  "[{\"name\": \"one\", \"env\": [{\"GLOBAL\": \"true\"}]},"
	  " {\"name\": \"two\", \"env\": [{\"GLOBAL\": \"true\"}],"
	  " \"if\": \"env(SETTING) is present\"}]" },
	{ "conditional job: os and language come from the job",
	  "language: python\nos: [linux, osx]\n"
	  "jobs:\n  include:\n  - name: mac\n    os: osx\n    if: os = osx\n"
	  "  - name: rb\n    language: ruby\n    if: language = python\n",
	  "{}",
	  "[{\"language\": \"python\", \"os\": \"linux\"},"
	  " {\"language\": \"python\", \"os\": \"osx\"},"
	  " {\"language\": \"python\", \"os\": \"osx\", \"name\": \"mac\","
	  " \"if\": \"os = osx\"}]" },
	{ "invalid job condition drops the job",
	  "jobs:\n  include:\n  - name: one\n  - name: two\n    if: '= "
	  "kaputt'\n",
	  "{}", "[{\"name\": \"one\"}]" },
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

static bool run_case(const struct expand_case *c)
{
	struct val *config = load_yaml(c->yaml);
	struct val *request = load_json(c->request);
	struct val *want = load_json(c->jobs), *got;
	struct msgs m = MSGS_INIT;
	bool ok;

	if (!config || !want || (c->request && !request)) {
		unit_fail(__FILE__, __LINE__, "%s: bad case: %s", c->name,
			  err_msg());
		val_free(config);
		val_free(request);
		val_free(want);
		return false;
	}
	if (request)
		got = matrix_jobs(config, request, NULL, &m);
	else
		got = matrix_expand(config, &m);
	ok = val_equal(got, want);
	if (!ok) {
		char *s = json_dump(got, 0);

		unit_fail(__FILE__, __LINE__,
			  "%s:\n      got  %s\n      want %s", c->name, s,
			  c->jobs);
		free(s);
	}
	msgs_release(&m);
	val_free(got);
	val_free(want);
	val_free(request);
	val_free(config);
	return ok;
}

void test_matrix__expand(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(expand_cases); i++)
		run_case(&expand_cases[i]);
}

/*
 * Every expansion key expands, and every key restricted to a language is
 * dropped for another language (catches a rule table out of order).
 */
void test_matrix__expansion_keys(void)
{
	static const char *const keys[] = {
		"os",		"arch",
		"compiler",	"osx_image",
		"jdk",		"crystal",
		"dotnet",	"mono",
		"solution",	"d",
		"dart",		"dart_task",
		"elixir",	"otp_release",
		"elm",		"node_js",
		"go",		"hhvm",
		"php",		"ghc",
		"haxe",		"julia",
		"matlab",	"nix",
		"perl",		"perl6",
		"python",	"r",
		"rvm",		"gemfile",
		"xcode_scheme", "xcode_sdk",
		"rust",		"scala",
		"smalltalk",	"smalltalk_config",
		"smalltalk_vm",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		struct val *cfg = val_map(), *vals = val_seq(), *jobs;

		val_seq_push(vals, val_str("a"));
		val_seq_push(vals, val_str("b"));
		val_map_set(cfg, keys[i], vals);
		if (!strcmp(keys[i], "arch"))
			val_map_set(cfg, "os", val_str("linux"));
		if (!strcmp(keys[i], "osx_image"))
			val_map_set(cfg, "os", val_str("osx"));
		jobs = matrix_expand(cfg, NULL);
		if (jobs->seq.n != 2)
			unit_fail(__FILE__, __LINE__, "%s: %zu jobs", keys[i],
				  jobs->seq.n);
		val_free(jobs);
		if (strcmp(keys[i], "os") && strcmp(keys[i], "arch") &&
		    strcmp(keys[i], "osx_image")) {
			val_map_set(cfg, "language", val_str("none"));
			if (matrix_key_supported(cfg, keys[i]))
				unit_fail(__FILE__, __LINE__,
					  "%s: supported for language none",
					  keys[i]);
		}
		val_free(cfg);
	}
}

void test_matrix__key_support(void)
{
	static const struct {
		const char *key, *language;
		bool supported;
	} cases[] = {
		{ "jdk", "java", true },
		{ "jdk", "scala", true },
		{ "jdk", "python", false },
		{ "rvm", "objective-c", true },
		{ "node_js", "elm", true },
		{ "php", "hack", true },
		{ "compiler", "cpp", true },
		{ "compiler", "go", false },
		{ "npm_args", "node_js", true },
		{ "npm_args", "ruby", false },
		{ "r_packages", "python", false },
		{ "bundler_args", "ruby", true },
		{ "script", "python", true },
		{ "android", "ruby", true },
		{ "virtualenv", "ruby", true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *job = val_map();

		val_map_set(job, "language", val_str(cases[i].language));
		if (matrix_key_supported(job, cases[i].key) !=
		    cases[i].supported)
			unit_fail(__FILE__, __LINE__, "%s on %s", cases[i].key,
				  cases[i].language);
		val_free(job);
	}
}

/* A huge product is cut at MATRIX_MAX_JOBS with an error message. */
void test_matrix__too_many_jobs(void)
{
	struct val *cfg = val_map(), *jobs;
	struct msgs m = MSGS_INIT;
	static const char *const keys[] = { "rvm", "gemfile", "jdk" };

	val_map_set(cfg, "language", val_str("ruby"));
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		struct val *vals = val_seq();

		for (int i = 0; i < 20; i++)
			val_seq_push(vals, val_strf("%s%d", keys[k], i));
		val_map_set(cfg, keys[k], vals);
	}
	jobs = matrix_expand(cfg, &m);
	check_int(jobs->seq.n, ==, MATRIX_MAX_JOBS);
	check(msgs_has_error(&m));
	check_str(m.v[0].code, "too_many_jobs");
	msgs_release(&m);
	val_free(jobs);
	val_free(cfg);
}

/* Dropped jobs get a reason. */
void test_matrix__dropped_reasons(void)
{
	struct val *cfg =
		load_yaml("env:\n  jobs: [{A: '1'}, {A: '2'}]\n"
			  "jobs:\n  exclude:\n  - env: [{A: '2'}]\n"
			  "  include:\n  - name: x\n    if: branch = main\n");
	struct val *req =
		load_json("{\"branch\": \"dev\", \"type\": \"push\"}");
	struct val *dropped = val_seq(), *jobs;
	struct msgs m = MSGS_INIT;

	check(cfg && req);
	jobs = matrix_jobs(cfg, req, dropped, &m);
	check_int(jobs->seq.n, ==, 1);
	check_int(dropped->seq.n, ==, 2);
	check_str(val_text(val_map_get(dropped->seq.v[0], "reason")),
		  "excluded by jobs.exclude entry 1");
	check_str(val_text(val_map_get(dropped->seq.v[1], "reason")),
		  "if: branch = main is false");
	check_int(m.n, ==, 1);
	check_str(m.v[0].code, "skip_job");
	msgs_release(&m);
	val_free(jobs);
	val_free(dropped);
	val_free(req);
	val_free(cfg);
}

/* Spec 6.1: a condition that does not parse is false, and says why. */
void test_matrix__invalid_condition(void)
{
	struct val *req = load_json("{}"), *job = val_map();
	struct val *cond = val_str("= kaputt");
	char *why = NULL;

	check(!matrix_accept(cond, job, req, &why));
	check(why && !strncmp(why, "if: = kaputt is invalid: ", 25));
	free(why);
	why = NULL;
	/* no request data: every condition is true */
	check(matrix_accept(cond, job, NULL, &why));
	check(!why);
	val_free(cond);
	val_free(job);
	val_free(req);
}

/* The condition data: request, then the config's attributes and env. */
void test_matrix__cond_data(void)
{
	struct val *cfg = load_yaml(
		"language: ruby\nname: x\nos: [linux]\n"
		"env:\n  global: [{A: '1'}]\n  jobs: [{B: '2'}, {A: '3'}]\n");
	struct val *req = load_json(
		"{\"branch\": \"main\", \"os\": \"osx\", \"env\": [{\"S\": "
		"\"s\"}]}");
	struct val *want = load_json(
		"{\"branch\": \"main\", \"os\": [\"linux\"], \"language\": "
		"\"ruby\","
		" \"env\": [{\"S\": \"s\"}, {\"A\": \"3\", \"B\": \"2\"}]}");
	struct val *got;

	check(cfg && req && want);
	got = matrix_cond_data(req, cfg);
	if (!val_equal(got, want)) {
		char *s = json_dump(got, 0);

		unit_fail(__FILE__, __LINE__, "got %s", s);
		free(s);
	}
	val_free(got);
	val_free(want);
	val_free(req);
	val_free(cfg);
}
