#ifndef FY_AGENT_INT_H
#define FY_AGENT_INT_H

#include "compat.h"

#include "agent.h"
#include "appspec.h"
#include "svec.h"

struct buf;

/*
 * agent_int.h: private to deployers/agent*.c.  agent.c runs the events,
 * agent_bundle.c is the DownloadBundle event, agent_install.c the Install
 * event (agent_perm.c its ACLs and SELinux contexts), agent_hook.c runs
 * the scripts of one lifecycle event, agent_util.c has the rest.
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

/* The DownloadBundle event: the revision into r->archive. */
int agent_download_bundle(struct agent_run *r);

/* setfacl --set with the ACL the agent makes of perm->acls for `object`. */
int agent_setfacl(const struct appspec_permission *perm, const char *object);
/* semanage fcontext -a and restorecon; *real is the resolved path. */
int agent_semanage(char **real, const struct appspec_context *ctx,
		   const char *object);

/*
 * deployment-instructions/<group>_<suffix> ("last_successful_install",
 * "most_recent_install"): read (chomped; NULL when absent) or written
 * with this deployment's folder.
 */
char *agent_pointer_read(const struct agent_run *r, const char *suffix);
int agent_pointer_write(const struct agent_run *r, const char *suffix);

/* Ruby's File.join of two parts, and File.expand_path of an absolute
 * path (".", ".." and repeated slashes resolved, no trailing slash). */
char *agent_path_join(const char *a, const char *b);
char *agent_path_expand(const char *path);

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
