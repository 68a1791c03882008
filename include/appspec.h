#ifndef FY_APPSPEC_H
#define FY_APPSPEC_H

#include "compat.h"

#include "svec.h"

struct val;

/*
 * appspec: the AppSpec file of a CodeDeploy EC2/on-premises revision
 * (appspec.yml), read the way the AWS CodeDeploy agent 1.8.1 for Linux
 * reads it (Ruby's Psych, YAML 1.1, then the checks of its
 * ApplicationSpecification classes).
 *
 * YAML 1.1 matters in three places, and appspec_load() follows Psych:
 *  - `version: 0.0` is the float 0.0 and is accepted (so are other plain
 *    scalars equal to zero, `0`, `0.00`); the quoted string '0.0' is not;
 *  - an unquoted `mode: 0644` is the octal integer 420 and becomes the
 *    mode "420" (r---w----), without an error (a warning here);
 *  - lower-case yes/no/on/off are booleans (only `sudo` cares).
 *
 * appspec_load() always gives a struct appspec (unless out of memory):
 * every problem found is in `problems`, in the order the agent checks
 * (version, os, hooks, files, permissions, file_exists_behavior), so the
 * first error is the one the agent would fail the deployment with.  The
 * error codes are the categories of the shared parse cases (`empty`,
 * `invalid_version`, `unsupported_os`, `invalid_timeout`, ...) plus
 * `yaml` (malformed YAML) and `invalid_structure` (a value of the wrong
 * type, where the agent would crash).  Messages are the agent's own text.
 * Warnings are ferry's: octal modes, duplicate and unknown keys, hooks
 * that never run, more than 3600 s of scripts in one event.
 *
 * Positions are 1-based lines (0: none).  Everything is owned by the
 * struct appspec and freed with appspec_free().
 */

enum appspec_feb {
	APPSPEC_FEB_UNSET, /* not in the appspec: the deployment's choice */
	APPSPEC_DISALLOW,
	APPSPEC_OVERWRITE,
	APPSPEC_RETAIN,
};

#define APPSPEC_DEFAULT_TIMEOUT 3600

struct appspec_script {
	char *location; /* relative to the revision's root, stripped */
	char *runas;	/* NULL: the agent's own user */
	bool sudo;	/* undocumented `sudo: true` */
	long timeout;	/* seconds, > 0 */
	int line;
};

struct appspec_hook {
	char *event; /* lifecycle event name, as written */
	struct appspec_script *scripts;
	size_t n;
	int line;
};

struct appspec_file {
	char *source;	   /* in the revision; "/" is all of it */
	char *destination; /* on the host */
	int line;
};

/* One ACL entry: [default:]user|group|mask|other:[name]:perms */
struct appspec_ace {
	bool is_default;
	char type[8]; /* "user", "group", "mask", "other" */
	char *name;   /* "" for the owning user/group */
	bool r, w, x;
};

struct appspec_context {
	char *user; /* from the key `name`, as the agent reads it; NULL */
	char *type;
	char *range; /* normalised "s0-s1:c0.c3", or NULL */
};

struct appspec_permission {
	char *object;
	char *pattern;	    /* "**" by default */
	struct svec except; /* simple globs */
	bool type_file;	    /* from `type` (both by default) */
	bool type_dir;
	struct svec types;	  /* `type` as written (or the default list) */
	char *owner, *group;	  /* NULL when not given */
	char *mode;		  /* 3 or 4 octal digits, or NULL */
	struct appspec_ace *acls; /* NULL when `acls` is not given */
	size_t nacls;
	struct appspec_context *context; /* NULL when not given */
	int line;
};

struct appspec_problem {
	bool warning;
	int line;   /* 1-based; 0 when unknown */
	char *code; /* "invalid_version", "yaml", ...; warnings: "octal_mode" */
	char *message;
};

struct appspec {
	char *os;
	enum appspec_feb file_exists_behavior;
	struct appspec_hook *hooks; /* in file order; null ones dropped */
	size_t nhooks;
	struct appspec_file *files;
	size_t nfiles;
	struct appspec_permission *perms;
	size_t nperms;
	struct appspec_problem *problems;
	size_t nproblems;
};

/*
 * Read `len` bytes of appspec text; `name` appears in YAML messages.
 * Returns 0 and a struct appspec, whatever the problems found.
 */
int appspec_load(struct appspec **out, const char *text, size_t len,
		 const char *name);
/* Read a file (capped at 4 MiB); FY_ENOTFOUND and friends for I/O. */
int appspec_load_file(struct appspec **out, const char *path);
void appspec_free(struct appspec *spec);

/* The first error, as the agent would report it, or NULL if valid. */
const struct appspec_problem *appspec_error(const struct appspec *spec);
/* The scripts of `event`, or NULL when it has none. */
const struct appspec_hook *appspec_hook(const struct appspec *spec,
					const char *event);

/*
 * Hook names in the appspec that are not in `events` (NULL-terminated)
 * are appended to `unknown`; returns how many.
 */
size_t appspec_unknown_events(const struct appspec *spec,
			      const char *const *events, struct svec *unknown);

/*
 * The parsed values as a map: valid (no errors), os, file_exists_behavior,
 * hooks {event: [{location, timeout, runas[, sudo]}]}, files [{source,
 * destination}], permissions [{object, pattern, except, type, owner,
 * group, mode[, acls][, context]}], and problems [{level, line, code,
 * message}].
 */
struct val *appspec_to_val(const struct appspec *spec);

/* "DISALLOW", ...; NULL for APPSPEC_FEB_UNSET. */
const char *appspec_feb_name(enum appspec_feb feb);
/* Parse a name (any case); APPSPEC_FEB_UNSET when it is none of them. */
enum appspec_feb appspec_feb_parse(const char *name);

/*
 * One ACL entry, checked as the agent checks appspec entries (`internal`
 * allows the owning user/group entries the agent adds itself).  Fills
 * *ace (its name malloc'd); FY_EINVALID with the agent's message.
 */
int appspec_ace_parse(struct appspec_ace *ace, const char *text, bool internal);
/* "default:user:bob:rw-" */
char *appspec_ace_format(const struct appspec_ace *ace);

/*
 * Whether `name` matches a simple glob (`*` matches any run of
 * characters, everything else is literal; a name with '/' never matches).
 */
bool appspec_glob_match(const char *pattern, const char *name);

#endif
