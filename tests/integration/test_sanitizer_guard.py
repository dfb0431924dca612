"""The sanitizer guard of gateway.py: under scripts/test-sanitized.sh the aileron binary runs with
options that stop it at the first ASan/UBSan/LSan report, and a report on its stderr must fail
the test that started it, whatever the exit code. These tests run a stand-in binary that writes
such reports, so they prove the guard in every build, sanitized or not."""

import os
import stat
import tempfile
import textwrap
import time
import unittest

import gateway
from gateway import Gateway, run_cli, sanitizer_report

ASAN = textwrap.dedent("""\
    =================================================================
    ==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x55d5 bp 0x7ff sp 0x7ff
    READ of size 4 at 0x602000000010 thread T1
        #0 0x55d5 in aileron::server::http_server::impl::serve src/aileron/server/http_server.cpp:512:9
    SUMMARY: AddressSanitizer: heap-use-after-free src/aileron/server/http_server.cpp:512:9 in serve
    """)
UBSAN = ("/work/main/src/aileron/core/url.cpp:27:41: runtime error: signed integer overflow: "
         "2147483647 + 1 cannot be represented in type 'int'\n"
         "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior src/aileron/core/url.cpp:27:41 in \n")
LSAN = textwrap.dedent("""\
    ==77==ERROR: LeakSanitizer: detected memory leaks

    Direct leak of 64 byte(s) in 1 object(s) allocated from:
        #0 0x4a in operator new(unsigned long)
    SUMMARY: AddressSanitizer: 64 byte(s) leaked in 1 allocation(s).
    """)
ORDINARY = textwrap.dedent("""\
    {"time":"2026-11-27 10:00:00","level":"ERROR","msg":"handler: runtime error: upstream closed","error":"SUMMARY: none"}
    server started. listening on 127.0.0.1:8080
    """)


class SanitizerReportTest(unittest.TestCase):
    def test_an_address_sanitizer_report_is_found_from_its_error_line(self):
        report = sanitizer_report("some log line\n" + ASAN)
        self.assertIsNotNone(report)
        self.assertTrue(report.startswith("==4242==ERROR: AddressSanitizer: heap-use-after-free"), report)

    def test_an_undefined_behaviour_report_is_found(self):
        self.assertIn("signed integer overflow", sanitizer_report(UBSAN))

    def test_a_leak_report_is_found(self):
        self.assertIn("detected memory leaks", sanitizer_report(LSAN))

    def test_ordinary_logs_that_mention_errors_are_not_reports(self):
        self.assertIsNone(sanitizer_report(ORDINARY))
        self.assertIsNone(sanitizer_report(""))


FAKE = """#!/usr/bin/python3
import sys, time
sys.stderr.write(%r)
sys.stderr.flush()
if "--check" not in sys.argv:
    time.sleep(30)   # a gateway that keeps running after a (recovered) report
sys.exit(0)
"""


class GuardTest(unittest.TestCase):
    """The helpers fail a test whose binary reported, even when it exits 0 or is killed."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="aileron-guard-")
        self.addCleanup(self.dir.cleanup)
        self.old_bin = os.environ.get("AILERON_BIN")
        self.addCleanup(self._restore)

    def _restore(self):
        if self.old_bin is None:
            os.environ.pop("AILERON_BIN", None)
        else:
            os.environ["AILERON_BIN"] = self.old_bin

    def fake_binary(self, stderr_text):
        path = os.path.join(self.dir.name, "aileron")
        with open(path, "w", encoding="utf-8") as f:
            f.write(FAKE % stderr_text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        os.environ["AILERON_BIN"] = path

    def test_run_cli_fails_when_the_binary_wrote_a_report_and_exited_0(self):
        self.fake_binary(UBSAN)
        with self.assertRaisesRegex(AssertionError, "sanitizer report"):
            run_cli(["--check", "-f", "x.yaml"])

    def test_a_gateway_that_wrote_a_report_fails_when_it_is_killed(self):
        self.fake_binary(ASAN)
        gw = Gateway("unused: true\n")
        try:
            gw._spawn()
            deadline = time.monotonic() + 10
            while "SUMMARY" not in gw.stderr and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertTrue(gw.running(), gw.output())
            with self.assertRaisesRegex(AssertionError, "sanitizer report\n==4242==ERROR: AddressSanitizer"):
                gw.kill()
        finally:
            gw.kill()

    def test_the_sanitizer_options_reach_the_binary_unless_the_environment_has_its_own(self):
        saved = {k: os.environ.pop(k, None) for k in gateway.SANITIZER_ENV}
        try:
            env = gateway.process_env()
            self.assertIn("halt_on_error=1", env["ASAN_OPTIONS"])
            self.assertIn("detect_leaks=1", env["ASAN_OPTIONS"])
            self.assertIn("halt_on_error=1", env["UBSAN_OPTIONS"])
            os.environ["ASAN_OPTIONS"] = "detect_leaks=0"
            self.assertEqual(gateway.process_env()["ASAN_OPTIONS"], "detect_leaks=0")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


if __name__ == "__main__":
    unittest.main()
