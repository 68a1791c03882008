/* awserror.c: AWS error answers and the retry policy (awserror.h). */
#include "compat.h"

#include "awserror.h"
#include "json.h"
#include "val.h"
#include "xalloc.h"
#include "xml.h"

void awserror_release(struct awserror *e)
{
	free(e->code);
	free(e->message);
	free(e->request_id);
	free(e->region);
	memset(e, 0, sizeof(*e));
}

static const char *reason(long status)
{
	switch (status) {
	case 301:
		return "MovedPermanently";
	case 304:
		return "NotModified";
	case 400:
		return "BadRequest";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 405:
		return "MethodNotAllowed";
	case 409:
		return "Conflict";
	case 412:
		return "PreconditionFailed";
	case 500:
		return "InternalError";
	case 502:
		return "BadGateway";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "GatewayTimeout";
	}
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void parse_xml_error(struct awserror *out, const char *body, size_t len)
{
	struct xml_node *root = NULL;
	const struct xml_node *e;

	if (xml_parse(&root, body, len) < 0)
		return;
	e = !strcmp(root->name, "Error") ? root : xml_child(root, "Error");
	if (e) {
		out->code = dup_or_null(xml_child_text(e, "Code"));
		out->message = dup_or_null(xml_child_text(e, "Message"));
		out->region = dup_or_null(xml_child_text(e, "Region"));
		out->request_id = dup_or_null(xml_child_text(e, "RequestId"));
	}
	if (!out->request_id)
		out->request_id =
			dup_or_null(xml_child_text(root, "RequestId"));
	xml_free(root);
}

static void parse_json_error(struct awserror *out, const char *body, size_t len)
{
	struct val *v = NULL;
	const char *type, *msg;

	if (json_parse(&v, body, len, 0) < 0)
		return;
	type = val_strv(val_map_get(v, "__type"));
	if (!type)
		type = val_strv(val_map_get(v, "code"));
	if (type) {
		const char *hash = strrchr(type, '#');
		const char *colon;

		type = hash ? hash + 1 : type;
		colon = strchr(type, ':');
		out->code = colon ? xmemdupz(type, (size_t)(colon - type))
				  : xstrdup(type);
	}
	msg = val_strv(val_map_get(v, "message"));
	if (!msg)
		msg = val_strv(val_map_get(v, "Message"));
	out->message = dup_or_null(msg);
	val_free(v);
}

void awserror_parse(struct awserror *out, long status, const char *body,
		    size_t len, const char *query_error)
{
	const char *p = body;

	memset(out, 0, sizeof(*out));
	out->status = status;
	while (len && strchr(" \t\r\n", *p)) {
		p++;
		len--;
	}
	if (len && *p == '<')
		parse_xml_error(out, p, len);
	else if (len && *p == '{')
		parse_json_error(out, p, len);
	if (!out->code && query_error)
		out->code = xmemdupz(query_error, strcspn(query_error, ";"));
	if (!out->code && reason(status))
		out->code = xstrdup(reason(status));
	if (!out->code)
		out->code = xasprintf("HTTP%ld", status);
}

bool awserror_throttling(const char *code)
{
	static const char *const codes[] = {
		"Throttling",
		"ThrottlingException",
		"ThrottledException",
		"RequestThrottledException",
		"TooManyRequestsException",
		"ProvisionedThroughputExceededException",
		"TransactionInProgressException",
		"RequestLimitExceeded",
		"BandwidthLimitExceeded",
		"LimitExceededException",
		"RequestThrottled",
		"SlowDown",
		"PriorRequestNotComplete",
		"EC2ThrottledException",
	};

	for (size_t i = 0; code && i < ARRAY_SIZE(codes); i++)
		if (!strcmp(code, codes[i]))
			return true;
	return false;
}

bool awserror_retryable(long status, const char *code)
{
	static const char *const transient[] = {
		"RequestTimeout",	   "RequestTimeoutException",
		"PriorRequestNotComplete", "InternalError",
		"IDPCommunicationError",
	};

	if (status == 500 || status == 502 || status == 503 || status == 504)
		return true;
	for (size_t i = 0; code && i < ARRAY_SIZE(transient); i++)
		if (!strcmp(code, transient[i]))
			return true;
	return awserror_throttling(code);
}

bool awserror_access_denied(const char *code)
{
	return code && (!strcmp(code, "AccessDenied") ||
			!strcmp(code, "AccessDeniedException") ||
			!strcmp(code, "UnauthorizedOperation"));
}

bool awserror_credentials(const char *code)
{
	static const char *const codes[] = {
		"SignatureDoesNotMatch", "InvalidAccessKeyId",
		"InvalidClientTokenId",	 "UnrecognizedClientException",
		"ExpiredToken",		 "ExpiredTokenException",
		"InvalidToken",		 "MissingAuthenticationToken",
		"IncompleteSignature",	 "AuthFailure",
		"RequestTimeTooSkewed",
	};

	for (size_t i = 0; code && i < ARRAY_SIZE(codes); i++)
		if (!strcmp(code, codes[i]))
			return true;
	return awserror_access_denied(code);
}

unsigned awserror_backoff_ms(unsigned retry, double r01, unsigned base_ms)
{
	double ms = r01 * base_ms;

	if (!retry)
		return 0;
	for (unsigned i = 1; i < retry && ms < AWSERROR_BACKOFF_CAP_MS; i++)
		ms *= 2;
	if (ms > AWSERROR_BACKOFF_CAP_MS)
		ms = AWSERROR_BACKOFF_CAP_MS;
	return (unsigned)ms;
}
