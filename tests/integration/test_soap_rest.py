"""app/v1 SOAPRESTMiddleware through the real binary (spec §1.3): SOAP 1.1 and 1.2 requests are
converted to JSON for a REST service behind a ReverseProxyHandler, its JSON answers back to
SOAP XML; non-SOAP requests, bad XML and non-JSON answers get AILERON's statuses.
"""

import http.server
import json
import threading
import unittest

from gateway import Gateway, entrypoint, request_bytes, run_cli, stop_cleanly


class JSONService:
    """A REST service on loopback. POST /echo answers the JSON it got (with the SOAP headers it
    saw under "seen"); /text answers text/plain; /status/N answers N with a JSON body."""

    def __init__(self):
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                service.requests.append({"headers": dict(self.headers.items()), "body": body})
                if self.path == "/text":
                    return self.send(200, b"plain", "text/plain")
                if self.path.startswith("/status/"):
                    return self.send(int(self.path.split("/")[2]), b'{"Fault":{"Reason":"no such item"}}',
                                     "application/json; charset=utf-8")
                answer = json.loads(body)
                answer_body = json.dumps({"Response": {"seen": {
                    "action": self.headers.get("X-SOAP-Action"),
                    "type": self.headers.get("X-Content-Type"),
                    "accept": self.headers.get("Accept"),
                }, "echo": answer}}).encode()
                self.send(200, answer_body, "application/json")

            def send(self, status, body, ctype):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Service", "rest")
                self.end_headers()
                self.wfile.write(body)

        self.requests = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


SERVER = """\
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: s
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - hosts: ["simple.example"]
      middleware:
        - {apiVersion: app/v1, kind: SOAPRESTMiddleware, name: simple}
      handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
    - hosts: ["badger.example"]
      middleware:
        - {apiVersion: app/v1, kind: SOAPRESTMiddleware, name: badger}
      handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "%s"}]
---
apiVersion: app/v1
kind: SOAPRESTMiddleware
metadata:
  name: simple
spec:
  simple:
    trimSpace: true
    preferShort: true
---
apiVersion: app/v1
kind: SOAPRESTMiddleware
metadata:
  name: badger
spec:
  badgerfish: {}
"""

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">
  <soap:Body>
    <m:GetPrice xmlns:m="https://example.org/stock">
      <m:Item>  Apple </m:Item>
      <m:Item>Pear</m:Item>
    </m:GetPrice>
  </soap:Body>
</soap:Envelope>
"""


class SOAPRESTTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.service = JSONService().start()
        cls.gw = Gateway("---\n".join([entrypoint("s"), SERVER % cls.service.url])).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw, cls.service)

    def post(self, host, path, headers, body):
        return self.gw.exchange(request_bytes("POST", path, headers, body, host=host))

    def test_a_soap12_request_reaches_the_service_as_json_and_returns_as_soap(self):
        r = self.post("simple.example", "/echo",
                      [("Content-Type", 'application/soap+xml; charset=utf-8; action="urn:GetPrice"'),
                       ("Accept", "application/soap+xml")], ENVELOPE)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/soap+xml; charset=utf-8")
        self.assertEqual(r.header("X-Service"), "rest")
        sent = self.service.requests[-1]
        self.assertEqual(sent["headers"]["Content-Type"], "application/json")
        self.assertEqual(json.loads(sent["body"]), {"soap:Envelope": {
            "@xmlns:soap": "http://www.w3.org/2003/05/soap-envelope",
            "soap:Body": {"m:GetPrice": {"@xmlns:m": "https://example.org/stock", "m:Item": ["Apple", "Pear"]}}}})
        self.assertEqual(r.text(), """<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <seen>
    <action>urn:GetPrice</action>
    <type>application/soap+xml</type>
    <accept>application/json</accept>
  </seen>
  <echo>
    <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">
      <soap:Body>
        <m:GetPrice xmlns:m="https://example.org/stock">
          <m:Item>Apple</m:Item>
          <m:Item>Pear</m:Item>
        </m:GetPrice>
      </soap:Body>
    </soap:Envelope>
  </echo>
</Response>""")

    def test_a_soap11_request_carries_its_soapaction(self):
        r = self.post("simple.example", "/echo", [("Content-Type", "text/xml; charset=utf-8"),
                                                  ("SOAPAction", '"urn:Legacy"')], "<Ping>1</Ping>")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "text/xml; charset=utf-8")
        self.assertIn("<action>&#34;urn:Legacy&#34;</action>", r.text())
        self.assertIn("<type>text/xml</type>", r.text())
        self.assertIn("<Ping>1</Ping>", r.text())

    def test_badgerfish_keeps_namespaces_under_xmlns(self):
        r = self.post("badger.example", "/echo", [("Content-Type", "application/soap+xml")],
                      '<a xmlns="urn:d" xmlns:p="urn:p"><p:b>x</p:b><c/></a>')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(json.loads(self.service.requests[-1]["body"]),
                         {"a": {"@xmlns": {"$": "urn:d", "p": "urn:p"}, "p:b": {"$": "x"}, "c": {}}})
        self.assertIn('<a xmlns="urn:d" xmlns:p="urn:p">', r.text())

    def test_the_service_status_is_kept(self):
        r = self.post("simple.example", "/status/404", [("Content-Type", "application/soap+xml")], "<a/>")
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.text(), '<?xml version="1.0" encoding="UTF-8"?>\n<Fault>\n  <Reason>no such item</Reason>\n'
                                   '</Fault>')

    def test_requests_that_are_not_soap_are_403(self):
        for headers in ([("Content-Type", "text/xml")], [("Content-Type", "application/json")], []):
            r = self.post("simple.example", "/echo", headers, "<a/>")
            self.assertEqual(r.status, 403, (headers, r))
            self.assertEqual(r.body, b'{"status":403,"statusText":"Forbidden"}')

    def test_malformed_xml_is_400(self):
        for body in ("<a><b></a>", "<!DOCTYPE a><a/>", ""):
            r = self.post("simple.example", "/echo", [("Content-Type", "application/soap+xml"),
                                                      ("Accept", "text/xml")], body)
            self.assertEqual(r.status, 400, (body, r))
            self.assertIn("<status>400</status>", r.text())

    def test_an_answer_that_is_not_json_is_500(self):
        r = self.post("simple.example", "/text", [("Content-Type", "application/soap+xml")], "<a/>")
        self.assertEqual(r.status, 500, r)
        self.assertEqual(r.body, b'{"status":500,"statusText":"Internal Server Error"}')


class ConfigTest(unittest.TestCase):
    def test_two_conventions_are_rejected(self):
        config = "---\n".join([entrypoint(), "apiVersion: app/v1\nkind: SOAPRESTMiddleware\nspec:\n"
                                             "  simple: {}\n  rayfish: {nameKey: n}\n"])
        p = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("c.yaml:9:3: app/v1/SOAPRESTMiddleware/default/default: spec: only one of simple, rayfish "
                      "or badgerfish may be given", p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main()
