/* awsdeploy.c: the shared part of the AWS providers (see awsdeploy.h). */
#include "compat.h"

#include "aws.h"
#include "awsendpoint.h"
#include "awscreds.h"
#include "awsdeploy.h"
#include "buf.h"
#include "deployer.h"
#include "error.h"
#include "val.h"

/*
 * Secrets, under the lock of the log: a refresh in an upload thread adds
 * the new ones while other threads write.
 */
static void add_secret(void *payload, const char *s)
{
	struct awsdeploy *d = payload;

	pthread_mutex_lock(&d->out_lock);
	if (d->ctx->add_secret)
		d->ctx->add_secret(d->ctx->payload, s);
	pthread_mutex_unlock(&d->out_lock);
}

int awsdeploy_init(struct awsdeploy *d, struct deploy_ctx *ctx,
		   const char *const *prefixes)
{
	const char *attempts;
	int err;

	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->out_lock, NULL);
	d->ctx = ctx;
	d->env.vars = ctx->env;
	d->src.opts = ctx->opts;
	d->src.env = &d->env;
	d->src.prefixes = prefixes;
	d->dry_run = ctx->dry_run || deploy_opt_bool(ctx, "dry_run", false);
	err = awscreds_files_load(&d->files, &d->env);
	if (err < 0)
		return err;
	d->profile =
		awscreds_profile_name(&d->env, awsdeploy_opt(d, "profile"));
	/* The region: the option and its env forms, then the profile's. */
	d->region = aws_config_region(
		&d->env, awsdeploy_opt(d, "region"),
		awscreds_files_get(&d->files, d->profile, "region"));
	d->src.files = &d->files;
	d->src.profile = d->profile;
	attempts = awsdeploy_opt(d, "max_attempts");
	if (attempts) {
		char *end;
		long n = strtol(attempts, &end, 10);

		if (*end || n < 1 || n > 20)
			return err_set(FY_EINVALID,
				       "max_attempts '%s' is not a number from "
				       "1 to 20",
				       attempts);
		d->max_attempts = (int)n;
	}
	return 0;
}

void awsdeploy_release(struct awsdeploy *d)
{
	aws_credcache_free(d->creds);
	d->creds = NULL;
	awscreds_files_release(&d->files);
	pthread_mutex_destroy(&d->out_lock);
}

const char *awsdeploy_opt(const struct awsdeploy *d, const char *name)
{
	return awscreds_option(&d->src, name);
}

bool awsdeploy_opt_bool(const struct awsdeploy *d, const char *name, bool dflt)
{
	return awscreds_option_bool(&d->src, name, dflt);
}

void awsdeploy_printf(struct awsdeploy *d, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&d->out_lock);
	if (d->ctx->write)
		d->ctx->write(d->ctx->payload, b.ptr, b.len);
	pthread_mutex_unlock(&d->out_lock);
	buf_release(&b);
}

void awsdeploy_log(void *payload, const char *line)
{
	awsdeploy_printf(payload, "%s\n", line);
}

/* An option that is only read from the entry itself (credentials). */
static const char *entry_opt(const struct awsdeploy *d, const char *name)
{
	const struct val *v = val_map_get(d->ctx->opts, name);

	return v && v->type != VAL_NULL ? val_text(v) : NULL;
}

/*
 * The role settings of the entry or the environment: a profile's own
 * role_arn is the chain's business (it would be assumed twice), and so
 * are AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME beside an
 * AWS_WEB_IDENTITY_TOKEN_FILE: the role of the web identity.
 */
static const char *opt_not_profile(const struct awsdeploy *d, const char *name)
{
	struct awscreds_optsrc src = d->src;
	const char *prefixes[8];
	size_t n = 0;

	src.files = NULL;
	if (aws_getenv(&d->env, "AWS_WEB_IDENTITY_TOKEN_FILE") &&
	    src.prefixes) {
		for (size_t i = 0;
		     src.prefixes[i] && n + 1 < ARRAY_SIZE(prefixes); i++)
			if (strcmp(src.prefixes[i], "AWS"))
				prefixes[n++] = src.prefixes[i];
		prefixes[n] = NULL;
		src.prefixes = prefixes;
	}
	return awscreds_option(&src, name);
}

int awsdeploy_login(struct awsdeploy *d)
{
	struct awscreds_opts o = { 0 };
	struct aws_creds c = AWS_CREDS_INIT;
	struct buf line = BUF_INIT;
	const char *dur = opt_not_profile(d, "duration_seconds");
	int err;

	o.env = &d->env;
	/*
	 * The AWS_ forms of the keys are the chain's own second step, so
	 * only the entry and the provider's other prefixes count as options.
	 */
	o.access_key_id = entry_opt(d, "access_key_id");
	o.secret_access_key = entry_opt(d, "secret_access_key");
	o.session_token = entry_opt(d, "session_token");
	for (size_t i = 0; d->src.prefixes && d->src.prefixes[i]; i++) {
		char name[64];

		if (!strcmp(d->src.prefixes[i], "AWS"))
			continue;
		snprintf(name, sizeof(name), "%s_ACCESS_KEY_ID",
			 d->src.prefixes[i]);
		if (!o.access_key_id)
			o.access_key_id = aws_getenv(&d->env, name);
		snprintf(name, sizeof(name), "%s_SECRET_ACCESS_KEY",
			 d->src.prefixes[i]);
		if (!o.secret_access_key)
			o.secret_access_key = aws_getenv(&d->env, name);
	}
	/* dpl merges every source: half a pair takes the AWS_ other half */
	if (o.access_key_id && !o.secret_access_key)
		o.secret_access_key =
			aws_getenv(&d->env, "AWS_SECRET_ACCESS_KEY");
	if (o.secret_access_key && !o.access_key_id)
		o.access_key_id = aws_getenv(&d->env, "AWS_ACCESS_KEY_ID");
	o.profile = entry_opt(d, "profile");
	o.role_arn = opt_not_profile(d, "role_arn");
	o.role_session_name = opt_not_profile(d, "role_session_name");
	o.external_id = opt_not_profile(d, "external_id");
	o.duration_seconds = dur ? (unsigned)strtoul(dur, NULL, 10) : 0;
	o.region = d->region;
	o.dry_run = d->dry_run;
	o.log = awsdeploy_log;
	o.log_payload = d;
	o.add_secret = add_secret;
	o.secret_payload = d;
	err = awscreds_resolve_cache(&d->creds, &o);
	if (err < 0)
		return err;
	aws_credcache_peek(d->creds, &c);
	buf_addstr(&line, "Using Access Key: ");
	aws_obfuscate(&line, c.access_key_id);
	awsdeploy_printf(d, "%s\n", line.ptr);
	if (strcmp(c.source, "the deploy options"))
		awsdeploy_printf(
			d, "Credentials from %s%s\n", c.source,
			c.session_token || c.expiration ? " (temporary)" : "");
	aws_creds_release(&c);
	buf_release(&line);
	return 0;
}

void awsdeploy_client_opts(struct awsdeploy *d, const struct aws_service *svc,
			   bool use_endpoint, struct aws_client_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->service = svc;
	o->region = d->region;
	o->endpoint = aws_config_endpoint(
		&d->env, svc,
		use_endpoint ? awsdeploy_opt(d, "endpoint") : NULL);
	o->credcache = d->creds;
	o->max_attempts = d->max_attempts;
	o->dry_run = d->dry_run;
	o->log = awsdeploy_log;
	o->log_payload = d;
	o->env = &d->env;
}
