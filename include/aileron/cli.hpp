#pragma once
/// @file
/// The `aileron` command line, as a function, so that a bespoke gateway binary with its own
/// kinds gets the same CLI: `return aileron::run_cli(argc, argv, reg);`.

namespace aileron {

class registry;
class any_runner;

/// Exit codes of `run_cli`.
enum exit_code : int {
    exit_ok = 0,         ///< clean stop, or --check / -t / -h / -v succeeded
    exit_failure = 1,    ///< config problems, bind errors, a runner failed
    exit_usage = 2,      ///< bad flags or arguments
};

/**
 * Runs the `aileron` CLI with the kinds in `reg`:
 * `-f PATH` (repeatable; files or folders), `-e ENVFILE` (repeatable), `--check`,
 * `-t KIND` (`core/v1/HTTPServer`, or `.../namespace/name` of a loaded resource), `-o yaml|json|toml`,
 * `-v`, `-h`. SIGINT/SIGTERM drain gracefully; a second signal exits at once with 128+signal.
 */
int run_cli(int argc, char** argv, const registry& reg);

/**
 * Opens `root` (binding its listeners), then runs it until it returns or SIGINT/SIGTERM asks
 * it to drain; a second signal exits at once. For binaries that build their runners in code.
 * Returns an exit code (0 clean stop, 1 failure).
 */
int run_until_signal(any_runner root);

}  // namespace aileron
