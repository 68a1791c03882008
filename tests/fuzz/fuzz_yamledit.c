/*
 * fuzz_yamledit: `ferry encrypt --add` edits a user's .travis.yml in
 * place.  The first byte chooses the key path and the mode; the rest is
 * the file.  An accepted edit must give text that loads as YAML (the
 * editor checks that it holds the original document with the one change;
 * this checks the check).  Nothing may crash, leak or read out of bounds.
 */
#include "compat.h"

#include "buf.h"
#include "loader.h"
#include "val.h"
#include "yamledit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = { "env.global", "env",
				     "env.jobs",   "deploy.api_key",
				     "a.b.c",	   "notifications.slack" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum yamledit_mode modes[] = { YAMLEDIT_APPEND,
						    YAMLEDIT_PREPEND,
						    YAMLEDIT_SET };
	struct buf out = BUF_INIT;
	struct val *item, *doc = NULL;
	const struct val *items[1];

	if (!size)
		return 0;
	item = val_map();
	val_map_set(item, "secure", val_str("c2VjcmV0"));
	items[0] = item;
	if (!yamledit_add(&out, (const char *)data + 1, size - 1,
			  paths[data[0] % 6], items, 1,
			  modes[(data[0] / 6) % 3]) &&
	    loader_load(&doc, out.ptr, out.len, "edited", NULL, NULL) < 0)
		abort();
	val_free(doc);
	val_free(item);
	buf_release(&out);
	return 0;
}
