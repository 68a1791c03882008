/*
 * agent_perm.c: the ACL and SELinux parts of the agent's permissions:
 * the ACL completed as ChangeAclCommand does (the owner, group and other
 * entries from the file's mode, a mask, default entries) and given to
 * setfacl --set; contexts given to semanage fcontext and restorecon.  A
 * missing tool fails with the agent's message and names the package.
 */
#include "compat.h"

#include <sys/stat.h>

#include "agent_int.h"
#include "error.h"
#include "fs.h"
#include "svec.h"
#include "xalloc.h"

struct acl {
	struct appspec_ace *v;
	size_t n, alloc;
};

static void acl_add(struct acl *a, const char *text)
{
	XGROW(a->v, a->alloc, a->n + 1);
	if (appspec_ace_parse(&a->v[a->n], text, true) < 0)
		BUG("bad internal acl entry %s", text);
	a->n++;
}

static bool acl_has(const struct acl *a, bool dflt, const char *type, int named)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct appspec_ace *e = &a->v[i];

		if (e->is_default != dflt || (type && strcmp(e->type, type)))
			continue;
		if (named < 0 || (named == 1) == !!*e->name)
			return true;
	}
	return false;
}

/* The entries the agent gives setfacl --set for `object`. */
static int acl_full(struct svec *out, const struct appspec_permission *perm,
		    const char *object)
{
	struct acl a = { 0 };
	struct stat st;
	char u, g, o, tmp[32];

	if (stat(object, &st) < 0)
		return err_errno("cannot stat '%s'", object);
	u = (char)('0' + ((st.st_mode >> 6) & 7));
	g = (char)('0' + ((st.st_mode >> 3) & 7));
	o = (char)('0' + (st.st_mode & 7));
	for (size_t i = 0; i < perm->nacls; i++) {
		struct appspec_ace *e = &perm->acls[i];

		XGROW(a.v, a.alloc, a.n + 1);
		a.v[a.n] = *e;
		a.v[a.n++].name = xstrdup(e->name);
	}
	snprintf(tmp, sizeof(tmp), ":%c", u);
	acl_add(&a, tmp);
	snprintf(tmp, sizeof(tmp), "g::%c", g);
	acl_add(&a, tmp);
	snprintf(tmp, sizeof(tmp), "o::%c", o);
	acl_add(&a, tmp);
	if (acl_has(&a, false, NULL, 1) && !acl_has(&a, false, "mask", -1)) {
		snprintf(tmp, sizeof(tmp), "m::%c", g);
		acl_add(&a, tmp);
	}
	if (acl_has(&a, true, NULL, -1)) {
		if (!acl_has(&a, true, "user", 0)) {
			snprintf(tmp, sizeof(tmp), "d::%c", u);
			acl_add(&a, tmp);
		}
		if (!acl_has(&a, true, "group", 0)) {
			snprintf(tmp, sizeof(tmp), "d:g::%c", g);
			acl_add(&a, tmp);
		}
		if (!acl_has(&a, true, "other", -1)) {
			snprintf(tmp, sizeof(tmp), "d:o:%c", o);
			acl_add(&a, tmp);
		}
		if (acl_has(&a, true, NULL, 1) &&
		    !acl_has(&a, true, "mask", -1)) {
			/* The default group entry's permissions, as a mask. */
			for (size_t i = 0; i < a.n; i++) {
				struct appspec_ace m = a.v[i];

				if (!m.is_default || strcmp(m.type, "group") ||
				    *m.name)
					continue;
				snprintf(m.type, sizeof(m.type), "mask");
				XGROW(a.v, a.alloc, a.n + 1);
				a.v[a.n] = m;
				a.v[a.n++].name = xstrdup("");
				break;
			}
		}
	}
	for (size_t i = 0; i < a.n; i++) {
		svec_push_nodup(out, appspec_ace_format(&a.v[i]));
		free(a.v[i].name);
	}
	free(a.v);
	return 0;
}

/* Run a tool the agent runs through the shell; a missing one is named. */
static int run_tool(struct svec *argv, const char *what, const char *object,
		    const char *package)
{
	char *prog = fs_which(argv->v[0]);
	char *cmd = svec_join(argv, " ");
	int status = 127, err = 0;

	if (prog) {
		free(argv->v[0]);
		argv->v[0] = prog;
		prog = NULL;
		err = agent_command(argv->v, NULL, &status, NULL);
	}
	if (err < 0 || status)
		err = err_set(
			FY_EFAIL,
			"The deployment failed because %s for this "
			"object: %s. Failed command: %s. Exit code: %d%s%s%s",
			what, object, cmd, status, status == 127 ? " (" : "",
			status == 127 ? package : "", status == 127 ? ")" : "");
	free(cmd);
	return err;
}

int agent_setfacl(const struct appspec_permission *perm, const char *object)
{
	struct svec acl = SVEC_INIT, argv = SVEC_INIT;
	int err = acl_full(&acl, perm, object);
	char *list;

	if (err < 0)
		return err;
	list = svec_join(&acl, ",");
	svec_pushl(&argv, "setfacl", "--set", list, object, NULL);
	err = run_tool(&argv,
		       "of a problem with the acls permission settings in the "
		       "application specification file",
		       object,
		       "setfacl was not found: install the Debian package "
		       "'acl'");
	free(list);
	svec_release(&acl);
	svec_release(&argv);
	return err;
}

int agent_semanage(char **real_out, const struct appspec_context *ctx,
		   const char *object)
{
	struct svec argv = SVEC_INIT;
	char *real = realpath(object, NULL);
	static const char what[] =
		"the application specification file contains an error in "
		"the settings for the context parameter. Update the "
		"permissions section of the AppSpec file, and then try again";
	static const char pkg[] = "semanage and restorecon were not found: "
				  "install policycoreutils-python-utils";
	int err;

	if (!real)
		return err_errno("cannot resolve '%s'", object);
	svec_pushl(&argv, "semanage", "fcontext", "-a", NULL);
	if (ctx->user)
		svec_pushl(&argv, "-s", ctx->user, NULL);
	svec_pushl(&argv, "-t", ctx->type, NULL);
	if (ctx->range)
		svec_pushl(&argv, "-r", ctx->range, NULL);
	svec_push(&argv, real);
	err = run_tool(&argv, what, real, pkg);
	svec_release(&argv);
	if (!err) {
		svec_pushl(&argv, "restorecon", "-v", real, NULL);
		err = run_tool(&argv, what, real, pkg);
	}
	svec_release(&argv);
	if (!err)
		*real_out = real;
	else
		free(real);
	return err;
}
