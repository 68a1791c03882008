/*
 * awscreds_http.c: credentials over HTTP: the JSON document they come in,
 * the container endpoint (ECS, EKS Pod Identity) and the EC2 instance
 * metadata service (IMDSv2 with its token, IMDSv1 as a fallback).
 */
#include "compat.h"

#include <strings.h>

#include "aws.h"
#include "awsendpoint.h"
#include "awscreds.h"
#include "awscreds_int.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "http.h"
#include "json.h"
#include "val.h"
#include "xalloc.h"

#define IMDS_DEFAULT	     "http://169.254.169.254"
#define IMDS_DEFAULT_V6	     "http://[fd00:ec2::254]"
#define ECS_HOST	     "http://169.254.170.2"
#define CONTAINER_TIMEOUT_MS 2000L

/* ---- JSON credentials (container, IMDS) ---- */

int awscreds_parse_json(struct aws_creds *out, const char *text, size_t len,
			const char *source)
{
	struct val *v = NULL;
	const char *code, *key, *secret_key, *token;
	int err = json_parse(&v, text, len, 0);

	if (err < 0)
		return err_wrap(err, "%s: bad credentials document", source);
	code = val_strv(val_map_get(v, "Code"));
	key = val_strv(val_map_get(v, "AccessKeyId"));
	secret_key = val_strv(val_map_get(v, "SecretAccessKey"));
	token = val_strv(val_map_get(v, "Token"));
	if (code && strcmp(code, "Success")) {
		const char *msg = val_strv(val_map_get(v, "Message"));

		err = err_set(FY_EAUTH, "%s: %s: %s", source, code,
			      msg ? msg : "no message");
	} else if (!key || !*key || !secret_key || !*secret_key) {
		err = err_set(FY_EAUTH, "%s: no AccessKeyId/SecretAccessKey",
			      source);
	} else {
		awscreds_set_creds(out, key, secret_key, token, source);
		out->expiration =
			aws_parse_time(val_strv(val_map_get(v, "Expiration")));
	}
	if (v && v->type == VAL_MAP)
		awscreds_free_tree_secure(v);
	val_free(v);
	return err;
}

/* ---- HTTP sources ---- */

struct fetch {
	struct http_client *http;
	long timeout_ms;
};

/* One unsigned request; the answer's status and body (capped). */
static int fetch(struct fetch *f, const char *method, const char *url,
		 const struct svec *headers, struct http_response *resp)
{
	struct http_request req = HTTP_REQUEST_INIT;

	req.method = method;
	req.url = url;
	req.headers = headers;
	req.connect_timeout_ms = f->timeout_ms;
	req.timeout_ms = f->timeout_ms;
	if (!strcmp(method, "PUT")) {
		req.body = "";
		req.body_len = 0;
	}
	http_response_release(resp);
	buf_set_limit(&resp->body, CREDS_ANSWER_MAX);
	return http_request(f->http, &req, resp);
}

static bool loopback_host(const char *url)
{
	const char *h = strstr(url, "://");

	if (!h)
		return false;
	h += 3;
	return !strncmp(h, "127.", 4) || !strncmp(h, "localhost", 9) ||
	       !strncmp(h, "[::1]", 5) || !strncmp(h, "169.254.170.2", 13) ||
	       !strncmp(h, "169.254.170.23", 14) ||
	       !strncmp(h, "[fd00:ec2::23]", 14);
}

static int container_creds(struct chain *ch, struct aws_creds *out,
			   const char *url)
{
	const struct awscreds_opts *o = ch->o;
	const char *token =
		aws_getenv(o->env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *token_file =
		aws_getenv(o->env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct svec headers = SVEC_INIT;
	struct buf tok = BUF_INIT;
	struct fetch f = { NULL, CONTAINER_TIMEOUT_MS };
	char *source = xasprintf("container credentials '%s'", url);
	int err = 0;

	if (token_file) {
		buf_set_limit(&tok, 16 << 10);
		err = fs_read_file(&tok, token_file);
		buf_rtrim(&tok);
		token = tok.ptr;
	}
	if (!err && token) {
		awscreds_secret(o, token);
		svec_pushf(&headers, "Authorization: %s", token);
	}
	if (!err && o->dry_run) {
		awscreds_note(o, "dry run: GET %s", url);
		awscreds_set_dry(out, source);
		goto out;
	}
	if (!err)
		err = http_client_new(&f.http);
	if (!err)
		err = fetch(&f, "GET", url, &headers, &resp);
	if (!err && resp.status != 200)
		err = err_set(FY_EAUTH, "%s: HTTP %ld", source, resp.status);
	if (!err)
		err = awscreds_parse_json(out, resp.body.ptr, resp.body.len,
					  source);
out:
	http_client_free(f.http);
	http_response_release(&resp);
	svec_release(&headers);
	buf_release_secure(&tok);
	free(source);
	return err;
}

/* 1 when the container variables are set (and it worked), 0 when not. */
int awscreds_try_container(struct chain *ch, struct aws_creds *out)
{
	const struct aws_env *env = ch->o->env;
	const char *rel =
		aws_getenv(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full =
		aws_getenv(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char *url;
	int err;

	if (!rel && !full)
		return 0;
	if (rel) {
		url = xasprintf("%s%s", ECS_HOST, rel);
	} else {
		if (strncmp(full, "https://", 8) && !loopback_host(full))
			return err_set(
				FY_EINVALID,
				"AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' "
				"must be https or a loopback address",
				full);
		url = xstrdup(full);
	}
	err = container_creds(ch, out, url);
	free(url);
	return err < 0 ? err : 1;
}

static long imds_timeout(const struct aws_env *env)
{
	const char *t = aws_getenv(env, "AWS_METADATA_SERVICE_TIMEOUT");
	double s = t ? strtod(t, NULL) : 1.0;

	return s > 0 && s < 3600 ? (long)(s * 1000) : 1000L;
}

static int imds_attempts(const struct aws_env *env)
{
	const char *t = aws_getenv(env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS");
	long n = t ? strtol(t, NULL, 10) : 1;

	return n >= 1 && n <= 10 ? (int)n : 1;
}

static const char *imds_base(const struct aws_env *env)
{
	const char *ep = aws_getenv(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode =
		aws_getenv(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");

	if (ep)
		return ep;
	return mode && !strcasecmp(mode, "IPv6") ? IMDS_DEFAULT_V6
						 : IMDS_DEFAULT;
}

/* GET a metadata path with the session token (if any), retried. */
static int imds_get(struct fetch *f, const char *base, const char *path,
		    const char *token, int attempts, struct http_response *resp)
{
	struct svec headers = SVEC_INIT;
	char *url = xasprintf("%s%s", base, path);
	int err = 0;

	if (token)
		svec_pushf(&headers, "X-aws-ec2-metadata-token: %s", token);
	for (int i = 0; i < attempts; i++) {
		err = fetch(f, "GET", url, &headers, resp);
		if (!err && resp->status < 500)
			break;
	}
	if (!err && resp->status != 200)
		err = err_set(FY_EAUTH, "instance metadata: GET %s: HTTP %ld",
			      path, resp->status);
	svec_release(&headers);
	free(url);
	return err;
}

int awscreds_imds_creds(struct chain *ch, struct aws_creds *out)
{
	const struct awscreds_opts *o = ch->o;
	const char *base = imds_base(o->env);
	const char *prefix = "/latest/meta-data/iam/security-credentials/";
	struct fetch f = { NULL, imds_timeout(o->env) };
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct svec headers = SVEC_INIT;
	char *token = NULL, *role = NULL, *url = NULL, *source = NULL;
	int attempts = imds_attempts(o->env);
	int err;

	if (o->dry_run) {
		awscreds_note(o, "dry run: PUT %s/latest/api/token", base);
		awscreds_note(o, "dry run: GET %s%s<role>", base, prefix);
		awscreds_set_dry(out, "instance metadata");
		return 0;
	}
	err = http_client_new(&f.http);
	if (err < 0)
		return err;
	url = xasprintf("%s/latest/api/token", base);
	svec_push(&headers, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
	for (int i = 0; i < attempts; i++) {
		err = fetch(&f, "PUT", url, &headers, &resp);
		if (!err)
			break;
	}
	if (err < 0) {
		err = err_wrap(FY_EAUTH, "instance metadata");
		goto out;
	}
	if (resp.status == 200) {
		buf_rtrim(&resp.body);
		token = xstrdup(resp.body.ptr);
		awscreds_secret(o, token);
	} else if (resp.status != 403 && resp.status != 404 &&
		   resp.status != 405) {
		err = err_set(FY_EAUTH,
			      "instance metadata: token request: HTTP %ld",
			      resp.status);
		goto out;
	}
	err = imds_get(&f, base, prefix, token, attempts, &resp);
	if (err < 0)
		goto out;
	role = xmemdupz(resp.body.ptr, strcspn(resp.body.ptr, "\r\n"));
	if (!*role || strchr(role, '/')) {
		err = err_set(FY_EAUTH, "instance metadata: no instance role");
		goto out;
	}
	free(url);
	url = xasprintf("%s%s", prefix, role);
	err = imds_get(&f, base, url, token, attempts, &resp);
	if (err < 0)
		goto out;
	source = xasprintf("instance metadata (role '%s'%s)", role,
			   token ? "" : ", IMDSv1");
	err = awscreds_parse_json(out, resp.body.ptr, resp.body.len, source);
out:
	if (token)
		explicit_bzero(token, strlen(token));
	buf_release_secure(&resp.body);
	http_response_release(&resp);
	http_client_free(f.http);
	svec_release(&headers);
	free(token);
	free(role);
	free(url);
	free(source);
	return err;
}
