#ifndef FY_JOB_H
#define FY_JOB_H

#include "compat.h"

#include <stdatomic.h>

#include "script.h"

struct joblog_term;
struct mask_set;
struct val;

/*
 * job: one job of a build, run in a Docker container as Travis runs it.
 *
 *  1. A container of the job's image starts with an idle main process
 *     (so it outlives the job for `ferry shell`, and service containers
 *     can join its network namespace before the job begins).
 *  2. The workspace (a directory on the host) and the build script
 *     (script.h) are copied in with one archive upload.
 *  3. The script runs through an exec; its output goes through a joblog
 *     (masking, log limit, log file, terminal).  The no-output timeout
 *     and the hard limit are enforced here; when hit, the job's log gets
 *     Travis's message and the job errors.
 *  4. Hand-offs from the script (services, deploy, cache) are carried out
 *     on the host between reads of the output.
 *  5. The job's containers are removed, unless `keep`.
 *
 * A build's outcome is a result, never an error: job_run() returns < 0
 * only when ferry itself could not run the job (no Docker engine, an
 * image that cannot be pulled, a full disk); then the job counts as
 * errored and the message says why.
 */
enum job_state {
	JOB_PASSED,
	JOB_FAILED,
	JOB_ERRORED,
	JOB_CANCELED,
};

const char *job_state_name(enum job_state s);

/* A service container's image and command (ferry config `services:`). */
struct job_service_conf {
	const struct val *services; /* map name -> {image, command, env} */
};

/* Called when a deploy entry is reached (see deployer.h). */
struct job_spec {
	const struct val *config; /* the normalised job config */
	struct job_info info;	  /* what the script needs */
	const char *image;
	const char *workspace; /* host directory to copy in; NULL: none */
	const char *network;   /* Docker network mode; NULL: default */
	long log_silence;      /* seconds; 0: 10 minutes */
	long hard_limit;       /* seconds; 0: 50 minutes */
	size_t log_max;	       /* bytes; 0: 4 MiB */
	bool keep;	       /* keep the containers */
	bool deploy_dry_run;
	const char *log_path;	  /* the job's log file, or NULL */
	struct joblog_term *term; /* NULL: no terminal output */
	const char *prefix;	  /* "[1.2] " for parallel jobs */
	const struct mask_set *secrets;
	const struct val *services_conf; /* ferry config `services:` */
	const struct val *cache_conf;	 /* ferry config `cache:` (cache.h) */
	const char *data_dir;		 /* ferry's data directory */
	const char *default_branch;	 /* the repository's, or NULL */
	const char *run_id;	   /* label value tying a run's containers */
	const atomic_bool *cancel; /* raised on Ctrl-C */
};

struct job_result {
	enum job_state state;
	int exit_code; /* the script's exit status, or -1 */
	double seconds;
	char *container; /* with `keep`: the job container's id */
	char *reason;	 /* why it errored or was canceled, or NULL */
};

int job_run(const struct job_spec *spec, struct job_result *out);
void job_result_release(struct job_result *r);

/* Remove every container of `run_id` (NULL: every container of ferry's). */
int job_cleanup(const char *run_id);

#endif
