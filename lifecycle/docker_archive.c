/*
 * docker_archive.c: copying files into and out of a container through the
 * Docker Engine API (PUT and GET /containers/<id>/archive, as tar).
 */
#include "compat.h"

#include "buf.h"
#include "docker.h"
#include "docker_int.h"
#include "error.h"
#include "http.h"
#include "svec.h"
#include "tarball.h"
#include "xalloc.h"

int docker_archive_put(struct docker *d, const char *id, const char *path,
		       bool chown, docker_read_fn fn, void *payload)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct svec hdrs = SVEC_INIT;
	struct buf url = BUF_INIT;
	char what[300], sid[16];
	int err;

	snprintf(what, sizeof(what), "copy into '%s' of container '%s'", path,
		 docker_short_id(id, sid, sizeof(sid)));
	docker_object_path(&url, "containers", id, "/archive");
	docker_query(&url, "path", path);
	if (chown)
		docker_query(&url, "copyUIDGID", "1");
	svec_push(&hdrs, "Content-Type: application/x-tar");
	req.method = "PUT";
	req.headers = &hdrs;
	req.read = fn;
	req.read_payload = payload;
	err = docker_call(d, what, &req, url.ptr, &resp);
	http_response_release(&resp);
	svec_release(&hdrs);
	buf_release(&url);
	return err;
}

static int pull_body(void *dst, size_t cap, size_t *got, void *payload)
{
	return http_read(payload, dst, cap, -1, got);
}

int docker_archive_get(struct docker *d, const char *id, const char *path,
		       const char *dir)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct buf url = BUF_INIT;
	char *full = NULL;
	char what[300], sid[16];
	int err;

	snprintf(what, sizeof(what), "copy '%s' out of container '%s'", path,
		 docker_short_id(id, sid, sizeof(sid)));
	docker_object_path(&url, "containers", id, "/archive");
	docker_query(&url, "path", path);
	full = xasprintf("%s/v%s%s", d->base, d->version, url.ptr);
	docker_request_init(d, &req, full);
	err = http_open(d->http, &req, &resp);
	if (err < 0) {
		err = err_wrap(err, "docker: %s", what);
	} else if (resp.status >= 300) {
		docker_read_rest(d->http, &resp.body);
		err = docker_engine_error(&resp, what);
	} else {
		err = tarball_extract(dir, 0, pull_body, d->http);
		if (err < 0)
			err = err_wrap(err, "docker: %s", what);
	}
	http_close(d->http);
	http_response_release(&resp);
	buf_release(&url);
	free(full);
	return err;
}
