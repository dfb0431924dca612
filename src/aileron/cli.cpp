#include <aileron/cli.hpp>

#include <aileron/config/source.hpp>
#include <aileron/registry/registry.hpp>
#include <aileron/registry/resource_graph.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#ifndef AILERON_VERSION_STRING
#define AILERON_VERSION_STRING "unset"
#endif

namespace aileron {

namespace {

constexpr const char* usage_text =
    R"(Usage: aileron -f PATH [-f PATH ...] [-e ENVFILE ...] [--check]
       aileron -t KIND [-o yaml|json|toml] [-f PATH ...]

Options :
  -e, --env stringArray      env file path. each line be 'KEY=VALUE'
  -f, --file stringArray     config file or directory path (.yaml .yml .json .toml). absolute or relative
      --check                load and validate everything reachable from the Entrypoint, then exit
  -t, --template string      show template config. value format be 'Group/Version/Kind(/Namespace/Name)'
  -o, --out string           template output format. yaml, json or toml (default "yaml")
  -v, --version              show version
  -h, --help                 show help message

Exit codes: 0 success, 1 config or runtime error, 2 usage error.
)";

struct options {
    std::vector<std::string> files;
    std::vector<std::string> envs;
    std::string tmpl;
    std::string out = "yaml";
    bool check = false;
    bool help = false;
    bool version = false;
};

int usage_error(const std::string& msg) {
    std::cerr << msg << "\n\n" << usage_text;
    return exit_usage;
}

/// Parses flags the way pflag does: `-f x`, `-fx`, `--file x`, `--file=x`.
int parse(int argc, char** argv, options& o) {
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](std::string_view long_name, char short_name, std::string& out) -> int {
            std::string lf = "--" + std::string{long_name};
            std::string sf = std::string{"-"} + short_name;
            if (a == lf || a == sf) {
                if (i + 1 >= argc) return -1;
                out = argv[++i];
                return 1;
            }
            if (a.starts_with(lf + "=")) {
                out = a.substr(lf.size() + 1);
                return 1;
            }
            if (a.size() > 2 && a.starts_with(sf) && a[1] != '-') {
                out = a.substr(2);
                if (out.starts_with("=")) out.erase(0, 1);
                return 1;
            }
            return 0;
        };
        std::string v;
        int r = 0;
        if ((r = value("file", 'f', v))) {
            if (r < 0) return usage_error("flag needs an argument: " + a);
            o.files.push_back(v);
        } else if ((r = value("env", 'e', v))) {
            if (r < 0) return usage_error("flag needs an argument: " + a);
            o.envs.push_back(v);
        } else if ((r = value("template", 't', v))) {
            if (r < 0) return usage_error("flag needs an argument: " + a);
            o.tmpl = v;
        } else if ((r = value("out", 'o', v))) {
            if (r < 0) return usage_error("flag needs an argument: " + a);
            o.out = v;
        } else if (a == "--check") {
            o.check = true;
        } else if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (a == "-v" || a == "--version") {
            o.version = true;
        } else if (a.starts_with("-") && a != "-") {
            return usage_error("unknown flag: " + a);
        } else {
            positional.push_back(a);
        }
    }
    if (!positional.empty()) {
        std::string list;
        for (auto& p : positional) list += (list.empty() ? "" : " ") + p;
        return usage_error("invalid arguments:  [" + list + "]");
    }
    if (o.out != "yaml" && o.out != "json" && o.out != "toml") return usage_error("invalid output format: " + o.out);
    return -1;   // parsed; go on
}

std::string render(const config::node& n, const std::string& out) {
    if (out == "json") return config::to_json(n, true) + "\n";
    if (out == "toml") return config::to_toml(n);
    return config::to_yaml(n);
}

config::node resource_node(const kind_entry& k, const std::string& ns, const std::string& name, config::node spec) {
    config::node root = config::node::make_map();
    root.set("apiVersion", config::node{k.api_version});
    root.set("kind", config::node{k.kind});
    config::node meta = config::node::make_map();
    meta.set("name", config::node{name});
    meta.set("namespace", config::node{ns});
    root.set("metadata", std::move(meta));
    root.set("spec", std::move(spec));
    return root;
}

int print_template(const options& o, const registry& reg, const resource_graph& graph) {
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
        auto slash = o.tmpl.find('/', start);
        parts.push_back(o.tmpl.substr(start, slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    if (parts.size() != 3 && parts.size() != 5) {
        std::cerr << "invalid template format: " << o.tmpl << "\n"
                  << "Should be \"apiGroup/apiVersion/kind\" or \"apiGroup/apiVersion/kind/namespace/name\"\n";
        return exit_usage;
    }
    std::string api = parts[0] + "/" + parts[1];
    const kind_entry* k = reg.find(api, parts[2]);
    if (!k) {
        std::cerr << "unknown kind " << api << "/" << parts[2] << "\n";
        return exit_usage;
    }
    if (parts.size() == 3) {
        std::cout << render(resource_node(*k, "default", "default", k->skeleton()), o.out);
        return exit_ok;
    }
    std::string id = o.tmpl;
    if (k->kind == "Entrypoint" && k->api_version == "core/v1") id = std::string{resource_graph::entrypoint_id};
    const resource_graph::entry* e = graph.find(id);
    if (!e || !e->config) {
        std::cerr << "no resource " << id << " is loaded (give the files that define it with -f)\n";
        return exit_usage;
    }
    std::cout << render(resource_node(*k, e->meta.ns, e->meta.name, k->encode(e->config.get())), o.out);
    return exit_ok;
}

/// Blocks SIGINT/SIGTERM in every thread and turns them into a stop request; a second signal
/// ends the process at once.
class signal_watch {
public:
    explicit signal_watch(std::stop_source& stop) {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);
        // Blocked before any runner thread starts, so every thread inherits the mask and only
        // this one receives the signals.
        thread_ = std::jthread{[this, &stop](std::stop_token self) {
            int count = 0;
            timespec tick{0, 100'000'000};
            while (!self.stop_requested()) {
                int sig = sigtimedwait(&set_, nullptr, &tick);
                if (sig <= 0) continue;
                if (++count == 1) {
                    stop.request_stop();
                } else {
                    std::fputs("second signal: stopping now\n", stderr);
                    std::_Exit(128 + sig);
                }
            }
        }};
    }

private:
    sigset_t set_;
    std::jthread thread_;
};

}  // namespace

int run_cli(int argc, char** argv, const registry& reg) {
    options o;
    if (argc <= 1) {
        std::cout << usage_text;
        return exit_ok;
    }
    if (int r = parse(argc, argv, o); r >= 0) return r;
    if (o.version) {
        std::cout << "aileron " << AILERON_VERSION_STRING << "\n";
        return exit_ok;
    }
    if (o.help) {
        std::cout << usage_text;
        return exit_ok;
    }

    config::diagnostics diag;
    for (auto& env : o.envs) config::load_env_file(env, diag);
    if (!diag.ok()) {
        std::cerr << diag.to_string();
        return exit_failure;
    }
    std::vector<config::document> docs = config::load_documents(o.files, diag);
    resource_graph graph{reg, diag};
    graph.add(docs);
    if (!o.tmpl.empty()) {
        if (!diag.ok()) {
            std::cerr << diag.to_string();
            return exit_failure;
        }
        return print_template(o, reg, graph);
    }
    if (o.files.empty()) return usage_error("no config given: use -f PATH");

    const resource_object* ep = nullptr;
    if (graph.find(resource_graph::entrypoint_id)) {
        ep = graph.build(std::string{resource_graph::entrypoint_id}, role::runner, "", {}, "");
    } else if (diag.ok()) {
        diag.add(config::mark{}, "no Entrypoint: one resource of kind core/v1 Entrypoint is required");
    }
    if (!diag.ok() || !ep) {
        std::cerr << diag.to_string();
        std::cerr << diag.problems().size() << " problem" << (diag.problems().size() == 1 ? "" : "s")
                  << " in the configuration\n";
        return exit_failure;
    }
    if (o.check) {
        std::cout << "configuration OK\n";
        return exit_ok;
    }

    return run_until_signal(ep->runner);
}

int run_until_signal(any_runner root) {
    std::stop_source stop;
    signal_watch signals{stop};
    if (error_code ec = root.open()) {
        logger::get_default().error("failed to start", {{"error", ec.message()}});
        return exit_failure;
    }
    error_code ec = root.run(stop.get_token());
    return ec ? exit_failure : exit_ok;
}

}  // namespace aileron
