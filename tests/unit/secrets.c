/*
 * Secrets (secrets.h, yamledit.h): the key store and its permissions,
 * settings variables (Travis's order and branch rule), decryption of every
 * place a job config holds `secure:` values, the warnings for values that
 * do not decrypt, the fork rule, masking, and `--add` edits of
 * .travis.yml compared as whole files.
 */
#include "compat.h"

#include <sys/stat.h>

#include "buf.h"
#include "crypto.h"
#include "error.h"
#include "fs.h"
#include "loader.h"
#include "mask.h"
#include "matrix.h"
#include "msg.h"
#include "norm.h"
#include "secrets.h"
#include "unit.h"
#include "val.h"
#include "xalloc.h"
#include "yamledit.h"

static unsigned file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? 0xffff : (unsigned)(st.st_mode & 07777);
}

/* ---- slugs and the key store ---------------------------------------------- */

void test_secrets__slug(void)
{
	static const struct {
		const char *slug;
		bool ok;
	} cases[] = {
		{ "acme/widget", true },
		{ "a-b_c.d/R.e-p_o", true },
		{ "local/proj", true },
		{ "acme", false },
		{ "acme/", false },
		{ "/widget", false },
		{ "a/b/c", false },
		{ "../widget", false },
		{ "acme/..", false },
		{ "acme/.", false },
		{ "acme/wid get", false },
		{ "acme/w$x", false },
		{ "", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int err = secrets_check_slug(cases[i].slug);

		if ((err == 0) != cases[i].ok)
			unit_fail(__FILE__, __LINE__, "slug '%s': %d",
				  cases[i].slug, err);
		check((err == 0) == cases[i].ok);
	}
	check(strstr(err_msg(), "OWNER/REPO"));
}

void test_secrets__keys_generate_load(void)
{
	struct crypto_rsa *key = NULL;

	check_int(keys_load(&key, "store", "acme/widget"), ==, FY_ENOTFOUND);
	check(strstr(err_msg(), "ferry keys generate acme/widget"));
	check_ok(keys_generate("store", "acme/widget", 1024, false));
	check_int(file_mode("store"), ==, 0700);
	check_int(file_mode("store/acme"), ==, 0700);
	check_int(file_mode("store/acme/widget.pem"), ==, 0600);
	check_ok(keys_load(&key, "store", "acme/widget"));
	check(crypto_rsa_is_private(key));
	check_int(crypto_rsa_bits(key), ==, 1024);
	crypto_rsa_free(key);
	key = NULL;
	/* an existing key is kept unless forced */
	check_int(keys_generate("store", "acme/widget", 1024, false), ==,
		  FY_EINVALID);
	check(strstr(err_msg(), "already has a key"));
	check_ok(keys_generate("store", "acme/widget", 2048, true));
	check_ok(keys_load(&key, "store", "acme/widget"));
	check_int(crypto_rsa_bits(key), ==, 2048);
	crypto_rsa_free(key);
	check_int(keys_generate("store", "bad slug", 1024, false), ==,
		  FY_EINVALID);
}

void test_secrets__keys_permissions(void)
{
	static const struct {
		const char *path;
		unsigned loose, fixed;
		const char *chmod;
	} cases[] = {
		{ "store", 0755, 0700, "chmod 700 'store'" },
		{ "store", 0710, 0700, "chmod 700 'store'" },
		{ "store/acme", 0750, 0700, "chmod 700 'store/acme'" },
		{ "store/acme/widget.pem", 0644, 0600,
		  "chmod 600 'store/acme/widget.pem'" },
		{ "store/acme/widget.pem", 0604, 0600,
		  "chmod 600 'store/acme/widget.pem'" },
	};
	struct crypto_rsa *key = NULL;
	char want[128];

	check_ok(keys_generate("store", "acme/widget", 1024, false));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		check_int(chmod(cases[i].path, cases[i].loose), ==, 0);
		check_int(keys_load(&key, "store", "acme/widget"), ==,
			  FY_EINVALID);
		snprintf(want, sizeof(want), "'%s' has mode %04o",
			 cases[i].path, cases[i].loose);
		if (!strstr(err_msg(), want) ||
		    !strstr(err_msg(), cases[i].chmod))
			unit_fail(__FILE__, __LINE__, "message: %s", err_msg());
		check(strstr(err_msg(), want));
		/* generating into a loose store is refused the same way */
		if (strstr(cases[i].path, ".pem")) {
			check_ok(keys_generate("store", "acme/other", 1024,
					       true));
		} else {
			check_int(keys_generate("store", "acme/other", 1024,
						true),
				  ==, FY_EINVALID);
			check(strstr(err_msg(), want));
		}
		check_int(chmod(cases[i].path, cases[i].fixed), ==, 0);
		check_ok(keys_load(&key, "store", "acme/widget"));
		crypto_rsa_free(key);
		key = NULL;
	}
}

void test_secrets__keys_import(void)
{
	struct crypto_rsa *made = NULL, *key = NULL;
	struct buf pem = BUF_INIT, pub1 = BUF_INIT, pub2 = BUF_INIT;

	check_ok(crypto_rsa_generate(&made, 1024));
	check_ok(crypto_rsa_write_private(made, &pem));
	check_ok(keys_import("k", "acme/widget", pem.ptr, pem.len, false));
	check_int(file_mode("k/acme/widget.pem"), ==, 0600);
	check_ok(keys_load(&key, "k", "acme/widget"));
	check_ok(crypto_rsa_write_public(made, &pub1, CRYPTO_PEM_SPKI));
	check_ok(crypto_rsa_write_public(key, &pub2, CRYPTO_PEM_SPKI));
	check_str(pub1.ptr, pub2.ptr);
	check_int(keys_import("k", "acme/widget", pem.ptr, pem.len, false), ==,
		  FY_EINVALID);
	check_int(keys_import("k", "acme/x", "not a key", 9, false), <, 0);
	check(!fs_exists("k/acme/x.pem"));
	/* a public key is no private key */
	check_int(keys_import("k", "acme/y", pub1.ptr, pub1.len, false), <, 0);
	crypto_rsa_free(made);
	crypto_rsa_free(key);
	buf_release(&pem);
	buf_release(&pub1);
	buf_release(&pub2);
}

/* ---- settings ---------------------------------------------------------------- */

void test_secrets__settings_store(void)
{
	struct settings s = SETTINGS_INIT, t = SETTINGS_INIT;

	check_ok(settings_open(&s, "set", "acme/widget", false));
	check_int(s.n, ==, 0);
	settings_release(&s);
	check_ok(settings_open(&s, "set", "acme/widget", true));
	settings_set(&s, "TOKEN", "s3cr3t value", false, NULL);
	settings_set(&s, "PUB", "hello", true, NULL);
	settings_set(&s, "TOKEN", "dev-token", false, "dev");
	settings_set(&s, "TOKEN", "new", false, NULL); /* updated in place */
	check_ok(settings_save(&s, "set", "acme/widget"));
	settings_release(&s);
	check_int(file_mode("set/acme/widget.json"), ==, 0600);
	check_int(file_mode("set/acme"), ==, 0700);
	check_ok(settings_open(&t, "set", "acme/widget", false));
	check_int(t.n, ==, 3);
	check_str(t.v[0].name, "TOKEN");
	check_str(t.v[0].value, "new");
	check(!t.v[0].public && !t.v[0].branch);
	check_str(t.v[1].name, "PUB");
	check(t.v[1].public);
	check_str(t.v[2].value, "dev-token");
	check_str(t.v[2].branch, "dev");
	check_int(settings_unset(&t, "TOKEN", "dev"), ==, 1);
	check_int(t.n, ==, 2);
	check_int(settings_unset(&t, "NOPE", NULL), ==, 0);
	settings_set(&t, "TOKEN", "x", false, "dev");
	check_int(settings_unset(&t, "TOKEN", NULL), ==, 2);
	check_int(t.n, ==, 1);
	check_str(t.v[0].name, "PUB");
	settings_release(&t);
	/* loose permissions are refused, as for keys */
	check_int(chmod("set/acme/widget.json", 0644), ==, 0);
	check_int(settings_open(&t, "set", "acme/widget", false), ==,
		  FY_EINVALID);
	check(strstr(err_msg(), "mode 0644"));
	settings_release(&t);
	check_int(settings_check_name("FOO_1"), ==, 0);
	check_int(settings_check_name("_x"), ==, 0);
	check_int(settings_check_name("1FOO"), ==, FY_EINVALID);
	check_int(settings_check_name("FO-O"), ==, FY_EINVALID);
	check_int(settings_check_name(""), ==, FY_EINVALID);
}

void test_secrets__settings_branch_order(void)
{
	static const struct {
		const char *branch;
		const char *want; /* NAME=value ... */
	} cases[] = {
		{ "master", "A=1 B=2 C=master-c" },
		{ "dev", "A=1 B=2 A=dev-a B=dev-b" },
		{ "other", "A=1 B=2" },
		{ NULL, "A=1 B=2" },
		{ "", "A=1 B=2" },
	};
	struct settings s = SETTINGS_INIT;
	const struct settings_var *out[8];
	struct buf got = BUF_INIT;

	settings_set(&s, "A", "dev-a", true, "dev");
	settings_set(&s, "A", "1", true, NULL);
	settings_set(&s, "C", "master-c", true, "master");
	settings_set(&s, "B", "2", true, NULL);
	settings_set(&s, "B", "dev-b", true, "dev");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = settings_for_branch(&s, cases[i].branch, out);

		buf_reset(&got);
		for (size_t k = 0; k < n; k++)
			buf_addf(&got, "%s%s=%s", k ? " " : "", out[k]->name,
				 out[k]->value);
		check_str(got.ptr, cases[i].want);
	}
	buf_release(&got);
	settings_release(&s);
}

/* ---- decryption --------------------------------------------------------------- */

static struct crypto_rsa *test_key;
static struct crypto_rsa *other_key;

static void need_keys(void)
{
	if (!test_key && crypto_rsa_generate(&test_key, 1024) < 0)
		BUG("no test key: %s", err_msg());
	if (!other_key && crypto_rsa_generate(&other_key, 1024) < 0)
		BUG("no test key: %s", err_msg());
}

/* `plain` encrypted for `key` with `padding`, as Base64 (malloc'd). */
static char *enc(const struct crypto_rsa *key, const char *plain,
		 enum crypto_rsa_padding padding)
{
	struct buf raw = BUF_INIT, b64 = BUF_INIT;

	if (crypto_rsa_encrypt(key, &raw, plain, strlen(plain), padding) < 0 ||
	    crypto_base64_encode(&b64, raw.ptr, raw.len) < 0)
		BUG("encrypt: %s", err_msg());
	buf_release(&raw);
	return buf_detach(&b64, NULL);
}

/* The normalised build config and its plan of `yaml`. */
static struct val *plan_of(const char *yaml, struct val **config)
{
	struct val *raw = NULL;
	struct msgs msgs = MSGS_INIT;
	struct val *plan;

	if (loader_load(&raw, yaml, strlen(yaml), "t.yml", NULL, NULL) < 0)
		BUG("yaml: %s", err_msg());
	*config = norm_apply(raw, NULL, &msgs);
	plan = matrix_plan(*config, NULL, 1, &msgs);
	msgs_release(&msgs);
	return plan;
}

static const struct val *plan_job_config(const struct val *plan, size_t i)
{
	const struct val *jobs = val_map_get(plan, "jobs");

	return val_map_get(jobs->seq.v[i], "config");
}

/* "NAME=value NAME2=[secure]" of a var list, secure ones marked. */
static char *vars_text(const struct script_var *v, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%s=%s%s", i ? " " : "", v[i].name, v[i].value,
			 v[i].secure ? "(s)" : "");
	return buf_detach(&b, NULL);
}

static char *warnings_text(const struct secrets_job *j)
{
	return svec_join(&j->warnings, "\n");
}

void test_secrets__decrypt_everywhere(void)
{
	struct secrets_job j = SECRETS_JOB_INIT;
	struct secrets_opts o = { 0 };
	struct val *config = NULL, *plan;
	char *g1, *g2, *m1, *j1, *dep, *addon, *yaml, *text;
	const struct val *d, *acc;
	struct buf masked = BUF_INIT;
	const char *sample = "a alpha-secret b beta secret c aws-secret-key "
			     "d sauce-access-keysauce-access-key e job-secret "
			     "f 1";

	need_keys();
	g1 = enc(test_key, "GLOBAL_A=alpha-secret GLOBAL_B=\"beta secret\"",
		 CRYPTO_RSA_PKCS1);
	g2 = enc(test_key, "OAEP_VAR=oaep-secret", CRYPTO_RSA_OAEP);
	m1 = enc(test_key, "map-secret-value", CRYPTO_RSA_PKCS1);
	j1 = enc(test_key, "JOB_VAR=job-secret", CRYPTO_RSA_PKCS1);
	dep = enc(test_key, "aws-secret-key", CRYPTO_RSA_PKCS1);
	addon = enc(test_key, "sauce-access-key", CRYPTO_RSA_PKCS1);
	yaml = xasprintf("language: shell\n"
			 "env:\n"
			 "  global:\n"
			 "    - PLAIN=1\n"
			 "    - secure: \"%s\"\n"
			 "    - secure: %s\n"
			 "    - MAPPED:\n"
			 "        secure: %s\n"
			 "  jobs:\n"
			 "    - secure: %s\n"
			 "deploy:\n"
			 "  provider: s3\n"
			 "  access_key_id: AKIA\n"
			 "  secret_access_key:\n"
			 "    secure: %s\n"
			 "  bucket: b\n"
			 "addons:\n"
			 "  sauce_connect:\n"
			 "    access_key:\n"
			 "      secure: %s\n",
			 g1, g2, m1, j1, dep, addon);
	plan = plan_of(yaml, &config);
	o.key = test_key;
	o.trusted = true;
	o.build_config = config;
	check_ok(secrets_job_prepare(&j, plan_job_config(plan, 0), &o));
	text = vars_text(j.env, j.nenv);
	check_str(text, "PLAIN=1 GLOBAL_A=alpha-secret(s) "
			"GLOBAL_B=\"beta secret\"(s) OAEP_VAR=oaep-secret(s) "
			"MAPPED=map-secret-value(s) JOB_VAR=job-secret(s)");
	free(text);
	check_int(j.warnings.n, ==, 0);
	check(j.secure_env_vars);
	check(!j.secure_env_removed);
	/* deploy and addons get plaintext; env keeps its secure entries */
	d = val_map_get(j.config, "deploy");
	d = d->type == VAL_SEQ ? d->seq.v[0] : d;
	check_str(val_strv(val_map_get(d, "secret_access_key")),
		  "aws-secret-key");
	check_str(val_strv(val_map_get(d, "access_key_id")), "AKIA");
	acc = val_map_get(
		val_map_get(val_map_get(j.config, "addons"), "sauce_connect"),
		"access_key");
	check_str(val_strv(acc), "sauce-access-key");
	check(val_map_get(j.config, "env")->seq.v[1]->type == VAL_SECURE);
	/* every value is masked, also in its unescaped form */
	check(svec_has(&j.values, "aws-secret-key"));
	check(svec_has(&j.values, "\"beta secret\""));
	check(svec_has(&j.values, "map-secret-value"));
	check(j.mask);
	mask_string(j.mask, sample, strlen(sample), &masked);
	check_str(masked.ptr, "a [secure] b [secure] c [secure] "
			      "d [secure][secure] e [secure] f 1");
	check(j.config != config);
	secrets_job_release(&j);
	buf_release(&masked);
	val_free(plan);
	val_free(config);
	free(yaml);
	free(g1);
	free(g2);
	free(m1);
	free(j1);
	free(dep);
	free(addon);
}

void test_secrets__undecryptable(void)
{
	struct secrets_job j = SECRETS_JOB_INIT;
	struct secrets_opts o = { 0 };
	struct val *config = NULL, *plan;
	char *good, *wrong, *dep, *yaml, *text;
	const struct val *d;

	need_keys();
	good = enc(test_key, "GOOD=fine-secret", CRYPTO_RSA_PKCS1);
	wrong = enc(other_key, "WRONG=other-key", CRYPTO_RSA_PKCS1);
	dep = enc(other_key, "nope", CRYPTO_RSA_PKCS1);
	yaml = xasprintf("env:\n"
			 "  global:\n"
			 "    - secure: %s\n"
			 "    - secure: %s\n"
			 "    - secure: \"bm90IHJzYQ==\"\n"
			 "    - NAMED: {secure: \"!!notbase64\"}\n"
			 "deploy:\n"
			 "  provider: s3\n"
			 "  secret_access_key:\n"
			 "    secure: %s\n",
			 good, wrong, dep);
	plan = plan_of(yaml, &config);
	o.key = test_key;
	o.trusted = true;
	o.build_config = config;
	check_ok(secrets_job_prepare(&j, plan_job_config(plan, 0), &o));
	text = vars_text(j.env, j.nenv);
	check_str(text, "GOOD=fine-secret(s)");
	free(text);
	text = warnings_text(&j);
	check(strstr(text, "cannot decrypt env.global[1] (line 4): "));
	check(strstr(text, "cannot decrypt env.global[2] (line 5): "));
	check(strstr(text, "cannot decrypt env.global[3].NAMED (line 6): the "
			   "value is not Base64"));
	check(strstr(text, "cannot decrypt deploy[0].secret_access_key "
			   "(line 10): "));
	check_int(j.warnings.n, ==, 4);
	free(text);
	/* the option stays ciphertext, as Travis leaves it */
	d = val_map_get(j.config, "deploy");
	d = val_map_get(d->seq.v[0], "secret_access_key");
	check(d->type == VAL_SECURE);
	check_str(d->str.s, dep);
	check(j.secure_env_vars);
	secrets_job_release(&j);

	/* without a key: every secure value warns with the reason */
	o.key = NULL;
	o.no_key = "repository 'a/b' has no key";
	o.build_config = NULL; /* names from the job itself */
	check_ok(secrets_job_prepare(&j, plan_job_config(plan, 0), &o));
	check_int(j.nenv, ==, 0);
	check(!j.secure_env_vars);
	text = warnings_text(&j);
	check(strstr(text, "cannot decrypt env[0] (line 3): repository 'a/b' "
			   "has no key"));
	check(strstr(text, "env[3].NAMED"));
	check(strstr(text, "deploy[0].secret_access_key"));
	free(text);
	check(!j.mask);
	secrets_job_release(&j);
	val_free(plan);
	val_free(config);
	free(yaml);
	free(good);
	free(wrong);
	free(dep);
}

void test_secrets__fork(void)
{
	struct secrets_job j = SECRETS_JOB_INIT;
	struct secrets_opts o = { 0 };
	struct settings s = SETTINGS_INIT;
	struct script_var extra[] = { { "EXTRA", "x1", false } };
	struct val *config = NULL, *plan;
	char *g, *dep, *yaml, *text;
	const struct val *d;

	need_keys();
	g = enc(test_key, "SECRET=top-secret", CRYPTO_RSA_PKCS1);
	dep = enc(test_key, "deploy-secret", CRYPTO_RSA_PKCS1);
	yaml = xasprintf("env:\n  global:\n    - A=1\n    - secure: %s\n"
			 "deploy:\n  provider: s3\n  secret_access_key:\n"
			 "    secure: %s\n",
			 g, dep);
	plan = plan_of(yaml, &config);
	settings_set(&s, "PRIVATE", "settings-secret", false, NULL);
	settings_set(&s, "PUBLIC", "shown", true, NULL);
	o.key = test_key;
	o.settings = &s;
	o.extra = extra;
	o.nextra = 1;
	o.trusted = false;
	check_ok(secrets_job_prepare(&j, plan_job_config(plan, 0), &o));
	text = vars_text(j.env, j.nenv);
	check_str(text, "A=1");
	free(text);
	text = vars_text(j.settings, j.nsettings);
	check_str(text, "PUBLIC=shown EXTRA=x1");
	free(text);
	check(j.secure_env_removed);
	check(!j.secure_env_vars);
	check_int(j.values.n, ==, 0);
	check_int(j.warnings.n, ==, 0);
	d = val_map_get(val_map_get(j.config, "deploy")->seq.v[0],
			"secret_access_key");
	check(d->type == VAL_SECURE);
	secrets_job_release(&j);

	/* trusted: the same config gets everything */
	o.trusted = true;
	check_ok(secrets_job_prepare(&j, plan_job_config(plan, 0), &o));
	text = vars_text(j.settings, j.nsettings);
	check_str(text, "PRIVATE=settings-secret(s) PUBLIC=shown EXTRA=x1");
	free(text);
	text = vars_text(j.env, j.nenv);
	check_str(text, "A=1 SECRET=top-secret(s)");
	free(text);
	check(!j.secure_env_removed);
	check(j.secure_env_vars);
	check(svec_has(&j.values, "settings-secret"));
	check(!svec_has(&j.values, "shown"));
	secrets_job_release(&j);

	/* a fork without anything secure says nothing */
	settings_release(&s);
	settings_set(&s, "PUBLIC", "shown", true, NULL);
	val_free(plan);
	val_free(config);
	plan = plan_of("env: [A=1]\n", &config);
	o.trusted = false;
	check_ok(secrets_job_prepare(&j, plan_job_config(plan, 0), &o));
	check(!j.secure_env_removed);
	check(!j.secure_env_vars);
	secrets_job_release(&j);
	/* trusted with only public values: TRAVIS_SECURE_ENV_VARS false */
	o.trusted = true;
	check_ok(secrets_job_prepare(&j, plan_job_config(plan, 0), &o));
	check(!j.secure_env_vars);
	secrets_job_release(&j);
	settings_release(&s);
	val_free(plan);
	val_free(config);
	free(yaml);
	free(g);
	free(dep);
}

void test_secrets__trusted(void)
{
	static const struct {
		const char *event, *slug, *head;
		bool trusted;
	} cases[] = {
		{ "push", "a/b", NULL, true },
		{ NULL, "a/b", "x/y", true },
		{ "api", "a/b", "x/y", true },
		{ "cron", "a/b", NULL, true },
		{ "pull_request", "a/b", NULL, true },
		{ "pull_request", "a/b", "", true },
		{ "pull_request", "a/b", "a/b", true },
		{ "pull_request", "a/b", "fork/b", false },
		{ "pull_request", "a/b", "a/b2", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check(secrets_trusted(cases[i].event, cases[i].slug,
				      cases[i].head) == cases[i].trusted);
}

void test_secrets__settings_in_jobs(void)
{
	struct secrets_job j = SECRETS_JOB_INIT;
	struct secrets_opts o = { 0 };
	struct settings s = SETTINGS_INIT;
	struct val *config = NULL, *plan;
	char *text;

	settings_set(&s, "A", "dev-a", false, "dev");
	settings_set(&s, "A", "all-a", true, NULL);
	settings_set(&s, "B", "master-b", false, "master");
	plan = plan_of("env:\n  global: [A=yml]\n", &config);
	o.settings = &s;
	o.trusted = true;
	o.branch = "dev";
	check_ok(secrets_job_prepare(&j, plan_job_config(plan, 0), &o));
	/* settings first, branch ones after; .travis.yml last (it wins) */
	text = vars_text(j.settings, j.nsettings);
	check_str(text, "A=all-a A=dev-a(s)");
	free(text);
	text = vars_text(j.env, j.nenv);
	check_str(text, "A=yml");
	free(text);
	check(j.secure_env_vars);
	secrets_job_release(&j);
	o.branch = "feature";
	check_ok(secrets_job_prepare(&j, plan_job_config(plan, 0), &o));
	text = vars_text(j.settings, j.nsettings);
	check_str(text, "A=all-a");
	free(text);
	check(!j.secure_env_vars);
	secrets_job_release(&j);
	settings_release(&s);
	val_free(plan);
	val_free(config);
}

void test_secrets__encrypt_round_trip(void)
{
	struct buf b64 = BUF_INIT, plain = BUF_INIT, raw = BUF_INIT;
	char big[200];

	need_keys();
	check_ok(secrets_encrypt(test_key, "FOO=bar", 7, &b64));
	check(!strpbrk(b64.ptr, " \n\r\t"));
	check_int(b64.len, ==, 172); /* 128 bytes of a 1024-bit key */
	check_ok(secrets_decrypt(test_key, b64.ptr, &plain));
	check_str(plain.ptr, "FOO=bar");
	/* PKCS#1 v1.5: decrypts without the OAEP attempt */
	check_ok(crypto_base64_decode(&raw, b64.ptr, b64.len));
	check_int(raw.len, ==, 128);
	check_int(secrets_decrypt(other_key, b64.ptr, &plain), <, 0);
	memset(big, 'x', sizeof(big));
	check_int(secrets_encrypt(test_key, big, 117, &b64), ==, 0);
	check_int(secrets_encrypt(test_key, big, 118, &b64), ==, FY_ETOOBIG);
	check(strstr(err_msg(), "ferry encrypt-file"));
	buf_release(&b64);
	buf_release_secure(&plain);
	buf_release(&raw);
}

/* ---- yamledit ---------------------------------------------------------------- */

struct edit_case {
	const char *name;
	const char *in;
	const char *key;
	enum yamledit_mode mode;
	const char *items; /* '|'-separated; "secure:X" is {secure: X} */
	const char *out;   /* the whole file, or NULL: refused */
	const char *error; /* part of the message when refused */
};

#define A YAMLEDIT_APPEND
#define P YAMLEDIT_PREPEND
#define S YAMLEDIT_SET

static const struct edit_case edit_cases[] = {
	{ "append to a block list",
	  "language: c\nenv:\n  global:\n    - FOO=1   # one\n"
	  "    - secure: \"abc\"\n    # trailing comment\n  jobs:\n  - A=1\n"
	  "script: make\n",
	  "env.global", A, "secure:NEW",
	  "language: c\nenv:\n  global:\n    - FOO=1   # one\n"
	  "    - secure: \"abc\"\n    - secure: \"NEW\"\n"
	  "    # trailing comment\n  jobs:\n  - A=1\nscript: make\n" },
	{ "append to a compact list (dash at the key's column)",
	  "env:\n  jobs:\n  - A=1\n  -   B=2\nscript: make\n", "env.jobs", A,
	  "secure:X|secure:Y",
	  "env:\n  jobs:\n  - A=1\n  -   B=2\n  - secure: \"X\"\n"
	  "  - secure: \"Y\"\nscript: make\n" },
	{ "the items keep the list's spacing after the dash",
	  "env:\n  global:\n    -   A=1\n", "env.global", A, "secure:X",
	  "env:\n  global:\n    -   A=1\n    -   secure: \"X\"\n" },
	{ "prepend to a block list",
	  "before_install:\n  - echo one\n  - echo two\n", "before_install", P,
	  "openssl aes-256-cbc -K $k -in a.enc -out a -d",
	  "before_install:\n  - openssl aes-256-cbc -K $k -in a.enc -out a "
	  "-d\n  - echo one\n  - echo two\n" },
	{ "key missing under an existing map",
	  "language: c\nenv:\n  jobs:\n  - A=1\n\nscript: x\n", "env.global", A,
	  "secure:X",
	  "language: c\nenv:\n  jobs:\n  - A=1\n  global:\n"
	  "    - secure: \"X\"\n\nscript: x\n" },
	{ "key missing under a map indented by four",
	  "env:\n    jobs:\n        - A=1\n", "env.global", A, "secure:X",
	  "env:\n    jobs:\n        - A=1\n    global:\n"
	  "      - secure: \"X\"\n" },
	{ "whole path missing", "language: c\nscript: make\n", "env.global", A,
	  "secure:X",
	  "language: c\nscript: make\nenv:\n  global:\n    - secure: \"X\"\n" },
	{ "no final newline", "language: c", "env.global", A, "secure:X",
	  "language: c\nenv:\n  global:\n    - secure: \"X\"\n" },
	{ "empty file", "", "env.global", A, "secure:X",
	  "env:\n  global:\n    - secure: \"X\"\n" },
	{ "comments only", "# nothing yet\n", "env.global", A, "secure:X",
	  "# nothing yet\nenv:\n  global:\n    - secure: \"X\"\n" },
	{ "trailing comment lines stay last", "language: c\n\n# the end\n",
	  "env.global", A, "secure:X",
	  "language: c\nenv:\n  global:\n    - secure: \"X\"\n\n# the end\n" },
	{ "document start marker", "---\nlanguage: c\n", "env.global", A,
	  "secure:X",
	  "---\nlanguage: c\nenv:\n  global:\n    - secure: \"X\"\n" },
	{ "CRLF line breaks",
	  "language: c\r\nenv:\r\n  global:\r\n  - A=1\r\nscript: x\r\n",
	  "env.global", A, "secure:X",
	  "language: c\r\nenv:\r\n  global:\r\n  - A=1\r\n"
	  "  - secure: \"X\"\r\nscript: x\r\n" },
	{ "empty value", "env:\n  global:\nscript: x\n", "env.global", A,
	  "secure:X", "env:\n  global:\n    - secure: \"X\"\nscript: x\n" },
	{ "empty value with a comment", "env:\n  global: # later\n",
	  "env.global", A, "secure:X",
	  "env:\n  global: # later\n    - secure: \"X\"\n" },
	{ "null token", "env:\n  global: ~\n", "env.global", A, "secure:X",
	  "env:\n  global:\n    - secure: \"X\"\n" },
	{ "empty parent", "env:\nscript: x\n", "env.global", A, "secure:X",
	  "env:\n  global:\n    - secure: \"X\"\nscript: x\n" },
	{ "one-line scalar becomes a list (Travis's [old, new])",
	  "env:\n  global: FOO=1 # c\n", "env.global", A, "secure:X",
	  "env:\n  global: # c\n    - FOO=1\n    - secure: \"X\"\n" },
	{ "quoted scalar kept verbatim",
	  "before_install: 'echo \"a: b\"'\nscript: x\n", "before_install", P,
	  "make deps",
	  "before_install:\n  - make deps\n  - 'echo \"a: b\"'\nscript: x\n" },
	{ "one-line flow map becomes a list", "env:\n  global: {secure: old}\n",
	  "env.global", A, "secure:X",
	  "env:\n  global:\n    - {secure: old}\n    - secure: \"X\"\n" },
	{ "flow list: append", "before_install: [a, b]  # x\n",
	  "before_install", A, "c d|secure:X",
	  "before_install: [a, b, c d, {secure: \"X\"}]  # x\n" },
	{ "flow list: prepend", "before_install: [ a ]\n", "before_install", P,
	  "z", "before_install: [ z, a ]\n" },
	{ "flow list: empty", "before_install: []\n", "before_install", A, "z",
	  "before_install: [z]\n" },
	{ "flow list item that needs quotes", "script: [a]\n", "script", A,
	  "echo [x], y", "script: [a, \"echo [x], y\"]\n" },
	{ "block item that needs quotes", "script:\n- a\n", "script", A,
	  "echo a: b # c|true|- x",
	  "script:\n- a\n- \"echo a: b # c\"\n- \"true\"\n- \"- x\"\n" },
	{ "env given as a list is env.jobs", "env:\n  - A=1\n", "env.jobs", A,
	  "secure:X", "env:\n  - A=1\n  - secure: \"X\"\n" },
	{ "env.matrix too", "env: [A=1]\n", "env.matrix", A, "secure:X",
	  "env: [A=1, {secure: \"X\"}]\n" },
	{ "set a missing option", "deploy:\n  provider: s3\n  bucket: b\n",
	  "deploy.secret_access_key", S, "secure:X",
	  "deploy:\n  provider: s3\n  bucket: b\n  secret_access_key:\n"
	  "    secure: \"X\"\n" },
	{ "set over a block value",
	  "deploy:\n  provider: s3\n  api_key:\n    secure: old\n\n"
	  "  bucket: b\n",
	  "deploy.api_key", S, "secure:X",
	  "deploy:\n  provider: s3\n  api_key:\n    secure: \"X\"\n\n"
	  "  bucket: b\n" },
	{ "set over a one-line value",
	  "deploy:\n  api_key: \"plain\"  # note\n  bucket: b\n",
	  "deploy.api_key", S, "secure:X",
	  "deploy:\n  api_key:  # note\n    secure: \"X\"\n  bucket: b\n" },
	{ "set several items: a list",
	  "deploy:\n  api_key:\n  - a\n  - b\nscript: x\n", "deploy.api_key", S,
	  "secure:X|secure:Y",
	  "deploy:\n  api_key:\n    - secure: \"X\"\n    - secure: \"Y\"\n"
	  "script: x\n" },
	{ "non-ASCII text before the value on its line",
	  "name: \"caf\xc3\xa9 \xe2\x82\xac\" # \xc3\xa9\nscript: [\"\xc3\xa9\", b] "
	  "# \xc3\xa9\n",
	  "script", A, "c",
	  "name: \"caf\xc3\xa9 \xe2\x82\xac\" # \xc3\xa9\nscript: [\"\xc3\xa9\", b, c] "
	  "# \xc3\xa9\n" },
	{ "non-ASCII text before a block list",
	  "env:\n  global:\n    - A=\"\xc3\xa9\xc3\xa9\"\n", "env.global", A,
	  "secure:X",
	  "env:\n  global:\n    - A=\"\xc3\xa9\xc3\xa9\"\n    - secure: \"X\"\n" },

	/* refused */
	{ "a flow map on the path", "env: {global: [A=1]}\n", "env.global", A,
	  "secure:X", NULL, "env is a flow map" },
	{ "a lone CR (fuzz)", "\r\r\renv: k}e[T-ec[[", "env", A, "secure:X",
	  NULL, "a lone CR" },
	{ "a lone CR between keys", "language: c\renv:\n  - A=1\n", "env", A,
	  "secure:X", NULL, "a lone CR" },
	{ "a list where a map is needed", "env:\n- A=1\n", "env.global", A,
	  "secure:X", NULL, "env is not a map" },
	{ "deploy as a list", "deploy:\n- provider: s3\n", "deploy.api_key", S,
	  "secure:X", NULL, "deploy is not a map" },
	{ "a scalar where a map is needed", "env: A=1\n", "env.global", A,
	  "secure:X", NULL, "env is not a map" },
	{ "an anchor", "env:\n  global: &g\n  - A=1\nx: *g\n", "env.global", A,
	  "secure:X", NULL, "anchor" },
	{ "an alias", "x: &g [A=1]\nenv:\n  global: *g\n", "env.global", A,
	  "secure:X", NULL, "alias" },
	{ "duplicated keys", "env:\n  global: [A]\n  global: [B]\n",
	  "env.global", A, "secure:X", NULL, "duplicated keys" },
	{ "a multi-line flow list", "script: [a,\n  b]\n", "script", A, "c",
	  NULL, "spans several lines" },
	{ "a block map instead of a list", "env:\n  global:\n    A: 1\n",
	  "env.global", A, "secure:X", NULL, "not a list" },
	{ "a multi-line plain scalar", "script: a\n  b\n", "script", A, "c",
	  NULL, "one line" },
	{ "a block scalar", "script: |\n  a\n", "script", A, "c", NULL,
	  "not a list" },
	{ "not YAML", "a: [\n", "env.global", A, "secure:X", NULL,
	  "did not find" },
	{ "an indented first line", "  a: 1\n  b: 2\n", "env.global", A,
	  "secure:X", NULL, "the first line is indented" },
	{ "bad key", "a: 1\n", "env..global", A, "secure:X", NULL,
	  "invalid key" },
};

static struct val *edit_item(const char *s)
{
	struct val *m;

	if (strncmp(s, "secure:", 7))
		return val_str(s);
	m = val_map();
	val_map_set(m, "secure", val_str(s + 7));
	return m;
}

void test_secrets__yaml_add(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(edit_cases); i++) {
		const struct edit_case *c = &edit_cases[i];
		struct svec parts = SVEC_INIT;
		struct val *items[8];
		struct buf out = BUF_INIT;
		int err;

		svec_split(&parts, c->items, "|", false);
		for (size_t k = 0; k < parts.n; k++)
			items[k] = edit_item(parts.v[k]);
		buf_addstr(&out, "unchanged");
		err = yamledit_add(&out, c->in, strlen(c->in), c->key,
				   (const struct val *const *)items, parts.n,
				   c->mode);
		for (size_t k = 0; k < parts.n; k++)
			val_free(items[k]);
		svec_release(&parts);
		if (c->out && (err < 0 || strcmp(out.ptr + 9, c->out)))
			unit_fail(__FILE__, __LINE__,
				  "%s: err %d (%s)\n--- got\n%s\n--- want\n%s",
				  c->name, err, err < 0 ? err_msg() : "",
				  out.ptr + 9, c->out);
		if (!c->out &&
		    (err != FY_EINVALID || !strstr(err_msg(), c->error) ||
		     strcmp(out.ptr, "unchanged")))
			unit_fail(__FILE__, __LINE__,
				  "%s: want a refusal with '%s', got %d: %s",
				  c->name, c->error, err,
				  err < 0 ? err_msg() : out.ptr);
		buf_release(&out);
	}
}
