#include "compat.h"

#include "buf.h"
#include "error.h"
#include "mask.h"
#include "xalloc.h"

/*
 * The automaton.  States are the prefixes of the patterns (a trie); the
 * transition table is completed with the failure links, so it is a DFA:
 * after reading the input so far, the state is the longest suffix of the
 * input that is a prefix of some pattern.  Two facts about that state
 * drive the stream:
 *  - keep[s]: the length of its longest suffix that is a proper prefix of
 *    a pattern (a trie node with children).  A match not yet seen must
 *    start inside that suffix, so every byte before it is decided.
 *  - match[s]: the longest pattern that is a suffix of it (0: none).  It
 *    is the longest pattern ending at this byte; shorter ones ending here
 *    lie inside it, so one interval per position covers them all.
 * Bytes are first mapped to classes (each byte used by some pattern gets
 * its own class, all others share class 0) to keep the table small.
 * Entries are premultiplied: next[] holds (t * ncls) << 1, with bit 0 set
 * when state t ends a pattern, so the hot loop is one load and a test.
 *
 * At the root, the loop first skips every byte that does not begin one of
 * the patterns' two-byte openings (a bitset): such a byte can neither end
 * a match (patterns have 3 bytes or more) nor change the state after the
 * next byte, and the skip has no chain of dependent loads.
 */
#define MASK_MAX_TABLE ((size_t)64 << 20)

struct pattern {
	char *ptr;
	size_t len;
};

struct mask_set {
	struct pattern *pat;
	size_t npat;
	size_t maxlen;
	uint16_t cls[256];
	uint8_t pairs[65536 / 8]; /* the first two bytes of each pattern */
	uint32_t ncls;
	uint32_t nstates;
	uint32_t *next;
	uint32_t *keep; /* during the build: the depth of each state */
	uint32_t *match;
};

/* A group of overlapping occurrences: input offsets [s, e). */
struct run {
	uint64_t s, e;
	bool shown; /* its "[secure]" is out */
};

/*
 * A stream.  `pos` bytes were fed; the first `rel` are decided (copied
 * out, or dropped inside a run).  Between feeds, `hold` keeps the bytes
 * [rel, pos).  `runs` is a ring of disjoint runs in input order that may
 * still grow; there are never more than maxlen + 1 of them.
 */
struct mask {
	const struct mask_set *set;
	uint32_t st;
	uint64_t pos, rel;
	char *hold;
	size_t nhold;
	struct run *runs;
	size_t rcap, rhead, nruns;
};

/* Where the undecided bytes are during one feed. */
struct src {
	const char *hold;
	uint64_t hbase; /* offset of hold[0] */
	const char *data;
	uint64_t dbase; /* offset of data[0]; hold ends there */
};

/* Length of the UTF-8 sequence a lead byte announces (1 if none). */
static size_t utf8_seq_len(unsigned char c)
{
	if (c >= 0xc2 && c < 0xe0)
		return 2;
	if (c >= 0xe0 && c < 0xf0)
		return 3;
	if (c >= 0xf0 && c < 0xf5)
		return 4;
	return 1;
}

/* Characters as Ruby counts them in a UTF-8 string. */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t k = utf8_seq_len((unsigned char)s[i]);
		size_t j = 1;

		while (j < k && i + j < len &&
		       ((unsigned char)s[i + j] & 0xc0) == 0x80)
			j++;
		i += j == k ? k : 1;
		n++;
	}
	return n;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Inside '...': everything up to the closing quote is literal. */
static const char *unescape_single(struct buf *out, const char *p)
{
	const char *end = strchr(p, '\'');

	if (!end)
		return NULL;
	buf_add(out, p, (size_t)(end - p));
	return end + 1;
}

/* Inside "...": a backslash escapes only $ ` " \ and newline. */
static const char *unescape_double(struct buf *out, const char *p)
{
	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1] && strchr("$`\"\\\n", p[1])) {
			p++;
			if (*p != '\n')
				buf_addch(out, *p);
			continue;
		}
		buf_addch(out, *p);
	}
	return *p ? p + 1 : NULL;
}

/* Outside quotes: a backslash keeps the next character. */
static const char *unescape_backslash(struct buf *out, const char *p)
{
	buf_addch(out, p[1]);
	return p + 2;
}

bool mask_unescape(struct buf *out, const char *value)
{
	bool in_word = false, any_word = false;
	const char *p = value;

	while (*p) {
		if (p[0] == '\\' && p[1] == '\n') {
			p += 2;
			continue;
		}
		if (is_blank(*p)) {
			in_word = false;
			p++;
			continue;
		}
		if (!in_word) {
			if (*p == '#')
				break;
			if (any_word)
				buf_addch(out, ' ');
			in_word = any_word = true;
		}
		if (*p == '\'')
			p = unescape_single(out, p + 1);
		else if (*p == '"')
			p = unescape_double(out, p + 1);
		else if (*p == '\\' && p[1])
			p = unescape_backslash(out, p);
		else
			buf_addch(out, *p++);
		if (!p)
			return false;
	}
	return true;
}

static void add_pattern(struct mask_set *set, const char *s, size_t len)
{
	if (utf8_chars(s, len) < MASK_MIN_CHARS)
		return;
	for (size_t i = 0; i < set->npat; i++)
		if (set->pat[i].len == len && !memcmp(set->pat[i].ptr, s, len))
			return;
	set->pat[set->npat].ptr = xmemdupz(s, len);
	set->pat[set->npat].len = len;
	set->npat++;
	if (len > set->maxlen)
		set->maxlen = len;
}

static void wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

static unsigned pair_index(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static bool has_pair(const struct mask_set *set, const unsigned char *p)
{
	unsigned k = pair_index(p);

	return set->pairs[k >> 3] & 1u << (k & 7);
}

/*
 * At the root: the first position from `i` where a pattern may begin
 * (or the last byte).  Eight positions are tested at a time, without a
 * branch between them.
 */
static size_t skip_root(const struct mask_set *set, const unsigned char *p,
			size_t i, size_t len)
{
	while (i + 8 < len) {
		bool any = has_pair(set, p + i) | has_pair(set, p + i + 1) |
			   has_pair(set, p + i + 2) | has_pair(set, p + i + 3) |
			   has_pair(set, p + i + 4) | has_pair(set, p + i + 5) |
			   has_pair(set, p + i + 6) | has_pair(set, p + i + 7);

		if (any)
			break;
		i += 8;
	}
	while (i + 1 < len && !has_pair(set, p + i))
		i++;
	return i;
}

/*
 * Give each byte used by a pattern its own class; returns the count.
 * Also records the patterns' first two bytes.
 */
static uint32_t assign_classes(struct mask_set *set)
{
	bool used[256] = { false };
	uint32_t n = 1;

	for (size_t i = 0; i < set->npat; i++) {
		unsigned k = pair_index((const unsigned char *)set->pat[i].ptr);

		set->pairs[k >> 3] |= (uint8_t)(1u << (k & 7));
		for (size_t j = 0; j < set->pat[i].len; j++)
			used[(unsigned char)set->pat[i].ptr[j]] = true;
	}
	for (int b = 0; b < 256; b++)
		set->cls[b] = used[b] ? (uint16_t)n++ : 0;
	return n;
}

/* The trie of the patterns, in next[] with 0 meaning "no child". */
static void build_trie(struct mask_set *set)
{
	uint32_t ncls = set->ncls;

	set->nstates = 1;
	for (size_t i = 0; i < set->npat; i++) {
		const unsigned char *p = (const unsigned char *)set->pat[i].ptr;
		uint32_t s = 0;

		for (size_t j = 0; j < set->pat[i].len; j++) {
			uint32_t *e =
				&set->next[(size_t)s * ncls + set->cls[p[j]]];

			if (!*e) {
				*e = set->nstates++;
				set->keep[*e] = set->keep[s] + 1;
			}
			s = *e;
		}
		set->match[s] = (uint32_t)set->pat[i].len;
	}
}

/* Failure links, breadth first, turning the trie into the full DFA. */
static void build_dfa(struct mask_set *set, size_t cap)
{
	uint32_t ncls = set->ncls;
	uint32_t *fail = xcalloc(cap, sizeof(*fail));
	uint32_t *queue = xmalloc(st_mult(cap, sizeof(*queue)));
	size_t head = 0, tail = 0;

	for (uint32_t c = 0; c < ncls; c++)
		if (set->next[c])
			queue[tail++] = set->next[c];
	while (head < tail) {
		uint32_t u = queue[head++];
		uint32_t *row = &set->next[(size_t)u * ncls];
		const uint32_t *frow = &set->next[(size_t)fail[u] * ncls];

		bool leaf = true;

		if (!set->match[u])
			set->match[u] = set->match[fail[u]];
		for (uint32_t c = 0; c < ncls; c++) {
			if (row[c]) {
				fail[row[c]] = u ? frow[c] : 0;
				queue[tail++] = row[c];
				leaf = false;
			} else {
				row[c] = frow[c];
			}
		}
		/* depth becomes keep: fail[u] is shallower, so already done */
		if (leaf)
			set->keep[u] = set->keep[fail[u]];
	}
	wipe_free(fail, cap * sizeof(*fail));
	wipe_free(queue, cap * sizeof(*queue));
}

/* Copy the table to its exact size (wiping the first) and premultiply. */
static void finish_table(struct mask_set *set, size_t cap)
{
	size_t n = (size_t)set->nstates * set->ncls;
	uint32_t *next = xmalloc(st_mult(n, sizeof(*next)));

	for (size_t i = 0; i < n; i++) {
		uint32_t t = set->next[i];

		next[i] = (t * set->ncls) << 1 | (set->match[t] != 0);
	}
	wipe_free(set->next, cap * set->ncls * sizeof(*next));
	set->next = next;
}

int mask_set_new(struct mask_set **out, const char *const *values, size_t n)
{
	struct mask_set *set = xcalloc(1, sizeof(*set));
	struct buf unesc = BUF_INIT;
	size_t cap = 1;

	set->pat = xcalloc(n ? 2 * n : 1, sizeof(*set->pat));
	/*
	 * An unescaped form is never longer than its value: size the buffer
	 * once, so that no reallocation leaves a copy of a secret behind.
	 */
	for (size_t i = 0; i < n; i++)
		if (values[i])
			buf_grow(&unesc, strlen(values[i]));
	for (size_t i = 0; i < n; i++) {
		if (!values[i] ||
		    utf8_chars(values[i], strlen(values[i])) < MASK_MIN_CHARS)
			continue;
		add_pattern(set, values[i], strlen(values[i]));
		buf_reset(&unesc);
		if (mask_unescape(&unesc, values[i]))
			add_pattern(set, unesc.ptr, unesc.len);
	}
	buf_release_secure(&unesc);
	for (size_t i = 0; i < set->npat; i++)
		cap += set->pat[i].len;
	set->ncls = assign_classes(set);
	if (cap > MASK_MAX_TABLE / sizeof(uint32_t) / set->ncls) {
		mask_set_free(set);
		return err_set(
			FY_ETOOBIG,
			"too many secrets to mask (%zu values, %zu bytes)", n,
			cap - 1);
	}
	set->next = xcalloc(cap * set->ncls, sizeof(*set->next));
	set->keep = xcalloc(cap, sizeof(*set->keep));
	set->match = xcalloc(cap, sizeof(*set->match));
	build_trie(set);
	build_dfa(set, cap);
	finish_table(set, cap);
	*out = set;
	return 0;
}

void mask_set_free(struct mask_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->npat; i++)
		wipe_free(set->pat[i].ptr, set->pat[i].len);
	free(set->pat);
	wipe_free(set->next,
		  (size_t)set->nstates * set->ncls * sizeof(*set->next));
	wipe_free(set->keep, (size_t)set->nstates * sizeof(*set->keep));
	wipe_free(set->match, (size_t)set->nstates * sizeof(*set->match));
	explicit_bzero(set, sizeof(*set));
	free(set);
}

size_t mask_set_count(const struct mask_set *set)
{
	return set ? set->npat : 0;
}

const char *mask_set_pattern(const struct mask_set *set, size_t i, size_t *len)
{
	if (!set || i >= set->npat)
		return NULL;
	*len = set->pat[i].len;
	return set->pat[i].ptr;
}

size_t mask_set_max_len(const struct mask_set *set)
{
	return set ? set->maxlen : 0;
}

struct mask *mask_new(const struct mask_set *set)
{
	struct mask *m = xcalloc(1, sizeof(*m));

	if (set && !set->npat)
		set = NULL;
	m->set = set;
	if (set) {
		m->hold = xmalloc(set->maxlen);
		m->rcap = set->maxlen + 2;
		m->runs = xcalloc(m->rcap, sizeof(*m->runs));
	}
	return m;
}

void mask_free(struct mask *m)
{
	if (!m)
		return;
	if (m->set) {
		wipe_free(m->hold, m->set->maxlen);
		wipe_free(m->runs, m->rcap * sizeof(*m->runs));
	}
	explicit_bzero(m, sizeof(*m));
	free(m);
}

size_t mask_held(const struct mask *m)
{
	return (size_t)(m->pos - m->rel);
}

/* Append the input bytes [from, to) wherever they are. */
static void copy_raw(const struct src *src, uint64_t from, uint64_t to,
		     struct buf *out)
{
	if (from < src->dbase) {
		uint64_t end = to < src->dbase ? to : src->dbase;

		buf_add(out, src->hold + (from - src->hbase), end - from);
		from = end;
	}
	if (from < to)
		buf_add(out, src->data + (from - src->dbase), to - from);
}

static struct run *run_at(struct mask *m, size_t i)
{
	size_t k = m->rhead + i;

	return &m->runs[k < m->rcap ? k : k - m->rcap];
}

/* Record an occurrence [s, e), merging the runs it overlaps. */
static void add_run(struct mask *m, uint64_t s, uint64_t e)
{
	bool shown = false;
	struct run *r;

	while (m->nruns) {
		r = run_at(m, m->nruns - 1);
		if (r->e <= s)
			break;
		if (r->s < s)
			s = r->s;
		shown |= r->shown;
		m->nruns--;
	}
	if (m->nruns == m->rcap)
		BUG("mask: run ring overflow");
	r = run_at(m, m->nruns++);
	r->s = s;
	r->e = e;
	r->shown = shown;
}

/* Decide every byte before `f`: copy it, or replace its run. */
static void release(struct mask *m, const struct src *src, uint64_t f,
		    struct buf *out)
{
	while (m->rel < f) {
		struct run *r = m->nruns ? run_at(m, 0) : NULL;

		if (!r || r->s >= f) {
			copy_raw(src, m->rel, f, out);
			m->rel = f;
			return;
		}
		if (r->s > m->rel) {
			copy_raw(src, m->rel, r->s, out);
			m->rel = r->s;
		}
		if (!r->shown) {
			buf_add(out, MASK_TOKEN, sizeof(MASK_TOKEN) - 1);
			r->shown = true;
		}
		if (r->e > f) {
			m->rel = f;
			return;
		}
		m->rel = r->e;
		m->rhead = m->rhead + 1 < m->rcap ? m->rhead + 1 : 0;
		m->nruns--;
	}
}

/* A pattern ends at offset `end` in state `st` (premultiplied). */
static void on_match(struct mask *m, const struct src *src, uint64_t end,
		     uint32_t st, struct buf *out)
{
	uint32_t s = st / m->set->ncls;

	add_run(m, end - m->set->match[s], end);
	release(m, src, end - m->set->keep[s], out);
}

/* Keep the undecided bytes [rel, pos) for the next feed. */
static void keep(struct mask *m, const struct src *src)
{
	size_t n = (size_t)(m->pos - m->rel);

	if (m->rel < src->dbase) {
		size_t old = (size_t)(src->dbase - m->rel);

		memmove(m->hold, src->hold + (m->rel - src->hbase), old);
		memcpy(m->hold + old, src->data, n - old);
	} else {
		memcpy(m->hold, src->data + (m->rel - src->dbase), n);
	}
	m->nhold = n;
}

void mask_feed(struct mask *m, const void *data, size_t len, struct buf *out)
{
	const struct mask_set *set = m->set;
	const unsigned char *p = data;
	struct src src;
	const uint32_t *next;
	const uint16_t *cls;
	uint32_t st;

	if (!set) {
		buf_add(out, data, len);
		m->pos += len;
		m->rel = m->pos;
		return;
	}
	src.hold = m->hold;
	src.hbase = m->rel;
	src.data = data;
	src.dbase = m->pos;
	next = set->next;
	cls = set->cls;
	st = m->st;
	for (size_t i = 0; i < len; i++) {
		uint32_t e;

		if (!st)
			i = skip_root(set, p, i, len);
		e = next[st + cls[p[i]]];
		st = e >> 1;
		if (e & 1)
			on_match(m, &src, src.dbase + i + 1, st, out);
	}
	m->st = st;
	m->pos += len;
	release(m, &src, m->pos - set->keep[st / set->ncls], out);
	keep(m, &src);
}

void mask_finish(struct mask *m, struct buf *out)
{
	struct src src;

	if (!m->set)
		return;
	src.hold = m->hold;
	src.hbase = m->rel;
	src.data = NULL;
	src.dbase = m->pos;
	release(m, &src, m->pos, out);
	m->st = 0;
	m->nhold = 0;
	m->nruns = 0;
	m->rhead = 0;
}

void mask_string(const struct mask_set *set, const void *data, size_t len,
		 struct buf *out)
{
	struct mask *m = mask_new(set);

	mask_feed(m, data, len, out);
	mask_finish(m, out);
	mask_free(m);
}
