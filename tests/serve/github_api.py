#!/usr/bin/env python3
"""A strict stand-in for GitHub's commit status API, on loopback.

    github_api.py PORTFILE TOKEN LOG [FAIL_FIRST]

Serves POST /repos/{owner}/{repo}/statuses/{sha} on a free port of
127.0.0.1 (written to PORTFILE).  A request must carry
"Authorization: Bearer TOKEN" (or "token TOKEN"), a User-Agent, JSON
content and exactly GitHub's fields: state (pending, success, failure,
error), target_url (http or https), description (at most 140
characters) and context; the sha must be 40 hex digits.  Accepted
statuses are appended to LOG, one JSON object per line, in arrival order,
and answered 201 like GitHub.  Wrong token: 401; bad shape: 422; other
paths: 404.  With FAIL_FIRST=N the first N well-formed requests get a 502
(to exercise retries) and are logged as {"failed": true, ...}.
"""
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, TOKEN, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
FAIL_FIRST = int(sys.argv[4]) if len(sys.argv) > 4 else 0
PATH = re.compile(r"^/repos/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/statuses/"
                  r"([0-9a-f]{40})$")
STATES = {"pending", "success", "failure", "error"}
lock = threading.Lock()
failed = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(404, {"message": "Not Found"})

    def do_POST(self):
        global failed
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        m = PATH.match(self.path)
        if not m:
            return self.reply(404, {"message": "Not Found"})
        auth = self.headers.get("Authorization", "")
        if auth not in ("Bearer " + TOKEN, "token " + TOKEN):
            return self.reply(401, {"message": "Bad credentials"})
        if not self.headers.get("User-Agent"):
            return self.reply(403, {"message": "User-Agent required"})
        if not self.headers.get("Content-Type", "").startswith(
                "application/json"):
            return self.reply(415, {"message": "JSON required"})
        try:
            doc = json.loads(raw)
        except ValueError:
            return self.reply(400, {"message": "Problems parsing JSON"})
        problems = []
        if not isinstance(doc, dict):
            problems.append("not an object")
            doc = {}
        if set(doc) != {"state", "target_url", "description", "context"}:
            problems.append("fields %s" % sorted(doc))
        if doc.get("state") not in STATES:
            problems.append("state %r" % doc.get("state"))
        if not re.match(r"^https?://", str(doc.get("target_url", ""))):
            problems.append("target_url %r" % doc.get("target_url"))
        if not isinstance(doc.get("description"), str) or \
                len(doc.get("description", "")) > 140:
            problems.append("description")
        if not isinstance(doc.get("context"), str) or not doc["context"]:
            problems.append("context")
        if problems:
            return self.reply(422, {"message": "Validation Failed",
                                    "errors": problems})
        rec = dict(doc, repo=m.group(1) + "/" + m.group(2), sha=m.group(3))
        with lock:
            fail = failed < FAIL_FIRST
            if fail:
                failed += 1
                rec["failed"] = True
            with open(LOG, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if fail:
            return self.reply(502, {"message": "Server Error"})
        self.reply(201, dict(doc, id=1, url="http://127.0.0.1/x"))

    def log_message(self, fmt, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up (ferry serve killed) is no news


srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os  # noqa: E402
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
