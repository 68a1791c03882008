#ifndef FY_IAMPOLICY_H
#define FY_IAMPOLICY_H

#include "compat.h"

#include "svec.h"

struct val;

/*
 * iampolicy: the least-privilege IAM policies of a build's AWS deploys,
 * from its `deploy:` entries (s3 and codedeploy, as ferry's providers
 * call AWS) and the ECR repositories its images go to.  Three
 * identities, as in the usual Travis + CodeDeploy set-up:
 *
 *  - the deploy user, whose keys the deploys use: S3 uploads to each
 *    bucket/prefix (s3:PutObjectAcl too when an entry sets an ACL other
 *    than private; s3:GetObject and s3:ListBucket for overwrite: false,
 *    s3:ListBucket for skip_unchanged, s3:PutBucketWebsite for
 *    index_document_suffix); the CodeDeploy bundle (s3:GetObject for
 *    HeadObject, s3:PutObject for bundle_dir); RegisterApplicationRevision
 *    and GetApplicationRevision on the application; CreateDeployment,
 *    GetDeployment, ListDeploymentTargets, BatchGetDeploymentTargets on
 *    the deployment group; GetDeploymentConfig on the deployment
 *    configuration (CreateDeployment needs those two Get permissions on
 *    AWS); ECR login and push; and, unless left out, the read-only calls
 *    of `ferry deploy --check` in one statement, FerryDeployCheck;
 *  - the instance role (the EC2 instance profile the CodeDeploy agent
 *    runs with): s3:GetObject and s3:GetObjectVersion under the bundle's
 *    prefix, ECR login and pull;
 *  - the CodeDeploy service role: a trust policy for
 *    codedeploy.amazonaws.com and AWS's managed policy AWSCodeDeployRole.
 *
 * Every statement has a Sid naming what it is for, so that `ferry deploy
 * --check` can say which statement is missing.  ARNs carry the region
 * (an entry's `region`, else the default) and the account (given, found
 * in an ECR registry host of the config, else "*").  Options that are
 * `secure:` or missing cannot be known: a required one is an error, an
 * optional one a note.
 *
 * Ownership: a struct iampolicy owns its documents and notes.
 */

struct iampolicy_opts {
	const char *account;		     /* 12 digits; NULL: found or "*" */
	const char *region;		     /* NULL: us-east-1 */
	const char *const *ecr_repositories; /* NULL-terminated, or NULL */
	const char *deployment_config; /* NULL: CodeDeployDefault.OneAtATime */
	bool no_check;		       /* leave FerryDeployCheck out */
};

struct iampolicy {
	struct val *deploy_user;   /* policy document */
	struct val *instance_role; /* policy document, or NULL: none needed */
	struct val *service_trust; /* trust policy, or NULL: no codedeploy */
	char *service_managed_arn; /* AWSCodeDeployRole's ARN, or NULL */
	char *account;		   /* as used in ARNs ("*" when unknown) */
	struct svec notes;	   /* what could not be known */
};
/* clang-format off */
#define IAMPOLICY_INIT { NULL, NULL, NULL, NULL, NULL, SVEC_INIT }
/* clang-format on */

/*
 * The policies for `deploys` (a sequence of deploy entries, maps) and
 * the ECR repositories of `o` and of `config` (any string of the config
 * naming ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME; may be NULL).
 * FY_EINVALID when an AWS entry lacks what its ARNs need (bucket,
 * application), naming the entry.
 */
int iampolicy_build(struct iampolicy *out, const struct val *deploys,
		    const struct val *config, const struct iampolicy_opts *o);
void iampolicy_release(struct iampolicy *p);

/*
 * {"deploy_user": {...}, "instance_role": {...} or null, "service_role":
 * {"trust_policy": {...}, "managed_policy_arns": [...]} or null,
 * "notes": [...]}.
 */
struct val *iampolicy_to_val(const struct iampolicy *p);

/*
 * The Sid of the statement of `policy` that allows `action` on
 * `resource` (IAM's wildcards in its Action and Resource), or NULL.
 */
const char *iampolicy_statement_for(const struct val *policy,
				    const char *action, const char *resource);

/*
 * The deploy entries of `jobs` (job configs, as matrix_expand() gives
 * them): each job's `deploy` (a map or a sequence of maps), every
 * distinct entry once, in order.  A new sequence.
 */
struct val *iampolicy_deploys(const struct val *jobs);

/*
 * ECR repositories named in `config`'s strings: each
 * "ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME[:tag|@digest]" adds NAME
 * (once) to `names`; the first account and region found go to `account`
 * (13 bytes) and `region` (32 bytes) when they are still empty.
 */
void iampolicy_find_ecr(const struct val *config, struct svec *names,
			char account[13], char region[32]);

#endif
