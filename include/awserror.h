#ifndef FY_AWSERROR_H
#define FY_AWSERROR_H

#include "compat.h"

/*
 * awserror: AWS error answers and the retry policy of the SDKs'
 * "standard" mode: which answers are worth another try, and how long to
 * wait before it (full jitter, base 2, capped at 20 s).
 *
 * Ownership: a parsed error owns its strings (awserror_release()).
 */

/* An AWS error answer, parsed. */
struct awserror {
	long status;
	char *code;	  /* "NoSuchKey"; the namespace of JSON types cut */
	char *message;	  /* may be NULL */
	char *request_id; /* may be NULL */
	char *region;	  /* S3 redirects: the bucket's region */
};
/* clang-format off */
#define AWSERROR_INIT { 0, NULL, NULL, NULL, NULL }
/* clang-format on */

/*
 * Parse an error answer: XML <Error> (S3), <ErrorResponse><Error> (query
 * protocol) or <Errors><Error> (EC2 style), or JSON {"__type",
 * "message"|"Message"} with `query_error` (the x-amzn-query-error header
 * of JSON services, or NULL) as a fallback; a body without a code (HEAD)
 * gets the HTTP reason as its code ("NotFound", "Forbidden"...).
 */
void awserror_parse(struct awserror *out, long status, const char *body,
		    size_t len, const char *query_error);
void awserror_release(struct awserror *e);
/* Is this answer worth another try (standard retry mode)? */
bool awserror_retryable(long status, const char *code);
/* A throttling code (costs the same as a transient one here). */
bool awserror_throttling(const char *code);
/* AccessDenied and its spellings. */
bool awserror_access_denied(const char *code);
/* A code that says the credentials are wrong, expired or not allowed. */
bool awserror_credentials(const char *code);

/* Standard-mode backoff: min(r01 * base_ms * 2^(retry-1), 20 s). */
unsigned awserror_backoff_ms(unsigned retry, double r01, unsigned base_ms);
#define AWSERROR_BACKOFF_CAP_MS 20000u

#endif
