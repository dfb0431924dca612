"""ReverseProxyHandler load balancing through the real binary (spec §4.1-§4.3): the hash
algorithms keep a key on one upstream and spread keys over all of them, and header, query and
path parameter matchers choose the load balancer."""

import json
import unittest

from gateway import Gateway, entrypoint, run_cli, stop_cleanly
from upstream import Upstream

PROXY = """\
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  patterns: ["/items/{id}", "/"]
  loadBalancers:
%(hashed)s
    - pathMatcher: {match: "/route", matchType: Exact, appendPrefix: "/headers"}
      headerMatchers: [{key: x-env, patterns: [prod]}]
      queryMatchers: [{key: v, patterns: ["^2$"], matchType: Regex}]
      upstreams: [{url: "%(a)s"}]
    - pathMatcher: {match: "/route", matchType: Exact, appendPrefix: "/headers"}
      headerMatchers: [{key: X-Env, patterns: [prod, "stage,canary"]}]
      upstreams: [{url: "%(b)s"}]
    - pathMatcher: {match: "/route", matchType: Exact, appendPrefix: "/headers"}
      queryMatchers: [{key: v, patterns: ["2"], matchType: Prefix}]
      upstreams: [{url: "%(c)s"}]
    - pathMatcher: {match: "/items/", matchType: Prefix, appendPrefix: "/headers"}
      pathParamMatchers: [{key: id, patterns: ["1*"], matchType: Path}]
      upstreams: [{url: "%(a)s"}]
    - pathMatcher: {match: "/", matchType: Prefix, appendPrefix: "/headers"}
      upstreams: [{url: "%(d)s"}]
"""

HASHED = """\
    - pathMatcher: {match: "/%(name)s", matchType: Prefix, appendPrefix: "/headers"}
      lbAlgorithm: %(algorithm)s
      hasher: {hashSource: Header, key: X-User}
      upstreams: [{url: "%(a)s"}, {url: "%(b)s"}, {url: "%(c)s", weight: 2}, {url: "%(d)s", weight: -1}]
"""

ALGORITHMS = {"ring": "RingHash", "maglev": "Maglev", "direct": "DirectHash"}

SERVER = """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: proxy
spec:
  addr: "127.0.0.1:@PORT@"
  workers: 2
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
"""


class ProxyBalancingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ups = {n: Upstream(n).start() for n in "abcd"}
        urls = {n: u.url for n, u in cls.ups.items()}
        hashed = "".join(HASHED % dict(urls, name=name, algorithm=algorithm) for name, algorithm in ALGORITHMS.items())
        cls.gw = Gateway(entrypoint("proxy") + SERVER + PROXY % dict(urls, hashed=hashed)).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw, *cls.ups.values())

    def upstream_of(self, path, headers=None):
        r = self.gw.request("GET", path, headers=headers)
        self.assertEqual(r.status, 200, r.body[:300])
        return json.loads(r.body)["name"]

    # -- hashing -------------------------------------------------------------------------------

    def test_a_header_key_sticks_to_one_upstream_and_keys_spread(self):
        for name in ALGORITHMS:
            with self.subTest(algorithm=ALGORITHMS[name]):
                chosen = {}
                for i in range(40):
                    user = "user-%d" % i
                    # Each request on a new connection: stickiness must not come from the connection.
                    seen = {self.upstream_of("/%s/%d" % (name, n), {"X-User": user}) for n in range(3)}
                    self.assertEqual(len(seen), 1, "%s went to %s" % (user, seen))
                    chosen[user] = seen.pop()
                used = set(chosen.values())
                self.assertEqual(used, {"a", "b", "c"}, "40 keys should reach every enabled upstream")
                self.assertNotIn("d", used)   # weight -1

    def test_requests_without_the_header_all_go_to_one_upstream(self):
        for name in ALGORITHMS:
            with self.subTest(algorithm=ALGORITHMS[name]):
                seen = {self.upstream_of("/%s" % name) for _ in range(10)}
                self.assertEqual(len(seen), 1, seen)
                # A missing header hashes like an empty one.
                self.assertEqual(self.upstream_of("/%s" % name, {"X-User": ""}), seen.pop())

    # -- matchers ------------------------------------------------------------------------------

    def test_header_and_query_matchers_choose_the_load_balancer(self):
        cases = [
            ({"X-Env": "prod"}, "/route?v=2", "a"),        # both matchers of the first LB
            ({"X-Env": "prod"}, "/route?v=3", "b"),        # query fails: the header-only LB
            ({"X-Env": "prod"}, "/route", "b"),            # missing query parameter: no match
            ({}, "/route?v=2", "c"),                       # missing header: no match
            ({"X-Env": "dev"}, "/route?v=2", "c"),
            ({"X-Env": "dev"}, "/route?v=21", "c"),        # Prefix
            ({"X-Env": "prod"}, "/route?v=%32", "a"),      # query values are decoded
            ({"X-Env": "PROD"}, "/route?v=2", "c"),        # values match case-sensitively
            ({}, "/route?v=12", "d"),                      # falls through to the catch-all
            ({"X-Env": "prod"}, "/route?v=1&v=2", "b"),    # joined "1,2" fails ^2$
        ]
        for headers, path, expected in cases:
            with self.subTest(headers=headers, path=path):
                self.assertEqual(self.upstream_of(path, headers), expected)

    def test_repeated_header_values_are_joined_with_commas(self):
        r = self.gw.exchange(b"GET /route HTTP/1.1\r\nHost: x\r\nX-Env: stage\r\nX-Env: canary\r\n"
                             b"Connection: close\r\n\r\n")
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(json.loads(r.body)["name"], "b")
        r = self.gw.exchange(b"GET /route HTTP/1.1\r\nHost: x\r\nX-Env: canary\r\nX-Env: stage\r\n"
                             b"Connection: close\r\n\r\n")
        self.assertEqual(json.loads(r.body)["name"], "d")

    def test_path_param_matchers_see_the_router_wildcard(self):
        self.assertEqual(self.upstream_of("/items/123"), "a")
        self.assertEqual(self.upstream_of("/items/23"), "d")

    def test_a_bad_matcher_pattern_is_a_config_error(self):
        config = entrypoint() + """\
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      lbAlgorithm: Maglev
      headerMatchers: [{key: X-Env, patterns: ["("], matchType: Regex}]
      upstreams: [{url: "http://127.0.0.1:1"}]
"""
        r = run_cli(["--check", "-f", "c.yaml"], files={"c.yaml": config})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("spec.loadBalancers[0].headerMatchers[0].patterns[0]", r.stderr)
        self.assertNotIn("lbAlgorithm", r.stderr)


if __name__ == "__main__":
    unittest.main()
