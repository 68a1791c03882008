#ifndef FY_AWSENDPOINT_H
#define FY_AWSENDPOINT_H

#include "compat.h"

#include "aws.h"

/*
 * awsendpoint: where an AWS request goes.  The partition of a region
 * (ARN prefix, DNS suffix) and the endpoint URL and signing region of a
 * service, S3's virtual-host or path-style addressing included, after
 * the AWS endpoint rules.  Pure functions: no I/O.  (The region and the
 * custom endpoint to use come from aws_config_region() and
 * aws_config_endpoint() in aws.h.)
 *
 * Ownership: strings passed in are borrowed; a resolved endpoint owns
 * its strings (awsendpoint_release()).
 */

struct awsendpoint_partition {
	const char *name;	   /* ARN partition: "aws", "aws-cn" */
	const char *dns_suffix;	   /* "amazonaws.com" */
	const char *global_region; /* where global endpoints sign */
};

/* The partition of `region` ("aws" for any region it does not know). */
const struct awsendpoint_partition *awsendpoint_partition(const char *region);

/*
 * Endpoint resolution, after the AWS endpoint rules (the official test
 * cases in aws-vectors/endpoint-rules-botocore pin it).  For S3 with a
 * bucket, the URL already holds the bucket: in the host (virtual
 * hosting) or as the first path segment (path style: forced, or when the
 * bucket is not a DNS label, has dots over https, or the endpoint is an
 * IP address).  A custom endpoint must be http or https; a value without
 * a scheme gets https:// (dpl's rule).
 */
struct awsendpoint_params {
	const char *region;
	const char *endpoint; /* custom endpoint URL, or NULL */
	const char *bucket;   /* S3 */
	bool force_path_style;
	bool use_global; /* S3 us-east-1 and STS legacy global endpoint */
};

struct awsendpoint {
	char *url;	      /* scheme://host[:port][/path], no final '/' */
	char *signing_region; /* region in the credential scope */
	bool path_style;      /* S3: the bucket is in the path */
};
/* clang-format off */
#define AWSENDPOINT_INIT { NULL, NULL, false }
/* clang-format on */

int awsendpoint_resolve(struct awsendpoint *out, const struct aws_service *svc,
			const struct awsendpoint_params *p);
void awsendpoint_release(struct awsendpoint *e);
/* An S3 bucket name usable as a host label (`dots`: allow "a.b"). */
bool awsendpoint_s3_virtual_hostable(const char *bucket, bool dots);

#endif
