"""ReverseProxyHandler through the real binary, against upstreams of our own on loopback
(spec §4): load balancer choice, path rewriting, forwarded headers, hop-by-hop removal,
streaming both ways, connection reuse, and the error statuses."""

import hashlib
import http.client
import json
import socket
import subprocess
import time
import unittest

from gateway import Gateway, entrypoint, free_port, request_bytes, stop_cleanly
from upstream import Upstream, pattern_bytes

CONFIG = entrypoint("proxy") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: proxy
spec:
  addr: "127.0.0.1:@PORT@"
  workers: 1
  httpConfig:
    readTimeout: 1
    writeTimeout: 1
    idleTimeout: 1
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "^/rr(/.*)$", matchType: Regex, rewrite: "$1"}
      upstreams:
        - {url: "%(a)s", weight: 2}
        - {url: "%(b)s"}
        - {url: "%(c)s", weight: -1}
    - pathMatcher: {match: "/anything", matchType: Prefix, trimPrefix: "/get"}
      upstreams: [{url: "%(a)s"}]
    - pathMatcher: {match: "/", matchType: Prefix, appendPrefix: "/headers"}
      hosts: ["rewrite.example"]
      upstreams: [{url: "%(a)s"}]
    - pathMatcher: {match: "^/v([0-9]+)/(.*)$", matchType: Regex, rewrite: "/headers/api$1/$2"}
      upstreams: [{url: "%(a)s?from=proxy"}]
    - pathMatcher: {match: "/refused", matchType: Exact}
      upstreams: [{url: "http://127.0.0.1:%(refused)d"}]
    - pathMatcher: {match: "/", matchType: Prefix}
      methods: [GET, POST, PUT, HEAD]
      upstreams: [{url: "%(a)s"}]
"""


class ProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Upstream("a").start()
        cls.b = Upstream("b").start()
        cls.c = Upstream("c").start()
        config = CONFIG % {"a": cls.a.url, "b": cls.b.url, "c": cls.c.url, "refused": free_port()}
        cls.gw = Gateway(config).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw, cls.a, cls.b, cls.c)

    def get(self, path, headers=None, method="GET", body=None):
        return self.gw.request(method, path, headers=headers, body=body)

    def seen(self, response):
        self.assertEqual(response.status, 200, response.body[:200])
        return json.loads(response.body)

    def header(self, record, name):
        values = [v for k, v in record["headers"] if k.lower() == name.lower()]
        return values[0] if len(values) == 1 else values or None

    # -- what reaches the upstream ------------------------------------------------------------

    def test_the_upstream_gets_its_own_host_and_the_forwarded_headers(self):
        r = self.seen(self.get("/headers/x?q=1", headers={"Host": "client.example:8080",
                                                           "X-Forwarded-For": "10.1.1.1"}))
        self.assertEqual(r["path"], "/headers/x")
        self.assertEqual(r["query"], "q=1")
        self.assertEqual(self.header(r, "Host"), "127.0.0.1:%d" % self.a.port)
        self.assertEqual(self.header(r, "X-Forwarded-For"), "10.1.1.1, 127.0.0.1")
        self.assertEqual(self.header(r, "X-Forwarded-Host"), "client.example:8080")
        self.assertEqual(self.header(r, "X-Forwarded-Proto"), "http")
        self.assertEqual(self.header(r, "X-Forwarded-Port"), str(self.gw.port))

    def test_hop_by_hop_headers_are_removed_both_ways(self):
        resp = self.get("/headers", headers={"Connection": "keep-alive, X-Private", "X-Private": "1",
                                             "Keep-Alive": "timeout=5", "Proxy-Authorization": "x",
                                             "X-Kept": "yes", "TE": "trailers, deflate"})
        r = self.seen(resp)
        names = {k.lower() for k, _ in r["headers"]}
        for gone in ("x-private", "keep-alive", "proxy-authorization"):
            self.assertNotIn(gone, names)
        self.assertEqual(self.header(r, "X-Kept"), "yes")
        self.assertEqual(self.header(r, "TE"), "trailers")
        # The upstream answered with Connection: X-Hop and X-Hop: secret and Keep-Alive.
        self.assertIsNone(resp.headers.get("X-Hop"))
        self.assertIsNone(resp.headers.get("Keep-Alive"))

    def test_a_request_body_reaches_the_upstream_whole(self):
        body = "x" * 100000
        r = self.seen(self.get("/headers/post", method="POST", body=body))
        self.assertEqual(r["method"], "POST")
        self.assertEqual(r["body"], body)

    def test_a_request_without_a_body_goes_upstream_without_framing_headers(self):
        r = self.seen(self.get("/headers/nobody"))
        self.assertIsNone(self.header(r, "Transfer-Encoding"))
        self.assertIsNone(self.header(r, "Content-Length"))
        r = self.seen(self.get("/headers/emptypost", method="POST", body=b""))
        self.assertEqual(self.header(r, "Content-Length"), "0")

    def test_a_chunked_request_body_is_streamed_upstream_chunked(self):
        data = request_bytes("POST", "/headers/chunked", [("Transfer-Encoding", "chunked")],
                             body=b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        resp = self.gw.exchange(data)
        r = json.loads(resp.body)
        self.assertEqual(r["body"], "hello world")
        self.assertEqual(self.header(r, "Transfer-Encoding"), "chunked")

    # -- choosing and rewriting -----------------------------------------------------------------

    def test_trim_prefix_then_prefix_match(self):
        r = self.a.requests
        before = len(r)
        resp = self.get("/get/anything/x")
        self.assertEqual(resp.status, 404)   # the upstream's own 404 for /anything/x
        self.assertEqual(self.a.requests[-1]["path"], "/anything/x")
        self.assertEqual(len(self.a.requests), before + 1)

    def test_append_prefix_for_a_host_specific_balancer(self):
        r = self.seen(self.get("/foo", headers={"Host": "rewrite.example"}))
        self.assertEqual(r["path"], "/headers/foo")

    def test_a_regex_rewrite_builds_the_upstream_path_and_keeps_the_upstream_query(self):
        r = self.seen(self.get("/v2/users/7?x=1"))
        self.assertEqual(r["path"], "/headers/api2/users/7")
        self.assertEqual(r["query"], "from=proxy&x=1")

    def test_weighted_round_robin_serves_each_upstream_weight_times_in_a_row(self):
        names = []
        for _ in range(6):
            names.append(self.seen(self.get("/rr/headers"))["name"])
        # weights a:2, b:1, c disabled: the cycle is a, a, b wherever it starts
        self.assertEqual(names.count("a"), 4)
        self.assertEqual(names.count("b"), 2)
        self.assertNotIn("c", names)
        cycle = "".join(names)
        self.assertIn(cycle[:3], ("aab", "aba", "baa"))
        self.assertEqual(cycle[:3], cycle[3:])

    def test_no_matching_balancer_is_a_404_from_the_error_handler(self):
        resp = self.get("/other", method="DELETE")   # only the last balancer takes /other, not DELETE
        self.assertEqual(resp.status, 404)
        self.assertEqual(resp.body, b'{"status":404,"statusText":"Not Found"}')

    # -- errors -----------------------------------------------------------------------------------

    def test_a_refused_upstream_is_a_502(self):
        resp = self.get("/refused")
        self.assertEqual(resp.status, 502)
        self.assertEqual(resp.body, b'{"status":502,"statusText":"Bad Gateway"}')

    def test_a_response_that_is_not_http_is_a_502(self):
        self.assertEqual(self.get("/garbage").status, 502)

    def test_a_body_broken_mid_stream_ends_the_client_connection_short(self):
        with self.gw.connect() as c:
            c.send(request_bytes("GET", "/close-mid-body"))
            head = c._read_until(b"\r\n\r\n")
            self.assertIn(b"200 OK", head)
            self.assertIn(b"Content-Length: 1000", head)
            got = b""
            try:
                while True:
                    chunk = c.sock.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            except (ConnectionResetError, socket.timeout):
                pass
            self.assertLess(len(c.buf) + len(got), 1000)

    # -- streaming and reuse -------------------------------------------------------------------

    def test_a_large_response_arrives_intact(self):
        n = 8 * 1024 * 1024
        resp = self.get("/size/%d" % n)
        self.assertEqual(resp.status, 200)
        self.assertEqual(len(resp.body), n)
        self.assertEqual(hashlib.sha256(resp.body).hexdigest(), hashlib.sha256(pattern_bytes(n)).hexdigest())

    def test_server_sent_events_reach_the_client_as_the_upstream_sends_them(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
        try:
            start = time.monotonic()
            conn.request("GET", "/chunks?n=3&delay=0.6")
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.getheader("Content-Type"), "text/event-stream")
            first = r.read1(64)
            first_at = time.monotonic() - start
            self.assertEqual(first, b"data: 0\n\n")
            rest = r.read()
            total = time.monotonic() - start
            self.assertLess(first_at, 0.5, "the first event waited for the rest")
            self.assertGreater(total, 1.1)
            self.assertEqual(rest, b"data: 1\n\ndata: 2\n\n")
        finally:
            conn.close()

    def test_server_sent_events_reach_curl_as_the_upstream_flushes_them(self):
        curl = subprocess.Popen(["curl", "-N", "-s", "--max-time", "20", "http://127.0.0.1:%d/chunks?n=3&delay=0.8"
                                 % self.gw.port], stdout=subprocess.PIPE)
        try:
            self.assertEqual(curl.stdout.readline(), b"data: 0\n")
            # The upstream has two more events to send, 0.8 s apart: curl is still reading.
            self.assertIsNone(curl.poll(), "curl got the whole stream at once")
            rest = curl.stdout.read()
            self.assertEqual(rest, b"\ndata: 1\n\ndata: 2\n\n")
            self.assertEqual(curl.wait(10), 0)
        finally:
            curl.kill()
            curl.stdout.close()
            curl.wait()

    def test_an_upstream_reset_in_the_middle_of_its_headers_is_a_502(self):
        resp = self.get("/reset-mid-headers")
        self.assertEqual(resp.status, 502)
        self.assertEqual(self.get("/size/10").status, 200)   # and the gateway goes on

    def test_a_slow_drip_of_a_body_arrives_whole(self):
        resp = self.get("/drip?n=6&delay=0.15")
        self.assertEqual((resp.status, resp.body), (200, b"dddddd"))

    def test_upstream_connections_are_reused_across_requests(self):
        for _ in range(3):   # warm up: whatever connection the pool holds
            self.seen(self.get("/headers/reuse"))
        before = len(self.a.requests)
        for _ in range(5):
            self.seen(self.get("/headers/reuse"))
        peers = {r["peer"] for r in self.a.requests[before:]}
        self.assertEqual(len(peers), 1, peers)

    def test_a_websocket_upgrade_becomes_a_tunnel_that_outlives_every_timeout(self):
        with self.gw.connect() as c:
            c.send(request_bytes("GET", "/ws", [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                                                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                                                ("Sec-WebSocket-Version", "13")]))
            head = c._read_until(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n"), head)
            self.assertIn(b"Upgrade: websocket", head)
            self.assertIn(b"Connection: Upgrade", head)
            for message in (b"first", b"after the timeouts"):
                c.send(message)
                got = c.buf
                c.buf = b""
                while len(got) < len(message):
                    got += c.sock.recv(1024)
                self.assertEqual(got, message)
                time.sleep(1.6)   # longer than the server's read, write and idle timeouts
        self.assertEqual(self.a.requests[-1]["path"], "/ws")
        self.assertEqual(self.header(self.a.requests[-1], "Upgrade"), "websocket")

    def test_an_upstream_switching_to_another_protocol_is_a_502(self):
        resp = self.gw.exchange(request_bytes("GET", "/ws-wrong", [("Connection", "Upgrade"), ("Upgrade", "websocket")]))
        self.assertEqual(resp.status, 502)

    def test_head_gets_the_upstream_length_and_no_body(self):
        resp = self.gw.exchange(request_bytes("HEAD", "/size/1234"), head=True)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("Content-Length"), "1234")
        self.assertEqual(resp.body, b"")


if __name__ == "__main__":
    unittest.main()
