/*
 * secrets.c: `secure:` values and repository settings given to a job
 * (secrets.h; spec travis.md 4.1, 7.1, 7.2).
 */
#include "compat.h"

#include "buf.h"
#include "crypto.h"
#include "envvar.h"
#include "error.h"
#include "mask.h"
#include "secrets.h"
#include "val.h"
#include "xalloc.h"

#define SECURE_MAX (64 * 1024) /* Base64 of a 16384-bit ciphertext: 2.7K */

bool secrets_trusted(const char *event, const char *slug, const char *head_slug)
{
	if (!event || strcmp(event, "pull_request"))
		return true;
	return !head_slug || !*head_slug || (slug && !strcmp(head_slug, slug));
}

int secrets_decrypt(const struct crypto_rsa *key, const char *b64,
		    struct buf *out)
{
	struct buf raw = BUF_INIT;
	size_t len = strlen(b64);
	int err;

	if (len > SECURE_MAX)
		return err_set(FY_ETOOBIG, "the value is over %u bytes",
			       SECURE_MAX);
	err = crypto_base64_decode(&raw, b64, len);
	if (err < 0)
		err = err_set(FY_EINVALID, "the value is not Base64");
	else if (!raw.len)
		err = err_set(FY_EINVALID, "the value is empty");
	else
		err = crypto_rsa_decrypt(key, out, raw.ptr, raw.len);
	buf_release(&raw);
	return err;
}

int secrets_encrypt(const struct crypto_rsa *key, const void *data, size_t len,
		    struct buf *out)
{
	struct buf raw = BUF_INIT;
	size_t max = crypto_rsa_max_plaintext(key, CRYPTO_RSA_PKCS1);
	int err;

	if (len > max)
		return err_set(FY_ETOOBIG,
			       "%zu bytes are too long for the repository's "
			       "%u-bit key (at most %zu): use 'ferry "
			       "encrypt-file' or 'ferry env set'",
			       len, crypto_rsa_bits(key), max);
	err = crypto_rsa_encrypt(key, &raw, data, len, CRYPTO_RSA_PKCS1);
	if (!err)
		err = crypto_base64_encode(out, raw.ptr, raw.len);
	buf_release(&raw);
	return err;
}

/* ---- key paths of secure values in the build config --------------------- */

struct named {
	const char *ciphertext; /* borrowed from the build config */
	char *path;
};

struct names {
	struct named *v;
	size_t n, alloc;
};

/* Append ".key" (or "key" at the root) to `path`. */
static void path_key(struct buf *path, const char *key)
{
	if (path->len)
		buf_addch(path, '.');
	buf_addstr(path, key);
}

static void collect_names(struct names *t, const struct val *v,
			  struct buf *path)
{
	size_t len = path->len;

	switch (v->type) {
	case VAL_SECURE:
		XGROW(t->v, t->alloc, t->n + 1);
		t->v[t->n].ciphertext = v->str.s;
		t->v[t->n].path = xstrdup(path->ptr);
		t->n++;
		break;
	case VAL_SEQ:
		for (size_t i = 0; i < v->seq.n; i++) {
			buf_addf(path, "[%zu]", i);
			collect_names(t, v->seq.v[i], path);
			buf_setlen(path, len);
		}
		break;
	case VAL_MAP:
		for (size_t i = 0; i < v->map.n; i++) {
			path_key(path, v->map.v[i].key);
			collect_names(t, v->map.v[i].v, path);
			buf_setlen(path, len);
		}
		break;
	case VAL_NULL:
	case VAL_BOOL:
	case VAL_NUM:
	case VAL_STR:
		break;
	}
}

static void names_release(struct names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
}

/* ---- one job ------------------------------------------------------------- */

struct prep {
	struct secrets_job *j;
	const struct secrets_opts *o;
	struct names names;
	size_t env_alloc, settings_alloc;
};

/* A string owned by the job (wiped on release). */
static const char *keep(struct prep *p, const char *s)
{
	svec_push(&p->j->strings, s);
	return p->j->strings.v[p->j->strings.n - 1];
}

static void add_secret(struct prep *p, const char *value)
{
	if (*value && !svec_has(&p->j->values, value))
		svec_push(&p->j->values, value);
}

static void add_var(struct prep *p, struct script_var **vars, size_t *n,
		    size_t *alloc, const char *name, const char *value,
		    bool secure)
{
	struct script_var *v;

	*vars = xgrow(*vars, alloc, *n + 1, sizeof(**vars));
	v = &(*vars)[(*n)++];
	v->name = keep(p, name);
	v->value = keep(p, value);
	v->secure = secure;
	if (secure)
		add_secret(p, value);
}

static void add_env(struct prep *p, const char *name, const char *value,
		    bool secure)
{
	add_var(p, &p->j->env, &p->j->nenv, &p->env_alloc, name, value, secure);
	if (secure)
		p->j->secure_env_vars = true;
}

/* Record that the value at `path` did not decrypt. */
static void warn(struct prep *p, const struct val *v, const char *path,
		 const char *why)
{
	const char *name = path;
	struct buf w = BUF_INIT;

	for (size_t i = 0; i < p->names.n; i++)
		if (!strcmp(p->names.v[i].ciphertext, v->str.s)) {
			name = p->names.v[i].path;
			break;
		}
	buf_addf(&w, "cannot decrypt %s", name);
	if (v->line >= 0)
		buf_addf(&w, " (line %d)", v->line + 1);
	buf_addf(&w, ": %s", why);
	if (!svec_has(&p->j->warnings, w.ptr))
		svec_push(&p->j->warnings, w.ptr);
	buf_release(&w);
}

/* Decrypt the secure value `v` into `out`; false (with a warning) if not. */
static bool decrypt(struct prep *p, const struct val *v, const char *path,
		    struct buf *out)
{
	if (!p->o->key) {
		warn(p, v, path,
		     p->o->no_key ? p->o->no_key : "the repository has no key");
		return false;
	}
	if (secrets_decrypt(p->o->key, v->str.s, out) < 0) {
		warn(p, v, path, err_msg());
		return false;
	}
	if (memchr(out->ptr, '\0', out->len)) {
		warn(p, v, path, "the plaintext holds a NUL byte");
		return false;
	}
	return true;
}

/* Wipe every string of a tree (decrypted values, parsed plaintext). */
static void wipe_val(struct val *v)
{
	if (!v)
		return;
	switch (v->type) {
	case VAL_STR:
	case VAL_SECURE:
	case VAL_NUM:
		explicit_bzero(v->str.s, v->str.len);
		break;
	case VAL_SEQ:
		for (size_t i = 0; i < v->seq.n; i++)
			wipe_val(v->seq.v[i]);
		break;
	case VAL_MAP:
		for (size_t i = 0; i < v->map.n; i++)
			wipe_val(v->map.v[i].v);
		break;
	case VAL_NULL:
	case VAL_BOOL:
		break;
	}
}

/*
 * The variables of an env string as travis-build reads it (Var.parse):
 * `secure` marks them all; a leading "SECURE " does too.
 */
static size_t add_env_string(struct prep *p, const char *s, bool secure,
			     const char *only)
{
	struct val *vars = NULL;
	bool marked = false;
	size_t n = 0;

	envvar_parse_build(&vars, s, &marked);
	for (size_t i = 0; i < vars->map.n; i++) {
		const char *name = vars->map.v[i].key;

		if (only && strcmp(name, only))
			continue;
		add_env(p, name, val_text(vars->map.v[i].v), secure || marked);
		n++;
	}
	wipe_val(vars);
	val_free(vars);
	return n;
}

/* A `{secure: X}` entry of the env list: "NAME=value [NAME2=value2]". */
static void env_secure_entry(struct prep *p, const struct val *v,
			     const char *path)
{
	struct buf plain = BUF_INIT;

	if (!p->o->trusted) {
		p->j->secure_env_removed = true;
		return;
	}
	if (decrypt(p, v, path, &plain)) {
		add_secret(p, plain.ptr);
		if (!add_env_string(p, plain.ptr, true, NULL))
			warn(p, v, path, "the plaintext holds no NAME=value");
	}
	buf_release_secure(&plain);
}

/* A `NAME: {secure: X}` entry: the plaintext is the value. */
static void env_secure_value(struct prep *p, const char *name,
			     const struct val *v, const char *path)
{
	struct buf plain = BUF_INIT, line = BUF_INIT;

	if (!p->o->trusted) {
		p->j->secure_env_removed = true;
		return;
	}
	if (decrypt(p, v, path, &plain)) {
		add_secret(p, plain.ptr);
		/* Travis makes it "SECURE NAME=<plaintext>" and reads that. */
		buf_addf(&line, "%s=%s", name, plain.ptr);
		if (!add_env_string(p, line.ptr, true, name))
			warn(p, v, path, "the plaintext is not a value");
	}
	buf_release_secure(&line);
	buf_release_secure(&plain);
}

static void prep_env(struct prep *p, const struct val *job)
{
	const struct val *env = val_map_get(job, "env");
	struct buf path = BUF_INIT;

	for (size_t i = 0; val_is(env, VAL_SEQ) && i < env->seq.n; i++) {
		const struct val *e = env->seq.v[i];

		buf_reset(&path);
		buf_addf(&path, "env[%zu]", i);
		if (e->type == VAL_SECURE) {
			env_secure_entry(p, e, path.ptr);
		} else if (e->type == VAL_STR) {
			bool marked = false;
			struct val *vars = NULL;

			/* "SECURE A=b" strings are secure too (Var.parse). */
			envvar_parse_build(&vars, e->str.s, &marked);
			val_free(vars);
			if (marked && !p->o->trusted)
				p->j->secure_env_removed = true;
			else
				add_env_string(p, e->str.s, false, NULL);
		}
		for (size_t k = 0; e->type == VAL_MAP && k < e->map.n; k++) {
			const char *name = e->map.v[k].key;
			const struct val *v = e->map.v[k].v;
			size_t len = path.len;

			buf_addf(&path, ".%s", name);
			if (v->type == VAL_SECURE)
				env_secure_value(p, name, v, path.ptr);
			else
				add_env(p, name, val_text(v) ? val_text(v) : "",
					false);
			buf_setlen(&path, len);
		}
	}
	buf_release(&path);
}

/* Every `{secure: X}` outside env becomes its plaintext (spec 7.2). */
static void decrypt_tree(struct prep *p, struct val *v, struct buf *path)
{
	size_t len = path->len;
	struct buf plain = BUF_INIT;

	switch (v->type) {
	case VAL_SECURE:
		if (decrypt(p, v, path->ptr, &plain)) {
			add_secret(p, plain.ptr);
			explicit_bzero(v->str.s, v->str.len);
			free(v->str.s);
			v->type = VAL_STR;
			v->str.s = xmemdupz(plain.ptr, plain.len);
			v->str.len = plain.len;
		}
		buf_release_secure(&plain);
		break;
	case VAL_SEQ:
		for (size_t i = 0; i < v->seq.n; i++) {
			buf_addf(path, "[%zu]", i);
			decrypt_tree(p, v->seq.v[i], path);
			buf_setlen(path, len);
		}
		break;
	case VAL_MAP:
		for (size_t i = 0; i < v->map.n; i++) {
			if (!len && !strcmp(v->map.v[i].key, "env"))
				continue; /* given as variables instead */
			path_key(path, v->map.v[i].key);
			decrypt_tree(p, v->map.v[i].v, path);
			buf_setlen(path, len);
		}
		break;
	case VAL_NULL:
	case VAL_BOOL:
	case VAL_NUM:
	case VAL_STR:
		break;
	}
}

static void prep_settings(struct prep *p)
{
	const struct settings *s = p->o->settings;
	const struct settings_var **vars;
	size_t n;

	if (s && s->n) {
		vars = xcalloc(s->n, sizeof(*vars));
		n = settings_for_branch(s, p->o->branch, vars);
		for (size_t i = 0; i < n; i++) {
			if (!vars[i]->public && !p->o->trusted) {
				p->j->secure_env_removed = true;
				continue;
			}
			add_var(p, &p->j->settings, &p->j->nsettings,
				&p->settings_alloc, vars[i]->name,
				vars[i]->value, !vars[i]->public);
			if (!vars[i]->public)
				p->j->secure_env_vars = true;
		}
		free(vars);
	}
	for (size_t i = 0; i < p->o->nextra; i++)
		add_var(p, &p->j->settings, &p->j->nsettings,
			&p->settings_alloc, p->o->extra[i].name,
			p->o->extra[i].value, p->o->extra[i].secure);
}

int secrets_job_prepare(struct secrets_job *out, const struct val *job,
			const struct secrets_opts *o)
{
	struct secrets_job j = SECRETS_JOB_INIT;
	struct prep p = { .j = &j, .o = o };
	struct buf path = BUF_INIT;
	int err = 0;

	if (o->build_config) {
		collect_names(&p.names, o->build_config, &path);
		buf_reset(&path);
	}
	j.config = val_dup(job);
	prep_settings(&p);
	prep_env(&p, job);
	if (o->trusted)
		decrypt_tree(&p, j.config, &path);
	j.secure_env_vars = j.secure_env_vars && o->trusted;
	if (j.values.n)
		err = mask_set_new(&j.mask, (const char *const *)j.values.v,
				   j.values.n);
	buf_release(&path);
	names_release(&p.names);
	if (err < 0) {
		secrets_job_release(&j);
		return err_wrap(err, "cannot mask the job's secrets");
	}
	*out = j;
	return 0;
}

static void wipe_svec(struct svec *s)
{
	for (size_t i = 0; i < s->n; i++)
		explicit_bzero(s->v[i], strlen(s->v[i]));
	svec_release(s);
}

void secrets_job_release(struct secrets_job *j)
{
	wipe_val(j->config);
	val_free(j->config);
	free(j->settings);
	free(j->env);
	wipe_svec(&j->values);
	wipe_svec(&j->strings);
	mask_set_free(j->mask);
	svec_release(&j->warnings);
	memset(j, 0, sizeof(*j));
	j->values = (struct svec)SVEC_INIT;
	j->warnings = (struct svec)SVEC_INIT;
	j->strings = (struct svec)SVEC_INIT;
}
