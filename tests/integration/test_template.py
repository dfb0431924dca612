"""core/v1 TemplateHandler through the real binary: Accept selection, headers, Text/GoText/GoHTML,
template files, and config problems (spec §1.1 MIMEContentSpec, §1.2)."""

import unittest

from gateway import Gateway, entrypoint, request_bytes, run_cli, stop_cleanly

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
        - handler: {apiVersion: core/v1, kind: TemplateHandler, name: page}
---
apiVersion: core/v1
kind: TemplateHandler
metadata:
  name: page
spec:
  patterns: ["/page"]
  methods: [GET, HEAD]
  mimeContents:
    - mimeType: application/json
      statusCode: 202
      header: {x-kind: json}
      templateType: GoText
      template: '{"method":"{{.method}}","path":"{{.path}}","q":"{{index .query "q" 0}}"}'
    - mimeType: text/html
      templateType: GoHTML
      templateFile: page.html
    - mimeType: text/plain
      template: "as {{written}}"
"""

PAGE = """<ul>
{{- range index .header "X-Item"}}
  <li>{{.}}</li>
{{- end}}
</ul>
"""


class TemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(CONFIG, extra_files={"page.html": PAGE}).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw)

    def get(self, target, headers=(), method="GET"):
        return self.gw.exchange(request_bytes(method, target, headers), head=method == "HEAD")

    def test_accept_selects_the_first_matching_content_in_list_order(self):
        r = self.get("/page?q=a+b", [("Accept", "image/png, application/*;q=0.1, text/html")])
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.text(), '{"method":"GET","path":"/page","q":"a b"}')
        self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.header("Vary"), "Accept")
        self.assertEqual(r.header("X-Kind"), "json")

    def test_text_is_sent_as_written(self):
        r = self.get("/page", [("Accept", "text/plain")])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.text(), "as {{written}}")
        self.assertEqual(r.header("Content-Type"), "text/plain; charset=utf-8")

    def test_go_html_from_a_file_escapes_inserted_values(self):
        r = self.get("/page", [("Accept", "text/html"), ("X-Item", "<b>one</b>"), ("X-Item", "a&b")])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.text(), "<ul>\n  <li>&lt;b&gt;one&lt;/b&gt;</li>\n  <li>a&amp;b</li>\n</ul>\n")
        self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")

    def test_no_acceptable_content_is_406(self):
        r = self.get("/page", [("Accept", "image/png")])
        self.assertEqual(r.status, 406)
        self.assertEqual(r.text(), '{"status":406,"statusText":"Not Acceptable"}')

    def test_no_accept_header_is_taken_as_any(self):
        # AILERON answers 406 here (docs/divergences.md).
        r = self.gw.exchange(b"GET /page HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")

    def test_head_has_the_headers_and_no_body(self):
        r = self.get("/page", [("Accept", "text/plain")], method="HEAD")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")


class TemplateCheckTest(unittest.TestCase):
    def check(self, spec):
        config = entrypoint() + "---\napiVersion: core/v1\nkind: TemplateHandler\nmetadata:\n  name: t\nspec:\n" + spec
        return run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})

    def test_a_missing_template_file_names_the_file(self):
        r = self.check("  mimeContents:\n    - templateFile: nowhere/x.tpl\n")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("spec.mimeContents[0].templateFile", r.stderr)
        self.assertIn('"nowhere/x.tpl"', r.stderr)

    def test_a_template_syntax_error_gives_its_position(self):
        r = self.check("  mimeContents:\n    - templateType: GoText\n      template: \"ok\\n  {{.a\"\n")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("spec.mimeContents[0].template", r.stderr)
        self.assertIn("template: template:2:3: unclosed action", r.stderr)

    def test_a_bad_mime_type_is_a_problem(self):
        r = self.check("  mimeContents:\n    - mimeType: Text/Plain\n")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("spec.mimeContents[0].mimeType", r.stderr)

    def test_a_good_config_passes(self):
        r = self.check("  mimeContents:\n    - {templateType: GoHTML, template: '{{if .path}}{{.path}}{{end}}'}\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
