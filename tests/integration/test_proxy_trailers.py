"""Trailers through the proxy (RFC 9110 §6.5, RFC 9112 §7.1.2): trailer fields of a chunked body
pass both ways, the `Trailer` announcement goes along, and fields a trailer must not carry
(framing, routing, authentication...) are dropped. Uses a raw upstream of its own that reads and
writes trailers byte for byte."""

import socket
import threading
import unittest

from gateway import Gateway, RawConnection, entrypoint, stop_cleanly


class TrailerUpstream:
    """Reads one request per connection (Content-Length or chunked, trailers kept), records it,
    and answers with a chunked body followed by trailers."""

    RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                b"Trailer: X-Checksum\r\n\r\n"
                b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: sha-abc\r\nHost: evil\r\n"
                b"Set-Cookie: a=b\r\n\r\n")

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.requests = []   # (head fields {lower name: value}, body bytes, trailers {lower name: value})
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    @staticmethod
    def fields(lines):
        out = {}
        for line in lines:
            name, _, value = line.partition(b":")
            out[name.decode().strip().lower()] = value.decode().strip()
        return out

    def handle(self, conn):
        with conn:
            f = conn.makefile("rb")
            if not f.readline():
                return
            head = []
            while True:
                line = f.readline().rstrip(b"\r\n")
                if not line:
                    break
                head.append(line)
            headers = self.fields(head)
            body, trailers = b"", {}
            if headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    line = f.readline()
                    if not line:
                        return   # the sender gave up mid-body: nothing to record
                    size = int(line.split(b";")[0], 16)
                    if size == 0:
                        break
                    body += f.read(size)
                    f.readline()
                lines = []
                while True:
                    line = f.readline().rstrip(b"\r\n")
                    if not line:
                        break
                    lines.append(line)
                trailers = self.fields(lines)
            else:
                body = f.read(int(headers.get("content-length", "0")))
            self.requests.append((headers, body, trailers))
            conn.sendall(self.RESPONSE)

    def stop(self):
        self.stopping = True
        self.sock.close()


CONFIG = entrypoint("gw") + """\
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
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%s"}]
"""


def read_chunked(conn):
    """The chunked body and the trailer fields of the response on `conn` (a RawConnection whose
    head has been read)."""
    body = b""
    while True:
        line = conn._read_until(b"\r\n")
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            break
        body += conn._read_exactly(size)
        conn._read_exactly(2)
    trailers = {}
    while True:
        line = conn._read_until(b"\r\n").rstrip(b"\r\n")
        if not line:
            return body, trailers
        name, _, value = line.partition(b":")
        trailers[name.decode().strip().lower()] = value.decode().strip()


class ProxyTrailersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = TrailerUpstream()
        cls.gw = Gateway(CONFIG % cls.up.url)
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw, cls.up)

    def test_request_trailers_reach_the_upstream_without_forbidden_fields(self):
        with RawConnection(self.gw.port) as c:
            c.send(b"POST /upload HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nTrailer: X-Req-Sum\r\n\r\n"
                   b"4\r\nabcd\r\n3\r\nefg\r\n0\r\nX-Req-Sum: 7\r\nHost: evil\r\nAuthorization: x\r\n\r\n")
            res = c.read_response(head=True)
            self.assertEqual(res.status, 200)
            read_chunked(c)
        headers, body, trailers = self.up.requests[-1]
        self.assertEqual(body, b"abcdefg")
        self.assertEqual(headers.get("trailer"), "X-Req-Sum")
        self.assertEqual(trailers, {"x-req-sum": "7"})

    def test_a_content_length_in_request_trailers_is_a_broken_message(self):
        # Beast, like strict parsers, refuses framing in a trailer: the client gets 400 and the
        # upstream never sees a complete request.
        before = len(self.up.requests)
        with RawConnection(self.gw.port) as c:
            c.send(b"POST /upload HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"4\r\nabcd\r\n0\r\nContent-Length: 40\r\n\r\n")
            res = c.read_response()
        self.assertEqual(res.status, 400)
        self.assertEqual(len(self.up.requests), before)

    def test_response_trailers_reach_a_chunked_client_after_the_body(self):
        with RawConnection(self.gw.port) as c:
            c.send(b"GET /download HTTP/1.1\r\nHost: gw\r\nTE: trailers\r\n\r\n")
            res = c.read_response(head=True)
            self.assertEqual(res.status, 200)
            self.assertEqual(res.header("Transfer-Encoding"), "chunked")
            self.assertEqual(res.header("Trailer"), "X-Checksum")
            body, trailers = read_chunked(c)
        self.assertEqual(body, b"hello world")
        self.assertEqual(trailers, {"x-checksum": "sha-abc"})   # Host and Set-Cookie dropped

    def test_an_http_1_0_client_gets_the_whole_body_without_trailers(self):
        with RawConnection(self.gw.port) as c:
            c.send(b"GET /download HTTP/1.0\r\nHost: gw\r\n\r\n")
            raw = c.read_all_until_close()
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200"), head)
        self.assertNotIn(b"chunked", head.lower())
        self.assertEqual(body, b"hello world")


if __name__ == "__main__":
    unittest.main()
