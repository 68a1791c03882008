/*
 * fuzz_awscreds: what credential sources answer comes from outside ferry:
 * a credential_process command line from a user's config file, its JSON
 * output, the JSON of container or instance credentials, and the shared
 * credentials and config files themselves.  The first
 * byte chooses the parser; the rest is its input.  Accepted credentials
 * have a key id and a secret; a refused answer's message never quotes
 * its secret or token (a marker put only there must not come back in
 * the message).
 * Nothing may crash, leak or read out of bounds.
 */
#include "compat.h"

#include "aws.h"
#include "awscreds.h"
#include "error.h"
#include "json.h"
#include "svec.h"
#include "val.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MARK "s3cr3tMARK"

static void check_creds(const struct aws_creds *c)
{
	if (!c->access_key_id || !*c->access_key_id || !c->secret_access_key ||
	    !*c->secret_access_key)
		abort();
}

static size_t count_mark(const char *s)
{
	size_t n = 0;

	while (s && (s = strstr(s, MARK))) {
		n++;
		s += strlen(MARK);
	}
	return n;
}

/* When the marker stands only in the secret and the token, the message
 * must not show it (other fields, such as a bad Expiration, may be
 * quoted). */
static void check_quiet(const char *text, size_t len)
{
	struct val *v = NULL;
	size_t in_secrets;

	if (!count_mark(text) || json_parse(&v, text, len, 0) < 0)
		return;
	in_secrets = count_mark(val_strv(val_map_get(v, "SecretAccessKey"))) +
		     count_mark(val_strv(val_map_get(v, "SessionToken")));
	if (in_secrets == count_mark(text) && strstr(err_msg(), MARK))
		abort();
	val_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_creds c = AWS_CREDS_INIT;
	struct svec words = SVEC_INIT;
	char *text;

	if (!size)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		if (!awscreds_process_split(&words, text))
			for (size_t i = 0; i < words.n; i++)
				if (!words.v[i])
					abort();
		break;
	case 1:
		if (!awscreds_process_parse(&c, text, size - 1, "fuzz"))
			check_creds(&c);
		else
			check_quiet(text, size - 1);
		break;
	case 2:
		if (!awscreds_parse_json(&c, text, size - 1, "fuzz"))
			check_creds(&c);
		break;
	default: {
		struct val *ini = NULL;

		if (!awscreds_ini_parse(&ini, text, size - 1, data[0] & 4) &&
		    (!ini || ini->type != VAL_MAP))
			abort();
		val_free(ini);
		break;
	}
	}
	aws_creds_release(&c);
	svec_release(&words);
	free(text);
	return 0;
}
