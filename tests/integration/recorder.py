"""A raw HTTP/1.1 origin that records every request exactly as it arrived. Standard library only.

Used by the smuggling and framing suites: it sits behind the gateway (or behind nginx or HAProxy
behind the gateway) and parses what reaches it with a deliberately *strict* parser, so that
anything a lenient proxy lets through shows up as a `violation` instead of being quietly
understood. Each valid request gets `200` with body `recorded <n>` (n counts from 1 over the
recorder's life), and the connection is kept open unless the request said `Connection: close`.
Anything invalid is recorded as a violation, answered `400`, and the connection closed.

Strict means RFC 9112 without its tolerances: CRLF line ends only, no obs-fold, no whitespace
before a colon, field values without CR, LF or NUL, a token method, `HTTP/1.x` version, at most
one Content-Length (digits only), Transfer-Encoding only as exactly `chunked`, never both,
chunk sizes in hex digits only.
"""

import re
import socket
import threading

TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
REQUEST_LINE = re.compile(rb"^(" + TOKEN + rb") ([\x21-\x7e]+) HTTP/1\.([01])$")
FIELD_LINE = re.compile(rb"^(" + TOKEN + rb"):[ \t]*([\x21-\x7e\x80-\xff]([\x20-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?)?[ \t]*$")
CHUNK_SIZE = re.compile(rb"^([0-9A-Fa-f]{1,16})(;[ \t]*" + TOKEN + rb"(=(" + TOKEN + rb"|\"[^\"\r\n]*\"))?)*$")
MAX_HEAD = 64 * 1024
IO_TIMEOUT = 10.0


class Violation(Exception):
    pass


class Recorded:
    """One request as the recorder parsed it."""

    def __init__(self, index, conn, method, target, version, headers, body, framing, raw):
        self.index = index        # 1, 2, ... over the recorder's life
        self.conn = conn          # which upstream connection it came on (1, 2, ...)
        self.method = method      # str
        self.target = target      # str
        self.version = version    # "HTTP/1.1"
        self.headers = headers    # [(name, value)] as received, str (latin-1)
        self.body = body          # bytes, de-chunked
        self.framing = framing    # "none", "length" or "chunked"
        self.raw = raw            # bytes of the whole message as received

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<Recorded #%d %s %s %s %r body=%r>" % (self.index, self.method, self.target, self.framing,
                                                     self.headers, self.body[:80])


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def until(self, marker, limit):
        while marker not in self.buf:
            if len(self.buf) > limit:
                raise Violation("no %r within %d bytes" % (marker, limit))
            self.fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def _parse_one(reader):
    """Reads one request; returns (method, target, version, headers, body, framing, raw, close)."""
    head = reader.until(b"\r\n\r\n", MAX_HEAD)
    lines = head[:-4].split(b"\r\n")
    for line in lines:
        if b"\n" in line or b"\r" in line:
            raise Violation("bare CR or LF in the header section: %r" % line[:80])
        if b"\x00" in line:
            raise Violation("NUL in the header section: %r" % line[:80])
    m = REQUEST_LINE.match(lines[0])
    if not m:
        raise Violation("bad request line %r" % lines[0][:120])
    method, target, minor = m.group(1).decode(), m.group(2).decode("latin-1"), m.group(3)
    headers = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):
            raise Violation("obs-fold line %r" % line[:80])
        f = FIELD_LINE.match(line)
        if not f:
            raise Violation("bad field line %r" % line[:120])
        headers.append((f.group(1).decode("latin-1"), (f.group(2) or b"").decode("latin-1")))
    lower = [(k.lower(), v) for k, v in headers]
    cls = [v for k, v in lower if k == "content-length"]
    tes = [v for k, v in lower if k == "transfer-encoding"]
    hosts = [v for k, v in lower if k == "host"]
    if minor == b"1" and len(hosts) != 1:
        raise Violation("%d Host fields" % len(hosts))
    if cls and tes:
        raise Violation("both Content-Length and Transfer-Encoding")
    if len(cls) > 1:
        raise Violation("%d Content-Length fields" % len(cls))
    if len(tes) > 1:
        raise Violation("%d Transfer-Encoding fields" % len(tes))
    raw = head
    if tes:
        if tes[0].lower() != "chunked":
            raise Violation("Transfer-Encoding %r" % tes[0])
        if minor == b"0":
            raise Violation("Transfer-Encoding in HTTP/1.0")
        body = b""
        while True:
            line = reader.until(b"\r\n", 1024)
            raw += line
            cm = CHUNK_SIZE.match(line[:-2])
            if not cm or b"\n" in line[:-2]:
                raise Violation("bad chunk size line %r" % line[:80])
            size = int(cm.group(1), 16)
            if size == 0:
                break
            data = reader.exactly(size + 2)
            raw += data
            if data[-2:] != b"\r\n":
                raise Violation("chunk data not followed by CRLF")
            body += data[:-2]
        while True:   # trailer section
            line = reader.until(b"\r\n", MAX_HEAD)
            raw += line
            if line == b"\r\n":
                break
            if not FIELD_LINE.match(line[:-2]):
                raise Violation("bad trailer line %r" % line[:80])
        framing = "chunked"
    elif cls:
        if not re.fullmatch(rb"[0-9]{1,18}", cls[0].encode("latin-1")):
            raise Violation("Content-Length %r" % cls[0])
        body = reader.exactly(int(cls[0]))
        raw += body
        framing = "length"
    else:
        body, framing = b"", "none"
    conn_tokens = {t.strip().lower() for k, v in lower if k == "connection" for t in v.split(",")}
    close = "close" in conn_tokens or (minor == b"0" and "keep-alive" not in conn_tokens)
    return method, target, "HTTP/1." + minor.decode(), headers, body, framing, raw, close


class Recorder:
    """Serves on 127.0.0.1:<free port> in background threads until `stop()`."""

    def __init__(self, name="recorder"):
        self.name = name
        self.requests = []      # Recorded, in arrival order
        self.violations = []    # str, in arrival order
        self.connections = 0
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._stopping = False
        self._open = set()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            conns = list(self._open)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(IO_TIMEOUT)

    # -- what tests read ----------------------------------------------------------------------

    def mark(self):
        """A position to compare against later (requests, violations)."""
        with self.lock:
            return len(self.requests), len(self.violations)

    def since(self, mark):
        with self.lock:
            return self.requests[mark[0]:], self.violations[mark[1]:]

    # -- serving ------------------------------------------------------------------------------

    def _accept_loop(self):
        while not self._stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                number = self.connections
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn, number):
        conn.settimeout(IO_TIMEOUT)
        reader = _Reader(conn)
        try:
            while True:
                if not reader.buf:
                    try:
                        reader.fill()
                    except (EOFError, OSError):
                        return
                try:
                    method, target, version, headers, body, framing, raw, close = _parse_one(reader)
                except Violation as v:
                    with self.lock:
                        self.violations.append("%s (connection %d)" % (v, number))
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
                                 b"violation")
                    return
                with self.lock:
                    index = len(self.requests) + 1
                    self.requests.append(Recorded(index, number, method, target, version, headers, body,
                                                  framing, raw))
                payload = b"recorded %d" % index
                out = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % len(payload)
                out += b"Connection: close\r\n\r\n" if close else b"\r\n"
                if method != "HEAD":
                    out += payload
                conn.sendall(out)
                if close:
                    return
        except (EOFError, OSError):
            return
        finally:
            with self.lock:
                self._open.discard(conn)
            try:
                conn.close()
            except OSError:
                pass
