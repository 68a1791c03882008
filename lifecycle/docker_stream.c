/*
 * docker_stream.c: output streams of the Docker Engine API (attach, logs,
 * exec): the multiplexed stream's decoder and a stream's own connection,
 * read as its output comes.
 */
#include "compat.h"

#include "buf.h"
#include "docker.h"
#include "docker_int.h"
#include "error.h"
#include "http.h"
#include "json.h"
#include "svec.h"
#include "xalloc.h"

#define DOCKER_CHUNK	    (64 * 1024)
#define DOCKER_SYSERR_LIMIT 4096

struct docker_stream {
	struct docker *d;
	struct http_client *http;
	struct http_request req;
	struct http_response resp;
	struct svec headers;
	struct buf body;
	char *url;
	char what[160];
	struct docker_demux demux;
	bool tty;
	bool done;
	struct buf syserr; /* the engine's error frames */
	char *chunk;
};

/* The multiplexed stream. */

int docker_demux_feed(struct docker_demux *m, const void *data, size_t len,
		      docker_output_fn fn, void *payload)
{
	const unsigned char *p = data;

	if (m->failed)
		return err_set(FY_EINVALID, "malformed docker stream");
	while (len) {
		size_t n;

		if (m->left) {
			int err;

			n = len < m->left ? len : m->left;
			m->left -= (uint32_t)n;
			err = fn(m->stream, (const char *)p, n, payload);
			if (err < 0)
				return err;
			p += n;
			len -= n;
			continue;
		}
		n = sizeof(m->hdr) - m->have;
		if (n > len)
			n = len;
		memcpy(m->hdr + m->have, p, n);
		m->have += n;
		p += n;
		len -= n;
		if (m->have < sizeof(m->hdr))
			break;
		m->have = 0;
		if (m->hdr[0] > 3 || m->hdr[1] || m->hdr[2] || m->hdr[3]) {
			m->failed = true;
			return err_set(FY_EINVALID,
				       "malformed docker stream: frame header "
				       "%02x %02x %02x %02x",
				       m->hdr[0], m->hdr[1], m->hdr[2],
				       m->hdr[3]);
		}
		m->stream = m->hdr[0] ? m->hdr[0] : 1;
		m->left = (uint32_t)m->hdr[4] << 24 |
			  (uint32_t)m->hdr[5] << 16 | (uint32_t)m->hdr[6] << 8 |
			  (uint32_t)m->hdr[7];
	}
	return 0;
}

int docker_demux_finish(const struct docker_demux *m)
{
	if (m->failed)
		return err_set(FY_EINVALID, "malformed docker stream");
	if (m->have || m->left)
		return err_set(FY_EINVALID,
			       "docker stream ended inside a frame");
	return 0;
}

/* Streams. */

int docker_stream_open(struct docker *d, const char *what, const char *method,
		       const struct buf *path, const struct val *json, bool tty,
		       struct docker_stream **out)
{
	struct docker_stream *s = xcalloc(1, sizeof(*s));
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	int err = 0;

	s->d = d;
	s->req = req;
	s->resp = resp;
	svec_push(&s->headers, "Content-Type: application/json");
	buf_init(&s->body);
	buf_init(&s->syserr);
	buf_set_limit(&s->syserr, DOCKER_SYSERR_LIMIT);
	s->tty = tty;
	s->chunk = xmalloc(DOCKER_CHUNK);
	snprintf(s->what, sizeof(s->what), "%s", what);
	s->url = xasprintf("%s/v%s%s", d->base, d->version, path->ptr);
	s->http = d->spare;
	d->spare = NULL;
	if (!s->http)
		err = http_client_new(&s->http);
	if (err < 0)
		goto out;
	docker_request_init(d, &s->req, s->url);
	s->req.method = method;
	s->req.headers = &s->headers;
	if (json) {
		json_write(&s->body, json, 0);
		s->req.body = s->body.ptr;
		s->req.body_len = s->body.len;
	}
	err = http_open(s->http, &s->req, &s->resp);
	if (err < 0) {
		err = err_wrap(err, "docker: %s", what);
	} else if (s->resp.status >= 300) {
		docker_read_rest(s->http, &s->resp.body);
		err = docker_engine_error(&s->resp, what);
	}
out:
	if (err < 0) {
		docker_stream_close(s);
		return err;
	}
	*out = s;
	return 0;
}

void docker_stream_close(struct docker_stream *s)
{
	if (!s)
		return;
	if (s->http) {
		http_close(s->http);
		if (!s->d->spare)
			s->d->spare = s->http;
		else
			http_client_free(s->http);
	}
	http_response_release(&s->resp);
	svec_release(&s->headers);
	buf_release(&s->body);
	buf_release(&s->syserr);
	free(s->url);
	free(s->chunk);
	free(s);
}

struct sink {
	struct docker_stream *s;
	docker_output_fn fn;
	void *payload;
};

static int sink_frame(int stream, const char *data, size_t len, void *payload)
{
	struct sink *k = payload;

	if (stream == 3) {
		buf_add(&k->s->syserr, data, len);
		return 0;
	}
	return k->fn(stream, data, len, k->payload);
}

int docker_stream_pump(struct docker_stream *s, int timeout_ms,
		       docker_output_fn fn, void *payload, bool *done)
{
	struct sink k = { s, fn, payload };
	size_t got = 0;
	int err;

	*done = s->done;
	if (s->done)
		return 0;
	s->req.cancel = s->d->cancel; /* http.c reads it as it goes */
	err = http_read(s->http, s->chunk, DOCKER_CHUNK, timeout_ms, &got);
	if (err < 0)
		return err_wrap(err, "docker: %s", s->what);
	if (got) {
		if (s->tty)
			return fn(1, s->chunk, got, payload);
		err = docker_demux_feed(&s->demux, s->chunk, got, sink_frame,
					&k);
		if (err < 0 && s->demux.failed)
			err = err_wrap(err, "docker: %s", s->what);
		return err;
	}
	if (!http_eof(s->http))
		return 0; /* nothing came in time */
	s->done = *done = true;
	if (s->syserr.len)
		return err_set(FY_EFAIL, "docker: %s: %s", s->what,
			       s->syserr.ptr);
	err = docker_demux_finish(&s->demux);
	if (err < 0)
		return err_wrap(err, "docker: %s", s->what);
	return 0;
}

int docker_stream_drain(struct docker_stream *s, docker_output_fn fn,
			void *payload)
{
	bool done = false;

	while (!done) {
		int err = docker_stream_pump(s, -1, fn, payload, &done);

		if (err < 0)
			return err;
	}
	return 0;
}
