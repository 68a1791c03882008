/*
 * script.c: `provider: script`.  Like dpl's script provider, the command
 * runs in the job's own environment: inside the job's container, in its
 * working directory and with its variables, through the hand-off.
 */
#include "compat.h"

#include "deployer.h"
#include "error.h"
#include "val.h"

static int script_validate(const struct val *opts)
{
	const struct val *s = val_map_get(opts, "script");

	if (!val_text(s) && !(s && s->type == VAL_SEQ && s->seq.n))
		return err_set(FY_EINVALID,
			       "provider 'script' needs a 'script' option");
	return 0;
}

static int run_one(struct deploy_ctx *ctx, const char *cmd)
{
	int status = 0;
	int err;

	if (ctx->dry_run) {
		deploy_printf(ctx, "dry run: would run: %s\n", cmd);
		return 0;
	}
	if (!ctx->exec)
		return err_set(FY_EFAIL, "script provider: no job container");
	err = ctx->exec(ctx->payload, cmd, &status);
	if (err < 0)
		return err;
	if (status)
		return err_set(FY_EFAIL, "deploy script '%s' exited with %d",
			       cmd, status);
	return 0;
}

static int script_run(struct deploy_ctx *ctx)
{
	const struct val *s = val_map_get(ctx->opts, "script");
	int err = script_validate(ctx->opts);

	if (err < 0)
		return err;
	if (s->type != VAL_SEQ)
		return run_one(ctx, val_text(s));
	for (size_t i = 0; i < s->seq.n; i++) {
		const char *cmd = val_text(s->seq.v[i]);

		err = cmd ? run_one(ctx, cmd) : 0;
		if (err < 0)
			return err;
	}
	return 0;
}

const struct deployer deployer_script = {
	.name = "script",
	.validate = script_validate,
	.run = script_run,
};
