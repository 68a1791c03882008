/*
 * ferry encrypt, ferry encrypt-file: `travis encrypt` and `travis
 * encrypt-file` against the local key store (spec travis.md 7.1, 7.3).
 */
#include "compat.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "crypto.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "secrets.h"
#include "svec.h"
#include "val.h"
#include "vcs.h"
#include "xalloc.h"
#include "yamledit.h"

#define INPUT_MAX	(1u << 20)
#define CONFIG_FILE_MAX (4u << 20)

static const char encrypt_usage[] =
	"usage: ferry encrypt [-r OWNER/REPO] [--add [KEY]] [--split] [STRING...]\n"
	"\n"
	"Encrypt STRING (the arguments joined by spaces, or standard input)\n"
	"with the repository's public key and print it as `travis encrypt`\n"
	"does: secure: \"<base64>\" (RSA PKCS#1 v1.5, surrounding blanks\n"
	"stripped).  Environment variables are encrypted as 'NAME=value'.\n"
	"\n"
	"  -r, --repo OWNER/REPO  the repository (default: that of the checkout\n"
	"                         in the current directory, as `ferry run` names\n"
	"                         it)\n"
	"  -a, --add [KEY]        add it to .travis.yml under KEY (default\n"
	"                         env.global), editing only those lines\n"
	"  --append, --override   add to the list at KEY, or replace its value\n"
	"                         (default: append for env.*, override else)\n"
	"  -s, --split            encrypt each line of the input separately\n"
	"  --file PATH            the .travis.yml to edit (default: found from\n"
	"                         the current directory upwards)\n"
	"  --config FILE          ferry's configuration file\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit status: 0 ok, 2 error (no key, input too long, a .travis.yml\n"
	"that cannot be edited safely), 64 usage.\n";

static const char file_usage[] =
	"usage: ferry encrypt-file [-r OWNER/REPO] [--add [STAGE]] FILE [OUTPUT]\n"
	"\n"
	"Encrypt FILE as `travis encrypt-file` does: AES-256-CBC with a random\n"
	"key and IV into OUTPUT (default <basename of FILE>.enc in the current\n"
	"directory), store the key and IV as private settings variables\n"
	"encrypted_<id>_key and encrypted_<id>_iv of the repository (<id>: 12\n"
	"hex digits of the SHA-1 of FILE as given), and print the command that\n"
	"decrypts it in the build:\n"
	"  openssl aes-256-cbc -K $encrypted_<id>_key -iv $encrypted_<id>_iv\n"
	"          -in FILE.enc -out FILE -d\n"
	"\n"
	"  -r, --repo OWNER/REPO  the repository (default: the checkout's)\n"
	"  -a, --add [STAGE]      put the command first in STAGE of .travis.yml\n"
	"                         (default before_install)\n"
	"  -K, --key HEX          the AES key (64 hex digits) instead of random\n"
	"  --iv HEX               the IV (32 hex digits) instead of random\n"
	"  -p, --print-key        also print the key and IV\n"
	"  --decrypt-to PATH      where the build decrypts it (default FILE)\n"
	"  -f, --force            overwrite OUTPUT\n"
	"  --file PATH            the .travis.yml to edit\n"
	"  --config FILE          ferry's configuration file\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit status: 0 ok, 2 error, 64 usage.\n";

enum {
	E_APPEND = 1,
	E_OVERRIDE,
	E_FILE,
	E_CONFIG,
	E_IV,
	E_DECRYPT_TO,
};

/* The slug `ferry run` gives the checkout in the current directory. */
static int checkout_slug(char **out)
{
	struct vcs_info info = VCS_INFO_INIT;
	char cwd[PATH_MAX];
	size_t wl;
	int err;

	if (!getcwd(cwd, sizeof(cwd)))
		return err_errno("cannot get the current directory");
	err = vcs_local_info(&info, cwd);
	if (err == FY_ENOTFOUND) {
		*out = xasprintf("local/%s", *fs_basename(cwd)
						     ? fs_basename(cwd)
						     : "build");
		return 0;
	}
	if (err < 0)
		return err;
	wl = strlen(info.workdir);
	while (wl > 1 && info.workdir[wl - 1] == '/')
		wl--;
	if (!strncmp(cwd, info.workdir, wl) && cwd[wl] == '/')
		*out = xasprintf("local/%s", fs_basename(cwd));
	else
		*out = xstrdup(info.slug);
	vcs_info_release(&info);
	return 0;
}

/* The repository: -r, or the checkout's (said on stderr). */
static int resolve_repo(const char *given, char **slug)
{
	int err;

	if (given) {
		err = secrets_check_slug(given);
		if (!err)
			*slug = xstrdup(given);
		return err;
	}
	err = checkout_slug(slug);
	if (!err)
		fprintf(stderr,
			"ferry: repository %s (from the current directory; "
			"-r to choose)\n",
			*slug);
	return err;
}

static int load_key(const char *config, const char *slug,
		    struct crypto_rsa **key)
{
	struct ferryconf *conf = NULL;
	char *dir = NULL;
	int err = ferryconf_load(&conf, config);

	if (!err) {
		dir = keys_dir(conf);
		err = keys_load(key, dir, slug);
	}
	free(dir);
	ferryconf_free(conf);
	return err;
}

/* The .travis.yml: --file, or found from the current directory upwards. */
static int find_config(const char *given, char **out)
{
	char dir[PATH_MAX];
	char *path;

	if (given) {
		*out = xstrdup(given);
		return 0;
	}
	if (!getcwd(dir, sizeof(dir)))
		return err_errno("cannot get the current directory");
	for (;;) {
		char *slash;

		path = fs_join(dir, ".travis.yml");
		if (fs_exists(path)) {
			*out = path;
			return 0;
		}
		free(path);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	return err_set(
		FY_ENOTFOUND,
		"no .travis.yml in this directory or above (use --file)");
}

/* Edit `path` in place: `items` under `key`. */
static int add_to_config(const char *path, const char *key,
			 const struct val *const *items, size_t n,
			 enum yamledit_mode mode)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct stat st;
	int err;

	buf_set_limit(&in, CONFIG_FILE_MAX);
	err = fs_read_file(&in, path);
	if (!err)
		err = yamledit_add(&out, in.ptr, in.len, key, items, n, mode);
	if (err < 0)
		err_wrap(err, "'%s'", path);
	if (!err)
		err = fs_write_file(path, out.ptr, out.len,
				    stat(path, &st) ? 0644
						    : (int)(st.st_mode & 0777));
	buf_release(&in);
	buf_release(&out);
	return err;
}

/*
 * `--add X` takes X as its argument when X looks like a key path
 * (travis's optional [KEY]); getopt only knows `--add=X`.
 */
static void join_add(struct svec *args, int argc, char **argv,
		     bool (*is_key)(const char *))
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			for (; i < argc; i++)
				svec_push(args, argv[i]);
			break;
		}
		if ((!strcmp(argv[i], "--add") || !strcmp(argv[i], "-a")) &&
		    i + 1 < argc && is_key(argv[i + 1])) {
			svec_pushf(args, "--add=%s", argv[i + 1]);
			i++;
			continue;
		}
		svec_push(args, argv[i]);
	}
}

/* [A-Za-z_][A-Za-z0-9_]*(.[A-Za-z0-9_]+)* */
static bool key_path(const char *s)
{
	bool start = true;

	if (!*s || strchr("0123456789", *s))
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (start)
				return false;
			start = true;
			continue;
		}
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
		start = false;
	}
	return !start;
}

static bool stage_key(const char *s)
{
	return key_path(s) && !fs_exists(s);
}

static int read_stdin(struct buf *b)
{
	char chunk[4096];
	size_t n;

	buf_set_limit(b, INPUT_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_add(b, chunk, n);
	if (ferror(stdin))
		return err_errno("cannot read standard input");
	if (buf_truncated(b))
		return err_set(FY_ETOOBIG, "the input is over %u bytes",
			       INPUT_MAX);
	return 0;
}

/* Ruby's strip: surrounding whitespace and NULs. */
static void strip(struct buf *b)
{
	size_t s = 0;

	buf_rtrim(b);
	while (s < b->len && strchr(" \t\n\v\f\r", b->ptr[s]))
		s++;
	memmove(b->ptr, b->ptr + s, b->len - s);
	buf_setlen(b, b->len - s);
}

/* The strings to encrypt: joined arguments or stdin, stripped or split. */
static int inputs(struct svec *out, char **args, int nargs, bool split)
{
	struct buf data = BUF_INIT;
	int err = 0;

	for (int i = 0; i < nargs; i++) {
		if (i)
			buf_addch(&data, ' ');
		buf_addstr(&data, args[i]);
	}
	if (!nargs) {
		if (isatty(0))
			fprintf(stderr, "Reading from stdin, press Ctrl+D when "
					"done\n");
		err = read_stdin(&data);
	}
	if (!err && split) {
		/* Ruby's split("\n"): trailing empty lines are dropped */
		svec_split(out, data.ptr, "\n", false);
		while (out->n && !*out->v[out->n - 1])
			svec_pop(out);
	} else if (!err) {
		strip(&data);
		svec_push(out, data.ptr);
	}
	buf_release_secure(&data);
	return err;
}

static bool env_assignment(const char *s)
{
	const char *p = s;

	if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
	      (*p >= 'a' && *p <= 'z')))
		return false;
	while (*p == '_' || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
		p++;
	return *p == '=';
}

static void wipe_svec(struct svec *s)
{
	for (size_t i = 0; i < s->n; i++)
		explicit_bzero(s->v[i], strlen(s->v[i]));
	svec_release(s);
}

struct encrypt_opts {
	const char *repo, *add, *file, *config;
	bool adding, split, append, override;
};

static int encrypt_run(const struct encrypt_opts *o, char **args, int nargs)
{
	struct svec data = SVEC_INIT;
	struct crypto_rsa *key = NULL;
	struct val **items = NULL;
	struct buf b64 = BUF_INIT;
	char *slug = NULL, *path = NULL;
	const char *add = o->add ? o->add : "env.global";
	bool env = !strncmp(add, "env.", 4);
	enum yamledit_mode mode;
	int err = resolve_repo(o->repo, &slug);

	if (!err)
		err = load_key(o->config, slug, &key);
	if (!err && o->adding)
		err = find_config(o->file, &path);
	if (!err)
		err = inputs(&data, args, nargs, o->split);
	if (err < 0)
		goto out;
	items = xcalloc(data.n + 1, sizeof(*items));
	for (size_t i = 0; i < data.n && !err; i++) {
		if (o->adding && env && !env_assignment(data.v[i]))
			fprintf(stderr,
				"ferry: warning: environment variables in %s "
				"should be formatted as FOO=bar\n",
				add);
		buf_reset(&b64);
		err = secrets_encrypt(key, data.v[i], strlen(data.v[i]), &b64);
		if (err < 0)
			break;
		items[i] = val_map();
		val_map_set(items[i], "secure", val_str(b64.ptr));
		if (!o->adding)
			printf("secure: \"%s\"\n", b64.ptr);
	}
	mode = (env && !o->override) || o->append ? YAMLEDIT_APPEND
						  : YAMLEDIT_SET;
	if (!err && o->adding) {
		err = add_to_config(path, add, (const struct val *const *)items,
				    data.n, mode);
		if (!err)
			fprintf(stderr, "ferry: added to %s in '%s'\n", add,
				path);
	}
out:
	for (size_t i = 0; items && i < data.n; i++)
		val_free(items[i]);
	free(items);
	wipe_svec(&data);
	buf_release(&b64);
	crypto_rsa_free(key);
	free(slug);
	free(path);
	return err < 0 ? cli_error(EXIT_ERRORED) : EXIT_OK;
}

int cmd_encrypt(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "add", optional_argument, NULL, 'a' },
		{ "append", no_argument, NULL, E_APPEND },
		{ "override", no_argument, NULL, E_OVERRIDE },
		{ "split", no_argument, NULL, 's' },
		{ "file", required_argument, NULL, E_FILE },
		{ "config", required_argument, NULL, E_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct encrypt_opts o = { 0 };
	struct svec args = SVEC_INIT;
	int opt, rc = -1;

	join_add(&args, argc, argv, key_path);
	optind = 1;
	while (rc < 0 && (opt = getopt_long((int)args.n, args.v, "r:as", opts,
					    NULL)) != -1) {
		switch (opt) {
		case 'r':
			o.repo = optarg;
			break;
		case 'a':
			o.adding = true;
			o.add = optarg;
			if (o.add && !key_path(o.add))
				rc = cli_usage_error("encrypt",
						     "invalid key '%s'", o.add);
			break;
		case E_APPEND:
			o.append = true;
			break;
		case E_OVERRIDE:
			o.override = true;
			break;
		case 's':
			o.split = true;
			break;
		case E_FILE:
			o.file = optarg;
			break;
		case E_CONFIG:
			o.config = optarg;
			break;
		case 'h':
			fputs(encrypt_usage, stdout);
			rc = EXIT_OK;
			break;
		default:
			rc = cli_usage_error("encrypt", "unknown option");
		}
	}
	if (rc < 0 && o.append && o.override)
		rc = cli_usage_error("encrypt",
				     "cannot combine --append and --override");
	if (rc < 0 && (o.append || o.override) && !o.adding)
		rc = cli_usage_error("encrypt", "--%s needs --add",
				     o.append ? "append" : "override");
	if (rc < 0 && o.repo && secrets_check_slug(o.repo) < 0)
		rc = cli_usage_error("encrypt", "%s", err_msg());
	if (rc < 0)
		rc = encrypt_run(&o, args.v + optind, (int)args.n - optind);
	svec_release(&args);
	return rc;
}

/* ---- encrypt-file ---------------------------------------------------------- */

/* Ruby's Shellwords.escape, keeping a leading "~/" (travis's escape_path). */
static void add_shell_word(struct buf *out, const char *s)
{
	if (!strncmp(s, "~/", 2)) {
		buf_addstr(out, "~/");
		s += 2;
	}
	if (!*s) {
		buf_addstr(out, "''");
		return;
	}
	for (; *s; s++) {
		if (*s == '\n')
			buf_addstr(out, "'\n'");
		else if (strchr("_-.,:+/@", *s) || (*s >= 'a' && *s <= 'z') ||
			 (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
			 (unsigned char)*s >= 0x80)
			buf_addch(out, *s);
		else
			buf_addf(out, "\\%c", *s);
	}
}

/* `path` with the home directory written as "~". */
static char *tilde_path(const char *path)
{
	const char *home = getenv("HOME");
	size_t hl = home ? strlen(home) : 0;

	if (hl > 1 && !strncmp(path, home, hl) && path[hl] == '/')
		return xasprintf("~%s", path + hl);
	return xstrdup(path);
}

struct file_opts {
	const char *repo, *add, *file, *config, *key_hex, *iv_hex;
	const char *decrypt_to;
	bool adding, force, print_key;
};

/* The key and IV: given in hex, or random. */
static int key_iv(const struct file_opts *o,
		  unsigned char key[CRYPTO_AES_KEY_SIZE],
		  unsigned char iv[CRYPTO_AES_IV_SIZE])
{
	int err = 0;

	if (o->key_hex)
		err = crypto_hex_decode(key, CRYPTO_AES_KEY_SIZE, o->key_hex);
	else
		err = crypto_random(key, CRYPTO_AES_KEY_SIZE);
	if (err < 0)
		return err_set(FY_EINVALID, "the key must be 64 hex digits");
	if (o->iv_hex)
		err = crypto_hex_decode(iv, CRYPTO_AES_IV_SIZE, o->iv_hex);
	else
		err = crypto_random(iv, CRYPTO_AES_IV_SIZE);
	if (err < 0)
		return err_set(FY_EINVALID, "the IV must be 32 hex digits");
	return 0;
}

/* Store encrypted_<id>_key and _iv as private settings of `slug`. */
static int store_vars(const char *config, const char *slug, const char *id,
		      const char *key_hex, const char *iv_hex)
{
	struct ferryconf *conf = NULL;
	struct settings s = SETTINGS_INIT;
	char *dir = NULL, *kname = NULL, *ivname = NULL;
	int err = ferryconf_load(&conf, config);

	if (!err) {
		dir = settings_dir(conf);
		err = settings_open(&s, dir, slug, true);
	}
	if (!err) {
		kname = xasprintf("%s_key", id);
		ivname = xasprintf("%s_iv", id);
		settings_set(&s, kname, key_hex, false, NULL);
		settings_set(&s, ivname, iv_hex, false, NULL);
		err = settings_save(&s, dir, slug);
	}
	settings_release(&s);
	free(kname);
	free(ivname);
	free(dir);
	ferryconf_free(conf);
	return err;
}

static int file_run(const struct file_opts *o, const char *input,
		    const char *output_arg)
{
	unsigned char key[CRYPTO_AES_KEY_SIZE], iv[CRYPTO_AES_IV_SIZE];
	unsigned char sha[CRYPTO_MAX_DIGEST];
	char key_hex[2 * CRYPTO_AES_KEY_SIZE + 1],
		iv_hex[2 * CRYPTO_AES_IV_SIZE + 1];
	char id[sizeof("encrypted_") + 12];
	struct buf cmd = BUF_INIT;
	struct val *item = NULL;
	char *slug = NULL, *output = NULL, *to = NULL, *path = NULL;
	const struct val *items[1];
	int err = resolve_repo(o->repo, &slug);

	output = output_arg ? xstrdup(output_arg)
			    : xasprintf("%s.enc", fs_basename(input));
	if (!err && !fs_exists(input))
		err = err_set(FY_ENOTFOUND, "no file '%s'", input);
	if (!err && fs_exists(output) && !o->force)
		err = err_set(FY_EINVALID,
			      "'%s' already exists (use --force to replace it)",
			      output);
	if (!err && o->adding)
		err = find_config(o->file, &path);
	if (!err)
		err = key_iv(o, key, iv);
	if (err < 0)
		goto out;
	crypto_hex(key_hex, key, sizeof(key));
	crypto_hex(iv_hex, iv, sizeof(iv));
	crypto_digest(CRYPTO_SHA1, input, strlen(input), sha);
	memcpy(id, "encrypted_", 10);
	crypto_hex(id + 10, sha, 6);
	fprintf(stderr, "encrypting %s for %s\nstoring result as %s\n", input,
		slug, output);
	err = crypto_aes_cbc_file(input, output, key, iv, false);
	if (!err) {
		fprintf(stderr,
			"storing secure env variables for decryption\n");
		err = store_vars(o->config, slug, id, key_hex, iv_hex);
	}
	if (err < 0)
		goto out;
	if (o->print_key)
		fprintf(stderr, "key: %s\niv:  %s\n", key_hex, iv_hex);
	to = o->decrypt_to ? xstrdup(o->decrypt_to) : tilde_path(input);
	buf_addf(&cmd, "openssl aes-256-cbc -K $%s_key -iv $%s_iv -in ", id,
		 id);
	add_shell_word(&cmd, output);
	buf_addstr(&cmd, " -out ");
	add_shell_word(&cmd, to);
	buf_addstr(&cmd, " -d");
	if (o->adding) {
		const char *stage = o->add ? o->add : "before_install";

		item = val_str(cmd.ptr);
		items[0] = item;
		err = add_to_config(path, stage, items, 1, YAMLEDIT_PREPEND);
		if (err < 0)
			goto out;
		fprintf(stderr, "added the decryption command to %s in '%s'\n",
			stage, path);
	} else {
		fprintf(stderr, "\nPlease add the following to your build "
				"script (before_install stage in your "
				".travis.yml, for instance):\n\n");
		printf("%s\n", cmd.ptr);
		fprintf(stderr, "\nPro Tip: You can add it automatically by "
				"running with --add.\n");
	}
	fprintf(stderr,
		"\nMake sure to add %s to the git repository.\n"
		"Make sure not to add %s to the git repository.\n"
		"Commit all changes to your .travis.yml.\n",
		output, input);
out:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(iv, sizeof(iv));
	explicit_bzero(key_hex, sizeof(key_hex));
	explicit_bzero(iv_hex, sizeof(iv_hex));
	val_free(item);
	buf_release(&cmd);
	free(slug);
	free(output);
	free(to);
	free(path);
	return err < 0 ? cli_error(EXIT_ERRORED) : EXIT_OK;
}

int cmd_encrypt_file(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "add", optional_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'K' },
		{ "iv", required_argument, NULL, E_IV },
		{ "print-key", no_argument, NULL, 'p' },
		{ "decrypt-to", required_argument, NULL, E_DECRYPT_TO },
		{ "force", no_argument, NULL, 'f' },
		{ "file", required_argument, NULL, E_FILE },
		{ "config", required_argument, NULL, E_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct file_opts o = { 0 };
	struct svec args = SVEC_INIT;
	int opt, rc = -1, n;

	join_add(&args, argc, argv, stage_key);
	optind = 1;
	while (rc < 0 && (opt = getopt_long((int)args.n, args.v, "r:aK:pfh",
					    opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			o.repo = optarg;
			break;
		case 'a':
			o.adding = true;
			o.add = optarg;
			if (o.add && !key_path(o.add))
				rc = cli_usage_error("encrypt-file",
						     "invalid stage '%s'",
						     o.add);
			break;
		case 'K':
			o.key_hex = optarg;
			break;
		case E_IV:
			o.iv_hex = optarg;
			break;
		case 'p':
			o.print_key = true;
			break;
		case E_DECRYPT_TO:
			o.decrypt_to = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case E_FILE:
			o.file = optarg;
			break;
		case E_CONFIG:
			o.config = optarg;
			break;
		case 'h':
			fputs(file_usage, stdout);
			rc = EXIT_OK;
			break;
		default:
			rc = cli_usage_error("encrypt-file", "unknown option");
		}
	}
	n = (int)args.n - optind;
	if (rc < 0 && (n < 1 || n > 2))
		rc = cli_usage_error("encrypt-file", "which file?");
	if (rc < 0 && o.repo && secrets_check_slug(o.repo) < 0)
		rc = cli_usage_error("encrypt-file", "%s", err_msg());
	if (rc < 0)
		rc = file_run(&o, args.v[optind],
			      n == 2 ? args.v[optind + 1] : NULL);
	svec_release(&args);
	return rc;
}
