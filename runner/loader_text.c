/*
 * loader_text.c: the text before libyaml sees it: UTF-8 validity (with
 * where it fails) and the normalisation Psych's reader does, and reading
 * a file to load.
 */
#include "compat.h"

#include <ctype.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "loader.h"
#include "loader_int.h"
#include "msg.h"
#include "svec.h"
#include "val.h"

/* Length of the well-formed UTF-8 sequence at s[i], or 0 and *p. */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len,
		       struct utf8_problem *p)
{
	unsigned c = s[i], cp, min;
	size_t n;

	if (c < 0x80)
		return 1;
	p->offset = i;
	p->value = -1;
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		p->what = "invalid leading UTF-8 octet";
		p->value = c;
		return 0;
	}
	for (size_t k = 1; k <= n; k++) {
		if (i + k >= len) {
			p->what = "incomplete UTF-8 octet sequence";
			return 0;
		}
		if ((s[i + k] & 0xc0) != 0x80) {
			p->what = "invalid trailing UTF-8 octet";
			p->offset = i + k;
			p->value = s[i + k];
			return 0;
		}
		cp = (cp << 6) | (s[i + k] & 0x3f);
	}
	if (cp < min) {
		p->what = "invalid length of a UTF-8 sequence";
		return 0;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		p->what = "invalid Unicode character";
		p->value = cp;
		return 0;
	}
	return n + 1;
}

/* Well-formed UTF-8 (no overlong forms, surrogates, nor past U+10FFFF)? */
bool loader_utf8_valid(const char *text, size_t len, struct utf8_problem *p)
{
	const unsigned char *s = (const unsigned char *)text;
	struct utf8_problem ignored;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s, i, len, p ? p : &ignored);

		if (!n)
			return false;
		i += n;
	}
	return true;
}

/*
 * travis-yml reads the text as binary and converts it to UTF-8, which
 * drops every byte over 0x7f; it then removes the indentation of the
 * first line from all lines and strips the text.  Line numbers are kept
 * (leading blank lines stay).
 */
void loader_normalize_text(struct buf *out, const char *text, size_t len)
{
	size_t width = 0, i = 0, end;

	buf_grow(out, len);
	for (size_t k = 0; k < len; k++)
		if (!((unsigned char)text[k] & 0x80))
			out->ptr[i++] = text[k];
	buf_setlen(out, i);
	i = 0;
	/* The width: the spaces right before the first non-space. */
	while (i < out->len) {
		size_t sp = 0;

		while (i + sp < out->len && out->ptr[i + sp] == ' ')
			sp++;
		if (i + sp < out->len &&
		    !isspace((unsigned char)out->ptr[i + sp])) {
			width = sp;
			break;
		}
		i += sp ? sp : 1;
	}
	if (width) {
		struct buf b = BUF_INIT;

		for (size_t k = 0; k < out->len;) {
			size_t e = k, sp = 0;

			while (e < out->len && out->ptr[e] != '\n')
				e++;
			while (sp < width && k + sp < e &&
			       out->ptr[k + sp] == ' ')
				sp++;
			if (sp == width)
				k += width;
			buf_add(&b, out->ptr + k,
				(e < out->len ? e + 1 : e) - k);
			k = e + 1;
		}
		buf_release(out);
		*out = b;
	}
	end = out->len;
	while (end > 0 && strchr(" \t\n\v\f\r", out->ptr[end - 1]))
		end--;
	buf_setlen(out, end);
}

int loader_read_file(struct buf *out, const char *path)
{
	int err;

	buf_set_limit(out, LOADER_MAX_BYTES + 1);
	err = fs_read_file(out, path);
	if (err == FY_ETOOBIG || (!err && out->len > LOADER_MAX_BYTES))
		err = err_set(FY_ETOOBIG,
			      "%s:1:1: file too large (limit %u bytes)", path,
			      LOADER_MAX_BYTES);
	return err;
}

int loader_load_file(struct val **out, const char *path, struct msgs *msgs,
		     struct svec *anchors)
{
	struct buf b = BUF_INIT;
	int err = loader_read_file(&b, path);

	if (!err)
		err = loader_load(out, b.ptr, b.len, path, msgs, anchors);
	buf_release(&b);
	return err;
}
