/*
 * awscreds_files.c: the shared config and credentials files (their INI
 * dialect, paths, profiles) and the options dpl takes credentials from.
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
#include "val.h"
#include "xalloc.h"

#define CREDS_FILE_MAX (1u << 20)

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

void awscreds_free_tree_secure(struct val *v)
{
	if (!v)
		return;
	if (v->type == VAL_MAP)
		for (size_t i = 0; i < v->map.n; i++)
			awscreds_free_tree_secure(v->map.v[i].v);
	if (v->type == VAL_STR && v->str.s)
		explicit_bzero(v->str.s, v->str.len);
}

void awscreds_files_release(struct awscreds_files *f)
{
	awscreds_free_tree_secure(f->credentials);
	val_free(f->credentials);
	val_free(f->config);
	free(f->credentials_path);
	free(f->config_path);
	memset(f, 0, sizeof(*f));
}

const char *awscreds_section_get(const struct val *file, const char *profile,
				 const char *key)
{
	return val_text(val_map_get(val_map_get(file, profile), key));
}

const char *awscreds_files_get(const struct awscreds_files *f,
			       const char *profile, const char *key)
{
	const char *v = awscreds_section_get(f->credentials, profile, key);

	return v ? v : awscreds_section_get(f->config, profile, key);
}

bool awscreds_has_profile(const struct awscreds_files *f, const char *profile)
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
