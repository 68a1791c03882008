/*
 * awscreds.c: the AWS credential chain (see awscreds.h): the order of the
 * sources, profiles (roles, credential_source, credential_process, static
 * keys) and the cache that runs the chain again when credentials expire.
 * The sources themselves are in awscreds_files.c, awscreds_http.c and
 * awscreds_sts.c.
 */
#include "compat.h"

#include <strings.h>

#include "aws.h"
#include "awsendpoint.h"
#include "awscreds.h"
#include "awscreds_int.h"
#include "buf.h"
#include "error.h"
#include "http.h"
#include "val.h"
#include "xalloc.h"

#define CREDS_MAX_CHAIN 5
/* credential_process: the AWS CLI waits forever; a CI job should not */
#define CREDS_PROCESS_TIMEOUT_MS 60000L

/* Stand-ins for credentials a dry run does not fetch. */
#define DRY_KEY	   "ASIADRYRUNEXAMPLE000"
#define DRY_SECRET "dry-run-secret-access-key"
#define DRY_TOKEN  "dry-run-session-token"
void awscreds_note(const struct awscreds_opts *o, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	o->log(o->log_payload, b.ptr);
	buf_release(&b);
}

void awscreds_secret(const struct awscreds_opts *o, const char *s)
{
	if (s && *s && o->add_secret)
		o->add_secret(o->secret_payload, s);
}

static void register_creds(const struct awscreds_opts *o,
			   const struct aws_creds *c)
{
	awscreds_secret(o, c->access_key_id);
	awscreds_secret(o, c->secret_access_key);
	awscreds_secret(o, c->session_token);
}

void awscreds_set_creds(struct aws_creds *out, const char *key,
			const char *secret_key, const char *token,
			const char *source)
{
	aws_creds_release(out);
	out->access_key_id = xstrdup(key);
	out->secret_access_key = xstrdup(secret_key);
	out->session_token = token && *token ? xstrdup(token) : NULL;
	out->source = xstrdup(source);
}

void awscreds_set_dry(struct aws_creds *out, const char *source)
{
	char *s = xasprintf("%s (dry run: stand-in credentials)", source);

	awscreds_set_creds(out, DRY_KEY, DRY_SECRET, DRY_TOKEN, s);
	free(s);
}

/* ---- the chain ---- */

static bool env_disabled(const struct aws_env *env)
{
	const char *v = aws_getenv(env, "AWS_EC2_METADATA_DISABLED");

	return v && !strcasecmp(v, "true");
}

static int load_files(struct chain *ch)
{
	if (ch->files_loaded)
		return 0;
	ch->files_loaded = true;
	return awscreds_files_load(&ch->files, ch->o->env);
}

/* Static keys of the environment; 1 if found. */
static int from_env(struct chain *ch, struct aws_creds *out)
{
	const struct aws_env *env = ch->o->env;
	const char *key = aws_getenv(env, "AWS_ACCESS_KEY_ID");
	const char *sec = aws_getenv(env, "AWS_SECRET_ACCESS_KEY");
	const char *tok = aws_getenv(env, "AWS_SESSION_TOKEN");

	if (!tok)
		tok = aws_getenv(env, "AWS_SECURITY_TOKEN");
	if (!key && !sec)
		return 0;
	if (!key || !sec)
		return err_set(
			FY_EINVALID, "%s is set but %s is not",
			key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	awscreds_set_creds(out, key, sec, tok, "the environment");
	return 1;
}

static int resolve_profile(struct chain *ch, struct aws_creds *out,
			   const char *profile, int depth, bool use_env);

/* A profile's credential_source. */
static int from_source(struct chain *ch, struct aws_creds *out,
		       const char *profile, const char *src)
{
	int err;

	if (!strcmp(src, "Environment")) {
		err = from_env(ch, out);
	} else if (!strcmp(src, "EcsContainer")) {
		err = awscreds_try_container(ch, out);
	} else if (!strcmp(src, "Ec2InstanceMetadata")) {
		err = awscreds_imds_creds(ch, out);
		err = err < 0 ? err : 1;
	} else {
		return err_set(FY_EINVALID,
			       "profile '%s': unknown credential_source '%s'",
			       profile, src);
	}
	if (!err)
		err = err_set(FY_EAUTH,
			      "profile '%s': credential_source %s has no "
			      "credentials",
			      profile, src);
	return err < 0 ? err : 0;
}

/* A profile with role_arn: find its source, then assume the role. */
static int profile_role(struct chain *ch, struct aws_creds *out,
			const char *profile, const char *role, int depth)
{
	const struct awscreds_files *f = &ch->files;
	const char *src_profile =
		awscreds_files_get(f, profile, "source_profile");
	const char *src = awscreds_files_get(f, profile, "credential_source");
	const char *dur = awscreds_files_get(f, profile, "duration_seconds");
	struct aws_creds base = AWS_CREDS_INIT;
	int err;

	if (src_profile && src)
		return err_set(FY_EINVALID,
			       "profile '%s' has both source_profile and "
			       "credential_source",
			       profile);
	if (!src_profile && !src)
		return err_set(FY_EINVALID,
			       "profile '%s' has role_arn but neither "
			       "source_profile nor credential_source",
			       profile);
	if (src_profile && !strcmp(src_profile, profile))
		err = resolve_profile(ch, &base, src_profile, CREDS_MAX_CHAIN,
				      false);
	else if (src_profile)
		err = resolve_profile(ch, &base, src_profile, depth + 1, false);
	else
		err = from_source(ch, &base, profile, src);
	if (!err && src_profile)
		err = err_set(FY_EINVALID,
			      "profile '%s': source_profile '%s' has no "
			      "credentials",
			      profile, src_profile);
	else if (err > 0)
		err = 0;
	if (!err) {
		register_creds(ch->o, &base);
		err = awscreds_assume_role(
			ch, out, &base, role,
			awscreds_files_get(f, profile, "role_session_name"),
			awscreds_files_get(f, profile, "external_id"),
			dur ? (unsigned)strtoul(dur, NULL, 10) : 0);
	}
	aws_creds_release(&base);
	return err;
}

/* The keys of a profile in one file (INI tree `file`); 1 if there. */
static int static_keys(struct aws_creds *out, const char *profile,
		       const struct val *file, const char *path)
{
	const struct val *sect = val_map_get(file, profile);
	char *source;

	if (!val_map_get(sect, "aws_access_key_id"))
		return 0;
	if (!val_map_get(sect, "aws_secret_access_key"))
		return err_set(FY_EINVALID,
			       "profile '%s' in '%s' has aws_access_key_id but "
			       "no aws_secret_access_key",
			       profile, path);
	source = xasprintf("profile '%s' of '%s'", profile, path);
	awscreds_set_creds(
		out, val_text(val_map_get(sect, "aws_access_key_id")),
		val_text(val_map_get(sect, "aws_secret_access_key")),
		val_text(val_map_get(sect, "aws_session_token")), source);
	free(source);
	return 1;
}

/*
 * A profile's credential_process.  It runs on ferry's host, so only
 * from files that ferry's own environment (or its home) names: a job's
 * AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE could otherwise make
 * ferry run a command of the job's choosing.
 */
static int from_process(struct chain *ch, struct aws_creds *out,
			const char *profile, const char *command)
{
	const struct awscreds_files *f = &ch->files;
	const struct aws_env *env = ch->o->env;
	bool in_creds = awscreds_section_get(f->credentials, profile,
					     "credential_process");
	const char *var =
		in_creds ? "AWS_SHARED_CREDENTIALS_FILE" : "AWS_CONFIG_FILE";
	const char *job =
		env && env->vars ? val_text(val_map_get(env->vars, var)) : NULL;

	if (job && *job)
		return err_set(FY_EINVALID,
			       "profile '%s': ferry does not run the "
			       "credential_process of '%s', which the job's "
			       "%s names (name the file in ferry's own "
			       "environment)",
			       profile,
			       in_creds ? f->credentials_path : f->config_path,
			       var);
	if (ch->o->dry_run) {
		char *source = xasprintf("credential_process of profile '%s'",
					 profile);

		awscreds_note(ch->o,
			      "dry run: credential_process of profile '%s' "
			      "not run",
			      profile);
		awscreds_set_dry(out, source);
		free(source);
		return 1;
	}
	return awscreds_process_run(out, command, profile,
				    CREDS_PROCESS_TIMEOUT_MS);
}

static bool has_sso(const struct awscreds_files *f, const char *profile)
{
	return awscreds_files_get(f, profile, "sso_session") ||
	       awscreds_files_get(f, profile, "sso_start_url") ||
	       awscreds_files_get(f, profile, "sso_account_id");
}

/*
 * The credentials of a profile, in botocore's order: its role from a
 * source_profile or credential_source; web identity (the environment's
 * when `use_env`, then the profile's); its keys in the credentials
 * file; its credential_process; its keys in the config file.  0 with
 * nothing found.  At CREDS_MAX_CHAIN, roles are not followed (a profile
 * that is its own source_profile uses its keys, as botocore does).
 * IAM Identity Center (SSO) is not supported: a profile that has only
 * that is an error rather than a silent fall-through to other sources.
 */
static int resolve_profile(struct chain *ch, struct aws_creds *out,
			   const char *profile, int depth, bool use_env)
{
	const struct awscreds_files *f = &ch->files;
	const char *role = awscreds_files_get(f, profile, "role_arn");
	const char *process;
	int got;

	if (depth > CREDS_MAX_CHAIN + 1)
		return err_set(FY_EINVALID,
			       "profile '%s': source_profile chain too long",
			       profile);
	/* a role with a web identity token is the next step's */
	if (role && depth < CREDS_MAX_CHAIN &&
	    !awscreds_files_get(f, profile, "web_identity_token_file")) {
		int err = profile_role(ch, out, profile, role, depth);

		return err < 0 ? err : 1;
	}
	got = awscreds_web_identity(ch, out, profile, use_env);
	if (!got)
		got = static_keys(out, profile, f->credentials,
				  f->credentials_path);
	process = awscreds_files_get(f, profile, "credential_process");
	if (!got && process) {
		int err = from_process(ch, out, profile, process);

		return err < 0 ? err : 1;
	}
	if (!got)
		got = static_keys(out, profile, f->config, f->config_path);
	if (!got && has_sso(f, profile))
		return err_set(FY_EAUTH,
			       "profile '%s' signs in with IAM Identity Center "
			       "(SSO), which ferry does not support; give it "
			       "a credential_process, keys or a role instead",
			       profile);
	return got;
}

static int from_options(const struct awscreds_opts *o, struct aws_creds *out)
{
	const char *key =
		o->access_key_id && *o->access_key_id ? o->access_key_id : NULL;
	const char *sec = o->secret_access_key && *o->secret_access_key
				  ? o->secret_access_key
				  : NULL;

	if (!key && !sec)
		return 0;
	if (!key || !sec)
		return err_set(FY_EINVALID,
			       "option '%s' is set but '%s' is not",
			       key ? "access_key_id" : "secret_access_key",
			       key ? "secret_access_key" : "access_key_id");
	awscreds_set_creds(out, key, sec, o->session_token,
			   "the deploy options");
	return 1;
}

/* The chain without the final role_arn step. */
static int find(struct chain *ch, struct aws_creds *out)
{
	const struct awscreds_opts *o = ch->o;
	const char *profile = awscreds_profile_name(o->env, o->profile);
	bool named = o->profile && *o->profile;
	bool chosen = named || aws_getenv(o->env, "AWS_PROFILE") ||
		      aws_getenv(o->env, "AWS_DEFAULT_PROFILE");
	int got;

	got = from_options(o, out);
	if (!got && !named)
		got = from_env(ch, out);
	buf_addstr(&ch->looked, "the deploy options, the environment");
	if (!got) {
		got = load_files(ch);
		/* an explicit profile option ignores the environment's
		   web identity too (botocore's disable_env_vars) */
		if (!got)
			got = resolve_profile(ch, out, profile, 0, !named);
		buf_addf(&ch->looked, ", profile '%s' of the shared files",
			 profile);
		if (!got && chosen &&
		    !awscreds_has_profile(&ch->files, profile))
			return err_set(FY_EINVALID,
				       "profile '%s' is in neither '%s' nor "
				       "'%s'",
				       profile, ch->files.credentials_path,
				       ch->files.config_path);
	}
	if (!got)
		got = awscreds_try_container(ch, out);
	if (!got) {
		if (env_disabled(o->env)) {
			buf_addstr(&ch->looked, " (instance metadata is "
						"disabled)");
		} else {
			got = awscreds_imds_creds(ch, out);
			if (got < 0)
				return err_wrap(
					FY_EAUTH,
					"no AWS credentials in %s, and none "
					"from the instance metadata service",
					ch->looked.ptr);
			got = 1;
		}
	}
	if (!got)
		return err_set(FY_EAUTH,
			       "no AWS credentials: set access_key_id and "
			       "secret_access_key (looked in %s)",
			       ch->looked.ptr);
	return got < 0 ? got : 0;
}

int awscreds_resolve(struct aws_creds *out, const struct awscreds_opts *o)
{
	struct chain ch = { o, AWSCREDS_FILES_INIT, false, BUF_INIT };
	struct aws_creds found = AWS_CREDS_INIT;
	int err = find(&ch, &found);

	if (!err)
		register_creds(o, &found);
	if (!err && o->role_arn && *o->role_arn) {
		struct aws_creds role = AWS_CREDS_INIT;

		err = awscreds_assume_role(&ch, &role, &found, o->role_arn,
					   o->role_session_name, o->external_id,
					   o->duration_seconds);
		aws_creds_release(&found);
		found = role;
		if (!err)
			register_creds(o, &found);
	}
	if (!err) {
		*out = found;
		memset(&found, 0, sizeof(found));
	}
	aws_creds_release(&found);
	awscreds_files_release(&ch.files);
	buf_release(&ch.looked);
	return err;
}

/* ---- a cache that refreshes ---- */

/* The options of the first resolution, kept to run it again. */
struct refresher {
	struct awscreds_opts o;
	char *kept[8];
	size_t nr_kept;
};

static const char *keep(struct refresher *r, const char *s)
{
	if (!s)
		return NULL;
	if (r->nr_kept == ARRAY_SIZE(r->kept))
		BUG("refresher: too many strings");
	r->kept[r->nr_kept] = xstrdup(s);
	return r->kept[r->nr_kept++];
}

static int refresh(void *payload, struct aws_creds *out)
{
	struct refresher *r = payload;

	return awscreds_resolve(out, &r->o);
}

static void refresher_free(void *payload)
{
	struct refresher *r = payload;

	for (size_t i = 0; i < r->nr_kept; i++) {
		explicit_bzero(r->kept[i], strlen(r->kept[i]));
		free(r->kept[i]);
	}
	free(r);
}

int awscreds_resolve_cache(struct aws_credcache **out,
			   const struct awscreds_opts *o)
{
	struct aws_creds c = AWS_CREDS_INIT;
	struct aws_credcache_src src = { 0 };
	struct refresher *r;
	int err = awscreds_resolve(&c, o);

	if (err < 0)
		return err;
	if (!c.expiration || o->dry_run) {
		aws_credcache_new(out, &c, NULL);
		return 0;
	}
	r = xcalloc(1, sizeof(*r));
	r->o = *o;
	r->o.access_key_id = keep(r, o->access_key_id);
	r->o.secret_access_key = keep(r, o->secret_access_key);
	r->o.session_token = keep(r, o->session_token);
	r->o.profile = keep(r, o->profile);
	r->o.role_arn = keep(r, o->role_arn);
	r->o.role_session_name = keep(r, o->role_session_name);
	r->o.external_id = keep(r, o->external_id);
	r->o.region = keep(r, o->region);
	src.refresh = refresh;
	src.free = refresher_free;
	src.payload = r;
	src.log = o->log;
	src.log_payload = o->log_payload;
	aws_credcache_new(out, &c, &src);
	return 0;
}
