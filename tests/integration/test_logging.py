"""The application logger: the built-in default (environment-configured) and core/v1 SLogger as
the Entrypoint's defaultLogger (spec §1.2 SLogger)."""

import gzip
import json
import os
import re
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

    def test_custom_time_layouts_and_zone_shape_time_and_datetime(self):
        gw = Gateway(config('  outputTimeFormat: "2006-01-02T15:04:05Z07:00"\n  dateFormat: "Jan 2 2006"\n'
                            '  timeFormat: "15h04m05.000000"\n  logOutput: {timeZone: UTC}\n'))
        gw.start()
        gw.stop()
        started = [json.loads(l) for l in gw.stdout.splitlines() if "server started" in l]
        self.assertEqual(len(started), 1, gw.stdout)
        r = started[0]
        self.assertRegex(r["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(r["datetime"]["date"], r"^[A-Z][a-z]{2} \d{1,2} \d{4}$")
        self.assertRegex(r["datetime"]["time"], r"^\d\dh\d\dm\d\d\.\d{6}$")
        self.assertEqual(r["datetime"]["zone"], "UTC")

    def test_the_zone_of_the_default_logger_is_local(self):
        gw = Gateway(config(""))
        gw.start()
        gw.stop()
        records = [json.loads(l) for l in gw.stdout.splitlines() if l.startswith("{")]
        self.assertTrue(records)
        self.assertEqual({r["datetime"]["zone"] for r in records}, {"Local"})

    def test_field_replacers_mask_strings_and_remove_fields_and_objects(self):
        gw = Gateway(config("  fieldReplacers:\n"
                            "    - field: msg\n"
                            "      replacer: {regexp: {pattern: \"127\\\\.0\\\\.0\\\\.1:[0-9]+\", replace: \"<addr>\"}}\n"
                            "    - field: server\n"
                            "    - field: location.func\n"
                            "    - field: datetime\n"), wait_for=[])
        gw.start()
        self.assertTrue(wait_serving(gw.port))
        gw.stop()
        records = [json.loads(l) for l in gw.stdout.splitlines() if l.startswith("{")]
        self.assertIn("server started. listening on <addr>", [r["msg"] for r in records], gw.stdout)
        for r in records:
            self.assertNotIn("server", r)
            self.assertNotIn("datetime", r)
            self.assertEqual(set(r["location"]), {"file", "line"})

    def test_a_field_replacer_with_a_bad_pattern_is_refused_at_load(self):
        gw = Gateway(config("  fieldReplacers:\n    - field: msg\n      replacer: {regexp: {pattern: \"(\"}}\n"),
                     wait_for=[])
        gw.start()
        self.addCleanup(gw.kill)
        self.assertEqual(gw.wait(), 1)
        self.assertIn("spec.fieldReplacers[0].replacer", gw.stderr)
        self.assertIn("invalid pattern", gw.stderr)


class FileOutputTest(unittest.TestCase):
    """logOutput.outputTarget: File, with AILERON's rotation settings (the files live in the
    gateway's temp dir, its working directory)."""

    def read_records(self, path):
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_records_go_to_the_file_in_log_dir_and_not_to_stdout(self):
        gw = Gateway(config("  logOutput:\n    outputTarget: File\n    logDir: logs\n    logFileName: gw.log\n"),
                     wait_for=[])
        gw.start()
        try:
            self.assertTrue(wait_serving(gw.port))
            self.assertEqual(gw.stop(), 0)
            self.assertEqual(gw.stdout.strip(), "")
            records = self.read_records(os.path.join(gw.dir, "logs", "gw.log"))
            started = [r for r in records if r["msg"] == "server started. listening on 127.0.0.1:%d" % gw.port]
            self.assertEqual(len(started), 1, records)
            self.assertEqual(started[0]["level"], "INFO")
            self.assertEqual(set(started[0]["datetime"]), {"date", "time", "zone"})
            self.assertIn("server stopped 127.0.0.1:%d" % gw.port, [r["msg"] for r in records])
        finally:
            gw.kill()

    def test_output_redirect_target_copies_file_records_to_stdout(self):
        gw = Gateway(config("  logOutput: {outputTarget: File, logDir: logs, outputRedirectTarget: Stdout}\n"))
        gw.start()
        try:
            self.assertEqual(gw.stop(), 0)
            records = self.read_records(os.path.join(gw.dir, "logs", "application.log"))
            on_stdout = [json.loads(l) for l in gw.stdout.splitlines() if l.startswith("{")]
            self.assertEqual(records, on_stdout)
            self.assertTrue(records)
        finally:
            gw.kill()

    def test_cron_rotation_archives_compressed_to_backup_dir_keeping_max_backup(self):
        # Rotate every second; keep two gzip archives in old/.
        gw = Gateway(config("  level: Debug\n"
                            "  logOutput:\n    outputTarget: File\n    logDir: logs\n    backupDir: old\n"
                            "    archivedFilePattern: app.%i.log\n    cron: \"* * * * * *\"\n"
                            "    compressLevel: 9\n    maxBackup: 2\n"), wait_for=[])
        gw.start()
        try:
            self.assertTrue(wait_serving(gw.port))
            old = os.path.join(gw.dir, "old")
            deadline = time.monotonic() + 8
            names = []
            while time.monotonic() < deadline:
                names = sorted(os.listdir(old)) if os.path.isdir(old) else []
                if len(names) == 2 and all(n.endswith(".log.gz") for n in names):
                    indexes = sorted(int(n.split(".")[1]) for n in names)
                    if indexes[0] >= 2:   # at least three rotations happened, the oldest went
                        break
                time.sleep(0.2)
            self.assertEqual(len(names), 2, names)
            self.assertTrue(all(re.fullmatch(r"app\.\d+\.log\.gz", n) for n in names), names)
            self.assertEqual(gw.stop(), 0)
            # Every record is in the live file or an archive, each a JSON line.
            lines = []
            for n in sorted(os.listdir(old)):
                with gzip.open(os.path.join(old, n), "rt", encoding="utf-8") as f:
                    lines += [json.loads(l) for l in f if l.strip()]
            lines += self.read_records(os.path.join(gw.dir, "logs", "application.log"))
            self.assertIn("server stopped 127.0.0.1:%d" % gw.port, [r["msg"] for r in lines])
        finally:
            gw.kill()

    def test_a_bad_cron_expression_is_refused_at_load_with_the_field_path(self):
        gw = Gateway(config("  logOutput: {outputTarget: File, cron: \"0 25 * * *\"}\n"), wait_for=[])
        gw.start()
        self.addCleanup(gw.kill)
        self.assertEqual(gw.wait(), 1)
        self.assertIn("spec.logOutput.cron", gw.stderr)
        self.assertIn("invalid hour", gw.stderr)

    def test_a_log_dir_that_cannot_be_created_is_reported_at_startup(self):
        gw = Gateway(config("  logOutput: {outputTarget: File, logDir: /proc/aileron-no-such-dir}\n"), wait_for=[])
        gw.start()
        self.addCleanup(gw.kill)
        self.assertEqual(gw.wait(), 1)
        self.assertIn("spec.logOutput", gw.stderr)
        self.assertIn("cannot create directory /proc/aileron-no-such-dir", gw.stderr)


NAMED = """\
apiVersion: core/v1
kind: Entrypoint
spec:
  runners: [{apiVersion: core/v1, kind: HTTPServer}]
  loggers: [{apiVersion: core/v1, kind: SLogger, name: files}]
---
apiVersion: core/v1
kind: HTTPServer
metadata:
  logger: core/v1/SLogger/default/files
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler: {apiVersion: app/v1, kind: HealthCheckHandler}
---
apiVersion: app/v1
kind: HealthCheckHandler
---
apiVersion: core/v1
kind: SLogger
metadata:
  name: files
spec:
  logOutput: {outputTarget: File, logDir: named}
"""


class NamedLoggerTest(unittest.TestCase):
    def test_metadata_logger_sends_a_resources_records_to_the_named_logger(self):
        gw = Gateway(NAMED, wait_for=[])
        gw.start()
        try:
            self.assertTrue(wait_serving(gw.port))
            self.assertEqual(gw.stop(), 0)
            with open(os.path.join(gw.dir, "named", "application.log"), encoding="utf-8") as f:
                msgs = [json.loads(l)["msg"] for l in f if l.strip()]
            self.assertIn("server started. listening on 127.0.0.1:%d" % gw.port, msgs)
            # The process's default logger (stdout) did not get the server's records.
            self.assertNotIn("server started", gw.stdout)
        finally:
            gw.kill()

    def test_metadata_logger_naming_a_logger_the_entrypoint_does_not_register_is_refused(self):
        gw = Gateway(NAMED.replace("  loggers: [{apiVersion: core/v1, kind: SLogger, name: files}]\n", ""),
                     wait_for=[])
        gw.start()
        self.addCleanup(gw.kill)
        self.assertEqual(gw.wait(), 1)
        self.assertIn("metadata.logger: core/v1/SLogger/default/files is not a logger the Entrypoint registers",
                      gw.stderr)


if __name__ == "__main__":
    unittest.main()
