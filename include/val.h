#ifndef FY_VAL_H
#define FY_VAL_H

#include "compat.h"

/*
 * struct val: a YAML/JSON document tree.  Every parsed .travis.yml, every
 * normalised config, job and message argument, and every JSON document
 * ferry reads or writes is a val tree.
 *
 * Types follow travis-yml: str, num, bool, null, secure (an encrypted
 * string, `{secure: "..."}` in YAML), seq and map.  Maps keep their keys
 * in insertion order and hold each key once.  A num keeps its literal
 * text (`3`, `-1`, `1.5e3`) so nothing is lost on output.
 *
 * Positions: `line` and `col` are 0-based source positions (libyaml
 * marks), or -1 when the node was made by ferry.  A map key has its own
 * position in struct val_pair.  `src` indexes the source file table of
 * the load (0: the main file).
 *
 * Ownership: a tree owns all of its children and strings.  Functions that
 * take a `struct val *` to store (val_seq_push, val_map_set, ...) take
 * ownership of it; getters return borrowed pointers, valid until the tree
 * changes.  val_free(NULL) does nothing.
 */
enum val_type {
	VAL_NULL,
	VAL_BOOL,
	VAL_NUM,
	VAL_STR,
	VAL_SECURE,
	VAL_SEQ,
	VAL_MAP,
};

struct val;

struct val_pair {
	char *key;
	int line, col; /* position of the key */
	struct val *v;
};

struct val {
	enum val_type type;
	int line, col;
	int src;
	char *tag; /* YAML tag such as "!map+deep_merge", or NULL */
	union {
		bool b; /* VAL_BOOL */
		struct {
			char *s;
			size_t len;
		} str; /* VAL_STR, VAL_SECURE (ciphertext), VAL_NUM (literal) */
		struct {
			struct val **v;
			size_t n, alloc;
		} seq;
		struct {
			struct val_pair *v;
			size_t n, alloc;
		} map;
	};
};

/* Constructors; positions start at -1 (use val_at to set them). */
struct val *val_null(void);
struct val *val_bool(bool b);
struct val *val_num(const char *literal);
struct val *val_numi(long long n);
struct val *val_str(const char *s);
struct val *val_strn(const char *s, size_t len);
struct val *val_str_take(char *s); /* takes ownership of a malloc'd s */
struct val *val_strf(const char *fmt, ...) PRINTFLIKE(1, 2);
struct val *val_secure(const char *ciphertext);
struct val *val_seq(void);
struct val *val_map(void);
/* Set the position of `v` and return it. */
struct val *val_at(struct val *v, int line, int col);

void val_free(struct val *v);
struct val *val_dup(const struct val *v);
/* Replace the contents of `dst` with those of `src` (which is consumed). */
void val_replace(struct val *dst, struct val *src);

/* Queries. */
const char *val_type_name(enum val_type t);
static inline bool val_is(const struct val *v, enum val_type t)
{
	return v && v->type == t;
}
/* The string of a VAL_STR, or NULL for anything else. */
const char *val_strv(const struct val *v);
/* Scalar as text (str, num, secure, bool "true"/"false"); NULL otherwise. */
const char *val_text(const struct val *v);
bool val_is_scalar(const struct val *v);
/* Blank like Ruby's blank?: null, false, empty str/seq/map. */
bool val_blank(const struct val *v);
/* Deep equality; map key order is ignored. */
bool val_equal(const struct val *a, const struct val *b);
/* Number of nodes (for caps). */
size_t val_count(const struct val *v);

/* Sequences. */
void val_seq_push(struct val *seq, struct val *item);
void val_seq_insert(struct val *seq, size_t at, struct val *item);
/* Detach and return item `i` (the caller owns it). */
struct val *val_seq_take(struct val *seq, size_t i);
void val_seq_del(struct val *seq, size_t i);

/* Maps. */
struct val *val_map_get(const struct val *map, const char *key);
struct val_pair *val_map_pair(const struct val *map, const char *key);
ptrdiff_t val_map_index(const struct val *map, const char *key);
/* Set key to v: replaces the value in place if present, else appends. */
void val_map_set(struct val *map, const char *key, struct val *v);
void val_map_set_at(struct val *map, const char *key, int line, int col,
		    struct val *v);
void val_map_insert(struct val *map, size_t at, const char *key, struct val *v);
/* Detach the value of `key` and remove the key; NULL if absent. */
struct val *val_map_take(struct val *map, const char *key);
bool val_map_del(struct val *map, const char *key);
void val_map_del_at(struct val *map, size_t i);
/* Rename key `from` to `to` in place (replacing any existing `to`). */
void val_map_rename(struct val *map, size_t i, const char *to);

#define val_seq_foreach(seq, i, item)                                         \
	for (size_t i = 0; i < (seq)->seq.n && ((item) = (seq)->seq.v[i], 1); \
	     i++)

#endif
