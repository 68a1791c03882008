#include "compat.h"

#include "buf.h"
#include "config.h"
#include "fs.h"
#include "json.h"
#include "loader.h"
#include "unit.h"
#include "val.h"

static void put(const char *path, const char *text)
{
	char *dir = fs_dirname(path);

	fs_mkdir_p(dir, 0755);
	free(dir);
	fs_write_file(path, text, strlen(text), 0644);
}

/* The merge of two YAML documents as JSON (sorted keys). */
static char *merged(const char *lft, const char *rgt, const char *mode)
{
	struct val *a = NULL, *b = NULL;
	char *out;

	if (loader_load(&a, lft, strlen(lft), "lft", NULL, NULL) < 0 ||
	    loader_load(&b, rgt, strlen(rgt), "rgt", NULL, NULL) < 0)
		return strdup(err_msg());
	config_merge(a, b, mode);
	out = json_dump(a, JSON_SORTED);
	val_free(a);
	return out;
}

static const struct {
	const char *mode, *lft, *rgt, *want;
} merge_cases[] = {
	/* spec 9.5's verified example */
	{ "deep_merge_append", "foo:\n  one: [one]\n",
	  "foo:\n  one: [two]\n  two: two\nbar: bar\n",
	  "{\"bar\":\"bar\",\"foo\":{\"one\":[\"two\",\"one\"],\"two\":\"two\"}}" },
	{ "deep_merge_prepend", "foo:\n  one: [one]\n",
	  "foo:\n  one: [two]\n  two: two\nbar: bar\n",
	  "{\"bar\":\"bar\",\"foo\":{\"one\":[\"one\",\"two\"],\"two\":\"two\"}}" },
	{ "deep_merge", "foo:\n  one: [one]\n",
	  "foo:\n  one: [two]\n  two: two\nbar: bar\n",
	  "{\"bar\":\"bar\",\"foo\":{\"one\":[\"one\"],\"two\":\"two\"}}" },
	{ "merge", "foo:\n  one: [one]\n",
	  "foo:\n  one: [two]\n  two: two\nbar: bar\n",
	  "{\"bar\":\"bar\",\"foo\":{\"one\":[\"one\"]}}" },
	/* scalars: the importing (left) side wins, also when null */
	{ "deep_merge_append", "a: 1\nb: ~\n", "a: 2\nb: 3\nc: 4\n",
	  "{\"a\":1,\"b\":null,\"c\":4}" },
	/* a tag on a node chooses the mode for its subtree */
	{ "deep_merge", "script: !seq+append [b]\n", "script: [a]\n",
	  "{\"script\":[\"a\",\"b\"]}" },
	{ "deep_merge_append", "script: !seq+prepend [b]\n", "script: [a]\n",
	  "{\"script\":[\"b\",\"a\"]}" },
};

void test_config__merge_modes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(merge_cases); i++) {
		char *got = merged(merge_cases[i].lft, merge_cases[i].rgt,
				   merge_cases[i].mode);

		if (strcmp(got, merge_cases[i].want))
			unit_fail(__FILE__, __LINE__,
				  "case %zu (%s): got %s, want %s", i,
				  merge_cases[i].mode, got,
				  merge_cases[i].want);
		free(got);
	}
}

static char *load_json(const char *path, const struct val *request,
		       struct travis_config **keep)
{
	struct config_opts o = { .root_dir = ".", .request = request };
	struct travis_config *c = NULL;
	char *out;

	if (config_load(&c, path, &o) < 0)
		return strdup(err_msg());
	out = json_dump(val_map_get(c->config, "script"), 0);
	if (keep)
		*keep = c;
	else
		config_free(c);
	return out;
}

void test_config__imports_local_files(void)
{
	struct travis_config *c = NULL;
	char *got;

	put(".travis.yml",
	    "import:\n  - shared/base.yml\n  - source: shared/last.yml\n    mode: deep_merge_prepend\nscript: [main]\n");
	put("shared/base.yml",
	    "import: ./nested.yml\nscript: [base]\nlanguage: python\n");
	put("shared/nested.yml", "script: [nested]\n");
	put("shared/last.yml", "script: [last]\n");
	got = load_json(".travis.yml", NULL, &c);
	/*
	 * Parts depth first: .travis.yml, base, nested (./ is relative to
	 * base.yml), last.  travis-yml's Parts::Merge folds them from the
	 * last upwards, each step with the mode of the lower part just
	 * folded in: nested+last (last's prepend), base+that (nested's
	 * append), main+that (base's append).
	 */
	check_str(got, "[\"nested\",\"last\",\"base\",\"main\"]");
	check_str(val_text(val_map_get(c->config, "language")), "python");
	check(!val_map_get(c->config, "import"));
	check_int(c->sources.n, ==, 4);
	free(got);
	config_free(c);
}

void test_config__import_errors(void)
{
	char *got;

	put("a.yml", "import: b.yml\nscript: [a]\n");
	put("b.yml", "import: a.yml\nscript: [b]\n");
	got = load_json("a.yml", NULL, NULL);
	check(strstr(got, "import cycle"));
	check(strstr(got, "a.yml"));
	check(strstr(got, "b.yml"));
	free(got);

	put("c.yml", "import: d.yml\n");
	put("d.yml", "import: missing.yml\n");
	got = load_json("c.yml", NULL, NULL);
	check(strstr(got, "missing.yml"));
	check(strstr(got, "not found"));
	check(strstr(got, "d.yml -> "));
	free(got);

	put("e.yml", "import: owner/other:x.yml\n");
	got = load_json("e.yml", NULL, NULL);
	check(strstr(got, "another repository"));
	free(got);

	put("f.yml", "import: nothing-like-a-yaml-file\n");
	got = load_json("f.yml", NULL, NULL);
	check(strstr(got, "invalid import source"));
	free(got);
}

void test_config__import_conditions(void)
{
	struct val *req = val_map();
	char *got;

	put(".travis.yml",
	    "import:\n  - source: a.yml\n    if: branch = master\n  - source: b.yml\n    if: branch = dev\nscript: [main]\n");
	put("a.yml", "script: [a]\n");
	put("b.yml", "script: [b]\n");
	val_map_set(req, "branch", val_str("master"));
	got = load_json(".travis.yml", req, NULL);
	check_str(got, "[\"a\",\"main\"]");
	free(got);
	val_free(req);
}

void test_config__too_many_imports(void)
{
	struct buf b = BUF_INIT;
	char *got;

	buf_addstr(&b, "import:\n");
	for (int i = 0; i <= CONFIG_MAX_IMPORTS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "p%d.yml", i);
		put(name, "script: [x]\n");
		buf_addf(&b, "  - %s\n", name);
	}
	put(".travis.yml", b.ptr);
	got = load_json(".travis.yml", NULL, NULL);
	check(strstr(got, "too many imports"));
	free(got);
	buf_release(&b);
}
