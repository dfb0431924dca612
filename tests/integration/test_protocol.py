"""HTTP/1.1 protocol behaviour of HTTPServer, checked byte by byte over raw sockets (spec §3.2)."""

import time
import unittest

from gateway import ConnectionClosed, GatewayTestCase, chunked, entrypoint, request_bytes

MAX_HEADER_BYTES = 1024
SLACK = 4096   # Go (and aileron) accept maxHeaderBytes + 4096 before answering 431

CONFIG = entrypoint("protocol") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: protocol
spec:
  addr: "127.0.0.1:@PORT@"
  httpConfig:
    idleTimeout: 1
    maxHeaderBytes: %d
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
""" % MAX_HEADER_BYTES


def get(target="/healthz", headers=(), version="HTTP/1.1"):
    return request_bytes("GET", target, list(headers), version=version)


def echoed_body(response):
    """The request body part of an EchoHandler response."""
    text = response.text()
    start = text.index("---------- Body ----------\n") + len("---------- Body ----------\n")
    end = text.rindex("\n--------------------------\n")
    return text[start:end]


class ProtocolTest(GatewayTestCase):
    CONFIG = CONFIG

    def tearDown(self):
        # Whatever a test sent, the server must still be there and serving.
        self.assertTrue(self.gw.running(), self.gw.output())
        self.assertEqual(self.gw.request("GET", "/healthz").status, 200)

    # -- connection reuse --------------------------------------------------------------------

    def test_keep_alive_serves_two_requests_on_one_connection(self):
        with self.gw.connect() as c:
            c.send(get())
            first = c.read_response()
            c.send(get("/echo?second"))
            second = c.read_response()
        self.assertEqual((first.status, first.body), (200, b"{}"))
        self.assertEqual(second.status, 200)
        self.assertIn("URI    : /echo?second\n", second.text())
        self.assertIsNone(first.header("Connection"))

    def test_pipelined_requests_are_answered_in_order(self):
        with self.gw.connect() as c:
            c.send(get("/echo?n=1") + get("/healthz") + get("/echo?n=3"))
            responses = [c.read_response() for _ in range(3)]
        self.assertEqual([r.status for r in responses], [200, 200, 200])
        self.assertIn("URI    : /echo?n=1\n", responses[0].text())
        self.assertEqual(responses[1].body, b"{}")
        self.assertIn("URI    : /echo?n=3\n", responses[2].text())

    def test_pipelined_requests_with_bodies_keep_their_boundaries(self):
        post = lambda body: request_bytes("POST", "/echo", body=body)
        with self.gw.connect() as c:
            c.send(post("first body") + post("second") + request_bytes(
                "POST", "/echo", [("Transfer-Encoding", "chunked")], body=chunked("third ", "one")))
            bodies = [echoed_body(c.read_response()) for _ in range(3)]
        self.assertEqual(bodies, ["first body", "second", "third one"])

    def test_connection_close_is_honoured(self):
        with self.gw.connect() as c:
            c.send(get(headers=[("Connection", "close")]))
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("Connection"), "close")
            self.assertTrue(c.closed_by_peer(within=2), "the server kept the connection open")

    def test_http_1_0_without_keep_alive_closes_after_the_response(self):
        with self.gw.connect() as c:
            c.send(get(version="HTTP/1.0"))
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, b"{}"))
            self.assertTrue(c.closed_by_peer(within=2), "the server kept an HTTP/1.0 connection open")

    def test_http_1_0_with_keep_alive_stays_open_and_says_so(self):
        with self.gw.connect() as c:
            c.send(get(version="HTTP/1.0", headers=[("Connection", "keep-alive")]))
            r = c.read_response()
            self.assertEqual(r.header("Connection", "").lower(), "keep-alive")
            c.send(get(version="HTTP/1.0"))
            self.assertEqual(c.read_response().status, 200)

    def test_http_1_0_echo_reports_its_protocol(self):
        r = self.gw.exchange(get("/echo", version="HTTP/1.0"))
        self.assertIn("Proto   : HTTP/1.0\n", r.text())

    # -- malformed requests ------------------------------------------------------------------

    def assert_plain_error_and_close(self, data, status, text):
        with self.gw.connect() as c:
            c.send(data)
            r = c.read_response()
            self.assertEqual(r.status, status, r)
            self.assertEqual(r.text(), text)
            self.assertEqual(r.header("Content-Type"), "text/plain; charset=utf-8")
            self.assertEqual(r.header("Connection"), "close")
            self.assertTrue(c.closed_by_peer(within=3), "the connection stayed open after %d" % status)

    def test_http_1_1_without_host_is_a_bad_request(self):
        self.assert_plain_error_and_close(request_bytes("GET", "/healthz", host=None), 400, "400 Bad Request")

    def test_http_1_1_with_two_hosts_is_a_bad_request(self):
        self.assert_plain_error_and_close(request_bytes("GET", "/healthz", [("Host", "other")]), 400,
                                          "400 Bad Request")

    def test_http_1_0_without_host_is_served(self):
        r = self.gw.exchange(request_bytes("GET", "/healthz", host=None, version="HTTP/1.0"))
        self.assertEqual(r.status, 200)

    def test_a_garbage_request_line_is_a_bad_request(self):
        self.assert_plain_error_and_close(b"this is not http at all\r\n\r\n", 400, "400 Bad Request")

    def test_a_header_line_without_colon_is_a_bad_request(self):
        self.assert_plain_error_and_close(b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400,
                                          "400 Bad Request")

    def test_a_header_section_within_the_slack_is_served(self):
        filler = "x" * (MAX_HEADER_BYTES + SLACK // 2)
        r = self.gw.exchange(get(headers=[("X-Filler", filler)]))
        self.assertEqual(r.status, 200)

    def test_a_header_section_over_max_header_bytes_plus_slack_gets_431(self):
        filler = "x" * (MAX_HEADER_BYTES + SLACK + 100)
        self.assert_plain_error_and_close(get(headers=[("X-Filler", filler)]), 431,
                                          "431 Request Header Fields Too Large")

    def test_many_small_headers_over_the_limit_get_431_too(self):
        headers = [("X-H%d" % i, "v" * 50) for i in range((MAX_HEADER_BYTES + SLACK) // 50)]
        self.assert_plain_error_and_close(get(headers=headers), 431, "431 Request Header Fields Too Large")

    def test_a_request_target_longer_than_max_header_bytes_gets_414(self):
        target = "/echo?" + "q" * (MAX_HEADER_BYTES + 10)
        self.assert_plain_error_and_close(get(target), 414, "414 Request URI Too Long")

    def test_a_request_target_longer_than_the_whole_header_limit_gets_414(self):
        target = "/echo?" + "q" * (MAX_HEADER_BYTES + SLACK + 10)
        self.assert_plain_error_and_close(get(target), 414, "414 Request URI Too Long")

    def test_a_broken_chunked_body_ends_the_connection_after_the_response(self):
        # Go's handler sees a read error (EchoHandler then echoes what it read, with 200); the
        # connection cannot be reused because the message boundary is lost.
        data = request_bytes("POST", "/echo", [("Transfer-Encoding", "chunked")], body=b"zz\r\nhello\r\n0\r\n\r\n")
        with self.gw.connect() as c:
            c.send(data + get())
            try:
                c.read_response()
            except (ConnectionClosed, ConnectionResetError):
                pass
            rest = c.read_all_until_close()   # fails with a timeout if the server keeps it open
            self.assertNotIn(b"HTTP/1.1 200", rest, "the pipelined request after a broken body was served")

    def test_malformed_requests_never_kill_the_server(self):
        attacks = [
            b"\x00\x01\x02\x03\r\n\r\n",
            b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort",   # then closed early
            b"GET /echo HTTP/1.1\r\nHost: x\r\n",                                         # head never ends
            b"GET " + b"/" * 70000 + b" HTTP/1.1\r\n\r\n",
        ]
        for data in attacks:
            with self.subTest(data=data[:40]):
                with self.gw.connect() as c:
                    try:
                        c.send(data)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                # The next connection is still served.
                self.assertTrue(self.gw.running(), self.gw.output())
                self.assertEqual(self.gw.request("GET", "/healthz").status, 200)

    # -- bodies ----------------------------------------------------------------------------------

    def test_a_chunked_request_body_is_echoed(self):
        r = self.gw.exchange(request_bytes("POST", "/echo", [("Transfer-Encoding", "chunked")],
                                           body=chunked("hello, ", "chunked ", "world")))
        self.assertEqual(r.status, 200)
        self.assertEqual(echoed_body(r), "hello, chunked world")

    def test_a_chunked_body_with_extensions_and_trailers_is_accepted(self):
        body = b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"
        r = self.gw.exchange(request_bytes("POST", "/echo", [("Transfer-Encoding", "chunked")], body=body))
        self.assertEqual(r.status, 200)
        self.assertEqual(echoed_body(r), "hello")

    def test_expect_100_continue_gets_100_before_the_final_response_when_the_body_is_read(self):
        with self.gw.connect() as c:
            c.send(request_bytes("POST", "/echo", [("Expect", "100-continue"), ("Content-Length", "11")]))
            interim = c.read_response()
            self.assertEqual((interim.version, interim.status), ("HTTP/1.1", 100), interim)
            self.assertEqual(interim.raw, b"HTTP/1.1 100 Continue\r\n\r\n")
            c.send(b"hello world")
            final = c.read_response()
            self.assertEqual(final.status, 200)
            self.assertEqual(echoed_body(final), "hello world")
            # The connection is reusable afterwards.
            c.send(get())
            self.assertEqual(c.read_response().status, 200)

    def test_expect_100_continue_gets_no_100_when_the_body_is_not_read(self):
        with self.gw.connect() as c:
            c.send(request_bytes("POST", "/missing", [("Expect", "100-continue"), ("Content-Length", "5")]))
            r = c.read_response()
            self.assertEqual(r.status, 404)
            # The unsent body cannot be skipped: the connection ends after the response.
            self.assertTrue(c.closed_by_peer(within=3))

    def test_an_unknown_expectation_gets_417(self):
        r = self.gw.exchange(request_bytes("POST", "/echo", [("Expect", "something-else")], body=b"x"))
        self.assertEqual(r.status, 417)

    def test_an_expectation_from_an_http_1_0_client_is_ignored(self):
        r = self.gw.exchange(request_bytes("POST", "/echo", [("Expect", "100-continue")], body=b"ab",
                                           version="HTTP/1.0"))
        self.assertEqual(r.status, 200)
        self.assertEqual(echoed_body(r), "ab")

    def test_a_well_formed_but_unsupported_version_gets_505(self):
        for version in ("HTTP/2.0", "HTTP/3.0"):
            r = self.gw.exchange(get(version=version))
            self.assertEqual(r.status, 505, version)

    def test_a_garbled_version_is_a_bad_request(self):
        r = self.gw.exchange(b"GET /healthz HTTQ/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(r.status, 400)

    def test_a_host_header_with_invalid_bytes_is_a_bad_request(self):
        r = self.gw.exchange(request_bytes("GET", "/healthz", host="a b"))
        self.assertEqual(r.status, 400)

    def test_an_absolute_form_target_routes_by_its_own_host(self):
        r = self.gw.exchange(get("http://elsewhere.example/echo?q=1"))
        self.assertEqual(r.status, 200)
        self.assertIn("Path   : /echo\n", r.text())

    def test_an_unread_small_body_is_skipped_and_the_connection_reused(self):
        with self.gw.connect() as c:
            c.send(request_bytes("POST", "/healthz", body=b"ignored body") + get("/echo?after"))
            self.assertEqual(c.read_response().body, b"{}")
            self.assertIn("URI    : /echo?after\n", c.read_response().text())

    def test_head_gets_the_headers_with_content_length_but_no_body(self):
        with self.gw.connect() as c:
            c.send(request_bytes("HEAD", "/healthz", [("Connection", "close")]))
            r = c.read_response(head=True)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("Content-Length"), "2")
            self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")
            self.assertEqual(c.read_all_until_close(), b"", "bytes followed the head of a HEAD response")

    def test_head_on_echo_announces_the_length_a_get_would_have(self):
        with self.gw.connect() as c:
            c.send(request_bytes("HEAD", "/echo") + get("/healthz"))
            head = c.read_response(head=True)
            after = c.read_response()
        self.assertGreater(int(head.header("Content-Length")), 100)
        self.assertEqual(after.body, b"{}")   # no stray body between the two responses

    def test_every_response_has_a_date_header(self):
        r = self.gw.exchange(get())
        self.assertRegex(r.header("Date", ""), r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")

    # -- timeouts ----------------------------------------------------------------------------------

    def test_an_idle_keep_alive_connection_is_closed_after_idle_timeout(self):
        with self.gw.connect() as c:
            c.send(get())
            self.assertEqual(c.read_response().status, 200)
            start = time.monotonic()
            self.assertFalse(c.closed_by_peer(within=0.5), "closed long before idleTimeout (1 s)")
            self.assertTrue(c.closed_by_peer(within=3), "still open 3 s after idleTimeout (1 s)")
            self.assertGreater(time.monotonic() - start, 0.8)


if __name__ == "__main__":
    unittest.main()
