/* ferry condition: evaluate a Travis `if:` condition (language v1). */
#include "compat.h"

#include <getopt.h>

#include "buf.h"
#include "cli.h"
#include "cond.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "val.h"

/* Caps on what we read: a data document, one line of --batch input. */
#define COND_DATA_MAX (16u << 20)
#define COND_LINE_MAX (1u << 20)

static const char usage[] =
	"usage: ferry condition [--data FILE|-] [--debug] 'EXPR'\n"
	"       ferry condition --batch\n"
	"\n"
	"Evaluate a Travis if: condition (language v1) and print true or\n"
	"false.  The data is a JSON object with the attributes conditions\n"
	"can use: type, repo, head_repo, branch, head_branch, tag,\n"
	"commit_message, sender, fork, draft, os, dist, group, sudo, language,\n"
	"and env (a list of \"NAME=value\" strings, a list of maps, or a map).\n"
	"\n"
	"  --data FILE   read the data from FILE ('-' for standard input)\n"
	"  --debug       also print the parse tree to standard error\n"
	"  --batch       read {\"cond\": ..., \"data\": {...}} lines from standard\n"
	"                input; write {\"result\": true|false|null,\n"
	"                \"error\": null|\"parse\"|\"invalid\"} for each\n"
	"  -h, --help    show this help\n"
	"\n"
	"Exit status: 0 true, 1 false, 2 the condition does not parse or\n"
	"cannot be evaluated (printed as 'error: ...'), or bad data (with\n"
	"--batch: 0 unless an input line is bad), 64 usage.\n";

/* Read all of `f` into `out`, up to `cap` bytes. */
static int read_stream(FILE *f, struct buf *out, size_t cap, const char *what)
{
	char chunk[8192];
	size_t n;

	buf_set_limit(out, cap);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(out, chunk, n) < 0)
			return err_set(FY_ETOOBIG,
				       "%s is larger than %zu bytes", what,
				       cap);
	if (ferror(f))
		return err_errno("cannot read %s", what);
	return 0;
}

/* One line of `f` into `line`, without its newline; 0 at end of input. */
static int read_line(FILE *f, struct buf *line)
{
	char chunk[8192];

	buf_reset(line);
	while (fgets(chunk, sizeof(chunk), f)) {
		size_t n = strlen(chunk);
		bool nl = n && chunk[n - 1] == '\n';

		if (buf_add(line, chunk, nl ? n - 1 : n) < 0)
			return err_set(FY_ETOOBIG,
				       "input line longer than %u bytes",
				       COND_LINE_MAX);
		if (nl)
			return 1;
	}
	if (ferror(f))
		return err_errno("cannot read standard input");
	return line->len ? 1 : 0;
}

static int load_data(struct val **out, const char *path)
{
	struct buf b = BUF_INIT;
	struct val *data = NULL;
	int err;

	if (!strcmp(path, "-")) {
		err = read_stream(stdin, &b, COND_DATA_MAX, "standard input");
	} else {
		buf_set_limit(&b, COND_DATA_MAX);
		err = fs_read_file(&b, path);
	}
	if (!err)
		err = json_parse(&data, b.ptr, b.len, 0);
	if (!err && !val_is(data, VAL_MAP) && !val_is(data, VAL_NULL))
		err = err_set(FY_EINVALID,
			      "'%s': the data must be a JSON object", path);
	buf_release(&b);
	if (err < 0) {
		val_free(data);
		return err;
	}
	*out = data;
	return 0;
}

/* Parse and evaluate; `*kind` says which step failed ("parse"/"invalid"). */
static int evaluate(const char *src, const struct val *data, bool debug,
		    bool *result, const char **kind)
{
	struct cond *c = NULL;
	int err;

	err = cond_parse(&c, src);
	if (err < 0) {
		*kind = err == FY_EINVALID ? "parse" : "invalid";
		return err;
	}
	if (debug) {
		char *tree = cond_sexp(c);

		fprintf(stderr, "tree: %s\n", tree);
		free(tree);
	}
	err = cond_eval(c, data, result);
	if (err < 0)
		*kind = "invalid";
	cond_free(c);
	return err;
}

/* One --batch line: {"cond": "...", "data": {...}}. */
static int batch_line(const struct buf *line, size_t lineno)
{
	struct val *doc = NULL;
	const struct val *cond, *data;
	const char *kind = NULL;
	bool result = false;
	int err;

	err = json_parse(&doc, line->ptr, line->len, 0);
	if (err < 0)
		return err_wrap(err, "line %zu", lineno);
	cond = val_map_get(doc, "cond");
	data = val_map_get(doc, "data");
	if (!val_is(doc, VAL_MAP) || !val_is(cond, VAL_STR) ||
	    memchr(cond->str.s, '\0', cond->str.len) ||
	    (data && !val_is(data, VAL_MAP) && !val_is(data, VAL_NULL))) {
		val_free(doc);
		return err_set(FY_EINVALID,
			       "line %zu: want {\"cond\": STRING, \"data\": "
			       "OBJECT}",
			       lineno);
	}
	if (evaluate(cond->str.s, data, false, &result, &kind) < 0)
		printf("{\"result\":null,\"error\":\"%s\"}\n", kind);
	else
		printf("{\"result\":%s,\"error\":null}\n",
		       result ? "true" : "false");
	val_free(doc);
	return 0;
}

static int run_batch(void)
{
	struct buf line = BUF_INIT;
	size_t lineno = 0;
	int err;

	buf_set_limit(&line, COND_LINE_MAX);
	for (;;) {
		err = read_line(stdin, &line);
		if (err <= 0)
			break;
		lineno++;
		buf_rtrim(&line);
		if (!line.len)
			continue;
		err = batch_line(&line, lineno);
		if (err < 0)
			break;
	}
	buf_release(&line);
	if (fflush(stdout) == EOF && !err)
		err = err_errno("cannot write standard output");
	return err < 0 ? cli_error(EXIT_ERRORED) : EXIT_OK;
}

int cmd_condition(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "batch", no_argument, NULL, 'b' },
		{ "debug", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_path = NULL, *kind = NULL;
	bool batch = false, debug = false, result = false;
	struct val *data = NULL;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			data_path = optarg;
			break;
		case 'b':
			batch = true;
			break;
		case 'D':
			debug = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("condition", "unknown option");
		}
	}
	if (batch) {
		if (optind < argc || data_path)
			return cli_usage_error(
				"condition",
				"--batch takes no other arguments");
		return run_batch();
	}
	if (optind + 1 != argc)
		return cli_usage_error("condition",
				       "give exactly one condition");
	if (data_path && load_data(&data, data_path) < 0)
		return cli_error(EXIT_ERRORED);
	err = evaluate(argv[optind], data, debug, &result, &kind);
	val_free(data);
	if (err < 0) {
		printf("error: %s\n", err_msg());
		return EXIT_ERRORED;
	}
	puts(result ? "true" : "false");
	return result ? EXIT_OK : EXIT_FAILED;
}
