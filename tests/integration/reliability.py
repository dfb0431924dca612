"""Helpers for the reliability suites (slow clients, upstream faults, drain under load):
a background "normal client" that records every request it makes, /proc readings of a process
(RSS, open descriptors), and running the Debian load tools (slowhttptest, wrk) with bounded
durations. Standard library only; all traffic stays on 127.0.0.1.
"""

import csv
import http.client
import os
import shutil
import subprocess
import tempfile
import threading
import time


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def require_tool(name):
    path = shutil.which(name)
    if not path:
        raise AssertionError("%s is missing: install its Debian package (bash scripts/setup.sh)" % name)
    return path


class Sampler(threading.Thread):
    """Samples RSS (KiB) and open descriptors of `pid` every `interval` seconds until stopped."""

    def __init__(self, pid, interval=0.2):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples = []   # (seconds since start, rss KiB, fds)
        self._halt = threading.Event()
        self._t0 = time.monotonic()

    def run(self):
        while not self._halt.is_set():
            try:
                self.samples.append((time.monotonic() - self._t0, rss_kib(self.pid), fd_count(self.pid)))
            except (OSError, AssertionError):
                return
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(5)
        return self

    def max_rss(self):
        return max(s[1] for s in self.samples)

    def max_fds(self):
        return max(s[2] for s in self.samples)


class Prober(threading.Thread):
    """The normal client: one request on a fresh connection every `interval` seconds, each
    outcome recorded as (start offset, status or exception text, seconds taken)."""

    def __init__(self, port, path="/healthz", interval=0.1, timeout=5.0, method="GET", body=None):
        super().__init__(daemon=True)
        self.port, self.path, self.interval, self.timeout = port, path, interval, timeout
        self.method, self.body = method, body
        self.results = []
        self._halt = threading.Event()

    def run(self):
        t0 = time.monotonic()
        while not self._halt.is_set():
            start = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                conn.request(self.method, self.path, body=self.body)
                r = conn.getresponse()
                r.read()
                outcome = r.status
            except Exception as e:   # noqa: BLE001 - every failure is an outcome to report
                outcome = "%s: %s" % (type(e).__name__, e)
            finally:
                conn.close()
            self.results.append((start - t0, outcome, time.monotonic() - start))
            self._halt.wait(max(0.0, self.interval - (time.monotonic() - start)))

    def stop(self):
        self._halt.set()
        self.join(self.timeout + 5)
        return self

    def failures(self, ok=(200,)):
        return [r for r in self.results if r[1] not in ok]

    def slowest(self):
        return max(r[2] for r in self.results)

    def summary(self):
        times = sorted(r[2] for r in self.results)
        return "%d requests, %d failed, median %.0f ms, max %.0f ms" % (
            len(times), len(self.failures()), 1000 * times[len(times) // 2], 1000 * times[-1])


def slowhttptest(args, length):
    """Runs `slowhttptest <args> -l <length> -g -o <tmp>`; returns its CSV rows as dicts
    (Seconds, Closed, Pending, Connected, Service Available) and its stdout."""
    tool = require_tool("slowhttptest")
    tmp = tempfile.mkdtemp(prefix="aileron-slow-")
    try:
        prefix = os.path.join(tmp, "stats")
        done = subprocess.run([tool] + list(args) + ["-l", str(length), "-g", "-o", prefix], cwd=tmp,
                              capture_output=True, text=True, timeout=length + 60, stdin=subprocess.DEVNULL)
        path = prefix + ".csv"
        if not os.path.exists(path):
            raise AssertionError("slowhttptest wrote no statistics\n%s\n%s" % (done.stdout, done.stderr))
        with open(path, newline="") as f:
            rows = [{k.strip(): v.strip() for k, v in row.items() if k} for row in csv.DictReader(f)]
        return rows, done.stdout + done.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_SANITIZED = {}


def sanitized(binary_path):
    """Whether the aileron binary was built with AddressSanitizer (scripts/test-sanitized.sh):
    its memory and speed differ, so the suites widen their bounds by `slack()`."""
    if binary_path not in _SANITIZED:
        with open(binary_path, "rb") as f:
            _SANITIZED[binary_path] = b"AddressSanitizer" in f.read()
    return _SANITIZED[binary_path]


def slack(binary_path):
    """The factor by which memory and time bounds grow for a sanitized binary (1 otherwise)."""
    return 4 if sanitized(binary_path) else 1


# AddressSanitizer keeps freed memory in a quarantine (256 MiB by default) before reusing it, so a
# sanitized process's resident set grows by up to that much whatever the program frees.
ASAN_QUARANTINE_KIB = 256 * 1024


def rss_growth_bound(binary_path, kib):
    """How far (KiB) the resident set may grow where the plain binary is allowed `kib`: under a
    sanitizer, `kib` widened by `slack()` plus the quarantine; still finite, so a leak that grows
    with the load fails there too."""
    if not sanitized(binary_path):
        return kib
    return kib * slack(binary_path) + ASAN_QUARANTINE_KIB
