/*
 * fuzz_webhook: a GitHub webhook's JSON comes from the network (after
 * its signature is checked, but a signed payload is still GitHub's, not
 * ours).  The first byte chooses the event (push or pull_request); the
 * rest is the payload.  A payload is either a build request with a
 * repository slug and a commit, or ignored with a reason, or an error;
 * never two of these.  Nothing may crash, leak or read out of bounds.
 */
#include "compat.h"

#include "error.h"
#include "json.h"
#include "val.h"

#include "../../runner/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct val *payload = NULL, *req = NULL;
	char *ignored = NULL;
	int err;

	if (!size ||
	    json_parse(&payload, (const char *)data + 1, size - 1, 0) < 0)
		return 0;
	err = serve_hook_request(data[0] & 1 ? "pull_request" : "push", payload,
				 &req, &ignored);
	if (err < 0) {
		if (req || ignored || !*err_msg())
			abort();
	} else if (req) {
		if (ignored || !val_text(val_map_get(req, "slug")) ||
		    !val_text(val_map_get(req, "sha")))
			abort();
	} else if (!ignored || !*ignored) {
		abort();
	}
	free(ignored);
	val_free(req);
	val_free(payload);
	return 0;
}
