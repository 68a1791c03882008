/*
 * Tests of deployers/appspec.c: every case of the shared AppSpec parse
 * cases (aws-vectors/appspec/parse-cases.json), then YAML 1.1 corners,
 * ACL entries, SELinux ranges, simple globs and warnings.
 *
 * The expectations of the corner cases were found by running the agent
 * 1.8.1's own ApplicationSpecification classes under Ruby 3.1 (Psych 4).
 */
#include "compat.h"

#include "appspec.h"
#include "buf.h"
#include "fs.h"
#include "json.h"
#include "svec.h"
#include "unit.h"
#include "val.h"
#include "xalloc.h"

#define PARSE_CASES 31

/* The parsed value named by an `expect` key, or NULL if unknown. */
static struct val *actual_for(const struct val *doc, const char *key)
{
	if (!strcmp(key, "hooks") || !strcmp(key, "files") ||
	    !strcmp(key, "permissions") || !strcmp(key, "file_exists_behavior"))
		return val_dup(val_map_get(doc, key));
	if (!strcmp(key, "permissions_mode")) {
		const struct val *p = val_map_get(doc, "permissions");

		if (!p || p->seq.n < 1)
			return val_null();
		return val_dup(val_map_get(p->seq.v[0], "mode"));
	}
	return NULL;
}

/* Compare one case; on disagreement append why to `why`. */
static bool run_case(const struct val *c, struct buf *why)
{
	const char *name = val_strv(val_map_get(c, "name"));
	const char *yaml = val_strv(val_map_get(c, "appspec_yaml"));
	const struct val *expect = val_map_get(c, "expect");
	const char *want_err = val_strv(val_map_get(expect, "error"));
	const struct appspec_problem *err;
	struct appspec *spec = NULL;
	struct val *doc;
	bool ok = true;

	if (!name || !yaml || !expect) {
		buf_addf(why, "  malformed case %s\n", name ? name : "?");
		return false;
	}
	appspec_load(&spec, yaml, strlen(yaml), "appspec.yml");
	err = appspec_error(spec);
	doc = appspec_to_val(spec);
	if (want_err) {
		if (!err || strcmp(err->code, want_err)) {
			buf_addf(why, "  %s: expected error %s, got %s\n", name,
				 want_err, err ? err->code : "none");
			ok = false;
		}
	} else if (err) {
		buf_addf(why, "  %s: unexpected error %s: %s\n", name,
			 err->code, err->message);
		ok = false;
	}
	for (size_t i = 0; ok && i < expect->map.n; i++) {
		const char *key = expect->map.v[i].key;
		struct val *got;
		char *a, *b;

		if (!strcmp(key, "ok") || !strcmp(key, "error") ||
		    !strcmp(key, "note"))
			continue;
		got = actual_for(doc, key);
		if (!got) {
			buf_addf(why, "  %s: unknown expectation '%s'\n", name,
				 key);
			ok = false;
			continue;
		}
		if (!val_equal(expect->map.v[i].v, got)) {
			a = json_dump(expect->map.v[i].v, 0);
			b = json_dump(got, 0);
			buf_addf(why, "  %s: %s: expected %s, got %s\n", name,
				 key, a, b);
			free(a);
			free(b);
			ok = false;
		}
		val_free(got);
	}
	val_free(doc);
	appspec_free(spec);
	return ok;
}

void test_appspec__shared_parse_cases(void)
{
	struct buf text = BUF_INIT, why = BUF_INIT;
	struct val *doc = NULL;
	const struct val *cases;
	size_t agree = 0;

	check_ok(fs_read_file(
		&text, unit_shared("aws-vectors/appspec/parse-cases.json")));
	check_ok(json_parse(&doc, text.ptr, text.len, 0));
	cases = val_map_get(doc, "cases");
	check(val_is(cases, VAL_SEQ));
	/* A change in the shared cases must be looked at, not skipped. */
	check_int(cases->seq.n, ==, PARSE_CASES);
	for (size_t i = 0; i < cases->seq.n; i++)
		agree += run_case(cases->seq.v[i], &why);
	printf("    appspec parse cases: %zu/%zu agree\n", agree, cases->seq.n);
	if (why.len)
		fputs(why.ptr, stderr);
	check_int(agree, ==, cases->seq.n);
	val_free(doc);
	buf_release(&text);
	buf_release(&why);
}

/* ---- YAML 1.1 corners, checked against the agent under Ruby ---------- */

struct yaml_case {
	const char *yaml;
	const char *error; /* expected first error code, or NULL */
	const char *path;  /* a value to check: "mode", "timeout", "runas",
			      "sudo", "location", "source", "object" */
	const char *want;
};

#define HOOK(x)                                              \
	"version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n" \
	"    - location: a.sh\n      " x "\n"
#define PERM(x)                                   \
	"version: 0.0\nos: linux\npermissions:\n" \
	"  - object: /opt/app\n    " x "\n"

static const struct yaml_case yaml_cases[] = {
	{ "version: 0\nos: linux\n", NULL, NULL, NULL },
	{ "version: 0.00\nos: linux\n", NULL, NULL, NULL },
	{ "version: -0.0\nos: linux\n", NULL, NULL, NULL },
	{ "version: 0.\nos: linux\n", NULL, NULL, NULL },
	{ "version: 00\nos: linux\n", NULL, NULL, NULL },
	{ "version: !!str 0.0\nos: linux\n", "invalid_version", NULL, NULL },
	{ "version: \"0.0\"\nos: linux\n", "invalid_version", NULL, NULL },
	{ "version: 0.1\nos: linux\n", "invalid_version", NULL, NULL },
	{ "version: 1\nos: linux\n", "invalid_version", NULL, NULL },
	{ "version: .\nos: linux\n", "invalid_version", NULL, NULL },
	{ "version: &v 0.0\nos: linux\n", NULL, NULL, NULL },
	{ "  version: 0.0\n  os: linux\n", NULL, NULL, NULL },
	{ "version: 0.0\nos: Linux\n", "unsupported_os", NULL, NULL },
	{ "~\n", "empty", NULL, NULL },
	{ "# nothing\n", "empty", NULL, NULL },
	{ "{}\n", "invalid_version", NULL, NULL },
	{ "version: [0.0\n", "yaml", NULL, NULL },
	{ PERM("mode: 0755"), "invalid_mode_char", NULL, NULL },
	{ PERM("mode: 0600"), "invalid_mode_char", NULL, NULL },
	{ PERM("mode: 0640"), NULL, "mode", "416" },
	{ PERM("mode: 600"), NULL, "mode", "600" },
	{ PERM("mode: 0o600"), "invalid_mode_length", NULL, NULL },
	{ PERM("mode: 1777"), NULL, "mode", "1777" },
	{ PERM("mode: 44"), NULL, "mode", "044" },
	{ PERM("mode: 6.4"), "invalid_mode_char", NULL, NULL },
	{ PERM("mode: 12.45"), "invalid_mode_length", NULL, NULL },
	{ PERM("mode: rwx"), "invalid_mode_char", NULL, NULL },
	{ PERM("mode: yes"), "invalid_mode_char", NULL, NULL },
	{ PERM("type: [file]"), NULL, NULL, NULL },
	{ PERM("type: [File]"), "invalid_type", NULL, NULL },
	{ PERM("context:\n      type: t\n      range: s0-s1:c0.c3,c5"), NULL,
	  NULL, NULL },
	{ PERM("context:\n      type: t\n      range: s1-s0"), "invalid_range",
	  NULL, NULL },
	{ PERM("context:\n      type: t\n      range: s0:c1,c1"),
	  "invalid_range", NULL, NULL },
	{ PERM("context:\n      type: t\n      range: s0:c1024"),
	  "invalid_range", NULL, NULL },
	{ PERM("acls: [\"g:admins:5\"]"), NULL, NULL, NULL },
	{ PERM("acls: [\"m::rx\"]"), NULL, NULL, NULL },
	{ PERM("acls: [\"o::r\"]"), "invalid_acl", NULL, NULL },
	{ PERM("acls: [\"o:bob:r\"]"), "invalid_acl", NULL, NULL },
	{ PERM("acls: [\"x:bob:r\"]"), "invalid_acl", NULL, NULL },
	{ PERM("acls: [\"u:bob:rwq\"]"), "invalid_acl", NULL, NULL },
	{ PERM("acls: [\"d:d:bob:r\"]"), "invalid_acl", NULL, NULL },
	{ PERM("acls: [\"d:u::rw\"]"), NULL, NULL, NULL },
	{ PERM("object: \" /opt/x \""), NULL, "object", "/opt/x" },
	{ HOOK("timeout: 30.9"), NULL, "timeout", "30" },
	{ HOOK("timeout: 1.5e+3"), NULL, "timeout", "1500" },
	{ HOOK("timeout: 1e3"), NULL, "timeout", "1" },
	{ HOOK("timeout: \"2_5s\""), NULL, "timeout", "25" },
	{ HOOK("timeout: 0x10"), NULL, "timeout", "16" },
	{ HOOK("timeout: 1:30"), NULL, "timeout", "5400" },
	{ HOOK("timeout: no"), NULL, "timeout", "3600" },
	{ HOOK("timeout: ~"), NULL, "timeout", "3600" },
	{ HOOK("timeout: 0.5"), "invalid_timeout", NULL, NULL },
	{ HOOK("timeout: -5"), "invalid_timeout", NULL, NULL },
	{ HOOK("timeout: yes"), "invalid_timeout", NULL, NULL },
	{ HOOK("runas: \"  deploy \""), NULL, "runas", "deploy" },
	{ HOOK("runas: 1000"), NULL, "runas", "1000" },
	{ HOOK("sudo: no"), NULL, "sudo", "false" },
	{ HOOK("sudo: yes"), NULL, "sudo", "true" },
	{ HOOK("sudo: \"no\""), NULL, "sudo", "true" },
	{ "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n"
	  "    - location: \"  \"\n",
	  "missing_location", NULL, NULL },
	{ "version: 0.0\nos: linux\nhooks:\n  AfterInstall: []\n", NULL, NULL,
	  NULL },
	{ "version: 0.0\nos: linux\nhooks:\n  AfterInstall: false\n", NULL,
	  NULL, NULL },
	{ "version: 0.0\nos: linux\nfiles:\n  - source: caf\xc3\xa9 Zj.txt\n"
	  "    destination: /srv/\xc3\xa9t\xc3\xa9\n",
	  NULL, "source", "caf\xc3\xa9 Zj.txt" },
	{ "version: 0.0\nos: linux\nfiles:\n  - source: 1.50\n"
	  "    destination: /srv\n",
	  NULL, "source", "1.5" },
	{ "version: 0.0\nos: linux\nfiles:\n  - source: 100.\n"
	  "    destination: 1.0e+20\n",
	  NULL, "destination", "1.0e+20" },
	{ "version: 0.0\nos: linux\nfiles:\n  - source: 0.000123\n"
	  "    destination: .0001\n",
	  NULL, "source", "0.000123" },
	{ "version: 0.0\nos: linux\nfiles:\n  - source: 0.0000123\n"
	  "    destination: 1_2.5\n",
	  NULL, "source", "1.23e-05" },
	{ "version: 0.0\nos: linux\nfiles:\n  - source: 100.\n"
	  "    destination: 12345678901234567.0\n",
	  NULL, "source", "100.0" },
	{ "version: 0.0\nos: linux\nfile_exists_behavior: retain\n",
	  "invalid_file_exists_behavior", NULL, NULL },
	{ "version: 0.0\nos: linux\nfile_exists_behavior: ~\n", NULL, NULL,
	  NULL },
};

static const char *value_at(const struct val *doc, const char *path)
{
	const struct val *hooks = val_map_get(doc, "hooks");
	const struct val *p = val_map_get(doc, "permissions");
	const struct val *f = val_map_get(doc, "files");
	const struct val *s = NULL, *v;

	if (hooks && hooks->map.n && hooks->map.v[0].v->seq.n)
		s = hooks->map.v[0].v->seq.v[0];
	if (!strcmp(path, "sudo"))
		return s && val_map_get(s, "sudo") ? "true" : "false";
	if (!strcmp(path, "mode") || !strcmp(path, "object"))
		v = p && p->seq.n ? val_map_get(p->seq.v[0], path) : NULL;
	else if (!strcmp(path, "source") || !strcmp(path, "destination"))
		v = f && f->seq.n ? val_map_get(f->seq.v[0], path) : NULL;
	else
		v = s ? val_map_get(s, path) : NULL;
	return val_text(v);
}

void test_appspec__yaml_corners(void)
{
	size_t bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(yaml_cases); i++) {
		const struct yaml_case *c = &yaml_cases[i];
		struct appspec *spec = NULL;
		const struct appspec_problem *err;
		struct val *doc;
		const char *got;

		appspec_load(&spec, c->yaml, strlen(c->yaml), "appspec.yml");
		err = appspec_error(spec);
		doc = appspec_to_val(spec);
		if (c->error ? !err || strcmp(err->code, c->error) : !!err) {
			fprintf(stderr,
				"    case %zu: expected %s, got %s (%s)\n", i,
				c->error ? c->error : "no error",
				err ? err->code : "no error",
				err ? err->message : "");
			bad++;
		} else if (c->path) {
			got = value_at(doc, c->path);
			if (!got || strcmp(got, c->want)) {
				fprintf(stderr,
					"    case %zu: %s = %s, want %s\n", i,
					c->path, got ? got : "(none)", c->want);
				bad++;
			}
		}
		val_free(doc);
		appspec_free(spec);
	}
	check_int(bad, ==, 0);
}

/* The agent's messages name the values as Ruby prints them. */
void test_appspec__messages(void)
{
	static const struct {
		const char *yaml, *needle;
		int line;
	} cases[] = {
		{ "os: linux\nversion: invalid\n",
		  "invalid version value "
		  "(invalid) was entered",
		  2 },
		{ "version: 0.0\nos: windows\n",
		  "unsupported operating system "
		  "(windows)",
		  2 },
		{ "version: 0.0\nos: linux\nfiles:\n  - source: a.txt\n",
		  "only a source file (a.txt)", 4 },
		{ PERM("mode: 648"),
		  "mode (648) in the application "
		  "specification file contains an invalid character (8)",
		  5 },
		{ PERM("context:\n      name: u"),
		  "invalid context type "
		  "({\"name\"=>\"u\"})",
		  5 },
		{ PERM("acls: [\"u::rw\"]"),
		  "Use mode to set the base acl "
		  "entry (u::rw)",
		  5 },
		{ PERM("type: [socket]"),
		  "filespecifies a permission for an "
		  "object type not supported for permissions (socket)",
		  5 },
		{ "version: 0.0\nos: linux\nfile_exists_behavior: KEEP\n",
		  "invalid file_exists_behavior value (KEEP)", 3 },
		{ "version: 0.0\nos: linux\nhooks:\n  X:\n    - timeout: 3\n",
		  "script with no location value", 5 },
		{ "version: 0.0\nos: linux\nhooks: [a]\n", "'hooks' must be",
		  3 },
		{ "version: 0.0\nos: linux\n\nfiles: [\n",
		  "appspec.yml:5:1:", 5 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct appspec *spec = NULL;
		const struct appspec_problem *err;

		appspec_load(&spec, cases[i].yaml, strlen(cases[i].yaml),
			     "appspec.yml");
		err = appspec_error(spec);
		check(err);
		if (!strstr(err->message, cases[i].needle))
			unit_fail(__FILE__, __LINE__, "case %zu: %s", i,
				  err->message);
		check(strstr(err->message, cases[i].needle));
		check_int(err->line, ==, cases[i].line);
		appspec_free(spec);
	}
}

/* Warnings never make an appspec invalid, and carry the right lines. */
void test_appspec__warnings(void)
{
	static const char yaml[] = "version: 0.0\n"
				   "os: linux\n"
				   "permission:\n"
				   "  - object: /x\n"
				   "files:\n"
				   "  - source: /\n"
				   "    destination: srv\n"
				   "permissions:\n"
				   "  - object: /opt/app\n"
				   "    mode: 0644\n"
				   "hooks:\n"
				   "  Install:\n"
				   "    - location: a.sh\n"
				   "      timout: 10\n"
				   "  AfterInstall:\n"
				   "    - location: b.sh\n"
				   "      timeout: 3000\n"
				   "    - location: c.sh\n"
				   "      timeout: 3000\n"
				   "os: linux\n";
	static const struct {
		const char *code;
		int line;
	} want[] = {
		{ "duplicate_key", 2 },	  { "unknown_key", 14 },
		{ "reserved_event", 12 }, { "event_timeout", 15 },
		{ "relative_path", 7 },	  { "octal_mode", 10 },
		{ "unknown_key", 3 },
	};
	struct appspec *spec = NULL;

	appspec_load(&spec, yaml, strlen(yaml), "appspec.yml");
	check(!appspec_error(spec));
	check_int(spec->nproblems, ==, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		check(spec->problems[i].warning);
		check_str(spec->problems[i].code, want[i].code);
		check_int(spec->problems[i].line, ==, want[i].line);
	}
	check(strstr(spec->problems[5].message, "octal number 420"));
	check(strstr(spec->problems[5].message, "(\"0644\")"));
	check_str(spec->perms[0].mode, "420");
	appspec_free(spec);
}

void test_appspec__acl_entries(void)
{
	static const struct {
		const char *in, *out; /* out NULL: invalid */
		bool internal;
	} cases[] = {
		{ "u:bob:rw", "user:bob:rw-", false },
		{ "bob:7", "user:bob:rwx", false },
		{ "user:bob:r-x", "user:bob:r-x", false },
		{ "g:admins:5", "group:admins:r-x", false },
		{ "d:g:admins:rwx", "default:group:admins:rwx", false },
		{ "default:u:bob:0", "default:user:bob:---", false },
		{ "d:u::rw", "default:user::rw-", false },
		{ "d::6", "default:user::rw-", true },
		{ "d:o:4", "default:other::r--", true },
		{ "m::rx", "mask::r-x", false },
		{ "mask:rx", "mask::r-x", false },
		{ "default:mask:r-x", "default:mask::r-x", true },
		{ "o::4", "other::r--", true },
		{ ":6", "user::rw-", true },
		{ "u::rw", NULL, false },
		{ "o::r", NULL, false },
		{ "m:bob:r", NULL, false },
		{ "x:bob:r", NULL, false },
		{ "d:d:bob:r", NULL, false },
		{ "a:b:c:d:e", NULL, false },
		{ "rw", NULL, false },
		{ "u:bob:8", NULL, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct appspec_ace ace;
		int err =
			appspec_ace_parse(&ace, cases[i].in, cases[i].internal);
		char *s;

		if (!cases[i].out) {
			if (err >= 0)
				unit_fail(__FILE__, __LINE__, "%s accepted",
					  cases[i].in);
			check(err < 0);
			continue;
		}
		check_ok(err);
		s = appspec_ace_format(&ace);
		check_str(s, cases[i].out);
		free(s);
		free(ace.name);
	}
}

void test_appspec__selinux_ranges(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "s0", "s0" },
		{ "s0-s0", "s0" },
		{ "s0-s3", "s0-s3" },
		{ "s0:c5,c1,c2,c3", "s0:c1.c3,c5" },
		{ "s1-s2:c0.c2,c4.c5,c9", "s1-s2:c0.c2,c4.c5,c9" },
		{ "s0:c1,", "s0:c1" },
		{ "s0:c1,,c2", NULL },
		{ "s0:", NULL },
		{ ":c1", NULL },
		{ "x0", NULL },
		{ "s", NULL },
		{ "s0:c3.c1", NULL },
		{ "s0:c0.c2,c1", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char yaml[300];
		struct appspec *spec = NULL;
		const struct appspec_problem *err;

		snprintf(yaml, sizeof(yaml),
			 PERM("context:\n      type: t\n      range: \"%s\""),
			 cases[i].in);
		appspec_load(&spec, yaml, strlen(yaml), "appspec.yml");
		err = appspec_error(spec);
		if (cases[i].out) {
			check(!err);
			check_str(spec->perms[0].context->range, cases[i].out);
		} else {
			check(err);
			check_str(err->code, "invalid_range");
		}
		appspec_free(spec);
	}
}

void test_appspec__simple_globs(void)
{
	static const struct {
		const char *pattern, *name;
		bool match;
	} cases[] = {
		{ "*", "a.txt", true },
		{ "*.txt", "a.txt", true },
		{ "*.txt", "a.txt.bak", false },
		{ "a*b*c", "abc", true },
		{ "a*b*c", "axxbyyc", true },
		{ "a*b*c", "axxbyy", false },
		{ "**", "x", true },
		{ "a?c", "abc", false },
		{ "a?c", "a?c", true },
		{ "[ab]", "a", false },
		{ "*", "d/e", false },
		{ "", "a", false },
		{ "*a", "aaa", true },
		{ "a*", "b", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_int(appspec_glob_match(cases[i].pattern, cases[i].name),
			  ==, cases[i].match);
}

void test_appspec__unknown_events(void)
{
	static const char yaml[] = "version: 0.0\nos: linux\nhooks:\n"
				   "  AfterInstall:\n    - location: a\n"
				   "  Custom:\n    - location: b\n"
				   "  Typo:\n    - location: c\n";
	static const char *const events[] = { "AfterInstall", "Custom", NULL };
	struct appspec *spec = NULL;
	struct svec unknown = SVEC_INIT;

	appspec_load(&spec, yaml, strlen(yaml), "appspec.yml");
	check(!appspec_error(spec));
	check_int(appspec_unknown_events(spec, events, &unknown), ==, 1);
	check_str(unknown.v[0], "Typo");
	check(appspec_hook(spec, "Custom"));
	check(!appspec_hook(spec, "BeforeInstall"));
	svec_release(&unknown);
	appspec_free(spec);
}
