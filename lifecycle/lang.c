/*
 * lang.c: per-language defaults (spec/travis.md 1.7, 4.2, 8.2), in the
 * shape travis-build emits them.
 */
#include "compat.h"

#include "buf.h"
#include "lang.h"
#include "val.h"
#include "xalloc.h"

static const struct {
	const char *name, *canonical;
} lang_names[] = {
	{ "ruby", "ruby" },
	{ "python", "python" },
	{ "node_js", "node_js" },
	{ "c", "c" },
	{ "cpp", "cpp" },
	{ "c++", "cpp" },
	{ "cplusplus", "cpp" },
	{ "go", "go" },
	{ "java", "java" },
	{ "jvm", "java" },
	{ "groovy", "java" },
	{ "scala", "scala" },
	{ "android", "java" },
	{ "rust", "rust" },
	{ "php", "php" },
	{ "perl", "perl" },
	{ "elixir", "elixir" },
	{ "erlang", "erlang" },
	{ "haskell", "haskell" },
	{ "clojure", "clojure" },
	{ "shell", "generic" },
	{ "bash", "generic" },
	{ "sh", "generic" },
	{ "minimal", "generic" },
	{ "generic", "generic" },
	{ "objective-c", "objective-c" },
	{ "swift", "objective-c" },
	{ "csharp", "csharp" },
	{ "d", "d" },
	{ "dart", "dart" },
	{ "julia", "julia" },
	{ "r", "r" },
	{ "crystal", "crystal" },
	{ "elm", "elm" },
	{ "haxe", "haxe" },
	{ "nix", "nix" },
	{ "perl6", "perl6" },
	{ "smalltalk", "smalltalk" },
	{ "matlab", "matlab" },
	{ "hack", "hack" },
};

const char *lang_canonical(const char *language)
{
	if (!language)
		return "ruby";
	if (!strncmp(language, "java", 4))
		return "java";
	for (size_t i = 0; i < ARRAY_SIZE(lang_names); i++)
		if (!strcmp(lang_names[i].name, language))
			return lang_names[i].canonical;
	return "ruby";
}

static const char *job_str(const struct val *job, const char *key)
{
	const struct val *v = val_map_get(job, key);

	if (v && v->type == VAL_SEQ)
		v = v->seq.n ? v->seq.v[0] : NULL;
	return val_text(v);
}

/* travis_cmd 'CMD' with the options of `stage` (spec 1.2). */
static void cmd(struct buf *out, const char *command, const char *stage,
		bool retry)
{
	bool assert = !strcmp(stage, "install");
	bool timing = strcmp(stage, "announce");

	buf_addstr(out, "travis_cmd ");
	buf_add_shquote(out, command);
	if (assert)
		buf_addstr(out, " --assert");
	buf_addstr(out, " --echo");
	if (retry)
		buf_addstr(out, " --retry");
	if (timing)
		buf_addf(out, " --timing --event %s", stage);
	buf_addch(out, '\n');
}

static void fold(struct buf *out, const char *name, bool start)
{
	buf_addf(out, "travis_fold %s %s\n", start ? "start" : "end", name);
}

static void echo(struct buf *out, const char *color, const char *text)
{
	buf_addstr(out, "echo -e ");
	if (color) {
		struct buf t = BUF_INIT;

		buf_addf(&t, "%s%s%s", color, text, "\\033[0m");
		buf_add_shquote(out, t.ptr);
		buf_release(&t);
	} else {
		buf_add_shquote(out, text);
	}
	buf_addch(out, '\n');
}

/* Python without a script: the job fails, only after_failure runs. */
static void failure(struct buf *out, const char *message)
{
	buf_addstr(out, "export TRAVIS_CMD=no_script\n");
	echo(out, "\\033[31;1m", message);
	buf_addstr(out, "travis_run_after_failure\nset -e\nfalse\n");
}

static bool ruby_default(struct buf *out, const char *stage,
			 const struct val *job)
{
	const char *gemfile = job_str(job, "gemfile");
	const char *args = job_str(job, "bundler_args");

	if (!gemfile)
		gemfile = "Gemfile";
	if (!strcmp(stage, "install")) {
		struct buf c = BUF_INIT;

		buf_addf(out, "if [[ -f %s ]]; then\n", gemfile);
		fold(out, "install.bundler", true);
		buf_addf(out, "if [[ -f %s.lock ]]; then\n", gemfile);
		buf_addf(&c, "bundle install %s",
			 args ? args : "--jobs=3 --retry=3 --deployment");
		cmd(out, c.ptr, stage, true);
		buf_reset(&c);
		buf_addstr(out, "else\n");
		buf_addf(&c, "bundle install %s",
			 args ? args : "--jobs=3 --retry=3");
		cmd(out, c.ptr, stage, true);
		buf_addstr(out, "fi\n");
		fold(out, "install.bundler", false);
		buf_addstr(out, "else\n");
		echo(out, NULL, "No Gemfile found, skipping bundle install");
		buf_addstr(out, "fi\n");
		buf_release(&c);
		return true;
	}
	if (!strcmp(stage, "script")) {
		buf_addf(out, "if [[ -f %s ]]; then\n", gemfile);
		cmd(out, "bundle exec rake", stage, false);
		buf_addstr(out, "else\n");
		cmd(out, "rake", stage, false);
		buf_addstr(out, "fi\ntravis_result $?\n");
		return true;
	}
	if (!strcmp(stage, "announce")) {
		cmd(out, "ruby --version", stage, false);
		cmd(out, "gem --version", stage, false);
		cmd(out, "bundle --version", stage, false);
		return true;
	}
	return false;
}

static bool python_default(struct buf *out, const char *stage,
			   const struct val *job)
{
	if (!strcmp(stage, "install")) {
		fold(out, "install", true);
		buf_addstr(out, "if [[ -f Requirements.txt ]]; then\n");
		cmd(out, "pip install -r Requirements.txt", stage, true);
		buf_addstr(out, "elif [[ -f requirements.txt ]]; then\n");
		cmd(out, "pip install -r requirements.txt", stage, true);
		buf_addstr(out, "else\n");
		echo(out, NULL,
		     "Could not locate requirements.txt. Override the install: "
		     "key in your .travis.yml to install dependencies.");
		buf_addstr(out, "fi\n");
		fold(out, "install", false);
		return true;
	}
	if (!strcmp(stage, "script")) {
		failure(out, "Please override the script: key in your "
			     ".travis.yml to run tests.");
		return true;
	}
	if (!strcmp(stage, "announce")) {
		cmd(out, "python --version", stage, false);
		cmd(out, "pip --version", stage, false);
		return true;
	}
	return false;
}

static bool node_default(struct buf *out, const char *stage,
			 const struct val *job)
{
	const char *args = job_str(job, "npm_args");
	struct buf c = BUF_INIT;

	if (!strcmp(stage, "install")) {
		buf_addstr(
			out,
			"if [[ -f package.json ]]; then\n"
			"if [[ -f yarn.lock ]] && command -v yarn >/dev/null 2>&1; then\n");
		fold(out, "install.yarn", true);
		cmd(out, "yarn --frozen-lockfile", stage, true);
		fold(out, "install.yarn", false);
		buf_addstr(
			out,
			"elif [[ -f package-lock.json || -f npm-shrinkwrap.json ]]; then\n");
		fold(out, "install.npm", true);
		buf_addf(&c, "npm ci%s%s", args ? " " : "", args ? args : "");
		cmd(out, c.ptr, stage, true);
		fold(out, "install.npm", false);
		buf_addstr(out, "else\n");
		fold(out, "install.npm", true);
		buf_reset(&c);
		buf_addf(&c, "npm install%s%s", args ? " " : "",
			 args ? args : "");
		cmd(out, c.ptr, stage, true);
		fold(out, "install.npm", false);
		buf_addstr(out, "fi\nfi\n");
		buf_release(&c);
		return true;
	}
	if (!strcmp(stage, "script")) {
		buf_addstr(
			out,
			"if [[ -f package.json ]]; then\n"
			"if [[ -f yarn.lock ]] && command -v yarn >/dev/null 2>&1; then\n");
		cmd(out, "yarn test", stage, false);
		buf_addstr(out, "else\n");
		cmd(out, "npm test", stage, false);
		buf_addstr(out, "fi\nelse\n");
		cmd(out, "make test", stage, false);
		buf_addstr(out, "fi\ntravis_result $?\n");
		return true;
	}
	if (!strcmp(stage, "announce")) {
		cmd(out, "node --version", stage, false);
		cmd(out, "npm --version", stage, false);
		return true;
	}
	return false;
}

static bool c_default(struct buf *out, const char *stage, const struct val *job)
{
	if (!strcmp(stage, "script")) {
		cmd(out, "./configure && make && make test", stage, false);
		buf_addstr(out, "travis_result $?\n");
		return true;
	}
	if (!strcmp(stage, "announce")) {
		cmd(out, "${CC} --version", stage, false);
		return true;
	}
	return false;
}

static bool go_default(struct buf *out, const char *stage,
		       const struct val *job)
{
	const char *args = job_str(job, "gobuild_args");
	struct buf c = BUF_INIT;

	if (!strcmp(stage, "install")) {
		buf_addstr(
			out,
			"if [[ ! -f GNUmakefile && ! -f makefile && ! -f Makefile && ! -f BSDmakefile ]]; then\n");
		buf_addf(&c, "go get %s -t ./...", args ? args : "-v");
		cmd(out, c.ptr, stage, true);
		buf_addstr(out, "fi\n");
		buf_release(&c);
		return true;
	}
	if (!strcmp(stage, "script")) {
		buf_addstr(
			out,
			"if [[ -f GNUmakefile || -f makefile || -f Makefile || -f BSDmakefile ]]; then\n");
		cmd(out, "make", stage, false);
		buf_addstr(out, "else\n");
		buf_addf(&c, "go test %s ./...", args ? args : "-v");
		cmd(out, c.ptr, stage, false);
		buf_addstr(out, "fi\ntravis_result $?\n");
		buf_release(&c);
		return true;
	}
	if (!strcmp(stage, "announce")) {
		cmd(out, "go version", stage, false);
		cmd(out, "go env", stage, false);
		return true;
	}
	return false;
}

static bool java_default(struct buf *out, const char *stage,
			 const struct val *job)
{
	if (!strcmp(stage, "install")) {
		buf_addstr(out, "if [[ -f ./gradlew ]]; then\n");
		cmd(out, "./gradlew assemble", stage, true);
		buf_addstr(
			out,
			"elif [[ -f build.gradle || -f build.gradle.kts ]]; then\n");
		cmd(out, "gradle assemble", stage, true);
		buf_addstr(out, "elif [[ -f ./mvnw ]]; then\n");
		cmd(out,
		    "./mvnw install -DskipTests=true -Dmaven.javadoc.skip=true -B -V",
		    stage, true);
		buf_addstr(out, "elif [[ -f pom.xml ]]; then\n");
		cmd(out,
		    "mvn install -DskipTests=true -Dmaven.javadoc.skip=true -B -V",
		    stage, true);
		buf_addstr(out, "fi\n");
		return true;
	}
	if (!strcmp(stage, "script")) {
		buf_addstr(out, "if [[ -f ./gradlew ]]; then\n");
		cmd(out, "./gradlew check", stage, false);
		buf_addstr(
			out,
			"elif [[ -f build.gradle || -f build.gradle.kts ]]; then\n");
		cmd(out, "gradle check", stage, false);
		buf_addstr(out, "elif [[ -f ./mvnw ]]; then\n");
		cmd(out, "./mvnw test -B", stage, false);
		buf_addstr(out, "elif [[ -f pom.xml ]]; then\n");
		cmd(out, "mvn test -B", stage, false);
		buf_addstr(out, "else\n");
		cmd(out, "ant test", stage, false);
		buf_addstr(out, "fi\ntravis_result $?\n");
		return true;
	}
	if (!strcmp(stage, "announce")) {
		cmd(out, "java -Xmx32m -version", stage, false);
		cmd(out, "javac -J-Xmx32m -version", stage, false);
		return true;
	}
	return false;
}

static bool rust_default(struct buf *out, const char *stage,
			 const struct val *job)
{
	if (!strcmp(stage, "script")) {
		cmd(out, "cargo build --verbose", stage, false);
		cmd(out, "cargo test --verbose", stage, false);
		buf_addstr(out, "travis_result $?\n");
		return true;
	}
	if (!strcmp(stage, "before_cache")) {
		cmd(out, "rm -rf \"$HOME/.cargo/registry/src\"", stage, false);
		return true;
	}
	if (!strcmp(stage, "announce")) {
		cmd(out, "rustc --version", stage, false);
		cmd(out, "cargo --version", stage, false);
		return true;
	}
	return false;
}

static bool simple_default(struct buf *out, const char *stage,
			   const char *install, const char *script,
			   const char *announce)
{
	const char *c = !strcmp(stage, "install")    ? install
			: !strcmp(stage, "script")   ? script
			: !strcmp(stage, "announce") ? announce
						     : NULL;

	if (!c)
		return false;
	cmd(out, c, stage, !strcmp(stage, "install"));
	if (!strcmp(stage, "script"))
		buf_addstr(out, "travis_result $?\n");
	return true;
}

bool lang_default(struct buf *out, const char *stage, const struct val *job)
{
	const char *lang = lang_canonical(job_str(job, "language"));

	if (!strcmp(lang, "ruby"))
		return ruby_default(out, stage, job);
	if (!strcmp(lang, "python"))
		return python_default(out, stage, job);
	if (!strcmp(lang, "node_js"))
		return node_default(out, stage, job);
	if (!strcmp(lang, "c") || !strcmp(lang, "cpp"))
		return c_default(out, stage, job);
	if (!strcmp(lang, "go"))
		return go_default(out, stage, job);
	if (!strcmp(lang, "java"))
		return java_default(out, stage, job);
	if (!strcmp(lang, "rust"))
		return rust_default(out, stage, job);
	if (!strcmp(lang, "php"))
		return simple_default(out, stage, NULL, "phpunit",
				      "php --version");
	if (!strcmp(lang, "perl"))
		return simple_default(out, stage,
				      "cpanm --quiet --installdeps --notest .",
				      "make test", "perl --version");
	if (!strcmp(lang, "elixir"))
		return simple_default(out, stage,
				      "mix local.hex --force && mix deps.get",
				      "mix test", "elixir --version");
	if (!strcmp(lang, "haskell"))
		return simple_default(
			out, stage,
			"cabal install --only-dependencies --enable-tests",
			"cabal configure --enable-tests && cabal build && cabal test",
			"ghc --version");
	if (!strcmp(lang, "clojure"))
		return simple_default(out, stage, "lein deps", "lein test",
				      "lein version");
	if (!strcmp(lang, "erlang"))
		return simple_default(
			out, stage, "rebar get-deps",
			"rebar compile && rebar skip_deps=true eunit",
			"erl -version");
	if (!strcmp(lang, "scala"))
		return simple_default(out, stage, NULL,
				      "sbt ++$TRAVIS_SCALA_VERSION test",
				      "java -Xmx32m -version");
	if (!strcmp(lang, "generic")) {
		if (!strcmp(stage, "announce")) {
			cmd(out, "bash -c 'echo $BASH_VERSION'", stage, false);
			return true;
		}
		return false;
	}
	return false;
}

static void export_var(struct buf *out, const char *name, const char *value)
{
	buf_addf(out, "export %s=", name);
	buf_add_shquote(out, value);
	buf_addch(out, '\n');
}

/* Keys whose first value is exported as TRAVIS_<X>_VERSION. */
static const struct {
	const char *key, *var;
} version_vars[] = {
	{ "rvm", "TRAVIS_RUBY_VERSION" },
	{ "python", "TRAVIS_PYTHON_VERSION" },
	{ "node_js", "TRAVIS_NODE_VERSION" },
	{ "jdk", "TRAVIS_JDK_VERSION" },
	{ "go", "TRAVIS_GO_VERSION" },
	{ "php", "TRAVIS_PHP_VERSION" },
	{ "perl", "TRAVIS_PERL_VERSION" },
	{ "scala", "TRAVIS_SCALA_VERSION" },
	{ "rust", "TRAVIS_RUST_VERSION" },
	{ "otp_release", "TRAVIS_OTP_RELEASE" },
	{ "elixir", "TRAVIS_ELIXIR_VERSION" },
	{ "ghc", "TRAVIS_HASKELL_VERSION" },
	{ "haxe", "TRAVIS_HAXE_VERSION" },
	{ "julia", "TRAVIS_JULIA_VERSION" },
	{ "r", "TRAVIS_R_VERSION" },
	{ "dart", "TRAVIS_DART_VERSION" },
	{ "elm", "TRAVIS_ELM_VERSION" },
	{ "matlab", "TRAVIS_MATLAB_VERSION" },
	{ "solution", "TRAVIS_SOLUTION" },
	{ "d", "TRAVIS_D_VERSION" },
	{ "crystal", "TRAVIS_CRYSTAL_VERSION" },
};

void lang_exports(struct buf *out, const struct val *job)
{
	const char *lang = lang_canonical(job_str(job, "language"));

	for (size_t i = 0; i < ARRAY_SIZE(version_vars); i++) {
		const char *v = job_str(job, version_vars[i].key);

		if (v)
			export_var(out, version_vars[i].var, v);
	}
	if (!strcmp(lang, "python") && !job_str(job, "python"))
		export_var(out, "TRAVIS_PYTHON_VERSION", "3.10");
	if (!strcmp(lang, "rust") && !job_str(job, "rust"))
		export_var(out, "TRAVIS_RUST_VERSION", "stable");
	if (!strcmp(lang, "c") || !strcmp(lang, "cpp")) {
		const char *compiler = job_str(job, "compiler");
		bool clang = compiler && strstr(compiler, "clang");
		const char *cc = clang ? "clang" : "gcc";
		const char *cxx = clang ? "clang++" : "g++";

		if (!compiler)
			compiler = !strcmp(lang, "c") ? "gcc" : "g++";
		export_var(out, "TRAVIS_COMPILER", compiler);
		buf_addf(
			out,
			"export CC=${CC:-%s}\nexport CC_FOR_BUILD=${CC_FOR_BUILD:-%s}\n",
			cc, cc);
		if (!strcmp(lang, "cpp"))
			buf_addf(
				out,
				"export CXX=${CXX:-%s}\nexport CXX_FOR_BUILD=${CXX_FOR_BUILD:-%s}\n",
				cxx, cxx);
	}
	if (!strcmp(lang, "ruby")) {
		const char *gemfile = job_str(job, "gemfile");

		buf_addf(out, "export BUNDLE_GEMFILE=$PWD/%s\n",
			 gemfile ? gemfile : "Gemfile");
	}
	if (!strcmp(lang, "python"))
		buf_addstr(out, "export PIP_DISABLE_PIP_VERSION_CHECK=1\n"
				"export PIP_PROGRESS_BAR=off\n");
}

char *lang_cache_suffix(const struct val *job)
{
	const char *lang = lang_canonical(job_str(job, "language"));
	struct buf b = BUF_INIT;
	const char *v;

	if (!strcmp(lang, "ruby")) {
		v = job_str(job, "rvm");
		buf_addf(&b, "--rvm-%s", v ? v : "default");
		v = job_str(job, "gemfile");
		buf_addf(&b, "--gemfile-%s", v ? v : "Gemfile");
	} else if (!strcmp(lang, "python")) {
		v = job_str(job, "python");
		buf_addf(&b, "--python-%s", v ? v : "3.10");
	} else if (!strcmp(lang, "node_js")) {
		v = job_str(job, "node_js");
		buf_addf(&b, "--node-%s", v ? v : "0.10");
	} else if (!strcmp(lang, "java")) {
		v = job_str(job, "jdk");
		buf_addf(&b, "--jdk-%s", v ? v : "default");
	} else if (!strcmp(lang, "go")) {
		v = job_str(job, "go");
		buf_addf(&b, "--go-%s", v ? v : "1.11");
	} else if (!strcmp(lang, "php")) {
		v = job_str(job, "php");
		buf_addf(&b, "--php-%s", v ? v : "7.2");
	} else if (!strcmp(lang, "rust")) {
		v = job_str(job, "rust");
		buf_addf(&b, "--cargo-%s", v ? v : "stable");
	} else if (!strcmp(lang, "c")) {
		v = job_str(job, "compiler");
		buf_addf(&b, "--compiler-%s", v ? v : "gcc");
	} else if (!strcmp(lang, "cpp")) {
		v = job_str(job, "compiler");
		buf_addstr(&b, "--compiler-");
		for (v = v ? v : "g++"; *v; v++)
			buf_addch(&b, *v == '+' ? 'p' : *v);
	} else if (!strcmp(lang, "perl")) {
		v = job_str(job, "perl");
		buf_addf(&b, "--perl-%s", v ? v : "5.14");
	} else if (!strcmp(lang, "scala")) {
		v = job_str(job, "scala");
		buf_addf(&b, "--scala-%s", v ? v : "2.12.8");
	}
	return buf_detach(&b, NULL);
}
