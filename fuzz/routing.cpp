// fuzz_routing: ServeMux patterns and routing, the string matchers, and the URL helpers they
// rest on.
//
// Input: lines. Line 1 is the request's Host, line 2 its target, every further line (up to 64)
// a pattern. Each pattern is registered in a `serve_mux` (syntax errors and conflicts are fine:
// they must come back as messages), then the request is routed, and checked:
//
//  - routing is deterministic (twice the same answer);
//  - a match names a registered pattern, and each wildcard value belongs to a wildcard of it;
//  - a redirect goes to a path ("/...");
//  - a clean, escape-free path (not ending in '/') that is itself registered as a literal pattern
//    routes to exactly that pattern (the most specific one);
//  - the request's path, with each pattern line under the Exact/Prefix/Suffix/Contains/Path/
//    FilePath matchers, agrees with a direct comparison where there is one (Exact, Prefix,
//    Suffix, Contains, and Path/FilePath with a pattern free of meta characters), and the
//    Regex matchers (fixed, realistic expressions) survive any path;
//  - url::clean_path is idempotent and leaves no "." or ".." segment in a rooted path,
//    url::unescape undoes url::escape_path, canonical_header_key is idempotent.

#include <aileron/config/matcher.hpp>
#include <aileron/core/url.hpp>
#include <aileron/server/serve_mux.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace aileron;

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "\nfuzz_routing: %s %.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

bool same(const server::route_lookup& a, const server::route_lookup& b) {
    if (a.status != b.status || a.index != b.index || a.pattern != b.pattern || a.location != b.location ||
        a.params.size() != b.params.size())
        return false;
    for (std::size_t i = 0; i < a.params.size(); ++i)
        if (a.params[i].name != b.params[i].name || a.params[i].value != b.params[i].value) return false;
    return true;
}

bool has_meta(std::string_view p) { return p.find_first_of("*?[\\") != std::string_view::npos; }

void check_url_helpers(std::string_view s) {
    const std::string once = url::clean_path(s);
    if (url::clean_path(once) != once) fail("clean_path is not idempotent for", s);
    if (!s.empty() && s.front() == '/') {
        if (once.empty() || once.front() != '/') fail("clean_path lost the root of", s);
        if (once.find("//") != std::string::npos || once.find("/./") != std::string::npos ||
            once.find("/../") != std::string::npos || once.ends_with("/.") || once.ends_with("/.."))
            fail("clean_path left a dot segment or an empty one in", s);
    }
    std::string back, error;
    if (!url::unescape(url::escape_path(s), false, back, error) || back != s)
        fail("unescape(escape_path(x)) != x for", s);
    const std::string key = url::canonical_header_key(s);
    if (url::canonical_header_key(key) != key) fail("canonical_header_key is not idempotent for", s);
}

void check_matchers(const std::vector<std::string_view>& patterns, const std::string& path) {
    using config::match_type;
    for (std::string_view p : patterns) {
        const std::string pattern{p};
        for (match_type t : {match_type::exact, match_type::prefix, match_type::suffix, match_type::contains,
                             match_type::path, match_type::file_path}) {
            if (!config::pattern_problem(t, pattern).empty()) continue;   // config decoding rejects it
            const bool got = string_matcher{config::matcher_spec{{pattern}, t}}.match(path);
            bool want = got;
            switch (t) {
            case match_type::exact: want = path == pattern; break;
            case match_type::prefix: want = path.starts_with(pattern); break;
            case match_type::suffix: want = path.ends_with(pattern); break;
            case match_type::contains: want = path.find(pattern) != std::string::npos; break;
            default:
                if (!has_meta(pattern)) want = path == pattern;
                break;
            }
            if (got != want) fail("a matcher disagrees with a plain comparison; pattern:", pattern);
        }
    }
    // Regular expressions come from the config (trusted), the path from the client: any path must
    // be safe to match against the expressions a config would hold.
    static const string_matcher regexps[] = {
        string_matcher{config::matcher_spec{{"^/api/v[0-9]+/.*$", "^/users/([^/]+)/items/([0-9]+)$", R"(\.(png|jpe?g|gif)$)"},
                                            match_type::regex}},
        string_matcher{config::matcher_spec{{"(a|b)*c", "^/static/.+"}, match_type::regex}},
        string_matcher{config::matcher_spec{{"^/v[0-9]+/[a-z]+$"}, match_type::regex_posix}},
    };
    for (const auto& m : regexps) (void)m.match(path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in{reinterpret_cast<const char*>(data), size};
    std::vector<std::string_view> lines;
    for (std::size_t at = 0; at <= in.size() && lines.size() < 66;) {
        auto nl = in.find('\n', at);
        if (nl == std::string_view::npos) nl = in.size();
        lines.push_back(in.substr(at, nl - at));
        at = nl + 1;
    }
    const std::string_view host = lines.size() > 0 ? lines[0] : std::string_view{};
    const std::string_view target = lines.size() > 1 ? lines[1] : std::string_view{"/"};
    const std::vector<std::string_view> patterns(lines.begin() + std::min<std::size_t>(2, lines.size()), lines.end());

    server::serve_mux<std::size_t> mux;
    std::vector<std::string> registered;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        const std::size_t before = mux.size();
        auto err = mux.handle(patterns[i], i);
        if (err) {
            if (err->empty()) fail("a rejected pattern with no message:", patterns[i]);
            if (mux.size() != before) fail("a rejected pattern changed the table:", patterns[i]);
        } else {
            if (mux.size() != before + 1 || !mux.contains(patterns[i])) fail("an accepted pattern is missing:", patterns[i]);
            registered.emplace_back(patterns[i]);
        }
    }

    const auto r = mux.match(host, target);
    if (!same(r, mux.match(host, target))) fail("routing is not deterministic for", target);
    if (r.matched()) {
        if (!r.value || *r.value >= patterns.size() || patterns[*r.value] != r.pattern || !mux.contains(r.pattern))
            fail("a match names no registered pattern:", r.pattern);
        for (const auto& p : r.params)
            if (r.pattern.find("{" + std::string{p.name}) == std::string_view::npos)
                fail("a wildcard value for a name the pattern does not have:", p.name);
    } else if (r.redirect()) {
        if (r.location.empty() || r.location.front() != '/') fail("a redirect that is not to a path:", r.location);
    } else if (r.value) {
        fail("no match, but a value");
    }

    // The most specific pattern: a literal pattern equal to a clean path wins. (Not for a path
    // ending in '/': such a pattern is a subtree, and "/a/{$}" beats it.)
    const bool plain_target = !target.empty() && target.front() == '/' && !target.ends_with('/') &&
                              target.find_first_of("?%{}#") == std::string_view::npos &&
                              url::clean_path(target) == target;
    if (host.empty() && plain_target) {
        for (const std::string& p : registered)
            if (p == target && (!r.matched() || r.pattern != p)) fail("a registered literal path did not win:", target);
    }

    check_url_helpers(target);
    check_matchers(patterns, url_path(target));
    return 0;
}
