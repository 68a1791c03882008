/*
 * serve.c: the `serve:` section of ferry's config and the small pieces
 * of shared state every serve thread uses (wake-ups, cancel flags).
 */
#include "compat.h"

#include <errno.h>
#include <fnmatch.h>
#include <time.h>

#include "buf.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "serve.h"
#include "val.h"
#include "xalloc.h"
#include "units.h"

const double serve_buckets[SERVE_BUCKETS] = { 1,   5,	10,  30,   60,
					      120, 300, 600, 1800, 3600 };

void serve_conf_init(struct serve_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->repos = (struct svec)SVEC_INIT;
	c->concurrency = 2;
	c->http_threads = 4;
	c->max_body = 25 * 1024 * 1024; /* GitHub's own cap on payloads */
	c->grace = 30;
	c->statuses = true;
	c->cancel_push = true;
	c->cancel_pr = true;
}

void serve_conf_release(struct serve_conf *c)
{
	free(c->address);
	free(c->base_url);
	free(c->data_dir);
	free(c->port_file);
	free(c->log_file);
	if (c->secret)
		explicit_bzero(c->secret, strlen(c->secret));
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	if (c->admin_token)
		explicit_bzero(c->admin_token, strlen(c->admin_token));
	free(c->secret);
	free(c->token);
	free(c->admin_token);
	free(c->api_url);
	free(c->context);
	free(c->clone_url);
	svec_release(&c->repos);
	serve_conf_init(c);
}

static int bad(const struct ferryconf *fc, const struct val *v, const char *fmt,
	       const char *key)
{
	return err_set(FY_EINVALID, "%s:%d: serve.%s: %s",
		       fc->path ? fc->path : "config",
		       v && v->line >= 0 ? v->line + 1 : 1, key, fmt);
}

/* "ADDR:PORT", "[v6]:PORT", ":PORT" or "PORT". */
static int parse_listen(struct serve_conf *c, const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *port = colon ? colon + 1 : s;
	char *end;
	long p;

	errno = 0;
	p = strtol(port, &end, 10);
	if (errno || end == port || *end || p < 0 || p > 65535)
		return -1;
	c->port = (unsigned)p;
	free(c->address);
	c->address = NULL;
	if (colon && colon > s) {
		if (s[0] == '[' && colon[-1] == ']')
			c->address = xmemdupz(s + 1, (size_t)(colon - s - 2));
		else
			c->address = xmemdupz(s, (size_t)(colon - s));
	}
	return 0;
}

/* A secret given inline or in a file (`<key>_file`), trailing newline cut. */
static int read_secret(char **out, const struct ferryconf *fc,
		       const struct val *sec, const char *key)
{
	char *file_key = xasprintf("%s_file", key);
	const struct val *v = val_map_get(sec, key);
	const struct val *f = val_map_get(sec, file_key);
	struct buf b = BUF_INIT;
	int err = 0;

	free(file_key);
	if (v && val_text(v)) {
		*out = xstrdup(val_text(v));
		return 0;
	}
	if (!f)
		return 0;
	if (!val_text(f))
		return bad(fc, f, "expected a file name", key);
	buf_set_limit(&b, 64 * 1024);
	err = fs_read_file(&b, val_text(f));
	if (err < 0) {
		buf_release_secure(&b);
		return err_wrap(err, "serve.%s_file", key);
	}
	while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
		b.ptr[--b.len] = '\0';
	*out = xstrdup(b.ptr);
	buf_release_secure(&b);
	return 0;
}

static int read_bool(bool *out, const struct ferryconf *fc, const struct val *m,
		     const char *key)
{
	const struct val *v = val_map_get(m, key);
	const char *t = val_text(v);

	if (!v)
		return 0;
	if (t &&
	    (!strcmp(t, "true") || !strcmp(t, "yes") || !strcmp(t, "on"))) {
		*out = true;
		return 0;
	}
	if (t &&
	    (!strcmp(t, "false") || !strcmp(t, "no") || !strcmp(t, "off"))) {
		*out = false;
		return 0;
	}
	return bad(fc, v, "expected true or false", key);
}

static int read_long(long *out, const struct ferryconf *fc, const struct val *m,
		     const char *key, long min, long max)
{
	const struct val *v = val_map_get(m, key);
	const char *t = val_text(v);
	char *end;
	long n;

	if (!v)
		return 0;
	errno = 0;
	n = t ? strtol(t, &end, 10) : 0;
	if (!t || errno || end == t || *end || n < min || n > max)
		return bad(fc, v, "expected a number in range", key);
	*out = n;
	return 0;
}

static char *opt_str(const struct val *m, const char *key)
{
	const char *t = val_text(val_map_get(m, key));

	return t ? xstrdup(t) : NULL;
}

static const char *const serve_keys[] = {
	"listen",	  "base_url",	 "data_dir",	     "port_file",
	"log_file",	  "concurrency", "http_threads",     "max_body",
	"shutdown_grace", "secret",	 "secret_file",	     "token",
	"token_file",	  "admin_token", "admin_token_file", "api_url",
	"status_context", "statuses",	 "clone_url",	     "repositories",
	"auto_cancel",	  NULL,
};

static int check_keys(const struct ferryconf *fc, const struct val *sec)
{
	for (size_t i = 0; i < sec->map.n; i++) {
		bool known = false;

		for (size_t k = 0; serve_keys[k]; k++)
			known |= !strcmp(serve_keys[k], sec->map.v[i].key);
		if (!known)
			return bad(fc, sec->map.v[i].v, "unknown key",
				   sec->map.v[i].key);
	}
	return 0;
}

static int read_repos(struct serve_conf *c, const struct ferryconf *fc,
		      const struct val *sec)
{
	const struct val *r = val_map_get(sec, "repositories");

	if (!r)
		return 0;
	if (val_text(r)) {
		svec_push(&c->repos, val_text(r));
		return 0;
	}
	if (r->type != VAL_SEQ)
		return bad(fc, r, "expected a list of owner/name",
			   "repositories");
	for (size_t i = 0; i < r->seq.n; i++) {
		if (!val_text(r->seq.v[i]))
			return bad(fc, r->seq.v[i], "expected owner/name",
				   "repositories");
		svec_push(&c->repos, val_text(r->seq.v[i]));
	}
	return 0;
}

static int read_misc(struct serve_conf *c, const struct ferryconf *fc,
		     const struct val *sec)
{
	const struct val *ac = val_map_get(sec, "auto_cancel");
	const struct val *v;
	long n;
	int err = 0;

	n = c->concurrency;
	err = read_long(&n, fc, sec, "concurrency", 1, 64);
	c->concurrency = (int)n;
	n = c->http_threads;
	if (!err)
		err = read_long(&n, fc, sec, "http_threads", 1, 64);
	c->http_threads = (unsigned)n;
	v = val_map_get(sec, "max_body");
	if (!err && v &&
	    (!val_text(v) || units_size(val_text(v), &c->max_body) < 0))
		err = bad(fc, v, "expected a size (25MiB)", "max_body");
	v = val_map_get(sec, "shutdown_grace");
	if (!err && v &&
	    (!val_text(v) || units_duration(val_text(v), &c->grace) < 0))
		err = bad(fc, v, "expected a duration (30s)", "shutdown_grace");
	if (!err)
		err = read_bool(&c->statuses, fc, sec, "statuses");
	if (!err && ac && val_text(ac)) {
		err = read_bool(&c->cancel_push, fc, sec, "auto_cancel");
		c->cancel_pr = c->cancel_push;
	} else if (!err && ac) {
		if (ac->type != VAL_MAP)
			return bad(fc, ac, "expected true, false or a map",
				   "auto_cancel");
		err = read_bool(&c->cancel_push, fc, ac, "push");
		if (!err)
			err = read_bool(&c->cancel_pr, fc, ac, "pull_request");
	}
	return err;
}

int serve_conf_load(struct serve_conf *c, const struct ferryconf *fc)
{
	const struct val *sec = ferryconf_section(fc, "serve");
	const char *listen;
	int err;

	if (sec && sec->type != VAL_MAP)
		return bad(fc, sec, "expected a map", "serve");
	if (!sec)
		return err_set(FY_EINVALID,
			       "%s: no `serve:` section (see "
			       "examples/ferry-serve.yml)",
			       fc->path ? fc->path : "no config file");
	err = check_keys(fc, sec);
	listen = val_text(val_map_get(sec, "listen"));
	if (!err && parse_listen(c, listen ? listen : "127.0.0.1:8080") < 0)
		err = bad(fc, val_map_get(sec, "listen"),
			  "expected ADDRESS:PORT", "listen");
	if (!err)
		err = read_misc(c, fc, sec);
	if (!err)
		err = read_repos(c, fc, sec);
	if (!err)
		err = read_secret(&c->secret, fc, sec, "secret");
	if (!err)
		err = read_secret(&c->token, fc, sec, "token");
	if (!err)
		err = read_secret(&c->admin_token, fc, sec, "admin_token");
	if (err < 0)
		return err;
	if (!c->secret || !*c->secret)
		return err_set(FY_EINVALID,
			       "%s: serve.secret (or serve.secret_file) is "
			       "required: webhooks are verified with it",
			       fc->path);
	if (!c->address)
		c->address = xstrdup("127.0.0.1");
	c->data_dir = opt_str(sec, "data_dir");
	if (!c->data_dir)
		c->data_dir = ferryconf_dir(fc, "serve", false);
	c->port_file = opt_str(sec, "port_file");
	c->log_file = opt_str(sec, "log_file");
	c->api_url = opt_str(sec, "api_url");
	if (!c->api_url)
		c->api_url = xstrdup("https://api.github.com");
	c->context = opt_str(sec, "status_context");
	if (!c->context)
		c->context = xstrdup("continuous-integration/ferry");
	c->clone_url = opt_str(sec, "clone_url");
	if (c->clone_url && !strstr(c->clone_url, "%s"))
		return bad(fc, val_map_get(sec, "clone_url"),
			   "needs one %s for owner/name", "clone_url");
	c->base_url = opt_str(sec, "base_url");
	while (c->base_url && *c->base_url &&
	       c->base_url[strlen(c->base_url) - 1] == '/')
		c->base_url[strlen(c->base_url) - 1] = '\0';
	return 0;
}

bool serve_repo_allowed(const struct serve_conf *c, const char *slug)
{
	for (size_t i = 0; i < c->repos.n; i++)
		if (!fnmatch(c->repos.v[i], slug, FNM_PATHNAME | FNM_CASEFOLD))
			return true;
	return false;
}

/* ---- shared state -------------------------------------------------------- */

static void bump(struct serve *s, unsigned *gen)
{
	pthread_mutex_lock(&s->lock);
	(*gen)++;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void serve_wake_planner(struct serve *s)
{
	bump(s, &s->plan_gen);
}

void serve_wake_workers(struct serve *s)
{
	bump(s, &s->work_gen);
}

void serve_wake_statuses(struct serve *s)
{
	bump(s, &s->status_gen);
}

unsigned serve_gen(struct serve *s, unsigned *gen)
{
	unsigned g;

	pthread_mutex_lock(&s->lock);
	g = *gen;
	pthread_mutex_unlock(&s->lock);
	return g;
}

unsigned serve_wait(struct serve *s, unsigned *gen, unsigned seen, long seconds)
{
	struct timespec until;
	unsigned now;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&s->lock);
	while (*gen == seen && !atomic_load(&s->stopping))
		if (pthread_cond_timedwait(&s->wake, &s->lock, &until) ==
		    ETIMEDOUT)
			break;
	now = *gen;
	pthread_mutex_unlock(&s->lock);
	return now;
}

void serve_cancel_running(struct serve *s, const struct svec *ids)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < ids->n; i++) {
		int64_t id = strtoll(ids->v[i], NULL, 10);

		for (size_t k = 0; k < s->nrunning; k++)
			if (s->running[k]->job_id == id)
				atomic_store(&s->running[k]->cancel, true);
	}
	pthread_mutex_unlock(&s->lock);
}

char *serve_log_path(const struct serve *s, int64_t id)
{
	return xasprintf("%s/%lld.log", s->logs_dir, (long long)id);
}
