/*
 * aws_sign.c: what a request goes to (its URL and host) and its SigV4
 * signature, hashing a file's range for a body read from disk; the
 * dry run's print of the request, with secrets masked.
 */
#include "compat.h"

#include <inttypes.h>
#include <strings.h>
#include <time.h>

#include "aws.h"
#include "aws_int.h"
#include "awsendpoint.h"
#include "awserror.h"
#include "buf.h"
#include "error.h"
#include "sigv4.h"
#include "xalloc.h"

#define AWS_DRY_BODY_MAX 4096

void aws_target_release(struct target *t)
{
	awsendpoint_release(&t->ep);
	free(t->origin);
	free(t->authority);
	buf_release(&t->path);
}

int aws_target_init(struct aws_client *c, const struct aws_request *r,
		    struct target *t)
{
	struct awsendpoint_params p = { c->region, c->endpoint, r->bucket,
					c->force_path_style, c->use_global };
	const char *auth, *path;
	int err = awsendpoint_resolve(&t->ep, c->svc, &p);

	if (err < 0)
		return err;
	auth = strstr(t->ep.url, "://") + 3;
	path = auth + strcspn(auth, "/");
	t->origin = xmemdupz(t->ep.url, (size_t)(path - t->ep.url));
	t->authority = xmemdupz(auth, (size_t)(path - auth));
	buf_addstr(&t->path, path);
	if (r->key) {
		buf_addch(&t->path, '/');
		sigv4_uri_encode(&t->path, r->key, strlen(r->key), true);
	} else if (r->path && strcmp(r->path, "/")) {
		buf_addstr(&t->path, r->path);
	}
	if (!t->path.len)
		buf_addch(&t->path, '/');
	return 0;
}

/* A header line split into a signer header. */
static void add_line(struct sigv4_request *s, const char *line)
{
	const char *colon = strchr(line, ':');
	char *name;

	if (!colon)
		BUG("header line without ':': %s", line);
	name = xmemdupz(line, (size_t)(colon - line));
	colon++;
	sigv4_add_header(s, name, colon + strspn(colon, " "));
	free(name);
}

/* An anonymous request: the wire path and query, the headers as given. */
static int unsigned_request(const struct aws_request *r, const struct target *t,
			    struct sigv4_request *s)
{
	s->method = r->method ? r->method : "POST";
	sigv4_add_header(s, "Host", t->authority);
	for (size_t i = 0; i < r->headers.n; i++)
		add_line(s, r->headers.v[i]);
	buf_addstr(&s->wire_path, t->path.ptr);
	for (size_t i = 0; i < r->nr_params; i++) {
		const struct aws_param *p = &r->params[i];

		if (i)
			buf_addch(&s->wire_query, '&');
		sigv4_uri_encode(&s->wire_query, p->name, strlen(p->name),
				 false);
		if (p->value) {
			buf_addch(&s->wire_query, '=');
			sigv4_uri_encode(&s->wire_query, p->value,
					 strlen(p->value), false);
		}
	}
	return 0;
}

int aws_sign(struct aws_client *c, const struct aws_request *r,
	     const struct target *t, const struct aws_creds *creds,
	     struct sigv4_request *s, const char *payload_hash)
{
	if (!creds)
		return unsigned_request(r, t, s);
	s->method = r->method ? r->method : "POST";
	s->path = t->path.ptr;
	s->region = t->ep.signing_region;
	s->service = c->svc->signing_name;
	s->creds.access_key_id = creds->access_key_id;
	s->creds.secret_access_key = creds->secret_access_key;
	s->creds.session_token = creds->session_token;
	s->time = time(NULL);
	s->flags = c->svc == &aws_s3 ? SIGV4_S3 : 0;
	s->payload = r->body;
	s->payload_len = r->body_len;
	s->payload_hash = payload_hash;
	sigv4_add_header(s, "Host", t->authority);
	for (size_t i = 0; i < r->headers.n; i++)
		add_line(s, r->headers.v[i]);
	for (size_t i = 0; i < r->nr_params; i++)
		sigv4_add_param(s, r->params[i].name, r->params[i].value);
	return sigv4_sign(s);
}

/* "Authorization" shown without its signature, key obfuscated. */
static void mask_authorization(struct buf *out, const char *value)
{
	const char *cred = strstr(value, "Credential=");
	const char *slash, *sig;

	if (!cred) {
		buf_addstr(out, "[hidden]");
		return;
	}
	cred += 11;
	slash = cred + strcspn(cred, "/,");
	buf_add(out, value, (size_t)(cred - value));
	{
		char *akid = xmemdupz(cred, (size_t)(slash - cred));

		aws_obfuscate(out, akid);
		free(akid);
	}
	sig = strstr(slash, "Signature=");
	if (sig) {
		buf_add(out, slash, (size_t)(sig - slash));
		buf_addstr(out, "Signature=[hidden]");
	} else {
		buf_addstr(out, slash);
	}
}

static bool printable(const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\t')
			return false;
	return true;
}

void aws_dry_print(struct aws_client *c, const struct aws_request *r,
		   const struct sigv4_request *s, const char *url)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "dry run: %s %s", s->method, url);
	for (size_t i = 0; i < s->nr_headers; i++) {
		const struct sigv4_header *h = &s->headers[i];

		buf_addf(&b, "\n    %s: ", h->name);
		if (!strcasecmp(h->name, "Authorization"))
			mask_authorization(&b, h->value);
		else if (!strcasecmp(h->name, "X-Amz-Security-Token"))
			buf_addstr(&b, "[hidden]");
		else
			buf_addstr(&b, h->value);
	}
	if (r->body_fd >= 0)
		buf_addf(&b, "\n    (body: %" PRIu64 " bytes of a file)",
			 r->body_size);
	else if (r->body_len && r->body_len <= AWS_DRY_BODY_MAX &&
		 printable(r->body, r->body_len))
		buf_addf(&b, "\n    %.*s", (int)r->body_len,
			 (const char *)r->body);
	else if (r->body_len)
		buf_addf(&b, "\n    (body: %zu bytes)", r->body_len);
	c->log(c->log_payload, b.ptr);
	buf_release(&b);
}
