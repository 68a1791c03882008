#ifndef FY_VCS_GIT_H
#define FY_VCS_GIT_H

/*
 * vcs_git.h: private to runner/vcs.c, vcs_remote.c and vcs_checkout.c,
 * the files that include <git2.h> (before this header: it uses libgit2's
 * types but does not include it).  Helpers they share.
 */

struct vcs_info;

/* Set up libgit2 once per process. */
void vcs_git_setup(void);
/* libgit2's last message; never NULL. */
const char *vcs_git_text(void);
/* A libgit2 code as an FY_E* code. */
int vcs_git_code(int gerr);
/* err_set() with libgit2's message after `fmt`. */
int vcs_git_fail(int gerr, const char *fmt, ...) PRINTFLIKE(2, 3);

char *vcs_oid_hex(const git_oid *oid);
/* Commit id, message, author and first-parent range into `info`. */
void vcs_fill_commit(struct vcs_info *info, const git_commit *c);
/* Peel a revision to a commit; FY_ENOTFOUND when there is none. */
int vcs_lookup_commit(git_commit **out, git_repository *repo, const char *rev);
/* A branch (local, then origin's) whose tip is `oid`, not `avoid`; "". */
char *vcs_branch_at(git_repository *repo, const git_oid *oid,
		    const char *avoid);
/* 4 to 40 hex digits. */
bool vcs_hexish(const char *s);
int vcs_find_commit_by_hex(git_commit **out, git_repository *repo,
			   const char *hex);
/* A branch, tag or SHA (in that order) to a commit. */
int vcs_find_commit_any(git_commit **out, git_repository *repo,
			const char *name, bool *is_tag, bool *is_branch);

#endif
