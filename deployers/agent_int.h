#ifndef FY_AGENT_INT_H
#define FY_AGENT_INT_H

#include "compat.h"

#include "agent.h"
#include "appspec.h"
#include "svec.h"

struct buf;

/*
 * agent_int.h: private to deployers/agent*.c.  agent.c runs the events,
 * agent_install.c is the Install event, agent_hook.c runs the scripts of
 * one lifecycle event.
 */

/* One deployment in progress. */
struct agent_run {
	const struct agent_deployment *d;
	char *root;	    /* absolute */
	char *group;	    /* deployment group id (a folder name) */
	char *id;	    /* deployment id */
	char *dir;	    /* root/group/id */
	char *archive;	    /* dir/deployment-archive */
	char *instructions; /* root/deployment-instructions */
	char *app_name;
	char *group_name;
	char *appspec_name; /* as asked (default appspec.yml) */
	enum appspec_feb feb;
	struct svec env; /* NAME=VALUE given to scripts, less LIFECYCLE_EVENT */
};

/*
 * Run the scripts of `hook` (the event ev->name) from the revision in
 * `archive`; output goes to the deployment's scripts.log.  0 when they
 * all worked; otherwise ev->code, script, exit_status, message and log
 * say why and a negative code is returned.
 */
int agent_hook_run(struct agent_run *r, struct agent_event *ev,
		   const char *archive, const struct appspec_hook *hook);

/*
 * The Install event: remove what the previous Install of the group made,
 * copy the files of `spec` from the archive and apply its permissions.
 * FY_E* with the agent's message on failure.
 */
int agent_install(struct agent_run *r, const struct appspec *spec);

/* Ruby's File.join of two parts, and File.expand_path of an absolute
 * path (".", ".." and repeated slashes resolved, no trailing slash). */
char *agent_path_join(const char *a, const char *b);
char *agent_path_expand(const char *path);

/* Find `name` in $PATH; NULL if absent. */
char *agent_which(const char *name);

/*
 * Run argv[0] (a full path) with `env` (NULL: ours) and stdin closed,
 * wait for it and put its exit status in *status (127 when it could not
 * be executed, 128 + N for signal N).  Its output goes to `out` (honouring
 * out's cap) when not NULL, else to /dev/null.  FY_E* when it could not
 * be started at all.
 */
int agent_command(char *const *argv, char *const *env, int *status,
		  struct buf *out);

#endif
