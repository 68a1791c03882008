#include "compat.h"

#include "aws.h"
#include "buf.h"
#include "unit.h"
#include "val.h"

/* Configuration, obfuscation as dpl does it, times and form encoding. */

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
