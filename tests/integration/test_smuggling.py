"""Request smuggling and framing: every payload class of smuggling_cases.CASES, sent over a raw
socket to the gateway proxying to a strict recording upstream (recorder.py).

Per row the gateway must either reject the bytes with the row's 4xx/5xx status and close the
connection, forwarding nothing; or forward exactly the row's requests, each one canonical (the
recorder's strict parser accepts it: one framing header at most, never Content-Length together
with Transfer-Encoding, no obs-fold, CRLF only) with the right body. Whatever the row, the
recorder never sees more requests than the client sent.
"""

import socket
import sys
import time
import unittest

from gateway import ConnectionClosed, Gateway, entrypoint, stop_cleanly
from recorder import Recorder
from smuggling_cases import CASES, Forward, Reject

MAX_HEADER_BYTES = 4096

CONFIG = entrypoint("smuggling") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: smuggling
spec:
  addr: "127.0.0.1:@PORT@"
  workers: 1
  httpConfig:
    readTimeout: 3
    readHeaderTimeout: 3
    idleTimeout: 3
    maxHeaderBytes: %d
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%%(up)s"}]
""" % MAX_HEADER_BYTES

QUIET = 0.3   # seconds to wait for anything the gateway still sends after the expected responses


def read_quiet(conn, within=QUIET):
    """Whatever arrives within `within` seconds, and whether the peer closed meanwhile."""
    deadline = time.monotonic() + within
    data, closed = conn.buf, False
    conn.buf = b""
    try:
        while time.monotonic() < deadline:
            conn.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = conn.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    return data, closed


def check_case(test, gw, rec, case):
    """Sends one case to `gw` and checks the gateway's answer and what `rec` saw. Returns
    a short outcome ("rejected 400", "forwarded 2") for the summary."""
    mark = rec.mark()
    expect = case.expect
    responses = []
    with gw.connect() as c:
        try:
            c.send(case.data)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the gateway answered and closed before reading everything: checked below
        wanted = len(expect.requests) + (1 if expect.then else 0) if isinstance(expect, Forward) else 1
        try:
            for _ in range(wanted):
                responses.append(c.read_response())
        except (ConnectionClosed, ConnectionResetError, socket.timeout) as e:
            responses.append(e)
        if isinstance(expect, Reject) or (isinstance(expect, Forward) and expect.then):
            closed = c.closed_by_peer(within=3)
            extra = c.buf
        else:
            extra, closed = read_quiet(c)
    seen, violations = rec.since(mark)
    # Invariants, whatever the row expects.
    test.assertEqual(violations, [], "the upstream received a message a strict parser rejects")
    test.assertLessEqual(len(seen), case.sent, "the upstream saw more requests than the client sent: %r" % seen)
    for r in seen:
        test.assertFalse(r.header_all("Content-Length") and r.header_all("Transfer-Encoding"), r)
        test.assertNotIn(r.target, case.hidden, "a request hidden in a body reached the upstream")

    statuses = [r.status if not isinstance(r, Exception) else repr(r) for r in responses]
    if isinstance(expect, Reject):
        test.assertEqual(statuses, [expect.status], "responses: %r" % responses)
        test.assertEqual(seen, [], "a rejected request reached the upstream")
        test.assertTrue(closed, "the connection stayed open after %d" % expect.status)
        test.assertEqual(extra, b"", "bytes after the error response")
        return "rejected %d" % expect.status
    want = [200] * len(expect.requests) + ([expect.then.status] if expect.then else [])
    test.assertEqual(statuses, want, "responses: %r" % responses)
    test.assertEqual([(r.method, r.target, r.body) for r in seen], expect.requests)
    for response, r in zip(responses, seen):
        test.assertEqual(response.body, b"recorded %d" % r.index, "responses out of order")
        lengths = r.header_all("Content-Length")
        if r.framing == "length":
            test.assertEqual(lengths, [str(len(r.body))])
        test.assertFalse(r.header_all("Transfer-Encoding") and r.framing != "chunked", r)
    if expect.then:
        test.assertTrue(closed, "the connection stayed open after %d" % expect.then.status)
    else:
        test.assertNotIn(b"HTTP/1.", extra, "an extra response: %r" % extra[:200])
    return "forwarded %d" % len(seen)


class SmugglingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rec = Recorder().start()
        cls.gw = Gateway(CONFIG % {"up": cls.rec.url}).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw, cls.rec)

    def test_every_payload_is_rejected_and_closed_or_forwarded_as_one_canonical_message(self):
        outcomes = {}
        for case in CASES:
            with self.subTest(case=case.name):
                outcome = check_case(self, self.gw, self.rec, case)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        self.assertTrue(self.gw.running(), self.gw.output())
        print("\n%d payloads: %s" % (len(CASES), ", ".join("%s: %d" % kv for kv in sorted(outcomes.items()))),
              file=sys.stderr)

    def test_the_table_covers_every_payload_class(self):
        # A guard against the table shrinking unnoticed: each class keeps its rows.
        names = " ".join(c.name for c in CASES)
        for word in ["cl then te", "content-length", "obs-fold", "bare lf", "before colon", "chunk size",
                     "chunk extension", "te chunked twice", "chunked then identity", "xchunked", "te upper case",
                     "vertical tab", "http/1.0", "pipelined", "nul", "over the limit"]:
            self.assertIn(word, names)
        self.assertGreaterEqual(len(CASES), 130)

    def test_the_gateway_still_serves_after_the_whole_table(self):
        for case in CASES:
            with self.gw.connect() as c:
                try:
                    c.send(case.data)
                except (BrokenPipeError, ConnectionResetError):
                    pass
        r = self.gw.request("POST", "/after", body=b"still here")
        self.assertEqual(r.status, 200)
        seen, violations = self.rec.since((0, 0))
        self.assertEqual(r.body, b"recorded %d" % next(s.index for s in seen if s.target == "/after"))
        self.assertEqual(next(s.body for s in seen if s.target == "/after"), b"still here")
        self.assertEqual(violations, [])


PASSIVE_CONFIG = entrypoint("passive") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: passive
spec:
  addr: "127.0.0.1:@PORT@"
  workers: 1
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%(up)s", enablePassive: true, healthCheckInterval: 60}]
"""


class BrokenBodyTest(unittest.TestCase):
    """A client whose body breaks on the way upstream is at fault, not the upstream."""

    @classmethod
    def setUpClass(cls):
        cls.rec = Recorder().start()
        cls.gw = Gateway(PASSIVE_CONFIG % {"up": cls.rec.url}).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw, cls.rec)

    def test_broken_chunked_bodies_get_400_and_never_eject_a_healthy_upstream(self):
        # Passive health ejects after 3 failures in a row: 5 broken uploads would do it if
        # they counted against the upstream.
        for body in [b"5\r\nhello\r\nzz\r\n", b"5\r\nhelloXX\r\n0\r\n\r\n", b"-1\r\n", b"5;\x00\r\nhello\r\n0\r\n\r\n",
                     b"0" * 20000 + b"5\r\nhello\r\n0\r\n\r\n"]:
            with self.subTest(body=body[:20]):
                with self.gw.connect() as c:
                    c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
                    r = c.read_response()
                    self.assertEqual(r.status, 400, r)
                    self.assertTrue(c.closed_by_peer(within=3))
        r = self.gw.request("GET", "/after")
        self.assertEqual((r.status, r.body), (200, b"recorded 1"))
        seen, violations = self.rec.since((0, 0))
        self.assertEqual([s.target for s in seen], ["/after"])
        self.assertEqual(violations, [])


if __name__ == "__main__":
    unittest.main()
