#ifndef FY_SIGV4_H
#define FY_SIGV4_H

#include "compat.h"

#include <time.h>

#include "buf.h"

/*
 * sigv4: AWS Signature Version 4 request signing without an SDK (spec
 * aws.md section 1), for S3, CodeDeploy, ECR, STS and any other service.
 *
 * Use:
 *  1. struct sigv4_request r = SIGV4_REQUEST_INIT;
 *  2. Set the inputs: method, path, region, service, creds, time, flags,
 *     and payload (or payload_hash).  Add the headers to sign, Host
 *     included, with sigv4_add_header(), and the query parameters,
 *     unencoded, with sigv4_add_param().
 *  3. sigv4_sign(&r) fills the outputs, and:
 *     - header signing appends X-Amz-Date (unless given),
 *       X-Amz-Security-Token (temporary credentials), x-amz-content-sha256
 *       (S3, or SIGV4_CONTENT_SHA256) and Authorization to r.headers;
 *     - presigning (SIGV4_PRESIGN) appends X-Amz-Algorithm,
 *       X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
 *       X-Amz-Security-Token and X-Amz-Signature to r.params.
 *     Then send r.method to r.wire_path, followed by '?' and r.wire_query
 *     when that is not empty, with every header in r.headers.
 *  4. For an S3 streaming upload (payload_hash SIGV4_STREAMING_PAYLOAD),
 *     sign each chunk in order with sigv4_sign_chunk(), or frame it with
 *     sigv4_chunk_frame(), ending with a chunk of length 0.
 *  5. sigv4_release(&r), which wipes the derived signing key.
 * A request is signed once; to sign again, release it and start over.
 *
 * Rules applied (the test vectors of /work/shared/aws-vectors pin them):
 *  - Canonical URI: for S3 the wire path itself (encoded once, never
 *    normalized); for other services the wire path with "." and ".."
 *    segments and empty segments removed (unless SIGV4_NO_NORMALIZE),
 *    then URI-encoded again.  An empty path is "/".
 *  - Query: every name and value URI-encoded (RFC 3986 unreserved bytes
 *    kept, upper-case %XX), sorted by name then value; a parameter
 *    without a value is "name=".
 *  - Headers: names lower-cased; values trimmed, each run of whitespace
 *    (folded lines too) made one space; repeated names joined with ','
 *    in the order given; sorted.  Every header given is signed except
 *    User-Agent, Expect and X-Amzn-Trace-Id, which proxies may change.
 *  - Payload line: payload_hash if set; else "UNSIGNED-PAYLOAD" for an
 *    S3 presigned URL; else the SHA-256 of the payload (empty: e3b0...).
 *  - A header the signer would add that the caller already gave
 *    (X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256) is kept
 *    where it is, and must hold the value the signer would have used.
 *
 * Ownership: the strings of the inputs (method, path, region, service,
 * creds, payload, payload_hash) are borrowed and must outlive
 * sigv4_sign(); headers and params are copied.  Every output belongs to
 * the request.  Functions that can fail return 0 or FY_EINVALID with a
 * message naming the bad input.
 */

/*
 * Flags.  SIGV4_S3: S3 rules (path as is, x-amz-content-sha256 header,
 * UNSIGNED-PAYLOAD when presigning).  SIGV4_PRESIGN: query signing, a
 * presigned URL valid for `expires` seconds.  SIGV4_RAW_PATH: `path` is
 * not percent-encoded yet; encode it once for the wire.
 * SIGV4_NO_NORMALIZE: non-S3, keep "." ".." and "//" segments.
 * SIGV4_CONTENT_SHA256: add x-amz-content-sha256 for a non-S3 service.
 * SIGV4_TOKEN_UNSIGNED: add the session token after signing, unsigned
 * (the legacy variant some old services wanted; AWS SDKs sign it).
 */
#define SIGV4_S3	     (1u << 0)
#define SIGV4_PRESIGN	     (1u << 1)
#define SIGV4_RAW_PATH	     (1u << 2)
#define SIGV4_NO_NORMALIZE   (1u << 3)
#define SIGV4_CONTENT_SHA256 (1u << 4)
#define SIGV4_TOKEN_UNSIGNED (1u << 5)

/* Payload lines and limits. */
#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_UNSIGNED_PAYLOAD	"UNSIGNED-PAYLOAD"
#define SIGV4_STREAMING_PAYLOAD "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
#define SIGV4_MAX_EXPIRES	604800 /* 7 days: AWS's presign limit */

struct sigv4_credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL for long-term credentials */
};

struct sigv4_header {
	char *name; /* as given: sent with this spelling */
	char *value;
};

struct sigv4_param {
	char *name;  /* unencoded */
	char *value; /* unencoded; NULL for a bare "?name" */
};

struct sigv4_request {
	/* Inputs. */
	const char *method;  /* "GET", "PUT"... */
	const char *path;    /* wire path, see SIGV4_RAW_PATH */
	const char *region;  /* "us-east-1" */
	const char *service; /* signing name: "s3", "codedeploy" */
	struct sigv4_credentials creds;
	time_t time;	     /* signing time, UTC */
	unsigned expires;    /* presign: seconds, 1..604800 */
	unsigned flags;	     /* SIGV4_* */
	const void *payload; /* body, hashed if no payload_hash */
	size_t payload_len;
	const char *payload_hash;     /* hex SHA-256 or a literal above */
	struct sigv4_header *headers; /* in sending order */
	size_t nr_headers, alloc_headers;
	struct sigv4_param *params; /* in sending order */
	size_t nr_params, alloc_params;

	/* Outputs of sigv4_sign(). */
	char amz_date[17];     /* "20150830T123600Z" */
	char signature[65];    /* lowercase hex */
	struct buf scope;      /* "20150830/us-east-1/s3/aws4_request" */
	struct buf wire_path;  /* path as sent (encoded) */
	struct buf wire_query; /* query as sent, without '?' */
	struct buf canonical_request;
	struct buf string_to_sign;
	struct buf signed_headers; /* "host;x-amz-date" */
	struct buf authorization;  /* header signing: its value */

	/* Streaming state (sigv4_sign_chunk). */
	unsigned char key[32]; /* kSigning, wiped on release */
	char prev_signature[65];
	struct buf chunk_string_to_sign; /* of the last chunk signed */
	bool is_signed;
};

/* clang-format off */
#define SIGV4_REQUEST_INIT { .scope = BUF_INIT, .wire_path = BUF_INIT, .wire_query = BUF_INIT, .canonical_request = BUF_INIT, .string_to_sign = BUF_INIT, .signed_headers = BUF_INIT, .authorization = BUF_INIT, .chunk_string_to_sign = BUF_INIT }
/* clang-format on */

void sigv4_init(struct sigv4_request *r);
/* Free headers, params and outputs, wipe the key; back to INIT. */
void sigv4_release(struct sigv4_request *r);

/* Append a header or a query parameter (value NULL: no '='). */
void sigv4_add_header(struct sigv4_request *r, const char *name,
		      const char *value);
void sigv4_add_param(struct sigv4_request *r, const char *name,
		     const char *value);
/* The value of the first header called `name` (any case), or NULL. */
const char *sigv4_header(const struct sigv4_request *r, const char *name);

/* Sign the request: see the overview. */
int sigv4_sign(struct sigv4_request *r);

/*
 * After sigv4_sign() of a streaming upload: sign the next chunk of `len`
 * bytes (0 for the final, empty chunk), chaining from the previous
 * signature (the seed signature for the first chunk), and write the
 * signature into `sig`.  r->chunk_string_to_sign shows what was signed.
 */
void sigv4_sign_chunk(struct sigv4_request *r, const void *data, size_t len,
		      char sig[65]);
/*
 * Sign a chunk and append it to `out` as S3 wants it on the wire:
 * hex(len) ";chunk-signature=" sig CRLF data CRLF.  FY_ETOOBIG if out's
 * cap is reached.
 */
int sigv4_chunk_frame(struct sigv4_request *r, struct buf *out,
		      const void *data, size_t len);
/*
 * Content-Length of `decoded_len` bytes sent in chunks of `chunk_size`
 * (the last one shorter) plus the final empty chunk.
 */
uint64_t sigv4_chunked_length(uint64_t decoded_len, size_t chunk_size);

/*
 * The signing key chain for `date` (YYYYMMDD): keys[0] kDate, keys[1]
 * kRegion, keys[2] kService, keys[3] kSigning.  The caller wipes it.
 */
void sigv4_derive_keys(unsigned char keys[4][32], const char *secret,
		       const char *date, const char *region,
		       const char *service);

/*
 * Append `s` URI-encoded the SigV4 way: bytes other than A-Z a-z 0-9
 * "-._~" become upper-case %XX; '/' is kept if `keep_slash`.  For S3
 * object keys in paths (keep_slash) and query names and values.
 */
void sigv4_uri_encode(struct buf *out, const char *s, size_t len,
		      bool keep_slash);

/* "YYYYMMDDTHHMMSSZ" for `t`, in UTC; FY_EINVALID if out of range. */
int sigv4_format_time(char out[17], time_t t);

#endif
