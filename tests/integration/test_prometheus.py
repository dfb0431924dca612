"""app/v1 PrometheusMeter through the real binary (spec PrometheusMeter): the metrics handler on
its patterns, the server middleware counting and timing requests with AILERON's labels, the
client tripperware on a proxy's HTTPClient, and promtool accepting what is served.
"""

import re
import shutil
import subprocess
import unittest

from gateway import Gateway, entrypoint, free_port, request_bytes, run_cli, stop_cleanly
from upstream import Upstream

CONFIG = entrypoint("metered") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: metered
spec:
  addr: "127.0.0.1:@PORT@"
  workers: 2
  middleware:
    - {apiVersion: app/v1, kind: PrometheusMeter}
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: PrometheusMeter}
        - handler: {apiVersion: app/v1, kind: PrometheusMeter, name: narrow}
        - handler: {apiVersion: app/v1, kind: EchoHandler}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: up}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: dead}
---
apiVersion: app/v1
kind: PrometheusMeter
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata:
  name: up
spec:
  patterns: ["/up/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/up"}
      upstreams: [{url: "%(up)s"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata:
  name: dead
spec:
  patterns: ["/dead/"]
  tripperwares:
    - {apiVersion: app/v1, kind: PrometheusMeter}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/dead"}
      upstreams: [{url: "http://127.0.0.1:%(dead)d"}]
---
apiVersion: core/v1
kind: HTTPClient
spec:
  tripperwares:
    - {apiVersion: app/v1, kind: PrometheusMeter}
---
apiVersion: app/v1
kind: PrometheusMeter
metadata:
  name: narrow
spec:
  patterns: ["/stats"]
  methods: [GET]
---
apiVersion: app/v1
kind: EchoHandler
spec:
  patterns: ["/echo/"]
"""

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def parse_exposition(text):
    """{(name, ((label, value), ...) sorted): float} of every sample; HELP and TYPE per family."""
    samples, types, helps = {}, {}, {}
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("# TYPE "):
            name, kind = line[7:].split(" ", 1)
            types[name] = kind
            continue
        if line.startswith("# HELP "):
            name, help_text = line[7:].split(" ", 1)
            helps[name] = help_text
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        labels = []
        rest = m.group(2) or ""
        while rest:
            lm = _LABEL.match(rest)
            if not lm:
                raise AssertionError("bad labels in %r" % line)
            value = re.sub(r'\\(.)', lambda e: {"n": "\n"}.get(e.group(1), e.group(1)), lm.group(2))
            labels.append((lm.group(1), value))
            rest = rest[lm.end():]
        key = (m.group(1), tuple(sorted(labels)))
        if key in samples:
            raise AssertionError("duplicate series %r" % (key,))
        samples[key] = float(m.group(3))
    return samples, types, helps


def series(name, **labels):
    return (name, tuple(sorted(labels.items())))


def promtool_check(text):
    """Runs `promtool check metrics` on `text`; fails the test when promtool is missing."""
    promtool = shutil.which("promtool")
    if not promtool:
        raise AssertionError("promtool is not installed: run scripts/setup.sh (Debian package prometheus)")
    return subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)


class PrometheusMeterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream("up").start()
        cls.gw = Gateway(CONFIG % {"up": cls.up.url, "dead": free_port()}).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw, cls.up)

    def scrape(self, path="/metrics"):
        r = self.gw.request("GET", path)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        return r.text()

    def host(self):
        return "127.0.0.1:%d" % self.gw.port

    def test_requests_are_counted_by_host_path_code_and_method(self):
        before, _, _ = parse_exposition(self.scrape())
        for _ in range(3):
            self.assertEqual(self.gw.request("GET", "/echo/count?x=1").status, 200)
        self.assertEqual(self.gw.request("POST", "/echo/count", body=b"abc").status, 200)
        self.assertEqual(self.gw.request("GET", "/nowhere").status, 404)
        self.assertEqual(self.gw.request("DELETE", "/stats").status, 405)
        after, types, helps = parse_exposition(self.scrape())

        def delta(key):
            return after.get(key, 0) - before.get(key, 0)

        h = self.host()
        self.assertEqual(types["http_requests_total"], "counter")
        self.assertEqual(helps["http_requests_total"], "Total number of received http requests")
        self.assertEqual(delta(series("http_requests_total", code="200", host=h, method="GET", path="/echo/count")), 3)
        self.assertEqual(delta(series("http_requests_total", code="200", host=h, method="POST", path="/echo/count")), 1)
        self.assertEqual(delta(series("http_requests_total", code="404", host=h, method="GET", path="/nowhere")), 1)
        self.assertEqual(delta(series("http_requests_total", code="405", host=h, method="DELETE", path="/stats")), 1)
        # The scrape before is counted once it was answered.
        self.assertGreaterEqual(after[series("http_requests_total", code="200", host=h, method="GET", path="/metrics")], 1)

    def test_durations_are_histograms_by_method_and_status_class(self):
        self.gw.request("PUT", "/echo/timed", body=b"x")
        samples, types, _ = parse_exposition(self.scrape())
        self.assertEqual(types["http_request_duration_seconds"], "histogram")
        base = dict(method="PUT", status_class="2xx")
        count = samples[series("http_request_duration_seconds_count", **base)]
        self.assertGreaterEqual(count, 1)
        buckets = sorted(((float(dict(labels)["le"]), v) for (name, labels), v in samples.items()
                          if name == "http_request_duration_seconds_bucket"
                          and dict(labels)["method"] == "PUT" and dict(labels)["status_class"] == "2xx"))
        self.assertEqual(buckets[-1], (float("inf"), count))
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))   # cumulative
        self.assertEqual(buckets[-2][1], count)   # an echo takes less than 10 s
        total = samples[series("http_request_duration_seconds_sum", **base)]
        self.assertGreater(total, 0)
        self.assertLess(total, 10 * count)

    def test_requests_in_flight_and_scrapes_are_reported(self):
        first, types, _ = parse_exposition(self.scrape())
        self.assertEqual(types["http_requests_in_flight"], "gauge")
        self.assertEqual(first[series("http_requests_in_flight")], 1)   # the scrape itself
        self.assertEqual(first[series("promhttp_metric_handler_requests_in_flight")], 1)
        scrapes = first[series("promhttp_metric_handler_requests_total", code="200")]
        second, _, _ = parse_exposition(self.scrape())
        self.assertEqual(second[series("promhttp_metric_handler_requests_total", code="200")], scrapes + 1)

    def test_process_metrics_are_served(self):
        samples, types, _ = parse_exposition(self.scrape())
        for name in ("process_cpu_seconds_total", "process_open_fds", "process_max_fds",
                     "process_resident_memory_bytes", "process_virtual_memory_bytes",
                     "process_virtual_memory_max_bytes", "process_start_time_seconds"):
            self.assertGreater(samples[series(name)], 0, name)
        self.assertEqual(types["process_cpu_seconds_total"], "counter")
        # The gateway holds at least its listening socket and its epoll descriptors.
        self.assertGreaterEqual(samples[series("process_open_fds")], 3)

    def test_requests_sent_upstream_are_counted_by_the_tripperware(self):
        before, _, _ = parse_exposition(self.scrape())
        self.assertEqual(self.gw.request("GET", "/up/headers/a%20b?q=1").status, 200)
        self.assertEqual(self.gw.request("GET", "/up/headers/a%20b").status, 200)
        self.assertEqual(self.gw.request("POST", "/up/status/503", body=b"x").status, 503)
        self.assertEqual(self.gw.request("GET", "/dead/x").status, 502)
        after, types, helps = parse_exposition(self.scrape())

        def delta(key):
            return after.get(key, 0) - before.get(key, 0)

        up = "127.0.0.1:%d" % self.up.port
        self.assertEqual(types["http_client_requests_total"], "counter")
        self.assertEqual(helps["http_client_requests_total"], "Total number of sent http requests")
        self.assertEqual(delta(series("http_client_requests_total", code="200", host=up, method="GET",
                                      path="/headers/a b")), 2)
        self.assertEqual(delta(series("http_client_requests_total", code="503", host=up, method="POST",
                                      path="/status/503")), 1)
        # A connection refused is counted with code 0, and as an error in the histogram.
        dead = [k for k in after if k[0] == "http_client_requests_total" and dict(k[1])["code"] == "0"]
        self.assertEqual(len(dead), 1, dead)
        self.assertEqual(dict(dead[0][1])["path"], "/x")
        self.assertEqual(delta(dead[0]), 1)
        self.assertEqual(delta(series("http_client_request_duration_seconds_count", method="GET", status_class="error")), 1)
        self.assertEqual(delta(series("http_client_request_duration_seconds_count", method="GET", status_class="2xx")), 2)
        self.assertEqual(after[series("http_client_requests_in_flight")], 0)
        # The server side saw the same requests with the client's paths.
        self.assertEqual(delta(series("http_requests_total", code="502", host=self.host(), method="GET", path="/dead/x")), 1)

    def test_another_meter_serves_on_its_own_pattern_and_methods(self):
        r = self.gw.request("GET", "/stats")
        self.assertEqual(r.status, 200, r)
        samples, _, _ = parse_exposition(r.text())
        # It is a different meter: it never counted a request (it is not in the middleware).
        self.assertFalse([k for k in samples if k[0] == "http_requests_total"])
        self.assertEqual(self.gw.request("POST", "/stats").status, 405)

    def test_labels_with_quotes_and_bytes_that_are_not_utf8_are_escaped(self):
        r = self.gw.exchange(request_bytes("GET", "/echo/%22q%5C%FF", []))
        self.assertEqual(r.status, 200, r)
        text = self.scrape()
        self.assertIn('path="/echo/\\"q\\\\%FF"', text)
        samples, _, _ = parse_exposition(text)
        self.assertEqual(samples[series("http_requests_total", code="200", host="127.0.0.1", method="GET",
                                        path='/echo/"q\\%FF')], 1)
        self.assertEqual(promtool_check(text).returncode, 0)

    def test_promtool_accepts_the_exposition(self):
        self.gw.request("GET", "/echo/p")
        self.gw.request("GET", "/missing")
        p = promtool_check(self.scrape())
        self.assertEqual(p.returncode, 0, p)
        self.assertEqual(p.stdout + p.stderr, b"", p)   # not even a lint warning


class PrometheusMeterConfigTest(unittest.TestCase):
    def test_an_unknown_field_is_rejected_at_load(self):
        config = "---\n".join([entrypoint(), """\
apiVersion: app/v1
kind: PrometheusMeter
spec:
  path: /metrics
"""])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("c.yaml:9:3:", p.stderr)
        self.assertIn("spec.path", p.stderr)

    def test_the_toml_form_loads_with_the_meter_in_all_three_roles(self):
        config = """\
[[resource]]
apiVersion = "core/v1"
kind = "Entrypoint"
spec.runners = [{ apiVersion = "core/v1", kind = "HTTPServer" }]

[[resource]]
apiVersion = "core/v1"
kind = "HTTPServer"
[resource.spec]
addr = "127.0.0.1:0"
middleware = [{ apiVersion = "app/v1", kind = "PrometheusMeter" }]
[[resource.spec.virtualHosts]]
handlers = [
  { handler = { apiVersion = "app/v1", kind = "PrometheusMeter" } },
  { handler = { apiVersion = "core/v1", kind = "ReverseProxyHandler" } },
]

[[resource]]
apiVersion = "app/v1"
kind = "PrometheusMeter"
spec.methods = ["GET"]

[[resource]]
apiVersion = "core/v1"
kind = "ReverseProxyHandler"
[resource.spec]
roundTripper = { apiVersion = "core/v1", kind = "HTTPClient" }
[[resource.spec.loadBalancers]]
pathMatcher = { match = "/", matchType = "Prefix" }
upstreams = [{ url = "http://127.0.0.1:9000" }]

[[resource]]
apiVersion = "core/v1"
kind = "HTTPClient"
[resource.spec]
tripperwares = [{ apiVersion = "app/v1", kind = "PrometheusMeter" }]
"""
        p = run_cli(["--check", "-f", "c.toml"], files={"c.toml": config})
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("configuration OK", p.stdout + p.stderr)
        # The default pattern is taken: another handler on /metrics conflicts with it.
        clash = config.replace('{ handler = { apiVersion = "core/v1", kind = "ReverseProxyHandler" } },',
                               '{ handler = { apiVersion = "core/v1", kind = "ReverseProxyHandler" } },\n'
                               '  { pattern = "/metrics", handler = { apiVersion = "app/v1", kind = "EchoHandler" } },')
        clash += '\n[[resource]]\napiVersion = "app/v1"\nkind = "EchoHandler"\n'
        p = run_cli(["--check", "-f", "c.toml"], files={"c.toml": clash})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("/metrics", p.stderr)


if __name__ == "__main__":
    unittest.main()
