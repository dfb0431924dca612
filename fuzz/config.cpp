// fuzz_config: the config loader, from the text of a file to built resources, as
// `aileron --check` runs it.
//
// Every input is one config file's text, parsed three times, as YAML, as JSON and as TOML (so
// the seeds are ordinary config files): documents are split, `${VAR}` expressions expanded
// (against a fixed environment, restored after every input), parsed, then decoded into the
// built-in registry and, when there is an Entrypoint, built with everything it references.
// Checked:
//
//  - nothing crashes, leaks or hangs, whatever the text;
//  - every problem has a message, and a position when it has a file;
//  - a document that loaded cleanly prints back (YAML, JSON, TOML) to text that parses to the same
//    values (as source.hpp promises, with its exceptions: non-finite numbers in JSON, nulls in
//    TOML, and text that holds `${` and would be expanded a second time).

#include <aileron/config/source.hpp>
#include <aileron/registry/registry.hpp>
#include <aileron/registry/resource_graph.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

extern char** environ;

using namespace aileron;

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "\nfuzz_config: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

std::map<std::string, std::string> read_environment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string_view kv{*e};
        auto eq = kv.find('=');
        if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return env;
}

/// The environment every input sees: a few variables for the seeds' `${...}`, and no others
/// than the process had, whatever `${V:=w}` in the previous input set.
struct environment {
    std::map<std::string, std::string> base;
    environment() {
        ::setenv("FUZZ_HOST", "127.0.0.1", 1);
        ::setenv("FUZZ_PORT", "8080", 1);
        ::setenv("FUZZ_EMPTY", "", 1);
        ::setenv("FUZZ_LIST", "/a,/b,/c", 1);
        ::setenv("FUZZ_NAME", "Fuzz-Name_1", 1);
        base = read_environment();
    }
    void restore() const {
        for (auto& [k, v] : read_environment()) {
            auto it = base.find(k);
            if (it == base.end()) ::unsetenv(k.c_str());
            else if (it->second != v) ::setenv(k.c_str(), it->second.c_str(), 1);
        }
        for (auto& [k, v] : base) ::setenv(k.c_str(), v.c_str(), 0);   // one that was unset
    }
};

bool has(const config::node& n, bool (*pred)(const config::node&)) {
    if (pred(n)) return true;
    if (n.is_sequence())
        for (auto& v : n.as_sequence())
            if (has(v, pred)) return true;
    if (n.is_map())
        for (auto& e : n.as_map())
            if (has(e.value, pred)) return true;
    return false;
}

void check_round_trip(const config::document& doc, config::format fmt, const char* name) {
    std::string text;
    switch (fmt) {
    case config::format::yaml: text = config::to_yaml(doc.root); break;
    case config::format::json:
        if (has(doc.root, [](const config::node& n) {
                return n.kind() == config::node::type::floating && !std::isfinite(n.as_double());
            }))
            return;
        text = config::to_json(doc.root);
        break;
    case config::format::toml:
        if (has(doc.root, [](const config::node& n) { return n.is_null(); })) return;
        // An empty map prints as an empty TOML file, which holds no document (as an empty YAML
        // document is skipped): nothing to read back.
        if (doc.root.as_map().empty()) return;
        text = config::to_toml(doc.root);
        break;
    }
    if (text.find("${") != std::string::npos) return;
    config::diagnostics diag;
    auto again = config::parse_documents(text, name, fmt, diag);
    if (!diag.ok() || again.size() != 1 || !config::same_values(doc.root, again.front().root))
        fail("a document does not read back the same after printing it", text + "\n" + diag.to_string());
}

void load(std::string_view text, config::format fmt, const char* name, const registry& reg) {
    config::diagnostics diag;
    std::vector<config::document> docs = config::parse_documents(text, name, fmt, diag);
    if (diag.ok())
        for (auto& d : docs) {
            if (!d.root.is_map()) continue;
            check_round_trip(d, config::format::yaml, "again.yaml");
            check_round_trip(d, config::format::json, "again.json");
            check_round_trip(d, config::format::toml, "again.toml");
        }
    {
        resource_graph graph{reg, diag};
        graph.add(docs);
        if (graph.find(resource_graph::entrypoint_id))
            (void)graph.build(std::string{resource_graph::entrypoint_id}, role::runner, "", {}, "");
    }
    for (const auto& p : diag.problems()) {
        if (p.message.empty()) fail("a problem with no message", diag.to_string());
        if (p.where.file && *p.where.file == name && p.where.line < 0) fail("a problem with a bad line", diag.to_string());
    }
    (void)diag.to_string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const environment env;
    static const registry reg = [] {
        registry r;
        register_builtins(r);
        return r;
    }();
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    load(text, config::format::yaml, "fuzz.yaml", reg);
    env.restore();
    load(text, config::format::json, "fuzz.json", reg);
    env.restore();
    load(text, config::format::toml, "fuzz.toml", reg);
    env.restore();
    return 0;
}
