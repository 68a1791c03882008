#ifndef FY_JOBLOG_H
#define FY_JOBLOG_H

#include "compat.h"

#include <pthread.h>

#include "buf.h"

struct mask_set;

/*
 * joblog: one job's log.  The runner feeds it the raw output of the job
 * (any chunk sizes, markers and secrets split anywhere) and it delivers
 * that output, safely, to a log file and to the terminal.
 *
 *   raw chunks -> mask -> size limit -> log file (Travis's exact bytes)
 *                                    -> terminal (folds rendered)
 *
 * Masking.  Everything reaching any sink has been through a mask stream
 * over opts.secrets (see mask.h): no secret of the set is written, even
 * split across chunks.  Worker messages are masked too.
 *
 * Size limit.  Every byte written to the log counts (job output after
 * masking, and worker messages).  When job output would pass max_bytes,
 * the log keeps exactly its first max_bytes bytes, then gets Travis's
 * message (JOBLOG_MSG_LOG_LIMIT); that write and every later one return
 * FY_ETOOBIG: the runner kills the job, which errors.  (Travis's worker
 * drops the whole write that crosses the limit; cutting at the byte makes
 * the log independent of how the output was chunked.)
 *
 * Log file.  opts.log_path receives the masked bytes exactly as Travis's
 * log holds them: fold and time markers, colours, \r.  It is written in
 * blocks of 64 KiB and at least every second the job writes or ticks, and
 * at joblog_close().  It is created mode 0600, truncating an old file.
 *
 * Terminal.  The markers travis_fold:start|end:NAME and
 * travis_time:start|end:... (each ended by "\r\033[0K" or "\r\033[K") are
 * recognised anywhere in the stream, split across chunks or not, and are
 * never shown.  Without colour every CSI sequence (\033[...) is removed;
 * with colour they are kept.  In fancy mode (a terminal, not --plain) a
 * fold is shown while open as one status line updated in place
 * ("▸ NAME  last line"), and when closed as ONE line "▸ NAME  (3.2s)"
 * (the sum of the durations of its timing markers, else the time it was
 * open).  A fold still open when the job ends (an asserted command that
 * failed inside it) is printed after a "▾ NAME" line: all of it, or if it
 * passed JOBLOG_FOLD_KEEP bytes, its last 3/4 to 1 MiB from a line start,
 * after a line counting the bytes left out.
 * In plain mode the content is printed as it is, without markers.
 *
 * Parallel jobs.  Jobs sharing a joblog_term never mix within a line: a
 * job with a prefix (e.g. "[1.2] ") writes whole lines, each prefixed; an
 * unfinished line is shown once it is term->partial_ms old (on the next
 * write or tick), and if another job then writes, it is ended with a
 * newline and continued later under a new prefix.  A job without prefix
 * shows unfinished lines at once (prompts, progress dots).
 *
 * Threads.  A joblog is used by ONE thread (the one reading the job's
 * output): joblog_write, _tick, the message functions and _close.  Any
 * thread may read joblog_bytes(), joblog_last_output(), joblog_idle_ms()
 * and joblog_limited() meanwhile (they are atomic).  A joblog_term may be
 * shared by any number of joblogs in any threads: its writes are under
 * its mutex, one write() per batch.  Terminal write errors (a closed
 * pipe) are ignored; the runner should ignore SIGPIPE.
 *
 * Errors.  FY_ETOOBIG is the log limit (a result: the job errors).
 * FY_EFAIL (with a message) is a failure to write the log file; the file
 * is then abandoned and the terminal goes on.
 */

#define JOBLOG_MAX_BYTES 4194304 /* default limit, 4 MiB as issue 3 says */
#define JOBLOG_UNLIMITED SIZE_MAX
#define JOBLOG_FOLD_KEEP (1024 * 1024) /* open fold content kept */

/* Travis's worker messages (spec 2.1), byte for byte. */
#define JOBLOG_MSG_LOG_LIMIT \
	"\n\nThe job exceeded the maximum log length, and has been terminated.\n\n"
#define JOBLOG_MSG_HARD_LIMIT \
	"\n\nThe job exceeded the maximum time limit for jobs, and has been terminated.\n\n"

/*
 * The terminal (or pipe, or file) that jobs share.  Set up with
 * joblog_term_init(); the public fields may be changed before any job
 * writes.
 */
struct joblog_term {
	int fd;
	bool colour;	     /* keep colour (CSI) sequences */
	bool fancy;	     /* collapse folds, live status line */
	unsigned width;	     /* columns, for the status line */
	unsigned partial_ms; /* prefixed jobs: unfinished lines wait this */
	unsigned status_ms;  /* least time between status line updates */

	/* private, under lock */
	pthread_mutex_t lock;
	const struct joblog *owner; /* whose unfinished line the cursor ends */
	const struct joblog *status_owner;
	struct buf status; /* the status line, shown when no line is open */
	bool status_shown;
	struct buf out; /* what one batch writes */
};

/*
 * Detect: colour on a terminal unless NO_COLOR is set (non-empty) or
 * TERM=dumb; fancy on a terminal unless `plain` or TERM=dumb; width from
 * the terminal (else $COLUMNS, else 80); partial_ms 500, status_ms 100.
 */
void joblog_term_init(struct joblog_term *t, int fd, bool plain);
/* Erase the status line, end an unfinished line; does not close fd. */
void joblog_term_release(struct joblog_term *t);

struct joblog_opts {
	struct joblog_term *term; /* NULL: no terminal output */
	const char *prefix;	  /* "[1.2] " for parallel jobs, or NULL */
	const char *log_path;	  /* NULL: no log file */
	size_t max_bytes; /* 0: JOBLOG_MAX_BYTES; JOBLOG_UNLIMITED: none */
	const struct mask_set *secrets; /* NULL: nothing to mask */
};

struct joblog;

/* Open the log file (FY_E* from open) and start the no-output clock. */
int joblog_open(struct joblog **out, const struct joblog_opts *opts);

/*
 * Feed raw job output.  Returns 0; FY_ETOOBIG once the log limit is
 * passed (now or earlier: kill the job, nothing more is written); FY_EFAIL
 * if the log file could not be written.  Any len > 0 resets the no-output
 * clock.
 */
int joblog_write(struct joblog *jl, const void *data, size_t len);

/*
 * Call every few hundred milliseconds while the job is silent (from the
 * thread that writes): shows unfinished lines that are due and flushes
 * the log file when due.  Returns 0 or FY_EFAIL.
 */
int joblog_tick(struct joblog *jl);

/*
 * Append a message of the worker (ferry itself), masked, not subject to
 * the limit but counted.  What the job printed and the mask still held
 * comes out first.  Returns 0 or FY_EFAIL.
 */
int joblog_worker_message(struct joblog *jl, const char *text);
/*
 * The worker's messages for the hard time limit, the no-output timeout
 * (Go's "%v" of the timeout, e.g. "10m0s") and a cancellation (reason
 * appended as is, possibly empty).
 */
int joblog_hard_limit(struct joblog *jl);
int joblog_no_output(struct joblog *jl, uint64_t timeout_ms);
int joblog_cancelled(struct joblog *jl, const char *reason);

/*
 * End of the job: flush what the mask and the marker parser hold, print
 * an open fold in full (fancy mode), end an unfinished line on the
 * terminal, flush and close the log file, free `jl` (NULL: nothing).
 * Returns 0 or FY_EFAIL (log file).
 */
int joblog_close(struct joblog *jl);

/* Any thread: bytes written to the log so far (what Travis counts). */
uint64_t joblog_bytes(const struct joblog *jl);
/* Any thread: CLOCK_MONOTONIC time of the last output, in ms. */
uint64_t joblog_last_output(const struct joblog *jl);
/* Any thread: milliseconds since the last output (or since the open). */
uint64_t joblog_idle_ms(const struct joblog *jl);
/* Any thread: whether the log limit was passed. */
bool joblog_limited(const struct joblog *jl);

/* CLOCK_MONOTONIC in milliseconds, the clock of the functions above. */
uint64_t joblog_now_ms(void);
/*
 * Append a duration as Go's time.Duration "%v" prints it: 10m0s, 1m30s,
 * 5s, 1.5s, 250ms, 1h0m0s, 0s.
 */
void joblog_format_duration(struct buf *out, uint64_t ms);

#endif
