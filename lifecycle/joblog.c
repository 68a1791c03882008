#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "joblog.h"
#include "mask.h"
#include "xalloc.h"

#define SLICE	      (64 * 1024) /* input masked and rendered at a time */
#define FILE_BLOCK    (64 * 1024) /* log file write size */
#define FILE_FLUSH_MS 1000
#define LINE_CAP      (64 * 1024) /* longest unfinished line held back */
#define MARK_BODY_MAX 256	  /* longest fold name or timing body */
#define CSI_MAX	      64
#define HELD_MAX      320 /* a whole marker or CSI sequence fits */
#define FOLD_DEPTH    16
#define ERASE_LINE    "\r\033[K"
#define FOLD_SIGN     "\xe2\x96\xb8" /* ▸ */
#define OPEN_SIGN     "\xe2\x96\xbe" /* ▾ */

enum lex_state { LEX_TEXT, LEX_MARK, LEX_CSI };

enum mark_kind {
	MARK_FOLD_START,
	MARK_FOLD_END,
	MARK_TIME_START,
	MARK_TIME_END
};

static const char *const mark_heads[] = {
	[MARK_FOLD_START] = "travis_fold:start:",
	[MARK_FOLD_END] = "travis_fold:end:",
	[MARK_TIME_START] = "travis_time:start:",
	[MARK_TIME_END] = "travis_time:end:",
};

struct joblog {
	struct joblog_term *term;
	char *prefix;
	char *path;
	int fd;
	int file_err; /* a failed log file write not yet reported */
	size_t max_bytes;
	const struct mask_set *secrets;
	struct mask *mask;
	_Atomic uint64_t bytes;
	_Atomic uint64_t last_output;
	_Atomic bool limited;
	struct buf mout; /* masked output of one slice */
	struct buf wmsg; /* a masked worker message */
	struct buf fbuf; /* log file bytes not yet written */
	uint64_t fflush; /* when fbuf was last written */

	/* The marker and CSI parser (terminal only). */
	enum lex_state lex;
	unsigned heads; /* marker heads still possible */
	int head;	/* the marker head matched, or -1 */
	size_t body_end;
	char held[HELD_MAX];
	size_t nheld;
	char redo[HELD_MAX]; /* bytes to parse again after a false start */
	size_t nredo;

	/* Rendering. */
	struct buf pend; /* text not yet on the terminal */
	uint64_t pend_since;
	char *folds[FOLD_DEPTH];
	size_t nfolds;
	struct buf fold; /* what the open fold printed (fancy mode) */
	uint64_t fold_dropped, fold_ns, fold_start, status_at;
	bool fold_timed;
	struct buf line; /* scratch for status and fold lines */
};

uint64_t joblog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void joblog_format_duration(struct buf *out, uint64_t ms)
{
	unsigned long long h = ms / 3600000, m = ms / 60000 % 60;
	unsigned long long s = ms / 1000 % 60;
	unsigned frac = (unsigned)(ms % 1000);

	if (!ms) {
		buf_addstr(out, "0s");
		return;
	}
	if (ms < 1000) {
		buf_addf(out, "%ums", frac);
		return;
	}
	if (h)
		buf_addf(out, "%lluh", h);
	if (h || m)
		buf_addf(out, "%llum", m);
	buf_addf(out, "%llu", s);
	if (frac) {
		char f[8];
		size_t n = (size_t)snprintf(f, sizeof(f), "%03u", frac);

		while (f[n - 1] == '0')
			n--;
		buf_addf(out, ".%.*s", (int)n, f);
	}
	buf_addch(out, 's');
}

/* ---- the shared terminal ---- */

void joblog_term_init(struct joblog_term *t, int fd, bool plain)
{
	const char *no_colour = getenv("NO_COLOR"), *term = getenv("TERM");
	const char *cols = getenv("COLUMNS");
	bool tty = isatty(fd), dumb = term && !strcmp(term, "dumb");
	struct winsize ws;

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->colour = tty && !(no_colour && *no_colour) && !dumb;
	t->fancy = tty && !plain && !dumb;
	t->width = 80;
	if (tty && !ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_col)
		t->width = ws.ws_col;
	else if (cols && strtoul(cols, NULL, 10) >= 20)
		t->width = (unsigned)strtoul(cols, NULL, 10);
	t->partial_ms = 500;
	t->status_ms = 100;
	pthread_mutex_init(&t->lock, NULL);
	buf_init(&t->status);
	buf_init(&t->out);
}

/*
 * Write the batch in one write() if the terminal takes it.  A terminal
 * that went away is not the job's failure: errors are dropped, and the
 * thread's error message is left alone.
 */
static void term_flush_out(struct joblog_term *t)
{
	const char *p = t->out.ptr;
	size_t n = t->out.len;

	while (n) {
		ssize_t w = write(t->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	buf_reset(&t->out);
}

static void term_hide_status(struct joblog_term *t)
{
	if (!t->status_shown)
		return;
	buf_addstr(&t->out, ERASE_LINE);
	t->status_shown = false;
}

static void term_show_status(struct joblog_term *t)
{
	if (t->owner || !t->status.len || t->status_shown)
		return;
	buf_add(&t->out, t->status.ptr, t->status.len);
	t->status_shown = true;
}

void joblog_term_release(struct joblog_term *t)
{
	pthread_mutex_lock(&t->lock);
	term_hide_status(t);
	if (t->owner)
		buf_addch(&t->out, '\n');
	t->owner = NULL;
	term_flush_out(t);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_destroy(&t->lock);
	buf_release(&t->status);
	buf_release(&t->out);
}

/*
 * In fancy mode a prefixed line shows only what follows its last
 * carriage return (a progress bar), so that the prefix stays visible.
 */
static size_t visible_from(const struct joblog_term *t, const char *pfx,
			   const char *p, size_t k)
{
	size_t end = k && p[k - 1] == '\n' ? k - 1 : k;
	const char *cr;

	if (!t->fancy || !pfx || !end)
		return 0;
	if (p[end - 1] == '\r')
		end--;
	cr = end ? memrchr(p, '\r', end) : NULL;
	return cr ? (size_t)(cr - p) + 1 : 0;
}

/* Add job text to the batch: a prefix at each line start, colour reset. */
static void term_add_text(struct joblog_term *t, const struct joblog *jl,
			  const char *p, size_t n)
{
	const char *pfx = jl->prefix;

	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) + 1 : n;
		size_t skip = visible_from(t, pfx, p, k);

		if (skip && t->owner == jl)
			buf_addstr(&t->out, ERASE_LINE);
		if (pfx && (t->owner != jl || skip))
			buf_addstr(&t->out, pfx);
		if (nl && pfx && t->colour && memchr(p, '\033', k)) {
			buf_add(&t->out, p + skip, k - skip - 1);
			buf_addstr(&t->out, "\033[0m\n");
		} else {
			buf_add(&t->out, p + skip, k - skip);
		}
		t->owner = nl ? NULL : jl;
		p += k;
		n -= k;
	}
}

/* Put job text on the terminal, ending another job's unfinished line. */
static void term_put(struct joblog *jl, const char *p, size_t n)
{
	struct joblog_term *t = jl->term;

	pthread_mutex_lock(&t->lock);
	term_hide_status(t);
	if (t->owner && t->owner != jl) {
		buf_addch(&t->out, '\n');
		t->owner = NULL;
	}
	term_add_text(t, jl, p, n);
	term_show_status(t);
	term_flush_out(t);
	pthread_mutex_unlock(&t->lock);
}

/* If the cursor ends an unfinished line of this job, end it. */
static void term_end_line(struct joblog *jl)
{
	struct joblog_term *t = jl->term;

	pthread_mutex_lock(&t->lock);
	if (t->owner == jl) {
		buf_addch(&t->out, '\n');
		t->owner = NULL;
		term_show_status(t);
		term_flush_out(t);
	}
	pthread_mutex_unlock(&t->lock);
}

/* Set the status line to `text` (n > 0), or clear it if it is ours. */
static void term_status(struct joblog *jl, const char *text, size_t n)
{
	struct joblog_term *t = jl->term;

	pthread_mutex_lock(&t->lock);
	if (n && t->status_owner == jl && t->status.len == n &&
	    !memcmp(t->status.ptr, text, n)) {
		/* unchanged: no flicker */
	} else if (n || t->status_owner == jl) {
		term_hide_status(t);
		buf_reset(&t->status);
		buf_add(&t->status, text, n);
		t->status_owner = n ? jl : NULL;
		term_show_status(t);
		term_flush_out(t);
	}
	pthread_mutex_unlock(&t->lock);
}

/* ---- the log file ---- */

static void file_flush(struct joblog *jl)
{
	int err;

	jl->fflush = joblog_now_ms();
	if (jl->fd < 0 || !jl->fbuf.len)
		return;
	err = fs_write_all(jl->fd, jl->fbuf.ptr, jl->fbuf.len);
	buf_reset(&jl->fbuf);
	if (err < 0) {
		jl->file_err = err_wrap(err, "log file '%s'", jl->path);
		close_fd(&jl->fd);
	}
}

static int take_file_err(struct joblog *jl)
{
	int err = jl->file_err;

	jl->file_err = 0;
	return err;
}

/* ---- rendering (called by the parser below) ---- */

/* Write what is pending: complete lines, or everything when due. */
static void pend_flush(struct joblog *jl, bool all)
{
	struct buf *b = &jl->pend;
	uint64_t now = joblog_now_ms();
	size_t k = b->len;

	if (!b->len)
		return;
	if (jl->prefix && !all) {
		const char *nl = memrchr(b->ptr, '\n', b->len);
		bool due = jl->pend_since &&
			   now - jl->pend_since >= jl->term->partial_ms;

		k = nl ? (size_t)(nl - b->ptr) + 1 : 0;
		if (due || b->len - k >= LINE_CAP)
			k = b->len;
	}
	if (k)
		term_put(jl, b->ptr, k);
	memmove(b->ptr, b->ptr + k, b->len - k);
	buf_setlen(b, b->len - k);
	if (!b->len)
		jl->pend_since = 0;
	else if (k || !jl->pend_since)
		jl->pend_since = now;
}

/* Cut `b` to `cols` columns, counting one per UTF-8 character. */
static void cut_columns(struct buf *b, size_t cols)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (((unsigned char)b->ptr[i] & 0xc0) == 0x80)
			continue;
		if (n++ == cols) {
			buf_setlen(b, i);
			return;
		}
	}
}

/* Append `p` without CSI sequences and control characters. */
static void add_printable(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\033' && i + 1 < n && p[i + 1] == '[') {
			for (i += 2; i < n && (p[i] < 0x40 || p[i] > 0x7e);)
				i++;
			continue;
		}
		if (c == '\t')
			buf_addch(b, ' ');
		else if (c >= 0x20 && c != 0x7f)
			buf_addch(b, (char)c);
	}
}

/* The last non-empty line the open fold printed, as far as it shows. */
static void add_last_line(struct buf *b, const struct buf *fold)
{
	size_t end = fold->len, start;

	while (end &&
	       (fold->ptr[end - 1] == '\n' || fold->ptr[end - 1] == '\r'))
		end--;
	start = end > 4096 ? end - 4096 : 0;
	for (size_t i = end; i > start; i--) {
		if (fold->ptr[i - 1] == '\n' || fold->ptr[i - 1] == '\r') {
			start = i;
			break;
		}
	}
	add_printable(b, fold->ptr + start, end - start);
}

static void status_update(struct joblog *jl, bool force)
{
	struct buf *b = &jl->line;
	uint64_t now = joblog_now_ms();
	unsigned width = jl->term->width;

	if (!force && now - jl->status_at < jl->term->status_ms)
		return;
	jl->status_at = now;
	buf_reset(b);
	buf_addstr(b, jl->prefix ? jl->prefix : "");
	buf_addstr(b, FOLD_SIGN " ");
	add_printable(b, jl->folds[0], strlen(jl->folds[0]));
	buf_addstr(b, "  ");
	add_last_line(b, &jl->fold);
	/* one column short of the width, so the line never wraps */
	cut_columns(b, width > 1 ? width - 1 : 1);
	buf_rtrim(b);
	term_status(jl, b->ptr, b->len);
}

static void fold_add(struct joblog *jl, const char *p, size_t n)
{
	struct buf *f = &jl->fold;

	buf_add(f, p, n);
	if (f->len > JOBLOG_FOLD_KEEP) {
		size_t cut = f->len - JOBLOG_FOLD_KEEP / 4 * 3;
		const char *nl = memchr(f->ptr + cut, '\n', f->len - cut);

		if (nl)
			cut = (size_t)(nl - f->ptr) + 1;
		memmove(f->ptr, f->ptr + cut, f->len - cut);
		buf_setlen(f, f->len - cut);
		jl->fold_dropped += cut;
	}
	status_update(jl, false);
}

static void r_text(struct joblog *jl, const char *p, size_t n)
{
	if (jl->nfolds && jl->term->fancy) {
		fold_add(jl, p, n);
		return;
	}
	buf_add(&jl->pend, p, n);
	if (jl->pend.len >= SLICE)
		pend_flush(jl, false);
}

static void fold_start(struct joblog *jl, const char *name, size_t len)
{
	if (jl->nfolds == FOLD_DEPTH)
		return;
	jl->folds[jl->nfolds++] = xmemdupz(name, len);
	if (jl->nfolds > 1 || !jl->term->fancy)
		return;
	pend_flush(jl, true);
	term_end_line(jl);
	buf_reset(&jl->fold);
	jl->fold_dropped = 0;
	jl->fold_ns = 0;
	jl->fold_timed = false;
	jl->fold_start = joblog_now_ms();
	status_update(jl, true);
}

static void add_fold_duration(struct buf *b, const struct joblog *jl)
{
	uint64_t ms = jl->fold_timed ? jl->fold_ns / 1000000
				     : joblog_now_ms() - jl->fold_start;

	if (ms < 60000)
		buf_addf(b, "%llu.%llus", (unsigned long long)ms / 1000,
			 (unsigned long long)ms % 1000 / 100);
	else
		buf_addf(b, "%llum%02llus", (unsigned long long)ms / 60000,
			 (unsigned long long)ms / 1000 % 60);
}

static void fold_end(struct joblog *jl, const char *name, size_t len)
{
	size_t i = jl->nfolds;

	while (i && (strlen(jl->folds[i - 1]) != len ||
		     memcmp(jl->folds[i - 1], name, len)))
		i--;
	if (!i--)
		return;
	if (!i && jl->term->fancy) {
		term_status(jl, NULL, 0);
		buf_addstr(&jl->pend, FOLD_SIGN " ");
		add_printable(&jl->pend, jl->folds[0], strlen(jl->folds[0]));
		buf_addstr(&jl->pend, "  (");
		add_fold_duration(&jl->pend, jl);
		buf_addstr(&jl->pend, ")\n");
		buf_reset(&jl->fold);
	}
	while (jl->nfolds > i)
		free(jl->folds[--jl->nfolds]);
}

/* The duration=<ns> of a travis_time:end body counts for the open fold. */
static void time_end(struct joblog *jl, const char *body, size_t len)
{
	char tmp[MARK_BODY_MAX + 1];
	const char *d;

	if (!jl->nfolds || !jl->term->fancy)
		return;
	memcpy(tmp, body, len);
	tmp[len] = '\0';
	d = strstr(tmp, "duration=");
	if (!d)
		return;
	jl->fold_ns += strtoull(d + strlen("duration="), NULL, 10);
	jl->fold_timed = true;
}

/* An open fold at the end of the job: show all of it. */
static void fold_dump(struct joblog *jl)
{
	term_status(jl, NULL, 0);
	buf_addstr(&jl->pend, OPEN_SIGN " ");
	add_printable(&jl->pend, jl->folds[0], strlen(jl->folds[0]));
	buf_addch(&jl->pend, '\n');
	if (jl->fold_dropped)
		buf_addf(&jl->pend,
			 "[%llu bytes of this fold not shown: see the log]\n",
			 (unsigned long long)jl->fold_dropped);
	buf_add(&jl->pend, jl->fold.ptr, jl->fold.len);
	buf_reset(&jl->fold);
	while (jl->nfolds)
		free(jl->folds[--jl->nfolds]);
}

/* ---- the parser: markers and CSI sequences, split anywhere ---- */

/* Whether p[0..n) could be the start of "travis_" (n may be short). */
static bool may_be_marker(const char *p, size_t n)
{
	return !memcmp(p, "travis_", n < 7 ? n : 7);
}

/* Length of plain text at p: up to an ESC or a possible marker. */
static size_t text_span(const char *p, size_t n)
{
	const char *esc = memchr(p, '\033', n);
	size_t lim = esc ? (size_t)(esc - p) : n;
	const char *m = memmem(p, lim, "travis_", 7);

	if (m)
		return (size_t)(m - p);
	if (esc)
		return lim;
	/* "travis_" may begin in the last bytes and go on in the next */
	for (size_t i = n > 6 ? n - 6 : 0; i < n; i++)
		if (p[i] == 't' && may_be_marker(p + i, n - i))
			return i;
	return n;
}

/* One more byte of a marker: 1 complete, 0 more needed, -1 not one. */
static int mark_step(struct joblog *jl, char c)
{
	size_t i = jl->nheld;
	unsigned still = 0;

	jl->held[jl->nheld++] = c;
	if (jl->head < 0) {
		for (int k = 0; k < (int)ARRAY_SIZE(mark_heads); k++) {
			if (!(jl->heads & 1u << k) || mark_heads[k][i] != c)
				continue;
			still |= 1u << k;
			if (!mark_heads[k][i + 1])
				jl->head = k;
		}
		jl->heads = still;
		return still ? 0 : -1;
	}
	if (!jl->body_end) {
		if (c == '\r')
			jl->body_end = i;
		else if (c == '\n' || c == '\033' ||
			 i - strlen(mark_heads[jl->head]) >= MARK_BODY_MAX)
			return -1;
		return 0;
	}
	switch (i - jl->body_end) {
	case 1:
		return c == '\033' ? 0 : -1;
	case 2:
		return c == '[' ? 0 : -1;
	case 3:
		return c == 'K' ? 1 : c == '0' ? 0 : -1;
	case 4:
		return c == 'K' ? 1 : -1;
	}
	return -1;
}

/* One more byte of ESC [ parameters intermediates final. */
static int csi_step(struct joblog *jl, char c)
{
	size_t i = jl->nheld;

	jl->held[jl->nheld++] = c;
	if (i == 0)
		return 0; /* the ESC */
	if (i == 1)
		return c == '[' ? 0 : -1;
	if (c >= 0x40 && c <= 0x7e)
		return 1;
	return c >= 0x20 && c <= 0x3f && i < CSI_MAX ? 0 : -1;
}

static void on_token(struct joblog *jl)
{
	const char *body;
	size_t len;

	if (jl->lex == LEX_CSI) {
		if (jl->term->colour)
			r_text(jl, jl->held, jl->nheld);
		return;
	}
	body = jl->held + strlen(mark_heads[jl->head]);
	len = (size_t)(jl->held + jl->body_end - body);
	switch ((enum mark_kind)jl->head) {
	case MARK_FOLD_START:
		fold_start(jl, body, len);
		break;
	case MARK_FOLD_END:
		fold_end(jl, body, len);
		break;
	case MARK_TIME_START:
		break;
	case MARK_TIME_END:
		time_end(jl, body, len);
		break;
	}
}

/* A false start: its first byte is text, the rest is parsed again. */
static void false_start(struct joblog *jl)
{
	size_t n = jl->nheld - 1;

	if (n + jl->nredo > HELD_MAX)
		BUG("joblog: parser overflow");
	r_text(jl, jl->held, 1);
	memmove(jl->redo + n, jl->redo, jl->nredo);
	memcpy(jl->redo, jl->held + 1, n);
	jl->nredo += n;
	jl->lex = LEX_TEXT;
}

static void lex_begin(struct joblog *jl, char c)
{
	jl->lex = c == '\033' ? LEX_CSI : LEX_MARK;
	jl->nheld = 0;
	jl->heads = (1u << ARRAY_SIZE(mark_heads)) - 1;
	jl->head = -1;
	jl->body_end = 0;
}

static void lex(struct joblog *jl, const char *p, size_t n)
{
	while (n || jl->nredo) {
		bool redo = jl->nredo > 0;
		const char *s = redo ? jl->redo : p;
		size_t avail = redo ? jl->nredo : n, used = 1;
		int r = 0;

		if (jl->lex == LEX_TEXT) {
			used = text_span(s, avail);
			if (used)
				r_text(jl, s, used);
			else
				lex_begin(jl, s[0]);
		} else if (jl->lex == LEX_CSI) {
			r = csi_step(jl, s[0]);
		} else {
			r = mark_step(jl, s[0]);
		}
		if (redo) {
			jl->nredo -= used;
			memmove(jl->redo, jl->redo + used, jl->nredo);
		} else {
			p += used;
			n -= used;
		}
		if (r > 0) {
			on_token(jl);
			jl->lex = LEX_TEXT;
		} else if (r < 0) {
			false_start(jl);
		}
	}
}

/* End of stream: an unfinished marker is text; an unfinished CSI goes. */
static void lex_finish(struct joblog *jl)
{
	while (jl->lex != LEX_TEXT) {
		if (jl->lex == LEX_CSI) {
			if (jl->term->colour)
				r_text(jl, jl->held, jl->nheld);
			jl->lex = LEX_TEXT;
			break;
		}
		false_start(jl);
		lex(jl, NULL, 0);
	}
}

/* ---- the job log ---- */

/* Masked bytes to every sink. */
static void sink(struct joblog *jl, const char *p, size_t n)
{
	if (!n)
		return;
	atomic_fetch_add(&jl->bytes, n);
	if (jl->fd >= 0) {
		buf_add(&jl->fbuf, p, n);
		if (jl->fbuf.len >= FILE_BLOCK)
			file_flush(jl);
	}
	if (jl->term)
		lex(jl, p, n);
}

/* A worker message: masked on its own, counted, never refused. */
static void sink_message(struct joblog *jl, const char *text)
{
	buf_reset(&jl->wmsg);
	mask_string(jl->secrets, text, strlen(text), &jl->wmsg);
	sink(jl, jl->wmsg.ptr, jl->wmsg.len);
}

static int limit_error(struct joblog *jl)
{
	return err_set(FY_ETOOBIG,
		       "the job exceeded the maximum log length (%zu bytes)",
		       jl->max_bytes);
}

/* Masked job output, up to the limit. */
static int deliver(struct joblog *jl, const char *p, size_t n)
{
	uint64_t have = atomic_load(&jl->bytes);

	if (atomic_load(&jl->limited))
		return limit_error(jl);
	if (jl->max_bytes == JOBLOG_UNLIMITED || have + n <= jl->max_bytes) {
		sink(jl, p, n);
		return 0;
	}
	sink(jl, p, have < jl->max_bytes ? jl->max_bytes - have : 0);
	atomic_store(&jl->limited, true);
	sink_message(jl, JOBLOG_MSG_LOG_LIMIT);
	return limit_error(jl);
}

/* After each call: show what is due, flush the file when due. */
static void settle(struct joblog *jl)
{
	if (jl->term)
		pend_flush(jl, false);
	if (jl->fbuf.len && joblog_now_ms() - jl->fflush >= FILE_FLUSH_MS)
		file_flush(jl);
}

int joblog_open(struct joblog **out, const struct joblog_opts *opts)
{
	struct joblog *jl = xcalloc(1, sizeof(*jl));

	jl->fd = -1;
	if (opts->log_path) {
		jl->fd = open(opts->log_path,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (jl->fd < 0) {
			int err = err_errno("cannot create log file '%s'",
					    opts->log_path);

			free(jl);
			return err;
		}
		jl->path = xstrdup(opts->log_path);
	}
	jl->term = opts->term;
	if (opts->prefix && *opts->prefix)
		jl->prefix = xstrdup(opts->prefix);
	jl->max_bytes = opts->max_bytes ? opts->max_bytes : JOBLOG_MAX_BYTES;
	jl->secrets = opts->secrets;
	jl->mask = mask_new(opts->secrets);
	jl->fflush = joblog_now_ms();
	atomic_store(&jl->last_output, jl->fflush);
	buf_init(&jl->mout);
	buf_init(&jl->wmsg);
	buf_init(&jl->fbuf);
	buf_init(&jl->pend);
	buf_init(&jl->fold);
	buf_init(&jl->line);
	*out = jl;
	return 0;
}

int joblog_write(struct joblog *jl, const void *data, size_t len)
{
	const char *p = data;
	int err = 0;

	if (atomic_load(&jl->limited))
		return limit_error(jl);
	if (len)
		atomic_store(&jl->last_output, joblog_now_ms());
	while (len && !err) {
		size_t n = len < SLICE ? len : SLICE;

		buf_reset(&jl->mout);
		mask_feed(jl->mask, p, n, &jl->mout);
		err = deliver(jl, jl->mout.ptr, jl->mout.len);
		p += n;
		len -= n;
	}
	settle(jl);
	if (err)
		return err;
	return take_file_err(jl);
}

int joblog_tick(struct joblog *jl)
{
	settle(jl);
	return take_file_err(jl);
}

int joblog_worker_message(struct joblog *jl, const char *text)
{
	buf_reset(&jl->mout);
	mask_finish(jl->mask, &jl->mout);
	(void)deliver(jl, jl->mout.ptr, jl->mout.len);
	sink_message(jl, text);
	settle(jl);
	return take_file_err(jl);
}

int joblog_hard_limit(struct joblog *jl)
{
	return joblog_worker_message(jl, JOBLOG_MSG_HARD_LIMIT);
}

int joblog_no_output(struct joblog *jl, uint64_t timeout_ms)
{
	struct buf msg = BUF_INIT;
	int err;

	buf_addstr(&msg, "\n\nNo output has been received in the last ");
	joblog_format_duration(&msg, timeout_ms);
	buf_addstr(&msg, ", this potentially indicates a stalled build or "
			 "something wrong with the build itself.\n"
			 "Check the details on how to adjust your build "
			 "configuration on: https://docs.travis-ci.com/user/"
			 "common-build-problems/"
			 "#build-times-out-because-no-output-was-received\n"
			 "\nThe build has been terminated\n\n");
	err = joblog_worker_message(jl, msg.ptr);
	buf_release(&msg);
	return err;
}

int joblog_cancelled(struct joblog *jl, const char *reason)
{
	struct buf msg = BUF_INIT;
	int err;

	buf_addf(&msg, "\n\nDone: Job Cancelled\n\n%s", reason ? reason : "");
	err = joblog_worker_message(jl, msg.ptr);
	buf_release(&msg);
	return err;
}

int joblog_close(struct joblog *jl)
{
	int err;

	if (!jl)
		return 0;
	buf_reset(&jl->mout);
	mask_finish(jl->mask, &jl->mout);
	(void)deliver(jl, jl->mout.ptr, jl->mout.len);
	if (jl->term) {
		lex_finish(jl);
		if (jl->nfolds && jl->term->fancy)
			fold_dump(jl);
		pend_flush(jl, true);
		term_status(jl, NULL, 0);
		term_end_line(jl);
	}
	file_flush(jl);
	err = take_file_err(jl);
	if (jl->fd >= 0 && close(jl->fd) < 0 && !err)
		err = err_errno("cannot write log file '%s'", jl->path);
	while (jl->nfolds)
		free(jl->folds[--jl->nfolds]);
	mask_free(jl->mask);
	buf_release(&jl->mout);
	buf_release(&jl->wmsg);
	buf_release(&jl->fbuf);
	buf_release(&jl->pend);
	buf_release(&jl->fold);
	buf_release(&jl->line);
	free(jl->prefix);
	free(jl->path);
	free(jl);
	return err;
}

uint64_t joblog_bytes(const struct joblog *jl)
{
	return atomic_load(&jl->bytes);
}

uint64_t joblog_last_output(const struct joblog *jl)
{
	return atomic_load(&jl->last_output);
}

uint64_t joblog_idle_ms(const struct joblog *jl)
{
	uint64_t now = joblog_now_ms(), last = joblog_last_output(jl);

	return now > last ? now - last : 0;
}

bool joblog_limited(const struct joblog *jl)
{
	return atomic_load(&jl->limited);
}
