/* The server's store: deliveries, the build state machine, the outbox. */
#include "compat.h"

#include "unit.h"

#include "json.h"
#include "svec.h"
#include "val.h"
#include "../../runner/store.h"

static struct val *parse(const char *json)
{
	struct val *v = NULL;

	if (json_parse(&v, json, strlen(json), 0) < 0)
		return NULL;
	return v;
}

static int64_t num(const struct val *m, const char *key)
{
	const char *t = val_text(val_map_get(m, key));

	return t ? strtoll(t, NULL, 10) : -1;
}

/* A request and its build from `plan` (JSON); returns the build id. */
static int64_t new_build(struct store *s, const char *guid,
			 const char *build_json, const char *plan_json,
			 bool cancel_old, struct svec *running)
{
	struct val *req = parse("{\"slug\": \"acme/app\"}");
	struct val *b = parse(build_json), *plan = parse(plan_json);
	int64_t rid = 0, bid = 0;
	bool dup = false;

	if (store_delivery_add(s, guid, "push", "acme/app", "accepted", req,
			       &rid, &dup) < 0 ||
	    store_build_create(s, rid, b, plan, cancel_old, &bid, running) < 0)
		bid = -1;
	val_free(req);
	val_free(b);
	val_free(plan);
	return bid;
}

#define PUSH_MAIN                                                              \
	"{\"slug\": \"acme/app\", \"event\": \"push\", \"branch\": \"main\", " \
	"\"commit_sha\": \"c1\", \"status_sha\": \"c1\"}"
#define STAGED                                                                 \
	"{\"jobs\": [{\"stage\": \"test\", \"config\": {\"script\": \"a\"}}, " \
	"{\"stage\": \"test\", \"config\": {\"script\": \"b\"}}, "             \
	"{\"stage\": \"deploy\", \"config\": {\"script\": \"c\"}}]}"

/* "state state ..." of a build's jobs, and the build's state. */
static void states(struct store *s, int64_t id, char *out, size_t size)
{
	struct val *b = NULL;
	size_t len = 0;

	out[0] = '\0';
	if (store_build(s, id, &b) < 0)
		return;
	len = (size_t)snprintf(out, size,
			       "%s:", val_text(val_map_get(b, "state")));
	for (size_t i = 0; i < val_map_get(b, "jobs")->seq.n && len < size; i++)
		len += (size_t)snprintf(
			out + len, size - len, " %s",
			val_text(val_map_get(val_map_get(b, "jobs")->seq.v[i],
					     "state")));
	val_free(b);
}

/* Claim the next job; its id, or -1. */
static int64_t claim(struct store *s)
{
	struct val *j = NULL, *b = NULL;
	int64_t id = -1;

	if (!store_job_claim(s, &j, &b))
		id = num(j, "id");
	val_free(j);
	val_free(b);
	return id;
}

void test_store__delivery_recorded_once(void)
{
	struct store *s = NULL;
	struct val *req = parse("{\"slug\": \"acme/app\"}"), *list = NULL;
	int64_t id = 0;
	bool dup = true;

	check_ok(store_open(&s, "db"));
	check_ok(store_delivery_add(s, "g1", "push", "acme/app", "accepted",
				    req, &id, &dup));
	check(!dup && id == 1);
	check_ok(store_delivery_add(s, "g1", "push", "acme/app", "accepted",
				    req, &id, &dup));
	check(dup && id == 0);
	check_ok(store_requests(s, NULL, 10, &list));
	check_int(list->seq.n, ==, 1);
	val_free(list);
	val_free(req);
	store_close(s);
	/* reopening finds the same data and schema */
	check_ok(store_open(&s, "db"));
	check_ok(store_requests(s, "acme/app", 10, &list));
	check_int(list->seq.n, ==, 1);
	val_free(list);
	store_close(s);
}

void test_store__stages_in_order_and_a_failure_cancels_the_rest(void)
{
	struct store *s = NULL;
	struct svec running = SVEC_INIT;
	char st[256];
	int64_t b, j1, j2;

	check_ok(store_open(&s, "db"));
	b = new_build(s, "g1", PUSH_MAIN, STAGED, true, &running);
	check_int(b, ==, 1);
	states(s, b, st, sizeof(st));
	check_str(st, "created: queued queued created");
	j1 = claim(s);
	j2 = claim(s);
	check_int(claim(s), ==, -1); /* deploy waits for test */
	states(s, b, st, sizeof(st));
	check_str(st, "started: started started created");
	check_ok(store_job_finish(s, j1, "passed", 0, 1.5, NULL));
	check_ok(store_job_finish(s, j2, "failed", 1, 2.5, NULL));
	states(s, b, st, sizeof(st));
	/* a stage-canceled job does not make the build "canceled" */
	check_str(st, "failed: passed failed canceled");
	check_int(claim(s), ==, -1);
	store_close(s);
}

void test_store__next_stage_is_queued_when_one_passes(void)
{
	struct store *s = NULL;
	struct svec running = SVEC_INIT;
	char st[256];
	int64_t b;

	check_ok(store_open(&s, "db"));
	b = new_build(s, "g1", PUSH_MAIN, STAGED, true, &running);
	check_ok(store_job_finish(s, claim(s), "passed", 0, 1, NULL));
	check_ok(store_job_finish(s, claim(s), "passed", 0, 1, NULL));
	states(s, b, st, sizeof(st));
	check_str(st, "started: passed passed queued");
	check_ok(store_job_finish(s, claim(s), "passed", 0, 1, NULL));
	states(s, b, st, sizeof(st));
	check_str(st, "passed: passed passed passed");
	store_close(s);
}

void test_store__allow_failure_and_fast_finish(void)
{
	static const struct {
		const char *plan, *second, *want;
	} cases[] = {
		/* an allowed failure does not fail the build */
		{ "{\"jobs\": [{\"config\": {}}, {\"allow_failure\": true, "
		  "\"config\": {}}]}",
		  "failed", "passed: passed failed" },
		/* fast_finish: finished once the required job is */
		{ "{\"fast_finish\": true, \"jobs\": [{\"config\": {}}, "
		  "{\"allow_failure\": true, \"config\": {}}]}",
		  NULL, "passed: passed started" },
		/* errored beats failed */
		{ "{\"jobs\": [{\"config\": {}}, {\"config\": {}}]}", "errored",
		  "errored: passed errored" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct store *s = NULL;
		struct svec running = SVEC_INIT;
		char db[32], st[256];
		int64_t b, j1, j2;

		snprintf(db, sizeof(db), "db%zu", i);
		check_ok(store_open(&s, db));
		b = new_build(s, "g", PUSH_MAIN, cases[i].plan, true, &running);
		j1 = claim(s);
		j2 = claim(s);
		check_ok(store_job_finish(s, j1, "passed", 0, 1, NULL));
		if (cases[i].second)
			check_ok(store_job_finish(s, j2, cases[i].second, 1, 1,
						  NULL));
		states(s, b, st, sizeof(st));
		check_str(st, cases[i].want);
		store_close(s);
	}
}

void test_store__a_newer_push_cancels_older_builds_of_its_branch(void)
{
	struct store *s = NULL;
	struct svec running = SVEC_INIT;
	char st[256];
	int64_t b1, b2, b3, j1;
	const char *other =
		"{\"slug\": \"acme/app\", \"event\": \"push\", \"branch\": "
		"\"dev\", \"commit_sha\": \"c9\", \"status_sha\": \"c9\"}";
	const char *two = "{\"jobs\": [{\"config\": {}}, {\"config\": {}}]}";

	check_ok(store_open(&s, "db"));
	b1 = new_build(s, "g1", PUSH_MAIN, two, true, &running);
	b2 = new_build(s, "g2", other, two, true, &running);
	j1 = claim(s);
	b3 = new_build(s, "g3", PUSH_MAIN, two, true, &running);
	check_int(running.n, ==, 1);
	check_int(strtoll(running.v[0], NULL, 10), ==, j1);
	states(s, b1, st, sizeof(st));
	check_str(st, "started: started canceled");
	check_ok(store_job_finish(s, j1, "canceled", -1, 1, "canceled"));
	states(s, b1, st, sizeof(st));
	check_str(st, "canceled: canceled canceled");
	states(s, b2, st, sizeof(st));
	check_str(st, "created: queued queued"); /* another branch */
	states(s, b3, st, sizeof(st));
	check_str(st, "created: queued queued");
	svec_release(&running);
	store_close(s);
}

void test_store__recover_errors_running_jobs_and_keeps_the_queue(void)
{
	struct store *s = NULL;
	struct svec running = SVEC_INIT, ids = SVEC_INIT;
	const char *two = "{\"jobs\": [{\"config\": {}}, {\"config\": {}}]}";
	struct val *j = NULL;
	char st[256];
	int64_t b, j1;

	check_ok(store_open(&s, "db"));
	b = new_build(s, "g1", PUSH_MAIN, two, true, &running);
	j1 = claim(s);
	store_close(s);
	check_ok(store_open(&s, "db"));
	check_ok(store_recover(s, "server died", &ids));
	check_int(ids.n, ==, 1);
	check_int(strtoll(ids.v[0], NULL, 10), ==, j1);
	check_ok(store_job(s, j1, &j));
	check_str(val_text(val_map_get(j, "reason")), "server died");
	val_free(j);
	states(s, b, st, sizeof(st));
	check_str(st, "started: errored queued");
	check_ok(store_job_finish(s, claim(s), "passed", 0, 1, NULL));
	states(s, b, st, sizeof(st));
	check_str(st, "errored: errored passed");
	svec_release(&ids);
	store_close(s);
}

void test_store__restart_and_cancel(void)
{
	struct store *s = NULL;
	struct svec running = SVEC_INIT;
	const char *one = "{\"jobs\": [{\"config\": {}}]}";
	struct val *b = NULL;
	char st[256];
	int64_t id, j;
	bool run = false;

	check_ok(store_open(&s, "db"));
	id = new_build(s, "g1", PUSH_MAIN, one, true, &running);
	check_int(store_build_restart(s, id), ==, FY_EINVALID);
	j = claim(s);
	check_ok(store_job_cancel(s, j, "by hand", &run));
	check(run); /* running: the caller raises its flag */
	check_ok(store_job_finish(s, j, "canceled", -1, 1, NULL));
	check_int(store_build_cancel(s, id, "x", &running), ==, FY_EINVALID);
	check_ok(store_build_restart(s, id));
	states(s, id, st, sizeof(st));
	check_str(st, "created: queued");
	check_ok(store_build(s, id, &b));
	check_int(num(b, "attempt"), ==, 2);
	val_free(b);
	check_ok(store_build_cancel(s, id, "by hand", &running));
	states(s, id, st, sizeof(st));
	check_str(st, "canceled: canceled");
	check_ok(store_job_restart(s, j));
	states(s, id, st, sizeof(st));
	check_str(st, "started: queued");
	store_close(s);
}

void test_store__statuses_leave_in_order_per_build(void)
{
	struct store *s = NULL;
	struct svec running = SVEC_INIT;
	const char *one = "{\"jobs\": [{\"config\": {}}]}";
	struct val *st = NULL;
	long wait = 0, pending = 0;
	int64_t b, first;

	check_ok(store_open(&s, "db"));
	b = new_build(s, "g1", PUSH_MAIN, one, true, &running);
	check_ok(store_job_finish(s, claim(s), "passed", 0, 1, NULL));
	check_ok(store_status_pending(s, &pending));
	check_int(pending, ==, 2);
	check_ok(store_status_next(s, 1000, &st, &wait));
	check_str(val_text(val_map_get(st, "state")), "created");
	check_str(val_text(val_map_get(st, "status_sha")), "c1");
	check_int(num(st, "build_id"), ==, b);
	first = num(st, "id");
	val_free(st);
	/* the first waits for a retry: the second must not overtake it */
	check_ok(store_status_retry(s, first, 1010, "HTTP 502"));
	check_int(store_status_next(s, 1000, &st, &wait), ==, FY_ENOTFOUND);
	check_int(wait, ==, 0); /* the second is due, but blocked */
	check_ok(store_status_next(s, 1010, &st, &wait));
	check_int(num(st, "id"), ==, first);
	check_int(num(st, "attempts"), ==, 1);
	val_free(st);
	check_ok(store_status_done(s, first, NULL));
	check_ok(store_status_next(s, 1010, &st, &wait));
	check_str(val_text(val_map_get(st, "state")), "passed");
	check_ok(store_status_done(s, num(st, "id"), NULL));
	val_free(st);
	check_int(store_status_next(s, 1010, &st, &wait), ==, FY_ENOTFOUND);
	check_int(wait, ==, -1);
	store_close(s);
}
