#ifndef FY_SERVICES_H
#define FY_SERVICES_H

#include "compat.h"

struct docker;
struct svec;
struct val;

/*
 * services: Travis's `services:` (redis, postgresql, mysql, mongodb,
 * memcached, rabbitmq, elasticsearch) as sidecar containers that share
 * the job container's network namespace, so the job reaches them on
 * localhost at their usual ports.  Each is ready when a probe speaking
 * its protocol succeeds from the job container (PING/PONG for redis, an
 * SSLRequest answered for PostgreSQL, the server greeting for MySQL ...),
 * never after a fixed sleep.  `docker` is not a sidecar: the engine's
 * socket is mounted into the job container.
 *
 * The ferry config's `services:` map overrides per service: `image`,
 * `command` (string or list), `env` (list of K=V) and `probe` (bash).
 */
struct service_opts {
	const struct val *conf; /* ferry config `services:`, or NULL */
	const char *run_id;
	double timeout; /* seconds per service; 0: 90 */
	/* Print a line into the job log. */
	void (*say)(void *payload, const char *fmt, ...) PRINTFLIKE(2, 3);
	/* Make sure the image is there (pull it); may be NULL. */
	int (*ensure_image)(void *payload, const char *image);
	void *payload;
};

/* Whether `name` runs as a sidecar container. */
bool services_is_sidecar(const char *name);

/*
 * Start the comma-separated `names` next to container `job_id`; their ids
 * are appended to `ids` (remove them with the job).  A service that does
 * not become ready is reported through say() and counted: FY_EFAIL when
 * any failed (as with Travis, the job goes on).
 */
int services_start(struct docker *d, const char *job_id, const char *names,
		   const struct service_opts *opts, struct svec *ids);

#endif
