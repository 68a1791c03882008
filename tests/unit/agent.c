/*
 * Tests of deployers/agent*.c through agent_run(), in process, the way a
 * CodeDeploy test server calls it: the result, the events reported, the
 * agent's log tail arithmetic, and the inputs refused before a deployment
 * starts.  (tests/suites/80-appspec.sh has the full case table through
 * `ferry appspec run`.)
 */
#include "compat.h"

#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "unit.h"
#include "val.h"
#include "xalloc.h"

static bool put(const char *path, const char *text, int mode)
{
	char *dir = fs_dirname(path);
	bool ok = !fs_mkdir_p(dir, 0755) &&
		  !fs_write_file(path, text, strlen(text), 0644) &&
		  !chmod(path, (mode_t)mode);

	free(dir);
	return ok;
}

struct seen {
	int starts;
	char names[16][32];
	int n;
};

static void on_start(const struct agent_result *res, void *payload)
{
	struct seen *s = payload;

	s->starts += res->dir && res->deployment_id;
}

static void on_event(const struct agent_event *ev, void *payload)
{
	struct seen *s = payload;

	if (s->n < 16)
		snprintf(s->names[s->n++], sizeof(s->names[0]), "%s:%s",
			 ev->name, agent_state_name(ev->state));
}

void test_agent__in_process(void)
{
	static const char *const want[] = {
		"BeforeBlockTraffic:Skipped", "AfterBlockTraffic:Skipped",
		"ApplicationStop:Skipped",    "DownloadBundle:Succeeded",
		"BeforeInstall:Skipped",      "Install:Succeeded",
		"AfterInstall:Skipped",	      "ApplicationStart:Succeeded",
		"ValidateService:Failed",
	};
	struct seen seen = { 0 };
	struct agent_deployment d = { .bundle = "bundle",
				      .root = "root",
				      .deployment_id = "d-1",
				      .group_id = "g",
				      .on_start = on_start,
				      .on_event = on_event,
				      .payload = &seen };
	struct agent_result res = AGENT_RESULT_INIT;
	char cwd[4096], *dir;
	struct buf text = BUF_INIT;
	struct val *doc;

	check(getcwd(cwd, sizeof(cwd)));
	check(put("bundle/appspec.yml",
		  "version: 0.0\nos: linux\nfiles:\n  - source: site\n"
		  "    destination: out\nhooks:\n  ApplicationStart:\n"
		  "    - location: start.sh\n  ValidateService:\n"
		  "    - location: check.sh\n      timeout: 30\n",
		  0644));
	check(put("bundle/site/index.html", "hi\n", 0640));
	check(put(
		"bundle/start.sh",
		"#!/bin/sh\necho \"$LIFECYCLE_EVENT $DEPLOYMENT_ID "
		"$DEPLOYMENT_GROUP_ID $APPLICATION_NAME\" >../../../../started\n",
		0755));
	check(put("bundle/check.sh",
		  "#!/bin/sh\necho checking\necho bad >&2\nexit 3\n", 0755));
	check_ok(agent_run(&d, &res));
	dir = xasprintf("%s/root/g/d-1", cwd);
	check_str(res.dir, dir);
	check_str(res.deployment_id, "d-1");
	check_int(seen.starts, ==, 1);
	check_int(seen.n, ==, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		check_str(seen.names[i], want[i]);
	check(res.failed);
	check_str(res.failed->name, "ValidateService");
	check_str(res.failed->script, "check.sh");
	check_int(res.failed->code, ==, AGENT_SCRIPT_FAILED);
	check_int(res.failed->exit_status, ==, 3);
	check_str(res.failed->message,
		  "Script at specified location: check.sh failed with exit "
		  "code 3");
	check(strstr(res.failed->log, "[stdout]checking\n"));
	check(strstr(res.failed->log, "[stderr]bad\n"));
	check_int(res.events[res.nevents - 1].state, ==, AGENT_PENDING);
	check_ok(fs_read_file(&text, "started"));
	check_str(text.ptr, "ApplicationStart d-1 g bundle\n");
	check(fs_exists("out/index.html"));
	doc = agent_result_to_val(&res);
	check_str(val_strv(val_map_get(doc, "status")), "Failed");
	check_str(val_strv(val_map_get(val_map_get(doc, "error"), "event")),
		  "ValidateService");
	check_str(
		val_text(val_map_get(val_map_get(doc, "error"), "error_code")),
		"4");
	val_free(doc);
	buf_release(&text);
	free(dir);
	agent_result_release(&res);
}

/*
 * The log tail keeps what the agent's ScriptLog keeps: run under Ruby,
 * its append_to_log keeps 35 of these 202 entries (2030 characters),
 * from "line 166" on.
 */
void test_agent__log_tail(void)
{
	struct agent_deployment d = { .bundle = "b", .root = "root" };
	struct agent_result res = AGENT_RESULT_INIT;
	size_t lines = 0;

	check(put("b/appspec.yml",
		  "version: 0.0\nos: linux\nhooks:\n  ValidateService:\n"
		  "    - location: s.sh\n",
		  0644));
	check(put("b/s.sh",
		  "#!/bin/sh\ni=1\nwhile [ $i -le 200 ]; do\n"
		  "  printf 'line %03d %s\\n' $i "
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
		  "  i=$((i + 1))\ndone\nexit 1\n",
		  0755));
	check_ok(agent_run(&d, &res));
	check(res.failed);
	check(!strncmp(res.failed->log, "[stdout]line 166 xxxx", 21));
	check_int(strlen(res.failed->log), ==, 2030);
	for (const char *p = res.failed->log; *p; p++)
		lines += *p == '\n';
	check_int(lines, ==, 35);
	agent_result_release(&res);
}

void test_agent__refused_before_starting(void)
{
	struct agent_deployment d = { .bundle = "nowhere", .root = "root" };
	struct agent_result res = AGENT_RESULT_INIT;
	static const char *const bad_order[] = { "ValidateService",
						 "DownloadBundle", NULL };

	check_int(agent_run(&d, &res), ==, FY_ENOTFOUND);
	check(!res.events);
	check(put("b/appspec.yml", "version: 0.0\nos: linux\n", 0644));
	check(mkdir("empty", 0755) == 0);
	d.bundle = "empty";
	check_int(agent_run(&d, &res), ==, FY_ENOTFOUND);
	check(strstr(err_msg(), "Expecting appspec file"));
	d.bundle = "b";
	d.deployment_id = "../up";
	check_int(agent_run(&d, &res), ==, FY_EINVALID);
	d.deployment_id = NULL;
	d.file_exists_behavior = "KEEP";
	check_int(agent_run(&d, &res), ==, FY_EINVALID);
	d.file_exists_behavior = "overwrite";
	d.events = bad_order;
	check_int(agent_run(&d, &res), ==, FY_EINVALID);
	check(strstr(err_msg(), "before DownloadBundle"));
	check(!fs_exists("root/default-local-deployment-group"));
}

/* A random id is d- and 9 of [A-Z0-9] and -local, as codedeploy-local. */
void test_agent__random_id_and_bundle_into_itself(void)
{
	struct agent_deployment d = { .bundle = ".", .root = "root" };
	struct agent_result res = AGENT_RESULT_INIT;
	const char *id;

	check(put("appspec.yml", "version: 0.0\nos: linux\n", 0644));
	check_ok(agent_run(&d, &res));
	id = res.deployment_id;
	check_int(strlen(id), ==, 17);
	check(!strncmp(id, "d-", 2) && !strcmp(id + 11, "-local"));
	check_int(strspn(id + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), ==,
		  9);
	/* The root is inside the bundle: the agent's cp_r refuses. */
	check(res.failed);
	check_str(res.failed->name, "DownloadBundle");
	check(strstr(res.failed->message, "cannot copy directory"));
	agent_result_release(&res);
}
