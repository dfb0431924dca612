"""Process lifecycle: several servers, graceful drain on SIGTERM, a second signal, bind errors,
no runners, the startup log (spec §3.1)."""

import json
import signal
import socket
import time
import unittest

from gateway import Gateway, entrypoint, free_port, request_bytes, run_cli


def server(name, port, handlers, extra=""):
    refs = "".join("        - handler: {apiVersion: app/v1, kind: %s}\n" % k for k in handlers)
    return """\
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: %s
spec:
  addr: "127.0.0.1:%s"
%s  virtualHosts:
    - handlers:
%s""" % (name, port, extra, refs)


HANDLERS = """\
apiVersion: app/v1
kind: EchoHandler
spec:
  patterns: ["/echo"]
---
apiVersion: app/v1
kind: HealthCheckHandler
spec:
  patterns: ["/healthz"]
"""


def config(*servers):
    return "---\n".join([entrypoint(*[s[0] for s in servers])] + [s[1] for s in servers] + [HANDLERS])


ONE_SERVER = config(("main", server("main", "@PORT@", ["EchoHandler", "HealthCheckHandler"])))


class LifecycleTest(unittest.TestCase):
    def start(self, config=ONE_SERVER, ports=1):
        gw = Gateway(config, ports=ports)
        self.addCleanup(gw.kill)
        return gw.start()

    def assert_exits(self, gw, code, within):
        start = time.monotonic()
        got = gw.wait(timeout=within)
        self.assertEqual(got, code, "exit code after %.1f s\n%s" % (time.monotonic() - start, gw.output()))

    def start_slow_upload(self, gw, total):
        """A POST to the echo whose body has only begun to arrive; returns (connection, sent).

        The request asks for 100 Continue, which the server sends when the handler starts
        reading the body: once it is here, the request is surely in flight (no sleep needed).
        """
        c = gw.connect()
        self.addCleanup(c.close)
        c.send(request_bytes("POST", "/echo", [("Content-Length", str(total)), ("Expect", "100-continue")]))
        self.assertEqual(c.read_response().status, 100)
        c.send(b"x" * 10)
        return c, 10

    def test_two_servers_in_one_process_both_answer_on_their_own_ports(self):
        gw = self.start(config(("a", server("a", "@PORT@", ["EchoHandler"])),
                               ("b", server("b", "@PORT2@", ["HealthCheckHandler"]))), ports=2)
        self.assertEqual(gw.request("GET", "/echo", port=gw.ports[0]).status, 200)
        self.assertEqual(gw.request("GET", "/healthz", port=gw.ports[1]).body, b"{}")
        # Each server has its own routes.
        self.assertEqual(gw.request("GET", "/healthz", port=gw.ports[0]).status, 404)
        self.assertEqual(gw.request("GET", "/echo", port=gw.ports[1]).status, 404)
        self.assertEqual(gw.stop(), 0, gw.output())
        for port in gw.ports:
            self.assertIn("server stopped 127.0.0.1:%d" % port, gw.stdout)

    def test_sigterm_lets_an_in_flight_request_complete_and_exits_0(self):
        gw = self.start()
        total = 30_000
        c, sent = self.start_slow_upload(gw, total)
        gw.send_signal(signal.SIGTERM)
        # Trickle the rest of the body over about a second while the server drains.
        pieces = 10
        for i in range(pieces):
            time.sleep(0.1)
            self.assertTrue(gw.running(), "exited with a request in flight\n" + gw.output())
            n = (total - sent) // (pieces - i)
            c.send(b"y" * n)
            sent += n
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertIn(b"x" * 10 + b"y" * (total - 10), r.body)
        self.assertEqual(r.header("Connection"), "close")   # no keep-alive while draining
        self.assert_exits(gw, 0, within=5)
        self.assertIn("server shutting down 127.0.0.1:%d with graceful period 30 seconds." % gw.port, gw.stdout)

    def test_after_sigterm_new_connections_are_refused(self):
        gw = self.start()
        c, _ = self.start_slow_upload(gw, 100)   # keeps the process alive while draining
        gw.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 3
        refused = False
        while time.monotonic() < deadline and not refused:
            try:
                socket.create_connection(("127.0.0.1", gw.port), timeout=1).close()
                time.sleep(0.05)
            except ConnectionRefusedError:
                refused = True
        self.assertTrue(refused, "still accepting 3 s after SIGTERM")
        c.send(b"z" * 90)
        self.assertEqual(c.read_response().status, 200)
        self.assert_exits(gw, 0, within=5)

    def test_idle_keep_alive_connections_are_closed_at_drain(self):
        gw = self.start()
        used = gw.connect()
        self.addCleanup(used.close)
        used.send(request_bytes("GET", "/healthz"))
        self.assertEqual(used.read_response().status, 200)
        fresh = gw.connect()   # connected, nothing sent yet
        self.addCleanup(fresh.close)
        time.sleep(0.1)
        start = time.monotonic()
        gw.send_signal(signal.SIGTERM)
        self.assertTrue(used.closed_by_peer(within=3), "idle keep-alive connection left open at drain")
        self.assertTrue(fresh.closed_by_peer(within=3), "connection without a request left open at drain")
        self.assert_exits(gw, 0, within=3)
        self.assertLess(time.monotonic() - start, 3, "drain waited for idle connections")

    def test_a_request_outliving_shutdown_timeout_is_cut_and_the_process_exits_0(self):
        gw = self.start(config(("main", server("main", "@PORT@", ["EchoHandler"], extra="  shutdownTimeout: 1\n"))))
        c, _ = self.start_slow_upload(gw, 1000)   # never finished
        start = time.monotonic()
        gw.send_signal(signal.SIGTERM)
        self.assertTrue(c.closed_by_peer(within=4), "the stalled request was not cut after shutdownTimeout")
        self.assert_exits(gw, 0, within=4)
        self.assertGreater(time.monotonic() - start, 0.8, "cut before shutdownTimeout (1 s)")

    def test_a_second_sigint_during_drain_exits_at_once_with_130(self):
        gw = self.start()
        self.start_slow_upload(gw, 1000)
        gw.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        self.assertTrue(gw.running())
        gw.send_signal(signal.SIGINT)
        self.assert_exits(gw, 128 + signal.SIGINT, within=2)

    def test_a_second_sigterm_during_drain_exits_at_once_with_143(self):
        gw = self.start()
        self.start_slow_upload(gw, 1000)
        gw.send_signal(signal.SIGINT)
        time.sleep(0.3)
        self.assertTrue(gw.running())
        gw.send_signal(signal.SIGTERM)
        self.assert_exits(gw, 128 + signal.SIGTERM, within=2)

    def test_sigint_alone_drains_like_sigterm(self):
        gw = self.start()
        self.assertEqual(gw.stop(signal.SIGINT), 0, gw.output())

    def test_a_port_already_in_use_fails_startup_with_exit_1_before_serving(self):
        with socket.socket() as held:
            held.bind(("127.0.0.1", 0))
            held.listen()
            busy = held.getsockname()[1]
            free = free_port()
            conf = config(("a", server("a", free, ["EchoHandler"])), ("b", server("b", busy, ["EchoHandler"])))
            r = run_cli(["-f", "c.yaml"], files={"c.yaml": conf}, timeout=10)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("Address already in use", r.stdout + r.stderr)
        self.assertIn("127.0.0.1:%d" % busy, r.stdout + r.stderr, "the error does not say which address")
        # No server started serving: not even the one whose port was free.
        self.assertNotIn("server started", r.stdout)

    def test_an_entrypoint_without_runners_exits_0_at_once(self):
        for ep in (entrypoint(), "apiVersion: core/v1\nkind: Entrypoint\n"):
            with self.subTest(entrypoint=ep):
                start = time.monotonic()
                r = run_cli(["-f", "c.yaml"], files={"c.yaml": ep + "---\n" + HANDLERS}, timeout=10)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertLess(time.monotonic() - start, 5)

    def test_the_startup_log_line_is_json_on_stdout(self):
        gw = self.start()
        records = [json.loads(line) for line in gw.stdout.splitlines() if line.strip()]
        started = [r for r in records if r.get("msg") == "server started. listening on 127.0.0.1:%d" % gw.port]
        self.assertEqual(len(started), 1, gw.stdout)
        self.assertEqual(started[0]["level"], "INFO")
        self.assertEqual(started[0]["server"], "core/v1/HTTPServer/default/main")
        self.assertRegex(started[0]["time"], r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
        self.assertNotIn("server started", gw.stderr)
        self.assertEqual(gw.stop(), 0, gw.output())
        for line in gw.stdout.splitlines():   # the shutdown records are JSON lines too
            json.loads(line)


if __name__ == "__main__":
    unittest.main()


class ConnectionLimitTest(unittest.TestCase):
    CONFIG = entrypoint("limited") + """\
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  name: limited
spec:
  addr: "127.0.0.1:@PORT@"
  workers: 1
  httpConfig:
    listenConfig:
      connectionLimit: 1
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: HealthCheckHandler}
---
apiVersion: app/v1
kind: HealthCheckHandler
"""

    def test_at_the_connection_limit_a_new_client_waits_until_a_connection_closes(self):
        gw = Gateway(self.CONFIG)
        gw.start()
        try:
            time.sleep(0.2)   # let the start-up probe connection go
            first = gw.connect()
            first.send(request_bytes("GET", "/"))
            self.assertEqual(first.read_response().status, 200)
            second = gw.connect()   # the kernel queues it; the server does not accept it yet
            second.send(request_bytes("GET", "/"))
            second.sock.settimeout(0.5)
            with self.assertRaises(socket.timeout):
                second.sock.recv(1)
            first.close()
            second.sock.settimeout(5)
            self.assertEqual(second.read_response().status, 200)
            second.close()
        finally:
            self.assertEqual(gw.stop(), 0, gw.output())
