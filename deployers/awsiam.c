/* awsiam.c: ARNs and policy statements (see awsiam.h). */
#include "compat.h"

#include "aws.h"
#include "awsendpoint.h"
#include "awsiam.h"
#include "buf.h"
#include "json.h"
#include "val.h"
#include "xalloc.h"

char *awsiam_arn_s3_bucket(const char *region, const char *bucket)
{
	return xasprintf("arn:%s:s3:::%s", awsendpoint_partition(region)->name,
			 bucket);
}

char *awsiam_arn_s3_object(const char *region, const char *bucket,
			   const char *key)
{
	return xasprintf("arn:%s:s3:::%s/%s",
			 awsendpoint_partition(region)->name, bucket, key);
}

char *awsiam_arn_codedeploy(const char *region, const char *account,
			    const char *type, const char *name)
{
	return xasprintf("arn:%s:codedeploy:%s:%s:%s:%s",
			 awsendpoint_partition(region)->name, region,
			 account ? account : "*", type, name);
}

static bool is_account(const char *s, size_t len)
{
	if (len != 12)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

char *awsiam_with_account(const char *arn, const char *account)
{
	const char *f = arn;
	struct buf b = BUF_INIT;
	size_t len;

	if (!account || !is_account(account, strlen(account)))
		return xstrdup(arn);
	/* arn:partition:service:region:account:resource */
	for (int i = 0; i < 4; i++) {
		f = strchr(f, ':');
		if (!f)
			return xstrdup(arn);
		f++;
	}
	len = strcspn(f, ":");
	if (!f[len] || !(len == 1 && *f == '*'))
		return xstrdup(arn);
	buf_add(&b, arn, (size_t)(f - arn));
	buf_addstr(&b, account);
	buf_addstr(&b, f + len);
	return buf_detach(&b, NULL);
}

bool awsiam_account_from(const char *text, char out[13])
{
	const char *p = text;

	while (p && *p) {
		const char *arn = strstr(p, "arn:");
		const char *f;

		if (!arn)
			break;
		f = arn;
		for (int i = 0; f && i < 4; i++) {
			f = strchr(f, ':');
			f = f ? f + 1 : NULL;
		}
		if (f && is_account(f, strcspn(f, ":")) && f[12] == ':') {
			memcpy(out, f, 12);
			out[12] = '\0';
			return true;
		}
		p = arn + 4;
	}
	return false;
}

char *awsiam_statement_actions(const char *const *actions, const char *resource)
{
	struct val *st = val_map();
	struct buf b = BUF_INIT;
	size_t n = 0;

	while (actions[n])
		n++;
	val_map_set(st, "Effect", val_str("Allow"));
	if (n == 1) {
		val_map_set(st, "Action", val_str(actions[0]));
	} else {
		struct val *seq = val_seq();

		for (size_t i = 0; i < n; i++)
			val_seq_push(seq, val_str(actions[i]));
		val_map_set(st, "Action", seq);
	}
	val_map_set(st, "Resource", val_str(resource));
	json_write(&b, st, 0);
	val_free(st);
	return buf_detach(&b, NULL);
}

char *awsiam_statement(const char *action, const char *resource)
{
	const char *actions[] = { action, NULL };

	return awsiam_statement_actions(actions, resource);
}
