/*
 * settings.c: repository settings variables (secrets.h), kept as JSON:
 *   {"env_vars": [{"name": "FOO", "value": "bar", "public": false,
 *                  "branch": null}, ...]}
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "json.h"
#include "secrets.h"
#include "val.h"
#include "xalloc.h"

#define SETTINGS_FILE_MAX (8u << 20)

char *settings_dir(const struct ferryconf *conf)
{
	return ferryconf_dir(conf, "settings", false);
}

static char *settings_path(const char *dir, const char *slug, const char *ext)
{
	return xasprintf("%s/%s.%s", dir, slug, ext);
}

int settings_check_name(const char *name)
{
	bool ok = name && ((*name >= 'A' && *name <= 'Z') ||
			   (*name >= 'a' && *name <= 'z') || *name == '_');

	for (const char *p = name; ok && *p; p++)
		ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		     (*p >= '0' && *p <= '9') || *p == '_';
	if (!ok)
		return err_set(FY_EINVALID,
			       "invalid variable name '%s' (letters, digits "
			       "and '_', not starting with a digit)",
			       name ? name : "");
	return 0;
}

static void var_release(struct settings_var *v)
{
	if (v->value)
		explicit_bzero(v->value, strlen(v->value));
	free(v->name);
	free(v->value);
	free(v->branch);
	memset(v, 0, sizeof(*v));
}

static void push(struct settings *s, const char *name, const char *value,
		 bool public, const char *branch)
{
	struct settings_var *v;

	s->v = xgrow(s->v, &s->alloc, s->n + 1, sizeof(*s->v));
	v = &s->v[s->n++];
	v->name = xstrdup(name);
	v->value = xstrdup(value);
	v->public = public;
	v->branch = branch && *branch ? xstrdup(branch) : NULL;
}

/* Wipe the strings of a parsed document before freeing it. */
static void wipe_val(struct val *v)
{
	if (!v)
		return;
	if (v->type == VAL_STR || v->type == VAL_SECURE)
		explicit_bzero(v->str.s, v->str.len);
	if (v->type == VAL_SEQ)
		for (size_t i = 0; i < v->seq.n; i++)
			wipe_val(v->seq.v[i]);
	if (v->type == VAL_MAP)
		for (size_t i = 0; i < v->map.n; i++)
			wipe_val(v->map.v[i].v);
}

static int parse(struct settings *s, const char *path, const struct buf *text)
{
	struct val *doc = NULL;
	const struct val *list;
	int err = json_parse(&doc, text->ptr, text->len, 0);

	if (err < 0)
		return err_wrap(err, "'%s'", path);
	list = val_map_get(doc, "env_vars");
	if (!val_is(doc, VAL_MAP) || (list && !val_is(list, VAL_SEQ))) {
		err = err_set(FY_EINVALID, "'%s': no env_vars list", path);
		goto out;
	}
	for (size_t i = 0; list && i < list->seq.n; i++) {
		const struct val *e = list->seq.v[i];
		const char *name = val_strv(val_map_get(e, "name"));
		const char *value = val_strv(val_map_get(e, "value"));
		const struct val *pub = val_map_get(e, "public");
		const char *branch = val_strv(val_map_get(e, "branch"));

		if (!name || !value || settings_check_name(name) < 0) {
			err = err_set(FY_EINVALID,
				      "'%s': env_vars[%zu] needs a valid name "
				      "and a string value",
				      path, i);
			goto out;
		}
		push(s, name, value, val_is(pub, VAL_BOOL) && pub->b, branch);
	}
out:
	wipe_val(doc);
	val_free(doc);
	return err;
}

/* Take the lock of `slug`'s settings, waiting for another holder. */
static int take_lock(struct settings *s, const char *dir, const char *slug)
{
	char *path = settings_path(dir, slug, "lock");
	int err = 0;

	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		err = err_errno("cannot open '%s'", path);
	while (!err && flock(s->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			err = err_errno("cannot lock '%s'", path);
	free(path);
	return err;
}

int settings_open(struct settings *s, const char *dir, const char *slug,
		  bool lock)
{
	struct buf text = BUF_INIT;
	char *path = NULL;
	int err = secrets_check_slug(slug);

	if (!err)
		err = keys_private_dirs(dir, slug, lock);
	if (err == FY_ENOTFOUND)
		return 0; /* nothing stored yet */
	if (!err && lock)
		err = take_lock(s, dir, slug);
	if (err < 0)
		return err;
	path = settings_path(dir, slug, "json");
	err = keys_check_private(path, false);
	if (err == FY_ENOTFOUND) {
		err = 0;
		goto out;
	}
	buf_set_limit(&text, SETTINGS_FILE_MAX);
	if (!err)
		err = fs_read_file(&text, path);
	if (!err)
		err = parse(s, path, &text);
out:
	buf_release_secure(&text);
	free(path);
	return err;
}

int settings_save(const struct settings *s, const char *dir, const char *slug)
{
	struct val *doc = val_map(), *list = val_seq();
	struct buf out = BUF_INIT;
	char *path = NULL;
	int err = secrets_check_slug(slug);

	if (!err)
		err = keys_private_dirs(dir, slug, true);
	if (err < 0)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		struct val *e = val_map();

		val_map_set(e, "name", val_str(s->v[i].name));
		val_map_set(e, "value", val_str(s->v[i].value));
		val_map_set(e, "public", val_bool(s->v[i].public));
		val_map_set(e, "branch",
			    s->v[i].branch ? val_str(s->v[i].branch)
					   : val_null());
		val_seq_push(list, e);
	}
	val_map_set(doc, "env_vars", list);
	err = json_write(&out, doc, JSON_PRETTY);
	buf_addch(&out, '\n');
	path = settings_path(dir, slug, "json");
	if (!err)
		err = fs_write_file(path, out.ptr, out.len, 0600);
out:
	wipe_val(doc);
	val_free(doc);
	buf_release_secure(&out);
	free(path);
	return err;
}

void settings_release(struct settings *s)
{
	for (size_t i = 0; i < s->n; i++)
		var_release(&s->v[i]);
	free(s->v);
	close_fd(&s->lock_fd); /* closing the descriptor drops the lock */
	s->v = NULL;
	s->n = s->alloc = 0;
}

static bool same_branch(const char *a, const char *b)
{
	if (!a || !*a || !b || !*b)
		return (!a || !*a) && (!b || !*b);
	return !strcmp(a, b);
}

void settings_set(struct settings *s, const char *name, const char *value,
		  bool public, const char *branch)
{
	for (size_t i = 0; i < s->n; i++) {
		struct settings_var *v = &s->v[i];

		if (strcmp(v->name, name) || !same_branch(v->branch, branch))
			continue;
		explicit_bzero(v->value, strlen(v->value));
		free(v->value);
		v->value = xstrdup(value);
		v->public = public;
		return;
	}
	push(s, name, value, public, branch);
}

size_t settings_unset(struct settings *s, const char *name, const char *branch)
{
	size_t kept = 0, removed = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct settings_var *v = &s->v[i];

		if (!strcmp(v->name, name) &&
		    (!branch || same_branch(v->branch, branch))) {
			var_release(v);
			removed++;
			continue;
		}
		s->v[kept++] = *v;
	}
	s->n = kept;
	return removed;
}

size_t settings_for_branch(const struct settings *s, const char *branch,
			   const struct settings_var **out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i].branch)
			out[n++] = &s->v[i];
	for (size_t i = 0; branch && *branch && i < s->n; i++)
		if (s->v[i].branch && !strcmp(s->v[i].branch, branch))
			out[n++] = &s->v[i];
	return n;
}
