import os
import sys
import threading
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "app"))
import server  # noqa: E402


class ServerTest(unittest.TestCase):
    def setUp(self):
        os.environ["VERSION"] = "9.9.9-test"
        self.httpd = server.serve("127.0.0.1", 0)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def tearDown(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        os.environ.pop("VERSION", None)

    def get(self, path):
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode().strip()

    def test_version(self):
        self.assertEqual(self.get("/version"), (200, "9.9.9-test"))

    def test_health(self):
        self.assertEqual(self.get("/health"), (200, "ok"))

    def test_unknown_path(self):
        with self.assertRaises(urllib.error.HTTPError) as e:
            self.get("/nope")
        self.assertEqual(e.exception.code, 404)

    def test_version_file(self):
        del os.environ["VERSION"]
        try:
            want = open(os.path.join(server.HERE, "VERSION")).read().strip()
        except OSError:
            want = "dev"
        self.assertEqual(server.version(), want or "dev")


if __name__ == "__main__":
    unittest.main()
