/* ferry images: which Docker image each job runs in. */
#include "compat.h"

#include <getopt.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "images.h"
#include "json.h"
#include "matrix.h"
#include "val.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry images [--json] [--image IMAGE] [--config FILE]\n"
	"                    [REQUEST OPTIONS] [FILE]\n"
	"\n"
	"Print the Docker image each job of FILE (default .travis.yml) runs in,\n"
	"and why: `--image`, a rule of the ferry config's `images:`, or the\n"
	"default mapping (official language images on Docker Hub, e.g.\n"
	"python:3.11, node:20, ruby:3.2, golang:1.21, eclipse-temurin:17,\n"
	"rust:1.75; ubuntu:<dist version> for c, cpp, shell and the rest).\n"
	"\n"
	"  --json          one JSON object: {\"jobs\": [{number, os, dist,\n"
	"                  language, version, image, source}, ...]}\n"
	"  --image IMAGE   as `ferry run --image`\n"
	"  --config FILE   ferry's configuration file\n"
	"  -h, --help      show this help\n"
	"\n" REQUEST_HELP;

static const char *first(const struct val *v)
{
	if (v && v->type == VAL_SEQ)
		v = v->seq.n ? v->seq.v[0] : NULL;
	return val_text(v);
}

int cmd_images(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "image", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		REQUEST_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct request_opts req = { 0 };
	struct ferryconf *conf = NULL;
	struct travis_config *c = NULL;
	struct config_opts co = { 0 };
	struct val *request = NULL, *plan = NULL, *out = NULL;
	const struct val *jobs;
	const char *path = ".travis.yml", *image = NULL, *config_file = NULL;
	char *dir = NULL;
	bool json = false;
	int opt, rc = EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'J':
			json = true;
			break;
		case 'i':
			image = optarg;
			break;
		case 'c':
			config_file = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			if (!request_option(&req, opt, optarg))
				return cli_usage_error("images",
						       "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("images", "too many arguments");
	if (optind < argc)
		path = argv[optind];
	if (fs_is_dir(path)) {
		dir = xstrdup(path);
		path = NULL;
	} else {
		dir = fs_dirname(path);
	}
	if (ferryconf_load(&conf, config_file) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	if (image)
		conf->images.override = xstrdup(image);
	co.root_dir = dir;
	{
		char *p = path ? xstrdup(path) : fs_join(dir, ".travis.yml");
		int err = config_load(&c, p, &co);

		free(p);
		if (err < 0) {
			rc = cli_error(EXIT_ERRORED);
			goto out;
		}
	}
	request = request_data(&req);
	plan = matrix_plan(c->config, request, 1, &c->msgs);
	jobs = val_map_get(plan, "jobs");
	out = val_seq();
	if (!json)
		printf("%-6s %-8s %-8s %-10s %-10s %-32s %s\n", "JOB", "OS",
		       "DIST", "LANGUAGE", "VERSION", "IMAGE", "FROM");
	for (size_t i = 0; jobs && i < jobs->seq.n; i++) {
		const struct val *cfg = val_map_get(jobs->seq.v[i], "config");
		const char *number =
			val_text(val_map_get(jobs->seq.v[i], "number"));
		const char *src = NULL;
		char *img = images_for_job(&conf->images, cfg, &src);
		const char *version = images_job_version(cfg);
		struct val *m = val_map();

		val_map_set(m, "number", val_str(number));
		val_map_set(m, "os",
			    first(val_map_get(cfg, "os"))
				    ? val_str(first(val_map_get(cfg, "os")))
				    : val_null());
		val_map_set(m, "dist",
			    first(val_map_get(cfg, "dist"))
				    ? val_str(first(val_map_get(cfg, "dist")))
				    : val_null());
		val_map_set(
			m, "language",
			first(val_map_get(cfg, "language"))
				? val_str(first(val_map_get(cfg, "language")))
				: val_null());
		val_map_set(m, "version",
			    version ? val_str(version) : val_null());
		val_map_set(m, "image", val_str(img));
		val_map_set(m, "source", val_str(src));
		if (!json)
			printf("%-6s %-8s %-8s %-10s %-10s %-32s %s\n", number,
			       first(val_map_get(cfg, "os")) ?: "-",
			       first(val_map_get(cfg, "dist")) ?: "-",
			       first(val_map_get(cfg, "language")) ?: "-",
			       version ? version : "-", img, src);
		val_seq_push(out, m);
		free(img);
	}
	if (json) {
		struct val *doc = val_map();
		char *s;

		val_map_set(doc, "jobs", out);
		out = NULL;
		s = json_dump(doc, JSON_PRETTY);
		puts(s);
		free(s);
		val_free(doc);
	}
out:
	val_free(out);
	val_free(plan);
	val_free(request);
	config_free(c);
	ferryconf_free(conf);
	free(dir);
	return rc;
}
