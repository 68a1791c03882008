#include "compat.h"

#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "joblog.h"
#include "mask.h"
#include "unit.h"
#include "xalloc.h"

/* How one job is shown; the rest of joblog_term is the default. */
struct job_case {
	bool colour, fancy;
	const char *prefix;
	size_t max;
	const char *const *secrets;
	unsigned width;
};

/*
 * Run `in` through a joblog fed in chunks ending at `cuts` (ascending,
 * the last one is len); return what the terminal (a file) and the log
 * file received, and the code of the last write.
 */
static int run_job(const struct job_case *c, const char *in, size_t len,
		   const size_t *cuts, size_t ncuts, struct buf *tout,
		   struct buf *lout)
{
	struct joblog_term t;
	struct joblog_opts o = { 0 };
	struct mask_set *set = NULL;
	struct joblog *jl = NULL;
	size_t n = 0, at = 0;
	int fd, rc = 0;

	while (c->secrets && c->secrets[n])
		n++;
	if (c->secrets && mask_set_new(&set, c->secrets, n) < 0)
		return -100;
	/* new files: ext4 flushes a truncated file on close, which is slow */
	unlink("term.out");
	unlink("job.log");
	fd = open("term.out", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -101;
	joblog_term_init(&t, fd, false);
	t.colour = c->colour;
	t.fancy = c->fancy;
	t.width = c->width ? c->width : 80;
	t.status_ms = 1000000; /* no status update but the first */
	o.term = &t;
	o.prefix = c->prefix;
	o.log_path = "job.log";
	o.max_bytes = c->max ? c->max : JOBLOG_UNLIMITED;
	o.secrets = set;
	if (joblog_open(&jl, &o) < 0)
		return -102;
	for (size_t i = 0; i < ncuts; i++) {
		rc = joblog_write(jl, in + at, cuts[i] - at);
		at = cuts[i];
	}
	if (joblog_close(jl) < 0)
		rc = -103;
	joblog_term_release(&t);
	close(fd);
	mask_set_free(set);
	buf_reset(tout);
	buf_reset(lout);
	if (fs_read_file(tout, "term.out") < 0 ||
	    fs_read_file(lout, "job.log") < 0)
		return -104;
	return rc;
}

/* The same, in chunks of `step` bytes (0: all at once). */
static int run_steps(const struct job_case *c, const char *in, size_t step,
		     struct buf *tout, struct buf *lout)
{
	size_t len = strlen(in), n = 0;
	size_t *cuts = xcalloc(len + 1, sizeof(*cuts));
	int rc;

	for (size_t at = step ? step : len; at < len; at += step)
		cuts[n++] = at;
	cuts[n++] = len;
	rc = run_job(c, in, len, cuts, n, tout, lout);
	free(cuts);
	return rc;
}

static bool eq(const struct buf *b, const char *want)
{
	return b->len == strlen(want) && !memcmp(b->ptr, want, b->len);
}

/* Show control bytes when a comparison fails. */
static const char *vis(const struct buf *b)
{
	static char out[8192];
	size_t o = 0;

	for (size_t i = 0; i < b->len && o + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)b->ptr[i];

		if (c == '\n' || c == '\r' || c == '\033' || c < 0x20)
			o += (size_t)snprintf(out + o, sizeof(out) - o,
					      "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

#define RED   "\033[31;1m"
#define GREEN "\033[32;1m"
#define RESET "\033[0m"
#define CLEAR "\r\033[0K"

/* A job as travis-build prints it: a fold with timings, a command. */
static const char sample[] =
	"travis_fold:start:install" CLEAR "travis_time:start:0a1b2c3d" CLEAR
	"$ make deps\ndeps ok\n"
	"travis_time:end:0a1b2c3d:start=1000000000,finish=4250000000,"
	"duration=3250000000,event=install" CLEAR
	"travis_fold:end:install" CLEAR "travis_time:start:00ff00ff" CLEAR
	"$ make test\ntests: " GREEN "all passed" RESET "\n"
	"travis_time:end:00ff00ff:start=1,finish=2,duration=1,event=script" CLEAR
		GREEN "The command \"make test\" exited with 0." RESET "\n"
	"\nDone. Your build exited with 0.\n";

static const char sample_plain[] =
	"$ make deps\ndeps ok\n$ make test\ntests: all passed\n"
	"The command \"make test\" exited with 0.\n"
	"\nDone. Your build exited with 0.\n";

static const char sample_colour[] =
	"$ make deps\ndeps ok\n$ make test\ntests: " GREEN "all passed" RESET
	"\n" GREEN "The command \"make test\" exited with 0." RESET "\n"
	"\nDone. Your build exited with 0.\n";

static const char sample_fancy[] =
	"\xe2\x96\xb8 install\r\033[K\xe2\x96\xb8 install  (3.2s)\n"
	"$ make test\ntests: " GREEN "all passed" RESET "\n" GREEN
	"The command \"make test\" exited with 0." RESET "\n"
	"\nDone. Your build exited with 0.\n";

static const struct {
	struct job_case c;
	const char *want;
} render_cases[] = {
	{ { .colour = false }, sample_plain },
	{ { .colour = true }, sample_colour },
	{ { .colour = true, .fancy = true }, sample_fancy },
};

/* Every mode, every way to cut the sample in two, and byte by byte. */
void test_joblog__render_modes_any_chunking(void)
{
	struct buf tout = BUF_INIT, lout = BUF_INIT;
	size_t len = strlen(sample);

	for (size_t i = 0; i < ARRAY_SIZE(render_cases); i++) {
		const struct job_case *c = &render_cases[i].c;

		check_ok(run_steps(c, sample, 0, &tout, &lout));
		if (!eq(&tout, render_cases[i].want))
			unit_fail(__FILE__, __LINE__, "mode %zu: %s", i,
				  vis(&tout));
		check(eq(&lout, sample));
		check_ok(run_steps(c, sample, 1, &tout, &lout));
		check(eq(&tout, render_cases[i].want));
		check(eq(&lout, sample));
		for (size_t cut = 1; cut < len; cut++) {
			size_t cuts[2] = { cut, len };

			check_ok(
				run_job(c, sample, len, cuts, 2, &tout, &lout));
			if (!eq(&tout, render_cases[i].want)) {
				unit_fail(__FILE__, __LINE__,
					  "mode %zu cut %zu: %s", i, cut,
					  vis(&tout));
				break;
			}
		}
	}
	buf_release(&tout);
	buf_release(&lout);
}

/* What looks like the start of a marker but is not one stays text. */
void test_joblog__false_marker_starts(void)
{
	static const char in[] =
		"travis_ and travis_fold:start:no-end\n"
		"ttravis_time:start:x\r\033[0Kok\n"
		"travis_fold:end:a\033[31mred\n"
		"travis_fold:start:x\r\033[1Kz\n"
		"travis_fold:start:" /* 300 bytes of name: too long */
		"0123456789012345678901234567890123456789012345678901234567890"
		"0123456789012345678901234567890123456789012345678901234567890"
		"0123456789012345678901234567890123456789012345678901234567890"
		"0123456789012345678901234567890123456789012345678901234567890"
		"0123456789012345678901234567890123456789012345678901234567890"
		"\r\033[0K\n"
		"travis_time:end:\r\033[K|\n"
		"travis_fold:sta";
	static const struct {
		bool colour;
		const char *want;
	} cases[] = {
		{ false,
		  "travis_ and travis_fold:start:no-end\n"
		  "tok\n"
		  "travis_fold:end:ared\n"
		  "travis_fold:start:x\rz\n"
		  "travis_fold:start:"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "\r\n"
		  "|\n"
		  "travis_fold:sta\n" },
		{ true,
		  "travis_ and travis_fold:start:no-end\n"
		  "tok\n"
		  "travis_fold:end:a\033[31mred\n"
		  "travis_fold:start:x\r\033[1Kz\n"
		  "travis_fold:start:"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "0123456789012345678901234567890123456789012345678901234567890"
		  "\r\033[0K\n"
		  "|\n"
		  "travis_fold:sta\n" },
	};
	struct buf tout = BUF_INIT, lout = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct job_case c = { .colour = cases[i].colour };

		for (size_t step = 0; step < 4; step++) {
			check_ok(run_steps(&c, in, step, &tout, &lout));
			if (!eq(&tout, cases[i].want)) {
				unit_fail(__FILE__, __LINE__,
					  "case %zu step %zu: %s", i, step,
					  vis(&tout));
				break;
			}
			check(eq(&lout, in));
		}
	}
	buf_release(&tout);
	buf_release(&lout);
}

/* An asserted command failing inside a fold: the fold is printed. */
void test_joblog__open_fold_printed_at_end(void)
{
	static const char in[] =
		"travis_fold:start:before_install.1" CLEAR
		"travis_time:start:1" CLEAR "$ ./setup.sh\nsetting up\n"
		"error: boom" /* no newline */
		"travis_time:end:1:start=1,finish=2,duration=1,event=x" CLEAR
		"\n" RED "The command \"./setup.sh\" failed and exited with 1 "
		"during ." RESET "\n\nYour build has been stopped.\n";
	static const char want[] =
		"\xe2\x96\xb8 before_install.1\r\033[K"
		"\xe2\x96\xbe before_install.1\n$ ./setup.sh\nsetting up\n"
		"error: boom\n" RED "The command \"./setup.sh\" failed and "
		"exited with 1 during ." RESET "\n\nYour build has been "
		"stopped.\n";
	struct job_case c = { .colour = true, .fancy = true };
	struct buf tout = BUF_INIT, lout = BUF_INIT;

	for (size_t step = 0; step < 3; step++) {
		check_ok(run_steps(&c, in, step, &tout, &lout));
		if (!eq(&tout, want))
			unit_fail(__FILE__, __LINE__, "%s", vis(&tout));
	}
	buf_release(&tout);
	buf_release(&lout);
}

/* A huge open fold keeps its end, and says how much it left out. */
void test_joblog__open_fold_is_capped(void)
{
	struct job_case c = { .fancy = true };
	struct buf in = BUF_INIT, tout = BUF_INIT, lout = BUF_INIT;
	unsigned long long dropped = 0;
	const char *note, *last;
	size_t body = 0, shown;

	buf_addstr(&in, "travis_fold:start:big" CLEAR);
	for (int i = 0; body < 3 * JOBLOG_FOLD_KEEP; i++) {
		size_t before = in.len;

		buf_addf(&in, "line %07d of a fold that never ends\n", i);
		body += in.len - before;
	}
	check_ok(run_steps(&c, in.ptr, 4096, &tout, &lout));
	note = strstr(tout.ptr, "\n[");
	check(note);
	check(sscanf(note, "\n[%llu bytes of this fold not shown", &dropped) ==
	      1);
	note = strchr(note + 1, '\n') + 1;
	shown = tout.len - (size_t)(note - tout.ptr);
	check_int(dropped + shown, ==, body);
	check_int(shown, <=, JOBLOG_FOLD_KEEP);
	check(!strncmp(note, "line ", 5)); /* cut at a line start */
	last = tout.ptr + tout.len -
	       strlen("line 0000000 of a fold that never ends\n");
	check(!strncmp(last, "line ", 5));
	check(eq(&lout, in.ptr));
	buf_release(&in);
	buf_release(&tout);
	buf_release(&lout);
}

/* Nested folds are part of the outer one; unknown ends are ignored. */
void test_joblog__nested_folds(void)
{
	static const char in[] =
		"pre\ntravis_fold:start:a" CLEAR "x\ntravis_fold:start:b" CLEAR
		"y\ntravis_time:end:t:start=0,finish=61500000000,"
		"duration=61500000000,event=" CLEAR "travis_fold:end:b" CLEAR
		"z\ntravis_fold:end:zzz" CLEAR "travis_fold:end:a" CLEAR
		"after\n";
	static const char want[] = "pre\n\xe2\x96\xb8 a\r\033[K"
				   "\xe2\x96\xb8 a  (1m01s)\nafter\n";
	struct job_case c = { .fancy = true };
	struct buf tout = BUF_INIT, lout = BUF_INIT;

	check_ok(run_steps(&c, in, 0, &tout, &lout));
	if (!eq(&tout, want))
		unit_fail(__FILE__, __LINE__, "%s", vis(&tout));
	check_ok(run_steps(&c, in, 1, &tout, &lout));
	check(eq(&tout, want));
	buf_release(&tout);
	buf_release(&lout);
}

/* The status line follows the fold's last line, cut to the width. */
void test_joblog__status_line(void)
{
	static const char in[] =
		"travis_fold:start:build" CLEAR "compiling \033[1mone\033[0m\n"
		"travis_fold:start:inner" CLEAR
		"a very long line that is longer than the terminal\n"
		"travis_time:end:x:start=0,finish=1,duration=1500000000,event=" CLEAR
		"travis_fold:end:build" CLEAR;
	/* an update per piece of text, none when it would not change */
	static const char want[] =
		"\xe2\x96\xb8 build\r\033[K"
		"\xe2\x96\xb8 build  compiling\r\033[K"
		"\xe2\x96\xb8 build  compiling one\r\033[K"
		"\xe2\x96\xb8 build  a very long line that\r\033[K"
		"\xe2\x96\xb8 build  (1.5s)\n";
	struct buf tout = BUF_INIT, lout = BUF_INIT;
	struct joblog_term t;
	struct joblog_opts o = { 0 };
	struct joblog *jl;
	int fd = open("term.out", O_RDWR | O_CREAT | O_TRUNC, 0600);

	check(fd >= 0);
	joblog_term_init(&t, fd, false);
	t.fancy = true;
	t.width = 31;
	t.status_ms = 0;
	o.term = &t;
	check_ok(joblog_open(&jl, &o));
	/* one write per piece, so that the updates do not depend on timing */
	check_ok(joblog_write(jl, in, strlen(in)));
	check_ok(joblog_close(jl));
	joblog_term_release(&t);
	close(fd);
	check_ok(fs_read_file(&tout, "term.out"));
	if (!eq(&tout, want))
		unit_fail(__FILE__, __LINE__, "%s", vis(&tout));
	buf_release(&tout);
	buf_release(&lout);
}

/* Masked bytes, markers and all, in the log file; nothing else leaks. */
void test_joblog__log_file_is_raw_and_masked(void)
{
	static const char *const secrets[] = { "hunter22", "\"s p a c e\"",
					       NULL };
	static const char in[] =
		"travis_fold:start:env" CLEAR "$ export PW=hunter22\n"
		"travis_fold:end:env" CLEAR "echo s p a c e hunter22hunter22\n"
		"travis_fold:start:hunter22" CLEAR "x\n";
	static const char want_log[] =
		"travis_fold:start:env" CLEAR "$ export PW=[secure]\n"
		"travis_fold:end:env" CLEAR "echo [secure] [secure][secure]\n"
		"travis_fold:start:[secure]" CLEAR "x\n";
	static const char want_term[] = "$ export PW=[secure]\n"
					"echo [secure] [secure][secure]\n"
					"x\n";
	struct job_case c = { .secrets = secrets };
	struct buf tout = BUF_INIT, lout = BUF_INIT;
	size_t len = strlen(in);

	for (size_t a = 0; a <= len; a++) {
		for (size_t b = a; b <= len; b += 7) {
			size_t cuts[3] = { a, b, len };

			check_ok(run_job(&c, in, len, cuts, 3, &tout, &lout));
			if (!eq(&lout, want_log) || !eq(&tout, want_term)) {
				unit_fail(__FILE__, __LINE__, "cut %zu,%zu: %s",
					  a, b, vis(&lout));
				goto out;
			}
		}
	}
	check_ok(run_steps(&c, in, 1, &tout, &lout));
	check(eq(&lout, want_log));
out:
	buf_release(&tout);
	buf_release(&lout);
}

void test_joblog__log_limit(void)
{
	static const char *const secrets[] = { "SECRET1234", NULL };
	static const struct {
		size_t max, step;
		const char *in, *kept;
		int rc;
	} cases[] = {
		{ 10, 0, "abcdefghij", "abcdefghij", 0 },
		{ 10, 0, "abcdefghijk", "abcdefghij", FY_ETOOBIG },
		{ 10, 3, "abcdefghijk", "abcdefghij", FY_ETOOBIG },
		{ 10, 1, "abcdefghijklmnopq", "abcdefghij", FY_ETOOBIG },
		{ 5, 2, "abcdefghij", "abcde", FY_ETOOBIG },
		/* counted after masking: 10 bytes become 8 */
		{ 9, 1, "SECRET1234x", "[secure]x", 0 },
		{ 9, 4, "SECRET1234xy", "[secure]x", FY_ETOOBIG },
	};
	struct buf tout = BUF_INIT, lout = BUF_INIT, want = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct job_case c = { .max = cases[i].max, .secrets = secrets };
		int rc =
			run_steps(&c, cases[i].in, cases[i].step, &tout, &lout);

		buf_reset(&want);
		buf_addstr(&want, cases[i].kept);
		if (cases[i].rc)
			buf_addstr(&want, JOBLOG_MSG_LOG_LIMIT);
		check_int(rc, ==, cases[i].rc);
		if (!eq(&lout, want.ptr))
			unit_fail(__FILE__, __LINE__, "case %zu: %s", i,
				  vis(&lout));
		/* the terminal also ends the job's unfinished line */
		if (want.ptr[want.len - 1] != '\n')
			buf_addch(&want, '\n');
		check(eq(&tout, want.ptr));
	}
	buf_release(&tout);
	buf_release(&lout);
	buf_release(&want);
}

/* The limit is reported once passed, and by every later write. */
void test_joblog__limit_state(void)
{
	struct joblog_opts o = { .log_path = "job.log", .max_bytes = 4 };
	struct buf lout = BUF_INIT;
	struct joblog *jl;

	check_ok(joblog_open(&jl, &o));
	check_ok(joblog_write(jl, "abcd", 4));
	check(!joblog_limited(jl));
	check_int(joblog_write(jl, "e", 1), ==, FY_ETOOBIG);
	check(joblog_limited(jl));
	check_int(joblog_write(jl, "f", 1), ==, FY_ETOOBIG);
	check_int(joblog_bytes(jl), ==, 4 + strlen(JOBLOG_MSG_LOG_LIMIT));
	check_ok(joblog_hard_limit(jl)); /* worker messages still go in */
	check_ok(joblog_close(jl));
	check_ok(fs_read_file(&lout, "job.log"));
	check(eq(&lout, "abcd" JOBLOG_MSG_LOG_LIMIT JOBLOG_MSG_HARD_LIMIT));
	buf_release(&lout);
}

void test_joblog__default_limit_is_4_mib(void)
{
	struct joblog_opts o = { 0 };
	struct joblog *jl;
	char *big = xcalloc(1, JOBLOG_MAX_BYTES);

	memset(big, 'x', JOBLOG_MAX_BYTES);
	check_int(JOBLOG_MAX_BYTES, ==, 4194304);
	check_ok(joblog_open(&jl, &o));
	check_ok(joblog_write(jl, big, JOBLOG_MAX_BYTES));
	check_int(joblog_write(jl, "y", 1), ==, FY_ETOOBIG);
	check_ok(joblog_close(jl));
	free(big);
}

void test_joblog__worker_messages(void)
{
	static const char *const secrets[] = { "Cancelled by hunter22", "held",
					       NULL };
	struct joblog_opts o = { .log_path = "job.log" };
	struct mask_set *set = NULL;
	struct buf lout = BUF_INIT;
	struct joblog *jl;

	check_ok(mask_set_new(&set, secrets, 2));
	o.secrets = set;
	check_ok(joblog_open(&jl, &o));
	check_ok(joblog_write(jl, "output he", 9)); /* "he" is held */
	check_ok(joblog_no_output(jl, 600000));
	check_ok(joblog_hard_limit(jl));
	check_ok(joblog_no_output(jl, 90500));
	check_ok(joblog_cancelled(jl, "Cancelled by hunter22"));
	check_ok(joblog_close(jl));
	mask_set_free(set);
	check_ok(fs_read_file(&lout, "job.log"));
	check_str(lout.ptr,
		  "output he"
		  "\n\nNo output has been received in the last 10m0s, this "
		  "potentially indicates a stalled build or something wrong "
		  "with the build itself.\nCheck the details on how to adjust "
		  "your build configuration on: https://docs.travis-ci.com/"
		  "user/common-build-problems/#build-times-out-because-no-"
		  "output-was-received\n\nThe build has been terminated\n\n"
		  "\n\nThe job exceeded the maximum time limit for jobs, and "
		  "has been terminated.\n\n"
		  "\n\nNo output has been received in the last 1m30.5s, this "
		  "potentially indicates a stalled build or something wrong "
		  "with the build itself.\nCheck the details on how to adjust "
		  "your build configuration on: https://docs.travis-ci.com/"
		  "user/common-build-problems/#build-times-out-because-no-"
		  "output-was-received\n\nThe build has been terminated\n\n"
		  "\n\nDone: Job Cancelled\n\n[secure]");
	buf_release(&lout);
}

void test_joblog__go_durations(void)
{
	static const struct {
		uint64_t ms;
		const char *want;
	} cases[] = {
		{ 0, "0s" },	       { 1, "1ms" },
		{ 250, "250ms" },      { 1000, "1s" },
		{ 1500, "1.5s" },      { 5000, "5s" },
		{ 61001, "1m1.001s" }, { 90000, "1m30s" },
		{ 600000, "10m0s" },   { 3000000, "50m0s" },
		{ 3600000, "1h0m0s" }, { 7384120, "2h3m4.12s" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf b = BUF_INIT;

		joblog_format_duration(&b, cases[i].ms);
		check_str(b.ptr, cases[i].want);
		buf_release(&b);
	}
}

void test_joblog__last_output_clock(void)
{
	struct joblog_opts o = { 0 };
	struct timespec pause = { 0, 30 * 1000000 };
	struct joblog *jl;
	uint64_t t0, t1;

	check_ok(joblog_open(&jl, &o));
	t0 = joblog_last_output(jl);
	check_int(t0, <=, joblog_now_ms());
	nanosleep(&pause, NULL);
	check_int(joblog_idle_ms(jl), >=, 30);
	check_ok(joblog_write(jl, "", 0)); /* nothing: not output */
	check_int(joblog_last_output(jl), ==, t0);
	check_ok(joblog_write(jl, "\r", 1));
	t1 = joblog_last_output(jl);
	check_int(t1, >=, t0 + 30);
	check_int(joblog_idle_ms(jl), <, 30);
	check_ok(joblog_close(jl));
}

/* Prefixed lines; unfinished ones wait, unless due or ended by others. */
void test_joblog__prefixed_partial_lines(void)
{
	struct joblog_opts oa = { .prefix = "[1.1] " },
			   ob = { .prefix = "[1.2] " };
	struct buf tout = BUF_INIT;
	struct joblog_term t;
	struct joblog *a, *b;
	int fd = open("term.out", O_RDWR | O_CREAT | O_TRUNC, 0600);

	check(fd >= 0);
	joblog_term_init(&t, fd, false);
	t.partial_ms = 1000000;
	oa.term = ob.term = &t;
	check_ok(joblog_open(&a, &oa));
	check_ok(joblog_open(&b, &ob));
	check_ok(joblog_write(a, "abc", 3));
	check_ok(joblog_write(b, "x\ny", 3));
	check_ok(joblog_write(a, "def\nghi", 7));
	t.partial_ms = 0;
	check_ok(joblog_tick(a)); /* "ghi" is due now */
	check_ok(joblog_write(b, "z\n", 2));
	check_ok(joblog_write(a, "jkl\n", 4));
	check_ok(joblog_write(a, "Password: ", 10));
	check_ok(joblog_tick(a));
	check_ok(joblog_close(a));
	check_ok(joblog_close(b));
	joblog_term_release(&t);
	close(fd);
	check_ok(fs_read_file(&tout, "term.out"));
	check_str(tout.ptr, "[1.2] x\n"
			    "[1.1] abcdef\n"
			    "[1.1] ghi\n"
			    "[1.2] yz\n"
			    "[1.1] jkl\n"
			    "[1.1] Password: \n");
	buf_release(&tout);
}

/* Without a prefix, unfinished lines show at once (prompts, dots). */
void test_joblog__unprefixed_partial_lines_at_once(void)
{
	struct joblog_opts o = { 0 };
	struct buf tout = BUF_INIT;
	struct joblog_term t;
	struct joblog *jl;
	int fd = open("term.out", O_RDWR | O_CREAT | O_TRUNC, 0600);

	check(fd >= 0);
	joblog_term_init(&t, fd, false);
	o.term = &t;
	check_ok(joblog_open(&jl, &o));
	check_ok(joblog_write(jl, "Password: ", 10));
	check_ok(fs_read_file(&tout, "term.out"));
	check_str(tout.ptr, "Password: ");
	check_ok(joblog_write(jl, "...", 3));
	check_ok(joblog_close(jl));
	joblog_term_release(&t);
	close(fd);
	buf_reset(&tout);
	check_ok(fs_read_file(&tout, "term.out"));
	check_str(tout.ptr, "Password: ...\n");
	buf_release(&tout);
}

/* Fancy prefixed lines: colour reset at line end, progress \r folded. */
void test_joblog__prefixed_fancy_lines(void)
{
	static const char in[] = RED "red"
				     "\n50%\r100%\r\ndone\r\n";
	static const char want[] = "[7] " RED "red" RESET "\n[7] 100%\r\n"
				   "[7] done\r\n";
	struct job_case c = { .colour = true, .fancy = true, .prefix = "[7] " };
	struct buf tout = BUF_INIT, lout = BUF_INIT;

	check_ok(run_steps(&c, in, 0, &tout, &lout));
	if (!eq(&tout, want))
		unit_fail(__FILE__, __LINE__, "%s", vis(&tout));
	buf_release(&tout);
	buf_release(&lout);
}

/* ---- parallel jobs from threads ---- */

enum { NJOBS = 4, NLINES = 3000 };

struct par_job {
	struct joblog_term *term;
	int id;
	struct buf content;
	int rc;
};

/* Job `id` only prints digits and its own letter. */
static void par_content(struct buf *b, int id)
{
	for (int i = 0; i < NLINES; i++) {
		buf_addf(b, "%c%d", 'a' + id, i);
		for (int k = 0; k < i % 37; k++)
			buf_addch(b, (char)('a' + id));
		buf_addch(b, '\n');
	}
}

static void *par_thread(void *p)
{
	struct par_job *j = p;
	struct joblog_opts o = { .term = j->term };
	struct joblog *jl;
	char prefix[16];
	unsigned r = (unsigned)j->id * 7919u + 1;
	size_t at = 0;

	snprintf(prefix, sizeof(prefix), "[1.%d] ", j->id);
	o.prefix = prefix;
	o.max_bytes = JOBLOG_UNLIMITED;
	j->rc = joblog_open(&jl, &o);
	if (j->rc < 0)
		return NULL;
	while (at < j->content.len && !j->rc) {
		size_t n = 1 + (r = r * 1103515245u + 12345u) / 65536 % 300;

		if (n > j->content.len - at)
			n = j->content.len - at;
		j->rc = joblog_write(jl, j->content.ptr + at, n);
		at += n;
		if (r % 5 == 0)
			j->rc = j->rc ? j->rc : joblog_tick(jl);
	}
	if (joblog_close(jl) < 0)
		j->rc = -1;
	return NULL;
}

/* Run NJOBS threads on one terminal; return its text. */
static int run_parallel(unsigned partial_ms, struct par_job *jobs,
			struct buf *tout)
{
	struct joblog_term t;
	pthread_t th[NJOBS];
	int fd = open("term.out", O_RDWR | O_CREAT | O_TRUNC, 0600), rc = 0;

	if (fd < 0)
		return -1;
	joblog_term_init(&t, fd, false);
	t.partial_ms = partial_ms;
	for (int i = 0; i < NJOBS; i++) {
		jobs[i].term = &t;
		jobs[i].id = i;
		buf_init(&jobs[i].content);
		par_content(&jobs[i].content, i);
		if (pthread_create(&th[i], NULL, par_thread, &jobs[i]))
			return -1;
	}
	for (int i = 0; i < NJOBS; i++) {
		pthread_join(th[i], NULL);
		rc |= jobs[i].rc;
	}
	joblog_term_release(&t);
	close(fd);
	return rc < 0 ? rc : fs_read_file(tout, "term.out");
}

/*
 * Split the terminal text back into the jobs' streams: every line must
 * be one prefix plus text of that job only.  With whole lines, each job's
 * lines come back exactly; with unfinished lines shown, the pieces of a
 * job concatenate to its text without the newlines.
 */
static int par_check(const struct buf *tout, struct par_job *jobs, bool whole)
{
	struct buf got[NJOBS];
	const char *p = tout->ptr, *end = tout->ptr + tout->len;
	int bad = 0;

	for (int i = 0; i < NJOBS; i++)
		buf_init(&got[i]);
	while (p < end && !bad) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int id;

		if (!nl || sscanf(p, "[1.%d] ", &id) != 1 || id < 0 ||
		    id >= NJOBS || strncmp(p + 4, "] ", 2)) {
			bad = 1;
			break;
		}
		for (const char *q = p + 6; q < nl; q++)
			if (*q != 'a' + id && (*q < '0' || *q > '9'))
				bad = 2;
		buf_add(&got[id], p + 6, (size_t)(nl - p - 6) + whole);
		p = nl + 1;
	}
	for (int i = 0; i < NJOBS && !bad; i++) {
		struct buf want = BUF_INIT;

		for (size_t k = 0; k < jobs[i].content.len; k++)
			if (whole || jobs[i].content.ptr[k] != '\n')
				buf_addch(&want, jobs[i].content.ptr[k]);
		if (want.len != got[i].len ||
		    memcmp(want.ptr, got[i].ptr, want.len))
			bad = 3;
		buf_release(&want);
	}
	for (int i = 0; i < NJOBS; i++) {
		buf_release(&got[i]);
		buf_release(&jobs[i].content);
	}
	return bad;
}

void test_joblog__parallel_jobs_whole_lines(void)
{
	struct par_job jobs[NJOBS];
	struct buf tout = BUF_INIT;

	check_ok(run_parallel(1000000, jobs, &tout));
	check_int(par_check(&tout, jobs, true), ==, 0);
	buf_release(&tout);
}

void test_joblog__parallel_jobs_partial_lines_never_mix(void)
{
	struct par_job jobs[NJOBS];
	struct buf tout = BUF_INIT;

	check_ok(run_parallel(0, jobs, &tout));
	check_int(par_check(&tout, jobs, false), ==, 0);
	buf_release(&tout);
}

void test_joblog__log_file_errors(void)
{
	struct joblog_opts o = { .log_path = "no/such/dir/job.log" };
	struct joblog *jl = NULL;

	check_int(joblog_open(&jl, &o), ==, FY_ENOTFOUND);
	check(!jl);
	check(strstr(err_msg(), "no/such/dir/job.log"));
	check_ok(joblog_close(NULL));
}
