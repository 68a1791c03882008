/*
 * cond_parse.c: the parser of Travis `if:` conditions, language v1.
 *
 * Travis's behaviour lives in the details of travis-conditions' v1
 * parser (a Ruby StringScanner walked by small rules), so each function
 * below follows one of its rules, quirks included:
 *
 *  - keywords, predicates and function names match as prefixes and
 *    case-insensitively: `nothing = x` reads as NOT `hing = x`;
 *  - a function name not followed by "(" is consumed, not put back:
 *    `environment = x` compares "ironment" with "x";
 *  - attribute names are lower case and need a boundary after them;
 *  - `IS` without a predicate leaves the term alone (and the condition
 *    then fails to parse);
 *  - whitespace around tokens is skipped even when the token is absent;
 *  - a regex advances the scan by its length in characters, not bytes,
 *    so a pattern with multibyte characters leaves bytes behind and the
 *    condition does not parse (as on Travis).
 */
#include "compat.h"

#include "buf.h"
#include "cond.h"
#include "cond_tree.h"
#include "error.h"
#include "xalloc.h"

/* Nesting of parentheses, NOT and calls; Ruby's own stack is the limit. */
#define COND_MAX_DEPTH 256
#define COND_MAX_LEN   (64 * 1024)

/* Parse state: the condition after line continuations are joined. */
struct cp {
	const char *src;
	size_t srclen;
	char *s;
	size_t len, pos;
	size_t *map; /* offset in `s` -> offset in `src` */
	struct cond *c;
	int depth;
	bool failed;
	int code; /* FY_EINVALID, or FY_EFAIL for upstream's internal errors */
};

enum cp_parens_mode {
	CPP_EXPR,
	CPP_LIST,
	CPP_LIST_NONEMPTY,
};

static struct cond_node *cp_expr(struct cp *p);
static struct cond_node *cp_oprd(struct cp *p);
static struct cond_node *cp_call(struct cp *p);
static bool cp_parens(struct cp *p, enum cp_parens_mode mode,
		      struct cond_node *holder, struct cond_node **out);

static const char *const cp_vars[] = {
	"type",	 "repo",   "head_repo",	  "os",	    "dist",
	"group", "sudo",   "language",	  "sender", "fork",
	"draft", "branch", "head_branch", "tag",    "commit_message",
};

static bool cp_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* Length of the UTF-8 character starting at `s` (input is valid UTF-8). */
static size_t cp_char_len(const char *s, size_t n)
{
	unsigned char c = (unsigned char)*s;
	size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

	return k > n ? n : k;
}

static bool cp_utf8_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80		   ? 1
			   : c >= 0xc2 && c < 0xe0 ? 2
			   : c >= 0xe0 && c < 0xf0 ? 3
			   : c >= 0xf0 && c < 0xf5 ? 4
						   : 0;

		if (!k || k > n - i)
			return false;
		for (size_t j = 1; j < k; j++)
			if (((unsigned char)s[i + j] & 0xc0) != 0x80)
				return false;
		if (k == 3 && ((c == 0xe0 && (unsigned char)s[i + 1] < 0xa0) ||
			       (c == 0xed && (unsigned char)s[i + 1] > 0x9f)))
			return false;
		if (k == 4 && ((c == 0xf0 && (unsigned char)s[i + 1] < 0x90) ||
			       (c == 0xf4 && (unsigned char)s[i + 1] > 0x8f)))
			return false;
		i += k;
	}
	return true;
}

/*
 * Record a parse error at the scan position, as "col N: ..." (or "line
 * L, col N: ..." when the condition spans lines), N counted in
 * characters of the condition as written.
 */
PRINTFLIKE(2, 3) static void cp_fail(struct cp *p, const char *fmt, ...)
{
	char msg[512];
	size_t at, line = 1, col = 1;
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	at = p->map[p->pos < p->len ? p->pos : p->len];
	for (size_t i = 0; i < at; i += cp_char_len(p->src + i, at - i)) {
		if (p->src[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	if (line > 1)
		err_set(FY_EINVALID, "line %zu, col %zu: %s", line, col, msg);
	else
		err_set(FY_EINVALID, "col %zu: %s", col, msg);
}

static struct cond_node *cp_node(struct cp *p, enum cond_kind kind)
{
	struct cond *c = p->c;
	struct cond_node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	XGROW(c->nodes, c->anodes, c->nnodes + 1);
	c->nodes[c->nnodes++] = n;
	return n;
}

static struct cond_node *cp_text_node(struct cp *p, enum cond_kind kind,
				      const char *s, size_t len)
{
	struct cond_node *n = cp_node(p, kind);

	n->str = xmemdupz(s, len);
	n->len = len;
	return n;
}

static struct cond_node *cp_binary(struct cp *p, enum cond_kind kind,
				   struct cond_node *lft, struct cond_node *rgt)
{
	struct cond_node *n = cp_node(p, kind);

	n->lft = lft;
	n->rgt = rgt;
	return n;
}

static void cp_push_item(struct cond_node *holder, struct cond_node *item)
{
	XGROW(holder->items, holder->aitems, holder->nitems + 1);
	holder->items[holder->nitems++] = item;
}

static bool cp_eos(const struct cp *p)
{
	return p->pos >= p->len;
}

static void cp_skip_space(struct cp *p)
{
	while (!cp_eos(p) && cp_is_space((unsigned char)p->s[p->pos]))
		p->pos++;
}

/* Scan `lit` exactly, or ignoring ASCII case when `icase`. */
static bool cp_scan_lit(struct cp *p, const char *lit, bool icase)
{
	size_t n = strlen(lit);

	if (p->len - p->pos < n)
		return false;
	if (icase ? strncasecmp(p->s + p->pos, lit, n)
		  : memcmp(p->s + p->pos, lit, n))
		return false;
	p->pos += n;
	return true;
}

static bool cp_scan(struct cp *p, const char *lit)
{
	return cp_scan_lit(p, lit, false);
}

static bool cp_scan_ci(struct cp *p, const char *lit)
{
	return cp_scan_lit(p, lit, true);
}

static bool cp_enter(struct cp *p)
{
	if (p->depth >= COND_MAX_DEPTH) {
		cp_fail(p, "condition nested too deeply");
		return false;
	}
	p->depth++;
	return true;
}

/* Boolean operators, each wrapped in whitespace. */
static bool cp_op_or(struct cp *p)
{
	bool found;

	cp_skip_space(p);
	found = cp_scan_ci(p, "or") || cp_scan(p, "||");
	cp_skip_space(p);
	return found;
}

static bool cp_op_and(struct cp *p)
{
	bool found;

	cp_skip_space(p);
	found = cp_scan_ci(p, "and") || cp_scan(p, "&&");
	cp_skip_space(p);
	return found;
}

/* An attribute name, lower case, followed by a boundary. */
static struct cond_node *cp_var(struct cp *p)
{
	size_t start = p->pos;
	const char *name = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cp_vars) && !name; i++)
		if (cp_scan(p, cp_vars[i]))
			name = cp_vars[i];
	if (!name)
		return NULL;
	if (cp_eos(p) || cp_is_space((unsigned char)p->s[p->pos]) ||
	    strchr(",=)|", p->s[p->pos]))
		return cp_text_node(p, CN_VAR, name, strlen(name));
	if ((unsigned char)p->s[p->pos] >= 0x80) {
		/*
		 * Upstream matches a regex against the next byte alone, which
		 * is not valid UTF-8 there, and Ruby raises an ArgumentError.
		 */
		cp_fail(p, "invalid byte sequence after '%s'", name);
		p->code = FY_EFAIL;
		return NULL;
	}
	p->pos = start;
	return NULL;
}

/* '...' or "...": no escapes; the quotes must be closed. */
static struct cond_node *cp_quoted(struct cp *p)
{
	size_t start;
	char q;

	if (cp_eos(p) || (p->s[p->pos] != '"' && p->s[p->pos] != '\''))
		return NULL;
	q = p->s[p->pos++];
	start = p->pos;
	while (!cp_eos(p) && p->s[p->pos] != q)
		p->pos++;
	if (cp_eos(p)) {
		cp_fail(p, "expected %s", q == '"' ? "'\"'" : "\"'\"");
		return NULL;
	}
	p->pos++;
	return cp_text_node(p, CN_VAL, p->s + start, p->pos - start - 1);
}

/* A bare word: anything but whitespace and ( ) " ' , = ! */
static struct cond_node *cp_word(struct cp *p)
{
	size_t start, end;

	cp_skip_space(p);
	start = p->pos;
	while (!cp_eos(p) && !cp_is_space((unsigned char)p->s[p->pos]) &&
	       !strchr("()\"',=!", p->s[p->pos]))
		p->pos++;
	end = p->pos;
	cp_skip_space(p);
	if (end == start)
		return NULL;
	if (p->s[start] == '$') {
		p->pos = start; /* point at the word */
		cp_fail(p, "strings cannot start with a dollar (shell code "
			   "does not work); quote the string to bypass this");
		return NULL;
	}
	return cp_text_node(p, CN_VAL, p->s + start, end - start);
}

static struct cond_node *cp_val(struct cp *p)
{
	struct cond_node *n = cp_quoted(p);

	if (n || p->failed)
		return n;
	return cp_word(p);
}

/* An attribute, a call or a value. */
static struct cond_node *cp_item(struct cp *p)
{
	struct cond_node *n = cp_var(p);

	if (!n && !p->failed)
		n = cp_call(p);
	if (!n && !p->failed)
		n = cp_val(p);
	return p->failed ? NULL : n;
}

static struct cond_node *cp_operand(struct cp *p)
{
	struct cond_node *n;

	cp_skip_space(p);
	n = cp_item(p);
	if (p->failed)
		return NULL;
	cp_skip_space(p);
	if (!n)
		cp_fail(p, "expected an operand");
	return n;
}

static bool cp_comma(struct cp *p)
{
	bool found;

	cp_skip_space(p);
	found = cp_scan(p, ",");
	cp_skip_space(p);
	return found;
}

/*
 * Comma-separated items into `holder`.  Upstream recurses once per item
 * and skips one more comma on the way back from each level, so up to as
 * many trailing commas as items are accepted.
 */
static void cp_list(struct cp *p, struct cond_node *holder)
{
	size_t found = 0;

	for (;;) {
		struct cond_node *item = cp_item(p);

		if (!item)
			break;
		cp_push_item(holder, item);
		found++;
		if (!cp_comma(p))
			break;
	}
	if (p->failed)
		return;
	while (found-- && cp_scan(p, ","))
		;
}

/* env(...) or concat(...), names in any case. */
static struct cond_node *cp_call(struct cp *p)
{
	struct cond_node *n = NULL;
	size_t start;

	cp_skip_space(p);
	start = p->pos;
	if (!cp_scan_ci(p, "env") && !cp_scan_ci(p, "concat")) {
		cp_skip_space(p);
		return NULL;
	}
	n = cp_text_node(p, CN_CALL, p->s + start, p->pos - start);
	cp_skip_space(p);
	if (!cp_enter(p))
		return NULL;
	n->has_list = cp_parens(p, CPP_LIST, n, NULL);
	p->depth--;
	return n->has_list && !p->failed ? n : NULL;
}

/*
 * "(" what ")": false (nothing consumed but whitespace) when no "("
 * comes next.
 */
static bool cp_parens(struct cp *p, enum cp_parens_mode mode,
		      struct cond_node *holder, struct cond_node **out)
{
	cp_skip_space(p);
	if (!cp_scan(p, "(")) {
		cp_skip_space(p);
		return false;
	}
	cp_skip_space(p);
	cp_skip_space(p);
	switch (mode) {
	case CPP_EXPR:
		*out = cp_expr(p);
		break;
	case CPP_LIST:
		cp_list(p, holder);
		break;
	case CPP_LIST_NONEMPTY:
		cp_list(p, holder);
		if (!p->failed && !holder->nitems)
			cp_fail(p, "expected a list of values");
		break;
	}
	if (p->failed)
		return true;
	cp_skip_space(p);
	if (!cp_scan(p, ")"))
		cp_fail(p, "expected ')'");
	return true;
}

/* NOT or "!" before an operand; the scan is put back if none follows. */
static struct cond_node *cp_not(struct cp *p)
{
	size_t start = p->pos;
	struct cond_node *t;

	cp_skip_space(p);
	if (!cp_scan_ci(p, "not") && !cp_scan(p, "!")) {
		cp_skip_space(p);
		return NULL;
	}
	cp_skip_space(p);
	t = cp_oprd(p);
	if (p->failed)
		return NULL;
	if (t)
		return cp_binary(p, CN_NOT, t, NULL);
	p->pos = start;
	return NULL;
}

/* `IN (...)` or `NOT IN (...)`; a missing list is Ruby's nil. */
static struct cond_node *cp_in_list(struct cp *p, struct cond_node *lft)
{
	struct cond_node *n;
	enum cond_kind kind;

	cp_skip_space(p);
	if (cp_scan_ci(p, "in"))
		kind = CN_IN;
	else if (cp_scan_ci(p, "not in"))
		kind = CN_NOT_IN;
	else
		kind = CN_OR;
	cp_skip_space(p);
	if (kind == CN_OR)
		return NULL;
	n = cp_binary(p, kind, lft, NULL);
	n->has_list = cp_parens(p, CPP_LIST_NONEMPTY, n, NULL);
	return p->failed ? NULL : n;
}

/* `IS [NOT] present|blank|true|false`. */
static struct cond_node *cp_is_pred(struct cp *p, struct cond_node *lft)
{
	static const char *const preds[] = { "present", "blank", "true",
					     "false" };
	static const enum cond_pred pred_of[] = { CP_PRESENT, CP_BLANK, CP_TRUE,
						  CP_FALSE };
	enum cond_kind kind;
	struct cond_node *n;

	cp_skip_space(p);
	if (cp_scan_ci(p, "is not"))
		kind = CN_IS_NOT;
	else if (cp_scan_ci(p, "is"))
		kind = CN_IS;
	else
		kind = CN_OR;
	cp_skip_space(p);
	if (kind == CN_OR)
		return NULL;
	cp_skip_space(p);
	for (size_t i = 0; i < ARRAY_SIZE(preds); i++) {
		if (cp_scan_ci(p, preds[i])) {
			cp_skip_space(p);
			n = cp_binary(p, kind, lft, NULL);
			n->pred = pred_of[i];
			return n;
		}
	}
	cp_skip_space(p);
	return NULL;
}

/* `=~`, `~=` or `!~`. */
static bool cp_re_op(struct cp *p, enum cond_kind *kind)
{
	bool found = true;

	cp_skip_space(p);
	if (cp_scan(p, "=~") || cp_scan(p, "~="))
		*kind = CN_MATCH;
	else if (cp_scan(p, "!~"))
		*kind = CN_NOT_MATCH;
	else
		found = false;
	cp_skip_space(p);
	return found;
}

/* `=`, `==` or `!=`. */
static bool cp_eq_op(struct cp *p, enum cond_kind *kind)
{
	bool found = true;

	cp_skip_space(p);
	if (cp_scan(p, "==") || cp_scan(p, "="))
		*kind = CN_EQ;
	else if (cp_scan(p, "!="))
		*kind = CN_NOT_EQ;
	else
		found = false;
	cp_skip_space(p);
	return found;
}

/*
 * travis-conditions' Regex scanner over the rest of the condition
 * (stripped): `/.../` with backslash escapes (an unterminated one runs to
 * the end), or the longest run of non-space characters that does not end
 * in ")".  Returns the length in bytes of the text it read, which
 * includes the closing slash; 0 when it read nothing.
 */
static size_t cp_regex_scan(const struct cp *p, size_t *chars)
{
	size_t end = p->len, i = p->pos, n = 0;
	bool esc = false;

	while (end > i && cp_is_space((unsigned char)p->s[end - 1]))
		end--;
	*chars = 0;
	if (i >= end)
		return 0;
	if (p->s[i] != '/') {
		size_t j = i;

		while (j < end && !cp_is_space((unsigned char)p->s[j]))
			j++;
		while (j > i && p->s[j - 1] == ')')
			j--;
		for (size_t k = i; k < j; k += cp_char_len(p->s + k, j - k))
			(*chars)++;
		return j - i;
	}
	i++;
	(*chars)++;
	while (i < end) {
		if (p->s[i] == '/' && !esc) {
			(*chars)++; /* the closing slash */
			return i + 1 - p->pos;
		}
		esc = p->s[i] == '\\' ? true : false;
		n = cp_char_len(p->s + i, end - i);
		i += n;
		(*chars)++;
	}
	return i - p->pos;
}

/* Ruby's gsub(%r{^/|/$}, ''): slashes at line starts and line ends. */
static struct cond_node *cp_regex_node(struct cp *p, const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	struct cond_node *n;

	for (size_t i = 0; i < len; i++) {
		bool line_start = !i || s[i - 1] == '\n';
		bool line_end = i + 1 == len || s[i + 1] == '\n';

		if (s[i] == '/' && (line_start || line_end))
			continue;
		buf_addch(&b, s[i]);
	}
	n = cp_text_node(p, CN_REG, b.ptr, b.len);
	buf_release(&b);
	return n;
}

/* The right side of `=~`: a call, a regex, or nothing (Ruby's nil). */
static struct cond_node *cp_regex(struct cp *p)
{
	struct cond_node *call = cp_call(p), *n;
	size_t bytes, chars, start;

	if (p->failed)
		return NULL;
	if (call) {
		n = cp_node(p, CN_REG);
		n->lft = call;
		return n;
	}
	cp_skip_space(p);
	start = p->pos;
	bytes = cp_regex_scan(p, &chars);
	if (!bytes)
		return NULL;
	n = cp_regex_node(p, p->s + start, bytes);
	/* Upstream moves the scan by characters, not bytes (see above). */
	p->pos += chars;
	return n;
}

static struct cond_node *cp_term(struct cp *p)
{
	struct cond_node *lft = cp_operand(p), *n;
	enum cond_kind kind;

	if (p->failed)
		return NULL;
	n = cp_in_list(p, lft);
	if (n || p->failed)
		return n;
	n = cp_is_pred(p, lft);
	if (n || p->failed)
		return n;
	if (cp_re_op(p, &kind)) {
		n = cp_regex(p);
		return p->failed ? NULL : cp_binary(p, kind, lft, n);
	}
	if (cp_eq_op(p, &kind)) {
		n = cp_operand(p);
		return p->failed ? NULL : cp_binary(p, kind, lft, n);
	}
	return lft;
}

static struct cond_node *cp_oprd(struct cp *p)
{
	struct cond_node *t = NULL;

	if (!cp_enter(p))
		return NULL;
	if (!cp_parens(p, CPP_EXPR, NULL, &t) && !p->failed) {
		t = cp_not(p);
		if (!t && !p->failed)
			t = cp_term(p);
	}
	p->depth--;
	return p->failed ? NULL : t;
}

static struct cond_node *cp_expr_and(struct cp *p)
{
	struct cond_node *lft = cp_oprd(p);

	while (!p->failed && cp_op_and(p)) {
		struct cond_node *rgt = cp_oprd(p);

		if (p->failed)
			break;
		lft = cp_binary(p, CN_AND, lft, rgt);
	}
	return p->failed ? NULL : lft;
}

static struct cond_node *cp_expr(struct cp *p)
{
	struct cond_node *lft = cp_expr_and(p);

	while (!p->failed && cp_op_or(p)) {
		struct cond_node *rgt = cp_expr_and(p);

		if (p->failed)
			break;
		lft = cp_binary(p, CN_OR, lft, rgt);
	}
	return p->failed ? NULL : lft;
}

/*
 * Join line continuations: a backslash, whitespace, and the last line
 * break in that whitespace become one space (Ruby: /\\\s*[\n\r]/).
 */
static void cp_filter(struct cp *p)
{
	const char *s = p->src;
	size_t n = p->srclen, o = 0;

	p->s = xmalloc(n + 1);
	p->map = xmalloc(st_mult(n + 1, sizeof(*p->map)));
	for (size_t i = 0; i < n;) {
		size_t j = i + 1, brk = 0;

		if (s[i] == '\\') {
			for (; j < n && cp_is_space((unsigned char)s[j]); j++)
				if (s[j] == '\n' || s[j] == '\r')
					brk = j;
		}
		p->map[o] = i;
		if (s[i] == '\\' && brk) {
			p->s[o++] = ' ';
			i = brk + 1;
		} else {
			p->s[o++] = s[i++];
		}
	}
	p->map[o] = n;
	p->s[o] = '\0';
	p->len = o;
}

int cond_parse(struct cond **out, const char *src)
{
	struct cp p = { .src = src, .srclen = strlen(src) };
	struct cond_node *root;

	if (p.srclen > COND_MAX_LEN)
		return err_set(FY_EINVALID, "condition longer than %d bytes",
			       COND_MAX_LEN);
	if (!cp_utf8_valid(src, p.srclen))
		return err_set(FY_EFAIL, "condition is not valid UTF-8");
	p.code = FY_EINVALID;
	p.c = xcalloc(1, sizeof(*p.c));
	cp_filter(&p);
	root = cp_expr(&p);
	if (!p.failed && (!root || !cp_eos(&p)))
		cp_fail(&p, "cannot parse from here: '%.40s'", p.s + p.pos);
	free(p.s);
	free(p.map);
	if (p.failed) {
		cond_free(p.c);
		return p.code;
	}
	p.c->root = root;
	*out = p.c;
	return 0;
}

void cond_free(struct cond *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nnodes; i++) {
		free(c->nodes[i]->str);
		free(c->nodes[i]->items);
		free(c->nodes[i]);
	}
	free(c->nodes);
	free(c);
}

int cond_check(const char *src, const struct val *data, bool *result)
{
	struct cond *c = NULL;
	int err;

	err = cond_parse(&c, src);
	if (err < 0)
		return err;
	err = cond_eval(c, data, result);
	cond_free(c);
	return err;
}

/* A string as Ruby's String#inspect shows it. */
static void sexp_str(struct buf *b, const char *s, size_t len)
{
	buf_addch(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;

		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\v':
			esc = "\\v";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\a':
			esc = "\\a";
			break;
		case 0x1b:
			esc = "\\e";
			break;
		case '#':
			if (i + 1 < len && strchr("{$@", s[i + 1]))
				esc = "\\#";
			break;
		}
		if (esc)
			buf_addstr(b, esc);
		else if (c < 0x20 || c == 0x7f)
			buf_addf(b, "\\u%04X", c);
		else
			buf_addch(b, (char)c);
	}
	buf_addch(b, '"');
}

static void sexp_node(struct buf *b, const struct cond_node *n);

static void sexp_list(struct buf *b, const struct cond_node *n)
{
	if (!n->has_list) {
		buf_addstr(b, "nil");
		return;
	}
	buf_addch(b, '[');
	for (size_t i = 0; i < n->nitems; i++) {
		if (i)
			buf_addstr(b, ", ");
		sexp_node(b, n->items[i]);
	}
	buf_addch(b, ']');
}

/* A chain `[:and, [:and, a, b], c]` is printed without recursing on it. */
static void sexp_chain(struct buf *b, const struct cond_node *n)
{
	const char *name = n->kind == CN_AND ? "[:and, " : "[:or, ";
	const struct cond_node *leftmost = n;
	size_t depth = 0;
	const struct cond_node **spine;

	while (leftmost->kind == n->kind) {
		leftmost = leftmost->lft;
		depth++;
	}
	spine = xmalloc(st_mult(depth, sizeof(*spine)));
	leftmost = n;
	for (size_t i = depth; i--;) {
		spine[i] = leftmost;
		buf_addstr(b, name);
		leftmost = leftmost->lft;
	}
	sexp_node(b, leftmost);
	for (size_t i = 0; i < depth; i++) {
		buf_addstr(b, ", ");
		sexp_node(b, spine[i]->rgt);
		buf_addch(b, ']');
	}
	free(spine);
}

static void sexp_node(struct buf *b, const struct cond_node *n)
{
	static const char *const names[] = {
		[CN_NOT] = "not",
		[CN_EQ] = "eq",
		[CN_NOT_EQ] = "not_eq",
		[CN_MATCH] = "match",
		[CN_NOT_MATCH] = "not_match",
		[CN_IN] = "in",
		[CN_NOT_IN] = "not_in",
		[CN_IS] = "is",
		[CN_IS_NOT] = "is_not",
	};
	static const char *const preds[] = { "present", "blank", "true",
					     "false" };

	if (!n) {
		buf_addstr(b, "nil");
		return;
	}
	switch (n->kind) {
	case CN_OR:
	case CN_AND:
		sexp_chain(b, n);
		return;
	case CN_NOT:
		buf_addstr(b, "[:not, ");
		sexp_node(b, n->lft);
		break;
	case CN_EQ:
	case CN_NOT_EQ:
	case CN_MATCH:
	case CN_NOT_MATCH:
		buf_addf(b, "[:%s, ", names[n->kind]);
		sexp_node(b, n->lft);
		buf_addstr(b, ", ");
		sexp_node(b, n->rgt);
		break;
	case CN_IN:
	case CN_NOT_IN:
		buf_addf(b, "[:%s, ", names[n->kind]);
		sexp_node(b, n->lft);
		buf_addstr(b, ", ");
		sexp_list(b, n);
		break;
	case CN_IS:
	case CN_IS_NOT:
		buf_addf(b, "[:%s, ", names[n->kind]);
		sexp_node(b, n->lft);
		buf_addf(b, ", :%s", preds[n->pred]);
		break;
	case CN_VAL:
		buf_addstr(b, "[:val, ");
		sexp_str(b, n->str, n->len);
		break;
	case CN_VAR:
		buf_addf(b, "[:var, :%s", n->str);
		break;
	case CN_CALL:
		buf_addf(b, "[:call, :%s, ", n->str);
		sexp_list(b, n);
		break;
	case CN_REG:
		buf_addstr(b, "[:reg, ");
		if (n->lft)
			sexp_node(b, n->lft);
		else
			sexp_str(b, n->str, n->len);
		break;
	}
	buf_addch(b, ']');
}

char *cond_sexp(const struct cond *c)
{
	struct buf b = BUF_INIT;

	sexp_node(&b, c->root);
	return buf_detach(&b, NULL);
}
