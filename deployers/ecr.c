/* ecr.c: ECR login and docker's credentials (see ecr.h). */
#include "compat.h"

#include <stdlib.h>

#include "aws.h"
#include "buf.h"
#include "crypto.h"
#include "ecr.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "val.h"
#include "xalloc.h"

/* config.json files are small; a bigger one is not docker's. */
#define ECR_CONFIG_MAX (1u << 20)

static void free_secret(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

void ecr_auth_release(struct ecr_auth *a)
{
	free(a->user);
	free_secret(&a->password);
	free_secret(&a->token);
	free(a->endpoint);
	free(a->registry);
	memset(a, 0, sizeof(*a));
}

char *ecr_registry_host(const char *endpoint)
{
	const char *p = strstr(endpoint, "://");
	size_t n;

	p = p ? p + 3 : endpoint;
	n = strcspn(p, "/");
	return xmemdupz(p, n);
}

/* A registry host docker can file credentials under: host[:port]. */
static bool valid_host(const char *endpoint)
{
	char *h = ecr_registry_host(endpoint);
	size_t n = strlen(h);
	bool ok = n && n <= 255 &&
		  strspn(h, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;

	free(h);
	return ok;
}

int ecr_parse_authorization(const struct val *answer, struct ecr_auth *out)
{
	const struct val *list = val_map_get(answer, "authorizationData");
	const struct val *d = list && list->type == VAL_SEQ && list->seq.n
				      ? list->seq.v[0]
				      : NULL;
	const char *token = val_strv(val_map_get(d, "authorizationToken"));
	const char *endpoint = val_strv(val_map_get(d, "proxyEndpoint"));
	const struct val *exp = val_map_get(d, "expiresAt");
	struct buf plain = BUF_INIT;
	const char *colon;
	int err = 0;

	if (!token || !endpoint)
		return err_set(FY_EINVALID,
			       "GetAuthorizationToken: no authorizationToken "
			       "or proxyEndpoint in the answer");
	if (crypto_base64_decode(&plain, token, strlen(token)) < 0 ||
	    memchr(plain.ptr, '\0', plain.len)) {
		err = err_set(FY_EINVALID, "GetAuthorizationToken: the token "
					   "is not Base64 text");
		goto out;
	}
	colon = strchr(plain.ptr, ':');
	if (!colon || colon == plain.ptr || !colon[1]) {
		err = err_set(FY_EINVALID, "GetAuthorizationToken: the token "
					   "is not \"user:password\"");
		goto out;
	}
	if (!valid_host(endpoint)) {
		err = err_set(FY_EINVALID,
			      "GetAuthorizationToken: proxyEndpoint '%s' names "
			      "no registry host",
			      endpoint);
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->user = xmemdupz(plain.ptr, (size_t)(colon - plain.ptr));
	out->password = xstrdup(colon + 1);
	out->token = xstrdup(token);
	out->endpoint = xstrdup(endpoint);
	out->registry = ecr_registry_host(endpoint);
	if (exp && (exp->type == VAL_NUM || exp->type == VAL_STR)) {
		double t = strtod(val_text(exp), NULL);

		/* a time before 10000 AD, else not said */
		if (t > 0 && t < 253402300800.0)
			out->expires = (time_t)t;
	}
out:
	buf_release_secure(&plain);
	return err;
}

int ecr_get_authorization(struct aws_client *c, const char *registry_id,
			  struct ecr_auth *out)
{
	struct val *in = val_map(), *answer = NULL;
	int err;

	if (registry_id) {
		struct val *ids = val_seq();

		val_seq_push(ids, val_str(registry_id));
		val_map_set(in, "registryIds", ids);
	}
	err = aws_json_call(c, "GetAuthorizationToken", in, &answer, "*");
	if (!err && aws_client_dry_run(c)) {
		/* nothing was sent: a stand-in, never stored */
		memset(out, 0, sizeof(*out));
		out->user = xstrdup("AWS");
		out->password = xstrdup("dry-run");
		out->token = xstrdup("QVdTOmRyeS1ydW4=");
		out->endpoint = xasprintf("https://%s.dkr.ecr.%s.amazonaws.com",
					  registry_id ? registry_id : "ACCOUNT",
					  aws_client_region(c));
		out->registry = ecr_registry_host(out->endpoint);
	} else if (!err) {
		err = ecr_parse_authorization(answer, out);
	}
	val_free(in);
	val_free(answer);
	return err;
}

char *ecr_docker_config_dir(const char *dir)
{
	const char *env = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");

	if (dir && *dir)
		return xstrdup(dir);
	if (env && *env)
		return xstrdup(env);
	return fs_join(home && *home ? home : "/", ".docker");
}

/* docker would ask a credential helper for `registry`: which one. */
static const char *helper_for(const struct val *cfg, const char *registry,
			      const char **key)
{
	const struct val *helpers = val_map_get(cfg, "credHelpers");
	const char *h = val_strv(val_map_get(helpers, registry));

	*key = "credHelpers";
	if (h && *h)
		return h;
	*key = "credsStore";
	h = val_strv(val_map_get(cfg, "credsStore"));
	return h && *h ? h : NULL;
}

/* docker writes its config with a tab per level. */
static void indent_tabs(struct buf *out, const char *two_spaces)
{
	const char *p = two_spaces;

	while (*p) {
		size_t n = 0;

		while (p[n] == ' ')
			n++;
		for (size_t i = 0; i < n / 2; i++)
			buf_addch(out, '\t');
		while (*p == ' ')
			p++;
		while (*p && *p != '\n')
			buf_addch(out, *p++);
		if (*p == '\n')
			buf_addch(out, *p++);
	}
}

int ecr_docker_config_merge(struct buf *out, const char *json, size_t len,
			    const char *registry, const char *token)
{
	struct val *cfg = NULL, *auths, *entry;
	const char *helper, *key;
	char *text;
	int err = 0;

	if (json && len) {
		err = json_parse(&cfg, json, len, 0);
		if (err < 0)
			return err_wrap(err, "docker config");
		if (cfg->type != VAL_MAP) {
			val_free(cfg);
			return err_set(FY_EINVALID,
				       "docker config: not a JSON object");
		}
	} else {
		cfg = val_map();
	}
	helper = helper_for(cfg, registry, &key);
	if (helper) {
		err = err_set(
			FY_EINVALID,
			"docker config: %s sends the credentials of "
			"'%s' to docker-credential-%s, so docker would not "
			"read what ferry writes; remove it, or use `ferry "
			"ecr login --print-password | docker login "
			"--username AWS --password-stdin %s`",
			key, registry, helper, registry);
		goto out;
	}
	auths = val_map_get(cfg, "auths");
	if (!auths || auths->type != VAL_MAP) {
		auths = val_map();
		val_map_set(cfg, "auths", auths);
	}
	entry = val_map();
	val_map_set(entry, "auth", val_str(token));
	val_map_set(auths, registry, entry);
	text = json_dump(cfg, JSON_PRETTY);
	indent_tabs(out, text);
	buf_addch(out, '\n');
	explicit_bzero(text, strlen(text));
	free(text);
out:
	val_free(cfg);
	return err;
}

int ecr_docker_login(const char *dir_opt, const struct ecr_auth *a,
		     char **path_out)
{
	char *dir = ecr_docker_config_dir(dir_opt);
	char *path = fs_join(dir, "config.json");
	struct buf old = BUF_INIT, text = BUF_INIT;
	int err;

	buf_set_limit(&old, ECR_CONFIG_MAX);
	err = fs_mkdir_p(dir, 0700);
	if (err < 0)
		goto out;
	err = fs_read_file(&old, path);
	if (err == FY_ENOTFOUND)
		err = 0;
	if (err < 0)
		goto out;
	err = ecr_docker_config_merge(&text, old.ptr, old.len, a->registry,
				      a->token);
	if (err < 0) {
		err_wrap(err, "'%s'", path);
		goto out;
	}
	/* a new file replaces the old one: 0600 whatever it was */
	err = fs_write_file(path, text.ptr, text.len, 0600);
	if (!err && path_out) {
		*path_out = path;
		path = NULL;
	}
out:
	buf_release_secure(&old);
	buf_release_secure(&text);
	free(dir);
	free(path);
	return err;
}
