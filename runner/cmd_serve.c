/*
 * ferry serve: the CI server.  Loads the config, opens the store,
 * recovers from a crash, starts the HTTP server and the threads of
 * serve.h, then waits for SIGTERM or SIGINT and shuts down gracefully.
 */
#include "compat.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "httpd.h"
#include "job.h"
#include "log.h"
#include "serve.h"
#include "store.h"
#include "xalloc.h"

static const char usage[] =
	"usage: ferry serve [--config FILE] [--concurrency N]\n"
	"\n"
	"Run the CI server: GitHub webhooks (push, pull_request) at\n"
	"POST /webhooks/github start builds, which run in Docker like\n"
	"`ferry run`; commit statuses go back to GitHub; a web UI and a JSON\n"
	"API show builds and live logs.  Settings come from the `serve:`\n"
	"section of ferry's config file (see examples/ferry-serve.yml).\n"
	"\n"
	"  --config FILE          ferry's configuration file\n"
	"  -j, --concurrency N    jobs at once (default: serve.concurrency)\n"
	"  -h, --help             show this help\n"
	"\n"
	"SIGTERM or SIGINT stops the server: no new connection or job, the\n"
	"running jobs get serve.shutdown_grace to finish, then go back to the\n"
	"queue.  After a crash, jobs that were running are marked errored.\n";

#define CRASH_REASON "ferry serve stopped while the job ran (crash or kill)"

/* Mirrors, logs and workspaces under the data directory. */
static int make_dirs(struct serve *s)
{
	int err = fs_mkdir_p(s->conf.data_dir, 0700);

	s->logs_dir = fs_join(s->conf.data_dir, "logs");
	s->work_dir = fs_join(s->conf.data_dir, "work");
	s->git_dir = fs_join(s->conf.data_dir, "git");
	if (!err)
		err = fs_mkdir_p(s->logs_dir, 0700);
	if (!err)
		err = fs_rm_rf(s->work_dir); /* left by a crash */
	if (!err)
		err = fs_mkdir_p(s->work_dir, 0700);
	if (!err)
		err = fs_mkdir_p(s->git_dir, 0700);
	return err;
}

/* Jobs that were running when the server died, and their containers. */
static int recover(struct serve *s)
{
	struct svec ids = SVEC_INIT;
	int err = store_recover(s->store, CRASH_REASON, &ids);

	for (size_t i = 0; !err && i < ids.n; i++) {
		char run_id[64];

		snprintf(run_id, sizeof(run_id), "serve-%s", ids.v[i]);
		log_warn("job %s was running when the server stopped: errored",
			 ids.v[i]);
		if (job_cleanup(run_id) < 0)
			log_warn("job %s: %s", ids.v[i], err_msg());
	}
	svec_release(&ids);
	return err;
}

static int start_http(struct serve *s)
{
	struct httpd_opts o = { 0 };
	int err;

	httpd_new(&s->httpd);
	serve_hook_routes(s);
	webui_routes(s);
	o.address = s->conf.address;
	o.port = s->conf.port;
	o.threads = s->conf.http_threads;
	o.max_body = s->conf.max_body;
	err = httpd_start(s->httpd, &o);
	if (err < 0)
		return err;
	if (!s->conf.base_url)
		s->conf.base_url = xasprintf(
			strchr(s->conf.address, ':') ? "http://[%s]:%u"
						     : "http://%s:%u",
			s->conf.address, httpd_port(s->httpd));
	if (s->conf.port_file) {
		char text[16];

		snprintf(text, sizeof(text), "%u\n", httpd_port(s->httpd));
		err = fs_write_file(s->conf.port_file, text, strlen(text),
				    0644);
	}
	return err;
}

/* Wait for the running jobs, at most `grace` seconds (or a 2nd signal). */
static void drain(struct serve *s, const sigset_t *sigs)
{
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	time_t deadline = time(NULL) + s->conf.grace;
	size_t n;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		n = s->nrunning;
		if (!n || time(NULL) >= deadline) {
			for (size_t i = 0; i < n; i++) {
				atomic_store(&s->running[i]->requeue, true);
				atomic_store(&s->running[i]->cancel, true);
			}
			pthread_mutex_unlock(&s->lock);
			break;
		}
		pthread_mutex_unlock(&s->lock);
		if (sigtimedwait(sigs, NULL, &tick) > 0)
			deadline = 0;
	}
	if (n)
		log_info("%zu running jobs go back to the queue", n);
}

static int run_server(struct serve *s, const sigset_t *sigs)
{
	pthread_t planner, statuses, *workers;
	int sig = 0, n = s->conf.concurrency;

	workers = xcalloc((size_t)n, sizeof(*workers));
	pthread_create(&planner, NULL, serve_plan_main, s);
	pthread_create(&statuses, NULL, github_main, s);
	for (int i = 0; i < n; i++)
		pthread_create(&workers[i], NULL, serve_work_main, s);
	log_info("ferry serve listening on %s (%d workers, data in %s)",
		 s->conf.base_url, n, s->conf.data_dir);
	while (sig != SIGTERM && sig != SIGINT)
		if (sigwait(sigs, &sig))
			sig = 0;
	log_info("signal %d: shutting down", sig);
	atomic_store(&s->stopping, true);
	httpd_free(s->httpd);
	s->httpd = NULL;
	serve_wake_planner(s);
	serve_wake_workers(s);
	serve_wake_statuses(s);
	drain(s, sigs);
	for (int i = 0; i < n; i++)
		pthread_join(workers[i], NULL);
	pthread_join(planner, NULL);
	pthread_join(statuses, NULL);
	free(workers);
	log_info("stopped");
	return EXIT_OK;
}

static void serve_release(struct serve *s)
{
	httpd_free(s->httpd);
	store_close(s->store);
	ferryconf_free(s->fconf);
	serve_conf_release(&s->conf);
	free(s->logs_dir);
	free(s->work_dir);
	free(s->git_dir);
	free(s->running);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "concurrency", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct serve s;
	const char *config = NULL;
	sigset_t sigs;
	char *db = NULL;
	long jobs = 0;
	int opt, rc = EXIT_ERRORED;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			jobs = cli_number(optarg);
			if (jobs < 1 || jobs > 64)
				return cli_usage_error(
					"serve", "--concurrency needs 1 to 64");
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("serve", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "no arguments expected");
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.wake, NULL);
	serve_conf_init(&s.conf);
	atomic_init(&s.stopping, false);
	/* Signals go to the main thread only: block them before threads. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ferryconf_load(&s.fconf, config) < 0 ||
	    serve_conf_load(&s.conf, s.fconf) < 0 ||
	    (s.conf.log_file && log_open(s.conf.log_file) < 0) ||
	    make_dirs(&s) < 0)
		goto out;
	if (jobs)
		s.conf.concurrency = (int)jobs;
	db = fs_join(s.conf.data_dir, "ferry.db");
	if (store_open(&s.store, db) < 0 || recover(&s) < 0 ||
	    start_http(&s) < 0)
		goto out;
	rc = run_server(&s, &sigs);
out:
	if (rc != EXIT_OK)
		rc = cli_error(EXIT_ERRORED);
	free(db);
	serve_release(&s);
	return rc;
}
