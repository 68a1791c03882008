#include "compat.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "awscreds.h"
#include "buf.h"
#include "fs.h"
#include "svec.h"
#include "unit.h"
#include "val.h"
#include "xalloc.h"

/*
 * The credential chain with temporary files and an environment that
 * does not fall back to ferry's own (aws_env.no_host), so the order of
 * the sources can be checked one by one.  The network sources are
 * covered by tests/suites/50-deploy.sh against moto; here they run in
 * dry runs, which announce the requests they would send.
 */

void test_awscreds__ini(void)
{
	static const char text[] = "# comment\n"
				   "[default]\n"
				   "aws_access_key_id = AKIDDEFAULT\n"
				   "aws_secret_access_key=secret/with=equals\n"
				   "\n"
				   "[profile ci]\n"
				   "region = eu-west-1\n"
				   "s3 =\n"
				   "  max_concurrent_requests = 20\n"
				   "; another comment\n"
				   "[  spaced  ]\n"
				   "key = value with  spaces  \n";
	struct val *v = NULL;

	check_ok(awscreds_ini_parse(&v, text, sizeof(text) - 1, true));
	check_str(val_text(val_map_get(val_map_get(v, "default"),
				       "aws_secret_access_key")),
		  "secret/with=equals");
	check_str(val_text(val_map_get(val_map_get(v, "ci"), "region")),
		  "eu-west-1");
	check(!val_map_get(val_map_get(v, "ci"), "s3"));
	check(!val_map_get(val_map_get(v, "ci"), "max_concurrent_requests"));
	check_str(val_text(val_map_get(val_map_get(v, "spaced"), "key")),
		  "value with  spaces");
	val_free(v);
	check_ok(awscreds_ini_parse(&v, "[profile x]\na=b\n", 16, false));
	check(val_map_get(v, "profile x"));
	val_free(v);
	check_int(awscreds_ini_parse(&v, "a=b\n", 4, false), ==, FY_EINVALID);
	check_int(awscreds_ini_parse(&v, "[x\n", 3, false), ==, FY_EINVALID);
	check_int(awscreds_ini_parse(&v, "[x]\njunk\n", 9, false), ==,
		  FY_EINVALID);
}

struct rec {
	struct svec secrets, log;
};

static void add_secret(void *payload, const char *s)
{
	svec_push(&((struct rec *)payload)->secrets, s);
}

static void logline(void *payload, const char *line)
{
	svec_push(&((struct rec *)payload)->log, line);
}

static void setup(struct val *vars, struct awscreds_opts *o, struct rec *r,
		  struct aws_env *env)
{
	env->vars = vars;
	env->no_host = true;
	memset(o, 0, sizeof(*o));
	o->env = env;
	o->region = "us-east-1";
	o->add_secret = add_secret;
	o->secret_payload = r;
	o->log = logline;
	o->log_payload = r;
	val_map_set(vars, "AWS_SHARED_CREDENTIALS_FILE", val_str("creds"));
	val_map_set(vars, "AWS_CONFIG_FILE", val_str("config"));
	val_map_set(vars, "AWS_EC2_METADATA_DISABLED", val_str("true"));
}

static void write_files(void)
{
	static const char creds[] = "[default]\n"
				    "aws_access_key_id = AKIDFILEDEFAULT\n"
				    "aws_secret_access_key = filesecret\n"
				    "[ci]\n"
				    "aws_access_key_id = AKIDFILECI\n"
				    "aws_secret_access_key = cisecret\n"
				    "aws_session_token = citoken\n"
				    "[half]\n"
				    "aws_access_key_id = AKIDHALF\n";
	static const char config[] = "[default]\n"
				     "region = eu-central-1\n"
				     "[profile cfgonly]\n"
				     "aws_access_key_id = AKIDCONFIG\n"
				     "aws_secret_access_key = configsecret\n"
				     "[profile ci]\n"
				     "aws_access_key_id = AKIDSHADOWED\n"
				     "aws_secret_access_key = shadowed\n"
				     "[profile deployer]\n"
				     "role_arn = arn:aws:iam::123456789012:"
				     "role/deploy\n"
				     "source_profile = ci\n"
				     "role_session_name = build-7\n"
				     "[profile loop]\n"
				     "role_arn = arn:aws:iam::1:role/x\n"
				     "source_profile = loop\n"
				     "aws_access_key_id = AKIDLOOP\n"
				     "aws_secret_access_key = loopsecret\n"
				     "[profile nosource]\n"
				     "role_arn = arn:aws:iam::1:role/x\n";

	fs_write_file("creds", creds, sizeof(creds) - 1, 0600);
	fs_write_file("config", config, sizeof(config) - 1, 0600);
}

void test_awscreds__chain_order(void)
{
	struct val *vars = val_map();
	struct aws_env env;
	struct awscreds_opts o;
	struct rec r = { SVEC_INIT, SVEC_INIT };
	struct aws_creds c = AWS_CREDS_INIT;

	write_files();
	setup(vars, &o, &r, &env);
	val_map_set(vars, "AWS_ACCESS_KEY_ID", val_str("AKIDENV"));
	val_map_set(vars, "AWS_SECRET_ACCESS_KEY", val_str("envsecret"));
	val_map_set(vars, "AWS_SESSION_TOKEN", val_str("envtoken"));

	/* 1. options beat everything */
	o.access_key_id = "AKIDOPTION";
	o.secret_access_key = "optsecret";
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDOPTION");
	check(!c.session_token);
	check_str(c.source, "the deploy options");
	check(svec_has(&r.secrets, "optsecret"));
	check(svec_has(&r.secrets, "AKIDOPTION"));
	aws_creds_release(&c);

	/* 2. then the environment, token included */
	o.access_key_id = o.secret_access_key = NULL;
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDENV");
	check_str(c.session_token, "envtoken");
	check(svec_has(&r.secrets, "envtoken"));
	aws_creds_release(&c);

	/* a named profile skips the environment */
	o.profile = "ci";
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDFILECI");
	check_str(c.session_token, "citoken");
	check(strstr(c.source, "profile 'ci'"));
	aws_creds_release(&c);

	/* 3. without environment keys: AWS_PROFILE, credentials file first */
	o.profile = NULL;
	val_map_del(vars, "AWS_ACCESS_KEY_ID");
	val_map_del(vars, "AWS_SECRET_ACCESS_KEY");
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDFILEDEFAULT");
	aws_creds_release(&c);
	val_map_set(vars, "AWS_PROFILE", val_str("ci"));
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDFILECI");
	aws_creds_release(&c);
	/* then the config file */
	val_map_set(vars, "AWS_PROFILE", val_str("cfgonly"));
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDCONFIG");
	check(strstr(c.source, "'config'"));
	aws_creds_release(&c);

	val_free(vars);
	svec_release(&r.secrets);
	svec_release(&r.log);
}

void test_awscreds__errors(void)
{
	struct val *vars = val_map();
	struct aws_env env;
	struct awscreds_opts o;
	struct rec r = { SVEC_INIT, SVEC_INIT };
	struct aws_creds c = AWS_CREDS_INIT;

	write_files();
	setup(vars, &o, &r, &env);
	o.access_key_id = "AKIDONLY";
	check_int(awscreds_resolve(&c, &o), ==, FY_EINVALID);
	check(strstr(err_msg(), "'secret_access_key' is not"));
	o.access_key_id = NULL;
	val_map_set(vars, "AWS_SECRET_ACCESS_KEY", val_str("lonely"));
	check_int(awscreds_resolve(&c, &o), ==, FY_EINVALID);
	check(strstr(err_msg(), "AWS_ACCESS_KEY_ID is not"));
	val_map_del(vars, "AWS_SECRET_ACCESS_KEY");
	o.profile = "half";
	check_int(awscreds_resolve(&c, &o), ==, FY_EINVALID);
	o.profile = "missing";
	check_int(awscreds_resolve(&c, &o), ==, FY_EINVALID);
	check(strstr(err_msg(), "profile 'missing'"));
	o.profile = "nosource";
	check_int(awscreds_resolve(&c, &o), ==, FY_EINVALID);
	/* nothing anywhere, instance metadata off: a clear EAUTH */
	o.profile = NULL;
	val_map_set(vars, "AWS_SHARED_CREDENTIALS_FILE", val_str("none"));
	val_map_set(vars, "AWS_CONFIG_FILE", val_str("none"));
	check_int(awscreds_resolve(&c, &o), ==, FY_EAUTH);
	check(strstr(err_msg(), "no AWS credentials"));
	check(strstr(err_msg(), "instance metadata is disabled"));
	/* container credentials must stay on loopback or https */
	val_map_set(vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		    val_str("http://example.com/creds"));
	check_int(awscreds_resolve(&c, &o), ==, FY_EINVALID);
	val_free(vars);
	svec_release(&r.secrets);
	svec_release(&r.log);
}

/* The network sources in a dry run: announced, stand-ins used. */
void test_awscreds__dry_run_sources(void)
{
	struct val *vars = val_map();
	struct aws_env env;
	struct awscreds_opts o;
	struct rec r = { SVEC_INIT, SVEC_INIT };
	struct aws_creds c = AWS_CREDS_INIT;
	char *log;

	write_files();
	setup(vars, &o, &r, &env);
	o.dry_run = true;
	/* a profile role: STS AssumeRole signed with the source profile */
	o.profile = "deployer";
	val_map_set(vars, "AWS_ENDPOINT_URL_STS",
		    val_str("http://127.0.0.1:9"));
	check_ok(awscreds_resolve(&c, &o));
	check(strstr(c.source, "role 'arn:aws:iam::123456789012:role/deploy'"));
	check(strstr(c.source, "profile 'ci'"));
	log = svec_join(&r.log, "\n");
	check(strstr(log, "dry run: POST http://127.0.0.1:9/"));
	check(strstr(log, "Action=AssumeRole"));
	check(strstr(log, "RoleSessionName=build-7"));
	check(!strstr(log, "cisecret"));
	check(!strstr(log, "citoken"));
	free(log);
	aws_creds_release(&c);
	svec_release(&r.log);
	/* a profile that is its own source uses its own keys */
	o.profile = "loop";
	check_ok(awscreds_resolve(&c, &o));
	check(strstr(c.source, "profile 'loop'"));
	aws_creds_release(&c);
	/* the role_arn option on top of static keys */
	o.profile = NULL;
	o.access_key_id = "AKIDOPTION";
	o.secret_access_key = "optsecret";
	o.role_arn = "arn:aws:iam::123456789012:role/opt";
	check_ok(awscreds_resolve(&c, &o));
	check(strstr(c.source, "role 'arn:aws:iam::123456789012:role/opt' "
			       "assumed with the deploy options"));
	aws_creds_release(&c);
	/* instance metadata, announced */
	o.access_key_id = o.secret_access_key = o.role_arn = NULL;
	svec_release(&r.log);
	val_map_set(vars, "AWS_SHARED_CREDENTIALS_FILE", val_str("none"));
	val_map_set(vars, "AWS_CONFIG_FILE", val_str("none"));
	val_map_del(vars, "AWS_EC2_METADATA_DISABLED");
	val_map_set(vars, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
		    val_str("http://127.0.0.1:9"));
	check_ok(awscreds_resolve(&c, &o));
	check(strstr(c.source, "instance metadata"));
	log = svec_join(&r.log, "\n");
	check(strstr(log, "PUT http://127.0.0.1:9/latest/api/token"));
	free(log);
	aws_creds_release(&c);
	val_free(vars);
	svec_release(&r.secrets);
	svec_release(&r.log);
}

void test_awscreds__json(void)
{
	struct buf b = BUF_INIT;
	struct aws_creds c = AWS_CREDS_INIT;

	check_ok(fs_read_file(&b, unit_shared("aws-vectors/protocol-fixtures/"
					      "imds/security-credentials."
					      "role.json")));
	check_ok(awscreds_parse_json(&c, b.ptr, b.len, "imds"));
	check_str(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
	check_str(c.session_token, "IQoJb3JpZ2luX2VjEXAMPLETOKEN");
	check_int(c.expiration, ==, 1700021600);
	aws_creds_release(&c);
	buf_reset(&b);
	check_ok(fs_read_file(&b, unit_shared("aws-vectors/protocol-fixtures/"
					      "imds/security-credentials."
					      "error.json")));
	check_int(awscreds_parse_json(&c, b.ptr, b.len, "imds"), ==, FY_EAUTH);
	check(strstr(err_msg(), "AssumeRoleUnauthorizedAccess"));
	check_int(awscreds_parse_json(&c, "[]", 2, "imds"), ==, FY_EAUTH);
	{
		static const char empty[] =
			"{\"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"\"}";

		check_int(awscreds_parse_json(&c, empty, strlen(empty), "imds"),
			  ==, FY_EAUTH);
		check(strstr(err_msg(), "no AccessKeyId/SecretAccessKey"));
	}
	buf_release(&b);
}

/* ---- credential_process ---- */

/* The words of a split as "[a][b c]", or "error". */
static void split_words(struct buf *out, const char *cmd)
{
	struct svec w = SVEC_INIT;

	buf_reset(out);
	if (awscreds_process_split(&w, cmd) < 0)
		buf_addstr(out, "error");
	for (size_t i = 0; i < w.n; i++)
		buf_addf(out, "[%s]", w.v[i]);
	svec_release(&w);
}

/* Python's shlex.split(), which the AWS CLI uses, gave these. */
void test_awscreds__process_split(void)
{
	static const struct {
		const char *cmd, *want;
	} cases[] = {
		{ "/bin/cmd --flag value", "[/bin/cmd][--flag][value]" },
		{ "  a   b  ", "[a][b]" },
		{ "a 'b c' d", "[a][b c][d]" },
		{ "\"a b\" c", "[a b][c]" },
		{ "a\"b c\"d", "[ab cd]" },
		{ "'it'\\''s'", "[it's]" },
		{ "\"x\\\"y\"", "[x\"y]" },
		{ "\"x\\\\y\"", "[x\\y]" },
		{ "\"x\\ny\"", "[x\\ny]" },
		{ "a\\ b", "[a b]" },
		{ "a\\\\b", "[a\\b]" },
		{ "''", "[]" },
		{ "a '' b", "[a][][b]" },
		{ "\"\"\"\"", "[]" },
		{ "x\"'\"y", "[x'y]" },
		{ "'a\\b'", "[a\\b]" },
		{ "#not-a-comment x", "[#not-a-comment][x]" },
		{ "'$HOME' ~ *", "[$HOME][~][*]" },
		{ "a\tb\nc\r", "[a][b][c]" },
		{ "", "" },
		{ "   ", "" },
		{ "'open", "error" },
		{ "\"open", "error" },
		{ "trail\\", "error" },
		{ "\"x\\", "error" },
	};
	struct buf got = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		split_words(&got, cases[i].cmd);
		if (strcmp(got.ptr, cases[i].want)) {
			unit_fail(__FILE__, __LINE__, "split <%s>: %s, want %s",
				  cases[i].cmd, got.ptr, cases[i].want);
			break;
		}
	}
	buf_release(&got);
}

void test_awscreds__process_parse(void)
{
	static const struct {
		const char *json;
		const char *error; /* NULL: parsed */
	} cases[] = {
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKIDP\", "
		  "\"SecretAccessKey\": \"s3cr3t-p\"}",
		  NULL },
		{ "{\"Version\": 1.0, \"AccessKeyId\": \"AKIDP\", "
		  "\"SecretAccessKey\": \"s3cr3t-p\", \"SessionToken\": "
		  "\"tok-p\", \"Expiration\": \"2023-11-15T04:13:20Z\"}",
		  NULL },
		{ "{\"AccessKeyId\": \"AKIDP\", \"SecretAccessKey\": "
		  "\"s3cr3t-p\"}",
		  "Version '(none)' is not supported" },
		{ "{\"Version\": \"1\", \"AccessKeyId\": \"AKIDP\", "
		  "\"SecretAccessKey\": \"s3cr3t-p\"}",
		  "Version '1' is not supported" },
		{ "{\"Version\": 2, \"AccessKeyId\": \"AKIDP\", "
		  "\"SecretAccessKey\": \"s3cr3t-p\"}",
		  "Version '2' is not supported" },
		{ "{\"Version\": 1, \"SecretAccessKey\": \"s3cr3t-p\"}",
		  "no AccessKeyId" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKIDP\"}",
		  "no SecretAccessKey" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKIDP\", "
		  "\"SecretAccessKey\": 7}",
		  "no SecretAccessKey" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKIDP\", "
		  "\"SecretAccessKey\": \"s3cr3t-p\", \"SessionToken\": 5}",
		  "SessionToken is not a string" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKIDP\", "
		  "\"SecretAccessKey\": \"s3cr3t-p\", \"Expiration\": "
		  "\"next week\"}",
		  "bad Expiration 'next week'" },
		{ "[\"AKIDP\", \"s3cr3t-p\"]", "is not a JSON object" },
		{ "AccessKeyId=AKIDP s3cr3t-p",
		  "its output is not JSON (at 1:" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"AKIDP\", "
		  "\"SecretAccessKey\": \"s3cr3t-p\"",
		  "its output is not JSON" },
	};
	struct aws_creds c = AWS_CREDS_INIT;
	const char *j;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		j = cases[i].json;
		int err = awscreds_process_parse(&c, j, strlen(j), "ci");

		if (!cases[i].error && err < 0) {
			unit_fail(__FILE__, __LINE__, "case %zu: %s", i,
				  err_msg());
			break;
		}
		if (!cases[i].error)
			continue;
		if (err != FY_EAUTH || !strstr(err_msg(), cases[i].error) ||
		    !strstr(err_msg(), "profile 'ci'") ||
		    strstr(err_msg(), "s3cr3t")) {
			unit_fail(__FILE__, __LINE__, "case %zu: %d %s", i, err,
				  err_msg());
			break;
		}
	}
	aws_creds_release(&c);
	j = "{\"Version\": 1, \"AccessKeyId\": \"AKIDP\", "
	    "\"SecretAccessKey\": \"s3cr3t-p\", \"SessionToken\": \"tok\", "
	    "\"Expiration\": \"2023-11-15T06:13:20.5+02:00\"}";
	check_ok(awscreds_process_parse(&c, j, strlen(j), "ci"));
	check_str(c.access_key_id, "AKIDP");
	check_str(c.secret_access_key, "s3cr3t-p");
	check_str(c.session_token, "tok");
	check_int(c.expiration, ==, 1700021600);
	check_str(c.source, "credential_process of profile 'ci'");
	aws_creds_release(&c);
}

/* A script that prints credentials valid for $1 seconds (default 3600)
 * and counts its runs in the file `count`. */
static const char cred_script[] =
	"#!/bin/sh\n"
	"echo \"$*\" >>count\n"
	"t=$(( $(date +%s) + ${1:-3600} ))\n"
	"printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
	"\"SecretAccessKey\": \"procsecret\", \"SessionToken\": "
	"\"proctoken\", \"Expiration\": \"%s\"}\\n' "
	"\"$(date -u -d @$t +%Y-%m-%dT%H:%M:%SZ)\"\n";

static int script(const char *name, const char *text)
{
	return fs_write_file(name, text, strlen(text), 0755);
}

static int lines_of(const char *path)
{
	struct buf b = BUF_INIT;
	int n = 0;

	if (fs_read_file(&b, path) == 0)
		for (size_t i = 0; i < b.len; i++)
			n += b.ptr[i] == '\n';
	buf_release(&b);
	return n;
}

void test_awscreds__process_run(void)
{
	struct aws_creds c = AWS_CREDS_INIT;
	struct buf b = BUF_INIT;
	time_t now = time(NULL);
	long long t0;

	check_ok(script("cred.sh", cred_script));
	check_ok(awscreds_process_run(&c, "./cred.sh 600", "ci", 10000));
	check_str(c.access_key_id, "AKIDPROC");
	check_str(c.session_token, "proctoken");
	check(c.expiration >= now + 590 && c.expiration <= now + 610);
	aws_creds_release(&c);
	check_int(lines_of("count"), ==, 1);

	/* no shell: the words arrive as the AWS CLI splits them */
	check_ok(script("args.sh",
			"#!/bin/sh\n"
			"for a; do printf '<%s>' \"$a\"; done >args\n"
			"exec ./cred.sh\n"));
	check_ok(awscreds_process_run(
		&c, "./args.sh 'two words' \"a \\\"q\\\"\" $HOME;x '' `id`",
		"ci", 10000));
	aws_creds_release(&c);
	check_ok(fs_read_file(&b, "args"));
	check_str(b.ptr, "<two words><a \"q\"><$HOME;x><><`id`>");

	/* a failure: its status and stderr, never its stdout */
	check_ok(script("fail.sh", "#!/bin/sh\necho procsecret\n"
				   "echo 'token expired' >&2\n"
				   "echo 'run: login --sso' >&2\nexit 3\n"));
	check_int(awscreds_process_run(&c, "./fail.sh", "ci", 10000), ==,
		  FY_EAUTH);
	check(strstr(err_msg(), "credential_process of profile 'ci' exited "
				"with status 3: token expired run: login"));
	check(!strstr(err_msg(), "procsecret"));

	/* output that is not the JSON */
	check_ok(script("junk.sh", "#!/bin/sh\necho AKIDPROC procsecret\n"));
	check_int(awscreds_process_run(&c, "./junk.sh", "ci", 10000), ==,
		  FY_EAUTH);
	check(strstr(err_msg(), "not JSON"));
	check(!strstr(err_msg(), "procsecret"));

	/* the time limit, its process group killed */
	check_ok(script("slow.sh", "#!/bin/sh\nsleep 30 &\nsleep 30\n"));
	t0 = (long long)time(NULL);
	check_int(awscreds_process_run(&c, "./slow.sh", "ci", 300), ==,
		  FY_ETIMEOUT);
	check((long long)time(NULL) - t0 < 5);
	check(strstr(err_msg(), "did not finish"));

	/* the output cap */
	check_ok(script("big.sh", "#!/bin/sh\nhead -c 200000 /dev/zero | "
				  "tr '\\0' x\n"));
	check_int(awscreds_process_run(&c, "./big.sh", "ci", 10000), ==,
		  FY_ETOOBIG);
	check(strstr(err_msg(), "more than 64 KiB"));

	/* a program that is not there, or cannot run */
	check(awscreds_process_run(&c, "no-such-tool-ferry --x", "ci", 1000) <
	      0);
	check(strstr(err_msg(), "'no-such-tool-ferry' is not in PATH"));
	check_ok(fs_write_file("plain.txt", "x", 1, 0644));
	check(awscreds_process_run(&c, "./plain.txt", "ci", 1000) < 0);
	check(strstr(err_msg(), "cannot run"));
	check_int(awscreds_process_run(&c, "./cred.sh 'open", "ci", 1000), ==,
		  FY_EINVALID);
	check(strstr(err_msg(), "no closing quotation"));
	buf_release(&b);
}

/*
 * credential_process in the chain.  It runs only from files named in
 * ferry's own environment, so AWS_CONFIG_FILE is set there here (and
 * the `profile` option keeps the machine's own keys out).
 */
void test_awscreds__process_chain(void)
{
	static const char config[] =
		"[profile proc]\n"
		"credential_process = ./cred.sh 7200\n"
		"[profile both]\n"
		"credential_process = ./cred.sh\n"
		"aws_access_key_id = AKIDCONFIGBOTH\n"
		"aws_secret_access_key = configboth\n"
		"[profile shadowed]\n"
		"credential_process = ./cred.sh\n"
		"[profile role]\n"
		"role_arn = arn:aws:iam::123456789012:role/r\n"
		"source_profile = proc\n";
	static const char creds[] = "[shadowed]\n"
				    "aws_access_key_id = AKIDCREDS\n"
				    "aws_secret_access_key = credssecret\n";
	struct val *vars = val_map();
	struct aws_env env;
	struct awscreds_opts o;
	struct rec r = { SVEC_INIT, SVEC_INIT };
	struct aws_creds c = AWS_CREDS_INIT;
	time_t now = time(NULL);
	char *log;

	check_ok(script("cred.sh", cred_script));
	check_ok(fs_write_file("pconfig", config, sizeof(config) - 1, 0600));
	check_ok(fs_write_file("pcreds", creds, sizeof(creds) - 1, 0600));
	setup(vars, &o, &r, &env);
	env.no_host = false;
	val_map_del(vars, "AWS_CONFIG_FILE");
	val_map_set(vars, "AWS_SHARED_CREDENTIALS_FILE", val_str("pcreds"));
	setenv("AWS_CONFIG_FILE", "pconfig", 1);

	o.profile = "proc";
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDPROC");
	check_str(c.source, "credential_process of profile 'proc'");
	check(c.expiration >= now + 7190);
	check(svec_has(&r.secrets, "procsecret"));
	check(svec_has(&r.secrets, "proctoken"));
	aws_creds_release(&c);
	check_int(lines_of("count"), ==, 1);
	/* the credentials file's keys come first, the config's after */
	o.profile = "shadowed";
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDCREDS");
	aws_creds_release(&c);
	o.profile = "both";
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDPROC");
	aws_creds_release(&c);
	check_int(lines_of("count"), ==, 2);
	/* a source_profile (dry run: the process is not run) */
	o.profile = "role";
	o.dry_run = true;
	check_ok(awscreds_resolve(&c, &o));
	check(strstr(c.source, "role 'arn:aws:iam::123456789012:role/r' "
			       "assumed with credential_process of profile "
			       "'proc'"));
	aws_creds_release(&c);
	check_int(lines_of("count"), ==, 2);
	log = svec_join(&r.log, "\n");
	check(strstr(log, "credential_process of profile 'proc' not run"));
	free(log);
	o.dry_run = false;

	/* a file the job's variables name is not run from */
	val_map_set(vars, "AWS_CONFIG_FILE", val_str("pconfig"));
	o.profile = "proc";
	check_int(awscreds_resolve(&c, &o), ==, FY_EINVALID);
	check(strstr(err_msg(), "the job's AWS_CONFIG_FILE"));
	check_int(lines_of("count"), ==, 2);

	unsetenv("AWS_CONFIG_FILE");
	val_free(vars);
	svec_release(&r.secrets);
	svec_release(&r.log);
}

/* ---- web identity and SSO ---- */

void test_awscreds__web_identity(void)
{
	static const char config[] =
		"[profile wi]\n"
		"web_identity_token_file = token\n"
		"role_arn = arn:aws:iam::123456789012:role/web\n"
		"role_session_name = from-profile\n"
		"[profile norole]\n"
		"web_identity_token_file = token\n"
		"[profile missing]\n"
		"web_identity_token_file = no-such-token\n"
		"role_arn = arn:aws:iam::123456789012:role/web\n"
		"[profile sso]\n"
		"sso_session = corp\n"
		"sso_account_id = 123456789012\n"
		"sso_role_name = Deploy\n";
	struct val *vars = val_map();
	struct aws_env env;
	struct awscreds_opts o;
	struct rec r = { SVEC_INIT, SVEC_INIT };
	struct aws_creds c = AWS_CREDS_INIT;
	struct buf b = BUF_INIT;
	char *log;

	write_files();
	check_ok(fs_read_file(&b, "config"));
	buf_addstr(&b, config);
	check_ok(fs_write_file("config", b.ptr, b.len, 0600));
	buf_release(&b);
	check_ok(fs_write_file("token", "eyJ.web-token.sig\n", 18, 0600));
	check_ok(fs_write_file("empty", "\n", 1, 0600));
	setup(vars, &o, &r, &env);
	o.dry_run = true;
	val_map_set(vars, "AWS_ENDPOINT_URL_STS",
		    val_str("http://127.0.0.1:9"));
	val_map_set(vars, "AWS_WEB_IDENTITY_TOKEN_FILE", val_str("token"));
	val_map_set(vars, "AWS_ROLE_ARN",
		    val_str("arn:aws:iam::123456789012:role/env"));
	val_map_set(vars, "AWS_ROLE_SESSION_NAME", val_str("build-9"));

	/* the environment's: an unsigned AssumeRoleWithWebIdentity */
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.source, "role 'arn:aws:iam::123456789012:role/env' "
			    "assumed with the web identity token 'token' "
			    "(dry run: stand-in credentials)");
	aws_creds_release(&c);
	log = svec_join(&r.log, "\n");
	check(strstr(log, "dry run: POST http://127.0.0.1:9/"));
	check(strstr(log, "Action=AssumeRoleWithWebIdentity"));
	check(strstr(log, "RoleSessionName=build-9"));
	check(strstr(log, "WebIdentityToken=%5Bhidden%5D"));
	check(!strstr(log, "Authorization"));
	check(!strstr(log, "web-token"));
	free(log);
	check(svec_has(&r.secrets, "eyJ.web-token.sig"));

	/* environment keys come first */
	val_map_set(vars, "AWS_ACCESS_KEY_ID", val_str("AKIDENV"));
	val_map_set(vars, "AWS_SECRET_ACCESS_KEY", val_str("envsecret"));
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.source, "the environment");
	aws_creds_release(&c);
	val_map_del(vars, "AWS_ACCESS_KEY_ID");
	val_map_del(vars, "AWS_SECRET_ACCESS_KEY");
	/* a profile's assume-role configuration comes before it... */
	val_map_set(vars, "AWS_PROFILE", val_str("deployer"));
	check_ok(awscreds_resolve(&c, &o));
	check(strstr(c.source, "role 'arn:aws:iam::123456789012:role/deploy' "
			       "assumed with profile 'ci'"));
	aws_creds_release(&c);
	/* ...its keys after it */
	val_map_set(vars, "AWS_PROFILE", val_str("ci"));
	check_ok(awscreds_resolve(&c, &o));
	check(strstr(c.source, "role 'arn:aws:iam::123456789012:role/env'"));
	aws_creds_release(&c);
	/* the profile option ignores the environment's web identity */
	o.profile = "ci";
	check_ok(awscreds_resolve(&c, &o));
	check_str(c.access_key_id, "AKIDFILECI");
	aws_creds_release(&c);

	/* a profile's own: its role and session name */
	o.profile = "wi";
	svec_release(&r.log);
	check_ok(awscreds_resolve(&c, &o));
	check(strstr(c.source, "role 'arn:aws:iam::123456789012:role/web' "
			       "assumed with the web identity token 'token'"));
	aws_creds_release(&c);
	log = svec_join(&r.log, "\n");
	check(strstr(log, "RoleSessionName=from-profile"));
	free(log);
	/* AWS_ROLE_ARN completes a profile's token file */
	o.profile = NULL;
	val_map_del(vars, "AWS_WEB_IDENTITY_TOKEN_FILE");
	val_map_set(vars, "AWS_PROFILE", val_str("norole"));
	check_ok(awscreds_resolve(&c, &o));
	check(strstr(c.source, "role 'arn:aws:iam::123456789012:role/env'"));
	aws_creds_release(&c);

	/* errors: no role, no token file, an empty one */
	val_map_del(vars, "AWS_ROLE_ARN");
	check_int(awscreds_resolve(&c, &o), ==, FY_EINVALID);
	check(strstr(err_msg(), "no role: set AWS_ROLE_ARN or role_arn in "
				"profile 'norole'"));
	val_map_set(vars, "AWS_PROFILE", val_str("missing"));
	check(awscreds_resolve(&c, &o) < 0);
	check(strstr(err_msg(), "web identity token file"));
	check(strstr(err_msg(), "no-such-token"));
	val_map_set(vars, "AWS_PROFILE", val_str("wi"));
	val_map_set(vars, "AWS_WEB_IDENTITY_TOKEN_FILE", val_str("empty"));
	check_int(awscreds_resolve(&c, &o), ==, FY_EAUTH);
	check(strstr(err_msg(), "'empty' is empty"));
	val_map_del(vars, "AWS_WEB_IDENTITY_TOKEN_FILE");

	/* SSO is not supported: said, not skipped */
	val_map_set(vars, "AWS_PROFILE", val_str("sso"));
	check_int(awscreds_resolve(&c, &o), ==, FY_EAUTH);
	check(strstr(err_msg(), "IAM Identity Center (SSO), which ferry does "
				"not support"));

	val_free(vars);
	svec_release(&r.secrets);
	svec_release(&r.log);
}

/* ---- the cache: refreshes before the expiration ---- */

struct source {
	pthread_mutex_t lock;
	int calls;
	int lifetime; /* of the credentials handed out, in seconds */
	bool fail;
	struct svec log;
};

static void set_test_creds(struct aws_creds *c, const char *key,
			   time_t expiration)
{
	c->access_key_id = xstrdup(key);
	c->secret_access_key = xstrdup("secret");
	c->session_token = xstrdup("token");
	c->expiration = expiration;
	c->source = xstrdup("the test source");
}

static int source_refresh(void *payload, struct aws_creds *out)
{
	struct source *s = payload;
	char key[32];
	int n;

	pthread_mutex_lock(&s->lock);
	n = ++s->calls;
	pthread_mutex_unlock(&s->lock);
	if (s->fail)
		return err_set(FY_EAUTH, "the source is down");
	usleep(2000);
	snprintf(key, sizeof(key), "AKID%d", n);
	set_test_creds(out, key, time(NULL) + s->lifetime);
	return 0;
}

static void source_log(void *payload, const char *line)
{
	struct source *s = payload;

	pthread_mutex_lock(&s->lock);
	svec_push(&s->log, line);
	pthread_mutex_unlock(&s->lock);
}

static void cache_with(struct aws_credcache **cc, struct source *s,
		       time_t expiration)
{
	struct aws_creds c = AWS_CREDS_INIT;
	struct aws_credcache_src src = { source_refresh, NULL, s, source_log,
					 s };

	set_test_creds(&c, "AKID0", expiration);
	aws_credcache_new(cc, &c, &src);
	check(!c.access_key_id);
}

void test_awscreds__cache_refresh(void)
{
	struct source s = { PTHREAD_MUTEX_INITIALIZER, 0, 3600, false,
			    SVEC_INIT };
	struct aws_credcache *cc = NULL;
	struct aws_creds c = AWS_CREDS_INIT;
	time_t now = time(NULL);

	/* far from expiring: as they are */
	cache_with(&cc, &s, now + 3600);
	check_ok(aws_credcache_get(cc, &c));
	check_str(c.access_key_id, "AKID0");
	check_int(s.calls, ==, 0);
	aws_creds_release(&c);
	aws_credcache_free(cc);

	/* inside the margin: fetched again, once */
	cache_with(&cc, &s, now + AWS_CREDS_REFRESH_MARGIN - 10);
	check_ok(aws_credcache_get(cc, &c));
	check_str(c.access_key_id, "AKID1");
	check(c.expiration >= now + 3600);
	aws_creds_release(&c);
	check_ok(aws_credcache_get(cc, &c));
	check_str(c.access_key_id, "AKID1");
	check_int(s.calls, ==, 1);
	check(s.log.n == 1 &&
	      strstr(s.log.v[0], "Credentials refreshed from the test source"));
	aws_creds_release(&c);
	/* peek never refreshes */
	aws_credcache_free(cc);
	cache_with(&cc, &s, now + 10);
	aws_credcache_peek(cc, &c);
	check_str(c.access_key_id, "AKID0");
	check_int(s.calls, ==, 1);
	aws_creds_release(&c);

	/* a failed refresh: the old ones while they last, then the error */
	s.fail = true;
	check_ok(aws_credcache_get(cc, &c));
	check_str(c.access_key_id, "AKID0");
	check(strstr(s.log.v[s.log.n - 1], "Refreshing the credentials "
					   "failed (the source is down)"));
	aws_creds_release(&c);
	aws_credcache_free(cc);
	cache_with(&cc, &s, now - 1);
	check_int(aws_credcache_get(cc, &c), ==, FY_EAUTH);
	check(strstr(err_msg(), "expired and cannot be refreshed: the source "
				"is down"));
	aws_credcache_free(cc);
	/* refreshed credentials that have already expired */
	s.fail = false;
	s.lifetime = -5;
	cache_with(&cc, &s, now - 1);
	check_int(aws_credcache_get(cc, &c), ==, FY_EAUTH);
	check(strstr(err_msg(), "expired as they were fetched"));
	aws_credcache_free(cc);

	/* no expiration, or no source: never refreshed */
	s.calls = 0;
	cache_with(&cc, &s, 0);
	check_ok(aws_credcache_get(cc, &c));
	aws_creds_release(&c);
	aws_credcache_free(cc);
	set_test_creds(&c, "AKIDFIXED", now - 100);
	aws_credcache_new(&cc, &c, NULL);
	check_ok(aws_credcache_get(cc, &c));
	check_str(c.access_key_id, "AKIDFIXED");
	aws_creds_release(&c);
	aws_credcache_free(cc);
	check_int(s.calls, ==, 0);
	svec_release(&s.log);
}

struct getter {
	struct aws_credcache *cc;
	int bad;
};

static void *get_many(void *payload)
{
	struct getter *g = payload;

	for (int i = 0; i < 200; i++) {
		struct aws_creds c = AWS_CREDS_INIT;

		if (aws_credcache_get(g->cc, &c) < 0 || !c.access_key_id ||
		    strncmp(c.access_key_id, "AKID", 4) || !c.secret_access_key)
			g->bad++;
		aws_creds_release(&c);
	}
	return NULL;
}

/* Upload threads share one cache; a refresh swaps what they copy. */
void test_awscreds__cache_threads(void)
{
	struct source s = { PTHREAD_MUTEX_INITIALIZER, 0, 120, false,
			    SVEC_INIT };
	struct getter g[8];
	pthread_t t[8];
	struct aws_credcache *cc = NULL;
	struct aws_creds c = AWS_CREDS_INIT;

	/* credentials that stay inside the margin: refreshed again and
	   again, one refresh at a time, the others served meanwhile */
	cache_with(&cc, &s, time(NULL) + 120);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		g[i].cc = cc;
		g[i].bad = 0;
		check(!pthread_create(&t[i], NULL, get_many, &g[i]));
	}
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		pthread_join(t[i], NULL);
		check_int(g[i].bad, ==, 0);
	}
	check(s.calls >= 2);
	check(s.calls <= 8 * 200);
	aws_credcache_peek(cc, &c);
	check(strcmp(c.access_key_id, "AKID0"));
	aws_creds_release(&c);
	aws_credcache_free(cc);

	/* inside the mandatory minute every caller waits: one refresh */
	s.calls = 0;
	s.lifetime = 3600;
	cache_with(&cc, &s, time(NULL) + 5);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		g[i].cc = cc;
		check(!pthread_create(&t[i], NULL, get_many, &g[i]));
	}
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		pthread_join(t[i], NULL);
		check_int(g[i].bad, ==, 0);
	}
	check_int(s.calls, ==, 1);
	aws_credcache_free(cc);
	svec_release(&s.log);
}

/* The chain in a cache: a credential_process asked again when due. */
void test_awscreds__resolve_cache(void)
{
	static const char config[] = "[profile short]\n"
				     "credential_process = ./cred.sh 120\n"
				     "[profile long]\n"
				     "credential_process = ./cred.sh 7200\n"
				     "[profile static]\n"
				     "aws_access_key_id = AKIDSTATIC\n"
				     "aws_secret_access_key = staticsecret\n";
	struct val *vars = val_map();
	struct aws_env env;
	struct awscreds_opts o;
	struct rec r = { SVEC_INIT, SVEC_INIT };
	struct aws_credcache *cc = NULL;
	struct aws_creds c = AWS_CREDS_INIT;
	char profile[] = "short";
	char *log;

	check_ok(script("cred.sh", cred_script));
	check_ok(fs_write_file("pconfig", config, sizeof(config) - 1, 0600));
	setup(vars, &o, &r, &env);
	env.no_host = false;
	val_map_del(vars, "AWS_CONFIG_FILE");
	val_map_set(vars, "AWS_SHARED_CREDENTIALS_FILE", val_str("none"));
	setenv("AWS_CONFIG_FILE", "pconfig", 1);

	/* the options are copied: the caller's strings may go */
	o.profile = profile;
	check_ok(awscreds_resolve_cache(&cc, &o));
	memset(profile, 'x', sizeof(profile) - 1);
	check_int(lines_of("count"), ==, 1);
	check_ok(aws_credcache_get(cc, &c));
	check_str(c.source, "credential_process of profile 'short'");
	aws_creds_release(&c);
	check_ok(aws_credcache_get(cc, &c));
	aws_creds_release(&c);
	check_int(lines_of("count"), ==, 3);
	log = svec_join(&r.log, "\n");
	check(strstr(log, "Credentials refreshed from credential_process of "
			  "profile 'short' (until "));
	free(log);
	aws_credcache_free(cc);

	o.profile = "long";
	check_ok(awscreds_resolve_cache(&cc, &o));
	check_ok(aws_credcache_get(cc, &c));
	aws_creds_release(&c);
	check_int(lines_of("count"), ==, 4);
	aws_credcache_free(cc);

	o.profile = "static";
	check_ok(awscreds_resolve_cache(&cc, &o));
	check_ok(aws_credcache_get(cc, &c));
	check_str(c.access_key_id, "AKIDSTATIC");
	aws_creds_release(&c);
	aws_credcache_free(cc);

	unsetenv("AWS_CONFIG_FILE");
	val_free(vars);
	svec_release(&r.secrets);
	svec_release(&r.log);
}
