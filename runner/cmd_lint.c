/* ferry lint: report what Travis would say about a config. */
#include "compat.h"

#include <getopt.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "msg.h"
#include "val.h"

static const char usage[] =
	"usage: ferry lint [--json] [--verbose] [FILE...]\n"
	"\n"
	"Check each FILE (default .travis.yml) and print the messages Travis\n"
	"would give, as FILE:LINE: LEVEL: text (code on KEY).\n"
	"\n"
	"  --json         one JSON line per file: {\"file\", \"messages\", \"errors\"}\n"
	"  -v, --verbose  include info messages (defaults, aliases)\n"
	"  --no-imports   do not resolve import:\n"
	"  -h, --help     show this help\n"
	"\n"
	"Exit status: 0 no errors (warnings allowed), 1 some file has\n"
	"error-level messages, 2 some file cannot be read or parsed, 64 usage.\n";

int cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-imports", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, verbose = false, no_imports = false;
	char *def[] = { (char *)".travis.yml", NULL };
	char **files;
	int nfiles, opt, rc = EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'n':
			no_imports = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("lint", "unknown option");
		}
	}
	files = optind < argc ? argv + optind : def;
	nfiles = optind < argc ? argc - optind : 1;
	for (int i = 0; i < nfiles; i++) {
		struct config_opts co = { .no_imports = no_imports };
		struct travis_config *c = NULL;
		char *dir = fs_dirname(files[i]);
		size_t errors;

		co.root_dir = dir;
		if (config_load(&c, files[i], &co) < 0) {
			if (json) {
				struct val *doc = val_map();
				char *s;

				val_map_set(doc, "file", val_str(files[i]));
				val_map_set(doc, "error", val_str(err_msg()));
				s = json_dump(doc, 0);
				puts(s);
				free(s);
				val_free(doc);
			} else
				fprintf(stderr, "%s\n", err_msg());
			rc = EXIT_ERRORED;
			free(dir);
			continue;
		}
		if (json) {
			struct val *doc = val_map(), *m = val_seq();
			char *s;

			errors = 0;
			for (size_t k = 0; k < c->msgs.n; k++) {
				val_seq_push(m, msg_to_val(&c->msgs.v[k]));
				errors += c->msgs.v[k].level == MSG_ERROR;
			}
			val_map_set(doc, "file", val_str(files[i]));
			val_map_set(doc, "messages", m);
			val_map_set(doc, "errors", val_numi((long long)errors));
			s = json_dump(doc, 0);
			puts(s);
			free(s);
			val_free(doc);
		} else {
			errors = cli_print_msgs(stdout, files[i], &c->msgs,
						cli_color(1), verbose);
		}
		if (errors && rc == EXIT_OK)
			rc = EXIT_FAILED;
		config_free(c);
		free(dir);
	}
	return rc;
}
