/* ferry keys: the repository key store (secrets.h). */
#include "compat.h"

#include <getopt.h>

#include "buf.h"
#include "cli.h"
#include "crypto.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "json.h"
#include "secrets.h"
#include "val.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry keys generate [--bits N] [--force] OWNER/REPO\n"
	"       ferry keys show [--format F | --json] OWNER/REPO\n"
	"       ferry keys import [--force] OWNER/REPO FILE\n"
	"\n"
	"The key store: one RSA key pair per repository, used to decrypt the\n"
	"`secure:` values of its .travis.yml (see `ferry encrypt`).  Keys are\n"
	"kept in `keys: {dir: ...}` of the ferry config, by default\n"
	"<data_dir>/keys, as <dir>/<owner>/<repo>.pem; directories must be\n"
	"mode 0700 and keys 0600.\n"
	"\n"
	"  generate   make a new key (4096 bits, as Travis)\n"
	"  show       print the public key: by default in PEM as Travis's API\n"
	"             serves it (\"BEGIN RSA PUBLIC KEY\" holding\n"
	"             SubjectPublicKeyInfo)\n"
	"  import     store an existing private key (PEM, PKCS#1 or PKCS#8,\n"
	"             not encrypted; FILE - reads stdin)\n"
	"\n"
	"  --bits N       key size for generate (at least 1024)\n"
	"  --force        replace an existing key\n"
	"  --format F     show as: travis (default), spki (\"BEGIN PUBLIC KEY\",\n"
	"                 what openssl -pubin reads), pkcs1, ssh, fingerprint\n"
	"  --json         show as Travis's API: {\"key\", \"fingerprint\"}\n"
	"  --config FILE  ferry's configuration file\n"
	"  -h, --help     show this help\n"
	"\n"
	"Exit status: 0 ok, 2 error (no key, loose permissions, bad key),\n"
	"64 usage.\n";

enum {
	K_BITS = 1,
	K_FORCE,
	K_FORMAT,
	K_JSON,
	K_CONFIG,
};

struct keys_args {
	const char *verb, *config, *format;
	long bits;
	bool force, json;
	char **args;
	int nargs;
};

static int parse_args(struct keys_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bits", required_argument, NULL, K_BITS },
		{ "force", no_argument, NULL, K_FORCE },
		{ "format", required_argument, NULL, K_FORMAT },
		{ "json", no_argument, NULL, K_JSON },
		{ "config", required_argument, NULL, K_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case K_BITS:
			a->bits = cli_number(optarg);
			if (a->bits < 1024 || a->bits > 16384)
				return cli_usage_error(
					"keys", "--bits needs 1024 to 16384");
			break;
		case K_FORCE:
			a->force = true;
			break;
		case K_FORMAT:
			a->format = optarg;
			break;
		case K_JSON:
			a->json = true;
			break;
		case K_CONFIG:
			a->config = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("keys", "unknown option");
		}
	}
	a->args = argv + optind;
	a->nargs = argc - optind;
	return -1;
}

/* Append the public half of `key` as `format` wants it. */
static int write_public(const struct crypto_rsa *key, const char *format,
			struct buf *out)
{
	char fp[48];
	int err;

	if (!strcmp(format, "travis"))
		return crypto_rsa_write_public(key, out, CRYPTO_PEM_TRAVIS);
	if (!strcmp(format, "spki"))
		return crypto_rsa_write_public(key, out, CRYPTO_PEM_SPKI);
	if (!strcmp(format, "pkcs1"))
		return crypto_rsa_write_public(key, out, CRYPTO_PEM_PKCS1);
	if (!strcmp(format, "ssh")) {
		err = crypto_rsa_write_ssh(key, out);
		if (!err)
			buf_addch(out, '\n');
		return err;
	}
	err = crypto_rsa_fingerprint(key, fp);
	if (!err)
		buf_addf(out, "%s\n", fp);
	return err;
}

static int show(const char *dir, const struct keys_args *a)
{
	struct crypto_rsa *key = NULL;
	struct buf out = BUF_INIT, pem = BUF_INIT;
	char fp[48];
	int err = keys_load(&key, dir, a->args[0]);

	if (!err && a->json) {
		struct val *doc = val_map();

		err = crypto_rsa_write_public(key, &pem, CRYPTO_PEM_TRAVIS);
		if (!err)
			err = crypto_rsa_fingerprint(key, fp);
		if (!err) {
			val_map_set(doc, "key", val_str(pem.ptr));
			val_map_set(doc, "fingerprint", val_str(fp));
			err = json_write(&out, doc, 0);
			buf_addch(&out, '\n');
		}
		val_free(doc);
	} else if (!err) {
		err = write_public(key, a->format ? a->format : "travis", &out);
	}
	if (!err)
		fwrite(out.ptr, 1, out.len, stdout);
	buf_release(&out);
	buf_release(&pem);
	crypto_rsa_free(key);
	return err < 0 ? cli_error(EXIT_ERRORED) : EXIT_OK;
}

/* A line on stderr saying where the key is and which it is. */
static void report(const char *dir, const char *slug, const char *what)
{
	struct crypto_rsa *key = NULL;
	char *path = keys_path(dir, slug);
	char fp[48] = "";

	if (!keys_load(&key, dir, slug))
		crypto_rsa_fingerprint(key, fp);
	fprintf(stderr, "ferry: %s key for %s in '%s' (%u bits, %s)\n", what,
		slug, path, key ? crypto_rsa_bits(key) : 0, fp);
	crypto_rsa_free(key);
	free(path);
}

static int import(const char *dir, const struct keys_args *a)
{
	struct buf pem = BUF_INIT;
	const char *file = a->args[1];
	int err;

	buf_set_limit(&pem, 64 * 1024);
	if (!strcmp(file, "-")) {
		char chunk[4096];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			buf_add(&pem, chunk, n);
		err = buf_truncated(&pem)
			      ? err_set(FY_ETOOBIG, "the key is too large")
			      : 0;
	} else {
		err = fs_read_file(&pem, file);
	}
	if (!err)
		err = keys_import(dir, a->args[0], pem.ptr, pem.len, a->force);
	buf_release_secure(&pem);
	if (err < 0)
		return cli_error(EXIT_ERRORED);
	report(dir, a->args[0], "imported");
	return EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
	struct keys_args a = { 0 };
	struct ferryconf *conf = NULL;
	char *dir = NULL;
	int rc, want;

	if (argc >= 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-')
		return cli_usage_error("keys", "generate, show or import?");
	a.verb = argv[1];
	rc = parse_args(&a, argc - 1, argv + 1);
	if (rc >= 0)
		return rc;
	want = !strcmp(a.verb, "import") ? 2 : 1;
	if (strcmp(a.verb, "generate") && strcmp(a.verb, "show") &&
	    strcmp(a.verb, "import"))
		return cli_usage_error("keys", "unknown action '%s'", a.verb);
	if (a.nargs != want)
		return cli_usage_error("keys", "%s needs %s", a.verb,
				       want == 2 ? "OWNER/REPO FILE"
						 : "OWNER/REPO");
	if (a.format && strcmp(a.format, "travis") &&
	    strcmp(a.format, "spki") && strcmp(a.format, "pkcs1") &&
	    strcmp(a.format, "ssh") && strcmp(a.format, "fingerprint"))
		return cli_usage_error("keys", "unknown format '%s'", a.format);
	if (secrets_check_slug(a.args[0]) < 0)
		return cli_usage_error("keys", "%s", err_msg());
	if (ferryconf_load(&conf, a.config) < 0)
		return cli_error(EXIT_ERRORED);
	dir = keys_dir(conf);
	if (!strcmp(a.verb, "show")) {
		rc = show(dir, &a);
	} else if (!strcmp(a.verb, "import")) {
		rc = import(dir, &a);
	} else if (keys_generate(dir, a.args[0], (unsigned)a.bits, a.force) <
		   0) {
		rc = cli_error(EXIT_ERRORED);
	} else {
		report(dir, a.args[0], "new");
		rc = EXIT_OK;
	}
	free(dir);
	ferryconf_free(conf);
	return rc;
}
