/* ferry serve: webhook signatures and payloads, the allowed list, statuses. */
#include "compat.h"

#include "unit.h"

#include "crypto.h"
#include "json.h"
#include "val.h"
#include "xalloc.h"
#include "../../runner/serve.h"

void test_serve__signature_checked_in_full(void)
{
	static const char body[] = "{\"zen\": \"x\"}";
	char hex[CRYPTO_MAX_HEX], upper[CRYPTO_MAX_HEX];
	char *good, *loud, *off;

	crypto_hmac_sha256_hex("s3cret", 6, body, strlen(body), hex);
	for (size_t i = 0; hex[i]; i++)
		upper[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
	upper[64] = '\0';
	good = xasprintf("sha256=%s", hex);
	loud = xasprintf("sha256=%s", upper);
	off = xasprintf("sha256=%s", hex);
	off[strlen(off) - 1] = off[strlen(off) - 1] == '0' ? '1' : '0';
	check(serve_hook_signature_ok("s3cret", good, body, strlen(body)));
	check(serve_hook_signature_ok("s3cret", loud, body, strlen(body)));
	check(!serve_hook_signature_ok("s3cret", off, body, strlen(body)));
	check(!serve_hook_signature_ok("other", good, body, strlen(body)));
	check(!serve_hook_signature_ok("s3cret", good, body, strlen(body) - 1));
	check(!serve_hook_signature_ok("s3cret", good + 7, body, strlen(body)));
	check(!serve_hook_signature_ok("s3cret", "sha256=abc", body, 3));
	check(!serve_hook_signature_ok("s3cret", NULL, body, strlen(body)));
	free(good);
	free(loud);
	free(off);
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define REPO(s)                                       \
	"\"repository\": {\"full_name\": \"" s "\", " \
	"\"clone_url\": \"https://x/" s ".git\"}"

void test_serve__payloads_to_requests(void)
{
	static const struct {
		const char *event, *json;
		int err;	  /* expected error, or 0 */
		bool ignored;	  /* expected to be ignored */
		const char *want; /* "branch tag sha pr fork" */
	} cases[] = {
		{ "push",
		  "{\"ref\": \"refs/heads/main\", \"after\": \"" SHA_A "\", "
		  "\"head_commit\": {\"message\": \"m\"}, " REPO("a/b") "}",
		  0, false, "main - " SHA_A " - false" },
		{ "push",
		  "{\"ref\": \"refs/tags/v1.0\", \"after\": \"" SHA_A
		  "\", " REPO("a/b") "}",
		  0, false, "v1.0 v1.0 " SHA_A " - false" },
		{ "push",
		  "{\"ref\": \"refs/heads/gone\", \"deleted\": true, \"after\": "
		  "\"0000000000000000000000000000000000000000\", " REPO(
			  "a/b") "}",
		  0, true, NULL },
		{ "push",
		  "{\"ref\": \"refs/notes/x\", \"after\": \"" SHA_A
		  "\", " REPO("a/b") "}",
		  0, true, NULL },
		{ "push", "{\"ref\": \"refs/heads/main\", " REPO("a/b") "}",
		  FY_EINVALID, false, NULL },
		{ "push",
		  "{\"ref\": \"refs/heads/main\", \"after\": \"xyz\", " REPO(
			  "a/b") "}",
		  FY_EINVALID, false, NULL },
		{ "push", "{\"ref\": \"refs/heads/main\"}", FY_EINVALID, false,
		  NULL },
		{ "push", "[1, 2]", FY_EINVALID, false, NULL },
		{ "pull_request",
		  "{\"action\": \"opened\", \"number\": 12, " REPO(
			  "a/b") ", "
				 "\"pull_request\": {\"head\": {\"sha\": \"" SHA_B
				 "\", "
				 "\"ref\": \"topic\", \"repo\": {\"full_name\": \"a/b\"}}, "
				 "\"base\": {\"ref\": \"main\", \"repo\": {\"full_name\": "
				 "\"a/b\"}}}}",
		  0, false, "main - " SHA_B " 12 false" },
		{ "pull_request",
		  "{\"action\": \"synchronize\", \"number\": 3, " REPO(
			  "a/b") ", "
				 "\"pull_request\": {\"head\": {\"sha\": \"" SHA_B
				 "\", "
				 "\"ref\": \"topic\", \"repo\": {\"full_name\": \"fork/b\"}}, "
				 "\"base\": {\"ref\": \"dev\", \"repo\": {\"full_name\": "
				 "\"a/b\"}}}}",
		  0, false, "dev - " SHA_B " 3 true" },
		/* the fork was deleted: head.repo is null */
		{ "pull_request",
		  "{\"action\": \"reopened\", \"number\": 4, " REPO(
			  "a/b") ", "
				 "\"pull_request\": {\"head\": {\"sha\": \"" SHA_B
				 "\", "
				 "\"ref\": \"t\", \"repo\": null}, \"base\": {\"ref\": "
				 "\"main\", \"repo\": {\"full_name\": \"a/b\"}}}}",
		  0, false, "main - " SHA_B " 4 true" },
		{ "pull_request",
		  "{\"action\": \"closed\", \"number\": 4, " REPO(
			  "a/b") ", "
				 "\"pull_request\": {}}",
		  0, true, NULL },
		{ "pull_request",
		  "{\"action\": \"opened\", \"number\": 0, " REPO(
			  "a/b") ", "
				 "\"pull_request\": {\"head\": {\"sha\": \"" SHA_B
				 "\"}, "
				 "\"base\": {\"ref\": \"main\"}}}",
		  FY_EINVALID, false, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *doc = NULL, *req = NULL;
		char *ignored = NULL, got[256];
		const struct val *fork;
		int err;

		check_ok(json_parse(&doc, cases[i].json, strlen(cases[i].json),
				    0));
		err = serve_hook_request(cases[i].event, doc, &req, &ignored);
		check_int(err, ==, cases[i].err);
		check_int(!!ignored, ==, cases[i].ignored);
		check_int(!!req, ==, !!cases[i].want);
		if (req) {
			fork = val_map_get(req, "fork");
			snprintf(got, sizeof(got), "%s %s %s %s %s",
				 val_text(val_map_get(req, "branch")),
				 val_strv(val_map_get(req, "tag"))
					 ? val_strv(val_map_get(req, "tag"))
					 : "-",
				 val_text(val_map_get(req, "status_sha")),
				 val_strv(val_map_get(req, "pr"))
					 ? val_strv(val_map_get(req, "pr"))
					 : "-",
				 fork && fork->b ? "true" : "false");
			check_str(got, cases[i].want);
			check_str(val_text(val_map_get(req, "slug")), "a/b");
		}
		free(ignored);
		val_free(req);
		val_free(doc);
	}
}

void test_serve__allowed_repositories(void)
{
	static const struct {
		const char *slug;
		bool want;
	} cases[] = {
		{ "acme/app", true },	{ "Acme/App", true },
		{ "acme/lib", false },	{ "tools/x", true },
		{ "tools/x/y", false }, { "other/app", false },
	};
	struct serve_conf c;

	serve_conf_init(&c);
	svec_push(&c.repos, "acme/app");
	svec_push(&c.repos, "tools/*");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_int(serve_repo_allowed(&c, cases[i].slug), ==,
			  cases[i].want);
	serve_conf_release(&c);
	check(!serve_repo_allowed(&c, "acme/app")); /* empty: none */
}

void test_serve__github_states(void)
{
	static const char *const cases[][2] = {
		{ "created", "pending" }, { "started", "pending" },
		{ "passed", "success" },  { "failed", "failure" },
		{ "errored", "error" },	  { "canceled", "error" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *state, *desc;

		github_status_for(cases[i][0], &state, &desc);
		check_str(state, cases[i][1]);
		check(strlen(desc) > 0 && strlen(desc) <= 140);
	}
}
