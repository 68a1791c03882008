/*
 * ferry build: clone a repository with libgit2 (through the mirror cache)
 * and run its build like `ferry run`.
 */
#include "compat.h"

#include <getopt.h>
#include <unistd.h>

#include "build.h"
#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "loader.h"
#include "val.h"
#include "vcs.h"
#include "xalloc.h"

/*
 * The checkout options of the `git:` section of the .travis.yml at the
 * commit, read before the workspace exists; a file that does not load is
 * reported later, when the build loads it.
 */
static void checkout_opts(struct vcs_checkout_opts *o,
			  const struct vcs_info *info)
{
	struct travis_config *c = NULL;
	struct config_opts co = { .no_imports = true };
	struct buf text = BUF_INIT;

	buf_set_limit(&text, LOADER_MAX_BYTES);
	if (!vcs_read_file(info, NULL, ".travis.yml", &text) &&
	    !config_load_text(&c, ".travis.yml", text.ptr, text.len, &co))
		vcs_checkout_opts_from_git(o, val_map_get(c->config, "git"));
	else
		vcs_checkout_opts_from_git(o, NULL);
	config_free(c);
	buf_release(&text);
}

static const char usage[] =
	"usage: ferry build [OPTIONS] URL [--branch B | --tag T | --commit SHA | --pr N]\n"
	"\n"
	"Clone URL (https://, ssh://, git@host:path, git://, file:// or a\n"
	"local path) into a fresh workspace through ferry's mirror cache and\n"
	"run its build as `ferry run` does.  Without a ref, the default branch\n"
	"is built.  Pull requests build refs/pull/N/merge, else refs/pull/N/head.\n"
	"\n"
	"  --branch B        build the head of branch B\n"
	"  --tag T           build tag T (TRAVIS_TAG=T)\n"
	"  --commit SHA      build this commit (with --branch: report that branch)\n"
	"  --pr N            build pull request N (with --branch: its base branch)\n"
	"  --token-env NAME  read the https token from $NAME (default\n"
	"                    FERRY_GIT_TOKEN, then GITHUB_TOKEN)\n"
	"  --ssh-key FILE    ssh private key (default: the agent, ~/.ssh/id_*)\n"
	"  --cache DIR       mirror cache (default <data_dir>/git)\n"
	"  --quiet           no clone progress, no Git LFS summary\n"
	"  and the options of `ferry run`: --list --job N -j N --env K=V\n"
	"  --image I --network M --keep --plain --deploy-dry-run --log-dir D\n"
	"  --config F --timeout-silence D --timeout-hard D --log-max S --json\n"
	"\n"
	"Errors (unreachable host, bad credentials, missing ref) print one line\n"
	"naming the URL (credentials hidden) and the ref, and exit with 2.\n"
	"Exit status otherwise as `ferry run`: 0 passed, 1 failed, 2 errored,\n"
	"64 usage, 130 interrupted.\n";

enum {
	B_BRANCH = BO_FIRST_FREE,
	B_TAG,
	B_COMMIT,
	B_PR,
	B_TOKEN_ENV,
	B_SSH_KEY,
	B_CACHE,
	B_QUIET,
};

struct progress {
	bool tty;
	double last;
};

static int on_progress(const struct vcs_progress *p, void *payload)
{
	struct progress *pr = payload;

	if (!pr->tty)
		return 0;
	if (!p->done && p->seconds - pr->last < 0.1)
		return 0;
	pr->last = p->seconds;
	fprintf(stderr,
		"\rReceiving objects: %3zu%% (%zu/%zu), %.2f MiB | %.2f MiB/s%s",
		p->total_objects ? p->received_objects * 100 / p->total_objects
				 : 0,
		p->received_objects, p->total_objects,
		(double)p->received_bytes / 1048576.0,
		p->bytes_per_second / 1048576.0, p->done ? ", done.\n" : "   ");
	return 0;
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "branch", required_argument, NULL, B_BRANCH },
		{ "tag", required_argument, NULL, B_TAG },
		{ "commit", required_argument, NULL, B_COMMIT },
		{ "pr", required_argument, NULL, B_PR },
		{ "token-env", required_argument, NULL, B_TOKEN_ENV },
		{ "ssh-key", required_argument, NULL, B_SSH_KEY },
		{ "cache", required_argument, NULL, B_CACHE },
		{ "quiet", no_argument, NULL, B_QUIET },
		BUILD_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct build_input in = { .only = SVEC_INIT,
				  .env_names = SVEC_INIT,
				  .env_values = SVEC_INIT,
				  .parallel = 1 };
	struct build_outcome outcome;
	struct vcs_info info = VCS_INFO_INIT;
	struct vcs_ref ref = { .kind = VCS_REF_DEFAULT };
	struct vcs_remote_opts ro = { 0 };
	struct vcs_checkout_opts copts;
	struct vcs_lfs_report lfs = VCS_LFS_REPORT_INIT;
	struct svec notes = SVEC_INIT;
	struct vcs_importer importer = { 0 };
	struct config_fetcher fetcher;
	struct progress prog = { .tty = isatty(2) };
	const char *cache = NULL;
	const char *token_env = NULL, *url;
	char *cache_dir = NULL, *tmp = NULL, *ws = NULL, *cfg = NULL;
	char prbuf[32];
	bool quiet = false;
	int opt, rc = EXIT_OK, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
		int took = build_option(&in, opt, optarg, "build");
		long n;

		if (took == EXIT_USAGE)
			return EXIT_USAGE;
		if (took)
			continue;
		switch (opt) {
		case B_BRANCH:
			ref.branch = optarg;
			if (ref.kind == VCS_REF_DEFAULT) {
				ref.kind = VCS_REF_BRANCH;
				ref.name = optarg;
			}
			break;
		case B_TAG:
			ref.kind = VCS_REF_TAG;
			ref.name = optarg;
			break;
		case B_COMMIT:
			ref.kind = VCS_REF_COMMIT;
			ref.name = optarg;
			break;
		case B_PR:
			n = cli_number(optarg);
			if (n < 1)
				return cli_usage_error("build",
						       "--pr needs a number");
			ref.kind = VCS_REF_PR;
			ref.pr = (unsigned long)n;
			break;
		case B_TOKEN_ENV:
			token_env = optarg;
			break;
		case B_SSH_KEY:
			ro.ssh_key = optarg;
			break;
		case B_CACHE:
			cache = optarg;
			break;
		case B_QUIET:
			quiet = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("build", "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("build",
				       "which repository? (a URL or path)");
	url = argv[optind];
	if (build_load_conf(&in) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	cache_dir =
		cache ? xstrdup(cache) : ferryconf_dir(in.conf, "git", true);
	ro.cache_root = cache_dir;
	if (token_env)
		ro.token = getenv(token_env);
	if (!quiet) {
		ro.progress = on_progress;
		ro.progress_payload = &prog;
	}
	build_signals();
	err = vcs_remote_resolve(&info, url, &ref, &ro);
	if (err < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	if (fs_tmpdir(&tmp, "ferry-build") < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	ws = fs_join(tmp, "workspace");
	ro.progress = NULL;
	checkout_opts(&copts, &info);
	copts.lfs_report = &lfs;
	if (vcs_checkout(&info, ws, &ro, &copts) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	build_lfs_report(&lfs, quiet);
	vcs_lfs_notes(&lfs, &notes);
	cfg = fs_join(ws, ".travis.yml");
	if (!fs_exists(cfg)) {
		fprintf(stderr, "ferry: %s has no .travis.yml at %.12s\n", url,
			info.commit);
		rc = EXIT_ERRORED;
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "ferry: building %s at %.12s (%s%s%s)\n",
			info.slug, info.commit,
			info.pr	   ? "pull request "
			: info.tag ? "tag "
				   : "branch ",
			info.pr	   ? (snprintf(prbuf, sizeof(prbuf), "#%lu",
					       info.pr),
				      prbuf)
			: info.tag ? info.tag
				   : info.branch,
			"");
	importer.info = &info;
	importer.url_template = val_text(
		val_map_get(ferryconf_section(in.conf, "git"), "url_template"));
	if (!importer.url_template)
		importer.url_template = "https://github.com/%s.git";
	importer.remote = &ro;
	vcs_config_fetcher(&fetcher, &importer);
	in.vcs = &info;
	in.workspace = ws;
	in.checkout_notes = &notes;
	in.config_path = cfg;
	in.config_name = ".travis.yml";
	in.fetcher = &fetcher;
	if (info.pr) {
		snprintf(prbuf, sizeof(prbuf), "%lu", info.pr);
		in.req.pull_request = prbuf;
		in.req.event = "pull_request";
		in.req.head_branch = info.pr_branch && *info.pr_branch
					     ? info.pr_branch
					     : NULL;
		in.req.head_repo =
			info.pr_slug && *info.pr_slug ? info.pr_slug : NULL;
	}
	rc = build_run(&in, &outcome);
out:
	if (tmp) {
		fs_rm_rf(tmp);
		free(tmp);
	}
	free(ws);
	free(cfg);
	free(cache_dir);
	vcs_info_release(&info);
	vcs_lfs_report_release(&lfs);
	svec_release(&notes);
	build_input_release(&in);
	return rc;
}
