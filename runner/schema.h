#ifndef FY_SCHEMA_H
#define FY_SCHEMA_H

#include "compat.h"

/*
 * schema: Travis's .travis.yml schema as a graph of nodes, built once (on
 * first use, thread safe) from the text in schema_def.c and never freed.
 * The normaliser (norm*.c) walks it; nodes are immutable.
 *
 * The schema language (one node per line, children indented by two
 * spaces more than their parent):
 *
 *   def NAME                 a named definition, referenced as @NAME
 *   [KEY:] TYPE OPTION...    a node; KEY names it inside a parent map
 *                            (`*` is the schema of keys matching the
 *                            map's format)
 *   = VALUE OPTION...        a known value of the scalar above (enum)
 *   default VALUE OPTION...  a default of the scalar above
 *
 * TYPE is map, seq, any, str, num, bool, secure, or @NAME: a copy of the
 * definition NAME with the options given here replacing its own (as a
 * JSON schema $ref with extra keys); `defaults` and `strict` given on a
 * reference to a seq or any are pushed down to its children.
 *
 * Options: normal (the node is a normal form of its parent any), strict
 * / nostrict (maps: unknown keys are not / are allowed; secures: plain
 * strings are / are not alerted on), expand, internal, edge, unique,
 * unique_globally (flags), downcase, ignore_case, alias=A,B,
 * only=KEY:V|V;KEY:V and except=... (the node or value applies only /
 * never for these language, os or dist values), deprecated="why",
 * required=K,K, format="regex", vars=V,V (template variables),
 * detect=KEY (pick a child map by the value of KEY), max_size=N,
 * prefix=KEY[:TYPE|TYPE] (a non-map value becomes {KEY: value}),
 * change=cache|env_vars|enable|inherit:K,K (special changes), expand=K,K
 * (the matrix keys, on the root).  A token may be quoted "like \"this\"".
 */

enum schema_type {
	SCHEMA_MAP,
	SCHEMA_SEQ,
	SCHEMA_ANY,
	SCHEMA_STR,
	SCHEMA_NUM,
	SCHEMA_BOOL,
	SCHEMA_SECURE,
};

/* Node flags. */
#define SCHEMA_NORMAL	       (1u << 0)
#define SCHEMA_EXPAND	       (1u << 1)
#define SCHEMA_INTERNAL	       (1u << 2)
#define SCHEMA_EDGE	       (1u << 3)
#define SCHEMA_UNIQUE	       (1u << 4)
#define SCHEMA_UNIQUE_GLOBALLY (1u << 5)
#define SCHEMA_DOWNCASE	       (1u << 6)
#define SCHEMA_IGNORE_CASE     (1u << 7)
#define SCHEMA_FLAG_MASK                                                 \
	(SCHEMA_EXPAND | SCHEMA_INTERNAL | SCHEMA_EDGE | SCHEMA_UNIQUE | \
	 SCHEMA_UNIQUE_GLOBALLY)

/* Special changes. */
#define SCHEMA_CH_CACHE	   (1u << 0)
#define SCHEMA_CH_ENV_VARS (1u << 1)
#define SCHEMA_CH_ENABLE   (1u << 2)
#define SCHEMA_CH_INHERIT  (1u << 3)

/* Types a prefix applies to (prefix=KEY:str). */
#define SCHEMA_PREFIX_STR (1u << 0)

/* A list of strings. */
struct schema_strs {
	const char **v;
	size_t n;
};

/* only/except: for each key (language, os, dist) the values it names. */
struct schema_cond {
	const char **keys;
	struct schema_strs *values;
	size_t n;
};

/* A known value of a scalar (a str, or a bool when `is_bool`). */
struct schema_value {
	const char *str;
	bool is_bool, b;
	struct schema_strs aliases;
	struct schema_cond only, except;
	const char *deprecated;
	unsigned flags;
};

struct schema_default {
	const char *value;
	struct schema_cond only, except;
};

struct schema_prop {
	const char *key;
	struct schema *node;
};

struct schema_tab; /* a string hash table (schema.c) */

struct schema {
	enum schema_type type;
	unsigned flags;
	signed char strict; /* -1: not given */
	const char *name;   /* the definition's name, or NULL */
	const char *deprecated;
	struct schema_strs aliases;
	struct schema_cond only, except;
	struct schema_strs required;
	const char *format;
	struct regex *re; /* compiled `format` */
	struct schema_strs vars;
	const char *detect;
	int max_size;
	const char *prefix;
	unsigned prefix_only;
	unsigned changes;
	struct schema_strs inherit;
	struct schema_value *values;
	size_t nvalues;
	struct schema_default *defaults;
	size_t ndefaults;

	/* Children. */
	struct schema_prop *props; /* map */
	size_t nprops;
	struct schema *pattern; /* map: the schema of other keys */
	struct schema *items;	/* seq */
	struct schema **anys;	/* any */
	size_t nanys;

	/* Derived once the graph is complete. */
	bool derived;
	unsigned char mark;		/* scratch while building */
	bool has_default;		/* travis-yml's default? */
	struct schema_strs all_aliases; /* own, plus children's (seq, any) */
	struct schema_tab *prop_tab;	/* key -> prop index */
	struct schema_tab *alias_tab;	/* alias -> prop index */
	struct schema_tab *value_alias_tab; /* alias -> value index */
	struct schema_strs known;	    /* keys and aliases (no R keys) */
	struct schema_strs default_keys;
	struct schema_strs unique_keys;
	struct schema_strs bool_keys; /* bool children but `edge` */
};

/* The root schema (builds the graph on first use; aborts on a bug). */
const struct schema *schema_root(void);
/* A definition by name ("type/env"), or NULL. */
const struct schema *schema_def_get(const char *name);

/* Map lookups; NULL / -1 when absent. */
const struct schema *schema_child(const struct schema *map, const char *key);
/* The key `alias` stands for in this map, or NULL. */
const char *schema_key_alias(const struct schema *map, const char *alias);
/* The value `alias` stands for, or NULL. */
const struct schema_value *schema_value_alias(const struct schema *s,
					      const char *alias);
/* The known value equal to `str` (case-insensitive if `icase`), or NULL. */
const struct schema_value *schema_value_find(const struct schema *s,
					     const char *str, bool icase);

bool schema_strict(const struct schema *s); /* travis-yml's strict? */
bool schema_is_scalar(const struct schema *s);

/* Keys travis-yml never suggests a fix for (`stop?`). */
bool schema_stop(const char *from, const char *to);
/* The correction of a misspelt key (keys.dict), or NULL. */
const char *schema_typo(const char *key);
/* R's root keys, left out of key suggestions. */
bool schema_r_key(const char *key);
/* The matrix expansion keys, in order (the root's expand=). */
const struct schema_strs *schema_expand_keys(void);

/* The schema text (schema_def.c). */
extern const char schema_def[];
extern const char schema_typos[];

#endif
