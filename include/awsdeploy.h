#ifndef FY_AWSDEPLOY_H
#define FY_AWSDEPLOY_H

#include "compat.h"

#include <pthread.h>

#include "aws.h"
#include "awscreds.h"

struct deploy_ctx;

/*
 * awsdeploy: what the AWS deploy providers (s3, codedeploy, and later
 * ecr and `ferry deploy --check`) share: dpl's option sources (the
 * entry, the provider's environment prefixes, the profile's settings),
 * the credential chain with dpl's login line, the region, each
 * service's endpoint, and a job-log writer that several upload threads
 * may call at once.
 *
 *  1. awsdeploy_init() with the deploy context and the env prefixes
 *     ({"S3", "AWS", NULL} for s3: S3_ wins over AWS_);
 *  2. awsdeploy_login(): credentials, "Using Access Key: ac*****...",
 *     kept in a cache that refreshes temporary ones for every client
 *     and thread that signs with them (awscreds_resolve_cache);
 *  3. awsdeploy_client_opts() per service, then aws_client_new();
 *  4. awsdeploy_release().
 *
 * The options read here, for every AWS provider: access_key_id,
 * secret_access_key, session_token, profile, role_arn,
 * role_session_name, external_id, region, endpoint, max_attempts, and
 * dry_run (besides ctx->dry_run).
 */
struct awsdeploy {
	struct deploy_ctx *ctx;
	struct aws_env env;
	struct awscreds_files files;
	struct awscreds_optsrc src;
	const char *profile;
	const char *region;
	struct aws_credcache *creds; /* after login: every client's */
	bool dry_run;
	int max_attempts;
	pthread_mutex_t out_lock;
};

int awsdeploy_init(struct awsdeploy *d, struct deploy_ctx *ctx,
		   const char *const *prefixes);
void awsdeploy_release(struct awsdeploy *d);

/* Find the credentials and print dpl's login line. */
int awsdeploy_login(struct awsdeploy *d);

/*
 * Client options for `svc`: the region, the endpoint (the `endpoint`
 * option when `use_endpoint`, else the environment's), the credentials,
 * dry run and the log writer.
 */
void awsdeploy_client_opts(struct awsdeploy *d, const struct aws_service *svc,
			   bool use_endpoint, struct aws_client_opts *o);

/* An option (see awscreds_option), and as a boolean. */
const char *awsdeploy_opt(const struct awsdeploy *d, const char *name);
bool awsdeploy_opt_bool(const struct awsdeploy *d, const char *name, bool dflt);

/* printf to the job log, whole, whatever thread calls it. */
void awsdeploy_printf(struct awsdeploy *d, const char *fmt, ...)
	PRINTFLIKE(2, 3);
/* An aws_log_fn: the line and a newline, through awsdeploy_printf. */
void awsdeploy_log(void *payload, const char *line);

#endif
