"""app/v1 HeaderCertMiddleware through the real binary (spec §1.3): a client certificate passed
in a header by a TLS-terminating proxy, verified against root CAs, with a fingerprint header.
The certificates are made for the test with the openssl command line.
"""

import base64
import os
import shutil
import subprocess
import tempfile
import unittest

from gateway import Gateway, entrypoint, request_bytes, run_cli, stop_cleanly

SCRIPT = r"""
set -e
ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -keyout $1.key -out $1.crt -subj "/CN=$1" -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign; }
leaf() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $1.key -out $1.csr \
  -subj "/CN=$1"; openssl x509 -req -in $1.csr -CA $2.crt -CAkey $2.key -CAcreateserial -days 30 \
  -extfile client.ext -out $1.crt; }
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext
ca root; ca other
leaf client root; leaf stranger other
openssl x509 -in client.crt -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1 > client.fp
"""

SERVER = """\
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: s
spec:
  addr: "127.0.0.1:@PORT@"
  middleware:
    - {apiVersion: app/v1, kind: HeaderCertMiddleware}
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: EchoHandler}
---
apiVersion: app/v1
kind: EchoHandler
"""


class HeaderCertTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="aileron-pki-")
        subprocess.run(["bash", "-c", SCRIPT], cwd=cls.pki, check=True, capture_output=True)
        cls.fingerprint = cls.read("client.fp").decode().strip()
        config = "---\n".join([entrypoint("s"), SERVER, """\
apiVersion: app/v1
kind: HeaderCertMiddleware
spec:
  rootCAs: ["%s"]
  certHeader: X-Client-Cert
  fingerprintHeader: X-Client-Fingerprint
""" % os.path.join(cls.pki, "root.crt")])
        cls.gw = Gateway(config).start()

    @classmethod
    def tearDownClass(cls):
        try:
            stop_cleanly(cls.gw)
        finally:
            shutil.rmtree(cls.pki, ignore_errors=True)

    @classmethod
    def read(cls, name):
        with open(os.path.join(cls.pki, name), "rb") as f:
            return f.read()

    def header(self, name):
        return base64.urlsafe_b64encode(self.read(name)).decode()

    def send(self, headers):
        return self.gw.exchange(request_bytes("GET", "/hello", headers))

    def test_a_certificate_from_the_root_with_its_fingerprint_passes(self):
        r = self.send([("X-Client-Cert", self.header("client.crt")), ("X-Client-Fingerprint", self.fingerprint)])
        self.assertEqual(r.status, 200, r)
        self.assertIn("Path   : /hello", r.text())
        upper = self.send([("X-Client-Cert", self.header("client.crt")),
                           ("X-Client-Fingerprint", self.fingerprint.upper())])
        self.assertEqual(upper.status, 200, upper)

    def test_no_or_a_malformed_certificate_is_400(self):
        for headers in ([], [("X-Client-Cert", "***")],
                        [("X-Client-Cert", base64.urlsafe_b64encode(b"hello").decode())]):
            r = self.send(headers)
            self.assertEqual(r.status, 400, (headers, r))
            self.assertEqual(r.body, b'{"status":400,"statusText":"Bad Request"}')

    def test_a_certificate_from_another_ca_is_401(self):
        r = self.send([("X-Client-Cert", self.header("stranger.crt")), ("X-Client-Fingerprint", self.fingerprint)])
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.body, b'{"status":401,"statusText":"Unauthorized"}')

    def test_a_missing_or_wrong_fingerprint_is_401(self):
        cert = self.header("client.crt")
        for fp in (None, "00" * 32, self.fingerprint[:-2]):
            headers = [("X-Client-Cert", cert)] + ([("X-Client-Fingerprint", fp)] if fp else [])
            r = self.send(headers)
            self.assertEqual(r.status, 401, (fp, r))

    def test_an_unreadable_root_file_is_reported_at_its_line(self):
        config = "---\n".join([entrypoint(), """\
apiVersion: app/v1
kind: HeaderCertMiddleware
spec:
  rootCAs:
    - "%s"
    - missing.pem
""" % os.path.join(self.pki, "root.crt")])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("c.yaml:11:7: app/v1/HeaderCertMiddleware/default/default: spec.rootCAs[1]: cannot read "
                      "\"missing.pem\"", p.stderr + p.stdout)

    def test_no_root_at_all_is_rejected(self):
        config = "---\n".join([entrypoint(), "apiVersion: app/v1\nkind: HeaderCertMiddleware\n"])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("spec.rootCAs: at least one root CA file is required", p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main()
