#!/usr/bin/env python3
"""Make a webhook payload from a real GitHub example.

    payload.py push OUT SLUG CLONE_URL REF BEFORE AFTER MESSAGE
    payload.py pull_request OUT SLUG CLONE_URL ACTION NUMBER \
        HEAD_SHA HEAD_REF BASE_SHA BASE_REF HEAD_SLUG

Takes the first example of the event from the npm package
@octokit/webhooks-examples (installed under tests/serve/node_modules:
a push to a branch, a pull request with the given action when there is
one) and rewrites what ferry serve reads so that it points at a
repository served on loopback: the repository's name, owner and URLs,
the ref and commits, the pull request's number, head and base.  Every
other field stays as GitHub sent it.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INDEX = os.path.join(HERE, "node_modules", "@octokit", "webhooks-examples",
                     "api.github.com", "index.json")


def example(event, pred):
    for e in json.load(open(INDEX)):
        if e["name"] == event:
            for x in e["examples"]:
                if pred(x):
                    return json.loads(json.dumps(x))
    sys.exit("payload.py: no %s example" % event)


def point_repo(repo, slug, clone):
    owner, name = slug.split("/")
    repo["name"] = name
    repo["full_name"] = slug
    repo["clone_url"] = clone
    repo["git_url"] = clone
    repo["html_url"] = clone
    repo["url"] = clone
    if isinstance(repo.get("owner"), dict):
        repo["owner"]["login"] = owner
        repo["owner"]["name"] = owner


def push(out, slug, clone, ref, before, after, message):
    p = example("push", lambda x: x.get("ref", "").startswith("refs/heads/")
                and not x.get("deleted"))
    point_repo(p["repository"], slug, clone)
    p["ref"] = ref
    p["before"] = before
    p["after"] = after
    p["created"] = before == "0" * 40
    p["deleted"] = False
    commit = dict(p.get("head_commit") or {})
    commit.update(id=after, tree_id=after, message=message)
    p["head_commit"] = commit
    p["commits"] = [commit]
    p["compare"] = "%s/compare/%s...%s" % (clone, before[:12], after[:12])
    return p


def pull_request(out, slug, clone, action, number, head_sha, head_ref,
                 base_sha, base_ref, head_slug):
    p = example("pull_request", lambda x: x.get("action") == action) \
        if action in ("opened", "synchronize", "reopened", "closed") \
        else example("pull_request", lambda x: True)
    p["action"] = action
    p["number"] = int(number)
    point_repo(p["repository"], slug, clone)
    pr = p["pull_request"]
    pr["number"] = int(number)
    pr["head"]["sha"] = head_sha
    pr["head"]["ref"] = head_ref
    pr["head"]["label"] = head_slug.split("/")[0] + ":" + head_ref
    if not isinstance(pr["head"].get("repo"), dict):
        pr["head"]["repo"] = json.loads(json.dumps(p["repository"]))
    point_repo(pr["head"]["repo"], head_slug, clone)
    pr["base"]["sha"] = base_sha
    pr["base"]["ref"] = base_ref
    point_repo(pr["base"]["repo"], slug, clone)
    return p


def main():
    event, out = sys.argv[1], sys.argv[2]
    if event == "push":
        doc = push(out, *sys.argv[3:9])
    elif event == "pull_request":
        doc = pull_request(out, *sys.argv[3:12])
    else:
        sys.exit("payload.py: unknown event " + event)
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)


main()
