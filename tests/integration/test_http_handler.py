"""core/v1 HTTPHandler through the real binary: an EchoHandler under /api, behind middleware (spec §1.2)."""

import unittest

from gateway import GatewayTestCase, entrypoint, request_bytes, run_cli

CONFIG = entrypoint("server") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: server
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: HTTPHandler, name: api}
---
apiVersion: core/v1
kind: HTTPHandler
metadata:
  name: api
spec:
  pattern: /api
  middleware:
    - apiVersion: app/v1
      kind: HeaderPolicyMiddleware
  handler: {apiVersion: app/v1, kind: EchoHandler}
---
apiVersion: app/v1
kind: EchoHandler
spec:
  patterns: ["/echo", "/tree/"]
  methods: [GET, POST]
---
apiVersion: app/v1
kind: HeaderPolicyMiddleware
spec:
  allowMIMEs: ["text/plain"]
"""


class HTTPHandlerTest(GatewayTestCase):
    CONFIG = CONFIG

    def get(self, method, target, headers=()):
        return self.gw.exchange(request_bytes(method, target, headers))

    def test_the_child_pattern_is_served_under_the_prefix(self):
        r = self.get("GET", "/api/echo")
        self.assertEqual(r.status, 200, r)
        self.assertIn("\nPath   : /api/echo\n", r.text())

    def test_the_unprefixed_path_is_not_routed(self):
        self.assertEqual(self.get("GET", "/echo").status, 404)

    def test_a_trailing_slash_of_the_child_keeps_a_subtree(self):
        # AILERON cleans "/api/tree/" to "/api/tree" (exact); aileron keeps the subtree.
        r = self.get("GET", "/api/tree/deep/er")
        self.assertEqual(r.status, 200, r)
        self.assertIn("\nPath   : /api/tree/deep/er\n", r.text())
        r = self.get("GET", "/api/tree")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("Location"), "/api/tree/")

    def test_methods_are_inherited_from_the_child(self):
        self.assertEqual(self.get("PUT", "/api/echo").status, 405)

    def test_the_middleware_runs_in_front_of_the_child(self):
        r = self.gw.exchange(request_bytes("POST", "/api/echo", [("Content-Type", "application/json")], body="{}"))
        self.assertEqual(r.status, 415, r)
        r = self.gw.exchange(request_bytes("POST", "/api/echo", [("Content-Type", "text/plain")], body="hi"))
        self.assertEqual(r.status, 200, r)


class HTTPHandlerCheckTest(unittest.TestCase):
    def test_a_missing_handler_is_a_config_problem(self):
        config = entrypoint() + "---\napiVersion: core/v1\nkind: HTTPHandler\nmetadata:\n  name: h\nspec:\n  pattern: /x\n"
        r = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("spec.handler", r.stderr)
        self.assertIn("is required", r.stderr)


if __name__ == "__main__":
    unittest.main()
