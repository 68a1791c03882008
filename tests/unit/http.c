/*
 * Tests of common/http.c against a real HTTP/1.1 server on 127.0.0.1 and
 * on a unix socket (tests/fixtures/http_server.py, started once).
 */
#include "compat.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "http.h"
#include "json.h"
#include "svec.h"
#include "unit.h"
#include "val.h"
#include "xalloc.h"

struct server {
	pid_t pid;
	int port;
	char sock[128];
};

static struct server tcp_srv, unix_srv;

static void servers_stop(void)
{
	struct server *all[] = { &tcp_srv, &unix_srv };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		if (all[i]->pid <= 0)
			continue;
		kill(all[i]->pid, SIGKILL);
		waitpid(all[i]->pid, NULL, 0);
		all[i]->pid = 0;
		if (all[i]->sock[0])
			unlink(all[i]->sock);
	}
}

/* Start the fixture server once; false (after a message) on failure. */
static bool server_up(struct server *s, bool on_unix)
{
	static bool registered;
	char line[64] = "";
	int fds[2];
	FILE *f;

	if (s->pid > 0)
		return true;
	if (!registered) {
		atexit(servers_stop);
		registered = true;
	}
	if (on_unix)
		snprintf(s->sock, sizeof(s->sock), "/tmp/ferry-http-%ld.sock",
			 (long)getpid());
	if (pipe(fds) < 0)
		return false;
	s->pid = fork();
	if (s->pid == 0) {
		const char *script = unit_fixture("http_server.py");

		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		dup2(null, 2);
		close(fds[0]);
		close(fds[1]);
		if (on_unix)
			execlp("python3", "python3", script, "--unix", s->sock,
			       (char *)NULL);
		else
			execlp("python3", "python3", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (!f || !fgets(line, sizeof(line), f) ||
	    sscanf(line, "ready %d", &s->port) != 1) {
		fprintf(stderr, "    http test server did not start\n");
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	return true;
}

static char *url_for(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", tcp_srv.port, path);
}

void test_http__keep_alive_reuses_one_connection(void)
{
	struct http_client *c = NULL;
	struct http_response r = HTTP_RESPONSE_INIT;
	char *url = NULL;
	char conn[32] = "";

	check(server_up(&tcp_srv, false));
	check_ok(http_client_new(&c));
	url = url_for("/hello");
	for (int i = 0; i < 4; i++) {
		struct http_request req = HTTP_REQUEST_INIT;

		req.url = url;
		check_ok(http_request(c, &req, &r));
		check_int(r.status, ==, 200);
		check_str(r.body.ptr, "hello\n");
		check(http_response_header(&r, "x-conn"));
		check_str(http_response_header(&r, "CONTENT-LENGTH"), "6");
		if (!i)
			snprintf(conn, sizeof(conn), "%s",
				 http_response_header(&r, "X-Conn"));
		check_str(http_response_header(&r, "X-Conn"), conn);
	}
	/* A second client opens its own connection. */
	{
		struct http_client *c2 = NULL;
		struct http_request req = HTTP_REQUEST_INIT;

		req.url = url;
		check_ok(http_client_new(&c2));
		check_ok(http_request(c2, &req, &r));
		check(strcmp(http_response_header(&r, "X-Conn"), conn));
		http_client_free(c2);
	}
	http_response_release(&r);
	http_client_free(c);
	free(url);
}

void test_http__body_cap(void)
{
	static const struct {
		const char *path;
		size_t limit;
		int want;
		size_t len;
	} cases[] = {
		{ "/bytes?n=100000", 1000, FY_ETOOBIG, 0 },
		{ "/bytes?n=1000", 1000, 0, 1000 },
		{ "/bytes?n=200000", 0, 0, 200000 },
		{ "/bytes?n=999", 1000, 0, 999 },
	};
	struct http_client *c = NULL;

	check(server_up(&tcp_srv, false));
	check_ok(http_client_new(&c));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct http_request req = HTTP_REQUEST_INIT;
		struct http_response r = HTTP_RESPONSE_INIT;
		char *url = url_for(cases[i].path);
		int err;

		req.url = url;
		buf_set_limit(&r.body, cases[i].limit);
		err = http_request(c, &req, &r);
		check_int(err, ==, cases[i].want);
		if (err)
			check(strstr(err_msg(), "larger than 1000 bytes"));
		else
			check_int(r.body.len, ==, cases[i].len);
		http_response_release(&r);
		free(url);
	}
	http_client_free(c);
}

struct collect {
	struct buf data;
	int calls;
	int fail_after;
};

static int collect_write(const void *data, size_t len, void *payload)
{
	struct collect *col = payload;

	col->calls++;
	if (col->fail_after && col->calls > col->fail_after)
		return err_set(FY_EINVALID, "collector refused chunk %d",
			       col->calls);
	buf_add(&col->data, data, len);
	return 0;
}

void test_http__streams_to_a_callback(void)
{
	struct http_client *c = NULL;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response r = HTTP_RESPONSE_INIT;
	struct collect col = { BUF_INIT, 0, 0 };
	char *url = NULL;
	int err;

	check(server_up(&tcp_srv, false));
	url = url_for("/chunks?n=4&ms=20");
	check_ok(http_client_new(&c));
	req.url = url;
	r.write = collect_write;
	r.write_payload = &col;
	check_ok(http_request(c, &req, &r));
	check_int(r.status, ==, 200);
	check_str(col.data.ptr, "chunk 0\nchunk 1\nchunk 2\nchunk 3\n");
	check_int(col.calls, >=, 2);
	check_int(r.body.len, ==, 0);

	/* A callback's error ends the transfer with its code and message. */
	buf_reset(&col.data);
	col.calls = 0;
	col.fail_after = 1;
	err = http_request(c, &req, &r);
	check_int(err, ==, FY_EINVALID);
	check_str(err_msg(), "collector refused chunk 2");

	/* An error status goes to r.body, so the caller can read it. */
	free(url);
	url = url_for("/status/404");
	req.url = url;
	col.fail_after = 0;
	buf_reset(&col.data);
	check_ok(http_request(c, &req, &r));
	check_int(r.status, ==, 404);
	check_str(r.body.ptr, "status 404");
	check_int(col.data.len, ==, 0);

	buf_release(&col.data);
	http_response_release(&r);
	http_client_free(c);
	free(url);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	       (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

void test_http__pull_stream(void)
{
	struct http_client *c = NULL;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response r = HTTP_RESPONSE_INIT;
	struct buf all = BUF_INIT;
	char *url = NULL;
	char chunk[4];
	int idle = 0;

	check(server_up(&tcp_srv, false));
	url = url_for("/chunks?n=3&ms=300");
	check_ok(http_client_new(&c));
	req.url = url;
	check_ok(http_open(c, &req, &r));
	check_int(r.status, ==, 200);
	check(http_response_header(&r, "X-Conn"));
	for (;;) {
		size_t got = 0;

		/* Small reads: the client hands out what it holds in pieces. */
		check_ok(http_read(c, chunk, sizeof(chunk), 100, &got));
		if (got) {
			buf_add(&all, chunk, got);
			continue;
		}
		if (http_eof(c))
			break;
		idle++;
	}
	check_str(all.ptr, "chunk 0\nchunk 1\nchunk 2\n");
	/* 900 ms of gaps in 100 ms waits: idle returns were seen. */
	check_int(idle, >=, 3);
	http_close(c);

	/* The connection went back to the cache and is used again. */
	{
		const char *first = NULL;
		char *conn = NULL;

		check_ok(http_open(c, &req, &r));
		first = http_response_header(&r, "X-Conn");
		conn = xstrdup(first ? first : "");
		http_close(c);
		free(url);
		url = url_for("/hello");
		req.url = url;
		check_ok(http_request(c, &req, &r));
		check(strcmp(http_response_header(&r, "X-Conn"), conn));
		free(conn);
	}
	buf_release(&all);
	http_response_release(&r);
	http_client_free(c);
	free(url);
}

void test_http__timeouts(void)
{
	static const struct {
		const char *path;
		long timeout_ms, stall_ms;
		long max_ms;
	} cases[] = {
		{ "/slow?ms=5000", 300, 0, 2000 },
		{ "/stall", 0, 700, 2000 },
	};
	struct http_client *c = NULL;

	check(server_up(&tcp_srv, false));
	check_ok(http_client_new(&c));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct http_request req = HTTP_REQUEST_INIT;
		struct http_response r = HTTP_RESPONSE_INIT;
		char *url = url_for(cases[i].path);
		struct timespec t0;
		int err;

		req.url = url;
		req.timeout_ms = cases[i].timeout_ms;
		req.stall_ms = cases[i].stall_ms;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = http_request(c, &req, &r);
		check_int(err, ==, FY_ETIMEOUT);
		check_int(elapsed_ms(&t0), <, cases[i].max_ms);
		check(strstr(err_msg(), url));
		http_response_release(&r);
		free(url);
	}
	http_client_free(c);
}

static void *raise_later(void *flag)
{
	struct timespec ts = { 0, 200 * 1000000L };

	nanosleep(&ts, NULL);
	atomic_store((atomic_bool *)flag, true);
	return NULL;
}

void test_http__cancel(void)
{
	struct http_client *c = NULL;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response r = HTTP_RESPONSE_INIT;
	atomic_bool flag = false;
	char *url = NULL;
	struct timespec t0;
	pthread_t th;
	size_t got;

	check(server_up(&tcp_srv, false));
	url = url_for("/slow?ms=5000");
	check_ok(http_client_new(&c));
	req.url = url;
	req.cancel = &flag;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	check_int(pthread_create(&th, NULL, raise_later, &flag), ==, 0);
	check_int(http_request(c, &req, &r), ==, FY_ECANCELED);
	pthread_join(th, NULL);
	check_int(elapsed_ms(&t0), <, 1500);
	check(strstr(err_msg(), "canceled"));

	/* In the pull interface too. */
	free(url);
	url = url_for("/chunks?n=50&ms=100");
	req.url = url;
	atomic_store(&flag, false);
	check_ok(http_open(c, &req, &r));
	check_int(pthread_create(&th, NULL, raise_later, &flag), ==, 0);
	for (;;) {
		char tmp[256];
		int err = http_read(c, tmp, sizeof(tmp), -1, &got);

		if (err) {
			check_int(err, ==, FY_ECANCELED);
			break;
		}
		check(!http_eof(c));
	}
	pthread_join(th, NULL);
	http_close(c);
	http_response_release(&r);
	http_client_free(c);
	free(url);
}

void test_http__unix_socket(void)
{
	struct http_client *c = NULL;
	struct http_response r = HTTP_RESPONSE_INIT;
	char conn[32] = "";

	check(server_up(&unix_srv, true));
	check_ok(http_client_new(&c));
	for (int i = 0; i < 3; i++) {
		struct http_request req = HTTP_REQUEST_INIT;

		req.url = "http://localhost/hello";
		req.unix_socket = unix_srv.sock;
		check_ok(http_request(c, &req, &r));
		check_int(r.status, ==, 200);
		check_str(r.body.ptr, "hello\n");
		if (!i)
			snprintf(conn, sizeof(conn), "%s",
				 http_response_header(&r, "X-Conn"));
		check_str(http_response_header(&r, "X-Conn"), conn);
	}
	{
		struct http_request req = HTTP_REQUEST_INIT;

		req.url = "http://localhost/hello";
		req.unix_socket = "/nonexistent/ferry.sock";
		check_int(http_request(c, &req, &r), ==, FY_EFAIL);
		check_str(err_msg(), "GET http://localhost/hello (socket "
				     "'/nonexistent/ferry.sock'): cannot "
				     "connect: No such file or directory");
	}
	http_response_release(&r);
	http_client_free(c);
}

/* A port nobody listens on: bound, then closed. */
static int closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

void test_http__transport_error_message(void)
{
	struct http_client *c = NULL;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response r = HTTP_RESPONSE_INIT;
	int port = closed_port();
	char *url = xasprintf("http://user:secret@127.0.0.1:%d/x?y=1", port);
	char *want = xasprintf("DELETE http://127.0.0.1:%d/x?y=1: ", port);

	check(port > 0);
	check_ok(http_client_new(&c));
	req.url = url;
	req.method = "DELETE";
	check_int(http_request(c, &req, &r), ==, FY_EFAIL);
	check(!strncmp(err_msg(), want, strlen(want)));
	check(!strstr(err_msg(), "secret"));
	check(strlen(err_msg()) > strlen(want) + 5);
	http_response_release(&r);
	http_client_free(c);
	free(url);
	free(want);
}

void test_http__redact_url(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "https://user:pass@host/p", "https://host/p" },
		{ "https://tok@github.com", "https://github.com" },
		{ "http://h:1/a@b", "http://h:1/a@b" },
		{ "http://u:p@w@h:8/x?q=@", "http://h:8/x?q=@" },
		{ "http://h?x=a@b", "http://h?x=a@b" },
		{ "no-scheme@x", "no-scheme@x" },
		{ "", "" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = http_url_redact(cases[i].in);

		check_str(got, cases[i].out);
		free(got);
	}
}

void test_http__escape(void)
{
	static const struct {
		const char *in;
		bool path;
		const char *out;
	} cases[] = {
		{ "abc-XYZ_0.9~", false, "abc-XYZ_0.9~" },
		{ "a b/c:d@e", false, "a%20b%2Fc%3Ad%40e" },
		{ "a b/c:d@e", true, "a%20b/c:d@e" },
		{ "{\"label\":[\"x=y\"]}", false,
		  "%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D" },
		{ "\xc3\xa9?#&", false, "%C3%A9%3F%23%26" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf b = BUF_INIT;

		http_escape(&b, cases[i].in, cases[i].path);
		check_str(b.ptr, cases[i].out);
		buf_release(&b);
	}
}

struct mem_src {
	const char *data;
	size_t len, off;
};

static int mem_read(void *dst, size_t cap, size_t *got, void *payload)
{
	struct mem_src *m = payload;
	size_t n = m->len - m->off;

	if (n > cap)
		n = cap;
	if (n > 7)
		n = 7; /* small pieces on purpose */
	memcpy(dst, m->data + m->off, n);
	m->off += n;
	*got = n;
	return 0;
}

/* Send a request to /echo and return the server's view of it. */
static int echo(struct http_client *c, struct http_request *req,
		struct val **out)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *url = url_for("/echo");
	int err;

	req->url = url;
	err = http_request(c, req, &r);
	if (!err && r.status != 200)
		err = err_set(FY_EFAIL, "echo: status %ld", r.status);
	if (!err)
		err = json_parse(out, r.body.ptr, r.body.len, 0);
	http_response_release(&r);
	free(url);
	return err;
}

void test_http__request_bodies(void)
{
	static const char text[] = "{\"x\": 1, \"payload\": \"0123456789\"}";
	struct http_client *c = NULL;
	struct val *v = NULL;
	struct svec hdrs = SVEC_INIT;
	int fd = -1;

	check(server_up(&tcp_srv, false));
	check_ok(http_client_new(&c));

	/* From memory, with a header and no form content type. */
	{
		struct http_request req = HTTP_REQUEST_INIT;

		svec_push(&hdrs, "X-Test: yes");
		req.method = "POST";
		req.body = text;
		req.body_len = strlen(text);
		req.headers = &hdrs;
		check_ok(echo(c, &req, &v));
		check_str(val_strv(val_map_get(v, "method")), "POST");
		check_str(val_strv(val_map_get(v, "body")), text);
		check_str(val_strv(val_map_get(val_map_get(v, "headers"),
					       "x-test")),
			  "yes");
		check(!val_map_get(val_map_get(v, "headers"), "content-type"));
		val_free(v);
		v = NULL;
	}
	/* From a callback of unknown length: chunked. */
	{
		struct http_request req = HTTP_REQUEST_INIT;
		struct mem_src m = { text, strlen(text), 0 };

		req.method = "PUT";
		req.read = mem_read;
		req.read_payload = &m;
		check_ok(echo(c, &req, &v));
		check_str(val_strv(val_map_get(v, "method")), "PUT");
		check_str(val_strv(val_map_get(v, "body")), text);
		check(val_map_get(v, "chunked")->b);
		val_free(v);
		v = NULL;
	}
	/* From a descriptor of known length, with another method. */
	{
		struct http_request req = HTTP_REQUEST_INIT;

		check_ok(fs_write_file("body.txt", text, strlen(text), 0644));
		fd = open("body.txt", O_RDONLY | O_CLOEXEC);
		check(fd >= 0);
		req.method = "PATCH";
		req.body_fd = fd;
		req.body_size = (int64_t)strlen(text);
		check_ok(echo(c, &req, &v));
		check_str(val_strv(val_map_get(v, "method")), "PATCH");
		check_str(val_strv(val_map_get(v, "body")), text);
		check(!val_map_get(v, "chunked")->b);
		check_int(strtol(val_strv(val_map_get(val_map_get(v, "headers"),
						      "content-length")),
				 NULL, 10),
			  ==, strlen(text));
		val_free(v);
		v = NULL;
	}
	/* No body: POST sends Content-Length 0, DELETE sends none. */
	{
		struct http_request req = HTTP_REQUEST_INIT;

		req.method = "POST";
		check_ok(echo(c, &req, &v));
		check_str(val_strv(val_map_get(val_map_get(v, "headers"),
					       "content-length")),
			  "0");
		val_free(v);
		req.method = "DELETE";
		check_ok(echo(c, &req, &v));
		check_str(val_strv(val_map_get(v, "method")), "DELETE");
		val_free(v);
		v = NULL;
	}
	close_fd(&fd);
	svec_release(&hdrs);
	http_client_free(c);
}

void test_http__redirects(void)
{
	struct http_client *c = NULL;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response r = HTTP_RESPONSE_INIT;
	char *url = NULL;

	check(server_up(&tcp_srv, false));
	url = url_for("/redirect");
	check_ok(http_client_new(&c));
	req.url = url;
	check_ok(http_request(c, &req, &r));
	check_int(r.status, ==, 302);
	check_str(http_response_header(&r, "Location"), "/hello");
	req.follow = true;
	check_ok(http_request(c, &req, &r));
	check_int(r.status, ==, 200);
	check_str(r.body.ptr, "hello\n");
	check(!http_response_header(&r, "Location"));
	http_response_release(&r);
	http_client_free(c);
	free(url);
}

struct prog {
	int calls;
	uint64_t seen;
};

static int prog_cb(const struct http_progress *p, void *payload)
{
	struct prog *pr = payload;

	pr->calls++;
	if (p->down_now > pr->seen)
		pr->seen = p->down_now;
	if (p->down_now >= 100000)
		return err_set(FY_ECANCELED, "enough after %llu bytes",
			       (unsigned long long)p->down_now);
	return 0;
}

void test_http__progress(void)
{
	struct http_client *c = NULL;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response r = HTTP_RESPONSE_INIT;
	struct prog pr = { 0, 0 };
	char *url = NULL;

	check(server_up(&tcp_srv, false));
	url = url_for("/bytes?n=50000");
	check_ok(http_client_new(&c));
	req.url = url;
	req.progress = prog_cb;
	req.progress_payload = &pr;
	check_ok(http_request(c, &req, &r));
	check_int(pr.calls, >, 0);
	check_int(pr.seen, ==, 50000);

	free(url);
	url = url_for("/bytes?n=5000000");
	req.url = url;
	check_int(http_request(c, &req, &r), ==, FY_ECANCELED);
	check(!strncmp(err_msg(), "enough after ", 13));
	http_response_release(&r);
	http_client_free(c);
	free(url);
}
