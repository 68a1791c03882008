#ifndef FY_SECRETS_H
#define FY_SECRETS_H

#include "compat.h"

#include "script.h"
#include "svec.h"

struct crypto_rsa;
struct ferryconf;
struct mask_set;
struct val;

/*
 * Travis-compatible secrets (spec travis.md 3.5, 4.1, 7): three modules
 * share this header.
 *
 *  keys_*      the key store (runner/keys.c): one RSA key pair per
 *              repository, the private key as PKCS#1 PEM in
 *              <dir>/<owner>/<repo>.pem, where <dir> is `keys: {dir:}` of
 *              the ferry config or <data_dir>/keys.  Directories are
 *              mode 0700 and keys 0600; anything looser (a group or other
 *              permission bit) is refused with an error naming the path,
 *              its mode and the chmod that fixes it.
 *  settings_*  repository settings variables (runner/settings.c): name,
 *              value, public or private, optional branch, in creation
 *              order, in <data_dir>/settings/<owner>/<repo>.json (0600).
 *  secrets_*   what a job gets at its start (runner/secrets.c): the
 *              `secure:` values of its config decrypted, the settings
 *              variables in Travis's order, the fork rule, and the set of
 *              secret values its log masks.
 *
 * Ownership: arguments are borrowed.  Structs with an _INIT are released
 * with their _release(); secret bytes they own are wiped first.
 * Functions that can fail return 0 or a negative FY_E* code with one
 * message.
 */

/* ---- repository slugs --------------------------------------------------- */

/*
 * Check "OWNER/REPO": two non-empty parts of letters, digits, '.', '-'
 * and '_', neither "." nor "..".  FY_EINVALID with a message otherwise.
 */
int secrets_check_slug(const char *slug);

/* ---- key store (runner/keys.c) ------------------------------------------ */

/*
 * The key store directory of `conf` (malloc'd): `keys: {dir: D}` (a
 * leading ~/ is the home directory; a relative D is relative to the
 * config file's directory), else <data_dir>/keys.
 */
char *keys_dir(const struct ferryconf *conf);
/* <dir>/<owner>/<repo>.pem (malloc'd); `slug` must be valid. */
char *keys_path(const char *dir, const char *slug);

/*
 * Check that `path` (a directory when `dir`, else a regular file) exists
 * and is not accessible to others: FY_ENOTFOUND when missing,
 * FY_EINVALID (naming the path, its mode and the chmod) when looser.
 */
int keys_check_private(const char *path, bool dir);
/*
 * Check `dir` and its subdirectory for the owner of `slug` the same way,
 * creating them (mode 0700) when missing and `create`.
 */
int keys_private_dirs(const char *dir, const char *slug, bool create);

/*
 * Load the private key of `slug`.  FY_ENOTFOUND when the repository has
 * no key; FY_EINVALID when the store, the owner's directory or the key
 * file is accessible to others, or the file is not a private key.
 */
int keys_load(struct crypto_rsa **out, const char *dir, const char *slug);

/*
 * Make a new key of `bits` bits (0: 4096, what Travis uses) for `slug`;
 * an existing key is replaced only with `force` (else FY_EINVALID).
 */
int keys_generate(const char *dir, const char *slug, unsigned bits, bool force);

/*
 * Store the PEM private key `pem` (PKCS#1 or PKCS#8, not encrypted) for
 * `slug`, rewritten as PKCS#1; `force` as for keys_generate().
 */
int keys_import(const char *dir, const char *slug, const char *pem, size_t len,
		bool force);

/* ---- repository settings (runner/settings.c) ---------------------------- */

struct settings_var {
	char *name;
	char *value;  /* verbatim: bash expands it after NAME= */
	bool public;  /* public values are shown and never masked */
	char *branch; /* only for jobs of this branch; NULL: every job */
};

/*
 * The variables of one repository.  With settings_open(..., lock=true)
 * the file is locked (flock on <repo>.lock) until settings_release(), so
 * a load-change-save cycle cannot lose a concurrent change.
 */
struct settings {
	struct settings_var *v;
	size_t n, alloc;
	int lock_fd;
};

/* clang-format off */
#define SETTINGS_INIT { .lock_fd = -1 }
/* clang-format on */

/* <data_dir>/settings (malloc'd). */
char *settings_dir(const struct ferryconf *conf);

/*
 * Load the variables of `slug` from `dir` (none when there is no file
 * yet).  A settings file or directory accessible to others is refused,
 * as keys are.
 */
int settings_open(struct settings *s, const char *dir, const char *slug,
		  bool lock);
/* Write them back (mode 0600, atomically). */
int settings_save(const struct settings *s, const char *dir, const char *slug);
void settings_release(struct settings *s);

/* Check a variable name: [A-Za-z_][A-Za-z0-9_]*. */
int settings_check_name(const char *name);

/*
 * Set NAME for `branch` (NULL: every branch): the variable with the same
 * name and branch is updated in place, else one is added at the end.
 */
void settings_set(struct settings *s, const char *name, const char *value,
		  bool public, const char *branch);
/*
 * Remove NAME: only its `branch` variant when branch is given, else every
 * variant.  Returns the number removed.
 */
size_t settings_unset(struct settings *s, const char *name, const char *branch);

/*
 * The variables a job of `branch` gets, in Travis's order (spec 4.1):
 * those without a branch, then those of `branch`; variables of other
 * branches are skipped.  Fills `out` (room for s->n pointers) and
 * returns the count.
 */
size_t settings_for_branch(const struct settings *s, const char *branch,
			   const struct settings_var **out);

/* ---- secrets of a job (runner/secrets.c) -------------------------------- */

/*
 * Whether a build may see secure values (Travis's secure_env?): anything
 * but a pull request, or a pull request whose head repository is the
 * repository itself.  `head_slug` NULL or "" counts as the same
 * repository (`ferry run` without --head-repo).
 */
bool secrets_trusted(const char *event, const char *slug,
		     const char *head_slug);

struct secrets_opts {
	const struct crypto_rsa *key;	 /* the repository's key, or NULL */
	const char *no_key;		 /* why there is none (warnings) */
	bool trusted;			 /* secure values may be given */
	const struct settings *settings; /* repository settings, or NULL */
	const char *branch;		 /* the job's branch (settings) */
	const struct script_var *extra;	 /* more settings (--env), public */
	size_t nextra;
	/*
	 * The normalised build config the job comes from, or NULL: a value
	 * that does not decrypt is then named by its key path there
	 * ("env.global[0]"), else by its path in the job ("env[0]").
	 */
	const struct val *build_config;
};

/*
 * What one job gets.  `config` is a copy of the job config in which
 * every `secure:` value outside `env` (deploy options, addons, ...) is
 * replaced by its plaintext (spec 7.2); `env` keeps its secure entries,
 * which are given decrypted in `env` below.  Everything is owned and the
 * secret bytes are wiped on release.
 */
struct secrets_job {
	struct val *config;
	struct script_var *settings; /* repository settings, in order */
	size_t nsettings;
	struct script_var *env; /* .travis.yml env, in order */
	size_t nenv;
	struct svec values;	 /* every secret value given to the job */
	struct mask_set *mask;	 /* compiled from `values` */
	struct svec warnings;	 /* "cannot decrypt env.global[0]: ..." */
	bool secure_env_vars;	 /* TRAVIS_SECURE_ENV_VARS */
	bool secure_env_removed; /* untrusted: secure values withheld */
	struct svec strings;	 /* storage for names and values */
};

/* clang-format off */
#define SECRETS_JOB_INIT { .values = SVEC_INIT, .warnings = SVEC_INIT, \
			   .strings = SVEC_INIT }
/* clang-format on */

/*
 * Decrypt what `job` (a normalised job config map) may get under `o`:
 *  - env list entries `{secure: X}`: the plaintext is "NAME=value ..."
 *    read as travis-build reads env strings; map entries
 *    `NAME: {secure: X}`: the plaintext is the value.  These variables
 *    are secure (echoed as [secure]).
 *  - every other `{secure: X}` of the config becomes its plaintext.
 *  - a value that does not decrypt gives a warning naming its key path;
 *    the variable is dropped, another value stays ciphertext.
 *  - untrusted (o->trusted false): no secure value is decrypted, secure
 *    env entries and private settings variables are withheld, and
 *    secure_env_removed says so when there were any.
 * Fails only when the mask cannot be built (FY_ETOOBIG); the job must
 * not run then.
 */
int secrets_job_prepare(struct secrets_job *out, const struct val *job,
			const struct secrets_opts *o);
void secrets_job_release(struct secrets_job *j);

/*
 * Decrypt one `secure:` string (Base64 of RSA ciphertext, either
 * padding) into `out` (a buffer the caller releases with
 * buf_release_secure()).
 */
struct buf;
int secrets_decrypt(const struct crypto_rsa *key, const char *b64,
		    struct buf *out);
/*
 * What `travis encrypt` prints between the quotes: RSA PKCS#1 v1.5 of
 * `len` bytes with `key`'s public half, standard Base64 without
 * whitespace.  Input too long for the key is FY_ETOOBIG with a hint.
 */
int secrets_encrypt(const struct crypto_rsa *key, const void *data, size_t len,
		    struct buf *out);

#endif
