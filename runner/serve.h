#ifndef FY_SERVE_H
#define FY_SERVE_H

#include "compat.h"

#include <pthread.h>
#include <stdatomic.h>

#include "svec.h"

struct ferryconf;
struct httpd;
struct store;
struct val;

/*
 * serve: `ferry serve`, private to runner/.  One process, five kinds of
 * thread around one store (store.h):
 *
 *   httpd threads  webhooks (serve_hook.c), the web UI and the JSON API
 *                  (webui.c); they only read and write the store and
 *                  wake the others, never wait for git, Docker or GitHub
 *   planner        a pending request -> mirror fetch, .travis.yml at the
 *                  commit, build-level filters, the plan -> a build and
 *                  its jobs (serve_plan.c)
 *   workers        `concurrency` of them: a queued job -> fresh checkout
 *                  -> job_run() in Docker -> the result (serve_work.c)
 *   statuses       the outbox of GitHub commit statuses, sent in order
 *                  with retries (github.c)
 *   main           signals and shutdown (cmd_serve.c)
 *
 * Shared state lives in struct serve: the configuration (read-only once
 * the threads run), the store (thread-safe), and under `lock` the
 * wake-up flags, the cancel flags of running jobs and the metrics.
 */

struct serve_conf {
	char *address;	 /* listen address */
	unsigned port;	 /* listen port (0: any) */
	char *base_url;	 /* the UI's public URL, for status links */
	char *data_dir;	 /* database, logs, workspaces, mirrors */
	char *port_file; /* write the bound port here (tests) */
	char *log_file;	 /* diagnostic log; NULL: stderr */
	int concurrency;
	unsigned http_threads;
	size_t max_body;
	long grace;	   /* seconds running jobs get at shutdown */
	char *secret;	   /* webhook secret (required) */
	char *token;	   /* GitHub token: statuses, private clones */
	char *admin_token; /* cancel and restart; NULL: disabled */
	char *api_url;	   /* GitHub REST API base */
	char *context;	   /* status context prefix */
	bool statuses;	   /* send commit statuses */
	char *clone_url;   /* template with one %s for owner/name, or NULL */
	struct svec repos; /* allowed: owner/name, owner/ *, * */
	bool cancel_push, cancel_pr; /* auto-cancellation */
};

void serve_conf_init(struct serve_conf *c);
void serve_conf_release(struct serve_conf *c);
/* Read the `serve:` section of ferry's config file. */
int serve_conf_load(struct serve_conf *c, const struct ferryconf *fc);
/* Whether repository `slug` is in the allowed list. */
bool serve_repo_allowed(const struct serve_conf *c, const char *slug);

/* Histogram buckets of job durations, in seconds. */
#define SERVE_BUCKETS 10
extern const double serve_buckets[SERVE_BUCKETS];

struct serve_metrics {
	unsigned long hooks[6]; /* by enum serve_hook_result */
	unsigned long jobs[4];	/* finished, by enum job_state */
	unsigned long duration_bucket[SERVE_BUCKETS];
	double duration_sum;
	unsigned long duration_count;
	unsigned long builds_created, requests_rejected;
	unsigned long statuses_sent, statuses_failed;
};

enum serve_hook_result {
	HOOK_ACCEPTED,
	HOOK_DUPLICATE,
	HOOK_IGNORED,
	HOOK_UNAUTHORIZED,
	HOOK_BAD_REQUEST,
	HOOK_PING,
};

/* A running job's cancel flag. */
struct serve_running {
	int64_t job_id;
	atomic_bool cancel;
	atomic_bool requeue; /* canceled by the shutdown: back in the queue */
};

struct serve {
	struct serve_conf conf;
	struct ferryconf *fconf;
	struct store *store;
	struct httpd *httpd;
	char *logs_dir, *work_dir, *git_dir;
	atomic_bool stopping;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* any of the flags below changed */
	unsigned plan_gen, work_gen, status_gen;
	struct serve_running **running;
	size_t nrunning, running_alloc;
	struct serve_metrics metrics;
};

/* Wake the planner, the workers or the status sender. */
void serve_wake_planner(struct serve *s);
void serve_wake_workers(struct serve *s);
void serve_wake_statuses(struct serve *s);
/* The current value of a generation counter (read under the lock). */
unsigned serve_gen(struct serve *s, unsigned *gen);
/*
 * Wait until the generation counter `gen` moves past `seen` or `seconds`
 * pass; returns the new generation.
 */
unsigned serve_wait(struct serve *s, unsigned *gen, unsigned seen,
		    long seconds);

/* Raise the cancel flags of the running jobs whose ids are in `ids`. */
void serve_cancel_running(struct serve *s, const struct svec *ids);
/* The log file of job `id` (malloc'd). */
char *serve_log_path(const struct serve *s, int64_t id);

/*
 * Webhooks (serve_hook.c).  Whether `header` ("sha256=<hex>") is the
 * HMAC-SHA256 of the body with `secret`, compared in constant time.
 */
bool serve_hook_signature_ok(const char *secret, const char *header,
			     const void *body, size_t len);
/*
 * The build request of a push or pull_request payload: {event, slug,
 * clone_url, sender, branch, tag, sha, status_sha, ...; pr, head_branch,
 * head_slug, fork, draft for pull requests}.  A payload that builds
 * nothing (a deleted branch, a closed pull request) sets *ignored (why,
 * malloc'd) and *out NULL; a malformed one is FY_EINVALID.
 */
int serve_hook_request(const char *event, const struct val *payload,
		       struct val **out, char **ignored);

/* Route registration and threads. */
void serve_hook_routes(struct serve *s);
void webui_routes(struct serve *s);
void *serve_plan_main(void *arg);
void *serve_work_main(void *arg);
void *github_main(void *arg);

/*
 * GitHub's view of a build state: the status `state` (pending, success,
 * failure, error) and Travis's description for it.
 */
void github_status_for(const char *build_state, const char **state,
		       const char **description);

#endif
