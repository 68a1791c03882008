#ifndef FY_MATRIX_H
#define FY_MATRIX_H

#include "compat.h"

struct msgs;
struct val;

/*
 * Jobs from a normalised config.  Arguments are borrowed; every returned
 * tree or string belongs to the caller.
 *
 * matrix_expand() is travis-yml's Matrix#jobs with no request data (the
 * expand endpoint): the expanded, included, excluded and de-duplicated
 * job configs in order, as a seq of maps.  Nothing is filtered by `if:`.
 *
 * matrix_plan() is the whole build as Travis creates it from a request
 * (travis-yml Configs plus the build-level rules of gatekeeper): it
 * returns a map
 *   { "build": {"created": bool, "reason": str|null},
 *     "stages": [ {"name": str, "if": str|null}, ... ],
 *     "jobs": [ {"number": "1.1", "stage": str|null,
 *                "allow_failure": bool, "name": str|null,
 *                "config": {...}}, ... ],
 *     "dropped": [ {"config": {...}, "reason": str}, ... ],
 *     "fast_finish": bool }
 * `request` is a map of condition data (cond.h: type, branch, tag, repo,
 * commit_message, env, ...) or NULL, in which case no `if:`, `branches:`
 * or skip keyword is applied: every condition counts as true, as in
 * travis-yml's Matrix without data (so an exclude or allow_failures entry
 * with an `if:` applies).  `build_number` numbers the jobs
 * ("<build_number>.<n>").
 *
 * The build is not created (jobs, stages and dropped empty) when, in this
 * order: a push or pull request has a skip keyword in its commit message
 * ("[skip ci] in the commit message"); the branch (the tag for a tag
 * push) looks like gh-pages and `branches.only` is not given; it is not
 * in `branches.only` or is in `branches.except` (plain names, or /regex/
 * in Ruby syntax); the root `if:` is false or invalid ("if: COND is
 * false").  It is not created either when no job is left ("the matrix
 * created no jobs"; `dropped` says why).  Like any root key, the root
 * `if:` is also copied into the jobs (travis-yml does so) and evaluated
 * again for each job.
 *
 * Stages (travis-yml Configs::Stages): with a `stages:` section or a job
 * with a stage, a job without a stage takes the stage of the job before
 * it (the first: "test", or the spelling of "test" used in the config);
 * stages are the `stages:` entries then the jobs' stages, unique by name
 * ignoring case; a stage whose `if:` (evaluated on the root config) is
 * false is removed with its jobs ("stage 'deploy' is skipped: if: ...");
 * stages without jobs are removed.  allow_failures entries (with an
 * optional `if:` evaluated on the job) mark matching jobs; jobs are then
 * ordered by stage, allow_failure last, position, and duplicates removed.
 * Skipped conditions are reported as info messages (skip_job,
 * skip_exclude, skip_stage, skip_allow_failure).  `msgs` may be NULL.
 */
struct val *matrix_expand(const struct val *config, struct msgs *msgs);
struct val *matrix_plan(const struct val *config, const struct val *request,
			long build_number, struct msgs *msgs);

/*
 * A matrix bigger than this is cut there, with an error message
 * `too_many_jobs` on `jobs` (Travis itself refuses more than 200 jobs).
 */
#define MATRIX_MAX_JOBS 1000

/*
 * Matrix#jobs with request data: as matrix_expand(), but `jobs.exclude`
 * entries and jobs are also filtered by their `if:` (info messages
 * skip_exclude and skip_job).  Jobs removed by an exclude or an `if:` are
 * appended to `dropped` (a seq, or NULL) as {"config": job, "reason":
 * "excluded by jobs.exclude entry 2" | "if: branch = master is false"}.
 * Without request data (NULL) every condition counts as true.
 */
struct val *matrix_jobs(const struct val *config, const struct val *request,
			struct val *dropped, struct msgs *msgs);

/*
 * The data an `if:` is evaluated against (travis-yml's Condition): the
 * request merged with the condition attributes of `config` (a job, or the
 * root config for stages and the build), config winning; env lists are
 * concatenated (request env first), and a root env map becomes one entry
 * with the vars of env.global, env.jobs and env.matrix.
 */
struct val *matrix_cond_data(const struct val *request,
			     const struct val *config);

/*
 * Whether the `if:` value `cond` (NULL when absent) accepts `config`
 * under `request`.  No condition, a seq or map value, or no request data
 * accepts.  A false or invalid condition does not; then *why (when `why`
 * is not NULL) gets a malloc'd reason: "if: COND is false" or "if: COND
 * is invalid: MESSAGE".
 */
bool matrix_accept(const struct val *cond, const struct val *config,
		   const struct val *request, char **why);

/*
 * The skip keyword of a commit message as written ("[skip ci]", "[CI
 * SKIP]", "[travis-ci skip]", ...; malloc'd), or NULL when there is none.
 */
char *matrix_skip_keyword(const char *message);

/* Whether `job`'s language/os supports `key` (e.g. python only for python). */
bool matrix_key_supported(const struct val *job, const char *key);

#endif
