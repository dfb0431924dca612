"""app/v1 Skipper through the real binary (spec §1.3): wrapped middleware is bypassed for
requests matching a skip condition (methods AND path) and runs for every other request.
"""

import unittest

from gateway import GatewayTestCase, entrypoint, request_bytes, run_cli
from test_middleware import ECHO, server, vhost

SKIPPER = """\
apiVersion: app/v1
kind: Skipper
metadata:
  name: skip
spec:
  skipConditions:
    - matcher: {patterns: ["/health"], matchType: Prefix}
    - matcher: {patterns: ["/public/*"], matchType: Path}
      methods: [GET, HEAD]
  middleware:
    - {apiVersion: app/v1, kind: HeaderPolicyMiddleware, name: edit}
"""

POLICY = """\
apiVersion: app/v1
kind: HeaderPolicyMiddleware
metadata:
  name: edit
spec:
  requestPolicy:
    set: {X-From-Gateway: "yes"}
  responsePolicy:
    add: {X-Frame-Options: DENY}
"""


class SkipperTest(GatewayTestCase):
    CONFIG = "---\n".join([
        entrypoint("skip"),
        server("skip", [vhost("skip.example", ("Skipper", "skip"))]),
        ECHO,
        SKIPPER,
        POLICY,
    ])

    def send(self, method, path):
        return self.gw.exchange(request_bytes(method, path, [], host="skip.example"))

    def assert_wrapped(self, r, wrapped):
        self.assertEqual(r.status, 200, r)
        if wrapped:
            self.assertEqual(r.header("X-Frame-Options"), "DENY", r)
            self.assertIn('"X-From-Gateway"', r.text())
        else:
            self.assertIsNone(r.header("X-Frame-Options"), r)
            self.assertNotIn('"X-From-Gateway"', r.text())

    def test_other_paths_run_through_the_wrapped_middleware(self):
        self.assert_wrapped(self.send("GET", "/api/users"), True)
        self.assert_wrapped(self.send("GET", "/"), True)

    def test_a_matching_path_skips_the_wrapped_middleware(self):
        self.assert_wrapped(self.send("GET", "/health"), False)
        self.assert_wrapped(self.send("POST", "/healthz?x=1"), False)

    def test_methods_narrow_a_condition(self):
        self.assert_wrapped(self.send("GET", "/public/a.css"), False)
        self.assert_wrapped(self.send("POST", "/public/a.css"), True)
        self.assert_wrapped(self.send("GET", "/public/a/b.css"), True)   # Path: `*` stops at `/`

    def test_a_wrapped_reference_that_is_not_middleware_is_rejected(self):
        config = "---\n".join([entrypoint("s"), server("s", [vhost("x.example", ("Skipper", "bad"))]), ECHO, """\
apiVersion: app/v1
kind: Skipper
metadata:
  name: bad
spec:
  middleware:
    - {apiVersion: app/v1, kind: EchoHandler}
"""])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("app/v1/Skipper/default/bad", p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main()
