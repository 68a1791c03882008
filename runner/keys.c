/*
 * keys.c: the key store, one RSA key pair per repository (secrets.h).
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "secrets.h"
#include "val.h"
#include "xalloc.h"

#define KEY_FILE_MAX (64 * 1024) /* a 16384-bit PEM key is about 12 KiB */

static bool slug_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* One part of a slug: [A-Za-z0-9._-]+ but not "." or "..". */
static bool slug_part(const char *s, size_t len)
{
	if (!len || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!slug_char(s[i]))
			return false;
	return true;
}

int secrets_check_slug(const char *slug)
{
	const char *slash = slug ? strchr(slug, '/') : NULL;

	if (!slash || !slug_part(slug, (size_t)(slash - slug)) ||
	    !slug_part(slash + 1, strlen(slash + 1)))
		return err_set(FY_EINVALID,
			       "invalid repository '%s' (expected OWNER/REPO)",
			       slug ? slug : "");
	return 0;
}

char *keys_dir(const struct ferryconf *conf)
{
	const char *dir =
		val_text(val_map_get(ferryconf_section(conf, "keys"), "dir"));
	const char *home = getenv("HOME");

	if (!dir || !*dir)
		return ferryconf_dir(conf, "keys", false);
	if (dir[0] == '~' && (dir[1] == '/' || !dir[1]) && home)
		return xasprintf("%s%s", home, dir + 1);
	if (dir[0] != '/' && conf->path) {
		/* relative to the config file, not to where ferry runs */
		char *base = fs_dirname(conf->path);
		char *p = fs_join(base, dir);

		free(base);
		return p;
	}
	return xstrdup(dir);
}

char *keys_path(const char *dir, const char *slug)
{
	return xasprintf("%s/%s.pem", dir, slug);
}

/*
 * Refuse a directory or file that others may use: a private key (or the
 * directory it is in) readable by anyone else is no longer private.
 */
static int check_mode(const char *path, const struct stat *st)
{
	bool dir = S_ISDIR(st->st_mode);

	if (!(st->st_mode & 077))
		return 0;
	return err_set(FY_EINVALID,
		       "%s '%s' has mode %04o: it must not be accessible to "
		       "others (chmod %s '%s')",
		       dir ? "directory" : "file", path,
		       (unsigned)(st->st_mode & 07777), dir ? "700" : "600",
		       path);
}

int keys_check_private(const char *path, bool dir)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return FY_ENOTFOUND;
		return err_errno("cannot read '%s'", path);
	}
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return err_set(FY_EINVALID, "'%s' is not a %s", path,
			       dir ? "directory" : "regular file");
	return check_mode(path, &st);
}

/* The owner's directory of `slug` in `dir` (malloc'd). */
static char *owner_dir(const char *dir, const char *slug)
{
	const char *slash = strchr(slug, '/');
	char *owner = xmemdupz(slug, (size_t)(slash - slug));
	char *p = fs_join(dir, owner);

	free(owner);
	return p;
}

int keys_private_dirs(const char *dir, const char *slug, bool create)
{
	char *odir = owner_dir(dir, slug);
	int err = keys_check_private(dir, true);

	if (err == FY_ENOTFOUND && create)
		err = fs_mkdir_p(dir, 0700);
	if (!err)
		err = keys_check_private(odir, true);
	if (err == FY_ENOTFOUND && create) {
		err = 0;
		if (mkdir(odir, 0700) < 0 && errno != EEXIST)
			err = err_errno("cannot create directory '%s'", odir);
	}
	free(odir);
	return err;
}

static int no_key(const char *slug)
{
	return err_set(FY_ENOTFOUND,
		       "repository '%s' has no key (make one with 'ferry keys "
		       "generate %s')",
		       slug, slug);
}

int keys_load(struct crypto_rsa **out, const char *dir, const char *slug)
{
	struct buf pem = BUF_INIT;
	struct crypto_rsa *key = NULL;
	char *path = NULL;
	int err = secrets_check_slug(slug);

	if (err < 0)
		return err;
	err = keys_private_dirs(dir, slug, false);
	if (err == FY_ENOTFOUND)
		return no_key(slug);
	if (err < 0)
		return err;
	path = keys_path(dir, slug);
	err = keys_check_private(path, false);
	if (err == FY_ENOTFOUND) {
		err = no_key(slug);
		goto out;
	}
	buf_set_limit(&pem, KEY_FILE_MAX);
	if (!err)
		err = fs_read_file(&pem, path);
	if (!err)
		err = crypto_rsa_read_private(&key, pem.ptr, pem.len);
	if (err < 0) {
		err_wrap(err, "key of '%s'", slug);
		goto out;
	}
	*out = key;
out:
	buf_release_secure(&pem);
	free(path);
	return err;
}

/* Whether `slug` may get a new key: none yet, or `force`. */
static int check_target(const char *dir, const char *slug, bool force)
{
	char *path = keys_path(dir, slug);
	int err = keys_private_dirs(dir, slug, true);

	if (!err) {
		err = keys_check_private(path, false);
		if (!err && !force)
			err = err_set(
				FY_EINVALID,
				"repository '%s' already has a key ('%s'); "
				"use --force to replace it",
				slug, path);
		else if (err == FY_ENOTFOUND || (!err && force))
			err = 0;
		else if (err < 0 && force && fs_exists(path))
			err = 0; /* a loose old key is what --force replaces */
	}
	free(path);
	return err;
}

/* Write `key` as the key of `slug`. */
static int store(const char *dir, const char *slug,
		 const struct crypto_rsa *key, bool force)
{
	struct buf pem = BUF_INIT;
	char *path = keys_path(dir, slug);
	int err = check_target(dir, slug, force);

	if (!err)
		err = crypto_rsa_write_private(key, &pem);
	if (!err)
		err = fs_write_file(path, pem.ptr, pem.len, 0600);
	buf_release_secure(&pem);
	free(path);
	return err;
}

int keys_generate(const char *dir, const char *slug, unsigned bits, bool force)
{
	struct crypto_rsa *key = NULL;
	int err = secrets_check_slug(slug);

	if (!err)
		err = check_target(dir, slug, force);
	if (!err)
		err = crypto_rsa_generate(&key, bits);
	if (!err)
		err = store(dir, slug, key, force);
	crypto_rsa_free(key);
	return err;
}

int keys_import(const char *dir, const char *slug, const char *pem, size_t len,
		bool force)
{
	struct crypto_rsa *key = NULL;
	int err = secrets_check_slug(slug);

	if (!err)
		err = crypto_rsa_read_private(&key, pem, len);
	if (!err)
		err = store(dir, slug, key, force);
	crypto_rsa_free(key);
	return err;
}
