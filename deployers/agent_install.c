/*
 * agent_install.c: the Install lifecycle event, as the CodeDeploy agent's
 * Installer and InstallInstruction classes do it:
 *
 *  1. the files and directories the group's previous Install made (listed
 *     in deployment-instructions/<group>-cleanup) are removed, newest
 *     first (directories only when empty);
 *  2. a plan is made from `files` (copy every file, make missing
 *     directories; DISALLOW, OVERWRITE or RETAIN for a file already
 *     there) and `permissions` (chmod, setfacl, semanage, chown for the
 *     matching objects the plan copies or makes), and written to
 *     <group>-install.json;
 *  3. the plan is carried out, each path made being written to a new
 *     <group>-cleanup first.
 *
 * The agent's messages are kept word for word.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_int.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define CLEANUP_MAX (64u << 20)

enum cmd_type {
	CMD_COPY,
	CMD_MKDIR,
	CMD_CHMOD,
	CMD_SETFACL,
	CMD_SEMANAGE,
	CMD_CHOWN
};

struct cmd {
	enum cmd_type type;
	char *path;   /* destination, directory or object */
	char *source; /* CMD_COPY */
	const struct appspec_permission *perm;
};

/* A set of strings (with an optional value), for the plan's lookups. */
struct strset {
	char **keys;
	const char **vals;
	size_t cap, n;
};

struct plan {
	struct agent_run *r;
	struct cmd *v;
	size_t n, alloc;
	struct strset copies; /* destination -> source */
	struct strset dirs;
	struct strset perms;
	struct svec copy_order, dir_order;
	enum appspec_feb feb;
};

/* ---- a small string set ---------------------------------------------- */

static size_t str_hash(const char *s)
{
	size_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static size_t set_slot(const struct strset *s, const char *key)
{
	size_t i = str_hash(key) & (s->cap - 1);

	while (s->keys[i] && strcmp(s->keys[i], key))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static const char *set_get(const struct strset *s, const char *key)
{
	size_t i;

	if (!s->cap)
		return NULL;
	i = set_slot(s, key);
	return s->keys[i] ? (s->vals[i] ? s->vals[i] : "") : NULL;
}

static void set_put(struct strset *s, const char *key, const char *val)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct strset big = { .cap = s->cap ? s->cap * 2 : 64 };

		big.keys = xcalloc(big.cap, sizeof(*big.keys));
		big.vals = xcalloc(big.cap, sizeof(*big.vals));
		for (size_t k = 0; k < s->cap; k++) {
			if (!s->keys[k])
				continue;
			i = set_slot(&big, s->keys[k]);
			big.keys[i] = s->keys[k];
			big.vals[i] = s->vals[k];
		}
		big.n = s->n;
		free(s->keys);
		free(s->vals);
		*s = big;
	}
	i = set_slot(s, key);
	if (!s->keys[i]) {
		s->keys[i] = xstrdup(key);
		s->n++;
	}
	s->vals[i] = val;
}

static void set_release(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof(*s));
}

/* ---- the plan --------------------------------------------------------- */

static struct cmd *plan_add(struct plan *p, enum cmd_type type,
			    const char *path)
{
	struct cmd *c;

	XGROW(p->v, p->alloc, p->n + 1);
	c = &p->v[p->n++];
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->path = xstrdup(path);
	return c;
}

static int plan_copy(struct plan *p, const char *source, const char *dest)
{
	char *d = agent_path_expand(dest);
	const char *other = set_get(&p->copies, d);
	int err = 0;
	struct cmd *c;

	if (other)
		err = err_set(FY_EINVALID,
			      "The deployment failed because the application "
			      "specification file specifies two source files "
			      "named %s and %s for the same destination (%s). "
			      "Remove one of the source file paths from the "
			      "AppSpec file, and then try again.",
			      source, other, d);
	else if (set_get(&p->dirs, d))
		err = err_set(
			FY_EINVALID,
			"The deployment failed because the application "
			"specification file calls for installing the "
			"file %s, but a file with that name already "
			"exists at the location (%s). Update your AppSpec "
			"file or directory structure, and then try again.",
			source, d);
	if (!err) {
		c = plan_add(p, CMD_COPY, d);
		c->source = xstrdup(source);
		set_put(&p->copies, d, c->source);
		svec_push(&p->copy_order, d);
	}
	free(d);
	return err;
}

static int plan_mkdir(struct plan *p, const char *dir)
{
	char *d = agent_path_expand(dir);
	const char *from = set_get(&p->copies, d);
	int err = 0;

	if (from)
		err = err_set(FY_EINVALID,
			      "The deployment failed because the application "
			      "specification file includes an mkdir command "
			      "more than once for the same destination path "
			      "(%s) from (%s). Update the files section of the "
			      "AppSpec file, and then try again.",
			      d, from);
	else if (!set_get(&p->dirs, d)) {
		plan_add(p, CMD_MKDIR, d);
		set_put(&p->dirs, d, NULL);
		svec_push(&p->dir_order, d);
	}
	free(d);
	return err;
}

/* Ruby's File.exist? (follows symlinks). */
static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static int plan_file(struct plan *p, const char *source, const char *dest)
{
	if (!exists(dest))
		return plan_copy(p, source, dest);
	switch (p->feb) {
	case APPSPEC_FEB_UNSET:
	case APPSPEC_DISALLOW:
		return err_set(FY_EINVALID,
			       "The deployment failed because a specified file "
			       "already exists at this location: %s",
			       dest);
	case APPSPEC_OVERWRITE:
		return plan_copy(p, source, dest);
	case APPSPEC_RETAIN:
		return 0;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory, sorted (the agent takes readdir's order). */
static int list_dir(struct svec *out, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return err_errno("cannot read '%s'", dir);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			svec_push(out, e->d_name);
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_names);
	return 0;
}

static int plan_tree(struct plan *p, const char *source, const char *dest)
{
	struct svec names = SVEC_INIT;
	int err = 0;

	if (!fs_is_dir(dest))
		err = plan_mkdir(p, dest);
	if (!err)
		err = list_dir(&names, source);
	for (size_t i = 0; !err && i < names.n; i++) {
		char *s = agent_path_join(source, names.v[i]);
		char *d = agent_path_join(dest, names.v[i]);

		err = fs_is_dir(s) ? plan_tree(p, s, d) : plan_file(p, s, d);
		free(s);
		free(d);
	}
	svec_release(&names);
	return err;
}

/* The agent's fill_in_missing_ancestors. */
static int plan_ancestors(struct plan *p, const char *dest)
{
	struct svec missing = SVEC_INIT;
	char *dir = fs_dirname(dest);
	int err = 0;

	while (!exists(dir) && strcmp(dir, ".") && strcmp(dir, "/")) {
		char *up = fs_dirname(dir);

		svec_push_nodup(&missing, dir);
		dir = up;
	}
	free(dir);
	for (size_t i = missing.n; !err && i-- > 0;)
		err = plan_mkdir(p, missing.v[i]);
	svec_release(&missing);
	return err;
}

static int plan_files(struct plan *p, const struct appspec *spec)
{
	int err = 0;

	for (size_t i = 0; !err && i < spec->nfiles; i++) {
		const struct appspec_file *f = &spec->files[i];
		char *src = agent_path_join(p->r->archive, f->source);

		log_debug("generating instructions for copying %s to %s",
			  f->source, f->destination);
		if (fs_is_dir(src)) {
			err = plan_ancestors(p, f->destination);
			if (!err)
				err = plan_tree(p, src, f->destination);
		} else {
			char *base = xstrdup(src), *dest;
			size_t len = strlen(base);

			while (len > 1 && base[len - 1] == '/')
				base[--len] = '\0';
			dest = agent_path_join(f->destination,
					       fs_basename(base));
			err = plan_ancestors(p, dest);
			if (!err)
				err = plan_file(p, src, dest);
			free(dest);
			free(base);
		}
		free(src);
	}
	return err;
}

/* ---- permissions ------------------------------------------------------ */

/* `name` relative to the permission's object, or NULL if not below it. */
static const char *below(const struct appspec_permission *perm,
			 const char *name, char **base_out)
{
	char *base = agent_path_expand(perm->object);
	size_t n = strlen(base);

	if (!n || base[n - 1] != '/') {
		char *b = xasprintf("%s/", base);

		free(base);
		base = b;
		n++;
	}
	*base_out = base;
	if (strncmp(name, base, n))
		return NULL;
	return name + n;
}

static bool perm_matches(const struct appspec_permission *perm,
			 const char *name)
{
	char *base;
	const char *rel = below(perm, name, &base);
	bool match = false;

	if (rel) {
		match = !strcmp(perm->pattern, "**") ||
			appspec_glob_match(perm->pattern, rel);
		for (size_t i = 0; match && i < perm->except.n; i++)
			if (appspec_glob_match(perm->except.v[i], rel))
				match = false;
	}
	free(base);
	return match;
}

static bool has_default_ace(const struct appspec_permission *perm)
{
	for (size_t i = 0; i < perm->nacls; i++)
		if (perm->acls[i].is_default)
			return true;
	return false;
}

static int file_acl_check(const struct appspec_permission *perm)
{
	if (has_default_ace(perm))
		return err_set(
			FY_EINVALID,
			"The deployment failed because the -d parameter "
			"has been specified to apply an acl setting to a "
			"file. This parameter is supported for "
			"directories only. Update the AppSpec file, and "
			"then try again.");
	return 0;
}

static int plan_perm_on(struct plan *p, const char *object,
			const struct appspec_permission *perm)
{
	char *o = agent_path_expand(object);
	int err = 0;

	if (set_get(&p->perms, o)) {
		err = err_set(FY_EINVALID,
			      "The deployment failed because the permissions "
			      "setting for (%s) is specified more than once in "
			      "the application specification file. Update the "
			      "files section of the AppSpec file, and then try "
			      "again.",
			      o);
		goto out;
	}
	set_put(&p->perms, o, NULL);
	if (perm->mode)
		plan_add(p, CMD_CHMOD, o)->perm = perm;
	if (perm->acls)
		plan_add(p, CMD_SETFACL, o)->perm = perm;
	if (perm->context)
		plan_add(p, CMD_SEMANAGE, o)->perm = perm;
	if (perm->owner || perm->group)
		plan_add(p, CMD_CHOWN, o)->perm = perm;
out:
	free(o);
	return err;
}

/* A permission whose object is a file being copied. */
static int plan_perm_file(struct plan *p, const struct appspec_permission *perm)
{
	if (!perm->type_file)
		return 0;
	if (strcmp(perm->pattern, "**"))
		return err_set(
			FY_EINVALID,
			"The deployment failed because the application "
			"specification file includes an object (%s) "
			"with an invalid pattern (%s), such as a pattern "
			"for a file applied to a directory. Correct the "
			"permissions section of the AppSpec file, and "
			"then try again.",
			perm->object, perm->pattern);
	if (perm->except.n) {
		struct buf list = BUF_INIT;
		int err;

		for (size_t i = 0; i < perm->except.n; i++)
			buf_addf(&list, "%s\"%s\"", i ? ", " : "[",
				 perm->except.v[i]);
		buf_addch(&list, ']');
		err = err_set(
			FY_EINVALID,
			"The deployment failed because the except "
			"parameter for a pattern in the permissions "
			"section (%s) for the object named %s contains an "
			"invalid format. Update the AppSpec file, and "
			"then try again.",
			list.ptr, perm->object);
		buf_release(&list);
		return err;
	}
	if (file_acl_check(perm) < 0)
		return FY_EINVALID;
	return plan_perm_on(p, perm->object, perm);
}

static int plan_perm_tree(struct plan *p, const struct appspec_permission *perm)
{
	struct svec matches = SVEC_INIT;
	int err = 0;

	for (size_t i = 0; perm->type_file && i < p->copy_order.n && !err;
	     i++) {
		if (!perm_matches(perm, p->copy_order.v[i]))
			continue;
		err = file_acl_check(perm);
		svec_push(&matches, p->copy_order.v[i]);
	}
	for (size_t i = 0; perm->type_dir && i < p->dir_order.n && !err; i++)
		if (perm_matches(perm, p->dir_order.v[i]))
			svec_push(&matches, p->dir_order.v[i]);
	for (size_t i = 0; !err && i < matches.n; i++)
		err = plan_perm_on(p, matches.v[i], perm);
	svec_release(&matches);
	return err;
}

static int plan_perms(struct plan *p, const struct appspec *spec)
{
	int err = 0;

	for (size_t i = 0; !err && i < spec->nperms; i++) {
		const struct appspec_permission *perm = &spec->perms[i];
		char *o = agent_path_expand(perm->object);

		if (set_get(&p->copies, o))
			err = plan_perm_file(p, perm);
		else if (set_get(&p->dirs, o) || fs_is_dir(perm->object))
			err = plan_perm_tree(p, perm);
		free(o);
	}
	return err;
}

static void plan_release(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].source);
	}
	free(p->v);
	set_release(&p->copies);
	set_release(&p->dirs);
	set_release(&p->perms);
	svec_release(&p->copy_order);
	svec_release(&p->dir_order);
}

/* ---- carrying the plan out -------------------------------------------- */

static int copy_file(const char *src, const char *dst)
{
	struct stat st;
	struct timespec times[2];
	int in = -1, out = -1, err = 0;
	mode_t mode;
	char chunk[65536];
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (in < 0 || fstat(in, &st) < 0) {
		err = err_errno("cannot read '%s'", src);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = err_set(FY_EINVALID,
			      "cannot install '%s': not a regular file", src);
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		   st.st_mode & 07777);
	if (out < 0) {
		err = err_errno("cannot create '%s'", dst);
		goto out;
	}
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = err_errno("cannot read '%s'", src);
			goto out;
		}
		err = fs_write_all(out, chunk, (size_t)n);
		if (err < 0)
			goto out;
	}
	/* FileUtils.copy with preserve: times, owner, then mode. */
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	mode = st.st_mode & 07777;
	if (futimens(out, times) < 0) {
		err = err_errno("cannot set the times of '%s'", dst);
		goto out;
	}
	if (fchown(out, st.st_uid, st.st_gid) < 0) {
		if (errno != EPERM && errno != EACCES) {
			err = err_errno("cannot set the owner of '%s'", dst);
			goto out;
		}
		mode &= 01777; /* no set-id bits for someone else's file */
	}
	if (fchmod(out, mode) < 0)
		err = err_errno("cannot set the mode of '%s'", dst);
out:
	close_fd(&in);
	close_fd(&out);
	return err;
}

static int do_copy(const struct cmd *c)
{
	struct stat st;
	struct buf target = BUF_INIT;
	int err = 0;

	if (lstat(c->source, &st) < 0)
		return err_errno("cannot install '%s'", c->source);
	if (!S_ISLNK(st.st_mode))
		return copy_file(c->source, c->path);
	buf_grow(&target, PATH_MAX);
	{
		ssize_t n = readlink(c->source, target.ptr, PATH_MAX);

		if (n < 0)
			err = err_errno("cannot read the link '%s'", c->source);
		else
			buf_setlen(&target, (size_t)n);
	}
	if (!err && symlink(target.ptr, c->path) < 0)
		err = err_errno("cannot make the link '%s'", c->path);
	buf_release(&target);
	return err;
}

static int do_chown(const struct cmd *c)
{
	const struct appspec_permission *perm = c->perm;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (perm->owner) {
		struct passwd *pw = getpwnam(perm->owner);

		if (!pw)
			return err_set(FY_EINVALID, "can't find user for %s",
				       perm->owner);
		uid = pw->pw_uid;
	}
	if (perm->group) {
		struct group *gr = getgrnam(perm->group);

		if (!gr)
			return err_set(FY_EINVALID, "can't find group for %s",
				       perm->group);
		gid = gr->gr_gid;
	}
	if (chown(c->path, uid, gid) < 0)
		return err_errno("cannot change the owner of '%s'", c->path);
	return 0;
}

static int do_semanage(const struct cmd *c, FILE *cleanup)
{
	char *real = NULL;
	int err = agent_semanage(&real, c->perm->context, c->path);

	if (!err)
		fprintf(cleanup, "semanage%c%s\n", '\0', real);
	free(real);
	return err;
}

static int run_cmd(const struct cmd *c, FILE *cleanup)
{
	switch (c->type) {
	case CMD_COPY:
		fprintf(cleanup, "%s\n", c->path);
		return do_copy(c);
	case CMD_MKDIR:
		if (mkdir(c->path, 0777) < 0)
			return err_errno("cannot make the directory '%s'",
					 c->path);
		fprintf(cleanup, "%s\n", c->path);
		return 0;
	case CMD_CHMOD:
		if (chmod(c->path, (mode_t)strtol(c->perm->mode, NULL, 8)) < 0)
			return err_errno("cannot change the mode of '%s'",
					 c->path);
		return 0;
	case CMD_SETFACL:
		return agent_setfacl(c->perm, c->path);
	case CMD_SEMANAGE:
		return do_semanage(c, cleanup);
	case CMD_CHOWN:
		return do_chown(c);
	}
	return 0;
}

/* ---- install.json ------------------------------------------------------ */

static struct val *cmd_to_val(const struct cmd *c)
{
	static const char *const names[] = { "copy",	"mkdir",    "chmod",
					     "setfacl", "semanage", "chown" };
	struct val *m = val_map();
	const struct appspec_permission *perm = c->perm;

	val_map_set(m, "type", val_str(names[c->type]));
	switch (c->type) {
	case CMD_COPY:
		val_map_set(m, "source", val_str(c->source));
		val_map_set(m, "destination", val_str(c->path));
		return m;
	case CMD_MKDIR:
		val_map_set(m, "directory", val_str(c->path));
		return m;
	case CMD_CHMOD:
		val_map_set(m, "mode", val_str(perm->mode));
		break;
	case CMD_SETFACL: {
		struct val *acl = val_seq();

		for (size_t i = 0; i < perm->nacls; i++)
			val_seq_push(acl, val_str_take(appspec_ace_format(
						  &perm->acls[i])));
		val_map_set(m, "acl", acl);
		break;
	}
	case CMD_SEMANAGE: {
		struct val *ctx = val_map();
		const struct appspec_context *x = perm->context;

		val_map_set(ctx, "user",
			    x->user ? val_str(x->user) : val_null());
		val_map_set(ctx, "role", val_null());
		val_map_set(ctx, "type", val_str(x->type));
		val_map_set(ctx, "range",
			    x->range ? val_str(x->range) : val_null());
		val_map_set(m, "context", ctx);
		break;
	}
	case CMD_CHOWN:
		val_map_set(m, "owner",
			    perm->owner ? val_str(perm->owner) : val_null());
		val_map_set(m, "group",
			    perm->group ? val_str(perm->group) : val_null());
		break;
	}
	val_map_set(m, "file", val_str(c->path));
	return m;
}

static int write_plan(const struct plan *p, const char *path)
{
	struct val *doc = val_map(), *list = val_seq();
	struct buf out = BUF_INIT;
	int err;

	for (size_t i = 0; i < p->n; i++)
		val_seq_push(list, cmd_to_val(&p->v[i]));
	val_map_set(doc, "instructions", list);
	err = json_write(&out, doc, 0);
	if (!err)
		err = fs_write_file(path, out.ptr, out.len, 0644);
	val_free(doc);
	buf_release(&out);
	return err;
}

/* ---- cleanup of the previous Install ----------------------------------- */

static int remove_one(const char *line)
{
	struct stat st;

	if (!strncmp(line, "semanage", 8) && line[8] == '\0') {
		struct svec argv = SVEC_INIT;
		char *prog = fs_which("semanage");
		int status;

		if (prog) {
			svec_pushl(&argv, prog, "fcontext", "-d", line + 9,
				   NULL);
			agent_command(argv.v, NULL, &status, NULL);
		}
		free(prog);
		svec_release(&argv);
		return 0;
	}
	if (lstat(line, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode) ||
	    (stat(line, &st) == 0 && !S_ISDIR(st.st_mode))) {
		if (unlink(line) < 0)
			return err_errno("cannot remove '%s'", line);
		return 0;
	}
	if (rmdir(line) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		return err_errno("cannot remove the directory '%s'", line);
	return 0;
}

/* Lines are NUL-safe: "semanage\0path" marks an SELinux context. */
static int remove_previous(const char *path)
{
	struct buf text = BUF_INIT;
	struct svec lines = SVEC_INIT;
	size_t start = 0;
	int err;

	buf_set_limit(&text, CLEANUP_MAX);
	err = fs_read_file(&text, path);
	if (err == FY_ENOTFOUND) {
		buf_release(&text);
		return 0;
	}
	/* The last line without a newline was being written: skip it. */
	for (size_t i = 0; !err && i < text.len; i++) {
		if (text.ptr[i] != '\n')
			continue;
		svec_push_nodup(&lines, xmemdupz(text.ptr + start, i - start));
		start = i + 1;
	}
	for (size_t i = lines.n; !err && i-- > 0;)
		err = remove_one(lines.v[i]);
	if (!err && unlink(path) < 0)
		err = err_errno("cannot remove '%s'", path);
	svec_release(&lines);
	buf_release(&text);
	return err;
}

int agent_install(struct agent_run *r, const struct appspec *spec)
{
	struct plan p = { .r = r,
			  .copy_order = SVEC_INIT,
			  .dir_order = SVEC_INIT };
	char *cleanup = xasprintf("%s/%s-cleanup", r->instructions, r->group);
	char *install =
		xasprintf("%s/%s-install.json", r->instructions, r->group);
	FILE *f = NULL;
	int err;

	p.feb = spec->file_exists_behavior ? spec->file_exists_behavior
					   : r->feb;
	err = fs_mkdir_p(r->instructions, 0755);
	if (!err)
		err = remove_previous(cleanup);
	if (!err)
		err = plan_files(&p, spec);
	if (!err)
		err = plan_perms(&p, spec);
	if (!err)
		err = write_plan(&p, install);
	if (!err) {
		f = fopen(cleanup, "we");
		if (!f)
			err = err_errno("cannot create '%s'", cleanup);
	}
	for (size_t i = 0; !err && i < p.n; i++)
		err = run_cmd(&p.v[i], f);
	if (f && fclose(f) && !err)
		err = err_errno("cannot write '%s'", cleanup);
	plan_release(&p);
	free(cleanup);
	free(install);
	return err;
}
