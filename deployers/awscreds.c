/* awscreds.c: the AWS credential chain (see awscreds.h). */
#include "compat.h"

#include <strings.h>
#include <time.h>

#include "aws.h"
#include "awsendpoint.h"
#include "awscreds.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "http.h"
#include "json.h"
#include "val.h"
#include "xalloc.h"
#include "xml.h"

#define CREDS_FILE_MAX	     (1u << 20)
#define CREDS_ANSWER_MAX     (64u << 10)
#define CREDS_MAX_CHAIN	     5
#define IMDS_DEFAULT	     "http://169.254.169.254"
#define IMDS_DEFAULT_V6	     "http://[fd00:ec2::254]"
#define ECS_HOST	     "http://169.254.170.2"
#define CONTAINER_TIMEOUT_MS 2000L
/* credential_process: the AWS CLI waits forever; a CI job should not */
#define CREDS_PROCESS_TIMEOUT_MS 60000L

/* Stand-ins for credentials a dry run does not fetch. */
#define DRY_KEY	   "ASIADRYRUNEXAMPLE000"
#define DRY_SECRET "dry-run-secret-access-key"
#define DRY_TOKEN  "dry-run-session-token"

struct chain {
	const struct awscreds_opts *o;
	struct awscreds_files files;
	bool files_loaded;
	struct buf looked; /* where we looked, for the final message */
};

static void note(const struct awscreds_opts *o, const char *fmt, ...)
	PRINTFLIKE(2, 3);
static void note(const struct awscreds_opts *o, const char *fmt, ...)
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

static void secret(const struct awscreds_opts *o, const char *s)
{
	if (s && *s && o->add_secret)
		o->add_secret(o->secret_payload, s);
}

static void register_creds(const struct awscreds_opts *o,
			   const struct aws_creds *c)
{
	secret(o, c->access_key_id);
	secret(o, c->secret_access_key);
	secret(o, c->session_token);
}

static void set_creds(struct aws_creds *out, const char *key,
		      const char *secret_key, const char *token,
		      const char *source)
{
	aws_creds_release(out);
	out->access_key_id = xstrdup(key);
	out->secret_access_key = xstrdup(secret_key);
	out->session_token = token && *token ? xstrdup(token) : NULL;
	out->source = xstrdup(source);
}

static void set_dry(struct aws_creds *out, const char *source)
{
	char *s = xasprintf("%s (dry run: stand-in credentials)", source);

	set_creds(out, DRY_KEY, DRY_SECRET, DRY_TOKEN, s);
	free(s);
}

/* ---- shared files ---- */

const char *awscreds_profile_name(const struct aws_env *env, const char *option)
{
	const char *p = option && *option ? option : NULL;

	if (!p)
		p = aws_getenv(env, "AWS_PROFILE");
	if (!p)
		p = aws_getenv(env, "AWS_DEFAULT_PROFILE");
	return p ? p : "default";
}

static char *trim(const char *s, size_t len)
{
	while (len && strchr(" \t\r", *s)) {
		s++;
		len--;
	}
	while (len && strchr(" \t\r", s[len - 1]))
		len--;
	return xmemdupz(s, len);
}

int awscreds_ini_parse(struct val **out, const char *text, size_t len,
		       bool config)
{
	struct val *root = val_map(), *section = NULL;
	const char *p = text, *end = text + len;
	int line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *l = trim(p, n);
		bool indented = n && (*p == ' ' || *p == '\t');

		line++;
		p += n + (nl != NULL);
		if (!*l || *l == '#' || *l == ';' || indented) {
			free(l);
			continue;
		}
		if (*l == '[') {
			size_t ln = strlen(l);
			char *name;

			if (l[ln - 1] != ']') {
				free(l);
				val_free(root);
				return err_set(FY_EINVALID,
					       "line %d: bad section header",
					       line);
			}
			name = trim(l + 1, ln - 2);
			if (config && !strncmp(name, "profile ", 8)) {
				char *bare = trim(name + 8, strlen(name + 8));

				free(name);
				name = bare;
			}
			section = val_map_get(root, name);
			if (!section) {
				section = val_map();
				val_map_set(root, name, section);
			}
			free(name);
		} else {
			const char *eq = strchr(l, '=');
			char *key, *value;

			if (!eq || !section) {
				free(l);
				val_free(root);
				return err_set(
					FY_EINVALID,
					"line %d: expected 'key = value' "
					"in a section",
					line);
			}
			key = trim(l, (size_t)(eq - l));
			value = trim(eq + 1, strlen(eq + 1));
			/* "s3 =" opens nested settings: skipped. */
			if (*value)
				val_map_set(section, key, val_str(value));
			free(key);
			free(value);
		}
		free(l);
	}
	*out = root;
	return 0;
}

/* A file path from the environment, or under ferry's home. */
static char *file_path(const struct aws_env *env, const char *var,
		       const char *name)
{
	const char *p = aws_getenv(env, var);
	const char *home = getenv("HOME");

	if (p && p[0] == '~' && p[1] == '/' && home)
		return xasprintf("%s%s", home, p + 1);
	if (p)
		return xstrdup(p);
	return home ? xasprintf("%s/.aws/%s", home, name) : NULL;
}

static int load_ini(struct val **out, const char *path, bool config)
{
	struct buf b = BUF_INIT;
	int err;

	*out = NULL;
	if (!path || !fs_exists(path)) {
		*out = val_map();
		return 0;
	}
	buf_set_limit(&b, CREDS_FILE_MAX);
	err = fs_read_file(&b, path);
	if (!err)
		err = awscreds_ini_parse(out, b.ptr, b.len, config);
	if (err < 0)
		err_wrap(err, "cannot read '%s'", path);
	buf_release_secure(&b);
	return err;
}

int awscreds_files_load(struct awscreds_files *f, const struct aws_env *env)
{
	int err;

	f->credentials_path =
		file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	f->config_path = file_path(env, "AWS_CONFIG_FILE", "config");
	err = load_ini(&f->credentials, f->credentials_path, false);
	if (!err)
		err = load_ini(&f->config, f->config_path, true);
	return err;
}

static void free_tree_secure(struct val *v)
{
	if (!v)
		return;
	if (v->type == VAL_MAP)
		for (size_t i = 0; i < v->map.n; i++)
			free_tree_secure(v->map.v[i].v);
	if (v->type == VAL_STR && v->str.s)
		explicit_bzero(v->str.s, v->str.len);
}

void awscreds_files_release(struct awscreds_files *f)
{
	free_tree_secure(f->credentials);
	val_free(f->credentials);
	val_free(f->config);
	free(f->credentials_path);
	free(f->config_path);
	memset(f, 0, sizeof(*f));
}

static const char *section_get(const struct val *file, const char *profile,
			       const char *key)
{
	return val_text(val_map_get(val_map_get(file, profile), key));
}

const char *awscreds_files_get(const struct awscreds_files *f,
			       const char *profile, const char *key)
{
	const char *v = section_get(f->credentials, profile, key);

	return v ? v : section_get(f->config, profile, key);
}

static bool has_profile(const struct awscreds_files *f, const char *profile)
{
	return val_map_get(f->credentials, profile) ||
	       val_map_get(f->config, profile);
}

/* ---- dpl's option sources ---- */

const char *awscreds_option(const struct awscreds_optsrc *s, const char *name)
{
	const struct val *v = val_map_get(s->opts, name);
	const char *t;
	char *key;

	if (v && v->type == VAL_SEQ)
		v = v->seq.n ? v->seq.v[0] : NULL;
	if (v && v->type != VAL_NULL)
		return val_text(v);
	for (size_t i = 0; s->prefixes && s->prefixes[i]; i++) {
		struct buf b = BUF_INIT;

		buf_addf(&b, "%s_", s->prefixes[i]);
		for (const char *p = name; *p; p++)
			buf_addch(&b,
				  *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		t = aws_getenv(s->env, b.ptr);
		buf_release(&b);
		if (t)
			return t;
	}
	if (!s->files || !s->profile)
		return NULL;
	t = awscreds_files_get(s->files, s->profile, name);
	if (t)
		return t;
	key = xasprintf("aws_%s", name);
	t = awscreds_files_get(s->files, s->profile, key);
	free(key);
	return t;
}

bool awscreds_option_bool(const struct awscreds_optsrc *s, const char *name,
			  bool dflt)
{
	const struct val *v = val_map_get(s->opts, name);
	const char *t;

	if (v && v->type == VAL_BOOL)
		return v->b;
	t = awscreds_option(s, name);
	if (!t)
		return dflt;
	if (!strcasecmp(t, "true") || !strcasecmp(t, "yes") || !strcmp(t, "1"))
		return true;
	if (!strcasecmp(t, "false") || !strcasecmp(t, "no") || !strcmp(t, "0"))
		return false;
	return dflt;
}

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
		set_creds(out, key, secret_key, token, source);
		out->expiration =
			aws_parse_time(val_strv(val_map_get(v, "Expiration")));
	}
	if (v && v->type == VAL_MAP)
		free_tree_secure(v);
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
		secret(o, token);
		svec_pushf(&headers, "Authorization: %s", token);
	}
	if (!err && o->dry_run) {
		note(o, "dry run: GET %s", url);
		set_dry(out, source);
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
static int try_container(struct chain *ch, struct aws_creds *out)
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

static int imds_creds(struct chain *ch, struct aws_creds *out)
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
		note(o, "dry run: PUT %s/latest/api/token", base);
		note(o, "dry run: GET %s%s<role>", base, prefix);
		set_dry(out, "instance metadata");
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
		secret(o, token);
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
		set_dry(out, source);
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
	set_creds(out, xml_child_text(cred, "AccessKeyId"),
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

static int assume_role(struct chain *ch, struct aws_creds *out,
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
static int web_identity(struct chain *ch, struct aws_creds *out,
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
	secret(o, token.ptr);
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
	set_creds(out, key, sec, tok, "the environment");
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
		err = try_container(ch, out);
	} else if (!strcmp(src, "Ec2InstanceMetadata")) {
		err = imds_creds(ch, out);
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
		err = assume_role(
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
	set_creds(out, val_text(val_map_get(sect, "aws_access_key_id")),
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
	bool in_creds =
		section_get(f->credentials, profile, "credential_process");
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

		note(ch->o,
		     "dry run: credential_process of profile '%s' "
		     "not run",
		     profile);
		set_dry(out, source);
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
	got = web_identity(ch, out, profile, use_env);
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
	set_creds(out, key, sec, o->session_token, "the deploy options");
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
		if (!got && chosen && !has_profile(&ch->files, profile))
			return err_set(FY_EINVALID,
				       "profile '%s' is in neither '%s' nor "
				       "'%s'",
				       profile, ch->files.credentials_path,
				       ch->files.config_path);
	}
	if (!got)
		got = try_container(ch, out);
	if (!got) {
		if (env_disabled(o->env)) {
			buf_addstr(&ch->looked, " (instance metadata is "
						"disabled)");
		} else {
			got = imds_creds(ch, out);
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

		err = assume_role(&ch, &role, &found, o->role_arn,
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
