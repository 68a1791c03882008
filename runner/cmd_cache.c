/* ferry cache: list and clear the build caches (cache.h). */
#include "compat.h"

#include <getopt.h>
#include <time.h>

#include "cache.h"
#include "cli.h"
#include "error.h"
#include "ferryconf.h"
#include "json.h"
#include "val.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry cache list [--json] [--branch B] [--config FILE] "
	"[OWNER/REPO]\n"
	"       ferry cache clear [--branch B] [--config FILE] [OWNER/REPO]\n"
	"\n"
	"The build caches jobs fetch and store (`cache:` of .travis.yml),\n"
	"kept in the store of ferry's configuration (`cache:`; by default\n"
	"the directory DATA_DIR/cache).\n"
	"\n"
	"  list    one line per cache: repository, branch, size, last use\n"
	"          and name; then the total and the quotas\n"
	"  clear   remove the caches of OWNER/REPO (of every repository when\n"
	"          none is given)\n"
	"\n"
	"  --branch B      only the caches of branch B (\"PR.7\" for pull\n"
	"                  request 7)\n"
	"  --json          list as JSON: {\"store\", \"caches\": [{repo, "
	"branch,\n"
	"                  name, key, size, used, complete}], \"total\"}\n"
	"  --config FILE   ferry's configuration file\n"
	"  -h, --help      show this help\n";

/* 1536 -> "1.5 KiB" */
static void human(char *out, size_t size, uint64_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(out, size, "%llu B", (unsigned long long)n);
	else
		snprintf(out, size, "%.1f %s", v, units[u]);
}

static void when(char *out, size_t size, time_t t)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm)) {
		snprintf(out, size, "-");
		return;
	}
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_table(const struct cache_store *s, const struct cache_conf *c,
			const struct cache_entry *e, size_t n)
{
	char size[32], used[32], quota[32], repo_quota[32];
	uint64_t total = 0;

	if (n)
		printf("%-24s %-16s %10s  %-20s  %s\n", "REPOSITORY", "BRANCH",
		       "SIZE", "LAST USED", "NAME");
	for (size_t i = 0; i < n; i++) {
		human(size, sizeof(size), e[i].size);
		when(used, sizeof(used), e[i].used);
		printf("%-24s %-16s %10s  %-20s  %s%s\n", e[i].repo,
		       e[i].branch, size, used, e[i].name,
		       e[i].complete ? "" : " (incomplete)");
		total += e[i].size;
	}
	human(size, sizeof(size), total);
	human(quota, sizeof(quota), c->quota);
	human(repo_quota, sizeof(repo_quota), c->repo_quota);
	printf("%s in %zu cache%s at %s (quota %s, %s per repository)\n", size,
	       n, n == 1 ? "" : "s", cache_store_where(s),
	       c->quota ? quota : "none", c->repo_quota ? repo_quota : "none");
}

static void print_json(const struct cache_store *s, const struct cache_entry *e,
		       size_t n)
{
	struct val *doc = val_map(), *list = val_seq();
	uint64_t total = 0;
	char *text;

	val_map_set(doc, "store", val_str(cache_store_where(s)));
	for (size_t i = 0; i < n; i++) {
		struct val *m = val_map();

		val_map_set(m, "repo", val_str(e[i].repo));
		val_map_set(m, "branch", val_str(e[i].branch));
		val_map_set(m, "name", val_str(e[i].name));
		val_map_set(m, "key", val_str(e[i].key));
		val_map_set(m, "size",
			    val_strf("%llu", (unsigned long long)e[i].size));
		val_map_set(m, "used", val_numi((long long)e[i].used));
		val_map_set(m, "complete", val_bool(e[i].complete));
		val_seq_push(list, m);
		total += e[i].size;
	}
	val_map_set(doc, "caches", list);
	val_map_set(doc, "total", val_strf("%llu", (unsigned long long)total));
	text = json_dump(doc, JSON_PRETTY);
	puts(text);
	free(text);
	val_free(doc);
}

int cmd_cache(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "branch", required_argument, NULL, 'b' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ferryconf *conf = NULL;
	struct cache_conf cc = { 0 };
	struct cache_store *s = NULL;
	struct cache_entry *e = NULL;
	const char *branch = NULL, *config_file = NULL, *repo = NULL, *verb;
	bool json = false;
	size_t n = 0;
	int opt, rc = EXIT_OK;

	if (argc > 1 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc < 2)
		return cli_usage_error("cache", "list or clear?");
	verb = argv[1];
	if (strcmp(verb, "list") && strcmp(verb, "clear"))
		return cli_usage_error("cache", "unknown subcommand '%s'",
				       verb);
	optind = 1;
	while ((opt = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'J':
			json = true;
			break;
		case 'b':
			branch = optarg;
			break;
		case 'c':
			config_file = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("cache", "unknown option");
		}
	}
	if (argc - 1 - optind > 1)
		return cli_usage_error("cache", "too many arguments");
	if (optind < argc - 1)
		repo = argv[1 + optind];
	if (repo && (!strchr(repo, '/') || strchr(strchr(repo, '/') + 1, '/')))
		return cli_usage_error("cache", "'%s' is not OWNER/REPO", repo);
	if (json && !strcmp(verb, "clear"))
		return cli_usage_error("cache", "--json is for list");
	if (ferryconf_load(&conf, config_file) < 0 ||
	    cache_conf_parse(&cc, ferryconf_section(conf, "cache"),
			     conf->data_dir) < 0 ||
	    cache_store_open(&s, &cc) < 0 ||
	    cache_store_list(s, repo, branch, &e, &n) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	if (!strcmp(verb, "list")) {
		if (json)
			print_json(s, e, n);
		else
			print_table(s, &cc, e, n);
		goto out;
	}
	{
		uint64_t bytes = 0;
		char size[32];

		for (size_t i = 0; i < n; i++) {
			if (cache_store_remove(s, e[i].key) < 0) {
				rc = cli_error(EXIT_ERRORED);
				goto out;
			}
			bytes += e[i].size;
		}
		human(size, sizeof(size), bytes);
		printf("removed %zu cache%s (%s)\n", n, n == 1 ? "" : "s",
		       size);
	}
out:
	cache_entries_free(e, n);
	cache_store_free(s);
	cache_conf_release(&cc);
	ferryconf_free(conf);
	return rc;
}
