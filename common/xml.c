/*
 * xml.c: a recursive-descent reader for the XML that web APIs send.  It
 * keeps what the callers read (element names, text, nesting) and skips
 * the rest; see xml.h for what is refused.
 */
#include "compat.h"

#include "buf.h"
#include "error.h"
#include "xalloc.h"
#include "xml.h"

struct xml_parser {
	const char *p, *end, *start;
	size_t nodes;
};

static int line_of(const struct xml_parser *x)
{
	int line = 1;

	for (const char *q = x->start; q < x->p && q < x->end; q++)
		if (*q == '\n')
			line++;
	return line;
}

static int bad(const struct xml_parser *x, const char *what)
{
	return err_set(FY_EINVALID, "malformed XML at line %d: %s", line_of(x),
		       what);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_char(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '-' ||
	       c == '.';
}

static void skip_space(struct xml_parser *x)
{
	while (x->p < x->end && is_space(*x->p))
		x->p++;
}

static bool starts(const struct xml_parser *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(x->end - x->p) >= n && !memcmp(x->p, s, n);
}

/* Move past the next `term`; false if the input ends first. */
static bool skip_past(struct xml_parser *x, const char *term)
{
	size_t n = strlen(term);
	const char *hit = memmem(x->p, (size_t)(x->end - x->p), term, n);

	if (!hit)
		return false;
	x->p = hit + n;
	return true;
}

/* Comments, processing instructions and a DOCTYPE; 1 if one was skipped. */
static int skip_misc(struct xml_parser *x)
{
	if (starts(x, "<!--"))
		return skip_past(x, "-->") ? 1 : bad(x, "unterminated comment");
	if (starts(x, "<?"))
		return skip_past(x, "?>") ? 1 : bad(x, "unterminated '<?'");
	if (starts(x, "<!DOCTYPE")) {
		const char *gt = memchr(x->p, '>', (size_t)(x->end - x->p));
		const char *br = memchr(x->p, '[', (size_t)(x->end - x->p));

		if (!gt)
			return bad(x, "unterminated DOCTYPE");
		if (br && br < gt)
			return bad(x, "DOCTYPE with an internal subset");
		x->p = gt + 1;
		return 1;
	}
	return 0;
}

static void add_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addch(b, (int)cp);
	} else if (cp < 0x800) {
		buf_addch(b, (int)(0xC0 | (cp >> 6)));
		buf_addch(b, (int)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_addch(b, (int)(0xE0 | (cp >> 12)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3F)));
		buf_addch(b, (int)(0x80 | (cp & 0x3F)));
	} else {
		buf_addch(b, (int)(0xF0 | (cp >> 18)));
		buf_addch(b, (int)(0x80 | ((cp >> 12) & 0x3F)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3F)));
		buf_addch(b, (int)(0x80 | (cp & 0x3F)));
	}
}

/* Decode the entity at x->p ('&') into `out`. */
static int entity(struct xml_parser *x, struct buf *out)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {
		{ "amp", '&' },	 { "lt", '<' },	   { "gt", '>' },
		{ "quot", '"' }, { "apos", '\'' },
	};
	const char *semi = memchr(x->p, ';', (size_t)(x->end - x->p));
	size_t n;

	if (!semi || semi - x->p > 12)
		return bad(x, "bad entity reference");
	n = (size_t)(semi - x->p - 1);
	if (n > 1 && x->p[1] == '#') {
		char tmp[16], *end;
		bool hex = x->p[2] == 'x';
		unsigned long cp;

		memcpy(tmp, x->p + 2 + hex, n - 1 - hex);
		tmp[n - 1 - hex] = '\0';
		cp = strtoul(tmp, &end, hex ? 16 : 10);
		if (!tmp[0] || *end || !cp || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return bad(x, "bad character reference");
		add_utf8(out, cp);
		x->p = semi + 1;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(named); i++)
		if (strlen(named[i].name) == n &&
		    !memcmp(x->p + 1, named[i].name, n)) {
			buf_addch(out, named[i].c);
			x->p = semi + 1;
			return 0;
		}
	return bad(x, "unknown entity");
}

/* Read a name at x->p into a new string. */
static int read_name(struct xml_parser *x, char **out)
{
	const char *s = x->p;

	while (x->p < x->end && is_name_char((unsigned char)*x->p))
		x->p++;
	if (x->p == s)
		return bad(x, "expected a name");
	*out = xmemdupz(s, (size_t)(x->p - s));
	return 0;
}

/* Skip the attributes of a start tag; *empty when it ends with "/>". */
static int skip_attributes(struct xml_parser *x, bool *empty)
{
	for (;;) {
		char q;

		skip_space(x);
		if (x->p >= x->end)
			return bad(x, "unterminated start tag");
		if (*x->p == '>') {
			x->p++;
			*empty = false;
			return 0;
		}
		if (starts(x, "/>")) {
			x->p += 2;
			*empty = true;
			return 0;
		}
		while (x->p < x->end && is_name_char((unsigned char)*x->p))
			x->p++;
		skip_space(x);
		if (x->p >= x->end || *x->p != '=')
			return bad(x, "bad attribute");
		x->p++;
		skip_space(x);
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return bad(x, "unquoted attribute value");
		q = *x->p++;
		while (x->p < x->end && *x->p != q) {
			if (*x->p == '<')
				return bad(x, "'<' in an attribute value");
			x->p++;
		}
		if (x->p >= x->end)
			return bad(x, "unterminated attribute value");
		x->p++;
	}
}

static const char *local_name(const char *name)
{
	const char *colon = strrchr(name, ':');

	return colon ? colon + 1 : name;
}

static int element(struct xml_parser *x, struct xml_node **out, int depth);

/* The content of an element up to and including its end tag. */
static int content(struct xml_parser *x, struct xml_node *n, const char *qname,
		   int depth)
{
	struct buf text = BUF_INIT;
	int err = 0;

	while (!err) {
		if (x->p >= x->end) {
			err = bad(x, "unterminated element");
		} else if (starts(x, "</")) {
			size_t len = strlen(qname);

			x->p += 2;
			if ((size_t)(x->end - x->p) < len ||
			    memcmp(x->p, qname, len) ||
			    (x->p + len < x->end &&
			     is_name_char((unsigned char)x->p[len]))) {
				err = bad(x, "mismatched end tag");
				break;
			}
			x->p += len;
			skip_space(x);
			if (x->p >= x->end || *x->p != '>')
				err = bad(x, "bad end tag");
			else
				x->p++;
			break;
		} else if (starts(x, "<![CDATA[")) {
			const char *s = x->p + 9;

			x->p = s;
			if (!skip_past(x, "]]>"))
				err = bad(x, "unterminated CDATA");
			else
				buf_add(&text, s, (size_t)(x->p - 3 - s));
		} else if (starts(x, "<!--") || starts(x, "<?")) {
			err = skip_misc(x);
			err = err > 0 ? 0 : err;
		} else if (*x->p == '<') {
			struct xml_node *kid = NULL;

			err = element(x, &kid, depth + 1);
			if (!err) {
				XGROW(n->kids, n->alloc_kids, n->nr_kids + 1);
				n->kids[n->nr_kids++] = kid;
			}
		} else if (*x->p == '&') {
			err = entity(x, &text);
		} else {
			const char *s = x->p;

			while (x->p < x->end && *x->p != '<' && *x->p != '&')
				x->p++;
			buf_add(&text, s, (size_t)(x->p - s));
		}
	}
	n->text_len = text.len;
	n->text = buf_detach(&text, NULL);
	return err;
}

/* One element at x->p ('<'). */
static int element(struct xml_parser *x, struct xml_node **out, int depth)
{
	struct xml_node *n;
	char *qname = NULL;
	bool empty = false;
	int err;

	if (depth > XML_MAX_DEPTH)
		return bad(x, "elements nested too deeply");
	if (++x->nodes > XML_MAX_NODES)
		return bad(x, "too many elements");
	x->p++;
	err = read_name(x, &qname);
	if (err < 0)
		return err;
	n = xcalloc(1, sizeof(*n));
	n->name = xstrdup(local_name(qname));
	err = skip_attributes(x, &empty);
	if (!err && empty)
		n->text = xstrdup("");
	else if (!err)
		err = content(x, n, qname, depth);
	free(qname);
	if (err < 0) {
		xml_free(n);
		return err;
	}
	*out = n;
	return 0;
}

int xml_parse(struct xml_node **out, const char *text, size_t len)
{
	struct xml_parser x = { text, text + len, text, 0 };
	struct xml_node *root = NULL;
	int err;

	/* XML has no NUL character; the tree's strings are C strings. */
	if (memchr(text, '\0', len))
		return err_set(FY_EINVALID, "malformed XML: a NUL byte");
	for (;;) {
		skip_space(&x);
		err = skip_misc(&x);
		if (err < 0)
			return err;
		if (!err)
			break;
	}
	if (x.p >= x.end || *x.p != '<')
		return bad(&x, "no root element");
	err = element(&x, &root, 1);
	if (err < 0)
		return err;
	for (;;) {
		skip_space(&x);
		if (x.p >= x.end)
			break;
		err = skip_misc(&x);
		if (err <= 0) {
			xml_free(root);
			return err < 0 ? err : bad(&x, "data after the root");
		}
	}
	*out = root;
	return 0;
}

void xml_free(struct xml_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nr_kids; i++)
		xml_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->text);
	free(n);
}

const struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
	for (size_t i = 0; n && i < n->nr_kids; i++)
		if (!strcmp(n->kids[i]->name, name))
			return n->kids[i];
	return NULL;
}

const char *xml_child_text(const struct xml_node *n, const char *name)
{
	const struct xml_node *k = xml_child(n, name);

	return k ? k->text : NULL;
}

const struct xml_node *xml_path(const struct xml_node *n, const char *path)
{
	char step[128];

	while (n && *path) {
		size_t len = strcspn(path, "/");

		if (len >= sizeof(step))
			return NULL;
		memcpy(step, path, len);
		step[len] = '\0';
		n = xml_child(n, step);
		path += len;
		path += *path == '/';
	}
	return n;
}

const char *xml_path_text(const struct xml_node *n, const char *path)
{
	const struct xml_node *k = xml_path(n, path);

	return k ? k->text : NULL;
}

void xml_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			buf_addstr(out, "&amp;");
			break;
		case '<':
			buf_addstr(out, "&lt;");
			break;
		case '>':
			buf_addstr(out, "&gt;");
			break;
		case '"':
			buf_addstr(out, "&quot;");
			break;
		case '\'':
			buf_addstr(out, "&apos;");
			break;
		default:
			buf_addch(out, *s);
		}
	}
}
