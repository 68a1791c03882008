/*
 * ferry ecr login: docker credentials for an Amazon ECR registry, as
 * `aws ecr get-login-password | docker login --username AWS
 * --password-stdin REGISTRY` would leave them, without the AWS CLI or
 * the docker CLI.
 */
#include "compat.h"

#include <getopt.h>
#include <time.h>

#include "aws.h"
#include "awscreds.h"
#include "cli.h"
#include "ecr.h"
#include "error.h"

static const char usage[] =
	"usage: ferry ecr login [OPTIONS]\n"
	"\n"
	"Ask Amazon ECR for a registry token (GetAuthorizationToken, valid 12\n"
	"hours) and store it in docker's config.json (`auths`), as `docker\n"
	"login` does; then print the registry's host, for `docker push\n"
	"HOST/REPOSITORY:TAG`.\n"
	"\n"
	"  --registry-id ID     the account whose registry (default: the\n"
	"                       caller's own)\n"
	"  --region R           (default: AWS_REGION, AWS_DEFAULT_REGION, the\n"
	"                       profile's, us-east-1)\n"
	"  --endpoint URL       ECR API endpoint (default: AWS_ENDPOINT_URL_ECR,\n"
	"                       AWS_ENDPOINT_URL, the region's)\n"
	"  --profile NAME       profile of the shared AWS files\n"
	"  --docker-config DIR  where config.json is (default: DOCKER_CONFIG,\n"
	"                       ~/.docker)\n"
	"  --print-password     print the password instead of storing it (for\n"
	"                       `docker login --password-stdin`)\n"
	"  -h, --help           show this help\n"
	"\n"
	"Credentials are found as the AWS tools find them: AWS_ACCESS_KEY_ID\n"
	"and AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN), the profile of the\n"
	"shared credentials and config files (role_arn, web identity,\n"
	"credential_process, keys; AWS_WEB_IDENTITY_TOKEN_FILE and\n"
	"AWS_ROLE_ARN), container credentials, the instance role (IMDSv2).\n"
	"Exit status: 0 logged in, 2 an AWS or file error, 64 usage.\n";

struct ecr_opts {
	const char *registry_id, *region, *endpoint, *profile, *config_dir;
	bool print_password;
};

static int login(const struct ecr_opts *o)
{
	struct aws_env env = { NULL, false };
	struct awscreds_files files = AWSCREDS_FILES_INIT;
	struct awscreds_opts co = { 0 };
	struct aws_creds creds = AWS_CREDS_INIT;
	struct aws_client_opts ao = { 0 };
	struct aws_client *c = NULL;
	struct ecr_auth a = ECR_AUTH_INIT;
	const char *profile;
	char *path = NULL;
	int err;

	err = awscreds_files_load(&files, &env);
	if (err < 0)
		goto out;
	profile = awscreds_profile_name(&env, o->profile);
	ao.region = aws_config_region(
		&env, o->region, awscreds_files_get(&files, profile, "region"));
	co.env = &env;
	co.profile = o->profile;
	co.region = ao.region;
	err = awscreds_resolve(&creds, &co);
	if (err < 0)
		goto out;
	ao.service = &aws_ecr;
	ao.endpoint = aws_config_endpoint(&env, &aws_ecr, o->endpoint);
	ao.creds = &creds;
	ao.env = &env;
	err = aws_client_new(&c, &ao);
	if (!err)
		err = ecr_get_authorization(c, o->registry_id, &a);
	if (err)
		goto out;
	if (o->print_password) {
		printf("%s\n", a.password);
		goto out;
	}
	err = ecr_docker_login(o->config_dir, &a, &path);
	if (err < 0)
		goto out;
	if (a.expires) {
		struct tm tm;
		char when[32];

		gmtime_r(&a.expires, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		fprintf(stderr,
			"ferry: credentials for %s stored in %s "
			"(valid until %s)\n",
			a.registry, path, when);
	} else {
		fprintf(stderr, "ferry: credentials for %s stored in %s\n",
			a.registry, path);
	}
	printf("%s\n", a.registry);
out:
	aws_client_free(c);
	ecr_auth_release(&a);
	aws_creds_release(&creds);
	awscreds_files_release(&files);
	free(path);
	return err;
}

static int cmd_login(int argc, char **argv)
{
	enum { O_ID = 1, O_REGION, O_ENDPOINT, O_PROFILE, O_CONFIG, O_PRINT };
	static const struct option opts[] = {
		{ "registry-id", required_argument, NULL, O_ID },
		{ "region", required_argument, NULL, O_REGION },
		{ "endpoint", required_argument, NULL, O_ENDPOINT },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "docker-config", required_argument, NULL, O_CONFIG },
		{ "print-password", no_argument, NULL, O_PRINT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ecr_opts o = { 0 };
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_ID:
			o.registry_id = optarg;
			break;
		case O_REGION:
			o.region = optarg;
			break;
		case O_ENDPOINT:
			o.endpoint = optarg;
			break;
		case O_PROFILE:
			o.profile = optarg;
			break;
		case O_CONFIG:
			o.config_dir = optarg;
			break;
		case O_PRINT:
			o.print_password = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("ecr login", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("ecr login", "unexpected argument '%s'",
				       argv[optind]);
	return login(&o) < 0 ? cli_error(EXIT_ERRORED) : EXIT_OK;
}

int cmd_ecr(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "login"))
		return cmd_login(argc - 1, argv + 1);
	if (argc >= 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc < 2)
		return cli_usage_error("ecr", "missing subcommand 'login'");
	return cli_usage_error("ecr", "unknown subcommand '%s'", argv[1]);
}
