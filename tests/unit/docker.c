/*
 * Tests of lifecycle/docker.c.  The stream decoder and the endpoint rules
 * run anywhere.  The engine tests (docker__engine_*) talk to the real
 * engine of DOCKER_HOST and use the image $FERRY_TEST_IMAGE (default
 * ferry/debian:bookworm, built by tests/setup/docker.sh); without an
 * engine they print "skipped" and pass, unless FERRY_REQUIRE_DOCKER is
 * set (tests/suites/30-docker.sh sets it), which makes them fail.  The
 * docker_tls__* tests need the TLS engine 30-docker.sh starts
 * (FERRY_TLS_DOCKER_HOST, FERRY_TLS_CERTS, FERRY_TLS_OTHER_CERTS).
 */
#include "compat.h"

#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "docker.h"
#include "error.h"
#include "fs.h"
#include "http.h"
#include "json.h"
#include "svec.h"
#include "tarball.h"
#include "unit.h"
#include "val.h"
#include "xalloc.h"

/* Stream decoder. */

struct frames {
	struct buf text; /* "1:hello|2:oops|" with pieces merged per frame */
	int last;
	int fail_at; /* return an error on this call (1-based); 0: never */
	int calls;
};

static int on_frame(int stream, const char *data, size_t len, void *payload)
{
	struct frames *f = payload;

	f->calls++;
	if (f->fail_at && f->calls == f->fail_at)
		return err_set(FY_ECANCELED, "stop at call %d", f->calls);
	if (stream != f->last) {
		if (f->last)
			buf_addch(&f->text, '|');
		buf_addf(&f->text, "%d:", stream);
		f->last = stream;
	}
	buf_add(&f->text, data, len);
	return 0;
}

static void frame(struct buf *b, int type, const char *data, size_t len)
{
	unsigned char h[8] = { (unsigned char)type,
			       0,
			       0,
			       0,
			       (unsigned char)(len >> 24),
			       (unsigned char)(len >> 16),
			       (unsigned char)(len >> 8),
			       (unsigned char)len };

	buf_add(b, h, sizeof(h));
	buf_add(b, data, len);
}

/* Feed `in` cut every `step` bytes; the result text and final status. */
static int feed_in_steps(const struct buf *in, size_t step, struct buf *text)
{
	struct docker_demux m = DOCKER_DEMUX_INIT;
	struct frames f = { BUF_INIT, 0, 0, 0 };
	int err = 0;

	for (size_t off = 0; !err && off < in->len; off += step) {
		size_t n = in->len - off < step ? in->len - off : step;

		err = docker_demux_feed(&m, in->ptr + off, n, on_frame, &f);
	}
	if (!err)
		err = docker_demux_finish(&m);
	buf_reset(text);
	buf_add(text, f.text.ptr, f.text.len);
	buf_release(&f.text);
	return err;
}

void test_docker__demux_any_chunking(void)
{
	struct buf big = BUF_INIT, in = BUF_INIT, want = BUF_INIT;
	struct buf got = BUF_INIT;

	for (int i = 0; i < 7000; i++)
		buf_addstr(&big, "0123456789");
	frame(&in, 1, "hello\n", 6);
	frame(&in, 2, "oops\n", 5);
	frame(&in, 1, "", 0);
	frame(&in, 0, "from stdin ", 11);
	frame(&in, 1, "and out\n", 8);
	frame(&in, 1, big.ptr, big.len);
	frame(&in, 2, "e", 1);
	buf_addf(&want, "1:hello\n|2:oops\n|1:from stdin and out\n%s|2:e",
		 big.ptr);
	for (size_t step = 1; step <= 20; step++) {
		check_ok(feed_in_steps(&in, step, &got));
		check_str(got.ptr, want.ptr);
	}
	for (size_t step = 4096; step < in.len + 8192; step += 4093) {
		check_ok(feed_in_steps(&in, step, &got));
		check_str(got.ptr, want.ptr);
	}
	buf_release(&big);
	buf_release(&in);
	buf_release(&want);
	buf_release(&got);
}

void test_docker__demux_bad_input(void)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *msg;
		const char *text; /* delivered before the error */
	} cases[] = {
		{ "\4\0\0\0\0\0\0\1x", 9, "frame header 04 00 00 00", "" },
		{ "\1\0\1\0\0\0\0\1x", 9, "frame header 01 00 01 00", "" },
		{ "\1\0\0\0\0\0\0\2ab\2\0\0\0\0\0", 16, "inside a frame",
		  "1:ab" },
		{ "\1\0\0\0\0\0\0\5abc", 11, "inside a frame", "1:abc" },
		{ "\1\0\0\0\0\0\0\1a\xff\0\0\0\0\0\0\0", 17, "frame header ff",
		  "1:a" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf in = BUF_INIT, got = BUF_INIT;

		buf_add(&in, cases[i].bytes, cases[i].len);
		for (size_t step = 1; step <= cases[i].len; step++) {
			check_int(feed_in_steps(&in, step, &got), ==,
				  FY_EINVALID);
			check(strstr(err_msg(), cases[i].msg));
			check_str(got.ptr, cases[i].text);
		}
		buf_release(&in);
		buf_release(&got);
	}
}

void test_docker__demux_callback_stops_it(void)
{
	struct docker_demux m = DOCKER_DEMUX_INIT;
	struct frames f = { BUF_INIT, 0, 2, 0 };
	struct buf in = BUF_INIT;

	frame(&in, 1, "one", 3);
	frame(&in, 2, "two", 3);
	frame(&in, 1, "three", 5);
	check_int(docker_demux_feed(&m, in.ptr, in.len, on_frame, &f), ==,
		  FY_ECANCELED);
	check_str(err_msg(), "stop at call 2");
	check_str(f.text.ptr, "1:one");
	buf_release(&in);
	buf_release(&f.text);
}

/* Endpoints. */

void test_docker__endpoint_from_env(void)
{
	static const struct {
		const char *host, *verify, *tls, *certs, *api;
		bool want_tls, want_verify;
	} cases[] = {
		{ NULL, NULL, NULL, NULL, NULL, false, false },
		{ "tcp://h:1", "1", NULL, "/c", "1.40", true, true },
		{ "tcp://h:1", "", "1", "", "", true, false },
		{ "unix:///s", "0", NULL, NULL, NULL, true, true },
	};
	const char *vars[] = { "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_TLS",
			       "DOCKER_CERT_PATH", "DOCKER_API_VERSION" };
	char *saved[ARRAY_SIZE(vars)];

	for (size_t v = 0; v < ARRAY_SIZE(vars); v++)
		saved[v] = getenv(vars[v]) ? xstrdup(getenv(vars[v])) : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *vals[] = { cases[i].host, cases[i].verify,
				       cases[i].tls, cases[i].certs,
				       cases[i].api };
		struct docker_endpoint ep;

		for (size_t v = 0; v < ARRAY_SIZE(vars); v++)
			if (vals[v])
				setenv(vars[v], vals[v], 1);
			else
				unsetenv(vars[v]);
		docker_endpoint_from_env(&ep);
		check(ep.tls == cases[i].want_tls);
		check(ep.tls_verify == cases[i].want_verify);
		check(!ep.host == !cases[i].host);
		if (cases[i].certs && *cases[i].certs)
			check_str(ep.cert_path, cases[i].certs);
		else
			check(!ep.cert_path);
		if (cases[i].api && *cases[i].api)
			check_str(ep.api_version, cases[i].api);
		else
			check(!ep.api_version);
	}
	for (size_t v = 0; v < ARRAY_SIZE(vars); v++) {
		if (saved[v])
			setenv(vars[v], saved[v], 1);
		else
			unsetenv(vars[v]);
		free(saved[v]);
	}
}

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

void test_docker__endpoint_errors(void)
{
	struct docker_endpoint ep = { NULL };
	struct docker *d = NULL;
	char host[64], want[128];

	ep.host = "ssh://user@box";
	check_int(docker_open(&d, &ep), ==, FY_EINVALID);
	check_str(err_msg(), "docker: unsupported DOCKER_HOST "
			     "'ssh://user@box' (ferry speaks unix:// and "
			     "tcp://)");

	ep.host = "unix:///nonexistent/docker.sock";
	check_int(docker_open(&d, &ep), ==, FY_EFAIL);
	check(strstr(err_msg(), "docker: cannot reach the engine at "
				"'unix:///nonexistent/docker.sock': "));

	snprintf(host, sizeof(host), "tcp://127.0.0.1:%d", closed_port());
	snprintf(want, sizeof(want), "docker: cannot reach the engine at '%s'",
		 host);
	ep.host = host;
	check_int(docker_open(&d, &ep), ==, FY_EFAIL);
	check(!strncmp(err_msg(), want, strlen(want)));

	/* Default ports, seen in the URL of the failed request. */
	{
		static const struct {
			const char *host;
			bool tls;
			const char *url;
		} cases[] = {
			{ "tcp://127.0.0.1", false,
			  "GET http://127.0.0.1:2375/version: " },
			{ "tcp://127.0.0.1", true,
			  "GET https://127.0.0.1:2376/version: " },
			{ "tcp://[::1]", false,
			  "GET http://[::1]:2375/version: " },
			{ "tcp://127.0.0.1:1/some/path", false,
			  "GET http://127.0.0.1:1/version: " },
		};

		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			struct docker_endpoint e2 = { NULL };

			e2.host = cases[i].host;
			e2.tls = cases[i].tls;
			check(docker_open(&d, &e2) < 0);
			check(strstr(err_msg(), cases[i].url));
		}
	}

	check(!mkdir("certs", 0755));
	ep.tls = ep.tls_verify = true;
	ep.cert_path = "certs";
	check_int(docker_open(&d, &ep), ==, FY_EINVALID);
	check_str(err_msg(), "docker: TLS verification needs 'certs/ca.pem'");
}

/* The engine. */

static const char *test_image(void)
{
	const char *img = getenv("FERRY_TEST_IMAGE");

	return img && *img ? img : "ferry/debian:bookworm";
}

/* Open the engine; false when the test should stop (skipped or failed). */
static bool engine_up(struct docker **d, bool need_image)
{
	bool required = getenv("FERRY_REQUIRE_DOCKER") != NULL;

	*d = NULL;
	if (docker_open(d, NULL) < 0) {
		if (required)
			unit_fail(__FILE__, __LINE__, "no engine: %s",
				  err_msg());
		else
			printf("    skipped: no docker engine (%s)\n",
			       err_msg());
		return false;
	}
	if (need_image && docker_image_inspect(*d, test_image(), NULL) < 0) {
		if (required)
			unit_fail(__FILE__, __LINE__, "no image: %s",
				  err_msg());
		else
			printf("    skipped: no image %s (run "
			       "tests/setup/docker.sh)\n",
			       test_image());
		docker_close(*d);
		*d = NULL;
		return false;
	}
	return true;
}

struct out {
	struct buf o, e;
	int other;
};

static int collect(int stream, const char *data, size_t len, void *payload)
{
	struct out *out = payload;

	if (stream == 1)
		buf_add(&out->o, data, len);
	else if (stream == 2)
		buf_add(&out->e, data, len);
	else
		out->other++;
	return 0;
}

static void out_release(struct out *out)
{
	buf_release(&out->o);
	buf_release(&out->e);
}

/* docker_run() of `sh -c script` in the test image. */
static int run_sh(struct docker *d, const char *script, struct out *out,
		  int *status)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	int err;

	spec.image = test_image();
	svec_pushl(&spec.cmd, "sh", "-c", script, (char *)NULL);
	svec_push(&spec.labels, DOCKER_LABEL ".test=unit");
	err = docker_run(d, &spec, collect, out, status);
	docker_spec_release(&spec);
	return err;
}

void test_docker__engine_version_negotiation(void)
{
	struct http_client *h = NULL;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response r = HTTP_RESPONSE_INIT;
	struct docker_endpoint ep;
	struct docker *d = NULL, *pinned = NULL;
	struct val *v = NULL, *list = NULL;
	const char *engine;
	char want[16];

	if (!engine_up(&d, false))
		return;
	/* Ask the engine ourselves, then check the client's choice. */
	docker_endpoint_from_env(&ep);
	check_ok(http_client_new(&h));
	if (ep.host && strncmp(ep.host, "unix://", 7))
		goto out; /* the TLS tests cover tcp:// */
	req.url = "http://localhost/version";
	req.unix_socket = ep.host ? ep.host + 7 : "/var/run/docker.sock";
	check_ok(http_request(h, &req, &r));
	check_ok(json_parse(&v, r.body.ptr, r.body.len, 0));
	engine = val_strv(val_map_get(v, "ApiVersion"));
	check(engine);
	snprintf(want, sizeof(want), "%s",
		 strtod(engine, NULL) > strtod(DOCKER_API_MAX, NULL)
			 ? DOCKER_API_MAX
			 : engine);
	check_str(docker_api_version(d), want);
	check_str(docker_engine_version(d),
		  val_strv(val_map_get(v, "Version")));

	/* A pinned version is used as is; a too old one is refused. */
	ep.api_version = "1.35";
	check_ok(docker_open(&pinned, &ep));
	check_str(docker_api_version(pinned), "1.35");
	check_ok(docker_container_list(pinned, NULL, false, &list));
	check(val_is(list, VAL_SEQ));
	docker_close(pinned);
	pinned = NULL;
	ep.api_version = "1.24";
	check_int(docker_open(&pinned, &ep), ==, FY_EINVALID);
	check_str(err_msg(), "docker: API version '1.24' is older than 1.30, "
			     "the oldest ferry speaks");
out:
	val_free(list);
	val_free(v);
	http_response_release(&r);
	http_client_free(h);
	docker_close(d);
}

void test_docker__engine_stdout_and_stderr_apart(void)
{
	struct docker *d = NULL;
	struct out out = { BUF_INIT, BUF_INIT, 0 };
	int status = -1;

	if (!engine_up(&d, true))
		return;
	check_ok(run_sh(d,
			"echo out1; echo err1 >&2; echo out2; "
			"printf tail; printf e2 >&2",
			&out, &status));
	check_int(status, ==, 0);
	check_str(out.o.ptr, "out1\nout2\ntail");
	check_str(out.e.ptr, "err1\ne2");
	check_int(out.other, ==, 0);
	out_release(&out);
	docker_close(d);
}

void test_docker__engine_exit_codes(void)
{
	static const struct {
		const char *script;
		int status;
	} cases[] = {
		{ "true", 0 },
		{ "false", 1 },
		{ "exit 42", 42 },
		{ "sh -c 'kill -9 $$'", 137 },
		{ "exec /nonexistent", 127 },
	};
	struct docker *d = NULL;

	if (!engine_up(&d, true))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct out out = { BUF_INIT, BUF_INIT, 0 };
		int status = -1;

		check_ok(run_sh(d, cases[i].script, &out, &status));
		check_int(status, ==, cases[i].status);
		out_release(&out);
	}
	docker_close(d);
}

void test_docker__engine_large_output(void)
{
	struct docker *d = NULL;
	struct out out = { BUF_INIT, BUF_INIT, 0 };
	int status = -1;
	size_t xs = 0;

	if (!engine_up(&d, true))
		return;
	check_ok(run_sh(d,
			"head -c 5000000 /dev/zero | tr '\\0' x; "
			"echo done >&2; head -c 300000 /dev/zero | tr '\\0' y "
			">&2",
			&out, &status));
	check_int(status, ==, 0);
	check_int(out.o.len, ==, 5000000);
	for (size_t i = 0; i < out.o.len; i++)
		xs += out.o.ptr[i] == 'x';
	check_int(xs, ==, 5000000);
	check_int(out.e.len, ==, 5 + 300000);
	check(!strncmp(out.e.ptr, "done\nyyy", 8));
	out_release(&out);
	docker_close(d);
}

void test_docker__engine_spec_fields(void)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	struct docker *d = NULL;
	struct out out = { BUF_INIT, BUF_INIT, 0 };
	char host[256] = "", *want = NULL;
	int status = -1;

	if (!engine_up(&d, true))
		return;
	gethostname(host, sizeof(host) - 1);
	spec.image = test_image();
	svec_push(&spec.labels, DOCKER_LABEL ".test=unit");
	svec_pushl(&spec.cmd, "sh", "-c",
		   "echo \"$A|$B\"; pwd; id -un; hostname; "
		   "getent hosts ferry.example; test -d /scratch && echo tmpfs",
		   (char *)NULL);
	svec_pushl(&spec.env, "A=1", "B=two words", (char *)NULL);
	svec_push(&spec.extra_hosts, "ferry.example:127.0.0.7");
	svec_push(&spec.tmpfs, "/scratch:size=1m");
	spec.workdir = "/home/travis";
	spec.user = "travis";
	spec.network_mode = "host";
	check_ok(docker_run(d, &spec, collect, &out, &status));
	check_int(status, ==, 0);
	want = xasprintf("1|two words\n/home/travis\ntravis\n%s\n"
			 "127.0.0.7       ferry.example\ntmpfs\n",
			 host);
	check_str(out.o.ptr, want);
	free(want);
	out_release(&out);
	docker_spec_release(&spec);
	docker_close(d);
}

void test_docker__engine_error_messages(void)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	struct docker *d = NULL;
	char *id = NULL;

	if (!engine_up(&d, false))
		return;
	spec.image = "ferry-no-such-image:latest";
	check_int(docker_container_create(d, &spec, &id), ==, FY_ENOTFOUND);
	check_str(err_msg(), "docker: create container: No such image: "
			     "ferry-no-such-image:latest");
	check_int(docker_container_start(d, "ferry-no-such-container"), ==,
		  FY_ENOTFOUND);
	check_str(err_msg(), "docker: start container 'ferry-no-suc': No "
			     "such container: ferry-no-such-container");
	check_int(docker_image_inspect(d, "ferry-no-such-image", NULL), ==,
		  FY_ENOTFOUND);
	check(!strncmp(err_msg(),
		       "docker: inspect image 'ferry-no-such-image': ", 44));
	check(strstr(err_msg(), "No such image: ferry-no-such-image"));
	spec.image = test_image();
	svec_push(&spec.binds, "relative/path:/x");
	check_int(docker_container_create(d, &spec, &id), ==, FY_EINVALID);
	check(!strncmp(err_msg(), "docker: create container: ", 26));
	check(strstr(err_msg(), "relative/path"));
	docker_spec_release(&spec);
	docker_close(d);
}

void test_docker__engine_pull_missing_image(void)
{
	struct docker *d = NULL;
	static const char want[] = "docker: pull "
				   "'ferry-test/no-such-image:none': ";

	if (!engine_up(&d, false))
		return;
	check(docker_image_pull(d, "ferry-test/no-such-image:none", NULL, NULL,
				NULL) < 0);
	check(!strncmp(err_msg(), want, strlen(want)));
	check(strlen(err_msg()) > strlen(want) + 10);
	docker_close(d);
}

static int start_sleeper(struct docker *d, const char *user, char **id)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	int err;

	spec.image = test_image();
	spec.user = user;
	svec_pushl(&spec.cmd, "sleep", "120", (char *)NULL);
	svec_push(&spec.labels, DOCKER_LABEL ".test=unit");
	err = docker_container_create(d, &spec, id);
	if (!err)
		err = docker_container_start(d, *id);
	docker_spec_release(&spec);
	return err;
}

/* `sh -c script` in a running container; its stdout into *out. */
static int exec_sh(struct docker *d, const char *id, const char *script,
		   struct out *out, int *status)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	int err;

	svec_pushl(&spec.cmd, "sh", "-c", script, (char *)NULL);
	err = docker_exec_run(d, id, &spec, collect, out, status);
	docker_spec_release(&spec);
	return err;
}

void test_docker__engine_exec(void)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	struct docker *d = NULL;
	struct out out = { BUF_INIT, BUF_INIT, 0 };
	char *id = NULL;
	int status = -1;

	if (!engine_up(&d, true))
		return;
	check_ok(start_sleeper(d, NULL, &id));
	check_ok(exec_sh(d, id, "echo hi; echo e >&2; exit 7", &out, &status));
	check_int(status, ==, 7);
	check_str(out.o.ptr, "hi\n");
	check_str(out.e.ptr, "e\n");

	out_release(&out);
	svec_pushl(&spec.cmd, "sh", "-c", "echo $X; pwd; id -u", (char *)NULL);
	svec_push(&spec.env, "X=y");
	spec.workdir = "/etc";
	spec.user = "travis";
	check_ok(docker_exec_run(d, id, &spec, collect, &out, &status));
	check_int(status, ==, 0);
	check_str(out.o.ptr, "y\n/etc\n2000\n");

	/* A TTY exec gives one raw stream. */
	out_release(&out);
	spec.tty = true;
	spec.user = NULL;
	svec_release(&spec.cmd);
	svec_pushl(&spec.cmd, "sh", "-c", "echo tty >&2; test -t 1",
		   (char *)NULL);
	check_ok(docker_exec_run(d, id, &spec, collect, &out, &status));
	check_int(status, ==, 0);
	check_str(out.o.ptr, "tty\r\n");
	check_int(out.e.len, ==, 0);

	check_ok(docker_container_remove(d, id, true));
	free(id);
	out_release(&out);
	docker_spec_release(&spec);
	docker_close(d);
}

void test_docker__engine_archive_round_trip(void)
{
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	struct docker *d = NULL;
	struct out out = { BUF_INIT, BUF_INIT, 0 };
	struct buf b = BUF_INIT;
	struct stat st;
	char *id = NULL;
	int status = -1;

	if (!engine_up(&d, true))
		return;
	check(!fs_mkdir_p("tree/sub", 0755));
	check_ok(fs_write_file("tree/f.txt", "file\n", 5, 0640));
	check_ok(fs_write_file("tree/sub/run.sh", "echo ran\n", 9, 0755));
	check(!symlink("f.txt", "tree/ln"));
	/* Engines before 23 look the user up on the host: nobody is there. */
	check_ok(start_sleeper(d, "nobody", &id));

	/* Up, owned by the container's user (chown) or by root. */
	check_ok(tarball_pack_new(&p, &opts));
	check_ok(tarball_pack_add(p, "tree", "tree"));
	check_ok(docker_archive_put(d, id, "/tmp", true, tarball_pack_pull, p));
	tarball_pack_free(p);
	check_ok(tarball_pack_new(&p, &opts));
	tarball_pack_add_data(p, "rootfile", "r", 1, 0600);
	check_ok(
		docker_archive_put(d, id, "/tmp", false, tarball_pack_pull, p));
	tarball_pack_free(p);
	check_ok(exec_sh(d, id,
			 "cat /tmp/tree/f.txt; sh /tmp/tree/sub/run.sh; "
			 "stat -c '%U %a %n' /tmp/tree/f.txt /tmp/rootfile; "
			 "readlink /tmp/tree/ln",
			 &out, &status));
	check_int(status, ==, 0);
	check_str(out.o.ptr, "file\nran\nnobody 640 /tmp/tree/f.txt\n"
			     "root 600 /tmp/rootfile\nf.txt\n");

	/* And down again. */
	check_ok(docker_archive_get(d, id, "/tmp/tree", "back"));
	check_ok(fs_read_file(&b, "back/tree/sub/run.sh"));
	check_str(b.ptr, "echo ran\n");
	check_int(stat("back/tree/f.txt", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0640);
	check_int(lstat("back/tree/ln", &st), ==, 0);
	check(S_ISLNK(st.st_mode));

	/* Errors come with the engine's words. */
	check_int(docker_archive_get(d, id, "/no/such/path", "back"), ==,
		  FY_ENOTFOUND);
	check(!strncmp(err_msg(), "docker: copy '/no/such/path' out of", 35));
	check(strstr(err_msg(), "/no/such/path"));
	check_ok(tarball_pack_new(&p, &opts));
	tarball_pack_add_data(p, "x", "x", 1, 0600);
	check_int(docker_archive_put(d, id, "/no/such/dir", false,
				     tarball_pack_pull, p),
		  ==, FY_ENOTFOUND);
	tarball_pack_free(p);

	check_ok(docker_container_remove(d, id, true));
	free(id);
	buf_release(&b);
	out_release(&out);
	docker_close(d);
}

void test_docker__engine_list_by_label_and_clean_up(void)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	struct docker *d = NULL;
	struct val *list = NULL;
	char label[64], *ids[3] = { NULL, NULL, NULL };

	if (!engine_up(&d, true))
		return;
	snprintf(label, sizeof(label), DOCKER_LABEL ".run=%ld-%ld",
		 (long)getpid(), (long)time(NULL));
	spec.image = test_image();
	svec_push(&spec.cmd, "true");
	svec_push(&spec.labels, DOCKER_LABEL ".test=unit");
	check_ok(docker_container_create(d, &spec, &ids[0]));
	svec_push(&spec.labels, label);
	check_ok(docker_container_create(d, &spec, &ids[1]));
	check_ok(docker_container_create(d, &spec, &ids[2]));
	check_ok(docker_container_start(d, ids[2]));

	check_ok(docker_container_list(d, label, true, &list));
	check_int(list->seq.n, ==, 2);
	for (size_t i = 0; i < list->seq.n; i++) {
		const char *id = val_strv(val_map_get(list->seq.v[i], "Id"));

		check(id && (!strcmp(id, ids[1]) || !strcmp(id, ids[2])));
		check_ok(docker_container_remove(d, id, true));
	}
	val_free(list);
	list = NULL;
	check_ok(docker_container_list(d, label, true, &list));
	check_int(list->seq.n, ==, 0);
	check_ok(docker_container_remove(d, ids[0], false));
	check_int(docker_container_remove(d, ids[0], false), ==, FY_ENOTFOUND);
	val_free(list);
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		free(ids[i]);
	docker_spec_release(&spec);
	docker_close(d);
}

void test_docker__engine_inspect_stop_kill_logs(void)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	struct docker_state st = DOCKER_STATE_INIT;
	struct docker_stream *s = NULL;
	struct docker *d = NULL;
	struct out out = { BUF_INIT, BUF_INIT, 0 };
	char *id = NULL;
	int status = -1;

	if (!engine_up(&d, true))
		return;
	spec.image = test_image();
	svec_pushl(&spec.cmd, "sh", "-c",
		   "echo started; echo warn >&2; "
		   "exec sleep 120",
		   (char *)NULL);
	spec.init = true; /* so that SIGTERM reaches sleep */
	check_ok(docker_container_create(d, &spec, &id));
	check_ok(docker_container_inspect(d, id, &st, NULL));
	check_str(st.status, "created");
	check_ok(docker_container_start(d, id));
	check_ok(docker_container_start(d, id)); /* already running: fine */
	check_ok(docker_container_inspect(d, id, &st, NULL));
	check_str(st.status, "running");
	check(st.running);
	check_int(st.pid, >, 0);
	check(st.sandbox_key && *st.sandbox_key);
	check_ok(docker_container_stop(d, id, 5));
	check_ok(docker_container_wait(d, id, &status));
	check_int(status, ==, 143);
	check_ok(docker_container_stop(d, id, 5)); /* not running: fine */
	check_ok(docker_container_kill(d, id, NULL));
	check_ok(docker_container_inspect(d, id, &st, NULL));
	check_str(st.status, "exited");
	check(!st.running);
	check_int(st.exit_code, ==, 143);
	check_int(st.pid, ==, 0);

	check_ok(docker_container_logs(d, id, false, false, &s));
	check_ok(docker_stream_drain(s, collect, &out));
	docker_stream_close(s);
	check_str(out.o.ptr, "started\n");
	check_str(out.e.ptr, "warn\n");

	check_ok(docker_container_remove(d, id, false));
	docker_state_release(&st);
	free(id);
	out_release(&out);
	docker_spec_release(&spec);
	docker_close(d);
}

void test_docker__engine_shared_network_namespace(void)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	struct docker_state st = DOCKER_STATE_INIT;
	struct docker *d = NULL;
	struct out a = { BUF_INIT, BUF_INIT, 0 }, b = { BUF_INIT, BUF_INIT, 0 };
	char *id = NULL, *mode = NULL;
	int status = -1;

	if (!engine_up(&d, true))
		return;
	check_ok(start_sleeper(d, NULL, &id));
	check_ok(exec_sh(d, id, "readlink /proc/self/ns/net", &a, &status));
	mode = xasprintf("container:%s", id);
	spec.image = test_image();
	svec_push(&spec.labels, DOCKER_LABEL ".test=unit");
	spec.network_mode = mode;
	svec_pushl(&spec.cmd, "readlink", "/proc/self/ns/net", (char *)NULL);
	check_ok(docker_run(d, &spec, collect, &b, &status));
	check_int(status, ==, 0);
	check(a.o.len > 5);
	check_str(b.o.ptr, a.o.ptr);
	check_ok(docker_container_inspect(d, id, &st, NULL));
	check_str(st.network_mode, "default");
	check_ok(docker_container_remove(d, id, true));
	docker_state_release(&st);
	free(mode);
	free(id);
	out_release(&a);
	out_release(&b);
	docker_spec_release(&spec);
	docker_close(d);
}

static void *raise_later(void *flag)
{
	struct timespec ts = { 0, 300 * 1000000L };

	nanosleep(&ts, NULL);
	atomic_store((atomic_bool *)flag, true);
	return NULL;
}

void test_docker__engine_pump_idle_and_cancel(void)
{
	struct docker_spec spec = DOCKER_SPEC_INIT;
	struct docker_stream *s = NULL;
	struct docker *d = NULL;
	struct out out = { BUF_INIT, BUF_INIT, 0 };
	atomic_bool flag = false;
	char *id = NULL;
	int idle = 0, err = 0;
	bool done = false;
	pthread_t th;

	if (!engine_up(&d, true))
		return;
	spec.image = test_image();
	svec_push(&spec.labels, DOCKER_LABEL ".test=unit");
	svec_pushl(&spec.cmd, "sh", "-c", "echo a; sleep 1; echo b; sleep 60",
		   (char *)NULL);
	check_ok(docker_container_create(d, &spec, &id));
	check_ok(docker_container_attach(d, id, false, &s));
	check_ok(docker_container_start(d, id));
	while (!strstr(out.o.ptr, "b\n")) {
		size_t before = out.o.len;

		check_ok(docker_stream_pump(s, 100, collect, &out, &done));
		check(!done);
		if (out.o.len == before)
			idle++;
	}
	check_str(out.o.ptr, "a\nb\n");
	check_int(idle, >=, 5);

	docker_set_cancel(d, &flag);
	check_int(pthread_create(&th, NULL, raise_later, &flag), ==, 0);
	while (!err && !done)
		err = docker_stream_pump(s, -1, collect, &out, &done);
	pthread_join(th, NULL);
	check_int(err, ==, FY_ECANCELED);
	check(strstr(err_msg(), "attach to container"));
	docker_stream_close(s);
	check_int(docker_container_kill(d, id, NULL), ==, FY_ECANCELED);
	docker_set_cancel(d, NULL);
	check_ok(docker_container_remove(d, id, true));
	free(id);
	out_release(&out);
	docker_spec_release(&spec);
	docker_close(d);
}

void test_docker__engine_image_import_tag_remove(void)
{
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	struct svec changes = SVEC_INIT;
	struct docker *d = NULL;
	struct val *img = NULL, *list = NULL;
	char ref[64], ref2[64], label[64];
	char *id = NULL;
	bool found = false;

	if (!engine_up(&d, false))
		return;
	snprintf(ref, sizeof(ref), "ferry-test/tiny:%ld", (long)getpid());
	snprintf(ref2, sizeof(ref2), "ferry-test/tiny2:%ld", (long)getpid());
	snprintf(label, sizeof(label), DOCKER_LABEL ".test=tiny%ld",
		 (long)getpid());
	check_ok(tarball_pack_new(&p, &opts));
	tarball_pack_add_data(p, "hello.txt", "hello\n", 6, 0644);
	svec_pushf(&changes, "LABEL %s", label);
	svec_push(&changes, "ENV TINY=1");
	check_ok(docker_image_import(d, tarball_pack_pull, p, ref, &changes,
				     &id));
	tarball_pack_free(p);
	check(!strncmp(id, "sha256:", 7));
	check_ok(docker_image_inspect(d, ref, &img));
	check_str(val_strv(val_map_get(img, "Id")), id);
	check_str(val_strv(val_map_get(val_map_get(img, "Config"), "Env")
				   ->seq.v[0]),
		  "TINY=1");
	check_ok(docker_image_tag(d, ref, ref2));
	check_ok(docker_image_inspect(d, ref2, NULL));
	check_ok(docker_image_list(d, label, &list));
	for (size_t i = 0; i < list->seq.n; i++)
		found |= !strcmp(val_strv(val_map_get(list->seq.v[i], "Id")),
				 id);
	check(found);
	check_ok(docker_image_remove(d, ref2, false));
	check_ok(docker_image_remove(d, ref, false));
	check_int(docker_image_inspect(d, ref, NULL), ==, FY_ENOTFOUND);
	val_free(list);
	val_free(img);
	free(id);
	svec_release(&changes);
	docker_close(d);
}

struct seen {
	int lines, sized;
	bool layer_done;
	struct buf last;
};

static void on_progress(const struct docker_progress *p, void *payload)
{
	struct seen *s = payload;

	s->lines++;
	if (p->total > 0 && p->current > 0 && p->current <= p->total && p->id)
		s->sized++;
	if (p->status && strstr(p->status, "Pull complete"))
		s->layer_done = true;
	buf_reset(&s->last);
	buf_addstr(&s->last, p->status ? p->status : "");
}

void test_docker__engine_registry_pull(void)
{
	const char *reg = getenv("FERRY_TEST_REGISTRY");
	struct seen seen = { 0, 0, false, BUF_INIT };
	struct docker *d = NULL;
	char ref[128], none[128], untagged[128];

	if (!reg) {
		printf("    skipped: no registry (tests/suites/30-docker.sh "
		       "starts one)\n");
		return;
	}
	if (!engine_up(&d, false))
		return;
	snprintf(ref, sizeof(ref), "%s/ferry-test/tiny:1", reg);
	snprintf(none, sizeof(none), "%s/ferry-test/tiny:nope", reg);
	snprintf(untagged, sizeof(untagged), "%s/ferry-test/tiny", reg);
	docker_image_remove(d, ref, true);
	check_ok(docker_image_pull(d, ref, NULL, on_progress, &seen));
	check_int(seen.lines, >=, 3);
	check_int(seen.sized, >=, 1);
	check(seen.layer_done);
	check(strstr(seen.last.ptr, "Downloaded newer image for"));
	check_ok(docker_image_inspect(d, ref, NULL));
	check_ok(docker_image_remove(d, ref, false));

	check(docker_image_pull(d, none, NULL, NULL, NULL) < 0);
	check(strstr(err_msg(), "docker: pull '"));
	check(strstr(err_msg(), "tiny:nope"));
	check(strstr(err_msg(), "manifest unknown"));
	/* No tag means :latest, never every tag. */
	check(docker_image_pull(d, untagged, NULL, NULL, NULL) < 0);
	check(strstr(err_msg(), "tiny:latest"));
	check_int(docker_image_inspect(d, ref, NULL), ==, FY_ENOTFOUND);
	buf_release(&seen.last);
	docker_close(d);
}

/* TLS: the second engine started by tests/suites/30-docker.sh. */

static bool tls_env(const char **host, const char **certs, const char **other)
{
	*host = getenv("FERRY_TLS_DOCKER_HOST");
	*certs = getenv("FERRY_TLS_CERTS");
	*other = getenv("FERRY_TLS_OTHER_CERTS");
	if (*host && *certs && *other)
		return true;
	printf("    skipped: no TLS engine (tests/suites/30-docker.sh "
	       "starts one)\n");
	return false;
}

/* A tiny image of the host's echo and its libraries. */
static int import_echo(struct docker *d, const char *ref)
{
	static const char *const files[][2] = {
		{ "/bin/echo", "bin/echo" },
		{ "/lib/x86_64-linux-gnu/libc.so.6",
		  "lib/x86_64-linux-gnu/libc.so.6" },
		{ "/lib64/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2" },
	};
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	int err = tarball_pack_new(&p, &opts);

	for (size_t i = 0; !err && i < ARRAY_SIZE(files); i++) {
		char *real = realpath(files[i][0], NULL);

		err = real ? tarball_pack_add(p, real, files[i][1])
			   : err_errno("cannot find '%s'", files[i][0]);
		free(real);
	}
	if (!err)
		err = docker_image_import(d, tarball_pack_pull, p, ref, NULL,
					  NULL);
	tarball_pack_free(p);
	return err;
}

void test_docker_tls__verified_engine(void)
{
	struct docker_endpoint ep = { NULL };
	struct docker_spec spec = DOCKER_SPEC_INIT;
	struct docker *d = NULL;
	struct out out = { BUF_INIT, BUF_INIT, 0 };
	const char *host, *certs, *other;
	char *id = NULL;
	int status = -1;

	if (!tls_env(&host, &certs, &other))
		return;
	ep.host = host;
	ep.tls = ep.tls_verify = true;
	ep.cert_path = certs;
	check_ok(docker_open(&d, &ep));
	check_str(docker_host(d), host);
	check(strtod(docker_api_version(d), NULL) >= 1.30);

	/* Engine errors, an import, and a run with its output streams. */
	spec.image = "ferry-no-such-image:latest";
	check_int(docker_container_create(d, &spec, &id), ==, FY_ENOTFOUND);
	check_str(err_msg(), "docker: create container: No such image: "
			     "ferry-no-such-image:latest");
	check_ok(import_echo(d, "ferry-test/echo:tls"));
	spec.image = "ferry-test/echo:tls";
	spec.network_mode = "none";
	svec_pushl(&spec.cmd, "/bin/echo", "over", "tls", (char *)NULL);
	check_ok(docker_run(d, &spec, collect, &out, &status));
	check_int(status, ==, 0);
	check_str(out.o.ptr, "over tls\n");
	check_ok(docker_image_remove(d, "ferry-test/echo:tls", true));
	out_release(&out);
	docker_spec_release(&spec);
	docker_close(d);
}

void test_docker_tls__refuses_other_ca_and_no_client_cert(void)
{
	struct docker_endpoint ep = { NULL };
	struct docker *d = NULL;
	const char *host, *certs, *other;
	char *want = NULL;

	if (!tls_env(&host, &certs, &other))
		return;
	want = xasprintf("docker: cannot reach the engine at '%s': ", host);
	ep.host = host;
	ep.tls = ep.tls_verify = true;

	/* The engine's certificate is not signed by this CA. */
	ep.cert_path = other;
	check_int(docker_open(&d, &ep), ==, FY_EFAIL);
	check(!strncmp(err_msg(), want, strlen(want)));
	check(strstr(err_msg(), "certificate") || strstr(err_msg(), "SSL"));

	/* The right CA but no client certificate: the engine refuses. */
	check(!mkdir("ca-only", 0755));
	{
		struct buf ca = BUF_INIT;
		char *path = fs_join(certs, "ca.pem");

		check_ok(fs_read_file(&ca, path));
		check_ok(fs_write_file("ca-only/ca.pem", ca.ptr, ca.len, 0644));
		buf_release(&ca);
		free(path);
	}
	ep.cert_path = "ca-only";
	check_int(docker_open(&d, &ep), ==, FY_EFAIL);
	check(!strncmp(err_msg(), want, strlen(want)));

	/* Plain http to the TLS port fails too. */
	ep.tls = ep.tls_verify = false;
	ep.cert_path = NULL;
	check(docker_open(&d, &ep) < 0);
	free(want);
}
