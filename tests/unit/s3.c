#include "compat.h"

#include "buf.h"
#include "deployer.h"
#include "fs.h"
#include "loader.h"
#include "svec.h"
#include "unit.h"
#include "val.h"

/*
 * The s3 provider in dry runs: what it would send for a workspace (URLs,
 * headers, dpl's log lines), and its option checks.  The same provider
 * against a real server is tests/suites/50-deploy.sh.
 */

struct run {
	struct buf out;
	struct svec secrets;
	struct val *opts, *env;
};

static void w(void *payload, const char *data, size_t len)
{
	buf_add(&((struct run *)payload)->out, data, len);
}

static void sec(void *payload, const char *s)
{
	svec_push(&((struct run *)payload)->secrets, s);
}

/* Run `yaml` (the entry) in a dry run over workspace "ws". */
static int run(struct run *r, const char *yaml, const char *cwd)
{
	struct deploy_ctx ctx = { 0 };
	const struct deployer *d = deployer_find("s3");
	int err;

	memset(r, 0, sizeof(*r));
	buf_init(&r->out);
	r->env = val_map();
	val_map_set(r->env, "TRAVIS_BUILD_DIR",
		    val_str("/home/travis/build/acme/site"));
	val_map_set(r->env, "AWS_EC2_METADATA_DISABLED", val_str("true"));
	val_map_set(r->env, "AWS_SHARED_CREDENTIALS_FILE", val_str("none"));
	val_map_set(r->env, "AWS_CONFIG_FILE", val_str("none"));
	err = loader_load(&r->opts, yaml, strlen(yaml), "deploy", NULL, NULL);
	if (err < 0)
		return err;
	ctx.opts = r->opts;
	ctx.workspace = "ws";
	ctx.cwd = cwd;
	ctx.env = r->env;
	ctx.dry_run = true;
	ctx.write = w;
	ctx.add_secret = sec;
	ctx.payload = r;
	err = d->validate(r->opts);
	return err < 0 ? err : d->run(&ctx);
}

static void done(struct run *r)
{
	buf_release(&r->out);
	svec_release(&r->secrets);
	val_free(r->opts);
	val_free(r->env);
}

static void tree(void)
{
	fs_mkdir_p("ws/public/css", 0755);
	fs_mkdir_p("ws/public/.hidden", 0755);
	fs_mkdir_p("ws/sub/dist", 0755);
	fs_write_file("ws/public/index.html", "<html></html>\n", 14, 0644);
	fs_write_file("ws/public/css/a.css", "b{}\n", 4, 0644);
	fs_write_file("ws/public/.hidden/x", "x", 1, 0644);
	fs_write_file("ws/public/blob", "\x01\x02\x03", 3, 0644);
	fs_write_file("ws/sub/dist/app.js", "f()\n", 4, 0644);
}

#define CREDS                               \
	"provider: s3\n"                    \
	"access_key_id: AKIDEXAMPLE0123\n"  \
	"secret_access_key: s3cr3t/k3y+x\n" \
	"endpoint: http://127.0.0.1:9\n"

void test_s3__dry_run_defaults(void)
{
	struct run r;

	tree();
	check_ok(run(&r, CREDS "bucket: site\nlocal_dir: public\n", ""));
	check(strstr(r.out.ptr, "Using Access Key: AK******************\n"));
	check(strstr(r.out.ptr,
		     "Uploading 3 files with up to 5 threads ...\n"));
	check(strstr(r.out.ptr, ".Uploading index.html to / with acl=private "
				"content_type=text/html cache_control=no-cache "
				"storage_class=STANDARD\n"));
	check(strstr(r.out.ptr,
		     "dry run: PUT http://127.0.0.1:9/site/css/a.css"));
	/* private is what S3 does without the header, which needs no
	 * s3:PutObjectAcl (and ACL-less buckets accept) */
	check(!strstr(r.out.ptr, "x-amz-acl"));
	check(strstr(r.out.ptr, "    Cache-Control: no-cache\n"));
	check(strstr(r.out.ptr, "    x-amz-storage-class: STANDARD\n"));
	check(strstr(r.out.ptr,
		     "    Content-Type: application/octet-stream\n"));
	check(!strstr(r.out.ptr, ".hidden"));
	check(!strstr(r.out.ptr, "s3cr3t"));
	check(!strstr(r.out.ptr, "AKIDEXAMPLE0123"));
	check(svec_has(&r.secrets, "s3cr3t/k3y+x"));
	check(svec_has(&r.secrets, "AKIDEXAMPLE0123"));
	check(strstr(r.out.ptr, "Dry run: would upload 3 files"));
	done(&r);
}

void test_s3__dry_run_options(void)
{
	struct run r;

	tree();
	check_ok(run(&r,
		     CREDS "bucket: site\n"
			   "local_dir: public\n"
			   "upload_dir: /v1/docs/\n"
			   "glob: '**/*.{html,css}'\n"
			   "dot_match: true\n"
			   "acl: bucket_owner_full_control\n"
			   "storage_class: REDUCED_REDUNDANCY\n"
			   "server_side_encryption: true\n"
			   "default_text_charset: utf-8\n"
			   "detect_encoding: true\n"
			   "cache_control: ['max-age=9: *.css']\n"
			   "expires: '2021-06-01 12:00:00 UTC'\n"
			   "force_path_style: true\n"
			   "verbose: true\n"
			   "overwrite: false\n",
		     ""));
	check(strstr(r.out.ptr,
		     "Uploading css/a.css to v1/docs with "
		     "acl=bucket-owner-full-control content_type=text/"
		     "css; charset=utf-8 content_encoding=text "
		     "cache_control=max-age=9 expires=2021-06-01 "
		     "12:00:00 UTC storage_class=REDUCED_REDUNDANCY "
		     "server_side_encryption=AES256\n"));
	/* verbose: the line twice, no dots */
	check(strstr(strstr(r.out.ptr, "Uploading css/a.css") + 1,
		     "Uploading css/a.css"));
	check(!strstr(r.out.ptr, ".Uploading"));
	/* overwrite: false asks first */
	check(strstr(
		r.out.ptr,
		"dry run: HEAD http://127.0.0.1:9/site/v1/docs/css/a.css"));
	check(strstr(r.out.ptr,
		     "    Expires: Tue, 01 Jun 2021 12:00:00 GMT\n"));
	check(strstr(r.out.ptr, "    x-amz-server-side-encryption: AES256\n"));
	check(strstr(r.out.ptr, "    x-amz-acl: bucket-owner-full-control\n"));
	check(strstr(r.out.ptr, "    Content-Encoding: text\n"));
	/* the glob left out the blob and the dot file (not html/css) */
	check(!strstr(r.out.ptr, "blob"));
	check(!strstr(r.out.ptr, ".hidden/x"));
	/* index.html: no cache_control mapping matches, so none is sent */
	check(strstr(r.out.ptr,
		     "Uploading index.html to v1/docs with "
		     "acl=bucket-owner-full-control content_type=text/"
		     "html; charset=utf-8 content_encoding=text "
		     "expires="));
	done(&r);
}

/* local_dir is relative to the job's directory, or inside the build dir. */
void test_s3__local_dir(void)
{
	struct run r;

	tree();
	check_ok(run(&r, CREDS "bucket: b\nlocal_dir: dist\n", "sub"));
	check(strstr(r.out.ptr, "dry run: PUT http://127.0.0.1:9/b/app.js"));
	done(&r);
	check_ok(run(&r,
		     CREDS "bucket: b\nlocal_dir: "
			   "/home/travis/build/acme/site/sub/dist\n",
		     ""));
	check(strstr(r.out.ptr, "dry run: PUT http://127.0.0.1:9/b/app.js"));
	done(&r);
	check_int(run(&r, CREDS "bucket: b\nlocal_dir: /etc\n", ""), ==,
		  FY_EINVALID);
	check(strstr(err_msg(), "outside the build directory"));
	done(&r);
	check_int(run(&r, CREDS "bucket: b\nlocal_dir: nope\n", ""), ==,
		  FY_ENOTFOUND);
	done(&r);
}

void test_s3__kms_and_website(void)
{
	struct run r;

	tree();
	check_ok(run(&r,
		     CREDS "bucket: site\nlocal_dir: public\n"
			   "kms_key_id: alias/deploy\n"
			   "index_document_suffix: index.html\n",
		     ""));
	check(strstr(r.out.ptr,
		     "    x-amz-server-side-encryption: aws:kms\n"
		     "    x-amz-server-side-encryption-aws-kms-key-id: "
		     "alias/deploy\n"));
	check(strstr(r.out.ptr,
		     "Setting index document suffix to index.html\n"
		     "dry run: PUT http://127.0.0.1:9/site?website\n"));
	check(strstr(r.out.ptr, "<Suffix>index.html</Suffix>"));
	done(&r);
}

void test_s3__option_errors(void)
{
	static const struct {
		const char *yaml, *msg;
	} cases[] = {
		{ CREDS "bucket: b\nacl: world_writable\n", "unknown acl" },
		{ CREDS "bucket: b\nstorage_class: COLD\n", "storage_class" },
		{ CREDS "bucket: b\ncache_control: forever\n",
		  "cache_control" },
		{ CREDS "bucket: b\nexpires: tomorrow\n", "expires" },
		{ CREDS "bucket: b\nmax_threads: many\n", "max_threads" },
		{ CREDS "local_dir: public\n", "'bucket'" },
		{ "provider: s3\nbucket: b\naccess_key_id: A\n",
		  "'secret_access_key' is not" },
		{ CREDS "bucket: b\nendpoint: ftp://x\n", "not a valid URI" },
		{ CREDS "bucket: b\nregion: 'us east'\n", "invalid region" },
	};

	tree();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct run r;
		int err = run(&r, cases[i].yaml, "");

		if (err >= 0 || !strstr(err_msg(), cases[i].msg))
			unit_fail(__FILE__, __LINE__, "case %zu: %d '%s'", i,
				  err, err_msg());
		check(err < 0 && strstr(err_msg(), cases[i].msg));
		done(&r);
	}
}

/* dpl reads options from S3_ and AWS_ variables too; S3_ wins. */
void test_s3__env_options(void)
{
	struct run r;
	struct deploy_ctx ctx = { 0 };
	const char *yaml = "provider: s3\nlocal_dir: public\n";

	tree();
	memset(&r, 0, sizeof(r));
	r.env = val_map();
	val_map_set(r.env, "AWS_BUCKET", val_str("from-aws"));
	val_map_set(r.env, "S3_BUCKET", val_str("from-s3"));
	val_map_set(r.env, "S3_ACCESS_KEY_ID", val_str("AKIDS3PREFIX"));
	val_map_set(r.env, "AWS_SECRET_ACCESS_KEY", val_str("envsecret"));
	val_map_set(r.env, "AWS_ENDPOINT_URL_S3",
		    val_str("http://192.0.2.9:1"));
	val_map_set(r.env, "AWS_SHARED_CREDENTIALS_FILE", val_str("none"));
	val_map_set(r.env, "AWS_CONFIG_FILE", val_str("none"));
	check_ok(loader_load(&r.opts, yaml, strlen(yaml), "d", NULL, NULL));
	ctx.opts = r.opts;
	ctx.workspace = "ws";
	ctx.cwd = "";
	ctx.env = r.env;
	ctx.dry_run = true;
	ctx.write = w;
	ctx.payload = &r;
	check_ok(deployer_find("s3")->run(&ctx));
	check(strstr(r.out.ptr, "dry run: PUT http://192.0.2.9:1/from-s3/"));
	check(strstr(r.out.ptr, "Credential=AK******************/"));
	done(&r);
}
