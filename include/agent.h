#ifndef FY_AGENT_H
#define FY_AGENT_H

#include "compat.h"

struct val;

/*
 * agent: carries out a CodeDeploy in-place deployment on this host the
 * way the AWS CodeDeploy agent 1.8.1 for Linux does, as its
 * `codedeploy-local` tool drives it (deployers/agent.c, agent_install.c,
 * agent_hook.c).  `ferry appspec run` is a thin command over agent_run();
 * a CodeDeploy test server can call either to deploy to a test instance
 * (a directory root).
 *
 * What it does, in the agent's words and order:
 *  - lifecycle events BeforeBlockTraffic, AfterBlockTraffic,
 *    ApplicationStop, DownloadBundle, BeforeInstall, Install,
 *    AfterInstall, ApplicationStart, ValidateService, BeforeAllowTraffic,
 *    AfterAllowTraffic (or the `events` given, with DownloadBundle and
 *    Install added in front when missing);
 *  - ApplicationStop, BeforeBlockTraffic and AfterBlockTraffic run the
 *    scripts of the last successful install of the deployment group
 *    (nothing on the first deployment); the other events the new one's;
 *  - the deployment root: <root>/<group-id>/<deployment-id>/ holds
 *    bundle.tar (a link to an archive bundle), deployment-archive/ (the
 *    revision) and logs/scripts.log; <root>/deployment-instructions/ holds
 *    <group-id>_last_successful_install, <group-id>_most_recent_install,
 *    <group-id>-install.json and <group-id>-cleanup (the files and
 *    directories the last Install made, removed before the next Install);
 *    at most `max_revisions` deployment folders are kept per group;
 *  - Install copies `files` (DISALLOW, OVERWRITE or RETAIN for a file that
 *    is there and was not put there by the last deployment) and applies
 *    `permissions` (mode, owner, group; acls with setfacl; context with
 *    semanage and restorecon: a missing tool fails the Install and says
 *    so);
 *  - each script runs in its own process group with the agent's
 *    environment variables, from the revision's directory, as `runas`
 *    (su) when given; its output goes to scripts.log; after `timeout`
 *    seconds its group gets SIGTERM (and SIGKILL 10 s later) and the event
 *    fails.
 *
 * A failed deployment is a result, not an error: agent_run() returns 0
 * and `failed` names the event, the script, the agent's error code and
 * message and the tail of the output.  It returns FY_E* only when the
 * deployment cannot start: a missing bundle (FY_ENOTFOUND), bad
 * arguments (FY_EINVALID), a deployment root that cannot be made.
 *
 * Scripts with `runas` need root (su asks no password of root only).
 * Ownership: a struct agent_result owns its strings and is finished with
 * agent_result_release(); struct agent_deployment is borrowed.
 */

#define AGENT_DEFAULT_ROOT	 "/opt/codedeploy-agent/deployment-root"
#define AGENT_DEFAULT_GROUP	 "default-local-deployment-group"
#define AGENT_DEFAULT_GROUP_NAME "LocalFleet"
#define AGENT_MAX_REVISIONS	 5

enum agent_state {
	AGENT_PENDING, /* not reached: an earlier event failed */
	AGENT_SKIPPED, /* nothing to run (no scripts, no previous revision) */
	AGENT_SUCCEEDED,
	AGENT_FAILED,
	AGENT_IGNORED, /* failed, with ignore_stop_failures */
};

/* The agent's ScriptError codes, as it reports them to CodeDeploy. */
enum agent_code {
	AGENT_OK = 0,
	AGENT_SCRIPT_MISSING = 1,
	AGENT_SCRIPT_NOT_EXECUTABLE = 2,
	AGENT_SCRIPT_TIMED_OUT = 3,
	AGENT_SCRIPT_FAILED = 4,
	AGENT_UNKNOWN_ERROR = 5, /* Install, appspec, bundle */
	AGENT_OUTPUTS_LEFT_OPEN = 6,
};

struct agent_event {
	char *name;
	enum agent_state state;
	bool previous;	  /* ran the last successful revision's scripts */
	bool no_previous; /* skipped: no deployment of the group installed */
	size_t scripts;	  /* scripts started */
	double seconds;
	/* The diagnostics the agent would send for this event: */
	enum agent_code code;
	char *script;	 /* the failing script's location, or NULL */
	int exit_status; /* the failing script's exit status, or -1 */
	char *message;	 /* the agent's message; NULL unless failed */
	char *log;	 /* the last ~2 KB of the event's log, or NULL */
};

struct agent_result;

struct agent_deployment {
	const char *bundle;	   /* a directory, or a tar/tgz/zip file */
	const char *root;	   /* NULL: AGENT_DEFAULT_ROOT */
	const char *deployment_id; /* NULL: d-XXXXXXXXX-local, random */
	const char *group_id;	   /* NULL: AGENT_DEFAULT_GROUP */
	const char *group_name;	   /* NULL: AGENT_DEFAULT_GROUP_NAME */
	const char *application;   /* NULL: `bundle` as given */
	const char *appspec;	   /* NULL: appspec.yml, else appspec.yaml */
	const char *file_exists_behavior; /* NULL: DISALLOW; appspec wins */
	const char *const *events; /* NULL-terminated; NULL: the default */
	/* Where the revision came from, for the BUNDLE_* variables: */
	const char *bucket, *key, *version, *etag; /* S3 (bucket set) */
	const char *commit;			   /* GitHub */
	bool ignore_stop_failures; /* ignoreApplicationStopFailures */
	int max_revisions;	   /* 0: AGENT_MAX_REVISIONS */
	/* Called once the deployment folder exists, and after each event
	 * (both may be NULL). */
	void (*on_start)(const struct agent_result *res, void *payload);
	void (*on_event)(const struct agent_event *ev, void *payload);
	void *payload;
};

struct agent_result {
	char *deployment_id;
	char *group_id;
	char *dir;		    /* <root>/<group-id>/<deployment-id> */
	char *log;		    /* <dir>/logs/scripts.log */
	struct agent_event *events; /* in the order run */
	size_t nevents;
	const struct agent_event *failed; /* NULL when the deployment worked */
};

/* clang-format off */
#define AGENT_RESULT_INIT { 0 }
/* clang-format on */

int agent_run(const struct agent_deployment *d, struct agent_result *res);
void agent_result_release(struct agent_result *res);

/*
 * The result as a map: deployment_id, deployment_group_id, directory,
 * log, status ("Succeeded"/"Failed"), events [{name, status, revision,
 * scripts, seconds, diagnostics {error_code, script_name, message, log}}]
 * and error (the failing event's diagnostics plus event, exit_status; or
 * null).
 */
struct val *agent_result_to_val(const struct agent_result *res);

/* "Succeeded", "Failed", "Skipped", "Pending", "Ignored". */
const char *agent_state_name(enum agent_state state);

/* The default lifecycle events, in order, NULL-terminated. */
extern const char *const agent_default_events[];

#endif
