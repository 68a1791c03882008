#!/usr/bin/env python3
"""Compare `ferry matrix --json FILE...` output with Travis's reference output.

usage: compare.py EXPECTED.jsonl ACTUAL.jsonl [--min-jobs P] [--min-config P]
                  [--min-messages P] [--show N] [--label NAME]

Agreement rules (conformance/README.md):
  jobs:     same number of jobs in the same order, each equal as JSON
  config:   equal as JSON (key order ignored)
  messages: the same multiset of (level, code, key)
Prints one `ok`/`FAIL` line per measure, the mismatching files, and ends
with "N passed, N failed".  Exits 1 when a rate is below its minimum.
"""
import argparse
import collections
import json
import sys


def load(path, key_of):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                d = json.loads(line)
                out[key_of(d["file"])] = d
    return out


def suffix(path):
    # Expected files are named relative to their folder; ours as given.
    for marker in ("configs/", "real-travis/"):
        if marker in path:
            return path[path.index(marker) + len(marker):]
    return path.rsplit("/", 1)[-1]


def msgset(msgs):
    return collections.Counter(
        (m.get("level"), m.get("code"), m.get("key")) for m in (msgs or []))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expected")
    ap.add_argument("actual")
    ap.add_argument("--min-jobs", type=float, default=0)
    ap.add_argument("--min-config", type=float, default=0)
    ap.add_argument("--min-messages", type=float, default=0)
    ap.add_argument("--show", type=int, default=10)
    ap.add_argument("--label", default="conformance")
    ap.add_argument("--list", help="write mismatching files to this file")
    a = ap.parse_args()

    exp = load(a.expected, suffix)
    act = load(a.actual, suffix)
    stats = {"jobs": [0, []], "config": [0, []], "messages": [0, []]}
    for name, e in sorted(exp.items()):
        g = act.get(name)
        if g is None:
            for k in stats:
                stats[k][1].append((name, "missing from ferry's output"))
            continue
        if e.get("error"):
            # A file Travis could not load must fail to load for us too.
            ok = bool(g.get("error"))
            for k in stats:
                if ok:
                    stats[k][0] += 1
                else:
                    stats[k][1].append((name, "loaded, but Travis reports: %s"
                                        % e["error"].get("message")))
            continue
        if g.get("error"):
            for k in stats:
                stats[k][1].append((name, "error: %s" % g["error"]))
            continue
        checks = {
            "jobs": (g.get("jobs") == e.get("jobs"),
                     "%d jobs, expected %d" % (len(g.get("jobs") or []),
                                              len(e.get("jobs") or []))),
            "config": (g.get("config") == e.get("config"), "config differs"),
            "messages": (msgset(g.get("messages")) == msgset(e.get("messages")),
                         "extra %s missing %s" % (
                             dict(msgset(g.get("messages")) - msgset(e.get("messages"))),
                             dict(msgset(e.get("messages")) - msgset(g.get("messages"))))),
        }
        for k, (ok, why) in checks.items():
            if ok:
                stats[k][0] += 1
            else:
                stats[k][1].append((name, why))

    total = len(exp)
    passed = failed = 0
    mins = {"jobs": a.min_jobs, "config": a.min_config,
            "messages": a.min_messages}
    bad = set()
    for k in ("jobs", "config", "messages"):
        n, misses = stats[k]
        rate = 100.0 * n / total if total else 0.0
        ok = rate >= mins[k]
        print("%s %s %s: %d/%d agree (%.2f%%, minimum %.1f%%)" % (
            "ok  " if ok else "FAIL", a.label, k, n, total, rate, mins[k]))
        for name, why in misses[:a.show]:
            print("       %s: %s" % (name, why))
        bad.update(name for name, _ in misses)
        passed += ok
        failed += not ok
    if a.list:
        with open(a.list, "w") as f:
            f.write("".join(n + "\n" for n in sorted(bad)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
