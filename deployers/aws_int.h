#ifndef FY_AWS_INT_H
#define FY_AWS_INT_H

/*
 * aws_int.h: private to deployers/aws*.c.  aws.c has the services, the
 * environment and configuration, credentials and the client object;
 * aws_credcache.c the credentials cache; aws_sign.c the request's target,
 * its SigV4 signature and the dry run's print; aws_send.c the attempts,
 * retries and error answers, and the JSON and query calls.
 */

#include "compat.h"

#include "aws.h"
#include "awsendpoint.h"
#include "buf.h"
#include "sigv4.h"

struct aws_client {
	const struct aws_service *svc;
	char *region;
	char *endpoint;
	bool force_path_style, use_global, dry_run, anonymous;
	const struct aws_creds *creds;
	struct aws_credcache *credcache;
	int max_attempts;
	unsigned base_ms;
	aws_log_fn log;
	void *log_payload;
	struct http_client *http;
	int quota;
	uint64_t rng;
	unsigned retried, retries;
};

/* The parts of a request's URL that do not change between attempts. */
struct target {
	struct awsendpoint ep;
	char *origin;	 /* scheme://authority */
	char *authority; /* Host header */
	struct buf path; /* wire path */
};

void aws_target_release(struct target *t);

int aws_target_init(struct aws_client *c, const struct aws_request *r,
		    struct target *t);

int aws_sign(struct aws_client *c, const struct aws_request *r,
	     const struct target *t, const struct aws_creds *creds,
	     struct sigv4_request *s, const char *payload_hash);

void aws_dry_print(struct aws_client *c, const struct aws_request *r,
		   const struct sigv4_request *s, const char *url);

#endif
