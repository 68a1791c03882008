#ifndef FY_AWSCREDS_INT_H
#define FY_AWSCREDS_INT_H

/*
 * awscreds_int.h: private to deployers/awscreds*.c.  awscreds.c runs the
 * chain and keeps the refreshing cache; awscreds_files.c reads the shared
 * config and credentials files and dpl's options; awscreds_http.c fetches
 * from the container endpoint and IMDS; awscreds_sts.c asks STS
 * (AssumeRole, AssumeRoleWithWebIdentity).
 */

#include "compat.h"

#include "awscreds.h"
#include "buf.h"

#define CREDS_ANSWER_MAX (64u << 10)

struct chain {
	const struct awscreds_opts *o;
	struct awscreds_files files;
	bool files_loaded;
	struct buf looked; /* where we looked, for the final message */
};

void awscreds_note(const struct awscreds_opts *o, const char *fmt, ...)
	PRINTFLIKE(2, 3);

void awscreds_secret(const struct awscreds_opts *o, const char *s);

void awscreds_set_creds(struct aws_creds *out, const char *key,
			const char *secret_key, const char *token,
			const char *source);

void awscreds_set_dry(struct aws_creds *out, const char *source);

void awscreds_free_tree_secure(struct val *v);

const char *awscreds_section_get(const struct val *file, const char *profile,
				 const char *key);

bool awscreds_has_profile(const struct awscreds_files *f, const char *profile);

/* 1 when the container variables are set (and it worked), 0 when not. */
int awscreds_try_container(struct chain *ch, struct aws_creds *out);

int awscreds_imds_creds(struct chain *ch, struct aws_creds *out);

int awscreds_assume_role(struct chain *ch, struct aws_creds *out,
			 const struct aws_creds *src, const char *role_arn,
			 const char *session, const char *external_id,
			 unsigned duration);

/*
 * Web identity (botocore's AssumeRoleWithWebIdentityProvider): the token
 * file and role of AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and
 * AWS_ROLE_SESSION_NAME (when `use_env`), each else the profile's
 * web_identity_token_file, role_arn and role_session_name.  The file is
 * read at each call: the token may have been renewed since.  1 with
 * credentials, 0 when not configured.
 */
int awscreds_web_identity(struct chain *ch, struct aws_creds *out,
			  const char *profile, bool use_env);

#endif
