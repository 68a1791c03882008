/*
 * fuzz_xml: the XML reader and the AWS error parser take whatever a
 * server (or a proxy in between) answers.  Parse arbitrary input as XML
 * and walk the tree; parse it as an AWS error answer, with and without
 * the JSON services' x-amzn-query-error header.
 * Nothing may crash, leak or read out of bounds, and an accepted tree
 * must respect the documented depth limit.
 */
#include "compat.h"

#include "awserror.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct xml_node *n, int depth)
{
	size_t count = 1;

	if (depth > XML_MAX_DEPTH || strlen(n->text) != n->text_len)
		abort();
	for (size_t i = 0; i < n->nr_kids; i++)
		count += walk(n->kids[i], depth + 1);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xml_node *root = NULL;
	struct awserror e = AWSERROR_INIT;

	if (!xml_parse(&root, (const char *)data, size)) {
		if (walk(root, 1) > XML_MAX_NODES)
			abort();
		(void)xml_path_text(root, "Error/Code");
		xml_free(root);
	}
	for (int i = 0; i < 2; i++) {
		awserror_parse(&e, 400, (const char *)data, size,
			       i ? "Code;Sender" : NULL);
		if (!e.code)
			abort();
		awserror_release(&e);
	}
	return 0;
}
