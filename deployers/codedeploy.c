/*
 * codedeploy.c: `provider: codedeploy`, dpl v2's CodeDeploy provider
 * (spec travis.md 10.5) on our own AWS client: the same options,
 * defaults, calls in the same order (HeadObject, RegisterApplication-
 * Revision for versioned buckets, CreateDeployment, GetDeployment while
 * waiting) and log lines.
 *
 * Beyond dpl: `bundle_dir` packs a directory holding appspec.yml into
 * the bundle (zip, tgz or tar after `bundle_type` or the key's
 * extension) and uploads it to `bucket`/`key` first, so one entry does
 * the S3-then-CodeDeploy flow; the status changes are shown while
 * waiting, errorInformation is printed when a deployment fails,
 * `wait_interval` and `wait_timeout` bound the wait, and temporary
 * credentials work (dpl v2 drops the session token).
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "awsendpoint.h"
#include "awsdeploy.h"
#include "awsiam.h"
#include "awss3.h"
#include "buf.h"
#include "deployer.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "svec.h"
#include "tarball.h"
#include "val.h"
#include "xalloc.h"

#define CD_POLL_SECONDS 5.0
#define MSG_DESCRIPTION "Deploy build %{build_number} via Travis CI"

static const char *const prefixes[] = { "CODEDEPLOY", "AWS", NULL };

struct cd {
	struct awsdeploy d;
	struct deploy_ctx *ctx;
	struct aws_client *cd, *s3;
	struct aws_client_opts s3_opts;
	const char *application, *group;
	char *revision_type; /* "s3" or "github" */
	char *bundle_type;
	char *description;
	char *behavior; /* DISALLOW... */
	struct val *revision;
	char version[128], etag[80];
};

static int cd_validate(const struct val *opts)
{
	const char *rt = val_text(val_map_get(opts, "revision_type"));
	const char *feb = val_text(val_map_get(opts, "file_exists_behavior"));

	if (rt && strcasecmp(rt, "s3") && strcasecmp(rt, "github"))
		return err_set(FY_EINVALID, "Unknown revision type \"%s\"", rt);
	if (feb && strcasecmp(feb, "disallow") &&
	    strcasecmp(feb, "overwrite") && strcasecmp(feb, "retain"))
		return err_set(FY_EINVALID,
			       "codedeploy: file_exists_behavior '%s' is not "
			       "disallow, overwrite or retain",
			       feb);
	return 0;
}

static char *lower(const char *s)
{
	char *l = xstrdup(s);

	for (char *p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

/* A job variable (the hand-off environment), or NULL. */
static const char *job_var(const struct cd *c, const char *name)
{
	const char *v = val_text(val_map_get(c->ctx->env, name));

	return v && *v ? v : NULL;
}

static const char *commit_id(const struct cd *c)
{
	const char *v = awsdeploy_opt(&c->d, "commit_id");

	if (!v)
		v = c->ctx->commit && *c->ctx->commit ? c->ctx->commit : NULL;
	return v ? v : job_var(c, "TRAVIS_COMMIT");
}

static const char *repository(const struct cd *c)
{
	const char *v = awsdeploy_opt(&c->d, "repository");
	const char *cwd =
		c->ctx->cwd && *c->ctx->cwd ? c->ctx->cwd : c->ctx->workspace;

	if (!v)
		v = job_var(c, "TRAVIS_REPO_SLUG");
	if (!v)
		v = c->ctx->slug && *c->ctx->slug ? c->ctx->slug : NULL;
	return v ? v : fs_basename(cwd);
}

/* ---- description: dpl's %{...} interpolation ---- */

static const char *build_number(const struct cd *c)
{
	const char *v = job_var(c, "TRAVIS_BUILD_NUMBER");

	return v ? v : c->ctx->build_number;
}

/* The value of %{name}; NULL when dpl would not know it either. */
static const char *lookup(const struct cd *c, const char *name)
{
	static const char *const options[] = {
		"application",	 "bucket",
		"bundle_type",	 "deployment_group",
		"endpoint",	 "file_exists_behavior",
		"key",		 "region",
		"revision_type",
	};

	if (name[0] == '$')
		return job_var(c, name + 1) ? job_var(c, name + 1) : "";
	if (!strcmp(name, "build_number"))
		return build_number(c) ? build_number(c) : "";
	if (!strcmp(name, "git_sha") || !strcmp(name, "commit_id"))
		return commit_id(c) ? commit_id(c) : "";
	if (!strcmp(name, "repository"))
		return repository(c);
	if (!strcmp(name, "git_branch"))
		return job_var(c, "TRAVIS_BRANCH") ? job_var(c, "TRAVIS_BRANCH")
						   : c->ctx->branch;
	if (!strcmp(name, "git_tag"))
		return job_var(c, "TRAVIS_TAG") ? job_var(c, "TRAVIS_TAG") : "";
	if (!strcmp(name, "git_commit_msg"))
		return job_var(c, "TRAVIS_COMMIT_MESSAGE");
	if (!strcmp(name, "region"))
		return c->d.region;
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (!strcmp(name, options[i])) {
			const char *v = awsdeploy_opt(&c->d, name);

			return v ? v : "";
		}
	return NULL;
}

/* Replace each secret option value by dpl's obfuscated form. */
static void obfuscate_secrets(struct cd *c, struct buf *s)
{
	static const char *const names[] = { "access_key_id",
					     "secret_access_key" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *sec = awsdeploy_opt(&c->d, names[i]);
		struct buf out = BUF_INIT;
		const char *p = s->ptr, *hit;

		if (!sec || !*sec || !strstr(s->ptr, sec))
			continue;
		for (;;) {
			hit = strstr(p, sec);
			if (!hit)
				break;
			buf_add(&out, p, (size_t)(hit - p));
			aws_obfuscate(&out, sec);
			p = hit + strlen(sec);
		}
		buf_addstr(&out, p);
		buf_release(s);
		*s = out;
	}
}

static int interpolate(struct cd *c, const char *tmpl, char **out)
{
	struct buf b = BUF_INIT, squeezed = BUF_INIT;
	const char *p = tmpl;
	bool any = false;

	while (*p) {
		const char *end;
		char *name;
		const char *v;

		if (p[0] != '%' || p[1] != '{') {
			buf_addch(&b, *p++);
			continue;
		}
		end = strchr(p + 2, '}');
		if (!end) {
			buf_addstr(&b, p);
			break;
		}
		name = xmemdupz(p + 2, (size_t)(end - p - 2));
		v = lookup(c, name);
		if (!v) {
			int err = err_set(FY_EINVALID,
					  "codedeploy: description: unknown "
					  "variable %%{%s}",
					  name);

			free(name);
			buf_release(&b);
			return err;
		}
		free(name);
		buf_addstr(&b, v);
		any = true;
		p = end + 1;
	}
	if (any)
		obfuscate_secrets(c, &b);
	/* dpl squeezes double spaces of one-line strings */
	if (!strchr(b.ptr, '\n')) {
		for (const char *q = b.ptr; *q; q++) {
			buf_addch(&squeezed, *q);
			if (q[0] == ' ' && q[1] == ' ')
				q++;
		}
		buf_release(&b);
		b = squeezed;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

/* ---- the bundle (beyond dpl) ---- */

static enum tarball_format bundle_format(const char *type)
{
	if (!strcmp(type, "zip"))
		return TARBALL_ZIP;
	if (!strcmp(type, "tgz"))
		return TARBALL_TAR_GZ;
	return TARBALL_TAR;
}

static char *bundle_path_of(const struct cd *c, const char *dir)
{
	const struct deploy_ctx *ctx = c->ctx;

	if (dir[0] == '/')
		return xstrdup(dir);
	return xasprintf("%s%s%s/%s", ctx->workspace, *ctx->cwd ? "/" : "",
			 ctx->cwd, dir);
}

static int pack(const char *dir, const char *type, const char *out)
{
	struct tarball_opts to = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int err;

	if (fd < 0)
		return err_errno("cannot create '%s'", out);
	to.format = bundle_format(type);
	to.uid = to.gid = 0;
	err = tarball_pack_new(&p, &to);
	if (!err)
		err = tarball_pack_add(p, dir, "");
	if (!err)
		err = tarball_pack_to_fd(p, fd);
	tarball_pack_free(p);
	if (close(fd) < 0 && !err)
		err = err_errno("cannot write '%s'", out);
	return err;
}

static int upload_bundle(struct cd *c, const char *dir_opt, const char *bucket,
			 const char *key)
{
	char *dir = bundle_path_of(c, dir_opt);
	char *appspec = xasprintf("%s/appspec.yml", dir);
	char *appspec2 = xasprintf("%s/appspec.yaml", dir);
	char *tmpdir = NULL, *file = NULL;
	struct awss3_object obj = { 0 };
	struct awss3_upload u;
	int err = 0;

	if (!fs_is_dir(dir)) {
		err = err_set(FY_ENOTFOUND,
			      "codedeploy: bundle_dir '%s' is not a directory",
			      dir_opt);
		goto out;
	}
	if (!fs_exists(appspec) && !fs_exists(appspec2)) {
		err = err_set(FY_EINVALID,
			      "codedeploy: bundle_dir '%s' has no appspec.yml",
			      dir_opt);
		goto out;
	}
	err = fs_tmpdir(&tmpdir, "ferry-bundle");
	if (err < 0)
		goto out;
	file = xasprintf("%s/bundle.%s", tmpdir, c->bundle_type);
	awsdeploy_printf(&c->d, "Bundling %s as %s\n", dir_opt, c->bundle_type);
	err = pack(dir, c->bundle_type, file);
	if (err < 0)
		goto out;
	obj.content_type = !strcmp(c->bundle_type, "zip") ? "application/zip"
			   : !strcmp(c->bundle_type, "tgz")
				   ? "application/gzip"
				   : "application/x-tar";
	memset(&u, 0, sizeof(u));
	u.client = c->s3;
	u.client_opts = &c->s3_opts;
	u.bucket = bucket;
	u.key = key;
	u.path = file;
	u.object = &obj;
	err = awss3_upload_file(&u);
	if (!err)
		awsdeploy_printf(
			&c->d, "Uploaded the bundle to s3://%s/%s (%.1f KiB)\n",
			bucket, key, u.size / 1024.0);
out:
	if (tmpdir)
		fs_rm_rf(tmpdir);
	free(tmpdir);
	free(file);
	free(dir);
	free(appspec);
	free(appspec2);
	return err;
}

/* ---- the revision ---- */

static int bundle_type_of(struct cd *c, const char *key)
{
	const char *bt = awsdeploy_opt(&c->d, "bundle_type");
	const char *dot = key ? strrchr(key, '.') : NULL;

	if (bt) {
		c->bundle_type = xstrdup(bt);
		return 0;
	}
	if (dot && (!strcmp(dot, ".tar") || !strcmp(dot, ".tgz") ||
		    !strcmp(dot, ".zip"))) {
		c->bundle_type = xstrdup(dot + 1);
		return 0;
	}
	return err_set(FY_EINVALID, "Unknown bundle type");
}

static int s3_revision(struct cd *c)
{
	const char *bucket = awsdeploy_opt(&c->d, "bucket");
	const char *key = awsdeploy_opt(&c->d, "key");
	const char *dir = awsdeploy_opt(&c->d, "bundle_dir");
	struct awss3_head h;
	struct val *loc;
	int err;

	if (!bucket)
		return err_set(FY_EINVALID,
			       "Missing required bucket for S3 deployment");
	if (!key)
		return err_set(FY_EINVALID,
			       "Missing required key for S3 deployment");
	err = bundle_type_of(c, key);
	if (!err && dir) {
		if (strcmp(c->bundle_type, "zip") &&
		    strcmp(c->bundle_type, "tgz") &&
		    strcmp(c->bundle_type, "tar"))
			return err_set(
				FY_EINVALID,
				"codedeploy: bundle_dir needs bundle_type "
				"zip, tgz or tar, not '%s'",
				c->bundle_type);
		err = upload_bundle(c, dir, bucket, key);
	}
	if (err < 0)
		return err;
	err = awss3_head_object(c->s3, bucket, key, &h);
	free(h.content_type);
	if (err < 0)
		return err;
	if (!h.exists && !c->d.dry_run)
		return err_set(FY_ENOTFOUND,
			       "HeadObject 's3://%s/%s': NotFound: the bundle "
			       "is not in the bucket",
			       bucket, key);
	snprintf(c->version, sizeof(c->version), "%s", h.version_id);
	snprintf(c->etag, sizeof(c->etag), "%s", h.etag);
	loc = val_map();
	val_map_set(loc, "bucket", val_str(bucket));
	val_map_set(loc, "key", val_str(key));
	val_map_set(loc, "bundleType", val_str(c->bundle_type));
	if (*c->version)
		val_map_set(loc, "version", val_str(c->version));
	if (*c->etag)
		val_map_set(loc, "eTag", val_str(c->etag));
	c->revision = val_map();
	val_map_set(c->revision, "revisionType", val_str("S3"));
	val_map_set(c->revision, "s3Location", loc);
	return 0;
}

static int github_revision(struct cd *c)
{
	struct val *loc = val_map();
	const char *sha = commit_id(c);

	if (!sha) {
		val_free(loc);
		return err_set(FY_EINVALID,
			       "codedeploy: no commit_id and no commit of the "
			       "build for a GitHub revision");
	}
	val_map_set(loc, "repository", val_str(repository(c)));
	val_map_set(loc, "commitId", val_str(sha));
	c->revision = val_map();
	val_map_set(c->revision, "revisionType", val_str("GitHub"));
	val_map_set(c->revision, "gitHubLocation", loc);
	return 0;
}

static int make_revision(struct cd *c)
{
	const char *rt = awsdeploy_opt(&c->d, "revision_type");

	if (rt)
		c->revision_type = lower(rt);
	else
		c->revision_type = xstrdup(
			awsdeploy_opt(&c->d, "bucket") ? "s3" : "github");
	if (!strcmp(c->revision_type, "s3"))
		return s3_revision(c);
	if (!strcmp(c->revision_type, "github"))
		return github_revision(c);
	return err_set(FY_EINVALID, "Unknown revision type \"%s\"", rt);
}

/* ---- CodeDeploy calls ---- */

static char *arn(const struct cd *c, const char *type, const char *name)
{
	return awsiam_arn_codedeploy(c->d.region, NULL, type, name);
}

static char *group_arn(const struct cd *c)
{
	char *name, *a;

	if (!c->group)
		return arn(c, "application", c->application);
	name = xasprintf("%s/%s", c->application, c->group);
	a = arn(c, "deploymentgroup", name);
	free(name);
	return a;
}

static int register_revision(struct cd *c)
{
	struct val *in = val_map(), *out = NULL;
	char *res = arn(c, "application", c->application);
	int err;

	awsdeploy_printf(&c->d,
			 "Registering app revision with version=%s, etag=%s\n",
			 c->version, c->etag);
	val_map_set(in, "revision", val_dup(c->revision));
	val_map_set(in, "applicationName", val_str(c->application));
	val_map_set(in, "description", val_str(c->description));
	err = aws_json_call(c->cd, "RegisterApplicationRevision", in, &out,
			    res);
	val_free(in);
	val_free(out);
	free(res);
	return err;
}

static int create_deployment(struct cd *c, char **id)
{
	struct val *in = val_map(), *out = NULL;
	char *res = group_arn(c);
	const char *got;
	int err;

	val_map_set(in, "revision", val_dup(c->revision));
	val_map_set(in, "applicationName", val_str(c->application));
	if (c->group)
		val_map_set(in, "deploymentGroupName", val_str(c->group));
	val_map_set(in, "description", val_str(c->description));
	val_map_set(in, "fileExistsBehavior", val_str(c->behavior));
	err = aws_json_call(c->cd, "CreateDeployment", in, &out, res);
	if (!err) {
		got = val_strv(val_map_get(out, "deploymentId"));
		if (!got && c->d.dry_run)
			got = "d-DRYRUN000";
		if (!got)
			err = err_set(FY_EFAIL, "CreateDeployment: no "
						"deploymentId in the answer");
		else
			*id = xstrdup(got);
	}
	val_free(in);
	val_free(out);
	free(res);
	return err;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool terminal(const char *status)
{
	return !strcmp(status, "Succeeded") || !strcmp(status, "Failed") ||
	       !strcmp(status, "Stopped");
}

static int number_opt(struct cd *c, const char *name, double dflt, double *out)
{
	const char *v = awsdeploy_opt(&c->d, name);
	char *end;

	*out = dflt;
	if (!v)
		return 0;
	*out = strtod(v, &end);
	if (*end || *out < 0)
		return err_set(FY_EINVALID,
			       "codedeploy: %s '%s' is not a number of seconds",
			       name, v);
	return 0;
}

/* The deployment's failure, as one line: "CODE: message". */
static char *error_information(const struct val *info)
{
	const struct val *e = val_map_get(info, "errorInformation");
	const char *code = val_strv(val_map_get(e, "code"));
	const char *msg = val_strv(val_map_get(e, "message"));

	if (!code && !msg)
		return NULL;
	return xasprintf("%s%s%s", code ? code : "", code && msg ? ": " : "",
			 msg ? msg : "");
}

/* ---- why instances failed (beyond dpl) ---- */

#define CD_MAX_TARGETS 25 /* BatchGetDeploymentTargets' limit */

/* One failed lifecycle event of an instance, and its diagnostics. */
static void print_event(struct cd *c, const struct val *ev, struct buf *why)
{
	const struct val *d = val_map_get(ev, "diagnostics");
	const char *name = val_strv(val_map_get(ev, "lifecycleEventName"));
	const char *code = val_strv(val_map_get(d, "errorCode"));
	const char *script = val_strv(val_map_get(d, "scriptName"));
	const char *msg = val_strv(val_map_get(d, "message"));
	const char *tail = val_strv(val_map_get(d, "logTail"));

	awsdeploy_printf(&c->d, "  %s: Failed: %s%s%s%s%s%s\n",
			 name ? name : "?", code ? code : "", msg ? ": " : "",
			 msg ? msg : "", script && *script ? " (script " : "",
			 script && *script ? script : "",
			 script && *script ? ")" : "");
	if (tail && *tail) {
		struct svec lines = SVEC_INIT;

		svec_split(&lines, tail, "\n", true);
		awsdeploy_printf(&c->d,
				 "  the script's output (last lines):\n");
		for (size_t i = 0; i < lines.n; i++)
			awsdeploy_printf(&c->d, "    %s\n", lines.v[i]);
		svec_release(&lines);
	}
	if (name && !strcmp(name, "DownloadBundle") && c->revision_type &&
	    !strcmp(c->revision_type, "s3")) {
		const char *bucket = awsdeploy_opt(&c->d, "bucket");
		const char *key = awsdeploy_opt(&c->d, "key");
		char *arn = awsiam_arn_s3_object(c->d.region, bucket, key);

		awsdeploy_printf(&c->d,
				 "  the instance's role (its instance profile) "
				 "must allow s3:GetObject and "
				 "s3:GetObjectVersion on %s\n",
				 arn);
		free(arn);
	}
	if (!why->len)
		buf_addf(why, "%s: %s%s%s", name ? name : "?", code ? code : "",
			 msg ? ": " : "", msg ? msg : "");
}

static void print_target(struct cd *c, const struct val *t, struct buf *why)
{
	const struct val *it = val_map_get(t, "instanceTarget");
	const struct val *evs = val_map_get(it, "lifecycleEvents");
	const char *tid = val_strv(val_map_get(it, "targetId"));
	const char *st = val_strv(val_map_get(it, "status"));

	if (!it || !st || strcmp(st, "Failed"))
		return;
	awsdeploy_printf(&c->d, "Instance %s: Failed\n", tid ? tid : "?");
	for (size_t i = 0; evs && evs->type == VAL_SEQ && i < evs->seq.n; i++) {
		const char *es = val_strv(val_map_get(evs->seq.v[i], "status"));

		if (es && !strcmp(es, "Failed"))
			print_event(c, evs->seq.v[i], why);
	}
}

/*
 * A failed deployment's errorInformation is about the fleet
 * (HEALTH_CONSTRAINTS); the instances' lifecycle events say which hook
 * failed and with what output.  Best effort: a refusal here is a note.
 */
static void print_targets(struct cd *c, const char *id, struct buf *why)
{
	struct val *in = val_map(), *out = NULL, *got = NULL;
	const struct val *ids, *targets;
	char *res = group_arn(c);
	int err;

	val_map_set(in, "deploymentId", val_str(id));
	err = aws_json_call(c->cd, "ListDeploymentTargets", in, &out, res);
	ids = val_map_get(out, "targetIds");
	if (!err && ids && ids->type == VAL_SEQ && ids->seq.n) {
		struct val *list = val_seq();

		for (size_t i = 0; i < ids->seq.n && i < CD_MAX_TARGETS; i++)
			val_seq_push(list, val_dup(ids->seq.v[i]));
		val_map_set(in, "targetIds", list);
		err = aws_json_call(c->cd, "BatchGetDeploymentTargets", in,
				    &got, res);
	}
	if (err < 0)
		awsdeploy_printf(&c->d, "(the instances' diagnostics: %s)\n",
				 err_msg());
	targets = val_map_get(got, "deploymentTargets");
	for (size_t i = 0;
	     targets && targets->type == VAL_SEQ && i < targets->seq.n; i++)
		print_target(c, targets->seq.v[i], why);
	val_free(in);
	val_free(out);
	val_free(got);
	free(res);
}

/* What the service role needs, when CodeDeploy says it lacks something. */
static void role_hint(struct cd *c, const char *info_line)
{
	if (!info_line || strncmp(info_line, "IAM_ROLE_PERMISSIONS", 20))
		return;
	awsdeploy_printf(
		&c->d,
		"The deployment group's service role must trust "
		"codedeploy.amazonaws.com (sts:AssumeRole) and allow what "
		"CodeDeploy does with it, e.g. with the managed policy "
		"arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole "
		"(`ferry iam-policy` prints both)\n");
}

static int wait_deployed(struct cd *c, const char *id)
{
	struct val *in = val_map();
	char *res = group_arn(c);
	char *last = NULL, *info_line = NULL;
	struct buf why = BUF_INIT;
	double interval, limit, t0 = now_s();
	int err;

	err = number_opt(c, "wait_interval", CD_POLL_SECONDS, &interval);
	if (!err)
		err = number_opt(c, "wait_timeout", 0, &limit);
	if (err < 0)
		goto out;
	val_map_set(in, "deploymentId", val_str(id));
	awsdeploy_printf(&c->d, "Waiting for the deployment to finish ");
	for (;;) {
		struct val *out = NULL;
		const struct val *info;
		const char *status;

		sleep_s(c->d.dry_run ? 0 : interval);
		awsdeploy_printf(&c->d, ".");
		err = aws_json_call(c->cd, "GetDeployment", in, &out, res);
		if (err < 0) {
			awsdeploy_printf(&c->d, "\n");
			goto out;
		}
		info = val_map_get(out, "deploymentInfo");
		status = val_strv(val_map_get(info, "status"));
		if (!status && c->d.dry_run)
			status = "Succeeded";
		if (!status) {
			val_free(out);
			awsdeploy_printf(&c->d, "\n");
			err = err_set(FY_EFAIL, "GetDeployment %s: no status",
				      id);
			goto out;
		}
		if (!last || strcmp(last, status))
			awsdeploy_printf(&c->d, "[%s]", status);
		free(last);
		last = xstrdup(status);
		if (terminal(status)) {
			info_line = error_information(info);
			val_free(out);
			break;
		}
		val_free(out);
		if (limit > 0 && now_s() - t0 > limit) {
			awsdeploy_printf(&c->d, "\n");
			err = err_set(FY_ETIMEOUT,
				      "deployment %s still %s after %.0f s "
				      "(wait_timeout)",
				      id, last, limit);
			goto out;
		}
	}
	if (!strcmp(last, "Succeeded")) {
		awsdeploy_printf(&c->d, " done: %s.\n", last);
		goto out;
	}
	awsdeploy_printf(&c->d, "\n");
	if (info_line)
		awsdeploy_printf(&c->d, "errorInformation: %s\n", info_line);
	role_hint(c, info_line);
	if (!c->d.dry_run)
		print_targets(c, id, &why);
	err = err_set(FY_EFAIL, "done: %s. (deployment %s%s%s%s%s)", last, id,
		      info_line ? ": " : "", info_line ? info_line : "",
		      why.len ? "; " : "", why.ptr);
out:
	buf_release(&why);
	val_free(in);
	free(res);
	free(last);
	free(info_line);
	return err;
}

static int read_options(struct cd *c)
{
	const char *feb = awsdeploy_opt(&c->d, "file_exists_behavior");
	const char *desc = awsdeploy_opt(&c->d, "description");
	int err;

	c->application = awsdeploy_opt(&c->d, "application");
	if (!c->application)
		c->application = awsdeploy_opt(&c->d, "application_name");
	if (!c->application)
		return err_set(FY_EINVALID, "codedeploy: missing required "
					    "option 'application'");
	c->group = awsdeploy_opt(&c->d, "deployment_group");
	if (!c->group)
		c->group = awsdeploy_opt(&c->d, "deployment_group_name");
	err = cd_validate(c->ctx->opts);
	if (err < 0)
		return err;
	c->behavior = xstrdup(feb ? feb : "disallow");
	for (char *p = c->behavior; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return interpolate(c, desc ? desc : MSG_DESCRIPTION, &c->description);
}

static int cd_run(struct deploy_ctx *ctx)
{
	struct cd c;
	struct aws_client_opts co;
	char *id = NULL;
	int err;

	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	err = awsdeploy_init(&c.d, ctx, prefixes);
	if (!err)
		err = awsdeploy_login(&c.d);
	if (!err)
		err = read_options(&c);
	if (err < 0)
		goto out;
	/* dpl applies `endpoint` to both clients */
	awsdeploy_client_opts(&c.d, &aws_codedeploy, true, &co);
	awsdeploy_client_opts(&c.d, &aws_s3, true, &c.s3_opts);
	c.s3_opts.force_path_style =
		awsdeploy_opt_bool(&c.d, "force_path_style", false);
	err = aws_client_new(&c.cd, &co);
	if (!err)
		err = aws_client_new(&c.s3, &c.s3_opts);
	if (!err)
		err = make_revision(&c);
	if (!err && *c.version)
		err = register_revision(&c);
	if (!err)
		err = create_deployment(&c, &id);
	if (err < 0)
		goto out;
	awsdeploy_printf(&c.d, "Deployment triggered: %s\n", id);
	if (awsdeploy_opt_bool(&c.d, "wait_until_deployed", false))
		err = wait_deployed(&c, id);
out:
	aws_client_free(c.cd);
	aws_client_free(c.s3);
	val_free(c.revision);
	free(c.revision_type);
	free(c.bundle_type);
	free(c.description);
	free(c.behavior);
	free(id);
	awsdeploy_release(&c.d);
	return err;
}

const struct deployer deployer_codedeploy = {
	.name = "codedeploy",
	.validate = cd_validate,
	.run = cd_run,
};
