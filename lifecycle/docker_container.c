/*
 * docker_container.c: containers through the Docker Engine API: create
 * (from a struct docker_spec), start, stop, kill, wait, inspect, attach,
 * logs, remove, docker_run() for the whole of it, and execs.
 */
#include "compat.h"

#include "buf.h"
#include "docker.h"
#include "docker_int.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

/* Containers. */

void docker_spec_release(struct docker_spec *s)
{
	svec_release(&s->cmd);
	svec_release(&s->entrypoint);
	svec_release(&s->env);
	svec_release(&s->labels);
	svec_release(&s->binds);
	svec_release(&s->tmpfs);
	svec_release(&s->extra_hosts);
}

static struct val *strings(const struct svec *s)
{
	struct val *v = val_seq();

	for (size_t i = 0; i < s->n; i++)
		val_seq_push(v, val_str(s->v[i]));
	return v;
}

/* "k=v" (or "k:v" with sep ':') items as a map; "k" alone maps to "". */
static struct val *pairs(const struct svec *s, char sep)
{
	struct val *v = val_map();

	for (size_t i = 0; i < s->n; i++) {
		const char *eq = strchr(s->v[i], sep);
		char *key = eq ? xstrndup(s->v[i], (size_t)(eq - s->v[i]))
			       : xstrdup(s->v[i]);

		val_map_set(v, key, val_str(eq ? eq + 1 : ""));
		free(key);
	}
	return v;
}

static void set_str(struct val *map, const char *key, const char *s)
{
	if (s)
		val_map_set(map, key, val_str(s));
}

static void set_strings(struct val *map, const char *key, const struct svec *s)
{
	if (s->n)
		val_map_set(map, key, strings(s));
}

static struct val *create_body(const struct docker_spec *spec)
{
	struct val *v = val_map(), *hc = val_map();

	set_str(v, "Image", spec->image);
	set_strings(v, "Cmd", &spec->cmd);
	set_strings(v, "Entrypoint", &spec->entrypoint);
	set_strings(v, "Env", &spec->env);
	set_str(v, "WorkingDir", spec->workdir);
	set_str(v, "User", spec->user);
	set_str(v, "Hostname", spec->hostname);
	if (spec->labels.n)
		val_map_set(v, "Labels", pairs(&spec->labels, '='));
	val_map_set(v, "AttachStdin", val_bool(spec->open_stdin));
	val_map_set(v, "AttachStdout", val_bool(true));
	val_map_set(v, "AttachStderr", val_bool(true));
	val_map_set(v, "OpenStdin", val_bool(spec->open_stdin));
	val_map_set(v, "StdinOnce", val_bool(false));
	val_map_set(v, "Tty", val_bool(spec->tty));

	val_map_set(hc, "AutoRemove", val_bool(spec->auto_remove));
	set_strings(hc, "Binds", &spec->binds);
	if (spec->tmpfs.n)
		val_map_set(hc, "Tmpfs", pairs(&spec->tmpfs, ':'));
	set_str(hc, "NetworkMode", spec->network_mode);
	set_strings(hc, "ExtraHosts", &spec->extra_hosts);
	if (spec->init)
		val_map_set(hc, "Init", val_bool(true));
	if (spec->privileged)
		val_map_set(hc, "Privileged", val_bool(true));
	val_map_set(v, "HostConfig", hc);
	return v;
}

int docker_container_create(struct docker *d, const struct docker_spec *spec,
			    char **id_out)
{
	struct val *body = create_body(spec), *ans = NULL;
	struct buf path = BUF_INIT;
	const char *id;
	int err;

	buf_addstr(&path, "/containers/create");
	if (spec->name)
		docker_query(&path, "name", spec->name);
	err = docker_control_json(d, "create container", "POST", path.ptr, body,
				  &ans);
	id = val_strv(val_map_get(ans, "Id"));
	if (!err && !id)
		err = err_set(FY_EFAIL, "docker: create container: no id in "
					"the answer");
	if (!err)
		*id_out = xstrdup(id);
	val_free(ans);
	val_free(body);
	buf_release(&path);
	return err;
}

/* A bodiless container call; statuses in `fine` (0-ended) are success. */
static int container_call(struct docker *d, const char *verb, const char *id,
			  const char *method, const char *rest,
			  const char *params, const long *fine)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "%s container '%s'", verb,
		 docker_short_id(id, sid, sizeof(sid)));
	docker_object_path(&path, "containers", id, rest);
	if (params)
		buf_addf(&path, "?%s", params);
	err = docker_control(d, what, method, path.ptr, NULL, &resp);
	for (size_t i = 0; err && fine && fine[i]; i++)
		if (resp.status == fine[i])
			err = 0;
	http_response_release(&resp);
	buf_release(&path);
	return err;
}

int docker_container_start(struct docker *d, const char *id)
{
	static const long fine[] = { 304, 0 };

	return container_call(d, "start", id, "POST", "/start", NULL, fine);
}

int docker_container_kill(struct docker *d, const char *id, const char *signal)
{
	struct buf params = BUF_INIT;
	int err;

	buf_addstr(&params, "signal=");
	http_escape(&params, signal ? signal : "SIGKILL", false);
	err = container_call(d, "kill", id, "POST", "/kill", params.ptr, NULL);
	if (err < 0 && strstr(err_msg(), "is not running"))
		err = 0;
	buf_release(&params);
	return err;
}

int docker_container_stop(struct docker *d, const char *id, int timeout_s)
{
	static const long fine[] = { 304, 0 };
	char params[32];

	snprintf(params, sizeof(params), "t=%d", timeout_s);
	return container_call(d, "stop", id, "POST", "/stop", params, fine);
}

int docker_container_remove(struct docker *d, const char *id, bool force)
{
	return container_call(d, "remove", id, "DELETE", "",
			      force ? "v=1&force=1" : "v=1", NULL);
}

int docker_container_wait(struct docker *d, const char *id, int *exit_code)
{
	struct buf path = BUF_INIT;
	struct val *ans = NULL;
	const char *msg;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "wait for container '%s'",
		 docker_short_id(id, sid, sizeof(sid)));
	docker_object_path(&path, "containers", id, "/wait");
	err = docker_control_json(d, what, "POST", path.ptr, NULL, &ans);
	msg = val_strv(val_map_get(val_map_get(ans, "Error"), "Message"));
	if (!err && msg && *msg)
		err = err_set(FY_EFAIL, "docker: %s: %s", what, msg);
	if (!err && !val_is(val_map_get(ans, "StatusCode"), VAL_NUM))
		err = err_set(FY_EFAIL, "docker: %s: no status in the answer",
			      what);
	if (!err)
		*exit_code = (int)docker_num(val_map_get(ans, "StatusCode"));
	val_free(ans);
	buf_release(&path);
	return err;
}

int docker_container_list(struct docker *d, const char *label, bool all,
			  struct val **out)
{
	return docker_list(d, "list containers", "/containers/json", label, all,
			   out);
}

void docker_state_release(struct docker_state *s)
{
	free(s->status);
	free(s->network_mode);
	free(s->sandbox_key);
	memset(s, 0, sizeof(*s));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int docker_container_inspect(struct docker *d, const char *id,
			     struct docker_state *out, struct val **raw)
{
	struct buf path = BUF_INIT;
	struct val *ans = NULL, *state;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "inspect container '%s'",
		 docker_short_id(id, sid, sizeof(sid)));
	docker_object_path(&path, "containers", id, "/json");
	err = docker_control_json(d, what, "GET", path.ptr, NULL, &ans);
	buf_release(&path);
	if (err < 0)
		return err;
	state = val_map_get(ans, "State");
	docker_state_release(out);
	out->status = dup_or_null(val_strv(val_map_get(state, "Status")));
	out->running = val_is(val_map_get(state, "Running"), VAL_BOOL) &&
		       val_map_get(state, "Running")->b;
	out->oom_killed = val_is(val_map_get(state, "OOMKilled"), VAL_BOOL) &&
			  val_map_get(state, "OOMKilled")->b;
	out->exit_code = (int)docker_num(val_map_get(state, "ExitCode"));
	out->pid = (long)docker_num(val_map_get(state, "Pid"));
	out->network_mode = dup_or_null(val_strv(
		val_map_get(val_map_get(ans, "HostConfig"), "NetworkMode")));
	out->sandbox_key = dup_or_null(val_strv(val_map_get(
		val_map_get(ans, "NetworkSettings"), "SandboxKey")));
	if (raw)
		*raw = ans;
	else
		val_free(ans);
	return 0;
}

int docker_container_attach(struct docker *d, const char *id, bool tty,
			    struct docker_stream **out)
{
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "attach to container '%s'",
		 docker_short_id(id, sid, sizeof(sid)));
	docker_object_path(&path, "containers", id,
			   "/attach?stream=1&stdout=1&stderr=1");
	err = docker_stream_open(d, what, "POST", &path, NULL, tty, out);
	buf_release(&path);
	return err;
}

int docker_container_logs(struct docker *d, const char *id, bool follow,
			  bool tty, struct docker_stream **out)
{
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "read the logs of container '%s'",
		 docker_short_id(id, sid, sizeof(sid)));
	docker_object_path(&path, "containers", id,
			   follow ? "/logs?stdout=1&stderr=1&follow=1"
				  : "/logs?stdout=1&stderr=1");
	err = docker_stream_open(d, what, "GET", &path, NULL, tty, out);
	buf_release(&path);
	return err;
}

/* Remove a container after a failure, keeping the failure's message. */
static int cleanup_after(struct docker *d, const char *id, int err)
{
	char saved[1024];

	snprintf(saved, sizeof(saved), "%s", err_msg());
	if (docker_container_remove(d, id, true) < 0)
		log_warn("%s", err_msg());
	return err_set(err, "%s", saved);
}

int docker_run(struct docker *d, const struct docker_spec *spec,
	       docker_output_fn fn, void *payload, int *exit_code)
{
	struct docker_stream *s = NULL;
	char *id = NULL;
	int err;

	err = docker_container_create(d, spec, &id);
	if (err < 0)
		return err;
	err = docker_container_attach(d, id, spec->tty, &s);
	if (!err)
		err = docker_container_start(d, id);
	if (!err)
		err = docker_stream_drain(s, fn, payload);
	docker_stream_close(s);
	if (!err)
		err = docker_container_wait(d, id, exit_code);
	if (err < 0)
		err = cleanup_after(d, id, err);
	else
		err = docker_container_remove(d, id, false);
	free(id);
	return err;
}

/* Exec. */

int docker_exec_create(struct docker *d, const char *id,
		       const struct docker_spec *spec, char **exec_id)
{
	struct val *body = val_map(), *ans = NULL;
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	const char *eid;
	int err;

	snprintf(what, sizeof(what), "exec in container '%s'",
		 docker_short_id(id, sid, sizeof(sid)));
	val_map_set(body, "AttachStdin", val_bool(false));
	val_map_set(body, "AttachStdout", val_bool(true));
	val_map_set(body, "AttachStderr", val_bool(true));
	val_map_set(body, "Tty", val_bool(spec->tty));
	set_strings(body, "Cmd", &spec->cmd);
	set_strings(body, "Env", &spec->env);
	set_str(body, "WorkingDir", spec->workdir);
	set_str(body, "User", spec->user);
	if (spec->privileged)
		val_map_set(body, "Privileged", val_bool(true));
	docker_object_path(&path, "containers", id, "/exec");
	err = docker_control_json(d, what, "POST", path.ptr, body, &ans);
	eid = val_strv(val_map_get(ans, "Id"));
	if (!err && !eid)
		err = err_set(FY_EFAIL, "docker: %s: no id in the answer",
			      what);
	if (!err)
		*exec_id = xstrdup(eid);
	val_free(ans);
	val_free(body);
	buf_release(&path);
	return err;
}

int docker_exec_start(struct docker *d, const char *exec_id, bool tty,
		      struct docker_stream **out)
{
	struct val *body = val_map();
	struct buf path = BUF_INIT;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "start exec '%s'",
		 docker_short_id(exec_id, sid, sizeof(sid)));
	val_map_set(body, "Detach", val_bool(false));
	val_map_set(body, "Tty", val_bool(tty));
	docker_object_path(&path, "exec", exec_id, "/start");
	err = docker_stream_open(d, what, "POST", &path, body, tty, out);
	val_free(body);
	buf_release(&path);
	return err;
}

int docker_exec_inspect(struct docker *d, const char *exec_id, bool *running,
			int *exit_code)
{
	struct buf path = BUF_INIT;
	struct val *ans = NULL, *r;
	char what[200], sid[16];
	int err;

	snprintf(what, sizeof(what), "inspect exec '%s'",
		 docker_short_id(exec_id, sid, sizeof(sid)));
	docker_object_path(&path, "exec", exec_id, "/json");
	err = docker_control_json(d, what, "GET", path.ptr, NULL, &ans);
	buf_release(&path);
	if (err < 0)
		return err;
	r = val_map_get(ans, "Running");
	*running = val_is(r, VAL_BOOL) && r->b;
	*exit_code = (int)docker_num(val_map_get(ans, "ExitCode"));
	val_free(ans);
	return 0;
}

int docker_exec_run(struct docker *d, const char *id,
		    const struct docker_spec *spec, docker_output_fn fn,
		    void *payload, int *exit_code)
{
	struct docker_stream *s = NULL;
	char *eid = NULL;
	bool running = false;
	int err;

	err = docker_exec_create(d, id, spec, &eid);
	if (!err)
		err = docker_exec_start(d, eid, spec->tty, &s);
	if (!err)
		err = docker_stream_drain(s, fn, payload);
	docker_stream_close(s);
	if (!err)
		err = docker_exec_inspect(d, eid, &running, exit_code);
	if (!err && running)
		err = err_set(FY_EFAIL,
			      "docker: exec '%.12s' still runs after "
			      "its output ended",
			      eid);
	free(eid);
	return err;
}
