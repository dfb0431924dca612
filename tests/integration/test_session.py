"""app/v1 SessionMiddleware through the real binary (spec §1.3): cookie attributes, what is
written when, broken cookies, and the settings rejected at load. The session's contents are
exercised through a CSRFMiddleware in synchronizer-token mode, which keeps its token there.
"""

import base64
import unittest

from gateway import GatewayTestCase, entrypoint, request_bytes, run_cli

HMAC_SECRET = base64.b64encode(b"h" * 64).decode()
CRYPT_SECRET = base64.b64encode(b"c" * 16).decode()

SERVER = """\
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: s
spec:
  addr: "127.0.0.1:@PORT@"
  middleware:
    - {apiVersion: app/v1, kind: SessionMiddleware, name: sessions}
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: CSRFMiddleware}
        - middleware:
            - {apiVersion: app/v1, kind: CSRFMiddleware}
          handler: {apiVersion: app/v1, kind: EchoHandler}
---
apiVersion: app/v1
kind: EchoHandler
spec:
  patterns: ["/api/"]
---
apiVersion: app/v1
kind: CSRFMiddleware
spec:
  issueNew: true
  synchronizerToken: {}
"""

SESSIONS = """\
apiVersion: app/v1
kind: SessionMiddleware
metadata:
  name: sessions
spec:
  cookieName: sid
  cookie:
    path: /
    domain: app.example
    maxAge: 600
    secure: true
    httpOnly: true
    sameSite: Strict
  secureEncoder:
    hmacSecret: "%s"
    hashAlg: SHA512
    commonKeyCryptType: AESCBC
    cryptSecret: "%s"
    enableCompression: true
""" % (HMAC_SECRET, CRYPT_SECRET)


def pairs(r):
    return [c.split(";", 1)[0] for c in r.header_all("Set-Cookie")]


class SessionCookieTest(GatewayTestCase):
    CONFIG = "---\n".join([entrypoint("s"), SERVER, SESSIONS])

    def get(self, path, cookie=None):
        headers = [("Cookie", cookie)] if cookie else []
        return self.gw.exchange(request_bytes("GET", path, headers))

    def test_an_untouched_new_session_sends_no_cookie(self):
        r = self.get("/api/x")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header_all("Set-Cookie"), [])

    def test_a_changed_session_is_written_with_the_configured_attributes(self):
        r = self.get("/token")
        self.assertEqual(r.status, 200, r)
        cookies = r.header_all("Set-Cookie")
        self.assertEqual(len(cookies), 1, r)
        self.assertRegex(cookies[0], r"^sid0=[A-Za-z0-9+/=]+; Path=/; Domain=app\.example; Max-Age=600; HttpOnly; "
                                     r"Secure; SameSite=Strict$")

    def test_a_session_with_an_expiry_is_written_again_to_slide_it(self):
        first = self.get("/token")
        cookie = pairs(first)[0]
        again = self.get("/api/x", cookie)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(len(again.header_all("Set-Cookie")), 1, again)
        self.assertTrue(pairs(again)[0].startswith("sid0="))
        self.assertNotEqual(pairs(again)[0], cookie)   # a fresh IV every time

    def test_the_session_carries_state_between_requests(self):
        r = self.get("/token")
        token, cookie = r.text(), pairs(r)[0]
        ok = self.gw.exchange(request_bytes("POST", "/api/x", [("Cookie", cookie), ("__csrfToken", token)]))
        self.assertEqual(ok.status, 200, ok)
        # issueNew: a new token replaces the old one in the session.
        r2 = self.get("/token", cookie)
        newer = r2.text()
        self.assertNotEqual(newer, token)
        stale = self.gw.exchange(request_bytes("POST", "/api/x", [("Cookie", pairs(r2)[0]), ("__csrfToken", token)]))
        self.assertEqual(stale.status, 403, stale)

    def test_broken_session_cookies_are_deleted_with_the_cookie_path_and_domain(self):
        r = self.get("/api/x", "sid0=garbage; sid1=more")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header_all("Set-Cookie"), ["sid0=; Path=/; Domain=app.example; Max-Age=0",
                                                      "sid1=; Path=/; Domain=app.example; Max-Age=0"])


class ConfigTest(unittest.TestCase):
    def check(self, spec):
        config = "---\n".join([entrypoint(), "apiVersion: app/v1\nkind: SessionMiddleware\nspec:\n" + spec])
        return run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})

    def test_a_key_value_store_is_rejected_at_load(self):
        p = self.check("  storage: {apiVersion: app/v1, kind: RedisClient}\n  prefix: \"sess:\"\n")
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("c.yaml:9:12: app/v1/SessionMiddleware/default/default: spec.storage: not supported: sessions "
                      "are kept in cookies", p.stderr + p.stdout)

    def test_an_unusable_key_is_rejected_at_load(self):
        p = self.check("  secureEncoder:\n    cryptSecret: \"%s\"\n" % base64.b64encode(b"k" * 20).decode())
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("spec.secureEncoder.cryptSecret: an AES key must be 16, 24 or 32 bytes (this one decodes to 20)",
                      p.stderr + p.stdout)

    def test_the_defaults_load(self):
        p = self.check("  cookie: {secure: true}\n")
        self.assertEqual(p.returncode, 0, p)


if __name__ == "__main__":
    unittest.main()
