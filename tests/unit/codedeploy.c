#include "compat.h"

#include "buf.h"
#include "deployer.h"
#include "fs.h"
#include "json.h"
#include "loader.h"
#include "svec.h"
#include "unit.h"
#include "val.h"

/*
 * The codedeploy provider in dry runs: the JSON bodies it would send
 * (read back from the printed requests), dpl's revision and description
 * rules, and its errors.  Against a real server: tests/suites/50-deploy.sh.
 */

struct run {
	struct buf out;
	struct val *opts, *env;
};

static void w(void *payload, const char *data, size_t len)
{
	buf_add(&((struct run *)payload)->out, data, len);
}

static int run(struct run *r, const char *yaml)
{
	struct deploy_ctx ctx = { 0 };
	const struct deployer *d = deployer_find("codedeploy");
	int err;

	memset(r, 0, sizeof(*r));
	buf_init(&r->out);
	r->env = val_map();
	val_map_set(r->env, "TRAVIS_BUILD_NUMBER", val_str("42"));
	val_map_set(r->env, "TRAVIS_BRANCH", val_str("main"));
	val_map_set(r->env, "NOTE", val_str("nightly"));
	val_map_set(r->env, "AWS_SHARED_CREDENTIALS_FILE", val_str("none"));
	val_map_set(r->env, "AWS_CONFIG_FILE", val_str("none"));
	err = loader_load(&r->opts, yaml, strlen(yaml), "deploy", NULL, NULL);
	if (err < 0)
		return err;
	ctx.opts = r->opts;
	ctx.workspace = "ws";
	ctx.cwd = "";
	ctx.env = r->env;
	ctx.slug = "acme/shop";
	ctx.commit = "0123456789abcdef";
	ctx.build_number = "42";
	ctx.dry_run = true;
	ctx.write = w;
	ctx.payload = r;
	err = d->validate(r->opts);
	return err < 0 ? err : d->run(&ctx);
}

static void done(struct run *r)
{
	buf_release(&r->out);
	val_free(r->opts);
	val_free(r->env);
}

/* The JSON body of the dry-run request with X-Amz-Target `op`. */
static struct val *body_of(const struct run *r, const char *op)
{
	char target[128];
	const char *p, *nl, *end;
	struct val *v = NULL;

	snprintf(target, sizeof(target),
		 "X-Amz-Target: CodeDeploy_20141006.%s\n", op);
	p = strstr(r->out.ptr, target);
	if (!p)
		return NULL;
	/* the body is the first line after the headers starting with "{" */
	for (nl = strchr(p, '\n'); nl; nl = strchr(nl + 1, '\n'))
		if (!strncmp(nl + 1, "    {", 5))
			break;
	if (!nl)
		return NULL;
	p = nl + 5;
	end = strchr(p, '\n');
	if (json_parse(&v, p, end ? (size_t)(end - p) : strlen(p), 0) < 0)
		return NULL;
	return v;
}

#define BASE                               \
	"provider: codedeploy\n"           \
	"access_key_id: AKIDEXAMPLE0123\n" \
	"secret_access_key: s3cr3t\n"      \
	"endpoint: http://127.0.0.1:9\n"   \
	"application: shop\n"

static const char *path(const struct val *v, const char *a, const char *b,
			const char *c)
{
	const struct val *x = val_map_get(v, a);

	if (b)
		x = val_map_get(x, b);
	if (c)
		x = val_map_get(x, c);
	return val_text(x);
}

void test_codedeploy__github_default(void)
{
	struct run r;
	struct val *v;

	check_ok(run(&r, BASE));
	v = body_of(&r, "CreateDeployment");
	check(v);
	check_str(path(v, "applicationName", NULL, NULL), "shop");
	check(!val_map_get(v, "deploymentGroupName"));
	check_str(path(v, "description", NULL, NULL),
		  "Deploy build 42 via Travis CI");
	check_str(path(v, "fileExistsBehavior", NULL, NULL), "DISALLOW");
	check_str(path(v, "revision", "revisionType", NULL), "GitHub");
	check_str(path(v, "revision", "gitHubLocation", "repository"),
		  "acme/shop");
	check_str(path(v, "revision", "gitHubLocation", "commitId"),
		  "0123456789abcdef");
	check(strstr(r.out.ptr, "Using Access Key: AK******************\n"));
	check(strstr(r.out.ptr, "Deployment triggered: d-DRYRUN000\n"));
	/* no S3 revision: no HeadObject, no registration */
	check(!strstr(r.out.ptr, "HEAD "));
	check(!body_of(&r, "RegisterApplicationRevision"));
	val_free(v);
	done(&r);
}

void test_codedeploy__s3_revision(void)
{
	struct run r;
	struct val *v;

	check_ok(run(&r, BASE "deployment_group: prod\n"
			      "bucket: bundles\n"
			      "key: shop/build.tgz\n"
			      "file_exists_behavior: Retain\n"
			      "description: '%{application} %{build_number} on "
			      "%{git_branch}  (%{$NOTE}) %{deployment_group}'\n"
			      "wait_until_deployed: true\n"));
	check(strstr(
		r.out.ptr,
		"dry run: HEAD http://127.0.0.1:9/bundles/shop/build.tgz"));
	v = body_of(&r, "CreateDeployment");
	check(v);
	check_str(path(v, "deploymentGroupName", NULL, NULL), "prod");
	check_str(path(v, "fileExistsBehavior", NULL, NULL), "RETAIN");
	check_str(path(v, "revision", "revisionType", NULL), "S3");
	check_str(path(v, "revision", "s3Location", "bucket"), "bundles");
	check_str(path(v, "revision", "s3Location", "key"), "shop/build.tgz");
	check_str(path(v, "revision", "s3Location", "bundleType"), "tgz");
	/* dpl squeezes the double space of a one-line description */
	check_str(path(v, "description", NULL, NULL),
		  "shop 42 on main (nightly) prod");
	check(strstr(r.out.ptr, "Waiting for the deployment to finish ."));
	check(strstr(r.out.ptr, "done: Succeeded.\n"));
	val_free(v);
	done(&r);
}

void test_codedeploy__bundle_types(void)
{
	static const struct {
		const char *extra, *type;
	} cases[] = {
		{ "key: a.zip\n", "zip" },
		{ "key: a.tar\n", "tar" },
		{ "key: a.tgz\n", "tgz" },
		{ "key: a.bin\nbundle_type: YAML\n", "YAML" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct run r;
		struct buf y = BUF_INIT;
		struct val *v;

		buf_addf(&y, BASE "bucket: b\n%s", cases[i].extra);
		check_ok(run(&r, y.ptr));
		v = body_of(&r, "CreateDeployment");
		check_str(path(v, "revision", "s3Location", "bundleType"),
			  cases[i].type);
		val_free(v);
		done(&r);
		buf_release(&y);
	}
}

void test_codedeploy__errors(void)
{
	static const struct {
		const char *yaml, *msg;
	} cases[] = {
		{ BASE "revision_type: svn\n",
		  "Unknown revision type \"svn\"" },
		{ BASE "revision_type: s3\n",
		  "Missing required bucket for S3 deployment" },
		{ BASE "revision_type: s3\nbucket: b\n",
		  "Missing required key for S3 deployment" },
		{ BASE "bucket: b\nkey: a.rar\n", "Unknown bundle type" },
		{ BASE "file_exists_behavior: clobber\n",
		  "file_exists_behavior" },
		{ BASE "description: '%{nope}'\n", "unknown variable %{nope}" },
		{ "provider: codedeploy\naccess_key_id: A\nsecret_access_key: "
		  "B\n",
		  "'application'" },
		{ BASE "bucket: b\nkey: a.zip\nbundle_dir: missing\n",
		  "bundle_dir 'missing' is not a directory" },
		{ BASE "wait_until_deployed: true\nwait_interval: soon\n",
		  "wait_interval" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct run r;
		int err = run(&r, cases[i].yaml);

		if (err >= 0 || !strstr(err_msg(), cases[i].msg))
			unit_fail(__FILE__, __LINE__, "case %zu: %d '%s'", i,
				  err, err_msg());
		check(err < 0 && strstr(err_msg(), cases[i].msg));
		done(&r);
	}
}

/* bundle_dir without appspec.yml is refused before anything is sent. */
void test_codedeploy__bundle_dir_needs_appspec(void)
{
	struct run r;

	fs_mkdir_p("ws/app", 0755);
	check_int(run(&r, BASE "bucket: b\nkey: a.zip\nbundle_dir: app\n"), ==,
		  FY_EINVALID);
	check(strstr(err_msg(), "has no appspec.yml"));
	done(&r);
	fs_write_file("ws/app/appspec.yml", "version: 0.0\nos: linux\n", 23,
		      0644);
	check_ok(run(&r, BASE "bucket: b\nkey: a.zip\nbundle_dir: app\n"));
	check(strstr(r.out.ptr, "Bundling app as zip\n"));
	check(strstr(r.out.ptr, "dry run: PUT http://127.0.0.1:9/b/a.zip"));
	check(strstr(r.out.ptr, "Content-Type: application/zip"));
	done(&r);
}

/* A secret in the description is shown obfuscated, as dpl does. */
void test_codedeploy__description_obfuscates_secrets(void)
{
	struct run r;
	struct val *v;

	check_ok(run(&r, BASE "description: 'key %{$KEY} ok'\n"));
	done(&r);
	memset(&r, 0, sizeof(r));
	check_ok(run(&r, "provider: codedeploy\n"
			 "access_key_id: nightly\n"
			 "secret_access_key: s3cr3t\n"
			 "endpoint: http://127.0.0.1:9\n"
			 "application: shop\n"
			 "description: 'note %{$NOTE}'\n"));
	v = body_of(&r, "CreateDeployment");
	check_str(path(v, "description", NULL, NULL),
		  "note n*******************");
	val_free(v);
	done(&r);
}
