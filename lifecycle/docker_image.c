/*
 * docker_image.c: images through the Docker Engine API: inspect, pull and
 * import (whose answers are lines of JSON progress), tag, remove, list.
 */
#include "compat.h"

#include "buf.h"
#include "docker.h"
#include "docker_int.h"
#include "error.h"
#include "http.h"
#include "json.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define DOCKER_LINE_LIMIT (1024 * 1024) /* one progress line */

/* Whether the last part of `ref` names a tag, or `ref` a digest. */
static bool names_tag(const char *ref)
{
	const char *slash = strrchr(ref, '/');

	return strchr(ref, '@') || strchr(slash ? slash + 1 : ref, ':');
}

int docker_image_inspect(struct docker *d, const char *name, struct val **out)
{
	struct buf path = BUF_INIT;
	char what[300];
	int err;

	snprintf(what, sizeof(what), "inspect image '%s'", name);
	docker_object_path(&path, "images", name, "/json");
	err = docker_control_json(d, what, "GET", path.ptr, NULL, out);
	buf_release(&path);
	return err;
}

/* The JSON lines of a pull or import answer, decoded as they come. */
struct lines {
	struct buf line;
	const char *what;
	docker_progress_fn fn;
	void *payload;
	char *status; /* the last status seen */
};

static int line_done(struct lines *l)
{
	struct docker_progress p = { NULL, NULL, NULL, 0, 0 };
	struct val *v = NULL, *detail;
	const char *msg;
	int err;

	buf_rtrim(&l->line);
	if (!l->line.len)
		return 0;
	err = json_parse(&v, l->line.ptr, l->line.len, 0);
	if (err < 0)
		return err_set(FY_EFAIL,
			       "docker: %s: unreadable answer '%.80s'", l->what,
			       l->line.ptr);
	msg = val_strv(val_map_get(val_map_get(v, "errorDetail"), "message"));
	if (!msg)
		msg = val_strv(val_map_get(v, "error"));
	if (msg) {
		err = err_set(FY_EFAIL, "docker: %s: %s", l->what, msg);
		val_free(v);
		return err;
	}
	p.status = val_strv(val_map_get(v, "status"));
	if (p.status) {
		free(l->status);
		l->status = xstrdup(p.status);
	}
	if (l->fn) {
		p.id = val_strv(val_map_get(v, "id"));
		p.progress = val_strv(val_map_get(v, "progress"));
		detail = val_map_get(v, "progressDetail");
		p.current = docker_num(val_map_get(detail, "current"));
		p.total = docker_num(val_map_get(detail, "total"));
		l->fn(&p, l->payload);
	}
	val_free(v);
	return 0;
}

static int lines_write(const void *data, size_t len, void *payload)
{
	struct lines *l = payload;
	const char *p = data, *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int err;

		if (buf_add(&l->line, p, n) < 0)
			return err_set(FY_ETOOBIG,
				       "docker: %s: answer line over %d bytes",
				       l->what, DOCKER_LINE_LIMIT);
		if (!nl)
			break;
		err = line_done(l);
		buf_reset(&l->line);
		if (err < 0)
			return err;
		p = nl + 1;
	}
	return 0;
}

static void lines_init(struct lines *l, const char *what, docker_progress_fn fn,
		       void *payload)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->line);
	buf_set_limit(&l->line, DOCKER_LINE_LIMIT);
	l->what = what;
	l->fn = fn;
	l->payload = payload;
}

static void lines_release(struct lines *l)
{
	buf_release(&l->line);
	free(l->status);
}

/* The whole exchange of a pull or import: request, lines, last line. */
static int progress_call(struct docker *d, struct lines *l,
			 struct http_request *req, const char *path)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	int err;

	resp.write = lines_write;
	resp.write_payload = l;
	err = docker_call(d, l->what, req, path, &resp);
	if (!err)
		err = line_done(l); /* a last line without a newline */
	http_response_release(&resp);
	return err;
}

int docker_image_pull(struct docker *d, const char *ref, const char *auth,
		      docker_progress_fn fn, void *payload)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct svec hdrs = SVEC_INIT;
	struct buf path = BUF_INIT;
	struct lines l;
	char what[300];
	int err;

	snprintf(what, sizeof(what), "pull '%s'", ref);
	lines_init(&l, what, fn, payload);
	buf_addstr(&path, "/images/create");
	docker_query(&path, "fromImage", ref);
	if (!names_tag(ref))
		docker_query(&path, "tag", "latest");
	if (auth)
		svec_pushf(&hdrs, "X-Registry-Auth: %s", auth);
	req.method = "POST";
	req.headers = &hdrs;
	err = progress_call(d, &l, &req, path.ptr);
	lines_release(&l);
	svec_release(&hdrs);
	buf_release(&path);
	return err;
}

int docker_image_import(struct docker *d, docker_read_fn fn, void *payload,
			const char *ref, const struct svec *changes,
			char **id_out)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct svec hdrs = SVEC_INIT;
	struct buf path = BUF_INIT;
	char *repo = xstrdup(ref);
	const char *tag = "latest";
	struct lines l;
	char what[300];
	int err;

	if (names_tag(ref) && !strchr(ref, '@')) {
		char *colon = strrchr(repo, ':');

		*colon = '\0';
		tag = colon + 1;
	}
	snprintf(what, sizeof(what), "import image '%s'", ref);
	lines_init(&l, what, NULL, NULL);
	buf_addstr(&path, "/images/create?fromSrc=-");
	docker_query(&path, "repo", repo);
	docker_query(&path, "tag", tag);
	for (size_t i = 0; changes && i < changes->n; i++)
		docker_query(&path, "changes", changes->v[i]);
	svec_push(&hdrs, "Content-Type: application/x-tar");
	req.method = "POST";
	req.headers = &hdrs;
	req.read = fn;
	req.read_payload = payload;
	err = progress_call(d, &l, &req, path.ptr);
	if (!err && (!l.status || strncmp(l.status, "sha256:", 7)))
		err = err_set(FY_EFAIL, "docker: %s: no image id in the answer",
			      what);
	if (!err && id_out) {
		*id_out = l.status;
		l.status = NULL;
	}
	lines_release(&l);
	svec_release(&hdrs);
	buf_release(&path);
	free(repo);
	return err;
}

int docker_image_tag(struct docker *d, const char *name, const char *ref)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct buf path = BUF_INIT;
	char *repo = xstrdup(ref);
	const char *tag = "latest";
	char what[300];
	int err;

	if (names_tag(ref) && !strchr(ref, '@')) {
		char *colon = strrchr(repo, ':');

		*colon = '\0';
		tag = colon + 1;
	}
	snprintf(what, sizeof(what), "tag image '%s' as '%s'", name, ref);
	docker_object_path(&path, "images", name, "/tag");
	docker_query(&path, "repo", repo);
	docker_query(&path, "tag", tag);
	err = docker_control(d, what, "POST", path.ptr, NULL, &resp);
	http_response_release(&resp);
	buf_release(&path);
	free(repo);
	return err;
}

int docker_image_remove(struct docker *d, const char *name, bool force)
{
	struct buf path = BUF_INIT;
	char what[300];
	int err;

	snprintf(what, sizeof(what), "remove image '%s'", name);
	docker_object_path(&path, "images", name, "");
	if (force)
		docker_query(&path, "force", "1");
	err = docker_control_json(d, what, "DELETE", path.ptr, NULL, NULL);
	buf_release(&path);
	return err;
}

int docker_image_list(struct docker *d, const char *label, struct val **out)
{
	return docker_list(d, "list images", "/images/json", label, false, out);
}
