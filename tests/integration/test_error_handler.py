"""core/v1 ErrorHandler as Entrypoint.spec.defaultErrorHandler: custom error pages (spec §3.5)."""

import unittest

from gateway import GatewayTestCase

CONFIG = """\
apiVersion: core/v1
kind: Entrypoint
spec:
  defaultErrorHandler: {apiVersion: core/v1, kind: ErrorHandler, name: pages}
  runners:
    - {apiVersion: core/v1, kind: HTTPServer, name: pages}
---
apiVersion: core/v1
kind: ErrorHandler
metadata:
  name: pages
spec:
  stackAlways: true
  errorMessages:
    - paths: ["^/only-here$"]   # paths alone never match
      mimeContents: [{mimeType: text/plain, template: "never"}]
    - paths: ["^/(missing|only-here)$"]
      codes: ["E2131"]
      headerTemplate:
        X-Error: "{{status}} {{statusText}} {{code}} {{kind}}"
      mimeContents:
        - mimeType: text/html
          templateType: GoText
          header: {X-Page: custom}
          template: "<h1>{{.status}} {{.statusText}}</h1><p>{{.code}} {{.kind}}</p>"
        - mimeType: application/json
          statusCode: 410
          templateType: GoText
          template: '{"code":"{{.code}}"}'
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: pages
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: HealthCheckHandler}
---
apiVersion: app/v1
kind: HealthCheckHandler
spec:
  patterns: ["/healthz"]
  methods: [GET]
"""

HTML = b"<h1>404 Not Found</h1><p>E2131 CoreServerNotFound</p>"


class ErrorHandlerTest(GatewayTestCase):
    CONFIG = CONFIG

    def get(self, path="/missing", accept=None, method="GET"):
        return self.gw.request(method, path, headers={"Accept": accept} if accept is not None else {})

    def test_a_404_by_code_gets_the_html_page_for_html_and_wildcards(self):
        for accept in ("text/html", "*/*", "image/png, text/*", None):
            with self.subTest(accept=accept):
                r = self.get(accept=accept)
                self.assertEqual(r.status, 404)
                self.assertEqual(r.body, HTML)
                self.assertEqual(r.headers.get("Content-Type"), "text/html; charset=utf-8")
                self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff")
                self.assertEqual((r.headers.get_all("Vary") or []), ["Accept"])
                self.assertEqual(r.headers.get("X-Page"), "custom")

    def test_json_is_chosen_by_accept_with_its_own_status(self):
        r = self.get(accept="application/json")
        self.assertEqual(r.status, 410)
        self.assertEqual(r.body, b'{"code":"E2131"}')
        self.assertEqual(r.headers.get("Content-Type"), "application/json; charset=utf-8")
        self.assertIsNone(r.headers.get("X-Page"))

    def test_an_accept_nothing_matches_gets_the_first_content_not_406(self):
        r = self.get(accept="image/png")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, HTML)

    def test_header_templates_are_rendered_and_never_repeat_across_requests(self):
        for accept in ("text/html", "application/json", "text/html", "text/html"):
            r = self.get(accept=accept)
            status = "410 Gone" if accept == "application/json" else "404 Not Found"
            self.assertEqual((r.headers.get_all("X-Error") or []), [status + " E2131 CoreServerNotFound"])

    def test_an_error_no_entry_matches_gets_the_default_body(self):
        r = self.get("/elsewhere", accept="text/plain")   # E2131, but outside the entry's paths
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, b"status: 404\nstatusText: Not Found\n")
        r = self.get("/healthz", accept="text/xml", method="POST")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers.get("Allow"), "GET")
        self.assertEqual(r.body, b"<result><status>405</status><statusText>Method Not Allowed</statusText>"
                                 b"<errors></errors></result>")
        self.assertIsNone(r.headers.get("X-Error"))

    def test_a_path_only_entry_never_matches(self):
        r = self.get("/only-here", accept="text/plain")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, HTML)   # the E2131 entry, served first content


if __name__ == "__main__":
    unittest.main()
