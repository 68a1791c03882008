#ifndef FY_BUILD_H
#define FY_BUILD_H

#include "compat.h"

#include "svec.h"

struct config_fetcher;
struct ferryconf;
struct val;
struct vcs_info;

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
	/*
	 * A pull request from a fork: no secure value, no private settings
	 * variable (secrets.h).  Also assumed when req.head_repo is given
	 * and differs from the repository.
	 */
	bool fork;
};

struct build_outcome {
	long build_number;
	bool skipped;
};

int build_run(const struct build_input *in, struct build_outcome *out);
struct val *build_request(const struct build_input *in);
void build_signals(void);
int build_local_workspace(const char *dir, bool dirty, struct vcs_info *info,
			  char **tmp_out, char **workspace_out);

#endif
