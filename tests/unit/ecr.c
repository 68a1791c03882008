#include "compat.h"

#include <sys/stat.h>

#include "buf.h"
#include "ecr.h"
#include "fs.h"
#include "json.h"
#include "unit.h"
#include "val.h"
#include "xalloc.h"

static struct val *answer(const char *json)
{
	struct val *v = NULL;

	if (json_parse(&v, json, strlen(json), 0) < 0)
		return NULL;
	return v;
}

void test_ecr__parse(void)
{
	/* "AWS:pa:ss" splits at the first ':' as awscli does */
	struct val *v = answer(
		"{\"authorizationData\":[{\"authorizationToken\":"
		"\"QVdTOnBhOnNz\",\"expiresAt\":1700000000.5,"
		"\"proxyEndpoint\":\"https://123456789012.dkr.ecr.eu-west-1."
		"amazonaws.com\"}]}");
	struct ecr_auth a = ECR_AUTH_INIT;

	check(v);
	check_ok(ecr_parse_authorization(v, &a));
	check_str(a.user, "AWS");
	check_str(a.password, "pa:ss");
	check_str(a.token, "QVdTOnBhOnNz");
	check_str(a.registry, "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
	check_int(a.expires, ==, 1700000000);
	ecr_auth_release(&a);
	check(!a.password && !a.token);
	val_free(v);
}

void test_ecr__parse_bad(void)
{
	static const char *const cases[] = {
		"{}",
		"{\"authorizationData\":[]}",
		/* no endpoint */
		"{\"authorizationData\":[{\"authorizationToken\":"
		"\"QVdTOnBhc3M=\"}]}",
		/* not Base64 */
		"{\"authorizationData\":[{\"authorizationToken\":\"*\","
		"\"proxyEndpoint\":\"https://h\"}]}",
		/* "nocolon" */
		"{\"authorizationData\":[{\"authorizationToken\":"
		"\"bm9jb2xvbg==\",\"proxyEndpoint\":\"https://h\"}]}",
		/* "AWS:" */
		"{\"authorizationData\":[{\"authorizationToken\":\"QVdTOg==\","
		"\"proxyEndpoint\":\"https://h\"}]}",
		/* an endpoint without a host (found by fuzz_ecr) */
		"{\"authorizationData\":[{\"authorizationToken\":"
		"\"QVdTOnB3\",\"proxyEndpoint\":\"/123.ecr\"}]}",
		"{\"authorizationData\":[{\"authorizationToken\":"
		"\"QVdTOnB3\",\"proxyEndpoint\":\"https://a b\"}]}",
		/* ":pw" */
		"{\"authorizationData\":[{\"authorizationToken\":\"OnB3\","
		"\"proxyEndpoint\":\"https://h\"}]}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *v = answer(cases[i]);
		struct ecr_auth a = ECR_AUTH_INIT;

		check(v);
		check_int(ecr_parse_authorization(v, &a), ==, FY_EINVALID);
		check(!a.token);
		val_free(v);
	}
}

void test_ecr__registry_host(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "https://1.dkr.ecr.us-east-1.amazonaws.com",
		  "1.dkr.ecr.us-east-1.amazonaws.com" },
		{ "https://1.dkr.ecr.us-east-1.amazonaws.com/",
		  "1.dkr.ecr.us-east-1.amazonaws.com" },
		{ "http://127.0.0.1:5000", "127.0.0.1:5000" },
		{ "registry.example:443/v2", "registry.example:443" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *h = ecr_registry_host(cases[i].in);

		check_str(h, cases[i].want);
		free(h);
	}
}

static int merge(struct buf *out, const char *old)
{
	return ecr_docker_config_merge(out, old, old ? strlen(old) : 0,
				       "r.example", "QVdTOnB3");
}

void test_ecr__merge(void)
{
	static const struct {
		const char *old, *want;
	} cases[] = {
		{ NULL, "{\n\t\"auths\": {\n\t\t\"r.example\": {\n\t\t\t"
			"\"auth\": \"QVdTOnB3\"\n\t\t}\n\t}\n}\n" },
		/* other registries and settings stay, the entry is replaced */
		{ "{\"auths\":{\"other\":{\"auth\":\"eA==\"},\"r.example\":"
		  "{\"auth\":\"old\",\"email\":\"x\"}},\"psFormat\":\"t\","
		  "\"credHelpers\":{\"gcr.io\":\"gcloud\"}}",
		  "{\n\t\"auths\": {\n\t\t\"other\": {\n\t\t\t\"auth\": "
		  "\"eA==\"\n\t\t},\n\t\t\"r.example\": {\n\t\t\t\"auth\": "
		  "\"QVdTOnB3\"\n\t\t}\n\t},\n\t\"psFormat\": \"t\",\n\t"
		  "\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t}\n}\n" },
		{ "{\"auths\":[]}", "{\n\t\"auths\": {\n\t\t\"r.example\": "
				    "{\n\t\t\t\"auth\": \"QVdTOnB3\"\n\t\t}"
				    "\n\t}\n}\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf out = BUF_INIT;

		check_ok(merge(&out, cases[i].old));
		check_str(out.ptr, cases[i].want);
		buf_release(&out);
	}
}

void test_ecr__merge_refused(void)
{
	static const struct {
		const char *old, *says;
	} cases[] = {
		{ "{\"credsStore\":\"desktop\"}", "docker-credential-desktop" },
		{ "{\"credHelpers\":{\"r.example\":\"ecr-login\"}}",
		  "docker-credential-ecr-login" },
		{ "[1]", "not a JSON object" },
		{ "{\"auths\":", "docker config" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf out = BUF_INIT;

		check_int(merge(&out, cases[i].old), ==, FY_EINVALID);
		check(strstr(err_msg(), cases[i].says));
		check_int(out.len, ==, 0);
		buf_release(&out);
	}
}

void test_ecr__login_file(void)
{
	struct ecr_auth a = ECR_AUTH_INIT;
	struct buf got = BUF_INIT;
	struct stat st;
	char *path = NULL;

	a.registry = xstrdup("127.0.0.1:5000");
	a.token = xstrdup("QVdTOnB3");
	check_ok(ecr_docker_login("cfg/docker", &a, &path));
	check_str(path, "cfg/docker/config.json");
	check_ok(fs_read_file(&got, path));
	check(strstr(got.ptr, "\"127.0.0.1:5000\": {\n\t\t\t\"auth\": "
			      "\"QVdTOnB3\""));
	check(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	check(stat("cfg/docker", &st) == 0 && (st.st_mode & 0777) == 0700);
	/* a second login keeps the first registry */
	free(a.registry);
	a.registry = xstrdup("other:1");
	free(path);
	path = NULL;
	check_ok(ecr_docker_login("cfg/docker", &a, NULL));
	buf_reset(&got);
	check_ok(fs_read_file(&got, "cfg/docker/config.json"));
	check(strstr(got.ptr, "127.0.0.1:5000") && strstr(got.ptr, "other:1"));
	buf_release(&got);
	ecr_auth_release(&a);
}
