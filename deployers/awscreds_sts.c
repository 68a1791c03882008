/*
 * awscreds_sts.c: credentials from STS: AssumeRole and
 * AssumeRoleWithWebIdentity, and the XML answer they share.
 */
#include "compat.h"

#include <strings.h>
#include <time.h>

#include "aws.h"
#include "awsendpoint.h"
#include "awscreds.h"
#include "awscreds_int.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "http.h"
#include "xalloc.h"
#include "xml.h"

/* ---- STS AssumeRole ---- */

/* Wipe the texts of an answer that held secrets. */
static void wipe_xml(struct xml_node *x)
{
	if (!x)
		return;
	explicit_bzero(x->text, x->text_len);
	for (size_t i = 0; i < x->nr_kids; i++)
		wipe_xml(x->kids[i]);
}

/*
 * One STS call that answers credentials: AssumeRole signed with `src`,
 * or AssumeRoleWithWebIdentity unsigned (`src` NULL), as the SDKs send
 * it; at the STS endpoint of the environment (AWS_ENDPOINT_URL_STS...),
 * regional unless AWS_STS_REGIONAL_ENDPOINTS=legacy.
 */
static int sts_credentials(struct chain *ch, struct aws_creds *out,
			   const struct aws_creds *src, const char *action,
			   const char *form, const char *role_arn,
			   const char *source)
{
	const struct awscreds_opts *o = ch->o;
	const char *sts_mode = aws_getenv(o->env, "AWS_STS_REGIONAL_ENDPOINTS");
	struct aws_client_opts co = { 0 };
	struct aws_client *c = NULL;
	struct xml_node *x = NULL;
	const struct xml_node *cred;
	char path[64];
	int err;

	co.service = &aws_sts;
	co.region = o->region ? o->region : AWS_DEFAULT_REGION;
	co.endpoint = aws_config_endpoint(o->env, &aws_sts, NULL);
	co.use_global = sts_mode && !strcasecmp(sts_mode, "legacy");
	co.creds = src;
	co.anonymous = !src;
	co.dry_run = o->dry_run;
	co.log = o->log;
	co.log_payload = o->log_payload;
	co.env = o->env;
	err = aws_client_new(&c, &co);
	if (!err)
		err = aws_query_call(c, action, form, &x, role_arn);
	if (err < 0)
		goto out;
	if (o->dry_run) {
		awscreds_set_dry(out, source);
		goto out;
	}
	snprintf(path, sizeof(path), "%sResult/Credentials", action);
	cred = xml_path(x, path);
	if (!xml_child_text(cred, "AccessKeyId") ||
	    !xml_child_text(cred, "SecretAccessKey")) {
		err = err_set(FY_EFAIL, "%s: no credentials in the answer",
			      action);
		goto out;
	}
	awscreds_set_creds(out, xml_child_text(cred, "AccessKeyId"),
			   xml_child_text(cred, "SecretAccessKey"),
			   xml_child_text(cred, "SessionToken"), source);
	out->expiration = aws_parse_time(xml_child_text(cred, "Expiration"));
out:
	wipe_xml(x);
	xml_free(x);
	aws_client_free(c);
	return err;
}

static const char *session_name(const char *session, char name[64])
{
	if (session)
		return session;
	snprintf(name, 64, "ferry-%lld", (long long)time(NULL));
	return name;
}

int awscreds_assume_role(struct chain *ch, struct aws_creds *out,
			 const struct aws_creds *src, const char *role_arn,
			 const char *session, const char *external_id,
			 unsigned duration)
{
	struct buf form = BUF_INIT;
	char dur[16], name[64];
	char *source;
	int err;

	snprintf(dur, sizeof(dur), "%u", duration ? duration : 3600);
	aws_form_add(&form, "RoleArn", role_arn);
	aws_form_add(&form, "RoleSessionName", session_name(session, name));
	aws_form_add(&form, "DurationSeconds", dur);
	if (external_id)
		aws_form_add(&form, "ExternalId", external_id);
	source = xasprintf("role '%s' assumed with %s", role_arn, src->source);
	err = sts_credentials(ch, out, src, "AssumeRole", form.ptr, role_arn,
			      source);
	buf_release(&form);
	free(source);
	return err;
}

/*
 * Web identity (botocore's AssumeRoleWithWebIdentityProvider): the token
 * file and role of AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and
 * AWS_ROLE_SESSION_NAME (when `use_env`), each else the profile's
 * web_identity_token_file, role_arn and role_session_name.  The file is
 * read at each call: the token may have been renewed since.  1 with
 * credentials, 0 when not configured.
 */
int awscreds_web_identity(struct chain *ch, struct aws_creds *out,
			  const char *profile, bool use_env)
{
	const struct awscreds_opts *o = ch->o;
	const struct awscreds_files *f = &ch->files;
	const char *file =
		use_env ? aws_getenv(o->env, "AWS_WEB_IDENTITY_TOKEN_FILE")
			: NULL;
	const char *role = use_env ? aws_getenv(o->env, "AWS_ROLE_ARN") : NULL;
	const char *session =
		use_env ? aws_getenv(o->env, "AWS_ROLE_SESSION_NAME") : NULL;
	struct buf token = BUF_INIT, form = BUF_INIT;
	char name[64];
	char *source = NULL;
	int err;

	if (!file)
		file = awscreds_files_get(f, profile,
					  "web_identity_token_file");
	if (!file)
		return 0;
	if (!role)
		role = awscreds_files_get(f, profile, "role_arn");
	if (!session)
		session = awscreds_files_get(f, profile, "role_session_name");
	if (!role)
		return err_set(FY_EINVALID,
			       "web identity token file '%s' but no role: set "
			       "AWS_ROLE_ARN or role_arn in profile '%s'",
			       file, profile);
	buf_set_limit(&token, CREDS_ANSWER_MAX);
	err = fs_read_file(&token, file);
	if (err < 0) {
		err = err_wrap(err, "web identity token file");
		goto out;
	}
	buf_rtrim(&token);
	if (!token.len) {
		err = err_set(FY_EAUTH, "web identity token file '%s' is empty",
			      file);
		goto out;
	}
	awscreds_secret(o, token.ptr);
	aws_form_add(&form, "RoleArn", role);
	aws_form_add(&form, "RoleSessionName", session_name(session, name));
	/* a dry run prints the request: not the token */
	aws_form_add(&form, "WebIdentityToken",
		     o->dry_run ? "[hidden]" : token.ptr);
	source = xasprintf("role '%s' assumed with the web identity token "
			   "'%s'",
			   role, file);
	err = sts_credentials(ch, out, NULL, "AssumeRoleWithWebIdentity",
			      form.ptr, role, source);
	if (err < 0)
		err_wrap(err, "web identity for role '%s'", role);
out:
	buf_release_secure(&token);
	buf_release_secure(&form);
	free(source);
	return err < 0 ? err : 1;
}
