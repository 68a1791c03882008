#include "compat.h"

#include "ferryconf.h"
#include "images.h"
#include "jobprep.h"
#include "val.h"
#include "vcs.h"
#include "xalloc.h"

/* The job's env (a seq of maps) as exported variables. */
static void prep_env(struct job_prep *p, const struct val *cfg)
{
	const struct val *env = val_map_get(cfg, "env");
	size_t n = 0;

	for (size_t i = 0; env && env->type == VAL_SEQ && i < env->seq.n; i++)
		if (env->seq.v[i]->type == VAL_MAP)
			n += env->seq.v[i]->map.n;
	p->env = xcalloc(n ? n : 1, sizeof(*p->env));
	for (size_t i = 0; env && env->type == VAL_SEQ && i < env->seq.n; i++) {
		const struct val *m = env->seq.v[i];

		for (size_t k = 0; m->type == VAL_MAP && k < m->map.n; k++) {
			const struct val *v = m->map.v[k].v;

			if (v->type == VAL_SECURE)
				continue; /* not decrypted: Travis drops it */
			p->env[p->nenv].name = m->map.v[k].key;
			p->env[p->nenv].value = val_text(v) ? val_text(v) : "";
			p->env[p->nenv].secure = false;
			p->nenv++;
		}
	}
}

void job_prep_init(struct job_prep *p, const struct val *plan_job,
		   const struct job_prep_opts *o)
{
	const struct val *cfg = val_map_get(plan_job, "config");
	const struct val *af = val_map_get(plan_job, "allow_failure");
	const struct val *clone = val_map_get(val_map_get(cfg, "git"), "clone");
	struct job_spec *s = &p->spec;

	memset(p, 0, sizeof(*p));
	p->number = val_text(val_map_get(plan_job, "number"));
	p->stage = val_text(val_map_get(plan_job, "stage"));
	p->allow_failure = af && af->type == VAL_BOOL && af->b;
	p->image = images_for_job(&o->conf->images, cfg, &p->image_source);
	prep_env(p, cfg);
	s->config = cfg;
	s->image = p->image;
	s->workspace = o->workspace;
	s->network = o->network ? o->network : o->conf->network;
	s->log_silence = o->log_silence ? o->log_silence : o->conf->log_silence;
	s->hard_limit = o->hard_limit ? o->hard_limit : o->conf->hard_limit;
	s->log_max = o->log_max ? o->log_max : o->conf->log_max;
	s->services_conf = ferryconf_section(o->conf, "services");
	s->secrets = o->secrets;
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
	s->info.pr_branch = o->vcs->pr_branch;
	s->info.pr_sha = o->vcs->pr_sha;
	s->info.pr_slug = o->vcs->pr_slug;
	s->info.allow_failure = p->allow_failure;
	s->info.stage_name = p->stage;
	s->info.job_name = val_text(val_map_get(cfg, "name"));
	s->info.web_host = o->web_host ? o->web_host : "localhost";
	s->info.settings = o->settings;
	s->info.nsettings = o->nsettings;
	s->info.env = p->env;
	s->info.nenv = p->nenv;
	s->info.no_checkout = clone && clone->type == VAL_BOOL && !clone->b;
}

void job_prep_release(struct job_prep *p)
{
	free(p->image);
	free(p->env);
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
