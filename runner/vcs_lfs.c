#include "compat.h"

#include <strings.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "svec.h"
#include "val.h"
#include "vcs.h"
#include "vcs_int.h"
#include "vcs_lfs.h"
#include "xalloc.h"

/*
 * vcs_lfs.c: the formats of Git LFS (see vcs_lfs.h): pointer files,
 * git-config text, endpoints, batch answers; and the report.  The
 * transfer is in vcs_lfs_fetch.c.
 */

#define LFS_MESSAGE_MAX	     200 /* of a server's message we repeat */
#define LFS_HREF_MAX	     8192
#define LFS_HEADERS_MAX	     32
#define LFS_CONFIG_VALUE_MAX 4096

/* ---- pointer files ------------------------------------------------------- */

static const char *const lfs_versions[] = {
	"https://git-lfs.github.com/spec/v1",
	"https://hawser.github.com/spec/v1", /* pre-release git-lfs */
};

static bool is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return is_lower(c | 0x20);
}

static bool key_ok(const char *k, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower(k[i]) && !is_digit(k[i]) && k[i] != '.' &&
		    k[i] != '-')
			return false;
	return true;
}

static bool hex_oid(const char *s, size_t n)
{
	if (n != VCS_LFS_OID_HEX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

/* Decimal digits, no sign, no leading zero, at most INT64_MAX. */
static bool size_ok(uint64_t *out, const char *s, size_t n)
{
	uint64_t v = 0;

	if (!n || n > 19 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = v;
	return true;
}

/* Byte order of two keys, as strings. */
static int key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

static int not_pointer(int line, const char *why)
{
	return err_set(FY_EINVALID, "not a Git LFS pointer: line %d: %s", line,
		       why);
}

static bool version_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(lfs_versions); i++)
		if (strlen(lfs_versions[i]) == n &&
		    !memcmp(v, lfs_versions[i], n))
			return true;
	return false;
}

/* One "key value" line after the first into `p`. */
static int pointer_line(struct vcs_lfs_pointer *p, int line, const char *k,
			size_t kn, const char *v, size_t vn, bool *have_oid,
			bool *have_size)
{
	if (kn == 7 && !memcmp(k, "version", 7))
		return not_pointer(line, "a second 'version'");
	if (kn == 3 && !memcmp(k, "oid", 3)) {
		if (vn != 7 + VCS_LFS_OID_HEX || memcmp(v, "sha256:", 7) ||
		    !hex_oid(v + 7, VCS_LFS_OID_HEX))
			return not_pointer(line, "bad oid");
		memcpy(p->oid, v + 7, VCS_LFS_OID_HEX);
		p->oid[VCS_LFS_OID_HEX] = '\0';
		*have_oid = true;
	} else if (kn == 4 && !memcmp(k, "size", 4)) {
		if (!size_ok(&p->size, v, vn))
			return not_pointer(line, "bad size");
		*have_size = true;
	} else if (kn > 4 && !memcmp(k, "ext-", 4)) {
		p->extensions = true;
	}
	return 0;
}

int vcs_lfs_pointer_parse(struct vcs_lfs_pointer *out, const char *text,
			  size_t len)
{
	struct vcs_lfs_pointer p = { "", 0, false };
	const char *s = text, *end = text + len, *prev = NULL;
	size_t prev_n = 0;
	bool have_oid = false, have_size = false;
	int err;

	if (len >= VCS_LFS_POINTER_MAX)
		return err_set(FY_ETOOBIG,
			       "not a Git LFS pointer: %zu bytes (a pointer "
			       "is shorter than %d)",
			       len, VCS_LFS_POINTER_MAX);
	if (!len || text[len - 1] != '\n')
		return not_pointer(1, "no final newline");
	for (int line = 1; s < end; line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *sp = memchr(s, ' ', (size_t)(nl - s));
		size_t kn, vn;

		if (!sp)
			return not_pointer(line, "not 'key value'");
		kn = (size_t)(sp - s);
		vn = (size_t)(nl - sp - 1);
		if (!key_ok(s, kn))
			return not_pointer(line, "bad key");
		for (size_t i = 0; i < vn; i++)
			if ((unsigned char)sp[1 + i] < 0x20 ||
			    sp[1 + i] == 0x7f || (!i && sp[1] == ' '))
				return not_pointer(line, "bad value");
		if (line == 1) {
			if (kn != 7 || memcmp(s, "version", 7))
				return not_pointer(line, "'version' is not "
							 "first");
			if (!version_ok(sp + 1, vn))
				return not_pointer(line, "unknown version");
		} else {
			if (prev && key_cmp(prev, prev_n, s, kn) >= 0)
				return not_pointer(line, "keys out of order");
			err = pointer_line(&p, line, s, kn, sp + 1, vn,
					   &have_oid, &have_size);
			if (err < 0)
				return err;
			prev = s;
			prev_n = kn;
		}
		s = nl + 1;
	}
	if (!have_oid || !have_size)
		return not_pointer(1, have_oid ? "no size" : "no oid");
	*out = p;
	return 0;
}

/* ---- git-config text ------------------------------------------------------ */

/*
 * A reader for the syntax of git-config(1), enough for .lfsconfig: "\r\n"
 * reads as "\n" and the end of the text as a last "\n".
 */
struct cfg {
	const char *p, *end;
	bool eof;
};

static int cfg_next(struct cfg *c)
{
	int ch;

	if (c->p >= c->end) {
		c->eof = true;
		return '\n';
	}
	ch = (unsigned char)*c->p++;
	if (ch == '\r' && c->p < c->end && *c->p == '\n')
		ch = *c->p++;
	return ch;
}

static int cfg_peek(const struct cfg *c)
{
	return c->p < c->end ? (unsigned char)*c->p : '\n';
}

static bool cfg_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

static bool cfg_keychar(int ch)
{
	return is_alpha(ch) || is_digit(ch) || ch == '-';
}

/* "[section]", "[section \"sub\"]" or the old "[section.sub]". */
static bool cfg_header(struct cfg *c, struct buf *sec, struct buf *sub)
{
	int ch;

	buf_reset(sec);
	buf_reset(sub);
	for (;;) {
		ch = cfg_next(c);
		if (ch == ']')
			break;
		if (cfg_space(ch))
			break;
		if (!cfg_keychar(ch) && ch != '.')
			return false;
		buf_addch(sec, is_alpha(ch) ? ch | 0x20 : ch);
	}
	if (cfg_space(ch)) {
		while (cfg_space(cfg_peek(c)))
			cfg_next(c);
		if (cfg_next(c) != '"')
			return false;
		for (;;) {
			ch = cfg_next(c);
			if (ch == '\n')
				return false;
			if (ch == '"')
				break;
			if (ch == '\\') {
				ch = cfg_next(c);
				if (ch == '\n')
					return false;
			}
			buf_addch(sub, ch);
		}
		if (cfg_next(c) != ']')
			return false;
	} else {
		char *dot = memchr(sec->ptr, '.', sec->len);

		if (dot) {
			buf_addstr(sub, dot + 1);
			buf_setlen(sec, (size_t)(dot - sec->ptr));
		}
	}
	return sec->len > 0;
}

/* The value after '=': quotes, escapes, comments, continued lines. */
static bool cfg_value(struct cfg *c, struct buf *val)
{
	bool quote = false, comment = false;
	size_t spaces = 0;

	buf_reset(val);
	buf_set_limit(val, LFS_CONFIG_VALUE_MAX);
	for (;;) {
		int ch = cfg_next(c);

		if (ch == '\n')
			return !quote && !buf_truncated(val);
		if (comment)
			continue;
		if (cfg_space(ch) && !quote) {
			spaces += val->len > 0;
			continue;
		}
		if (!quote && (ch == ';' || ch == '#')) {
			comment = true;
			continue;
		}
		for (; spaces; spaces--)
			buf_addch(val, ' ');
		if (ch == '"') {
			quote = !quote;
			continue;
		}
		if (ch == '\\') {
			ch = cfg_next(c);
			if (ch == '\n' && !c->eof)
				continue;
			if (ch == 'n')
				ch = '\n';
			else if (ch == 't')
				ch = '\t';
			else if (ch == 'b')
				ch = '\b';
			else if (ch != '\\' && ch != '"')
				return false;
		}
		buf_addch(val, ch);
	}
}

/* A variable: its name (lower case) into `key`, its value into `val`
 * (*has_value false for a bare name, a boolean true). */
static bool cfg_variable(struct cfg *c, struct buf *key, struct buf *val,
			 bool *has_value)
{
	int ch;

	buf_reset(key);
	while (cfg_keychar(cfg_peek(c)))
		buf_addch(key, cfg_next(c));
	for (size_t i = 0; i < key->len; i++)
		if (is_alpha(key->ptr[i]))
			key->ptr[i] |= 0x20;
	while (cfg_space(cfg_peek(c)))
		cfg_next(c);
	ch = cfg_next(c);
	*has_value = ch == '=';
	if (ch == '\n') {
		buf_reset(val);
		return true;
	}
	return ch == '=' && cfg_value(c, val);
}

char *vcs_lfs_config_get(const char *text, size_t len, const char *section,
			 const char *sub, const char *name)
{
	struct cfg c = { text, text + len, false };
	struct buf sec = BUF_INIT, subsec = BUF_INIT, key = BUF_INIT,
		   val = BUF_INIT;
	char *found = NULL;
	bool ok = true, has_value;

	while (ok) {
		int ch = cfg_peek(&c);

		if (c.p >= c.end)
			break;
		if (cfg_space(ch) || ch == '\n') {
			cfg_next(&c);
		} else if (ch == '#' || ch == ';') {
			while (cfg_next(&c) != '\n')
				;
		} else if (ch == '[') {
			cfg_next(&c);
			ok = cfg_header(&c, &sec, &subsec);
		} else if (is_alpha(ch) && sec.len) {
			ok = cfg_variable(&c, &key, &val, &has_value);
			if (ok && !strcasecmp(sec.ptr, section) &&
			    !strcmp(subsec.ptr, sub ? sub : "") &&
			    !strcasecmp(key.ptr, name)) {
				free(found);
				found = has_value ? xstrdup(val.ptr) : NULL;
			}
		} else {
			ok = false;
		}
	}
	if (!ok) {
		free(found);
		found = NULL;
	}
	buf_release(&sec);
	buf_release(&subsec);
	buf_release(&key);
	buf_release(&val);
	return found;
}

/* ---- endpoints and credentials --------------------------------------------- */

static bool is_http(const char *scheme)
{
	return scheme && (!strcmp(scheme, "https") || !strcmp(scheme, "http"));
}

char *vcs_lfs_endpoint(const char *remote_url)
{
	static const char *const to_https[] = { "ssh", "git", "git+ssh",
						"ssh+git" };
	struct vcs_url u;
	struct buf b = BUF_INIT;
	const char *scheme = NULL;
	size_t n;

	vcs_url_parse(&u, remote_url);
	if (u.local || !u.host || !*u.host)
		goto out;
	if (is_http(u.scheme))
		scheme = u.scheme;
	for (size_t i = 0; u.scheme && i < ARRAY_SIZE(to_https); i++)
		if (!strcmp(u.scheme, to_https[i]))
			scheme = "https";
	if (u.scp)
		scheme = "https";
	n = strcspn(u.path, "?#");
	while (n && u.path[n - 1] == '/')
		n--;
	if (!scheme || !n)
		goto out;
	buf_addf(&b, "%s://", scheme);
	if (strchr(u.host, ':'))
		buf_addf(&b, "[%s]", u.host);
	else
		buf_addstr(&b, u.host);
	if (u.port && *u.port && is_http(u.scheme))
		buf_addf(&b, ":%s", u.port);
	buf_addch(&b, '/');
	buf_add(&b, u.path, n);
	if (n < 4 || strncmp(u.path + n - 4, ".git", 4))
		buf_addstr(&b, ".git");
	buf_addstr(&b, "/info/lfs");
out:
	vcs_url_release(&u);
	return b.len ? buf_detach(&b, NULL) : NULL;
}

/* ---- batch answers ----------------------------------------------------------- */

/* `s` fit for a one-line message: control characters as '?', capped. */
static char *clean_text(const char *s, size_t n)
{
	char *out = xmemdupz(s, n > LFS_MESSAGE_MAX ? LFS_MESSAGE_MAX : n);

	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

static const char *str_of(const struct val *v)
{
	const char *s = val_strv(v);

	/* JSON strings may hold NUL: such a one is no usable text */
	return s && strlen(s) == v->str.len ? s : NULL;
}

static bool header_ok(const char *name, const char *value)
{
	if (!*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!is_alpha(*p) && !is_digit(*p) &&
		    !strchr("!#$%&'*+-.^_`|~", *p))
			return false;
	for (const char *p = value; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

static bool href_ok(const char *href)
{
	size_t n = strlen(href);

	if (n > LFS_HREF_MAX ||
	    (strncmp(href, "https://", 8) && strncmp(href, "http://", 7)))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)href[i] <= 0x20 || href[i] == 0x7f)
			return false;
	return true;
}

/* An integer JSON number into `out` (within [0, INT64_MAX]). */
static bool num_of(const struct val *v, uint64_t *out)
{
	return val_is(v, VAL_NUM) && size_ok(out, v->str.s, v->str.len);
}

/* The download action of an answer; false (and a->error) when unusable. */
static bool answer_action(struct vcs_lfs_answer *a, const struct val *item)
{
	const struct val *dl =
		val_map_get(val_map_get(item, "actions"), "download");
	const struct val *hdr = val_map_get(dl, "header");
	const char *href = str_of(val_map_get(dl, "href"));

	if (!val_is(dl, VAL_MAP) || !href) {
		a->error = xstrdup("the LFS server gave no download for it");
		return false;
	}
	if (!href_ok(href) ||
	    (hdr && !val_is(hdr, VAL_MAP) && !val_is(hdr, VAL_NULL))) {
		a->error = xstrdup("the LFS server gave a bad download URL");
		return false;
	}
	for (size_t i = 0; val_is(hdr, VAL_MAP) && i < hdr->map.n; i++) {
		const char *value = str_of(hdr->map.v[i].v);

		if (i >= LFS_HEADERS_MAX || !value ||
		    !header_ok(hdr->map.v[i].key, value)) {
			a->error = xstrdup("the LFS server gave a bad download "
					   "header");
			svec_release(&a->headers);
			return false;
		}
		svec_pushf(&a->headers, "%s: %s", hdr->map.v[i].key, value);
	}
	a->href = xstrdup(href);
	return true;
}

static bool answer_parse(struct vcs_lfs_answer *a, const struct val *item)
{
	const char *oid = str_of(val_map_get(item, "oid"));
	const struct val *e = val_map_get(item, "error");

	if (!val_is(item, VAL_MAP) || !oid || !hex_oid(oid, strlen(oid)))
		return false;
	memcpy(a->oid, oid, VCS_LFS_OID_HEX + 1);
	num_of(val_map_get(item, "size"), &a->size);
	if (e && !val_is(e, VAL_NULL)) {
		const char *msg = str_of(val_map_get(e, "message"));
		uint64_t code = 0;

		num_of(val_map_get(e, "code"), &code);
		a->code = code < 1000 ? (long)code : 0;
		a->error = msg && *msg ? clean_text(msg, strlen(msg))
				       : xstrdup("no message");
		return true;
	}
	answer_action(a, item);
	return true;
}

void vcs_lfs_batch_release(struct vcs_lfs_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].href);
		free(b->v[i].error);
		for (size_t k = 0; k < b->v[i].headers.n; k++)
			explicit_bzero(b->v[i].headers.v[k],
				       strlen(b->v[i].headers.v[k]));
		svec_release(&b->v[i].headers);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

int vcs_lfs_batch_parse(struct vcs_lfs_batch *out, const char *json, size_t len)
{
	struct vcs_lfs_batch b = { NULL, 0 };
	struct val *v = NULL;
	const struct val *objs, *t;
	const char *tr;
	size_t alloc = 0;
	int err = json_parse(&v, json, len, 0);

	if (err < 0) {
		char *why = xstrdup(err_msg());

		err = err_set(FY_EINVALID, "not JSON: %s", why);
		free(why);
		return err;
	}
	t = val_map_get(v, "transfer");
	tr = str_of(t);
	objs = val_map_get(v, "objects");
	if (!val_is(v, VAL_MAP) || !val_is(objs, VAL_SEQ)) {
		err = err_set(FY_EINVALID, "no list of objects");
		goto out;
	}
	if (t && !val_is(t, VAL_NULL) && (!tr || strcmp(tr, "basic"))) {
		err = err_set(FY_EINVALID, "transfer '%s' (ferry has 'basic')",
			      tr ? tr : "?");
		goto out;
	}
	if (objs->seq.n > 10 * VCS_LFS_BATCH_MAX) {
		err = err_set(FY_EINVALID, "%zu objects", objs->seq.n);
		goto out;
	}
	for (size_t i = 0; i < objs->seq.n; i++) {
		struct vcs_lfs_answer a = { "", 0, NULL, SVEC_INIT, 0, NULL };

		if (!answer_parse(&a, objs->seq.v[i]))
			continue;
		XGROW(b.v, alloc, b.n + 1);
		b.v[b.n++] = a;
	}
	*out = b;
	b.v = NULL;
	b.n = 0;
out:
	vcs_lfs_batch_release(&b);
	val_free(v);
	return err;
}

char *vcs_lfs_error_message(const char *json, size_t len)
{
	struct val *v = NULL;
	const char *msg = NULL;
	char *out = NULL;

	if (!json_parse(&v, json, len, 0))
		msg = str_of(val_map_get(v, "message"));
	if (msg && *msg)
		out = clean_text(msg, strlen(msg));
	val_free(v);
	return out;
}

/* ---- reports --------------------------------------------------------------- */

void vcs_lfs_size_text(char *out, size_t cap, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(out, cap, "%llu bytes", (unsigned long long)bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(out, cap, "%.1f %s", v, units[u]);
}

void vcs_lfs_report_release(struct vcs_lfs_report *r)
{
	svec_release(&r->warnings);
	memset(r, 0, sizeof(*r));
	r->warnings.v = svec_empty;
}

void vcs_lfs_summary(const struct vcs_lfs_report *r, struct buf *out)
{
	char size[32];

	vcs_lfs_size_text(size, sizeof(size), r->bytes);
	buf_addf(out,
		 "Git LFS: %zu file%s (%s), %zu downloaded, %zu from the "
		 "cache",
		 r->files, r->files == 1 ? "" : "s", size, r->downloaded,
		 r->cached);
	if (r->kept)
		buf_addf(out, ", %zu left as pointer%s", r->kept,
			 r->kept == 1 ? "" : "s");
}

void vcs_lfs_notes(const struct vcs_lfs_report *r, struct svec *out)
{
	struct buf b = BUF_INIT;

	if (r->files) {
		vcs_lfs_summary(r, &b);
		svec_push(out, b.ptr);
	}
	for (size_t i = 0; i < r->warnings.n; i++)
		svec_push(out, r->warnings.v[i]);
	buf_release(&b);
}
