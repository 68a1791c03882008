/* ferry shell: a shell in a kept job's container. */
#include "compat.h"

#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include "cli.h"
#include "docker.h"
#include "error.h"
#include "val.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry shell [--print] JOB\n"
	"\n"
	"Open an interactive shell in the container of JOB (e.g. 1.2) kept by\n"
	"`ferry run --keep`: bash in the job's last working directory, with its\n"
	"environment and the travis_* functions, as they were when the job\n"
	"ended.  The newest kept container of that job number is used.\n"
	"It runs the docker CLI (`docker exec -it`), which must be installed.\n"
	"\n"
	"  --print      print the docker command instead of running it\n"
	"  -h, --help   show this help\n";

int cmd_shell(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "print", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct docker *d = NULL;
	struct val *list = NULL;
	const char *best = NULL;
	long long newest = -1;
	char label[256];
	bool print = false;
	int opt, rc = EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			print = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("shell", "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("shell",
				       "which job? (e.g. ferry shell 1.2)");
	if (docker_open(&d, NULL) < 0)
		return cli_error(EXIT_ERRORED);
	snprintf(label, sizeof(label), "%s.job=%s", DOCKER_LABEL, argv[optind]);
	if (docker_container_list(d, label, true, &list) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	for (size_t i = 0; list && i < list->seq.n; i++) {
		const struct val *c = list->seq.v[i];
		const char *created = val_text(val_map_get(c, "Created"));
		long long t = created ? strtoll(created, NULL, 10) : 0;

		if (t > newest) {
			newest = t;
			best = val_text(val_map_get(c, "Id"));
		}
	}
	if (!best) {
		fprintf(stderr,
			"ferry: no kept container for job %s "
			"(run `ferry run --keep` first)\n",
			argv[optind]);
		rc = EXIT_ERRORED;
		goto out;
	}
	{
		char *id = xstrdup(best);
		char *argv2[] = { (char *)"docker",
				  (char *)"exec",
				  (char *)"-it",
				  id,
				  (char *)"bash",
				  (char *)"--rcfile",
				  (char *)"/home/travis/.ferry/state.sh",
				  (char *)"-i",
				  NULL };

		if (docker_container_start(d, id) < 0) {
			rc = cli_error(EXIT_ERRORED);
			free(id);
			goto out;
		}
		if (print) {
			for (size_t i = 0; argv2[i]; i++)
				printf("%s%s", i ? " " : "", argv2[i]);
			printf("\n");
			free(id);
			goto out;
		}
		val_free(list);
		list = NULL;
		docker_close(d);
		d = NULL;
		execvp("docker", argv2);
		fprintf(stderr,
			"ferry: cannot run the docker CLI (%s); run: "
			"docker exec -it %s bash --rcfile "
			"/home/travis/.ferry/state.sh -i\n",
			errno == ENOENT ? "not installed" : "exec failed", id);
		free(id);
		rc = EXIT_ERRORED;
	}
out:
	val_free(list);
	docker_close(d);
	return rc;
}
