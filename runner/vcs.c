#include "compat.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "svec.h"
#include "vcs.h"
#include "vcs_git.h"
#include "vcs_int.h"
#include "xalloc.h"

/*
 * vcs.c: the only file that includes <git2.h>.  libgit2's errors become
 * FY_E* codes here, with libgit2's text after our context and any
 * credential scrubbed from it.
 */

static pthread_once_t git_once = PTHREAD_ONCE_INIT;

static void git_init_once(void)
{
	git_libgit2_init();
}

void vcs_git_setup(void)
{
	pthread_once(&git_once, git_init_once);
}

bool vcs_has_ssh(void)
{
	vcs_git_setup();
	return git_libgit2_features() & GIT_FEATURE_SSH;
}

const char *vcs_version(void)
{
	static char text[96];
	int major, minor, rev, f;

	vcs_git_setup();
	git_libgit2_version(&major, &minor, &rev);
	f = git_libgit2_features();
	snprintf(text, sizeof(text), "libgit2 %d.%d.%d (%s%s%s)", major, minor,
		 rev, f & GIT_FEATURE_HTTPS ? "https, " : "",
		 f & GIT_FEATURE_SSH ? "ssh, " : "no ssh, ",
		 f & GIT_FEATURE_THREADS ? "threads" : "no threads");
	return text;
}

/* ---- errors -------------------------------------------------------------- */

const char *vcs_git_text(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

int vcs_git_code(int gerr)
{
	switch (gerr) {
	case GIT_EAUTH:
		return FY_EAUTH;
	case GIT_ENOTFOUND:
		return FY_ENOTFOUND;
	default:
		return FY_EFAIL;
	}
}

/* err_set() with libgit2's message after `fmt`. */
int vcs_git_fail(int gerr, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int code;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_addf(&b, ": %s", vcs_git_text());
	code = err_set(vcs_git_code(gerr), "%s", b.ptr);
	buf_release(&b);
	return code;
}

/* ---- commits ------------------------------------------------------------- */

char *vcs_oid_hex(const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), oid);
	return xstrdup(hex);
}

void vcs_fill_commit(struct vcs_info *info, const git_commit *c)
{
	const git_signature *a = git_commit_author(c);
	struct buf msg = BUF_INIT;

	git_oid_tostr(info->commit, sizeof(info->commit), git_commit_id(c));
	buf_addstr(&msg, git_commit_message(c));
	buf_rtrim(&msg);
	free(info->message);
	info->message = buf_detach(&msg, NULL);
	free(info->author);
	info->author = xasprintf("%s <%s>", a->name, a->email);
	free(info->range);
	if (git_commit_parentcount(c)) {
		char *p = vcs_oid_hex(git_commit_parent_id(c, 0));

		info->range = xasprintf("%s...%s", p, info->commit);
		free(p);
	} else {
		info->range = xstrdup("");
	}
}

/* Peel `rev` (any revision git understands) to a commit. */
int vcs_lookup_commit(git_commit **out, git_repository *repo, const char *rev)
{
	git_object *obj = NULL, *peeled = NULL;
	int gerr;

	gerr = git_revparse_single(&obj, repo, rev);
	if (!gerr)
		gerr = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (gerr < 0)
		return gerr == GIT_ENOTFOUND || gerr == GIT_EAMBIGUOUS ||
				       gerr == GIT_EINVALIDSPEC ||
				       gerr == GIT_EPEEL
			       ? FY_ENOTFOUND
			       : vcs_git_fail(gerr, "cannot read '%s'", rev);
	*out = (git_commit *)peeled;
	return 0;
}

/* A branch whose tip is `oid`: local ones, then origin's ("" if none). */
char *vcs_branch_at(git_repository *repo, const git_oid *oid, const char *avoid)
{
	static const git_branch_t kinds[] = { GIT_BRANCH_LOCAL,
					      GIT_BRANCH_REMOTE };
	char *found = NULL;

	for (size_t k = 0; k < ARRAY_SIZE(kinds) && !found; k++) {
		git_branch_iterator *it = NULL;
		git_reference *ref;
		git_branch_t type;

		if (git_branch_iterator_new(&it, repo, kinds[k]) < 0)
			continue;
		while (!found && !git_branch_next(&ref, &type, it)) {
			const char *name = git_reference_shorthand(ref);
			const git_oid *t = git_reference_target(ref);

			if (type == GIT_BRANCH_REMOTE) {
				if (strncmp(name, "origin/", 7) ||
				    !strcmp(name, "origin/HEAD"))
					t = NULL;
				name += 7;
			}
			if (t && git_oid_equal(t, oid) &&
			    (!avoid || strcmp(name, avoid)))
				found = xstrdup(name);
			git_reference_free(ref);
		}
		git_branch_iterator_free(it);
	}
	return found ? found : xstrdup("");
}

/* ---- the local checkout -------------------------------------------------- */

static char *origin_url(git_repository *repo)
{
	git_remote *origin = NULL;
	char *url = NULL;

	if (!git_remote_lookup(&origin, repo, "origin") &&
	    git_remote_url(origin))
		url = xstrdup(git_remote_url(origin));
	git_remote_free(origin);
	return url;
}

static char *local_slug(git_repository *repo)
{
	git_remote *origin = NULL;
	char *slug = NULL;
	const char *wd = git_repository_workdir(repo);

	if (!git_remote_lookup(&origin, repo, "origin") &&
	    git_remote_url(origin) &&
	    vcs_slug_from_url(&slug, git_remote_url(origin)) < 0)
		slug = NULL;
	git_remote_free(origin);
	if (!slug && wd) {
		char *top = xstrdup(wd);
		char *parent;
		const char *pbase;

		while (strlen(top) > 1 && top[strlen(top) - 1] == '/')
			top[strlen(top) - 1] = '\0';
		parent = fs_dirname(top);
		pbase = fs_basename(parent);
		slug = xasprintf("%s/%s",
				 *pbase && strcmp(pbase, "/") ? pbase : "local",
				 fs_basename(top));
		free(parent);
		free(top);
	}
	return slug ? slug : xstrdup("local/repo");
}

static char *local_default_branch(git_repository *repo)
{
	git_reference *ref = NULL;
	const char *target;
	char *res = NULL;

	if (git_reference_lookup(&ref, repo, "refs/remotes/origin/HEAD") < 0)
		return NULL;
	target = git_reference_symbolic_target(ref);
	if (target && !strncmp(target, "refs/remotes/origin/", 20))
		res = xstrdup(target + 20);
	git_reference_free(ref);
	return res;
}

static int open_local(git_repository **out, const char *dir)
{
	int gerr;

	vcs_git_setup();
	gerr = git_repository_open_ext(out, dir, 0, NULL);
	if (gerr == GIT_ENOTFOUND)
		return err_set(FY_ENOTFOUND, "'%s' is not in a git repository",
			       dir);
	if (gerr < 0)
		return vcs_git_fail(gerr, "cannot open the repository at '%s'",
				    dir);
	if (git_repository_is_bare(*out)) {
		git_repository_free(*out);
		*out = NULL;
		return err_set(FY_EINVALID,
			       "the repository at '%s' is bare (no work tree)",
			       dir);
	}
	return 0;
}

static int head_commit(git_commit **out, git_repository *repo,
		       git_reference **head_out, const char *dir)
{
	git_reference *head = NULL;
	git_object *obj = NULL;
	int gerr = git_repository_head(&head, repo);

	if (gerr == GIT_EUNBORNBRANCH || gerr == GIT_ENOTFOUND)
		return err_set(FY_ENOTFOUND,
			       "the repository at '%s' has no commit yet", dir);
	if (gerr < 0)
		return vcs_git_fail(gerr, "cannot read HEAD in '%s'", dir);
	gerr = git_reference_peel(&obj, head, GIT_OBJECT_COMMIT);
	if (gerr < 0) {
		git_reference_free(head);
		return vcs_git_fail(gerr, "cannot read HEAD in '%s'", dir);
	}
	*out = (git_commit *)obj;
	if (head_out)
		*head_out = head;
	else
		git_reference_free(head);
	return 0;
}

int vcs_local_info(struct vcs_info *out, const char *dir)
{
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_commit *commit = NULL;
	struct vcs_info info = VCS_INFO_INIT;
	int err;

	err = open_local(&repo, dir);
	if (!err)
		err = head_commit(&commit, repo, &head, dir);
	if (err < 0)
		goto out;
	vcs_fill_commit(&info, commit);
	if (git_reference_is_branch(head)) {
		info.branch = xstrdup(git_reference_shorthand(head));
	} else {
		info.detached = true;
		info.branch = vcs_branch_at(repo, git_commit_id(commit), NULL);
	}
	info.slug = local_slug(repo);
	info.default_branch = local_default_branch(repo);
	info.event_type = xstrdup("push");
	info.workdir = xstrdup(git_repository_workdir(repo));
	info.gitdir = xstrdup(git_repository_path(repo));
	info.origin_url = origin_url(repo);
	*out = info;
	memset(&info, 0, sizeof(info));
out:
	vcs_info_release(&info);
	git_commit_free(commit);
	git_reference_free(head);
	git_repository_free(repo);
	return err;
}

/* ---- export -------------------------------------------------------------- */

struct export
{
	const struct vcs_sink *sink;
	unsigned flags;
	int level;
};

static int emit(struct export *x, enum vcs_entry_type type, const char *path,
		unsigned mode, const void *data, size_t size,
		const char *src_path)
{
	struct vcs_entry e = { type, path, mode, data, size, src_path };

	return x->sink->entry(x->sink->payload, &e);
}

/* Tree entry names that must never reach a sink. */
static bool unsafe_name(const char *name)
{
	return !*name || !strcmp(name, ".") || !strcmp(name, "..") ||
	       strchr(name, '/') || !strcasecmp(name, ".git");
}

static int export_tree(struct export *x, git_repository *repo,
		       const git_tree *tree, const git_oid *commit,
		       const char *prefix, size_t root);

/* `path` is the entry's full path; its part from `root` on is relative to
 * the repository being exported (a submodule's own root). */
static int export_submodule_clean(struct export *x, git_repository *repo,
				  const char *path, size_t root,
				  const git_oid *id)
{
	git_submodule *sm = NULL;
	git_repository *sub = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	char *prefix = NULL;
	int err;

	err = emit(x, VCS_ENTRY_DIR, path, 0755, NULL, 0, NULL);
	if (err < 0 || x->flags & VCS_EXPORT_NO_SUBMODULES)
		return err;
	if (git_submodule_lookup(&sm, repo, path + root) < 0 ||
	    git_submodule_open(&sub, sm) < 0) {
		/* not checked out: an empty directory, as git leaves it */
		git_submodule_free(sm);
		return 0;
	}
	if (x->level >= SUBMODULE_MAX_LEVEL) {
		err = err_set(FY_EINVALID, "submodules nested too deep at '%s'",
			      path);
		goto out;
	}
	if (git_commit_lookup(&c, sub, id) < 0 || git_commit_tree(&tree, c)) {
		git_oid_tostr(hex, sizeof(hex), id);
		err = err_set(FY_ENOTFOUND,
			      "submodule '%s': commit %s is not there (run "
			      "'git submodule update')",
			      path, hex);
		goto out;
	}
	prefix = xasprintf("%s/", path);
	x->level++;
	err = export_tree(x, sub, tree, id, prefix, strlen(prefix));
	x->level--;
out:
	free(prefix);
	git_tree_free(tree);
	git_commit_free(c);
	git_repository_free(sub);
	git_submodule_free(sm);
	return err;
}

static int export_blob(struct export *x, git_repository *repo,
		       const git_tree_entry *te, const git_oid *commit,
		       const char *path, size_t root)
{
	git_blob_filter_options fo = GIT_BLOB_FILTER_OPTIONS_INIT;
	git_blob *blob = NULL;
	git_buf out = GIT_BUF_INIT;
	git_filemode_t mode = git_tree_entry_filemode(te);
	int gerr, err;

	gerr = git_blob_lookup(&blob, repo, git_tree_entry_id(te));
	if (gerr < 0)
		return vcs_git_fail(gerr, "cannot read '%s'", path);
	if (mode == GIT_FILEMODE_LINK) {
		err = emit(x, VCS_ENTRY_SYMLINK, path, 0777,
			   git_blob_rawcontent(blob),
			   (size_t)git_blob_rawsize(blob), NULL);
		git_blob_free(blob);
		return err;
	}
	if (git_blob_is_binary(blob)) {
		/* git_blob_filter() leaves `out` empty for binary blobs */
		err = emit(x, VCS_ENTRY_FILE, path,
			   mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644,
			   git_blob_rawcontent(blob),
			   (size_t)git_blob_rawsize(blob), NULL);
		git_blob_free(blob);
		return err;
	}
	fo.flags = GIT_BLOB_FILTER_CHECK_FOR_BINARY |
		   GIT_BLOB_FILTER_NO_SYSTEM_ATTRIBUTES |
		   GIT_BLOB_FILTER_ATTRIBUTES_FROM_COMMIT;
	git_oid_cpy(&fo.attr_commit_id, commit);
	gerr = git_blob_filter(&out, blob, path + root, &fo);
	if (gerr < 0) {
		git_blob_free(blob);
		return vcs_git_fail(gerr, "cannot filter '%s'", path);
	}
	err = emit(x, VCS_ENTRY_FILE, path,
		   mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644, out.ptr,
		   out.size, NULL);
	git_buf_dispose(&out);
	git_blob_free(blob);
	return err;
}

static int export_tree(struct export *x, git_repository *repo,
		       const git_tree *tree, const git_oid *commit,
		       const char *prefix, size_t root)
{
	size_t n = git_tree_entrycount(tree);
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(te);
		char *path;
		git_tree *sub = NULL;

		if (unsafe_name(name))
			continue;
		path = xasprintf("%s%s", prefix, name);
		switch (git_tree_entry_filemode(te)) {
		case GIT_FILEMODE_TREE:
			err = emit(x, VCS_ENTRY_DIR, path, 0755, NULL, 0, NULL);
			if (!err && git_tree_lookup(&sub, repo,
						    git_tree_entry_id(te)) < 0)
				err = vcs_git_fail(-1, "cannot read '%s'",
						   path);
			if (!err) {
				char *p2 = xasprintf("%s/", path);

				err = export_tree(x, repo, sub, commit, p2,
						  root);
				free(p2);
			}
			git_tree_free(sub);
			break;
		case GIT_FILEMODE_COMMIT:
			err = export_submodule_clean(x, repo, path, root,
						     git_tree_entry_id(te));
			break;
		case GIT_FILEMODE_BLOB:
		case GIT_FILEMODE_BLOB_EXECUTABLE:
		case GIT_FILEMODE_LINK:
			err = export_blob(x, repo, te, commit, path, root);
			break;
		case GIT_FILEMODE_UNREADABLE:
			break;
		}
		free(path);
	}
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Tracked paths (from the index) and untracked ones not ignored. */
static int dirty_paths(git_repository *repo, struct svec *paths,
		       struct svec *gitlinks)
{
	git_index *index = NULL;
	git_status_list *st = NULL;
	git_status_options so = GIT_STATUS_OPTIONS_INIT;
	int gerr;

	gerr = git_repository_index(&index, repo);
	if (gerr < 0)
		return vcs_git_fail(gerr, "cannot read the index");
	for (size_t i = 0; i < git_index_entrycount(index); i++) {
		const git_index_entry *e = git_index_get_byindex(index, i);

		if (git_index_entry_stage(e) > 1)
			continue; /* a conflict: stage 1 (or 0) stands in */
		if (paths->n && !strcmp(paths->v[paths->n - 1], e->path))
			continue;
		svec_push(paths, e->path);
		if (e->mode == GIT_FILEMODE_COMMIT)
			svec_push(gitlinks, e->path);
	}
	git_index_free(index);
	so.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
		   GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
		   GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	gerr = git_status_list_new(&st, repo, &so);
	if (gerr < 0)
		return vcs_git_fail(gerr, "cannot read the work tree status");
	for (size_t i = 0; i < git_status_list_entrycount(st); i++) {
		const git_status_entry *e = git_status_byindex(st, i);
		const char *p;

		if (!(e->status & GIT_STATUS_WT_NEW) || !e->index_to_workdir)
			continue;
		p = e->index_to_workdir->new_file.path;
		if (p && *p && p[strlen(p) - 1] != '/')
			svec_push(paths, p);
	}
	git_status_list_free(st);
	qsort(paths->v, paths->n, sizeof(*paths->v), cmp_str);
	return 0;
}

static int export_dirty(struct export *x, git_repository *repo,
			const char *prefix);

/* Emit the directories of `path` that `done` (the last directory
 * emitted, with a trailing '/') does not already cover; both are relative
 * to the repository, the entries get `prefix`. */
static int emit_parents(struct export *x, struct buf *done, const char *prefix,
			const char *path)
{
	size_t keep = 0;
	int err = 0;

	/* how much of `done` is a prefix of `path`, at a '/' */
	for (size_t i = 0; i < done->len && path[i] == done->ptr[i]; i++)
		if (done->ptr[i] == '/')
			keep = i + 1;
	buf_setlen(done, keep);
	for (const char *s = path + keep; !err && (s = strchr(s, '/')); s++) {
		char *full;

		buf_add(done, path + done->len, (size_t)(s - path) - done->len);
		full = xasprintf("%s%s", prefix, done->ptr);
		err = emit(x, VCS_ENTRY_DIR, full, 0755, NULL, 0, NULL);
		free(full);
		buf_addch(done, '/');
	}
	return err;
}

static int export_dirty_entry(struct export *x, const char *wd, const char *rel,
			      const char *path, bool gitlink)
{
	char *full = fs_join(wd, rel);
	struct buf link = BUF_INIT;
	git_repository *sub = NULL;
	struct stat st;
	int err = 0;

	if (lstat(full, &st) < 0) {
		/* deleted in the work tree: left out */
	} else if (S_ISLNK(st.st_mode)) {
		ssize_t n;

		buf_grow(&link, (size_t)st.st_size + 1);
		n = readlink(full, link.ptr, (size_t)st.st_size + 1);
		if (n < 0)
			err = err_errno("cannot read the link '%s'", full);
		else
			err = emit(x, VCS_ENTRY_SYMLINK, path, 0777, link.ptr,
				   (size_t)n, NULL);
	} else if (S_ISREG(st.st_mode)) {
		err = emit(x, VCS_ENTRY_FILE, path,
			   st.st_mode & 0100 ? 0755 : 0644, NULL,
			   (size_t)st.st_size, full);
	} else if (S_ISDIR(st.st_mode) && gitlink) {
		err = emit(x, VCS_ENTRY_DIR, path, 0755, NULL, 0, NULL);
		if (!err && !(x->flags & VCS_EXPORT_NO_SUBMODULES) &&
		    !git_repository_open(&sub, full)) {
			char *p2 = xasprintf("%s/", path);

			if (x->level >= SUBMODULE_MAX_LEVEL) {
				err = err_set(FY_EINVALID,
					      "submodules nested too deep at "
					      "'%s'",
					      path);
			} else {
				x->level++;
				err = export_dirty(x, sub, p2);
				x->level--;
			}
			free(p2);
		}
	}
	git_repository_free(sub);
	buf_release(&link);
	free(full);
	return err;
}

static int export_dirty(struct export *x, git_repository *repo,
			const char *prefix)
{
	struct svec paths = SVEC_INIT, gitlinks = SVEC_INIT;
	struct buf done = BUF_INIT;
	const char *wd = git_repository_workdir(repo);
	int err;

	if (!wd)
		return err_set(FY_EINVALID, "a bare repository has no changes");
	err = dirty_paths(repo, &paths, &gitlinks);
	for (size_t i = 0; !err && i < paths.n; i++) {
		char *path = xasprintf("%s%s", prefix, paths.v[i]);
		bool bad = false;
		struct svec parts = SVEC_INIT;

		svec_split(&parts, paths.v[i], "/", false);
		for (size_t k = 0; k < parts.n; k++)
			bad = bad || unsafe_name(parts.v[k]);
		svec_release(&parts);
		if (!bad) {
			err = emit_parents(x, &done, prefix, paths.v[i]);
			if (!err)
				err = export_dirty_entry(
					x, wd, paths.v[i], path,
					svec_has(&gitlinks, paths.v[i]));
		}
		free(path);
	}
	buf_release(&done);
	svec_release(&paths);
	svec_release(&gitlinks);
	return err;
}

int vcs_export(const char *dir, unsigned flags, const struct vcs_sink *sink)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	struct export x = { sink, flags, 0 };
	int err;

	err = open_local(&repo, dir);
	if (err < 0)
		return err;
	if (flags & VCS_EXPORT_DIRTY) {
		err = export_dirty(&x, repo, "");
		goto out;
	}
	err = head_commit(&commit, repo, NULL, dir);
	if (!err && git_commit_tree(&tree, commit) < 0)
		err = vcs_git_fail(-1, "cannot read the tree of HEAD in '%s'",
				   dir);
	if (!err)
		err = export_tree(&x, repo, tree, git_commit_id(commit), "", 0);
out:
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	return err;
}

/* ---- finding commits ------------------------------------------------------ */

bool vcs_hexish(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > GIT_OID_HEXSZ)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789abcdefABCDEF", *s))
			return false;
	return true;
}

int vcs_find_commit_by_hex(git_commit **out, git_repository *repo,
			   const char *hex)
{
	git_oid oid;
	git_object *obj = NULL, *peeled = NULL;
	size_t n = strlen(hex);

	if (!vcs_hexish(hex) || git_oid_fromstrn(&oid, hex, n) < 0 ||
	    git_object_lookup_prefix(&obj, repo, &oid, n, GIT_OBJECT_ANY) < 0)
		return FY_ENOTFOUND;
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		git_object_free(obj);
		return FY_ENOTFOUND;
	}
	git_object_free(obj);
	*out = (git_commit *)peeled;
	return 0;
}

/* Resolve a branch, a tag or a SHA (in that order) to a commit. */
int vcs_find_commit_any(git_commit **out, git_repository *repo,
			const char *name, bool *is_tag, bool *is_branch)
{
	static const char *const forms[] = { "refs/heads/%s", "refs/tags/%s",
					     "refs/remotes/origin/%s" };

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		char *full = xasprintf(forms[i], name);
		git_reference *ref = NULL;
		git_object *obj = NULL;
		int gerr = git_reference_lookup(&ref, repo, full);

		free(full);
		if (gerr < 0)
			continue;
		gerr = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
		git_reference_free(ref);
		if (gerr < 0)
			continue;
		*out = (git_commit *)obj;
		*is_tag = i == 1;
		*is_branch = i != 1;
		return 0;
	}
	*is_tag = *is_branch = false;
	return vcs_find_commit_by_hex(out, repo, name);
}
