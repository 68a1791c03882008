#ifndef FY_XML_H
#define FY_XML_H

#include "compat.h"

struct buf;

/*
 * xml: a small, non-validating XML reader for the answers of web APIs
 * (AWS S3 and the query protocol: errors, listings, STS credentials).
 * It builds a tree of elements; each element keeps its local name (any
 * "prefix:" dropped), its character data (entities and CDATA decoded,
 * the text of all its direct text nodes joined) and its child elements
 * in document order.  Attributes, comments, processing instructions and
 * a DOCTYPE without an internal subset are read and ignored.
 *
 * Refused with FY_EINVALID and a message naming the line: a NUL byte,
 * malformed
 * markup, mismatched end tags, unknown entities, a DOCTYPE with an
 * internal subset (entity expansion attacks), more than XML_MAX_DEPTH
 * levels or XML_MAX_NODES elements, and anything but whitespace after
 * the root element.  Leading whitespace is allowed: S3 sends spaces
 * before a late error body.
 *
 * Ownership: xml_parse() gives the caller the root, freed with
 * xml_free(); every pointer a lookup returns is borrowed from the tree.
 */
#define XML_MAX_DEPTH 64
#define XML_MAX_NODES 200000

struct xml_node {
	char *name; /* local name: "Error" for <s3:Error> */
	char *text; /* decoded character data, "" when none */
	size_t text_len;
	struct xml_node **kids; /* child elements in order */
	size_t nr_kids, alloc_kids;
};

int xml_parse(struct xml_node **out, const char *text, size_t len);
void xml_free(struct xml_node *n);

/* The first child element called `name`, or NULL. */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* Its text, or NULL when there is no such child. */
const char *xml_child_text(const struct xml_node *n, const char *name);
/*
 * Follow a '/'-separated path of child names from `n` ("Error/Code");
 * NULL when a step is missing.
 */
const struct xml_node *xml_path(const struct xml_node *n, const char *path);
/* The text at `path`, or NULL. */
const char *xml_path_text(const struct xml_node *n, const char *path);

/* Append `s` with &, <, >, " and ' escaped, for element text. */
void xml_escape(struct buf *out, const char *s);

#endif
