#include "compat.h"

#include "aws.h"
#include "awsendpoint.h"
#include "buf.h"
#include "fs.h"
#include "json.h"
#include "unit.h"
#include "val.h"

/*
 * Endpoint resolution against the official endpoint-rule cases (read at
 * test time from aws-vectors/endpoint-rules-botocore), addressing and the
 * region and endpoint configuration.
 */

static struct val *load_json(const char *name)
{
	struct buf b = BUF_INIT;
	struct val *v = NULL;

	if (fs_read_file(&b, unit_shared(name)) < 0 ||
	    json_parse(&v, b.ptr, b.len, 0) < 0)
		v = NULL;
	buf_release(&b);
	return v;
}

static const struct aws_service *service_of(const char *name)
{
	if (!strcmp(name, "s3"))
		return &aws_s3;
	if (!strcmp(name, "codedeploy"))
		return &aws_codedeploy;
	if (!strcmp(name, "ecr"))
		return &aws_ecr;
	return &aws_sts;
}

static bool flag(const struct val *params, const char *key)
{
	const struct val *v = val_map_get(params, key);

	return v && v->type == VAL_BOOL && v->b;
}

/* Run every case of one file; count passes; fail on any difference. */
static int run_cases(const char *svc_name, size_t *ran)
{
	char path[256];
	struct val *doc;
	const struct val *cases;
	int bad = 0;

	snprintf(path, sizeof(path),
		 "aws-vectors/endpoint-rules-botocore/%s-endpoint-cases.json",
		 svc_name);
	doc = load_json(path);
	cases = val_map_get(doc, "cases");
	if (!cases) {
		unit_fail(__FILE__, __LINE__, "cannot read %s", path);
		val_free(doc);
		return 1;
	}
	for (size_t i = 0; i < cases->seq.n; i++) {
		const struct val *c = cases->seq.v[i];
		const struct val *p = val_map_get(c, "params");
		const char *want = val_strv(val_map_get(c, "expect_url"));
		const struct val *auth = val_map_get(c, "expect_auth");
		const char *want_region =
			val_strv(val_map_get(auth, "signingRegion"));
		struct awsendpoint_params ep = {
			val_strv(val_map_get(p, "Region")),
			val_strv(val_map_get(p, "Endpoint")),
			val_strv(val_map_get(p, "Bucket")),
			flag(p, "ForcePathStyle"),
			flag(p, "UseGlobalEndpoint"),
		};
		struct awsendpoint e = AWSENDPOINT_INIT;
		int err = awsendpoint_resolve(&e, service_of(svc_name), &ep);
		const char *doc_s = val_strv(val_map_get(c, "documentation"));

		(*ran)++;
		if (!want) {
			if (err >= 0) {
				unit_fail(__FILE__, __LINE__,
					  "%s '%s': resolved to %s, want "
					  "error '%s'",
					  svc_name, doc_s, e.url,
					  val_strv(val_map_get(
						  c, "expect_error")));
				bad++;
			}
		} else if (err < 0) {
			unit_fail(__FILE__, __LINE__, "%s '%s': %s", svc_name,
				  doc_s, err_msg());
			bad++;
		} else if (strcmp(e.url, want) ||
			   (want_region &&
			    strcmp(e.signing_region, want_region))) {
			unit_fail(__FILE__, __LINE__,
				  "%s '%s': got %s (signing %s), want %s "
				  "(signing %s)",
				  svc_name, doc_s, e.url, e.signing_region,
				  want, want_region ? want_region : "-");
			bad++;
		}
		awsendpoint_release(&e);
	}
	val_free(doc);
	return bad;
}

void test_awsendpoint__rules(void)
{
	static const struct {
		const char *svc;
		size_t count;
	} files[] = {
		{ "s3", 70 },
		{ "codedeploy", 32 },
		{ "ecr", 10 },
		{ "sts", 52 },
	};
	int bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t ran = 0;

		bad += run_cases(files[i].svc, &ran);
		printf("    %s: %zu endpoint cases\n", files[i].svc, ran);
		check_int(ran, ==, files[i].count);
	}
	check_int(bad, ==, 0);
}

void test_awsendpoint__path_style_and_keys(void)
{
	struct awsendpoint e = AWSENDPOINT_INIT;
	struct awsendpoint_params p = { "us-east-1", "http://127.0.0.1:4568",
					"site", false, false };

	check_ok(awsendpoint_resolve(&e, &aws_s3, &p));
	check_str(e.url, "http://127.0.0.1:4568/site");
	check(e.path_style);
	awsendpoint_release(&e);
	p.endpoint = "localhost:9000";
	check_ok(awsendpoint_resolve(&e, &aws_s3, &p));
	check_str(e.url, "https://site.localhost:9000");
	check(!e.path_style);
	awsendpoint_release(&e);
	p.force_path_style = true;
	check_ok(awsendpoint_resolve(&e, &aws_s3, &p));
	check_str(e.url, "https://localhost:9000/site");
	awsendpoint_release(&e);
	p.endpoint = "ftp://host";
	check_int(awsendpoint_resolve(&e, &aws_s3, &p), ==, FY_EINVALID);
	p.endpoint = NULL;
	p.region = "eu-west-1";
	p.force_path_style = false;
	check_ok(awsendpoint_resolve(&e, &aws_s3, &p));
	check_str(e.url, "https://site.s3.eu-west-1.amazonaws.com");
	awsendpoint_release(&e);
	p.bucket = NULL;
	check_ok(awsendpoint_resolve(&e, &aws_iam, &p));
	check_str(e.url, "https://iam.amazonaws.com");
	check_str(e.signing_region, "us-east-1");
	awsendpoint_release(&e);
	check(awsendpoint_s3_virtual_hostable("my-bucket", false));
	check(!awsendpoint_s3_virtual_hostable("my.bucket", false));
	check(awsendpoint_s3_virtual_hostable("my.bucket", true));
	check(!awsendpoint_s3_virtual_hostable("my..bucket", true));
	check(!awsendpoint_s3_virtual_hostable("-bucket", false));
	check(!awsendpoint_s3_virtual_hostable("203.0.113.1", true));
}
