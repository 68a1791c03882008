#include "compat.h"

#include <glob.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "log.h"
#include "svec.h"
#include "vcs.h"
#include "vcs_git.h"
#include "vcs_int.h"
#include "xalloc.h"

/*
 * vcs_remote.c: fetching into the mirror cache (credentials, host keys,
 * progress, the refs to fetch) and resolving what to build there.
 */

/* ---- remotes: credentials, host keys, progress --------------------------- */

struct remote {
	const struct vcs_remote_opts *opts;
	const char *url;
	char *safe_url;
	struct vcs_url parts;
	const char *token;
	int http_tries;
	int ssh_step;
	bool auth_failed;
	bool auth_missing;
	bool hostkey_refused;
	bool canceled;
	struct timespec start, last;
	struct vcs_progress prog;
};

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static void remote_init(struct remote *r, const char *url,
			const struct vcs_remote_opts *opts)
{
	memset(r, 0, sizeof(*r));
	r->opts = opts;
	r->url = url;
	r->safe_url = vcs_url_redact(url);
	vcs_url_parse(&r->parts, url);
	r->token = vcs_token(opts);
	r->prog.url = r->safe_url;
}

static void remote_release(struct remote *r)
{
	free(r->safe_url);
	vcs_url_release(&r->parts);
}

static int cred_userpass(git_credential **out, struct remote *r)
{
	const char *user = r->parts.user;
	const char *pass = r->parts.pass;

	if (r->http_tries++) {
		r->auth_failed = true;
		return GIT_EAUTH;
	}
	if (!pass && r->token) {
		pass = r->token;
		if (!user)
			user = r->opts->username ? r->opts->username
						 : "x-access-token";
	}
	if (!user) {
		r->auth_missing = true;
		return GIT_EAUTH;
	}
	return git_credential_userpass_plaintext_new(out, user,
						     pass ? pass : "");
}

static int cred_ssh(git_credential **out, struct remote *r, const char *user)
{
	const char *home = getenv("HOME");
	const char *key = r->opts->ssh_key ? r->opts->ssh_key
					   : env_nonempty("FERRY_GIT_SSH_KEY");
	static const char *const defaults[] = { "id_ed25519", "id_ecdsa",
						"id_rsa" };

	/* step 0: the given key; 1: the agent; 2..: the default keys */
	for (;;) {
		int step = r->ssh_step++;
		char *path;
		int gerr;

		if (step == 0 && key)
			return git_credential_ssh_key_new(
				out, user, NULL, key, r->opts->ssh_passphrase);
		if (step == 1 && !key && env_nonempty("SSH_AUTH_SOCK"))
			return git_credential_ssh_key_from_agent(out, user);
		if (step < 2)
			continue;
		if (key || !home || step - 2 >= (int)ARRAY_SIZE(defaults))
			break;
		path = xasprintf("%s/.ssh/%s", home, defaults[step - 2]);
		if (!fs_exists(path)) {
			free(path);
			continue;
		}
		gerr = git_credential_ssh_key_new(out, user, NULL, path,
						  r->opts->ssh_passphrase);
		free(path);
		return gerr;
	}
	if (r->ssh_step > 1)
		r->auth_failed = true;
	return GIT_EAUTH;
}

static int on_credentials(git_credential **out, const char *url,
			  const char *username_from_url, unsigned int allowed,
			  void *payload)
{
	struct remote *r = payload;
	const char *user = username_from_url && *username_from_url
				   ? username_from_url
				   : "git";

	(void)url;
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
		return cred_userpass(out, r);
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return cred_ssh(out, r, user);
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	r->auth_missing = true;
	return GIT_EAUTH;
}

static int on_certificate(git_cert *cert, int valid, const char *host,
			  void *payload)
{
	struct remote *r = payload;

	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH; /* TLS: libgit2's own verdict */
	if (valid)
		return 0;
	if (r->opts->ssh_accept_unknown) {
		log_warn("accepting the unknown ssh host key of '%s'", host);
		return 0;
	}
	r->hostkey_refused = true;
	return GIT_ECERTIFICATE;
}

static void report(struct remote *r, bool done)
{
	double t = since(&r->start);

	if (!r->opts->progress || r->canceled)
		return;
	if (!done && since(&r->last) < 0.1)
		return;
	clock_gettime(CLOCK_MONOTONIC, &r->last);
	r->prog.seconds = t;
	r->prog.bytes_per_second =
		t > 0 ? (double)r->prog.received_bytes / t : 0;
	r->prog.done = done;
	if (r->opts->progress(&r->prog, r->opts->progress_payload))
		r->canceled = true;
}

static int on_transfer(const git_indexer_progress *s, void *payload)
{
	struct remote *r = payload;

	r->prog.total_objects = s->total_objects;
	r->prog.received_objects = s->received_objects;
	r->prog.indexed_objects = s->indexed_objects;
	r->prog.total_deltas = s->total_deltas;
	r->prog.indexed_deltas = s->indexed_deltas;
	r->prog.received_bytes = s->received_bytes;
	report(r, false);
	return r->canceled ? -1 : 0;
}

static void set_callbacks(git_remote_callbacks *cb, struct remote *r)
{
	cb->credentials = on_credentials;
	cb->certificate_check = on_certificate;
	cb->transfer_progress = on_transfer;
	cb->payload = r;
}

/* The error of a failed transfer, naming the URL and the ref. */
static int remote_fail(struct remote *r, int gerr, const char *what)
{
	struct buf b = BUF_INIT;
	int code = vcs_git_code(gerr);

	buf_addf(&b, "cannot fetch '%s'", r->safe_url);
	if (what)
		buf_addf(&b, " (%s)", what);
	if (r->canceled) {
		code = FY_ECANCELED;
		buf_addstr(&b, ": canceled");
	} else if (r->auth_missing) {
		code = FY_EAUTH;
		buf_addstr(&b, ": the remote wants credentials: set "
			       "FERRY_GIT_TOKEN (https) or an ssh key");
	} else if (r->auth_failed) {
		code = FY_EAUTH;
		buf_addstr(&b, ": the remote rejected the credentials");
	} else if (r->hostkey_refused) {
		buf_addf(&b,
			 ": unknown ssh host key for '%s' (add it to "
			 "~/.ssh/known_hosts)",
			 r->parts.host ? r->parts.host : "?");
	} else {
		const char *t = vcs_git_text();

		if (strstr(t, "status code: 401") ||
		    strstr(t, "authentication"))
			code = FY_EAUTH;
		else if (strstr(t, "status code: 404") ||
			 strstr(t, "not found") ||
			 strstr(t, "does not appear to be a git") ||
			 strstr(t, "not exported"))
			code = FY_ENOTFOUND;
		buf_addf(&b, ": %s", t);
	}
	vcs_scrub(&b, r->token);
	vcs_scrub(&b, r->parts.pass);
	code = err_set(code, "%s", b.ptr);
	buf_release(&b);
	return code;
}

/* ---- the mirror cache ---------------------------------------------------- */

static char *ref_text(const struct vcs_ref *ref)
{
	switch (ref->kind) {
	case VCS_REF_DEFAULT:
		return xstrdup("default branch");
	case VCS_REF_BRANCH:
		return xasprintf("branch '%s'", ref->name);
	case VCS_REF_TAG:
		return xasprintf("tag '%s'", ref->name);
	case VCS_REF_COMMIT:
		return xasprintf("commit '%s'", ref->name);
	case VCS_REF_PR:
		return xasprintf("pull request %lu", ref->pr);
	case VCS_REF_ANY:
		return xasprintf("ref '%s'", ref->name);
	}
	BUG("bad ref kind");
}

static const git_remote_head *advertised(const git_remote_head **heads,
					 size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(heads[i]->name, name))
			return heads[i];
	return NULL;
}

/* One connection: list the refs, pick the refspecs, download, update. */
struct sync {
	struct remote *r;
	const struct vcs_ref *ref;
	bool all_refs;	      /* fetch every ref too (commit not found) */
	char *default_branch; /* from the remote's HEAD */
	size_t objects;
	uint64_t bytes;
};

static int pick_refspecs(struct sync *s, const git_remote_head **heads,
			 size_t n, struct svec *specs)
{
	const struct vcs_ref *ref = s->ref;
	char *name = NULL, *what;
	int err = 0;

	svec_push(specs, "+refs/heads/*:refs/heads/*");
	svec_push(specs, "+refs/tags/*:refs/tags/*");
	if (s->all_refs)
		svec_push(specs, "+refs/*:refs/*");
	switch (ref->kind) {
	case VCS_REF_BRANCH:
		name = xasprintf("refs/heads/%s", ref->name);
		break;
	case VCS_REF_TAG:
		name = xasprintf("refs/tags/%s", ref->name);
		break;
	case VCS_REF_PR:
		for (int i = 0; i < 2; i++) {
			char *p = xasprintf("refs/pull/%lu/%s", ref->pr,
					    i ? "head" : "merge");

			if (advertised(heads, n, p))
				svec_pushf(specs, "+%s:%s", p, p);
			free(p);
		}
		if (specs->n == 2 + (size_t)s->all_refs)
			name = xasprintf("refs/pull/%lu/head", ref->pr);
		break;
	case VCS_REF_DEFAULT:
		if (!s->default_branch) {
			what = ref_text(ref);
			err = err_set(FY_ENOTFOUND,
				      "cannot fetch '%s' (%s): the remote "
				      "names no default branch",
				      s->r->safe_url, what);
			free(what);
		}
		break;
	case VCS_REF_COMMIT:
	case VCS_REF_ANY:
		break;
	}
	if (name && !advertised(heads, n, name)) {
		what = ref_text(ref);
		err = err_set(FY_ENOTFOUND,
			      "cannot fetch '%s' (%s): no %s there",
			      s->r->safe_url, what, name);
		free(what);
	}
	free(name);
	return err;
}

/* No usable HEAD at the remote: main, master, else its first branch. */
static char *guess_default(const git_remote_head **heads, size_t n)
{
	static const char *const names[] = { "refs/heads/main",
					     "refs/heads/master" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (advertised(heads, n, names[i]))
			return xstrdup(names[i] + 11);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(heads[i]->name, "refs/heads/", 11))
			return xstrdup(heads[i]->name + 11);
	return NULL;
}

static int sync_once(struct sync *s, git_repository *repo)
{
	struct remote *r = s->r;
	git_remote *remote = NULL;
	git_remote_connect_options co = GIT_REMOTE_CONNECT_OPTIONS_INIT;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	const git_remote_head **heads = NULL;
	git_buf def = GIT_BUF_INIT;
	struct svec specs = SVEC_INIT;
	git_strarray arr;
	const git_indexer_progress *st;
	char *what = ref_text(s->ref);
	size_t n = 0;
	int gerr, err = 0;

	set_callbacks(&co.callbacks, r);
	/* http.proxy and https_proxy/http_proxy/no_proxy, as git does */
	co.proxy_opts.type = GIT_PROXY_AUTO;
	fo.proxy_opts.type = GIT_PROXY_AUTO;
	fo.callbacks = co.callbacks;
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->last = r->start;
	memset(&r->prog, 0, sizeof(r->prog));
	r->prog.url = r->safe_url;
	gerr = git_remote_create_anonymous(&remote, repo, r->url);
	if (!gerr)
		gerr = git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &co);
	if (!gerr)
		gerr = git_remote_ls(&heads, &n, remote);
	if (gerr < 0) {
		err = remote_fail(r, gerr, what);
		goto out;
	}
	if (!git_remote_default_branch(&def, remote) &&
	    !strncmp(def.ptr, "refs/heads/", 11)) {
		free(s->default_branch);
		s->default_branch = xstrdup(def.ptr + 11);
	}
	if (!s->default_branch)
		s->default_branch = guess_default(heads, n);
	err = pick_refspecs(s, heads, n, &specs);
	if (err < 0)
		goto out;
	arr.strings = specs.v;
	arr.count = specs.n;
	gerr = git_remote_download(remote, &arr, &fo);
	if (!gerr)
		gerr = git_remote_update_tips(remote, &fo.callbacks, 0,
					      GIT_REMOTE_DOWNLOAD_TAGS_NONE,
					      "ferry: fetch");
	if (!gerr)
		gerr = git_remote_prune(remote, &fo.callbacks);
	if (gerr < 0) {
		err = remote_fail(r, gerr, what);
		goto out;
	}
	st = git_remote_stats(remote);
	s->objects += st->received_objects;
	s->bytes += st->received_bytes;
	report(r, true);
	if (s->default_branch) {
		char *h = xasprintf("refs/heads/%s", s->default_branch);

		git_repository_set_head(repo, h);
		free(h);
	}
out:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	git_buf_dispose(&def);
	svec_release(&specs);
	free(what);
	return err;
}

/*
 * First clones that died (killed, power lost) leave "<mirror>.tmp-<pid>"
 * behind; under the mirror's write lock no live one can exist.
 */
static void remove_stale(const char *mirror)
{
	char *pattern = xasprintf("%s.tmp-*", mirror);
	glob_t g;

	if (!glob(pattern, GLOB_NOSORT, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			log_warn("removing '%s', left by a clone that died",
				 g.gl_pathv[i]);
			fs_rm_rf(g.gl_pathv[i]);
		}
		globfree(&g);
	}
	free(pattern);
}

/* Open the mirror, or create it in a temporary directory (*tmp). */
static int mirror_open(git_repository **out, const char *mirror, char **tmp)
{
	git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	int gerr;

	if (fs_exists(mirror)) {
		if (!git_repository_open_bare(out, mirror))
			return 0;
		log_warn("the mirror '%s' is unreadable (%s): cloning again",
			 mirror, vcs_git_text());
		if (fs_rm_rf(mirror) < 0)
			return FY_EFAIL;
	}
	remove_stale(mirror);
	*tmp = xasprintf("%s.tmp-%ld", mirror, (long)getpid());
	io.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
		   GIT_REPOSITORY_INIT_NO_REINIT;
	gerr = git_repository_init_ext(out, *tmp, &io);
	if (gerr < 0)
		return vcs_git_fail(gerr, "cannot create the mirror '%s'",
				    *tmp);
	return 0;
}

static int resolve_pr(struct vcs_info *info, git_repository *repo,
		      const struct vcs_ref *ref, git_commit **out)
{
	char *merge = xasprintf("refs/pull/%lu/merge", ref->pr);
	char *head = xasprintf("refs/pull/%lu/head", ref->pr);
	git_commit *c = NULL, *h = NULL;
	const git_oid *base = NULL;
	int err;

	err = vcs_lookup_commit(&c, repo, merge);
	if (!err && git_commit_parentcount(c) == 2) {
		base = git_commit_parent_id(c, 0);
		info->pr_sha = vcs_oid_hex(git_commit_parent_id(c, 1));
	} else {
		git_commit_free(c);
		c = NULL;
		err = vcs_lookup_commit(&c, repo, head);
		if (!err)
			info->pr_sha = vcs_oid_hex(git_commit_id(c));
	}
	if (err < 0)
		goto out;
	vcs_fill_commit(info, c);
	if (ref->branch)
		info->branch = xstrdup(ref->branch);
	else if (base && info->default_branch &&
		 !vcs_lookup_commit(&h, repo, info->default_branch) &&
		 (git_oid_equal(git_commit_id(h), base) ||
		  git_graph_descendant_of(repo, git_commit_id(h), base) == 1))
		info->branch = xstrdup(info->default_branch);
	else if (base)
		info->branch = vcs_branch_at(repo, base, NULL);
	else
		info->branch = xstrdup(
			info->default_branch ? info->default_branch : "");
	free(info->range);
	if (base) {
		char *b = vcs_oid_hex(base);

		info->range = xasprintf("%s...%s", b, info->pr_sha);
		free(b);
	} else {
		git_commit_free(h);
		h = NULL;
		info->range =
			*info->branch && !vcs_lookup_commit(&h, repo,
							    info->branch)
				? xasprintf("%s...%s",
					    git_oid_tostr_s(git_commit_id(h)),
					    info->pr_sha)
				: xstrdup("");
	}
	{
		git_oid sha;

		git_oid_fromstr(&sha, info->pr_sha);
		info->pr_branch = vcs_branch_at(repo, &sha, info->branch);
	}
	info->pr_slug = xstrdup(*info->pr_branch ? info->slug : "");
	info->pr = ref->pr;
	free(info->event_type);
	info->event_type = xstrdup("pull_request");
	*out = c;
	c = NULL;
out:
	git_commit_free(c);
	git_commit_free(h);
	free(merge);
	free(head);
	return err;
}

/* Fill `info` from the mirror for `ref`; FY_ENOTFOUND when missing. */
static int resolve_ref(struct vcs_info *info, git_repository *repo,
		       const struct vcs_ref *ref)
{
	git_commit *c = NULL;
	bool is_tag = false, is_branch = false;
	char *full = NULL;
	int err = 0;

	switch (ref->kind) {
	case VCS_REF_DEFAULT:
	case VCS_REF_BRANCH:
		info->branch = xstrdup(ref->kind == VCS_REF_BRANCH
					       ? ref->name
					       : info->default_branch);
		full = xasprintf("refs/heads/%s", info->branch);
		err = vcs_lookup_commit(&c, repo, full);
		break;
	case VCS_REF_TAG:
		full = xasprintf("refs/tags/%s", ref->name);
		err = vcs_lookup_commit(&c, repo, full);
		info->tag = xstrdup(ref->name);
		info->branch = xstrdup(ref->name);
		break;
	case VCS_REF_COMMIT:
		err = vcs_find_commit_by_hex(&c, repo, ref->name);
		break;
	case VCS_REF_ANY:
		err = vcs_find_commit_any(&c, repo, ref->name, &is_tag,
					  &is_branch);
		if (!err && is_tag)
			info->tag = xstrdup(ref->name);
		if (!err && (is_tag || is_branch))
			info->branch = xstrdup(ref->name);
		break;
	case VCS_REF_PR:
		err = resolve_pr(info, repo, ref, &c);
		git_commit_free(c);
		return err < 0 ? FY_ENOTFOUND : 0;
	}
	free(full);
	if (err < 0)
		return FY_ENOTFOUND;
	vcs_fill_commit(info, c);
	if (!info->branch && ref->branch)
		info->branch = xstrdup(ref->branch);
	if (!info->branch)
		info->branch = vcs_branch_at(repo, git_commit_id(c), NULL);
	if (!*info->branch && info->default_branch) {
		git_commit *d = NULL;

		if (!vcs_lookup_commit(&d, repo, info->default_branch) &&
		    git_graph_descendant_of(repo, git_commit_id(d),
					    git_commit_id(c)) == 1) {
			free(info->branch);
			info->branch = xstrdup(info->default_branch);
		}
		git_commit_free(d);
	}
	git_commit_free(c);
	return 0;
}

static char *url_slug(const char *url)
{
	char *slug = NULL;
	struct vcs_url u;

	if (!vcs_slug_from_url(&slug, url))
		return slug;
	vcs_url_parse(&u, url);
	slug = xasprintf("local/%s", *u.path ? fs_basename(u.path) : "repo");
	if (strlen(slug) > 10 && !strcmp(slug + strlen(slug) - 4, ".git"))
		slug[strlen(slug) - 4] = '\0';
	vcs_url_release(&u);
	return slug;
}

static int sync_and_resolve(struct vcs_info *info, struct remote *r,
			    git_repository *repo, const struct vcs_ref *ref)
{
	struct sync s = { r, ref, false, NULL, 0, 0 };
	char *what = NULL;
	int err;

	err = sync_once(&s, repo);
	info->default_branch =
		s.default_branch ? xstrdup(s.default_branch) : NULL;
	if (!err) {
		err = resolve_ref(info, repo, ref);
		if (err == FY_ENOTFOUND &&
		    (ref->kind == VCS_REF_COMMIT ||
		     (ref->kind == VCS_REF_ANY && vcs_hexish(ref->name)))) {
			/* not on a branch or tag: try every ref */
			s.all_refs = true;
			err = sync_once(&s, repo);
			if (!err)
				err = resolve_ref(info, repo, ref);
		}
		if (err == FY_ENOTFOUND) {
			what = ref_text(ref);
			err = err_set(FY_ENOTFOUND,
				      "cannot fetch '%s' (%s): not found",
				      r->safe_url, what);
		}
	}
	info->fetched_objects = s.objects;
	info->fetched_bytes = s.bytes;
	free(s.default_branch);
	free(what);
	return err;
}

/*
 * A peer that hangs up makes libgit2's next write raise SIGPIPE, which
 * would kill ferry.  Block it in this thread while we talk to remotes and
 * discard what was raised meanwhile (the process-wide disposition stays
 * as it is, so commands ferry runs later are not affected).
 */
struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1)
		sigtimedwait(&set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static int resolve_locked(struct vcs_info *out, const char *url,
			  const struct vcs_ref *ref,
			  const struct vcs_remote_opts *opts);

int vcs_remote_resolve(struct vcs_info *out, const char *url,
		       const struct vcs_ref *ref,
		       const struct vcs_remote_opts *opts)
{
	struct sigpipe_guard g;
	int err;

	sigpipe_block(&g);
	err = resolve_locked(out, url, ref, opts);
	sigpipe_restore(&g);
	return err;
}

static int resolve_locked(struct vcs_info *out, const char *url,
			  const struct vcs_ref *ref,
			  const struct vcs_remote_opts *opts)
{
	struct vcs_info info = VCS_INFO_INIT;
	struct remote r;
	git_repository *repo = NULL;
	char *mirror = NULL, *lock = NULL, *tmp = NULL, *parent = NULL;
	int lfd = -1, err;
	struct timespec t0;

	if (!opts->cache_root)
		BUG("vcs_remote_resolve without a cache root");
	vcs_git_setup();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	remote_init(&r, url, opts);
	mirror = vcs_mirror_path(opts->cache_root, url);
	lock = vcs_lock_path(mirror);
	parent = fs_dirname(mirror);
	err = fs_mkdir_p(parent, 0755);
	if (!err)
		err = vcs_lock(&lfd, lock, true, opts->lock_timeout, mirror);
	if (!err)
		err = mirror_open(&repo, mirror, &tmp);
	if (err < 0)
		goto out;
	info.url = xstrdup(url);
	info.slug = url_slug(url);
	info.event_type = xstrdup("push");
	err = sync_and_resolve(&info, &r, repo, ref);
	if (err < 0)
		goto out;
	if (tmp) {
		git_repository_free(repo);
		repo = NULL;
		if (rename(tmp, mirror) < 0) {
			err = err_errno("cannot rename '%s'", tmp);
			goto out;
		}
		free(tmp);
		tmp = NULL;
	}
	info.gitdir = xstrdup(mirror);
	info.fetch_seconds = since(&t0);
	*out = info;
	memset(&info, 0, sizeof(info));
out:
	git_repository_free(repo);
	if (tmp)
		fs_rm_rf(tmp);
	vcs_unlock(&lfd);
	vcs_info_release(&info);
	remote_release(&r);
	free(parent);
	free(tmp);
	free(lock);
	free(mirror);
	return err;
}
