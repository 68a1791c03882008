#!/usr/bin/env python3
"""A thin HTTP/1.1 proxy with fault switches, in front of the AWS test
server.

    fault_proxy.py UPSTREAM_PORT [--port-file FILE]

Listens on 127.0.0.1 (a port the OS picks), prints "ready PORT", and
forwards every request to 127.0.0.1:UPSTREAM_PORT as it is (headers and
body byte for byte, so SigV4 signatures stay valid), keeping connections
alive both ways.

Faults are armed with POST /__fault__ and a JSON body; each proxied
request whose method and path match takes one fault while any is left:

    {"status": 503, "count": 2, "code": "SlowDown"}  answer 503 with an S3
                                                      XML error (or JSON
                                                      when "json": true)
    {"drop": 2}          read the request, then close without an answer
    {"delay_ms": 1500, "count": 1}  answer late (wait, then forward)
    "method": "PUT", "path": "/bucket/"   (optional filters: the method,
                                           and a path prefix)

GET /__fault__ returns {"requests": N, "faults": N, "left": N}: requests
forwarded and faults served since the faults were last armed.
"""
import argparse
import http.client
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
ARMED = {"left": 0}
COUNTS = {"requests": 0, "faults": 0}
UPSTREAM = 0

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
       "te", "trailer", "upgrade"}


def take_fault(method, path):
    with LOCK:
        f = ARMED
        if f.get("left", 0) <= 0:
            return None
        if f.get("method") and f["method"] != method:
            return None
        if f.get("path") and not path.startswith(f["path"]):
            return None
        f["left"] -= 1
        COUNTS["faults"] += 1
        return dict(f)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = b""
        while len(data) < n:
            chunk = self.rfile.read(min(n - len(data), 1 << 20))
            if not chunk:
                break
            data += chunk
        return data

    def upstream(self):
        conn = getattr(self, "_up", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM,
                                              timeout=300)
            self._up = conn
        return conn

    def control(self, data):
        global ARMED
        if self.command == "POST":
            spec = json.loads(data or b"{}")
            spec["left"] = spec.get("count", spec.get("drop", 1))
            with LOCK:
                ARMED = spec
                COUNTS["requests"] = COUNTS["faults"] = 0
            out = b"{}"
        else:
            with LOCK:
                out = json.dumps(dict(COUNTS, left=ARMED.get("left", 0))
                                 ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def error_answer(self, f):
        code = f.get("code", "ServiceUnavailable")
        if f.get("json"):
            out = json.dumps({"__type": code, "message": "injected"}).encode()
            ctype = "application/x-amz-json-1.1"
        else:
            out = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                   f"{code}</Code><Message>Please reduce your request rate."
                   "</Message><RequestId>FAULT</RequestId></Error>").encode()
            ctype = "application/xml"
        self.send_response(f["status"])
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def forward(self, data):
        conn = self.upstream()
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP}
        try:
            conn.request(self.command, self.path, body=data or None,
                         headers=headers)
            resp = conn.getresponse()
            out = resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self._up = None
            raise
        head = self.command == "HEAD"
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in HOP or (k.lower() == "content-length" and
                                    not head):
                continue
            self.send_header(k, v)
        if not head:
            self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        return out

    def handle_any(self):
        data = self.body()
        if self.path.startswith("/__fault__"):
            return self.control(data)
        f = take_fault(self.command, self.path)
        if f and f.get("drop"):
            self.close_connection = True
            return
        if f and f.get("status"):
            return self.error_answer(f)
        if f and f.get("delay_ms"):
            time.sleep(f["delay_ms"] / 1000.0)
        with LOCK:
            COUNTS["requests"] += 1
        out = self.forward(data)
        self.wfile.write(out)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    global UPSTREAM
    ap = argparse.ArgumentParser()
    ap.add_argument("upstream", type=int)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    UPSTREAM = args.upstream
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"ready {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
