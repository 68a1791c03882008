#ifndef FY_AWSS3_H
#define FY_AWSS3_H

#include "compat.h"

#include <time.h>

#include "aws.h"

struct svec;

/*
 * awss3: the S3 operations deploys need, on the AWS client (aws.h):
 * uploads (PutObject, or a parallel multipart upload that is aborted on
 * failure), HeadObject, ListObjectsV2 and PutBucketWebsite; plus the
 * pieces of dpl's s3 options that are pure functions (cache_control and
 * expires mappings, the Expires date) and the ETag arithmetic used to
 * skip unchanged objects.
 *
 * Uploads send Content-MD5, so S3 checks every byte it stores; over
 * https the payload is UNSIGNED-PAYLOAD (as botocore does), over http
 * its SHA-256 is signed.  Parts are the unit of retry.
 *
 * Errors are aws.h's; an AccessDenied names the IAM action (s3:PutObject
 * for every upload call, with s3:PutObjectAcl when an ACL is set,
 * s3:GetObject for HeadObject, s3:ListBucket,
 * s3:PutBucketWebsite) and the resource to allow, `grant` when given
 * (for example every key under a prefix: "arn:aws:s3:::bucket/prefix/"
 * followed by a '*').
 */

/* aws-sdk-ruby's upload_file: multipart at 100 MiB, 10 parts at once. */
#define AWSS3_MULTIPART_THRESHOLD (100ull << 20)
#define AWSS3_MIN_PART		  (5ull << 20)
#define AWSS3_MAX_PARTS		  10000u
#define AWSS3_PART_THREADS	  10u

/* Headers stored with an object; NULL fields are not sent. */
struct awss3_object {
	const char *content_type;
	const char *content_encoding;
	const char *cache_control;
	const char *expires; /* an HTTP date */
	const char *acl;     /* x-amz-acl */
	const char *storage_class;
	const char *sse; /* x-amz-server-side-encryption */
	const char *sse_kms_key_id;
};

/* Progress of one upload: bytes acknowledged so far, of `total`. */
typedef void (*awss3_progress_fn)(void *payload, uint64_t done, uint64_t total);

struct awss3_upload {
	struct aws_client *client; /* the caller's; used for every call
				      of a single PUT and for starting,
				      completing and aborting multipart */
	const struct aws_client_opts *client_opts; /* to make one client
						      per part thread */
	const char *bucket, *key;
	const char *path; /* the file to send */
	const struct awss3_object *object;
	const char *grant;     /* IAM resource to suggest; NULL: the object */
	uint64_t threshold;    /* 0: AWSS3_MULTIPART_THRESHOLD */
	unsigned part_threads; /* 0: AWSS3_PART_THREADS */
	awss3_progress_fn progress;
	void *progress_payload;

	/* Results. */
	char etag[80];	      /* as S3 returned it, quotes removed */
	char version_id[128]; /* "" unless the bucket is versioned */
	unsigned parts;	      /* 0 for a single PUT */
	uint64_t size;
};

/* Upload a file: PutObject below the threshold, else multipart. */
int awss3_upload_file(struct awss3_upload *u);

/* Upload `len` bytes from memory with PutObject. */
int awss3_put_data(struct aws_client *c, const char *bucket, const char *key,
		   const void *data, size_t len,
		   const struct awss3_object *object, const char *grant,
		   char etag[80], char version_id[128]);

struct awss3_head {
	bool exists;
	uint64_t size;
	char etag[80]; /* quotes removed */
	char version_id[128];
	char *content_type; /* owned: free() */
};

/*
 * HeadObject.  A missing key is not an error: 0 with exists false
 * (S3 answers 404; or 403 when the caller may not list the bucket,
 * which stays an error).
 */
int awss3_head_object(struct aws_client *c, const char *bucket, const char *key,
		      struct awss3_head *out);

/* One object of a listing. */
struct awss3_entry {
	const char *key;
	uint64_t size;
	const char *etag; /* quotes removed */
	time_t mtime;	  /* LastModified; 0 when absent */
};
typedef int (*awss3_list_fn)(void *payload, const struct awss3_entry *e);

/* ListObjectsV2 under `prefix`, every page; `fn` sees each object. */
int awss3_list(struct aws_client *c, const char *bucket, const char *prefix,
	       awss3_list_fn fn, void *payload);

/* PutBucketWebsite with only IndexDocument.Suffix (dpl's call). */
int awss3_put_website(struct aws_client *c, const char *bucket,
		      const char *suffix);

/* max(5 MiB, ceil(size / 10000)): the part size of a multipart upload. */
uint64_t awss3_part_size(uint64_t size);

/*
 * The ETag S3 gives a file uploaded the way awss3_upload_file() does:
 * the hex MD5 below the threshold, else md5(part md5s) "-" count.
 */
int awss3_file_etag(const char *path, uint64_t threshold, char out[80]);

/*
 * dpl's mapping values (`cache_control:`, `expires:`): each entry is
 * "VALUE" or "VALUE: glob1,glob2" (the last ": " splits; quotes around
 * the value go), and the value of the first entry whose globs match
 * `path` (File.fnmatch with FNM_DOTMATCH | FNM_EXTGLOB, the globs
 * joined as "{a,b}") is returned, or NULL.  The result is a new string.
 */
char *awss3_mapping_match(const struct svec *entries, const char *path);

/*
 * dpl's `expires` value ("2020-01-01 00:00:00 UTC", or with a numeric
 * offset "+0100" / "-05:00") as an HTTP date ("Wed, 01 Jan 2020 00:00:00
 * GMT").  FY_EINVALID for anything else.
 */
int awss3_http_date(const char *value, char out[32]);

#endif
