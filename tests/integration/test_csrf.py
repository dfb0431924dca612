"""app/v1 CSRFMiddleware through the real binary (spec §1.3): the custom request header,
double-submit cookie and synchronizer token patterns, the token endpoint, and config errors.
"""

import json
import re
import unittest
import urllib.parse

from gateway import GatewayTestCase, entrypoint, request_bytes, run_cli

SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0"
TOKEN = re.compile(r"^[0-9a-f]{104}$")
FORBIDDEN = b'{"status":403,"statusText":"Forbidden"}'


def server(name, middleware=(), token_endpoint=True, protected=("CSRFMiddleware", "csrf")):
    doc = "apiVersion: core/v1\nkind: HTTPServer\nmetadata:\n  name: %s\nspec:\n  addr: \"127.0.0.1:@PORT@\"\n" % name
    if middleware:
        doc += "  middleware:\n" + "".join("    - {apiVersion: app/v1, kind: %s, name: %s}\n" % m for m in middleware)
    doc += "  virtualHosts:\n    - handlers:\n"
    if token_endpoint:
        doc += "        - handler: {apiVersion: app/v1, kind: CSRFMiddleware, name: csrf}\n"
    doc += ("        - middleware:\n            - {apiVersion: app/v1, kind: %s, name: %s}\n"
            "          handler: {apiVersion: app/v1, kind: EchoHandler}\n") % protected
    return doc


ECHO = "apiVersion: app/v1\nkind: EchoHandler\nspec:\n  patterns: [\"/api/\"]\n"


def csrf(spec):
    return "apiVersion: app/v1\nkind: CSRFMiddleware\nmetadata:\n  name: csrf\nspec:\n  secret: \"%s\"\n%s" % (
        SECRET, spec)


def cookies_of(r):
    """{name: value} of the Set-Cookie headers that set a value."""
    out = {}
    for c in r.header_all("Set-Cookie"):
        pair = c.split(";", 1)[0]
        name, _, value = pair.partition("=")
        if value:
            out[name] = value
    return out


def cookie_header(cookies):
    return "; ".join("%s=%s" % kv for kv in cookies.items())


class CustomRequestHeaderTest(GatewayTestCase):
    CONFIG = "---\n".join([
        entrypoint("s"),
        server("s"),
        ECHO,
        csrf("  customRequestHeader:\n    headerName: __csrfToken\n    allowedPattern: \"^localhost$\"\n"),
    ])

    def send(self, method, path, headers=(), body=b""):
        return self.gw.exchange(request_bytes(method, path, list(headers), body))

    def test_safe_methods_pass_without_a_token(self):
        for method in ("GET", "HEAD", "OPTIONS"):
            r = self.gw.exchange(request_bytes(method, "/api/x", []), head=method == "HEAD")
            self.assertEqual(r.status, 200, (method, r))

    def test_a_post_without_the_header_is_403_with_the_error_body(self):
        r = self.send("POST", "/api/x", body="a=1")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.body, FORBIDDEN)
        self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")
        r = self.send("DELETE", "/api/x", [("Accept", "application/xml")])
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.text(), "<result><status>403</status><statusText>Forbidden</statusText><errors></errors></result>")

    def test_a_value_matching_the_allowed_pattern_passes(self):
        r = self.send("POST", "/api/x", [("__csrfToken", "localhost")])
        self.assertEqual(r.status, 200, r)
        self.assertIn('"__csrftoken": [\n    "localhost"\n  ]', r.text())
        self.assertEqual(self.send("POST", "/api/x", [("__csrfToken", "localhost.evil")]).status, 403)

    def test_a_token_from_the_endpoint_passes_and_a_tampered_one_does_not(self):
        issued = self.send("GET", "/token")
        self.assertEqual(issued.status, 200, issued)
        token = issued.text()
        self.assertRegex(token, TOKEN)
        self.assertEqual(issued.header("Content-Type"), "text/plain; charset=utf-8")
        self.assertEqual(issued.header("Cache-Control"), "no-store")
        self.assertEqual(issued.header("X-Content-Type-Options"), "nosniff")
        self.assertIsNone(issued.header("Set-Cookie"))
        self.assertEqual(self.send("PUT", "/api/x", [("__csrfToken", token)]).status, 200)
        tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
        self.assertEqual(self.send("PUT", "/api/x", [("__csrfToken", tampered)]).status, 403)

    def test_the_endpoint_answers_json_or_xml_by_accept(self):
        r = self.send("GET", "/token", [("Accept", "application/json")])
        self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")
        self.assertRegex(json.loads(r.text())["token"], TOKEN)
        r = self.send("GET", "/token", [("Accept", "text/xml")])
        self.assertEqual(r.header("Content-Type"), "application/xml; charset=utf-8")
        self.assertRegex(r.text(), r"^<token>[0-9a-f]{104}</token>$")


class DoubleSubmitCookieTest(GatewayTestCase):
    CONFIG = "---\n".join([
        entrypoint("s"),
        server("s"),
        ECHO,
        csrf("  proxyHeaderName: X-Verified-Csrf\n"
             "  doubleSubmitCookies:\n"
             "    tokenSource: Form\n"
             "    sourceKey: csrf\n"
             "    cookie: {path: /, httpOnly: true, sameSite: Strict}\n"),
    ])

    def issue(self):
        r = self.gw.exchange(request_bytes("GET", "/token", []))
        self.assertEqual(r.status, 200, r)
        return r

    def test_the_endpoint_sets_the_cookie_with_the_configured_attributes(self):
        r = self.issue()
        token = r.text()
        self.assertRegex(token, TOKEN)
        self.assertEqual(r.header_all("Set-Cookie"), ["__csrfToken=%s; Path=/; HttpOnly; SameSite=Strict" % token])

    def test_a_form_carrying_the_cookie_token_passes_with_its_body_intact(self):
        token = self.issue().text()
        body = "name=a+b&csrf=%s&x=%%41" % token
        r = self.gw.exchange(request_bytes("POST", "/api/form", [
            ("Cookie", "__csrfToken=" + token),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Verified-Csrf", "forged"),
        ], body))
        self.assertEqual(r.status, 200, r)
        self.assertIn("---------- Body ----------\n%s\n" % body, r.text())
        self.assertIn('"X-Verified-Csrf": [\n    "%s"\n  ]' % token, r.text())

    def test_a_missing_or_mismatched_token_is_403(self):
        token = self.issue().text()
        other = self.issue().text()
        form = [("Content-Type", "application/x-www-form-urlencoded")]
        cases = [
            ([("Cookie", "__csrfToken=" + token)] + form, "csrf=" + other),
            ([("Cookie", "__csrfToken=" + token)] + form, "other=" + token),
            (form, "csrf=" + token),
            ([("Cookie", "__csrfToken=" + token), ("Content-Type", "text/plain")], "csrf=" + token),
        ]
        for headers, body in cases:
            r = self.gw.exchange(request_bytes("POST", "/api/form", headers, body))
            self.assertEqual(r.status, 403, (headers, body, r))
            self.assertEqual(r.body, FORBIDDEN)

    def test_the_endpoint_gives_a_client_its_current_token_back(self):
        token = self.issue().text()
        r = self.gw.exchange(request_bytes("GET", "/token", [("Cookie", "__csrfToken=" + token),
                                                             ("Content-Type", "application/x-www-form-urlencoded")],
                                           "csrf=" + token))
        self.assertEqual(r.text(), token)


class SynchronizerTokenTest(GatewayTestCase):
    CONFIG = "---\n".join([
        entrypoint("s"),
        server("s", middleware=[("SessionMiddleware", "sessions")]),
        ECHO,
        csrf("  synchronizerToken:\n    tokenSource: JSON\n"),
        """\
apiVersion: app/v1
kind: SessionMiddleware
metadata:
  name: sessions
spec:
  cookie: {path: /, httpOnly: true, sameSite: Lax}
  secureEncoder:
    hmacSecret: "%s"
    cryptSecret: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
""" % SECRET,
    ])

    def issue(self, cookies=None):
        headers = [("Cookie", cookie_header(cookies))] if cookies else []
        r = self.gw.exchange(request_bytes("GET", "/token", headers))
        self.assertEqual(r.status, 200, r)
        return r

    def post(self, cookies, token):
        headers = [("Content-Type", "application/json")]
        if cookies:
            headers.append(("Cookie", cookie_header(cookies)))
        return self.gw.exchange(request_bytes("POST", "/api/orders", headers, json.dumps({"__csrfToken": token})))

    def test_the_token_is_kept_in_an_encrypted_session_cookie(self):
        r = self.issue()
        token = r.text()
        self.assertRegex(token, TOKEN)
        set_cookies = r.header_all("Set-Cookie")
        self.assertEqual(len(set_cookies), 1, r)
        self.assertRegex(set_cookies[0], r"^_SESSION0=[A-Za-z0-9+/=]+; Path=/; HttpOnly; SameSite=Lax$")
        self.assertNotIn(token, set_cookies[0])

    def test_a_request_with_its_session_and_token_passes(self):
        r = self.issue()
        cookies = cookies_of(r)
        ok = self.post(cookies, r.text())
        self.assertEqual(ok.status, 200, ok)
        self.assertIn('{"__csrfToken": "%s"}' % r.text(), ok.text())

    def test_a_token_of_another_session_or_no_session_is_403(self):
        a, b = self.issue(), self.issue()
        self.assertNotEqual(a.text(), b.text())
        self.assertEqual(self.post(cookies_of(a), b.text()).status, 403)
        self.assertEqual(self.post(None, a.text()).status, 403)

    def test_a_tampered_session_cookie_is_a_new_session_and_is_deleted(self):
        r = self.issue()
        value = cookies_of(r)["_SESSION0"]
        tampered = value[:10] + ("A" if value[10] != "A" else "B") + value[11:]
        denied = self.post({"_SESSION0": tampered}, r.text())
        self.assertEqual(denied.status, 403, denied)
        self.assertEqual(denied.header_all("Set-Cookie"), ["_SESSION0=; Path=/; Max-Age=0"])


class SessionlessSynchronizerTest(GatewayTestCase):
    CONFIG = "---\n".join([entrypoint("s"), server("s"), ECHO, csrf("  synchronizerToken: {}\n")])

    def test_without_a_session_middleware_the_endpoint_and_the_check_are_500(self):
        r = self.gw.exchange(request_bytes("GET", "/token", []))
        self.assertEqual(r.status, 500, r)
        r = self.gw.exchange(request_bytes("POST", "/api/x", [("__csrfToken", "x")]))
        self.assertEqual(r.status, 500, r)


class ConfigTest(unittest.TestCase):
    def check(self, spec):
        config = "---\n".join([entrypoint(), "apiVersion: app/v1\nkind: CSRFMiddleware\nspec:\n" + spec])
        return run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})

    def test_two_patterns_at_once_are_rejected(self):
        p = self.check("  customRequestHeader: {}\n  doubleSubmitCookies: {}\n")
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("c.yaml:9:3: app/v1/CSRFMiddleware/default/default: spec: only one of customRequestHeader, "
                      "doubleSubmitCookies or synchronizerToken may be given", p.stderr + p.stdout)

    def test_bad_fields_name_their_line_and_path(self):
        p = self.check("  seedSize: 4\n  hashAlg: SHAKE128\n")
        self.assertEqual(p.returncode, 1, p)
        out = p.stderr + p.stdout
        self.assertIn("c.yaml:9:13: app/v1/CSRFMiddleware/default/default: spec.seedSize: must be >= 5", out)
        self.assertIn("c.yaml:10:12: app/v1/CSRFMiddleware/default/default: spec.hashAlg: SHAKE has no HMAC", out)
        p = self.check("  doubleSubmitCookies:\n    tokenSource: Query\n")
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("c.yaml:10:18: app/v1/CSRFMiddleware/default/default: spec.doubleSubmitCookies.tokenSource: "
                      "unknown enum value \"Query\"", p.stderr + p.stdout)

    def test_a_valid_config_checks_and_prints_its_defaults(self):
        p = self.check("  synchronizerToken: {tokenSource: Form}\n  skipMethods: [GET]\n")
        self.assertEqual(p.returncode, 0, p)
        t = run_cli(["-t", "app/v1/CSRFMiddleware"])
        self.assertEqual(t.returncode, 0, t)
        self.assertIn("seedSize: 20", t.stdout)
        self.assertIn("hashAlg: SHA256", t.stdout)


if __name__ == "__main__":
    unittest.main()
