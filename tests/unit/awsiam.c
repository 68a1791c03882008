#include "compat.h"

#include "awsiam.h"
#include "unit.h"

void test_awsiam__arns(void)
{
	char *a;

	a = awsiam_arn_s3_bucket("us-east-1", "site");
	check_str(a, "arn:aws:s3:::site");
	free(a);
	a = awsiam_arn_s3_object("cn-north-1", "site", "docs/*");
	check_str(a, "arn:aws-cn:s3:::site/docs/*");
	free(a);
	a = awsiam_arn_codedeploy("eu-west-1", NULL, "deploymentgroup",
				  "app/prod");
	check_str(a, "arn:aws:codedeploy:eu-west-1:*:deploymentgroup:app/prod");
	free(a);
	a = awsiam_arn_codedeploy("us-gov-west-1", "123456789012",
				  "application", "app");
	check_str(a, "arn:aws-us-gov:codedeploy:us-gov-west-1:123456789012:"
		     "application:app");
	free(a);
}

void test_awsiam__account(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "User: arn:aws:iam::123456789012:user/ci is not authorized "
		  "to perform: codedeploy:CreateDeployment",
		  "123456789012" },
		{ "User: arn:aws:sts::210987654321:assumed-role/deploy/s is not "
		  "authorized",
		  "210987654321" },
		{ "arn:aws:s3:::bucket and arn:aws:iam::111122223333:role/x",
		  "111122223333" },
		{ "Access Denied", NULL },
		{ "arn:aws:iam::12345:user/x", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char acct[13];
		bool got = awsiam_account_from(cases[i].text, acct);

		check_int(got, ==, cases[i].want != NULL);
		if (got)
			check_str(acct, cases[i].want);
	}
}

void test_awsiam__with_account(void)
{
	static const struct {
		const char *arn, *acct, *want;
	} cases[] = {
		{ "arn:aws:codedeploy:us-east-1:*:application:app",
		  "123456789012",
		  "arn:aws:codedeploy:us-east-1:123456789012:application:app" },
		{ "arn:aws:iam::*:role/deploy", "123456789012",
		  "arn:aws:iam::123456789012:role/deploy" },
		{ "arn:aws:codedeploy:us-east-1:999999999999:application:app",
		  "123456789012",
		  "arn:aws:codedeploy:us-east-1:999999999999:application:app" },
		{ "arn:aws:s3:::bucket/key", "123456789012",
		  "arn:aws:s3:::bucket/key" },
		{ "arn:aws:codedeploy:us-east-1:*:application:app", NULL,
		  "arn:aws:codedeploy:us-east-1:*:application:app" },
		{ "*", "123456789012", "*" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = awsiam_with_account(cases[i].arn, cases[i].acct);

		check_str(got, cases[i].want);
		free(got);
	}
}

void test_awsiam__statement(void)
{
	const char *two[] = { "s3:PutObject", "s3:PutObjectAcl", NULL };
	char *s = awsiam_statement("s3:PutObject", "arn:aws:s3:::site/*");

	check_str(s, "{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\","
		     "\"Resource\":\"arn:aws:s3:::site/*\"}");
	free(s);
	s = awsiam_statement_actions(two, "arn:aws:s3:::site/*");
	check_str(s,
		  "{\"Effect\":\"Allow\",\"Action\":[\"s3:PutObject\","
		  "\"s3:PutObjectAcl\"],\"Resource\":\"arn:aws:s3:::site/*\"}");
	free(s);
}
