/*
 * fuzz_config: the YAML loader and the normaliser on arbitrary bytes.
 * Loading may fail (that is an error message, never a crash); whatever
 * loads is normalised, and the result and its messages are serialised.
 * It aborts when the normalised config is not a map or a message has no
 * code or key.
 */
#include "compat.h"

#include "json.h"
#include "loader.h"
#include "msg.h"
#include "norm.h"
#include "svec.h"
#include "val.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msgs msgs = MSGS_INIT;
	struct svec anchors = SVEC_INIT;
	struct val *v = NULL;
	char *json;

	if (loader_load(&v, (const char *)data, size, "fuzz.yml", &msgs,
			&anchors) < 0)
		goto out;
	v = norm_apply(v, &anchors, &msgs);
	if (!v || v->type != VAL_MAP)
		abort();
	json = json_dump(v, JSON_SORTED);
	free(json);
	for (size_t i = 0; i < msgs.n; i++) {
		struct val *m = msg_to_val(&msgs.v[i]);
		char *text = msg_format(&msgs.v[i]);

		if (!msgs.v[i].code[0] || !msgs.v[i].key[0])
			abort();
		val_free(m);
		free(text);
	}
out:
	val_free(v);
	msgs_release(&msgs);
	svec_release(&anchors);
	return 0;
}
