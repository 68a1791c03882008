#include "compat.h"

#include "iampolicy.h"
#include "json.h"
#include "buf.h"
#include "svec.h"
#include "unit.h"
#include "val.h"

static struct val *parse(const char *text)
{
	struct val *v = NULL;

	if (json_parse(&v, text, strlen(text), JSON_SECURE) < 0)
		return NULL;
	return v;
}

/* "Sid: action,action -> resource,resource" for each statement. */
static char *summary(const struct val *doc)
{
	const struct val *sts = val_map_get(doc, "Statement");
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sts->seq.n; i++) {
		const struct val *st = sts->seq.v[i];
		const char *keys[] = { "Action", "Resource" };

		buf_addf(&b, "%s:", val_strv(val_map_get(st, "Sid")));
		for (size_t k = 0; k < 2; k++) {
			const struct val *v = val_map_get(st, keys[k]);

			buf_addstr(&b, k ? " ->" : "");
			if (v->type == VAL_STR)
				buf_addf(&b, " %s", v->str.s);
			for (size_t j = 0; v->type == VAL_SEQ && j < v->seq.n;
			     j++)
				buf_addf(&b, " %s", val_strv(v->seq.v[j]));
		}
		buf_addch(&b, '\n');
	}
	return buf_detach(&b, NULL);
}

void test_iampolicy__s3_and_codedeploy(void)
{
	struct val *d = parse(
		"[{\"provider\":\"s3\",\"bucket\":\"site\",\"upload_dir\":"
		"\"/www/\",\"acl\":\"public_read\",\"overwrite\":false},"
		"{\"provider\":\"s3\",\"bucket\":\"docs\",\"index_document_"
		"suffix\":\"index.html\",\"skip_unchanged\":true},"
		"{\"provider\":\"codedeploy\",\"bucket\":\"b\",\"key\":"
		"\"app/v1/bundle.zip\",\"application\":\"shop\","
		"\"deployment_group\":\"prod\",\"region\":\"eu-west-1\"},"
		"{\"provider\":\"script\",\"script\":\"true\"}]");
	struct iampolicy_opts o = { .account = "123456789012",
				    .no_check = true };
	struct iampolicy p = IAMPOLICY_INIT;
	char *s;

	check(d);
	check_ok(iampolicy_build(&p, d, NULL, &o));
	s = summary(p.deploy_user);
	check_str(s,
		  "S3Upload: s3:PutObject -> arn:aws:s3:::docs/*\n"
		  "S3UploadWithAcl: s3:PutObject s3:PutObjectAcl -> "
		  "arn:aws:s3:::site/www/*\n"
		  "S3ReadBack: s3:GetObject -> arn:aws:s3:::site/www/*\n"
		  "S3List: s3:ListBucket -> arn:aws:s3:::site "
		  "arn:aws:s3:::docs\n"
		  "S3Website: s3:PutBucketWebsite -> arn:aws:s3:::docs\n"
		  "CodeDeployBundleRead: s3:GetObject -> "
		  "arn:aws:s3:::b/app/v1/bundle.zip\n"
		  "CodeDeployRevision: codedeploy:RegisterApplicationRevision "
		  "codedeploy:GetApplicationRevision -> arn:aws:codedeploy:"
		  "eu-west-1:123456789012:application:shop\n"
		  "CodeDeployDeployment: codedeploy:CreateDeployment -> "
		  "arn:aws:codedeploy:eu-west-1:123456789012:"
		  "deploymentgroup:shop/prod\n"
		  "CodeDeployConfig: codedeploy:GetDeploymentConfig -> "
		  "arn:aws:codedeploy:eu-west-1:123456789012:"
		  "deploymentconfig:CodeDeployDefault.OneAtATime\n");
	free(s);
	s = summary(p.instance_role);
	check_str(s, "BundleDownload: s3:GetObject s3:GetObjectVersion -> "
		     "arn:aws:s3:::b/app/v1/*\n");
	free(s);
	check(p.service_trust);
	check_str(p.service_managed_arn,
		  "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole");
	/* the script entry is a note */
	check_int(p.notes.n, ==, 1);
	check(strstr(p.notes.v[0], "provider 'script'"));
	iampolicy_release(&p);
	val_free(d);
}

void test_iampolicy__ecr_wait_and_check(void)
{
	struct val *d = parse("[{\"provider\":\"codedeploy\",\"bucket\":\"b\","
			      "\"key\":\"k.tgz\",\"bundle_dir\":\"deploy\","
			      "\"application\":\"a\",\"wait_until_deployed\":"
			      "\"true\"}]");
	struct val *cfg = parse(
		"{\"env\":{\"global\":[\"IMAGE=210987654321.dkr.ecr.ap-"
		"south-1.amazonaws.com/web/app:1.2\"]},\"before_deploy\":"
		"[\"docker push 210987654321.dkr.ecr.ap-south-1.amazonaws."
		"com/web/app@sha256:ab\", \"x 1.dkr.ecr.eu-west-1.amazonaws."
		"com/short\"]}");
	struct iampolicy_opts o = { .deployment_config = "Half" };
	struct iampolicy p = IAMPOLICY_INIT;
	char *s;

	check(d && cfg);
	check_ok(iampolicy_build(&p, d, cfg, &o));
	check_str(p.account, "210987654321");
	s = summary(p.deploy_user);
	check_str(
		s,
		"CodeDeployBundleUpload: s3:PutObject -> arn:aws:s3:::b/k.tgz\n"
		"CodeDeployBundleRead: s3:GetObject -> arn:aws:s3:::b/k.tgz\n"
		"CodeDeployRevision: codedeploy:RegisterApplicationRevision "
		"codedeploy:GetApplicationRevision -> arn:aws:codedeploy:"
		"us-east-1:210987654321:application:a\n"
		"CodeDeployDeployment: codedeploy:CreateDeployment "
		"codedeploy:GetDeployment codedeploy:ListDeploymentTargets "
		"codedeploy:BatchGetDeploymentTargets -> arn:aws:codedeploy:"
		"us-east-1:210987654321:deploymentgroup:a/*\n"
		"CodeDeployConfig: codedeploy:GetDeploymentConfig -> "
		"arn:aws:codedeploy:us-east-1:210987654321:deploymentconfig:"
		"Half\n"
		"EcrLogin: ecr:GetAuthorizationToken -> *\n"
		"EcrPush: ecr:BatchCheckLayerAvailability "
		"ecr:InitiateLayerUpload ecr:UploadLayerPart "
		"ecr:CompleteLayerUpload ecr:PutImage -> arn:aws:ecr:"
		"ap-south-1:210987654321:repository/web/app\n"
		"FerryDeployCheck: s3:ListBucket codedeploy:GetApplication "
		"codedeploy:GetDeploymentGroup ecr:DescribeRepositories -> "
		"arn:aws:s3:::b arn:aws:codedeploy:us-east-1:210987654321:"
		"application:a arn:aws:codedeploy:us-east-1:210987654321:"
		"deploymentgroup:a/* arn:aws:ecr:ap-south-1:210987654321:"
		"repository/web/app\n");
	free(s);
	s = summary(p.instance_role);
	check_str(s, "BundleDownload: s3:GetObject s3:GetObjectVersion -> "
		     "arn:aws:s3:::b/*\n"
		     "EcrLogin: ecr:GetAuthorizationToken -> *\n"
		     "EcrPull: ecr:BatchGetImage ecr:GetDownloadUrlForLayer "
		     "-> arn:aws:ecr:ap-south-1:210987654321:repository/"
		     "web/app\n");
	free(s);
	/* the statements name what --check finds missing */
	check_str(iampolicy_statement_for(p.deploy_user, "S3:listbucket",
					  "arn:aws:s3:::b"),
		  "FerryDeployCheck");
	check_str(iampolicy_statement_for(
			  p.deploy_user, "codedeploy:GetDeployment",
			  "arn:aws:codedeploy:us-east-1:210987654321:"
			  "deploymentgroup:a/prod"),
		  "CodeDeployDeployment");
	check(!iampolicy_statement_for(p.deploy_user, "s3:GetObject",
				       "arn:aws:s3:::b/other.tgz"));
	check(!iampolicy_statement_for(p.deploy_user, "ecr:PutImage",
				       "arn:aws:ecr:ap-south-1:210987654321:"
				       "repository/web"));
	iampolicy_release(&p);
	val_free(d);
	val_free(cfg);
}

void test_iampolicy__errors(void)
{
	static const struct {
		const char *deploys, *says;
	} cases[] = {
		{ "[{\"provider\":\"s3\"}]", "deploy[0] (s3): no 'bucket'" },
		{ "[{\"provider\":\"s3\",\"bucket\":{\"secure\":\"x\"}}]",
		  "'bucket' is a secure value" },
		{ "[{\"provider\":\"script\"},{\"provider\":\"codedeploy\","
		  "\"bucket\":\"b\"}]",
		  "deploy[1] (codedeploy): no 'application'" },
		{ "[{\"provider\":\"codedeploy\",\"application\":\"a\","
		  "\"bucket\":\"b\"}]",
		  "no 'key'" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *d = parse(cases[i].deploys);
		struct iampolicy_opts o = { 0 };
		struct iampolicy p = IAMPOLICY_INIT;

		check(d);
		check_int(iampolicy_build(&p, d, NULL, &o), ==, FY_EINVALID);
		check(strstr(err_msg(), cases[i].says));
		check(!p.deploy_user);
		val_free(d);
	}
}

void test_iampolicy__deploys(void)
{
	struct val *jobs =
		parse("[{\"deploy\":{\"provider\":\"s3\",\"bucket\":\"a\"}},"
		      "{\"deploy\":[{\"provider\":\"s3\",\"bucket\":\"a\"},"
		      "{\"provider\":\"s3\",\"bucket\":\"b\"}, \"junk\"]},{}]");
	struct val *d;

	check(jobs);
	d = iampolicy_deploys(jobs);
	check_int(d->seq.n, ==, 2);
	check_str(val_strv(val_map_get(d->seq.v[1], "bucket")), "b");
	val_free(d);
	val_free(jobs);
}

void test_iampolicy__find_ecr(void)
{
	struct val *cfg = parse(
		"[\"a 123456789012.dkr.ecr.us-west-2.amazonaws.com/x:1 "
		"123456789012.dkr.ecr.us-west-2.amazonaws.com/x\","
		"\"1234567890123.dkr.ecr.us-west-2.amazonaws.com/long\","
		"\"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/cn-repo\","
		"\"123456789012.dkr.ecr.us-west-2.amazonaws.com/\"]");
	struct svec names = SVEC_INIT;
	char account[13] = "", region[32] = "";

	check(cfg);
	iampolicy_find_ecr(cfg, &names, account, region);
	check_int(names.n, ==, 2);
	check_str(names.v[0], "x");
	check_str(names.v[1], "cn-repo");
	check_str(account, "123456789012");
	check_str(region, "us-west-2");
	svec_release(&names);
	val_free(cfg);
}
