/*
 * schema.c: builds the schema graph from the text in schema_def.c (the
 * language is described in schema.h), resolves references the way
 * travis-yml's schema factory does, and precomputes what the normaliser
 * looks up per node: key and value tables, aliases, defaults.
 *
 * Everything built here lives until the process ends.
 */
#include "compat.h"

#include <pthread.h>

#include "error.h"
#include "regex.h"
#include "schema.h"
#include "xalloc.h"

/* --- a string hash table (open addressing, built once) --- */

struct schema_tab {
	const char **keys;
	uint32_t *hashes;
	int *vals;
	size_t size; /* a power of two */
	size_t n;
};

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static struct schema_tab *tab_new(size_t want)
{
	struct schema_tab *t = xcalloc(1, sizeof(*t));

	t->size = 8;
	while (t->size < want * 2)
		t->size *= 2;
	t->keys = xcalloc(t->size, sizeof(*t->keys));
	t->hashes = xcalloc(t->size, sizeof(*t->hashes));
	t->vals = xcalloc(t->size, sizeof(*t->vals));
	return t;
}

/* Set key to val; a later set of the same key wins. */
static void tab_set(struct schema_tab *t, const char *key, int val)
{
	uint32_t h = str_hash(key);
	size_t i = h & (t->size - 1);

	while (t->keys[i] && (t->hashes[i] != h || strcmp(t->keys[i], key)))
		i = (i + 1) & (t->size - 1);
	if (!t->keys[i]) {
		if ((t->n + 1) * 2 > t->size)
			BUG("schema table too small");
		t->keys[i] = key;
		t->hashes[i] = h;
		t->n++;
	}
	t->vals[i] = val;
}

static int tab_get(const struct schema_tab *t, const char *key)
{
	size_t i;
	uint32_t h;

	if (!t)
		return -1;
	h = str_hash(key);
	i = h & (t->size - 1);
	while (t->keys[i]) {
		if (t->hashes[i] == h && !strcmp(t->keys[i], key))
			return t->vals[i];
		i = (i + 1) & (t->size - 1);
	}
	return -1;
}

/* --- string lists --- */

static void strs_push(struct schema_strs *l, const char *s)
{
	l->v = xrealloc(l->v, st_mult(l->n + 1, sizeof(*l->v)));
	l->v[l->n++] = s;
}

static bool strs_has(const struct schema_strs *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

static void strs_add_uniq(struct schema_strs *l, const char *s)
{
	if (!strs_has(l, s))
		strs_push(l, s);
}

/* --- the parser --- */

/* Options given on a node line (a reference copies only these). */
enum {
	OPT_NORMAL = 1u << 0,
	OPT_FLAGS = 1u << 1,
	OPT_STRICT = 1u << 2,
	OPT_ALIASES = 1u << 3,
	OPT_ONLY = 1u << 4,
	OPT_EXCEPT = 1u << 5,
	OPT_DEPRECATED = 1u << 6,
	OPT_REQUIRED = 1u << 7,
	OPT_DOWNCASE = 1u << 8,
	OPT_IGNORE_CASE = 1u << 9,
	OPT_FORMAT = 1u << 10,
	OPT_VARS = 1u << 11,
	OPT_DETECT = 1u << 12,
	OPT_MAX_SIZE = 1u << 13,
	OPT_PREFIX = 1u << 14,
	OPT_CHANGES = 1u << 15,
	OPT_DEFAULTS = 1u << 16,
	OPT_EXPAND_KEYS = 1u << 17,
};

struct pnode {
	struct schema s;
	const char *ref; /* @NAME, before resolution */
	unsigned set;	 /* OPT_* given on the line */
};

struct def {
	const char *name;
	struct pnode *raw;
	struct schema *built;
	bool building;
};

struct parser {
	char **lines;
	int *depth;
	size_t n, i;
	struct def *defs;
	size_t ndefs;
	struct schema_strs expand;
};

static _Noreturn void syntax(const struct parser *p, const char *what)
{
	BUG("schema_def line %zu: %s", p->i + 1, what);
}

/*
 * Next token of *pp, NUL-terminated in place (quotes are kept: lit()
 * removes them).  Returns NULL at the end of the line.
 */
static char *next_token(char **pp)
{
	char *p = *pp, *tok;
	bool quoted = false;

	while (*p == ' ')
		p++;
	if (!*p)
		return NULL;
	tok = p;
	for (; *p; p++) {
		if (quoted && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ' ')
			break;
	}
	if (*p)
		*p++ = '\0';
	*pp = p;
	return tok;
}

/* A copy of `len` bytes of `s` without its quotes and escapes. */
static const char *lit(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	bool quoted = false;

	for (size_t i = 0; i < len; i++) {
		if (quoted && s[i] == '\\' && i + 1 < len)
			*o++ = s[++i];
		else if (s[i] == '"')
			quoted = !quoted;
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* Where the first unquoted `sep` is in s (or the end). */
static const char *unquoted(const char *s, char sep)
{
	bool quoted = false;

	for (; *s; s++) {
		if (quoted && *s == '\\' && s[1])
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == sep)
			break;
	}
	return s;
}

/* Split at unquoted `sep` into a list of literals. */
static void split_into(struct schema_strs *l, const char *s, char sep)
{
	for (;;) {
		const char *e = unquoted(s, sep);

		strs_push(l, lit(s, (size_t)(e - s)));
		if (!*e)
			break;
		s = e + 1;
	}
}

/* only=language:a|b;os:c */
static void parse_cond(struct schema_cond *c, const char *s)
{
	size_t n = 1;

	for (const char *p = unquoted(s, ';'); *p; p = unquoted(p + 1, ';'))
		n++;
	c->n = n;
	c->keys = xcalloc(n, sizeof(*c->keys));
	c->values = xcalloc(n, sizeof(*c->values));
	for (size_t i = 0; i < n; i++) {
		const char *e = unquoted(s, ';');
		const char *colon = unquoted(s, ':');
		char *part;

		if (colon > e)
			BUG("schema_def: bad condition '%s'", s);
		c->keys[i] = lit(s, (size_t)(colon - s));
		part = xmemdupz(colon + 1, (size_t)(e - colon - 1));
		split_into(&c->values[i], part, '|');
		free(part);
		s = *e ? e + 1 : e;
	}
}

static const struct {
	const char *name;
	unsigned flag;
} flag_names[] = {
	{ "expand", SCHEMA_EXPAND },
	{ "internal", SCHEMA_INTERNAL },
	{ "edge", SCHEMA_EDGE },
	{ "unique", SCHEMA_UNIQUE },
	{ "unique_globally", SCHEMA_UNIQUE_GLOBALLY },
};

static bool parse_flag(const char *tok, unsigned *flags)
{
	for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++) {
		if (!strcmp(tok, flag_names[i].name)) {
			*flags |= flag_names[i].flag;
			return true;
		}
	}
	return false;
}

static void parse_change(struct pnode *n, const char *v)
{
	n->set |= OPT_CHANGES;
	if (!strcmp(v, "cache")) {
		n->s.changes |= SCHEMA_CH_CACHE;
	} else if (!strcmp(v, "env_vars")) {
		n->s.changes |= SCHEMA_CH_ENV_VARS;
	} else if (!strcmp(v, "enable")) {
		n->s.changes |= SCHEMA_CH_ENABLE;
	} else if (!strncmp(v, "inherit:", 8)) {
		n->s.changes |= SCHEMA_CH_INHERIT;
		split_into(&n->s.inherit, v + 8, ',');
	} else {
		BUG("schema_def: unknown change '%s'", v);
	}
}

/* One option token of a node line. */
static void parse_opt(const struct parser *p, struct pnode *n, char *tok)
{
	struct schema *s = &n->s;
	char *eq = strchr(tok, '=');
	const char *v;

	if (!eq) {
		if (!strcmp(tok, "normal")) {
			s->flags |= SCHEMA_NORMAL;
			n->set |= OPT_NORMAL;
		} else if (!strcmp(tok, "strict") || !strcmp(tok, "nostrict")) {
			s->strict = tok[0] == 's';
			n->set |= OPT_STRICT;
		} else if (!strcmp(tok, "downcase")) {
			s->flags |= SCHEMA_DOWNCASE;
			n->set |= OPT_DOWNCASE;
		} else if (!strcmp(tok, "ignore_case")) {
			s->flags |= SCHEMA_IGNORE_CASE;
			n->set |= OPT_IGNORE_CASE;
		} else if (parse_flag(tok, &s->flags)) {
			n->set |= OPT_FLAGS;
		} else {
			syntax(p, tok);
		}
		return;
	}
	*eq = '\0';
	v = eq + 1;
	if (!strcmp(tok, "alias")) {
		split_into(&s->aliases, v, ',');
		n->set |= OPT_ALIASES;
	} else if (!strcmp(tok, "only")) {
		parse_cond(&s->only, v);
		n->set |= OPT_ONLY;
	} else if (!strcmp(tok, "except")) {
		parse_cond(&s->except, v);
		n->set |= OPT_EXCEPT;
	} else if (!strcmp(tok, "deprecated")) {
		s->deprecated = lit(v, strlen(v));
		n->set |= OPT_DEPRECATED;
	} else if (!strcmp(tok, "required")) {
		split_into(&s->required, v, ',');
		n->set |= OPT_REQUIRED;
	} else if (!strcmp(tok, "format")) {
		s->format = lit(v, strlen(v));
		n->set |= OPT_FORMAT;
	} else if (!strcmp(tok, "vars")) {
		split_into(&s->vars, v, ',');
		n->set |= OPT_VARS;
	} else if (!strcmp(tok, "detect")) {
		s->detect = lit(v, strlen(v));
		n->set |= OPT_DETECT;
	} else if (!strcmp(tok, "max_size")) {
		s->max_size = (int)strtol(v, NULL, 10);
		n->set |= OPT_MAX_SIZE;
	} else if (!strcmp(tok, "prefix")) {
		const char *colon = unquoted(v, ':');

		s->prefix = lit(v, (size_t)(colon - v));
		if (*colon && !strcmp(colon + 1, "str"))
			s->prefix_only = SCHEMA_PREFIX_STR;
		else if (*colon)
			syntax(p, "prefix type");
		n->set |= OPT_PREFIX;
	} else if (!strcmp(tok, "change")) {
		parse_change(n, v);
	} else if (!strcmp(tok, "expand")) {
		n->set |= OPT_EXPAND_KEYS;
	} else {
		syntax(p, tok);
	}
}

static void value_opts(const struct parser *p, struct schema_value *val,
		       char *rest)
{
	char *tok;

	while ((tok = next_token(&rest))) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			if (!parse_flag(tok, &val->flags))
				syntax(p, tok);
			continue;
		}
		*eq = '\0';
		if (!strcmp(tok, "alias"))
			split_into(&val->aliases, eq + 1, ',');
		else if (!strcmp(tok, "only"))
			parse_cond(&val->only, eq + 1);
		else if (!strcmp(tok, "except"))
			parse_cond(&val->except, eq + 1);
		else if (!strcmp(tok, "deprecated"))
			val->deprecated = lit(eq + 1, strlen(eq + 1));
		else
			syntax(p, tok);
	}
}

static void add_value(const struct parser *p, struct pnode *n, char *rest)
{
	struct schema *s = &n->s;
	struct schema_value *val;
	char *tok = next_token(&rest);

	if (!tok)
		syntax(p, "value expected");
	s->values = xrealloc(s->values, st_mult(s->nvalues + 1, sizeof(*val)));
	val = &s->values[s->nvalues++];
	memset(val, 0, sizeof(*val));
	val->str = lit(tok, strlen(tok));
	if (s->type == SCHEMA_BOOL) {
		val->is_bool = true;
		val->b = !strcmp(tok, "true");
	}
	value_opts(p, val, rest);
}

static void add_default(const struct parser *p, struct pnode *n, char *rest)
{
	struct schema *s = &n->s;
	struct schema_default *d;
	char *tok = next_token(&rest);

	if (!tok)
		syntax(p, "default value expected");
	s->defaults =
		xrealloc(s->defaults, st_mult(s->ndefaults + 1, sizeof(*d)));
	d = &s->defaults[s->ndefaults++];
	memset(d, 0, sizeof(*d));
	d->value = lit(tok, strlen(tok));
	n->set |= OPT_DEFAULTS;
	while ((tok = next_token(&rest))) {
		char *eq = strchr(tok, '=');

		if (!eq)
			syntax(p, tok);
		*eq = '\0';
		if (!strcmp(tok, "only"))
			parse_cond(&d->only, eq + 1);
		else if (!strcmp(tok, "except"))
			parse_cond(&d->except, eq + 1);
		else
			syntax(p, tok);
	}
}

static const struct {
	const char *name;
	enum schema_type type;
} type_names[] = {
	{ "map", SCHEMA_MAP },	     { "seq", SCHEMA_SEQ },
	{ "any", SCHEMA_ANY },	     { "str", SCHEMA_STR },
	{ "num", SCHEMA_NUM },	     { "bool", SCHEMA_BOOL },
	{ "secure", SCHEMA_SECURE },
};

static struct pnode *parse_node(struct parser *p, int depth);

static void parse_children(struct parser *p, struct pnode *n, int depth)
{
	struct schema *s = &n->s;

	while (p->i < p->n && p->depth[p->i] == depth + 1) {
		char *line = p->lines[p->i];
		struct pnode *child;

		if (line[0] == '=' && line[1] == ' ') {
			p->i++;
			add_value(p, n, line + 2);
			continue;
		}
		if (!strncmp(line, "default ", 8)) {
			p->i++;
			add_default(p, n, line + 8);
			continue;
		}
		child = parse_node(p, depth + 1);
		if (s->type == SCHEMA_SEQ) {
			if (s->items)
				syntax(p, "a seq has one item schema");
			s->items = (struct schema *)child;
		} else if (s->type == SCHEMA_ANY) {
			s->anys = xrealloc(s->anys, st_mult(s->nanys + 1,
							    sizeof(*s->anys)));
			s->anys[s->nanys++] = (struct schema *)child;
		} else if (s->type != SCHEMA_MAP) {
			syntax(p, "children on a scalar");
		}
	}
}

/* Parse the node on line p->i (at `depth`) and its children. */
static struct pnode *parse_node(struct parser *p, int depth)
{
	struct pnode *n = xcalloc(1, sizeof(*n));
	char *rest = p->lines[p->i], *tok, *key = NULL;
	bool found = false;

	n->s.strict = -1;
	if (p->depth[p->i] != depth)
		syntax(p, "bad indentation");
	tok = next_token(&rest);
	if (tok && tok[0] && tok[strlen(tok) - 1] == ':' && tok[0] != '@') {
		tok[strlen(tok) - 1] = '\0';
		key = tok;
		tok = next_token(&rest);
	}
	if (!tok)
		syntax(p, "type expected");
	if (tok[0] == '@') {
		n->ref = xstrdup(tok + 1);
		found = true;
	}
	for (size_t i = 0; !found && i < ARRAY_SIZE(type_names); i++) {
		if (!strcmp(tok, type_names[i].name)) {
			n->s.type = type_names[i].type;
			found = true;
		}
	}
	if (!found)
		syntax(p, tok);
	while ((tok = next_token(&rest))) {
		if (!strncmp(tok, "expand=", 7))
			split_into(&p->expand, tok + 7, ',');
		parse_opt(p, n, tok);
	}
	/* The key is kept in `name` until the parent map takes it. */
	n->s.name = key ? lit(key, strlen(key)) : NULL;
	p->i++;
	if (n->ref) {
		/* A reference may carry defaults, nothing else. */
		while (p->i < p->n && p->depth[p->i] == depth + 1 &&
		       !strncmp(p->lines[p->i], "default ", 8)) {
			char *line = p->lines[p->i++];

			add_default(p, n, line + 8);
		}
		return n;
	}
	if (n->s.type == SCHEMA_MAP) {
		/* Map children are KEY: NODE lines. */
		while (p->i < p->n && p->depth[p->i] == depth + 1) {
			struct pnode *child;
			struct schema *s = &n->s;

			if (!strncmp(p->lines[p->i], "= ", 2) ||
			    !strncmp(p->lines[p->i], "default ", 8)) {
				parse_children(p, n, depth);
				continue;
			}
			child = parse_node(p, depth + 1);
			if (!child->s.name)
				syntax(p, "map child without a key");
			if (!strcmp(child->s.name, "*")) {
				s->pattern = (struct schema *)child;
				free((char *)child->s.name);
			} else {
				s->props = xrealloc(s->props,
						    st_mult(s->nprops + 1,
							    sizeof(*s->props)));
				s->props[s->nprops].key = child->s.name;
				s->props[s->nprops].node =
					(struct schema *)child;
				s->nprops++;
			}
			child->s.name = NULL;
		}
		return n;
	}
	parse_children(p, n, depth);
	return n;
}

static void parse_all(struct parser *p, char *text)
{
	char *line = text;

	while (*line) {
		char *nl = strchr(line, '\n');
		int sp = 0;

		if (nl)
			*nl = '\0';
		while (line[sp] == ' ')
			sp++;
		if (line[sp] && line[sp] != '#') {
			p->lines = xrealloc(
				p->lines, st_mult(p->n + 1, sizeof(*p->lines)));
			p->depth = xrealloc(
				p->depth, st_mult(p->n + 1, sizeof(*p->depth)));
			if (sp % 2)
				BUG("schema_def: odd indentation at '%s'",
				    line);
			p->lines[p->n] = line + sp;
			p->depth[p->n] = sp / 2;
			p->n++;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	while (p->i < p->n) {
		struct def *d;

		if (p->depth[p->i] || strncmp(p->lines[p->i], "def ", 4))
			syntax(p, "def expected");
		p->defs = xrealloc(p->defs,
				   st_mult(p->ndefs + 1, sizeof(*p->defs)));
		d = &p->defs[p->ndefs++];
		memset(d, 0, sizeof(*d));
		d->name = xstrdup(p->lines[p->i] + 4);
		p->i++;
		d->raw = parse_node(p, 1);
	}
}

/* --- references --- */

static struct parser *the_parser;

static struct schema *build(struct pnode *n);

static struct def *def_find(const char *name)
{
	for (size_t i = 0; i < the_parser->ndefs; i++)
		if (!strcmp(the_parser->defs[i].name, name))
			return &the_parser->defs[i];
	return NULL;
}

static struct schema *def_build(struct def *d)
{
	if (d->built)
		return d->built;
	if (d->building)
		BUG("schema_def: '%s' refers to itself", d->name);
	d->building = true;
	d->built = build(d->raw);
	d->raw = NULL;
	d->built->name = d->name;
	d->building = false;
	return d->built;
}

static struct schema *copy_node(const struct schema *s)
{
	struct schema *c = xmalloc(sizeof(*c));

	*c = *s;
	return c;
}

/*
 * travis-yml pushes `defaults` and `strict` of a seq or any down to its
 * children (a child's own setting wins).
 */
static void push_down(struct schema *s)
{
	struct schema **kids;
	size_t n;

	if (s->type != SCHEMA_SEQ && s->type != SCHEMA_ANY)
		return;
	if (!s->ndefaults && s->strict < 0)
		return;
	if (s->type == SCHEMA_SEQ) {
		if (!s->items)
			return;
		kids = &s->items;
		n = 1;
	} else {
		kids = xmalloc(st_mult(s->nanys ? s->nanys : 1, sizeof(*kids)));
		memcpy(kids, s->anys, s->nanys * sizeof(*kids));
		s->anys = kids;
		n = s->nanys;
	}
	for (size_t i = 0; i < n; i++) {
		struct schema *c = copy_node(kids[i]);

		if (!c->ndefaults && s->ndefaults) {
			c->defaults = s->defaults;
			c->ndefaults = s->ndefaults;
		}
		if (c->strict < 0)
			c->strict = s->strict;
		push_down(c);
		kids[i] = c;
	}
}

/* A reference: a copy of the definition with the line's options. */
static struct schema *build_ref(struct pnode *n)
{
	struct def *d = def_find(n->ref);
	struct schema *c, *o = &n->s;

	if (!d)
		BUG("schema_def: unknown definition '%s'", n->ref);
	c = copy_node(def_build(d));
	if (n->set & OPT_NORMAL)
		c->flags = (c->flags & ~SCHEMA_NORMAL) | SCHEMA_NORMAL;
	if (n->set & OPT_FLAGS)
		c->flags = (c->flags & ~SCHEMA_FLAG_MASK) |
			   (o->flags & SCHEMA_FLAG_MASK);
	if (n->set & OPT_DOWNCASE)
		c->flags |= SCHEMA_DOWNCASE;
	if (n->set & OPT_IGNORE_CASE)
		c->flags |= SCHEMA_IGNORE_CASE;
	if (n->set & OPT_STRICT)
		c->strict = o->strict;
	if (n->set & OPT_ALIASES)
		c->aliases = o->aliases;
	if (n->set & OPT_ONLY)
		c->only = o->only;
	if (n->set & OPT_EXCEPT)
		c->except = o->except;
	if (n->set & OPT_DEPRECATED)
		c->deprecated = o->deprecated;
	if (n->set & OPT_REQUIRED)
		c->required = o->required;
	if (n->set & OPT_FORMAT)
		c->format = o->format;
	if (n->set & OPT_VARS)
		c->vars = o->vars;
	if (n->set & OPT_DETECT)
		c->detect = o->detect;
	if (n->set & OPT_MAX_SIZE)
		c->max_size = o->max_size;
	if (n->set & OPT_PREFIX) {
		c->prefix = o->prefix;
		c->prefix_only = o->prefix_only;
	}
	if (n->set & OPT_CHANGES) {
		c->changes = o->changes;
		c->inherit = o->inherit;
	}
	if (n->set & OPT_DEFAULTS) {
		c->defaults = o->defaults;
		c->ndefaults = o->ndefaults;
	}
	c->derived = false;
	push_down(c);
	return c;
}

static struct schema *build(struct pnode *n)
{
	struct schema *s;

	if (n->ref) {
		/* The copy took what it needs of the line's options. */
		s = build_ref(n);
		free((char *)n->ref);
		free(n);
		return s;
	}
	s = &n->s;
	for (size_t i = 0; i < s->nprops; i++)
		s->props[i].node = build((struct pnode *)s->props[i].node);
	if (s->pattern)
		s->pattern = build((struct pnode *)s->pattern);
	if (s->items)
		s->items = build((struct pnode *)s->items);
	for (size_t i = 0; i < s->nanys; i++)
		s->anys[i] = build((struct pnode *)s->anys[i]);
	/* Maps always know whether they are strict. */
	if (s->type == SCHEMA_MAP && s->strict < 0)
		s->strict = 0;
	return s;
}

/* --- derived data --- */

static const char *const r_keys[] = {
	"r_packages",
	"r_binary_packages",
	"r_github_packages",
	"apt_packages",
	"bioc_packages",
	"brew_packages",
	"bioc",
	"bioc_check",
	"bioc_required",
	"bioc_use_devel",
	"cran",
	"disable_homebrew",
	"latex",
	"pandoc",
	"pandoc_version",
	"r_build_args",
	"r_check_args",
	"r_check_revdep",
	"warnings_are_errors",
	"remotes",
	"repos",
};

/* Words never corrected to a key, before the schema's own keys. */
static const char *const stop_from[] = {
	"after_vendor", "branch",	"branches", "erlang", "gcc",
	"golang",	"html",		"jvm",	    "nvm",    "osx",
	"pip",		"pgsql",	"postgres", "prose",  "sdk",
	"slack",	"start_script", "test",	    "trusty", "versions",
	"vimscript",
};

bool schema_r_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(r_keys); i++)
		if (!strcmp(r_keys[i], key))
			return true;
	return false;
}

static void derive(struct schema *s);

static void derive_map(struct schema *s)
{
	struct schema_strs alias_keys = { 0 };

	s->prop_tab = tab_new(s->nprops);
	for (size_t i = 0; i < s->nprops; i++) {
		struct schema *c = s->props[i].node;

		tab_set(s->prop_tab, s->props[i].key, (int)i);
		for (size_t j = 0; j < c->all_aliases.n; j++)
			strs_add_uniq(&alias_keys, c->all_aliases.v[j]);
		if (c->has_default)
			strs_push(&s->default_keys, s->props[i].key);
		if (c->flags & SCHEMA_UNIQUE)
			strs_push(&s->unique_keys, s->props[i].key);
		if (c->type == SCHEMA_BOOL && strcmp(s->props[i].key, "edge"))
			strs_push(&s->bool_keys, s->props[i].key);
		if (!schema_r_key(s->props[i].key))
			strs_push(&s->known, s->props[i].key);
	}
	s->alias_tab = tab_new(alias_keys.n);
	for (size_t i = 0; i < s->nprops; i++) {
		struct schema *c = s->props[i].node;

		for (size_t j = 0; j < c->all_aliases.n; j++)
			tab_set(s->alias_tab, c->all_aliases.v[j], (int)i);
	}
	for (size_t i = 0; i < alias_keys.n; i++)
		if (!schema_r_key(alias_keys.v[i]))
			strs_push(&s->known, alias_keys.v[i]);
	free(alias_keys.v);
}

static void derive(struct schema *s)
{
	if (s->derived)
		return;
	s->derived = true;
	for (size_t i = 0; i < s->nprops; i++)
		derive(s->props[i].node);
	if (s->pattern)
		derive(s->pattern);
	if (s->items)
		derive(s->items);
	for (size_t i = 0; i < s->nanys; i++)
		derive(s->anys[i]);

	for (size_t i = 0; i < s->aliases.n; i++)
		strs_push(&s->all_aliases, s->aliases.v[i]);
	switch (s->type) {
	case SCHEMA_STR:
	case SCHEMA_NUM:
	case SCHEMA_BOOL:
	case SCHEMA_SECURE:
		s->has_default = s->ndefaults > 0;
		break;
	case SCHEMA_SEQ:
		s->has_default = s->items && s->items->has_default;
		if (s->items)
			for (size_t i = 0; i < s->items->all_aliases.n; i++)
				strs_push(&s->all_aliases,
					  s->items->all_aliases.v[i]);
		break;
	case SCHEMA_ANY:
		s->has_default = s->ndefaults > 0;
		for (size_t i = 0; i < s->nanys; i++) {
			if (s->anys[i]->has_default)
				s->has_default = true;
			for (size_t j = 0; j < s->anys[i]->all_aliases.n; j++)
				strs_push(&s->all_aliases,
					  s->anys[i]->all_aliases.v[j]);
		}
		break;
	case SCHEMA_MAP:
		s->has_default = false;
		derive_map(s);
		break;
	}
	if (s->nvalues) {
		size_t n = 0;

		for (size_t i = 0; i < s->nvalues; i++)
			n += s->values[i].aliases.n;
		s->value_alias_tab = tab_new(n);
		for (size_t i = 0; i < s->nvalues; i++)
			for (size_t j = 0; j < s->values[i].aliases.n; j++)
				tab_set(s->value_alias_tab,
					s->values[i].aliases.v[j], (int)i);
	}
	if (s->format) {
		int err = regex_compile(&s->re, s->format, 0);

		if (err < 0)
			BUG("schema_def: %s", err_msg());
	}
}

/* travis-yml's all_keys: every key of every map below `s`. */
static void all_keys(struct schema *s, struct schema_strs *out)
{
	if (s->mark)
		return;
	s->mark = 1;
	for (size_t i = 0; i < s->nprops; i++) {
		strs_push(out, s->props[i].key);
		all_keys(s->props[i].node, out);
	}
	if (s->items)
		all_keys(s->items, out);
	for (size_t i = 0; i < s->nanys; i++)
		all_keys(s->anys[i], out);
}

static struct schema *the_root;
static struct schema_tab *stop_tab, *typo_tab;
static struct schema_strs typo_values;

static void build_typos(void)
{
	char *text = xstrdup(schema_typos), *line = text;
	size_t n = 0;

	for (const char *c = schema_typos; *c; c++)
		n += *c == '\n';
	typo_tab = tab_new(n + 1);
	while (*line) {
		char *nl = strchr(line, '\n'), *sp;

		if (nl)
			*nl = '\0';
		sp = strrchr(line, ' ');
		if (sp) {
			*sp = '\0';
			strs_push(&typo_values, sp + 1);
			tab_set(typo_tab, line, (int)typo_values.n - 1);
		}
		if (!nl)
			break;
		line = nl + 1;
	}
}

static void build_stop(void)
{
	struct schema_strs keys = { 0 };

	all_keys(the_root, &keys);
	stop_tab = tab_new(keys.n + ARRAY_SIZE(stop_from));
	for (size_t i = 0; i < ARRAY_SIZE(stop_from); i++)
		tab_set(stop_tab, stop_from[i], 1);
	for (size_t i = 0; i < keys.n; i++)
		if (!schema_r_key(keys.v[i]))
			tab_set(stop_tab, keys.v[i], 1);
	free(keys.v);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void schema_init(void)
{
	static struct parser p;
	struct def *root;

	the_parser = &p;
	parse_all(&p, xstrdup(schema_def));
	for (size_t i = 0; i < p.ndefs; i++)
		def_build(&p.defs[i]);
	for (size_t i = 0; i < p.ndefs; i++)
		derive(p.defs[i].built);
	root = def_find("root");
	if (!root)
		BUG("schema_def: no root");
	the_root = root->built;
	build_stop();
	build_typos();
}

const struct schema *schema_root(void)
{
	pthread_once(&once, schema_init);
	return the_root;
}

const struct schema *schema_def_get(const char *name)
{
	struct def *d;

	schema_root();
	d = def_find(name);
	return d ? d->built : NULL;
}

const struct schema_strs *schema_expand_keys(void)
{
	schema_root();
	return &the_parser->expand;
}

const struct schema *schema_child(const struct schema *map, const char *key)
{
	int i = tab_get(map->prop_tab, key);

	return i < 0 ? NULL : map->props[i].node;
}

const char *schema_key_alias(const struct schema *map, const char *alias)
{
	int i = tab_get(map->alias_tab, alias);

	return i < 0 ? NULL : map->props[i].key;
}

const struct schema_value *schema_value_alias(const struct schema *s,
					      const char *alias)
{
	int i = tab_get(s->value_alias_tab, alias);

	return i < 0 ? NULL : &s->values[i];
}

const struct schema_value *schema_value_find(const struct schema *s,
					     const char *str, bool icase)
{
	for (size_t i = 0; i < s->nvalues; i++) {
		const struct schema_value *v = &s->values[i];

		if (v->is_bool)
			continue;
		if (icase ? !strcasecmp(v->str, str) : !strcmp(v->str, str))
			return v;
	}
	return NULL;
}

bool schema_strict(const struct schema *s)
{
	return s->strict != 0;
}

bool schema_is_scalar(const struct schema *s)
{
	return s->type == SCHEMA_STR || s->type == SCHEMA_NUM ||
	       s->type == SCHEMA_BOOL;
}

bool schema_stop(const char *from, const char *to)
{
	schema_root();
	return tab_get(stop_tab, from) >= 0 || (to && !strcmp(to, "elm_test"));
}

const char *schema_typo(const char *key)
{
	int i;

	schema_root();
	i = tab_get(typo_tab, key);
	return i < 0 ? NULL : typo_values.v[i];
}
