/*
 * ferry appspec: run a CodeDeploy deployment on this host as the
 * CodeDeploy agent does (`run`), or check an appspec.yml (`validate`).
 */
#include "compat.h"

#include <getopt.h>
#include <stddef.h>
#include <unistd.h>

#include "agent.h"
#include "appspec.h"
#include "buf.h"
#include "cli.h"
#include "error.h"
#include "json.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry appspec run [OPTIONS]\n"
	"       ferry appspec validate [--json] [FILE...]\n"
	"\n"
	"Check an AppSpec file, or carry out a CodeDeploy deployment of a\n"
	"revision on this host as the AWS CodeDeploy agent (and its\n"
	"codedeploy-local tool) does.\n";

static const char run_usage[] =
	"usage: ferry appspec run [OPTIONS]\n"
	"\n"
	"Deploy a revision (a directory or archive with an appspec.yml at its\n"
	"top) on this host as the AWS CodeDeploy agent 1.8.1 does: lifecycle\n"
	"hooks in the agent's order (ApplicationStop and the block-traffic\n"
	"hooks from the last successful revision), files copied and the\n"
	"previous revision's removed, permissions, timeouts, runas, the\n"
	"agent's environment variables and its deployment-root layout.\n"
	"\n"
	"  --bundle FILE|DIR      the revision: a directory, or a tar, tar.gz\n"
	"                         or zip file (default: the current directory)\n"
	"  --root DIR             deployment root (default\n"
	"                         " AGENT_DEFAULT_ROOT ")\n"
	"  --deployment-id ID     (default: d-XXXXXXXXX-local, random)\n"
	"  --deployment-group ID  deployment group id, a folder under the root\n"
	"                         (default " AGENT_DEFAULT_GROUP ")\n"
	"  --deployment-group-name NAME  (default " AGENT_DEFAULT_GROUP_NAME
	")\n"
	"  --application NAME     application name (default: the bundle)\n"
	"  --appspec NAME         appspec file in the bundle (default\n"
	"                         appspec.yml, else appspec.yaml)\n"
	"  --file-exists-behavior DISALLOW|OVERWRITE|RETAIN\n"
	"                         for files already there that the last\n"
	"                         deployment did not install (default\n"
	"                         DISALLOW; the appspec's setting wins)\n"
	"  --events E1,E2,...     lifecycle events to run, in order, instead of\n"
	"                         the default (DownloadBundle and Install are\n"
	"                         added in front when missing)\n"
	"  --ignore-application-stop-failures\n"
	"                         carry on when ApplicationStop,\n"
	"                         BeforeBlockTraffic or AfterBlockTraffic fails\n"
	"  --max-revisions N      deployment folders kept per group (default 5)\n"
	"  --bundle-bucket B, --bundle-key K, --bundle-version V,\n"
	"  --bundle-etag E        an S3 revision: set BUNDLE_BUCKET, BUNDLE_KEY,\n"
	"                         BUNDLE_VERSION, BUNDLE_ETAG for the hooks\n"
	"  --bundle-commit SHA    a GitHub revision: set BUNDLE_COMMIT\n"
	"  --json                 print the result as JSON (with the agent's\n"
	"                         diagnostics for each event), no progress\n"
	"  -h, --help             show this help\n"
	"\n"
	"Scripts with runas need root.  Exit status: 0 the deployment\n"
	"succeeded, 1 a hook or the install failed, 2 bad input (no bundle, no\n"
	"appspec.yml, a deployment root that cannot be made), 64 usage.\n";

static const char validate_usage[] =
	"usage: ferry appspec validate [--json] [FILE...]\n"
	"\n"
	"Check each FILE (default appspec.yml) as the CodeDeploy agent would\n"
	"and print its problems as FILE:LINE: error|warning: text (code).\n"
	"Errors are what would fail a deployment; warnings are what would not\n"
	"do what it seems to (an unquoted 0644 mode is octal 420, ...).\n"
	"\n"
	"  --json      one JSON line per file: the parsed appspec and problems\n"
	"  -h, --help  show this help\n"
	"\n"
	"Exit status: 0 valid, 1 some file has errors, 2 a file cannot be\n"
	"read, 64 usage.\n";

/* ---- validate ------------------------------------------------------------ */

static void print_problem(const char *file, bool warning, int line,
			  const char *code, const char *message)
{
	if (line)
		printf("%s:%d: %s: %s (%s)\n", file, line,
		       warning ? "warning" : "error", message, code);
	else
		printf("%s: %s: %s (%s)\n", file, warning ? "warning" : "error",
		       message, code);
}

static void print_json(struct val *doc)
{
	char *s = json_dump(doc, 0);

	puts(s);
	free(s);
	val_free(doc);
}

static void validate_json(const char *file, const struct appspec *spec,
			  const struct svec *unknown, size_t errors)
{
	struct val *doc = appspec_to_val(spec);
	struct val *problems = val_map_get(doc, "problems");

	for (size_t i = 0; i < unknown->n; i++) {
		const struct appspec_hook *h =
			appspec_hook(spec, unknown->v[i]);
		struct val *m = val_map();

		val_map_set(m, "level", val_str("error"));
		val_map_set(m, "line", h ? val_numi(h->line) : val_null());
		val_map_set(m, "code", val_str("unknown_event"));
		val_map_set(m, "message",
			    val_strf("unknown lifecycle event '%s'",
				     unknown->v[i]));
		val_seq_push(problems, m);
	}
	val_map_set(doc, "valid", val_bool(!errors));
	val_map_insert(doc, 0, "file", val_str(file));
	print_json(doc);
}

static void validate_text(const char *file, const struct appspec *spec,
			  const struct svec *unknown, size_t errors)
{
	for (size_t i = 0; i < spec->nproblems; i++)
		print_problem(file, spec->problems[i].warning,
			      spec->problems[i].line, spec->problems[i].code,
			      spec->problems[i].message);
	for (size_t i = 0; i < unknown->n; i++) {
		const struct appspec_hook *h =
			appspec_hook(spec, unknown->v[i]);
		char *msg = xasprintf("unknown lifecycle event '%s'",
				      unknown->v[i]);

		print_problem(file, false, h ? h->line : 0, "unknown_event",
			      msg);
		free(msg);
	}
	if (!errors)
		printf("%s: valid (%zu hooks, %zu files, %zu permissions)\n",
		       file, spec->nhooks, spec->nfiles, spec->nperms);
}

static int validate_one(const char *file, bool json)
{
	struct appspec *spec = NULL;
	struct svec unknown = SVEC_INIT;
	size_t errors = 0;

	if (appspec_load_file(&spec, file) < 0) {
		struct val *doc;

		if (!json)
			return cli_error(EXIT_ERRORED);
		doc = val_map();
		val_map_set(doc, "file", val_str(file));
		val_map_set(doc, "error", val_str(err_msg()));
		print_json(doc);
		return EXIT_ERRORED;
	}
	appspec_unknown_events(spec, agent_default_events, &unknown);
	for (size_t i = 0; i < spec->nproblems; i++)
		errors += !spec->problems[i].warning;
	errors += unknown.n;
	if (json)
		validate_json(file, spec, &unknown, errors);
	else
		validate_text(file, spec, &unknown, errors);
	svec_release(&unknown);
	appspec_free(spec);
	return errors ? EXIT_FAILED : EXIT_OK;
}

static int cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *def[] = { (char *)"appspec.yml", NULL };
	bool json = false;
	int opt, rc = EXIT_OK;
	char **files;
	int nfiles;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(validate_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("appspec validate",
					       "unknown option");
		}
	}
	files = optind < argc ? argv + optind : def;
	nfiles = optind < argc ? argc - optind : 1;
	for (int i = 0; i < nfiles; i++) {
		int r = validate_one(files[i], json);

		if (r > rc)
			rc = r;
	}
	return rc;
}

/* ---- run --------------------------------------------------------------- */

/* Options that set a string of struct agent_deployment. */
static const struct {
	const char *name;
	size_t off;
} string_opts[] = {
	{ "bundle", offsetof(struct agent_deployment, bundle) },
	{ "root", offsetof(struct agent_deployment, root) },
	{ "deployment-id", offsetof(struct agent_deployment, deployment_id) },
	{ "deployment-group", offsetof(struct agent_deployment, group_id) },
	{ "deployment-group-name",
	  offsetof(struct agent_deployment, group_name) },
	{ "application", offsetof(struct agent_deployment, application) },
	{ "appspec", offsetof(struct agent_deployment, appspec) },
	{ "bundle-bucket", offsetof(struct agent_deployment, bucket) },
	{ "bundle-key", offsetof(struct agent_deployment, key) },
	{ "bundle-version", offsetof(struct agent_deployment, version) },
	{ "bundle-etag", offsetof(struct agent_deployment, etag) },
	{ "bundle-commit", offsetof(struct agent_deployment, commit) },
};

enum {
	OPT_STRING = 1000, /* + index in string_opts */
	OPT_FEB = 1100,
	OPT_EVENTS,
	OPT_IGNORE_STOP,
	OPT_MAX_REV,
	OPT_JSON,
};

static void on_start(const struct agent_result *res, void *payload)
{
	(void)payload;
	printf("Starting to execute deployment from within folder %s\n",
	       res->dir);
	fflush(stdout);
}

static void on_event(const struct agent_event *ev, void *payload)
{
	struct buf b = BUF_INIT;

	(void)payload;
	buf_addf(&b, "  %-20s %s", ev->name, agent_state_name(ev->state));
	if (ev->scripts)
		buf_addf(&b, " (%zu script%s%s, %.1f s)", ev->scripts,
			 ev->scripts == 1 ? "" : "s",
			 ev->previous ? " of the last successful revision" : "",
			 ev->seconds);
	else if (ev->no_previous)
		buf_addstr(&b, " (no previous revision)");
	puts(b.ptr);
	fflush(stdout);
	buf_release(&b);
}

static void print_failure(const struct agent_result *res)
{
	const struct agent_event *ev = res->failed;

	fprintf(stderr, "ferry: deployment %s failed in %s: %s\n",
		res->deployment_id, ev->name, ev->message);
	if (ev->log && *ev->log) {
		struct svec lines = SVEC_INIT;

		fprintf(stderr, "Last output of the event:\n");
		svec_split(&lines, ev->log, "\n", true);
		for (size_t i = 0; i < lines.n; i++)
			fprintf(stderr, "  %s\n", lines.v[i]);
		svec_release(&lines);
	}
}

static int run_option(int opt, struct agent_deployment *d, struct svec *events,
		      bool *json)
{
	long n;

	if (opt >= OPT_STRING &&
	    opt < OPT_STRING + (int)ARRAY_SIZE(string_opts)) {
		*(const char **)((char *)d +
				 string_opts[opt - OPT_STRING].off) = optarg;
		return 0;
	}
	switch (opt) {
	case OPT_FEB:
		if (!appspec_feb_parse(optarg))
			return cli_usage_error("appspec run",
					       "--file-exists-behavior must be "
					       "DISALLOW, OVERWRITE or RETAIN");
		d->file_exists_behavior = optarg;
		return 0;
	case OPT_EVENTS:
		svec_split(events, optarg, ",", true);
		return events->n ? 0
				 : cli_usage_error("appspec run",
						   "--events is empty");
	case OPT_IGNORE_STOP:
		d->ignore_stop_failures = true;
		return 0;
	case OPT_MAX_REV:
		n = cli_number(optarg);
		if (n < 1 || n > 1000)
			return cli_usage_error("appspec run",
					       "--max-revisions must be 1 to "
					       "1000");
		d->max_revisions = (int)n;
		return 0;
	case OPT_JSON:
		*json = true;
		return 0;
	case 'h':
		fputs(run_usage, stdout);
		return -1;
	default:
		return cli_usage_error("appspec run", "unknown option");
	}
}

static int parse_run_opts(int argc, char **argv, struct agent_deployment *d,
			  struct svec *events, bool *json)
{
	struct option opts[ARRAY_SIZE(string_opts) + 7];
	size_t n = 0;
	int opt, err;

	for (size_t i = 0; i < ARRAY_SIZE(string_opts); i++)
		opts[n++] =
			(struct option){ string_opts[i].name, required_argument,
					 NULL, OPT_STRING + (int)i };
	opts[n++] = (struct option){ "file-exists-behavior", required_argument,
				     NULL, OPT_FEB };
	opts[n++] = (struct option){ "events", required_argument, NULL,
				     OPT_EVENTS };
	opts[n++] = (struct option){ "ignore-application-stop-failures",
				     no_argument, NULL, OPT_IGNORE_STOP };
	opts[n++] = (struct option){ "max-revisions", required_argument, NULL,
				     OPT_MAX_REV };
	opts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		err = run_option(opt, d, events, json);
		if (err)
			return err;
	}
	if (optind < argc)
		return cli_usage_error("appspec run",
				       "unexpected argument '%s'",
				       argv[optind]);
	if ((d->key || d->version || d->etag) && !d->bucket)
		return cli_usage_error("appspec run",
				       "--bundle-key, --bundle-version and "
				       "--bundle-etag need --bundle-bucket");
	return 0;
}

static int cmd_run_deployment(int argc, char **argv)
{
	struct agent_deployment d = { 0 };
	struct agent_result res = AGENT_RESULT_INIT;
	struct svec events = SVEC_INIT;
	char cwd[4096];
	bool json = false;
	int rc = parse_run_opts(argc, argv, &d, &events, &json);

	if (rc)
		goto out;
	/* codedeploy-local's default: the current directory, by its path
	 * (which is also the default application name). */
	if (!d.bundle)
		d.bundle = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	if (events.n)
		d.events = (const char *const *)events.v;
	if (!json) {
		d.on_start = on_start;
		d.on_event = on_event;
	}
	if (agent_run(&d, &res) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	if (json) {
		struct val *doc = agent_result_to_val(&res);
		char *s = json_dump(doc, 0);

		puts(s);
		free(s);
		val_free(doc);
	} else if (res.failed) {
		print_failure(&res);
	}
	if (!json)
		printf("See the deployment log at %s for more details\n",
		       res.log);
	rc = res.failed ? EXIT_FAILED : EXIT_OK;
	agent_result_release(&res);
out:
	svec_release(&events);
	return rc < 0 ? EXIT_OK : rc;
}

int cmd_appspec(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run_deployment(argc - 1, argv + 1);
	if (!strcmp(argv[1], "validate"))
		return cmd_validate(argc - 1, argv + 1);
	return cli_usage_error("appspec", "unknown subcommand '%s'", argv[1]);
}
