#include "compat.h"

#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "val.h"
#include "vcs.h"
#include "../../runner/vcs_int.h"
#include "xalloc.h"

/*
 * bench-git: a driver for the vcs module, used by tests/suites/40-git.sh
 * and tests/bench/git.sh.  One subcommand per entry point; results are
 * printed as key=value lines, errors as "error: CODE message" with exit
 * status 2.
 *
 *   bench-git version
 *   bench-git skip MESSAGE                 (exit 0: skip, 1: build)
 *   bench-git info DIR
 *   bench-git export [--dirty] [--no-submodules] DIR DEST
 *   bench-git resolve [OPTS] CACHE URL
 *   bench-git checkout [OPTS] CACHE URL WORKSPACE
 *   bench-git workspace [OPTS] CACHE DIR WORKSPACE   (local checkout)
 *   bench-git read [OPTS] CACHE URL PATH [REV]
 *   bench-git import [OPTS] CACHE URL|--local=DIR TEMPLATE REPO PATH [REF]
 *   bench-git hold CACHE URL SECONDS       (hold the mirror's write lock)
 *   bench-git lfs-export [OPTS] CACHE DIR DEST   (as `ferry run`: export,
 *                                          .git attached, LFS content)
 *
 * OPTS: --branch=B --tag=T --commit=SHA --pr=N --base=B --token=T
 *       --user=U --ssh-key=K --accept-unknown --lock-timeout=S
 *       --no-submodules --progress --worktree --lfs (Git LFS content;
 *       the outcome as lfs_* keys)
 */

struct args {
	struct vcs_ref ref;
	struct vcs_remote_opts ro;
	bool submodules;
	bool progress;
	bool dirty;
	bool worktree;
	bool lfs;
	const char *local;
	const char *pos[8];
	int npos;
};

struct prog_stats {
	size_t calls;
	size_t objects;
	uint64_t bytes;
	bool done;
};

static struct prog_stats stats;

static int on_progress(const struct vcs_progress *p, void *payload)
{
	struct args *a = payload;

	stats.calls++;
	stats.objects = p->received_objects;
	stats.bytes = p->received_bytes;
	stats.done = p->done;
	if (a->progress)
		fprintf(stderr,
			"progress %s objects=%zu/%zu deltas=%zu/%zu "
			"bytes=%llu rate=%.0f/s%s\n",
			p->url, p->received_objects, p->total_objects,
			p->indexed_deltas, p->total_deltas,
			(unsigned long long)p->received_bytes,
			p->bytes_per_second, p->done ? " done" : "");
	return 0;
}

static const char *code_name(int code)
{
	switch (code) {
	case FY_ENOTFOUND:
		return "ENOTFOUND";
	case FY_EINVALID:
		return "EINVALID";
	case FY_ETOOBIG:
		return "ETOOBIG";
	case FY_ETIMEOUT:
		return "ETIMEOUT";
	case FY_ECANCELED:
		return "ECANCELED";
	case FY_EAUTH:
		return "EAUTH";
	default:
		return "EFAIL";
	}
}

static int fail(int code)
{
	fprintf(stderr, "error: %s %s\n", code_name(code), err_msg());
	return 2;
}

static void put(const char *key, const char *value)
{
	printf("%s=", key);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\\')
			fputs("\\\\", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
}

static void print_info(const struct vcs_info *info)
{
	struct val *env = val_map();

	put("commit", info->commit);
	put("message", info->message);
	put("author", info->author);
	put("branch", info->branch);
	put("tag", info->tag);
	put("range", info->range);
	put("slug", info->slug);
	put("default_branch", info->default_branch);
	put("event_type", info->event_type);
	printf("pr=%lu\n", info->pr);
	put("pr_branch", info->pr_branch);
	put("pr_sha", info->pr_sha);
	put("pr_slug", info->pr_slug);
	printf("detached=%d\n", info->detached);
	put("workdir", info->workdir);
	put("gitdir", info->gitdir);
	printf("fetched_objects=%zu\nfetched_bytes=%llu\nfetch_seconds=%.3f\n",
	       info->fetched_objects, (unsigned long long)info->fetched_bytes,
	       info->fetch_seconds);
	printf("progress_calls=%zu\nprogress_objects=%zu\nprogress_bytes=%llu\n"
	       "progress_done=%d\n",
	       stats.calls, stats.objects, (unsigned long long)stats.bytes,
	       stats.done);
	printf("skip=%d\n", vcs_skip_message(info->message));
	vcs_info_env(info, env);
	for (size_t i = 0; i < env->map.n; i++)
		put(env->map.v[i].key, val_strv(env->map.v[i].v));
	val_free(env);
}

static const char *opt(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, name, n) && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int parse(struct args *a, int argc, char **argv)
{
	const char *v;

	a->ref.kind = VCS_REF_DEFAULT;
	a->submodules = true;
	a->ro.progress = on_progress;
	a->ro.progress_payload = a;
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];

		if ((v = opt(s, "--branch"))) {
			if (a->ref.kind == VCS_REF_DEFAULT)
				a->ref.kind = VCS_REF_BRANCH;
			if (a->ref.kind == VCS_REF_BRANCH)
				a->ref.name = v;
			else
				a->ref.branch = v;
		} else if ((v = opt(s, "--tag"))) {
			a->ref.kind = VCS_REF_TAG;
			a->ref.name = v;
		} else if ((v = opt(s, "--commit"))) {
			a->ref.kind = VCS_REF_COMMIT;
			a->ref.name = v;
		} else if ((v = opt(s, "--any"))) {
			a->ref.kind = VCS_REF_ANY;
			a->ref.name = v;
		} else if ((v = opt(s, "--pr"))) {
			a->ref.kind = VCS_REF_PR;
			a->ref.pr = strtoul(v, NULL, 10);
		} else if ((v = opt(s, "--base"))) {
			a->ref.branch = v;
		} else if ((v = opt(s, "--token"))) {
			a->ro.token = v;
		} else if ((v = opt(s, "--user"))) {
			a->ro.username = v;
		} else if ((v = opt(s, "--ssh-key"))) {
			a->ro.ssh_key = v;
		} else if ((v = opt(s, "--lock-timeout"))) {
			a->ro.lock_timeout = (int)strtol(v, NULL, 10);
		} else if ((v = opt(s, "--local"))) {
			a->local = v;
		} else if (!strcmp(s, "--accept-unknown")) {
			a->ro.ssh_accept_unknown = true;
		} else if (!strcmp(s, "--no-submodules")) {
			a->submodules = false;
		} else if (!strcmp(s, "--progress")) {
			a->progress = true;
		} else if (!strcmp(s, "--dirty")) {
			a->dirty = true;
		} else if (!strcmp(s, "--worktree")) {
			a->worktree = true;
		} else if (!strcmp(s, "--lfs")) {
			a->lfs = true;
		} else if (s[0] == '-' && s[1] == '-') {
			fprintf(stderr, "bench-git: unknown option '%s'\n", s);
			return -1;
		} else if (a->npos < (int)ARRAY_SIZE(a->pos)) {
			a->pos[a->npos++] = s;
		}
	}
	return 0;
}

static int need(const struct args *a, int n, const char *usage)
{
	if (a->npos >= n)
		return 0;
	fprintf(stderr, "usage: bench-git %s\n", usage);
	return -1;
}

static void print_lfs(const struct vcs_lfs_report *r)
{
	struct buf b = BUF_INIT;

	vcs_lfs_summary(r, &b);
	printf("lfs_files=%zu\nlfs_bytes=%llu\nlfs_downloaded=%zu\n"
	       "lfs_cached=%zu\nlfs_kept=%zu\n",
	       r->files, (unsigned long long)r->bytes, r->downloaded, r->cached,
	       r->kept);
	put("lfs_summary", b.ptr);
	for (size_t i = 0; i < r->warnings.n; i++)
		put("lfs_warning", r->warnings.v[i]);
	buf_release(&b);
}

static int cmd_resolve(struct args *a, bool checkout)
{
	struct vcs_info info = VCS_INFO_INIT;
	struct vcs_lfs_report lfs = VCS_LFS_REPORT_INIT;
	struct vcs_checkout_opts co = { a->submodules };
	int err;

	co.lfs = a->lfs;
	co.lfs_report = &lfs;

	if (need(a, checkout ? 3 : 2,
		 checkout ? "checkout [OPTS] CACHE URL WORKSPACE"
			  : "resolve [OPTS] CACHE URL"))
		return 64;
	a->ro.cache_root = a->pos[0];
	err = vcs_remote_resolve(&info, a->pos[1], &a->ref, &a->ro);
	if (!err && checkout)
		err = vcs_checkout(&info, a->pos[2], &a->ro, &co);
	if (err < 0) {
		vcs_info_release(&info);
		vcs_lfs_report_release(&lfs);
		return fail(err);
	}
	print_info(&info);
	if (a->lfs)
		print_lfs(&lfs);
	vcs_info_release(&info);
	vcs_lfs_report_release(&lfs);
	return 0;
}

static int cmd_lfs_export(struct args *a)
{
	struct vcs_info info = VCS_INFO_INIT;
	struct vcs_lfs_report lfs = VCS_LFS_REPORT_INIT;
	int err;

	if (need(a, 3, "lfs-export [OPTS] CACHE DIR DEST"))
		return 64;
	a->ro.cache_root = a->pos[0];
	err = vcs_local_info(&info, a->pos[1]);
	if (!err)
		err = vcs_export_dir(a->pos[1], a->pos[2],
				     a->dirty ? VCS_EXPORT_DIRTY : 0);
	if (!err)
		err = vcs_attach_git(&info, a->pos[2]);
	if (!err)
		err = vcs_lfs_smudge(&info, a->pos[2], &a->ro, &lfs);
	if (!err)
		print_lfs(&lfs);
	vcs_info_release(&info);
	vcs_lfs_report_release(&lfs);
	return err < 0 ? fail(err) : 0;
}

static int cmd_read(struct args *a)
{
	struct vcs_info info = VCS_INFO_INIT;
	struct buf out = BUF_INIT;
	int err;

	if (need(a, 3, "read [OPTS] CACHE URL PATH [REV]"))
		return 64;
	a->ro.cache_root = a->pos[0];
	err = vcs_remote_resolve(&info, a->pos[1], &a->ref, &a->ro);
	if (!err)
		err = vcs_read_file(&info, a->npos > 3 ? a->pos[3] : NULL,
				    a->pos[2], &out);
	vcs_info_release(&info);
	if (err < 0) {
		buf_release(&out);
		return fail(err);
	}
	fwrite(out.ptr, 1, out.len, stdout);
	buf_release(&out);
	return 0;
}

static int cmd_import(struct args *a)
{
	struct vcs_info info = VCS_INFO_INIT;
	struct vcs_importer im = { &info, NULL, &a->ro, a->worktree };
	struct config_fetcher f;
	struct buf out = BUF_INIT;
	int base = a->local ? 1 : 2, err;
	const char *repo;

	if (need(a, base + 3,
		 "import [OPTS] CACHE URL|--local=DIR TEMPLATE REPO PATH "
		 "[REF]"))
		return 64;
	a->ro.cache_root = a->pos[0];
	if (a->local)
		err = vcs_local_info(&info, a->local);
	else
		err = vcs_remote_resolve(&info, a->pos[1], &a->ref, &a->ro);
	if (err < 0)
		return fail(err);
	im.url_template = a->pos[base];
	vcs_config_fetcher(&f, &im);
	repo = strcmp(a->pos[base + 1], "-") ? a->pos[base + 1] : NULL;
	err = f.fetch(f.payload, repo, a->pos[base + 2],
		      a->npos > base + 3 ? a->pos[base + 3] : NULL, &out);
	vcs_info_release(&info);
	if (err < 0) {
		buf_release(&out);
		return fail(err);
	}
	fwrite(out.ptr, 1, out.len, stdout);
	buf_release(&out);
	return 0;
}

static int cmd_hold(struct args *a)
{
	char *mirror, *lock;
	int fd = -1, err;

	if (need(a, 3, "hold CACHE URL SECONDS"))
		return 64;
	mirror = vcs_mirror_path(a->pos[0], a->pos[1]);
	lock = vcs_lock_path(mirror);
	err = vcs_lock(&fd, lock, true, 10, mirror);
	free(lock);
	free(mirror);
	if (err < 0)
		return fail(err);
	printf("locked\n");
	fflush(stdout);
	sleep((unsigned)strtoul(a->pos[2], NULL, 10));
	vcs_unlock(&fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	const char *cmd = argc > 1 ? argv[1] : "";
	int err;

	if (argc < 2 || parse(&a, argc - 2, argv + 2) < 0)
		return 64;
	if (!strcmp(cmd, "version")) {
		printf("%s\nssh=%d\n", vcs_version(), vcs_has_ssh());
		return 0;
	}
	if (!strcmp(cmd, "skip"))
		return need(&a, 1, "skip MESSAGE")
			       ? 64
			       : !vcs_skip_message(a.pos[0]);
	if (!strcmp(cmd, "info")) {
		struct vcs_info info = VCS_INFO_INIT;

		if (need(&a, 1, "info DIR"))
			return 64;
		err = vcs_local_info(&info, a.pos[0]);
		if (err < 0)
			return fail(err);
		print_info(&info);
		vcs_info_release(&info);
		return 0;
	}
	if (!strcmp(cmd, "export")) {
		if (need(&a, 2, "export [--dirty] DIR DEST"))
			return 64;
		err = vcs_export_dir(
			a.pos[0], a.pos[1],
			(a.dirty ? VCS_EXPORT_DIRTY : 0) |
				(a.submodules ? 0 : VCS_EXPORT_NO_SUBMODULES));
		return err < 0 ? fail(err) : 0;
	}
	if (!strcmp(cmd, "workspace")) {
		struct vcs_info info = VCS_INFO_INIT;
		struct vcs_lfs_report lfs = VCS_LFS_REPORT_INIT;
		struct vcs_checkout_opts co = { a.submodules };

		if (need(&a, 3, "workspace [OPTS] CACHE DIR WORKSPACE"))
			return 64;
		co.lfs = a.lfs;
		co.lfs_report = &lfs;
		a.ro.cache_root = a.pos[0];
		err = vcs_local_info(&info, a.pos[1]);
		if (!err)
			err = vcs_checkout(&info, a.pos[2], &a.ro, &co);
		if (err < 0) {
			vcs_info_release(&info);
			vcs_lfs_report_release(&lfs);
			return fail(err);
		}
		print_info(&info);
		if (a.lfs)
			print_lfs(&lfs);
		vcs_info_release(&info);
		vcs_lfs_report_release(&lfs);
		return 0;
	}
	if (!strcmp(cmd, "resolve"))
		return cmd_resolve(&a, false);
	if (!strcmp(cmd, "checkout"))
		return cmd_resolve(&a, true);
	if (!strcmp(cmd, "read"))
		return cmd_read(&a);
	if (!strcmp(cmd, "import"))
		return cmd_import(&a);
	if (!strcmp(cmd, "hold"))
		return cmd_hold(&a);
	if (!strcmp(cmd, "lfs-export"))
		return cmd_lfs_export(&a);
	fprintf(stderr, "bench-git: unknown command '%s'\n", cmd);
	return 64;
}
