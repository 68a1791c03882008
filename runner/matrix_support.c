/*
 * matrix_support.c: which keys and values a job's language, os or arch
 * supports, from the schema's rules (travis-yml's Doc::Value::Support);
 * expanded jobs lose the keys they do not support.
 */
#include "compat.h"

#include "matrix.h"
#include "matrix_int.h"
#include "val.h"
#include "xalloc.h"

/*
 * Support rules from the schema: a key (or one value of a key) is only
 * supported when the job's `on` attribute (language, os) is in `list`
 * (`except`: not only in `list`).  `list` holds names separated by
 * spaces.  Both tables are sorted by key (then value) for bsearch.
 * Keys whose values are maps (android, virtualenv, gimme_config, repos,
 * smalltalk_edge) are missing on purpose: travis-yml's Map#supports
 * reports its children's rules, never its own, so they are kept.
 */
struct support {
	const char *key;
	const char *value;
	const char *on;
	bool except;
	const char *list;
};

#define ONLY_LANG(k, l)                       \
	{                                     \
		k, NULL, "language", false, l \
	}
static const struct support key_rules[] = {
	ONLY_LANG("apt_packages", "r"),
	{ "arch", NULL, "os", false, "linux" },
	ONLY_LANG("bioc", "r"),
	ONLY_LANG("bioc_check", "r"),
	ONLY_LANG("bioc_packages", "r"),
	ONLY_LANG("bioc_required", "r"),
	ONLY_LANG("bioc_use_devel", "r"),
	ONLY_LANG("brew_packages", "r"),
	ONLY_LANG("bundler_args", "ruby objective-c"),
	ONLY_LANG("compiler", "c cpp"),
	ONLY_LANG("composer_args", "php"),
	ONLY_LANG("cran", "r"),
	ONLY_LANG("crystal", "crystal"),
	ONLY_LANG("d", "d"),
	ONLY_LANG("dart", "dart"),
	ONLY_LANG("dart_task", "dart"),
	ONLY_LANG("disable_homebrew", "r"),
	ONLY_LANG("dotnet", "csharp"),
	ONLY_LANG("elixir", "elixir"),
	ONLY_LANG("elm", "elm"),
	ONLY_LANG("elm_format", "elm"),
	ONLY_LANG("elm_test", "elm"),
	ONLY_LANG("gemfile", "ruby objective-c"),
	ONLY_LANG("ghc", "haskell"),
	ONLY_LANG("go", "go"),
	ONLY_LANG("go_import_path", "go"),
	ONLY_LANG("gobuild_args", "go"),
	ONLY_LANG("haxe", "haxe"),
	ONLY_LANG("hhvm", "hack"),
	ONLY_LANG("hxml", "haxe"),
	ONLY_LANG("jdk", "android clojure groovy java ruby scala"),
	ONLY_LANG("julia", "julia"),
	ONLY_LANG("latex", "r"),
	ONLY_LANG("lein", "clojure"),
	ONLY_LANG("matlab", "matlab"),
	ONLY_LANG("mono", "csharp"),
	ONLY_LANG("neko", "haxe"),
	ONLY_LANG("nix", "nix"),
	ONLY_LANG("node_js", "elm node_js"),
	ONLY_LANG("npm_args", "node_js"),
	{ "osx_image", NULL, "os", false, "osx" },
	ONLY_LANG("otp_release", "elixir erlang"),
	ONLY_LANG("pandoc", "r"),
	ONLY_LANG("pandoc_version", "r"),
	ONLY_LANG("perl", "perl"),
	ONLY_LANG("perl6", "perl6"),
	ONLY_LANG("php", "hack php"),
	ONLY_LANG("podfile", "objective-c"),
	ONLY_LANG("python", "python"),
	ONLY_LANG("r", "r"),
	ONLY_LANG("r_binary_packages", "r"),
	ONLY_LANG("r_build_args", "r"),
	ONLY_LANG("r_check_args", "r"),
	ONLY_LANG("r_check_revdep", "r"),
	ONLY_LANG("r_github_packages", "r"),
	ONLY_LANG("r_packages", "r"),
	ONLY_LANG("remotes", "r"),
	ONLY_LANG("rust", "rust"),
	ONLY_LANG("rvm", "ruby objective-c"),
	ONLY_LANG("sbt_args", "scala"),
	ONLY_LANG("scala", "scala"),
	ONLY_LANG("smalltalk", "smalltalk"),
	ONLY_LANG("smalltalk_config", "smalltalk"),
	ONLY_LANG("smalltalk_vm", "smalltalk"),
	ONLY_LANG("solution", "csharp"),
	ONLY_LANG("warnings_are_errors", "r"),
	ONLY_LANG("with_content_shell", "dart"),
	ONLY_LANG("xcode_destination", "objective-c"),
	ONLY_LANG("xcode_project", "objective-c"),
	ONLY_LANG("xcode_scheme", "objective-c"),
	ONLY_LANG("xcode_sdk", "objective-c"),
	ONLY_LANG("xcode_workspace", "objective-c"),
	ONLY_LANG("xctool_args", "objective-c"),
};
#undef ONLY_LANG

#define DIST(v, l)                        \
	{                                 \
		"dist", v, "os", false, l \
	}
#define OS(v)                                            \
	{                                                \
		"os", v, "language", true, "objective-c" \
	}
static const struct support value_rules[] = {
	DIST("bionic", "linux"),
	DIST("focal", "linux linux-ppc64le"),
	DIST("jammy", "linux"),
	DIST("noble", "linux"),
	DIST("precise", "linux"),
	DIST("rhel8", "linux"),
	DIST("server-2016", "windows"),
	DIST("trusty", "linux"),
	DIST("xenial", "linux linux-ppc64le"),
	OS("freebsd"),
	OS("linux"),
	OS("windows"),
};
#undef DIST
#undef OS

/* Whether `s` is one of the space separated names in `list`. */
static bool in_list(const char *list, const struct val *s)
{
	size_t n;

	if (!s || s->type != VAL_STR)
		return false;
	while (*list) {
		n = strcspn(list, " ");
		if (n == s->str.len && !memcmp(list, s->str.s, n))
			return true;
		list += n;
		list += *list == ' ';
	}
	return false;
}

/*
 * Doc::Value::Support: the job's `on` values (Ruby's Array(): none for
 * nil, the items of a seq, the pairs of a map, else the value) must meet
 * an `only` list at least once, or must not all be in an `except` list.
 */
static bool rule_ok(const struct support *r, const struct val *job)
{
	const struct val *on = val_map_get(job, r->on);
	size_t n = 0, hits = 0;

	if (!on || on->type == VAL_NULL)
		return true;
	if (on->type == VAL_SEQ) {
		n = on->seq.n;
		for (size_t i = 0; i < n; i++)
			hits += in_list(r->list, on->seq.v[i]);
	} else if (on->type == VAL_MAP) {
		n = on->map.n;
	} else {
		n = 1;
		hits = in_list(r->list, on);
	}
	if (!n)
		return true;
	return r->except ? hits < n : hits > 0;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct support *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c || !x->value || !y->value)
		return c;
	return strcmp(x->value, y->value);
}

static const struct support *rule_find(const struct support *rules, size_t n,
				       const char *key, const char *value)
{
	struct support k = { .key = key, .value = value };

	return bsearch(&k, rules, n, sizeof(*rules), rule_cmp);
}

bool matrix_key_supported(const struct val *job, const char *key)
{
	const struct support *r =
		rule_find(key_rules, ARRAY_SIZE(key_rules), key, NULL);

	return !r || rule_ok(r, job);
}

/* Support#supported? for one key and value of a job. */
static bool supported(const struct val *job, const char *key,
		      const struct val *value)
{
	const struct support *r;

	if (!matrix_truthy(value))
		return true;
	if (!matrix_key_supported(job, key))
		return false;
	if (value->type != VAL_STR)
		return true;
	r = rule_find(value_rules, ARRAY_SIZE(value_rules), key, value->str.s);
	return !r || rule_ok(r, job);
}

/* Drop the keys the job's language, os or arch does not support. */
void matrix_without_unsupported(struct val *job)
{
	size_t n = job->map.n, j = 0;
	bool *keep = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++)
		keep[i] = supported(job, job->map.v[i].key, job->map.v[i].v);
	for (size_t i = 0; i < n; i++) {
		if (keep[i])
			continue;
		val_map_del_at(job, i - j);
		j++;
	}
	free(keep);
}
