"""core/v1 StaticFileHandler through the real binary: a large file intact and resumable, validators,
and no way out of the root whatever the request target looks like."""

import hashlib
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from gateway import Gateway, entrypoint, request_bytes, stop_cleanly

SECRET = b"TOP SECRET - must never be served"

CONFIG = "---\n".join([
    entrypoint("static"),
    """\
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: static
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: StaticFileHandler, name: files}
        - handler: {apiVersion: core/v1, kind: StaticFileHandler, name: listing}
""",
    """\
apiVersion: core/v1
kind: StaticFileHandler
metadata:
  name: files
spec:
  patterns: ["/files/"]
  rootDir: "@ROOT@"
  stripPrefix: /files
  header:
    Cache-Control: no-cache
""",
    """\
apiVersion: core/v1
kind: StaticFileHandler
metadata:
  name: listing
spec:
  patterns: ["/list/"]
  rootDir: "@ROOT@"
  stripPrefix: /list
  enableListing: true
""",
])


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class StaticFileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="aileron-static-it-")
        root = os.path.join(cls.tmp, "root")
        os.makedirs(os.path.join(root, "sub"))
        os.makedirs(os.path.join(cls.tmp, "outside"))
        cls.big = os.urandom(5 << 20)
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(cls.big)
        with open(os.path.join(root, "hello.txt"), "wb") as f:
            f.write(b"hello world\n")
        with open(os.path.join(root, "sub", "index.html"), "wb") as f:
            f.write(b"<h1>sub</h1>\n")
        with open(os.path.join(cls.tmp, "outside", "secret.txt"), "wb") as f:
            f.write(SECRET)
        os.symlink("../outside/secret.txt", os.path.join(root, "escape"))
        cls.gw = Gateway(CONFIG.replace("@ROOT@", root)).start()

    @classmethod
    def tearDownClass(cls):
        try:
            stop_cleanly(cls.gw)
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def get(self, target, headers=(), method="GET"):
        return self.gw.exchange(request_bytes(method, target, list(headers)), head=method == "HEAD")

    def test_large_file_intact(self):
        r = self.get("/files/big.bin")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Length"), str(len(self.big)))
        self.assertEqual(r.header("Content-Type"), "application/octet-stream")
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        self.assertEqual(sha256(r.body), sha256(self.big))

    def test_files_at_the_size_where_sending_changes_arrive_whole_on_one_connection(self):
        # Up to 16 KiB a file goes out with its header in one write, past that with sendfile:
        # both ways, and ranges near the end, on one keep-alive connection.
        with self.gw.connect() as conn:
            def exchange(data):
                conn.send(data)
                return conn.read_response()
            for size in (0, 1, 16383, 16384, 16385, 70000):
                r = exchange(request_bytes("GET", "/files/big.bin", [("Range", "bytes=0-%d" % (size - 1))])
                             if size else request_bytes("GET", "/files/hello.txt"))
                want = self.big[:size] if size else b"hello world\n"
                self.assertIn(r.status, (200, 206), r)
                self.assertEqual(sha256(r.body), sha256(want), size)
                tail = exchange(request_bytes("GET", "/files/big.bin", [("Range", "bytes=-%d" % max(size, 1))]))
                self.assertEqual(tail.status, 206, tail)
                self.assertEqual(sha256(tail.body), sha256(self.big[-max(size, 1):]), size)

    def test_download_resumed_with_a_range(self):
        half = 2 * 1024 * 1024 + 17
        first = self.get("/files/big.bin", [("Range", "bytes=0-%d" % (half - 1))])
        self.assertEqual(first.status, 206)
        self.assertEqual(first.header("Content-Range"), "bytes 0-%d/%d" % (half - 1, len(self.big)))
        self.assertEqual(len(first.body), half)
        out = os.path.join(self.tmp, "download.bin")
        with open(out, "wb") as f:
            f.write(first.body)
        url = "http://127.0.0.1:%d/files/big.bin" % self.gw.port
        curl = shutil.which("curl")
        if curl:   # curl -C - asks for "Range: bytes=<size of out>-" and appends
            done = subprocess.run([curl, "-sS", "-f", "-C", "-", "-o", out, url], capture_output=True, timeout=30)
            self.assertEqual(done.returncode, 0, done.stderr)
        else:
            rest = self.get("/files/big.bin", [("Range", "bytes=%d-" % half)])
            self.assertEqual(rest.status, 206)
            with open(out, "ab") as f:
                f.write(rest.body)
        with open(out, "rb") as f:
            self.assertEqual(sha256(f.read()), sha256(self.big))

    def test_a_large_file_read_slowly_arrives_intact_and_the_connection_goes_on(self):
        # A small receive buffer and pauses: the server's socket fills up many times while it
        # sends the file (sendfile waits for room), and the next request on the connection is
        # answered after it.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", self.gw.port))
        try:
            sock.sendall(request_bytes("GET", "/files/big.bin") + request_bytes("GET", "/files/hello.txt"))
            data = b""
            reads = 0
            while b"hello world\n" not in data[-64:]:
                chunk = sock.recv(16384)
                self.assertTrue(chunk, "connection closed after %d bytes" % len(data))
                data += chunk
                reads += 1
                if reads % 16 == 0:
                    time.sleep(0.002)
        finally:
            sock.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: %d\r\n" % len(self.big), head + b"\r\n")
        self.assertEqual(sha256(rest[:len(self.big)]), sha256(self.big))
        self.assertTrue(rest[len(self.big):].startswith(b"HTTP/1.1 200 OK\r\n"), rest[len(self.big):][:100])

    def test_a_client_that_leaves_in_the_middle_of_a_file_does_not_stop_the_gateway(self):
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", self.gw.port), timeout=10)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))   # close: RST
            sock.sendall(request_bytes("GET", "/files/big.bin"))
            self.assertTrue(sock.recv(65536))
            sock.close()
        time.sleep(0.2)   # the gateway writes on into the reset connection meanwhile
        self.assertTrue(self.gw.running(), self.gw.output())
        r = self.get("/files/hello.txt")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"hello world\n")

    def test_multipart_ranges_framed_by_length(self):
        r = self.get("/files/hello.txt", [("Range", "bytes=0-1,6-7")])
        self.assertEqual(r.status, 206)
        self.assertTrue(r.header("Content-Type").startswith("multipart/byteranges; boundary="))
        self.assertEqual(int(r.header("Content-Length")), len(r.body))
        self.assertIn(b"Content-Range: bytes 6-7/12\r\n", r.body)
        bad = self.get("/files/hello.txt", [("Range", "bytes=50-")])
        self.assertEqual(bad.status, 416)
        self.assertEqual(bad.header("Content-Range"), "bytes */12")

    def test_head_has_the_length_and_no_body(self):
        with self.gw.connect() as c:
            c.send(request_bytes("HEAD", "/files/big.bin") + request_bytes("GET", "/files/hello.txt"))
            head = c.read_response(head=True)
            after = c.read_response()   # the connection stays usable: no body was sent
        self.assertEqual(head.status, 200)
        self.assertEqual(head.header("Content-Length"), str(len(self.big)))
        self.assertEqual(after.body, b"hello world\n")

    def test_if_none_match_gives_304(self):
        r = self.get("/files/hello.txt")
        etag = r.header("ETag")
        self.assertTrue(etag and etag.startswith('"'), r)
        again = self.get("/files/hello.txt", [("If-None-Match", etag)])
        self.assertEqual(again.status, 304)
        self.assertEqual(again.body, b"")
        self.assertEqual(again.header("ETag"), etag)
        since = self.get("/files/hello.txt", [("If-Modified-Since", r.header("Last-Modified"))])
        self.assertEqual(since.status, 304)

    def test_traversal_never_leaves_the_root(self):
        attempts = [
            "/files/../outside/secret.txt",
            "/files/%2e%2e/outside/secret.txt",
            "/files/%2E%2E%2Foutside%2Fsecret.txt",
            "/files/..%2f..%2foutside%2fsecret.txt",
            "/files/sub%2f..%2f..%2foutside/secret.txt",
            "/files/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/files/..%5c..%5coutside%5csecret.txt",
            "/files/escape",
            "/files/hello.txt%00.png",
            "/list/%2e%2e/",
            "/list/escape",
        ]
        for target in attempts:
            with self.subTest(target=target):
                r = self.get(target)
                self.assertIn(r.status, (301, 400, 404), r)
                self.assertNotIn(SECRET, r.body)
                self.assertNotIn(b"root:", r.body)
        self.assertEqual(self.get("/files/%2e%2e/outside/secret.txt").status, 400)
        self.assertEqual(self.get("/files/escape").status, 404)
        self.assertEqual(self.get("/files/escape").body, b'{"status":404,"statusText":"Not Found"}')

    def test_directories(self):
        self.assertEqual(self.get("/files/sub/").status, 404)       # no listing: a directory is not found
        r = self.get("/list/sub")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("Location"), "sub/")
        self.assertEqual(self.get("/list/sub/").body, b"<h1>sub</h1>\n")
        listing = self.get("/list/")
        self.assertEqual(listing.status, 200)
        self.assertIn(b'<a href="hello.txt">hello.txt</a>\n', listing.body)
        self.assertIn(b'<a href="sub/">sub/</a>\n', listing.body)
        self.assertNotIn(b"escape", listing.body)
        index = self.get("/list/sub/index.html")
        self.assertEqual(index.status, 301)
        self.assertEqual(index.header("Location"), "./")

    def test_only_get_and_head(self):
        r = self.get("/files/hello.txt", method="DELETE")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD")


if __name__ == "__main__":
    unittest.main()
