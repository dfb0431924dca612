"""The aileron command line: usage, exit codes, --check diagnostics, -t templates, -e env files,
folders and TOML configs (spec §2)."""

import json
import re
import socket
import tomllib
import unittest

from gateway import Gateway, run_cli

# A valid config; HANDLER_1 is replaced by the second handler entry of the first virtual host,
# so that every broken variant has its problem at spec.virtualHosts[0].handlers[1].handler.
TEMPLATE = """\
apiVersion: core/v1
kind: Entrypoint
spec:
  runners:
    - apiVersion: core/v1
      kind: HTTPServer
---
apiVersion: core/v1
kind: HTTPServer
spec:
  addr: "127.0.0.1:@PORT@"
  virtualHosts:
    - handlers:
        - handler:
            apiVersion: app/v1
            kind: EchoHandler
HANDLER_1
---
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

GOOD_HANDLER_1 = """\
        - handler:
            apiVersion: app/v1
            kind: HealthCheckHandler"""

HTTP_SERVER_ID = "core/v1/HTTPServer/default/default"
HANDLER_1_PATH = "spec.virtualHosts[0].handlers[1].handler"


def config_with(handler_1, port="18080"):
    return TEMPLATE.replace("HANDLER_1", handler_1).replace("@PORT@", port)


class UsageTest(unittest.TestCase):
    def test_no_arguments_print_the_usage_on_stdout_and_exit_0(self):
        r = run_cli([])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Options :", r.stdout)
        self.assertIn("-f, --file", r.stdout)
        self.assertEqual(r.stderr, "")

    def test_dash_h_prints_the_usage_and_exits_0(self):
        r = run_cli(["-h"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("Options :", r.stdout)

    def test_dash_v_prints_the_version_and_exits_0(self):
        for flag in ("-v", "--version"):
            with self.subTest(flag=flag):
                r = run_cli([flag])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertRegex(r.stdout, r"^aileron \S+\n$")

    def test_an_unknown_flag_is_a_usage_error_with_exit_2(self):
        r = run_cli(["--no-such-flag"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown flag: --no-such-flag", r.stderr)
        self.assertIn("Options :", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_positional_arguments_are_a_usage_error_with_exit_2(self):
        r = run_cli(["-f", "config.yaml", "stray", "words"], files={"config.yaml": config_with(GOOD_HANDLER_1)})
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid arguments:  [stray words]", r.stderr)
        self.assertIn("Options :", r.stderr)

    def test_a_flag_without_its_value_is_a_usage_error_with_exit_2(self):
        r = run_cli(["-f"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("-f", r.stderr)


class CheckTest(unittest.TestCase):
    def check(self, config, name="config.yaml"):
        return run_cli(["--check", "-f", name], files={name: config})

    def assert_problem(self, r, line, col, *parts):
        """Exit 1, and stderr has the line `config.yaml:LINE:COL: <parts joined by ': '>...`."""
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        prefix = "config.yaml:%d:%d: %s" % (line, col, ": ".join(parts))
        lines = r.stderr.splitlines()
        self.assertTrue(any(l.startswith(prefix) for l in lines),
                        "no line starting with\n  %s\nin stderr:\n%s" % (prefix, r.stderr))
        self.assertRegex(r.stderr, r"\d+ problems? in the configuration\n$")
        self.assertNotIn("configuration OK", r.stdout)

    def test_check_on_a_good_config_exits_0_and_says_so(self):
        r = self.check(config_with(GOOD_HANDLER_1))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "configuration OK\n")

    def test_check_does_not_open_the_listening_socket(self):
        with socket.socket() as held:   # a port in use: binding it would fail the check
            held.bind(("127.0.0.1", 0))
            held.listen()
            r = self.check(config_with(GOOD_HANDLER_1, port=str(held.getsockname()[1])))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_a_value_of_the_wrong_type_names_file_line_column_resource_and_field(self):
        r = self.check(config_with("        - handler: EchoHandler"))
        self.assert_problem(r, 17, 20, HTTP_SERVER_ID, HANDLER_1_PATH, 'expected a map, got a string ("EchoHandler")')

    def test_a_scalar_of_the_wrong_type_is_rejected_with_a_hint(self):
        r = self.check(config_with(GOOD_HANDLER_1).replace('addr: "127.0.0.1:18080"', "addr: 8080"))
        self.assert_problem(r, 11, 9, HTTP_SERVER_ID, "spec.addr", "expected a string, got an integer (8080)")

    def test_an_unknown_field_names_the_field_and_the_expected_ones(self):
        r = self.check(config_with(GOOD_HANDLER_1 + "\n            nmae: other"))
        self.assert_problem(r, 20, 13, HTTP_SERVER_ID, HANDLER_1_PATH + ".nmae", 'unknown field "nmae"')
        self.assertIn("expected one of: apiVersion, kind, namespace, name", r.stderr)

    def test_a_reference_to_a_missing_resource_names_the_missing_id(self):
        r = self.check(config_with(GOOD_HANDLER_1 + "\n            name: other"))
        self.assert_problem(r, 18, 13, HTTP_SERVER_ID, HANDLER_1_PATH,
                            "no resource app/v1/HealthCheckHandler/default/other is defined")

    def test_a_duplicate_resource_names_both_definitions(self):
        dup = config_with(GOOD_HANDLER_1) + "---\napiVersion: app/v1\nkind: HealthCheckHandler\nmetadata:\n  name: default\n"
        r = self.check(dup)
        self.assert_problem(r, 31, 1, "app/v1/HealthCheckHandler/default/default",
                            "duplicate resource app/v1/HealthCheckHandler/default/default; "
                            "first defined at config.yaml:26:1")

    def test_an_unknown_kind_names_the_kinds_of_its_group(self):
        r = self.check(config_with(GOOD_HANDLER_1) + "---\napiVersion: app/v1\nkind: NoSuchKind\n")
        self.assert_problem(r, 32, 7, "kind", "unknown kind app/v1/NoSuchKind")
        self.assertIn("EchoHandler", r.stderr)

    def test_a_handler_used_as_a_runner_names_both_roles(self):
        config = config_with(GOOD_HANDLER_1).replace(
            "  runners:\n    - apiVersion: core/v1\n      kind: HTTPServer",
            "  runners:\n    - apiVersion: app/v1\n      kind: EchoHandler", 1)
        r = self.check(config)
        self.assert_problem(r, 5, 7, "core/v1/Entrypoint/.entrypoint/.entrypoint", "spec.runners[0]",
                            "app/v1/EchoHandler/default/default is a handler, not a runner")

    def test_a_runner_used_as_a_handler_names_the_handler_path(self):
        r = self.check(config_with("        - handler:\n            apiVersion: core/v1\n            kind: HTTPServer"))
        self.assert_problem(r, 18, 13, HTTP_SERVER_ID, HANDLER_1_PATH,
                            "core/v1/HTTPServer/default/default is a runner, not a handler")

    def test_problems_in_different_resources_are_all_reported(self):
        config = config_with(GOOD_HANDLER_1).replace('addr: "127.0.0.1:18080"', "addr: 8080").replace(
            'patterns: ["/echo"]', 'patterns: ["/echo"]\n  bogus: 1')
        r = self.check(config)
        self.assertEqual(r.returncode, 1)
        self.assertIn(HTTP_SERVER_ID + ": spec.addr", r.stderr)
        self.assertIn("app/v1/EchoHandler/default/default: spec.bogus", r.stderr)
        self.assertIn("2 problems in the configuration", r.stderr)

    def test_a_config_without_entrypoint_is_an_error(self):
        r = self.check("apiVersion: app/v1\nkind: EchoHandler\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no Entrypoint", r.stderr)

    def test_a_missing_config_file_is_an_error_naming_the_file(self):
        r = run_cli(["--check", "-f", "does-not-exist.yaml"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("does-not-exist.yaml", r.stderr)


class TemplateTest(unittest.TestCase):
    def test_template_of_a_kind_prints_its_defaults_as_yaml(self):
        r = run_cli(["-t", "core/v1/HTTPServer"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("apiVersion: core/v1\nkind: HTTPServer\n"), r.stdout)
        self.assertIn('  addr: ":8080"\n', r.stdout)
        self.assertIn("    maxHeaderBytes: 8192\n", r.stdout)
        self.assertIn("  name: default\n", r.stdout)

    def test_template_as_json_parses_and_carries_the_defaults(self):
        r = run_cli(["-t", "core/v1/HTTPServer", "-o", "json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["kind"], "HTTPServer")
        self.assertEqual(doc["spec"]["addr"], ":8080")
        self.assertEqual(doc["spec"]["shutdownTimeout"], 30)
        self.assertEqual(doc["spec"]["httpConfig"]["idleTimeout"], 10)
        self.assertEqual(doc["metadata"], {"name": "default", "namespace": "default"})

    def test_template_as_toml_parses_and_carries_the_defaults(self):
        r = run_cli(["-t", "core/v1/HTTPServer", "-o", "toml"])
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = tomllib.loads(r.stdout)
        self.assertEqual(doc["apiVersion"], "core/v1")
        self.assertEqual(doc["spec"]["addr"], ":8080")
        self.assertEqual(doc["spec"]["httpConfig"]["maxHeaderBytes"], 8192)

    def test_template_of_an_app_kind_works_too(self):
        r = run_cli(["-t", "app/v1/HealthCheckHandler", "-o", "json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["spec"]["timeout"], 30)

    def test_template_with_namespace_and_name_prints_the_loaded_resource(self):
        r = run_cli(["-t", "core/v1/HTTPServer/default/default", "-o", "json", "-f", "c.yaml"],
                    files={"c.yaml": config_with(GOOD_HANDLER_1, port="18999")})
        self.assertEqual(r.returncode, 0, r.stderr)
        spec = json.loads(r.stdout)["spec"]
        self.assertEqual(spec["addr"], "127.0.0.1:18999")
        self.assertEqual(spec["shutdownTimeout"], 30)   # defaults merged in
        self.assertEqual(spec["virtualHosts"][0]["handlers"][1]["handler"]["kind"], "HealthCheckHandler")

    def test_template_of_a_resource_that_is_not_loaded_exits_2(self):
        r = run_cli(["-t", "core/v1/HTTPServer/default/nothere"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("core/v1/HTTPServer/default/nothere", r.stderr)

    def test_template_with_a_wrong_number_of_segments_exits_2(self):
        r = run_cli(["-t", "core/v1"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid template format: core/v1", r.stderr)

    def test_template_of_an_unknown_kind_exits_2(self):
        r = run_cli(["-t", "core/v1/NoSuchKind"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("NoSuchKind", r.stderr)

    def test_an_unknown_output_format_is_a_usage_error(self):
        r = run_cli(["-t", "core/v1/HTTPServer", "-o", "xml"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("xml", r.stderr)


# Serving configs: the port comes from the environment, with a default.
ENV_CONFIG = TEMPLATE.replace("HANDLER_1", GOOD_HANDLER_1).replace(
    '"127.0.0.1:@PORT@"', '"${IT_ENV_HOST:-127.0.0.1}:${IT_ENV_PORT:-@PORT2@}"')


class ServeTest(unittest.TestCase):
    """Configs that start a server: env substitution, folders, TOML."""

    def start(self, gw):
        self.addCleanup(gw.kill)
        return gw.start()

    def assert_stops_cleanly(self, gw):
        self.assertEqual(gw.stop(), 0, gw.output())

    def test_an_env_file_value_replaces_the_default_of_a_substitution(self):
        gw = self.start(Gateway(ENV_CONFIG, ports=2, wait_for=[0], args=["-e", "it.env"],
                                extra_files={"it.env": "# port for the test\nIT_ENV_PORT=@PORT@\n"}))
        self.assertEqual(gw.request("GET", "/healthz").status, 200)
        self.assertIn("listening on 127.0.0.1:%d" % gw.ports[0], gw.stdout)
        self.assertNotIn("listening on 127.0.0.1:%d" % gw.ports[1], gw.stdout)
        self.assert_stops_cleanly(gw)

    def test_without_the_env_file_the_default_of_a_substitution_applies(self):
        gw = self.start(Gateway(ENV_CONFIG, ports=2, wait_for=[1]))
        self.assertEqual(gw.request("GET", "/healthz", port=gw.ports[1]).status, 200)
        self.assertNotIn("listening on 127.0.0.1:%d" % gw.ports[0], gw.stdout)
        self.assert_stops_cleanly(gw)

    def test_a_bad_env_file_fails_startup_with_exit_1(self):
        r = run_cli(["--check", "-e", "bad.env", "-f", "c.yaml"],
                    files={"bad.env": "NOT VALID = x\n", "c.yaml": config_with(GOOD_HANDLER_1)})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("bad.env", r.stderr)

    def test_a_folder_given_to_dash_f_loads_its_yaml_and_toml_files_only(self):
        entry_and_server = TEMPLATE.split("---\napiVersion: app/v1\nkind: EchoHandler")[0].replace(
            "HANDLER_1", GOOD_HANDLER_1)
        files = {
            "conf/b-handlers.toml": '[[resource]]\napiVersion = "app/v1"\nkind = "EchoHandler"\n'
                                    '[resource.spec]\npatterns = ["/echo"]\n\n'
                                    '[[resource]]\napiVersion = "app/v1"\nkind = "HealthCheckHandler"\n'
                                    '[resource.spec]\npatterns = ["/healthz"]\n',
            "conf/notes.txt": "this is not a config: it must be ignored\n",
            "conf/nested/c.yaml": "this: [is, not, read\n",   # folders are not recursed into
        }
        gw = self.start(Gateway(entry_and_server, file_name="conf/a-server.yaml", extra_files=files,
                                config_arg="conf"))
        self.assertEqual(gw.request("GET", "/echo").status, 200)
        self.assertEqual(gw.request("GET", "/healthz").body, b"{}")
        self.assert_stops_cleanly(gw)

    def test_a_toml_config_serves_the_same_as_its_yaml_twin(self):
        toml_config = """\
[[resource]]
apiVersion = "core/v1"
kind = "Entrypoint"
[[resource.spec.runners]]
apiVersion = "core/v1"
kind = "HTTPServer"

[[resource]]
apiVersion = "core/v1"
kind = "HTTPServer"
[resource.spec]
addr = "127.0.0.1:@PORT@"
[[resource.spec.virtualHosts]]
handlers = [
  { handler = { apiVersion = "app/v1", kind = "EchoHandler" } },
  { handler = { apiVersion = "app/v1", kind = "HealthCheckHandler" } },
]

[[resource]]
apiVersion = "app/v1"
kind = "EchoHandler"
[resource.spec]
patterns = ["/echo"]

[[resource]]
apiVersion = "app/v1"
kind = "HealthCheckHandler"
[resource.spec]
patterns = ["/healthz"]
"""
        yaml_gw = self.start(Gateway(config_with(GOOD_HANDLER_1, port="@PORT@")))
        toml_gw = self.start(Gateway(toml_config, file_name="config.toml"))

        def answers(gw):
            out = []
            for path in ("/echo?x=1", "/healthz", "/nothing", "/echo/"):
                r = gw.request("GET", path, headers={"X-Probe": "1"})
                # The echo names the host and client port: drop those two lines.
                body = re.sub(r"(?m)^(Host   :|Remote :).*$", "", r.text())
                out.append((path, r.status, r.headers["Content-Type"], body))
            return out

        yaml_answers = answers(yaml_gw)
        self.assertEqual(yaml_answers[0][1], 200)   # the comparison below is not between two 404s
        self.assertEqual(answers(toml_gw), yaml_answers)
        self.assert_stops_cleanly(yaml_gw)
        self.assert_stops_cleanly(toml_gw)


if __name__ == "__main__":
    unittest.main()
