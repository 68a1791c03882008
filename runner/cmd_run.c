/*
 * ferry run: every job of a build, in Docker containers, as Travis runs
 * them.  Also the shared machinery of `ferry build` (build.h).
 */
#include "compat.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "build.h"
#include "buf.h"
#include "cli.h"
#include "config.h"
#include "crypto.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "images.h"
#include "job.h"
#include "jobprep.h"
#include "joblog.h"
#include "json.h"
#include "loader.h"
#include "matrix.h"
#include "msg.h"
#include "secrets.h"
#include "val.h"
#include "vcs.h"
#include "xalloc.h"
#include "units.h"

static const char usage[] =
	"usage: ferry run [OPTIONS] [REQUEST OPTIONS] [DIR]\n"
	"\n"
	"Run every job of the build of DIR (default: the repository in the\n"
	"current directory, checked out clean at HEAD) in Docker containers,\n"
	"exactly as Travis runs them.  Logs go to the terminal and to one file\n"
	"per job under the run directory.\n"
	"\n"
	"  --list            list the jobs and exit\n"
	"  --job N           run only job N (1.3 or 3); repeatable\n"
	"  -j, --jobs N      run up to N jobs at once (stages stay in order)\n"
	"  --env K=V         add a variable (as a repository setting); repeatable\n"
	"  --image IMAGE     run every job in IMAGE (see `ferry images`)\n"
	"  --network MODE    Docker network mode of the jobs (e.g. host)\n"
	"  --dirty           include uncommitted changes and untracked files\n"
	"  --keep            keep the containers (see `ferry shell`)\n"
	"  --plain           no fold rendering, no status line\n"
	"  --deploy-dry-run  print what deploys would send, send nothing\n"
	"  --log-dir DIR     write the job logs here\n"
	"  --config FILE     ferry's configuration file\n"
	"  --timeout-silence D, --timeout-hard D, --log-max SIZE\n"
	"                    limits (defaults 10m, 50m, 4MiB)\n"
	"  --json            print the summary as JSON on stdout\n"
	"  -h, --help        show this help\n"
	"\n" REQUEST_HELP "\n"
	"Exit status: 0 every required job passed, 1 a job failed, 2 a job\n"
	"errored (or bad input), 64 usage, 130 interrupted.\n";

enum { OPT_DIRTY = BO_FIRST_FREE };

static atomic_bool interrupted;

static void on_signal(int sig)
{
	atomic_store(&interrupted, true);
}

/* One job of the plan, with its run state. */
struct run_job {
	struct job_prep prep;
	atomic_bool cancel; /* Ctrl-C, or fast_finish for an allowed failure */
	atomic_bool done;
	struct job_result result;
	char *log_path;
	char *prefix;
	bool selected;
	bool ran;
};

struct pool {
	struct run_job **jobs;
	size_t n;
	size_t next;
	pthread_mutex_t lock;
	pthread_cond_t finished; /* a job is done (under `lock`) */
	bool fast_finish;
};

static void job_done(struct pool *p, struct run_job *j)
{
	pthread_mutex_lock(&p->lock);
	atomic_store(&j->done, true);
	pthread_cond_signal(&p->finished);
	pthread_mutex_unlock(&p->lock);
}

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		struct run_job *j;

		pthread_mutex_lock(&p->lock);
		j = p->next < p->n ? p->jobs[p->next++] : NULL;
		pthread_mutex_unlock(&p->lock);
		if (!j)
			return NULL;
		if (atomic_load(&j->cancel)) {
			j->result.state = JOB_CANCELED;
			job_done(p, j);
			continue;
		}
		if (job_run(&j->prep.spec, &j->result) < 0) {
			j->result.state = JOB_ERRORED;
			if (!j->result.reason)
				j->result.reason = xstrdup(err_msg());
		}
		j->ran = true;
		job_done(p, j);
	}
}

/*
 * What the main thread does while a stage's jobs run: pass Ctrl-C on to
 * every job, and with fast_finish, once every required job is done,
 * cancel the allowed failures still running or waiting (Travis marks the
 * build finished then; a local run cannot leave them behind).
 */
static bool watch(struct pool *p)
{
	bool all_done = true, required_done = true;

	for (size_t i = 0; i < p->n; i++) {
		struct run_job *j = p->jobs[i];

		if (atomic_load(&interrupted))
			atomic_store(&j->cancel, true);
		if (!atomic_load(&j->done)) {
			all_done = false;
			if (!j->prep.allow_failure)
				required_done = false;
		}
	}
	if (p->fast_finish && required_done && !all_done)
		for (size_t i = 0; i < p->n; i++)
			if (p->jobs[i]->prep.allow_failure &&
			    !atomic_load(&p->jobs[i]->done))
				atomic_store(&p->jobs[i]->cancel, true);
	return all_done;
}

/* Run `jobs` with up to `parallel` worker threads. */
static void run_parallel(struct run_job **jobs, size_t n, int parallel,
			 bool fast_finish)
{
	struct pool p = { .jobs = jobs, .n = n, .fast_finish = fast_finish };
	pthread_t threads[64];
	int nt = parallel < 1 ? 1 : parallel > 64 ? 64 : parallel;

	if ((size_t)nt > n)
		nt = (int)n;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.finished, NULL);
	for (int i = 0; i < nt; i++)
		pthread_create(&threads[i], NULL, worker, &p);
	/* woken when a job is done; every 50 ms for Ctrl-C (a signal
	 * handler cannot signal the condition) */
	pthread_mutex_lock(&p.lock);
	while (!watch(&p)) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 50 * 1000 * 1000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p.finished, &p.lock, &t);
	}
	pthread_mutex_unlock(&p.lock);
	for (int i = 0; i < nt; i++)
		pthread_join(threads[i], NULL);
	pthread_cond_destroy(&p.finished);
	pthread_mutex_destroy(&p.lock);
}

static bool job_wanted(const char *number, const struct svec *only)
{
	const char *dot;

	if (!only->n)
		return true;
	dot = strchr(number, '.');
	for (size_t i = 0; i < only->n; i++) {
		if (!strcmp(only->v[i], number))
			return true;
		if (dot && !strchr(only->v[i], '.') &&
		    !strcmp(only->v[i], dot + 1))
			return true;
	}
	return false;
}

static long next_build_number(const char *dir)
{
	char *path = fs_join(dir, "last");
	struct buf b = BUF_INIT;
	long n = 0;
	char text[32];

	if (!fs_read_file(&b, path))
		n = strtol(b.ptr, NULL, 10);
	n = n < 0 ? 1 : n + 1;
	snprintf(text, sizeof(text), "%ld\n", n);
	fs_write_file(path, text, strlen(text), 0644);
	buf_release(&b);
	free(path);
	return n;
}

static int parse_env_opt(struct svec *names, struct svec *values,
			 const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		return -1;
	svec_push_nodup(names, xmemdupz(arg, (size_t)(eq - arg)));
	svec_push(values, eq + 1);
	return 0;
}

/*
 * The repository's key (none is fine: secure values then do not decrypt,
 * with warnings) and settings variables.  A key store or settings file
 * that others can read is an error: the build stops there.
 */
static int load_repo_secrets(const struct build_input *in,
			     struct crypto_rsa **key, struct settings *store)
{
	char *dir;
	int err;

	*key = NULL;
	if (secrets_check_slug(in->vcs->slug) < 0)
		return 0; /* a name the stores cannot hold: nothing stored */
	dir = keys_dir(in->conf);
	err = keys_load(key, dir, in->vcs->slug);
	free(dir);
	if (err == FY_ENOTFOUND) {
		*key = NULL;
		err = 0;
	}
	if (err < 0)
		return err;
	dir = settings_dir(in->conf);
	err = settings_open(store, dir, in->vcs->slug, false);
	free(dir);
	return err;
}

/* Each warning of the selected jobs once (values that do not decrypt). */
static void print_secret_warnings(const struct run_job *jobs, size_t n)
{
	struct svec seen = SVEC_INIT;

	for (size_t i = 0; i < n; i++) {
		const struct svec *w = &jobs[i].prep.secrets.warnings;

		for (size_t k = 0; jobs[i].selected && k < w->n; k++) {
			if (svec_has(&seen, w->v[k]))
				continue;
			svec_push(&seen, w->v[k]);
			fprintf(stderr, "ferry: warning: %s\n", w->v[k]);
		}
	}
	svec_release(&seen);
}

int build_run(const struct build_input *in, struct build_outcome *outcome)
{
	struct crypto_rsa *key = NULL;
	struct settings store = SETTINGS_INIT;
	struct travis_config *c = NULL;
	struct config_opts co = { 0 };
	struct val *plan = NULL, *request = NULL;
	struct joblog_term term;
	struct run_job *jobs = NULL;
	struct script_var *settings = NULL;
	const struct val *pjobs;
	size_t njobs = 0;
	long build_number = in->build_number;
	char *run_dir = NULL, *slug_dir = NULL, run_id[64];
	char bn[32];
	int rc = EXIT_OK;
	bool any_failed = false, any_errored = false, stop = false;
	bool fast_finish = false;

	memset(outcome, 0, sizeof(*outcome));
	/* With --json, stdout carries only the summary. */
	joblog_term_init(&term, in->json ? 2 : 1, in->plain);
	co.root_dir = in->workspace;
	co.repo = in->vcs->slug;
	co.fetcher = in->fetcher;
	co.no_imports = false;
	if (config_load(&c, in->config_path, &co) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	cli_print_msgs(stderr, in->config_name, &c->msgs, cli_color(2), false);
	request = build_request(in);
	if (!build_number && !in->list) {
		slug_dir = ferryconf_dir(in->conf, "runs", true);
		free(run_dir);
		run_dir = fs_join(slug_dir, in->vcs->slug);
		fs_mkdir_p(run_dir, 0700);
		build_number = next_build_number(run_dir);
		free(run_dir);
		run_dir = NULL;
	}
	plan = matrix_plan(c->config, request, build_number, &c->msgs);
	{
		const struct val *b = val_map_get(plan, "build");
		const struct val *created = val_map_get(b, "created");

		if (created && created->type == VAL_BOOL && !created->b) {
			const char *why = val_text(val_map_get(b, "reason"));

			fprintf(stderr, "ferry: no build: %s\n",
				why ? why : "filtered out by the config");
			outcome->skipped = true;
			rc = EXIT_OK;
			goto out;
		}
	}
	pjobs = val_map_get(plan, "jobs");
	{
		const struct val *ff = val_map_get(plan, "fast_finish");

		fast_finish = ff && ff->type == VAL_BOOL && ff->b;
	}
	njobs = pjobs ? pjobs->seq.n : 0;
	jobs = xcalloc(njobs ? njobs : 1, sizeof(*jobs));
	snprintf(bn, sizeof(bn), "%ld", build_number);
	snprintf(run_id, sizeof(run_id), "%ld-%ld", (long)getpid(),
		 build_number);
	if (in->log_dir) {
		run_dir = xstrdup(in->log_dir);
	} else {
		char *base = ferryconf_dir(in->conf, "runs", true);
		char *sub = xasprintf("%s/%s", in->vcs->slug, bn);

		run_dir = fs_join(base, sub);
		free(base);
		free(sub);
	}
	if (fs_mkdir_p(run_dir, 0700) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	if (load_repo_secrets(in, &key, &store) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	settings = xcalloc(in->env_names.n + 1, sizeof(*settings));
	for (size_t i = 0; i < in->env_names.n; i++) {
		settings[i].name = in->env_names.v[i];
		settings[i].value = in->env_values.v[i];
	}
	{
		struct job_prep_opts po = { 0 };

		po.conf = in->conf;
		po.vcs = in->vcs;
		po.event = in->req.event;
		if (!po.event && in->req.pull_request)
			po.event = "pull_request";
		po.pull_request = in->req.pull_request;
		po.head_slug = in->req.head_repo;
		po.head_branch = in->req.head_branch;
		po.fork = in->fork;
		po.key = key;
		po.store = &store;
		po.build_config = c->config;
		po.build_id = bn;
		po.build_number = bn;
		po.settings = settings;
		po.nsettings = in->env_names.n;
		po.workspace = in->workspace;
		po.checkout_notes = in->checkout_notes;
		po.network = in->network;
		po.log_silence = in->log_silence;
		po.hard_limit = in->hard_limit;
		po.log_max = in->log_max;
		for (size_t i = 0; i < njobs; i++) {
			struct run_job *j = &jobs[i];
			struct job_spec *s = &j->prep.spec;

			/* a failure is among the prep's warnings */
			job_prep_init(&j->prep, pjobs->seq.v[i], &po);
			j->selected = job_wanted(j->prep.number, &in->only);
			j->log_path =
				xasprintf("%s/%s.log", run_dir, j->prep.number);
			if (in->parallel > 1)
				j->prefix = xasprintf("[%s] ", j->prep.number);
			s->keep = in->keep;
			s->deploy_dry_run = in->deploy_dry_run;
			s->log_path = j->log_path;
			s->term = &term;
			s->prefix = j->prefix;
			s->run_id = run_id;
			atomic_init(&j->cancel, false);
			atomic_init(&j->done, false);
			s->cancel = &j->cancel;
		}
	}
	print_secret_warnings(jobs, njobs);
	if (in->list) {
		printf("%-7s %-14s %-10s %-28s %s\n", "JOB", "STAGE",
		       "MAY FAIL", "IMAGE", "JOB");
		for (size_t i = 0; i < njobs; i++) {
			char d[256];

			if (!jobs[i].selected)
				continue;
			printf("%-7s %-14s %-10s %-28s %s\n",
			       jobs[i].prep.number,
			       jobs[i].prep.stage ? jobs[i].prep.stage : "-",
			       jobs[i].prep.allow_failure ? "yes" : "no",
			       jobs[i].prep.image,
			       job_describe(jobs[i].prep.spec.config, d,
					    sizeof(d)));
		}
		goto out;
	}
	/* Stages run in order; a stage that fails cancels the later ones. */
	for (size_t i = 0; i < njobs && !stop;) {
		struct run_job **batch = xcalloc(njobs, sizeof(*batch));
		size_t nb = 0, k = i;

		while (k < njobs &&
		       ((!jobs[k].prep.stage && !jobs[i].prep.stage) ||
			(jobs[k].prep.stage && jobs[i].prep.stage &&
			 !strcmp(jobs[k].prep.stage, jobs[i].prep.stage)))) {
			if (jobs[k].selected)
				batch[nb++] = &jobs[k];
			k++;
		}
		if (jobs[i].prep.stage && nb)
			fprintf(stderr, "%s== stage %s ==%s\n",
				term.colour ? "\033[1m" : "",
				jobs[i].prep.stage,
				term.colour ? "\033[0m" : "");
		run_parallel(batch, nb, in->parallel, fast_finish);
		for (size_t b = 0; b < nb; b++) {
			struct run_job *j = batch[b];

			if (j->prep.allow_failure)
				continue;
			if (j->result.state == JOB_FAILED)
				any_failed = true;
			if (j->result.state == JOB_ERRORED)
				any_errored = true;
			if (j->result.state != JOB_PASSED)
				stop = true;
		}
		free(batch);
		if (atomic_load(&interrupted))
			stop = true;
		i = k;
		if (stop)
			for (; k < njobs; k++)
				if (jobs[k].selected && !jobs[k].ran)
					jobs[k].result.state = JOB_CANCELED;
	}
	joblog_term_release(&term);
	/* The summary. */
	if (in->json) {
		struct val *doc = val_map(), *list = val_seq();
		char *s;

		for (size_t i = 0; i < njobs; i++) {
			struct val *m = val_map();

			if (!jobs[i].selected)
				continue;
			val_map_set(m, "number", val_str(jobs[i].prep.number));
			val_map_set(m, "stage",
				    jobs[i].prep.stage
					    ? val_str(jobs[i].prep.stage)
					    : val_null());
			val_map_set(m, "allow_failure",
				    val_bool(jobs[i].prep.allow_failure));
			val_map_set(
				m, "state",
				val_str(job_state_name(jobs[i].result.state)));
			val_map_set(m, "exit_code",
				    val_numi(jobs[i].result.exit_code));
			val_map_set(m, "seconds",
				    val_strf("%.3f", jobs[i].result.seconds));
			val_map_set(m, "log", val_str(jobs[i].log_path));
			if (jobs[i].result.container)
				val_map_set(m, "container",
					    val_str(jobs[i].result.container));
			val_seq_push(list, m);
		}
		val_map_set(doc, "build_number", val_numi(build_number));
		val_map_set(doc, "jobs", list);
		s = json_dump(doc, 0);
		puts(s);
		free(s);
		val_free(doc);
	} else {
		fprintf(stderr, "\n%-7s %-36s %-10s %s\n", "JOB", "NAME",
			"RESULT", "TIME");
		for (size_t i = 0; i < njobs; i++) {
			const struct run_job *j = &jobs[i];
			char d[256];
			const char *st = job_state_name(j->result.state);
			const char *col = "";

			if (!j->selected)
				continue;
			if (term.colour)
				col = j->result.state == JOB_PASSED ? "\033[32m"
				      : j->result.state == JOB_FAILED
					      ? "\033[31m"
				      : j->result.state == JOB_ERRORED
					      ? "\033[31;1m"
					      : "\033[33m";
			fprintf(stderr, "%-7s %-36.36s %s%-10s%s %.1fs%s\n",
				j->prep.number,
				job_describe(j->prep.spec.config, d, sizeof(d)),
				col, st, term.colour ? "\033[0m" : "",
				j->result.seconds,
				j->prep.allow_failure ? " (allowed to fail)"
						      : "");
			if (j->result.container)
				fprintf(stderr,
					"        kept container %.12s (ferry shell %s)\n",
					j->result.container, j->prep.number);
		}
		fprintf(stderr, "logs: %s\n", run_dir);
	}
	if (atomic_load(&interrupted))
		rc = EXIT_CANCELED;
	else if (any_errored)
		rc = EXIT_ERRORED;
	else if (any_failed)
		rc = EXIT_FAILED;
out:
	outcome->build_number = build_number;
	for (size_t i = 0; i < njobs; i++) {
		job_result_release(&jobs[i].result);
		job_prep_release(&jobs[i].prep);
		free(jobs[i].log_path);
		free(jobs[i].prefix);
	}
	free(jobs);
	free(settings);
	crypto_rsa_free(key);
	settings_release(&store);
	free(run_dir);
	free(slug_dir);
	val_free(plan);
	val_free(request);
	config_free(c);
	return rc;
}

struct val *build_request(const struct build_input *in)
{
	struct request_opts r = in->req;

	if (!r.branch)
		r.branch = in->vcs->tag ? in->vcs->tag : in->vcs->branch;
	if (!r.tag)
		r.tag = in->vcs->tag;
	if (!r.commit_message)
		r.commit_message = in->vcs->message;
	if (!r.repo)
		r.repo = in->vcs->slug;
	if (!r.event)
		r.event = in->vcs->event_type;
	r.given = true;
	return request_data(&r);
}

void build_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		BUILD_OPTIONS,
		{ "dirty", no_argument, NULL, OPT_DIRTY },
		{ "help", no_argument, NULL, 'h' },
		REQUEST_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct build_input in = { .only = SVEC_INIT,
				  .env_names = SVEC_INIT,
				  .env_values = SVEC_INIT,
				  .parallel = 1 };
	struct build_outcome outcome;
	struct vcs_info info = VCS_INFO_INIT;
	struct vcs_importer importer = { 0 };
	struct config_fetcher fetcher;
	struct svec notes = SVEC_INIT;
	char *tmp = NULL, *workspace = NULL, *cfgpath = NULL;
	char dir[PATH_MAX];
	bool dirty = false;
	int opt, rc = EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
		int took = build_option(&in, opt, optarg, "run");

		if (took == EXIT_USAGE)
			return EXIT_USAGE;
		if (took)
			continue;
		switch (opt) {
		case OPT_DIRTY:
			dirty = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			if (!request_option(&in.req, opt, optarg))
				return cli_usage_error("run", "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("run", "too many arguments");
	if (!realpath(optind < argc ? argv[optind] : ".", dir)) {
		fprintf(stderr, "ferry: cannot open '%s': %s\n",
			optind < argc ? argv[optind] : ".",
			errno == ENOENT ? "no such directory"
					: "not accessible");
		return EXIT_ERRORED;
	}
	if (build_load_conf(&in) < 0) {
		rc = cli_error(EXIT_ERRORED);
		goto out;
	}
	rc = build_local_workspace(dir, dirty, in.conf, &info, &notes, &tmp,
				   &workspace);
	if (rc != EXIT_OK)
		goto out;
	cfgpath = fs_join(workspace, ".travis.yml");
	if (!fs_exists(cfgpath)) {
		fprintf(stderr, "ferry: no .travis.yml in '%s'\n", dir);
		rc = EXIT_ERRORED;
		goto out;
	}
	importer.info = &info;
	importer.worktree = dirty;
	vcs_config_fetcher(&fetcher, &importer);
	in.vcs = &info;
	in.workspace = workspace;
	in.checkout_notes = &notes;
	in.config_path = cfgpath;
	in.config_name = ".travis.yml";
	in.fetcher = info.gitdir ? &fetcher : NULL;
	build_signals();
	rc = build_run(&in, &outcome);
out:
	if (tmp) {
		fs_rm_rf(tmp);
		free(tmp);
	}
	free(workspace);
	free(cfgpath);
	svec_release(&notes);
	vcs_info_release(&info);
	build_input_release(&in);
	return rc;
}

int build_option(struct build_input *in, int opt, const char *arg,
		 const char *cmd)
{
	long n;

	switch (opt) {
	case BO_LIST:
		in->list = true;
		return 1;
	case BO_JOB:
		svec_push(&in->only, arg);
		return 1;
	case 'j':
		n = cli_number(arg);
		if (n < 1)
			return cli_usage_error(cmd, "-j needs a number >= 1");
		in->parallel = (int)n;
		return 1;
	case BO_ENV:
		if (parse_env_opt(&in->env_names, &in->env_values, arg) < 0)
			return cli_usage_error(cmd, "--env needs NAME=VALUE");
		return 1;
	case BO_IMAGE:
		in->image = arg;
		return 1;
	case BO_NETWORK:
		in->network = arg;
		return 1;
	case BO_KEEP:
		in->keep = true;
		return 1;
	case BO_PLAIN:
		in->plain = true;
		return 1;
	case BO_DRY_RUN:
		in->deploy_dry_run = true;
		return 1;
	case BO_LOG_DIR:
		in->log_dir = arg;
		return 1;
	case BO_CONFIG:
		in->config_file = arg;
		return 1;
	case BO_SILENCE:
		if (units_duration(arg, &in->log_silence) < 0)
			return cli_usage_error(cmd, "%s", err_msg());
		return 1;
	case BO_HARD:
		if (units_duration(arg, &in->hard_limit) < 0)
			return cli_usage_error(cmd, "%s", err_msg());
		return 1;
	case BO_LOG_MAX:
		if (units_size(arg, &in->log_max) < 0)
			return cli_usage_error(cmd, "%s", err_msg());
		return 1;
	case BO_JSON:
		in->json = true;
		return 1;
	}
	return 0;
}

int build_load_conf(struct build_input *in)
{
	int err = ferryconf_load(&in->conf, in->config_file);

	if (!err && in->image)
		in->conf->images.override = xstrdup(in->image);
	return err;
}

void build_input_release(struct build_input *in)
{
	ferryconf_free(in->conf);
	in->conf = NULL;
	svec_release(&in->only);
	svec_release(&in->env_names);
	svec_release(&in->env_values);
}

void build_lfs_report(const struct vcs_lfs_report *r, bool quiet)
{
	struct buf b = BUF_INIT;

	if (r->files && !quiet) {
		vcs_lfs_summary(r, &b);
		fprintf(stderr, "ferry: %s\n", b.ptr);
	}
	for (size_t i = 0; i < r->warnings.n; i++)
		fprintf(stderr, "ferry: warning: %s\n", r->warnings.v[i]);
	buf_release(&b);
}

/*
 * Git LFS content in `tree`, the export of a local checkout, as a clone
 * on Travis has it, unless the .travis.yml in `workspace` sets
 * git.lfs_skip_smudge.
 */
static void local_lfs(const struct vcs_info *info, const char *tree,
		      const char *workspace, const struct ferryconf *conf,
		      struct svec *notes)
{
	struct vcs_lfs_report rep = VCS_LFS_REPORT_INIT;
	struct vcs_remote_opts ro = { 0 };
	struct vcs_checkout_opts co;
	struct travis_config *c = NULL;
	struct config_opts opts = { .no_imports = true };
	struct buf text = BUF_INIT;
	char *cfg = fs_join(workspace, ".travis.yml");
	char *cache = ferryconf_dir(conf, "git", false);

	buf_set_limit(&text, LOADER_MAX_BYTES);
	if (!fs_read_file(&text, cfg) &&
	    !config_load_text(&c, ".travis.yml", text.ptr, text.len, &opts))
		vcs_checkout_opts_from_git(&co, val_map_get(c->config, "git"));
	else
		vcs_checkout_opts_from_git(&co, NULL);
	ro.cache_root = cache;
	if (co.lfs && vcs_lfs_smudge(info, tree, &ro, &rep) < 0)
		fprintf(stderr, "ferry: warning: Git LFS: %s\n", err_msg());
	build_lfs_report(&rep, false);
	vcs_lfs_notes(&rep, notes);
	vcs_lfs_report_release(&rep);
	config_free(c);
	buf_release(&text);
	free(cache);
	free(cfg);
}

int build_local_workspace(const char *dir, bool dirty,
			  const struct ferryconf *conf, struct vcs_info *info,
			  struct svec *notes, char **tmp_out,
			  char **workspace_out)
{
	char *tmp = NULL;
	int err = vcs_local_info(info, dir);

	*tmp_out = NULL;
	if (err == FY_ENOTFOUND) {
		/* Not a git repository: build the directory as it is. */
		const char *base = fs_basename(dir);

		fprintf(stderr,
			"ferry: '%s' is not in a git repository: "
			"building the directory as it is\n",
			dir);
		info->slug = xasprintf("local/%s", *base ? base : "build");
		info->branch = xstrdup("master");
		info->message = xstrdup("");
		info->range = xstrdup("");
		info->event_type = xstrdup("push");
		*workspace_out = xstrdup(dir);
		return EXIT_OK;
	}
	if (err < 0)
		return cli_error(EXIT_ERRORED);
	err = fs_tmpdir(&tmp, "ferry-ws");
	if (!err) {
		char *dest = fs_join(tmp, "tree");

		err = vcs_export_dir(dir, dest, dirty ? VCS_EXPORT_DIRTY : 0);
		if (!err) {
			size_t wl = strlen(info->workdir);
			const char *sub = "";

			/* DIR may be a directory inside the repository. */
			while (wl > 1 && info->workdir[wl - 1] == '/')
				wl--;
			if (!strncmp(dir, info->workdir, wl) && dir[wl] == '/')
				sub = dir + wl + 1;
			*workspace_out =
				*sub ? fs_join(dest, sub) : xstrdup(dest);
			if (!*sub && vcs_attach_git(info, dest) < 0)
				fprintf(stderr,
					"ferry: warning: the workspace has no "
					".git: %s\n",
					err_msg());
			local_lfs(info, dest, *workspace_out, conf, notes);
			if (*sub) {
				/* the project is the subdirectory */
				char *slug = xasprintf("%s", fs_basename(dir));

				free(info->slug);
				info->slug = xasprintf("local/%s", slug);
				free(slug);
			}
		}
		free(dest);
	}
	if (err < 0) {
		if (tmp) {
			fs_rm_rf(tmp);
			free(tmp);
		}
		return cli_error(EXIT_ERRORED);
	}
	*tmp_out = tmp;
	return EXIT_OK;
}
