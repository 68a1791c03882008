#ifndef FY_AWSCREDS_H
#define FY_AWSCREDS_H

#include "compat.h"

#include "aws.h"

struct val;

/*
 * awscreds: AWS credentials, found where the AWS tools look for them
 * (botocore's order, spec aws.md section 6):
 *
 *  1. the deploy options access_key_id / secret_access_key (and
 *     session_token), which may have been `secure:` values;
 *  2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *     (AWS_SECURITY_TOKEN), skipped when a profile is named explicitly
 *     with the `profile` option;
 *  3. the profile (option `profile`, AWS_PROFILE, AWS_DEFAULT_PROFILE,
 *     "default") of the shared files: when it has role_arn, STS
 *     AssumeRole from its source_profile or credential_source
 *     (Environment, Ec2InstanceMetadata, EcsContainer); else its keys in
 *     the credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 *     ~/.aws/credentials), then in the config file (AWS_CONFIG_FILE,
 *     default ~/.aws/config, sections "[profile NAME]" and "[default]");
 *  4. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
 *     169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or
 *     http to a loopback or the ECS/EKS agent addresses), with the token
 *     of AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE);
 *  5. EC2 instance metadata, IMDSv2 (a PUT for a session token, then the
 *     role's credentials), IMDSv1 when the token PUT is refused with
 *     403/404/405; AWS_EC2_METADATA_DISABLED=true turns it off,
 *     AWS_EC2_METADATA_SERVICE_ENDPOINT moves it (tests),
 *     AWS_METADATA_SERVICE_TIMEOUT (seconds, default 1) and
 *     AWS_METADATA_SERVICE_NUM_ATTEMPTS (default 1) bound it.
 * Then, when the `role_arn` option is set, the credentials found assume
 * that role with STS AssumeRole.
 *
 * Environment variables are read through struct aws_env (the job's
 * variables, then ferry's own); the home directory is ferry's own.
 * Every secret found (access key id, secret key, session token) goes to
 * add_secret before anything could print it.  In a dry run no request
 * is sent: static credentials are used as found, and the network
 * sources are announced and stand-in credentials used instead.
 *
 * Errors: FY_EAUTH when nothing provides credentials (the message says
 * where ferry looked), FY_EINVALID for half a key pair or a bad profile,
 * the AWS or HTTP error of a failed AssumeRole or metadata fetch.
 */

struct awscreds_opts {
	const struct aws_env *env;
	/* Deploy options (may be NULL). */
	const char *access_key_id, *secret_access_key, *session_token;
	const char *profile;	       /* option `profile` */
	const char *role_arn;	       /* option `role_arn` */
	const char *role_session_name; /* NULL: "ferry-<time>" */
	const char *external_id;
	unsigned duration_seconds; /* 0: 3600 */
	const char *region;	   /* for STS */
	bool dry_run;
	aws_log_fn log; /* dry-run lines, notes */
	void *log_payload;
	void (*add_secret)(void *payload, const char *secret);
	void *secret_payload;
};

int awscreds_resolve(struct aws_creds *out, const struct awscreds_opts *o);

/* The profile to use: `option`, AWS_PROFILE, AWS_DEFAULT_PROFILE, "default". */
const char *awscreds_profile_name(const struct aws_env *env,
				  const char *option);

/*
 * The shared credentials and config files, parsed: each a map from the
 * profile name (config's "profile " prefix removed) to a map of its
 * settings.  Missing files are empty; nested settings are skipped.
 */
struct awscreds_files {
	struct val *credentials, *config;
	char *credentials_path, *config_path;
};
/* clang-format off */
#define AWSCREDS_FILES_INIT { NULL, NULL, NULL, NULL }
/* clang-format on */

int awscreds_files_load(struct awscreds_files *f, const struct aws_env *env);
void awscreds_files_release(struct awscreds_files *f);
/* A profile's setting: the credentials file first, then the config. */
const char *awscreds_files_get(const struct awscreds_files *f,
			       const char *profile, const char *key);

/*
 * Parse INI text into a map of sections (see awscreds_files); `config`
 * strips the "profile " prefix of section names.  FY_EINVALID with the
 * line for a malformed line.
 */
int awscreds_ini_parse(struct val **out, const char *text, size_t len,
		       bool config);

/*
 * dpl's option sources for the AWS providers: the deploy entry, then
 * environment variables named with each prefix ("S3_BUCKET" then
 * "AWS_BUCKET" for prefixes {"S3", "AWS"}), then, when `files` is set,
 * the profile's settings in the shared files (with or without their
 * "aws_" prefix: aws_access_key_id is access_key_id).  A sequence in the
 * entry gives its first item.  NULL when no source has the option.
 */
struct awscreds_optsrc {
	const struct val *opts;
	const struct aws_env *env;
	const char *const *prefixes; /* NULL-terminated */
	const struct awscreds_files *files;
	const char *profile;
};

const char *awscreds_option(const struct awscreds_optsrc *s, const char *name);
/* The same as a boolean: true/yes/1, false/no/0; `dflt` otherwise. */
bool awscreds_option_bool(const struct awscreds_optsrc *s, const char *name,
			  bool dflt);

/* Parse the JSON of container or instance credentials into `out`. */
int awscreds_parse_json(struct aws_creds *out, const char *text, size_t len,
			const char *source);

#endif
