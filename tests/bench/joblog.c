/*
 * bench-joblog: the job log pipeline on a large output.
 *
 *   bench-joblog [MIB [DIR]]
 *
 * Streams MIB MiB (default 200) of build-like output, cut into chunks of
 * 1 byte to 64 KiB as Docker delivers them, with 10 secrets printed here
 * and there (some split across chunks, some only begun), through
 *  1. the baseline: memcpy of each chunk to a buffer, write() to a file;
 *  2. a joblog with a log file (masking, limit accounting, file);
 *  3. a joblog with a log file and a plain terminal on /dev/null
 *     (masking, file, marker parsing and rendering);
 * all in this one process (three interleaved rounds, the best time of
 * each counting), and prints each throughput, the ratio to the
 * baseline, and the peak RSS (VmHWM) after each stage, to show that
 * memory stays flat whatever the size.  Then it checks that no secret is
 * in the log file.
 */
#include "compat.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "joblog.h"
#include "mask.h"
#include "xalloc.h"

#define BLOCK	 (4 << 20)
#define NSECRETS 10
#define ROUNDS	 3

static char *secrets[NSECRETS];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * CPU time of the process (user + system, single-threaded here): on a
 * busy build box it measures our work, not the other processes'.
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long vm_hwm_kib(void)
{
	struct buf b = BUF_INIT;
	const char *p;
	long kib = -1;

	if (fs_read_file(&b, "/proc/self/status") == 0) {
		p = strstr(b.ptr, "VmHWM:");
		if (p)
			kib = strtol(p + 6, NULL, 10);
	}
	buf_release(&b);
	return kib;
}

/* 4 MiB of output: compiler lines, folds, colours, secrets. */
static void make_block(struct buf *b)
{
	static const char *const lines[] = {
		"[ %2d%%] Building C object src/CMakeFiles/core.dir/m%d.c.o\n",
		"gcc -O2 -g -Wall -c -o obj/file%d.o src/file%d.c\n",
		"test_%d ... ok (%d ms)\n",
		"  Downloading https://example.org/pkg-%d.%d.tar.gz\n",
	};
	int i = 0;

	while (b->len < BLOCK - 512) {
		uint64_t r = rnd();

		if (r % 97 == 0)
			buf_addf(b, "export TOKEN=%s\n", secrets[r % NSECRETS]);
		else if (r % 89 == 0) /* the start of a secret, no more */
			buf_addf(b, "%.6s...\n", secrets[r % NSECRETS]);
		else if (r % 211 == 0)
			buf_addf(b,
				 "travis_fold:start:step.%d\r\033[0K"
				 "travis_time:start:%08x\r\033[0K"
				 "\033[33;1m$ make step%d\033[0m\n",
				 i, (unsigned)r, i);
		else if (r % 211 == 1)
			buf_addf(b,
				 "travis_time:end:%08x:start=1,finish=2,"
				 "duration=1,event=script\r\033[0K"
				 "travis_fold:end:step.%d\r\033[0K",
				 (unsigned)r, i - 1);
		else
			buf_addf(b, lines[r % ARRAY_SIZE(lines)],
				 (int)(r >> 8) % 100, i);
		i++;
	}
}

/* Feed `total` bytes of the block, cycling, in Docker-like chunks. */
static double stream(const struct buf *block, uint64_t total,
		     int (*fn)(void *ctx, const char *p, size_t n), void *ctx)
{
	uint64_t done = 0;
	size_t at = 0;
	double t0 = now_s();

	rng = 0x2545f4914f6cdd1dull;
	while (done < total) {
		size_t n = 1 + rnd() % 65536;

		if (n > block->len - at)
			n = block->len - at;
		if (n > total - done)
			n = (size_t)(total - done);
		if (fn(ctx, block->ptr + at, n) < 0) {
			fprintf(stderr, "bench-joblog: write failed\n");
			exit(1);
		}
		at = at + n == block->len ? 0 : at + n;
		done += n;
	}
	return now_s() - t0;
}

struct copy_ctx {
	int fd;
	char *buf;
};

static int copy_sink(void *ctx, const char *p, size_t n)
{
	struct copy_ctx *c = ctx;

	memcpy(c->buf, p, n);
	return fs_write_all(c->fd, c->buf, n);
}

static int joblog_sink(void *ctx, const char *p, size_t n)
{
	return joblog_write(ctx, p, n);
}

static double run_joblog(const struct buf *block, uint64_t total,
			 const char *path, const struct mask_set *set,
			 struct joblog_term *term)
{
	struct joblog_opts o = { 0 };
	struct joblog *jl;
	double t0 = now_s(), t;

	o.log_path = path;
	o.max_bytes = JOBLOG_UNLIMITED;
	o.secrets = set;
	o.term = term;
	if (joblog_open(&jl, &o) < 0) {
		fprintf(stderr, "bench-joblog: cannot open %s\n", path);
		exit(1);
	}
	stream(block, total, joblog_sink, jl);
	if (joblog_close(jl) < 0)
		exit(1);
	t = now_s() - t0;
	return t;
}

/* Count secrets in a file, reading it in pieces that overlap. */
static size_t count_secrets(const char *path)
{
	enum { PIECE = 1 << 20, OVER = 64 };
	char *buf = xmalloc(PIECE + OVER);
	size_t have = 0, found = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		exit(1);
	while ((n = read(fd, buf + have, PIECE)) > 0) {
		size_t len = have + (size_t)n;

		for (int i = 0; i < NSECRETS; i++) {
			size_t sl = strlen(secrets[i]);
			const char *p = buf, *hit;

			while ((hit = memmem(p, len - (size_t)(p - buf),
					     secrets[i], sl))) {
				found++;
				p = hit + 1;
			}
		}
		have = len < OVER ? len : OVER;
		memmove(buf, buf + len - have, have);
	}
	close(fd);
	free(buf);
	return found;
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 200;
	uint64_t total = mib << 20;
	char *dir = NULL, *base_path, *log_path;
	struct buf block = BUF_INIT;
	struct mask_set *set = NULL;
	struct joblog_term term;
	struct copy_ctx copy;
	double tb, tj, tt;
	long hwm0 = 0, hwm1 = 0, hwm2 = 0, hwm3 = 0;
	size_t planted;
	int null_fd;

	if (argc > 2)
		dir = xstrdup(argv[2]);
	else if (fs_tmpdir(&dir, "bench-joblog") < 0)
		return 1;
	base_path = fs_join(dir, "baseline.log");
	log_path = fs_join(dir, "job.log");
	for (int i = 0; i < NSECRETS; i++) {
		secrets[i] = xmalloc(48);
		snprintf(secrets[i], 48, "s3cr3t-%d-%016llx", i,
			 (unsigned long long)rnd() >> (i * 3));
	}
	if (mask_set_new(&set, (const char *const *)secrets, NSECRETS) < 0)
		return 1;
	make_block(&block);

	/* three rounds, interleaved; the best time of each counts */
	copy.buf = xmalloc(65536);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	tb = tj = tt = 1e9;
	for (int round = 0; round < ROUNDS; round++) {
		double t;

		copy.fd = open(base_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (copy.fd < 0)
			return 1;
		t = stream(&block, total, copy_sink, &copy);
		tb = t < tb ? t : tb;
		close(copy.fd);
		planted = count_secrets(base_path);
		unlink(base_path);
		if (!round) {
			hwm0 = vm_hwm_kib();
			run_joblog(&block, total / 10, log_path, set, NULL);
			unlink(log_path);
			hwm1 = vm_hwm_kib();
		}

		t = run_joblog(&block, total, log_path, set, NULL);
		tj = t < tj ? t : tj;
		hwm2 = vm_hwm_kib();
		if (count_secrets(log_path)) {
			printf("FAIL: a secret is in the log file\n");
			return 1;
		}
		unlink(log_path);

		joblog_term_init(&term, null_fd, true);
		t = run_joblog(&block, total, log_path, set, &term);
		tt = t < tt ? t : tt;
		joblog_term_release(&term);
		hwm3 = vm_hwm_kib();
		unlink(log_path);
	}
	close(null_fd);

	printf("joblog: %llu MiB of output, %d secrets, chunks of 1 B to 64 "
	       "KiB, best of %d rounds\n",
	       (unsigned long long)mib, NSECRETS, ROUNDS);
	printf("  baseline (memcpy + write to a file)  %7.0f MiB/s  %.2fs cpu\n",
	       (double)mib / tb, tb);
	printf("  joblog: mask + limit + log file      %7.0f MiB/s  %.2fs cpu  "
	       "ratio %.2f\n",
	       (double)mib / tj, tj, tj / tb);
	printf("  joblog: the above + plain terminal   %7.0f MiB/s  %.2fs cpu  "
	       "ratio %.2f\n",
	       (double)mib / tt, tt, tt / tb);
	printf("  peak RSS (VmHWM): %ld KiB after the baseline, %ld KiB after "
	       "a %llu MiB job, %ld KiB after %llu MiB, %ld KiB with the "
	       "terminal\n",
	       hwm0, hwm1, (unsigned long long)mib / 10, hwm2,
	       (unsigned long long)mib, hwm3);
	printf("  secrets in the output: %zu; in the log file: 0\n", planted);

	mask_set_free(set);
	buf_release(&block);
	for (int i = 0; i < NSECRETS; i++)
		free(secrets[i]);
	free(copy.buf);
	free(base_path);
	free(log_path);
	if (argc <= 2)
		fs_rm_rf(dir);
	free(dir);
	return 0;
}
