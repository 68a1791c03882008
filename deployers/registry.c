/* registry.c: the built-in deploy providers, sorted by name. */
#include "compat.h"

#include "buf.h"
#include "deployer.h"
#include "val.h"

extern const struct deployer deployer_codedeploy;
extern const struct deployer deployer_s3;
extern const struct deployer deployer_script;

static const struct deployer *const deployers[] = {
	&deployer_codedeploy,
	&deployer_s3,
	&deployer_script,
};

static const char *const names[] = { "codedeploy", "s3", "script", NULL };

const struct deployer *deployer_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(deployers); i++)
		if (!strcmp(deployers[i]->name, name))
			return deployers[i];
	return NULL;
}

const char *const *deployer_names(void)
{
	return names;
}

void deploy_printf(struct deploy_ctx *ctx, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (ctx->write)
		ctx->write(ctx->payload, b.ptr, b.len);
	buf_release(&b);
}

const char *deploy_opt(const struct deploy_ctx *ctx, const char *key)
{
	const struct val *v = val_map_get(ctx->opts, key);

	if (v && v->type == VAL_SEQ)
		v = v->seq.n ? v->seq.v[0] : NULL;
	return val_text(v);
}

bool deploy_opt_bool(const struct deploy_ctx *ctx, const char *key, bool dflt)
{
	const struct val *v = val_map_get(ctx->opts, key);
	const char *t;

	if (!v || v->type == VAL_NULL)
		return dflt;
	if (v->type == VAL_BOOL)
		return v->b;
	t = val_text(v);
	if (t && (!strcmp(t, "true") || !strcmp(t, "yes") || !strcmp(t, "1")))
		return true;
	if (t && (!strcmp(t, "false") || !strcmp(t, "no") || !strcmp(t, "0")))
		return false;
	return dflt;
}
