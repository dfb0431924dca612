"""TLS to upstreams through the real binary: `https://` upstreams verified against the system's
roots by default or the HTTPClient's `tlsConfig.rootCAs`, with SNI and name checks by
`serverName`, client certificates (mutual TLS), `insecureSkipVerify`, pooled TLS connections, and
config errors at the field. Certificates are made by the `openssl` CLI in a temp dir; the upstream
is our own test upstream behind Python's ssl module."""

import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import unittest

from gateway import Gateway, entrypoint, run_cli, stop_cleanly
from upstream import Upstream


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_pki(d):
    """A CA, a server certificate for 127.0.0.1 and upstream.test signed by it, a client
    certificate signed by it, and a self-signed certificate nobody trusts."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=aileron test CA",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:upstream.test"),
                      ("client", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % name, "-keyout", name + ".key",
                "-out", name + ".csr", cwd=d)
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem", cwd=d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=stranger",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "stranger.key", "-out", "stranger.pem", cwd=d)


def tls_upstream(d, name, cert="server", require_client_cert=False):
    up = Upstream(name)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, cert + ".pem"), os.path.join(d, cert + ".key"))
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(os.path.join(d, "ca.pem"))
    up.server.socket = ctx.wrap_socket(up.server.socket, server_side=True)
    up.url = "https://127.0.0.1:%d" % up.port
    return up.start()


CONFIG = entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: default-client}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: trusting}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: named}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: wrong-name}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: insecure}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: mtls}
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler, name: no-client-cert}
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: default-client}
spec:
  patterns: ["/default/"]
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/default"}
      upstreams: [{url: "%(server)s"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: trusting}
spec:
  patterns: ["/trusting/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: trusting}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/trusting"}
      upstreams: [{url: "%(server)s"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: named}
spec:
  patterns: ["/named/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: named}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/named"}
      upstreams: [{url: "%(server)s"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: wrong-name}
spec:
  patterns: ["/wrong-name/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: wrong-name}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/wrong-name"}
      upstreams: [{url: "%(server)s"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: insecure}
spec:
  patterns: ["/insecure/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: insecure}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/insecure"}
      upstreams: [{url: "%(stranger)s"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: mtls}
spec:
  patterns: ["/mtls/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: mtls}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/mtls"}
      upstreams: [{url: "%(mtls)s"}]
---
apiVersion: core/v1
kind: ReverseProxyHandler
metadata: {name: no-client-cert}
spec:
  patterns: ["/no-client-cert/"]
  roundTripper: {apiVersion: core/v1, kind: HTTPClient, name: trusting}
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix, trimPrefix: "/no-client-cert"}
      upstreams: [{url: "%(mtls)s"}]
---
apiVersion: core/v1
kind: HTTPClient
metadata: {name: trusting}
spec:
  httpTransportConfig:
    tlsConfig: {rootCAs: ["%(dir)s/ca.pem"]}
---
apiVersion: core/v1
kind: HTTPClient
metadata: {name: named}
spec:
  httpTransportConfig:
    tlsConfig: {rootCAs: ["%(dir)s/ca.pem"], serverName: upstream.test, minVersion: 772}
---
apiVersion: core/v1
kind: HTTPClient
metadata: {name: wrong-name}
spec:
  httpTransportConfig:
    tlsConfig: {rootCAs: ["%(dir)s/ca.pem"], serverName: other.test}
---
apiVersion: core/v1
kind: HTTPClient
metadata: {name: insecure}
spec:
  httpTransportConfig:
    tlsConfig: {insecureSkipVerify: true}
---
apiVersion: core/v1
kind: HTTPClient
metadata: {name: mtls}
spec:
  httpTransportConfig:
    tlsConfig:
      rootCAs: ["%(dir)s/ca.pem"]
      certKeyPairs: [{certFile: "%(dir)s/client.pem", keyFile: "%(dir)s/client.key"}]
      tlsCipher: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
      maxVersion: 771
"""


class ProxyTLSTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="aileron-tls-")
        make_pki(cls.dir)
        cls.server = tls_upstream(cls.dir, "server")
        cls.stranger = tls_upstream(cls.dir, "stranger", cert="stranger")
        cls.mtls = tls_upstream(cls.dir, "mtls", require_client_cert=True)
        cls.gw = Gateway(CONFIG % {"server": cls.server.url, "stranger": cls.stranger.url, "mtls": cls.mtls.url,
                                   "dir": cls.dir})
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        try:
            stop_cleanly(cls.gw, cls.server, cls.stranger, cls.mtls)
        finally:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def get(self, path):
        return self.gw.request("GET", path)

    def test_an_https_upstream_signed_by_the_configured_root_is_reached_over_tls(self):
        res = self.get("/trusting/headers/x")
        self.assertEqual(res.status, 200, res.body)
        record = json.loads(res.body)
        self.assertEqual(record["name"], "server")
        self.assertEqual(record["path"], "/headers/x")
        self.assertIn(["Host", "127.0.0.1:%d" % self.server.port], record["headers"])

    def test_without_a_client_config_the_system_roots_reject_a_private_ca_with_502(self):
        before = len(self.server.requests)
        res = self.get("/default/headers")
        self.assertEqual(res.status, 502, res.body)
        self.assertNotIn(b'"name"', res.body)
        self.assertEqual(len(self.server.requests), before)   # the handshake failed: nothing was sent

    def test_server_name_sets_the_name_the_certificate_is_checked_against(self):
        self.assertEqual(self.get("/named/headers").status, 200)
        self.assertEqual(self.get("/wrong-name/headers").status, 502)

    def test_insecure_skip_verify_accepts_a_certificate_nobody_signed(self):
        res = self.get("/insecure/headers")
        self.assertEqual(res.status, 200, res.body)
        self.assertEqual(json.loads(res.body)["name"], "stranger")

    def test_a_client_certificate_is_presented_to_an_upstream_that_requires_one(self):
        res = self.get("/mtls/headers")
        self.assertEqual(res.status, 200, res.body)
        self.assertEqual(json.loads(res.body)["name"], "mtls")
        self.assertEqual(self.get("/no-client-cert/headers").status, 502)

    def test_tls_connections_are_kept_alive_and_reused(self):
        # One client connection: one worker, whose pool holds the upstream connection (each
        # worker has its own pool, so requests on other client connections may use another).
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
        try:
            peers = []
            for path in ("/trusting/headers/a", "/trusting/headers/b", "/trusting/headers/c"):
                conn.request("GET", path)
                r = conn.getresponse()
                self.assertEqual(r.status, 200)
                peers.append(json.loads(r.read())["peer"])
        finally:
            conn.close()
        self.assertEqual(len(set(peers)), 1, peers)   # one TLS connection carried all three

    def test_request_and_response_bodies_stream_over_tls(self):
        body = os.urandom(300_000)
        res = self.gw.request("POST", "/trusting/headers", body=body)
        self.assertEqual(res.status, 200)
        self.assertEqual(json.loads(res.body)["body"].encode("latin-1"), body)
        res = self.get("/trusting/size/2000000")
        self.assertEqual(res.status, 200)
        self.assertEqual(len(res.body), 2_000_000)


class TLSConfigErrorTest(unittest.TestCase):
    BASE = entrypoint() + """\
---
apiVersion: core/v1
kind: HTTPClient
spec:
  httpTransportConfig:
    tlsConfig:
%s
"""

    def check(self, tls_lines):
        done = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": self.BASE % tls_lines})
        self.assertNotEqual(done.returncode, 0, done.stdout)
        return done.stderr

    def test_a_root_ca_file_that_cannot_be_read_is_reported_at_its_field(self):
        err = self.check('      rootCAs: ["/nonexistent/ca.pem"]')
        self.assertRegex(err, r"c\.yaml:\d+:\d+: core/v1/HTTPClient/default/default: "
                              r"spec\.httpTransportConfig\.tlsConfig\.rootCAs\[0\]: cannot load PEM certificates "
                              r"from \"/nonexistent/ca.pem\"")

    def test_protocols_other_than_http_1_1_cannot_be_offered(self):
        err = self.check('      nextProtos: [h2]')
        self.assertIn("tlsConfig.nextProtos[0]: aileron speaks HTTP/1.1 to upstreams", err)

    def test_a_version_that_is_not_a_tls_version_is_refused(self):
        err = self.check('      minVersion: 12')
        self.assertIn("tlsConfig.minVersion: must be 0 or a TLS version", err)

    def test_server_side_settings_are_refused_in_a_client(self):
        err = self.check('      clientAuth: RequireAndVerifyClientCert')
        self.assertIn("tlsConfig.clientAuth: a server setting", err)


if __name__ == "__main__":
    unittest.main()
