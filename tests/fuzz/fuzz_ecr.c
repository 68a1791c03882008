/*
 * fuzz_ecr: ECR's GetAuthorizationToken answer comes from the network
 * and docker's config.json from a user's disk.  The first byte chooses:
 * even, the rest is an answer to read (a parsed token must split into a
 * user and a password that rebuild it); odd, an existing config.json to
 * merge credentials into (an accepted merge must give JSON that holds
 * exactly the new token for the registry).
 * Nothing may crash, leak or read out of bounds.
 */
#include "compat.h"

#include "buf.h"
#include "crypto.h"
#include "ecr.h"
#include "json.h"
#include "val.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void answer(const char *text, size_t len)
{
	struct val *v = NULL;
	struct ecr_auth a = ECR_AUTH_INIT;
	struct buf plain = BUF_INIT, joined = BUF_INIT;

	if (json_parse(&v, text, len, 0) < 0)
		return;
	if (!ecr_parse_authorization(v, &a)) {
		if (!*a.user || !*a.password || !*a.registry ||
		    crypto_base64_decode(&plain, a.token, strlen(a.token)) < 0)
			abort();
		buf_addf(&joined, "%s:%s", a.user, a.password);
		if (strcmp(plain.ptr, joined.ptr))
			abort();
	}
	ecr_auth_release(&a);
	buf_release(&plain);
	buf_release(&joined);
	val_free(v);
}

static void merge(const char *text, size_t len)
{
	struct buf out = BUF_INIT;
	struct val *v = NULL;
	const char *got;

	if (!ecr_docker_config_merge(&out, text, len, "r.example",
				     "QVdTOnB3")) {
		if (json_parse(&v, out.ptr, out.len, 0) < 0)
			abort();
		got = val_strv(val_map_get(
			val_map_get(val_map_get(v, "auths"), "r.example"),
			"auth"));
		if (!got || strcmp(got, "QVdTOnB3"))
			abort();
	}
	val_free(v);
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		merge((const char *)data + 1, size - 1);
	else
		answer((const char *)data + 1, size - 1);
	return 0;
}
