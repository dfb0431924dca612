"""The proxy in front of a real, independent upstream: Debian's python3-httpbin (run by
/usr/bin/python3, which sees Debian's modules). Each test states what a client of the gateway
sees, for httpbin's own endpoints: echoes, statuses, redirects, cookies, auth challenges,
compressed and streamed bodies, ranges, conditional requests, and the response-header timeout."""

import gzip
import http.client
import json
import socket
import subprocess
import time
import unittest

from gateway import Gateway, entrypoint, free_port, stop_cleanly

CONFIG = entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: slow}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: bin}
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: bin}
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "http://127.0.0.1:%(port)d"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: slow}
spec:
  patterns: ["/impatient/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/impatient"}
      upstreams: [{url: "http://127.0.0.1:%(port)d"}]
---
apiVersion: core/v1
kind: HTTPClient
spec:
  httpTransportConfig: {responseHeaderTimeout: 400}
"""


def start_httpbin():
    port = free_port()
    proc = subprocess.Popen(["/usr/bin/python3", "-m", "httpbin.core", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("httpbin exited with %r (is python3-httpbin installed?)" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("httpbin did not listen on %d within 20 s" % port)


class HttpbinTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin, cls.bin_port = start_httpbin()
        cls.gw = Gateway(CONFIG % {"port": cls.bin_port})
        try:
            cls.gw.start()
        except Exception:
            cls.bin.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            stop_cleanly(cls.gw)
        finally:
            cls.bin.terminate()
            cls.bin.wait(10)

    def fetch(self, method, path, body=None, headers=None):
        """(status, headers, body) over a keep-alive connection to the gateway."""
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=15)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.headers, r.read()
        finally:
            conn.close()

    def json(self, method, path, **kw):
        status, headers, body = self.fetch(method, path, **kw)
        self.assertEqual(status, 200, body[:300])
        return json.loads(body)

    def test_get_reaches_httpbin_with_query_and_forwarded_headers(self):
        seen = self.json("GET", "/get?x=1&y=two", headers={"X-Custom": "v"})
        self.assertEqual(seen["args"], {"x": "1", "y": "two"})
        self.assertEqual(seen["headers"]["X-Custom"], "v")
        self.assertEqual(seen["headers"]["Host"], "127.0.0.1:%d" % self.bin_port)
        self.assertEqual(seen["headers"]["X-Forwarded-Host"], "127.0.0.1:%d" % self.gw.port)
        env = self.json("GET", "/headers?show_env=1")["headers"]   # httpbin hides X-Forwarded-* otherwise
        self.assertEqual(env["X-Forwarded-Proto"], "http")
        self.assertEqual(env["X-Forwarded-For"], "127.0.0.1")

    def test_request_bodies_arrive_intact_for_every_method_that_has_one(self):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            payload = json.dumps({"method": method, "n": list(range(50))})
            seen = self.json(method, "/anything/x", body=payload, headers={"Content-Type": "application/json"})
            self.assertEqual(seen["method"], method)
            self.assertEqual(seen["json"], json.loads(payload))
        form = self.json("POST", "/post", body="a=1&b=%20x", headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(form["form"], {"a": "1", "b": " x"})

    def test_hop_by_hop_headers_do_not_reach_httpbin(self):
        seen = self.json("GET", "/headers", headers={"Connection": "X-Secret", "X-Secret": "s", "Keep-Alive": "1"})
        self.assertNotIn("X-Secret", seen["headers"])
        self.assertNotIn("Keep-Alive", seen["headers"])

    def test_statuses_and_redirects_are_passed_through_not_followed(self):
        for code in (201, 204, 304, 400, 418, 500, 503):
            status, _, _ = self.fetch("GET", "/status/%d" % code)
            self.assertEqual(status, code)
        status, headers, _ = self.fetch("GET", "/redirect-to?url=/get&status_code=307")
        self.assertEqual(status, 307)
        self.assertEqual(headers["Location"], "/get")

    def test_cookies_and_auth_challenges_reach_the_client(self):
        status, headers, _ = self.fetch("GET", "/cookies/set?flavour=oat")
        self.assertEqual(status, 302)
        self.assertIn("flavour=oat", headers["Set-Cookie"])
        self.assertEqual(self.json("GET", "/cookies", headers={"Cookie": "a=1; b=2"})["cookies"], {"a": "1", "b": "2"})
        status, headers, _ = self.fetch("GET", "/basic-auth/alice/pw")
        self.assertEqual(status, 401)
        self.assertIn("Basic", headers["WWW-Authenticate"])
        ok = self.json("GET", "/basic-auth/alice/pw", headers={"Authorization": "Basic YWxpY2U6cHc="})
        self.assertEqual(ok, {"authenticated": True, "user": "alice"})

    def test_compressed_bodies_pass_untouched(self):
        status, headers, body = self.fetch("GET", "/gzip", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Encoding"], "gzip")
        self.assertTrue(json.loads(gzip.decompress(body))["gzipped"])

    def test_binary_and_streamed_bodies_arrive_whole(self):
        status, headers, body = self.fetch("GET", "/bytes/102400?seed=7")
        self.assertEqual(status, 200)
        self.assertEqual(len(body), 102400)
        status, headers, body = self.fetch("GET", "/stream/25")
        self.assertEqual(status, 200)
        lines = body.decode().strip().split("\n")
        self.assertEqual([json.loads(l)["id"] for l in lines], list(range(25)))
        status, headers, body = self.fetch("GET", "/drip?numbytes=8&duration=1&delay=0")
        self.assertEqual((status, body), (200, b"*" * 8))

    def test_ranges_and_conditional_requests_are_answered_by_httpbin(self):
        status, headers, body = self.fetch("GET", "/range/1024", headers={"Range": "bytes=10-19"})
        self.assertEqual(status, 206)
        self.assertEqual(headers["Content-Range"], "bytes 10-19/1024")
        self.assertEqual(len(body), 10)
        status, _, body = self.fetch("GET", "/etag/abc", headers={"If-None-Match": '"abc"'})
        self.assertEqual((status, body), (304, b""))

    def test_head_gets_headers_and_no_body(self):
        status, headers, body = self.fetch("HEAD", "/get")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertEqual(headers["Content-Type"], "application/json")

    def test_an_upstream_slower_than_the_response_header_timeout_is_a_504(self):
        status, _, _ = self.fetch("GET", "/impatient/delay/3")   # httpbin would answer 200 after 3 s
        self.assertEqual(status, 504)
        status, _, _ = self.fetch("GET", "/impatient/get")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
