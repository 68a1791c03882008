/* ferry config: the normalised config. */
#include "compat.h"

#include <getopt.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "loader.h"
#include "msg.h"
#include "val.h"

static const char usage[] =
	"usage: ferry config [--json] [--no-imports] [FILE]\n"
	"\n"
	"Print the config of FILE (default .travis.yml) normalised exactly as\n"
	"Travis does: aliases resolved, values cast, defaults added, imports\n"
	"merged.  Warnings and errors about the config go to stderr.\n"
	"\n"
	"  --json         print {\"config\": ..., \"messages\": [...]} as JSON\n"
	"  --no-imports   do not resolve import: (keep it as a key)\n"
	"  -h, --help     show this help\n"
	"\n"
	"Exit status: 0 ok (even with warnings), 2 the file cannot be read or\n"
	"parsed (the error names FILE:LINE:COL), 64 usage.\n";

int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-imports", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_opts co = { 0 };
	struct travis_config *c = NULL;
	struct buf out = BUF_INIT;
	const char *path = ".travis.yml";
	bool json = false;
	char *dir = NULL;
	int opt, rc = EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'n':
			co.no_imports = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("config", "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("config", "too many arguments");
	if (optind < argc)
		path = argv[optind];
	dir = fs_dirname(path);
	co.root_dir = dir;
	if (config_load(&c, path, &co) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	if (json) {
		struct val *doc = val_map();
		struct val *msgs = val_seq();

		for (size_t i = 0; i < c->msgs.n; i++)
			val_seq_push(msgs, msg_to_val(&c->msgs.v[i]));
		val_map_set(doc, "config", val_dup(c->config));
		val_map_set(doc, "messages", msgs);
		json_write(&out, doc, JSON_PRETTY);
		buf_addch(&out, '\n');
		val_free(doc);
	} else {
		cli_print_msgs(stderr, path, &c->msgs, cli_color(2), false);
		if (loader_emit(&out, c->config) < 0) {
			rc = cli_error(EXIT_ERRORED);
			goto out;
		}
	}
	fwrite(out.ptr, 1, out.len, stdout);
out:
	buf_release(&out);
	config_free(c);
	free(dir);
	return rc;
}
