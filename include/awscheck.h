#ifndef FY_AWSCHECK_H
#define FY_AWSCHECK_H

#include "compat.h"

struct deploy_ctx;
struct val;

/*
 * awscheck: `ferry deploy --check`, the permissions of a build's AWS
 * deploys tried without changing anything.  For each entry, with the
 * credentials, region and endpoints the provider would use
 * (awsdeploy.h), it makes only calls that read:
 *
 *  - s3: ListObjectsV2 of one key under the prefix (s3:ListBucket);
 *  - codedeploy: GetApplication, GetDeploymentGroup, GetDeploymentConfig
 *    of the group's configuration and GetApplicationRevision of the
 *    revision (both needed by CreateDeployment on AWS; a revision that
 *    is not registered yet counts as allowed), ListObjectsV2 and
 *    HeadObject of the bundle (s3:GetObject; a bundle that is not there
 *    yet is fine with bundle_dir);
 *  - ECR repositories: GetAuthorizationToken, DescribeRepositories and
 *    BatchCheckLayerAvailability of a layer no image has (a push
 *    permission that reads).
 *
 * Each call is a line "ok" or "missing": a refusal names the action,
 * the resource and the statement that would allow it, by its Sid in
 * `policy` (what `ferry iam-policy` prints for the same config) when it
 * has one, else as a statement of its own; a missing bucket,
 * application, group or repository is named too.  What cannot be tried
 * without a change (PutObject, CreateDeployment, RegisterApplication-
 * Revision, the ECR uploads) is listed as "not tried".  Lines go to
 * ctx->write.
 *
 * awscheck_entry() returns < 0 only when the check cannot run (bad
 * options, no credentials); the counts say what was found.
 */
struct awscheck {
	const struct val *policy; /* the deploy user's document, or NULL */
	unsigned ok, missing, not_tried;
	char account[13]; /* the caller's (STS GetCallerIdentity, which
			     needs no permission); "" until known */
};

int awscheck_entry(struct awscheck *c, struct deploy_ctx *ctx);

/*
 * The ECR repositories `names` (NULL-terminated) in `region`, with the
 * credentials and endpoint settings of ctx's entry (its `endpoint`
 * option is S3's or CodeDeploy's, so ECR's comes from the environment:
 * AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL).
 */
int awscheck_ecr(struct awscheck *c, struct deploy_ctx *ctx,
		 const char *const *names, const char *region);

#endif
