"""The application logger: the built-in default (environment-configured) and core/v1 SLogger as
the Entrypoint's defaultLogger (spec §1.2 SLogger)."""

import json
import socket
import time
import unittest

from gateway import Gateway


def config(slogger_spec=None):
    logger_ref = "  defaultLogger: {apiVersion: core/v1, kind: SLogger}\n" if slogger_spec is not None else ""
    logger_doc = "---\napiVersion: core/v1\nkind: SLogger\nspec:\n" + slogger_spec if slogger_spec is not None else ""
    return """\
apiVersion: core/v1
kind: Entrypoint
spec:
%s  runners: [{apiVersion: core/v1, kind: HTTPServer}]
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:@PORT@"
  shutdownTimeout: 2
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: HealthCheckHandler}
---
apiVersion: app/v1
kind: HealthCheckHandler
%s""" % (logger_ref, logger_doc)


def wait_serving(port, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class DefaultLoggerTest(unittest.TestCase):
    def test_startup_and_shutdown_lines_are_json_records_with_datetime_and_location(self):
        gw = Gateway(config())
        gw.start()
        gw.stop()
        records = [json.loads(line) for line in gw.stdout.splitlines() if line.startswith("{")]
        msgs = [r["msg"] for r in records]
        self.assertIn("server started. listening on 127.0.0.1:%d" % gw.port, msgs)
        self.assertTrue(any(m.startswith("server shutting down 127.0.0.1:%d with graceful period 2 seconds." % gw.port)
                            for m in msgs), msgs)
        first = records[0]
        self.assertEqual(first["level"], "INFO")
        self.assertRegex(first["time"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertEqual(set(first["datetime"]), {"date", "time", "zone"})
        self.assertEqual(set(first["location"]), {"file", "func", "line"})

    def test_gateway_log_variables_drop_location_and_datetime(self):
        gw = Gateway(config(), env={"GATEWAY_LOG_LOCATION": "false", "GATEWAY_LOG_DATETIME": "false"})
        gw.start()
        gw.stop()
        records = [json.loads(line) for line in gw.stdout.splitlines() if line.startswith("{")]
        self.assertTrue(records)
        for r in records:
            self.assertNotIn("location", r)
            self.assertNotIn("datetime", r)

    def test_gateway_log_level_error_silences_info_lines(self):
        gw = Gateway(config(), env={"GATEWAY_LOG_LEVEL": "ERROR"}, wait_for=[])
        gw.start()
        self.assertTrue(wait_serving(gw.port))
        gw.stop()
        self.assertNotIn("server started", gw.stdout)


class SLoggerTest(unittest.TestCase):
    def test_an_unstructured_slogger_writes_text_lines(self):
        gw = Gateway(config("  unstructured: true\n"), wait_for=[])
        gw.start()
        self.assertTrue(wait_serving(gw.port))
        gw.stop()
        started = [l for l in gw.stdout.splitlines() if "server started" in l]
        self.assertEqual(len(started), 1, gw.stdout)
        self.assertRegex(started[0], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO server started\. listening on 127\.0\.0\.1:%d"
                         % gw.port)

    def test_an_slogger_at_warn_level_drops_info_records(self):
        gw = Gateway(config("  level: Warn\n"), wait_for=[])
        gw.start()
        self.assertTrue(wait_serving(gw.port))
        gw.stop()
        self.assertNotIn("server started", gw.stdout)

    def test_an_slogger_writing_to_stderr_leaves_stdout_empty(self):
        gw = Gateway(config("  logOutput: {outputTarget: Stderr}\n"), wait_for=[])
        gw.start()
        self.assertTrue(wait_serving(gw.port))
        gw.stop()
        self.assertEqual(gw.stdout.strip(), "")
        self.assertIn("server started. listening on 127.0.0.1:%d" % gw.port, gw.stderr)

    def test_file_output_is_refused_at_load_with_the_field_path(self):
        gw = Gateway(config("  logOutput: {outputTarget: File}\n"), wait_for=[])
        gw.start()
        self.assertEqual(gw.wait(), 1)
        self.assertIn("spec.logOutput.outputTarget", gw.stderr)


if __name__ == "__main__":
    unittest.main()
