/*
 * bench-config: configs per second through the whole config layer (load,
 * normalise, expand the matrix, plan with a request) over a corpus held in
 * memory, single-threaded, against a baseline of loading the YAML alone.
 *   bench-config [--rounds N] FILE...
 *   bench-config [--rounds N] --list FILE   (one path a line)
 */
#include "compat.h"

#include <time.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "loader.h"
#include "matrix.h"
#include "msg.h"
#include "norm.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct buf *files;
	int rounds = 3, first = 1, n;
	double t_load = 1e9, t_full = 1e9, t_plan = 1e9;
	size_t ok = 0;
	struct val *request = val_map();

	if (argc > 2 && !strcmp(argv[1], "--rounds")) {
		rounds = (int)strtol(argv[2], NULL, 10);
		first = 3;
	}
	if (argc > first + 1 && !strcmp(argv[first], "--list")) {
		struct buf list = BUF_INIT;
		struct svec paths = SVEC_INIT;

		if (fs_read_file(&list, argv[first + 1]) < 0) {
			fprintf(stderr, "%s\n", err_msg());
			return 2;
		}
		svec_split(&paths, list.ptr, "\n", true);
		argv = paths.v; /* kept until exit */
		argc = (int)paths.n;
		first = 0;
	}
	n = argc - first;
	if (n <= 0) {
		fprintf(stderr, "usage: bench-config [--rounds N] FILE...\n");
		return 2;
	}
	files = xcalloc((size_t)n, sizeof(*files));
	for (int i = 0; i < n; i++) {
		buf_init(&files[i]);
		if (fs_read_file(&files[i], argv[first + i]) < 0) {
			fprintf(stderr, "%s\n", err_msg());
			return 2;
		}
	}
	val_map_set(request, "type", val_str("push"));
	val_map_set(request, "branch", val_str("master"));
	val_map_set(request, "repo", val_str("octo/app"));
	for (int r = 0; r < rounds; r++) {
		double t0 = now();

		for (int i = 0; i < n; i++) {
			struct val *v = NULL;

			if (!loader_load(&v, files[i].ptr, files[i].len, "x",
					 NULL, NULL))
				val_free(v);
		}
		if (now() - t0 < t_load)
			t_load = now() - t0;
		for (int pass = 0; pass < 2; pass++) {
			t0 = now();
			ok = 0;
			for (int i = 0; i < n; i++) {
				struct msgs m = MSGS_INIT;
				struct svec anchors = SVEC_INIT;
				struct val *v = NULL, *cfg, *jobs;

				if (loader_load(&v, files[i].ptr, files[i].len,
						"x", &m, &anchors) < 0) {
					msgs_release(&m);
					continue;
				}
				cfg = norm_apply(v, &anchors, &m);
				if (pass == 0)
					jobs = matrix_expand(cfg, &m);
				else
					jobs = matrix_plan(cfg, request, 1, &m);
				val_free(jobs);
				val_free(cfg);
				svec_release(&anchors);
				msgs_release(&m);
				ok++;
			}
			if (pass == 0 && now() - t0 < t_full)
				t_full = now() - t0;
			if (pass == 1 && now() - t0 < t_plan)
				t_plan = now() - t0;
		}
	}
	printf("config layer: %d configs (%zu loaded), best of %d rounds, one thread\n",
	       n, ok, rounds);
	printf("  YAML load only (baseline):            %8.0f configs/s\n",
	       n / t_load);
	printf("  load + normalise + expand the matrix: %8.0f configs/s (%.2fx the baseline time; target >= 5000/s)\n",
	       n / t_full, t_full / t_load);
	printf("  load + normalise + plan the build:    %8.0f configs/s (%.2fx the baseline time)\n",
	       n / t_plan, t_plan / t_load);
	for (int i = 0; i < n; i++)
		buf_release(&files[i]);
	free(files);
	val_free(request);
	return 0;
}
