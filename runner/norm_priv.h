#ifndef FY_NORM_PRIV_H
#define FY_NORM_PRIV_H

#include "compat.h"

#include "msg.h"
#include "schema.h"

struct svec;
struct val;

/*
 * The normaliser's insides, shared by norm.c (helpers, messages, the
 * fuzzy matcher and casts), norm_change.c (travis-yml's Doc::Change) and
 * norm_validate.c (Doc::Validate).
 *
 * Both passes walk the val tree with a struct nctx per node: its key (a
 * seq's items share the seq's key), the line of that key, the parent's
 * context and, while validating, the node's current value.  Changes
 * consume the val they are given and return the result.
 */
struct norm {
	struct msgs *msgs;
	const struct svec *anchors;
	struct val *root;
	struct val *globally_used; /* a seq: unique_value_globally */
	bool v0;		   /* conditions: v0 */
};

struct nctx {
	const struct nctx *up;
	const char *key; /* NULL for the root */
	int line;	 /* 0-based line of the key, -1 when unknown */
	struct val *v;	 /* the node (set while validating) */
	bool seq;	 /* the node is a seq */
	/*
	 * The key an any detected its schema by (deploy: "provider"):
	 * messages on maps below add that key's value to their arguments.
	 */
	const char *detected;
};

/* travis-yml's value types: a {secure: ...} map is a secure. */
enum vtype { VT_NONE, VT_BOOL, VT_NUM, VT_STR, VT_SECURE, VT_SEQ, VT_MAP };

enum vtype norm_vtype(const struct val *v);
const char *norm_vtype_name(enum vtype t);
const char *norm_schema_type_name(const struct schema *s);
/* given?: not null, not empty (false is given). */
bool norm_given(const struct val *v);
/* missing?: null or an empty map. */
bool norm_missing(const struct val *v);
bool norm_is_scalar(const struct val *v); /* str, num, bool, null */
/* The schema accepts the value's type (Schema#is?). */
bool norm_schema_is(const struct schema *s, enum vtype t);
/* Schema#matches? */
bool norm_matches(const struct schema *s, const struct val *v);
bool norm_custom_key(const char *key);
bool norm_formatted(const struct schema *s, const char *str);

/* A child context. */
static inline struct nctx nctx_child(const struct nctx *up, const char *key,
				     int line, struct val *v)
{
	struct nctx c = { .up = up,
			  .key = key,
			  .line = line,
			  .v = v,
			  .detected = up ? up->detected : NULL };

	return c;
}

/* The context of a seq's items (they carry the seq's key and line). */
static inline struct nctx nctx_item(const struct nctx *seq, struct val *v)
{
	struct nctx c = { .up = seq,
			  .key = seq->key,
			  .line = seq->line,
			  .v = v,
			  .detected = seq->detected };

	return c;
}

/*
 * Record a message on the node of `c` (holding `on`: a secure value adds
 * ".secure" to the key).  `line` < 0 uses the line of c's key.  The rest
 * are (name, struct val *) argument pairs ending in NULL.
 */
void norm_msg(struct norm *n, const struct nctx *c, const struct val *on,
	      enum msg_level level, const char *code, int line, ...) SENTINEL;

/* The dotted key of the node of `c` ("root" for the root). */
char *norm_full_key(const struct nctx *c, bool secure);

/* The fuzzy match of `str` among `strs` (travis-yml's Match), or NULL. */
const char *norm_match(const char *const *strs, size_t n, const char *str,
		       bool stop);
/* Cast a scalar to `type` (Doc::Cast); NULL when nothing changes. */
struct val *norm_cast(const struct val *v, enum schema_type type);
/* Ruby's Float#to_s for a float parsed from `s`. */
char *norm_float_text(double d);

struct val *norm_change(struct norm *n, const struct schema *s, struct val *v,
			const struct nctx *c);
/* The keys of the map `v`: fixed, matched, reordered (norm_key.c). */
struct val *norm_keys(struct norm *n, const struct schema *s, struct val *v,
		      const struct nctx *c);
/* Append (key, line, v) to `map`, or replace the value of `key`. */
void norm_map_put(struct val *map, const char *key, int line, struct val *v);
/* Detach pair i of `map`; the caller owns key and value. */
struct val_pair norm_map_take_at(struct val *map, size_t i);
struct val *norm_validate(struct norm *n, const struct schema *s, struct val *v,
			  const struct nctx *c);

/*
 * Select: the schemas of an any that apply to `v`.  *detected is set
 * when the any picked one by its detect key.
 */
size_t norm_select(const struct schema *s, const struct val *v,
		   const struct schema **out, size_t max, bool *detected);

#endif
