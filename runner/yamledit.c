/*
 * yamledit.c: one change to a YAML file made on its text (yamledit.h).
 *
 * The loader gives the start of every key and value (0-based line and
 * column in characters).  Where a block ends is read from indentation:
 * the lines after a node's first line belong to it while they are blank,
 * comments, or indented deeper than the column that owns the node (a
 * block list may also continue with "- " at that column).  Whatever the
 * text edit does, the result is parsed again and compared with the
 * expected document, so a shape misread here is refused, not written.
 */
#include "compat.h"

#include "buf.h"
#include "error.h"
#include "loader.h"
#include "msg.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"
#include "yamledit.h"

struct doc {
	const char *text;
	size_t len;
	size_t *start; /* byte offset of each line */
	size_t nlines;
	const char *nl; /* "\n" or "\r\n", as the file has it */
	size_t width;	/* indentation the loader removes from every line */
};

/* One text change: replace [from, to) with `with`. */
struct edit {
	size_t from, to;
	struct buf with;
};

/* ---- lines --------------------------------------------------------------- */

static void doc_init(struct doc *d, const char *text, size_t len)
{
	size_t alloc = 0;

	memset(d, 0, sizeof(*d));
	d->text = text;
	d->len = len;
	d->nl = "\n";
	XGROW(d->start, alloc, 1);
	d->start[d->nlines++] = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '\n')
			continue;
		if (d->nlines == 1 && i && text[i - 1] == '\r')
			d->nl = "\r\n";
		if (i + 1 < len) {
			XGROW(d->start, alloc, d->nlines + 1);
			d->start[d->nlines++] = i + 1;
		}
	}
	/* the spaces right before the first non-blank character */
	for (size_t i = 0, sp = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c & 0x80)
			continue;
		if (c == ' ') {
			sp++;
		} else if (strchr("\t\n\v\f\r", c)) {
			sp = 0;
		} else {
			d->width = sp;
			break;
		}
	}
}

/* End of line `l` without its line break. */
static size_t line_end(const struct doc *d, size_t l)
{
	size_t e = l + 1 < d->nlines ? d->start[l + 1] : d->len;

	if (e > d->start[l] && d->text[e - 1] == '\n')
		e--;
	if (e > d->start[l] && d->text[e - 1] == '\r')
		e--;
	return e;
}

/* Just after line `l`'s line break (the file's end for the last line). */
static size_t line_next(const struct doc *d, size_t l)
{
	return l + 1 < d->nlines ? d->start[l + 1] : d->len;
}

static size_t indent_of(const struct doc *d, size_t l)
{
	size_t i = d->start[l], e = line_end(d, l);

	while (i < e && d->text[i] == ' ')
		i++;
	return i - d->start[l];
}

/* Blank, or only a comment. */
static bool line_empty(const struct doc *d, size_t l)
{
	size_t i = d->start[l] + indent_of(d, l), e = line_end(d, l);

	while (i < e && d->text[i] == '\t')
		i++;
	return i == e || d->text[i] == '#';
}

static bool is_dash(const struct doc *d, size_t at, size_t end)
{
	return at < end && d->text[at] == '-' &&
	       (at + 1 == end || d->text[at + 1] == ' ');
}

/* A line starting with "- " (after its indentation). */
static bool line_dash(const struct doc *d, size_t l)
{
	return is_dash(d, d->start[l] + indent_of(d, l), line_end(d, l));
}

/* "---" or "..." at column 0: a document marker. */
static bool line_marker(const struct doc *d, size_t l)
{
	const char *p = d->text + d->start[l];
	size_t n = line_end(d, l) - d->start[l];

	return n >= 3 && (!strncmp(p, "---", 3) || !strncmp(p, "...", 3)) &&
	       (n == 3 || p[3] == ' ' || p[3] == '\t');
}

/*
 * The last non-empty line of the block whose first line is `first`: later
 * lines belong while they are empty or indented deeper than `col` (col -1:
 * any indentation), or, with `dash`, start with "- " at `col`.
 */
static size_t block_end(const struct doc *d, size_t first, long col, bool dash)
{
	size_t last = first;

	for (size_t l = first + 1; l < d->nlines; l++) {
		long ind;

		if (line_empty(d, l))
			continue;
		if (line_marker(d, l))
			break;
		ind = (long)indent_of(d, l);
		if (ind > col || (dash && ind == col && line_dash(d, l)))
			last = l;
		else
			break;
	}
	return last;
}

/*
 * Byte offset of a loader position.  The loader reads the text as
 * travis-yml does (loader.c normalize_text): bytes over 0x7f dropped,
 * so its columns count the others.  (It also removes the indentation of
 * the first line from every line; such files are refused.)
 */
static size_t offset_of(const struct doc *d, int line, int col)
{
	size_t at, e;

	if (line < 0 || (size_t)line >= d->nlines)
		return d->len;
	at = d->start[line];
	e = line_end(d, (size_t)line);
	for (int c = 0;; c++) {
		while (at < e && ((unsigned char)d->text[at] & 0x80))
			at++;
		if (c == col || at >= e)
			break;
		at++;
	}
	return at;
}

static char char_at(const struct doc *d, const struct val *v)
{
	size_t at = offset_of(d, v->line, v->col);

	return at < d->len ? d->text[at] : '\0';
}

/* ---- scalars -------------------------------------------------------------- */

/*
 * End of the one-line token starting at `at` (a quoted or plain scalar,
 * or a flow collection) on line `l`; 0 when it does not end on the line.
 */
static size_t token_end(const struct doc *d, size_t at, size_t l)
{
	size_t e = line_end(d, l), i = at;
	int depth = 0;
	char q = 0;

	if (i >= e)
		return 0;
	if (d->text[i] == '|' || d->text[i] == '>')
		return 0; /* block scalar */
	for (; i < e; i++) {
		char c = d->text[i];

		if (q) {
			if (q == '"' && c == '\\')
				i++;
			else if (c == q && q == '\'' && i + 1 < e &&
				 d->text[i + 1] == '\'')
				i++;
			else if (c == q)
				q = 0;
			if (!q && !depth)
				return i + 1;
			continue;
		}
		if (c == '"' || c == '\'') {
			if (i == at || depth)
				q = c;
			continue;
		}
		if (c == '[' || c == '{') {
			if (i == at || depth)
				depth++;
		} else if ((c == ']' || c == '}') && depth) {
			if (!--depth)
				return i + 1;
		} else if (!depth && c == '#' && i > at &&
			   (d->text[i - 1] == ' ' || d->text[i - 1] == '\t')) {
			break;
		}
	}
	if (q || depth)
		return 0;
	while (i > at && (d->text[i - 1] == ' ' || d->text[i - 1] == '\t'))
		i--;
	return i;
}

/* Nothing but blanks and a comment in [at, end of line). */
static bool rest_empty(const struct doc *d, size_t at, size_t l)
{
	size_t e = line_end(d, l);

	while (at < e && (d->text[at] == ' ' || d->text[at] == '\t'))
		at++;
	return at == e || d->text[at] == '#';
}

/* Does the loader read `s` written plain (in a flow list with `flow`)? */
static bool plain_ok(const char *s, bool flow)
{
	struct buf t = BUF_INIT;
	struct val *v = NULL;
	bool ok;
	size_t n = strlen(s);

	ok = n && !strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) && s[n - 1] != ' ' &&
	     s[n - 1] != ':' && !strstr(s, ": ") && !strstr(s, " #");
	for (const char *p = s; ok && *p; p++)
		ok = (unsigned char)*p >= 0x20 && *p != 0x7f &&
		     !(flow && strchr(",[]{}", *p));
	if (ok) {
		buf_addf(&t, "k: %s%s%s\n", flow ? "[" : "", s,
			 flow ? "]" : "");
		ok = !loader_load(&v, t.ptr, t.len, "item", NULL, NULL);
		if (ok && flow) {
			const struct val *l = val_map_get(v, "k");

			ok = val_is(l, VAL_SEQ) && l->seq.n == 1 &&
			     val_strv(l->seq.v[0]) &&
			     !strcmp(val_strv(l->seq.v[0]), s);
		} else if (ok) {
			const char *got = val_strv(val_map_get(v, "k"));

			ok = got && !strcmp(got, s);
		}
	}
	val_free(v);
	buf_release(&t);
	return ok;
}

/* `s` as a YAML double-quoted scalar. */
static void add_quoted(struct buf *out, const char *s)
{
	buf_addch(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addf(out, "\\%c", *p);
		else if (*p == '\n')
			buf_addstr(out, "\\n");
		else if (*p == '\t')
			buf_addstr(out, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			buf_addf(out, "\\x%02x", *p);
		else
			buf_addch(out, (char)*p);
	}
	buf_addch(out, '"');
}

static void add_scalar(struct buf *out, const char *s, bool flow, bool quote)
{
	if (!quote && plain_ok(s, flow))
		buf_addstr(out, s);
	else
		add_quoted(out, s);
}

static int check_items(const struct val *const *items, size_t n)
{
	if (!n)
		return err_set(FY_EINVALID, "nothing to add");
	for (size_t i = 0; i < n; i++) {
		const struct val *v = items[i];
		bool ok = val_strv(v) || (val_is(v, VAL_MAP) && v->map.n);

		for (size_t k = 0; ok && v->type == VAL_MAP && k < v->map.n;
		     k++)
			ok = val_strv(v->map.v[k].v) &&
			     plain_ok(v->map.v[k].key, true);
		if (!ok)
			BUG("yamledit items are strings or maps of strings");
	}
	return 0;
}

/* An item inside a flow list: `s` or `{k: "v"}`. */
static void add_flow_item(struct buf *out, const struct val *v)
{
	if (v->type != VAL_MAP) {
		add_scalar(out, val_strv(v), true, false);
		return;
	}
	buf_addch(out, '{');
	for (size_t k = 0; k < v->map.n; k++) {
		buf_addf(out, "%s%s: ", k ? ", " : "", v->map.v[k].key);
		add_quoted(out, val_strv(v->map.v[k].v));
	}
	buf_addch(out, '}');
}

/* Block lines for `v` whose first line starts after `lead` at `col`. */
static void add_block_item(struct buf *out, const struct val *v, size_t col,
			   const char *lead, const char *nl)
{
	size_t inner = col + strlen(lead);

	buf_addf(out, "%*s%s", (int)col, "", lead);
	if (v->type != VAL_MAP) {
		add_scalar(out, val_strv(v), false, false);
		buf_addstr(out, nl);
		return;
	}
	for (size_t k = 0; k < v->map.n; k++) {
		if (k)
			buf_addf(out, "%*s", (int)inner, "");
		buf_addf(out, "%s: ", v->map.v[k].key);
		add_quoted(out, val_strv(v->map.v[k].v));
		buf_addstr(out, nl);
	}
}

/* ---- the edit -------------------------------------------------------------- */

struct job {
	struct doc d;
	const struct val *const *items;
	size_t n;
	enum yamledit_mode mode;
	struct edit ed[2];
	size_t ned;
	const char *key; /* the path, for messages */
};

static struct edit *edit_at(struct job *j, size_t from, size_t to)
{
	struct edit *e;

	if (j->ned == ARRAY_SIZE(j->ed))
		BUG("more than %zu edits", ARRAY_SIZE(j->ed));
	e = &j->ed[j->ned++];

	e->from = from;
	e->to = to;
	buf_init(&e->with);
	return e;
}

/* Insert text at the start of line `l + 1` (after line `l`). */
static struct buf *insert_after_line(struct job *j, size_t l)
{
	size_t at = line_next(&j->d, l);
	struct edit *e = edit_at(j, at, at);

	if (at == j->d.len && at && j->d.text[at - 1] != '\n')
		buf_addstr(&e->with, j->d.nl);
	return &e->with;
}

/* The value for the final key as block lines at `col` (a list or a map). */
static void add_value_lines(struct job *j, struct buf *out, size_t col,
			    const struct val *old, bool old_first)
{
	const char *nl = j->d.nl;

	if (j->mode == YAMLEDIT_SET && j->n == 1 &&
	    j->items[0]->type == VAL_MAP) {
		add_block_item(out, j->items[0], col, "", nl);
		return;
	}
	if (old && old_first)
		add_block_item(out, old, col, "- ", nl);
	for (size_t i = 0; i < j->n; i++)
		add_block_item(out, j->items[i], col, "- ", nl);
	if (old && !old_first)
		add_block_item(out, old, col, "- ", nl);
}

/* New keys parts[0..] with the value, as lines at `col`. */
static void add_new_keys(struct job *j, struct buf *out, size_t col,
			 char *const *parts, size_t nparts)
{
	for (size_t i = 0; i < nparts; i++)
		buf_addf(out, "%*s%s:%s", (int)(col + 2 * i), "", parts[i],
			 j->d.nl);
	add_value_lines(j, out, col + 2 * nparts, NULL, true);
}

static bool lone_cr(const char *text, size_t len)
{
	for (const char *p = text;
	     (p = memchr(p, '\r', (size_t)(text + len - p))); p++)
		if (p + 1 == text + len || p[1] != '\n')
			return true;
	return false;
}

static int refuse(struct job *j, const char *fmt, const char *what)
{
	return err_set(FY_EINVALID, "cannot edit '%s': %s %s", j->key, what,
		       fmt);
}

/* Keys parts[..] missing from the block map `map` (NULL: the root). */
static int add_missing(struct job *j, const struct val *map, char *const *parts,
		       size_t nparts)
{
	struct doc *d = &j->d;
	struct buf *out;
	size_t col = 0;
	long last;

	if (map && map->map.n) {
		col = (size_t)map->map.v[0].col;
		last = (long)block_end(d, (size_t)map->map.v[0].line,
				       (long)col - 1, false);
	} else {
		/* the root: after its last line (before a next document) */
		last = -1;
		for (size_t l = 0; l < d->nlines; l++) {
			if (line_marker(d, l) && last >= 0)
				break;
			if (!line_empty(d, l) && !line_marker(d, l))
				last = (long)l;
		}
	}
	if (last < 0) {
		struct edit *e = edit_at(j, d->len, d->len);

		if (d->len && d->text[d->len - 1] != '\n')
			buf_addstr(&e->with, d->nl);
		out = &e->with;
	} else {
		out = insert_after_line(j, (size_t)last);
	}
	add_new_keys(j, out, col, parts, nparts);
	return 0;
}

/* The value of `p` is null: written as nothing, or as a token. */
static int value_null(struct job *j, const struct val_pair *p, bool *token)
{
	size_t at = offset_of(&j->d, p->v->line, p->v->col);

	if (p->v->line != p->line)
		return refuse(j, "is empty on a line of its own", p->key);
	*token = !rest_empty(&j->d, at, (size_t)p->line);
	return 0;
}

/* Remove the one-line value of `p` (from the blank after the colon). */
static int cut_same_line(struct job *j, const struct val_pair *p, size_t *from,
			 size_t *to)
{
	struct doc *d = &j->d;
	size_t at = offset_of(d, p->v->line, p->v->col);
	size_t end = token_end(d, at, (size_t)p->line);

	if (p->v->line != p->line || !end || !rest_empty(d, end, p->line) ||
	    block_end(d, (size_t)p->line, p->col, false) != (size_t)p->line)
		return refuse(j, "does not fit on one line", p->key);
	while (at > d->start[p->line] &&
	       (d->text[at - 1] == ' ' || d->text[at - 1] == '\t'))
		at--;
	*from = at;
	*to = end;
	return 0;
}

/* Add to the block list `v` (dash at v->col). */
static int add_block_list(struct job *j, const struct val *v)
{
	struct doc *d = &j->d;
	size_t dash = (size_t)v->col, gap = 1;
	struct buf *out;
	char lead[32];

	if (indent_of(d, (size_t)v->line) != dash)
		return refuse(j, "is a list that does not start its line",
			      "the value");
	if (v->seq.n && v->seq.v[0]->line == v->line &&
	    v->seq.v[0]->col > v->col + 1)
		gap = (size_t)(v->seq.v[0]->col - v->col);
	snprintf(lead, sizeof(lead), "-%*s", (int)gap - 1, "");
	if (j->mode == YAMLEDIT_PREPEND) {
		struct edit *e =
			edit_at(j, d->start[v->line], d->start[v->line]);

		out = &e->with;
	} else {
		out = insert_after_line(
			j, block_end(d, (size_t)v->line, (long)dash, true));
	}
	for (size_t i = 0; i < j->n; i++)
		add_block_item(out, j->items[i], dash, lead, d->nl);
	return 0;
}

/* Add inside the one-line flow list `v`. */
static int add_flow_list(struct job *j, const struct val *v)
{
	struct doc *d = &j->d;
	size_t open = offset_of(d, v->line, v->col);
	size_t close = token_end(d, open, (size_t)v->line), at;
	struct buf items = BUF_INIT;
	struct edit *e;

	if (!close)
		return refuse(j, "spans several lines", "the flow list");
	close--; /* the ']' */
	for (size_t i = 0; i < j->n; i++) {
		if (i)
			buf_addstr(&items, ", ");
		add_flow_item(&items, j->items[i]);
	}
	if (j->mode == YAMLEDIT_PREPEND) {
		at = open + 1;
		while (at < close && d->text[at] == ' ')
			at++;
		e = edit_at(j, at, at);
		buf_add(&e->with, items.ptr, items.len);
		if (v->seq.n)
			buf_addstr(&e->with, ", ");
	} else {
		at = close;
		while (at > open + 1 && d->text[at - 1] == ' ')
			at--;
		e = edit_at(j, at, at);
		if (v->seq.n)
			buf_addstr(&e->with, ", ");
		buf_add(&e->with, items.ptr, items.len);
	}
	buf_release(&items);
	return 0;
}

/* "- <old text>" for a one-line value that moves into a list. */
static void add_old_line(struct job *j, struct buf *out, size_t col,
			 size_t from, size_t to)
{
	buf_addf(out, "%*s- ", (int)col, "");
	buf_add(out, j->d.text + from, to - from);
	buf_addstr(out, j->d.nl);
}

/* The final key `p` exists: change its value. */
static int edit_value(struct job *j, const struct val_pair *p)
{
	struct doc *d = &j->d;
	const struct val *v = p->v;
	char c = char_at(d, v);
	size_t col = (size_t)p->col + 2, from, to, start, last;
	struct buf *out;
	bool token = false;
	int err;

	if (c == '&' || c == '*' || c == '!')
		return refuse(j, "has an anchor, alias or tag", p->key);
	if (j->mode != YAMLEDIT_SET && v->type == VAL_SEQ)
		return c == '[' ? add_flow_list(j, v) : add_block_list(j, v);
	if (v->type == VAL_NULL) {
		err = value_null(j, p, &token);
		if (!err && token)
			err = cut_same_line(j, p, &from, &to);
		if (err < 0)
			return err;
		if (token)
			edit_at(j, from, to);
		add_value_lines(j, insert_after_line(j, (size_t)p->line), col,
				NULL, true);
		return 0;
	}
	if (v->line == p->line && c != '|' && c != '>') {
		/* a one-line value: it goes, or moves into the list */
		if (j->mode != YAMLEDIT_SET && v->type == VAL_MAP && c != '{')
			return refuse(j, "is a map, not a list", p->key);
		err = cut_same_line(j, p, &from, &to);
		if (err < 0)
			return err;
		edit_at(j, from, to);
		start = offset_of(d, v->line, v->col);
		out = insert_after_line(j, (size_t)p->line);
		if (j->mode == YAMLEDIT_APPEND)
			add_old_line(j, out, col, start, to);
		add_value_lines(j, out, col, NULL, true);
		if (j->mode == YAMLEDIT_PREPEND)
			add_old_line(j, out, col, start, to);
		return 0;
	}
	if (j->mode != YAMLEDIT_SET)
		return refuse(j, "is not a list (a map or a multi-line value)",
			      p->key);
	if (v->line == p->line)
		return refuse(j, "is a block scalar", p->key);
	/* SET over a value on the lines below the key */
	last = block_end(d, (size_t)p->line, p->col,
			 v->type == VAL_SEQ && v->col == p->col);
	edit_at(j, line_next(d, (size_t)p->line), line_next(d, last));
	add_value_lines(j, insert_after_line(j, (size_t)p->line), col, NULL,
			true);
	return 0;
}

/* Walk the path and make the text edits. */
static int plan(struct job *j, const struct val *root, char *const *parts,
		size_t nparts)
{
	const struct val *map = root;

	if (root->map.n && char_at(&j->d, root) == '{')
		return refuse(j, "is a flow map", "the document");
	for (size_t i = 0; i < nparts; i++) {
		const struct val_pair *p = val_map_pair(map, parts[i]);
		bool last = i + 1 == nparts;
		char c;

		if (!p)
			return add_missing(j, map == root ? NULL : map,
					   parts + i, nparts - i);
		if (p->v->line < p->line ||
		    (p->v->line == p->line && p->v->col <= p->col))
			return refuse(j, "comes from an alias or merge key",
				      p->key);
		c = char_at(&j->d, p->v);
		if (!last && !strcmp(parts[i], "env") && i + 2 == nparts &&
		    (!strcmp(parts[i + 1], "jobs") ||
		     !strcmp(parts[i + 1], "matrix")) &&
		    p->v->type == VAL_SEQ && j->mode != YAMLEDIT_SET)
			return edit_value(j, p); /* env: [...] is env.jobs */
		if (last)
			return edit_value(j, p);
		if (p->v->type == VAL_NULL) {
			bool token = false;
			int err = value_null(j, p, &token);

			if (err < 0)
				return err;
			if (token)
				return refuse(j, "is null", p->key);
			add_new_keys(j, insert_after_line(j, (size_t)p->line),
				     (size_t)p->col + 2, parts + i + 1,
				     nparts - i - 1);
			return 0;
		}
		if (p->v->type != VAL_MAP || !p->v->map.n)
			return refuse(j, "is not a map", p->key);
		if (c == '{' || c == '&' || c == '!')
			return refuse(j,
				      "is a flow map or has an anchor or tag",
				      p->key);
		map = p->v;
	}
	BUG("empty key path");
}

/* ---- the expected document ------------------------------------------------ */

static struct val *items_value(const struct job *j, struct val *old)
{
	struct val *seq;

	if (j->mode == YAMLEDIT_SET) {
		val_free(old);
		if (j->n == 1)
			return val_dup(j->items[0]);
		old = NULL;
	}
	if (old && old->type == VAL_SEQ)
		seq = old;
	else {
		seq = val_seq();
		if (old && old->type != VAL_NULL)
			val_seq_push(seq, old);
		else
			val_free(old);
	}
	for (size_t i = 0; i < j->n; i++) {
		if (j->mode == YAMLEDIT_PREPEND)
			val_seq_insert(seq, i, val_dup(j->items[i]));
		else
			val_seq_push(seq, val_dup(j->items[i]));
	}
	return seq;
}

/* Apply the change to a copy of the tree, as the text edit should. */
static void expect(const struct job *j, struct val *map, char *const *parts,
		   size_t nparts)
{
	for (size_t i = 0; i < nparts; i++) {
		struct val *v = val_map_get(map, parts[i]);

		if (i + 1 == nparts ||
		    (v && v->type == VAL_SEQ && i + 2 == nparts &&
		     !strcmp(parts[i], "env"))) {
			val_map_set(
				map, parts[i],
				items_value(j, v ? val_map_take(map, parts[i])
						 : NULL));
			return;
		}
		if (!v || v->type != VAL_MAP) {
			val_map_set(map, parts[i], val_map());
			v = val_map_get(map, parts[i]);
		}
		map = v;
	}
}

static bool has_duplicates(const struct msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].code, "duplicate_key"))
			return true;
	return false;
}

static int cmp_edits(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	/* an insertion goes before a removal that starts at the same byte */
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

int yamledit_add(struct buf *out, const char *text, size_t len,
		 const char *keypath, const struct val *const *items,
		 size_t nitems, enum yamledit_mode mode)
{
	struct job j = {
		.items = items, .n = nitems, .mode = mode, .key = keypath
	};
	struct svec parts = SVEC_INIT;
	struct msgs msgs = MSGS_INIT, msgs2 = MSGS_INIT;
	struct val *root = NULL, *again = NULL;
	struct buf res = BUF_INIT;
	size_t at = 0;
	int err = check_items(items, nitems);

	svec_split(&parts, keypath, ".", false);
	for (size_t i = 0; !err && i < parts.n; i++)
		if (!*parts.v[i])
			err = err_set(FY_EINVALID, "invalid key '%s'", keypath);
	if (!err && !parts.n)
		err = err_set(FY_EINVALID, "invalid key '%s'", keypath);
	if (!err)
		err = loader_load(&root, text, len, ".travis.yml", &msgs, NULL);
	if (err < 0)
		goto out;
	if (has_duplicates(&msgs)) {
		err = refuse(&j, "has duplicated keys", "the file");
		goto out;
	}
	doc_init(&j.d, text, len);
	if (j.d.width) {
		err = refuse(&j, "is indented", "the first line");
		goto out;
	}
	if (lone_cr(text, len)) {
		/* YAML breaks lines there too: the line table would not
		 * match the loader's positions */
		err = refuse(&j, "has a line break that is a lone CR",
			     "the file");
		goto out;
	}
	err = plan(&j, root, parts.v, parts.n);
	if (err < 0)
		goto out;
	qsort(j.ed, j.ned, sizeof(*j.ed), cmp_edits);
	for (size_t i = 0; i < j.ned; i++) {
		buf_add(&res, text + at, j.ed[i].from - at);
		buf_add(&res, j.ed[i].with.ptr, j.ed[i].with.len);
		at = j.ed[i].to;
	}
	buf_add(&res, text + at, len - at);
	expect(&j, root, parts.v, parts.n);
	err = loader_load(&again, res.ptr, res.len, ".travis.yml", &msgs2,
			  NULL);
	if (err < 0 || has_duplicates(&msgs2) || !val_equal(root, again)) {
		err = err_set(FY_EINVALID,
			      "cannot edit '%s' safely in this file's shape "
			      "(add it by hand)",
			      keypath);
		goto out;
	}
	buf_add(out, res.ptr, res.len);
out:
	for (size_t i = 0; i < j.ned; i++)
		buf_release(&j.ed[i].with);
	free(j.d.start);
	buf_release(&res);
	val_free(root);
	val_free(again);
	msgs_release(&msgs);
	msgs_release(&msgs2);
	svec_release(&parts);
	return err;
}
