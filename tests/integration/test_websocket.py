"""WebSocket through the proxy with a real WebSocket implementation on both ends (Debian's
python3-websockets, asyncio API): the upgrade becomes a tunnel that carries text, binary, ping
and close frames both ways, and outlives the server's read, write and idle timeouts while quiet."""

import asyncio
import unittest

import websockets

from gateway import Gateway, entrypoint, free_port, stop_cleanly

CONFIG = entrypoint("gw") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata: {name: gw}
spec:
  addr: "127.0.0.1:@PORT@"
  httpConfig: {readTimeout: 1, writeTimeout: 1, idleTimeout: 1}
  virtualHosts:
    - handlers:
        - handler: {apiVersion: core/v1, kind: ReverseProxyHandler}
---
apiVersion: core/v1
kind: ReverseProxyHandler
spec:
  loadBalancers:
    - pathMatcher: {match: "/", matchType: Prefix}
      upstreams: [{url: "http://127.0.0.1:%d"}]
"""


async def echo(ws, path=None):
    """The upstream: echoes every message, prefixed with the path it was reached on."""
    async for message in ws:
        if isinstance(message, bytes):
            await ws.send(message[::-1])
        else:
            await ws.send("%s %s" % (ws.path, message))


class WebSocketTest(unittest.TestCase):
    def run_async(self, coro):
        return asyncio.run(asyncio.wait_for(coro, 30))

    def setUp(self):
        self.ws_port = free_port()
        self.gw = Gateway(CONFIG % self.ws_port)
        self.gw.start()

    def tearDown(self):
        stop_cleanly(self.gw)

    def test_messages_of_every_kind_cross_the_tunnel_both_ways(self):
        async def scenario():
            async with websockets.serve(echo, "127.0.0.1", self.ws_port):
                async with websockets.connect("ws://127.0.0.1:%d/chat?room=1" % self.gw.port) as ws:
                    await ws.send("hello")
                    self.assertEqual(await ws.recv(), "/chat?room=1 hello")
                    await ws.send(b"\x00\x01\x02\xff")
                    self.assertEqual(await ws.recv(), b"\xff\x02\x01\x00")
                    big = "x" * 300_000
                    await ws.send(big)
                    self.assertEqual(await ws.recv(), "/chat?room=1 " + big)
                    pong = await ws.ping(b"are you there")
                    await asyncio.wait_for(pong, 5)
                    await ws.close(code=4001, reason="done")
                    self.assertEqual(ws.close_code, 4001)
        self.run_async(scenario())

    def test_a_quiet_tunnel_outlives_the_server_timeouts(self):
        async def scenario():
            async with websockets.serve(echo, "127.0.0.1", self.ws_port, ping_interval=None):
                async with websockets.connect("ws://127.0.0.1:%d/quiet" % self.gw.port, ping_interval=None) as ws:
                    await ws.send("before")
                    self.assertEqual(await ws.recv(), "/quiet before")
                    await asyncio.sleep(3.5)   # read, write and idle timeouts are 1 s each
                    await ws.send("after")
                    self.assertEqual(await ws.recv(), "/quiet after")
        self.run_async(scenario())

    def test_the_upstream_closing_ends_the_client_side(self):
        async def closer(ws, path=None):
            await ws.close(code=1001, reason="going away")

        async def scenario():
            async with websockets.serve(closer, "127.0.0.1", self.ws_port):
                async with websockets.connect("ws://127.0.0.1:%d/" % self.gw.port) as ws:
                    with self.assertRaises(websockets.ConnectionClosed):
                        await ws.recv()
                    self.assertEqual(ws.close_code, 1001)
        self.run_async(scenario())


if __name__ == "__main__":
    unittest.main()
