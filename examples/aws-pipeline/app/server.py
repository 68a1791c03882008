"""A tiny HTTP service: GET /version answers the release it was built as,
GET /health answers "ok".  PORT (default 8080) and VERSION (default the
VERSION file beside this one, else "dev") come from the environment."""
import http.server
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def version():
    v = os.environ.get("VERSION")
    if v:
        return v
    try:
        with open(os.path.join(HERE, "VERSION")) as f:
            return f.read().strip() or "dev"
    except OSError:
        return "dev"


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/version":
            self.answer(200, version())
        elif self.path == "/health":
            self.answer(200, "ok")
        else:
            self.answer(404, "not found")

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def serve(host="0.0.0.0", port=None):
    port = int(port if port is not None else os.environ.get("PORT", "8080"))
    return http.server.ThreadingHTTPServer((host, port), Handler)


if __name__ == "__main__":
    server = serve()
    print("listening on %s:%d, version %s" % (server.server_address[0],
                                                server.server_address[1],
                                                version()), flush=True)
    server.serve_forever()
