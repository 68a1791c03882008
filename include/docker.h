#ifndef FY_DOCKER_H
#define FY_DOCKER_H

#include "compat.h"

#include <stdatomic.h>

#include "svec.h"

struct val;

/*
 * lifecycle/docker*.c: a client of the Docker Engine API, on http.c.
 *
 * Endpoint.  DOCKER_HOST as the docker CLI reads it: unix:///path (the
 * default is unix:///var/run/docker.sock) or tcp://host[:port].  With
 * tcp://, a non-empty DOCKER_TLS_VERIFY means https with the engine's
 * certificate checked against $DOCKER_CERT_PATH/ca.pem (default
 * ~/.docker) and the client certificate cert.pem + key.pem; DOCKER_TLS
 * alone means https without checking the engine.  DOCKER_API_VERSION pins
 * the API version.  Docker contexts and ssh:// are not supported.
 *
 * API version.  docker_open() asks GET /version, then sends every call
 * to /v<min(engine's version, DOCKER_API_MAX)>/...  Engines older than
 * DOCKER_API_MIN (Docker 17.06) are refused with a clear message.
 *
 * Connections.  One keep-alive connection carries all control calls.
 * An output stream (attach, logs, exec) needs its own connection, since
 * the engine hands the connection over to the stream; a closed stream's
 * client is kept for the next one.  A struct docker is used by one thread
 * at a time: open one per thread.
 *
 * Errors carry the engine's own message:
 *   docker: create container: No such image: foo:latest
 * HTTP 404 gives FY_ENOTFOUND, 400 FY_EINVALID, 401/403 FY_EAUTH, anything
 * else FY_EFAIL.  Transport failures keep http.c's code (FY_ETIMEOUT,
 * FY_ECANCELED when the cancel flag is raised...) and message, prefixed
 * with "docker: <what>: ".
 *
 * Ownership: ids returned through `char **out` are the caller's to
 * free(); trees returned through `struct val **out` are the caller's to
 * val_free(); every pointer argument is borrowed for the call.
 */

#define DOCKER_API_MIN "1.30" /* Docker 17.06: wait conditions */
#define DOCKER_API_MAX "1.43" /* Docker 24 */

/* Container labels ferry sets, to find its own containers and images. */
#define DOCKER_LABEL "io.ferry"

struct docker;

struct docker_endpoint {
	const char *host;	 /* unix:///path or tcp://host[:port] */
	bool tls;		 /* https (tcp:// only) */
	bool tls_verify;	 /* check the engine against ca.pem */
	const char *cert_path;	 /* ca.pem, cert.pem, key.pem */
	const char *api_version; /* "1.41": no negotiation; NULL: ask */
};

/* Fill `ep` from DOCKER_HOST and friends (strings borrowed from environ). */
void docker_endpoint_from_env(struct docker_endpoint *ep);

/* Connect and negotiate the API version; `ep` NULL: from the environment. */
int docker_open(struct docker **out, const struct docker_endpoint *ep);
void docker_close(struct docker *d);

/* Every later call, streams included, ends with FY_ECANCELED once *flag. */
void docker_set_cancel(struct docker *d, const atomic_bool *flag);

const char *docker_host(const struct docker *d);
const char *docker_api_version(const struct docker *d);
const char *docker_engine_version(const struct docker *d);

/* Body uploads (archives, image imports) come from such a callback. */
typedef int (*docker_read_fn)(void *dst, size_t cap, size_t *got,
			      void *payload);

/*
 * Output of a container or exec: `stream` is 1 (stdout) or 2 (stderr).
 * A frame may come in several pieces; return < 0 to stop (that code is
 * passed up).
 */
typedef int (*docker_output_fn)(int stream, const char *data, size_t len,
				void *payload);

/*
 * The multiplexed stdout/stderr stream of a container without a TTY:
 * frames of an 8-byte header {type, 0, 0, 0, size as big-endian u32}
 * and `size` bytes.  Type 0 (stdin) is passed on as stdout, 1 stdout,
 * 2 stderr, 3 the engine's own error text (passed on as stream 3).
 *
 * docker_demux_feed() takes chunks cut anywhere and passes payload
 * bytes on as they come, never holding more than a header: memory stays
 * flat whatever the output's size.  FY_EINVALID for a malformed header;
 * the parser then stays failed.  docker_demux_finish() says whether the
 * input ended between frames.
 */
struct docker_demux {
	unsigned char hdr[8];
	size_t have;   /* header bytes held */
	uint32_t left; /* payload bytes of the current frame still due */
	int stream;
	bool failed;
};
/* clang-format off */
#define DOCKER_DEMUX_INIT { .have = 0 }
/* clang-format on */

int docker_demux_feed(struct docker_demux *m, const void *data, size_t len,
		      docker_output_fn fn, void *payload);
int docker_demux_finish(const struct docker_demux *m);

/* Images. */

struct docker_progress {
	const char *id;		/* layer, or NULL */
	const char *status;	/* "Downloading", "Pull complete"... */
	const char *progress;	/* the engine's progress bar, or NULL */
	int64_t current, total; /* bytes; 0 when unknown */
};
typedef void (*docker_progress_fn)(const struct docker_progress *p,
				   void *payload);

/* FY_ENOTFOUND if there is no such image; `out` may be NULL. */
int docker_image_inspect(struct docker *d, const char *name, struct val **out);
/*
 * Pull `ref` (":latest" when it names no tag or digest), reporting each
 * progress line of the engine's stream to `fn` (may be NULL) as it comes.
 * `auth` is the X-Registry-Auth value, or NULL.
 */
int docker_image_pull(struct docker *d, const char *ref, const char *auth,
		      docker_progress_fn fn, void *payload);
/*
 * Import a root filesystem tar from `fn` as image `ref` (repo[:tag]),
 * applying Dockerfile instructions `changes` ("ENV A=b", "CMD [...]",
 * "LABEL k=v"; may be NULL).  *id_out (may be NULL) gets the image id.
 */
int docker_image_import(struct docker *d, docker_read_fn fn, void *payload,
			const char *ref, const struct svec *changes,
			char **id_out);
int docker_image_tag(struct docker *d, const char *name, const char *ref);
int docker_image_remove(struct docker *d, const char *name, bool force);
/* The engine's list of images carrying `label` ("k" or "k=v"; NULL: all). */
int docker_image_list(struct docker *d, const char *label, struct val **out);

/* Containers. */

struct docker_spec {
	const char *name;	 /* container name, or NULL */
	const char *image;	 /* for containers; ignored by exec */
	struct svec cmd;	 /* empty: the image's CMD */
	struct svec entrypoint;	 /* empty: the image's ENTRYPOINT */
	struct svec env;	 /* "K=V" */
	struct svec labels;	 /* "k=v" */
	struct svec binds;	 /* "src:dst[:ro]"; src a path or a volume */
	struct svec tmpfs;	 /* "path" or "path:options" */
	struct svec extra_hosts; /* "name:ip" */
	const char *workdir;
	const char *user; /* "name", "uid" or "uid:gid" */
	const char *hostname;
	const char *network_mode; /* "host", "none", "container:<id>"... */
	bool tty;		  /* one raw stream instead of two */
	bool open_stdin;	  /* keep stdin open (AttachStdin, OpenStdin) */
	bool init;		  /* run an init as PID 1 (reaps zombies) */
	bool privileged;
	bool auto_remove; /* the engine removes it when it exits (--rm) */
};
/* clang-format off */
#define DOCKER_SPEC_INIT { .cmd = SVEC_INIT, .entrypoint = SVEC_INIT, \
	.env = SVEC_INIT, .labels = SVEC_INIT, .binds = SVEC_INIT, \
	.tmpfs = SVEC_INIT, .extra_hosts = SVEC_INIT }
/* clang-format on */
void docker_spec_release(struct docker_spec *s);

/* Create (auto-removed only with spec->auto_remove); *id_out gets its id. */
int docker_container_create(struct docker *d, const struct docker_spec *spec,
			    char **id_out);
/* Start; starting a running container is not an error. */
int docker_container_start(struct docker *d, const char *id);
/* Wait until it is not running; *exit_code gets its status. */
int docker_container_wait(struct docker *d, const char *id, int *exit_code);
/* Send `signal` ("SIGTERM", "9"...; NULL: SIGKILL); 0 if not running. */
int docker_container_kill(struct docker *d, const char *id, const char *signal);
/* SIGTERM, then SIGKILL after `timeout_s`; 0 if not running. */
int docker_container_stop(struct docker *d, const char *id, int timeout_s);
/* Remove with its anonymous volumes; `force` kills it first if running. */
int docker_container_remove(struct docker *d, const char *id, bool force);
/* The engine's list of containers carrying `label` (NULL: all). */
int docker_container_list(struct docker *d, const char *label, bool all,
			  struct val **out);

struct docker_state {
	char *status; /* "created", "running", "exited"... */
	bool running;
	bool oom_killed;
	int exit_code;
	long pid;	    /* main process on the host; 0 when not running */
	char *network_mode; /* as created */
	char *sandbox_key;  /* its network namespace, e.g. /var/run/... */
};
/* clang-format off */
#define DOCKER_STATE_INIT { .status = NULL }
/* clang-format on */
void docker_state_release(struct docker_state *s);
/* Inspect; `raw` (may be NULL) gets the engine's whole answer. */
int docker_container_inspect(struct docker *d, const char *id,
			     struct docker_state *out, struct val **raw);

/*
 * Output streams.
 *
 *  1. docker_container_attach() before docker_container_start(), or
 *     docker_container_logs(), or docker_exec_start();
 *  2. docker_stream_pump() repeatedly: it waits up to `timeout_ms` (-1:
 *     no limit) for output and hands what came to `fn`; *done turns true
 *     at the end of the stream.  An idle return (nothing came) leaves
 *     *done false: the caller checks its own clocks and calls again.
 *     docker_stream_drain() pumps to the end;
 *  3. docker_stream_close(), at the end or to give up early.
 *
 * `tty` must match the container's (or exec's) Tty setting: a TTY gives
 * one raw stream, passed on as stdout.  A stream belongs to its struct
 * docker: close every stream before docker_close().  Stdin cannot be
 * written through a stream (curl sees a plain HTTP response); feed a
 * container files with docker_archive_put() instead.
 */
struct docker_stream;

int docker_container_attach(struct docker *d, const char *id, bool tty,
			    struct docker_stream **out);
int docker_container_logs(struct docker *d, const char *id, bool follow,
			  bool tty, struct docker_stream **out);
int docker_stream_pump(struct docker_stream *s, int timeout_ms,
		       docker_output_fn fn, void *payload, bool *done);
int docker_stream_drain(struct docker_stream *s, docker_output_fn fn,
			void *payload);
void docker_stream_close(struct docker_stream *s);

/*
 * Run a container to its end: create, attach, start, stream its output
 * to `fn`, wait, remove (also after a failure).  *exit_code gets its
 * exit status.
 */
int docker_run(struct docker *d, const struct docker_spec *spec,
	       docker_output_fn fn, void *payload, int *exit_code);

/*
 * Exec: a command in a running container.  Of the spec, only cmd, env,
 * workdir, user, tty and privileged count.
 */
int docker_exec_create(struct docker *d, const char *id,
		       const struct docker_spec *spec, char **exec_id);
int docker_exec_start(struct docker *d, const char *exec_id, bool tty,
		      struct docker_stream **out);
int docker_exec_inspect(struct docker *d, const char *exec_id, bool *running,
			int *exit_code);
/* All three: create, start, stream to `fn`, then the exit status. */
int docker_exec_run(struct docker *d, const char *id,
		    const struct docker_spec *spec, docker_output_fn fn,
		    void *payload, int *exit_code);

/*
 * Archives.  docker_archive_put() extracts the tar stream from `fn` into
 * directory `path` of the container (which must exist); with `chown` the
 * files belong to the container's user, else to root (the engine ignores
 * the owners in the tar; engines before 23 look the container's user up
 * in the host's passwd file, so it must exist there too, or chown inside
 * the container).  docker_archive_get() copies `path` (a file or
 * a directory, stored under its base name) out of the container into
 * `dir`, with tarball.c's safety checks.
 */
int docker_archive_put(struct docker *d, const char *id, const char *path,
		       bool chown, docker_read_fn fn, void *payload);
int docker_archive_get(struct docker *d, const char *id, const char *path,
		       const char *dir);

#endif
