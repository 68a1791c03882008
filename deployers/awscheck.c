/* awscheck.c: a deploy's permissions, tried without a change (awscheck.h). */
#include "compat.h"

#include <strings.h>

#include "aws.h"
#include "awscheck.h"
#include "awsdeploy.h"
#include "awsiam.h"
#include "awss3.h"
#include "buf.h"
#include "deployer.h"
#include "error.h"
#include "iampolicy.h"
#include "val.h"
#include "xalloc.h"
#include "xml.h"

#define DEFAULT_CONFIG "CodeDeployDefault.OneAtATime"

static const char *const s3_prefixes[] = { "S3", "AWS", NULL };
static const char *const cd_prefixes[] = { "CODEDEPLOY", "AWS", NULL };

struct probe {
	struct awscheck *c;
	struct awsdeploy *d;
};

/* The account in ARNs: the caller's, or "*" when STS would not say. */
static const char *account(struct probe *p)
{
	struct aws_client_opts o;
	struct aws_client *sts = NULL;
	struct xml_node *x = NULL;
	const char *a;

	if (*p->c->account)
		return p->c->account;
	awsdeploy_client_opts(p->d, &aws_sts, false, &o);
	o.log = NULL;
	if (!aws_client_new(&sts, &o) &&
	    !aws_query_call(sts, "GetCallerIdentity", "", &x, "*")) {
		a = xml_path_text(x, "GetCallerIdentityResult/Account");
		if (a && strlen(a) == 12)
			memcpy(p->c->account, a, 13);
	}
	xml_free(x);
	aws_client_free(sts);
	return *p->c->account ? p->c->account : "*";
}

static void line_ok(struct probe *p, const char *action, const char *res)
{
	p->c->ok++;
	awsdeploy_printf(p->d, "  ok         %s on %s\n", action, res);
}

static void line_not_tried(struct probe *p, const char *action, const char *res)
{
	p->c->not_tried++;
	awsdeploy_printf(p->d, "  not tried  %s on %s (it would change it)\n",
			 action, res);
}

/* A refusal or a missing resource, with what would fix it. */
static void line_missing(struct probe *p, const char *action, const char *res,
			 bool denied, const char *msg)
{
	const char *sid = p->c->policy ? iampolicy_statement_for(p->c->policy,
								 action, res)
				       : NULL;

	p->c->missing++;
	awsdeploy_printf(p->d, "  missing    %s on %s\n", action, res);
	if (denied && sid)
		awsdeploy_printf(p->d,
				 "             allowed by the statement \"%s\" "
				 "of `ferry iam-policy`\n",
				 sid);
	awsdeploy_printf(p->d, "             %s\n", msg);
}

/* The outcome of a call made to try `action`; `fine` is an error that
 * still shows the call was allowed (a missing revision...). */
static void judge(struct probe *p, int err, const char *action, const char *res,
		  const char *fine)
{
	const char *msg = err_msg();

	if (!err || (fine && strstr(msg, fine))) {
		line_ok(p, action, res);
		return;
	}
	line_missing(p, action, res,
		     err == FY_EAUTH && strstr(msg, "AccessDenied"), msg);
}

/* ListObjectsV2 of one key under `prefix`: s3:ListBucket. */
static void try_list(struct probe *p, struct aws_client *s3, const char *bucket,
		     const char *prefix)
{
	struct aws_request r = AWS_REQUEST_INIT;
	struct aws_response resp = AWS_RESPONSE_INIT;
	char *res = awsiam_arn_s3_bucket(aws_client_region(s3), bucket);
	int err;

	r.op = "ListObjectsV2";
	r.method = "GET";
	r.bucket = bucket;
	aws_request_param(&r, "list-type", "2");
	if (prefix && *prefix)
		aws_request_param(&r, "prefix", prefix);
	aws_request_param(&r, "max-keys", "1");
	r.iam_action = "s3:ListBucket";
	r.iam_resource = res;
	err = aws_send(s3, &r, &resp);
	judge(p, err, "s3:ListBucket", res, NULL);
	aws_request_release(&r);
	aws_response_release(&resp);
	free(res);
}

/* "/a/b/" -> "a/b/" (a key prefix), or "" */
static char *key_prefix(const char *dir)
{
	struct buf b = BUF_INIT;

	while (dir && *dir == '/')
		dir++;
	if (dir && *dir) {
		buf_addstr(&b, dir);
		while (b.len && b.ptr[b.len - 1] == '/')
			buf_setlen(&b, b.len - 1);
		buf_addch(&b, '/');
	}
	return buf_detach(&b, NULL);
}

static int new_client(struct awsdeploy *d, const struct aws_service *svc,
		      bool use_endpoint, struct aws_client **out)
{
	struct aws_client_opts o;

	awsdeploy_client_opts(d, svc, use_endpoint, &o);
	o.force_path_style = awsdeploy_opt_bool(d, "force_path_style", false);
	return aws_client_new(out, &o);
}

static int check_s3(struct probe *p)
{
	struct awsdeploy *d = p->d;
	const char *bucket = awsdeploy_opt(d, "bucket");
	const char *acl = awsdeploy_opt(d, "acl");
	struct aws_client *s3 = NULL;
	char *prefix, *res;
	int err;

	if (!bucket)
		return err_set(FY_EINVALID, "s3: missing required option "
					    "'bucket'");
	err = new_client(d, &aws_s3, true, &s3);
	if (err < 0)
		return err;
	prefix = key_prefix(awsdeploy_opt(d, "upload_dir"));
	awsdeploy_printf(d, "s3: s3://%s/%s\n", bucket, prefix);
	try_list(p, s3, bucket, prefix);
	res = xasprintf("%s*", prefix);
	{
		char *arn = awsiam_arn_s3_object(d->region, bucket, res);

		line_not_tried(p,
			       acl && strcmp(acl, "private")
				       ? "s3:PutObject and s3:PutObjectAcl"
				       : "s3:PutObject",
			       arn);
		free(arn);
	}
	free(res);
	free(prefix);
	aws_client_free(s3);
	return 0;
}

/* ---- codedeploy ---- */

struct cdcheck {
	struct probe *p;
	struct aws_client *cd, *s3;
	const char *app, *group, *bucket, *key, *bundle_type;
	char *config;
};

static char *cd_arn(struct cdcheck *k, const char *type, const char *name)
{
	return awsiam_arn_codedeploy(k->p->d->region, account(k->p), type,
				     name);
}

static void cd_call(struct cdcheck *k, const char *op, struct val *in,
		    const char *action, const char *res, const char *fine,
		    struct val **out)
{
	int err = aws_json_call(k->cd, op, in, out, res);

	judge(k->p, err, action, res, fine);
	val_free(in);
}

static void cd_app_and_group(struct cdcheck *k)
{
	struct val *in = val_map(), *out = NULL;
	char *app = cd_arn(k, "application", k->app), *name, *grp;
	const char *cfg;

	val_map_set(in, "applicationName", val_str(k->app));
	cd_call(k, "GetApplication", in, "codedeploy:GetApplication", app, NULL,
		&out);
	val_free(out);
	out = NULL;
	free(app);
	if (!k->group)
		return;
	name = xasprintf("%s/%s", k->app, k->group);
	grp = cd_arn(k, "deploymentgroup", name);
	in = val_map();
	val_map_set(in, "applicationName", val_str(k->app));
	val_map_set(in, "deploymentGroupName", val_str(k->group));
	cd_call(k, "GetDeploymentGroup", in, "codedeploy:GetDeploymentGroup",
		grp, NULL, &out);
	cfg = val_strv(val_map_get(val_map_get(out, "deploymentGroupInfo"),
				   "deploymentConfigName"));
	if (cfg)
		k->config = xstrdup(cfg);
	val_free(out);
	free(name);
	free(grp);
}

static struct val *s3_revision(struct cdcheck *k)
{
	struct val *rev = val_map(), *loc = val_map();

	val_map_set(loc, "bucket", val_str(k->bucket));
	val_map_set(loc, "key", val_str(k->key));
	val_map_set(loc, "bundleType", val_str(k->bundle_type));
	val_map_set(rev, "revisionType", val_str("S3"));
	val_map_set(rev, "s3Location", loc);
	return rev;
}

static void cd_config_and_revision(struct cdcheck *k)
{
	const char *config = k->config ? k->config : DEFAULT_CONFIG;
	char *cfg = cd_arn(k, "deploymentconfig", config);
	char *app = cd_arn(k, "application", k->app);
	struct val *in = val_map(), *out = NULL;

	val_map_set(in, "deploymentConfigName", val_str(config));
	cd_call(k, "GetDeploymentConfig", in, "codedeploy:GetDeploymentConfig",
		cfg, NULL, &out);
	val_free(out);
	out = NULL;
	if (k->bucket && k->key) {
		in = val_map();
		val_map_set(in, "applicationName", val_str(k->app));
		val_map_set(in, "revision", s3_revision(k));
		cd_call(k, "GetApplicationRevision", in,
			"codedeploy:GetApplicationRevision", app,
			"RevisionDoesNotExist", &out);
		val_free(out);
	}
	free(cfg);
	free(app);
}

static void cd_bundle(struct cdcheck *k)
{
	struct probe *p = k->p;
	const char *slash = strrchr(k->key, '/');
	char *dir = slash ? xmemdupz(k->key, (size_t)(slash - k->key + 1))
			  : xstrdup("");
	char *obj = awsiam_arn_s3_object(p->d->region, k->bucket, k->key);
	struct awss3_head h;
	int err;

	try_list(p, k->s3, k->bucket, dir);
	err = awss3_head_object(k->s3, k->bucket, k->key, &h);
	free(h.content_type);
	if (!err && !h.exists && !awsdeploy_opt(p->d, "bundle_dir"))
		line_missing(p, "s3:GetObject", obj, false,
			     "the bundle is not in the bucket (and no "
			     "bundle_dir makes it)");
	else
		judge(p, err, "s3:GetObject", obj, NULL);
	if (awsdeploy_opt(p->d, "bundle_dir"))
		line_not_tried(p, "s3:PutObject", obj);
	free(obj);
	free(dir);
}

static int check_codedeploy(struct probe *p)
{
	struct awsdeploy *d = p->d;
	struct cdcheck k = { .p = p };
	const char *rt = awsdeploy_opt(d, "revision_type");
	const char *dot;
	char *name = NULL, *grp = NULL, *app = NULL;
	int err;

	k.app = awsdeploy_opt(d, "application");
	if (!k.app)
		k.app = awsdeploy_opt(d, "application_name");
	if (!k.app)
		return err_set(FY_EINVALID, "codedeploy: missing required "
					    "option 'application'");
	k.group = awsdeploy_opt(d, "deployment_group");
	if (!k.group)
		k.group = awsdeploy_opt(d, "deployment_group_name");
	if (rt ? !strcasecmp(rt, "s3") : awsdeploy_opt(d, "bucket") != NULL) {
		k.bucket = awsdeploy_opt(d, "bucket");
		k.key = awsdeploy_opt(d, "key");
	}
	k.bundle_type = awsdeploy_opt(d, "bundle_type");
	dot = k.key ? strrchr(k.key, '.') : NULL;
	if (!k.bundle_type)
		k.bundle_type = dot ? dot + 1 : "zip";
	err = new_client(d, &aws_codedeploy, true, &k.cd);
	if (!err)
		err = new_client(d, &aws_s3, true, &k.s3);
	if (err < 0)
		goto out;
	awsdeploy_printf(d, "codedeploy: application %s, deployment group %s\n",
			 k.app, k.group ? k.group : "(none)");
	cd_app_and_group(&k);
	cd_config_and_revision(&k);
	if (k.bucket && k.key)
		cd_bundle(&k);
	app = cd_arn(&k, "application", k.app);
	name = xasprintf("%s/%s", k.app, k.group ? k.group : "*");
	grp = cd_arn(&k, "deploymentgroup", name);
	line_not_tried(p, "codedeploy:RegisterApplicationRevision", app);
	line_not_tried(p, "codedeploy:CreateDeployment", grp);
out:
	aws_client_free(k.cd);
	aws_client_free(k.s3);
	free(k.config);
	free(name);
	free(grp);
	free(app);
	return err;
}

int awscheck_entry(struct awscheck *c, struct deploy_ctx *ctx)
{
	const char *provider = val_text(val_map_get(ctx->opts, "provider"));
	bool is_s3 = provider && !strcmp(provider, "s3");
	struct awsdeploy d;
	struct probe p = { c, &d };
	int err;

	if (!is_s3 && (!provider || strcmp(provider, "codedeploy")))
		return 0;
	err = awsdeploy_init(&d, ctx, is_s3 ? s3_prefixes : cd_prefixes);
	if (!err)
		err = awsdeploy_login(&d);
	if (!err)
		err = is_s3 ? check_s3(&p) : check_codedeploy(&p);
	awsdeploy_release(&d);
	return err;
}

/* ---- ECR ---- */

static void ecr_repo(struct probe *p, struct aws_client *ecr,
		     const char *region, const char *name)
{
	static const char zero_layer[] =
		"sha256:0000000000000000000000000000000000000000000000000000"
		"000000000000";
	char *arn = xasprintf("arn:aws:ecr:%s:%s:repository/%s", region,
			      account(p), name);
	struct val *in = val_map(), *out = NULL, *names = val_seq(), *layers;
	int err;

	val_seq_push(names, val_str(name));
	val_map_set(in, "repositoryNames", names);
	err = aws_json_call(ecr, "DescribeRepositories", in, &out, arn);
	judge(p, err, "ecr:DescribeRepositories", arn, NULL);
	val_free(in);
	val_free(out);
	out = NULL;
	in = val_map();
	layers = val_seq();
	val_seq_push(layers, val_str(zero_layer));
	val_map_set(in, "repositoryName", val_str(name));
	val_map_set(in, "layerDigests", layers);
	err = aws_json_call(ecr, "BatchCheckLayerAvailability", in, &out, arn);
	judge(p, err, "ecr:BatchCheckLayerAvailability", arn, NULL);
	line_not_tried(p,
		       "ecr:InitiateLayerUpload, ecr:UploadLayerPart, "
		       "ecr:CompleteLayerUpload and ecr:PutImage",
		       arn);
	val_free(in);
	val_free(out);
	free(arn);
}

int awscheck_ecr(struct awscheck *c, struct deploy_ctx *ctx,
		 const char *const *names, const char *region)
{
	const char *provider = val_text(val_map_get(ctx->opts, "provider"));
	bool is_s3 = provider && !strcmp(provider, "s3");
	struct awsdeploy d;
	struct probe p = { c, &d };
	struct aws_client_opts o;
	struct aws_client *ecr = NULL;
	struct val *out = NULL;
	int err;

	err = awsdeploy_init(&d, ctx, is_s3 ? s3_prefixes : cd_prefixes);
	if (!err)
		err = awsdeploy_login(&d);
	if (err < 0)
		goto out;
	awsdeploy_client_opts(&d, &aws_ecr, false, &o);
	if (region)
		o.region = region;
	err = aws_client_new(&ecr, &o);
	if (err < 0)
		goto out;
	awsdeploy_printf(&d, "ecr: %s\n", o.region);
	err = aws_json_call(ecr, "GetAuthorizationToken", NULL, &out, "*");
	judge(&p, err, "ecr:GetAuthorizationToken", "*", NULL);
	err = 0;
	for (size_t i = 0; names && names[i]; i++)
		ecr_repo(&p, ecr, o.region, names[i]);
out:
	val_free(out);
	aws_client_free(ecr);
	awsdeploy_release(&d);
	return err;
}
