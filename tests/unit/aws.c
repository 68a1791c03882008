#include "compat.h"

#include "aws.h"
#include "buf.h"
#include "fs.h"
#include "json.h"
#include "unit.h"
#include "val.h"

/*
 * The AWS core: endpoint resolution against the official endpoint-rule
 * cases (read at test time), error answers from the shared protocol
 * fixtures, the retry policy, backoff, obfuscation and configuration.
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
		struct aws_endpoint_params ep = {
			val_strv(val_map_get(p, "Region")),
			val_strv(val_map_get(p, "Endpoint")),
			val_strv(val_map_get(p, "Bucket")),
			flag(p, "ForcePathStyle"),
			flag(p, "UseGlobalEndpoint"),
		};
		struct aws_endpoint e = AWS_ENDPOINT_INIT;
		int err = aws_endpoint_resolve(&e, service_of(svc_name), &ep);
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
		aws_endpoint_release(&e);
	}
	val_free(doc);
	return bad;
}

void test_aws__endpoint_rules(void)
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

void test_aws__endpoint_path_style_and_keys(void)
{
	struct aws_endpoint e = AWS_ENDPOINT_INIT;
	struct aws_endpoint_params p = { "us-east-1", "http://127.0.0.1:4568",
					 "site", false, false };

	check_ok(aws_endpoint_resolve(&e, &aws_s3, &p));
	check_str(e.url, "http://127.0.0.1:4568/site");
	check(e.path_style);
	aws_endpoint_release(&e);
	p.endpoint = "localhost:9000";
	check_ok(aws_endpoint_resolve(&e, &aws_s3, &p));
	check_str(e.url, "https://site.localhost:9000");
	check(!e.path_style);
	aws_endpoint_release(&e);
	p.force_path_style = true;
	check_ok(aws_endpoint_resolve(&e, &aws_s3, &p));
	check_str(e.url, "https://localhost:9000/site");
	aws_endpoint_release(&e);
	p.endpoint = "ftp://host";
	check_int(aws_endpoint_resolve(&e, &aws_s3, &p), ==, FY_EINVALID);
	p.endpoint = NULL;
	p.region = "eu-west-1";
	p.force_path_style = false;
	check_ok(aws_endpoint_resolve(&e, &aws_s3, &p));
	check_str(e.url, "https://site.s3.eu-west-1.amazonaws.com");
	aws_endpoint_release(&e);
	p.bucket = NULL;
	check_ok(aws_endpoint_resolve(&e, &aws_iam, &p));
	check_str(e.url, "https://iam.amazonaws.com");
	check_str(e.signing_region, "us-east-1");
	aws_endpoint_release(&e);
	check(aws_s3_virtual_hostable("my-bucket", false));
	check(!aws_s3_virtual_hostable("my.bucket", false));
	check(aws_s3_virtual_hostable("my.bucket", true));
	check(!aws_s3_virtual_hostable("my..bucket", true));
	check(!aws_s3_virtual_hostable("-bucket", false));
	check(!aws_s3_virtual_hostable("192.168.1.1", true));
}

static void parse_fixture(struct aws_error *e, enum aws_protocol proto,
			  long status, const char *name)
{
	struct buf b = BUF_INIT;
	char path[256];

	snprintf(path, sizeof(path), "aws-vectors/protocol-fixtures/%s", name);
	if (fs_read_file(&b, unit_shared(path)) < 0)
		unit_fail(__FILE__, __LINE__, "%s", err_msg());
	aws_error_parse(e, proto, status, b.ptr, b.len, NULL);
	buf_release(&b);
}

void test_aws__error_fixtures(void)
{
	static const struct {
		const char *file;
		enum aws_protocol proto;
		long status;
		const char *code, *msg_start;
		bool retry, denied;
	} cases[] = {
		{ "s3/error.NoSuchKey.xml", AWS_REST_XML, 404, "NoSuchKey",
		  "The specified key", false, false },
		{ "s3/error.SlowDown.xml", AWS_REST_XML, 503, "SlowDown",
		  "Please reduce", true, false },
		{ "s3/error.InternalError.xml", AWS_REST_XML, 500,
		  "InternalError", "We encountered", true, false },
		{ "s3/error.RequestTimeout.xml", AWS_REST_XML, 400,
		  "RequestTimeout", "Your socket", true, false },
		{ "s3/error.SignatureDoesNotMatch.xml", AWS_REST_XML, 403,
		  "SignatureDoesNotMatch", "The request signature", false,
		  false },
		{ "s3/error.EntityTooSmall.xml", AWS_REST_XML, 400,
		  "EntityTooSmall", "Your proposed", false, false },
		{ "s3/CompleteMultipartUpload.200-error.xml", AWS_REST_XML, 500,
		  "InternalError", "We encountered", true, false },
		{ "sts/error.AccessDenied.xml", AWS_QUERY, 403, "AccessDenied",
		  "User: arn:aws:iam::123456789012:user/ci", false, true },
		{ "codedeploy/error.AccessDenied.json", AWS_JSON, 400,
		  "AccessDeniedException", "User: arn", false, true },
		{ "codedeploy/error.ApplicationDoesNotExistException."
		  "namespaced.json",
		  AWS_JSON, 400, "ApplicationDoesNotExistException",
		  "Applications not found", false, false },
		{ "codedeploy/error.DeploymentLimitExceededException.json",
		  AWS_JSON, 400, "DeploymentLimitExceededException",
		  "The Deployment Group", false, false },
		{ "codedeploy/error.ThrottlingException.json", AWS_JSON, 400,
		  "ThrottlingException", "Rate exceeded", true, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct aws_error e = AWS_ERROR_INIT;

		parse_fixture(&e, cases[i].proto, cases[i].status,
			      cases[i].file);
		check_str(e.code, cases[i].code);
		check(e.message && !strncmp(e.message, cases[i].msg_start,
					    strlen(cases[i].msg_start)));
		check_int(aws_error_retryable(cases[i].status, e.code), ==,
			  cases[i].retry);
		check_int(aws_error_access_denied(e.code), ==, cases[i].denied);
		aws_error_release(&e);
	}
}

void test_aws__error_shapes(void)
{
	struct aws_error e = AWS_ERROR_INIT;

	/* HEAD answers have no body: the status names the error. */
	aws_error_parse(&e, AWS_REST_XML, 404, "", 0, NULL);
	check_str(e.code, "NotFound");
	check(!e.message);
	aws_error_release(&e);
	aws_error_parse(&e, AWS_REST_XML, 418, "", 0, NULL);
	check_str(e.code, "HTTP418");
	aws_error_release(&e);
	/* JSON without __type: the x-amzn-query-error header. */
	aws_error_parse(&e, AWS_JSON, 400, "{}", 2,
			"AWS.SimpleQueueService.NonExistentQueue;Sender");
	check_str(e.code, "AWS.SimpleQueueService.NonExistentQueue");
	aws_error_release(&e);
	/* A redirect names the bucket's region. */
	parse_fixture(&e, AWS_REST_XML, 400,
		      "s3/error.AuthorizationHeaderMalformed.xml");
	check_str(e.region, "eu-west-1");
	aws_error_release(&e);
	/* Leading whitespace before a late <Error> (S3 200-with-error). */
	{
		const char *late = "   \n<Error><Code>X</Code></Error>";

		aws_error_parse(&e, AWS_REST_XML, 200, late, strlen(late),
				NULL);
	}
	check_str(e.code, "X");
	aws_error_release(&e);
	/* Garbage is not a crash. */
	aws_error_parse(&e, AWS_JSON, 500, "{not json", 9, NULL);
	check_str(e.code, "InternalError");
	aws_error_release(&e);
}

void test_aws__retry_policy(void)
{
	static const struct {
		long status;
		const char *code;
		bool want;
	} cases[] = {
		{ 500, "InternalError", true },
		{ 502, NULL, true },
		{ 503, "SlowDown", true },
		{ 503, "ServiceUnavailable", true },
		{ 504, NULL, true },
		{ 400, "RequestTimeout", true },
		{ 400, "ThrottlingException", true },
		{ 400, "Throttling", true },
		{ 429, "TooManyRequestsException", true },
		{ 400, "PriorRequestNotComplete", true },
		{ 400, "IDPCommunicationError", true },
		{ 400, "BadDigest", false },
		{ 403, "AccessDenied", false },
		{ 403, "SignatureDoesNotMatch", false },
		{ 404, "NoSuchKey", false },
		{ 400, "DeploymentLimitExceededException", false },
		{ 501, "NotImplemented", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_int(aws_error_retryable(cases[i].status, cases[i].code),
			  ==, cases[i].want);
}

void test_aws__backoff(void)
{
	static const struct {
		unsigned retry;
		double r;
		unsigned base, want;
	} cases[] = {
		{ 0, 0.5, 1000, 0 },	 { 1, 0.0, 1000, 0 },
		{ 1, 0.5, 1000, 500 },	 { 2, 0.5, 1000, 1000 },
		{ 3, 0.5, 1000, 2000 },	 { 5, 0.999, 1000, 15984 },
		{ 6, 0.9, 1000, 20000 }, { 40, 0.9, 1000, 20000 },
		{ 3, 0.25, 100, 100 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_int(aws_backoff_ms(cases[i].retry, cases[i].r,
					 cases[i].base),
			  ==, cases[i].want);
	/* Full jitter: never more than the cap, for any draw. */
	for (unsigned n = 1; n < 30; n++)
		check_int(aws_backoff_ms(n, 0.9999999, 1000), <=,
			  AWS_BACKOFF_CAP_MS);
}

void test_aws__obfuscate(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "access_key_id", "ac******************" },
		{ "AKIAIOSFODNN7EXAMPLE", "AK******************" },
		{ "id", "i*******************" },
		{ "x", "x*******************" },
		{ "secret_access_key", "se******************" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "aaa*****************" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf b = BUF_INIT;

		aws_obfuscate(&b, cases[i].in);
		check_str(b.ptr, cases[i].out);
		buf_release(&b);
	}
}

void test_aws__config(void)
{
	struct val *vars = val_map();
	struct aws_env env = { vars, true };

	check_str(aws_config_region(&env, NULL, NULL), "us-east-1");
	check_str(aws_config_region(&env, NULL, "eu-north-1"), "eu-north-1");
	val_map_set(vars, "AWS_DEFAULT_REGION", val_str("eu-west-2"));
	check_str(aws_config_region(&env, NULL, "eu-north-1"), "eu-west-2");
	val_map_set(vars, "AWS_REGION", val_str("eu-west-3"));
	check_str(aws_config_region(&env, NULL, NULL), "eu-west-3");
	check_str(aws_config_region(&env, "ap-south-1", NULL), "ap-south-1");

	check(!aws_config_endpoint(&env, &aws_s3, NULL));
	val_map_set(vars, "AWS_ENDPOINT_URL", val_str("http://all"));
	check_str(aws_config_endpoint(&env, &aws_s3, NULL), "http://all");
	val_map_set(vars, "AWS_ENDPOINT_URL_S3", val_str("http://s3"));
	check_str(aws_config_endpoint(&env, &aws_s3, NULL), "http://s3");
	check_str(aws_config_endpoint(&env, &aws_codedeploy, NULL),
		  "http://all");
	val_map_set(vars, "AWS_ENDPOINT_URL_CODEDEPLOY", val_str("http://cd"));
	check_str(aws_config_endpoint(&env, &aws_codedeploy, NULL),
		  "http://cd");
	check_str(aws_config_endpoint(&env, &aws_s3, "http://opt"),
		  "http://opt");
	val_map_set(vars, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		    val_str("true"));
	check(!aws_config_endpoint(&env, &aws_s3, NULL));
	/* An empty variable counts as unset. */
	val_map_set(vars, "EMPTY", val_str(""));
	check(!aws_getenv(&env, "EMPTY"));
	val_free(vars);
}

void test_aws__time(void)
{
	check_int(aws_parse_time("2011-07-15T23:28:33.359Z"), ==, 1310772513);
	check_int(aws_parse_time("2023-11-15T04:13:20Z"), ==, 1700021600);
	check_int(aws_parse_time("2023-11-15T04:13:20+00:00"), ==, 1700021600);
	check_int(aws_parse_time("yesterday"), ==, 0);
	check_int(aws_parse_time(NULL), ==, 0);
}

void test_aws__form(void)
{
	struct buf b = BUF_INIT;

	aws_form_add(&b, "RoleArn", "arn:aws:iam::123456789012:role/deploy");
	aws_form_add(&b, "RoleSessionName", "ci build 42");
	check_str(b.ptr, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%"
			 "2Fdeploy&RoleSessionName=ci%20build%2042");
	buf_release(&b);
}
