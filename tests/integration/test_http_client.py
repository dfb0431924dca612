"""core/v1 HTTPClient as a ReverseProxyHandler's roundTripper, through the real binary (spec §4.6):
retries on listed statuses and broken connections only when the request is safe to send again,
the response-header timeout, and --check refusing what aileron cannot honour."""

import unittest

from gateway import Gateway, entrypoint, free_port, run_cli, stop_cleanly
from upstream import Upstream

CONFIG = entrypoint("proxy") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: proxy
spec:
  addr: "127.0.0.1:@PORT@"
  workers: 1
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: retrying}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: impatient}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: plain}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: dead}
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata:
  name: retrying
spec:
  patterns: ["/r/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: retrying}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/r"}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: core/v1
kind: HTTPClient
metadata:
  name: retrying
spec:
  retryConfig:
    maxRetry: 3
    maxContentLength: 1024
    retryStatusCodes: [503]
  httpTransportConfig:
    disableKeepAlives: true      # a fresh connection per attempt: the transport's own reuse retry stays out
    dialConfig: {timeout: 1000}
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata:
  name: impatient
spec:
  patterns: ["/t/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: impatient}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/t"}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: core/v1
kind: HTTPClient
metadata:
  name: impatient
spec:
  retryConfig: {maxRetry: 2, retryStatusCodes: [503]}
  httpTransportConfig:
    responseHeaderTimeout: 300
    dialConfig: {timeout: 1000}
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata:
  name: plain
spec:
  patterns: ["/p/"]
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/p"}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata:
  name: dead
spec:
  patterns: ["/dead"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: retrying}
  loadBalancers:
    - pathMatcher: {match: "/dead", matchType: Exact}
      upstreams: [{url: "http://127.0.0.1:%(refused)d"}]
"""


class HTTPClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream("up").start()
        cls.gw = Gateway(CONFIG % {"up": cls.up.url, "refused": free_port()}).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw, cls.up)

    def count(self, key):
        r = self.gw.request("GET", "/p/count?id=" + key)
        self.assertEqual(r.status, 200)
        return int(r.text())

    def test_a_get_answered_503_is_retried_until_it_succeeds(self):
        r = self.gw.request("GET", "/r/flaky?id=get2&fail=2")
        self.assertEqual((r.status, r.text()), (200, "ok after 3"), self.gw.output())
        self.assertEqual(self.count("get2"), 3)

    def test_without_the_client_the_503_passes_through(self):
        r = self.gw.request("GET", "/p/flaky?id=plain&fail=1")
        self.assertEqual(r.status, 503)
        self.assertEqual(self.count("plain"), 1)

    def test_after_the_last_attempt_the_upstreams_last_response_is_returned(self):
        r = self.gw.request("GET", "/r/flaky?id=always&fail=100")
        self.assertEqual((r.status, r.text()), (503, "try again"))
        self.assertEqual(self.count("always"), 4)   # 1 + maxRetry

    def test_a_post_with_a_body_is_not_retried_once_the_body_was_sent(self):
        r = self.gw.request("POST", "/r/flaky?id=post&fail=1", body=b"order #1",
                            headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 503)
        self.assertEqual(self.count("post"), 1)

    def test_a_put_with_a_small_body_is_replayed_whole(self):
        r = self.gw.request("PUT", "/r/flaky?id=put&fail=2", body=b"x" * 100)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.count("put"), 3)
        bodies = [q["body"] for q in self.up.requests if q["query"] == "id=put&fail=2"]
        self.assertEqual(bodies, ["x" * 100] * 3)

    def test_a_put_with_a_body_over_max_content_length_is_not_retried(self):
        r = self.gw.request("PUT", "/r/flaky?id=bigput&fail=1", body=b"x" * 2000)
        self.assertEqual(r.status, 503)
        self.assertEqual(self.count("bigput"), 1)

    def test_a_get_whose_connection_broke_is_retried_a_post_is_not(self):
        r = self.gw.request("GET", "/r/drop?id=dropget&fail=1")
        self.assertEqual((r.status, r.text()), (200, "ok after 2"))
        r = self.gw.request("POST", "/r/drop?id=droppost&fail=1")
        self.assertEqual(r.status, 502)
        self.assertEqual(self.count("droppost"), 1)

    def test_a_refused_connection_is_retried_then_reported(self):
        r = self.gw.request("GET", "/dead")
        self.assertEqual(r.status, 502)
        self.assertIn('"code":"E2124"', self.gw.stdout)

    def test_response_header_timeout_gives_504(self):
        r = self.gw.request("GET", "/t/slow?id=slow&delay=2")
        self.assertEqual(r.status, 504, r.text())
        self.assertEqual(self.count("slow"), 1)   # a timeout is not retried
        r = self.gw.request("GET", "/t/slow?id=quick&delay=0")
        self.assertEqual(r.status, 200)


class HTTPClientCheckTest(unittest.TestCase):
    BASE = entrypoint() + """\
---
apiVersion: core/v1
kind: HTTPClient
spec:
%s
"""

    def check(self, spec):
        return run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": self.BASE % spec})

    def assert_rejected(self, spec, path):
        r = self.check(spec)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("core/v1/HTTPClient/default/default: " + path + ":", r.stderr)

    def test_a_good_client_checks(self):
        r = self.check("  retryConfig: {maxRetry: 2, retryStatusCodes: [502, 503]}\n"
                       "  httpTransportConfig: {responseHeaderTimeout: 100, dialConfig: {timeout: 50}}")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("configuration OK", r.stdout + r.stderr)

    def test_unsupported_fields_are_rejected_with_their_path(self):
        self.assert_rejected("  http2TransportConfig: {allowHTTP: true}", "spec.http2TransportConfig")
        self.assert_rejected("  http3TransportConfig: {}", "spec.http3TransportConfig")
        self.assert_rejected("  httpTransportConfig: {allowHTTP2: true}", "spec.httpTransportConfig.allowHTTP2")
        self.assert_rejected("  httpTransportConfig: {dialConfig: {tlsConfig: {}}}",
                             "spec.httpTransportConfig.dialConfig.tlsConfig")
        self.assert_rejected("  httpTransportConfig: {maxConnsPerHost: 10}", "spec.httpTransportConfig.maxConnsPerHost")
        self.assert_rejected("  httpTransportConfig: {dialConfig: {localAddress: 127.0.0.1}}",
                             "spec.httpTransportConfig.dialConfig.localAddress")
        self.assert_rejected("  retryConfig: {maxRetry: 101}", "spec.retryConfig.maxRetry")

    def test_a_round_tripper_reference_to_a_handler_is_rejected(self):
        config = entrypoint("s") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: s}
spec:
  addr: "127.0.0.1:18080"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  roundTripper: {apiVersion: app/v1, kind: EchoHandler}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "http://127.0.0.1:9"}]
---
apiVersion: app/v1
kind: EchoHandler
"""
        r = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("spec.roundTripper", r.stderr)
        self.assertIn("is a handler, not a round tripper", r.stderr)


if __name__ == "__main__":
    unittest.main()
