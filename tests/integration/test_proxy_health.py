"""Upstream health checks of ReverseProxyHandler (our own design; AILERON only declares the
fields): a refused upstream next to a live one, with passive ejection and with active probes."""

import time
import unittest

from gateway import Gateway, entrypoint, free_port, stop_cleanly
from upstream import Upstream

CONFIG = entrypoint("proxy") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: proxy
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "^/passive(/.*)$", matchType: Regex, rewrite: "$1"}
      upstreams:
        - {url: "%(dead)s", enablePassive: true, healthCheckInterval: 60}
        - {url: "%(live)s", enablePassive: true, healthCheckInterval: 60}
    - pathMatcher: {match: "^/retry(/.*)$", matchType: Regex, rewrite: "$1"}
      upstreams:
        - {url: "%(dead)s", enablePassive: true, healthCheckInterval: 1}
        - {url: "%(live)s"}
    - pathMatcher: {match: "^/active(/.*)$", matchType: Regex, rewrite: "$1"}
      lbAlgorithm: RingHash
      hasher: {hashSource: Header, key: X-Key}
      upstreams:
        - {url: "%(dead)s", enableActive: true, healthCheckInterval: 1, healthCheckAddr: "%(dead)s/size/1"}
        - {url: "%(live)s", enableActive: true, healthCheckInterval: 1, healthCheckAddr: "%(live)s/size/1"}
"""


class ProxyHealthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.live = Upstream("live").start()
        dead = "http://127.0.0.1:%d" % free_port()
        cls.gw = Gateway(CONFIG % {"dead": dead, "live": cls.live.url}).start()

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.gw, cls.live)

    def statuses(self, path, n, headers=None):
        return [self.gw.request("GET", path, headers=headers).status for _ in range(n)]

    def test_passive_ejects_the_refused_upstream(self):
        first = self.statuses("/passive/size/3", 10)
        self.assertTrue(set(first) <= {200, 502}, first)
        self.assertLessEqual(first.count(502), 3, first)   # ejected after 3 failures in a row
        self.assertEqual(self.statuses("/passive/size/3", 30), [200] * 30)

    def test_passive_retries_after_the_interval(self):
        first = self.statuses("/retry/size/3", 10)
        self.assertLessEqual(first.count(502), 3, first)
        self.assertEqual(self.statuses("/retry/size/3", 10), [200] * 10)
        time.sleep(1.2)
        # Half-open: one request is let through to the dead upstream, then it is ejected again.
        again = self.statuses("/retry/size/3", 20)
        self.assertLessEqual(again.count(502), 1, again)
        self.assertEqual(again[-10:], [200] * 10)

    def test_active_skips_the_refused_upstream_from_the_start(self):
        time.sleep(0.5)   # the first probe runs at start (initialDelay 0); a refused port fails at once
        for key in range(40):
            self.assertEqual(self.statuses("/active/size/3", 1, headers={"X-Key": "k%d" % key}), [200])


if __name__ == "__main__":
    unittest.main()
