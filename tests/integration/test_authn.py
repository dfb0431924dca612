"""The authentication middleware through the real binary (spec §1.3): BasicAuthnMiddleware,
DigestAuthnMiddleware, KeyAuthnMiddleware and IDKeyAuthnMiddleware, configured as AILERON
configures them (env and file providers, passwordCrypt, common-key encryption, hashAlg/hmacSecret).

Stored secrets are made by the test itself with Debian's tools: Python's crypt (libxcrypt bcrypt),
hashlib (scrypt, PBKDF2, SHA-256, HMAC), the argon2 CLI and `openssl enc`; Digest is spoken by curl.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import unittest
import warnings

from gateway import Gateway, RawConnection, entrypoint, request_bytes, run_cli, stop_cleanly

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt   # libxcrypt: bcrypt $2b$


# -- stored secrets, made the way their tools make them ---------------------------------------

SALT = b"0123456789abcdef"


def bcrypt(password, cost=4):
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))


def scrypt_hex(password, n=1024, r=8, p=1, key_len=32):
    return (SALT + hashlib.scrypt(password.encode(), salt=SALT, n=n, r=r, p=p, dklen=key_len)).hex()


def pbkdf2_hex(password, iterations=1000, key_len=32, hash_name="sha512"):
    return (SALT + hashlib.pbkdf2_hmac(hash_name, password.encode(), SALT, iterations, key_len)).hex()


def argon2_hex(password, variant, time=2, memory_kib=1024, threads=2, key_len=32):
    out = subprocess.run(["argon2", SALT.decode(), "-" + variant, "-t", str(time), "-k", str(memory_kib),
                          "-p", str(threads), "-l", str(key_len), "-r"],
                         input=password.encode(), capture_output=True, check=True)
    return SALT.hex() + out.stdout.decode().strip()


AES_KEY = b"0123456789abcdef0123456789abcdef"   # AES-256
AES_IV = b"fedcba9876543210"


def aes_cbc_hex(secret):
    """AILERON's layout: iv || AES-CBC(PKCS#7(secret)), by `openssl enc`."""
    out = subprocess.run(["openssl", "enc", "-aes-256-cbc", "-K", AES_KEY.hex(), "-iv", AES_IV.hex()],
                         input=secret, capture_output=True, check=True)
    return (AES_IV + out.stdout).hex()


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def middleware_doc(kind, name, spec):
    return "apiVersion: app/v1\nkind: %s\nmetadata:\n  name: %s\nspec:\n%s" % (
        kind, name, "".join("  " + line + "\n" for line in spec.strip("\n").split("\n")))


def gateway_config(middleware, extra_docs=()):
    """One HTTPServer; each (host, kind, name, spec) gets a virtual host with that middleware in
    front of an EchoHandler. `extra_docs` are added as they are."""
    vhosts = "".join(
        "    - hosts: [%s]\n      middleware:\n        - {apiVersion: app/v1, kind: %s, name: %s}\n"
        "      handlers:\n        - handler: {apiVersion: app/v1, kind: EchoHandler}\n" % (host, kind, name)
        for host, kind, name, _ in middleware)
    server = ("apiVersion: core/v1\nkind: HTTPServer\nmetadata:\n  name: authn\nspec:\n"
              "  addr: \"127.0.0.1:@PORT@\"\n  virtualHosts:\n" + vhosts)
    docs = [entrypoint("authn"), server, "apiVersion: app/v1\nkind: EchoHandler\nspec:\n  patterns: [\"/\"]\n"]
    docs += [middleware_doc(kind, name, spec) for _, kind, name, spec in middleware]
    return "---\n".join(docs + list(extra_docs))


class AuthnTestCase(unittest.TestCase):
    MIDDLEWARE = []     # (host, kind, name, spec)
    EXTRA_DOCS = ()     # other resources (error handlers)
    FILES = {}          # extra files next to the config
    ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(gateway_config(cls.MIDDLEWARE, cls.EXTRA_DOCS), extra_files=cls.FILES, env=cls.ENV).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw)

    def send(self, host, headers=(), target="/echo", method="GET"):
        return self.gw.exchange(request_bytes(method, target, list(headers), host=host))


# -- Basic ------------------------------------------------------------------------------------

PASSWORDS = {"plain": "plain-pw", "bcrypt": "bcrypt-pw", "scrypt": "scrypt-pw", "pbkdf2": "pbkdf2-pw",
             "argon2i": "argon2i-pw", "argon2id": "argon2id-pw"}


class BasicAuthnTest(AuthnTestCase):
    CHALLENGE = 'Basic realm="example", charset="UTF-8"'
    MIDDLEWARE = [
        ("plain.example", "BasicAuthnMiddleware", "plain",
         'realm: example\nfileProvider:\n  paths: [plain.list]'),
        ("bcrypt.example", "BasicAuthnMiddleware", "bcrypt",
         'realm: example\npasswordCrypt:\n  bcrypt: {}\nfileProvider:\n  paths: [bcrypt.list]'),
        ("scrypt.example", "BasicAuthnMiddleware", "scrypt",
         'realm: example\npasswordCrypt:\n  scrypt: {saltLen: 16, n: 1024}\n'
         'fileProvider:\n  encoding: Base16\n  paths: [scrypt.list]'),
        ("pbkdf2.example", "BasicAuthnMiddleware", "pbkdf2",
         'realm: example\npasswordCrypt:\n  pbkdf2: {saltLen: 16, iter: 1000, hashAlg: SHA512}\n'
         'fileProvider:\n  encoding: Base16\n  paths: [pbkdf2.list]'),
        ("argon2i.example", "BasicAuthnMiddleware", "argon2i",
         'realm: example\npasswordCrypt:\n  argon2i: {saltLen: 16, time: 2, memory: 1024, threads: 2}\n'
         'fileProvider:\n  encoding: Base16\n  paths: [argon2i.list]'),
        ("argon2id.example", "BasicAuthnMiddleware", "argon2id",
         'realm: example\npasswordCrypt:\n  argon2id: {saltLen: 16, time: 2, memory: 1024, threads: 2}\n'
         'fileProvider:\n  encoding: Base16\n  paths: [argon2id.list]'),
        ("aes.example", "BasicAuthnMiddleware", "aes",
         'realm: example\ncommonKeyCryptType: AESCBC\ncryptSecret: "%s"\npasswordCrypt:\n  bcrypt: {}\n'
         'fileProvider:\n  encoding: Base16\n  paths: [aes.list]' % base64.b64encode(AES_KEY).decode()),
        ("strict.example", "BasicAuthnMiddleware", "strict",
         'realm: example\npreferError: true\nkeepCredentials: true\nfileProvider:\n  paths: [plain.list]'),
        ("env.example", "BasicAuthnMiddleware", "env", 'realm: from-env'),
        ("pages.example", "BasicAuthnMiddleware", "pages",
         'realm: example\npreferError: true\nerrorHandler: {apiVersion: core/v1, kind: ErrorHandler, name: pages}\n'
         'fileProvider:\n  paths: [plain.list]'),
    ]
    EXTRA_DOCS = ["""\
apiVersion: core/v1
kind: ErrorHandler
metadata:
  name: pages
spec:
  errorMessages:
    - codes: ["E3050"]
      headerTemplate: {X-Error: "{{status}} {{code}} {{kind}}"}
      mimeContents:
        - mimeType: text/html
          templateType: GoText
          template: "<h1>{{.status}} {{.statusText}}</h1>"
"""]
    ENV = {"GATEWAY_BASIC_USERNAME_1": "env-user", "GATEWAY_BASIC_PASSWORD_001": "env-pw"}

    @classmethod
    def setUpClass(cls):
        cls.FILES = {
            "plain.list": "# user:password[:attributes]\nalice:plain-pw:{\"role\": \"admin\"}\nbob:other-pw\n",
            "bcrypt.list": "alice:%s\n" % bcrypt(PASSWORDS["bcrypt"]),
            "scrypt.list": "alice:%s\n" % scrypt_hex(PASSWORDS["scrypt"]),
            "pbkdf2.list": "alice:%s\n" % pbkdf2_hex(PASSWORDS["pbkdf2"]),
            "argon2i.list": "alice:%s\n" % argon2_hex(PASSWORDS["argon2i"], "i"),
            "argon2id.list": "alice:%s\n" % argon2_hex(PASSWORDS["argon2id"], "id"),
            # encrypted bcrypt hash: CommonKeyCrypt(PasswordCrypt(password)), hex
            "aes.list": "alice:%s\n" % aes_cbc_hex(bcrypt("aes-pw").encode()),
        }
        super().setUpClass()

    def test_a_request_without_credentials_gets_401_with_the_challenge_and_no_body(self):
        r = self.send("plain.example")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.header("WWW-Authenticate"), self.CHALLENGE)
        self.assertEqual(r.header("Content-Length"), "0")
        self.assertEqual(r.body, b"")

    def test_the_right_password_reaches_the_handler_without_the_authorization_header(self):
        r = self.send("plain.example", [("Authorization", basic("alice", "plain-pw"))])
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("Authorization", r.text())

    def test_wrong_credentials_are_challenged_again(self):
        for auth in (basic("alice", "other-pw"), basic("carol", "plain-pw"), "Basic !!", "Bearer x"):
            r = self.send("plain.example", [("Authorization", auth)])
            self.assertEqual(r.status, 401, (auth, r))
            self.assertEqual(r.header("WWW-Authenticate"), self.CHALLENGE)

    def test_every_password_hash_checks_the_password_it_was_made_from(self):
        for scheme, password in PASSWORDS.items():
            with self.subTest(scheme=scheme):
                host = scheme + ".example"
                self.assertEqual(self.send(host, [("Authorization", basic("alice", password))]).status, 200)
                self.assertEqual(self.send(host, [("Authorization", basic("alice", password + "x"))]).status, 401)

    def test_a_remembered_password_still_passes_and_a_wrong_one_still_fails(self):
        ok = [("Authorization", basic("alice", PASSWORDS["argon2id"]))]
        for _ in range(3):
            self.assertEqual(self.send("argon2id.example", ok).status, 200)
        self.assertEqual(self.send("argon2id.example", [("Authorization", basic("alice", "nope"))]).status, 401)

    def test_an_encrypted_hash_is_decrypted_with_the_crypt_secret(self):
        self.assertEqual(self.send("aes.example", [("Authorization", basic("alice", "aes-pw"))]).status, 200)
        self.assertEqual(self.send("aes.example", [("Authorization", basic("alice", "aes-pwx"))]).status, 401)

    def test_prefer_error_answers_wrong_credentials_with_the_error_body_and_the_challenge(self):
        r = self.send("strict.example", [("Authorization", basic("alice", "wrong")), ("Accept", "application/xml")])
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.body, b"<result><status>401</status><statusText>Unauthorized</statusText>"
                                 b"<errors></errors></result>")
        self.assertEqual(r.header("WWW-Authenticate"), self.CHALLENGE)
        self.assertEqual(self.send("strict.example").body, b"")   # no credentials: the plain challenge

    def test_the_referenced_error_handler_writes_the_prefer_error_answer(self):
        r = self.send("pages.example", [("Authorization", basic("alice", "wrong"))])
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.body, b"<h1>401 Unauthorized</h1>")
        self.assertEqual(r.header("X-Error"), "401 E3050 AppAuthnAuthentication")
        self.assertEqual(r.header("WWW-Authenticate"), self.CHALLENGE)

    def test_keep_credentials_forwards_the_authorization_header(self):
        r = self.send("strict.example", [("Authorization", basic("bob", "other-pw"))])
        self.assertEqual(r.status, 200, r)
        self.assertIn("Authorization", r.text())

    def test_users_from_numbered_environment_variables(self):
        r = self.send("env.example", [("Authorization", basic("env-user", "env-pw"))])
        self.assertEqual(r.status, 200, r)
        r = self.send("env.example")
        self.assertEqual(r.header("WWW-Authenticate"), 'Basic realm="from-env", charset="UTF-8"')


# -- Digest -----------------------------------------------------------------------------------

class DigestAuthnTest(AuthnTestCase):
    MIDDLEWARE = [
        ("md5.example", "DigestAuthnMiddleware", "md5",
         'realm: example\nfileProvider:\n  paths: [users.list]'),
        ("sha256.example", "DigestAuthnMiddleware", "sha256",
         'realm: example\nalgorithm: SHA-256\nkeepCredentials: true\nfileProvider:\n  paths: [users.list]'),
        ("sha512.example", "DigestAuthnMiddleware", "sha512",
         'realm: example\nalgorithm: SHA-512-256\nfileProvider:\n  paths: [users.list]'),
        ("aes.example", "DigestAuthnMiddleware", "aes",
         'realm: example\ncommonKeyCryptType: AESCBC\ncryptSecret: "%s"\n'
         'fileProvider:\n  encoding: Base16\n  paths: [aes.list]' % base64.b64encode(AES_KEY).decode()),
    ]

    @classmethod
    def setUpClass(cls):
        cls.FILES = {"users.list": "Mufasa:Circle of Life\n", "aes.list": "Mufasa:%s\n" % aes_cbc_hex(b"Circle of Life")}
        super().setUpClass()

    def curl(self, host, user, password, path="/echo?x=1"):
        """curl --digest: an independent client answers the challenge. Returns (status, body)."""
        r = subprocess.run(["curl", "-s", "--digest", "-u", "%s:%s" % (user, password), "-H", "Host: " + host,
                            "-w", "\n%{http_code}", "http://127.0.0.1:%d%s" % (self.gw.port, path)],
                           capture_output=True, text=True, timeout=20)
        body, _, status = r.stdout.rpartition("\n")
        return int(status), body

    def test_the_challenge_names_realm_qop_algorithm_and_a_nonce(self):
        for host, alg in (("md5.example", "MD5"), ("sha256.example", "SHA-256"), ("sha512.example", "SHA-512-256")):
            r = self.send(host)
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.body, b"")
            self.assertRegex(r.header("WWW-Authenticate"),
                             r'^Digest realm="example", qop="auth", algorithm=%s, nonce="[A-Za-z0-9+/]{64}", '
                             r'charset=UTF-8$' % re.escape(alg))

    def test_curl_authenticates_with_md5_and_sha256(self):
        for host in ("md5.example", "sha256.example", "aes.example"):
            with self.subTest(host=host):
                status, body = self.curl(host, "Mufasa", "Circle of Life")
                self.assertEqual(status, 200, body)
                self.assertIn("Query  : x=1", body)
                self.assertEqual(self.curl(host, "Mufasa", "circle of life")[0], 401)

    def test_the_authorization_header_is_removed_unless_kept(self):
        self.assertNotIn("Authorization", self.curl("md5.example", "Mufasa", "Circle of Life")[1])
        self.assertIn("Authorization", self.curl("sha256.example", "Mufasa", "Circle of Life")[1])

    def digest_header(self, host, algorithm, hash_name, uri, password="Circle of Life"):
        challenge = self.send(host).header("WWW-Authenticate")
        nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)

        def H(s):
            return hashlib.new(hash_name, s.encode()).hexdigest()
        ha1, ha2 = H("Mufasa:example:" + password), H("GET:" + uri)
        response = H(":".join([ha1, nonce, "00000001", "0a4f113b", "auth", ha2]))
        return ('Digest username="Mufasa", realm="example", nonce="%s", uri="%s", algorithm=%s, qop=auth, '
                'nc=00000001, cnonce="0a4f113b", response="%s"' % (nonce, uri, algorithm, response))

    def test_sha512_256_digests_computed_by_hashlib_pass(self):
        auth = self.digest_header("sha512.example", "SHA-512-256", "sha512_256", "/echo")
        self.assertEqual(self.send("sha512.example", [("Authorization", auth)]).status, 200)
        bad = self.digest_header("sha512.example", "SHA-512-256", "sha512_256", "/echo", password="x")
        self.assertEqual(self.send("sha512.example", [("Authorization", bad)]).status, 401)

    def test_a_digest_for_another_uri_is_a_bad_request(self):
        auth = self.digest_header("md5.example", "MD5", "md5", "/elsewhere")
        r = self.send("md5.example", [("Authorization", auth)], target="/echo")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.body, b'{"status":400,"statusText":"Bad Request"}')

    def test_a_nonce_is_accepted_by_any_worker_and_more_than_once(self):
        auth = self.digest_header("md5.example", "MD5", "md5", "/echo")
        for _ in range(4):   # fresh connections: they may land on any worker
            self.assertEqual(self.send("md5.example", [("Authorization", auth)]).status, 200)


# -- Key and IDKey ----------------------------------------------------------------------------

API_KEY = "bd16d0c8-7bc0-4bf4-a0b0-bccaa3e2f072"
HMAC_SECRET = b"an hmac secret of the gateway"
FORBIDDEN = b'{"status":403,"statusText":"Forbidden"}'


class KeyAuthnTest(AuthnTestCase):
    MIDDLEWARE = [
        ("plain.example", "KeyAuthnMiddleware", "plain", 'fileProvider:\n  paths: [plain.list]'),
        ("hash.example", "KeyAuthnMiddleware", "hash",
         'hashAlg: SHA256\nfileProvider:\n  encoding: Base16\n  paths: [hash.list]'),
        ("hmac.example", "KeyAuthnMiddleware", "hmac",
         'hashAlg: SHA3_256\nhmacSecret: "%s"\nkeyHeaderName: Api-Token\nkeepCredentials: true\n'
         'fileProvider:\n  encoding: Base64\n  paths: [hmac.list]' % base64.b64encode(HMAC_SECRET).decode()),
        ("env.example", "KeyAuthnMiddleware", "env", 'envProvider:\n  keyPrefix: TEST_AUTHN_KEY_'),
        ("pages.example", "KeyAuthnMiddleware", "pages",
         'errorHandler: {apiVersion: core/v1, kind: ErrorHandler, name: keys}\nfileProvider:\n  paths: [plain.list]'),
    ]
    EXTRA_DOCS = ["""\
apiVersion: core/v1
kind: ErrorHandler
metadata:
  name: keys
spec:
  errorMessages:
    - messages: ["^no api key$"]
      mimeContents:
        - {mimeType: text/plain, template: "send an X-Api-Key header"}
"""]
    FILES = {
        "plain.list": "# key[:attributes]\n%s:{\"owner\": \"ci\"}\nsecond-key\n" % API_KEY,
        "hash.list": hashlib.sha256(API_KEY.encode()).hexdigest() + "\n",
        "hmac.list": base64.b64encode(hmac.new(HMAC_SECRET, API_KEY.encode(), "sha3_256").digest()).decode() + "\n",
    }
    ENV = {"TEST_AUTHN_KEY_ONE": "env-key-1", "TEST_AUTHN_KEY_TWO": "env-key-2"}

    def test_a_registered_key_passes_and_its_header_is_removed(self):
        r = self.send("plain.example", [("X-Api-Key", API_KEY)])
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("X-Api-Key", r.text())
        self.assertEqual(self.send("plain.example", [("X-Api-Key", "second-key")]).status, 200)

    def test_a_missing_or_unknown_key_is_403_with_the_error_body(self):
        for headers in ([], [("X-Api-Key", "nope")], [("X-Api-Key", API_KEY.upper())]):
            r = self.send("plain.example", headers)
            self.assertEqual(r.status, 403, r)
            self.assertEqual(r.body, FORBIDDEN)
            self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")

    def test_the_referenced_error_handler_answers_a_missing_key(self):
        r = self.send("pages.example")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.body, b"send an X-Api-Key header")
        r = self.send("pages.example", [("X-Api-Key", "unknown")])   # another message: the default body
        self.assertEqual(r.body, FORBIDDEN)

    def test_hashed_and_hmac_keys_match_the_key_the_client_sends(self):
        self.assertEqual(self.send("hash.example", [("X-Api-Key", API_KEY)]).status, 200)
        self.assertEqual(self.send("hash.example", [("X-Api-Key", self.FILES["hash.list"].strip())]).status, 403)
        r = self.send("hmac.example", [("Api-Token", API_KEY)])
        self.assertEqual(r.status, 200, r)
        self.assertIn("Api-Token", r.text())   # keepCredentials
        self.assertEqual(self.send("hmac.example", [("X-Api-Key", API_KEY)]).status, 403)

    def test_keys_from_every_variable_with_the_prefix(self):
        self.assertEqual(self.send("env.example", [("X-Api-Key", "env-key-1")]).status, 200)
        self.assertEqual(self.send("env.example", [("X-Api-Key", "env-key-2")]).status, 200)
        self.assertEqual(self.send("env.example", [("X-Api-Key", "env-key-3")]).status, 403)


class IDKeyAuthnTest(AuthnTestCase):
    MIDDLEWARE = [
        ("plain.example", "IDKeyAuthnMiddleware", "plain", 'fileProvider:\n  paths: [plain.list]'),
        ("sealed.example", "IDKeyAuthnMiddleware", "sealed",
         'hashAlg: SHA256\nhmacSecret: "%s"\ncommonKeyCryptType: AESCBC\ncryptSecret: "%s"\n'
         'fileProvider:\n  encoding: Base16\n  paths: [sealed.list]'
         % (base64.b64encode(HMAC_SECRET).decode(), base64.b64encode(AES_KEY).decode())),
        ("env.example", "IDKeyAuthnMiddleware", "env", '{}'),
    ]
    ENV = {"GATEWAY_APIKEY_ID_1": "svc", "GATEWAY_APIKEY_KEY_01": "svc-key"}

    @classmethod
    def setUpClass(cls):
        mac = hmac.new(HMAC_SECRET, API_KEY.encode(), "sha256").digest()
        cls.FILES = {"plain.list": "user0:%s:{\"plan\": \"gold\"}\nuser1:other-key\n" % API_KEY,
                     # AILERON's layout: Crypt(HMAC(key)), hex
                     "sealed.list": "user5:%s\n" % aes_cbc_hex(mac)}
        super().setUpClass()

    def test_an_id_with_its_key_passes_and_both_headers_are_removed(self):
        r = self.send("plain.example", [("X-Api-Id", "user0"), ("X-Api-Key", API_KEY)])
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("X-Api-Id", r.text())
        self.assertNotIn("X-Api-Key", r.text())

    def test_a_missing_header_an_unknown_id_or_another_ids_key_is_403(self):
        for headers in ([("X-Api-Key", API_KEY)], [("X-Api-Id", "user0")],
                        [("X-Api-Id", "user9"), ("X-Api-Key", API_KEY)],
                        [("X-Api-Id", "user1"), ("X-Api-Key", API_KEY)]):
            r = self.send("plain.example", headers)
            self.assertEqual(r.status, 403, (headers, r))
            self.assertEqual(r.body, FORBIDDEN)

    def test_an_encrypted_hmac_is_decrypted_at_load_and_matches_the_key(self):
        self.assertEqual(self.send("sealed.example", [("X-Api-Id", "user5"), ("X-Api-Key", API_KEY)]).status, 200)
        self.assertEqual(self.send("sealed.example", [("X-Api-Id", "user5"), ("X-Api-Key", "x")]).status, 403)

    def test_ids_and_keys_from_the_default_environment_variables(self):
        self.assertEqual(self.send("env.example", [("X-Api-Id", "svc"), ("X-Api-Key", "svc-key")]).status, 200)


# -- configuration errors ---------------------------------------------------------------------

class AuthnConfigErrorTest(unittest.TestCase):
    def check(self, kind, spec, files=None):
        config = gateway_config([("a.example", kind, "x", spec)]).replace("@PORT@", "18080")
        return run_cli(["--check", "-f", "config.yaml"], files=dict(files or {}, **{"config.yaml": config}))

    def assert_problem(self, r, kind, field, message):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        pattern = r"config\.yaml:\d+:\d+: app/v1/%s/default/x: %s: .*%s" % (kind, re.escape(field), re.escape(message))
        self.assertRegex(r.stderr, pattern)

    def test_a_missing_user_file_is_named_at_its_path(self):
        r = self.check("BasicAuthnMiddleware", "fileProvider:\n  paths: [missing.list]")
        self.assert_problem(r, "BasicAuthnMiddleware", "spec.fileProvider.paths[0]", '"missing.list" does not exist')

    def test_a_stored_value_that_is_no_hash_is_named_with_its_file_line(self):
        r = self.check("BasicAuthnMiddleware", "passwordCrypt:\n  bcrypt: {}\nfileProvider:\n  paths: [u.list]",
                       {"u.list": "# users\nalice:plain\n"})
        self.assert_problem(r, "BasicAuthnMiddleware", "spec.fileProvider.paths[0]",
                            'u.list:2: the password of user "alice" is not a bcrypt hash')

    def test_bad_hash_parameters_are_named_at_their_field(self):
        r = self.check("BasicAuthnMiddleware", "passwordCrypt:\n  scrypt: {n: 1000}")
        self.assert_problem(r, "BasicAuthnMiddleware", "spec.passwordCrypt.scrypt.n", "must be a power of 2")

    def test_digest_refuses_password_hashes(self):
        r = self.check("DigestAuthnMiddleware", "passwordCrypt:\n  bcrypt: {}")
        self.assert_problem(r, "DigestAuthnMiddleware", "spec.passwordCrypt", "cannot be used with Digest")

    def test_an_hmac_secret_without_a_hash_is_refused(self):
        r = self.check("KeyAuthnMiddleware", 'hmacSecret: "c2VjcmV0"')
        self.assert_problem(r, "KeyAuthnMiddleware", "spec.hashAlg", "is required with hmacSecret")

    def test_an_unknown_field_is_refused(self):
        r = self.check("IDKeyAuthnMiddleware", "keyLocation: query")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('unknown field "keyLocation"', r.stderr)

    def test_a_good_config_checks(self):
        r = self.check("KeyAuthnMiddleware", "fileProvider:\n  paths: [k.list]", {"k.list": "a-key\n"})
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
