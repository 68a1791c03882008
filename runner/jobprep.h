#ifndef FY_JOBPREP_H
#define FY_JOBPREP_H

#include "compat.h"

#include "job.h"

struct ferryconf;
struct mask_set;
struct vcs_info;

/*
 * jobprep: from a job of a build plan (matrix_plan's {number, stage,
 * allow_failure, config}) to everything job_run() needs: the image, the
 * exported variables, the TRAVIS_* information.  Shared by `ferry run`,
 * `ferry build` and `ferry serve`.  A struct job_prep owns the memory its
 * spec points into; the options' strings are borrowed and must outlive
 * it.
 */
struct job_prep_opts {
	const struct ferryconf *conf;
	const struct vcs_info *vcs; /* what is built */
	const char *event;	    /* NULL: vcs->event_type */
	const char *pull_request;   /* number, or NULL */
	const char *build_id, *build_number;
	const char *web_host;		   /* NULL: localhost */
	const struct script_var *settings; /* repository settings, in order */
	size_t nsettings;
	const char *workspace;
	const char *network;	      /* NULL: conf->network */
	long log_silence, hard_limit; /* 0: conf's */
	size_t log_max;		      /* 0: conf's */
	const struct mask_set *secrets;
};

struct job_prep {
	struct job_spec spec;
	const char *number, *stage; /* borrowed from the plan job */
	bool allow_failure;
	char *image;
	const char *image_source; /* "--image", "config", "default" */
	struct script_var *env;	  /* the job's env: values borrowed */
	size_t nenv;
};

void job_prep_init(struct job_prep *p, const struct val *plan_job,
		   const struct job_prep_opts *o);
void job_prep_release(struct job_prep *p);

/* A short description: the job's name, else language, version and env. */
const char *job_describe(const struct val *cfg, char *out, size_t size);

#endif
