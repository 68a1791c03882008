/*
 * main.c: `ferry COMMAND ...`.  The only place (with cli.c) that prints
 * errors for the command line and chooses the exit status.
 */
#include "compat.h"

#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "log.h"

const struct cmd cli_commands[] = {
	{ "appspec", cmd_appspec, "run or check a CodeDeploy appspec.yml" },
	{ "build", cmd_build, "clone a repository and run its build" },
	{ "cache", cmd_cache, "list or clear the build caches" },
	{ "condition", cmd_condition, "evaluate an if: condition" },
	{ "config", cmd_config, "print the normalised .travis.yml" },
	{ "deploy", cmd_deploy,
	  "check the permissions of the AWS deploys (--check)" },
	{ "ecr", cmd_ecr, "log docker in to an Amazon ECR registry" },
	{ "encrypt", cmd_encrypt, "encrypt a secret for .travis.yml" },
	{ "encrypt-file", cmd_encrypt_file,
	  "encrypt a file for the build to decrypt" },
	{ "env", cmd_env, "set, unset or list repository settings variables" },
	{ "iam-policy", cmd_iam_policy,
	  "print the IAM policies of a .travis.yml's AWS deploys" },
	{ "image", cmd_image, "build a base image locally with debootstrap" },
	{ "images", cmd_images, "show which Docker image each job runs in" },
	{ "keys", cmd_keys, "generate, show or import repository keys" },
	{ "lint", cmd_lint, "check a .travis.yml and report problems" },
	{ "matrix", cmd_matrix, "list the jobs a .travis.yml expands to" },
	{ "run", cmd_run, "run a build's jobs in Docker, as Travis does" },
	{ "serve", cmd_serve, "CI server for GitHub webhooks, with a web UI" },
	{ "shell", cmd_shell, "open a shell in a kept job's container" },
};
const size_t cli_ncommands = ARRAY_SIZE(cli_commands);

static void usage(FILE *f)
{
	fprintf(f, "usage: ferry [--version] [--help] [-v] COMMAND [ARGS]\n\n"
		   "Run Travis CI builds locally, on a build box, or from "
		   "GitHub webhooks.\n\nCommands:\n");
	for (size_t i = 0; i < cli_ncommands; i++)
		fprintf(f, "  %-14s %s\n", cli_commands[i].name,
			cli_commands[i].summary);
	fprintf(f, "\nRun 'ferry COMMAND --help' for a command's options.\n"
		   "Exit status: 0 ok, 1 failed, 2 errored or bad input, "
		   "64 usage, 130 interrupted.\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("ferry %s\n", FERRY_VERSION);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-v") ||
			   !strcmp(argv[i], "--verbose")) {
			log_set_level(log_verbosity < LL_DEBUG
					      ? log_verbosity + 1
					      : LL_DEBUG);
		} else {
			fprintf(stderr, "ferry: unknown option '%s'\n",
				argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc) {
			char *args[] = { argv[i + 1], (char *)"--help", NULL };

			for (size_t c = 0; c < cli_ncommands; c++)
				if (!strcmp(cli_commands[c].name, argv[i + 1]))
					return cli_commands[c].fn(2, args);
		}
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t c = 0; c < cli_ncommands; c++)
		if (!strcmp(cli_commands[c].name, argv[i]))
			return cli_commands[c].fn(argc - i, argv + i);
	fprintf(stderr,
		"ferry: '%s' is not a ferry command (see 'ferry --help')\n",
		argv[i]);
	return EXIT_USAGE;
}
