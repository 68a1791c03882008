/* iampolicy.c: least-privilege policies of a build's deploys (iampolicy.h). */
#include "compat.h"

#include <ctype.h>
#include <strings.h>

#include "awsendpoint.h"
#include "buf.h"
#include "error.h"
#include "iampolicy.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define DEFAULT_CONFIG "CodeDeployDefault.OneAtATime"

/* What the policies are made of, gathered from the entries. */
struct want {
	const struct iampolicy_opts *o;
	const char *account;
	struct svec upload, upload_acl, read_back, list, website;
	struct svec bundle_put, bundle_get, bundle_prefix;
	struct svec apps, groups, configs;
	struct svec ecr_repos; /* repository ARNs */
	struct svec buckets;   /* every bucket, for the check */
	bool wait, any_codedeploy;
};

/* ---- small helpers ---- */

/* A plain string option (a secure or structured value is NULL). */
static const char *opt(const struct val *entry, const char *name)
{
	const struct val *v = val_map_get(entry, name);

	if (v && v->type == VAL_SEQ && v->seq.n)
		v = v->seq.v[0];
	if (!v ||
	    (v->type != VAL_STR && v->type != VAL_NUM && v->type != VAL_BOOL))
		return NULL;
	return val_text(v);
}

static bool is_secure(const struct val *entry, const char *name)
{
	const struct val *v = val_map_get(entry, name);

	return v && v->type == VAL_SECURE;
}

static bool opt_bool(const struct val *entry, const char *name, bool dflt)
{
	const char *v = opt(entry, name);

	if (!v)
		return dflt;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1"))
		return true;
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0"))
		return false;
	return dflt;
}

static void add_once(struct svec *s, char *str)
{
	if (svec_has(s, str))
		free(str);
	else
		svec_push_nodup(s, str);
}

static const char *partition(const char *region)
{
	return awsendpoint_partition(region)->name;
}

/* "/a/b/" -> "a/b" (dpl's upload_dir), as a new string. */
static char *trim_slashes(const char *s)
{
	size_t n;

	while (*s == '/')
		s++;
	n = strlen(s);
	while (n && s[n - 1] == '/')
		n--;
	return xmemdupz(s, n);
}

static char *s3_prefix_arn(const char *region, const char *bucket,
			   const char *dir)
{
	char *d = trim_slashes(dir ? dir : "");
	char *arn = xasprintf("arn:%s:s3:::%s/%s%s*", partition(region), bucket,
			      d, *d ? "/" : "");

	free(d);
	return arn;
}

static int need(const struct val *entry, size_t i, const char *provider,
		const char *name, const char **out)
{
	*out = opt(entry, name);
	if (*out && **out)
		return 0;
	if (is_secure(entry, name))
		return err_set(FY_EINVALID,
			       "deploy[%zu] (%s): '%s' is a secure value: "
			       "the policy needs it in the clear",
			       i, provider, name);
	return err_set(FY_EINVALID,
		       "deploy[%zu] (%s): no '%s' in .travis.yml (dpl could "
		       "take it from the environment; the policy cannot)",
		       i, provider, name);
}

/* ---- what each provider needs ---- */

static int want_s3(struct want *w, const struct val *e, size_t i,
		   const char *region)
{
	const char *bucket, *acl = opt(e, "acl");
	char *bucket_arn, *prefix;
	int err = need(e, i, "s3", "bucket", &bucket);

	if (err < 0)
		return err;
	prefix = s3_prefix_arn(region, bucket, opt(e, "upload_dir"));
	bucket_arn = xasprintf("arn:%s:s3:::%s", partition(region), bucket);
	if (is_secure(e, "acl") || (acl && strcmp(acl, "private")))
		add_once(&w->upload_acl, xstrdup(prefix));
	else
		add_once(&w->upload, xstrdup(prefix));
	if (!opt_bool(e, "overwrite", true)) {
		add_once(&w->read_back, xstrdup(prefix));
		add_once(&w->list, xstrdup(bucket_arn));
	}
	if (opt_bool(e, "skip_unchanged", false))
		add_once(&w->list, xstrdup(bucket_arn));
	if (opt(e, "index_document_suffix"))
		add_once(&w->website, xstrdup(bucket_arn));
	add_once(&w->buckets, bucket_arn);
	free(prefix);
	return 0;
}

static char *cd_arn(const struct want *w, const char *region, const char *type,
		    const char *name)
{
	return xasprintf("arn:%s:codedeploy:%s:%s:%s:%s", partition(region),
			 region, w->account, type, name);
}

static void want_bundle(struct want *w, const struct val *e, const char *region,
			const char *bucket, const char *key)
{
	const char *slash = strrchr(key, '/');
	char *dir = slash ? xmemdupz(key, (size_t)(slash - key)) : xstrdup("");

	add_once(&w->bundle_get, xasprintf("arn:%s:s3:::%s/%s",
					   partition(region), bucket, key));
	if (opt(e, "bundle_dir"))
		add_once(&w->bundle_put,
			 xasprintf("arn:%s:s3:::%s/%s", partition(region),
				   bucket, key));
	add_once(&w->bundle_prefix, s3_prefix_arn(region, bucket, dir));
	add_once(&w->buckets,
		 xasprintf("arn:%s:s3:::%s", partition(region), bucket));
	free(dir);
}

static int want_codedeploy(struct want *w, const struct val *e, size_t i,
			   const char *region)
{
	const char *app = opt(e, "application"), *group, *bucket, *key;
	const char *rt = opt(e, "revision_type");
	const char *config = w->o->deployment_config;
	int err;

	if (!app)
		app = opt(e, "application_name");
	if (!app) {
		err = need(e, i, "codedeploy", "application", &app);
		if (err < 0)
			return err;
	}
	group = opt(e, "deployment_group");
	if (!group)
		group = opt(e, "deployment_group_name");
	w->any_codedeploy = true;
	add_once(&w->apps, cd_arn(w, region, "application", app));
	if (group) {
		char *name = xasprintf("%s/%s", app, group);

		add_once(&w->groups,
			 cd_arn(w, region, "deploymentgroup", name));
		free(name);
	} else {
		char *name = xasprintf("%s/*", app);

		add_once(&w->groups,
			 cd_arn(w, region, "deploymentgroup", name));
		free(name);
	}
	add_once(&w->configs, cd_arn(w, region, "deploymentconfig",
				     config ? config : DEFAULT_CONFIG));
	if (opt_bool(e, "wait_until_deployed", false))
		w->wait = true;
	if (rt ? !strcasecmp(rt, "s3") : opt(e, "bucket") != NULL) {
		err = need(e, i, "codedeploy", "bucket", &bucket);
		if (!err)
			err = need(e, i, "codedeploy", "key", &key);
		if (err < 0)
			return err;
		want_bundle(w, e, region, bucket, key);
	}
	return 0;
}

/* ---- documents ---- */

static struct val *doc_new(void)
{
	struct val *d = val_map();

	val_map_set(d, "Version", val_str("2012-10-17"));
	val_map_set(d, "Statement", val_seq());
	return d;
}

static struct val *one_or_list(const char *const *items, size_t n)
{
	struct val *seq;

	if (n == 1)
		return val_str(items[0]);
	seq = val_seq();
	for (size_t i = 0; i < n; i++)
		val_seq_push(seq, val_str(items[i]));
	return seq;
}

/* Add a statement; nothing when it would have no resource. */
static void statement(struct val *doc, const char *sid,
		      const char *const *actions, const struct svec *res)
{
	struct val *st;
	size_t n = 0;

	if (!res->n)
		return;
	while (actions[n])
		n++;
	st = val_map();
	val_map_set(st, "Sid", val_str(sid));
	val_map_set(st, "Effect", val_str("Allow"));
	val_map_set(st, "Action", one_or_list(actions, n));
	val_map_set(st, "Resource",
		    one_or_list((const char *const *)res->v, res->n));
	val_seq_push(val_map_get(doc, "Statement"), st);
}

#define ACTIONS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void deploy_user(struct want *w, struct val *d)
{
	struct svec star = SVEC_INIT, check = SVEC_INIT;

	svec_push(&star, "*");
	statement(d, "S3Upload", ACTIONS("s3:PutObject"), &w->upload);
	statement(d, "S3UploadWithAcl",
		  ACTIONS("s3:PutObject", "s3:PutObjectAcl"), &w->upload_acl);
	statement(d, "S3ReadBack", ACTIONS("s3:GetObject"), &w->read_back);
	statement(d, "S3List", ACTIONS("s3:ListBucket"), &w->list);
	statement(d, "S3Website", ACTIONS("s3:PutBucketWebsite"), &w->website);
	statement(d, "CodeDeployBundleUpload", ACTIONS("s3:PutObject"),
		  &w->bundle_put);
	statement(d, "CodeDeployBundleRead", ACTIONS("s3:GetObject"),
		  &w->bundle_get);
	statement(d, "CodeDeployRevision",
		  ACTIONS("codedeploy:RegisterApplicationRevision",
			  "codedeploy:GetApplicationRevision"),
		  &w->apps);
	if (w->wait)
		statement(d, "CodeDeployDeployment",
			  ACTIONS("codedeploy:CreateDeployment",
				  "codedeploy:GetDeployment",
				  "codedeploy:ListDeploymentTargets",
				  "codedeploy:BatchGetDeploymentTargets"),
			  &w->groups);
	else
		statement(d, "CodeDeployDeployment",
			  ACTIONS("codedeploy:CreateDeployment"), &w->groups);
	statement(d, "CodeDeployConfig",
		  ACTIONS("codedeploy:GetDeploymentConfig"), &w->configs);
	if (w->ecr_repos.n) {
		statement(d, "EcrLogin", ACTIONS("ecr:GetAuthorizationToken"),
			  &star);
		statement(d, "EcrPush",
			  ACTIONS("ecr:BatchCheckLayerAvailability",
				  "ecr:InitiateLayerUpload",
				  "ecr:UploadLayerPart",
				  "ecr:CompleteLayerUpload", "ecr:PutImage"),
			  &w->ecr_repos);
	}
	if (!w->o->no_check) {
		/* one statement: IAM pairs every action with every resource,
		 * and an action never applies to another service's ARN */
		for (size_t i = 0; i < w->buckets.n; i++)
			svec_push(&check, w->buckets.v[i]);
		for (size_t i = 0; i < w->apps.n; i++)
			svec_push(&check, w->apps.v[i]);
		for (size_t i = 0; i < w->groups.n; i++)
			svec_push(&check, w->groups.v[i]);
		for (size_t i = 0; i < w->ecr_repos.n; i++)
			svec_push(&check, w->ecr_repos.v[i]);
		statement(d, "FerryDeployCheck",
			  ACTIONS("s3:ListBucket", "codedeploy:GetApplication",
				  "codedeploy:GetDeploymentGroup",
				  "ecr:DescribeRepositories"),
			  &check);
	}
	svec_release(&star);
	svec_release(&check);
}

static struct val *instance_role(struct want *w)
{
	struct val *d;
	struct svec star = SVEC_INIT;

	if (!w->any_codedeploy)
		return NULL;
	d = doc_new();
	svec_push(&star, "*");
	statement(d, "BundleDownload",
		  ACTIONS("s3:GetObject", "s3:GetObjectVersion"),
		  &w->bundle_prefix);
	if (w->ecr_repos.n) {
		statement(d, "EcrLogin", ACTIONS("ecr:GetAuthorizationToken"),
			  &star);
		statement(d, "EcrPull",
			  ACTIONS("ecr:BatchGetImage",
				  "ecr:GetDownloadUrlForLayer"),
			  &w->ecr_repos);
	}
	svec_release(&star);
	return d;
}

static struct val *service_trust(void)
{
	struct val *d = doc_new(), *st = val_map(), *principal = val_map();

	val_map_set(principal, "Service", val_str("codedeploy.amazonaws.com"));
	val_map_set(st, "Sid", val_str("CodeDeployAssumesTheRole"));
	val_map_set(st, "Effect", val_str("Allow"));
	val_map_set(st, "Principal", principal);
	val_map_set(st, "Action", val_str("sts:AssumeRole"));
	val_seq_push(val_map_get(d, "Statement"), st);
	return d;
}

/* ---- ECR repositories named in the config ---- */

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static void scan_string(const char *s, struct svec *names, char account[13],
			char region[32])
{
	const char *p = s;

	for (;;) {
		const char *hit = strstr(p, ".dkr.ecr.");
		const char *r, *end, *name;
		size_t rn, nn;

		if (!hit)
			return;
		p = hit + 9;
		if (hit - s < 12 || !all_digits(hit - 12, 12) ||
		    (hit - s > 12 && isalnum((unsigned char)hit[-13])))
			continue;
		r = hit + 9;
		end = strstr(r, ".amazonaws.com");
		rn = end ? (size_t)(end - r) : 0;
		if (!end || !rn || rn >= 32 || memchr(r, '/', rn))
			continue;
		name = end + 14;
		if (!strncmp(name, ".cn", 3))
			name += 3;
		if (*name != '/')
			continue;
		name++;
		nn = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._/-");
		while (nn && strchr("._/-", name[nn - 1]))
			nn--;
		if (!nn)
			continue;
		add_once(names, xmemdupz(name, nn));
		if (!*account) {
			memcpy(account, hit - 12, 12);
			account[12] = '\0';
		}
		if (!*region) {
			memcpy(region, r, rn);
			region[rn] = '\0';
		}
	}
}

void iampolicy_find_ecr(const struct val *v, struct svec *names,
			char account[13], char region[32])
{
	if (!v)
		return;
	if (v->type == VAL_STR)
		scan_string(v->str.s, names, account, region);
	else if (v->type == VAL_SEQ)
		for (size_t i = 0; i < v->seq.n; i++)
			iampolicy_find_ecr(v->seq.v[i], names, account, region);
	else if (v->type == VAL_MAP)
		for (size_t i = 0; i < v->map.n; i++)
			iampolicy_find_ecr(v->map.v[i].v, names, account,
					   region);
}

static void push_entry(struct val *out, const struct val *e)
{
	if (!e || e->type != VAL_MAP)
		return;
	for (size_t i = 0; i < out->seq.n; i++)
		if (val_equal(out->seq.v[i], e))
			return;
	val_seq_push(out, val_dup(e));
}

struct val *iampolicy_deploys(const struct val *jobs)
{
	struct val *out = val_seq();

	for (size_t i = 0; jobs && jobs->type == VAL_SEQ && i < jobs->seq.n;
	     i++) {
		const struct val *d = val_map_get(jobs->seq.v[i], "deploy");

		if (d && d->type == VAL_MAP)
			push_entry(out, d);
		for (size_t k = 0; d && d->type == VAL_SEQ && k < d->seq.n; k++)
			push_entry(out, d->seq.v[k]);
	}
	return out;
}

/* ---- the whole ---- */

static void want_release(struct want *w)
{
	struct svec *all[] = {
		&w->upload,  &w->upload_acl, &w->read_back,  &w->list,
		&w->website, &w->bundle_put, &w->bundle_get, &w->bundle_prefix,
		&w->apps,    &w->groups,     &w->configs,    &w->ecr_repos,
		&w->buckets
	};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		svec_release(all[i]);
}

static int gather(struct want *w, const struct val *deploys,
		  const char *dflt_region, struct iampolicy *out)
{
	for (size_t i = 0; deploys && i < deploys->seq.n; i++) {
		const struct val *e = deploys->seq.v[i];
		const char *provider = opt(e, "provider");
		const char *region = opt(e, "region");
		int err = 0;

		if (!region)
			region = dflt_region;
		if (is_secure(e, "region"))
			svec_pushf(&out->notes,
				   "deploy[%zu]: region is secure: %s assumed",
				   i, region);
		if (!provider)
			continue;
		if (!strcmp(provider, "s3"))
			err = want_s3(w, e, i, region);
		else if (!strcmp(provider, "codedeploy"))
			err = want_codedeploy(w, e, i, region);
		else
			svec_pushf(&out->notes,
				   "deploy[%zu]: provider '%s' needs no AWS "
				   "permission ferry knows of",
				   i, provider);
		if (err < 0)
			return err;
	}
	return 0;
}

int iampolicy_build(struct iampolicy *out, const struct val *deploys,
		    const struct val *config, const struct iampolicy_opts *o)
{
	struct want w;
	struct svec names = SVEC_INIT;
	char account[13] = "", region[32] = "";
	const char *dflt = o->region ? o->region : "us-east-1";
	struct iampolicy p = IAMPOLICY_INIT;
	int err;

	memset(&w, 0, sizeof(w));
	w.o = o;
	for (size_t i = 0; o->ecr_repositories && o->ecr_repositories[i]; i++)
		add_once(&names, xstrdup(o->ecr_repositories[i]));
	iampolicy_find_ecr(config, &names, account, region);
	p.account = xstrdup(o->account ? o->account : *account ? account : "*");
	w.account = p.account;
	if (!strcmp(p.account, "*"))
		svec_push(&p.notes, "the account is not known: ARNs say '*' "
				    "(give --account ID)");
	for (size_t i = 0; i < names.n; i++)
		add_once(&w.ecr_repos,
			 xasprintf("arn:%s:ecr:%s:%s:repository/%s",
				   partition(*region ? region : dflt),
				   *region ? region : dflt, p.account,
				   names.v[i]));
	err = gather(&w, deploys, dflt, &p);
	if (err < 0)
		goto out;
	p.deploy_user = doc_new();
	deploy_user(&w, p.deploy_user);
	p.instance_role = instance_role(&w);
	if (w.any_codedeploy) {
		p.service_trust = service_trust();
		p.service_managed_arn = xasprintf(
			"arn:%s:iam::aws:policy/service-role/AWSCodeDeployRole",
			partition(dflt));
	}
	*out = p;
	memset(&p, 0, sizeof(p));
out:
	iampolicy_release(&p);
	want_release(&w);
	svec_release(&names);
	return err;
}

void iampolicy_release(struct iampolicy *p)
{
	val_free(p->deploy_user);
	val_free(p->instance_role);
	val_free(p->service_trust);
	free(p->service_managed_arn);
	free(p->account);
	svec_release(&p->notes);
	memset(p, 0, sizeof(*p));
}

struct val *iampolicy_to_val(const struct iampolicy *p)
{
	struct val *v = val_map(), *notes = val_seq();

	val_map_set(v, "deploy_user", val_dup(p->deploy_user));
	val_map_set(v, "instance_role",
		    p->instance_role ? val_dup(p->instance_role) : val_null());
	if (p->service_trust) {
		struct val *sr = val_map(), *arns = val_seq();

		val_map_set(sr, "trust_policy", val_dup(p->service_trust));
		val_seq_push(arns, val_str(p->service_managed_arn));
		val_map_set(sr, "managed_policy_arns", arns);
		val_map_set(v, "service_role", sr);
	} else {
		val_map_set(v, "service_role", val_null());
	}
	for (size_t i = 0; i < p->notes.n; i++)
		val_seq_push(notes, val_str(p->notes.v[i]));
	val_map_set(v, "notes", notes);
	return v;
}

/* IAM's wildcards: '*' any run of characters, '?' one character. */
static bool wild(const char *pat, const char *s, bool fold)
{
	if (!*pat)
		return !*s;
	if (*pat == '*') {
		for (const char *t = s;; t++) {
			if (wild(pat + 1, t, fold))
				return true;
			if (!*t)
				return false;
		}
	}
	if (!*s)
		return false;
	if (*pat != '?' &&
	    (fold ? tolower((unsigned char)*pat) != tolower((unsigned char)*s)
		  : *pat != *s))
		return false;
	return wild(pat + 1, s + 1, fold);
}

static bool any_matches(const struct val *v, const char *s, bool fold)
{
	if (v && v->type == VAL_STR)
		return wild(v->str.s, s, fold);
	for (size_t i = 0; v && v->type == VAL_SEQ && i < v->seq.n; i++)
		if (val_strv(v->seq.v[i]) &&
		    wild(val_strv(v->seq.v[i]), s, fold))
			return true;
	return false;
}

const char *iampolicy_statement_for(const struct val *policy,
				    const char *action, const char *resource)
{
	const struct val *sts = val_map_get(policy, "Statement");

	for (size_t i = 0; sts && sts->type == VAL_SEQ && i < sts->seq.n; i++) {
		const struct val *st = sts->seq.v[i];

		if (any_matches(val_map_get(st, "Action"), action, true) &&
		    any_matches(val_map_get(st, "Resource"), resource, false))
			return val_strv(val_map_get(st, "Sid"));
	}
	return NULL;
}
