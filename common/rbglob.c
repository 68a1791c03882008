/*
 * rbglob.c: Ruby's File.fnmatch and Dir.glob (dir.c in MRI), restated in
 * C from their documented and observed behaviour.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "buf.h"
#include "error.h"
#include "rbglob.h"
#include "svec.h"
#include "xalloc.h"

#define RBGLOB_MAX_ALTERNATIVES 4096

/* Bytes in the UTF-8 character that starts with `c` (1 for bad bytes). */
static size_t char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

static unsigned long codepoint(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = char_len(s);

	if (n == 1)
		return u[0];
	if (n == 2)
		return ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu);
	if (n == 3)
		return ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) |
		       (u[2] & 0x3Fu);
	return ((u[0] & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) |
	       ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
}

static unsigned long fold(unsigned long c, unsigned flags)
{
	if ((flags & RBGLOB_CASEFOLD) && c >= 'a' && c <= 'z')
		return c - 'a' + 'A';
	return c;
}

static bool same_char(const char *p, const char *s, unsigned flags)
{
	size_t n = char_len(p);

	if (n == char_len(s) && !memcmp(p, s, n))
		return true;
	return fold(codepoint(p), flags) == fold(codepoint(s), flags);
}

struct fnm {
	unsigned flags;
	bool escape, pathname;
};

static bool at_end(const struct fnm *m, const char *p)
{
	return !*p || (m->pathname && *p == '/');
}

static const char *unescape(const struct fnm *m, const char *p)
{
	return m->escape && *p == '\\' ? p + 1 : p;
}

/*
 * A bracket expression: `p` is just past '['.  Returns the pattern just
 * past ']' when the character at `s` matches, NULL otherwise.
 */
static const char *bracket(const struct fnm *m, const char *p, const char *s)
{
	bool ok = false, not = false;
	unsigned long c = fold(codepoint(s), m->flags);

	if (*p == '!' || *p == '^') {
		not = true;
		p++;
	}
	while (*p != ']') {
		const char *t1 = p, *t2;

		if (m->escape && *t1 == '\\')
			t1++;
		if (!*t1)
			return NULL;
		p = t1 + char_len(t1);
		if (!*p)
			return NULL;
		if (p[0] == '-' && p[1] != ']') {
			t2 = p + 1;
			if (m->escape && *t2 == '\\')
				t2++;
			if (!*t2)
				return NULL;
			p = t2 + char_len(t2);
			if (!ok && fold(codepoint(t1), m->flags) <= c &&
			    c <= fold(codepoint(t2), m->flags))
				ok = true;
			continue;
		}
		if (!ok && same_char(t1, s, 0))
			ok = true;
	}
	return ok == not ? NULL : p + 1;
}

/*
 * Match one segment (the whole string without RBGLOB_PATHNAME); on a
 * match, *pp and *sp are left where the segment ended.
 */
static bool match_segment(const struct fnm *m, const char **pp, const char **sp)
{
	const char *p = *pp, *s = *sp;
	const char *ptmp = NULL, *stmp = NULL;
	bool period = !(m->flags & RBGLOB_DOTMATCH);
	const char *t;

	if (period && *s == '.' && *unescape(m, p) != '.')
		return false;
	for (;;) {
		switch (*p) {
		case '*':
			do
				p++;
			while (*p == '*');
			if (at_end(m, unescape(m, p))) {
				*pp = unescape(m, p);
				*sp = s;
				return true;
			}
			if (at_end(m, s))
				return false;
			ptmp = p;
			stmp = s;
			continue;
		case '?':
			if (at_end(m, s))
				return false;
			p++;
			s += char_len(s);
			continue;
		case '[':
			if (at_end(m, s))
				return false;
			t = bracket(m, p + 1, s);
			if (t) {
				p = t;
				s += char_len(s);
				continue;
			}
			goto failed;
		default:
			break;
		}
		p = unescape(m, p);
		if (at_end(m, s)) {
			*pp = p;
			*sp = s;
			return at_end(m, p);
		}
		if (at_end(m, p))
			goto failed;
		if (same_char(p, s, m->flags)) {
			p += char_len(p);
			s += char_len(s);
			continue;
		}
	failed:
		if (ptmp && stmp) {
			p = ptmp;
			stmp += char_len(stmp);
			s = stmp;
			continue;
		}
		return false;
	}
}

static bool match_path(const struct fnm *m, const char *p, const char *s)
{
	const char *ptmp = NULL, *stmp = NULL;
	bool period = !(m->flags & RBGLOB_DOTMATCH);

	for (;;) {
		if (p[0] == '*' && p[1] == '*' && p[2] == '/') {
			do
				p += 3;
			while (p[0] == '*' && p[1] == '*' && p[2] == '/');
			ptmp = p;
			stmp = s;
		}
		if (match_segment(m, &p, &s)) {
			while (*s && *s != '/')
				s++;
			if (*p && *s) {
				p++;
				s++;
				continue;
			}
			if (!*p && !*s)
				return true;
		}
		if (ptmp && stmp && !(period && *stmp == '.')) {
			while (*stmp && *stmp != '/')
				stmp++;
			if (*stmp) {
				p = ptmp;
				stmp++;
				s = stmp;
				continue;
			}
		}
		return false;
	}
}

static bool match_one(const char *pattern, const char *string, unsigned flags)
{
	struct fnm m = { flags, !(flags & RBGLOB_NOESCAPE),
			 !!(flags & RBGLOB_PATHNAME) };
	const char *p = pattern, *s = string;

	if (m.pathname)
		return match_path(&m, p, s);
	return match_segment(&m, &p, &s);
}

/* Where the outermost brace pair of `p` opens and closes, if any. */
static void find_braces(const char *p, bool escape, const char **lb,
			const char **rb)
{
	int nest = 0;

	*lb = *rb = NULL;
	for (; *p; p++) {
		if (*p == '{' && nest++ == 0)
			*lb = p;
		if (*p == '}' && *lb && --nest == 0) {
			*rb = p;
			return;
		}
		if (*p == '\\' && escape && !*++p)
			return;
	}
}

static int expand(struct svec *out, const char *pattern, bool escape)
{
	const char *lb, *rb, *p;
	int err = 0;

	find_braces(pattern, escape, &lb, &rb);
	if (!lb) {
		if (out->n >= RBGLOB_MAX_ALTERNATIVES)
			return err_set(FY_ETOOBIG,
				       "glob '%s' has too many alternatives",
				       pattern);
		svec_push(out, pattern);
		return 0;
	}
	if (!rb)
		return err_set(FY_EINVALID, "unbalanced '{' in glob '%s'",
			       pattern);
	p = lb;
	while (!err && p < rb) {
		const char *t = ++p;
		struct buf b = BUF_INIT;
		int nest = 0;

		while (p < rb && !(*p == ',' && nest == 0)) {
			if (*p == '{')
				nest++;
			if (*p == '}')
				nest--;
			if (*p == '\\' && escape && ++p == rb)
				break;
			p++;
		}
		buf_add(&b, pattern, (size_t)(lb - pattern));
		buf_add(&b, t, (size_t)(p - t));
		buf_addstr(&b, rb + 1);
		err = expand(out, b.ptr, escape);
		buf_release(&b);
	}
	return err;
}

int rbglob_braces(struct svec *out, const char *pattern)
{
	return expand(out, pattern, true);
}

bool rbglob_match(const char *pattern, const char *string, unsigned flags)
{
	struct svec alts = SVEC_INIT;
	bool hit = false;

	if (!(flags & RBGLOB_EXTGLOB))
		return match_one(pattern, string, flags);
	if (expand(&alts, pattern, !(flags & RBGLOB_NOESCAPE)) < 0) {
		svec_release(&alts);
		return false;
	}
	for (size_t i = 0; !hit && i < alts.n; i++)
		hit = match_one(alts.v[i], string, flags);
	svec_release(&alts);
	return hit;
}

/* ---- Dir.glob ---- */

struct walk {
	struct svec *out;
	const char *base;
	unsigned flags;
	bool files_only;
	struct svec segs;
	bool dir_only; /* the pattern ended with '/' */
};

static bool has_magic(const char *seg)
{
	return strpbrk(seg, "*?[\\") != NULL;
}

/* `rel` joined under the base, for system calls. */
static char *full_path(const struct walk *w, const char *rel)
{
	if (!*rel)
		return xstrdup(w->base);
	return xasprintf("%s/%s", w->base, rel);
}

static char *join_rel(const char *rel, const char *name)
{
	return *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
}

/* lstat/stat of a relative path: 'd' directory, 'f' regular, 'o' other. */
static char kind(const struct walk *w, const char *rel, bool follow)
{
	char *path = full_path(w, rel);
	struct stat st;
	int rc = follow ? stat(path, &st) : lstat(path, &st);

	free(path);
	if (rc < 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		return 'd';
	return S_ISREG(st.st_mode) ? 'f' : 'o';
}

static void found(struct walk *w, const char *rel)
{
	char k = kind(w, rel, true);

	if (w->dir_only) {
		if (k == 'd' && !w->files_only)
			svec_pushf(w->out, "%s/", rel);
		return;
	}
	if (w->files_only ? k == 'f' : !!kind(w, rel, false))
		svec_push(w->out, rel);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted entries of a directory, "." and ".." left out. */
static void list_dir(const struct walk *w, const char *rel, struct svec *names)
{
	char *path = full_path(w, rel);
	DIR *d = opendir(path);
	struct dirent *e;

	free(path);
	if (!d)
		return;
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (!e)
			break;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		svec_push(names, e->d_name);
	}
	closedir(d);
	if (names->n)
		qsort(names->v, names->n, sizeof(*names->v), cmp_str);
}

static void walk_at(struct walk *w, const char *rel, size_t i);

/* "**" then more parts: here, and in every subdirectory below. */
static void walk_recursive(struct walk *w, const char *rel, size_t i)
{
	struct svec names = SVEC_INIT;

	walk_at(w, rel, i + 1);
	list_dir(w, rel, &names);
	for (size_t k = 0; k < names.n; k++) {
		char *sub;

		if (names.v[k][0] == '.' && !(w->flags & RBGLOB_DOTMATCH))
			continue;
		sub = join_rel(rel, names.v[k]);
		if (kind(w, sub, false) == 'd')
			walk_recursive(w, sub, i);
		free(sub);
	}
	svec_release(&names);
}

static void walk_magic(struct walk *w, const char *rel, size_t i,
		       const char *seg)
{
	struct svec names = SVEC_INIT;
	bool last = i + 1 == w->segs.n;
	unsigned fl = RBGLOB_PATHNAME | (w->flags & RBGLOB_DOTMATCH);

	list_dir(w, rel, &names);
	for (size_t k = 0; k < names.n; k++) {
		char *sub;

		if (!rbglob_match(seg, names.v[k], fl))
			continue;
		sub = join_rel(rel, names.v[k]);
		if (last)
			found(w, sub);
		else if (kind(w, sub, true) == 'd')
			walk_at(w, sub, i + 1);
		free(sub);
	}
	svec_release(&names);
}

/* A part without wildcards names one entry: look it up directly. */
static void walk_plain(struct walk *w, const char *rel, size_t i,
		       const char *seg)
{
	struct buf name = BUF_INIT;
	char *sub;

	for (const char *p = seg; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		buf_addch(&name, *p);
	}
	sub = join_rel(rel, name.ptr);
	if (i + 1 == w->segs.n) {
		if (kind(w, sub, false))
			found(w, sub);
	} else if (kind(w, sub, true) == 'd') {
		walk_at(w, sub, i + 1);
	}
	free(sub);
	buf_release(&name);
}

static void walk_at(struct walk *w, const char *rel, size_t i)
{
	const char *seg;

	if (i >= w->segs.n) {
		/* A pattern ending in "**" and a slash matches every directory. */
		if (w->dir_only && *rel)
			found(w, rel);
		return;
	}
	seg = w->segs.v[i];
	if (!strcmp(seg, "**") && (i + 1 < w->segs.n || w->dir_only))
		walk_recursive(w, rel, i);
	else if (!strcmp(seg, "**"))
		walk_magic(w, rel, i, "*");
	else if (has_magic(seg))
		walk_magic(w, rel, i, seg);
	else
		walk_plain(w, rel, i, seg);
}

static int glob_one(struct walk *w, const char *pattern)
{
	size_t len = strlen(pattern);

	w->dir_only = len && pattern[len - 1] == '/';
	svec_release(&w->segs);
	/* Empty parts stay: Ruby keeps "a//b" as it is. */
	svec_split(&w->segs, pattern, "/", false);
	if (w->dir_only)
		svec_pop(&w->segs);
	if (w->segs.n)
		walk_at(w, "", 0);
	return 0;
}

int rbglob_dir(struct svec *out, const char *base, const char *pattern,
	       unsigned flags, bool files_only)
{
	struct walk w = { out, base, flags, files_only, SVEC_INIT, false };
	struct svec alts = SVEC_INIT, got = SVEC_INIT;
	DIR *d;
	int err;

	if (pattern[0] == '/')
		return err_set(FY_EINVALID, "glob '%s' is not relative",
			       pattern);
	d = opendir(base);
	if (!d)
		return err_errno("cannot read directory '%s'", base);
	closedir(d);
	err = rbglob_braces(&alts, pattern);
	w.out = &got;
	for (size_t i = 0; !err && i < alts.n; i++)
		err = glob_one(&w, alts.v[i]);
	if (!err && got.n) {
		qsort(got.v, got.n, sizeof(*got.v), cmp_str);
		for (size_t i = 0; i < got.n; i++)
			if (!i || strcmp(got.v[i], got.v[i - 1]))
				svec_push(out, got.v[i]);
	}
	svec_release(&w.segs);
	svec_release(&alts);
	svec_release(&got);
	return err;
}
