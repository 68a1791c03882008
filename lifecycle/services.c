/*
 * services.c: `services:` as sidecar containers sharing the job
 * container's network namespace, each with a real readiness check.
 */
#include "compat.h"

#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "docker.h"
#include "error.h"
#include "services.h"
#include "val.h"
#include "xalloc.h"

/*
 * Defaults: official images, and a probe run by bash in the job
 * container: it must speak the service's protocol, not only connect.
 */
static const struct service_def {
	const char *name;
	const char *image;
	const char *const *env;
	const char *probe;
} defs[] = {
	{ "redis", "redis:7", NULL,
	  "exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\\r\\n' >&3 && "
	  "read -r -t 2 l <&3 && [[ \"$l\" == +PONG* ]]" },
	{ "memcached", "memcached:1.6", NULL,
	  "exec 3<>/dev/tcp/127.0.0.1/11211 && printf 'version\\r\\n' >&3 && "
	  "read -r -t 2 l <&3 && [[ \"$l\" == VERSION* ]]" },
	{ "postgresql", "postgres:16",
	  (const char *const[]){ "POSTGRES_HOST_AUTH_METHOD=trust", NULL },
	  "exec 3<>/dev/tcp/127.0.0.1/5432 && "
	  "printf '\\x00\\x00\\x00\\x08\\x04\\xd2\\x16\\x2f' >&3 && "
	  "read -r -n 1 -t 2 c <&3 && [[ \"$c\" == N || \"$c\" == S ]]" },
	{ "mysql", "mysql:8.0",
	  (const char *const[]){ "MYSQL_ALLOW_EMPTY_PASSWORD=yes", NULL },
	  "exec 3<>/dev/tcp/127.0.0.1/3306 && "
	  "[[ $(timeout 2 head -c 5 <&3 | wc -c) -ge 5 ]]" },
	{ "mongodb", "mongo:7", NULL, "exec 3<>/dev/tcp/127.0.0.1/27017" },
	{ "rabbitmq", "rabbitmq:3", NULL,
	  "exec 3<>/dev/tcp/127.0.0.1/5672 && "
	  "printf 'AMQP\\x00\\x00\\x09\\x01' >&3 && "
	  "[[ $(timeout 2 head -c 1 <&3 | od -An -tx1 | tr -d ' ') == 01 ]]" },
	{ "elasticsearch", "elasticsearch:8.11.1",
	  (const char *const[]){ "discovery.type=single-node",
				 "xpack.security.enabled=false",
				 "ES_JAVA_OPTS=-Xms512m -Xmx512m", NULL },
	  "exec 3<>/dev/tcp/127.0.0.1/9200 && "
	  "printf 'GET /_cluster/health HTTP/1.0\\r\\n\\r\\n' >&3 && "
	  "read -r -t 2 l <&3 && [[ \"$l\" == HTTP/1.?\\ 200* ]]" },
};

/* Travis's spellings of service names (spec 9.2). */
static const char *canonical(const char *name)
{
	static const struct {
		const char *alias, *name;
	} aliases[] = {
		{ "redis-server", "redis" },  { "memcache", "memcached" },
		{ "postgres", "postgresql" }, { "rabbitmq-server", "rabbitmq" },
		{ "mongo", "mongodb" },	      { "mariadb", "mysql" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcmp(aliases[i].alias, name))
			return aliases[i].name;
	return name;
}

bool services_is_sidecar(const char *name)
{
	name = canonical(name);
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
		if (!strcmp(defs[i].name, name))
			return true;
	return false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int discard(int stream, const char *data, size_t len, void *payload)
{
	return 0;
}

/* Run the probe in the job container until it succeeds or time is up. */
static int wait_ready(struct docker *d, const char *job_id, const char *probe,
		      double timeout, double *took)
{
	struct docker_spec s = DOCKER_SPEC_INIT;
	double start = now_s();
	int status = 1;
	int err = 0;

	svec_pushl(&s.cmd, "bash", "-c", probe, (char *)NULL);
	while (now_s() - start < timeout) {
		err = docker_exec_run(d, job_id, &s, discard, NULL, &status);
		if (err < 0 || !status)
			break;
		usleep(200 * 1000);
	}
	docker_spec_release(&s);
	*took = now_s() - start;
	if (err < 0)
		return err;
	return status ? err_set(FY_ETIMEOUT, "not ready after %.0fs", timeout)
		      : 0;
}

int services_start(struct docker *d, const char *job_id, const char *names,
		   const struct service_opts *opts, struct svec *ids)
{
	struct svec list = SVEC_INIT;
	int failures = 0;

	svec_split(&list, names, ",", true);
	for (size_t i = 0; i < list.n; i++) {
		const char *name = canonical(list.v[i]);
		const struct service_def *def = NULL;
		const struct val *conf = val_map_get(opts->conf, name);
		struct docker_spec s = DOCKER_SPEC_INIT;
		const char *image;
		const struct val *v;
		char *id = NULL;
		double took = 0;
		int err;

		for (size_t k = 0; k < ARRAY_SIZE(defs); k++)
			if (!strcmp(defs[k].name, name))
				def = &defs[k];
		if (!def) {
			/* docker is a bind mount, xvfb and others need the image */
			if (strcmp(name, "docker"))
				opts->say(
					opts->payload,
					"\033[33;1mService %s is not run by ferry "
					"(no sidecar image for it)\033[0m\n",
					list.v[i]);
			continue;
		}
		image = val_text(val_map_get(conf, "image"));
		if (!image)
			image = def->image;
		opts->say(opts->payload, "$ ferry service start %s (%s)\n",
			  name, image);
		s.image = image;
		s.network_mode = xasprintf("container:%s", job_id);
		v = val_map_get(conf, "command");
		if (v && v->type == VAL_SEQ)
			for (size_t k = 0; k < v->seq.n; k++)
				svec_push(&s.cmd,
					  val_text(v->seq.v[k])
						  ? val_text(v->seq.v[k])
						  : "");
		else if (val_text(v))
			svec_pushl(&s.cmd, "/bin/sh", "-c", val_text(v),
				   (char *)NULL);
		for (size_t k = 0; def->env && def->env[k]; k++)
			svec_push(&s.env, def->env[k]);
		v = val_map_get(conf, "env");
		if (v && v->type == VAL_SEQ)
			for (size_t k = 0; k < v->seq.n; k++)
				if (val_text(v->seq.v[k]))
					svec_push(&s.env,
						  val_text(v->seq.v[k]));
		svec_pushf(&s.labels, "%s=service", DOCKER_LABEL);
		if (opts->run_id)
			svec_pushf(&s.labels, "%s.run=%s", DOCKER_LABEL,
				   opts->run_id);
		svec_pushf(&s.labels, "%s.service=%s", DOCKER_LABEL, name);
		err = opts->ensure_image
			      ? opts->ensure_image(opts->payload, image)
			      : 0;
		if (!err)
			err = docker_container_create(d, &s, &id);
		if (!err)
			svec_push(ids, id);
		if (!err)
			err = docker_container_start(d, id);
		if (!err) {
			const char *probe =
				val_text(val_map_get(conf, "probe"));

			err = wait_ready(d, job_id, probe ? probe : def->probe,
					 opts->timeout ? opts->timeout : 90,
					 &took);
		}
		if (err < 0) {
			opts->say(opts->payload,
				  "\033[31;1m%s did not start: %s\033[0m\n",
				  name, err_msg());
			failures++;
		} else {
			opts->say(opts->payload, "%s is ready (%.1fs)\n", name,
				  took);
		}
		free((char *)s.network_mode);
		s.network_mode = NULL;
		docker_spec_release(&s);
		free(id);
	}
	svec_release(&list);
	return failures ? err_set(FY_EFAIL, "%d service(s) did not start",
				  failures)
			: 0;
}
