/* ferry env: repository settings variables (secrets.h). */
#include "compat.h"

#include <getopt.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "error.h"
#include "ferryconf.h"
#include "secrets.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry env list OWNER/REPO\n"
	"       ferry env set OWNER/REPO NAME [VALUE] [--public] [--branch B]\n"
	"       ferry env unset OWNER/REPO NAME [--branch B]\n"
	"\n"
	"Repository settings variables, as Travis keeps them in a repository's\n"
	"settings: every job of the repository gets them, exported before the\n"
	"variables of .travis.yml (which win), those for the job's branch after\n"
	"those for every branch.  Values are inserted verbatim after NAME= (bash\n"
	"expands them).  Private values (the default) are masked in logs, never\n"
	"listed, and not given to pull requests from forks.\n"
	"\n"
	"  set     add NAME or change its value (VALUE missing: read from\n"
	"          standard input, one line, so it stays out of shell history)\n"
	"  unset   remove NAME (every branch's, unless --branch)\n"
	"  list    print NAME=value, or NAME=[secure] for private variables\n"
	"\n"
	"  --public        the value is not secret: shown in logs and lists\n"
	"  --private       the value is secret (the default)\n"
	"  --branch B      only for jobs of branch B\n"
	"  --config FILE   ferry's configuration file\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit status: 0 ok, 1 unset found nothing, 2 error, 64 usage.\n";

enum {
	V_PUBLIC = 1,
	V_PRIVATE,
	V_BRANCH,
	V_CONFIG,
};

struct env_args {
	const char *verb, *slug, *name, *value, *branch, *config;
	bool public;
};

static void list(const struct settings *s, const char *slug)
{
	printf("# environment variables for %s\n", slug);
	for (size_t i = 0; i < s->n; i++) {
		const struct settings_var *v = &s->v[i];

		printf("%s=%s", v->name, v->public ? v->value : "[secure]");
		if (v->branch)
			printf("  # branch %s", v->branch);
		putchar('\n');
	}
}

/* One line of standard input, without its line break. */
static int read_value(struct buf *b)
{
	int c;

	if (isatty(0))
		fprintf(stderr, "value: ");
	buf_set_limit(b, 1u << 20);
	while ((c = getchar()) != EOF && c != '\n')
		buf_addch(b, c);
	if (buf_truncated(b))
		return err_set(FY_ETOOBIG, "the value is too long");
	if (b->len && b->ptr[b->len - 1] == '\r')
		buf_setlen(b, b->len - 1);
	return 0;
}

static int run(const struct env_args *a)
{
	struct ferryconf *conf = NULL;
	struct settings s = SETTINGS_INIT;
	struct buf value = BUF_INIT;
	char *dir = NULL;
	bool change = strcmp(a->verb, "list");
	int rc = EXIT_OK, err = ferryconf_load(&conf, a->config);

	if (!err) {
		dir = settings_dir(conf);
		err = settings_open(&s, dir, a->slug, change);
	}
	if (!err && !strcmp(a->verb, "set")) {
		if (a->value)
			buf_addstr(&value, a->value);
		else
			err = read_value(&value);
		if (!err)
			settings_set(&s, a->name, value.ptr, a->public,
				     a->branch);
	} else if (!err && !strcmp(a->verb, "unset")) {
		if (!settings_unset(&s, a->name, a->branch)) {
			fprintf(stderr, "ferry: %s has no variable %s%s%s\n",
				a->slug, a->name,
				a->branch ? " for branch " : "",
				a->branch ? a->branch : "");
			rc = EXIT_FAILED;
			change = false;
		}
	}
	if (!err && change)
		err = settings_save(&s, dir, a->slug);
	if (!err && !strcmp(a->verb, "list"))
		list(&s, a->slug);
	if (err < 0)
		rc = cli_error(EXIT_ERRORED);
	buf_release_secure(&value);
	settings_release(&s);
	free(dir);
	ferryconf_free(conf);
	return rc;
}

int cmd_env(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public", no_argument, NULL, V_PUBLIC },
		{ "private", no_argument, NULL, V_PRIVATE },
		{ "branch", required_argument, NULL, V_BRANCH },
		{ "config", required_argument, NULL, V_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct env_args a = { 0 };
	int opt, n, min, max;
	char **args;

	if (argc >= 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-')
		return cli_usage_error("env", "set, unset or list?");
	a.verb = argv[1];
	optind = 1;
	while ((opt = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (opt) {
		case V_PUBLIC:
			a.public = true;
			break;
		case V_PRIVATE:
			a.public = false;
			break;
		case V_BRANCH:
			a.branch = optarg;
			break;
		case V_CONFIG:
			a.config = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("env", "unknown option");
		}
	}
	args = argv + 1 + optind;
	n = argc - 1 - optind;
	if (!strcmp(a.verb, "set")) {
		min = 2;
		max = 3;
	} else if (!strcmp(a.verb, "unset")) {
		min = max = 2;
	} else if (!strcmp(a.verb, "list")) {
		min = max = 1;
	} else {
		return cli_usage_error("env", "unknown action '%s'", a.verb);
	}
	if (n < min || n > max)
		return cli_usage_error(
			"env", "wrong number of arguments for %s", a.verb);
	a.slug = args[0];
	a.name = n > 1 ? args[1] : NULL;
	a.value = n > 2 ? args[2] : NULL;
	if (secrets_check_slug(a.slug) < 0)
		return cli_usage_error("env", "%s", err_msg());
	if (a.name && settings_check_name(a.name) < 0)
		return cli_usage_error("env", "%s", err_msg());
	if (a.branch && !*a.branch)
		return cli_usage_error("env", "--branch needs a branch name");
	return run(&a);
}
