#ifndef FY_AWSIAM_H
#define FY_AWSIAM_H

#include "compat.h"

struct buf;

/*
 * awsiam: what IAM knows about the calls ferry makes: the resource ARNs
 * each action applies to and the policy statements that allow them.
 * The AWS client uses it to explain an AccessDenied; `ferry iam-policy`
 * and `ferry deploy --check` (issue 9) build on the same functions.
 *
 * ARNs take the partition from the region (aws.h); an unknown account
 * is written "*", which IAM accepts in a policy's Resource.  Every
 * function returns a string the caller frees.
 */

/* arn:<partition>:s3:::<bucket> */
char *awsiam_arn_s3_bucket(const char *region, const char *bucket);
/* arn:<partition>:s3:::<bucket>/<key>; key may end in "*" */
char *awsiam_arn_s3_object(const char *region, const char *bucket,
			   const char *key);
/*
 * arn:<partition>:codedeploy:<region>:<account>:<type>:<name>, with type
 * "application", "deploymentgroup" (name "app/group") or
 * "deploymentconfig"; account NULL is "*".
 */
char *awsiam_arn_codedeploy(const char *region, const char *account,
			    const char *type, const char *name);

/*
 * `arn` with its account field (the fifth) set to `account` when it is
 * "*" (S3 ARNs, whose account is empty, stay as they are) and `account` is a 12-digit id; a copy otherwise.
 */
char *awsiam_with_account(const char *arn, const char *account);
/*
 * The account id named in an AWS message or ARN ("User: arn:aws:iam::
 * 123456789012:user/ci is not authorized..."), copied into `out` (13
 * bytes); false when there is none.
 */
bool awsiam_account_from(const char *text, char out[13]);

/*
 * A policy statement allowing `action` on `resource`, as one line of
 * JSON: {"Effect":"Allow","Action":"s3:PutObject","Resource":"..."}.
 */
char *awsiam_statement(const char *action, const char *resource);
/* The same with several actions (NULL-terminated) on one resource. */
char *awsiam_statement_actions(const char *const *actions,
			       const char *resource);

#endif
