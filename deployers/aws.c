/*
 * aws.c: the AWS client (see aws.h): the services, the environment and
 * configuration, credentials, and the client object with its requests and
 * answers.  The credentials cache is in aws_credcache.c, signing in
 * aws_sign.c, and aws_send.c sends (retries, error answers); the three
 * protocols share aws_send(), the JSON and query calls only shape the body
 * and parse the answer.
 */
#include "compat.h"

#include <strings.h>
#include <time.h>

#include "aws.h"
#include "aws_int.h"
#include "awserror.h"
#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "http.h"
#include "val.h"
#include "xalloc.h"

#define AWS_DEFAULT_ATTEMPTS 3
#define AWS_MAX_ATTEMPTS_CAP 20
#define AWS_DEFAULT_BASE_MS  1000u

const struct aws_service aws_s3 = {
	.id = "s3",
	.endpoint_prefix = "s3",
	.signing_name = "s3",
	.iam_prefix = "s3",
	.protocol = AWS_REST_XML,
};

const struct aws_service aws_codedeploy = {
	.id = "codedeploy",
	.endpoint_prefix = "codedeploy",
	.signing_name = "codedeploy",
	.iam_prefix = "codedeploy",
	.protocol = AWS_JSON,
	.target_prefix = "CodeDeploy_20141006",
};

const struct aws_service aws_sts = {
	.id = "sts",
	.endpoint_prefix = "sts",
	.signing_name = "sts",
	.iam_prefix = "sts",
	.protocol = AWS_QUERY,
	.api_version = "2011-06-15",
};

const struct aws_service aws_ecr = {
	.id = "ecr",
	.endpoint_prefix = "api.ecr",
	.signing_name = "ecr",
	.iam_prefix = "ecr",
	.protocol = AWS_JSON,
	.target_prefix = "AmazonEC2ContainerRegistry_V20150921",
};

const struct aws_service aws_iam = {
	.id = "iam",
	.endpoint_prefix = "iam",
	.signing_name = "iam",
	.iam_prefix = "iam",
	.protocol = AWS_QUERY,
	.api_version = "2010-05-08",
	.global = true,
};

/* ---- environment and configuration ---- */

const char *aws_getenv(const struct aws_env *env, const char *name)
{
	const char *v = NULL;

	if (env && env->vars && val_map_get(env->vars, name))
		v = val_text(val_map_get(env->vars, name));
	else if (!env || !env->no_host)
		v = getenv(name);
	return v && *v ? v : NULL;
}

static bool env_true(const struct aws_env *env, const char *name)
{
	const char *v = aws_getenv(env, name);

	return v && !strcasecmp(v, "true");
}

const char *aws_config_region(const struct aws_env *env, const char *option,
			      const char *profile_region)
{
	const char *r = option && *option ? option : NULL;

	if (!r)
		r = aws_getenv(env, "AWS_REGION");
	if (!r)
		r = aws_getenv(env, "AWS_DEFAULT_REGION");
	if (!r && profile_region && *profile_region)
		r = profile_region;
	return r ? r : AWS_DEFAULT_REGION;
}

const char *aws_config_endpoint(const struct aws_env *env,
				const struct aws_service *svc,
				const char *option)
{
	char name[64];
	size_t n;

	if (option && *option)
		return option;
	if (env_true(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
		return NULL;
	n = (size_t)snprintf(name, sizeof(name), "AWS_ENDPOINT_URL_%s",
			     svc->id);
	for (size_t i = 17; i < n && i < sizeof(name); i++) {
		if (name[i] >= 'a' && name[i] <= 'z')
			name[i] = (char)(name[i] - 'a' + 'A');
		else if (name[i] == '-' || name[i] == ' ')
			name[i] = '_';
	}
	if (aws_getenv(env, name))
		return aws_getenv(env, name);
	return aws_getenv(env, "AWS_ENDPOINT_URL");
}

/* ---- credentials, obfuscation, times ---- */

static void free_secret(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
	}
	*s = NULL;
}

void aws_creds_release(struct aws_creds *c)
{
	free_secret(&c->access_key_id);
	free_secret(&c->secret_access_key);
	free_secret(&c->session_token);
	free(c->source);
	c->source = NULL;
	c->expiration = 0;
}

void aws_obfuscate(struct buf *out, const char *secret)
{
	size_t len = strlen(secret);
	size_t keep = len / (4 + len / 5);

	if (!keep)
		keep = 1;
	if (keep > len)
		keep = len;
	buf_add(out, secret, keep);
	for (size_t i = keep; i < 20; i++)
		buf_addch(out, '*');
}

/* `t` read as local to the offset "+HH:MM", "-HHMM" or "+HH"; 0 if bad. */
static time_t with_offset(time_t t, const char *off)
{
	int sign = *off == '+' ? -1 : *off == '-' ? 1 : 0;
	int h, m = 0;

	if (!sign || strspn(off + 1, "0123456789") < 2)
		return 0;
	h = (off[1] - '0') * 10 + (off[2] - '0');
	off += 3;
	if (*off == ':')
		off++;
	if (*off) {
		if (strlen(off) != 2 || strspn(off, "0123456789") != 2)
			return 0;
		m = (off[0] - '0') * 10 + (off[1] - '0');
	}
	if (h > 23 || m > 59)
		return 0;
	return t + sign * (h * 3600 + m * 60);
}

time_t aws_parse_time(const char *s)
{
	struct tm tm;
	char *end;

	if (!s)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	if (*end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (!*end || !strcmp(end, "Z"))
		return timegm(&tm);
	return with_offset(timegm(&tm), end);
}

int aws_client_new(struct aws_client **out, const struct aws_client_opts *o)
{
	struct aws_client *c;
	const char *env_attempts = aws_getenv(o->env, "AWS_MAX_ATTEMPTS");
	int err;

	if (!o->service || !o->region ||
	    (!o->creds && !o->credcache && !o->anonymous))
		BUG("aws client without service, region or credentials");
	c = xcalloc(1, sizeof(*c));
	c->svc = o->service;
	c->region = xstrdup(o->region);
	c->endpoint = o->endpoint ? xstrdup(o->endpoint) : NULL;
	c->force_path_style = o->force_path_style;
	c->use_global = o->use_global;
	c->dry_run = o->dry_run;
	c->creds = o->creds;
	c->credcache = o->credcache;
	c->anonymous = o->anonymous;
	c->max_attempts = o->max_attempts;
	if (!c->max_attempts && env_attempts)
		c->max_attempts = (int)strtol(env_attempts, NULL, 10);
	if (c->max_attempts <= 0)
		c->max_attempts = AWS_DEFAULT_ATTEMPTS;
	if (c->max_attempts > AWS_MAX_ATTEMPTS_CAP)
		c->max_attempts = AWS_MAX_ATTEMPTS_CAP;
	c->base_ms =
		o->backoff_base_ms ? o->backoff_base_ms : AWS_DEFAULT_BASE_MS;
	c->log = o->log;
	c->log_payload = o->log_payload;
	c->quota = AWS_RETRY_QUOTA;
	if (crypto_random(&c->rng, sizeof(c->rng)) < 0 || !c->rng)
		c->rng = (uint64_t)time(NULL) * 2654435761u + 1;
	err = c->dry_run ? 0 : http_client_new(&c->http);
	if (err < 0) {
		aws_client_free(c);
		return err;
	}
	*out = c;
	return 0;
}

void aws_client_free(struct aws_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	free(c->region);
	free(c->endpoint);
	free(c);
}

bool aws_client_dry_run(const struct aws_client *c)
{
	return c->dry_run;
}

const char *aws_client_region(const struct aws_client *c)
{
	return c->region;
}

void aws_client_stats(const struct aws_client *c, unsigned *retried,
		      unsigned *retries)
{
	*retried = c->retried;
	*retries = c->retries;
}

void aws_request_release(struct aws_request *r)
{
	for (size_t i = 0; i < r->nr_params; i++) {
		free(r->params[i].name);
		free(r->params[i].value);
	}
	free(r->params);
	r->params = NULL;
	r->nr_params = r->alloc_params = 0;
	svec_release(&r->headers);
}

void aws_request_param(struct aws_request *r, const char *name,
		       const char *value)
{
	XGROW(r->params, r->alloc_params, r->nr_params + 1);
	r->params[r->nr_params].name = xstrdup(name);
	r->params[r->nr_params].value = value ? xstrdup(value) : NULL;
	r->nr_params++;
}

void aws_request_header(struct aws_request *r, const char *name,
			const char *value)
{
	svec_pushf(&r->headers, "%s: %s", name, value);
}

void aws_response_release(struct aws_response *r)
{
	http_response_release(&r->http);
	awserror_release(&r->error);
	r->status = 0;
}

const char *aws_response_header(const struct aws_response *r, const char *name)
{
	return http_response_header(&r->http, name);
}
