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
/* Parse a non-negative integer option value; -1 when invalid. */
long cli_number(const char *s);

int cmd_condition(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_matrix(int argc, char **argv);

#endif
