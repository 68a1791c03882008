/* ferry matrix: the jobs a config expands to. */
#include "compat.h"

#include <getopt.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "loader.h"
#include "matrix.h"
#include "msg.h"
#include "val.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry matrix [--json] [REQUEST OPTIONS] [FILE...]\n"
	"       ferry matrix --input-json FILE\n"
	"\n"
	"List the jobs FILE (default .travis.yml) expands to: a table with\n"
	"the job number, stage, job and whether it may fail.  With several\n"
	"FILEs, print one JSON line per file:\n"
	"  {\"file\", \"config\", \"jobs\", \"messages\"}\n"
	"\n"
	"  --json          JSON output (see above; with request options also\n"
	"                  \"build\", \"stages\" and \"dropped\" jobs with reasons)\n"
	"  --no-imports    do not resolve import:\n"
	"  --input-json F  read normalised configs as JSON lines {\"file\",\n"
	"                  \"config\"} (travis-yml's expand endpoint) and print\n"
	"                  {\"file\", \"jobs\"} lines\n"
	"  -h, --help      show this help\n"
	"\n" REQUEST_HELP "\n"
	"Exit status: 0 ok, 2 a file cannot be read or parsed, 64 usage.\n";

static struct val *msgs_val(const struct msgs *m)
{
	struct val *seq = val_seq();

	for (size_t i = 0; i < m->n; i++)
		val_seq_push(seq, msg_to_val(&m->v[i]));
	return seq;
}

static void print_line(struct val *doc)
{
	struct buf b = BUF_INIT;

	json_write(&b, doc, 0);
	buf_addch(&b, '\n');
	fwrite(b.ptr, 1, b.len, stdout);
	buf_release(&b);
	val_free(doc);
}

/* One JSON line for a file that did not load. */
static void print_error_line(const char *path)
{
	struct val *doc = val_map(), *e = val_map();

	val_map_set(e, "message", val_str(err_msg()));
	val_map_set(doc, "file", val_str(path));
	val_map_set(doc, "config", val_null());
	val_map_set(doc, "jobs", val_null());
	val_map_set(doc, "messages", val_null());
	val_map_set(doc, "error", e);
	print_line(doc);
}

/* A short description of a job for the table. */
static char *describe(const struct val *job)
{
	static const char *const skip[] = { "language", "os",	 "dist", "env",
					    "name",	"stage", "arch", NULL };
	const struct val *name = val_map_get(job, "name");
	const struct val *lang = val_map_get(job, "language");
	const struct val *env = val_map_get(job, "env");
	struct buf b = BUF_INIT;

	if (val_text(name))
		return xstrdup(val_text(name));
	buf_addstr(&b, val_text(lang) ? val_text(lang) : "ruby");
	/* language versions and other matrix values that are scalars */
	for (size_t i = 0; i < job->map.n; i++) {
		const char *k = job->map.v[i].key;
		const struct val *v = job->map.v[i].v;
		bool skipped = false;

		for (size_t s = 0; skip[s]; s++)
			skipped |= !strcmp(k, skip[s]);
		if (skipped || !val_is_scalar(v) || !val_text(v))
			continue;
		if (!strcmp(k, "rvm") || !strcmp(k, "python") ||
		    !strcmp(k, "node_js") || !strcmp(k, "jdk") ||
		    !strcmp(k, "go") || !strcmp(k, "php") ||
		    !strcmp(k, "compiler") || !strcmp(k, "rust") ||
		    !strcmp(k, "scala") || !strcmp(k, "gemfile") ||
		    !strcmp(k, "perl") || !strcmp(k, "osx_image") ||
		    !strcmp(k, "otp_release") || !strcmp(k, "elixir") ||
		    !strcmp(k, "julia") || !strcmp(k, "r") ||
		    !strcmp(k, "ghc") || !strcmp(k, "dotnet") ||
		    !strcmp(k, "mono") || !strcmp(k, "crystal") ||
		    !strcmp(k, "dart") || !strcmp(k, "d") ||
		    !strcmp(k, "haxe") || !strcmp(k, "smalltalk"))
			buf_addf(&b, " %s: %s", k, val_text(v));
	}
	if (val_text(val_map_get(job, "os")) &&
	    strcmp(val_text(val_map_get(job, "os")), "linux"))
		buf_addf(&b, " os: %s", val_text(val_map_get(job, "os")));
	if (val_text(val_map_get(job, "arch")))
		buf_addf(&b, " arch: %s", val_text(val_map_get(job, "arch")));
	if (env && env->type == VAL_SEQ) {
		for (size_t i = 0; i < env->seq.n; i++) {
			const struct val *m = env->seq.v[i];

			if (m->type != VAL_MAP)
				continue;
			for (size_t k = 0; k < m->map.n; k++) {
				const struct val *v = m->map.v[k].v;

				buf_addf(&b, " %s=%s", m->map.v[k].key,
					 v->type == VAL_SECURE ? "[secure]"
					 : val_text(v)	       ? val_text(v)
							       : "");
			}
		}
	}
	return buf_detach(&b, NULL);
}

static void print_table(const struct val *plan, bool color)
{
	const struct val *build = val_map_get(plan, "build");
	const struct val *jobs = val_map_get(plan, "jobs");
	const struct val *dropped = val_map_get(plan, "dropped");
	const char *bold = color ? "\033[1m" : "",
		   *reset = color ? "\033[0m" : "";

	if (build && val_map_get(build, "created") &&
	    val_is(val_map_get(build, "created"), VAL_BOOL) &&
	    !val_map_get(build, "created")->b) {
		const char *why = val_text(val_map_get(build, "reason"));

		printf("No build: %s\n", why ? why : "filtered out");
		return;
	}
	printf("%s%-7s %-16s %-10s %s%s\n", bold, "JOB", "STAGE", "MAY FAIL",
	       "DESCRIPTION", reset);
	for (size_t i = 0; jobs && i < jobs->seq.n; i++) {
		const struct val *j = jobs->seq.v[i];
		const struct val *af = val_map_get(j, "allow_failure");
		const char *stage = val_text(val_map_get(j, "stage"));
		char *d = describe(val_map_get(j, "config"));

		printf("%-7s %-16s %-10s %s\n",
		       val_text(val_map_get(j, "number")), stage ? stage : "-",
		       af && af->b ? "yes" : "no", d);
		free(d);
	}
	for (size_t i = 0; dropped && i < dropped->seq.n; i++) {
		const struct val *j = dropped->seq.v[i];
		char *d = describe(val_map_get(j, "config"));

		printf("%-7s %-16s %-10s %s (dropped: %s)\n", "-", "-", "-", d,
		       val_text(val_map_get(j, "reason")));
		free(d);
	}
}

static int from_json(const char *path)
{
	struct buf b = BUF_INIT;
	char *line, *next;
	int rc = EXIT_OK;

	buf_set_limit(&b, 512u << 20);
	if (fs_read_file(&b, path) < 0) {
		buf_release(&b);
		return cli_error(EXIT_ERRORED);
	}
	for (line = b.ptr; line && *line; line = next) {
		struct val *in = NULL, *doc;
		struct msgs m = MSGS_INIT;
		const struct val *cfg;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line)
			continue;
		if (json_parse(&in, line, strlen(line), JSON_SECURE) < 0) {
			rc = cli_error(EXIT_ERRORED);
			break;
		}
		cfg = val_map_get(in, "config");
		doc = val_map();
		val_map_set(doc, "file",
			    val_dup(val_map_get(in, "file")) ?: val_null());
		if (cfg && cfg->type == VAL_MAP)
			val_map_set(doc, "jobs", matrix_expand(cfg, &m));
		else
			val_map_set(doc, "jobs", val_null());
		print_line(doc);
		msgs_release(&m);
		val_free(in);
	}
	buf_release(&b);
	return rc;
}

int cmd_matrix(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-imports", no_argument, NULL, 'n' },
		{ "input-json", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		REQUEST_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct request_opts req = { 0 };
	struct val *request = NULL;
	const char *input_json = NULL;
	char *def[] = { (char *)".travis.yml", NULL };
	bool json = false, no_imports = false;
	char **files;
	int nfiles, opt, rc = EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'n':
			no_imports = true;
			break;
		case 'i':
			input_json = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			if (!request_option(&req, opt, optarg))
				return cli_usage_error("matrix",
						       "unknown option");
		}
	}
	if (input_json)
		return from_json(input_json);
	files = optind < argc ? argv + optind : def;
	nfiles = optind < argc ? argc - optind : 1;
	if (nfiles > 1)
		json = true;
	request = request_data(&req);
	for (int i = 0; i < nfiles; i++) {
		struct config_opts co = { .no_imports = no_imports,
					  .request = request,
					  .repo = req.repo };
		struct travis_config *c = NULL;
		char *dir = fs_dirname(files[i]);
		struct val *doc, *plan = NULL;

		co.root_dir = dir;
		if (config_load(&c, files[i], &co) < 0) {
			if (json)
				print_error_line(files[i]);
			else
				fprintf(stderr, "ferry: %s\n", err_msg());
			rc = EXIT_ERRORED;
			free(dir);
			continue;
		}
		if (json && !request) {
			doc = val_map();
			val_map_set(doc, "file", val_str(files[i]));
			val_map_set(doc, "config", val_dup(c->config));
			val_map_set(doc, "jobs",
				    matrix_expand(c->config, &c->msgs));
			val_map_set(doc, "messages", msgs_val(&c->msgs));
			print_line(doc);
		} else {
			plan = matrix_plan(c->config, request, 1, &c->msgs);
			if (json) {
				doc = val_map();
				val_map_set(doc, "file", val_str(files[i]));
				val_map_set(doc, "config", val_dup(c->config));
				for (size_t k = 0; k < plan->map.n; k++)
					val_map_set(doc, plan->map.v[k].key,
						    val_dup(plan->map.v[k].v));
				val_map_set(doc, "messages",
					    msgs_val(&c->msgs));
				print_line(doc);
			} else {
				cli_print_msgs(stderr, files[i], &c->msgs,
					       cli_color(2), false);
				print_table(plan, cli_color(1));
			}
		}
		val_free(plan);
		config_free(c);
		free(dir);
	}
	val_free(request);
	return rc;
}
