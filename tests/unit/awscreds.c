#include "compat.h"

#include "aws.h"
#include "awscreds.h"
#include "buf.h"
#include "fs.h"
#include "svec.h"
#include "unit.h"
#include "val.h"

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
	buf_release(&b);
}
