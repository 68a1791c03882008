#include "compat.h"

#include "awserror.h"
#include "buf.h"
#include "fs.h"
#include "unit.h"

/*
 * AWS error answers from the shared protocol fixtures, and the retry
 * policy and backoff of the SDKs' standard mode.
 */

static void parse_fixture(struct awserror *e, long status, const char *name)
{
	struct buf b = BUF_INIT;
	char path[256];

	snprintf(path, sizeof(path), "aws-vectors/protocol-fixtures/%s", name);
	if (fs_read_file(&b, unit_shared(path)) < 0)
		unit_fail(__FILE__, __LINE__, "%s", err_msg());
	awserror_parse(e, status, b.ptr, b.len, NULL);
	buf_release(&b);
}

void test_awserror__fixtures(void)
{
	static const struct {
		const char *file;
		long status;
		const char *code, *msg_start;
		bool retry, denied;
	} cases[] = {
		{ "s3/error.NoSuchKey.xml", 404, "NoSuchKey",
		  "The specified key", false, false },
		{ "s3/error.SlowDown.xml", 503, "SlowDown", "Please reduce",
		  true, false },
		{ "s3/error.InternalError.xml", 500, "InternalError",
		  "We encountered", true, false },
		{ "s3/error.RequestTimeout.xml", 400, "RequestTimeout",
		  "Your socket", true, false },
		{ "s3/error.SignatureDoesNotMatch.xml", 403,
		  "SignatureDoesNotMatch", "The request signature", false,
		  false },
		{ "s3/error.EntityTooSmall.xml", 400, "EntityTooSmall",
		  "Your proposed", false, false },
		{ "s3/CompleteMultipartUpload.200-error.xml", 500,
		  "InternalError", "We encountered", true, false },
		{ "sts/error.AccessDenied.xml", 403, "AccessDenied",
		  "User: arn:aws:iam::123456789012:user/ci", false, true },
		{ "codedeploy/error.AccessDenied.json", 400,
		  "AccessDeniedException", "User: arn", false, true },
		{ "codedeploy/error.ApplicationDoesNotExistException."
		  "namespaced.json",
		  400, "ApplicationDoesNotExistException",
		  "Applications not found", false, false },
		{ "codedeploy/error.DeploymentLimitExceededException.json", 400,
		  "DeploymentLimitExceededException", "The Deployment Group",
		  false, false },
		{ "codedeploy/error.ThrottlingException.json", 400,
		  "ThrottlingException", "Rate exceeded", true, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct awserror e = AWSERROR_INIT;

		parse_fixture(&e, cases[i].status, cases[i].file);
		check_str(e.code, cases[i].code);
		check(e.message && !strncmp(e.message, cases[i].msg_start,
					    strlen(cases[i].msg_start)));
		check_int(awserror_retryable(cases[i].status, e.code), ==,
			  cases[i].retry);
		check_int(awserror_access_denied(e.code), ==, cases[i].denied);
		awserror_release(&e);
	}
}

void test_awserror__shapes(void)
{
	struct awserror e = AWSERROR_INIT;

	/* HEAD answers have no body: the status names the error. */
	awserror_parse(&e, 404, "", 0, NULL);
	check_str(e.code, "NotFound");
	check(!e.message);
	awserror_release(&e);
	awserror_parse(&e, 418, "", 0, NULL);
	check_str(e.code, "HTTP418");
	awserror_release(&e);
	/* JSON without __type: the x-amzn-query-error header. */
	awserror_parse(&e, 400, "{}", 2,
		       "AWS.SimpleQueueService.NonExistentQueue;Sender");
	check_str(e.code, "AWS.SimpleQueueService.NonExistentQueue");
	awserror_release(&e);
	/* A redirect names the bucket's region. */
	parse_fixture(&e, 400, "s3/error.AuthorizationHeaderMalformed.xml");
	check_str(e.region, "eu-west-1");
	awserror_release(&e);
	/* Leading whitespace before a late <Error> (S3 200-with-error). */
	{
		const char *late = "   \n<Error><Code>X</Code></Error>";

		awserror_parse(&e, 200, late, strlen(late), NULL);
	}
	check_str(e.code, "X");
	awserror_release(&e);
	/* Garbage is not a crash. */
	awserror_parse(&e, 500, "{not json", 9, NULL);
	check_str(e.code, "InternalError");
	awserror_release(&e);
}

void test_awserror__retry_policy(void)
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
		check_int(awserror_retryable(cases[i].status, cases[i].code),
			  ==, cases[i].want);
}

void test_awserror__backoff(void)
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
		check_int(awserror_backoff_ms(cases[i].retry, cases[i].r,
					      cases[i].base),
			  ==, cases[i].want);
	/* Full jitter: never more than the cap, for any draw. */
	for (unsigned n = 1; n < 30; n++)
		check_int(awserror_backoff_ms(n, 0.9999999, 1000), <=,
			  AWSERROR_BACKOFF_CAP_MS);
}
