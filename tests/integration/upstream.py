"""A small HTTP/1.1 upstream for proxy tests, with faults on demand. Standard library only.

Run in-process: `Upstream(name).start()` serves on 127.0.0.1:<free port> in a thread.
Endpoints:
  /headers...          200 JSON {name, method, path, query, headers, body, peer} (any method, any path
                       under /headers), so tests see exactly what the proxy sent upstream
  /size/N              200 with N bytes (Content-Length), deterministic content
  /chunks?n=K&delay=S  200 text/event-stream, chunked, K events `data: i`, S seconds apart
  /status/N            status N, small body
  /close-mid-body      announces 1000 bytes, sends 10, closes
  /reset-mid-headers   sends half a status line and headers, then resets the connection (RST)
  /drip?n=N&delay=S    200 with N bytes (Content-Length), one byte every S seconds
  /garbage             a response that is not HTTP
  /ws                  with `Upgrade: websocket`: 101, then echoes raw bytes until the client closes
  /ws-wrong            101 to a protocol nobody asked for
  /flaky?id=X&fail=N   503 for the first N requests with id X, then 200 (body "ok after <i>")
  /drop?id=X&fail=N    closes the connection without answering the first N requests with id X, then 200
  /slow?delay=S        waits S seconds, then 200
  /count?id=X          200 with the number of /flaky, /drop and /slow requests seen with id X (as text)
Every handled request is recorded in `requests` (method, path, headers, body, peer port).
"""

import http.server
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse


def pattern_bytes(n):
    block = bytes(range(256))
    return (block * (n // 256 + 1))[:n]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Header and body go out in separate writes: with Nagle's algorithm the body waits for the
    # proxy's delayed ACK (40 ms a response), which caps a load test at 25 requests/s a connection.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body, ctype="application/octet-stream", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _any(self):
        up = self.server.upstream
        url = urllib.parse.urlsplit(self.path)
        body = self._body()
        record = {"name": up.name, "method": self.command, "path": url.path, "query": url.query,
                  "headers": [[k, v] for k, v in self.headers.items()], "body": body.decode("latin-1"),
                  "peer": self.client_address[1]}
        with up.lock:
            up.requests.append(record)
        if url.path.startswith("/headers"):
            self._send(200, json.dumps(record).encode(), "application/json",
                       extra=[("Connection", "X-Hop"), ("X-Hop", "secret"), ("Keep-Alive", "timeout=5")])
        elif url.path.startswith("/size/"):
            self._send(200, pattern_bytes(int(url.path.split("/")[2])))
        elif url.path == "/chunks":
            q = urllib.parse.parse_qs(url.query)
            n, delay = int(q.get("n", ["3"])[0]), float(q.get("delay", ["0"])[0])
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(n):
                data = ("data: %d\n\n" % i).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                time.sleep(delay)
            self.wfile.write(b"0\r\n\r\n")
        elif url.path.startswith("/status/"):
            self._send(int(url.path.split("/")[2]), b"status body", "text/plain")
        elif url.path == "/close-mid-body":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif url.path == "/reset-mid-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/pl")
            self.wfile.flush()
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()   # with linger 0: a reset, not a clean close
        elif url.path == "/drip":
            q = urllib.parse.parse_qs(url.query)
            n, delay = int(q.get("n", ["5"])[0]), float(q.get("delay", ["0.1"])[0])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            for _ in range(n):
                self.wfile.write(b"d")
                self.wfile.flush()
                time.sleep(delay)
        elif url.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            # Switches protocols, then echoes raw bytes back until the client closes.
            self.send_response(101)
            self.send_header("Connection", "Upgrade")
            self.send_header("Upgrade", "websocket")
            self.end_headers()
            self.wfile.flush()
            conn = self.connection
            conn.settimeout(30)
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
            self.close_connection = True
        elif url.path == "/ws-wrong":
            self.send_response(101)
            self.send_header("Connection", "Upgrade")
            self.send_header("Upgrade", "h2c")
            self.end_headers()
            self.close_connection = True
        elif url.path in ("/flaky", "/drop", "/slow", "/count"):
            self._counted(up, url)
        elif url.path == "/garbage":
            self.wfile.write(b"HELLO THERE\r\n\r\n")
            self.close_connection = True
        else:
            self._send(404, b"no such upstream path", "text/plain")

    def _counted(self, up, url):
        q = urllib.parse.parse_qs(url.query)
        key = q.get("id", [""])[0]
        if url.path == "/count":
            with up.lock:
                n = up.hits.get(key, 0)
            self._send(200, str(n).encode(), "text/plain")
            return
        with up.lock:
            up.hits[key] = up.hits.get(key, 0) + 1
            i = up.hits[key]
        fail = int(q.get("fail", ["0"])[0])
        if url.path == "/flaky" and i <= fail:
            self._send(503, b"try again", "text/plain")
        elif url.path == "/drop" and i <= fail:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            if url.path == "/slow":
                time.sleep(float(q.get("delay", ["1"])[0]))
            self._send(200, ("ok after %d" % i).encode(), "text/plain")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _any


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128   # the default 5 drops connections under load (tests with wrk)

    def handle_error(self, request, client_address):
        # A proxy that gave up (a timeout) closes first: not worth a traceback.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class Upstream:
    """`port` 0 picks a free one; a given port lets a test bring an upstream back where a
    gateway expects it (recovery after ejection)."""

    def __init__(self, name="up", port=0):
        self.name = name
        self.requests = []
        self.hits = {}   # id -> requests seen by /flaky, /drop, /slow
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", port), _Handler)
        self.server.daemon_threads = True
        self.server.upstream = self
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
