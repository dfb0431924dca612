"""The request smuggling and framing table shared by test_smuggling.py (the gateway alone) and
test_smuggling_grid.py (the gateway behind and in front of nginx and HAProxy).

Each `Case` is one payload class: the bytes a client sends on a fresh connection, how many
requests those bytes are by a strict reading of RFC 9112 (`sent`), and what the gateway alone
must do with them:

- `Reject(status)`: answer `status`, close the connection, forward nothing;
- `Forward(...)`: forward exactly the listed requests (each one canonical, with the given body),
  and answer each with the upstream's 200;
- `Forward(..., then=Reject(status))`: forward the listed requests, then reject what follows.

`hidden` names targets of requests that sit inside a body by every reading RFC 9112 allows: if
one of them reaches the upstream, some hop framed the message differently from the others (a
desync). The grid suite checks them through nginx and HAProxy as well.

Payload classes follow the published research (PortSwigger's desync papers, HTTP Garden's
findings, smuggler.py's mutation families); the bytes are written here, not copied.
"""

import re

HOST = b"Host: 127.0.0.1\r\n"


class Reject:
    def __init__(self, status):
        self.status = status

    def __repr__(self):
        return "Reject(%d)" % self.status


class Forward:
    """`requests` is a list of (method, path, body) the upstream must see, in order."""

    def __init__(self, *requests, then=None):
        self.requests = list(requests)
        self.then = then

    def __repr__(self):
        return "Forward(%r, then=%r)" % (self.requests, self.then)


class Case:
    def __init__(self, name, data, expect, sent=1, hidden=()):
        self.name = name
        self.data = data
        self.expect = expect
        self.sent = sent
        self.hidden = set(hidden)

    def __repr__(self):
        return "<Case %s>" % self.name


def post(fields=b"", body=b"", target=b"/s", version=b"HTTP/1.1", method=b"POST", host=HOST):
    """A request with the given raw field lines (each ending in CRLF) and raw body bytes."""
    return method + b" " + target + b" " + version + b"\r\n" + host + fields + b"\r\n" + body


def get(target=b"/next", version=b"HTTP/1.1"):
    return b"GET " + target + b" " + version + b"\r\n" + HOST + b"\r\n"


CHUNKED_HELLO = b"5\r\nhello\r\n0\r\n\r\n"
TE = b"Transfer-Encoding: "
CL = b"Content-Length: "
SMUGGLED = b"GET /smuggled HTTP/1.1\r\n" + HOST + b"\r\n"


def te_case(name, value, expect, body=CHUNKED_HELLO):
    return Case(name, post(TE + value + b"\r\n", body), expect)


def cl_te_hidden(name, te_line, expect=Reject(400)):
    """CL.TE with an invalid Transfer-Encoding line: by Content-Length (the only framing a hop
    may use once it ignores or rejects that line) the smuggled request is body. A hop that
    "repairs" the line to `chunked` sees it as a request of its own."""
    body = b"0\r\n\r\n" + SMUGGLED
    return Case("cl.te hidden by " + name, post(te_line + b"\r\n" + CL + b"%d\r\n" % len(body), body), expect,
                hidden={"/smuggled"})


def request_line_targets(data):
    """Targets of everything in `data` that looks like a request line at a line start: what a
    lenient reader (bare LF, extra spaces, HTTP/0.9) could take for a request of its own."""
    return {m.decode("latin-1") for m in re.findall(rb"(?:^|\n)[!-~]+[ \t]+(/\S*)", data)}


CASES = [
    # -- baselines: canonical messages go through whole -------------------------------------
    Case("get without body", get(b"/s"), Forward(("GET", "/s", b""))),
    Case("post with content-length", post(CL + b"5\r\n", b"hello"), Forward(("POST", "/s", b"hello"))),
    Case("post chunked", post(TE + b"chunked\r\n", CHUNKED_HELLO), Forward(("POST", "/s", b"hello"))),
    Case("post chunked in three chunks with a trailer",
         post(TE + b"chunked\r\n", b"2\r\nhe\r\n2\r\nll\r\n1\r\no\r\n0\r\nX-Trailer: t\r\n\r\n"),
         Forward(("POST", "/s", b"hello"))),
    Case("post with content-length zero", post(CL + b"0\r\n"), Forward(("POST", "/s", b""))),

    # -- CL and TE together (CL.TE / TE.CL) ---------------------------------------------------
    Case("cl then te", post(CL + b"6\r\n" + TE + b"chunked\r\n", b"0\r\n\r\nG"), Reject(400)),
    Case("te then cl", post(TE + b"chunked\r\n" + CL + b"4\r\n", b"5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n"),
         Reject(400)),
    # Transfer-Encoding overrides Content-Length (RFC 9112 6.3) for a hop that accepts both, so
    # the smuggled request may come out as a second one; the strict reading rejects the first.
    Case("cl.te with smuggled request in the chunked body",
         post(CL + b"%d\r\n" % (5 + len(SMUGGLED)) + TE + b"chunked\r\n", b"0\r\n\r\n" + SMUGGLED), Reject(400),
         sent=2),
    Case("te obfuscated by case with cl", post(TE.upper() + b"CHUNKED\r\n" + CL + b"3\r\n", b"0\r\n\r\n"),
         Reject(400)),
    Case("cl with te identity", post(CL + b"5\r\n" + TE + b"identity\r\n", b"hello"), Reject(400)),
    Case("cl with empty te", post(CL + b"5\r\n" + TE + b"\r\n", b"hello"), Reject(400)),

    # -- desync probes: a request hidden in a body must stay there ---------------------------
    Case("content-length body that looks like a request", post(CL + b"%d\r\n" % len(SMUGGLED), SMUGGLED),
         Forward(("POST", "/s", SMUGGLED)), hidden={"/smuggled"}),
    Case("chunk data that looks like a request",
         post(TE + b"chunked\r\n", b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n"),
         Forward(("POST", "/s", SMUGGLED)), hidden={"/smuggled"}),
    Case("te.cl: the smuggled request is chunk data by transfer-encoding",
         post(TE + b"chunked\r\n" + CL + b"4\r\n", b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n"),
         Reject(400), hidden={"/smuggled"}),
    Case("two content-lengths: the smuggled request is body by the larger",
         post(CL + b"5\r\n" + CL + b"%d\r\n" % (5 + len(SMUGGLED)), b"hello" + SMUGGLED), Reject(400),
         hidden={"/smuggled"}),
    Case("te xchunked with a request as its body", post(TE + b"xchunked\r\n", SMUGGLED), Reject(400),
         hidden={"/smuggled"}),
    Case("te identity with a request as its body", post(TE + b"identity\r\n", SMUGGLED), Reject(400),
         hidden={"/smuggled"}),
    cl_te_hidden("xchunked", TE + b"xchunked"),
    cl_te_hidden("chunked then identity", TE + b"chunked, identity"),
    cl_te_hidden("a space before the colon", b"Transfer-Encoding : chunked"),
    cl_te_hidden("a vertical tab after chunked", TE + b"chunked\x0b"),
    cl_te_hidden("a vertical tab before chunked", TE + b"\x0bchunked"),
    cl_te_hidden("a vertical tab in the name", b"Transfer-Encoding\x0b: chunked"),
    cl_te_hidden("a nul after chunked", TE + b"chunked\x00"),
    cl_te_hidden("obs-fold", b"X-Fold: a\r\n Transfer-Encoding: chunked"),
    cl_te_hidden("a quoted value", TE + b"\"chunked\""),
    cl_te_hidden("an underscore in the name", b"Transfer_Encoding: chunked",
                 Forward(("POST", "/s", b"0\r\n\r\n" + SMUGGLED))),

    # -- Content-Length: duplicate and malformed ---------------------------------------------
    Case("two equal content-lengths", post(CL + b"5\r\n" + CL + b"5\r\n", b"hello"),
         Forward(("POST", "/s", b"hello"))),
    Case("equal content-lengths in one list", post(CL + b"5, 5\r\n", b"hello"), Forward(("POST", "/s", b"hello"))),
    Case("two different content-lengths", post(CL + b"5\r\n" + CL + b"6\r\n", b"hello!"), Reject(400)),
    Case("different content-lengths in one list", post(CL + b"5, 6\r\n", b"hello!"), Reject(400)),
    Case("content-length with leading zeros", post(CL + b"005\r\n", b"hello"), Forward(("POST", "/s", b"hello"))),
    Case("negative content-length", post(CL + b"-5\r\n", b"hello"), Reject(400)),
    Case("content-length with plus sign", post(CL + b"+5\r\n", b"hello"), Reject(400)),
    Case("hex content-length", post(CL + b"0x5\r\n", b"hello"), Reject(400)),
    Case("content-length with exponent", post(CL + b"5e0\r\n", b"hello"), Reject(400)),
    Case("content-length with inner space", post(CL + b"5 5\r\n", b"hello"), Reject(400)),
    Case("content-length with underscore", post(CL + b"0_5\r\n", b"hello"), Reject(400)),
    Case("content-length with trailing garbage", post(CL + b"5x\r\n", b"hello"), Reject(400)),
    Case("empty content-length", post(CL + b"\r\n", b"hello"), Reject(400)),
    Case("content-length list with empty element", post(CL + b"5,\r\n", b"hello"), Reject(400)),
    Case("content-length that overflows 64 bits", post(CL + b"99999999999999999999999\r\n", b"hello"), Reject(400)),
    Case("content-length of 2^64 wrapping to 5", post(CL + b"18446744073709551621\r\n", b"hello"), Reject(400)),
    Case("content-length with vertical tab", post(CL + b"5\x0b\r\n", b"hello"), Reject(400)),
    Case("content-length with nul", post(CL + b"5\x00\r\n", b"hello"), Reject(400)),
    Case("content-length with form feed", post(CL + b"\x0c5\r\n", b"hello"), Reject(400)),

    # -- field syntax: whitespace before colon, obs-fold, bad names -------------------------
    Case("space before colon in content-length", post(b"Content-Length : 5\r\n", b"hello"), Reject(400)),
    Case("tab before colon in content-length", post(b"Content-Length\t: 5\r\n", b"hello"), Reject(400)),
    Case("space before colon in transfer-encoding", post(b"Transfer-Encoding : chunked\r\n", CHUNKED_HELLO),
         Reject(400)),
    Case("space before colon in another field", post(b"X-Test : 1\r\n"), Reject(400)),
    Case("field name with a space inside", post(b"X Test: 1\r\n"), Reject(400)),
    Case("field line starting with a space (first line)", post(b" X-Test: 1\r\n"), Reject(400)),
    Case("obs-fold continuing an ordinary field", post(b"X-Test: a\r\n b\r\n"), Reject(400)),
    Case("obs-fold with tab", post(b"X-Test: a\r\n\tb\r\n"), Reject(400)),
    Case("obs-fold hiding transfer-encoding", post(b"X-Test: a\r\n Transfer-Encoding: chunked\r\n" + CL + b"5\r\n",
                                                  b"hello"), Reject(400)),
    Case("transfer-encoding value folded onto the next line", post(TE + b"\r\n chunked\r\n", CHUNKED_HELLO),
         Reject(400)),
    Case("content-length value folded onto the next line", post(CL + b"\r\n 5\r\n", b"hello"), Reject(400)),
    Case("empty field name", post(b": value\r\n"), Reject(400)),
    Case("field name with a slash", post(b"X/Test: 1\r\n"), Reject(400)),
    Case("field name with non-ascii", post(b"X-T\xe9st: 1\r\n"), Reject(400)),

    # -- line endings -----------------------------------------------------------------------
    Case("bare lf after the request line", b"GET /s HTTP/1.1\n" + HOST + b"\r\n", Reject(400)),
    Case("bare lf after a field", b"GET /s HTTP/1.1\r\nHost: 127.0.0.1\n\r\n", Reject(400)),
    Case("bare lf ending the header section", b"GET /s HTTP/1.1\r\n" + HOST + b"\n" + SMUGGLED, Reject(400), sent=2),
    Case("lf-only request", b"GET /s HTTP/1.1\nHost: 127.0.0.1\n\n", Reject(400)),
    Case("bare cr inside a field value", post(b"X-Test: a\rb\r\n"), Reject(400)),
    Case("bare cr ending a field", b"GET /s HTTP/1.1\r\nHost: 127.0.0.1\rX-Test: 1\r\n\r\n", Reject(400)),
    Case("bare lf inside transfer-encoding", post(b"Transfer-Encoding: chunked\nX: 1\r\n", CHUNKED_HELLO),
         Reject(400)),

    # -- chunk sizes and extensions ---------------------------------------------------------
    Case("chunk size with 0x prefix", post(TE + b"chunked\r\n", b"0x5\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("negative chunk size", post(TE + b"chunked\r\n", b"-5\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("chunk size with plus sign", post(TE + b"chunked\r\n", b"+5\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("chunk size with leading space", post(TE + b"chunked\r\n", b" 5\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("chunk size with underscore", post(TE + b"chunked\r\n", b"0_5\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("chunk size that is not hex", post(TE + b"chunked\r\n", b"g\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("empty chunk size line", post(TE + b"chunked\r\n", b"\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("chunk size that overflows 64 bits",
         post(TE + b"chunked\r\n", b"10000000000000005\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("chunk size with leading zeros", post(TE + b"chunked\r\n", b"0005\r\nhello\r\n0\r\n\r\n"),
         Forward(("POST", "/s", b"hello"))),
    Case("upper-case hex chunk size", post(TE + b"chunked\r\n", b"A\r\nhellohello\r\n0\r\n\r\n"),
         Forward(("POST", "/s", b"hellohello"))),
    Case("chunk data longer than its size", post(TE + b"chunked\r\n", b"3\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("chunk data without crlf", post(TE + b"chunked\r\n", b"5\r\nhello0\r\n\r\n"), Reject(400)),
    Case("bare lf after chunk size", post(TE + b"chunked\r\n", b"5\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("bare lf after chunk data", post(TE + b"chunked\r\n", b"5\r\nhello\n0\r\n\r\n"), Reject(400)),
    Case("bare lf after the last chunk", post(TE + b"chunked\r\n", b"5\r\nhello\r\n0\n\r\n" + SMUGGLED), Reject(400),
         sent=2),
    Case("chunk extension", post(TE + b"chunked\r\n", b"5;name=value\r\nhello\r\n0\r\n\r\n"),
         Forward(("POST", "/s", b"hello"))),
    Case("quoted chunk extension", post(TE + b"chunked\r\n", b"5;name=\"a b\"\r\nhello\r\n0\r\n\r\n"),
         Forward(("POST", "/s", b"hello"))),
    Case("chunk extension without a name", post(TE + b"chunked\r\n", b"5;\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("cr inside a chunk extension", post(TE + b"chunked\r\n", b"5;a\rb\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("lf inside a chunk extension", post(TE + b"chunked\r\n", b"5;a\nb\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("nul inside a chunk extension", post(TE + b"chunked\r\n", b"5;a\x00\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("chunk size followed by a space and garbage", post(TE + b"chunked\r\n", b"5 x\r\nhello\r\n0\r\n\r\n"),
         Reject(400)),
    Case("last chunk with a bad trailer", post(TE + b"chunked\r\n", b"5\r\nhello\r\n0\r\nno colon\r\n\r\n"),
         Reject(400)),
    # Trailers are never forwarded (the gateway re-frames the body), so a folded one goes with them.
    Case("last chunk with an obs-folded trailer",
         post(TE + b"chunked\r\n", b"5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n"), Forward(("POST", "/s", b"hello"))),

    # -- Transfer-Encoding variants ---------------------------------------------------------
    te_case("te upper case", b"CHUNKED", Forward(("POST", "/s", b"hello"))),
    te_case("te mixed case", b"ChUnKeD", Forward(("POST", "/s", b"hello"))),
    te_case("te with trailing whitespace", b"chunked \t", Forward(("POST", "/s", b"hello"))),
    te_case("te with leading whitespace", b" \tchunked", Forward(("POST", "/s", b"hello"))),
    Case("te chunked twice in two fields", post(TE + b"chunked\r\n" + TE + b"chunked\r\n", CHUNKED_HELLO),
         Reject(400)),
    te_case("te chunked twice in one list", b"chunked, chunked", Reject(400)),
    te_case("te chunked then identity", b"chunked, identity", Reject(400)),
    Case("te identity field then chunked field", post(TE + b"identity\r\n" + TE + b"chunked\r\n", CHUNKED_HELLO),
         Reject(501)),
    Case("te chunked field then identity field", post(TE + b"chunked\r\n" + TE + b"identity\r\n", CHUNKED_HELLO),
         Reject(400)),
    te_case("te identity then chunked", b"identity, chunked", Reject(501)),
    te_case("te gzip then chunked", b"gzip, chunked", Reject(501)),
    te_case("te identity", b"identity", Reject(400)),
    te_case("te gzip alone", b"gzip", Reject(400)),
    te_case("te xchunked", b"xchunked", Reject(400)),
    te_case("te chunkedx", b"chunkedx", Reject(400)),
    te_case("te chunked with a parameter", b"chunked;q=1", Reject(400)),
    te_case("te quoted chunked", b"\"chunked\"", Reject(400)),
    te_case("te chunked with vertical tab after", b"chunked\x0b", Reject(400)),
    te_case("te chunked with vertical tab before", b"\x0bchunked", Reject(400)),
    te_case("te chunked with form feed", b"chunked\x0c", Reject(400)),
    te_case("te chunked with nul", b"chunked\x00", Reject(400)),
    te_case("te empty", b"", Reject(400)),
    te_case("te only a comma", b",", Reject(400)),
    te_case("te chunked with empty list elements", b", chunked,", Forward(("POST", "/s", b"hello"))),
    Case("te chunked on an http/1.0 request", post(TE + b"chunked\r\n", CHUNKED_HELLO, version=b"HTTP/1.0"),
         Reject(400)),
    Case("te chunked and cl on an http/1.0 request",
         post(TE + b"chunked\r\n" + CL + b"5\r\n", b"hello", version=b"HTTP/1.0"), Reject(400)),
    Case("te field name with a trailing space", post(b"Transfer-Encoding  : chunked\r\n", CHUNKED_HELLO),
         Reject(400)),
    Case("te field name with an underscore", post(b"Transfer_Encoding: chunked\r\n" + CL + b"5\r\n", b"hello"),
         Forward(("POST", "/s", b"hello"))),

    # -- HTTP/1.0 and request-line oddities -------------------------------------------------
    Case("http/1.0 post with content-length", post(CL + b"5\r\n", b"hello", version=b"HTTP/1.0"),
         Forward(("POST", "/s", b"hello"))),
    Case("http/1.0 without host", b"GET /s HTTP/1.0\r\n\r\n", Forward(("GET", "/s", b""))),
    Case("http/1.0 body without length then a second request is not read after close",
         post(b"", SMUGGLED, version=b"HTTP/1.0"), Forward(("POST", "/s", b"")), sent=2),
    Case("http/1.0 keep-alive pipelined", post(b"Connection: keep-alive\r\n", version=b"HTTP/1.0", method=b"GET")
         + get(b"/second", b"HTTP/1.0"), Forward(("GET", "/s", b""), ("GET", "/second", b"")), sent=2),
    Case("http/0.9 request line", b"GET /s\r\n\r\n", Reject(400)),
    Case("http/1.2", b"GET /s HTTP/1.2\r\n" + HOST + b"\r\n", Reject(505)),
    Case("http/2.0 in an http/1 request line", b"GET /s HTTP/2.0\r\n" + HOST + b"\r\n", Reject(505)),
    Case("lower-case version", b"GET /s http/1.1\r\n" + HOST + b"\r\n", Reject(400)),
    Case("two spaces after the method", b"GET  /s HTTP/1.1\r\n" + HOST + b"\r\n", Reject(400)),
    Case("tab between method and target", b"GET\t/s HTTP/1.1\r\n" + HOST + b"\r\n", Reject(400)),
    Case("space inside the target", b"GET /a b HTTP/1.1\r\n" + HOST + b"\r\n", Reject(400)),
    Case("trailing space after the version", b"GET /s HTTP/1.1 \r\n" + HOST + b"\r\n", Reject(400)),
    Case("leading empty line before the request", b"\r\n" + get(b"/s"), Reject(400)),
    Case("method with a slash", b"GE/T /s HTTP/1.1\r\n" + HOST + b"\r\n", Reject(400)),
    Case("missing host on http/1.1", b"GET /s HTTP/1.1\r\n\r\n", Reject(400)),
    Case("two hosts", b"GET /s HTTP/1.1\r\n" + HOST + HOST + b"\r\n", Reject(400)),
    Case("host with a space", b"GET /s HTTP/1.1\r\nHost: a b\r\n\r\n", Reject(400)),

    # -- NUL and control bytes --------------------------------------------------------------
    Case("nul in the target", b"GET /s\x00x HTTP/1.1\r\n" + HOST + b"\r\n", Reject(400)),
    Case("nul in the method", b"G\x00ET /s HTTP/1.1\r\n" + HOST + b"\r\n", Reject(400)),
    Case("nul in a field value", post(b"X-Test: a\x00b\r\n"), Reject(400)),
    Case("nul in a field name", post(b"X-T\x00est: 1\r\n"), Reject(400)),
    Case("del in a field value", post(b"X-Test: a\x7fb\r\n"), Reject(400)),
    Case("escape in a field value", post(b"X-Test: a\x1bb\r\n"), Reject(400)),
    Case("nul byte before the request", b"\x00" + get(b"/s"), Reject(400)),
    Case("del in the target", b"GET /s\x7f HTTP/1.1\r\n" + HOST + b"\r\n", Reject(400)),

    # -- pipelined leftovers ----------------------------------------------------------------
    Case("content-length shorter than the bytes sent: the rest is the next request",
         post(CL + b"5\r\n", b"hello" + SMUGGLED), Forward(("POST", "/s", b"hello"), ("GET", "/smuggled", b"")),
         sent=2),
    Case("bytes after the last chunk are the next request",
         post(TE + b"chunked\r\n", CHUNKED_HELLO + SMUGGLED),
         Forward(("POST", "/s", b"hello"), ("GET", "/smuggled", b"")), sent=2),
    Case("a valid request then a cl.te one", get(b"/s") + post(CL + b"6\r\n" + TE + b"chunked\r\n", b"0\r\n\r\nG"),
         Forward(("GET", "/s", b""), then=Reject(400)), sent=2),
    Case("a valid request then garbage", get(b"/s") + b"GPOST\x00 / HTTP/1.1\r\n\r\n",
         Forward(("GET", "/s", b""), then=Reject(400)), sent=2),
    Case("a valid request then a bare-lf request", get(b"/s") + b"GET /x HTTP/1.1\nHost: a\n\n",
         Forward(("GET", "/s", b""), then=Reject(400)), sent=2),
    Case("a request after an unsupported transfer-encoding is never read",
         post(TE + b"chunked, identity\r\n", b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED), Reject(400),
         hidden={"/smuggled"}),
    Case("three pipelined requests with bodies",
         post(CL + b"1\r\n", b"a") + post(TE + b"chunked\r\n", b"1\r\nb\r\n0\r\n\r\n") + post(CL + b"1\r\n", b"c"),
         Forward(("POST", "/s", b"a"), ("POST", "/s", b"b"), ("POST", "/s", b"c")), sent=3),

    # -- over-long lines --------------------------------------------------------------------
    Case("request target over the limit", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", Reject(414)),
    Case("one field over the limit", post(b"X-Long: " + b"a" * 20000 + b"\r\n"), Reject(431)),
    Case("many fields over the limit", post(b"".join(b"X-F%d: %s\r\n" % (i, b"v" * 60) for i in range(400))),
         Reject(431)),
    Case("method over the limit", b"A" * 20000 + b" /s HTTP/1.1\r\n" + HOST + b"\r\n", Reject(414)),
    Case("chunk size line with thousands of leading zeros",
         post(TE + b"chunked\r\n", b"0" * 5000 + b"5\r\nhello\r\n0\r\n\r\n"), Forward(("POST", "/s", b"hello"))),
    Case("chunk size line over the limit",
         post(TE + b"chunked\r\n", b"0" * 20000 + b"5\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("chunk extension over the limit",
         post(TE + b"chunked\r\n", b"5;x=" + b"a" * 20000 + b"\r\nhello\r\n0\r\n\r\n"), Reject(400)),
    Case("trailer section over the limit",
         post(TE + b"chunked\r\n", b"5\r\nhello\r\n0\r\nX-T: " + b"a" * 20000 + b"\r\n\r\n"), Reject(400)),
]
