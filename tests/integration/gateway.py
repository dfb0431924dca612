"""Start the real `aileron` binary on loopback and talk to it.

Shared by every test module in tests/integration (Python 3 standard library only).

- `Gateway` writes a config to a temp dir, picks free loopback ports, starts
  `aileron -f <config>`, waits until it listens, and stops it with SIGTERM.
- `run_cli` runs the binary to completion (for `--check`, `-t`, usage errors).
- `RawConnection` sends raw bytes and reads complete HTTP/1.1 responses (Content-Length,
  chunked, or until close), so pipelining and protocol errors can be checked byte by byte.
- `http_request` is the http.client way, for ordinary requests.
- `GatewayTestCase` runs one gateway per test class and asserts it exits 0 on SIGTERM.

Configs carry placeholders `@PORT@`, `@PORT2@`, ... that are replaced by free ports. The binary
comes from the AILERON_BIN environment variable (CTest sets it).

Under a sanitizer build (scripts/test-sanitized.sh) the binary runs with ASAN_OPTIONS and
UBSAN_OPTIONS that stop it at the first report, and a report on its stderr fails the test,
whatever its exit code: see `sanitizer_report`.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

START_TIMEOUT = 10.0      # seconds until a started gateway must accept connections
STOP_TIMEOUT = 10.0       # seconds until a stopped gateway must have exited
IO_TIMEOUT = 5.0          # seconds for any single socket operation
READ_DEADLINE = 15.0      # seconds for reading one whole response (a trickling server fails)
CLI_TIMEOUT = 20.0        # seconds for a run-to-completion CLI call


# Options for a sanitizer build of the binary (ignored by a plain build): stop at the first report
# (UBSan too), and check for leaks at exit. Taken from the environment when already set there.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=1:detect_leaks=1",
    "UBSAN_OPTIONS": "halt_on_error=1:abort_on_error=1:print_stacktrace=1",
}
_SANITIZER_REPORT = re.compile(r"^==\d+==(ERROR|WARNING): \w*Sanitizer|^SUMMARY: \w*Sanitizer"
                               r"|^\S+:\d+:\d+: runtime error: ", re.MULTILINE)


def sanitizer_report(text):
    """The sanitizer report in a process's stderr (from its first line on), or None."""
    m = _SANITIZER_REPORT.search(text or "")
    if not m:
        return None
    start = text.rfind("\n", 0, m.start()) + 1
    return text[start:start + 8000]


def process_env(extra=None):
    """The environment for a child aileron: ours, the sanitizer defaults, then `extra`."""
    env = dict(os.environ)
    for k, v in SANITIZER_ENV.items():
        env.setdefault(k, v)
    env.update(extra or {})
    return env


def binary():
    """The aileron binary under test (AILERON_BIN); fails loudly when it is not set."""
    path = os.environ.get("AILERON_BIN", "")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set AILERON_BIN to the aileron binary (got %r)" % path)
    return path


def free_port():
    """A loopback TCP port that nothing listens on right now (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill_ports(text, ports):
    """Replaces @PORT@ with ports[0], @PORT2@ with ports[1], and so on."""
    for i, port in enumerate(ports):
        text = text.replace("@PORT@" if i == 0 else "@PORT%d@" % (i + 1), str(port))
    return text


def run_cli(args, files=None, env=None, cwd=None, timeout=CLI_TIMEOUT):
    """Runs `aileron *args` to completion in a temp dir holding `files` ({name: text}).

    Returns a CompletedProcess with text stdout and stderr. Relative names in args resolve
    against the temp dir, so messages name files as the test wrote them.
    """
    with tempfile.TemporaryDirectory(prefix="aileron-it-") as tmp:
        for name, text in (files or {}).items():
            path = os.path.join(tmp, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        done = subprocess.run([binary()] + list(args), cwd=cwd or tmp, env=process_env(env), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        report = sanitizer_report(done.stderr)
        if report:
            raise AssertionError("aileron %s: sanitizer report\n%s" % (" ".join(args), report))
        return done


class _Collector(threading.Thread):
    """Reads a pipe to the end in the background so the child never blocks on a full pipe."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self._pipe = pipe
        self._lock = threading.Lock()
        self._chunks = []

    def run(self):
        for line in iter(self._pipe.readline, b""):
            with self._lock:
                self._chunks.append(line)
        self._pipe.close()

    def text(self):
        with self._lock:
            return b"".join(self._chunks).decode("utf-8", "replace")


class Gateway:
    """One running `aileron` process.

    `config` is the text of one config file (YAML unless `file_name` ends in .toml) with
    @PORT@-style placeholders; `ports` is how many placeholders to fill. `extra_files` are
    written next to it ({name: text}, placeholders filled too); `args` are added after
    `-f <file>`; `config_arg` replaces the file given to -f (a folder, say).
    """

    def __init__(self, config, ports=1, file_name="config.yaml", extra_files=None, args=(), env=None,
                 config_arg=None, wait_for=None, binary_path=None):
        self.config_template = config
        self.binary_path = binary_path   # another binary than AILERON_BIN (an example's, say)
        self.port_count = ports
        self.file_name = file_name
        self.extra_files = extra_files or {}
        self.args = list(args)
        self.env = env or {}
        self.config_arg = config_arg   # what to give -f (default: the config file)
        self.wait_for = wait_for       # indices of the ports that must listen (default: all)
        self.ports = []
        self.proc = None
        self.dir = None
        self._out = self._err = None
        self._reported = False

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def port(self):
        return self.ports[0]

    def start(self, attempts=3):
        """Starts the binary and waits until every port accepts connections.

        A port picked free can be taken by someone else before the gateway binds it: then the
        start is retried with new ports (at most `attempts` times).
        """
        last = ""
        for _ in range(attempts):
            self.ports = [free_port() for _ in range(self.port_count)]
            self._spawn()
            outcome = self._wait_listening()
            if outcome == "ready":
                return self
            last = "stdout:\n%s\nstderr:\n%s" % (self.stdout, self.stderr)
            self.kill()
            if "in use" not in last:
                break
        raise AssertionError("aileron did not start listening on %s within %.0f s\n%s"
                             % (self.ports, START_TIMEOUT, last))

    def _spawn(self):
        self.dir = tempfile.mkdtemp(prefix="aileron-it-")
        files = dict(self.extra_files)
        files[self.file_name] = self.config_template
        for name, text in files.items():
            path = os.path.join(self.dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(fill_ports(text, self.ports))
        path = os.path.join(self.dir, self.file_name)
        env = process_env({k: fill_ports(v, self.ports) for k, v in self.env.items()})
        args = [fill_ports(a, self.ports) for a in self.args]
        target = os.path.join(self.dir, self.config_arg) if self.config_arg else path
        self.proc = subprocess.Popen([self.binary_path or binary(), "-f", target] + args, cwd=self.dir, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._out = _Collector(self.proc.stdout)
        self._err = _Collector(self.proc.stderr)
        self._out.start()
        self._err.start()

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        indices = range(len(self.ports)) if self.wait_for is None else self.wait_for
        pending = [self.ports[i] for i in indices]
        while pending and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._out.join(IO_TIMEOUT)
                self._err.join(IO_TIMEOUT)
                return "exited"
            port = pending[0]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    pass
                # Someone listens: make sure it is this process (its startup log names the port).
                if ("listening on 127.0.0.1:%d" % port) in self.stdout:
                    pending.pop(0)
                    continue
            except OSError:
                pass
            time.sleep(0.02)
        return "ready" if not pending else "timeout"

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit; returns its exit code (None if it did not exit)."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._out.join(IO_TIMEOUT)
        self._err.join(IO_TIMEOUT)
        self._check_sanitizer()
        return code

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends `sig` and returns the exit code (None if it did not exit within `timeout`)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        """Kills the process if it still runs and removes the temp dir (idempotent). Like `wait`,
        fails when the process wrote a sanitizer report."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
        if self._out is not None:
            self._out.join(IO_TIMEOUT)
            self._err.join(IO_TIMEOUT)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        self._check_sanitizer()

    def _check_sanitizer(self):
        """Fails (once) when the process wrote a sanitizer report to its stderr."""
        report = sanitizer_report(self.stderr)
        if report and not self._reported:
            self._reported = True
            raise AssertionError("aileron wrote a sanitizer report\n%s" % report)

    @property
    def stdout(self):
        return self._out.text() if self._out else ""

    @property
    def stderr(self):
        return self._err.text() if self._err else ""

    def output(self):
        return "--- stdout:\n%s--- stderr:\n%s" % (self.stdout, self.stderr)

    # -- clients -----------------------------------------------------------------------------

    def connect(self, port=None):
        return RawConnection(port or self.port)

    def request(self, method, path, headers=None, body=None, port=None):
        return http_request(port or self.port, method, path, headers, body)

    def exchange(self, data, port=None, head=False):
        """Sends raw bytes on a fresh connection and reads one response."""
        with self.connect(port) as c:
            c.send(data)
            return c.read_response(head=head)


# -- raw HTTP/1.1 over a socket ----------------------------------------------------------------

class Response:
    def __init__(self, version, status, reason, headers, body, raw):
        self.version = version        # "HTTP/1.1"
        self.status = status          # int
        self.reason = reason          # "OK"
        self.headers = headers        # [(name, value)] in wire order
        self.body = body              # bytes, de-chunked
        self.raw = raw                # bytes as received (head + body framing)

    def header(self, name, default=None):
        """The first value of a header (case-insensitive), or `default`."""
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<Response %s %d %r %r>" % (self.version, self.status, self.headers, self.body[:200])


class ConnectionClosed(Exception):
    pass


class RawConnection:
    """A loopback TCP connection with a read buffer, so pipelined responses parse one by one."""

    def __init__(self, port, timeout=IO_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        self._deadline = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def local_port(self):
        return self.sock.getsockname()[1]

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _fill(self):
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise AssertionError("reading a response took longer than %.0f s" % READ_DEADLINE)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionClosed("connection closed by the server")
        self.buf += chunk

    def _read_until(self, marker, limit=1 << 20):
        while marker not in self.buf:
            if len(self.buf) > limit:
                raise AssertionError("no %r within %d bytes" % (marker, limit))
            self._fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_to_close(self, limit=64 << 20):
        while len(self.buf) <= limit:
            try:
                self._fill()
            except (ConnectionClosed, ConnectionResetError):
                break
        out, self.buf = self.buf, b""
        return out

    def read_response(self, head=False):
        """Reads one complete response (a 1xx interim response counts as one)."""
        self._deadline = time.monotonic() + READ_DEADLINE
        try:
            return self._read_response(head)
        finally:
            self._deadline = None

    def _read_response(self, head):
        head_bytes = self._read_until(b"\r\n\r\n")
        lines = head_bytes[:-4].decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
        status = int(code)
        resp = Response(version, status, reason, headers, b"", head_bytes)
        if head or status < 200 or status in (204, 304):
            return resp
        te = (resp.header("Transfer-Encoding") or "").lower()
        cl = resp.header("Content-Length")
        raw = b""
        if "chunked" in te:
            body = b""
            for _ in range(1 << 20):
                size_line = self._read_until(b"\r\n")
                raw += size_line
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    trailer = self._read_until(b"\r\n\r\n") if not self.buf.startswith(b"\r\n") \
                        else self._read_exactly(2)
                    raw += trailer
                    break
                data = self._read_exactly(size + 2)
                raw += data
                body += data[:-2]
            resp.body = body
        elif cl is not None:
            resp.body = raw = self._read_exactly(int(cl))
        else:
            resp.body = raw = self._read_to_close()
        resp.raw += raw
        return resp

    def read_all_until_close(self):
        """Everything the server still sends until it closes (fails on a timeout)."""
        self._deadline = time.monotonic() + READ_DEADLINE
        try:
            return self._read_to_close()
        finally:
            self._deadline = None

    def closed_by_peer(self, within):
        """Whether the server closes the connection within `within` seconds (without sending)."""
        deadline = time.monotonic() + within
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    return False
                if not chunk:
                    return True
                self.buf += chunk
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        finally:
            self.sock.settimeout(IO_TIMEOUT)


def request_bytes(method, target, headers=(), body=b"", version="HTTP/1.1", host="127.0.0.1"):
    """A request as bytes. `headers` is a list of (name, value); Host is added first unless
    `host` is None, and Content-Length when there is a body and no Transfer-Encoding."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None:
        lines.append("Host: %s" % host)
    names = {k.lower() for k, _ in headers}
    lines += ["%s: %s" % (k, v) for k, v in headers]
    if body and "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(*pieces):
    """A chunked body from the given pieces, with the last-chunk and an empty trailer."""
    out = b""
    for p in pieces:
        if isinstance(p, str):
            p = p.encode("utf-8")
        out += b"%x\r\n" % len(p) + p + b"\r\n"
    return out + b"0\r\n\r\n"


# -- http.client ------------------------------------------------------------------------------

class ClientResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers   # http.client.HTTPMessage (case-insensitive get)
        self.body = body

    def text(self):
        return self.body.decode("utf-8", "replace")


def http_request(port, method, path, headers=None, body=None, timeout=IO_TIMEOUT):
    """One request with http.client on a fresh connection; returns a ClientResponse."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return ClientResponse(r.status, r.reason, r.headers, r.read())
    finally:
        conn.close()


# -- test case base ---------------------------------------------------------------------------

class GatewayTestCase(unittest.TestCase):
    """Runs one gateway (CONFIG, PORTS) for every test of the class; stops it with SIGTERM at
    the end and asserts it exits 0."""

    CONFIG = None
    PORTS = 1
    FILE_NAME = "config.yaml"

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(cls.CONFIG, ports=cls.PORTS, file_name=cls.FILE_NAME).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw)


def stop_cleanly(gw, *others):
    """Stops `gw` with SIGTERM and fails unless it exits 0; stops `others` (upstreams) anyway."""
    try:
        code = gw.stop()
        if code != 0:
            raise AssertionError("aileron exited with %r on SIGTERM, want 0\n%s" % (code, gw.output()))
    finally:
        gw.kill()
        for other in others:
            other.stop()


def entrypoint(*servers):
    """An Entrypoint document whose runners are the named HTTPServers."""
    runners = "".join("    - apiVersion: core/v1\n      kind: HTTPServer\n      name: %s\n" % s for s in servers)
    return "apiVersion: core/v1\nkind: Entrypoint\nspec:\n  runners:\n" + runners if servers else \
        "apiVersion: core/v1\nkind: Entrypoint\nspec:\n  runners: []\n"
