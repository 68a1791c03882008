#ifndef FY_ECR_H
#define FY_ECR_H

#include "compat.h"

#include <time.h>

struct aws_client;
struct buf;
struct val;

/*
 * ecr: logging in to an Amazon ECR registry (spec aws.md section 5), on
 * the AWS client (aws.h).  GetAuthorizationToken (JSON 1.1, signing name
 * "ecr") answers a Base64 token of "AWS:<password>", valid 12 hours, and
 * the registry's proxyEndpoint; docker keeps exactly that token as the
 * registry's "auth" in config.json, which is what `docker login` would
 * write.  ECR checks it on every registry request with HTTP Basic
 * authentication.
 *
 * Ownership: a struct ecr_auth owns its strings and wipes the secret
 * ones (password, token) in ecr_auth_release().
 */

struct ecr_auth {
	char *user;	/* "AWS" */
	char *password; /* secret */
	char *token;	/* secret: Base64 of user ":" password */
	char *endpoint; /* proxyEndpoint as answered: https://HOST */
	char *registry; /* the endpoint's host[:port], docker's key */
	time_t expires; /* 0: not said */
};
/* clang-format off */
#define ECR_AUTH_INIT { NULL, NULL, NULL, NULL, NULL, 0 }
/* clang-format on */
void ecr_auth_release(struct ecr_auth *a);

/*
 * GetAuthorizationToken for `registry_id` (an account id; NULL: the
 * caller's own registry).  An AccessDenied names ecr:GetAuthorizationToken,
 * which IAM grants only on "*".
 */
int ecr_get_authorization(struct aws_client *c, const char *registry_id,
			  struct ecr_auth *out);

/*
 * Read a GetAuthorizationToken answer (its first authorizationData):
 * the token must decode to "user:password" (split at the first ':');
 * expiresAt is epoch seconds; the proxyEndpoint must name a host[:port].
 * FY_EINVALID when anything is missing or malformed.
 */
int ecr_parse_authorization(const struct val *answer, struct ecr_auth *out);

/*
 * The registry host docker files credentials under: the endpoint without
 * its scheme and trailing slashes ("https://1234.dkr.ecr.eu-west-1.
 * amazonaws.com/" gives "1234.dkr.ecr.eu-west-1.amazonaws.com").
 */
char *ecr_registry_host(const char *endpoint);

/*
 * docker's configuration directory: `dir` when given, else
 * $DOCKER_CONFIG, else $HOME/.docker.  A new string.
 */
char *ecr_docker_config_dir(const char *dir);

/*
 * `json` (the text of an existing config.json; NULL or empty for none)
 * with auths[registry] set to {"auth": token}, every other setting kept,
 * written to `out` the way docker indents it (a tab).  FY_EINVALID when
 * the text is not a JSON object, or when docker would not read auths for
 * that registry: a credsStore, or a credHelpers entry for it, sends
 * docker to a credential helper instead (the message says which).
 */
int ecr_docker_config_merge(struct buf *out, const char *json, size_t len,
			    const char *registry, const char *token);

/*
 * Store the credentials in <dir>/config.json (see ecr_docker_config_dir;
 * the directory is made 0700, the file written 0600 through a temporary
 * file and a rename).  *path_out (may be NULL) gets the file's path.
 */
int ecr_docker_login(const char *dir, const struct ecr_auth *a,
		     char **path_out);

#endif
