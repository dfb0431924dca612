"""The smuggling table (smuggling_cases.CASES) through two-proxy chains: the gateway behind nginx
and HAProxy, and in front of them, always ending at the strict recording upstream.

Two proxies in a row are where desync attacks live: the front one frames a message one way, the
back one another, and a request hidden in a body comes out as a request of its own. The peers
answer some rows differently from the gateway (their own status, or forwarding what they
repair), so per row this suite checks what must hold whoever answers:

- the recorder never sees more requests than the client sent, nor any message its strict parser
  rejects (never Content-Length with Transfer-Encoding, no obs-fold, CRLF only);
- no request hidden in a body (the rows' `hidden` targets) ever reaches it;
- every request it sees is one the client sent as a request of its own: one the gateway alone
  forwards, or what a lenient peer could read as a request line (nginx and HAProxy accept bare
  LF, HTTP/0.9 and extra spaces, and repair some rows the gateway rejects);
- every 2xx the client gets answers one of those recorded requests, in order;
- both proxies are still running after the table.
"""

import re
import socket
import time
import unittest

from gateway import Gateway, entrypoint, stop_cleanly
from peers import HAProxy, Nginx
from recorder import Recorder
from smuggling_cases import CASES, Forward, request_line_targets

QUIET = 0.25   # a response stream is complete when nothing more came for this long

CONFIG = entrypoint("grid") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: grid
spec:
  addr: "127.0.0.1:@PORT@"
  workers: 1
  httpConfig:
    readTimeout: 3
    readHeaderTimeout: 3
    idleTimeout: 3
    maxHeaderBytes: 4096
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "http://127.0.0.1:%d"}]
"""

def allowed_targets(case):
    """What the recorder may see for `case`: what the gateway alone forwards, and whatever a
    lenient reader could take for a request line (a peer may accept bare LF or repair a request
    the gateway rejects), minus the targets hidden in a body."""
    forwarded = {t for _, t, _ in case.expect.requests} if isinstance(case.expect, Forward) else set()
    return forwarded | (request_line_targets(case.data) - case.hidden)


def exchange(port, data):
    """Sends `data` on a fresh connection to `port`; returns every byte that came back until the
    peer closed or went quiet."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + 10
        s.settimeout(QUIET)
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
    return out


STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")
RECORDED = re.compile(rb"recorded (\d+)")


def check_row(test, entry_port, rec, case):
    mark = rec.mark()
    raw = exchange(entry_port, case.data)   # quiet for QUIET: nothing is still on its way
    seen, violations = rec.since(mark)
    test.assertEqual(violations, [], "the recorder received a message its strict parser rejects")
    test.assertLessEqual(len(seen), case.sent, "more requests upstream than the client sent: %r" % seen)
    allowed = allowed_targets(case)
    for r in seen:
        test.assertNotIn(r.target, case.hidden, "a request hidden in a body reached the upstream: %r" % r)
        test.assertIn(r.target, allowed, "a request the client never sent on its own reached the upstream: %r" % r)
        test.assertFalse(r.header_all("Content-Length") and r.header_all("Transfer-Encoding"), r)
    statuses = [int(s) for s in STATUS_LINE.findall(raw)]
    answered = [int(n) for n in RECORDED.findall(raw)]
    test.assertLessEqual(sum(1 for s in statuses if 200 <= s < 300), case.sent, raw[:300])
    test.assertEqual(answered, [r.index for r in seen][:len(answered)],
                     "responses that do not match the recorded requests in order: %r" % raw[:300])
    return statuses


class _Grid:
    """One chain per class: FRONT -> BACK -> recorder, where one of them is the gateway."""

    PEER = None
    GATEWAY_IN_FRONT = False

    @classmethod
    def setUpClass(cls):
        cls.rec = Recorder().start()
        cls.gw = cls.peer = None
        try:
            if cls.GATEWAY_IN_FRONT:
                cls.peer = cls.PEER(cls.rec.port).start()
                cls.gw = Gateway(CONFIG % cls.peer.port).start()
                cls.entry = cls.gw.port
            else:
                cls.gw = Gateway(CONFIG % cls.rec.port).start()
                cls.peer = cls.PEER(cls.gw.port).start()
                cls.entry = cls.peer.port
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.gw is not None:
                stop_cleanly(cls.gw)
        finally:
            if cls.peer is not None:
                cls.peer.stop()
            cls.rec.stop()

    def test_no_payload_desyncs_the_chain(self):
        outcomes = {}
        for case in CASES:
            with self.subTest(case=case.name):
                statuses = check_row(self, self.entry, self.rec, case)
                key = "/".join(map(str, statuses)) or "closed"
                outcomes[key] = outcomes.get(key, 0) + 1
        self.assertTrue(self.peer.running(), self.peer.output())
        self.assertTrue(self.gw.running(), self.gw.output())
        print("\n%s: %d payloads, answers %s" % (type(self).__name__, len(CASES), sorted(outcomes.items())))

    def test_the_chain_still_serves_after_the_table(self):
        mark = self.rec.mark()
        raw = exchange(self.entry, b"POST /after HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        seen, violations = self.rec.since(mark)
        self.assertEqual([(r.target, r.body) for r in seen], [("/after", b"hello")], raw)
        self.assertIn(b"recorded %d" % seen[0].index, raw)
        self.assertEqual(violations, [])


class GatewayBehindNginxTest(_Grid, unittest.TestCase):
    PEER = Nginx


class GatewayInFrontOfNginxTest(_Grid, unittest.TestCase):
    PEER = Nginx
    GATEWAY_IN_FRONT = True


class GatewayBehindHAProxyTest(_Grid, unittest.TestCase):
    PEER = HAProxy


class GatewayInFrontOfHAProxyTest(_Grid, unittest.TestCase):
    PEER = HAProxy
    GATEWAY_IN_FRONT = True


if __name__ == "__main__":
    unittest.main()
