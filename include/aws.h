#ifndef FY_AWS_H
#define FY_AWS_H

#include "compat.h"

#include "awserror.h"
#include "buf.h"
#include "http.h"
#include "svec.h"

struct aws_service;
struct val;
struct xml_node;

/*
 * aws: a small AWS client without an SDK (spec aws.md), used by the s3
 * and codedeploy providers and by everything else that talks to AWS.
 * It knows each service's endpoints and protocol (REST-XML for S3, JSON
 * 1.1 for CodeDeploy and ECR, the query protocol for STS and IAM), signs
 * every request with SigV4 (sigv4.h), retries like the SDKs' "standard"
 * mode, and turns AWS errors into one message "Code: Message".
 *
 * Use:
 *  1. Decide the region and endpoint: aws_config_region(),
 *     aws_config_endpoint() (options first, then the environment).
 *  2. Get credentials (awscreds.h) into a struct aws_creds.
 *  3. aws_client_new() per service and per thread; a client owns one
 *     HTTP connection cache (http.h) and is used by one thread at a time.
 *  4. aws_send() a struct aws_request (S3 and other REST calls), or
 *     aws_json_call() / aws_query_call() for the RPC protocols.
 *  5. aws_client_free().
 *
 * Retries ("standard" mode of the AWS SDKs): up to max_attempts tries in
 * all (default 3, or AWS_MAX_ATTEMPTS), after HTTP 500/502/503/504, the
 * transient and throttling error codes (SlowDown, RequestTimeout,
 * Throttling...) and connection failures; the wait before retry i is
 * rand[0,1) * base * 2^(i-1), at most 20 s (full jitter); a retry quota
 * of 500 tokens (5 a retry, 10 after a timeout, 1 back per success)
 * stops retry storms.  Bodies are re-sent from memory or from the file
 * range, so every request can be retried.
 *
 * Errors: aws_send() and the calls return 0 for a 2xx answer, else a
 * negative code with one message "<Op> '<target>': <Code>: <Message>":
 * FY_ENOTFOUND for 404, FY_EAUTH for 403 and the credential errors,
 * FY_EFAIL otherwise; transport failures keep http.h's message.  On
 * AccessDenied the message also names the IAM action and resource that
 * were refused and gives a policy statement that would allow them.
 *
 * Dry run: the client prints each request it would send (method, URL,
 * headers; the signature, session token and secret-bearing headers
 * masked) through the log callback and sends nothing; calls then
 * succeed with an empty answer (status 0).
 *
 * Credentials: a client signs with a fixed struct aws_creds, or asks a
 * shared struct aws_credcache before each request, which refreshes
 * temporary credentials shortly before they expire (see below); that is
 * how a long upload or wait outlives an hour-long STS session.  An
 * anonymous client sends its requests unsigned.
 *
 * Ownership: everything passed in is borrowed for the call (the client
 * copies its options, but not the credentials or their cache, which
 * must outlive it).
 */

/* Environment variables: the job's first (a map), then ferry's own. */
struct aws_env {
	const struct val *vars; /* map NAME -> value, or NULL */
	bool no_host;		/* do not fall back to getenv() */
};

/* The value of `name`, or NULL when unset or empty. */
const char *aws_getenv(const struct aws_env *env, const char *name);

/* Where the default region comes from when nothing else says. */
#define AWS_DEFAULT_REGION "us-east-1"

/*
 * The region: `option`, else AWS_REGION, else AWS_DEFAULT_REGION, else
 * `profile_region` (from the config file), else us-east-1.  Borrowed.
 */
const char *aws_config_region(const struct aws_env *env, const char *option,
			      const char *profile_region);
/*
 * A custom endpoint: `option`, else AWS_ENDPOINT_URL_<ID> (the service
 * id upper-cased, '-' and ' ' as '_'), else AWS_ENDPOINT_URL, unless
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true; NULL for the default.
 */
const char *aws_config_endpoint(const struct aws_env *env,
				const struct aws_service *svc,
				const char *option);

enum aws_protocol {
	AWS_REST_XML, /* S3 */
	AWS_JSON,     /* JSON 1.1: CodeDeploy, ECR */
	AWS_QUERY,    /* form POST, XML answers: STS, IAM */
};

struct aws_service {
	const char *id;		     /* "s3"; env AWS_ENDPOINT_URL_S3 */
	const char *endpoint_prefix; /* host label: "s3", "api.ecr" */
	const char *signing_name;    /* "s3", "ecr" */
	const char *iam_prefix;	     /* IAM action prefix: "s3", "ecr" */
	enum aws_protocol protocol;
	const char *target_prefix; /* JSON: "CodeDeploy_20141006" */
	const char *api_version;   /* query: "2011-06-15" */
	bool global;		   /* one endpoint per partition (IAM) */
};

extern const struct aws_service aws_s3, aws_codedeploy, aws_sts, aws_ecr,
	aws_iam;

/*
 * Credentials, as awscreds.h finds them.  The strings belong to the
 * struct; aws_creds_release() wipes and frees them.
 */
struct aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL for long-term keys */
	time_t expiration;   /* 0: none */
	char *source;	     /* where they came from, for messages */
};
/* clang-format off */
#define AWS_CREDS_INIT { NULL, NULL, NULL, 0, NULL }
/* clang-format on */
void aws_creds_release(struct aws_creds *c);

/*
 * dpl's obfuscation: the first k characters of `secret`, k =
 * len / round(4 + len / 5) (integer divisions, at least 1), then '*' up
 * to 20 characters in all: "access_key_id" -> "ac******************".
 */
void aws_obfuscate(struct buf *out, const char *secret);

/* The retry quota (see the overview). */
#define AWS_RETRY_QUOTA	 500
#define AWS_RETRY_COST	 5
#define AWS_TIMEOUT_COST 10

/* Output of a client: dry-run requests and retry notices, one line. */
typedef void (*aws_log_fn)(void *payload, const char *line);

/*
 * A credentials cache, shared by the clients of a deploy and their
 * threads.  aws_credcache_get() hands out a copy of the current
 * credentials; when they have an expiration it first fetches them again
 * through src->refresh, as the AWS SDKs do (they refresh 5 to 15 minutes
 * ahead; botocore: 15 minutes "advisory", 10 "mandatory"):
 *  - with less than AWS_CREDS_REFRESH_MARGIN seconds (5 minutes) left,
 *    one caller refreshes while the others go on with the current
 *    credentials, which are still good;
 *  - with less than AWS_CREDS_REFRESH_MANDATORY (1 minute) left, every
 *    caller waits for that refresh.
 * Five minutes is enough for a request started just before the margin
 * to finish, and matches EC2, which offers new instance credentials at
 * least five minutes before the old ones expire.  A source that always
 * answers credentials inside the margin is asked again at each request.
 * A refresh that fails leaves the current credentials in use while they
 * have not expired (with a note to src->log); after that the error is
 * returned.  Credentials without an expiration are never refreshed.
 */
#define AWS_CREDS_REFRESH_MARGIN    300
#define AWS_CREDS_REFRESH_MANDATORY 60

struct aws_credcache_src {
	/* Fetch the credentials again into *out (AWS_CREDS_INIT). */
	int (*refresh)(void *payload, struct aws_creds *out);
	void (*free)(void *payload); /* with the cache; may be NULL */
	void *payload;
	aws_log_fn log; /* refreshes and failed refreshes; may be NULL */
	void *log_payload;
};

struct aws_credcache;

/* A cache holding `creds` (taken, left empty); `src` NULL: fixed. */
void aws_credcache_new(struct aws_credcache **out, struct aws_creds *creds,
		       const struct aws_credcache_src *src);
void aws_credcache_free(struct aws_credcache *cc);
/* A copy of the credentials, refreshed first if due; release it. */
int aws_credcache_get(struct aws_credcache *cc, struct aws_creds *out);
/* A copy of the credentials as they are, never refreshed. */
void aws_credcache_peek(struct aws_credcache *cc, struct aws_creds *out);

struct aws_client_opts {
	const struct aws_service *service;
	const char *region;   /* required */
	const char *endpoint; /* custom endpoint, or NULL */
	bool force_path_style;
	bool use_global;
	const struct aws_creds *creds;	 /* borrowed; or: */
	struct aws_credcache *credcache; /* borrowed, asked per request */
	bool anonymous;			 /* unsigned requests, no creds */
	int max_attempts;		 /* 0: AWS_MAX_ATTEMPTS, else 3 */
	unsigned backoff_base_ms;	 /* 0: 1000 */
	bool dry_run;
	aws_log_fn log; /* NULL: quiet */
	void *log_payload;
	const struct aws_env *env; /* for AWS_MAX_ATTEMPTS; may be NULL */
};

struct aws_client;

int aws_client_new(struct aws_client **out, const struct aws_client_opts *o);
void aws_client_free(struct aws_client *c);
bool aws_client_dry_run(const struct aws_client *c);
const char *aws_client_region(const struct aws_client *c);
/* Requests that needed a retry, and retries made, since the start. */
void aws_client_stats(const struct aws_client *c, unsigned *retried,
		      unsigned *retries);

struct aws_param {
	char *name;
	char *value; /* NULL: "?name" alone */
};

struct aws_request {
	const char *op;		  /* operation, for messages: "PutObject" */
	const char *method;	  /* NULL: POST */
	const char *bucket;	  /* S3: the bucket (addressing is resolved) */
	const char *key;	  /* S3: the object key, unencoded, or NULL */
	const char *path;	  /* other REST: the wire path; NULL: "/" */
	struct aws_param *params; /* query, unencoded, in sending order */
	size_t nr_params, alloc_params;
	struct svec headers; /* "Name: value", signed and sent */

	/* The body: memory, or a range of a file, or none. */
	const void *body;
	size_t body_len;
	int body_fd; /* -1: none */
	uint64_t body_off, body_size;
	const char *payload_hash; /* hex SHA-256 or a SIGV4_* literal;
				     NULL: hash the memory body */

	const char *iam_action;	  /* "s3:PutObject" (or a comma-separated
				     list), for AccessDenied */
	const char *iam_resource; /* the ARN the action was refused on */
	const char *iam_grant;	  /* the resource to allow; NULL: same */
	bool s3_200_error;	  /* S3: a 200 may carry <Error> */
	size_t body_limit;	  /* cap of the answer; 0: http.h's */

	http_progress_fn progress;
	void *progress_payload;
};
/* clang-format off */
#define AWS_REQUEST_INIT { .headers = SVEC_INIT, .body_fd = -1 }
/* clang-format on */

void aws_request_release(struct aws_request *r);
void aws_request_param(struct aws_request *r, const char *name,
		       const char *value);
void aws_request_header(struct aws_request *r, const char *name,
			const char *value);

struct aws_response {
	long status;		   /* 0 in a dry run */
	struct http_response http; /* headers and body */
	struct awserror error;	   /* when the answer was an error */
};
/* clang-format off */
#define AWS_RESPONSE_INIT { 0, HTTP_RESPONSE_INIT, AWSERROR_INIT }
/* clang-format on */
void aws_response_release(struct aws_response *r);
/* A header of the answer, or NULL. */
const char *aws_response_header(const struct aws_response *r, const char *name);

/* Send `r`, with retries; see the overview for the return contract. */
int aws_send(struct aws_client *c, const struct aws_request *r,
	     struct aws_response *resp);

/*
 * JSON 1.1: POST `in` (NULL: {}) to operation `op` and parse the answer
 * into *out (an empty map in a dry run).  `iam_resource` as above.
 */
int aws_json_call(struct aws_client *c, const char *op, const struct val *in,
		  struct val **out, const char *iam_resource);

/*
 * Query protocol: POST Action=`action`&Version=<api>&`form` (already
 * encoded with aws_form_add) and parse the XML answer into *out (NULL in
 * a dry run).
 */
int aws_query_call(struct aws_client *c, const char *action, const char *form,
		   struct xml_node **out, const char *iam_resource);
/* Append "&name=value", both form-encoded. */
void aws_form_add(struct buf *form, const char *name, const char *value);

/*
 * Parse an ISO 8601 time ("2011-07-15T23:28:33.359Z", or with an offset
 * "+02:00", "-0500"); 0 if bad.
 */
time_t aws_parse_time(const char *s);

#endif
