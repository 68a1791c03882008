/* awsendpoint.c: regions, partitions and endpoint rules (awsendpoint.h). */
#include "compat.h"

#include <strings.h>

#include "aws.h"
#include "awsendpoint.h"
#include "buf.h"
#include "error.h"
#include "sigv4.h"
#include "xalloc.h"

static const struct {
	const char *prefix;
	struct awsendpoint_partition p;
} partitions[] = {
	{ "cn-", { "aws-cn", "amazonaws.com.cn", "cn-north-1" } },
	{ "us-gov-", { "aws-us-gov", "amazonaws.com", "us-gov-west-1" } },
	{ "us-isob-", { "aws-iso-b", "sc2s.sgov.gov", "us-isob-east-1" } },
	{ "us-isof-", { "aws-iso-f", "csp.hci.ic.gov", "us-isof-south-1" } },
	{ "us-iso-", { "aws-iso", "c2s.ic.gov", "us-iso-east-1" } },
	{ "eu-isoe-", { "aws-iso-e", "cloud.adc-e.uk", "eu-isoe-west-1" } },
	{ "eusc-", { "aws-eusc", "amazonaws.eu", "eusc-de-east-1" } },
};
static const struct awsendpoint_partition partition_aws = { "aws",
							    "amazonaws.com",
							    "us-east-1" };

const struct awsendpoint_partition *awsendpoint_partition(const char *region)
{
	for (size_t i = 0; region && i < ARRAY_SIZE(partitions); i++)
		if (!strncmp(region, partitions[i].prefix,
			     strlen(partitions[i].prefix)))
			return &partitions[i].p;
	return &partition_aws;
}

/* Regions STS's legacy global endpoint serves (the endpoint rules). */
static bool sts_legacy_global(const char *region)
{
	static const char *const regions[] = {
		"ap-northeast-1", "ap-south-1", "ap-southeast-1",
		"ap-southeast-2", "aws-global", "ca-central-1",
		"eu-central-1",	  "eu-north-1", "eu-west-1",
		"eu-west-2",	  "eu-west-3",	"sa-east-1",
		"us-east-1",	  "us-east-2",	"us-west-1",
		"us-west-2",
	};

	for (size_t i = 0; i < ARRAY_SIZE(regions); i++)
		if (!strcmp(region, regions[i]))
			return true;
	return false;
}

static bool is_label_char(char c, bool upper)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       (upper && c >= 'A' && c <= 'Z');
}

static bool valid_region(const char *r)
{
	size_t n = strlen(r);

	if (!n || n > 63 || r[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_label_char(r[i], true))
			return false;
	return true;
}

static bool is_ipv4(const char *host, size_t len)
{
	int dots = 0, digits = 0;

	for (size_t i = 0; i < len; i++) {
		if (host[i] == '.') {
			if (!digits)
				return false;
			dots++;
			digits = 0;
		} else if (host[i] >= '0' && host[i] <= '9' && digits < 3) {
			digits++;
		} else {
			return false;
		}
	}
	return dots == 3 && digits;
}

bool awsendpoint_s3_virtual_hostable(const char *b, bool dots)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63 || is_ipv4(b, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		bool edge =
			!i || i + 1 == n || b[i - 1] == '.' || b[i + 1] == '.';

		if (b[i] == '.') {
			if (!dots || edge)
				return false;
			continue;
		}
		if (!is_label_char(b[i], false) || (edge && b[i] == '-'))
			return false;
	}
	return true;
}

/* A custom endpoint split into scheme, authority and path. */
struct url_parts {
	char *scheme, *authority, *path;
};

static void url_parts_release(struct url_parts *u)
{
	free(u->scheme);
	free(u->authority);
	free(u->path);
	u->scheme = u->authority = u->path = NULL;
}

static int parse_endpoint(struct url_parts *u, const char *url)
{
	const char *sep = strstr(url, "://");
	const char *auth, *path;
	size_t plen;

	if (!sep) {
		u->scheme = xstrdup("https");
		auth = url;
	} else {
		u->scheme = xmemdupz(url, (size_t)(sep - url));
		auth = sep + 3;
	}
	if ((strcmp(u->scheme, "http") && strcmp(u->scheme, "https")) ||
	    strpbrk(url, "#? \t\r\n@") || !*auth || *auth == '/') {
		url_parts_release(u);
		err_set(FY_EINVALID, "custom endpoint '%s' is not a valid URI",
			url);
		return FY_EINVALID;
	}
	path = auth + strcspn(auth, "/");
	u->authority = xmemdupz(auth, (size_t)(path - auth));
	plen = strlen(path);
	while (plen && path[plen - 1] == '/')
		plen--;
	u->path = xmemdupz(path, plen);
	return 0;
}

/* The host part of an authority, without port or IPv6 brackets. */
static bool authority_is_ip(const char *auth)
{
	size_t n = strcspn(auth, ":");

	return auth[0] == '[' || is_ipv4(auth, n);
}

static int resolve_s3(struct awsendpoint *out,
		      const struct awsendpoint_params *p)
{
	struct buf url = BUF_INIT;
	bool global = !strcmp(p->region, "aws-global") ||
		      (p->use_global && !strcmp(p->region, "us-east-1"));
	const struct awsendpoint_partition *part =
		awsendpoint_partition(p->region);
	const char *bucket = p->bucket;

	out->signing_region = xstrdup(
		!strcmp(p->region, "aws-global") ? "us-east-1" : p->region);
	if (p->endpoint) {
		struct url_parts u = { NULL, NULL, NULL };
		bool dots;
		int err = parse_endpoint(&u, p->endpoint);

		if (err < 0)
			return err;
		dots = !strcmp(u.scheme, "http");
		out->path_style =
			bucket &&
			(p->force_path_style || authority_is_ip(u.authority) ||
			 !awsendpoint_s3_virtual_hostable(bucket, dots));
		buf_addf(&url, "%s://", u.scheme);
		if (bucket && !out->path_style)
			buf_addf(&url, "%s.", bucket);
		buf_addf(&url, "%s%s", u.authority, u.path);
		url_parts_release(&u);
	} else {
		out->path_style =
			bucket &&
			(p->force_path_style ||
			 !awsendpoint_s3_virtual_hostable(bucket, false));
		buf_addstr(&url, "https://");
		if (bucket && !out->path_style)
			buf_addf(&url, "%s.", bucket);
		if (global && !strcmp(part->name, "aws"))
			buf_addf(&url, "s3.%s", part->dns_suffix);
		else
			buf_addf(&url, "s3.%s.%s", p->region, part->dns_suffix);
	}
	if (out->path_style) {
		buf_addch(&url, '/');
		sigv4_uri_encode(&url, bucket, strlen(bucket), false);
	}
	out->url = buf_detach(&url, NULL);
	return 0;
}

static int resolve_other(struct awsendpoint *out, const struct aws_service *svc,
			 const struct awsendpoint_params *p)
{
	const char *region = p->region;
	const struct awsendpoint_partition *part =
		awsendpoint_partition(region);

	if (p->endpoint) {
		struct url_parts u = { NULL, NULL, NULL };
		int err = parse_endpoint(&u, p->endpoint);

		if (err < 0)
			return err;
		out->url =
			xasprintf("%s://%s%s", u.scheme, u.authority, u.path);
		url_parts_release(&u);
		out->signing_region =
			xstrdup(!region || !strcmp(region, "aws-global")
					? part->global_region
					: region);
		return 0;
	}
	if (!region) {
		err_set(FY_EINVALID, "invalid configuration: missing region");
		return FY_EINVALID;
	}
	if (svc->global || !strcmp(region, "aws-global") ||
	    (svc == &aws_sts && p->use_global && sts_legacy_global(region))) {
		if (svc->global && strcmp(part->name, "aws"))
			out->url = xasprintf(
				"https://%s.%s.%s", svc->endpoint_prefix,
				part->global_region, part->dns_suffix);
		else
			out->url =
				xasprintf("https://%s.%s", svc->endpoint_prefix,
					  part->dns_suffix);
		out->signing_region = xstrdup(part->global_region);
		return 0;
	}
	out->url = xasprintf("https://%s.%s.%s", svc->endpoint_prefix, region,
			     part->dns_suffix);
	out->signing_region = xstrdup(region);
	return 0;
}

int awsendpoint_resolve(struct awsendpoint *out, const struct aws_service *svc,
			const struct awsendpoint_params *p)
{
	struct awsendpoint e = AWSENDPOINT_INIT;
	int err;

	if (p->region && !valid_region(p->region)) {
		err_set(FY_EINVALID, "invalid region '%s'", p->region);
		return FY_EINVALID;
	}
	if (svc == &aws_s3) {
		if (!p->region) {
			err_set(FY_EINVALID, "a region must be set for S3");
			return FY_EINVALID;
		}
		err = resolve_s3(&e, p);
	} else {
		err = resolve_other(&e, svc, p);
	}
	if (err < 0) {
		awsendpoint_release(&e);
		return err;
	}
	*out = e;
	return 0;
}

void awsendpoint_release(struct awsendpoint *e)
{
	free(e->url);
	free(e->signing_region);
	e->url = e->signing_region = NULL;
	e->path_style = false;
}
