#ifndef FY_APPSPEC_INT_H
#define FY_APPSPEC_INT_H

#include "compat.h"

#include "buf.h"

struct msgs;
struct val;

/*
 * appspec_int.h: private to deployers/appspec*.c.  appspec.c reads the
 * document, appspec_yaml.c gives its values as Ruby sees them after
 * Psych, appspec_perm.c checks the values of a permission.
 */

/* The text given to the loader, to look at a node's source. */
struct appspec_src {
	struct buf esc;	  /* the text, UTF-8 escaped for the loader */
	const char *text; /* = esc.ptr */
	size_t len;
	size_t *lines; /* offset of each line's start */
	size_t nlines;
};

/*
 * Load `len` bytes as YAML with the loader, keeping UTF-8 (see
 * appspec_yaml.c); `src` is filled for the calls below and finished
 * with appspec_src_release() whatever happens.
 */
int appspec_yaml_load(struct val **out, struct appspec_src *src,
		      const char *text, size_t len, const char *name,
		      struct msgs *msgs);
void appspec_src_release(struct appspec_src *src);
/* The source text where node `v` starts, or NULL. */
const char *appspec_node_src(const struct appspec_src *src,
			     const struct val *v);

/* What a value is to Ruby after Psych has read it. */
enum appspec_rtype {
	APPSPEC_R_NIL,
	APPSPEC_R_BOOL,
	APPSPEC_R_INT,
	APPSPEC_R_FLOAT,
	APPSPEC_R_STR,
	APPSPEC_R_SEQ,
	APPSPEC_R_MAP,
};

struct appspec_rval {
	enum appspec_rtype type;
	bool b;
	long long i;
	double f;
	const char *s; /* the text, as Ruby's to_s gives it ("" for lists) */
	char fbuf[40]; /* APPSPEC_R_FLOAT: its to_s */
};

void appspec_rvalue(const struct appspec_src *src, const struct val *v,
		    struct appspec_rval *r);
/* Ruby truth: anything but nil and false. */
bool appspec_rtruthy(const struct appspec_rval *r);
/* A scalar's to_s (malloc'd), or NULL for a list or a map. */
char *appspec_scalar_text(const struct appspec_src *src, const struct val *v);
/* Ruby's to_s of any value ("#{v}"): lists and maps as inspect. */
char *appspec_ruby_to_s(const struct appspec_src *src, const struct val *v);
/* Ruby's String#to_i and String#strip. */
long long appspec_ruby_to_i(const char *s);
char *appspec_ruby_strip(const char *s);
/* Ruby's inspect of a value, for the agent's messages. */
void appspec_inspect(struct buf *b, const struct appspec_src *src,
		     const struct val *v);

/*
 * A permission mode as the agent's ModeInfo reads it: left-padded to 3
 * digits, at most 4, each 0-7.  FY_EINVALID with the agent's message and
 * *code "invalid_mode_length" or "invalid_mode_char".
 */
int appspec_mode_parse(char **out, const char *text, const char **code);

/*
 * An SELinux range "s0[-s1][:c0[.c3][,c5]]" checked and written back as
 * the agent's RangeInfo does ("s0:c1.c3,c5"); FY_EINVALID with its
 * message.
 */
int appspec_range_parse(char **out, const char *range);

#endif
