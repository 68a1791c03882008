/*
 * job.c: one job in a Docker container (job.h).
 */
#include "compat.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "deployer.h"
#include "docker.h"
#include "error.h"
#include "fs.h"
#include "job.h"
#include "joblog.h"
#include "log.h"
#include "mask.h"
#include "script.h"
#include "services.h"
#include "svec.h"
#include "tarball.h"
#include "val.h"
#include "xalloc.h"

#define CTL_MAX	  4096 /* longest control line from the script */
#define PUMP_MS	  250
#define FERRY_DIR ".ferry"

/* A hand-off request read from the script's output. */
struct request {
	char *verb, *arg;
	unsigned long seq;
};

struct run {
	const struct job_spec *spec;
	struct docker *d;
	char *id;	      /* the job container */
	struct svec sidecars; /* service containers */
	struct joblog *log;
	bool limited; /* the log limit was passed */
	int log_err;  /* first log file error */
	const char *home;
	/* control-line scanner (stdout only) */
	struct buf ctl;
	bool in_ctl;
	struct request *reqs;
	size_t nreqs, alloc;
	/* a deploy's extra secrets (found while deploying) */
	struct mask_set *extra;
	struct cache_job *cache; /* the build cache's state (cache.h) */
	/*
	 * With a local engine the job's files are bind mounts of a staging
	 * directory on this host: <stage>/ferry is ~/.ferry (the script and
	 * the hand-off files), <stage>/ws the workspace.  With a remote
	 * engine they are copied in and out through the archive API.
	 */
	bool local;
	char *stage;
	bool exited; /* the script's exit line was seen */
	int exit_status;
};

const char *job_state_name(enum job_state s)
{
	switch (s) {
	case JOB_PASSED:
		return "passed";
	case JOB_FAILED:
		return "failed";
	case JOB_ERRORED:
		return "errored";
	case JOB_CANCELED:
		return "canceled";
	}
	BUG("bad job state %d", (int)s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void log_bytes(struct run *r, const void *data, size_t len)
{
	int err;

	if (!len || r->limited)
		return;
	err = joblog_write(r->log, data, len);
	if (err == FY_ETOOBIG)
		r->limited = true;
	else if (err < 0 && !r->log_err)
		r->log_err = err;
}

static void say(void *payload, const char *fmt, ...)
{
	struct run *r = payload;
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	log_bytes(r, b.ptr, b.len);
	buf_release(&b);
}

static void queue_request(struct run *r, const char *line, size_t len)
{
	/* "\036ferry:VERB:SEQ:ARG" without the newline */
	struct svec parts = SVEC_INIT;
	char *text = xmemdupz(line + 1, len - 1);
	struct request *q;
	char *arg;

	arg = NULL;
	svec_split(&parts, text, ":", false);
	if (parts.n < 3 || strcmp(parts.v[0], "ferry")) {
		log_bytes(r, line, len);
		log_bytes(r, "\n", 1);
		goto out;
	}
	{
		/* the argument is everything after the third colon */
		const char *p = strchr(text, ':');

		p = p ? strchr(p + 1, ':') : NULL;
		p = p ? strchr(p + 1, ':') : NULL;
		arg = xstrdup(p ? p + 1 : "");
	}
	if (!strcmp(parts.v[1], "exit")) {
		/* the wrapper's last line: the script's exit status */
		r->exited = true;
		r->exit_status = (int)strtol(arg, NULL, 10);
		free(arg);
		goto out;
	}
	XGROW(r->reqs, r->alloc, r->nreqs + 1);
	q = &r->reqs[r->nreqs++];
	q->verb = xstrdup(parts.v[1]);
	q->seq = strtoul(parts.v[2], NULL, 10);
	q->arg = arg;
out:
	svec_release(&parts);
	free(text);
}

/* Split the script's stdout into job output and control lines. */
static int on_output(int stream, const char *data, size_t len, void *payload)
{
	struct run *r = payload;
	const char *p = data, *end = data + len;

	if (stream != 1) {
		log_bytes(r, data, len);
		return 0;
	}
	while (p < end) {
		if (r->in_ctl) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

			buf_add(&r->ctl, p, n);
			p += n;
			if (r->ctl.len > CTL_MAX) {
				/* not one of ours: pass it through */
				log_bytes(r, r->ctl.ptr, r->ctl.len);
				buf_reset(&r->ctl);
				r->in_ctl = false;
				continue;
			}
			if (nl) {
				queue_request(r, r->ctl.ptr, r->ctl.len);
				buf_reset(&r->ctl);
				r->in_ctl = false;
				p++;
			}
			continue;
		}
		{
			const char *rs = memchr(p, '\036', (size_t)(end - p));

			if (!rs) {
				log_bytes(r, p, (size_t)(end - p));
				break;
			}
			log_bytes(r, p, (size_t)(rs - p));
			r->in_ctl = true;
			buf_addch(&r->ctl, '\036');
			p = rs + 1;
		}
	}
	return 0;
}

/* --- copying files in and out --- */

struct upload {
	struct tarball_pack *pack;
};

static int pull(void *dst, size_t cap, size_t *got, void *payload)
{
	return tarball_pack_read(payload, dst, cap, got);
}

/* Write reply.N then done.N into the container (the script waits). */
static int reply(struct run *r, unsigned long seq, int status)
{
	struct tarball_opts o = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	char name[128], text[32];
	int err;

	snprintf(text, sizeof(text), "%d\n", status);
	if (r->local) {
		char *path = xasprintf("%s/ferry/reply.%lu", r->stage, seq);

		err = fs_write_file(path, text, strlen(text), 0644);
		free(path);
		if (!err) {
			path = xasprintf("%s/ferry/done.%lu", r->stage, seq);
			err = fs_write_file(path, "", 0, 0644);
			free(path);
		}
		return err;
	}
	o.uid = o.gid = 0;
	err = tarball_pack_new(&p, &o);
	if (err < 0)
		return err;
	snprintf(name, sizeof(name), "reply.%lu", seq);
	tarball_pack_add_data(p, name, text, strlen(text), 0644);
	snprintf(name, sizeof(name), "done.%lu", seq);
	tarball_pack_add_data(p, name, "", 0, 0644);
	{
		char *dir = xasprintf("%s/%s", r->home, FERRY_DIR);

		err = docker_archive_put(r->d, r->id, dir, false, pull, p);
		free(dir);
	}
	tarball_pack_free(p);
	return err;
}

/* Read a small file of the container (the script's saved state). */
static int read_file(struct run *r, const char *path, struct buf *out)
{
	char *tmp = NULL, *local;
	int err;

	if (r->local) {
		/* ~/.ferry is <stage>/ferry */
		char *p = xasprintf("%s/ferry/%s", r->stage, fs_basename(path));

		buf_set_limit(out, 16u << 20);
		err = fs_read_file(out, p);
		free(p);
		return err;
	}
	err = fs_tmpdir(&tmp, "ferry-get");
	if (err < 0)
		return err;
	err = docker_archive_get(r->d, r->id, path, tmp);
	if (!err) {
		local = fs_join(tmp, fs_basename(path));
		buf_set_limit(out, 16u << 20);
		err = fs_read_file(out, local);
		free(local);
	}
	fs_rm_rf(tmp);
	free(tmp);
	return err;
}

/* --- hand-offs --- */

struct pull_progress {
	const char *image;
	double last;
	int64_t current, total;
};

/* Pull progress on a terminal: one line, updated in place. */
static void on_pull(const struct docker_progress *p, void *payload)
{
	struct pull_progress *pp = payload;

	if (p->total > 0) {
		pp->current = p->current;
		pp->total = p->total;
	}
	if (now_s() - pp->last < 0.2)
		return;
	pp->last = now_s();
	fprintf(stderr, "\rPulling %s: %s %s%-20s", pp->image,
		p->id ? p->id : "", p->status ? p->status : "",
		p->progress ? p->progress : "");
}

/* The image must be there: pull it (progress on stderr, not in the log). */
static int ensure_image_cb(void *payload, const char *image)
{
	struct run *r = payload;
	struct pull_progress pp = { .image = image };
	bool tty = isatty(2);
	int err = docker_image_inspect(r->d, image, NULL);

	if (err != FY_ENOTFOUND)
		return err;
	fprintf(stderr, "ferry: pulling %s%s", image, tty ? "" : "\n");
	err = docker_image_pull(r->d, image, NULL, tty ? on_pull : NULL, &pp);
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (!err)
		fprintf(stderr, "ferry: pulled %s\n", image);
	return err;
}

static int do_services(struct run *r, const char *names)
{
	struct service_opts so = { 0 };

	so.conf = r->spec->services_conf;
	so.run_id = r->spec->run_id;
	so.say = say;
	so.ensure_image = ensure_image_cb;
	so.payload = r;
	/* As with Travis, a service that fails does not stop the job. */
	services_start(r->d, r->id, names, &so, &r->sidecars);
	return 0;
}

/* The job's environment from `env -0` output, as a map. */
static struct val *parse_env(const struct buf *b)
{
	struct val *env = val_map();
	size_t i = 0;

	while (i < b->len) {
		const char *e = b->ptr + i;
		size_t n = strnlen(e, b->len - i);
		const char *eq = memchr(e, '=', n);

		if (eq && eq > e) {
			char *k = xmemdupz(e, (size_t)(eq - e));

			val_map_set(env, k,
				    val_strn(eq + 1, n - (size_t)(eq - e) - 1));
			free(k);
		}
		i += n + 1;
	}
	return env;
}

struct deploy_io {
	struct run *r;
	struct val *env;
	const char *cwd;
	struct svec secrets;
};

static void deploy_write(void *payload, const char *data, size_t len)
{
	struct deploy_io *io = payload;
	struct run *r = io->r;

	if (r->extra) {
		struct buf b = BUF_INIT;

		mask_string(r->extra, data, len, &b);
		log_bytes(r, b.ptr, b.len);
		buf_release(&b);
	} else {
		log_bytes(r, data, len);
	}
}

static void deploy_add_secret(void *payload, const char *secret)
{
	struct deploy_io *io = payload;
	struct mask_set *set = NULL;

	if (!secret || svec_has(&io->secrets, secret))
		return;
	svec_push(&io->secrets, secret);
	if (mask_set_new(&set, (const char *const *)io->secrets.v,
			 io->secrets.n) < 0)
		return;
	mask_set_free(io->r->extra);
	io->r->extra = set;
}

static int exec_out(int stream, const char *data, size_t len, void *payload)
{
	deploy_write(payload, data, len);
	return 0;
}

static int deploy_exec(void *payload, const char *command, int *status)
{
	struct deploy_io *io = payload;
	struct docker_spec s = DOCKER_SPEC_INIT;
	int err;

	svec_pushl(&s.cmd, "bash", "-c", command, (char *)NULL);
	for (size_t i = 0; io->env && i < io->env->map.n; i++)
		svec_pushf(&s.env, "%s=%s", io->env->map.v[i].key,
			   val_text(io->env->map.v[i].v));
	s.workdir = io->cwd;
	err = docker_exec_run(io->r->d, io->r->id, &s, exec_out, io, status);
	docker_spec_release(&s);
	return err;
}

static const struct val *deploy_entry(const struct val *job, size_t index)
{
	const struct val *d = val_map_get(job, "deploy");

	if (d && d->type == VAL_MAP)
		return index ? NULL : d;
	if (d && d->type == VAL_SEQ && index < d->seq.n)
		return d->seq.v[index];
	return NULL;
}

static int do_deploy(struct run *r, unsigned long seq, size_t index)
{
	const struct job_spec *spec = r->spec;
	const struct val *opts = deploy_entry(spec->config, index);
	const char *provider = val_text(val_map_get(opts, "provider"));
	const struct deployer *dep = deployer_find(provider);
	struct deploy_io io = { .r = r, .secrets = SVEC_INIT };
	struct deploy_ctx ctx = { 0 };
	struct buf envb = BUF_INIT, pwdb = BUF_INIT;
	char *path = NULL, *tmp = NULL, *ws = NULL;
	int err;

	if (!dep) {
		say(r,
		    "\033[31;1mferry has no built-in deploy provider '%s' "
		    "(built in: s3, codedeploy, script)\033[0m\n",
		    provider ? provider : "");
		return 1;
	}
	path = xasprintf("%s/%s/env.%lu", r->home, FERRY_DIR, seq);
	err = read_file(r, path, &envb);
	free(path);
	path = xasprintf("%s/%s/pwd.%lu", r->home, FERRY_DIR, seq);
	if (!err)
		err = read_file(r, path, &pwdb);
	free(path);
	if (err < 0)
		goto out;
	buf_rtrim(&pwdb);
	io.env = parse_env(&envb);
	io.cwd = pwdb.ptr;
	ctx.opts = opts;
	ctx.index = index;
	ctx.env = io.env;
	ctx.slug = spec->info.slug;
	ctx.branch = spec->info.branch;
	ctx.tag = spec->info.tag;
	ctx.commit = spec->info.commit;
	ctx.build_number = spec->info.build_number;
	ctx.job_number = spec->info.job_number;
	ctx.dry_run = spec->deploy_dry_run;
	ctx.color = spec->term && spec->term->colour;
	ctx.write = deploy_write;
	ctx.add_secret = deploy_add_secret;
	ctx.exec = deploy_exec;
	ctx.payload = &io;
	ctx.workspace = "";
	ctx.cwd = "";
	if (strcmp(dep->name, "script")) {
		/* The provider reads the job's files: copy them out. */
		err = fs_tmpdir(&tmp, "ferry-deploy");
		if (err < 0)
			goto out;
		char *wsdir =
			xasprintf("%s/build/%s", r->home, spec->info.slug);
		size_t wlen = strlen(wsdir);

		if (r->local && !strncmp(pwdb.ptr, wsdir, wlen) &&
		    (pwdb.ptr[wlen] == '/' || !pwdb.ptr[wlen])) {
			/* the workspace is a bind mount: read it in place */
			ws = xasprintf("%s/ws", r->stage);
			ctx.cwd = pwdb.ptr[wlen] ? pwdb.ptr + wlen + 1 : "";
			err = 0;
		} else if (!strncmp(pwdb.ptr, wsdir, wlen) &&
			   (pwdb.ptr[wlen] == '/' || !pwdb.ptr[wlen])) {
			/* a copy of $TRAVIS_BUILD_DIR, the job's cwd inside */
			err = docker_archive_get(r->d, r->id, wsdir, tmp);
			ws = fs_join(tmp, fs_basename(wsdir));
			ctx.cwd = pwdb.ptr[wlen] ? pwdb.ptr + wlen + 1 : "";
		} else {
			err = docker_archive_get(r->d, r->id, pwdb.ptr, tmp);
			ws = fs_join(tmp, fs_basename(pwdb.ptr));
		}
		free(wsdir);
		if (err < 0)
			goto out;
		ctx.workspace = ws;
	}
	err = dep->validate ? dep->validate(opts) : 0;
	if (!err)
		err = dep->run(&ctx);
out:
	if (err < 0)
		say(r, "\033[31;1m%s\033[0m\n", err_msg());
	if (tmp)
		fs_rm_rf(tmp);
	free(tmp);
	free(ws);
	val_free(io.env);
	svec_release(&io.secrets);
	mask_set_free(r->extra);
	r->extra = NULL;
	buf_release(&envb);
	buf_release(&pwdb);
	return err < 0 ? 1 : 0;
}

/* The build cache's hand-offs (cache.h). */
static int do_cache(struct run *r, const struct request *q)
{
	struct cache_ctx cc = { r->spec, r->id, r->home, say, r };

	return cache_handoff(&r->cache, &cc, q->verb, q->arg);
}

static int handle_requests(struct run *r)
{
	int err = 0;

	for (size_t i = 0; i < r->nreqs && !err; i++) {
		struct request *q = &r->reqs[i];
		int status = 0;

		if (!strcmp(q->verb, "services"))
			status = do_services(r, q->arg);
		else if (!strcmp(q->verb, "deploy"))
			status =
				do_deploy(r, q->seq, strtoul(q->arg, NULL, 10));
		else if (!strncmp(q->verb, "cache-", 6))
			status = do_cache(r, q);
		else
			status = 1;
		err = reply(r, q->seq, status);
	}
	for (size_t i = 0; i < r->nreqs; i++) {
		free(r->reqs[i].verb);
		free(r->reqs[i].arg);
	}
	r->nreqs = 0;
	return err;
}

/* --- the container --- */

/*
 * The container's main process: the build script, then the exit line
 * ferry waits for.  A kept container then idles for `ferry shell`, and
 * when it is started again it only idles (the job ran once).
 */
static const char wrapper[] =
	"f=\"$HOME/.ferry\"; "
	"if [ -e \"$f/ran\" ]; then exec sleep infinity; fi; "
	": >\"$f/ran\"; bash \"$f/build.sh\"; s=$?; "
	"printf '\\036ferry:exit:0:%s\\n' \"$s\"; "
	"if [ -n \"$FERRY_KEEP\" ]; then exec sleep infinity; fi; exit $s";

/* Whether the engine shares this host's files (bind mounts work). */
static bool engine_is_local(void)
{
	const char *h = getenv("DOCKER_HOST");
	const char *copy = getenv("FERRY_DOCKER_COPY");

	/* FERRY_DOCKER_COPY=1: copy through the API as for a remote engine
	 * (an engine in a VM that does not share this host's files) */
	if (copy && *copy && strcmp(copy, "0"))
		return false;
	return !h || !*h || !strncmp(h, "unix://", 7);
}

static int make_container(struct run *r)
{
	const struct job_spec *spec = r->spec;
	const struct val *services = val_map_get(spec->config, "services");
	struct docker_spec s = DOCKER_SPEC_INIT;
	int err;

	s.image = spec->image;
	svec_pushl(&s.cmd, "/bin/sh", "-c", wrapper, (char *)NULL);
	svec_pushf(&s.env, "HOME=%s", r->home);
	if (spec->keep)
		svec_push(&s.env, "FERRY_KEEP=1");
	svec_pushf(&s.labels, "%s=job", DOCKER_LABEL);
	if (spec->run_id)
		svec_pushf(&s.labels, "%s.run=%s", DOCKER_LABEL, spec->run_id);
	if (spec->info.job_number)
		svec_pushf(&s.labels, "%s.job=%s", DOCKER_LABEL,
			   spec->info.job_number);
	if (spec->info.slug)
		svec_pushf(&s.labels, "%s.slug=%s", DOCKER_LABEL,
			   spec->info.slug);
	if (r->local) {
		svec_pushf(&s.labels, "%s.stage=%s", DOCKER_LABEL, r->stage);
		svec_pushf(&s.binds, "%s/ferry:%s/%s", r->stage, r->home,
			   FERRY_DIR);
		if (spec->workspace && !spec->info.no_checkout)
			svec_pushf(&s.binds, "%s/ws:%s/build/%s", r->stage,
				   r->home, spec->info.slug);
	}
	s.workdir = r->home;
	s.network_mode = spec->network;
	s.init = true;
	/* The engine removes a finished job's container by itself: ferry
	 * does not wait for that, and nothing is left if ferry dies. */
	s.auto_remove = !spec->keep;
	for (size_t i = 0;
	     services && services->type == VAL_SEQ && i < services->seq.n; i++)
		if (val_strv(services->seq.v[i]) &&
		    !strcmp(val_strv(services->seq.v[i]), "docker"))
			svec_push(&s.binds,
				  "/var/run/docker.sock:/var/run/docker.sock");
	err = docker_container_create(r->d, &s, &r->id);
	docker_spec_release(&s);
	return err;
}

static int pack_pull(void *dst, size_t cap, size_t *got, void *payload)
{
	return tarball_pack_read(payload, dst, cap, got);
}

/* Copy a tree (modes, symlinks) with libarchive, in this process. */
static int copy_tree(const char *src, const char *dst)
{
	struct tarball_opts o = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	int err = tarball_pack_new(&p, &o);

	if (!err)
		err = tarball_pack_add(p, src, "");
	if (!err)
		err = tarball_extract(dst, 0, pack_pull, p);
	tarball_pack_free(p);
	return err;
}

/*
 * The script and the workspace: into the staging directory (local
 * engine), or into the created container with one archive upload.
 */
static int upload(struct run *r, const struct buf *script)
{
	const struct job_spec *spec = r->spec;
	struct tarball_opts o = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	char *stage = NULL, *dir = NULL, *file = NULL;
	int err;

	if (r->local) {
		dir = xasprintf("%s/ferry", r->stage);
		err = fs_mkdir_p(dir, 0755);
		free(dir);
		if (!err) {
			file = xasprintf("%s/ferry/build.sh", r->stage);
			err = fs_write_file(file, script->ptr, script->len,
					    0755);
			free(file);
		}
		if (!err && spec->workspace && !spec->info.no_checkout) {
			dir = xasprintf("%s/ws", r->stage);
			err = copy_tree(spec->workspace, dir);
			free(dir);
		}
		return err;
	}
	o.uid = o.gid = 0;
	err = fs_tmpdir(&stage, "ferry-stage");
	if (err < 0)
		return err;
	dir = xasprintf("%s%s/%s", stage, r->home, FERRY_DIR);
	err = fs_mkdir_p(dir, 0755);
	free(dir);
	if (!err) {
		dir = xasprintf("%s%s/build/%s", stage, r->home,
				spec->info.slug);
		err = fs_mkdir_p(dir, 0755);
		free(dir);
	}
	if (!err) {
		file = xasprintf("%s%s/%s/build.sh", stage, r->home, FERRY_DIR);
		err = fs_write_file(file, script->ptr, script->len, 0755);
		free(file);
	}
	if (!err)
		err = tarball_pack_new(&p, &o);
	if (!err)
		err = tarball_pack_add(p, stage, "");
	if (!err && spec->workspace && !spec->info.no_checkout) {
		char *name =
			xasprintf("%s/build/%s", r->home + 1, spec->info.slug);

		err = tarball_pack_add(p, spec->workspace, name);
		free(name);
	}
	if (!err)
		err = docker_archive_put(r->d, r->id, "/", false, pull, p);
	tarball_pack_free(p);
	fs_rm_rf(stage);
	free(stage);
	return err;
}

static void kill_job(struct run *r)
{
	docker_set_cancel(r->d, NULL);
	docker_container_kill(r->d, r->id, "SIGKILL");
}

static void remove_containers(struct run *r)
{
	docker_set_cancel(r->d, NULL);
	for (size_t i = 0; i < r->sidecars.n; i++)
		docker_container_remove(r->d, r->sidecars.v[i], true);
	/* An exited job container removes itself (auto-remove); one still
	 * running (killed, canceled, or not yet exited) is removed here. */
	if (r->id && !r->exited)
		docker_container_remove(r->d, r->id, true);
}

static bool canceled(const struct job_spec *spec)
{
	return spec->cancel && atomic_load(spec->cancel);
}

/* Start the container, read its output, watch the limits. */
static int supervise(struct run *r, struct job_result *out)
{
	const struct job_spec *spec = r->spec;
	struct docker_stream *st = NULL;
	double start = now_s();
	long hard = spec->hard_limit > 0 ? spec->hard_limit : 50 * 60;
	long silence = spec->log_silence > 0 ? spec->log_silence : 10 * 60;
	bool done = false;
	int err;

	err = docker_container_attach(r->d, r->id, false, &st);
	if (!err)
		err = docker_container_start(r->d, r->id);
	if (err < 0)
		goto out;
	out->state = JOB_PASSED;
	while (!done && !r->exited) {
		err = docker_stream_pump(st, PUMP_MS, on_output, r, &done);
		if (err == FY_ECANCELED || canceled(spec)) {
			kill_job(r);
			joblog_cancelled(r->log, "");
			out->state = JOB_CANCELED;
			out->reason = xstrdup("canceled");
			err = 0;
			goto out;
		}
		if (err < 0)
			goto out;
		if (r->limited) {
			kill_job(r);
			out->state = JOB_ERRORED;
			out->reason = xstrdup("log length limit");
			goto out;
		}
		if (r->nreqs) {
			err = handle_requests(r);
			if (err < 0)
				goto out;
			continue;
		}
		if (done || r->exited)
			break;
		if (now_s() - start > (double)hard) {
			kill_job(r);
			joblog_hard_limit(r->log);
			out->state = JOB_ERRORED;
			out->reason = xstrdup("time limit");
			goto out;
		}
		if (joblog_idle_ms(r->log) > (uint64_t)silence * 1000) {
			kill_job(r);
			joblog_no_output(r->log, (uint64_t)silence * 1000);
			out->state = JOB_ERRORED;
			out->reason = xstrdup("no output");
			goto out;
		}
		joblog_tick(r->log);
	}
	if (r->exited) {
		out->exit_code = r->exit_status;
	} else {
		/* The stream ended without the exit line: the container died
		 * (killed, out of memory); its status says how. */
		err = docker_container_wait(r->d, r->id, &out->exit_code);
		if (err < 0)
			goto out;
		if (!out->reason)
			out->reason =
				xasprintf("the container ended with status %d",
					  out->exit_code);
		if (!out->exit_code)
			out->exit_code = 2;
	}
	if (out->exit_code == 0)
		out->state = JOB_PASSED;
	else if (out->exit_code == 1)
		out->state = JOB_FAILED;
	else
		out->state = JOB_ERRORED;
out:
	docker_stream_close(st);
	return err;
}

int job_run(const struct job_spec *spec, struct job_result *out)
{
	struct run r = { .spec = spec, .sidecars = SVEC_INIT };
	struct joblog_opts lo = { 0 };
	struct buf script = BUF_INIT;
	double start = now_s();
	int err;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	out->state = JOB_ERRORED;
	buf_init(&r.ctl);
	r.home = spec->info.home ? spec->info.home : "/home/travis";
	lo.term = spec->term;
	lo.prefix = spec->prefix;
	lo.log_path = spec->log_path;
	lo.max_bytes = spec->log_max;
	lo.secrets = spec->secrets;
	err = joblog_open(&r.log, &lo);
	if (err < 0)
		return err;
	err = script_build(&script, spec->config, &spec->info);
	if (!err)
		err = docker_open(&r.d, NULL);
	if (!err && spec->cancel)
		docker_set_cancel(r.d, spec->cancel);
	if (!err)
		err = ensure_image_cb(&r, spec->image);
	r.local = engine_is_local();
	if (!err && r.local)
		err = fs_tmpdir(&r.stage, "ferry-job");
	if (!err && r.local)
		err = upload(&r, &script);
	if (!err)
		err = make_container(&r);
	if (!err && !r.local)
		err = upload(&r, &script);
	if (!err)
		err = supervise(&r, out);
	if (err < 0) {
		if (err == FY_ECANCELED || canceled(spec)) {
			/* canceled before the job's script ran */
			joblog_cancelled(r.log, "");
			out->state = JOB_CANCELED;
			if (!out->reason)
				out->reason = xstrdup("canceled");
			err = 0;
		} else {
			struct buf m = BUF_INIT;

			out->state = JOB_ERRORED;
			out->reason = xstrdup(err_msg());
			buf_addf(&m, "\n\033[31;1mferry: %s\033[0m\n",
				 err_msg());
			joblog_worker_message(r.log, m.ptr);
			buf_release(&m);
		}
	}
	if (r.d) {
		if (spec->keep && r.id)
			out->container = xstrdup(r.id);
		else
			remove_containers(&r);
	}
	if (r.stage && !(spec->keep && r.id))
		fs_rm_rf(r.stage);
	free(r.stage);
	joblog_close(r.log);
	out->seconds = now_s() - start;
	docker_close(r.d);
	free(r.id);
	svec_release(&r.sidecars);
	buf_release(&r.ctl);
	buf_release_secure(&script); /* it holds the exported values */
	for (size_t i = 0; i < r.nreqs; i++) {
		free(r.reqs[i].verb);
		free(r.reqs[i].arg);
	}
	free(r.reqs);
	mask_set_free(r.extra);
	cache_job_free(r.cache);
	return err;
}

void job_result_release(struct job_result *r)
{
	free(r->container);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

int job_cleanup(const char *run_id)
{
	struct docker *d = NULL;
	struct val *list = NULL;
	char label[256];
	int err;

	err = docker_open(&d, NULL);
	if (err < 0)
		return err;
	if (run_id)
		snprintf(label, sizeof(label), "%s.run=%s", DOCKER_LABEL,
			 run_id);
	else
		snprintf(label, sizeof(label), "%s", DOCKER_LABEL);
	err = docker_container_list(d, label, true, &list);
	for (size_t i = 0; !err && list && i < list->seq.n; i++) {
		const char *id = val_text(val_map_get(list->seq.v[i], "Id"));

		if (id)
			docker_container_remove(d, id, true);
	}
	val_free(list);
	docker_close(d);
	return err;
}
