/*
 * ferry iam-policy: the least-privilege IAM policies of a .travis.yml's
 * AWS deploys (deployers/iampolicy.c), as JSON documents for AWS.
 */
#include "compat.h"

#include <getopt.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "error.h"
#include "fs.h"
#include "iampolicy.h"
#include "json.h"
#include "matrix.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry iam-policy [OPTIONS] [FILE]\n"
	"\n"
	"Print the least-privilege IAM policies that the AWS deploys of FILE\n"
	"(default .travis.yml) need, as JSON documents ready for AWS:\n"
	"  - the deploy user (the keys the deploys use): S3 uploads to each\n"
	"    bucket and prefix, the CodeDeploy bundle, revision and deployment\n"
	"    calls on the application's and deployment group's ARNs, ECR\n"
	"    push, and the read-only calls of `ferry deploy --check`;\n"
	"  - the instance role (the EC2 instance profile of the CodeDeploy\n"
	"    agent): the bundle's S3 prefix, ECR pull;\n"
	"  - the CodeDeploy service role: its trust policy and the managed\n"
	"    policy to attach.\n"
	"\n"
	"  --account ID            account id in the ARNs (default: from an ECR\n"
	"                          registry named in FILE, else '*')\n"
	"  --region R              region of entries without `region:`\n"
	"                          (default us-east-1)\n"
	"  --ecr-repository NAME   an ECR repository the build pushes to\n"
	"                          (repeatable; ACCOUNT.dkr.ecr.REGION.\n"
	"                          amazonaws.com/NAME in FILE counts too)\n"
	"  --deployment-config N   the deployment groups' configuration\n"
	"                          (default CodeDeployDefault.OneAtATime)\n"
	"  --no-check              leave out the statement for `ferry deploy\n"
	"                          --check`\n"
	"  --only WHO              print one document alone: deploy-user,\n"
	"                          instance-role or service-role-trust\n"
	"  --json                  one JSON object with everything\n"
	"  -h, --help              show this help\n"
	"\n"
	"Exit status: 0 printed, 2 FILE cannot be read or an AWS entry lacks\n"
	"its bucket or application, 64 usage.\n";

struct opts {
	struct iampolicy_opts p;
	struct svec repos;
	const char *only;
	bool json;
};

static void print_doc(const char *title, const struct val *doc)
{
	char *s = json_dump(doc, JSON_PRETTY);

	if (title)
		printf("# %s\n", title);
	printf("%s\n", s);
	free(s);
}

static int print_only(const struct iampolicy *p, const char *only)
{
	const struct val *doc = NULL;

	if (!strcmp(only, "deploy-user"))
		doc = p->deploy_user;
	else if (!strcmp(only, "instance-role"))
		doc = p->instance_role;
	else if (!strcmp(only, "service-role-trust"))
		doc = p->service_trust;
	if (!doc)
		return err_set(FY_ENOTFOUND,
			       "the deploys need no %s (no codedeploy entry)",
			       only);
	print_doc(NULL, doc);
	return 0;
}

static void print_text(const struct iampolicy *p)
{
	for (size_t i = 0; i < p->notes.n; i++)
		fprintf(stderr, "ferry: note: %s\n", p->notes.v[i]);
	print_doc("Deploy user: the credentials of the deploys (an inline or "
		  "customer managed policy)",
		  p->deploy_user);
	if (p->instance_role) {
		printf("\n");
		print_doc("Instance role: the EC2 instance profile the "
			  "CodeDeploy agent runs with",
			  p->instance_role);
	}
	if (p->service_trust) {
		printf("\n");
		print_doc("CodeDeploy service role: trust policy",
			  p->service_trust);
		printf("# CodeDeploy service role: attach the managed policy\n"
		       "%s\n",
		       p->service_managed_arn);
	}
}

static int run(const char *path, struct opts *o)
{
	struct travis_config *c = NULL;
	struct config_opts co = { 0 };
	struct iampolicy p = IAMPOLICY_INIT;
	struct val *jobs = NULL, *deploys = NULL;
	char *dir = fs_dirname(path);
	int err;

	co.root_dir = dir;
	err = config_load(&c, path, &co);
	if (err < 0)
		goto out;
	cli_print_msgs(stderr, path, &c->msgs, cli_color(2), false);
	jobs = matrix_expand(c->config, NULL);
	deploys = iampolicy_deploys(jobs);
	if (!deploys->seq.n) {
		err = err_set(FY_EINVALID, "'%s' has no deploy entry", path);
		goto out;
	}
	o->p.ecr_repositories = (const char *const *)o->repos.v;
	err = iampolicy_build(&p, deploys, c->config, &o->p);
	if (err < 0)
		goto out;
	if (o->only) {
		err = print_only(&p, o->only);
	} else if (o->json) {
		struct val *v = iampolicy_to_val(&p);

		print_doc(NULL, v);
		val_free(v);
	} else {
		print_text(&p);
	}
out:
	iampolicy_release(&p);
	val_free(jobs);
	val_free(deploys);
	config_free(c);
	free(dir);
	return err;
}

int cmd_iam_policy(int argc, char **argv)
{
	enum {
		O_ACCOUNT = 1,
		O_REGION,
		O_REPO,
		O_CONFIG,
		O_NO_CHECK,
		O_ONLY,
		O_JSON
	};
	static const struct option opts[] = {
		{ "account", required_argument, NULL, O_ACCOUNT },
		{ "region", required_argument, NULL, O_REGION },
		{ "ecr-repository", required_argument, NULL, O_REPO },
		{ "deployment-config", required_argument, NULL, O_CONFIG },
		{ "no-check", no_argument, NULL, O_NO_CHECK },
		{ "only", required_argument, NULL, O_ONLY },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .repos = SVEC_INIT };
	int opt, rc = EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_ACCOUNT:
			if (strlen(optarg) != 12 ||
			    strspn(optarg, "0123456789") != 12)
				return cli_usage_error(
					"iam-policy",
					"--account needs a 12-digit account id");
			o.p.account = optarg;
			break;
		case O_REGION:
			o.p.region = optarg;
			break;
		case O_REPO:
			svec_push(&o.repos, optarg);
			break;
		case O_CONFIG:
			o.p.deployment_config = optarg;
			break;
		case O_NO_CHECK:
			o.p.no_check = true;
			break;
		case O_ONLY:
			if (strcmp(optarg, "deploy-user") &&
			    strcmp(optarg, "instance-role") &&
			    strcmp(optarg, "service-role-trust"))
				return cli_usage_error(
					"iam-policy",
					"--only takes deploy-user, "
					"instance-role or service-role-trust");
			o.only = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("iam-policy", "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("iam-policy", "too many arguments");
	if (run(optind < argc ? argv[optind] : ".travis.yml", &o) < 0)
		rc = cli_error(EXIT_ERRORED);
	svec_release(&o.repos);
	return rc;
}
