/*
 * ferry deploy --check: try the permissions of a checkout's AWS deploys
 * without changing anything (deployers/awscheck.c), with the options,
 * decrypted secure values and environment the jobs would give them.
 */
#include "compat.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>

#include "awscheck.h"
#include "buf.h"
#include "cli.h"
#include "config.h"
#include "crypto.h"
#include "deployer.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "iampolicy.h"
#include "jobprep.h"
#include "mask.h"
#include "matrix.h"
#include "secrets.h"
#include "svec.h"
#include "val.h"
#include "vcs.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry deploy --check [OPTIONS] [DIR]\n"
	"\n"
	"Try the permissions of the AWS deploys (s3, codedeploy) of the\n"
	".travis.yml in DIR (default .) without changing anything: with each\n"
	"entry's credentials (secure values decrypted with the repository's\n"
	"key, the jobs' environment and settings variables, then the AWS\n"
	"chain), make only calls that read (ListObjectsV2, HeadObject,\n"
	"GetApplication, GetDeploymentGroup, GetDeploymentConfig,\n"
	"GetApplicationRevision; ECR GetAuthorizationToken,\n"
	"DescribeRepositories, BatchCheckLayerAvailability) and name what is\n"
	"missing: the action, the resource and the statement of `ferry\n"
	"iam-policy` that allows it.  What cannot be tried without a change\n"
	"(PutObject, CreateDeployment...) is listed as not tried.\n"
	"\n"
	"  --check               (required) check, do not deploy\n"
	"  --env K=V             add a variable, as `ferry run --env` (repeatable)\n"
	"  --ecr-repository NAME an ECR repository the build pushes to\n"
	"                        (repeatable; also found in the config)\n"
	"  --config FILE         ferry's config file\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit status: 0 every call was allowed, 1 something is missing, 2 the\n"
	"check could not run (no .travis.yml, no credentials...), 64 usage.\n";

struct check_opts {
	const char *dir, *config_file;
	struct svec env_names, env_values, repos;
	char ecr_region[32]; /* of the repositories found in the config */
};

/* What the check writes goes to stdout, with the jobs' secrets masked. */
struct out {
	const struct mask_set *mask;
};

static void out_write(void *payload, const char *data, size_t len)
{
	struct out *o = payload;
	struct buf b = BUF_INIT;

	if (o->mask) {
		mask_string(o->mask, data, len, &b);
		fwrite(b.ptr, 1, b.len, stdout);
	} else {
		fwrite(data, 1, len, stdout);
	}
	buf_release(&b);
	fflush(stdout);
}

/* "value" or 'value' as bash would give it, for the simple cases. */
static struct val *unquote(const char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
		return val_strn(v + 1, n - 2);
	return val_str(v);
}

/* The job's variables as the deploy hand-off sees them (no expansion). */
static struct val *job_env(const struct job_prep *p, const struct check_opts *o)
{
	struct val *env = val_map();
	const struct secrets_job *s = &p->secrets;

	for (size_t i = 0; i < s->nsettings; i++)
		val_map_set(env, s->settings[i].name,
			    unquote(s->settings[i].value));
	for (size_t i = 0; i < o->env_names.n; i++)
		val_map_set(env, o->env_names.v[i],
			    val_str(o->env_values.v[i]));
	for (size_t i = 0; i < s->nenv; i++)
		val_map_set(env, s->env[i].name, unquote(s->env[i].value));
	return env;
}

struct state {
	struct check_opts *o;
	struct ferryconf *conf;
	struct vcs_info info;
	struct travis_config *c;
	struct crypto_rsa *key;
	struct settings store;
	struct iampolicy policy;
	struct awscheck check;
	struct val *done; /* entries checked (decrypted) */
	bool ecr_done;
};

static int load_secrets(struct state *st)
{
	char *dir;
	int err;

	if (secrets_check_slug(st->info.slug) < 0)
		return 0;
	dir = keys_dir(st->conf);
	err = keys_load(&st->key, dir, st->info.slug);
	free(dir);
	if (err == FY_ENOTFOUND) {
		st->key = NULL;
		err = 0;
	}
	if (err < 0)
		return err;
	dir = settings_dir(st->conf);
	err = settings_open(&st->store, dir, st->info.slug, false);
	free(dir);
	return err;
}

static int check_entries(struct state *st, struct job_prep *p, struct out *w)
{
	const struct val *d = val_map_get(p->spec.config, "deploy");
	struct val *env = job_env(p, st->o);
	struct deploy_ctx ctx = { 0 };
	int err = 0;

	ctx.env = env;
	ctx.workspace = st->o->dir;
	ctx.cwd = "";
	ctx.slug = st->info.slug;
	ctx.branch = st->info.branch;
	ctx.commit = st->info.commit;
	ctx.write = out_write;
	ctx.payload = w;
	for (size_t i = 0; d && !err && i < (d->type == VAL_SEQ ? d->seq.n : 1);
	     i++) {
		const struct val *e = d->type == VAL_SEQ ? d->seq.v[i] : d;
		bool seen = false;

		for (size_t k = 0; k < st->done->seq.n; k++)
			seen = seen || val_equal(st->done->seq.v[k], e);
		if (seen || e->type != VAL_MAP)
			continue;
		val_seq_push(st->done, val_dup(e));
		ctx.opts = e;
		ctx.index = i;
		err = awscheck_entry(&st->check, &ctx);
		if (!err && !st->ecr_done && st->o->repos.n) {
			st->ecr_done = true;
			err = awscheck_ecr(
				&st->check, &ctx,
				(const char *const *)st->o->repos.v,
				*st->o->ecr_region ? st->o->ecr_region : NULL);
		}
	}
	val_free(env);
	return err;
}

static int check_jobs(struct state *st, const struct val *plan)
{
	const struct val *jobs = val_map_get(plan, "jobs");
	struct job_prep_opts po = { 0 };
	int err = 0;

	po.conf = st->conf;
	po.vcs = &st->info;
	po.key = st->key;
	po.store = &st->store;
	po.build_config = st->c->config;
	po.build_id = po.build_number = "1";
	po.workspace = st->o->dir;
	for (size_t i = 0; jobs && !err && i < jobs->seq.n; i++) {
		struct job_prep p;
		struct out w;

		if (!val_map_get(val_map_get(jobs->seq.v[i], "config"),
				 "deploy"))
			continue;
		job_prep_init(&p, jobs->seq.v[i], &po);
		for (size_t k = 0; k < p.secrets.warnings.n; k++)
			fprintf(stderr, "ferry: warning: %s\n",
				p.secrets.warnings.v[k]);
		w.mask = p.secrets.mask;
		err = check_entries(st, &p, &w);
		job_prep_release(&p);
	}
	return err;
}

static int prepare(struct state *st)
{
	struct config_opts co = { 0 };
	struct iampolicy_opts io = { 0 };
	struct val *jobs, *deploys;
	char *path = fs_join(st->o->dir, ".travis.yml");
	char account[13] = "";
	int err;

	err = ferryconf_load(&st->conf, st->o->config_file);
	if (!err && vcs_local_info(&st->info, st->o->dir) == FY_ENOTFOUND) {
		const char *base = fs_basename(st->o->dir);

		st->info.slug = xasprintf("local/%s", *base ? base : "build");
		st->info.branch = xstrdup("master");
	}
	co.root_dir = st->o->dir;
	co.repo = st->info.slug;
	if (!err)
		err = config_load(&st->c, path, &co);
	free(path);
	if (err < 0)
		return err;
	cli_print_msgs(stderr, ".travis.yml", &st->c->msgs, cli_color(2),
		       false);
	iampolicy_find_ecr(st->c->config, &st->o->repos, account,
			   st->o->ecr_region);
	io.ecr_repositories = (const char *const *)st->o->repos.v;
	jobs = matrix_expand(st->c->config, NULL);
	deploys = iampolicy_deploys(jobs);
	/* the Sids to name; a config it cannot describe just gets none */
	if (iampolicy_build(&st->policy, deploys, st->c->config, &io) == 0)
		st->check.policy = st->policy.deploy_user;
	val_free(jobs);
	val_free(deploys);
	return load_secrets(st);
}

static int check(struct check_opts *o)
{
	struct state st = { .o = o,
			    .store = SETTINGS_INIT,
			    .policy = IAMPOLICY_INIT };
	struct val *plan = NULL;
	int err;

	st.info = (struct vcs_info)VCS_INFO_INIT;
	st.done = val_seq();
	err = prepare(&st);
	if (err < 0)
		goto out;
	plan = matrix_plan(st.c->config, NULL, 1, NULL);
	err = check_jobs(&st, plan);
	if (err < 0)
		goto out;
	if (!st.done->seq.n) {
		err = err_set(FY_EINVALID,
			      "no deploy entry in '%s/.travis.yml'", o->dir);
		goto out;
	}
	printf("%u ok, %u missing, %u not tried\n", st.check.ok,
	       st.check.missing, st.check.not_tried);
	err = st.check.missing ? 1 : 0;
out:
	val_free(plan);
	val_free(st.done);
	iampolicy_release(&st.policy);
	config_free(st.c);
	crypto_rsa_free(st.key);
	settings_release(&st.store);
	vcs_info_release(&st.info);
	ferryconf_free(st.conf);
	return err;
}

int cmd_deploy(int argc, char **argv)
{
	enum { O_CHECK = 1, O_ENV, O_REPO, O_CONFIG };
	static const struct option opts[] = {
		{ "check", no_argument, NULL, O_CHECK },
		{ "env", required_argument, NULL, O_ENV },
		{ "ecr-repository", required_argument, NULL, O_REPO },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_opts o = { .env_names = SVEC_INIT,
				.env_values = SVEC_INIT,
				.repos = SVEC_INIT };
	char dir[PATH_MAX];
	bool checking = false;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *eq;

		switch (opt) {
		case O_CHECK:
			checking = true;
			break;
		case O_ENV:
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return cli_usage_error(
					"deploy", "--env needs NAME=VALUE");
			svec_push_nodup(
				&o.env_names,
				xmemdupz(optarg, (size_t)(eq - optarg)));
			svec_push(&o.env_values, eq + 1);
			break;
		case O_REPO:
			svec_push(&o.repos, optarg);
			break;
		case O_CONFIG:
			o.config_file = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("deploy", "unknown option");
		}
	}
	if (!checking)
		return cli_usage_error("deploy",
				       "only --check is supported: deploys "
				       "run in `ferry run`");
	if (argc - optind > 1)
		return cli_usage_error("deploy", "too many arguments");
	if (!realpath(optind < argc ? argv[optind] : ".", dir)) {
		fprintf(stderr, "ferry: cannot open '%s': %s\n",
			optind < argc ? argv[optind] : ".",
			errno == ENOENT ? "no such directory"
					: "not accessible");
		return EXIT_ERRORED;
	}
	o.dir = dir;
	rc = check(&o);
	if (rc < 0)
		rc = cli_error(EXIT_ERRORED);
	svec_release(&o.env_names);
	svec_release(&o.env_values);
	svec_release(&o.repos);
	return rc;
}
