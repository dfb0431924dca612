"""A 1 GiB upload and a 1 GiB download through the proxy with bounded memory: bodies stream with
backpressure, so the gateway's resident set grows by a few MiB at most while each GiB passes, and
every byte arrives (checked by CRC-32 on the far side). The upstream runs in a process of its own
so that it and the client do not share one Python interpreter."""

import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import zlib

from gateway import Gateway, entrypoint, free_port, stop_cleanly

# Under the sanitizer pass (scripts/test-sanitized.sh exports ASAN_OPTIONS) the resident set is
# ASan's shadow memory and quarantine, not ours: the bytes are still checked, on 256 MiB, and the
# memory bound is left to the plain pass.
SANITIZED = "ASAN_OPTIONS" in os.environ
GIB = (256 << 20) if SANITIZED else (1 << 30)
BLOCK = bytes(range(256)) * 4096   # 1 MiB

# GET /big/N: N bytes of BLOCK repeated (Content-Length). POST /sink: reads the body
# (Content-Length) and answers its length and CRC-32.
UPSTREAM = r"""
import socket, sys, threading, zlib
BLOCK = bytes(range(256)) * 4096
def handle(c):
    f = c.makefile("rb")
    while True:
        line = f.readline()
        if not line:
            return
        method, target, _ = line.split(b" ", 2)
        length = 0
        while True:
            h = f.readline()
            if h in (b"\r\n", b""):
                break
            if h.lower().startswith(b"content-length:"):
                length = int(h.split(b":")[1])
        if target.startswith(b"/big/"):
            n = int(target.split(b"/")[2])
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % n)
            while n:
                k = min(n, len(BLOCK))
                c.sendall(BLOCK[:k])
                n -= k
        else:
            crc, left = 0, length
            while left:
                data = f.read(min(left, 1 << 20))
                if not data:
                    return
                crc = zlib.crc32(data, crc)
                left -= len(data)
            body = b"%d %d" % (length, crc)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
"""

CONFIG = entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  httpConfig: {readTimeout: 30, writeTimeout: 30}
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


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


class RssWatch:
    """Samples a process's resident set every 20 ms while a transfer runs; `peak` in KiB."""

    def __init__(self, pid):
        self.pid, self.peak, self.done = pid, rss_kib(pid), False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.done:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done = True
        self.thread.join()


def read_head(sock):
    head = b""
    while b"\r\n\r\n" not in head:
        data = sock.recv(4096)
        if not data:
            raise AssertionError("connection closed before the response head: %r" % head)
        head += data
    head, _, rest = head.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


class LargeBodiesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        port = free_port()
        cls.up = subprocess.Popen([sys.executable, "-c", UPSTREAM, str(port)], stdout=subprocess.PIPE)
        assert cls.up.stdout.readline().strip() == b"ready"
        cls.gw = Gateway(CONFIG % port)
        cls.gw.start()
        # Warm up: the first requests allocate the worker's buffers and pools once.
        for _ in range(3):
            cls.download(cls, 4 << 20)
            cls.upload(cls, 4 << 20)

    @classmethod
    def tearDownClass(cls):
        try:
            stop_cleanly(cls.gw)
        finally:
            cls.up.kill()
            cls.up.wait()

    def download(self, n):
        """GETs n bytes through the gateway; returns (length, CRC-32) of what arrived."""
        with socket.create_connection(("127.0.0.1", self.gw.port), timeout=60) as s:
            s.sendall(b"GET /big/%d HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n" % n)
            head, rest = read_head(s)
            assert head.startswith("HTTP/1.1 200"), head
            assert "Content-Length: %d" % n in head, head
            got, crc = len(rest), zlib.crc32(rest)
            buf = bytearray(1 << 20)
            while True:
                k = s.recv_into(buf)
                if not k:
                    break
                crc = zlib.crc32(memoryview(buf)[:k], crc)
                got += k
            return got, crc

    def upload(self, n):
        """POSTs n bytes through the gateway; returns what the upstream counted: (length, CRC-32)."""
        with socket.create_connection(("127.0.0.1", self.gw.port), timeout=60) as s:
            s.sendall(b"POST /sink HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % n)
            left = n
            while left:
                k = min(left, len(BLOCK))
                s.sendall(BLOCK[:k] if k < len(BLOCK) else BLOCK)
                left -= k
            head, rest = read_head(s)
            assert head.startswith("HTTP/1.1 200"), head
            while True:
                data = s.recv(4096)
                if not data:
                    break
                rest += data
            length, crc = rest.split()
            return int(length), int(crc)

    @staticmethod
    def expected_crc(n):
        crc = 0
        for _ in range(n // len(BLOCK)):
            crc = zlib.crc32(BLOCK, crc)
        return zlib.crc32(BLOCK[:n % len(BLOCK)], crc)

    def assert_bounded(self, watch, before):
        if SANITIZED:
            return
        growth_mib = (watch.peak - before) / 1024
        sys.stderr.write("[gateway RSS %.1f MiB before, +%.1f MiB at peak] " % (before / 1024, growth_mib))
        self.assertLess(growth_mib, 8, "RSS grew by %.1f MiB while 1 GiB passed" % growth_mib)

    def test_a_1_gib_download_streams_through_with_bounded_memory(self):
        before = rss_kib(self.gw.proc.pid)
        with RssWatch(self.gw.proc.pid) as watch:
            got, crc = self.download(GIB)
        self.assertEqual(got, GIB)
        self.assertEqual(crc, self.expected_crc(GIB))
        self.assert_bounded(watch, before)

    def test_a_1_gib_upload_streams_through_with_bounded_memory(self):
        before = rss_kib(self.gw.proc.pid)
        with RssWatch(self.gw.proc.pid) as watch:
            length, crc = self.upload(GIB)
        self.assertEqual(length, GIB)
        self.assertEqual(crc, self.expected_crc(GIB))
        self.assert_bounded(watch, before)


if __name__ == "__main__":
    unittest.main()
