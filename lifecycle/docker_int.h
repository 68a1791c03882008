#ifndef FY_DOCKER_INT_H
#define FY_DOCKER_INT_H

#include "compat.h"

#include "docker.h"

struct buf;
struct http_client;
struct http_request;
struct http_response;
struct val;

/*
 * docker_int.h: private to lifecycle/docker*.c.  docker.c holds the
 * connection (endpoint, API version, the control calls below),
 * docker_stream.c the output streams, docker_image.c images,
 * docker_container.c containers and execs, docker_archive.c the copies
 * into and out of containers.
 */
struct docker {
	struct http_client *http;  /* control calls */
	struct http_client *spare; /* for the next stream */
	char *host;		   /* as given, for messages */
	char *base;		   /* http://localhost, https://host:port */
	char *socket;		   /* unix socket path, or NULL */
	char *ca, *cert, *key;
	bool insecure;
	char version[16]; /* API version in use, "1.41" */
	char *engine_version;
	const atomic_bool *cancel;
};

/* The first 12 characters of `id` in `tmp`, for messages. */
const char *docker_short_id(const char *id, char *tmp, size_t size);
/* A JSON number as an integer; 0 when `v` is no number. */
int64_t docker_num(const struct val *v);

/* Point `req` at `url` through the engine's socket, TLS files, cancel flag. */
void docker_request_init(struct docker *d, struct http_request *req,
			 const char *url);
/* Record the engine's message for a status of 300 or more; its code. */
int docker_engine_error(const struct http_response *r, const char *what);
/* Read what is left of a body (an error message) into `into`. */
void docker_read_rest(struct http_client *h, struct buf *into);

/*
 * A call on the control connection to `path` (under /v<version>), with
 * the body and headers the caller put in `req`.  A status of 300 or more
 * records the engine's message; `resp` keeps the answer either way.
 */
int docker_call(struct docker *d, const char *what, struct http_request *req,
		const char *path, struct http_response *resp);
/* A control call with an optional JSON body. */
int docker_control(struct docker *d, const char *what, const char *method,
		   const char *path, const struct val *json,
		   struct http_response *resp);
/* A control call whose answer is a JSON document (`out` may be NULL). */
int docker_control_json(struct docker *d, const char *what, const char *method,
			const char *path, const struct val *json,
			struct val **out);
/* GET <base>?all=..&filters={"label":[label]}. */
int docker_list(struct docker *d, const char *what, const char *base,
		const char *label, bool all, struct val **out);

/* Append "?key=value" or "&key=value", the value escaped. */
void docker_query(struct buf *path, const char *key, const char *value);
/* "/<kind>/<name><rest>", the name escaped. */
void docker_object_path(struct buf *path, const char *kind, const char *name,
			const char *rest);

/*
 * Open an output stream: `method` on `path` (under /v<version>) with an
 * optional JSON body, on the spare connection or a new one.  `tty`: the
 * output is raw, not multiplexed.
 */
int docker_stream_open(struct docker *d, const char *what, const char *method,
		       const struct buf *path, const struct val *json, bool tty,
		       struct docker_stream **out);

#endif
