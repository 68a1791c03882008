#ifndef FY_DEPLOYER_H
#define FY_DEPLOYER_H

#include "compat.h"

struct val;

/*
 * Built-in deploy providers.  When a job reaches a `deploy:` entry whose
 * `on:` conditions hold, the job's script stops and hands over to ferry
 * (script.h, `ferry_handoff deploy N`); ferry downloads the job's
 * workspace to the host and runs the provider here, in the ferry process,
 * then the script resumes with after_deploy.  Each provider lives in
 * deployers/<name>.c and defines one `const struct deployer
 * deployer_<name>`; deployers/registry.c lists them.
 *
 * Output: everything a provider prints goes through ctx->write (the job
 * log: masked, counted, shown on the terminal); never to stdout/stderr.
 * A failed deploy returns < 0 with one message (err_set); the runner
 * prints it into the job log and errors the job (unless the entry has
 * `allow_failure: true`).
 */
struct deploy_ctx {
	const struct val *opts; /* the deploy entry, secure values decrypted */
	size_t index;		/* position in the deploy: list */
	const char *workspace;	/* host directory holding the job's files */
	const char *cwd;	/* the job's working directory, as a path
				     inside `workspace` ("" for its top) */
	const struct val *env;	/* the job's environment at the hand-off
				     (map NAME -> value) */
	/* build information (TRAVIS_* values) */
	const char *slug, *branch, *tag, *commit, *build_number, *job_number;
	bool dry_run; /* print every request, send none */
	bool color;   /* the terminal shows colours */
	/* Write to the job log. */
	void (*write)(void *payload, const char *data, size_t len);
	/* Register a secret to mask (values found in options or files). */
	void (*add_secret)(void *payload, const char *secret);
	/* Run a shell command inside the job's container (in its cwd and
	 * environment); *status is its exit status. */
	int (*exec)(void *payload, const char *command, int *status);
	void *payload;
};

struct deployer {
	const char *name; /* the `provider:` value */
	/* Check the options before the build starts; no I/O. */
	int (*validate)(const struct val *opts);
	/* Deploy; 0 or an FY_E* code with one message. */
	int (*run)(struct deploy_ctx *ctx);
};

/* The provider named `name` (after Travis's aliases), or NULL. */
const struct deployer *deployer_find(const char *name);
/* Names of all built-in providers, NULL-terminated. */
const char *const *deployer_names(void);

/* printf into the job log. */
void deploy_printf(struct deploy_ctx *ctx, const char *fmt, ...)
	PRINTFLIKE(2, 3);
/* Option helpers: a string option (NULL when absent), a boolean option. */
const char *deploy_opt(const struct deploy_ctx *ctx, const char *key);
bool deploy_opt_bool(const struct deploy_ctx *ctx, const char *key, bool dflt);

#endif
