/*
 * loader_scalar.c: what a scalar becomes, by the rules of Travis's
 * Psych-based parser: booleans and nulls, integers (with signs,
 * underscores, bases, sexagesimal), floats, times, !!binary and the
 * tags that keep a scalar a string.
 */
#include "compat.h"

#include <ctype.h>
#include <errno.h>

#include "buf.h"
#include "loader.h"
#include "loader_int.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

/* --- scalars, as Psych's ScalarScanner with travis-yml's overrides --- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool loader_psych_float(const char *s)
{
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.' && (!strcmp(p + 1, "inf") || !strcmp(p + 1, "Inf") ||
			  !strcmp(p + 1, "INF")))
		return true;
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return true;
	if (is_digit(*p)) {
		p++;
		while (is_digit(*p) || *p == '_' || *p == ',')
			p++;
	}
	if (*p != '.')
		return false;
	p++;
	while (is_digit(*p))
		p++;
	if ((*p == 'e' || *p == 'E') && (p[1] == '+' || p[1] == '-') &&
	    is_digit(p[2])) {
		p += 2;
		while (is_digit(*p))
			p++;
	}
	return !*p;
}

static bool digits(const char **p, int min, int max)
{
	int n = 0;

	while (is_digit(**p) && n < max) {
		(*p)++;
		n++;
	}
	return n >= min;
}

/* Psych's TIME (a timestamp with a time part): kept as str. */
static bool is_time(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (!digits(&p, 4, 4) || *p++ != '-' || !digits(&p, 1, 2) ||
	    *p++ != '-' || !digits(&p, 1, 2))
		return false;
	if (*p == 'T' || *p == 't') {
		p++;
	} else if (isspace((unsigned char)*p)) {
		while (isspace((unsigned char)*p))
			p++;
	} else {
		return false;
	}
	if (!digits(&p, 1, 2) || *p++ != ':' || !digits(&p, 2, 2) ||
	    *p++ != ':' || !digits(&p, 2, 2))
		return false;
	if (*p == '.') {
		p++;
		while (is_digit(*p))
			p++;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		p++;
		if (!digits(&p, 1, 2))
			return false;
		if (*p == ':')
			p++;
		digits(&p, 0, 2);
	}
	return !*p;
}

/* Psych's "looks like a word" test at the start of tokenize. */
static bool in_word_class(unsigned char c)
{
	return isalpha(c) || c >= 0x80 || c == '_' || isspace(c) ||
	       (c && strchr("!@#$%^&*(){}<>|/\\~;=", c));
}

static bool is_wordish(const char *s)
{
	unsigned char c0 = (unsigned char)s[0];

	if (strchr(s, '\n'))
		return true;
	if (in_word_class(c0))
		return true;
	return c0 && !is_digit((char)c0) && !strchr(".:-", c0) &&
	       in_word_class((unsigned char)s[1]);
}

static bool ieq_any(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcasecmp(s, *words))
			return true;
	return false;
}

/* Psych's INTEGER, with its value (octal, binary, hex, commas). */
static bool parse_integer(const char *s, long long *out)
{
	const char *p = s;
	char clean[64];
	size_t n = 0;
	int base = 10;
	bool neg = false;
	char *end;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && p[1] == 'b') {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p++;
	} else if (!is_digit(*p)) {
		return false;
	}
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p == '_' || *p == ',') {
			if (base == 10 && (p == s || !is_digit(p[1])))
				return false;
			continue;
		}
		if (base == 2 && *p != '0' && *p != '1')
			return false;
		if (base == 8 && (*p < '0' || *p > '7'))
			return false;
		if (base == 10 && !is_digit(*p))
			return false;
		if (base == 16 && !isxdigit((unsigned char)*p))
			return false;
		if (n + 1 >= sizeof(clean))
			return false;
		clean[n++] = *p;
	}
	clean[n] = '\0';
	if (!n)
		return false;
	errno = 0;
	*out = strtoll(clean, &end, base);
	if (errno || *end)
		return false;
	if (neg)
		*out = -*out;
	return true;
}

/* Psych's sexagesimal integers ("1:30"), with its arithmetic. */
static bool parse_sexagesimal(const char *s, long long *out)
{
	const char *p = s;
	int parts = 0;
	long long total = 0;

	if (*p == '+' || *p == '-')
		p++;
	if (!is_digit(*p))
		return false;
	while (is_digit(*p) || *p == '_')
		p++;
	while (*p == ':') {
		p++;
		if (!is_digit(*p))
			return false;
		p++;
		if (is_digit(*p)) {
			if (p[-1] > '5')
				return false;
			p++;
		}
		parts++;
	}
	if (*p || parts < 1 || parts > 2)
		return false;
	{
		struct svec f = SVEC_INIT;

		bool big = false;

		svec_split(&f, s, ":", false);
		for (size_t e = 0; e < f.n && !big; e++) {
			long long mult = 1, v, term;

			errno = 0;
			v = strtoll(f.v[e], NULL, 10);
			for (int k = 0; k < llabs((long long)e - 2); k++)
				mult *= 60;
			/* Ruby's integers do not overflow; ours stay text then */
			big = errno == ERANGE ||
			      __builtin_mul_overflow(v, mult, &term) ||
			      __builtin_add_overflow(total, term, &total);
		}
		svec_release(&f);
		if (big)
			return false;
	}
	*out = total;
	return true;
}

struct val *loader_plain_scalar(const char *s, size_t len)
{
	static const char *const truthy[] = { "yes", "true", "on", NULL };
	static const char *const falsy[] = { "no", "false", "off", NULL };
	long long n;

	if (!len)
		return val_null();
	if (strlen(s) != len)
		return val_strn(s, len);
	if (loader_psych_float(s) || strstr(s, "yes") || strstr(s, "no") ||
	    strstr(s, "on") || strstr(s, "off") || is_time(s))
		return val_strn(s, len);
	if (is_wordish(s)) {
		if (len > 5 || !strchr("ytonf~YTONF", s[0]))
			return val_strn(s, len);
		if (!strcmp(s, "~") || !strcasecmp(s, "null"))
			return val_null();
		if (ieq_any(s, truthy))
			return val_bool(true);
		if (ieq_any(s, falsy))
			return val_bool(false);
		return val_strn(s, len);
	}
	if (s[0] == ':' && s[1]) {
		const char *p = s + 1;

		if ((*p == '"' || *p == '\'') && len > 2 && s[len - 1] == *p)
			return val_strn(p + 1, len - 3);
		return val_strn(p, len - 1);
	}
	if (parse_sexagesimal(s, &n))
		return val_numi(n);
	if (parse_integer(s, &n))
		return val_numi(n);
	return val_strn(s, len);
}

/* Ruby's unpack('m'): base64, skipping what is not in the alphabet. */
struct val *loader_binary_scalar(const char *s, size_t len)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf out = BUF_INIT;
	unsigned acc = 0;
	int bits = 0;
	struct val *v;

	for (size_t i = 0; i < len && s[i] != '='; i++) {
		const char *p = s[i] ? strchr(alpha, s[i]) : NULL;

		if (!p)
			continue;
		acc = (acc << 6) | (unsigned)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addch(&out, (int)((acc >> bits) & 0xff));
		}
	}
	/* Bytes JSON cannot carry keep the text as given. */
	if (memchr(out.ptr, '\0', out.len) ||
	    !loader_utf8_valid(out.ptr, out.len, NULL))
		v = val_strn(s, len);
	else
		v = val_strn(out.ptr, out.len);
	buf_release(&out);
	return v;
}

bool loader_str_tag(const char *tag)
{
	return !strcmp(tag, "tag:yaml.org,2002:str") || !strcmp(tag, "!str") ||
	       !strncmp(tag, "!str:", 5);
}
