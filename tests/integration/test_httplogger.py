"""core/v1 HTTPLogger: AILERON's access log as server middleware and as client tripperware
(spec §3.6). Records are read back from the gateway's output, parsed as JSON, and checked field
by field."""

import base64
import gzip
import json
import os
import re
import socket
import time
import unittest

from gateway import Gateway, RawConnection, entrypoint, http_request, request_bytes, chunked, stop_cleanly
from upstream import Upstream

ID = re.compile(r"^[A-Za-z0-9_-]{20}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")


def server(logger_spec="", handlers=None, extra=""):
    handlers = handlers or """\
        - handler: {apiVersion: app/v1, kind: EchoHandler}
        - handler: {apiVersion: core/v1, kind: TemplateHandler, name: empty}
"""
    return entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  middleware: [{apiVersion: core/v1, kind: HTTPLogger}]
  virtualHosts:
    - handlers:
%s---
apiVersion: app/v1
kind: EchoHandler
spec:
  patterns: ["/echo/", "/echo"]
---
apiVersion: core/v1
kind: TemplateHandler
metadata: {name: empty}
spec:
  patterns: ["/empty"]
  mimeContents: [{mimeType: text/plain, statusCode: 202}]
---
apiVersion: core/v1
kind: HTTPLogger
spec:
%s%s""" % (handlers, logger_spec or "  {}\n", extra)


def records(text, msg=None):
    out = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if msg is None or r.get("msg") == msg:
            out.append(r)
    return out


def access(text, kind="server"):
    """(request records, response records) of the access log, in output order."""
    rs = records(text, kind)
    return [r["request"] for r in rs if "request" in r], [r["response"] for r in rs if "response" in r]


def wait_for(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class AccessRecordsTest(unittest.TestCase):
    """The default access log: two records per request, every field as AILERON writes it."""

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(server()).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw)

    def exchange(self, data):
        with RawConnection(self.gw.port) as c:
            port = c.local_port()
            c.send(data)
            res = c.read_response()
        return port, res

    def find(self, path, n=1):
        """The request and response records of the last `n` requests for `path`."""
        def done():
            reqs, resps = access(self.gw.stdout)
            ids = [r["id"] for r in reqs if r["path"] == path]
            return len(ids) >= n and all(any(x["id"] == i for x in resps) for i in ids)
        self.assertTrue(wait_for(done), self.gw.stdout)
        reqs, resps = access(self.gw.stdout)
        out = []
        for q in [r for r in reqs if r["path"] == path][-n:]:
            out.append((q, [r for r in resps if r["id"] == q["id"]]))
        return out

    def test_a_request_and_its_response_each_give_one_record_with_every_field(self):
        port, res = self.exchange(request_bytes("GET", "/echo/a%20b?x=1&y=2", [("X-Test", "1")]))
        self.assertEqual(res.status, 200)
        [(req, resps)] = self.find("/echo/a b")
        self.assertEqual(len(resps), 1)
        resp = resps[0]
        self.assertEqual(set(req), {"header", "host", "id", "method", "path", "proto", "query", "remote", "size", "time"})
        self.assertEqual(req["header"], {})            # no headers configured
        self.assertEqual(req["host"], "127.0.0.1")
        self.assertRegex(req["id"], ID)
        self.assertEqual(req["method"], "GET")
        self.assertEqual(req["path"], "/echo/a b")     # decoded, as Go's URL.Path
        self.assertEqual(req["proto"], "HTTP/1.1")
        self.assertEqual(req["query"], "x=1&y=2")      # raw
        self.assertEqual(req["remote"], "127.0.0.1:%d" % port)
        self.assertEqual(req["size"], 0)
        self.assertRegex(req["time"], TIME)
        self.assertEqual(set(resp), {"duration", "header", "id", "size", "status", "time"})
        self.assertEqual(resp["id"], req["id"])
        self.assertEqual(resp["status"], 200)
        self.assertEqual(resp["size"], len(res.body))
        self.assertIsInstance(resp["duration"], int)
        self.assertGreaterEqual(resp["duration"], 0)
        self.assertEqual(resp["header"], {})
        self.assertRegex(resp["time"], TIME)

    def test_records_are_info_records_with_msg_server_datetime_and_location(self):
        self.exchange(request_bytes("GET", "/echo/shape"))
        self.find("/echo/shape")
        r = [r for r in records(self.gw.stdout, "server") if r.get("request", {}).get("path") == "/echo/shape"][0]
        self.assertEqual(r["level"], "INFO")
        self.assertEqual(list(r)[:3], ["time", "level", "msg"])
        self.assertEqual(set(r["datetime"]), {"date", "time", "zone"})
        self.assertEqual(set(r["location"]), {"file", "func", "line"})

    def test_request_size_is_the_content_length_or_minus_one_when_chunked(self):
        self.exchange(request_bytes("POST", "/echo/sized", body="hello"))
        self.exchange(request_bytes("POST", "/echo/chunked", [("Transfer-Encoding", "chunked")], chunked("ab", "cd")))
        [(sized, _)] = self.find("/echo/sized")
        [(unsized, _)] = self.find("/echo/chunked")
        self.assertEqual(sized["size"], 5)
        self.assertEqual(unsized["size"], -1)

    def test_a_handler_that_writes_nothing_still_gets_its_response_record(self):
        port, res = self.exchange(request_bytes("GET", "/empty"))
        self.assertEqual((res.status, res.body), (202, b""))
        [(req, resps)] = self.find("/empty")
        self.assertEqual(len(resps), 1)
        self.assertEqual(resps[0]["status"], 202)
        self.assertEqual(resps[0]["size"], 0)

    def test_an_unrouted_request_is_logged_with_the_error_status(self):
        port, res = self.exchange(request_bytes("GET", "/nowhere"))
        self.assertEqual(res.status, 404)
        [(req, resps)] = self.find("/nowhere")
        self.assertEqual(resps[0]["status"], 404)
        self.assertEqual(resps[0]["size"], len(res.body))

    def test_ids_differ_between_requests_and_match_within_one(self):
        for _ in range(3):
            self.exchange(request_bytes("GET", "/echo/ids"))
        pairs = self.find("/echo/ids", 3)
        ids = [q["id"] for q, _ in pairs]
        self.assertEqual(len(set(ids)), 3)
        for q, resps in pairs:
            self.assertEqual([r["id"] for r in resps], [q["id"]])


HEADERS = """\
  request:
    headers:
      - name: "*"
      - name: authorization
        replacers: [{regexp: {pattern: "^(Bearer) .*$", replace: "$1 ***"}}]
      - name: x-card
        replacers: [{right: {char: "*", length: 4}}]
    queries:
      - regexp: {pattern: "token=[^&]*", replace: "token=xxx"}
  response:
    headers:
      - name: content-type
      - name: x-content-type-options
      - name: set-cookie
        replacers: [{fixed: {value: "<hidden>"}}]
"""


class HeadersAndMaskingTest(unittest.TestCase):
    def test_headers_chosen_by_config_are_logged_canonical_sorted_and_masked(self):
        gw = Gateway(server(HEADERS)).start()
        try:
            data = request_bytes("GET", "/echo/h?token=s3cr3t&page=2",
                                 [("authorization", "Bearer abc.def"), ("x-card", "4111111111111111"),
                                  ("X-Multi", "a"), ("x-multi", "b"), ("Accept", "text/plain")])
            with RawConnection(gw.port) as c:
                c.send(data)
                c.read_response()
            self.assertTrue(wait_for(lambda: len(access(gw.stdout)[1]) == 1), gw.stdout)
            [req], [resp] = access(gw.stdout)
            self.assertEqual(req["header"], {"Accept": "text/plain", "Authorization": "Bearer ***",
                                             "X-Card": "411111111111****", "X-Multi": "a,b"})
            self.assertEqual(list(req["header"]), sorted(req["header"]))
            self.assertEqual(req["query"], "token=xxx&page=2")
            self.assertEqual(resp["header"], {"Content-Type": "text/plain;charset=utf-8",
                                              "X-Content-Type-Options": "nosniff"})
            self.assertNotIn("s3cr3t", gw.stdout)
            self.assertNotIn("abc.def", gw.stdout)
        finally:
            stop_cleanly(gw)


FORMAT = """\
  request:
    headers: [{name: User-Agent}, {name: X-A}]
    logFormat: "REQ %id% %type% %method% %path% %query% %host% %proto% %size% %header% [%header.user-agent%] %nope%"
  response:
    logFormat: "RES %id% %type% %status% %size% % duration %"
"""


class LogFormatTest(unittest.TestCase):
    def test_log_format_writes_text_lines_with_tags_replaced(self):
        gw = Gateway(server(FORMAT)).start()
        try:
            with RawConnection(gw.port) as c:
                c.send(request_bytes("GET", "/echo/f?q=1", [("User-Agent", "t/1"), ("X-A", "v")]))
                c.read_response()
            self.assertTrue(wait_for(lambda: "RES " in gw.stdout), gw.stdout)
            req = [l for l in gw.stdout.splitlines() if l.startswith("REQ ")]
            res = [l for l in gw.stdout.splitlines() if l.startswith("RES ")]
            self.assertEqual(len(req), 1)
            self.assertEqual(len(res), 1)
            m = re.fullmatch(r"REQ (\S{20}) server GET /echo/f q=1 127\.0\.0\.1 HTTP/1\.1 0 "
                             r"map\[User-Agent:t/1 X-A:v\] \[t/1\] <undefined:nope>", req[0])
            self.assertTrue(m, req[0])
            m2 = re.fullmatch(r"RES (\S{20}) server 200 \d+ \d+", res[0])
            self.assertTrue(m2, res[0])
            self.assertEqual(m.group(1), m2.group(1))
        finally:
            stop_cleanly(gw)


JOURNAL = """\
  journal: true
  request:
    maxContentLength: 128
    bodies:
      - mime: application/json
        jsonFields: [password, card.number]
        replacers: [{fixed: {value: '"***"'}}]
  response:
    maxContentLength: 4096
    base64: true
"""


class JournalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(server(JOURNAL)).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw)

    def post(self, path, body, ctype="application/json", extra=()):
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("POST", path, [("Content-Type", ctype)] + list(extra), body))
            return c.read_response()

    def pair(self, path):
        self.assertTrue(wait_for(lambda: any(r["path"] == path for r in access(self.gw.stdout)[0]) and
                                 len(access(self.gw.stdout)[0]) == len(access(self.gw.stdout)[1])), self.gw.stdout)
        reqs, resps = access(self.gw.stdout)
        q = [r for r in reqs if r["path"] == path][-1]
        return q, [r for r in resps if r["id"] == q["id"]][-1]

    def test_request_and_response_bodies_are_logged_with_json_fields_masked(self):
        body = '{"user":"bob","password":"hunter2","card":{"number":"4111","exp":"12/30"}}'
        res = self.post("/echo/j", body)
        self.assertEqual(res.status, 200)
        self.assertIn(b"hunter2", res.body)   # the handler still got the real body
        q, r = self.pair("/echo/j")
        self.assertEqual(json.loads(q["body"]),
                         {"user": "bob", "password": "***", "card": {"number": "***", "exp": "12/30"}})
        self.assertEqual(q["size"], len(body))
        # Response bodies are base64 (response.base64) and not masked (no response replacers).
        self.assertEqual(base64.b64decode(r["body"]), res.body)
        self.assertNotIn("hunter2", q["body"])

    def test_bodies_over_max_content_length_are_not_logged_but_pass_through(self):
        body = '{"pad":"%s"}' % ("x" * 200)
        res = self.post("/echo/big", body)
        self.assertEqual(res.status, 200)
        self.assertIn(b"x" * 200, res.body)
        q, _ = self.pair("/echo/big")
        self.assertEqual(q["body"], "")
        self.assertEqual(q["size"], len(body))

    def test_a_chunked_request_body_under_the_limit_is_logged_and_replayed(self):
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("POST", "/echo/ck", [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")],
                                 chunked("ab", "cd")))
            res = c.read_response()
        self.assertIn(b"abcd", res.body)
        q, _ = self.pair("/echo/ck")
        self.assertEqual(q["body"], "abcd")
        self.assertEqual(q["size"], -1)

    def test_media_types_not_listed_are_not_logged(self):
        self.post("/echo/bin", "\x00\x01", ctype="application/octet-stream")
        q, _ = self.pair("/echo/bin")
        self.assertEqual(q["body"], "")


BODY_FILES = """\
  journal: true
  request:
    maxContentLength: 8
    bodyOutputPath: bodies
"""


class BodyFilesTest(unittest.TestCase):
    def test_bodies_over_the_limit_go_to_files_named_by_the_record_id(self):
        gw = Gateway(server(BODY_FILES)).start()
        try:
            body = "a=" + "z" * 5000
            with RawConnection(gw.port) as c:
                c.send(request_bytes("POST", "/echo/file", [("Content-Type", "application/x-www-form-urlencoded")],
                                     body))
                res = c.read_response()
            self.assertEqual(res.status, 200)
            self.assertTrue(wait_for(lambda: len(access(gw.stdout)[1]) == 1), gw.stdout)
            [q], _ = access(gw.stdout)
            self.assertEqual(q["body"], "body-%s.svr.req.bin" % q["id"])
            path = os.path.join(gw.dir, "bodies", q["body"])
            self.assertTrue(wait_for(lambda: os.path.exists(path) and os.path.getsize(path) == len(body)))
            with open(path) as f:
                self.assertEqual(f.read(), body)
        finally:
            stop_cleanly(gw)


PROXY = entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  middleware: [{apiVersion: core/v1, kind: HTTPLogger}]
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  tripperwares: [{apiVersion: core/v1, kind: HTTPLogger}]
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: core/v1
kind: HTTPLogger
spec:
  request:
    headers: [{name: X-Forwarded-For}]
%(extra)s"""


class ProxyTest(unittest.TestCase):
    """Middleware and tripperware together: four records per proxied request, one id."""

    def start(self, extra=""):
        self.up = Upstream("up").start()
        self.gw = Gateway(PROXY % {"up": self.up.url, "extra": extra}).start()

    def tearDown(self):
        stop_cleanly(self.gw, self.up)

    def test_a_proxied_request_gives_server_client_client_server_records_with_one_id(self):
        self.start()
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("GET", "/headers/x?a=1"))
            res = c.read_response()
        self.assertEqual(res.status, 200)
        self.assertTrue(wait_for(lambda: len(records(self.gw.stdout, "server")) == 2), self.gw.stdout)
        rs = [r for r in records(self.gw.stdout) if r["msg"] in ("server", "client")]
        order = [(r["msg"], "request" if "request" in r else "response") for r in rs]
        self.assertEqual(order, [("server", "request"), ("client", "request"), ("client", "response"),
                                 ("server", "response")])
        ids = {(r.get("request") or r.get("response"))["id"] for r in rs}
        self.assertEqual(len(ids), 1)
        client_req = rs[1]["request"]
        self.assertEqual(client_req["host"], self.up.url.split("://")[1])
        self.assertEqual(client_req["path"], "/headers/x")
        self.assertEqual(client_req["query"], "a=1")
        self.assertEqual(client_req["header"], {"X-Forwarded-For": "127.0.0.1"})   # outgoing headers
        self.assertEqual(rs[0]["request"]["header"], {})                            # the client sent none
        client_res = rs[2]["response"]
        self.assertEqual(client_res["status"], 200)
        self.assertEqual(client_res["size"], len(res.body))
        self.assertEqual(rs[3]["response"]["size"], len(res.body))

    def test_a_streamed_response_of_unknown_size_is_counted_as_it_streams(self):
        self.start()
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("GET", "/chunks?n=3&delay=0.05"))
            res = c.read_response()
        self.assertEqual(res.status, 200)
        self.assertTrue(wait_for(lambda: len(access(self.gw.stdout)[1]) == 1), self.gw.stdout)
        _, [resp] = access(self.gw.stdout)
        self.assertEqual(resp["size"], len(res.body))
        _, [client_resp] = access(self.gw.stdout, "client")
        self.assertEqual(client_resp["size"], -1)   # AILERON: the upstream's Content-Length, -1 if none

    def test_an_unreachable_upstream_gives_a_client_record_with_status_zero(self):
        self.up = Upstream("up").start()
        self.up.stop()   # nothing listens there any more
        self.gw = Gateway(PROXY % {"up": self.up.url, "extra": ""}).start()
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("GET", "/x"))
            res = c.read_response()
        self.assertEqual(res.status, 502)
        self.assertTrue(wait_for(lambda: len(access(self.gw.stdout)[1]) == 1), self.gw.stdout)
        _, [client_resp] = access(self.gw.stdout, "client")
        self.assertEqual((client_resp["status"], client_resp["size"], client_resp["header"]), (0, 0, {}))
        _, [server_resp] = access(self.gw.stdout)
        self.assertEqual(server_resp["status"], 502)

    def test_journal_mode_logs_the_upstream_response_body_on_the_client_side(self):
        self.start("  journal: true\n")
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("POST", "/headers/j", [("Content-Type", "application/json")], '{"k":"v"}'))
            res = c.read_response()
        self.assertEqual(res.status, 200)
        self.assertTrue(wait_for(lambda: len(access(self.gw.stdout)[1]) == 1), self.gw.stdout)
        [sreq], [sres] = access(self.gw.stdout)
        [creq], [cres] = access(self.gw.stdout, "client")
        self.assertEqual(sreq["body"], '{"k":"v"}')
        self.assertEqual(creq["body"], '{"k":"v"}')
        self.assertEqual(json.loads(cres["body"])["body"], '{"k":"v"}')
        self.assertEqual(sres["body"], cres["body"])
        self.assertEqual(self.up.requests[-1]["body"], '{"k":"v"}')   # the upstream got the body


CLIENT_TRIPPERWARE = entrypoint("gw") + """\
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
  roundTripper: {apiVersion: core/v1, kind: HTTPClient}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: core/v1
kind: HTTPClient
spec:
  tripperwares: [{apiVersion: core/v1, kind: HTTPLogger}]
---
apiVersion: core/v1
kind: HTTPLogger
spec:
  response:
    logFormat: "UPSTREAM %%type%% %%status%% %%size%%"
"""


class ClientTripperwareTest(unittest.TestCase):
    def test_an_http_clients_tripperware_logs_each_upstream_exchange_alone(self):
        up = Upstream("up").start()
        gw = Gateway(CLIENT_TRIPPERWARE % {"up": up.url}).start()
        try:
            for path in ("/size/10", "/size/20"):
                with RawConnection(gw.port) as c:
                    c.send(request_bytes("GET", path))
                    self.assertEqual(c.read_response().status, 200)
            self.assertTrue(wait_for(lambda: gw.stdout.count("UPSTREAM ") == 2), gw.stdout)
            # The two requests came on two connections, which two workers may have served: each
            # worker's records keep their order, the two workers' records need not.
            self.assertEqual(sorted(l for l in gw.stdout.splitlines() if l.startswith("UPSTREAM ")),
                             ["UPSTREAM client 200 10", "UPSTREAM client 200 20"])
            # No server-side middleware: the client records have ids of their own.
            [a, b] = access(gw.stdout, "client")[0]
            self.assertNotEqual(a["id"], b["id"])
            self.assertEqual(sorted([a["path"], b["path"]]), ["/size/10", "/size/20"])
        finally:
            stop_cleanly(gw, up)


TRACKED = entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  middleware:
%(middleware)s  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  roundTripper: {apiVersion: core/v1, kind: HTTPClient}
  loadBalancers:
    - pathMatcher: {match: "/down", matchType: Prefix}
      upstreams: [{url: "%(down)s"}]
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: core/v1
kind: HTTPClient
spec:
  tripperwares: [{apiVersion: core/v1, kind: HTTPLogger, name: access}]
---
apiVersion: core/v1
kind: HTTPLogger
metadata: {name: access}
spec: {}
---
apiVersion: app/v1
kind: TrackingMiddleware
metadata: {name: ids}
spec:
  requestIDProxyName: X-Request-ID
  traceIDProxyName: X-Trace-ID
  traceIDExtractName: X-Trace-ID
"""

LOGGER_REF = "    - {apiVersion: core/v1, kind: HTTPLogger, name: access}\n"
TRACKING_REF = "    - {apiVersion: app/v1, kind: TrackingMiddleware, name: ids}\n"
REQUEST_ID = re.compile(r"^[0-9BCDFGHJKLMNPQRSTUVWXYZ]{48}$")


class TrackingIdsTest(unittest.TestCase):
    """TrackingMiddleware's request and trace IDs in the access records (AILERON's `"ids"`
    context attribute), with the server middleware in either order and an HTTPClient's
    HTTPLogger tripperware on the way upstream."""

    def start(self, middleware):
        self.up = Upstream("up").start()
        self.down = Upstream("down").start()
        self.down.stop()   # nothing listens there any more
        self.gw = Gateway(TRACKED % {"middleware": middleware, "up": self.up.url, "down": self.down.url}).start()

    def tearDown(self):
        stop_cleanly(self.gw, self.up)

    def exchanges(self, n):
        """The records of the first `n` requests, each as [server request, client request,
        client response, server response], once all of them are written."""
        def grouped():
            rs = [r for r in records(self.gw.stdout) if r["msg"] in ("server", "client")]
            by_id = {}
            for r in rs:
                by_id.setdefault((r.get("request") or r.get("response"))["id"], []).append(r)
            return list(by_id.values())
        self.assertTrue(wait_for(lambda: len(grouped()) == n and all(len(g) == 4 for g in grouped())),
                        self.gw.stdout)
        groups = grouped()
        for g in groups:
            self.assertEqual([(r["msg"], "request" if "request" in r else "response") for r in g],
                             [("server", "request"), ("client", "request"), ("client", "response"),
                              ("server", "response")])
        return groups

    def upstream_ids(self, i):
        headers = {k.lower(): v for k, v in self.up.requests[i]["headers"]}
        return headers["x-request-id"], headers["x-trace-id"]

    def test_with_tracking_outside_the_logger_all_four_records_have_the_ids_the_upstream_got(self):
        self.start(TRACKING_REF + LOGGER_REF)
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("GET", "/headers/a", [("X-Trace-ID", "trace-from-client-1")]))
            self.assertEqual(c.read_response().status, 200)
            c.send(request_bytes("GET", "/headers/b"))   # same connection, no trace ID
            self.assertEqual(c.read_response().status, 200)
        first, second = self.exchanges(2)
        rid, trace = self.upstream_ids(0)
        self.assertRegex(rid, REQUEST_ID)
        self.assertEqual(trace, "trace-from-client-1")
        for r in first:
            self.assertEqual(r["ids"], {"request": rid, "trace": "trace-from-client-1"}, r)
        # The next request on the connection has IDs of its own, its trace ID its request ID.
        rid2, trace2 = self.upstream_ids(1)
        self.assertRegex(rid2, REQUEST_ID)
        self.assertNotEqual(rid2, rid)
        self.assertEqual(trace2, rid2)
        for r in second:
            self.assertEqual(r["ids"], {"request": rid2, "trace": rid2}, r)

    def test_with_the_logger_outside_tracking_the_server_request_record_has_no_ids(self):
        self.start(LOGGER_REF + TRACKING_REF)
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("GET", "/headers/c", [("X-Trace-ID", "t-2")]))
            self.assertEqual(c.read_response().status, 200)
        [group] = self.exchanges(1)
        rid, trace = self.upstream_ids(0)
        self.assertEqual(trace, "t-2")
        self.assertNotIn("ids", group[0])   # written before TrackingMiddleware ran
        for r in group[1:]:
            self.assertEqual(r["ids"], {"request": rid, "trace": "t-2"}, r)

    def test_the_ids_key_comes_after_location_and_before_the_record(self):
        self.start(TRACKING_REF + LOGGER_REF)
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("GET", "/headers/order"))
            c.read_response()
        for r in self.exchanges(1)[0]:
            keys = list(r)
            self.assertEqual(keys[:6], ["time", "level", "msg", "datetime", "location", "ids"], keys)
            self.assertEqual(list(r["ids"]), ["request", "trace"])
            self.assertIn(keys[6], ("request", "response"))

    def test_the_servers_error_log_for_the_request_has_its_ids(self):
        self.start(TRACKING_REF + LOGGER_REF)
        with RawConnection(self.gw.port) as c:
            c.send(request_bytes("GET", "/down", [("X-Trace-ID", "t-err")]))
            self.assertEqual(c.read_response().status, 502)
        [group] = self.exchanges(1)
        ids = group[0]["ids"]
        self.assertEqual(ids["trace"], "t-err")
        self.assertRegex(ids["request"], REQUEST_ID)
        self.assertTrue(wait_for(lambda: any(r["msg"] == "serve http error" for r in records(self.gw.stdout))),
                        self.gw.stdout)
        [error] = [r for r in records(self.gw.stdout) if r["msg"] == "serve http error"]
        self.assertEqual(error["level"], "ERROR")
        self.assertEqual(error["ids"], ids)
        self.assertEqual(error["status"], 502)


FILE_LOGGER = entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  middleware: [{apiVersion: core/v1, kind: HTTPLogger}]
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: EchoHandler}
---
apiVersion: app/v1
kind: EchoHandler
---
apiVersion: core/v1
kind: HTTPLogger
spec:
  logger: {apiVersion: core/v1, kind: SLogger, name: access}
---
apiVersion: core/v1
kind: SLogger
metadata: {name: access}
spec:
  noLocation: true
  logOutput:
    outputTarget: File
    logDir: access
    logFileName: access.log
    rotateSize: 1
    compressLevel: 1
"""


class FileAndRotationTest(unittest.TestCase):
    def test_access_records_go_to_the_referenced_logger_file_and_rotate_by_size(self):
        gw = Gateway(FILE_LOGGER).start()
        try:
            # About 1.3 MiB of records: at least one rotation at rotateSize (1 MiB).
            n = 1300
            with RawConnection(gw.port) as c:
                for i in range(n):
                    c.send(request_bytes("GET", "/r/%d?%s" % (i, "p" * 300)))
                    c.read_response()
            self.assertEqual(gw.stop(), 0)
            self.assertEqual(access(gw.stdout)[0], [])   # not on stdout
            folder = os.path.join(gw.dir, "access")
            names = sorted(os.listdir(folder))
            archives = [x for x in names if x != "access.log"]
            self.assertTrue(archives and all(re.fullmatch(r"access\.log\.\d+\.gz", x) for x in archives), names)
            lines = []
            for x in archives:
                with gzip.open(os.path.join(folder, x), "rt", encoding="utf-8") as f:
                    lines += f.read().splitlines()
                self.assertLessEqual(os.path.getsize(os.path.join(folder, x)), 1 << 20)
            with open(os.path.join(folder, "access.log"), encoding="utf-8") as f:
                lines += f.read().splitlines()
            recs = [json.loads(l) for l in lines]
            paths = {r["request"]["path"] for r in recs if "request" in r}
            self.assertEqual(len(paths), n)   # every request's record survived the rotations
            self.assertEqual(sum(1 for r in recs if "response" in r), n)
        finally:
            gw.kill()


if __name__ == "__main__":
    unittest.main()
