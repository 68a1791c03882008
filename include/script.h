#ifndef FY_SCRIPT_H
#define FY_SCRIPT_H

#include "compat.h"

struct buf;
struct svec;
struct val;

/*
 * The build script: one bash program that runs every phase of a job in
 * one process, generated the way travis-build does it (phase order,
 * travis_cmd echo/timing/assert per phase, folds, `The command ...
 * exited with N.`, the footer).  Where ferry itself must act (start
 * service containers, deploy with a built-in provider, fetch or store the
 * cache) the script calls `ferry_handoff VERB ARG` (lifecycle/shlib.sh):
 * it saves its environment and directory, prints a control line
 * "\036ferry:VERB:SEQ:ARG\n" and waits for ferry's reply file.
 *
 * Hand-off verbs: `services` (ARG: comma-separated service names),
 * `deploy` (ARG: index of the deploy entry), `cache-fetch`, `cache-push`.
 */

/* One exported variable; `secure` ones are echoed as [secure]. */
struct script_var {
	const char *name;
	const char *value; /* inserted verbatim after NAME= (bash expands it) */
	bool secure;
};

/* What the script needs to know besides the job's config. */
struct job_info {
	const char *slug; /* owner/name */
	const char *build_id, *build_number, *job_id, *job_number;
	const char *event;  /* push, pull_request, api, cron */
	const char *branch; /* for pull requests: the base branch */
	const char *tag, *commit, *commit_message, *commit_range;
	const char *pull_request; /* number, NULL when not a pull request */
	const char *pr_branch, *pr_sha, *pr_slug;
	bool pr_draft;
	bool secure_env_vars;	 /* TRAVIS_SECURE_ENV_VARS */
	bool secure_env_removed; /* untrusted pull request: say so */
	bool allow_failure, repo_private;
	const char *stage_name, *job_name;
	const char *web_host;		   /* host of TRAVIS_*_WEB_URL */
	const char *home;		   /* default /home/travis */
	bool no_checkout;		   /* git.clone: false */
	bool cache_enabled;		   /* emit cache hand-offs */
	const struct script_var *settings; /* repository settings, in order */
	size_t nsettings;
	const struct script_var *env; /* .travis.yml env, in order */
	size_t nenv;
	/* lines for the git.checkout fold (Git LFS's outcome), or NULL */
	const struct svec *checkout_notes;
};

/* Generate the script for `job` (a normalised job config map). */
int script_build(struct buf *out, const struct val *job,
		 const struct job_info *info);

/* The shell library every script starts with (lifecycle/shlib.sh). */
extern const char shlib_text[];
extern const size_t shlib_len;

#endif
