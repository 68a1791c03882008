/*
 * loader.c: the only file that includes <yaml.h>.  Turns YAML into a val
 * tree (loader.h): libyaml's events, anchors and aliases, merge keys, the
 * errors with their positions, and YAML written back from a tree.  The
 * scalar rules of Travis's Psych-based parser are in loader_scalar.c, the
 * checks of the text before parsing in loader_text.c.
 */
#include "compat.h"

#include <yaml.h>

#include "buf.h"
#include "error.h"
#include "loader.h"
#include "loader_int.h"
#include "msg.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

struct anchor {
	char *name;
	struct val *v; /* a private copy: the tree's node may be replaced */
};

struct loader {
	yaml_parser_t parser;
	yaml_event_t ev; /* the current event, valid while `have` */
	bool have;
	const char *name;
	const char *text;
	size_t len;
	struct msgs *msgs;
	struct svec *anchors_out;
	struct anchor *anchors;
	size_t nanchors, anchors_alloc;
	size_t nodes;
	char *last_scalar; /* what Psych's handler calls last_scalar */
};

/* Record an error at 0-based (line, col). */
static int load_error(struct loader *l, size_t line, size_t col,
		      const char *what)
{
	return err_set(FY_EINVALID, "%s:%zu:%zu: %s", l->name, line + 1,
		       col + 1, what);
}

/* 0-based line and column of a byte offset (for reader errors). */
static void offset_pos(const struct loader *l, size_t off, size_t *line,
		       size_t *col)
{
	size_t ln = 0, c = 0;

	for (size_t i = 0; i < off && i < l->len; i++) {
		if (l->text[i] == '\n') {
			ln++;
			c = 0;
		} else if (((unsigned char)l->text[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = ln;
	*col = c;
}

static int parser_error(struct loader *l)
{
	yaml_parser_t *p = &l->parser;
	struct buf what = BUF_INIT;
	size_t line, col;
	int err;

	if (p->error == YAML_READER_ERROR) {
		offset_pos(l, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			buf_addf(&what, "%s (byte 0x%02x)",
				 p->problem ? p->problem : "invalid input",
				 (unsigned)p->problem_value & 0xff);
		else
			buf_addstr(&what,
				   p->problem ? p->problem : "invalid input");
	} else {
		line = p->problem_mark.line;
		col = p->problem_mark.column;
		buf_addstr(&what, p->problem ? p->problem : "invalid YAML");
		if (p->context)
			buf_addf(&what, " %s", p->context);
		if (p->context && p->context_mark.line != p->problem_mark.line)
			buf_addf(&what, " (started at line %zu)",
				 p->context_mark.line + 1);
	}
	err = load_error(l, line, col, what.ptr);
	buf_release(&what);
	return err;
}

static int next_event(struct loader *l)
{
	if (l->have)
		yaml_event_delete(&l->ev);
	l->have = false;
	if (!yaml_parser_parse(&l->parser, &l->ev))
		return parser_error(l);
	l->have = true;
	return 0;
}

static int count_node(struct loader *l, size_t n, const yaml_mark_t *m)
{
	l->nodes += n;
	if (l->nodes > LOADER_MAX_NODES)
		return load_error(
			l, m->line, m->column,
			"document too large (more than 500000 nodes, check aliases)");
	return 0;
}

/* --- the tree --- */

static int load_node(struct loader *l, struct val **out, int depth,
		     const char *path, int key_line);

static void set_last_scalar(struct loader *l, const char *s)
{
	free(l->last_scalar);
	l->last_scalar = xstrdup(s);
}

static void note_anchor(struct loader *l)
{
	if (l->anchors_out && l->last_scalar &&
	    !svec_has(l->anchors_out, l->last_scalar))
		svec_push(l->anchors_out, l->last_scalar);
}

static void save_anchor(struct loader *l, const char *name, const struct val *v)
{
	for (size_t i = 0; i < l->nanchors; i++) {
		if (!strcmp(l->anchors[i].name, name)) {
			val_free(l->anchors[i].v);
			l->anchors[i].v = val_dup(v);
			return;
		}
	}
	XGROW(l->anchors, l->anchors_alloc, l->nanchors + 1);
	l->anchors[l->nanchors].name = xstrdup(name);
	l->anchors[l->nanchors].v = val_dup(v);
	l->nanchors++;
}

static int alias_node(struct loader *l, struct val **out)
{
	const char *name = (const char *)l->ev.data.alias.anchor;
	const yaml_mark_t *m = &l->ev.start_mark;

	/* An unknown alias is null, as travis-yml lets Psych do. */
	for (size_t i = l->nanchors; i-- > 0;) {
		if (!strcmp(l->anchors[i].name, name)) {
			int err = count_node(l, val_count(l->anchors[i].v), m);

			if (err < 0)
				return err;
			*out = val_dup(l->anchors[i].v);
			return 0;
		}
	}
	*out = val_at(val_null(), (int)m->line, (int)m->column);
	return 0;
}

/*
 * Psych's rules: an untagged plain scalar is resolved (plain_scalar), an
 * untagged quoted or block scalar is a string; a tagged one (even quoted)
 * is decoded for !!binary, kept for !!str, and resolved otherwise.
 */
static int scalar_node(struct loader *l, struct val **out)
{
	yaml_event_t *e = &l->ev;
	const char *s = (const char *)e->data.scalar.value;
	size_t len = e->data.scalar.length;
	const char *tag = (const char *)e->data.scalar.tag;
	struct val *v;

	if (e->data.scalar.anchor)
		note_anchor(l);
	if (!tag)
		v = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
			    ? loader_plain_scalar(s, len)
			    : val_strn(s, len);
	else if (!strcmp(tag, "tag:yaml.org,2002:binary") ||
		 !strcmp(tag, "!binary"))
		v = loader_binary_scalar(s, len);
	else if (loader_str_tag(tag))
		v = val_strn(s, len);
	else
		v = loader_plain_scalar(s, len);
	if (v->type == VAL_STR)
		set_last_scalar(l, v->str.s);
	val_at(v, (int)e->start_mark.line, (int)e->start_mark.column);
	*out = v;
	return 0;
}

static int seq_node(struct loader *l, struct val **out, int depth,
		    const char *path, int key_line)
{
	struct val *seq = val_seq();
	int err;

	val_at(seq, (int)l->ev.start_mark.line, (int)l->ev.start_mark.column);
	if (l->ev.data.sequence_start.anchor)
		note_anchor(l);
	if (l->ev.data.sequence_start.tag &&
	    strncmp((const char *)l->ev.data.sequence_start.tag, "tag:", 4))
		seq->tag = xstrdup((const char *)l->ev.data.sequence_start.tag);
	for (;;) {
		struct val *item = NULL;

		err = next_event(l);
		if (err < 0)
			goto fail;
		if (l->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		err = load_node(l, &item, depth + 1, path, key_line);
		if (err < 0)
			goto fail;
		val_seq_push(seq, item);
	}
	*out = seq;
	return 0;
fail:
	val_free(seq);
	return err;
}

/* Psych's merge: `<<` with a map (or a list of maps) overwrites keys. */
static void merge_into(struct val *map, const struct val *src)
{
	for (size_t i = 0; i < src->map.n; i++)
		val_map_set_at(map, src->map.v[i].key, src->map.v[i].line,
			       src->map.v[i].col, val_dup(src->map.v[i].v));
}

static bool merge_key(struct val *map, struct val *v)
{
	if (v->type == VAL_MAP) {
		merge_into(map, v);
		return true;
	}
	if (v->type != VAL_SEQ)
		return false;
	for (size_t i = 0; i < v->seq.n; i++)
		if (v->seq.v[i]->type != VAL_MAP)
			return false;
	{
		struct val *h = val_map();

		for (size_t i = v->seq.n; i-- > 0;)
			merge_into(h, v->seq.v[i]);
		merge_into(map, h);
		val_free(h);
	}
	return true;
}

static char *child_path(const char *path, const char *key)
{
	const char *last;

	if (!*path)
		return xstrdup(key);
	/* travis-yml's full_keys are uniq'ed: a repeated key is not added. */
	last = strrchr(path, '.');
	last = last ? last + 1 : path;
	if (!strcmp(last, key))
		return xstrdup(path);
	{
		struct svec parts = SVEC_INIT;
		char *res;

		svec_split(&parts, path, ".", false);
		if (svec_has(&parts, key)) {
			svec_release(&parts);
			return xstrdup(path);
		}
		svec_release(&parts);
		res = xasprintf("%s.%s", path, key);
		return res;
	}
}

static int map_node(struct loader *l, struct val **out, int depth,
		    const char *path, int key_line)
{
	struct val *map = val_map();
	struct svec seen = SVEC_INIT, dups = SVEC_INIT;
	int err = 0;

	val_at(map, (int)l->ev.start_mark.line, (int)l->ev.start_mark.column);
	if (l->ev.data.mapping_start.anchor)
		note_anchor(l);
	if (l->ev.data.mapping_start.tag &&
	    strncmp((const char *)l->ev.data.mapping_start.tag, "tag:", 4))
		map->tag = xstrdup((const char *)l->ev.data.mapping_start.tag);
	for (;;) {
		struct val *v = NULL;
		char *key, *sub;
		int kline, kcol;
		bool quoted;

		err = next_event(l);
		if (err < 0)
			goto fail;
		if (l->ev.type == YAML_MAPPING_END_EVENT)
			break;
		kline = (int)l->ev.start_mark.line;
		kcol = (int)l->ev.start_mark.column;
		if (l->ev.type != YAML_SCALAR_EVENT) {
			err = load_error(
				l, (size_t)kline, (size_t)kcol,
				l->ev.type == YAML_ALIAS_EVENT
					? "unacceptable key (alias)"
				: l->ev.type == YAML_SEQUENCE_START_EVENT
					? "unacceptable key (sequence)"
					: "unacceptable key (mapping)");
			goto fail;
		}
		key = xmemdupz(l->ev.data.scalar.value,
			       l->ev.data.scalar.length);
		quoted = l->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (l->ev.data.scalar.anchor)
			note_anchor(l);
		set_last_scalar(l, key);
		if (key[0] == ':' && !quoted)
			memmove(key, key + 1, strlen(key));
		err = next_event(l);
		if (err < 0) {
			free(key);
			goto fail;
		}
		sub = child_path(path, key);
		err = load_node(l, &v, depth + 1, sub, kline);
		free(sub);
		if (err < 0) {
			free(key);
			goto fail;
		}
		if (!strcmp(key, "<<") && !quoted && merge_key(map, v)) {
			val_free(v);
			free(key);
			continue;
		}
		if (strcmp(key, "<<")) {
			if (svec_has(&seen, key) && !svec_has(&dups, key))
				svec_push(&dups, key);
			svec_push(&seen, key);
		}
		val_map_set_at(map, key, kline, kcol, v);
		free(key);
	}
	if (l->msgs && dups.n) {
		/* travis-yml reports on a {secure: ...} map as KEY.secure. */
		bool secure =
			map->map.n == 1 && !strcmp(map->map.v[0].key, "secure");
		char *at = xasprintf("%s%s", *path ? path : "root",
				     secure ? ".secure" : "");

		for (size_t i = 0; i < dups.n; i++)
			msgs_addv(l->msgs, MSG_ERROR, "duplicate_key", at,
				  *path ? key_line : -1, "key",
				  val_str(dups.v[i]), NULL);
		free(at);
	}
	*out = map;
	svec_release(&seen);
	svec_release(&dups);
	return 0;
fail:
	svec_release(&seen);
	svec_release(&dups);
	val_free(map);
	return err;
}

static int load_node(struct loader *l, struct val **out, int depth,
		     const char *path, int key_line)
{
	const yaml_mark_t *m = &l->ev.start_mark;
	char *anchor = NULL;
	int err;

	if (depth > LOADER_MAX_DEPTH)
		return load_error(l, m->line, m->column,
				  "nesting too deep (more than 64 levels)");
	err = count_node(l, 1, m);
	if (err < 0)
		return err;
	switch (l->ev.type) {
	case YAML_ALIAS_EVENT:
		return alias_node(l, out);
	case YAML_SCALAR_EVENT:
		if (l->ev.data.scalar.anchor)
			anchor = xstrdup((char *)l->ev.data.scalar.anchor);
		err = scalar_node(l, out);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (l->ev.data.sequence_start.anchor)
			anchor = xstrdup(
				(char *)l->ev.data.sequence_start.anchor);
		err = seq_node(l, out, depth, path, key_line);
		break;
	case YAML_MAPPING_START_EVENT:
		if (l->ev.data.mapping_start.anchor)
			anchor = xstrdup(
				(char *)l->ev.data.mapping_start.anchor);
		err = map_node(l, out, depth, path, key_line);
		break;
	default:
		err = load_error(l, m->line, m->column,
				 "unexpected YAML event");
		break;
	}
	if (!err && anchor)
		save_anchor(l, anchor, *out);
	free(anchor);
	return err;
}

static int load_document(struct loader *l, struct val **out)
{
	struct val *root = NULL;
	int err;

	do {
		err = next_event(l);
		if (err < 0)
			return err;
	} while (l->ev.type == YAML_STREAM_START_EVENT);
	if (l->ev.type == YAML_STREAM_END_EVENT) {
		*out = val_map();
		return 0;
	}
	err = next_event(l); /* past DOCUMENT-START */
	if (err < 0)
		return err;
	err = load_node(l, &root, 0, "", -1);
	if (err < 0)
		return err;
	if (root->type == VAL_NULL) {
		val_free(root);
		root = val_map();
	}
	if (root->type != VAL_MAP) {
		err = load_error(
			l, (size_t)(root->line < 0 ? 0 : root->line),
			(size_t)(root->col < 0 ? 0 : root->col),
			"the config must be a map of keys to values, not a "
			"single value or a list");
		val_free(root);
		return err;
	}
	*out = root;
	return 0;
}

int loader_load(struct val **out, const char *text, size_t len,
		const char *name, struct msgs *msgs, struct svec *anchors)
{
	struct loader l = { 0 };
	struct buf norm = BUF_INIT;
	int err;

	if (len > LOADER_MAX_BYTES)
		return err_set(FY_ETOOBIG,
			       "%s:1:1: file too large (%zu bytes, limit %u)",
			       name, len, LOADER_MAX_BYTES);
	if (memchr(text, '\0', len)) {
		size_t line, col;

		l.text = text;
		l.len = len;
		offset_pos(
			&l,
			(size_t)((const char *)memchr(text, '\0', len) - text),
			&line, &col);
		return err_set(FY_EINVALID, "%s:%zu:%zu: NUL byte in the file",
			       name, line + 1, col + 1);
	}
	{
		struct utf8_problem p;
		size_t line, col;

		if (!loader_utf8_valid(text, len, &p)) {
			l.text = text;
			l.len = len;
			offset_pos(&l, p.offset, &line, &col);
			if (p.value < 0)
				return err_set(FY_EINVALID, "%s:%zu:%zu: %s",
					       name, line + 1, col + 1, p.what);
			return err_set(FY_EINVALID,
				       "%s:%zu:%zu: %s (byte 0x%02lx)", name,
				       line + 1, col + 1, p.what,
				       (unsigned long)p.value & 0xff);
		}
	}
	loader_normalize_text(&norm, text, len);
	if (!yaml_parser_initialize(&l.parser)) {
		buf_release(&norm);
		return err_set(FY_EFAIL, "cannot initialise the YAML parser");
	}
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)norm.ptr,
				     norm.len);
	l.name = name;
	l.text = norm.ptr;
	l.len = norm.len;
	l.msgs = msgs;
	l.anchors_out = anchors;
	err = load_document(&l, out);
	if (l.have)
		yaml_event_delete(&l.ev);
	yaml_parser_delete(&l.parser);
	for (size_t i = 0; i < l.nanchors; i++) {
		free(l.anchors[i].name);
		val_free(l.anchors[i].v);
	}
	free(l.anchors);
	free(l.last_scalar);
	buf_release(&norm);
	return err;
}

/* --- emitting --- */

static int emit_cb(void *data, unsigned char *buffer, size_t size)
{
	buf_add(data, buffer, size);
	return 1;
}

static bool needs_quotes(const char *s, size_t len)
{
	struct val *v = loader_plain_scalar(s, len);
	bool same = v->type == VAL_STR && v->str.len == len &&
		    !memcmp(v->str.s, s, len);

	val_free(v);
	return !same;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, size_t len, bool quote)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
				     (int)len, !quote, quote,
				     quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
					   : YAML_ANY_SCALAR_STYLE);
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_node(yaml_emitter_t *e, const struct val *v)
{
	yaml_event_t ev;

	switch (v->type) {
	case VAL_NULL:
		return emit_scalar(e, "null", 4, false);
	case VAL_BOOL:
		return emit_scalar(e, v->b ? "true" : "false", v->b ? 4 : 5,
				   false);
	case VAL_NUM:
		return emit_scalar(e, v->str.s, v->str.len, false);
	case VAL_STR:
		return emit_scalar(e, v->str.s, v->str.len,
				   needs_quotes(v->str.s, v->str.len));
	case VAL_SECURE:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev) ||
		    emit_scalar(e, "secure", 6, false) < 0 ||
		    emit_scalar(e, v->str.s, v->str.len, false) < 0)
			return -1;
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	case VAL_SEQ:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		for (size_t i = 0; i < v->seq.n; i++)
			if (emit_node(e, v->seq.v[i]) < 0)
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	case VAL_MAP:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		for (size_t i = 0; i < v->map.n; i++) {
			const char *k = v->map.v[i].key;

			if (emit_scalar(e, k, strlen(k),
					needs_quotes(k, strlen(k))) < 0 ||
			    emit_node(e, v->map.v[i].v) < 0)
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	}
	return -1;
}

int loader_emit(struct buf *out, const struct val *v)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int err = 0;

	if (!yaml_emitter_initialize(&e))
		return err_set(FY_EFAIL, "cannot initialise the YAML emitter");
	yaml_emitter_set_output(&e, emit_cb, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, 100);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(&e, &ev))
		err = -1;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (!err && !yaml_emitter_emit(&e, &ev))
		err = -1;
	if (!err)
		err = emit_node(&e, v);
	yaml_document_end_event_initialize(&ev, 1);
	if (!err && !yaml_emitter_emit(&e, &ev))
		err = -1;
	yaml_stream_end_event_initialize(&ev);
	if (!err && !yaml_emitter_emit(&e, &ev))
		err = -1;
	if (err)
		err = err_set(FY_EFAIL, "cannot write YAML: %s",
			      e.problem ? e.problem : "emitter error");
	yaml_emitter_delete(&e);
	return err;
}
