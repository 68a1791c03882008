#include "compat.h"

#include "cache.h"
#include "crypto.h"
#include "error.h"
#include "ferryconf.h"
#include "images.h"
#include "jobprep.h"
#include "secrets.h"
#include "svec.h"
#include "val.h"
#include "vcs.h"
#include "xalloc.h"

/* The repository's key and settings when the caller has none. */
struct loaded {
	struct crypto_rsa *key;
	struct settings store;
	char *no_key;
	char *settings_error;
};

static void load_secrets(struct loaded *l, const struct job_prep_opts *o)
{
	char *dir;

	if (secrets_check_slug(o->vcs->slug) < 0) {
		l->no_key = xstrdup(err_msg());
		return;
	}
	if (!o->key) {
		dir = keys_dir(o->conf);
		if (keys_load(&l->key, dir, o->vcs->slug) < 0)
			l->no_key = xstrdup(err_msg());
		free(dir);
	}
	if (!o->store) {
		dir = settings_dir(o->conf);
		if (settings_open(&l->store, dir, o->vcs->slug, false) < 0)
			l->settings_error = xstrdup(err_msg());
		free(dir);
	}
}

static void loaded_release(struct loaded *l)
{
	crypto_rsa_free(l->key);
	settings_release(&l->store);
	free(l->no_key);
	free(l->settings_error);
}

/* Decrypt and collect the job's secrets (secrets.h). */
static int prep_secrets(struct job_prep *p, const struct val *cfg,
			const struct job_prep_opts *o)
{
	struct loaded l = { .store = SETTINGS_INIT };
	struct secrets_opts so = { 0 };
	const char *event = o->event ? o->event : o->vcs->event_type;
	const char *head = o->head_slug ? o->head_slug : o->vcs->pr_slug;
	int err;

	load_secrets(&l, o);
	so.key = o->key ? o->key : l.key;
	so.no_key = l.no_key;
	so.trusted = !o->fork && secrets_trusted(event, o->vcs->slug, head);
	so.settings = o->store ? o->store : &l.store;
	so.branch = o->vcs->branch;
	so.extra = o->settings;
	so.nextra = o->nsettings;
	so.build_config = o->build_config;
	err = secrets_job_prepare(&p->secrets, cfg, &so);
	if (err < 0) {
		/* cannot mask: give the job no secret at all */
		so.trusted = false;
		so.settings = NULL;
		secrets_job_prepare(&p->secrets, cfg, &so);
		svec_push(&p->secrets.warnings, err_msg());
	}
	if (l.settings_error)
		svec_pushf(&p->secrets.warnings,
			   "repository settings not loaded: %s",
			   l.settings_error);
	loaded_release(&l);
	return err;
}

int job_prep_init(struct job_prep *p, const struct val *plan_job,
		  const struct job_prep_opts *o)
{
	const struct val *cfg = val_map_get(plan_job, "config");
	const struct val *af = val_map_get(plan_job, "allow_failure");
	const struct val *clone = val_map_get(val_map_get(cfg, "git"), "clone");
	struct job_spec *s = &p->spec;
	struct secrets_job *sj = &p->secrets;
	int err;

	memset(p, 0, sizeof(*p));
	p->number = val_text(val_map_get(plan_job, "number"));
	p->stage = val_text(val_map_get(plan_job, "stage"));
	p->allow_failure = af && af->type == VAL_BOOL && af->b;
	p->image = images_for_job(&o->conf->images, cfg, &p->image_source);
	err = prep_secrets(p, cfg, o);
	s->config = sj->config;
	s->image = p->image;
	s->workspace = o->workspace;
	s->network = o->network ? o->network : o->conf->network;
	s->log_silence = o->log_silence ? o->log_silence : o->conf->log_silence;
	s->hard_limit = o->hard_limit ? o->hard_limit : o->conf->hard_limit;
	s->log_max = o->log_max ? o->log_max : o->conf->log_max;
	s->services_conf = ferryconf_section(o->conf, "services");
	s->cache_conf = ferryconf_section(o->conf, "cache");
	s->data_dir = o->conf->data_dir;
	s->default_branch = o->vcs->default_branch;
	s->secrets = sj->mask;
	s->info.slug = o->vcs->slug;
	s->info.build_id = o->build_id;
	s->info.build_number = o->build_number;
	s->info.job_id = p->number;
	s->info.job_number = p->number;
	s->info.event = o->event ? o->event : o->vcs->event_type;
	s->info.branch = o->vcs->branch;
	s->info.tag = o->vcs->tag;
	s->info.commit = o->vcs->commit;
	s->info.commit_message = o->vcs->message;
	s->info.commit_range = o->vcs->range;
	s->info.pull_request = o->pull_request;
	s->info.pr_branch = o->head_branch ? o->head_branch : o->vcs->pr_branch;
	s->info.pr_sha = o->vcs->pr_sha;
	s->info.pr_slug = o->head_slug ? o->head_slug : o->vcs->pr_slug;
	s->info.secure_env_vars = sj->secure_env_vars;
	s->info.secure_env_removed = sj->secure_env_removed;
	s->info.allow_failure = p->allow_failure;
	s->info.stage_name = p->stage;
	s->info.job_name = val_text(val_map_get(cfg, "name"));
	s->info.web_host = o->web_host ? o->web_host : "localhost";
	s->info.settings = sj->settings;
	s->info.nsettings = sj->nsettings;
	s->info.env = sj->env;
	s->info.nenv = sj->nenv;
	s->info.no_checkout = clone && clone->type == VAL_BOOL && !clone->b;
	s->info.checkout_notes = o->checkout_notes;
	s->info.cache_enabled =
		cache_conf_enabled(s->cache_conf) && cache_wanted(s->config);
	return err;
}

void job_prep_release(struct job_prep *p)
{
	free(p->image);
	secrets_job_release(&p->secrets);
	memset(p, 0, sizeof(*p));
}

const char *job_describe(const struct val *cfg, char *out, size_t size)
{
	const char *name = val_text(val_map_get(cfg, "name"));
	const struct val *env = val_map_get(cfg, "env");
	const char *lang = val_text(val_map_get(cfg, "language"));
	const char *v = images_job_version(cfg);
	size_t len;

	if (name) {
		snprintf(out, size, "%s", name);
		return out;
	}
	snprintf(out, size, "%s%s%s", lang ? lang : "", v ? " " : "",
		 v ? v : "");
	len = strlen(out);
	for (size_t i = 0; env && env->type == VAL_SEQ && i < env->seq.n; i++) {
		const struct val *m = env->seq.v[i];

		for (size_t k = 0; m->type == VAL_MAP && k < m->map.n; k++) {
			const struct val *x = m->map.v[k].v;

			if (len + 2 >= size)
				return out;
			len += (size_t)snprintf(out + len, size - len, " %s=%s",
						m->map.v[k].key,
						x->type == VAL_SECURE
							? "[secure]"
						: val_text(x) ? val_text(x)
							      : "");
		}
	}
	return out;
}
