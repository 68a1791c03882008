#include "compat.h"

#include "cli.h"
#include "val.h"

int request_option(struct request_opts *r, int opt, const char *arg)
{
	switch (opt) {
	case OPT_EVENT:
		r->event = arg;
		break;
	case OPT_BRANCH:
		r->branch = arg;
		break;
	case OPT_TAG:
		r->tag = arg;
		break;
	case OPT_COMMIT_MESSAGE:
		r->commit_message = arg;
		break;
	case OPT_REPO:
		r->repo = arg;
		break;
	case OPT_PULL_REQUEST:
		r->pull_request = arg;
		break;
	case OPT_HEAD_BRANCH:
		r->head_branch = arg;
		break;
	case OPT_HEAD_REPO:
		r->head_repo = arg;
		break;
	case OPT_SENDER:
		r->sender = arg;
		break;
	default:
		return 0;
	}
	r->given = true;
	return 1;
}

static void set(struct val *m, const char *key, const char *v)
{
	if (v)
		val_map_set(m, key, val_str(v));
}

struct val *request_data(const struct request_opts *r)
{
	struct val *m;
	const char *type = r->event;

	if (!r->given)
		return NULL;
	m = val_map();
	if (!type)
		type = r->pull_request ? "pull_request" : "push";
	set(m, "type", type);
	set(m, "branch", r->branch ? r->branch : r->tag);
	set(m, "tag", r->tag);
	set(m, "commit_message", r->commit_message);
	set(m, "repo", r->repo);
	set(m, "head_repo", r->head_repo);
	set(m, "head_branch", r->head_branch);
	set(m, "sender", r->sender);
	set(m, "pull_request", r->pull_request);
	val_map_set(m, "fork",
		    val_bool(r->head_repo && r->repo &&
			     strcmp(r->head_repo, r->repo)));
	return m;
}
