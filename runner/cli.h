#ifndef FY_CLI_H
#define FY_CLI_H

#include "compat.h"

/*
 * cli.h: private to runner/.  The subcommand table and the helpers every
 * command shares (usage errors, colour, exit codes).
 *
 * Exit codes are an interface (README "Exit status"):
 */
enum exit_code {
	EXIT_OK = 0,	    /* success; for builds: every job passed */
	EXIT_FAILED = 1,    /* a build failed; lint found errors; false */
	EXIT_ERRORED = 2,   /* bad input or a job errored */
	EXIT_USAGE = 64,    /* bad command line */
	EXIT_CANCELED = 130 /* interrupted */
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* The table, sorted by name (runner/main.c). */
extern const struct cmd cli_commands[];
extern const size_t cli_ncommands;

/* Print "ferry: <msg>" for a usage error and return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) PRINTFLIKE(2, 3);
/* Print "ferry: <err_msg()>" and return `code`. */
int cli_error(int code);
/* Whether to colour output on `fd`: a tty and NO_COLOR unset. */
bool cli_color(int fd);
struct msgs;
/*
 * Print config messages for people: "FILE:LINE: LEVEL: text (code on
 * KEY)", errors in red on a colour terminal.  Returns the number of
 * error-level messages.
 */
size_t cli_print_msgs(FILE *f, const char *path, const struct msgs *m,
		      bool color, bool include_info);
/* Parse a non-negative integer option value; -1 when invalid. */
long cli_number(const char *s);

/*
 * Request options shared by matrix, run and build: --event, --branch,
 * --tag, --commit-message, --repo, --pull-request, --head-branch,
 * --head-repo, --sender.  Add REQUEST_OPTIONS to a getopt_long table and
 * pass unknown option codes to request_option().
 */
struct request_opts {
	const char *event, *branch, *tag, *commit_message, *repo;
	const char *pull_request, *head_branch, *head_repo, *sender;
	bool given; /* any request option was given */
};

enum {
	OPT_EVENT = 1000,
	OPT_BRANCH,
	OPT_TAG,
	OPT_COMMIT_MESSAGE,
	OPT_REPO,
	OPT_PULL_REQUEST,
	OPT_HEAD_BRANCH,
	OPT_HEAD_REPO,
	OPT_SENDER,
	OPT_FIRST_FREE = 1100
};

/* clang-format off */
#define REQUEST_OPTIONS                                                 \
	{ "event", required_argument, NULL, OPT_EVENT },                \
	{ "branch", required_argument, NULL, OPT_BRANCH },              \
	{ "tag", required_argument, NULL, OPT_TAG },                    \
	{ "commit-message", required_argument, NULL, OPT_COMMIT_MESSAGE }, \
	{ "repo", required_argument, NULL, OPT_REPO },                  \
	{ "pull-request", required_argument, NULL, OPT_PULL_REQUEST },  \
	{ "head-branch", required_argument, NULL, OPT_HEAD_BRANCH },    \
	{ "head-repo", required_argument, NULL, OPT_HEAD_REPO },        \
	{ "sender", required_argument, NULL, OPT_SENDER }
#define REQUEST_HELP                                                    \
	"Request (applies if:, branches: and skip keywords; without any,\n" \
	"nothing is filtered):\n"                                       \
	"  --event push|pull_request|api|cron   event type (default push)\n" \
	"  --branch B         branch (base branch for pull requests)\n"  \
	"  --tag T            tag being built\n"                         \
	"  --commit-message M commit message\n"                           \
	"  --repo OWNER/NAME  repository slug\n"                         \
	"  --pull-request N   pull request number (implies --event pull_request)\n" \
	"  --head-branch B, --head-repo OWNER/NAME, --sender LOGIN\n"
/* clang-format on */

/* 1 if `opt` was a request option (stored), 0 otherwise. */
int request_option(struct request_opts *r, int opt, const char *arg);
/* Condition data (cond.h) for the request, or NULL when none given. */
struct val *request_data(const struct request_opts *r);

int cmd_appspec(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_condition(int argc, char **argv);
int cmd_iam_policy(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_shell(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_ecr(int argc, char **argv);
int cmd_encrypt(int argc, char **argv);
int cmd_encrypt_file(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_keys(int argc, char **argv);

#endif
