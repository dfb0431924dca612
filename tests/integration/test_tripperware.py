"""Tripperware from config: an HTTPClient's and a ReverseProxyHandler's `tripperwares` run on
every upstream request, in AILERON's order (the proxy's, then the client's, then retry and the
transport). Uses examples/config_gateway, whose BearerTripperware is a kind registered from C++,
and the example's own config file unmodified."""

import json
import os
import signal
import socket
import subprocess
import time
import unittest

from gateway import Gateway, entrypoint, free_port, http_request, process_env, run_cli, sanitizer_report, stop_cleanly
from upstream import Upstream

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE_DIR = os.path.join(HERE, "..", "..", "examples", "config_gateway")


def example_binary(var="AILERON_EXAMPLE_CONFIG_GATEWAY"):
    path = os.environ.get(var, "")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set %s to the example's binary (got %r)" % (var, path))
    return path


LAYERED = entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: client}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: both}
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: client}
spec:
  patterns: ["/client/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/client"}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: both}
spec:
  patterns: ["/both/"]
  tripperwares:
    - {apiVersion: example/v1, kind: BearerTripperware, name: outer}
    - {apiVersion: example/v1, kind: BearerTripperware, name: middle}
  roundTripper: {apiVersion: core/v1, kind: HTTPClient}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/both"}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: core/v1
kind: HTTPClient
spec:
  tripperwares:
    - {apiVersion: example/v1, kind: BearerTripperware, name: inner}
---
apiVersion: example/v1
kind: BearerTripperware
metadata: {name: outer}
spec: {token: outer-token}
---
apiVersion: example/v1
kind: BearerTripperware
metadata: {name: middle}
spec: {token: proxy-token}
---
apiVersion: example/v1
kind: BearerTripperware
metadata: {name: inner}
spec: {token: client-token}
"""


class TripperwareTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream("up").start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def headers_seen(self, gw, path, headers=None):
        res = gw.request("GET", path, headers=headers)
        self.assertEqual(res.status, 200, res)
        headers = json.loads(res.body)["headers"]   # [[name, value], ...] as the upstream got them
        return {k.lower(): v for k, v in headers}

    def test_the_example_config_sends_its_bearer_token_upstream_through_the_http_client(self):
        with open(os.path.join(EXAMPLE_DIR, "config.yaml"), encoding="utf-8") as f:
            config = f.read()
        gw = Gateway(config, binary_path=example_binary(),
                     env={"AILERON_ADDR": "127.0.0.1:@PORT@", "UPSTREAM": self.up.url, "UPSTREAM_TOKEN": "t0ken"})
        gw.start()
        try:
            seen = self.headers_seen(gw, "/api/headers", {"Authorization": "Basic c2VjcmV0"})
            self.assertEqual(seen.get("authorization"), "Bearer t0ken")
            res = gw.request("GET", "/echo")
            self.assertEqual(res.headers.get("X-Stamp"), "from-config")   # the server-side kind still applies
        finally:
            stop_cleanly(gw)

    def test_proxy_tripperwares_run_outside_the_client_ones_in_list_order(self):
        gw = Gateway(LAYERED % {"up": self.up.url}, binary_path=example_binary())
        gw.start()
        try:
            # Each BearerTripperware replaces the header: the innermost one (the client's) wins.
            self.assertEqual(self.headers_seen(gw, "/both/headers").get("authorization"), "Bearer client-token")
            self.assertEqual(self.headers_seen(gw, "/client/headers").get("authorization"), "Bearer client-token")
        finally:
            stop_cleanly(gw)

    def test_a_proxy_with_tripperwares_and_no_client_uses_the_built_in_transport(self):
        config = LAYERED.replace("  roundTripper: {apiVersion: core/v1, kind: HTTPClient}\n  loadBalancers:\n"
                                 "    - pathMatcher: {match: \"/\", matchType: Prefix, trimPrefix: \"/both\"}",
                                 "  loadBalancers:\n"
                                 "    - pathMatcher: {match: \"/\", matchType: Prefix, trimPrefix: \"/both\"}")
        self.assertNotEqual(config, LAYERED)
        gw = Gateway(config % {"up": self.up.url}, binary_path=example_binary())
        gw.start()
        try:
            self.assertEqual(self.headers_seen(gw, "/both/headers").get("authorization"), "Bearer proxy-token")
        finally:
            stop_cleanly(gw)

    def test_a_tripperware_reference_to_a_kind_that_is_not_one_fails_the_check_at_its_line(self):
        config = entrypoint() + """\
---
apiVersion: core/v1
kind: HTTPClient
spec:
  tripperwares:
    - {apiVersion: app/v1, kind: EchoHandler}
---
apiVersion: app/v1
kind: EchoHandler
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  roundTripper: {apiVersion: core/v1, kind: HTTPClient}
  loadBalancers:
    - upstreams: [{url: "http://127.0.0.1:1"}]
---
apiVersion: core/v1
kind: HTTPServer
spec:
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
"""
        config = config.replace("runners: []\n", "runners:\n    - {apiVersion: core/v1, kind: HTTPServer}\n")
        done = run_cli(["--check", "-f", "bad.yaml"], files={"bad.yaml": config})
        self.assertNotEqual(done.returncode, 0)
        self.assertRegex(done.stderr, r"bad\.yaml:11:7: core/v1/HTTPClient/default/default: spec\.tripperwares\[0\]: .*is a handler, not a tripperware")


SKIPPED = entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  tripperwares:
    - {apiVersion: app/v1, kind: Skipper}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: app/v1
kind: Skipper
spec:
  skipConditions:
    - matcher: {patterns: ["/headers/public/*"], matchType: Path}
      methods: [GET]
  tripperware:
    - {apiVersion: example/v1, kind: BearerTripperware}
---
apiVersion: example/v1
kind: BearerTripperware
spec: {token: secret}
"""


class SkipperTripperwareTest(unittest.TestCase):
    def test_a_skipper_in_tripperwares_bypasses_its_tripperware_for_matching_requests(self):
        up = Upstream("up").start()
        gw = Gateway(SKIPPED % {"up": up.url}, binary_path=example_binary())
        gw.start()
        try:
            def auth(method, path):
                res = gw.request(method, path)
                self.assertEqual(res.status, 200, res)
                return {k.lower(): v for k, v in json.loads(res.body)["headers"]}.get("authorization")
            self.assertEqual(auth("GET", "/headers/private/x"), "Bearer secret")
            self.assertIsNone(auth("GET", "/headers/public/x"))
            self.assertEqual(auth("POST", "/headers/public/x"), "Bearer secret")   # the condition is GET only
        finally:
            stop_cleanly(gw, up)


class StaticProxyExampleTest(unittest.TestCase):
    """examples/static_proxy: a proxy whose middleware and tripperware are compile-time chains."""

    def test_the_compile_time_chains_run_on_both_sides_of_the_proxy(self):
        up = Upstream("up").start()
        port = free_port()
        proc = subprocess.Popen([example_binary("AILERON_EXAMPLE_STATIC_PROXY"), up.url, "127.0.0.1:%d" % port],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env=process_env())
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    self.assertIsNone(proc.poll(), "the example exited")
                    self.assertLess(time.monotonic(), deadline, "the example did not listen")
                    time.sleep(0.05)
            res = http_request(port, "GET", "/api/headers/x")
            self.assertEqual(res.status, 200, res.body)
            record = json.loads(res.body)
            seen = {k.lower(): v for k, v in record["headers"]}
            self.assertEqual(record["path"], "/headers/x")
            self.assertEqual(seen["x-gateway"], "static_proxy")       # the tripperware, on the way up
            self.assertEqual(seen["x-request-seq"], "1")              # the middleware, before the proxy
            self.assertEqual(res.headers["X-Signed-By"], "static_proxy")   # the tripperware, on the way back
            # The retry tripperware: a 503 is sent again once.
            res = http_request(port, "GET", "/api/flaky?id=static&fail=1")
            self.assertEqual((res.status, res.body), (200, b"ok after 2"))
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=15)
            up.stop()
            err = err.decode(errors="replace")
            self.assertIsNone(sanitizer_report(err))
            self.assertEqual(proc.returncode, 0, err[-4000:])


if __name__ == "__main__":
    unittest.main()
