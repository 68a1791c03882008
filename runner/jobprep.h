#ifndef FY_JOBPREP_H
#define FY_JOBPREP_H

#include "compat.h"

#include "job.h"
#include "secrets.h"

struct crypto_rsa;
struct ferryconf;
struct vcs_info;

/*
 * jobprep: from a job of a build plan (matrix_plan's {number, stage,
 * allow_failure, config}) to everything job_run() needs: the image, the
 * exported variables, the TRAVIS_* information.  Shared by `ferry run`,
 * `ferry build` and `ferry serve`.  A struct job_prep owns the memory its
 * spec points into; the options' strings are borrowed and must outlive
 * it.
 *
 * Secrets (secrets.h): the job gets the repository settings variables and
 * its config's `secure:` values decrypted with the repository's key, and
 * its log masks all of them; spec.config is the decrypted config (the
 * deploy hand-off reads its options there).  The key and the settings
 * are those given, else loaded for vcs->slug from the key store and the
 * settings of `conf` (a failure to load becomes a warning).  A pull
 * request from a fork gets no secure value and no private variable:
 * `fork`, or a head repository (head_slug, else vcs->pr_slug) that is
 * not vcs->slug.
 */
struct job_prep_opts {
	const struct ferryconf *conf;
	const struct vcs_info *vcs; /* what is built */
	const char *event;	    /* NULL: vcs->event_type */
	const char *pull_request;   /* number, or NULL */
	const char *build_id, *build_number;
	const char *web_host;		   /* NULL: localhost */
	const struct script_var *settings; /* more settings (--env), after */
	size_t nsettings;		   /* the stored ones */
	const struct crypto_rsa *key;	   /* NULL: from the key store */
	const struct settings *store;	   /* NULL: from the settings dir */
	const char *head_slug;		/* PR head repo; NULL: vcs->pr_slug */
	const char *head_branch;	/* PR head branch; NULL: vcs's */
	bool fork;			/* a pull request from a fork */
	const struct val *build_config; /* names undecryptable values */
	const char *workspace;
	const struct svec *checkout_notes; /* for the git.checkout fold */
	const char *network;		   /* NULL: conf->network */
	long log_silence, hard_limit;	   /* 0: conf's */
	size_t log_max;			   /* 0: conf's */
};

struct job_prep {
	struct job_spec spec;
	const char *number, *stage; /* borrowed from the plan job */
	bool allow_failure;
	char *image;
	const char *image_source;   /* "--image", "config", "default" */
	struct secrets_job secrets; /* env, settings, mask, warnings */
};

/*
 * Fails only when the job's secrets cannot be masked (FY_ETOOBIG); the
 * prep is then complete but holds no secret (as for a fork), so running
 * it leaks nothing.  Release it either way.
 */
int job_prep_init(struct job_prep *p, const struct val *plan_job,
		  const struct job_prep_opts *o);
void job_prep_release(struct job_prep *p);

/* A short description: the job's name, else language, version and env. */
const char *job_describe(const struct val *cfg, char *out, size_t size);

#endif
