#include "compat.h"

#include "buf.h"
#include "json.h"
#include "loader.h"
#include "msg.h"
#include "svec.h"
#include "unit.h"
#include "val.h"

/* YAML in, the JSON of the loaded tree out (or the error message). */
static char *load_json(const char *yaml)
{
	struct val *v = NULL;
	char *out;

	if (loader_load(&v, yaml, strlen(yaml), "t.yml", NULL, NULL) < 0)
		return strdup(err_msg());
	out = json_dump(v, JSON_SORTED);
	val_free(v);
	return out;
}

static const struct {
	const char *yaml, *json;
} load_cases[] = {
	{ "a: 1", "{\"a\":1}" },
	{ "a: 3.10", "{\"a\":\"3.10\"}" },
	{ "a: yes", "{\"a\":\"yes\"}" },
	{ "a: no", "{\"a\":\"no\"}" },
	{ "a: on", "{\"a\":\"on\"}" },
	{ "a: off", "{\"a\":\"off\"}" },
	{ "a: Yes", "{\"a\":true}" },
	{ "a: OFF", "{\"a\":false}" },
	{ "a: true", "{\"a\":true}" },
	{ "a: False", "{\"a\":false}" },
	{ "a: 'true'", "{\"a\":\"true\"}" },
	{ "a: ~", "{\"a\":null}" },
	{ "a: null", "{\"a\":null}" },
	{ "a:", "{\"a\":null}" },
	{ "a: 010", "{\"a\":8}" },
	{ "a: 08", "{\"a\":\"08\"}" },
	{ "a: 0x1f", "{\"a\":31}" },
	{ "a: 1_000", "{\"a\":1000}" },
	{ "a: -5", "{\"a\":-5}" },
	{ "a: 1.5e3", "{\"a\":\"1.5e3\"}" },
	{ "a: .inf", "{\"a\":\".inf\"}" },
	{ "a: 2019-01-01", "{\"a\":\"2019-01-01\"}" },
	{ "a: 2001-12-14t21:59:43.10-05:00",
	  "{\"a\":\"2001-12-14t21:59:43.10-05:00\"}" },
	{ "a: :sym", "{\"a\":\"sym\"}" },
	{ ":a: b", "{\"a\":\"b\"}" },
	{ "a: python", "{\"a\":\"python\"}" },
	{ "a: json", "{\"a\":\"json\"}" },
	{ "a: v1", "{\"a\":\"v1\"}" },
	{ "a: \"1\"", "{\"a\":\"1\"}" },
	{ "on: x", "{\"on\":\"x\"}" },
	{ "", "{}" },
	{ "# only a comment\n", "{}" },
	{ "a: &x {b: 1}\nc: *x", "{\"a\":{\"b\":1},\"c\":{\"b\":1}}" },
	{ "a: *nope", "{\"a\":null}" },
	{ "x: &x {a: 1, b: 2}\ny:\n  <<: *x\n  b: 3",
	  "{\"x\":{\"a\":1,\"b\":2},\"y\":{\"a\":1,\"b\":3}}" },
	{ "x: &x {a: 1, b: 2}\ny:\n  b: 3\n  <<: *x",
	  "{\"x\":{\"a\":1,\"b\":2},\"y\":{\"a\":1,\"b\":2}}" },
	{ "x: &x {a: 1}\nz: &z {a: 2, c: 3}\ny:\n  <<: [*x, *z]",
	  "{\"x\":{\"a\":1},\"y\":{\"a\":1,\"c\":3},\"z\":{\"a\":2,\"c\":3}}" },
	{ "a: 1\na: 2", "{\"a\":2}" },
	{ "a: 1\n---\nb: 2", "{\"a\":1}" },
	{ "- a",
	  "t.yml:1:1: the config must be a map of keys to values, not a single value or a list" },
	{ "just text",
	  "t.yml:1:1: the config must be a map of keys to values, not a single value or a list" },
	{ "a: [1, 2",
	  "t.yml:2:1: did not find expected ',' or ']' while parsing a flow sequence (started at line 1)" },
	{ "a: b\n c: d",
	  "t.yml:2:3: mapping values are not allowed in this context" },
	{ "? [a]\n: b", "t.yml:1:3: unacceptable key (sequence)" },
	{ "a: \"\xff\"", "t.yml:1:5: invalid leading UTF-8 octet (byte 0xff)" },
};

void test_loader__scalars_and_errors(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(load_cases); i++) {
		char *got = load_json(load_cases[i].yaml);

		if (strcmp(got, load_cases[i].json))
			unit_fail(__FILE__, __LINE__,
				  "case %zu %s: got %s, want %s", i,
				  load_cases[i].yaml, got, load_cases[i].json);
		free(got);
	}
}

void test_loader__positions(void)
{
	struct val *v = NULL;
	const char *y = "language: c\nscript:\n  - make\n";

	check_ok(loader_load(&v, y, strlen(y), "t.yml", NULL, NULL));
	check_int(val_map_pair(v, "script")->line, ==, 1);
	check_int(val_map_get(v, "script")->seq.v[0]->line, ==, 2);
	check_int(val_map_get(v, "script")->seq.v[0]->col, ==, 4);
	val_free(v);
}

void test_loader__duplicate_keys(void)
{
	struct msgs m = MSGS_INIT;
	struct val *v = NULL;
	const char *y = "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n";

	check_ok(loader_load(&v, y, strlen(y), "t.yml", &m, NULL));
	check_int(m.n, ==, 2);
	check_str(m.v[0].key, "b");
	check_int(m.v[0].line, ==, 1);
	check_str(m.v[1].key, "root");
	check_int(m.v[1].line, ==, -1);
	check_str(m.v[1].code, "duplicate_key");
	check_int(val_map_index(v, "a"), ==, 0);
	msgs_release(&m);
	val_free(v);
}

void test_loader__anchors_list(void)
{
	struct svec a = SVEC_INIT;
	struct val *v = NULL;
	const char *y = "_helpers: &h\n  x: 1\nfoo:\n  <<: *h\n";

	check_ok(loader_load(&v, y, strlen(y), "t.yml", NULL, &a));
	check_int(a.n, ==, 1);
	check_str(a.v[0], "_helpers");
	svec_release(&a);
	val_free(v);
}

void test_loader__limits(void)
{
	struct buf b = BUF_INIT;
	struct val *v = NULL;

	/* nesting */
	for (int i = 0; i < 100; i++)
		buf_addstr(&b, "[");
	check(loader_load(&v, b.ptr, b.len, "t.yml", NULL, NULL) ==
	      FY_EINVALID);
	check(strstr(err_msg(), "nesting too deep"));
	buf_reset(&b);
	/* a billion laughs */
	buf_addstr(&b, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 0; i < 8; i++)
		buf_addf(
			&b,
			"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
			'b' + i, 'b' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i,
			'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i);
	check(loader_load(&v, b.ptr, b.len, "t.yml", NULL, NULL) ==
	      FY_EINVALID);
	check(strstr(err_msg(), "too large"));
	buf_release(&b);
}
