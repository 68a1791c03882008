#ifndef FY_AWSCREDS_H
#define FY_AWSCREDS_H

#include "compat.h"

#include "aws.h"

struct svec;
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
 *     "default") of the shared files (AWS_SHARED_CREDENTIALS_FILE,
 *     default ~/.aws/credentials; AWS_CONFIG_FILE, default ~/.aws/config,
 *     sections "[profile NAME]" and "[default]"), in botocore's order:
 *     a. when it has role_arn (and no web_identity_token_file), STS
 *        AssumeRole from its source_profile or credential_source
 *        (Environment, Ec2InstanceMetadata, EcsContainer);
 *     b. web identity: STS AssumeRoleWithWebIdentity, unsigned, with the
 *        token read from AWS_WEB_IDENTITY_TOKEN_FILE for AWS_ROLE_ARN
 *        (AWS_ROLE_SESSION_NAME), each else the profile's
 *        web_identity_token_file, role_arn (role_session_name); the
 *        environment's are skipped when the `profile` option is set;
 *     c. its keys in the credentials file;
 *     d. its credential_process: the command run without a shell
 *        (awscreds_process_run), only from files that ferry's own
 *        environment names, not a job's AWS_CONFIG_FILE;
 *     e. its keys in the config file.
 *     IAM Identity Center (SSO) is not supported: a profile with only
 *     sso_* settings is an error.  A source_profile is resolved the same
 *     way (without the environment's web identity);
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
 * is sent and no credential_process runs: static credentials are used
 * as found, and the other sources are announced and stand-in
 * credentials used instead.  Temporary credentials (with an expiration)
 * are refreshed when they are kept in a cache: awscreds_resolve_cache().
 *
 * Errors: FY_EAUTH when nothing provides credentials (the message says
 * where ferry looked), FY_EINVALID for half a key pair or a bad profile,
 * the AWS or HTTP error of a failed AssumeRole(WithWebIdentity) or
 * metadata fetch, the error of a credential_process.
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

/*
 * awscreds_resolve() into a credentials cache for the clients (aws.h):
 * credentials that expire are found again, by the same chain with the
 * same options, shortly before they do (AWS_CREDS_REFRESH_MARGIN).  The
 * refreshes may run in any thread that asks the cache: o->env, the
 * callbacks and their payloads must outlive the cache and be safe to
 * call from several threads; refreshes are noted through o->log.  The
 * strings of `o` are copied.
 */
int awscreds_resolve_cache(struct aws_credcache **out,
			   const struct awscreds_opts *o);

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

/*
 * credential_process (awscreds_process.c), as the AWS CLI runs it.
 *
 * awscreds_process_split: the command line split into words as the AWS
 * CLI splits it (Python's shlex.split, POSIX mode): blanks separate
 * words; '...' keeps everything literally; "..." too, except that \"
 * and \\ are escapes in it; outside quotes a backslash takes the next
 * character literally; quoted parts join the word around them ("" is an
 * empty word); '#' is an ordinary character.  FY_EINVALID for an open
 * quote or a backslash at the end.  The words are appended to `out`.
 *
 * awscreds_process_parse: the command's output, JSON with Version 1
 * (a number), AccessKeyId, SecretAccessKey, optional SessionToken and
 * Expiration (ISO 8601; none: the credentials do not expire).
 * FY_EAUTH with a message naming the profile and what is wrong; the
 * message never quotes the output (it holds secrets).
 *
 * awscreds_process_run: split `command`, find the program ('/' in it:
 * as given, else in ferry's PATH) and run it without a shell, with
 * ferry's environment, stdin /dev/null, in its own process group; read
 * stdout (at most 64 KiB: FY_ETOOBIG) and stderr (4 KiB kept); kill the
 * group after `timeout_ms` (FY_ETIMEOUT); a non-zero exit or a signal is
 * FY_EAUTH with the end of stderr; else parse stdout.
 */
int awscreds_process_split(struct svec *out, const char *cmd);
int awscreds_process_parse(struct aws_creds *out, const char *text, size_t len,
			   const char *profile);
int awscreds_process_run(struct aws_creds *out, const char *command,
			 const char *profile, long timeout_ms);

#endif
