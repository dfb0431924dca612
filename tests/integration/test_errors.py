"""Default error responses: the body format follows the first media range of Accept (spec §3.4)."""

import unittest

from gateway import GatewayTestCase, entrypoint

CONFIG = entrypoint("errors") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: errors
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

JSON_404 = b'{"status":404,"statusText":"Not Found"}'
XML_404 = b"<result><status>404</status><statusText>Not Found</statusText><errors></errors></result>"
YAML_404 = b"status: 404\nstatusText: Not Found\n"


class ErrorBodyTest(GatewayTestCase):
    CONFIG = CONFIG

    def not_found(self, accept=None, method="GET"):
        headers = {"Accept": accept} if accept is not None else {}
        r = self.gw.request(method, "/missing", headers=headers)
        self.assertEqual(r.status, 404)
        return r

    def assert_error(self, r, content_type, body):
        self.assertEqual(r.headers["Content-Type"], content_type)
        self.assertEqual(r.body, body)
        self.assertEqual(r.headers["Content-Length"], str(len(body)))

    def test_without_accept_the_body_is_compact_json(self):
        self.assert_error(self.not_found(), "application/json; charset=utf-8", JSON_404)

    def test_accept_application_json_gets_json(self):
        self.assert_error(self.not_found("application/json"), "application/json; charset=utf-8", JSON_404)

    def test_accept_text_json_gets_json_labelled_text_json(self):
        self.assert_error(self.not_found("text/json"), "text/json; charset=utf-8", JSON_404)

    def test_accept_text_xml_gets_xml_with_an_empty_errors_element(self):
        self.assert_error(self.not_found("text/xml"), "text/xml; charset=utf-8", XML_404)

    def test_accept_application_xml_gets_xml(self):
        self.assert_error(self.not_found("application/xml"), "application/xml; charset=utf-8", XML_404)

    def test_accept_text_plain_gets_yaml(self):
        self.assert_error(self.not_found("text/plain"), "text/plain; charset=utf-8", YAML_404)

    def test_accept_application_yaml_gets_yaml(self):
        self.assert_error(self.not_found("application/yaml"), "application/yaml; charset=utf-8", YAML_404)

    def test_an_unsupported_or_wildcard_accept_gets_json_as_application_json(self):
        for accept in ("*/*", "text/html", "image/png", ""):
            with self.subTest(accept=accept):
                self.assert_error(self.not_found(accept), "application/json; charset=utf-8", JSON_404)

    def test_only_the_first_media_range_counts_and_q_values_are_ignored(self):
        self.assert_error(self.not_found("text/plain, application/json"), "text/plain; charset=utf-8", YAML_404)
        self.assert_error(self.not_found("application/json;q=0.1, text/xml;q=1"),
                          "application/json; charset=utf-8", JSON_404)

    def test_a_media_range_that_does_not_parse_is_skipped(self):
        # Go's mime.ParseMediaType rejects "text/" (no subtype) and "" (no type).
        self.assert_error(self.not_found("text/, text/xml"), "text/xml; charset=utf-8", XML_404)
        self.assert_error(self.not_found(", text/xml"), "text/xml; charset=utf-8", XML_404)

    def test_a_bare_token_is_a_media_range_that_parses_and_selects_json(self):
        # mime.ParseMediaType("garbage") succeeds (a disposition-like token), so AILERON stops
        # there and answers with its JSON default.
        self.assert_error(self.not_found("garbage, text/xml"), "application/json; charset=utf-8", JSON_404)

    def test_the_media_type_is_matched_and_echoed_in_lower_case(self):
        # mime.ParseMediaType lower-cases the media type.
        self.assert_error(self.not_found("Text/XML"), "text/xml; charset=utf-8", XML_404)
        self.assert_error(self.not_found("APPLICATION/JSON"), "application/json; charset=utf-8", JSON_404)

    def test_media_type_parameters_are_dropped_from_the_content_type(self):
        self.assert_error(self.not_found("text/xml; charset=latin1"), "text/xml; charset=utf-8", XML_404)

    def test_error_responses_forbid_sniffing_and_vary_on_accept(self):
        for accept in (None, "text/xml", "text/plain"):
            with self.subTest(accept=accept):
                r = self.not_found(accept)
                self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
                self.assertEqual(r.headers.get_all("Vary"), ["Accept"])

    def test_a_405_uses_the_same_negotiation_and_keeps_its_allow_header(self):
        r = self.gw.request("POST", "/healthz", headers={"Accept": "text/xml"})
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers["Allow"], "GET")
        self.assert_error(r, "text/xml; charset=utf-8",
                          b"<result><status>405</status><statusText>Method Not Allowed</statusText>"
                          b"<errors></errors></result>")
        self.assertEqual(r.headers["Vary"], "Accept")

    def test_a_head_request_gets_the_error_headers_without_the_body(self):
        r = self.not_found(method="HEAD")
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers["Content-Length"], str(len(JSON_404)))
        self.assertEqual(r.headers["Content-Type"], "application/json; charset=utf-8")


if __name__ == "__main__":
    unittest.main()
