#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "fs.h"
#include "loader.h"
#include "log.h"
#include "svec.h"
#include "vcs.h"
#include "vcs_git.h"
#include "vcs_int.h"
#include "vcs_lfs.h"
#include "xalloc.h"

/*
 * vcs_checkout.c: workspaces made from the mirror (with submodules), Git
 * LFS content in them, and reading files at a revision (config imports).
 */

#define LFS_CONFIG_MAX (64u << 10) /* .lfsconfig */

/* ---- Git LFS ------------------------------------------------------------- */

struct lfs_scan {
	git_repository *repo;
	git_attr_options ao;
	const char *workdir;
	struct vcs_lfs_fetch *f;
	struct buf path;
};

/* A file of the tree that has filter=lfs at the commit and holds a
 * pointer in the work tree goes to the fetch. */
static int lfs_visit(const char *root, const git_tree_entry *te, void *payload)
{
	struct lfs_scan *s = payload;
	git_filemode_t mode = git_tree_entry_filemode(te);
	struct vcs_lfs_pointer ptr;
	char text[VCS_LFS_POINTER_MAX];
	const char *value = NULL;
	struct stat st;
	ssize_t n = -1;
	char *full;
	int fd;

	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0;
	buf_reset(&s->path);
	buf_addstr(&s->path, root);
	buf_addstr(&s->path, git_tree_entry_name(te));
	full = fs_join(s->workdir, s->path.ptr);
	/* the cheap test first: a pointer is a small file */
	if (!lstat(full, &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size < VCS_LFS_POINTER_MAX &&
	    !git_attr_get_ext(&value, s->repo, &s->ao, s->path.ptr, "filter") &&
	    git_attr_value(value) == GIT_ATTR_VALUE_STRING &&
	    !strcmp(value, "lfs") &&
	    (fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		n = read(fd, text, sizeof(text));
		close(fd);
	}
	if (n > 0 && !vcs_lfs_pointer_parse(&ptr, text, (size_t)n))
		vcs_lfs_fetch_add(s->f, s->path.ptr, &ptr);
	free(full);
	return 0;
}

/*
 * The LFS server named by lfs.url, else remote.origin.lfsurl: each from
 * the configuration of the repository `src` (with the user's), then
 * from .lfsconfig at the commit, as git-lfs reads them.  NULL: none.
 */
static char *lfs_url(git_repository *src, git_repository *repo, git_commit *c)
{
	static const struct {
		const char *name, *section, *sub, *key;
	} keys[] = {
		{ "lfs.url", "lfs", NULL, "url" },
		{ "remote.origin.lfsurl", "remote", "origin", "lfsurl" },
	};
	git_config *cfg = NULL;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	const char *text = NULL;
	size_t len = 0;
	char *url = NULL;

	if (src && git_repository_config_snapshot(&cfg, src) < 0)
		cfg = NULL;
	if (!git_commit_tree(&tree, c) &&
	    !git_tree_entry_bypath(&te, tree, ".lfsconfig") &&
	    git_tree_entry_filemode(te) == GIT_FILEMODE_BLOB &&
	    !git_blob_lookup(&blob, repo, git_tree_entry_id(te)) &&
	    git_blob_rawsize(blob) <= LFS_CONFIG_MAX) {
		text = git_blob_rawcontent(blob);
		len = (size_t)git_blob_rawsize(blob);
	}
	for (size_t i = 0; !url && i < ARRAY_SIZE(keys); i++) {
		git_buf gb = GIT_BUF_INIT;

		if (cfg && !git_config_get_string_buf(&gb, cfg, keys[i].name))
			url = xstrdup(gb.ptr);
		git_buf_dispose(&gb);
		if (!url && text)
			url = vcs_lfs_config_get(text, len, keys[i].section,
						 keys[i].sub, keys[i].key);
		if (url && !*url) {
			free(url);
			url = NULL;
		}
	}
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	git_config_free(cfg);
	return url;
}

/* A local remote's own LFS objects (a bare repository's or a work
 * tree's), as git-lfs's standalone transfer reads them. */
static void lfs_local_stores(struct vcs_lfs_fetch *f, const char *url)
{
	struct vcs_url u;

	vcs_url_parse(&u, url);
	if (u.local) {
		char *path = strncmp(url, "file://", 7)
				     ? xstrdup(url)
				     : xasprintf("/%s", u.path);

		svec_pushf(&f->stores, "%s/lfs/objects", path);
		svec_pushf(&f->stores, "%s/.git/lfs/objects", path);
		free(path);
	}
	vcs_url_release(&u);
}

/*
 * Replace the LFS pointer files of `workdir`, a work tree of commit `c`
 * of `repo` (whose attributes say which paths are LFS files), with their
 * content.  The cache is the LFS directory of info's repository (the
 * mirror, or a local repository's common directory).  Warnings show
 * paths after `prefix` (a submodule's path).
 */
static void lfs_smudge(git_repository *repo, git_commit *c,
		       const struct vcs_info *info, const char *workdir,
		       const struct vcs_remote_opts *ropts, const char *prefix,
		       struct vcs_lfs_report *rep)
{
	struct vcs_lfs_fetch f = VCS_LFS_FETCH_INIT;
	struct lfs_scan s = { repo, GIT_ATTR_OPTIONS_INIT, workdir, &f,
			      BUF_INIT };
	git_repository *src = NULL;
	git_tree *tree = NULL;
	const char *url = info->url ? info->url : info->origin_url;
	char *server = NULL;
	int gerr;

	s.ao.flags = GIT_ATTR_CHECK_INDEX_ONLY | GIT_ATTR_CHECK_INCLUDE_COMMIT;
	git_oid_cpy(&s.ao.attr_commit_id, git_commit_id(c));
	gerr = git_commit_tree(&tree, c);
	if (!gerr)
		gerr = git_tree_walk(tree, GIT_TREEWALK_PRE, lfs_visit, &s);
	if (gerr < 0) {
		svec_pushf(&rep->warnings,
			   "Git LFS: cannot look for pointer files: %s",
			   vcs_git_text());
		goto out;
	}
	if (!f.n)
		goto out;
	f.workdir = workdir;
	f.prefix = prefix;
	f.lock_timeout = ropts ? ropts->lock_timeout : 0;
	if (git_repository_open_ext(&src, info->gitdir,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		src = NULL;
	f.dir = fs_join(src && !info->url ? git_repository_commondir(src)
					  : info->gitdir,
			"lfs");
	if (url)
		lfs_local_stores(&f, url);
	if (!info->url && url && ropts && ropts->cache_root) {
		char *mirror = vcs_mirror_path(ropts->cache_root, url);

		svec_pushf(&f.stores, "%s/lfs/objects", mirror);
		free(mirror);
	}
	server = lfs_url(src, repo, c);
	vcs_lfs_fetch_endpoint(&f, server, url, ropts);
	vcs_lfs_fetch_run(&f, rep);
out:
	vcs_lfs_fetch_release(&f);
	buf_release(&s.path);
	git_tree_free(tree);
	git_repository_free(src);
	free(server);
}

/* LFS content for a new workspace; warnings to the log without a report. */
static void checkout_lfs(git_repository *repo, git_commit *c,
			 const struct vcs_info *info, const char *workspace,
			 const struct vcs_remote_opts *ropts,
			 const char *prefix, struct vcs_lfs_report *given)
{
	struct vcs_lfs_report own = VCS_LFS_REPORT_INIT;
	struct vcs_lfs_report *rep = given ? given : &own;

	lfs_smudge(repo, c, info, workspace, ropts, prefix, rep);
	for (size_t i = 0; !given && i < own.warnings.n; i++)
		log_warn("%s", own.warnings.v[i]);
	vcs_lfs_report_release(&own);
}

int vcs_lfs_smudge(const struct vcs_info *info, const char *tree,
		   const struct vcs_remote_opts *ropts,
		   struct vcs_lfs_report *rep)
{
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_oid oid;
	char *dotgit = fs_join(tree, ".git");
	const char *at = fs_is_dir(dotgit) ? tree : info->gitdir;
	int gerr, err = 0;

	vcs_git_setup();
	gerr = git_repository_open_ext(&repo, at, GIT_REPOSITORY_OPEN_NO_SEARCH,
				       NULL);
	if (gerr < 0) {
		err = vcs_git_fail(gerr, "cannot open '%s'", at);
		goto out;
	}
	gerr = git_oid_fromstr(&oid, info->commit);
	if (!gerr)
		gerr = git_commit_lookup(&c, repo, &oid);
	if (gerr < 0) {
		err = vcs_git_fail(gerr, "no commit %s in '%s'", info->commit,
				   at);
		goto out;
	}
	lfs_smudge(repo, c, info, tree, ropts, "", rep);
out:
	git_commit_free(c);
	git_repository_free(repo);
	free(dotgit);
	return err;
}

/* ---- workspaces ---------------------------------------------------------- */

static int set_origin(git_repository *repo, const char *url)
{
	char *clean = vcs_url_strip_auth(url);
	int gerr = git_remote_set_url(repo, "origin", clean);

	free(clean);
	return gerr < 0 ? vcs_git_fail(gerr, "cannot set the origin URL") : 0;
}

static int checkout_submodules(git_repository *repo, const char *url,
			       const struct vcs_remote_opts *ropts,
			       const struct vcs_checkout_opts *copts,
			       const char *prefix, int level);

struct sm_names {
	struct svec names;
};

static int collect_sm(git_submodule *sm, const char *name, void *payload)
{
	struct sm_names *n = payload;

	(void)sm;
	svec_push(&n->names, name);
	return 0;
}

/* Point submodule.<name>.url at `url` in the superproject's config. */
static int set_sm_url(git_repository *repo, const char *name, const char *url)
{
	git_config *cfg = NULL;
	char *key = xasprintf("submodule.%s.url", name);
	int gerr = git_repository_config(&cfg, repo);

	if (!gerr)
		gerr = git_config_set_string(cfg, key, url);
	git_config_free(cfg);
	free(key);
	return gerr < 0 ? vcs_git_fail(gerr, "cannot configure submodule '%s'",
				       name)
			: 0;
}

/*
 * Clone submodule `name` from `mirror` (under its read lock) and check out
 * its recorded commit, as `git submodule update --init` does; then point
 * its URLs at `url` without credentials.
 */
static int clone_submodule(git_repository *repo, const char *name,
			   const char *mirror, const char *url,
			   const struct vcs_remote_opts *ropts,
			   git_repository **out)
{
	git_submodule_update_options uo = GIT_SUBMODULE_UPDATE_OPTIONS_INIT;
	git_submodule *sm = NULL;
	char *lock = vcs_lock_path(mirror);
	char *clean = vcs_url_strip_auth(url);
	int lfd = -1, gerr = 0, err;

	uo.allow_fetch = 0;
	uo.checkout_opts.checkout_strategy = GIT_CHECKOUT_FORCE;
	err = vcs_lock(&lfd, lock, false, ropts->lock_timeout, mirror);
	/* init writes submodule.<name>.url; clone from the mirror instead */
	if (!err)
		gerr = git_submodule_lookup(&sm, repo, name);
	if (!err && !gerr)
		gerr = git_submodule_init(sm, 1);
	if (!err && !gerr)
		err = set_sm_url(repo, name, mirror);
	git_submodule_free(sm);
	sm = NULL;
	if (!err && !gerr)
		gerr = git_submodule_lookup(&sm, repo, name);
	if (!err && !gerr)
		gerr = git_submodule_update(sm, 0, &uo);
	if (!err && gerr < 0)
		err = vcs_git_fail(gerr, "cannot check out submodule '%s'",
				   name);
	if (!err)
		err = set_sm_url(repo, name, clean);
	if (!err && git_submodule_open(out, sm) < 0)
		err = vcs_git_fail(-1, "cannot open submodule '%s'", name);
	if (!err)
		err = set_origin(*out, url);
	vcs_unlock(&lfd);
	git_submodule_free(sm);
	free(clean);
	free(lock);
	return err;
}

/* Git LFS content in submodule `sub` (at `id`, from the mirror of
 * `si`), as `git submodule update` gives it with git-lfs installed. */
static void submodule_lfs(git_repository *sub, const git_oid *id,
			  const struct vcs_info *si,
			  const struct vcs_remote_opts *ropts,
			  const struct vcs_checkout_opts *copts,
			  const char *prefix)
{
	git_commit *c = NULL;

	if (!git_commit_lookup(&c, sub, id) && git_repository_workdir(sub))
		checkout_lfs(sub, c, si, git_repository_workdir(sub), ropts,
			     prefix, copts->lfs_report);
	git_commit_free(c);
}

/* Check out submodule `name` of `repo`, whose URL is `parent_url`, from
 * its own mirror, then its submodules.  `prefix` is the path of `repo`
 * in the workspace ("" or "sub/"). */
static int checkout_one_submodule(git_repository *repo, const char *parent_url,
				  const char *name,
				  const struct vcs_remote_opts *ropts,
				  const struct vcs_checkout_opts *copts,
				  const char *prefix, int level)
{
	git_submodule *sm = NULL;
	git_repository *sub = NULL;
	struct vcs_info si = VCS_INFO_INIT;
	struct vcs_ref ref = { VCS_REF_COMMIT, NULL, 0, NULL };
	char hex[GIT_OID_HEXSZ + 1];
	char *url = NULL, *path = NULL;
	const git_oid *id;
	int gerr, err = 0;

	gerr = git_submodule_lookup(&sm, repo, name);
	if (gerr < 0)
		return vcs_git_fail(gerr, "cannot read submodule '%s'", name);
	id = git_submodule_head_id(sm);
	if (!id || !git_submodule_url(sm))
		goto out; /* in .gitmodules only, or without a URL */
	url = vcs_url_join(parent_url, git_submodule_url(sm));
	ref.name = git_oid_tostr(hex, sizeof(hex), id);
	err = vcs_remote_resolve(&si, url, &ref, ropts);
	if (err < 0)
		err = err_wrap(err, "submodule '%s'", name);
	if (!err)
		err = clone_submodule(repo, name, si.gitdir, url, ropts, &sub);
	path = xasprintf("%s%s/", prefix, git_submodule_path(sm));
	if (!err && copts->lfs)
		submodule_lfs(sub, id, &si, ropts, copts, path);
	if (!err)
		err = checkout_submodules(sub, url, ropts, copts, path,
					  level + 1);
out:
	vcs_info_release(&si);
	git_repository_free(sub);
	git_submodule_free(sm);
	free(path);
	free(url);
	return err;
}

static int checkout_submodules(git_repository *repo, const char *url,
			       const struct vcs_remote_opts *ropts,
			       const struct vcs_checkout_opts *copts,
			       const char *prefix, int level)
{
	struct sm_names n = { SVEC_INIT };
	int err = 0, gerr;

	if (level > SUBMODULE_MAX_LEVEL)
		return err_set(FY_EINVALID,
			       "submodules nested more than %d "
			       "levels deep",
			       SUBMODULE_MAX_LEVEL);
	gerr = git_submodule_foreach(repo, collect_sm, &n);
	if (gerr < 0)
		err = vcs_git_fail(gerr, "cannot list the submodules");
	for (size_t i = 0; !err && i < n.names.n; i++)
		err = checkout_one_submodule(repo, url, n.names.v[i], ropts,
					     copts, prefix, level);
	svec_release(&n.names);
	return err;
}

/*
 * Leave only `branch` (NULL: none) as a local branch, at origin's tip and
 * tracking it, as `git clone --branch` does; HEAD is detached already.
 */
static int local_branches(git_repository *repo, const char *branch)
{
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL, *rref = NULL, *lref = NULL;
	git_branch_t type;
	git_commit *c = NULL;
	char *remote = NULL, *up = NULL;
	int gerr;

	gerr = git_branch_iterator_new(&it, repo, GIT_BRANCH_LOCAL);
	while (!gerr && !git_branch_next(&ref, &type, it)) {
		if (!branch || strcmp(git_reference_shorthand(ref), branch))
			gerr = git_branch_delete(ref);
		git_reference_free(ref);
	}
	git_branch_iterator_free(it);
	if (gerr < 0 || !branch || !*branch)
		goto out;
	remote = xasprintf("refs/remotes/origin/%s", branch);
	up = xasprintf("origin/%s", branch);
	if (git_reference_lookup(&rref, repo, remote) < 0)
		goto out; /* no such branch at origin: nothing to track */
	gerr = git_commit_lookup(&c, repo, git_reference_target(rref));
	if (!gerr)
		gerr = git_branch_create(&lref, repo, branch, c, 1);
	if (!gerr)
		gerr = git_branch_set_upstream(lref, up);
out:
	git_reference_free(lref);
	git_reference_free(rref);
	git_commit_free(c);
	free(remote);
	free(up);
	return gerr < 0 ? vcs_git_fail(gerr, "cannot set up the branch '%s'",
				       branch ? branch : "")
			: 0;
}

/* The index of `repo` holds the tree of `c` (stat data left empty: git
 * looks at the files again the first time). */
static int index_from_commit(git_repository *repo, git_commit *c)
{
	git_index *idx = NULL;
	git_tree *tree = NULL;
	int gerr = git_commit_tree(&tree, c);

	if (!gerr)
		gerr = git_repository_index(&idx, repo);
	if (!gerr)
		gerr = git_index_read_tree(idx, tree);
	if (!gerr)
		gerr = git_index_write(idx);
	git_index_free(idx);
	git_tree_free(tree);
	return gerr;
}

/* git.autocrlf and git.symlinks, before the files are checked out. */
static int set_core(git_repository *repo, const struct vcs_checkout_opts *o)
{
	git_config *cfg = NULL;
	int gerr = 0;

	if (!o->autocrlf && !o->symlinks)
		return 0;
	gerr = git_repository_config(&cfg, repo);
	if (!gerr && o->autocrlf)
		gerr = git_config_set_string(cfg, "core.autocrlf", o->autocrlf);
	if (!gerr && o->symlinks)
		gerr = git_config_set_string(cfg, "core.symlinks", o->symlinks);
	git_config_free(cfg);
	return gerr < 0 ? vcs_git_fail(gerr, "cannot set git.autocrlf or "
					     "git.symlinks")
			: 0;
}

static int rm_git_dir(const char *workspace)
{
	char *dir = fs_join(workspace, ".git");
	int err = fs_rm_rf(dir);

	free(dir);
	return err;
}

static int empty_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return err_errno("cannot create '%s'", dir);
	if (rmdir(dir) < 0 || mkdir(dir, 0755) < 0)
		return err_set(FY_EINVALID,
			       "the workspace '%s' exists and is not empty",
			       dir);
	return 0;
}

int vcs_checkout(const struct vcs_info *info, const char *workspace,
		 const struct vcs_remote_opts *ropts,
		 const struct vcs_checkout_opts *copts)
{
	git_clone_options co = GIT_CLONE_OPTIONS_INIT;
	git_checkout_options ch = GIT_CHECKOUT_OPTIONS_INIT;
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_oid oid;
	char *lock = NULL, *parent = fs_dirname(workspace);
	const char *branch;
	const char *url = info->url ? info->url : info->origin_url;
	int lfd = -1, gerr, err;
	bool made = false;

	if (!info->gitdir)
		BUG("vcs_checkout without a repository");
	vcs_git_setup();
	err = fs_mkdir_p(parent, 0755);
	if (!err)
		err = empty_dir(workspace);
	if (err < 0)
		goto out;
	made = true;
	if (info->url) {
		lock = vcs_lock_path(info->gitdir);
		err = vcs_lock(&lfd, lock, false, ropts->lock_timeout,
			       info->gitdir);
	}
	if (err < 0)
		goto out;
	co.local = GIT_CLONE_LOCAL;
	co.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	gerr = git_clone(&repo, info->gitdir, workspace, &co);
	if (gerr < 0) {
		err = vcs_git_fail(gerr, "cannot clone '%s' into '%s'",
				   info->gitdir, workspace);
		goto out;
	}
	if (url)
		err = set_origin(repo, url);
	if (!err && copts)
		err = set_core(repo, copts);
	if (err < 0)
		goto out;
	gerr = git_oid_fromstr(&oid, info->commit);
	if (!gerr)
		gerr = git_commit_lookup(&c, repo, &oid);
	ch.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (!gerr && copts && copts->git_only)
		gerr = index_from_commit(repo, c);
	else if (!gerr)
		gerr = git_checkout_tree(repo, (const git_object *)c, &ch);
	if (!gerr)
		gerr = git_repository_set_head_detached(repo, &oid);
	if (gerr < 0) {
		err = vcs_git_fail(gerr, "cannot check out %s in '%s'",
				   info->commit, workspace);
		goto out;
	}
	branch = info->pr    ? info->default_branch
		 : info->tag ? NULL
			     : info->branch;
	err = local_branches(repo, branch);
	if (err < 0)
		goto out;
	vcs_unlock(&lfd);
	if (copts && copts->lfs && !copts->git_only)
		checkout_lfs(repo, c, info, workspace, ropts, "",
			     copts->lfs_report);
	if (copts && copts->tarball) {
		/* what a tarball of the commit holds: the files, no .git */
		git_repository_free(repo);
		repo = NULL;
		err = rm_git_dir(workspace);
	} else if (copts && copts->submodules && !copts->git_only) {
		err = checkout_submodules(repo, url ? url : info->workdir,
					  ropts, copts, "", 0);
	}
out:
	vcs_unlock(&lfd);
	git_commit_free(c);
	git_repository_free(repo);
	if (err < 0 && made)
		fs_rm_rf(workspace);
	free(lock);
	free(parent);
	return err;
}

int vcs_attach_git(const struct vcs_info *info, const char *tree)
{
	struct vcs_checkout_opts co = { .git_only = true };
	struct vcs_remote_opts ro = { 0 };
	char *parent = fs_dirname(tree);
	char *tmp = NULL, *from = NULL, *to = fs_join(tree, ".git");
	int err;

	if (fs_exists(to)) {
		err = err_set(FY_EINVALID, "'%s' exists already", to);
		goto out;
	}
	tmp = xasprintf("%s/.ferry-git.XXXXXX", parent);
	if (!mkdtemp(tmp)) {
		err = err_errno("cannot create a directory in '%s'", parent);
		free(tmp);
		tmp = NULL;
	} else {
		char *ws = fs_join(tmp, "ws");

		err = vcs_checkout(info, ws, &ro, &co);
		from = fs_join(ws, ".git");
		free(ws);
	}
	if (!err && rename(from, to) < 0)
		err = err_errno("cannot move the repository into '%s'", tree);
out:
	if (tmp)
		fs_rm_rf(tmp);
	free(tmp);
	free(from);
	free(to);
	free(parent);
	return err;
}

/* ---- reading files and imports ------------------------------------------- */

int vcs_read_file(const struct vcs_info *info, const char *rev,
		  const char *path, struct buf *out)
{
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	char *lock = NULL;
	int lfd = -1, gerr, err = 0;
	bool is_tag, is_branch;

	vcs_git_setup();
	if (info->url) {
		lock = vcs_lock_path(info->gitdir);
		err = vcs_lock(&lfd, lock, false, 0, info->gitdir);
		if (err < 0)
			goto out;
	}
	gerr = git_repository_open(&repo, info->gitdir);
	if (gerr < 0) {
		err = vcs_git_fail(gerr, "cannot open '%s'", info->gitdir);
		goto out;
	}
	err = vcs_find_commit_any(&c, repo, rev ? rev : info->commit, &is_tag,
				  &is_branch);
	if (err < 0) {
		err = err_set(FY_ENOTFOUND, "no revision '%s' in '%s'",
			      rev ? rev : info->commit, info->gitdir);
		goto out;
	}
	while (*path == '/')
		path++;
	if (git_commit_tree(&tree, c) < 0 ||
	    git_tree_entry_bypath(&te, tree, path) < 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0) {
		err = err_set(FY_ENOTFOUND, "file '%s' not found at '%s'", path,
			      rev ? rev : info->commit);
		goto out;
	}
	if (!out->limit)
		buf_set_limit(out, LOADER_MAX_BYTES);
	buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	if (buf_truncated(out))
		err = err_set(FY_ETOOBIG, "file '%s' is larger than %zu bytes",
			      path, out->limit);
out:
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	git_commit_free(c);
	git_repository_free(repo);
	vcs_unlock(&lfd);
	free(lock);
	return err;
}

static bool slug_ok(const char *slug)
{
	const char *slash = strchr(slug, '/');

	if (!slash || slash == slug || !slash[1] || strchr(slash + 1, '/') ||
	    strstr(slug, "..") || slug[0] == '.')
		return false;
	for (const char *s = slug; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-/",
			    *s))
			return false;
	return true;
}

static char *fill_template(const char *tpl, const char *slug)
{
	const char *p = strstr(tpl, "%s");
	struct buf b = BUF_INIT;

	if (!p)
		return NULL;
	buf_add(&b, tpl, (size_t)(p - tpl));
	buf_addstr(&b, slug);
	buf_addstr(&b, p + 2);
	return buf_detach(&b, NULL);
}

static int import_fetch(void *payload, const char *repo, const char *path,
			const char *ref, struct buf *out)
{
	struct vcs_importer *im = payload;
	struct vcs_info other = VCS_INFO_INIT;
	struct vcs_ref r = { ref ? VCS_REF_ANY : VCS_REF_DEFAULT, ref, 0,
			     NULL };
	char *url = NULL;
	int err;

	if (!out->limit)
		buf_set_limit(out, LOADER_MAX_BYTES);
	if (!repo || (im->info->slug && !strcmp(repo, im->info->slug))) {
		if (!ref && im->worktree && im->info->workdir) {
			char *full = fs_join(im->info->workdir, path);

			err = fs_read_file(out, full);
			free(full);
			if (err == FY_ENOTFOUND)
				err = err_set(FY_ENOTFOUND,
					      "file '%s' not found", path);
			return err;
		}
		return vcs_read_file(im->info, ref, path, out);
	}
	if (!slug_ok(repo))
		return err_set(FY_EINVALID, "bad repository name '%s'", repo);
	if (!im->remote || !im->url_template ||
	    !(url = fill_template(im->url_template, repo)))
		return err_set(FY_EINVALID,
			       "cannot import from '%s': no URL for other "
			       "repositories",
			       repo);
	err = vcs_remote_resolve(&other, url, &r, im->remote);
	if (!err)
		err = vcs_read_file(&other, NULL, path, out);
	vcs_info_release(&other);
	free(url);
	return err;
}

void vcs_config_fetcher(struct config_fetcher *out, struct vcs_importer *im)
{
	out->fetch = import_fetch;
	out->payload = im;
}
