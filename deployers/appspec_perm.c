/*
 * appspec_perm.c: the values of an appspec permission, checked and
 * normalised as the agent's ModeInfo, AceInfo and RangeInfo classes and
 * its simple globs do.
 */
#include "compat.h"

#include <errno.h>
#include <limits.h>

#include "appspec.h"
#include "appspec_int.h"
#include "buf.h"
#include "error.h"
#include "svec.h"
#include "xalloc.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int appspec_mode_parse(char **out, const char *text, const char **code)
{
	struct buf m = BUF_INIT;
	size_t len = strlen(text);

	for (size_t i = len; i < 3; i++)
		buf_addch(&m, '0');
	buf_addstr(&m, text);
	if (m.len > 4) {
		err_set(FY_EINVALID,
			"The deployment failed because the length of a "
			"permissions mode (%s) in the application "
			"specification file is invalid. Permissions modes must "
			"be between one and four characters long. Update the "
			"permissions section of the AppSpec file, and then try "
			"again.",
			m.ptr);
		buf_release(&m);
		*code = "invalid_mode_length";
		return FY_EINVALID;
	}
	for (size_t i = 0; i < m.len; i++) {
		if (m.ptr[i] < '0' || m.ptr[i] > '7') {
			err_set(FY_EINVALID,
				"The deployment failed because the permissions "
				"mode (%s) in the application specification "
				"file contains an invalid character (%c). "
				"Update the permissions section of the AppSpec "
				"file, and then try again.",
				m.ptr, m.ptr[i]);
			buf_release(&m);
			*code = "invalid_mode_char";
			return FY_EINVALID;
		}
	}
	*out = buf_detach(&m, NULL);
	return 0;
}

static int ace_invalid(const char *text)
{
	return err_set(FY_EINVALID,
		       "The deployment failed because of a problem with the "
		       "acls permission settings in the application "
		       "specification file. Invalid acl entry (%s).",
		       text);
}

static bool is_word(const char *s, const char *a, const char *b)
{
	return !strcmp(s, a) || !strcmp(s, b);
}

static int ace_perms(struct appspec_ace *ace, const char *perms,
		     const char *text)
{
	if (strlen(perms) == 1 && perms[0] >= '0' && perms[0] <= '7') {
		int d = perms[0] - '0';

		ace->r = d & 4;
		ace->w = d & 2;
		ace->x = d & 1;
		return 0;
	}
	for (const char *c = perms; *c; c++) {
		if (*c == 'r')
			ace->r = true;
		else if (*c == 'w')
			ace->w = true;
		else if (*c == 'x')
			ace->x = true;
		else if (*c != '-')
			return err_set(
				FY_EINVALID,
				"The deployment failed because the "
				"access control list (ACL) named %s in "
				"the application specification file "
				"contains an invalid character (%c). "
				"Correct the ACL in the hooks section of "
				"the AppSpec file, and then try again.",
				text, *c);
	}
	return 0;
}

/* The "d" and type parts (from the end, the 4th and 3rd); NULL: none. */
static int ace_type(struct appspec_ace *ace, const struct svec *parts,
		    const char **type)
{
	const char *t;

	*type = NULL;
	if (parts->n == 4) {
		if (!is_word(parts->v[0], "d", "default"))
			return -1;
		ace->is_default = true;
	}
	if (parts->n < 3)
		return 0;
	t = parts->v[parts->n - 3];
	if (is_word(t, "d", "default")) {
		if (ace->is_default)
			return -1;
		ace->is_default = true;
	} else if (is_word(t, "m", "mask")) {
		*type = "mask";
	} else if (is_word(t, "o", "other")) {
		*type = "other";
	} else if (is_word(t, "g", "group")) {
		*type = "group";
	} else if (is_word(t, "u", "user")) {
		*type = "user";
	} else {
		return -1;
	}
	return 0;
}

int appspec_ace_parse(struct appspec_ace *ace, const char *text, bool internal)
{
	struct svec parts = SVEC_INIT;
	const char *type = NULL, *p1;
	int err = 0;

	memset(ace, 0, sizeof(*ace));
	/* The agent reads the parts from the end: perms, name, type, "d". */
	svec_split(&parts, text, ":", false);
	if (parts.n < 2 || parts.n > 4 || ace_type(ace, &parts, &type) < 0) {
		err = ace_invalid(text);
		goto out;
	}
	p1 = parts.v[parts.n - 2];
	if (is_word(p1, "m", "mask") || is_word(p1, "o", "other")) {
		const char *w = p1[0] == 'm' ? "mask" : "other";

		ace->name = xstrdup(type ? w : "");
		if (!type)
			type = w;
	} else {
		if (!type)
			type = "user";
		ace->name = xstrdup(p1);
	}
	snprintf(ace->type, sizeof(ace->type), "%s", type);
	if ((!strcmp(type, "mask") || !strcmp(type, "other")) && *ace->name) {
		err = ace_invalid(text);
		goto out;
	}
	if (!internal && !ace->is_default && strcmp(type, "mask") &&
	    !*ace->name) {
		err = err_set(FY_EINVALID,
			      "The deployment failed because of a problem with "
			      "the acls permission settings in the application "
			      "specification file. Use mode to set the base "
			      "acl entry (%s). Update the permissions section "
			      "of the AppSpec file, and then try again.",
			      text);
		goto out;
	}
	err = ace_perms(ace, parts.v[parts.n - 1], text);
out:
	if (err < 0) {
		free(ace->name);
		ace->name = NULL;
	}
	svec_release(&parts);
	return err;
}

char *appspec_ace_format(const struct appspec_ace *ace)
{
	return xasprintf("%s%s:%s:%c%c%c", ace->is_default ? "default:" : "",
			 ace->type, ace->name ? ace->name : "",
			 ace->r ? 'r' : '-', ace->w ? 'w' : '-',
			 ace->x ? 'x' : '-');
}

static int range_invalid(const char *what, const char *input)
{
	return err_set(FY_EINVALID, "%s %s", what, input);
}

/* The agent's ensure_parts: one part, or two non-empty around `sep`. */
static int range_split(const char *in, char sep, char **a, char **b)
{
	const char *s = in ? strchr(in, sep) : NULL;

	*a = *b = NULL;
	if (!in || !*in || (s && (s == in || !s[1])))
		return range_invalid("invalid range part", in ? in : "");
	if (!s) {
		*a = xstrdup(in);
		return 0;
	}
	*a = xmemdupz(in, (size_t)(s - in));
	*b = xstrdup(s + 1);
	return 0;
}

static int range_number(const char *s, char letter, const char *what, long max,
			long *out)
{
	char *end;

	if (!s || strlen(s) < 2 || s[0] != letter)
		return range_invalid(what, s ? s : "");
	for (const char *c = s + 1; *c; c++)
		if (!is_digit(*c))
			return range_invalid(what, s);
	errno = 0;
	*out = strtol(s + 1, &end, 10);
	if (errno || *out > max)
		return range_invalid(what, s);
	return 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static int range_categories(const char *list, struct buf *out)
{
	struct svec parts = SVEC_INIT;
	long *cats = NULL;
	size_t n = 0, alloc = 0;
	int err = 0;

	svec_split(&parts, list, ",", false);
	/* Ruby's split drops trailing empty fields. */
	while (parts.n && !*parts.v[parts.n - 1])
		svec_pop(&parts);
	for (size_t i = 0; i < parts.n && !err; i++) {
		char *a = NULL, *b = NULL;
		long lo = 0, hi = 0;

		if (strchr(parts.v[i], '.')) {
			err = range_split(parts.v[i], '.', &a, &b);
			if (!err)
				err = range_number(a, 'c', "invalid category",
						   1023, &lo);
			if (!err)
				err = range_number(b, 'c', "invalid category",
						   1023, &hi);
			if (!err && hi < lo)
				err = err_set(FY_EINVALID,
					      "invalid category range %s.%s", a,
					      b);
		} else {
			err = range_number(parts.v[i], 'c', "invalid category",
					   1023, &lo);
			hi = lo;
		}
		for (long c = lo; !err && c <= hi; c++) {
			XGROW(cats, alloc, n + 1);
			cats[n++] = c;
		}
		free(a);
		free(b);
	}
	if (!err && n) {
		qsort(cats, n, sizeof(*cats), cmp_long);
		for (size_t i = 1; i < n; i++)
			if (cats[i] == cats[i - 1])
				err = err_set(FY_EINVALID,
					      "duplicate categories");
	}
	/* Runs of consecutive categories are written c0.c3. */
	for (size_t i = 0; !err && i < n;) {
		size_t j = i;

		while (j + 1 < n && cats[j + 1] == cats[j] + 1)
			j++;
		buf_addf(out, "%s", i ? "," : ":");
		if (j == i)
			buf_addf(out, "c%ld", cats[i]);
		else
			buf_addf(out, "c%ld.c%ld", cats[i], cats[j]);
		i = j + 1;
	}
	free(cats);
	svec_release(&parts);
	return err;
}

/* An SELinux range "s0[-s1][:c0[.c3][,c5]]", normalised as the agent. */
int appspec_range_parse(char **out, const char *range)
{
	char *sens = NULL, *cats = NULL, *low = NULL, *high = NULL;
	struct buf b = BUF_INIT;
	long lo = 0, hi = 0;
	int err;

	err = range_split(range, ':', &sens, &cats);
	if (!err)
		err = range_split(sens, '-', &low, &high);
	if (!err)
		err = range_number(low, 's', "invalid sensitivity", LONG_MAX,
				   &lo);
	hi = lo;
	if (!err && high)
		err = range_number(high, 's', "invalid sensitivity", LONG_MAX,
				   &hi);
	if (!err && hi < lo)
		err = err_set(
			FY_EINVALID,
			"The deployment failed because of a problem with "
			"the SELinux range specified (%s) for the context "
			"parameter in the permissions section of the "
			"application specification file. Make corrections "
			"in the permissions section of the AppSpec file, "
			"and then try again.",
			range);
	if (!err) {
		buf_addf(&b, "s%ld", lo);
		if (hi != lo)
			buf_addf(&b, "-s%ld", hi);
		if (cats)
			err = range_categories(cats, &b);
	}
	if (!err)
		*out = buf_detach(&b, NULL);
	buf_release(&b);
	free(sens);
	free(cats);
	free(low);
	free(high);
	return err;
}

bool appspec_glob_match(const char *pattern, const char *name)
{
	const char *star = NULL, *resume = NULL;

	if (strchr(name, '/'))
		return false;
	while (*name) {
		if (*pattern == '*') {
			star = pattern++;
			resume = name;
		} else if (*pattern == *name) {
			pattern++;
			name++;
		} else if (star) {
			pattern = star + 1;
			name = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return !*pattern;
}
