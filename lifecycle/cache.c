/*
 * cache.c: the build cache (cache.h): configuration, what a job caches
 * and under which name, the script's cache stages, and checksums of
 * trees.  The hand-offs are in cache_job.c, the stores in cache_store.c.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "crypto.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "lang.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"
#include "units.h"

#define YELLOW	    "\033[33;1m"
#define RESET	    "\033[0m"
#define ADD_DIR_MAX 100 /* directories per ferry_cache_add (travis-build) */

/* ---- configuration ---- */

static const char *const conf_keys[] = { "enabled",	"store",   "dir",
					 "compression", "level",   "quota",
					 "repo_quota",	"timeout", "memory_dir",
					 "s3",		NULL };
static const char *const s3_keys[] = { "bucket",
				       "prefix",
				       "region",
				       "endpoint",
				       "path_style",
				       "access_key_id",
				       "secret_access_key",
				       "session_token",
				       "profile",
				       NULL };

static bool known(const char *const *keys, const char *k)
{
	for (size_t i = 0; keys[i]; i++)
		if (!strcmp(keys[i], k))
			return true;
	return false;
}

static int conf_err(const struct val *v, const char *what, const char *key)
{
	return err_set(FY_EINVALID, "line %d: cache: %s '%s'",
		       v && v->line >= 0 ? v->line + 1 : 1, what, key);
}

static int conf_bool(const struct val *v, const char *key, bool *out)
{
	const char *t = val_text(v);

	if (t && (!strcmp(t, "true") || !strcmp(t, "yes") || !strcmp(t, "on")))
		*out = true;
	else if (t &&
		 (!strcmp(t, "false") || !strcmp(t, "no") || !strcmp(t, "off")))
		*out = false;
	else
		return conf_err(v, "expected true or false for", key);
	return 0;
}

static int conf_str(const struct val *v, const char *key, char **out)
{
	const char *t = val_text(v);

	if (!t || v->type == VAL_SECURE)
		return conf_err(v, "expected a string for", key);
	free(*out);
	*out = xstrdup(t);
	return 0;
}

static int conf_s3(struct cache_conf *c, const struct val *s3)
{
	struct cache_s3_conf *k = &c->s3;

	if (s3->type != VAL_MAP)
		return conf_err(s3, "expected a map for", "s3");
	for (size_t i = 0; i < s3->map.n; i++) {
		const char *key = s3->map.v[i].key;
		const struct val *v = s3->map.v[i].v;
		char **field = NULL;
		int err;

		if (!known(s3_keys, key))
			return err_set(FY_EINVALID,
				       "line %d: cache: unknown key 's3.%s'",
				       v->line >= 0 ? v->line + 1 : 1, key);
		if (!strcmp(key, "path_style")) {
			err = conf_bool(v, key, &k->path_style);
			if (err < 0)
				return err;
			continue;
		}
		field = !strcmp(key, "bucket")		? &k->bucket
			: !strcmp(key, "prefix")	? &k->prefix
			: !strcmp(key, "region")	? &k->region
			: !strcmp(key, "endpoint")	? &k->endpoint
			: !strcmp(key, "access_key_id") ? &k->access_key_id
			: !strcmp(key, "secret_access_key")
				? &k->secret_access_key
			: !strcmp(key, "session_token") ? &k->session_token
							: &k->profile;
		err = conf_str(v, key, field);
		if (err < 0)
			return err;
	}
	if (k->prefix && *k->prefix &&
	    k->prefix[strlen(k->prefix) - 1] != '/') {
		char *p = xasprintf("%s/", k->prefix);

		free(k->prefix);
		k->prefix = p;
	}
	return 0;
}

/* One key of the `cache:` section. */
static int conf_key(struct cache_conf *c, const char *key, const struct val *v)
{
	const char *t = val_text(v);
	char *end;
	int err = 0;

	if (!strcmp(key, "enabled"))
		return conf_bool(v, key, &c->enabled);
	if (!strcmp(key, "s3"))
		return conf_s3(c, v);
	if (!t || v->type == VAL_SECURE)
		return conf_err(v, "expected a value for", key);
	if (!strcmp(key, "store")) {
		if (!strcmp(t, "local"))
			c->store = CACHE_LOCAL;
		else if (!strcmp(t, "s3"))
			c->store = CACHE_S3;
		else
			return conf_err(v, "store must be local or s3, not", t);
	} else if (!strcmp(key, "dir")) {
		const char *home = getenv("HOME");

		free(c->dir);
		if (t[0] == '~' && t[1] == '/' && home)
			c->dir = xasprintf("%s%s", home, t + 1);
		else
			c->dir = xstrdup(t);
	} else if (!strcmp(key, "compression")) {
		c->format_auto = !strcmp(t, "auto");
		if (!strcmp(t, "zstd") || c->format_auto)
			c->format = TARBALL_TAR_ZST;
		else if (!strcmp(t, "gzip"))
			c->format = TARBALL_TAR_GZ;
		else
			return conf_err(
				v,
				"compression must be auto, zstd or gzip, "
				"not",
				t);
	} else if (!strcmp(key, "level")) {
		errno = 0;
		c->level = (int)strtol(t, &end, 10);
		if (errno || *end || c->level < 0 || c->level > 22)
			return conf_err(v, "bad level", t);
	} else if (!strcmp(key, "quota") || !strcmp(key, "repo_quota")) {
		size_t n;

		err = units_size(t, &n);
		if (!err)
			*(!strcmp(key, "quota") ? &c->quota : &c->repo_quota) =
				n;
	} else if (!strcmp(key, "memory_dir")) {
		free(c->memory_dir);
		c->memory_dir = *t ? xstrdup(t) : NULL;
	} else if (!strcmp(key, "timeout")) {
		err = units_duration(t, &c->timeout);
		if (!err && c->timeout <= 0)
			return conf_err(v, "bad timeout", t);
	}
	if (err < 0)
		return err_wrap(err, "line %d: cache.%s",
				v->line >= 0 ? v->line + 1 : 1, key);
	return 0;
}

int cache_conf_parse(struct cache_conf *out, const struct val *section,
		     const char *data_dir)
{
	struct cache_conf c = { 0 };
	int err = 0;

	c.enabled = true;
	c.store = CACHE_LOCAL;
	c.format = TARBALL_TAR_ZST;
	c.format_auto = true;
	c.quota = CACHE_QUOTA;
	c.repo_quota = CACHE_REPO_QUOTA;
	c.timeout = CACHE_TIMEOUT;
	c.memory_dir = xstrdup("/dev/shm");
	if (section && section->type == VAL_BOOL) {
		c.enabled = section->b;
	} else if (section && section->type != VAL_NULL) {
		if (section->type != VAL_MAP) {
			err = conf_err(section, "expected a map, not a",
				       val_type_name(section->type));
			goto out;
		}
		for (size_t i = 0; !err && i < section->map.n; i++) {
			const char *key = section->map.v[i].key;

			if (!known(conf_keys, key))
				err = conf_err(section->map.v[i].v,
					       "unknown key", key);
			else
				err = conf_key(&c, key, section->map.v[i].v);
		}
	}
	if (!err && !c.dir)
		c.dir = fs_join(data_dir ? data_dir : ".", "cache");
	if (!err && c.store == CACHE_S3 && (!c.s3.bucket || !*c.s3.bucket))
		err = err_set(FY_EINVALID, "cache: store s3 needs s3.bucket");
out:
	if (err < 0) {
		cache_conf_release(&c);
		return err;
	}
	*out = c;
	return 0;
}

bool cache_conf_enabled(const struct val *section)
{
	const struct val *v = section && section->type == VAL_MAP
				      ? val_map_get(section, "enabled")
				      : section;
	const char *t = val_text(v);

	return !t || v->type == VAL_SECURE ||
	       (strcmp(t, "false") && strcmp(t, "no") && strcmp(t, "off"));
}

static void free_secret(char **s)
{
	if (*s)
		explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

void cache_conf_release(struct cache_conf *c)
{
	free(c->dir);
	free(c->memory_dir);
	free(c->s3.bucket);
	free(c->s3.prefix);
	free(c->s3.region);
	free(c->s3.endpoint);
	free(c->s3.profile);
	free_secret(&c->s3.access_key_id);
	free_secret(&c->s3.secret_access_key);
	free_secret(&c->s3.session_token);
	memset(c, 0, sizeof(*c));
}

/* ---- what a job caches ---- */

static const char *first_text(const struct val *v)
{
	if (v && v->type == VAL_SEQ)
		v = v->seq.n ? v->seq.v[0] : NULL;
	return v && v->type != VAL_SECURE ? val_text(v) : NULL;
}

/* travis-build's data.cache?(type): `cache: false` turns all off. */
static bool cache_on(const struct val *job, const char *type)
{
	const struct val *c = val_map_get(job, "cache");
	const struct val *v;

	if (c && c->type == VAL_BOOL && !c->b)
		return false;
	v = val_map_get(c, type);
	if (!v)
		return !strcmp(type, "npm"); /* DEFAULT_CACHES */
	if (v->type == VAL_BOOL)
		return v->b;
	return v->type != VAL_NULL;
}

bool cache_wanted(const struct val *job)
{
	const char *lang =
		lang_canonical(first_text(val_map_get(job, "language")));

	if (cache_on(job, "directories"))
		return true;
	if (!strcmp(lang, "python"))
		return cache_on(job, "pip");
	if (!strcmp(lang, "node_js"))
		return cache_on(job, "npm") || cache_on(job, "yarn");
	if (!strcmp(lang, "c") || !strcmp(lang, "cpp"))
		return cache_on(job, "ccache");
	if (!strcmp(lang, "rust"))
		return cache_on(job, "cargo");
	if (!strcmp(lang, "ruby") || !strcmp(lang, "objective-c"))
		return cache_on(job, "bundler");
	if (!strcmp(lang, "r"))
		return cache_on(job, "packages");
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 of the job's plain env "NAME=value" strings, sorted, '='-joined. */
static void env_digest(const struct val *job, char hex[65])
{
	const struct val *env = val_map_get(job, "env");
	struct svec vars = SVEC_INIT;
	struct buf all = BUF_INIT;

	for (size_t i = 0; env && env->type == VAL_SEQ && i < env->seq.n; i++) {
		const struct val *m = env->seq.v[i];

		for (size_t k = 0; m->type == VAL_MAP && k < m->map.n; k++) {
			const struct val *v = m->map.v[k].v;

			if (v->type == VAL_SECURE)
				continue;
			svec_pushf(&vars, "%s=%s", m->map.v[k].key,
				   val_text(v) ? val_text(v) : "");
		}
	}
	qsort(vars.v, vars.n, sizeof(*vars.v), cmp_str);
	for (size_t i = 0; i < vars.n; i++) {
		if (i)
			buf_addch(&all, '=');
		buf_addstr(&all, vars.v[i]);
	}
	crypto_digest_hex(CRYPTO_SHA256, all.ptr, all.len, hex);
	buf_release(&all);
	svec_release(&vars);
}

char *cache_name(const struct val *job)
{
	static const char *const keys[] = { "os", "dist", "osx_image" };
	const char *arch = first_text(val_map_get(job, "arch"));
	struct buf b = BUF_INIT;
	char *suffix = lang_cache_suffix(job);
	char hex[65];

	buf_addf(&b, "cache-%s", arch && *arch ? arch : "amd64");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = first_text(val_map_get(job, keys[i]));

		if (v)
			buf_addf(&b, "-%s", v);
	}
	env_digest(job, hex);
	buf_addf(&b, "-%s%s", hex, suffix);
	free(suffix);
	return buf_detach(&b, NULL);
}

void cache_groups(struct svec *out, const char *branch,
		  const char *pull_request, const char *default_branch)
{
	const char *own = branch;

	if (pull_request && *pull_request) {
		svec_pushf(out, "PR.%s", pull_request);
	} else if (!own || !*own) {
		own = default_branch && *default_branch ? default_branch
							: "master";
		svec_push(out, own);
	} else {
		svec_push(out, own);
	}
	if (pull_request && *pull_request && branch && *branch &&
	    !svec_has(out, branch))
		svec_push(out, branch);
	if (default_branch && *default_branch && !svec_has(out, default_branch))
		svec_push(out, default_branch);
}

void cache_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-')
			buf_addch(out, c);
		else
			buf_addf(out, "%%%02X", c);
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int cache_unescape(struct buf *out, const char *s)
{
	for (const char *p = s; *p; p++) {
		int hi, lo;

		if (*p != '%') {
			buf_addch(out, *p);
			continue;
		}
		hi = hexval(p[1]);
		lo = hi < 0 ? -1 : hexval(p[2]);
		if (lo < 0)
			return err_set(FY_EINVALID, "bad escape in '%s'", s);
		buf_addch(out, hi * 16 + lo);
		p += 2;
	}
	return 0;
}

/* An escaped key part; an empty one is "_" so no part is empty. */
static void key_part(struct buf *out, const char *s, size_t len)
{
	char *part = xstrndup(s, len);

	if (*part)
		cache_escape(out, part);
	else
		buf_addch(out, '_');
	free(part);
}

char *cache_key(const char *repo, const char *group, const char *name)
{
	const char *slash = strchr(repo, '/');
	struct buf b = BUF_INIT;

	if (slash) {
		key_part(&b, repo, (size_t)(slash - repo));
		buf_addch(&b, '/');
		key_part(&b, slash + 1, strlen(slash + 1));
	} else {
		buf_addstr(&b, "local/");
		key_part(&b, repo, strlen(repo));
	}
	buf_addch(&b, '/');
	key_part(&b, group, strlen(group));
	buf_addch(&b, '/');
	key_part(&b, name, strlen(name));
	return buf_detach(&b, NULL);
}

/* ---- the script ---- */

/*
 * `ferry_cache_add WORDS`, timed as travis-build times `casher add`; the
 * words are expanded by bash (travis_cmd evals them), unquoted as
 * travis-build leaves them.
 */
static void emit_add(struct buf *out, const char *const *dirs, size_t n)
{
	struct buf cmd = BUF_INIT;

	for (size_t i = 0; i < n; i += ADD_DIR_MAX) {
		buf_reset(&cmd);
		buf_addstr(&cmd, "ferry_cache_add");
		for (size_t k = i; k < n && k < i + ADD_DIR_MAX; k++)
			buf_addf(&cmd, " %s", dirs[k]);
		buf_addstr(out, "travis_cmd ");
		buf_add_shquote(out, cmd.ptr);
		buf_addstr(out, " --timing\n");
	}
	buf_release(&cmd);
}

static void emit_add1(struct buf *out, const char *dir)
{
	emit_add(out, &dir, 1);
}

void cache_script_fetch(struct buf *out, const struct val *job)
{
	const struct val *cache = val_map_get(job, "cache");
	const struct val *dirs = val_map_get(cache, "directories");
	const char *timeout = first_text(val_map_get(cache, "timeout"));
	struct svec words = SVEC_INIT;

	if (!cache_wanted(job))
		return;
	if (timeout && strspn(timeout, "0123456789") == strlen(timeout))
		buf_addf(out, "export CASHER_TIME_OUT=%s\n", timeout);
	buf_addstr(out, "travis_fold start cache.1\n"
			"echo -e 'Setting up build cache'\n"
			"travis_cmd 'ferry_handoff cache-fetch' --timing\n");
	if (dirs && dirs->type == VAL_STR)
		svec_push(&words, val_strv(dirs));
	for (size_t i = 0; dirs && dirs->type == VAL_SEQ && i < dirs->seq.n;
	     i++) {
		const char *d = val_text(dirs->seq.v[i]);

		/* a word per line of the script: no line breaks in it */
		if (d && *d && !strchr(d, '\n') &&
		    dirs->seq.v[i]->type != VAL_SECURE)
			svec_push(&words, d);
	}
	if (cache_on(job, "directories") && words.n)
		emit_add(out, (const char *const *)words.v, words.n);
	buf_addstr(out, "travis_fold end cache.1\n");
	svec_release(&words);
}

static void fold(struct buf *out, const char *name, bool start)
{
	buf_addf(out, "travis_fold %s %s\n", start ? "start" : "end", name);
}

/* bundler's directory: --path of bundler_args, else vendor/bundle. */
static void emit_bundler(struct buf *out, const struct val *job)
{
	const char *gemfile = first_text(val_map_get(job, "gemfile"));
	const char *args = first_text(val_map_get(job, "bundler_args"));
	const char *path = NULL;
	char *dir, *p = NULL;

	if (!gemfile)
		gemfile = "Gemfile";
	if (args) {
		const char *at = strstr(args, "--path");

		if (at && (at[6] == '=' || at[6] == ' ')) {
			at += 7;
			p = xstrndup(at, strcspn(at, " \t"));
			path = p;
		} else if (strstr(args, "--deployment")) {
			path = "vendor/bundle";
		}
	}
	dir = fs_dirname(gemfile);
	buf_addf(out, "if [[ -f ${BUNDLE_GEMFILE:-%s} ]]; then\n", gemfile);
	fold(out, "cache.bundler", true);
	if (path) {
		char *full = fs_join(dir, path);

		emit_add1(out, full);
		free(full);
	} else {
		char *full = fs_join(dir, "vendor/bundle");
		char *word = xasprintf("${BUNDLE_PATH:-%s}", full);

		emit_add1(out, word);
		free(word);
		free(full);
	}
	fold(out, "cache.bundler", false);
	buf_addstr(out, "else\necho -e \"" YELLOW
			"bundler caching is configured but a Gemfile is not "
			"found. Caching may not work." RESET "\"\nfi\n");
	free(dir);
	free(p);
}

void cache_script_languages(struct buf *out, const struct val *job)
{
	const char *lang =
		lang_canonical(first_text(val_map_get(job, "language")));
	const char *os = first_text(val_map_get(job, "os"));

	if (!cache_wanted(job))
		return;
	if (!strcmp(lang, "python") && cache_on(job, "pip")) {
		fold(out, "cache.pip", true);
		buf_addstr(out, "echo\n");
		emit_add1(out, "${TRAVIS_HOME}/.cache/pip");
		fold(out, "cache.pip", false);
	}
	if (!strcmp(lang, "node_js") && cache_on(job, "yarn")) {
		fold(out, "cache.yarn", true);
		buf_addstr(out, "echo\n");
		emit_add1(out, "$(dirname $(yarn cache dir))");
		fold(out, "cache.yarn", false);
	}
	if (!strcmp(lang, "node_js") && cache_on(job, "npm")) {
		fold(out, "cache.npm", true);
		buf_addstr(
			out,
			"echo\n"
			"if [[ $(travis_vers2int `npm -v`) -ge "
			"$(travis_vers2int 5.8.0) && (-f npm-shrinkwrap.json "
			"|| -f package-lock.json) ]]; then\n");
		emit_add1(out, "$HOME/.npm");
		buf_addstr(out, "else\n");
		emit_add1(out, "node_modules");
		buf_addstr(out, "fi\n");
		fold(out, "cache.npm", false);
	}
	if ((!strcmp(lang, "c") || !strcmp(lang, "cpp")) &&
	    cache_on(job, "ccache")) {
		buf_addstr(out, "export PATH=/usr/lib/ccache:$PATH\n");
		fold(out, "cache.ccache", true);
		buf_addstr(out, "echo\n");
		emit_add1(out, "~/.ccache");
		fold(out, "cache.ccache", false);
	}
	if (!strcmp(lang, "rust") && cache_on(job, "cargo")) {
		const char *const dirs[] = {
			"${TRAVIS_HOME}/.cargo", "target",
			"${TRAVIS_HOME}/.rustup",
			os && !strcmp(os, "osx")
				? "${TRAVIS_HOME}/Library/Caches/Mozilla.sccache"
				: "${TRAVIS_HOME}/.cache/sccache"
		};

		fold(out, "cache.cargo", true);
		emit_add(out, dirs, ARRAY_SIZE(dirs));
		fold(out, "cache.cargo", false);
	}
	if ((!strcmp(lang, "ruby") || !strcmp(lang, "objective-c")) &&
	    cache_on(job, "bundler"))
		emit_bundler(out, job);
	if (!strcmp(lang, "r") && cache_on(job, "packages")) {
		fold(out, "package cache", true);
		buf_addstr(out, "echo -e \"" YELLOW
				"Setting up package cache" RESET "\"\n");
		emit_add1(out, "$R_LIBS_USER");
		fold(out, "package cache", false);
	}
}

void cache_script_push(struct buf *out, const struct val *job)
{
	const char *lang =
		lang_canonical(first_text(val_map_get(job, "language")));

	if (!cache_wanted(job))
		return;
	buf_addstr(out, "travis_fold start cache.2\n"
			"echo -e 'store build cache'\n");
	if ((!strcmp(lang, "ruby") || !strcmp(lang, "objective-c")) &&
	    cache_on(job, "bundler"))
		buf_addstr(out, "travis_cmd 'bundle clean' --echo\n");
	buf_addstr(out, "travis_cmd 'ferry_handoff cache-push' --timing\n"
			"travis_fold end cache.2\n");
}

/* ---- checksums of a tree ---- */

/* A path for a manifest line: no tab, newline or control byte left. */
static void escape_path(struct buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			buf_addstr(out, "\\\\");
		else if (c == '\n')
			buf_addstr(out, "\\n");
		else if (c == '\t')
			buf_addstr(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(out, "\\%03o", c);
		else
			buf_addch(out, c);
	}
}

static int manifest_line(struct buf *out, const char *path, const char *as,
			 const struct stat *st, uint64_t *bytes)
{
	unsigned char digest[CRYPTO_MAX_DIGEST];
	char hex[65];
	int err;

	escape_path(out, as);
	if (S_ISDIR(st->st_mode)) {
		buf_addf(out, "\td%04o\t-\n", (unsigned)(st->st_mode & 07777));
	} else if (S_ISREG(st->st_mode)) {
		err = crypto_digest_file(CRYPTO_SHA256, path, digest);
		if (err < 0)
			return err;
		crypto_hex(hex, digest, 32);
		buf_addf(out, "\tf%04o\t%s\n", (unsigned)(st->st_mode & 07777),
			 hex);
		if (bytes)
			*bytes += (uint64_t)st->st_size;
	} else if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlink(path, target, sizeof(target) - 1);

		if (n < 0)
			return err_errno("cannot read the link '%s'", path);
		target[n] = '\0';
		buf_addstr(out, "\tl0777\t");
		escape_path(out, target);
		buf_addch(out, '\n');
	} else {
		buf_addf(out, "\to%06o\t-\n", (unsigned)st->st_mode);
	}
	return buf_truncated(out)
		       ? err_set(FY_ETOOBIG, "too many files to cache")
		       : 0;
}

static int walk(struct buf *out, struct buf *path, struct buf *as,
		uint64_t *bytes, const atomic_bool *cancel)
{
	struct stat st;
	DIR *d;
	int err;

	if (cancel && atomic_load(cancel))
		return err_set(FY_ECANCELED, "the cache operation was stopped");
	if (lstat(path->ptr, &st) < 0)
		return err_errno("cannot read '%s'", path->ptr);
	err = manifest_line(out, path->ptr, as->ptr, &st, bytes);
	if (err < 0 || !S_ISDIR(st.st_mode))
		return err;
	d = opendir(path->ptr);
	if (!d)
		return err_errno("cannot list '%s'", path->ptr);
	while (!err) {
		struct dirent *de;
		size_t plen = path->len, alen = as->len;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				err = err_errno("cannot list '%s'", path->ptr);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		buf_addf(path, "/%s", de->d_name);
		buf_addf(as, "%s%s", as->len > 1 ? "/" : "", de->d_name);
		err = walk(out, path, as, bytes, cancel);
		buf_setlen(path, plen);
		buf_setlen(as, alen);
	}
	closedir(d);
	return err;
}

int cache_manifest(struct buf *out, const char *dir, const char *as,
		   uint64_t *bytes, const atomic_bool *cancel)
{
	struct buf path = BUF_INIT, name = BUF_INIT;
	int err;

	buf_addstr(&path, dir);
	buf_addstr(&name, as);
	err = walk(out, &path, &name, bytes, cancel);
	buf_release(&path);
	buf_release(&name);
	return err;
}

/* Lines of a manifest, split in place (each ends at its '\n'). */
static char **split_lines(char *text, size_t len, size_t *n)
{
	char **v = NULL;
	size_t alloc = 0;

	*n = 0;
	XGROW(v, alloc, 1); /* never NULL, even for no lines */
	for (char *p = text; p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));

		XGROW(v, alloc, *n + 1);
		v[(*n)++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return v;
}

void cache_manifest_sort(struct buf *m)
{
	char *copy = xmemdupz(m->ptr, m->len);
	size_t n;
	char **lines = split_lines(copy, m->len, &n);

	if (n)
		qsort(lines, n, sizeof(*lines), cmp_str);
	buf_reset(m);
	for (size_t i = 0; i < n; i++)
		if (*lines[i])
			buf_addf(m, "%s\n", lines[i]);
	free(lines);
	free(copy);
}

/* The path part of a manifest line. */
static size_t path_len(const char *line)
{
	return strcspn(line, "\t");
}

static int cmp_path(const char *a, const char *b)
{
	size_t la = path_len(a), lb = path_len(b);
	int c = memcmp(a, b, la < lb ? la : lb);

	return c ? c : (la > lb) - (la < lb);
}

size_t cache_manifest_diff(struct buf *out, const char *a, size_t alen,
			   const char *b, size_t blen, size_t max)
{
	char *ca = xmemdupz(a, alen), *cb = xmemdupz(b, blen);
	size_t na, nb, i = 0, j = 0, count = 0;
	char **la = split_lines(ca, alen, &na),
	     **lb = split_lines(cb, blen, &nb);
	struct svec paths = SVEC_INIT;

	while (i < na || j < nb) {
		const char *p;
		int c;

		if (i < na && j < nb && !strcmp(la[i], lb[j])) {
			i++;
			j++;
			continue;
		}
		c = i >= na ? 1 : j >= nb ? -1 : cmp_path(la[i], lb[j]);
		p = c <= 0 ? la[i] : lb[j];
		if (!paths.n || strncmp(paths.v[paths.n - 1], p, path_len(p)) ||
		    paths.v[paths.n - 1][path_len(p)])
			svec_push_nodup(&paths, xstrndup(p, path_len(p)));
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	for (size_t k = 0, base = out->len; k < paths.n; k++) {
		size_t len = strlen(paths.v[k]);
		size_t used = out->len - base + (k ? 1 : 0);

		if (k)
			buf_addch(out, '\n');
		if (used + len > max) {
			size_t room = max > used ? max - used : 0;

			buf_add(out, paths.v[k], room < len ? room : len);
			buf_addstr(out, "\n...");
			break;
		}
		buf_addstr(out, paths.v[k]);
	}
	count = paths.n;
	svec_release(&paths);
	free(la);
	free(lb);
	free(ca);
	free(cb);
	return count;
}
