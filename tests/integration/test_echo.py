"""EchoHandler and HealthCheckHandler responses, byte for byte (spec §1.3)."""

import unittest

from gateway import GatewayTestCase, chunked, entrypoint, request_bytes

CONFIG = entrypoint("echo") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: echo
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: EchoHandler}
        - handler: {apiVersion: app/v1, kind: HealthCheckHandler}
---
apiVersion: app/v1
kind: EchoHandler
spec:
  patterns: ["/echo", "/echo/"]
---
apiVersion: app/v1
kind: HealthCheckHandler
spec:
  patterns: ["/healthz"]
"""


def expected_echo(proto, host, method, uri, path, query, remote, header_json, body):
    return ("---------- Request ----------\n"
            "Proto   : %s\n"
            "Host   : %s\n"
            "Method : %s\n"
            "URI    : %s\n"
            "Path   : %s\n"
            "Query  : %s\n"
            "Remote : %s\n"
            "---------- Header ----------\n"
            "%s"
            "---------- Body ----------\n"
            "%s"
            "\n--------------------------\n") % (proto, host, method, uri, path, query, remote, header_json, body)


class EchoTest(GatewayTestCase):
    CONFIG = CONFIG

    def echo(self, data):
        """Sends raw bytes; returns (response, the client's address as the server sees it)."""
        with self.gw.connect() as c:
            c.send(data)
            return c.read_response(), "127.0.0.1:%d" % c.local_port()

    def test_the_echo_body_has_the_exact_aileron_format(self):
        data = (b"GET /echo/a%20b?x=1&a=%20b+c HTTP/1.1\r\n"
                b"Host: example.test:8080\r\n"
                b"x-custom: one\r\n"
                b"Accept: */*\r\n"
                b"X-CUSTOM: two\r\n"
                b"__csrfToken: t\r\n"
                b"\r\n")
        r, remote = self.echo(data)
        self.assertEqual(r.status, 200)
        header_json = ('{\n'
                       '  "Accept": [\n'
                       '    "*/*"\n'
                       '  ],\n'
                       '  "X-Custom": [\n'
                       '    "one",\n'
                       '    "two"\n'
                       '  ],\n'
                       '  "__csrftoken": [\n'
                       '    "t"\n'
                       '  ]\n'
                       '}\n')
        want = expected_echo("HTTP/1.1", "example.test:8080", "GET", "/echo/a%20b?x=1&a=%20b+c", "/echo/a b",
                             "x=1&a= b c", remote, header_json, "")
        self.assertEqual(r.text(), want)

    def test_the_echo_response_headers_are_plain_text_without_sniffing(self):
        r, _ = self.echo(request_bytes("GET", "/echo"))
        self.assertEqual(r.header("Content-Type"), "text/plain;charset=utf-8")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(int(r.header("Content-Length")), len(r.body))

    def test_an_empty_query_leaves_a_trailing_space_after_the_label(self):
        r, _ = self.echo(request_bytes("GET", "/echo"))
        self.assertIn("\nURI    : /echo\nPath   : /echo\nQuery  : \nRemote : ", r.text())

    def test_the_query_is_unescaped_with_plus_as_space(self):
        r, _ = self.echo(request_bytes("GET", "/echo?a=%20b+c&d=%2B%26"))
        self.assertIn("\nQuery  : a= b c&d=+&\n", r.text())

    def test_the_path_is_unescaped_without_turning_plus_into_space(self):
        r, _ = self.echo(request_bytes("GET", "/echo/a+b%2Fc"))
        self.assertIn("\nPath   : /echo/a+b/c\n", r.text())

    def test_a_request_without_headers_other_than_host_prints_an_empty_object(self):
        r, remote = self.echo(b"GET /echo HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(r.text(), expected_echo("HTTP/1.1", "h", "GET", "/echo", "/echo", "", remote, "{}\n", ""))

    def test_a_posted_body_is_echoed_with_its_content_length_header(self):
        r, remote = self.echo(b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello\nworld")
        header_json = '{\n  "Content-Length": [\n    "11"\n  ]\n}\n'
        self.assertEqual(r.text(), expected_echo("HTTP/1.1", "h", "POST", "/echo", "/echo", "", remote,
                                                 header_json, "hello\nworld"))

    def test_a_chunked_body_is_echoed_without_the_transfer_encoding_header(self):
        # Go's server removes Transfer-Encoding from Request.Header (it becomes
        # Request.TransferEncoding), so AILERON's echo never shows it.
        r, remote = self.echo(request_bytes("PUT", "/echo", [("Transfer-Encoding", "chunked"), ("X-A", "1")],
                                            body=chunked("ab", "cd")))
        self.assertEqual(r.text(), expected_echo("HTTP/1.1", "127.0.0.1", "PUT", "/echo", "/echo",
                                                 "", remote, '{\n  "X-A": [\n    "1"\n  ]\n}\n', "abcd"))

    def test_a_body_that_breaks_off_is_echoed_as_far_as_it_was_read(self):
        # AILERON reads with io.ReadAll and ignores the error: what arrived is echoed.
        r, _ = self.echo(request_bytes("POST", "/echo", [("Transfer-Encoding", "chunked")],
                                       body=b"5\r\nhello\r\nzz\r\n"))
        self.assertEqual(r.status, 200)
        self.assertIn("---------- Body ----------\nhello\n----", r.text())

    def test_http_1_0_requests_report_their_protocol(self):
        r, _ = self.echo(b"GET /echo HTTP/1.0\r\n\r\n")
        self.assertTrue(r.text().startswith("---------- Request ----------\nProto   : HTTP/1.0\nHost   : \n"),
                        r.text())

    def test_a_bad_escape_in_the_query_is_a_500_with_go_error_text(self):
        r, _ = self.echo(request_bytes("GET", "/echo?a=%zz"))
        self.assertEqual(r.status, 500)
        self.assertEqual(r.header("Content-Type"), "text/plain;charset=utf-8")
        self.assertEqual(r.text(), 'invalid URL escape "%zz"')

    def test_the_health_check_answers_an_empty_json_object(self):
        r, _ = self.echo(request_bytes("GET", "/healthz"))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"{}")
        self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.header("Content-Length"), "2")

    def test_the_health_check_answers_every_method(self):
        for method in ("POST", "PUT", "DELETE"):
            with self.subTest(method=method):
                r, _ = self.echo(request_bytes(method, "/healthz"))
                self.assertEqual((r.status, r.body), (200, b"{}"))


if __name__ == "__main__":
    unittest.main()
