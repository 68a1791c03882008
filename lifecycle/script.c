/*
 * script.c: the job's bash script, phase by phase, in the shape
 * travis-build generates (spec/travis.md 1.1-1.9, 3, 4, 6.5).
 */
#include "compat.h"

#include "buf.h"
#include "cache.h"
#include "error.h"
#include "lang.h"
#include "script.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define RED    "\\033[31;1m"
#define YELLOW "\\033[33;1m"
#define RESET  "\\033[0m"

static void shell_escape(struct buf *out, const char *s);

/* Options of a phase's commands (spec 1.2). */
struct phase_opts {
	bool assert, echo, timing;
};

static struct phase_opts phase_opts(const char *stage)
{
	struct phase_opts o = { false, true, true };

	o.assert = !strcmp(stage, "before_install") ||
		   !strcmp(stage, "install") ||
		   !strcmp(stage, "before_script") ||
		   !strcmp(stage, "before_deploy");
	return o;
}

static void emit_cmd(struct buf *out, const char *command,
		     const struct phase_opts *o, const char *event,
		     const char *display, bool secure, bool retry)
{
	buf_addstr(out, "travis_cmd ");
	buf_add_shquote(out, command);
	if (o->assert)
		buf_addstr(out, " --assert");
	if (o->echo)
		buf_addstr(out, " --echo");
	if (display) {
		buf_addstr(out, " --display ");
		buf_add_shquote(out, display);
	}
	if (retry)
		buf_addstr(out, " --retry");
	if (o->timing)
		buf_addstr(out, " --timing");
	if (event && *event)
		buf_addf(out, " --event %s", event);
	if (secure)
		buf_addstr(out, " --secure");
	buf_addch(out, '\n');
}

/* echo -e with an ANSI colour, as travis-build's sh.echo does. */
static void emit_echo(struct buf *out, const char *color, const char *text)
{
	struct buf t = BUF_INIT;

	if (!*text) {
		buf_addstr(out, "echo\n");
		return;
	}
	if (color)
		buf_addf(&t, "%s%s%s", color, text, RESET);
	else
		buf_addstr(&t, text);
	buf_addstr(out, "echo -e ");
	buf_add_shquote(out, t.ptr);
	buf_addch(out, '\n');
	buf_release(&t);
}

static void emit_export(struct buf *out, const char *name, const char *value)
{
	buf_addf(out, "export %s=", name);
	buf_add_shquote(out, value ? value : "");
	buf_addch(out, '\n');
}

/* The commands of a custom stage; NULL when the key is absent. */
static const struct val *stage_cmds(const struct val *job, const char *stage)
{
	const struct val *v = val_map_get(job, stage);

	if (!v || v->type == VAL_NULL || (v->type == VAL_BOOL && !v->b))
		return NULL;
	return v;
}

static bool is_skip(const struct val *cmds)
{
	const struct val *v = cmds;

	if (v->type == VAL_SEQ && v->seq.n == 1)
		v = v->seq.v[0];
	return val_strv(v) &&
	       (!strcmp(val_strv(v), "skip") || !strcmp(val_strv(v), "ignore"));
}

static const char *cmd_text(const struct val *v)
{
	const char *t = val_text(v);

	return t ? t : "";
}

/* User commands of a custom stage (spec 1.2, travis-build Custom). */
static void emit_custom(struct buf *out, const struct val *cmds,
			const char *stage)
{
	struct phase_opts o = phase_opts(stage);
	bool script = !strcmp(stage, "script");
	size_t n = cmds->type == VAL_SEQ ? cmds->seq.n : 1;

	if (is_skip(cmds)) {
		buf_addf(
			out,
			"echo -e 'Skipping the %s step, as specified in the configuration.'\n",
			stage);
		if (script)
			buf_addstr(out, "travis_result 0\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct val *c =
			cmds->type == VAL_SEQ ? cmds->seq.v[i] : cmds;
		char fold[64] = "";

		if (!script) {
			if (n > 1)
				snprintf(fold, sizeof(fold), "%s.%zu", stage,
					 i + 1);
			else
				snprintf(fold, sizeof(fold), "%s", stage);
			buf_addf(out, "travis_fold start %s\n", fold);
		}
		emit_cmd(out, cmd_text(c), &o, stage, NULL, false, false);
		if (script)
			buf_addstr(out, "travis_result $?\n");
		else
			buf_addf(out, "travis_fold end %s\n", fold);
	}
}

/* A custom stage: the user's commands, else the language default. */
static void emit_stage(struct buf *out, const struct val *job,
		       const char *stage)
{
	const struct val *cmds = stage_cmds(job, stage);

	if (cmds)
		emit_custom(out, cmds, stage);
	else
		lang_default(out, stage, job);
}

static void begin_fn(struct buf *out, const char *name)
{
	buf_addf(out, "\ntravis_run_%s() {\n:\n", name);
}

static void end_fn(struct buf *out)
{
	buf_addstr(out, "}\n");
}

static const char *first_text(const struct val *v)
{
	if (v && v->type == VAL_SEQ)
		v = v->seq.n ? v->seq.v[0] : NULL;
	return val_text(v);
}

static void emit_apt(struct buf *out, const struct val *job)
{
	const struct val *addons = val_map_get(job, "addons");
	const struct val *apt = val_map_get(addons, "apt");
	const struct val *pkgs = val_map_get(apt, "packages");
	const struct val *srcs = val_map_get(apt, "sources");
	const struct val *update = val_map_get(apt, "update");
	struct phase_opts o = { true, true, true };
	struct buf c = BUF_INIT;

	if (!apt || (!pkgs && !srcs &&
		     !(update && update->type == VAL_BOOL && update->b)))
		return;
	buf_addstr(out, "travis_fold start apt\n");
	if (srcs && srcs->type == VAL_SEQ && srcs->seq.n) {
		emit_echo(out, YELLOW, "Adding APT Sources");
		for (size_t i = 0; i < srcs->seq.n; i++) {
			const struct val *s = srcs->seq.v[i];
			const char *line =
				val_text(val_map_get(s, "sourceline"));
			const char *key = val_text(val_map_get(s, "key_url"));

			if (!line)
				line = val_text(s);
			if (!line)
				continue;
			buf_reset(&c);
			if (!strncmp(line, "ppa:", 4)) {
				buf_addstr(&c,
					   "sudo -E apt-add-repository -y ");
				buf_add_shquote(&c, line);
				emit_cmd(out, c.ptr, &o, "", NULL, false,
					 false);
				continue;
			}
			if (key) {
				buf_addstr(&c, "curl -sSL ");
				buf_add_shquote(&c, key);
				buf_addstr(&c, " | sudo -E apt-key add -");
				emit_cmd(out, c.ptr, &o, "", NULL, false,
					 false);
				buf_reset(&c);
			}
			buf_addstr(&c, "echo ");
			buf_add_shquote(&c, line);
			buf_addstr(
				&c,
				" | sudo tee -a ${TRAVIS_ROOT}/etc/apt/sources.list >/dev/null");
			emit_cmd(out, c.ptr, &o, "", NULL, false, false);
		}
	}
	{
		struct phase_opts u = { false, true, true };

		emit_cmd(out, "travis_apt_get_update", &u, "", NULL, false,
			 true);
	}
	if (pkgs && pkgs->type == VAL_SEQ && pkgs->seq.n) {
		struct phase_opts p = { false, true, true };

		emit_echo(out, YELLOW, "Installing APT Packages");
		buf_reset(&c);
		buf_addstr(
			&c,
			"sudo -E apt-get -yq --no-install-suggests "
			"--no-install-recommends $(travis_apt_get_options) install");
		for (size_t i = 0; i < pkgs->seq.n; i++) {
			const char *pk = val_text(pkgs->seq.v[i]);

			if (pk) {
				buf_addch(&c, ' ');
				buf_addstr(&c, pk);
			}
		}
		emit_cmd(out, c.ptr, &p, "", NULL, false, false);
		buf_addstr(out, "result=$?\nif [[ $result -ne 0 ]]; then\n"
				"travis_fold start apt-get.diagnostics\n");
		emit_echo(out, RED, "apt-get install failed");
		buf_addstr(
			out,
			"travis_cmd 'cat ${TRAVIS_HOME}/apt-get-update.log' --echo\n"
			"travis_fold end apt-get.diagnostics\n"
			"TRAVIS_CMD=");
		buf_add_shquote(out, c.ptr);
		buf_addstr(out, "\ntravis_assert $result\nfi\n");
	}
	buf_addstr(out, "travis_fold end apt\n");
	buf_release(&c);
}

/* Services start in prepare; ferry runs them as sidecar containers. */
static void emit_services(struct buf *out, const struct val *job)
{
	const struct val *services = val_map_get(job, "services");
	struct buf names = BUF_INIT;

	if (!services || services->type != VAL_SEQ || !services->seq.n)
		return;
	for (size_t i = 0; i < services->seq.n; i++) {
		const char *s = val_text(services->seq.v[i]);

		if (!s)
			continue;
		if (names.len)
			buf_addch(&names, ',');
		buf_addstr(&names, s);
	}
	buf_addstr(out, "if [[ \"${TRAVIS_OS_NAME}\" == linux ]]; then\n"
			"travis_fold start services\n"
			"ferry_handoff services ");
	buf_add_shquote(out, names.ptr);
	buf_addstr(out, "\ntravis_fold end services\nelse\n");
	emit_echo(out, RED, "Services are not supported on ${TRAVIS_OS_NAME}");
	buf_addstr(out, "fi\n");
	buf_release(&names);
}

static void emit_hosts(struct buf *out, const struct val *job)
{
	const struct val *hosts =
		val_map_get(val_map_get(job, "addons"), "hosts");
	struct buf names = BUF_INIT;

	if (!hosts || hosts->type != VAL_SEQ || !hosts->seq.n)
		return;
	for (size_t i = 0; i < hosts->seq.n; i++)
		if (val_text(hosts->seq.v[i]))
			buf_addf(&names, " %s", val_text(hosts->seq.v[i]));
	buf_addstr(out, "travis_fold start hosts\n");
	buf_addf(out,
		 "echo '127.0.0.1%s' | sudo tee -a /etc/hosts >/dev/null\n",
		 names.ptr);
	buf_addf(out, "echo '::1%s' | sudo tee -a /etc/hosts >/dev/null\n",
		 names.ptr);
	buf_addstr(out, "travis_fold end hosts\n");
	buf_release(&names);
}

static void emit_checkout(struct buf *out, const struct val *job,
			  const struct job_info *info)
{
	const struct val *git = val_map_get(job, "git");

	if (info->no_checkout) {
		emit_echo(out, YELLOW,
			  "Skipping `git clone` based on given configuration");
		return;
	}
	buf_addstr(out, "travis_fold start git.checkout\n");
	/* as travis-build: git-lfs in the job leaves pointers alone too */
	if (val_is(val_map_get(git, "lfs_skip_smudge"), VAL_BOOL) &&
	    val_map_get(git, "lfs_skip_smudge")->b)
		buf_addstr(out, "export GIT_LFS_SKIP_SMUDGE=1\n");
	{
		struct buf t = BUF_INIT;

		if (info->commit && *info->commit)
			buf_addf(
				&t,
				"ferry: %s at %.12s%s%s%s copied into $TRAVIS_HOME/build/%s",
				info->slug, info->commit,
				info->branch ? " (" : "",
				info->branch ? info->branch : "",
				info->branch ? ")" : "", info->slug);
		else
			buf_addf(
				&t,
				"ferry: the directory %s copied into $TRAVIS_HOME/build/%s",
				info->slug, info->slug);
		buf_addstr(out, "echo ");
		buf_add_shquote(out, t.ptr);
		buf_addch(out, '\n');
		buf_release(&t);
	}
	/* what the checkout had to say (Git LFS), as git's output on Travis */
	for (size_t i = 0; info->checkout_notes && i < info->checkout_notes->n;
	     i++) {
		buf_addstr(out, "echo ");
		buf_add_shquote(out, info->checkout_notes->v[i]);
		buf_addch(out, '\n');
	}
	if (val_text(val_map_get(git, "sparse_checkout")))
		emit_echo(out, YELLOW,
			  "ferry: git.sparse_checkout is not supported: "
			  "the whole tree is checked out");
	/* the copied workspace may belong to another user than the job's:
	 * git would refuse it as of "dubious ownership" */
	buf_addstr(out, "if [ -d \"${TRAVIS_HOME}/build/\"");
	buf_add_shquote(out, info->slug);
	buf_addstr(out, "/.git ] && command -v git >/dev/null; then "
			"git config --global --add safe.directory "
			"\"${TRAVIS_HOME}/build/\"");
	buf_add_shquote(out, info->slug);
	buf_addstr(out, "; fi\n");
	buf_addstr(out, "travis_fold end git.checkout\n");
	{
		struct phase_opts o = { true, true, false };
		struct buf c = BUF_INIT;

		buf_addstr(&c, "cd ");
		shell_escape(&c, info->slug);
		emit_cmd(out, c.ptr, &o, "", NULL, false, false);
		buf_release(&c);
	}
}

static void emit_builtin_env(struct buf *out, const struct val *job,
			     const struct job_info *info)
{
	const char *host = info->web_host ? info->web_host : "localhost";
	struct buf t = BUF_INIT;

	emit_export(out, "TRAVIS", "true");
	emit_export(out, "CI", "true");
	emit_export(out, "CONTINUOUS_INTEGRATION", "true");
	emit_export(out, "PAGER", "cat");
	emit_export(out, "HAS_JOSH_K_SEAL_OF_APPROVAL", "true");
	emit_export(out, "TRAVIS_ALLOW_FAILURE",
		    info->allow_failure ? "true" : "false");
	emit_export(out, "TRAVIS_EVENT_TYPE",
		    info->event ? info->event : "push");
	emit_export(out, "TRAVIS_PULL_REQUEST",
		    info->pull_request ? info->pull_request : "false");
	emit_export(out, "TRAVIS_SECURE_ENV_VARS",
		    info->secure_env_vars ? "true" : "false");
	emit_export(out, "TRAVIS_BUILD_ID", info->build_id);
	emit_export(out, "TRAVIS_BUILD_NUMBER", info->build_number);
	buf_addstr(out, "export TRAVIS_BUILD_DIR=${TRAVIS_HOME}/build/");
	buf_add_shquote(out, info->slug);
	buf_addch(out, '\n');
	buf_addf(&t, "https://%s/%s/builds/%s", host, info->slug,
		 info->build_id ? info->build_id : "");
	emit_export(out, "TRAVIS_BUILD_WEB_URL", t.ptr);
	emit_export(out, "TRAVIS_JOB_ID", info->job_id);
	emit_export(out, "TRAVIS_JOB_NAME", info->job_name);
	emit_export(out, "TRAVIS_JOB_NUMBER", info->job_number);
	buf_reset(&t);
	buf_addf(&t, "https://%s/%s/jobs/%s", host, info->slug,
		 info->job_id ? info->job_id : "");
	emit_export(out, "TRAVIS_JOB_WEB_URL", t.ptr);
	emit_export(out, "TRAVIS_BRANCH", info->branch);
	emit_export(out, "TRAVIS_COMMIT", info->commit);
	if (info->commit_message)
		emit_export(out, "TRAVIS_COMMIT_MESSAGE", info->commit_message);
	else
		buf_addstr(out,
			   "export TRAVIS_COMMIT_MESSAGE=$(test -d .git && "
			   "git log --format=%B -n 1 | head -c 32768)\n");
	emit_export(out, "TRAVIS_COMMIT_RANGE", info->commit_range);
	emit_export(out, "TRAVIS_REPO_SLUG", info->slug);
	emit_export(out, "TRAVIS_REPO_PRIVATE",
		    info->repo_private ? "true" : "false");
	emit_export(out, "TRAVIS_OSX_IMAGE",
		    first_text(val_map_get(job, "osx_image")));
	emit_export(out, "TRAVIS_LANGUAGE",
		    first_text(val_map_get(job, "language")));
	emit_export(out, "TRAVIS_TAG", info->tag);
	emit_export(out, "TRAVIS_SUDO", "true");
	emit_export(out, "TRAVIS_BUILD_STAGE_NAME", info->stage_name);
	emit_export(out, "TRAVIS_PULL_REQUEST_BRANCH", info->pr_branch);
	emit_export(out, "TRAVIS_PULL_REQUEST_SHA", info->pr_sha);
	emit_export(out, "TRAVIS_PULL_REQUEST_SLUG", info->pr_slug);
	emit_export(out, "TRAVIS_PULL_REQUEST_IS_DRAFT",
		    info->pull_request ? (info->pr_draft ? "true" : "false")
				       : "");
	emit_export(out, "TRAVIS_JOB_RESTARTED", "false");
	emit_export(out, "TRAVIS_JOB_RESTARTED_BY", "");
	buf_release(&t);
}

static void emit_var_group(struct buf *out, const char *source,
			   const struct script_var *vars, size_t n)
{
	struct phase_opts o = { false, true, false };
	struct buf c = BUF_INIT, d = BUF_INIT;
	char msg[128];

	if (!n)
		return;
	snprintf(msg, sizeof(msg), "Setting environment variables from %s",
		 source);
	buf_addstr(out, "echo\n");
	emit_echo(out, YELLOW, msg);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&c);
		buf_addf(&c, "export %s=%s", vars[i].name,
			 vars[i].value ? vars[i].value : "");
		if (vars[i].secure) {
			buf_reset(&d);
			buf_addf(&d, "export %s=[secure]", vars[i].name);
		}
		emit_cmd(out, c.ptr, &o, "", vars[i].secure ? d.ptr : NULL,
			 vars[i].secure, false);
	}
	buf_release(&c);
	buf_release(&d);
}

static void emit_export_stage(struct buf *out, const struct val *job,
			      const struct job_info *info)
{
	emit_builtin_env(out, job, info);
	if (info->secure_env_removed) {
		buf_addstr(out, "echo\n");
		emit_echo(
			out, YELLOW,
			"Encrypted environment variables have been removed for security reasons.");
		emit_echo(
			out, YELLOW,
			"See https://docs.travis-ci.com/user/pull-requests/#pull-requests-and-security-restrictions");
	}
	emit_var_group(out, "repository settings", info->settings,
		       info->nsettings);
	emit_var_group(out, ".travis.yml", info->env, info->nenv);
	if (info->nsettings || info->nenv)
		buf_addstr(out, "echo\n");
	lang_exports(out, job);
}

/* --- deploy (spec 6.5; travis-build addons/deploy/script.rb) --- */

static const char *const versioned_runtimes[] = {
	"d",	  "dart",  "elm",  "elixir", "ghc",	    "go",	 "haxe",
	"jdk",	  "julia", "mono", "node",   "otp_release", "perl",	 "php",
	"python", "r",	   "ruby", "rust",   "scala",	    "smalltalk", NULL
};

struct deploy_cond {
	struct buf repo, branch, tags;
	struct buf runtime; /* "(a) && (b)" for the whole condition */
	struct buf custom;
	struct buf all; /* the complete condition, or empty */
	struct buf negated_runtime, negated_custom;
};

static void add_part(struct buf *all, const char *part)
{
	if (!*part)
		return;
	if (all->len)
		buf_addstr(all, " && ");
	buf_addf(all, "(%s)", part);
}

static void add_negated(struct buf *neg, const char *part)
{
	if (neg->len)
		buf_addstr(neg, " && ");
	buf_addf(neg, " ! (%s)", part);
}

static bool truthy(const struct val *v)
{
	if (!v || v->type == VAL_NULL)
		return false;
	if (v->type == VAL_BOOL)
		return v->b;
	return true;
}

static void shell_escape(struct buf *out, const char *s)
{
	/* Ruby's Shellwords.escape: backslash everything unsafe. */
	if (!*s) {
		buf_addstr(out, "''");
		return;
	}
	for (; *s; s++) {
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_-.,:+/@",
			    *s))
			buf_addch(out, *s == '\n' ? '\'' : '\\');
		if (*s == '\n') {
			buf_addstr(out, "\n'");
			continue;
		}
		buf_addch(out, *s);
	}
}

static void deploy_conditions(struct deploy_cond *dc, const struct val *d)
{
	const struct val *on = val_map_get(d, "on");
	const struct val *branch, *tags, *cond, *repo;

	memset(dc, 0, sizeof(*dc));
	buf_init(&dc->repo);
	buf_init(&dc->branch);
	buf_init(&dc->tags);
	buf_init(&dc->runtime);
	buf_init(&dc->custom);
	buf_init(&dc->all);
	buf_init(&dc->negated_runtime);
	buf_init(&dc->negated_custom);
	if (on && on->type != VAL_MAP && val_text(on)) {
		buf_addf(&dc->branch, "$TRAVIS_BRANCH = %s", val_text(on));
		add_part(&dc->all, dc->branch.ptr);
		return;
	}
	repo = val_map_get(on, "repo");
	branch = val_map_get(on, "branch");
	tags = val_map_get(on, "tags");
	cond = val_map_get(on, "condition");
	if (val_text(repo))
		buf_addf(&dc->repo, "$TRAVIS_REPO_SLUG = \"%s\"",
			 val_text(repo));
	if (!truthy(val_map_get(on, "all_branches")) && !truthy(tags)) {
		if (branch && branch->type == VAL_SEQ && branch->seq.n) {
			for (size_t i = 0; i < branch->seq.n; i++)
				buf_addf(&dc->branch, "%s$TRAVIS_BRANCH = %s",
					 i ? " || " : "",
					 cmd_text(branch->seq.v[i]));
		} else if (branch && branch->type == VAL_MAP && branch->map.n) {
			for (size_t i = 0; i < branch->map.n; i++)
				buf_addf(&dc->branch, "%s$TRAVIS_BRANCH = %s",
					 i ? " || " : "", branch->map.v[i].key);
		} else if (val_text(branch)) {
			buf_addf(&dc->branch, "$TRAVIS_BRANCH = %s",
				 val_text(branch));
		} else {
			buf_addstr(&dc->branch, "$TRAVIS_BRANCH = master");
		}
	}
	add_part(&dc->all, dc->repo.ptr);
	add_part(&dc->all, dc->branch.ptr);
	for (size_t i = 0; versioned_runtimes[i]; i++) {
		const char *rt = versioned_runtimes[i];
		const struct val *v = val_map_get(on, rt);
		struct buf c = BUF_INIT;

		if (!v && !strcmp(rt, "ruby"))
			v = val_map_get(on, "rvm");
		if (!v && !strcmp(rt, "node"))
			v = val_map_get(on, "node_js");
		if (!first_text(v))
			continue;
		buf_addstr(&c, "$TRAVIS_");
		for (const char *p = rt; *p; p++)
			buf_addch(&c, *p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		buf_addstr(&c, "_VERSION = ");
		shell_escape(&c, first_text(v));
		add_part(&dc->all, c.ptr);
		add_negated(&dc->negated_runtime, c.ptr);
		buf_release(&c);
	}
	if (cond && cond->type == VAL_SEQ) {
		for (size_t i = 0; i < cond->seq.n; i++) {
			add_part(&dc->all, cmd_text(cond->seq.v[i]));
			add_negated(&dc->negated_custom,
				    cmd_text(cond->seq.v[i]));
		}
	} else if (val_text(cond)) {
		add_part(&dc->all, val_text(cond));
		add_negated(&dc->negated_custom, val_text(cond));
	}
	if (tags && tags->type == VAL_BOOL)
		buf_addstr(&dc->tags, tags->b ? "\"$TRAVIS_TAG\" != \"\""
					      : "\"$TRAVIS_TAG\" = \"\"");
	add_part(&dc->all, dc->tags.ptr);
}

static void deploy_cond_release(struct deploy_cond *dc)
{
	buf_release(&dc->repo);
	buf_release(&dc->branch);
	buf_release(&dc->tags);
	buf_release(&dc->runtime);
	buf_release(&dc->custom);
	buf_release(&dc->all);
	buf_release(&dc->negated_runtime);
	buf_release(&dc->negated_custom);
}

static char *provider_name(const struct val *d)
{
	const char *p = val_text(val_map_get(d, "provider"));
	struct buf b = BUF_INIT;

	for (p = p ? p : ""; *p; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? *p + 32 : *p;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			buf_addch(&b, c);
	}
	return buf_detach(&b, NULL);
}

static void skip_warning(struct buf *out, const char *provider,
			 const char *negated, const char *reason)
{
	struct buf t = BUF_INIT;

	if (!*negated)
		return;
	buf_addf(&t, "Skipping a deployment with the %s provider because %s",
		 provider, reason);
	buf_addf(out, "if [[%s ]]; then\n", negated);
	emit_echo(out, YELLOW, t.ptr);
	buf_addstr(out, "fi\n");
	buf_release(&t);
}

static void emit_deploy(struct buf *out, const struct val *job,
			const struct val *d, size_t index,
			const struct job_info *info)
{
	char *provider = provider_name(d);
	struct deploy_cond dc;
	bool allow_failure = truthy(val_map_get(d, "allow_failure"));
	struct buf t = BUF_INIT;

	if (info->pull_request) {
		buf_addf(&t,
			 "Skipping a deployment with the %s provider because "
			 "the current build is a pull request.",
			 provider);
		emit_echo(out, YELLOW, t.ptr);
		buf_release(&t);
		free(provider);
		return;
	}
	deploy_conditions(&dc, d);
	if (dc.all.len)
		buf_addf(out, "if [[ %s ]]; then\n", dc.all.ptr);
	{
		const struct val *bd = stage_cmds(job, "before_deploy");
		const struct val *ad = stage_cmds(job, "after_deploy");
		struct phase_opts o = { false, false, true };

		if (bd)
			emit_custom(out, bd, "before_deploy");
		buf_addf(out,
			 "travis_fold start dpl_%zu\ntravis_fold end dpl_%zu\n",
			 index, index);
		buf_addf(&t, "ferry_handoff deploy %zu", index);
		if (!allow_failure)
			buf_addstr(
				&t,
				"; if [ $? -ne 0 ]; then echo \"failed to deploy\"; travis_terminate 2; fi");
		emit_cmd(out, t.ptr, &o, "", NULL, false, false);
		if (ad)
			emit_custom(out, ad, "after_deploy");
	}
	if (dc.all.len) {
		struct buf neg = BUF_INIT;

		buf_addstr(out, "else\n");
		if (dc.repo.len) {
			char reason[512];

			add_negated(&neg, dc.repo.ptr);
			snprintf(
				reason, sizeof(reason),
				"this repo's name does not match one specified in .travis.yml's deploy.on.repo: %s",
				val_text(val_map_get(val_map_get(d, "on"),
						     "repo")));
			skip_warning(out, provider, neg.ptr, reason);
		}
		if (dc.branch.len) {
			char reason[512];

			buf_reset(&neg);
			add_negated(&neg, dc.branch.ptr);
			snprintf(reason, sizeof(reason),
				 "this branch is not permitted: %s",
				 info->branch ? info->branch : "");
			skip_warning(out, provider, neg.ptr, reason);
		}
		skip_warning(out, provider, dc.negated_runtime.ptr,
			     "this is not on the required runtime");
		skip_warning(out, provider, dc.negated_custom.ptr,
			     "a custom condition was not met");
		if (dc.tags.len) {
			buf_reset(&neg);
			add_negated(&neg, dc.tags.ptr);
			skip_warning(out, provider, neg.ptr,
				     "this is not a tagged commit");
		}
		buf_addstr(out, "fi\n");
		buf_release(&neg);
	}
	deploy_cond_release(&dc);
	buf_release(&t);
	free(provider);
}

static void emit_after_success(struct buf *out, const struct val *job,
			       const struct job_info *info)
{
	const struct val *cmds = stage_cmds(job, "after_success");
	const struct val *deploy = val_map_get(job, "deploy");

	if (cmds)
		emit_custom(out, cmds, "after_success");
	if (deploy && deploy->type == VAL_MAP)
		emit_deploy(out, job, deploy, 0, info);
	else if (deploy && deploy->type == VAL_SEQ)
		for (size_t i = 0; i < deploy->seq.n; i++)
			if (deploy->seq.v[i]->type == VAL_MAP)
				emit_deploy(out, job, deploy->seq.v[i], i,
					    info);
}

int script_build(struct buf *out, const struct val *job,
		 const struct job_info *info)
{
	const char *home = info->home ? info->home : "/home/travis";
	static const char *const custom[] = { "before_install", "install",
					      "before_script", "script",
					      "before_cache" };

	if (!job || job->type != VAL_MAP)
		return err_set(FY_EINVALID, "the job config is not a map");
	buf_addstr(out, "#!/bin/bash\n");
	buf_addf(out,
		 "export TRAVIS_ROOT=/\nexport TRAVIS_HOME=%s\n"
		 "export HOME=%s\n"
		 "export TRAVIS_BUILD_DIR=${TRAVIS_HOME}/build\n"
		 "export TRAVIS_APP_HOST=ferry\n",
		 home, home);
	buf_add(out, shlib_text, shlib_len);
	buf_addstr(out,
		   "\ntravis_preamble\ntravis_setup_env\nferry_setup_sudo\n"
		   "trap ferry_save_state EXIT\n");

	begin_fn(out, "configure");
	end_fn(out);
	begin_fn(out, "prepare");
	emit_apt(out, job);
	emit_services(out, job);
	emit_hosts(out, job);
	end_fn(out);
	begin_fn(out, "checkout");
	emit_checkout(out, job, info);
	end_fn(out);
	begin_fn(out, "export");
	emit_export_stage(out, job, info);
	end_fn(out);
	begin_fn(out, "setup");
	end_fn(out);
	begin_fn(out, "setup_casher");
	if (info->cache_enabled)
		cache_script_fetch(out, job);
	end_fn(out);
	begin_fn(out, "setup_cache");
	if (info->cache_enabled)
		cache_script_languages(out, job);
	end_fn(out);
	begin_fn(out, "announce");
	lang_default(out, "announce", job);
	end_fn(out);
	for (size_t i = 0; i < ARRAY_SIZE(custom); i++) {
		begin_fn(out, custom[i]);
		emit_stage(out, job, custom[i]);
		end_fn(out);
	}
	begin_fn(out, "cache");
	if (info->cache_enabled)
		cache_script_push(out, job);
	end_fn(out);
	begin_fn(out, "after_success");
	emit_after_success(out, job, info);
	end_fn(out);
	begin_fn(out, "after_failure");
	if (stage_cmds(job, "after_failure"))
		emit_custom(out, stage_cmds(job, "after_failure"),
			    "after_failure");
	end_fn(out);
	begin_fn(out, "after_script");
	if (stage_cmds(job, "after_script"))
		emit_custom(out, stage_cmds(job, "after_script"),
			    "after_script");
	end_fn(out);
	begin_fn(out, "finish");
	end_fn(out);

	buf_addstr(
		out,
		"\ntravis_run_configure\n"
		"travis_run_prepare\n"
		"travis_run_checkout\n"
		"travis_run_export\n"
		"travis_run_setup\n"
		"travis_run_setup_casher\n"
		"travis_run_setup_cache\n"
		"travis_run_announce\n"
		"travis_run_before_install\n"
		"travis_run_install\n"
		"travis_run_before_script\n"
		"travis_run_script\n"
		"travis_run_before_cache\n"
		"travis_run_cache\n"
		"if [[ $TRAVIS_TEST_RESULT = 0 ]]; then travis_run_after_success; fi\n"
		"if [[ $TRAVIS_TEST_RESULT != 0 ]]; then travis_run_after_failure; fi\n"
		"travis_run_after_script\n"
		"travis_run_finish\n"
		"travis_footer\n");
	return buf_truncated(out)
		       ? err_set(FY_ETOOBIG, "build script too large")
		       : 0;
}
