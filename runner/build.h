#ifndef FY_BUILD_H
#define FY_BUILD_H

#include "compat.h"

#include "svec.h"

struct config_fetcher;
struct ferryconf;
struct val;
struct vcs_info;
struct vcs_lfs_report;

#include "cli.h"

/*
 * build: one build, shared by `ferry run` (a local checkout) and
 * `ferry build` (a clone): load the config, plan the jobs (matrix.h),
 * run them stage by stage with up to `parallel` at once, print the
 * summary.  Returns an exit status (cli.h).
 */
struct build_input {
	struct ferryconf *conf;
	const struct vcs_info *vcs;
	const char *workspace;		      /* the files to build */
	const struct svec *checkout_notes;    /* for the job log, or NULL */
	const char *config_path;	      /* its .travis.yml */
	const char *config_name;	      /* for messages */
	const struct config_fetcher *fetcher; /* imports, or NULL */
	struct request_opts req;	      /* request options given */
	struct svec only;		      /* --job */
	struct svec env_names, env_values;    /* --env */
	int parallel;
	long build_number; /* 0: the next one for the repository */
	const char *network, *log_dir;
	long log_silence, hard_limit;
	size_t log_max;
	bool list, keep, plain, deploy_dry_run, json;
	const char *image, *config_file; /* --image, --config */
	/*
	 * A pull request from a fork: no secure value, no private settings
	 * variable (secrets.h).  Also assumed when req.head_repo is given
	 * and differs from the repository.
	 */
	bool fork;
};

/*
 * The options `ferry run` and `ferry build` share.  Add BUILD_OPTIONS to
 * a getopt_long table (with "j:" in the short options) and pass option
 * codes to build_option() first.  It returns 1 when it took the option,
 * 0 when the option is not one of these, or EXIT_USAGE after printing
 * what is wrong with its value.  After parsing, build_load_conf() loads
 * ferry's config file (--config) and applies --image.
 */
enum {
	BO_LIST = OPT_FIRST_FREE,
	BO_JOB,
	BO_ENV,
	BO_IMAGE,
	BO_NETWORK,
	BO_KEEP,
	BO_PLAIN,
	BO_DRY_RUN,
	BO_LOG_DIR,
	BO_CONFIG,
	BO_SILENCE,
	BO_HARD,
	BO_LOG_MAX,
	BO_JSON,
	BO_FIRST_FREE
};

/* clang-format off */
#define BUILD_OPTIONS                                                   \
	{ "list", no_argument, NULL, BO_LIST },                         \
	{ "job", required_argument, NULL, BO_JOB },                     \
	{ "jobs", required_argument, NULL, 'j' },                       \
	{ "env", required_argument, NULL, BO_ENV },                     \
	{ "image", required_argument, NULL, BO_IMAGE },                 \
	{ "network", required_argument, NULL, BO_NETWORK },             \
	{ "keep", no_argument, NULL, BO_KEEP },                         \
	{ "plain", no_argument, NULL, BO_PLAIN },                       \
	{ "deploy-dry-run", no_argument, NULL, BO_DRY_RUN },            \
	{ "log-dir", required_argument, NULL, BO_LOG_DIR },             \
	{ "config", required_argument, NULL, BO_CONFIG },               \
	{ "timeout-silence", required_argument, NULL, BO_SILENCE },     \
	{ "timeout-hard", required_argument, NULL, BO_HARD },           \
	{ "log-max", required_argument, NULL, BO_LOG_MAX },             \
	{ "json", no_argument, NULL, BO_JSON }
/* clang-format on */

int build_option(struct build_input *in, int opt, const char *arg,
		 const char *cmd);
int build_load_conf(struct build_input *in);
void build_input_release(struct build_input *in);

struct build_outcome {
	long build_number;
	bool skipped;
};

int build_run(const struct build_input *in, struct build_outcome *out);
struct val *build_request(const struct build_input *in);
void build_signals(void);
/*
 * The workspace of `ferry run` for the checkout containing `dir`: an
 * export of HEAD (with `dirty`, the work tree) with a .git and Git LFS
 * content; what the checkout has to say for the job log is pushed to
 * `notes`.  A directory that is not in a repository is the workspace.
 */
int build_local_workspace(const char *dir, bool dirty,
			  const struct ferryconf *conf, struct vcs_info *info,
			  struct svec *notes, char **tmp_out,
			  char **workspace_out);
/* The Git LFS outcome of a checkout on stderr: the summary line (when
 * there were LFS files and not `quiet`) and every warning. */
void build_lfs_report(const struct vcs_lfs_report *r, bool quiet);

#endif
