"""The app/v1 middleware kinds through the real binary (spec §1.3): CORSMiddleware,
HeaderPolicyMiddleware, BodyLimitMiddleware, TimeoutMiddleware, ThrottleMiddleware,
TrackingMiddleware and CompressionMiddleware, referenced from AILERON-style configs as
server-level or virtual-host-level `middleware:`.
"""

import gzip
import http.client
import json
import threading
import time
import unittest
import zlib

from gateway import GatewayTestCase, RawConnection, chunked, entrypoint, request_bytes, run_cli
from upstream import Upstream


def vhost(host, *middleware):
    refs = "".join("        - {apiVersion: app/v1, kind: %s, name: %s}\n" % m for m in middleware)
    return ("    - hosts: [%s]\n      middleware:\n%s      handlers:\n"
            "        - handler: {apiVersion: app/v1, kind: EchoHandler}\n") % (host, refs)


def server(name, vhosts, middleware=()):
    doc = "apiVersion: core/v1\nkind: HTTPServer\nmetadata:\n  name: %s\nspec:\n  addr: \"127.0.0.1:@PORT@\"\n" % name
    if middleware:
        doc += "  middleware:\n" + "".join("    - {apiVersion: app/v1, kind: %s, name: %s}\n" % m for m in middleware)
    return doc + "  virtualHosts:\n" + "".join(vhosts)


ECHO = "apiVersion: app/v1\nkind: EchoHandler\nspec:\n  patterns: [\"/\"]\n"

FORBIDDEN = b'{"status":403,"statusText":"Forbidden"}'


class CORSTest(GatewayTestCase):
    CONFIG = "---\n".join([
        entrypoint("cors"),
        server("cors", [vhost("cors.example", ("CORSMiddleware", "strict"))]),
        ECHO,
        """\
apiVersion: app/v1
kind: CORSMiddleware
metadata:
  name: strict
spec:
  corsPolicy:
    allowedOrigins: ["http://good.example"]
    allowedMethods: [GET, PUT]
    exposedHeaders: [X-Trace]
    allowCredentials: true
    maxAge: 600
    corsResourcePolicy: ResourceSameSite
""",
    ])

    def send(self, method, headers=()):
        return self.gw.exchange(request_bytes(method, "/x", list(headers), host="cors.example"))

    def test_a_request_without_origin_passes_untouched(self):
        r = self.send("POST")   # POST is not allowed, but without Origin this is no CORS request
        self.assertEqual(r.status, 200, r)
        self.assertIn("Method : POST", r.text())
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        self.assertEqual(r.header_all("Vary"), [])

    def test_an_allowed_origin_gets_the_cors_headers(self):
        r = self.send("GET", [("Origin", "http://good.example")])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "http://good.example")
        self.assertEqual(r.header("Access-Control-Allow-Credentials"), "true")
        self.assertEqual(r.header("Access-Control-Allow-Methods"), "GET,PUT")
        self.assertEqual(r.header("Access-Control-Expose-Headers"), "X-Trace")
        self.assertEqual(r.header("Cross-Origin-Resource-Policy"), "same-site")
        self.assertEqual(r.header_all("Vary"), ["Origin"])

    def test_a_disallowed_origin_or_method_is_403_with_the_json_error(self):
        r = self.send("GET", [("Origin", "http://evil.example")])
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.body, FORBIDDEN)
        r = self.send("DELETE", [("Origin", "http://good.example")])
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.body, FORBIDDEN)

    def test_a_preflight_is_answered_by_the_middleware(self):
        r = self.send("OPTIONS", [("Origin", "http://good.example"), ("Access-Control-Request-Method", "PUT"),
                                  ("Access-Control-Request-Headers", "content-type")])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "http://good.example")
        self.assertEqual(r.header("Access-Control-Allow-Methods"), "GET,PUT")
        self.assertEqual(r.header("Access-Control-Allow-Headers"), "Content-Type,X-Requested-With")
        self.assertEqual(r.header("Access-Control-Max-Age"), "600")
        self.assertEqual(r.header_all("Vary"),
                         ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"])

    def test_a_preflight_from_a_disallowed_origin_is_403_with_an_empty_body(self):
        r = self.send("OPTIONS", [("Origin", "http://evil.example"), ("Access-Control-Request-Method", "GET")])
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.body, b"")
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))


class HeaderPolicyTest(GatewayTestCase):
    CONFIG = "---\n".join([
        entrypoint("policy"),
        server("policy", [vhost("mime.example", ("HeaderPolicyMiddleware", "mime")),
                          vhost("edit.example", ("HeaderPolicyMiddleware", "edit"))]),
        ECHO,
        """\
apiVersion: app/v1
kind: HeaderPolicyMiddleware
metadata:
  name: mime
spec:
  allowMIMEs: [application/json]
  maxContentLength: 10
""",
        """\
apiVersion: app/v1
kind: HeaderPolicyMiddleware
metadata:
  name: edit
spec:
  requestPolicy:
    removes: [Authorization]
    set: {X-From-Gateway: "yes"}
  responsePolicy:
    removes: [X-Content-Type-Options]
    add: {X-Frame-Options: DENY}
""",
    ])

    def send(self, host, method, headers=(), body=b""):
        return self.gw.exchange(request_bytes(method, "/", list(headers), body=body, host=host))

    def test_a_get_without_content_type_passes_allow_mimes(self):
        self.assertEqual(self.send("mime.example", "GET").status, 200)

    def test_an_allowed_media_type_passes_and_others_get_415(self):
        r = self.send("mime.example", "POST", [("Content-Type", "application/json; charset=utf-8")], b"{}")
        self.assertEqual(r.status, 200, r)
        r = self.send("mime.example", "POST", [("Content-Type", "text/plain")], b"hi")
        self.assertEqual(r.status, 415, r)
        self.assertEqual(r.body, b'{"status":415,"statusText":"Unsupported Media Type"}')
        r = self.send("mime.example", "POST", [], b"hi")   # a body without Content-Type
        self.assertEqual(r.status, 415, r)

    def test_max_content_length_gives_413_and_411(self):
        r = self.send("mime.example", "POST", [("Content-Type", "application/json")], b"[1,2,3,4,5,6]")
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.body, b'{"status":413,"statusText":"Request Entity Too Large"}')
        r = self.send("mime.example", "POST", [("Content-Type", "application/json"),
                                               ("Transfer-Encoding", "chunked")], chunked("{}"))
        self.assertEqual(r.status, 411, r)

    def test_request_and_response_policies_edit_headers(self):
        r = self.send("edit.example", "GET", [("Authorization", "Basic eDp5"), ("X-From-Gateway", "client")])
        self.assertEqual(r.status, 200, r)
        self.assertNotIn('"Authorization"', r.text())
        self.assertIn('"X-From-Gateway": [\n    "yes"\n  ]', r.text())
        self.assertIsNone(r.header("X-Content-Type-Options"))
        self.assertEqual(r.header("X-Frame-Options"), "DENY")

    def test_rewrites_are_rejected_at_load(self):
        config = "---\n".join([entrypoint(), """\
apiVersion: app/v1
kind: HeaderPolicyMiddleware
spec:
  requestPolicy:
    rewrites:
      - name: X-A
        replacer: {fixed: {value: b}}
"""])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("spec.requestPolicy.rewrites: header rewrites (replacers) are not supported yet", p.stderr + p.stdout)


class BodyLimitTest(GatewayTestCase):
    CONFIG = "---\n".join([
        entrypoint("limit"),
        server("limit", [vhost("limit.example", ("BodyLimitMiddleware", "small"))]),
        ECHO,
        """\
apiVersion: app/v1
kind: BodyLimitMiddleware
metadata:
  name: small
spec:
  maxSize: 8
  memLimit: 4
  tempPath: /nonexistent
""",
    ])

    TOO_LARGE = b'{"status":413,"statusText":"Request Entity Too Large"}'

    def send(self, headers, body):
        return self.gw.exchange(request_bytes("POST", "/", headers, body=body, host="limit.example"))

    def test_a_body_within_the_limit_reaches_the_handler(self):
        r = self.send([], b"12345678")
        self.assertEqual(r.status, 200, r)
        self.assertIn("---------- Body ----------\n12345678\n", r.text())
        r = self.send([("Transfer-Encoding", "chunked")], chunked("1234", "5678"))
        self.assertEqual(r.status, 200, r)
        self.assertIn("---------- Body ----------\n12345678\n", r.text())

    def test_a_content_length_over_the_limit_is_413(self):
        r = self.send([], b"123456789")
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.body, self.TOO_LARGE)

    def test_a_chunked_body_over_the_limit_is_413(self):
        r = self.send([("Transfer-Encoding", "chunked")], chunked("12345", "6789"))
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.body, self.TOO_LARGE)


class TimeoutTest(GatewayTestCase):
    CONFIG = "---\n".join([
        entrypoint("timeout"),
        server("timeout", [vhost("timeout.example", ("TimeoutMiddleware", "short"))]),
        ECHO,
        """\
apiVersion: app/v1
kind: TimeoutMiddleware
metadata:
  name: short
spec:
  defaultTimeout: 300
  apiTimeouts:
    - matcher: {patterns: ["/patient/*"], matchType: Path}
      methods: [POST]
      timeout: 10000
""",
    ])

    def test_a_fast_request_passes(self):
        r = self.gw.exchange(request_bytes("POST", "/x", body=b"quick", host="timeout.example"))
        self.assertEqual(r.status, 200, r)
        self.assertIn("---------- Body ----------\nquick\n", r.text())

    def test_a_handler_still_reading_at_the_deadline_is_cancelled_with_504(self):
        start = time.monotonic()
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("POST", "/x", [("Content-Length", "10")], host="timeout.example"))
            c.send(b"1")   # the echo handler waits for the other 9 bytes
            r = c.read_response()
            elapsed = time.monotonic() - start
            self.assertEqual(r.status, 504, r)
            self.assertEqual(r.body, b'{"status":504,"statusText":"Gateway Timeout"}')
            self.assertLess(elapsed, 3.0)
            self.assertGreaterEqual(elapsed, 0.25)
            # The unread body cannot be skipped: the connection ends after the 504.
            self.assertTrue(c.closed_by_peer(within=5.0))

    def test_the_first_matching_api_timeout_applies(self):
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("POST", "/patient/1", [("Content-Length", "4")], host="timeout.example"))
            c.send(b"ab")
            time.sleep(0.8)   # longer than the default 300 ms, far below this API's 10 s
            c.send(b"cd")
            r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertIn("---------- Body ----------\nabcd\n", r.text())


class ThrottleTest(GatewayTestCase):
    CONFIG = "---\n".join([
        entrypoint("throttle"),
        server("throttle", [vhost("throttle.example", ("ThrottleMiddleware", "five"))]).replace(
            "spec:\n", "spec:\n  workers: 2\n", 1),
        ECHO,
        """\
apiVersion: app/v1
kind: ThrottleMiddleware
metadata:
  name: five
spec:
  apiThrottlers:
    - matcher: {patterns: ["/limited/"], matchType: Prefix}
      fixedWindow: {windowSize: 600000, limit: 5}
""",
    ])

    def test_a_fixed_window_admits_exactly_its_limit_across_concurrent_connections(self):
        results = []
        lock = threading.Lock()
        barrier = threading.Barrier(20)

        def client():
            with RawConnection(self.gw.port) as c:
                barrier.wait()
                c.send(request_bytes("GET", "/limited/a", host="throttle.example"))
                r = c.read_response()
            with lock:
                results.append(r)

        threads = [threading.Thread(target=client) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [200] * 5 + [429] * 15)
        for r in results:
            if r.status == 429:
                self.assertEqual(r.body, b'{"status":429,"statusText":"Too Many Requests"}')
                self.assertTrue(1 <= int(r.header("Retry-After")) <= 600, r)
        # Paths the matcher does not match are not throttled.
        r = self.gw.exchange(request_bytes("GET", "/free", host="throttle.example"))
        self.assertEqual(r.status, 200, r)

    def test_a_throttler_without_a_limiter_is_rejected_at_load(self):
        config = "---\n".join([entrypoint(), """\
apiVersion: app/v1
kind: ThrottleMiddleware
spec:
  apiThrottlers:
    - matcher: {patterns: ["/"], matchType: Regex}
      methods: [GET]
"""])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("one of maxConnections, tokenBucket, fixedWindow or leakyBucket is required", p.stderr + p.stdout)

    def test_a_bad_regex_is_rejected_at_load(self):
        config = "---\n".join([entrypoint(), """\
apiVersion: app/v1
kind: ThrottleMiddleware
spec:
  apiThrottlers:
    - matcher: {patterns: ["(unclosed"], matchType: Regex}
      fixedWindow: {}
"""])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("spec.apiThrottlers[0].matcher.patterns[0]: invalid pattern for Regex matcher", p.stderr + p.stdout)


class TrackingTest(GatewayTestCase):
    """TrackingMiddleware in front of a ReverseProxyHandler: the upstream sees the IDs."""
    TEMPLATE = "---\n".join([
        entrypoint("tracking"),
        server("tracking", [], middleware=[("TrackingMiddleware", "ids")]).replace(
            "  virtualHosts:\n",
            "  virtualHosts:\n    - handlers:\n        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}\n"),
        """\
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%s"}]
""",
        """\
apiVersion: app/v1
kind: TrackingMiddleware
metadata:
  name: ids
spec:
  requestIDProxyName: X-Request-ID
  traceIDProxyName: X-Trace-ID
  traceIDExtractName: X-Trace-ID
""",
    ])

    @classmethod
    def setUpClass(cls):
        cls.upstream = Upstream("tracked").start()
        cls.CONFIG = cls.TEMPLATE % cls.upstream.url
        try:
            super().setUpClass()
        except BaseException:
            cls.upstream.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.upstream.stop()

    def seen(self, headers=None):
        r = self.gw.request("GET", "/headers/t", headers=headers)
        self.assertEqual(r.status, 200, r.body[:200])
        record = json.loads(r.body)
        return {k.lower(): v for k, v in record["headers"]}, r

    def test_the_upstream_gets_a_new_request_id_and_it_is_the_trace_id(self):
        first, resp = self.seen()
        rid = first["x-request-id"]
        self.assertRegex(rid, r"^[0-9BCDFGHJKLMNPQRSTUVWXYZ]{48}$")
        self.assertEqual(first["x-trace-id"], rid)
        self.assertIsNone(resp.headers.get("X-Request-ID"))   # not added to the response
        second, _ = self.seen()
        self.assertNotEqual(second["x-request-id"], rid)

    def test_an_incoming_trace_id_is_propagated(self):
        seen, _ = self.seen({"X-Trace-ID": "trace-123"})
        self.assertEqual(seen["x-trace-id"], "trace-123")
        self.assertRegex(seen["x-request-id"], r"^[0-9BCDFGHJKLMNPQRSTUVWXYZ]{48}$")

    def test_a_bad_header_name_is_rejected_at_load(self):
        config = "---\n".join([entrypoint(), """\
apiVersion: app/v1
kind: TrackingMiddleware
spec:
  requestIDProxyName: "X Request"
"""])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("spec.requestIDProxyName: must match", p.stderr + p.stdout)


class CompressionTest(GatewayTestCase):
    """CompressionMiddleware on EchoHandler bodies (buffered) and on a proxied event stream."""
    TEMPLATE = "---\n".join([
        entrypoint("compression"),
        server("compression", [vhost("echo.example", ("CompressionMiddleware", "default"))]).replace(
            "  virtualHosts:\n",
            "  virtualHosts:\n    - hosts: [sse.example]\n      middleware:\n"
            "        - {apiVersion: app/v1, kind: CompressionMiddleware, name: sse}\n"
            "      handlers:\n        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}\n"),
        ECHO,
        "apiVersion: app/v1\nkind: CompressionMiddleware\nspec: {}\n",
        "apiVersion: app/v1\nkind: CompressionMiddleware\nmetadata:\n  name: sse\n"
        "spec:\n  targetMIMEs: [text/event-stream]\n",
        """\
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%s"}]
""",
    ])

    @classmethod
    def setUpClass(cls):
        cls.upstream = Upstream("sse").start()
        cls.CONFIG = cls.TEMPLATE % cls.upstream.url
        try:
            super().setUpClass()
        except BaseException:
            cls.upstream.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.upstream.stop()

    PAD = "p" * 2000   # an echoed header that makes the EchoHandler body larger than 1 KiB

    def echo(self, headers):
        return self.gw.exchange(request_bytes("GET", "/x", list(headers) + [("X-Pad", self.PAD)], host="echo.example"))

    def test_gzip_is_used_when_asked_and_decodes_to_the_plain_body(self):
        plain = self.echo([])
        self.assertEqual(plain.status, 200, plain)
        self.assertIsNone(plain.header("Content-Encoding"))
        self.assertEqual(plain.header_all("Vary"), [])
        r = self.echo([("Accept-Encoding", "gzip")])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertEqual(r.header("Vary"), "Accept-Encoding")
        self.assertEqual(int(r.header("Content-Length")), len(r.body))
        text = gzip.decompress(r.body).decode()
        self.assertIn(self.PAD, text)
        self.assertIn("Accept-Encoding", text)
        self.assertLess(len(r.body), len(text))

    def test_br_wins_at_equal_q_and_q_zero_excludes(self):
        r = self.echo([("Accept-Encoding", "gzip, br")])
        self.assertEqual(r.header("Content-Encoding"), "br")
        r = self.echo([("Accept-Encoding", "br;q=0, gzip;q=0.5")])
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertIn(self.PAD, gzip.decompress(r.body).decode())
        r = self.echo([("Accept-Encoding", "gzip;q=0, deflate")])
        self.assertIsNone(r.header("Content-Encoding"))
        self.assertEqual(r.header("Vary"), "Accept-Encoding")
        self.assertIn(self.PAD, r.text())

    def test_a_small_body_is_not_compressed(self):
        r = self.gw.exchange(request_bytes("GET", "/x", [("Accept-Encoding", "gzip")], host="echo.example"))
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("Content-Encoding"))
        self.assertEqual(r.header("Vary"), "Accept-Encoding")

    def test_a_streamed_event_stream_is_compressed_and_still_streams(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=5)
        try:
            conn.request("GET", "/chunks?n=3&delay=1", headers={"Host": "sse.example", "Accept-Encoding": "gzip"})
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.getheader("Content-Encoding"), "gzip")
            self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
            self.assertIsNone(r.getheader("Content-Length"))
            d = zlib.decompressobj(16 + 15)
            start = time.monotonic()
            first = d.decompress(r.read1(65536))
            self.assertLess(time.monotonic() - start, 0.8)   # not held back until the stream ends
            self.assertEqual(first, b"data: 0\n\n")
            rest = r.read()
            self.assertEqual(first + d.decompress(rest) + d.flush(), b"data: 0\n\ndata: 1\n\ndata: 2\n\n")
            self.assertTrue(d.eof)
        finally:
            conn.close()

    def test_a_bad_level_is_rejected_at_load(self):
        config = "---\n".join([entrypoint(), "apiVersion: app/v1\nkind: CompressionMiddleware\nspec:\n  gzipLevel: 10\n"])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("spec.gzipLevel: must be between 1 and 9", p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main()
