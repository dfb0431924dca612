// Go 1.22 ServeMux semantics: pattern parsing and conflicts follow net/http/pattern.go, matching
// follows routing_tree.go, and the redirect rules follow ServeMux.findHandler/matchOrRedirect in
// server.go.

#include <aileron/server/serve_mux.hpp>

#include <aileron/detail/quote.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <unordered_map>
#include <variant>

namespace aileron::server {
namespace {

//---------------------------------------------------------------------------------------------
// Escapes and case

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Whether every `%` in `s` starts a valid `%XX` escape (Go's url.PathUnescape succeeds).
bool valid_escapes(std::string_view s) noexcept {
    for (std::size_t i = s.find('%'); i != std::string_view::npos; i = s.find('%', i + 3)) {
        if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) {
            return false;
        }
    }
    return true;
}

/// Go's pathUnescape: `s` decoded, or `s` unchanged when it is invalidly escaped.
std::string path_unescape(std::string_view s) {
    if (s.find('%') == std::string_view::npos || !valid_escapes(s)) {
        return std::string{s};
    }
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

/// `path_unescape(raw) == literal`, without allocating.
bool unescaped_equals(std::string_view raw, std::string_view literal) noexcept {
    if (raw.find('%') == std::string_view::npos || !valid_escapes(raw)) {
        return raw == literal;
    }
    std::size_t j = 0;
    for (std::size_t i = 0; i < raw.size(); ++i, ++j) {
        char c = raw[i];
        if (c == '%') {
            c = static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
            i += 2;
        }
        if (j == literal.size() || literal[j] != c) {
            return false;
        }
    }
    return j == literal.size();
}

char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

/// Orders host names case-insensitively, so a request host needs no lower-cased copy.
struct host_less {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                            [](char x, char y) { return ascii_lower(x) < ascii_lower(y); });
    }
};

/// Go's strconv.Quote, close enough for error messages (bytes >= 0x80 are copied).
std::string go_quote(std::string_view s) {
    std::string out;
    detail::append_quoted(out, s, detail::go_quote_style);
    return out;
}

//---------------------------------------------------------------------------------------------
// Requests: target, host, path cleaning

struct target_parts {
    std::string_view path;
    std::string_view query;
};

/// Splits an origin-form or absolute-form request-target; nullopt for other forms.
std::optional<target_parts> split_target(std::string_view target) noexcept {
    std::string_view rest = target;
    if (rest.empty() || rest.front() != '/') {
        // Absolute form: scheme "://" authority [path]. The path may be empty.
        std::size_t scheme_end = rest.find("://");
        if (scheme_end == 0 || scheme_end == std::string_view::npos ||
            rest.substr(0, scheme_end).find_first_of("/?") != std::string_view::npos) {
            return std::nullopt;
        }
        rest.remove_prefix(scheme_end + 3);
        std::size_t path_start = rest.find_first_of("/?");
        rest.remove_prefix(path_start == std::string_view::npos ? rest.size() : path_start);
    }
    target_parts parts;
    std::size_t q = rest.find('?');
    parts.path = rest.substr(0, q);
    if (q != std::string_view::npos) {
        parts.query = rest.substr(q + 1);
    }
    return parts;
}

/// Go's stripHostPort: `h` without a trailing `:port`, or `h` unchanged when net.SplitHostPort
/// rejects it (`::1`, `[::1]`).
std::string_view strip_host_port(std::string_view h) noexcept {
    std::size_t colon = h.rfind(':');
    if (colon == std::string_view::npos) {
        return h;
    }
    std::string_view host;
    std::size_t j = 0;
    std::size_t k = 0;
    if (h.front() == '[') {
        std::size_t end = h.find(']');
        if (end == std::string_view::npos || end + 1 != colon) {
            return h;   // missing ']', missing port, or too many colons
        }
        host = h.substr(1, end - 1);
        j = 1;
        k = end + 1;
    } else {
        host = h.substr(0, colon);
        if (host.find(':') != std::string_view::npos) {
            return h;   // too many colons
        }
    }
    if (h.find('[', j) != std::string_view::npos || h.find(']', k) != std::string_view::npos) {
        return h;
    }
    return host;
}

/// Whether Go's cleanPath would return `p` unchanged: rooted, no empty segment except a
/// trailing slash, no `.` or `..` segment.
bool is_clean(std::string_view p) noexcept {
    if (p.empty() || p.front() != '/') {
        return false;
    }
    std::size_t start = 1;
    while (true) {
        std::size_t slash = p.find('/', start);
        std::string_view seg = p.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (seg == "." || seg == "..") {
            return false;
        }
        if (slash == std::string_view::npos) {
            return true;
        }
        if (seg.empty()) {
            return false;
        }
        start = slash + 1;
    }
}

/// Go's cleanPath: path.Clean on the rooted path, keeping a trailing slash.
std::string clean_path(std::string_view p) {
    std::string src;
    src.reserve(p.size() + 1);
    if (p.empty() || p.front() != '/') {
        src.push_back('/');
    }
    src.append(p);
    // path.Clean for a rooted path.
    std::string out = "/";
    const std::size_t n = src.size();
    const std::size_t dotdot = 1;   // out[..dotdot) cannot be backtracked over
    std::size_t r = 1;
    while (r < n) {
        if (src[r] == '/') {
            ++r;
        } else if (src[r] == '.' && (r + 1 == n || src[r + 1] == '/')) {
            ++r;
        } else if (src[r] == '.' && src[r + 1] == '.' && (r + 2 == n || src[r + 2] == '/')) {
            r += 2;
            if (out.size() > dotdot) {
                out.pop_back();
                while (out.size() > dotdot && out.back() != '/') {
                    out.pop_back();
                }
                if (out.size() > dotdot) {
                    out.pop_back();   // the '/' before the removed element
                }
            }
        } else {
            if (out.size() != 1) {
                out.push_back('/');
            }
            for (; r < n && src[r] != '/'; ++r) {
                out.push_back(src[r]);
            }
        }
    }
    if (src.back() == '/' && out != "/") {
        out.push_back('/');
    }
    return out;
}

//---------------------------------------------------------------------------------------------
// Patterns

/// Go's segment: a literal (`s`, unescaped), a trailing slash from `{$}` (literal `s == "/"`),
/// a single wildcard `{s}`, or a multi wildcard `{s...}` (anonymous for a trailing `/`).
struct segment {
    std::string s;
    bool wild = false;
    bool multi = false;
};

struct pattern {
    std::string str;               ///< as registered
    std::string host;              ///< lower-cased; empty when host-less
    std::vector<segment> segments;   ///< never empty
    std::string rank;              ///< routing order key: per segment '0' literal, '1' {x}, '2' multi
    /// For a pattern of literals only: the one '%'-free request path it can match (a pattern
    /// whose literals contain '/' may match none). Empty for patterns with wildcards.
    std::string literal_path;
    std::size_t index = 0;         ///< registration index of the value

    const segment& last() const noexcept { return segments.back(); }
};

bool is_valid_wildcard_name(std::string_view s) noexcept {
    if (s.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        if (!letter && (i == 0 || !digit)) {
            return false;
        }
    }
    return true;
}

struct parse_error {
    std::size_t offset;
    std::string message;
};

/// Go's parsePattern without the method. Returns the pattern or where and why it is invalid.
std::variant<pattern, parse_error> parse_pattern(std::string_view s) {
    if (std::size_t sp = s.find_first_of(" \t"); sp != std::string_view::npos) {
        return parse_error{sp, "methods are not part of patterns here (the server checks methods)"};
    }
    std::size_t slash = s.find('/');
    if (slash == std::string_view::npos) {
        return parse_error{0, "host/path missing /"};
    }
    pattern p;
    p.str = std::string{s};
    std::string_view host = s.substr(0, slash);
    if (std::size_t brace = host.find('{'); brace != std::string_view::npos) {
        return parse_error{brace, "host contains '{' (missing initial '/'?)"};
    }
    p.host.reserve(host.size());
    for (char c : host) {
        p.host.push_back(ascii_lower(c));
    }

    std::string_view rest = s.substr(slash);
    std::vector<std::string_view> seen;   // wildcard names
    while (!rest.empty()) {
        rest.remove_prefix(1);   // invariant: rest starts with '/'
        const std::size_t off = s.size() - rest.size();
        if (rest.empty()) {
            p.segments.push_back({{}, true, true});   // trailing slash
            break;
        }
        std::size_t end = std::min(rest.find('/'), rest.size());
        std::string_view seg = rest.substr(0, end);
        rest.remove_prefix(end);
        std::size_t brace = seg.find('{');
        if (brace == std::string_view::npos) {
            p.segments.push_back({path_unescape(seg), false, false});
            continue;
        }
        if (brace != 0) {
            return parse_error{off, "bad wildcard segment (must start with '{')"};
        }
        if (seg.back() != '}') {
            return parse_error{off, "bad wildcard segment (must end with '}')"};
        }
        std::string_view name = seg.substr(1, seg.size() - 2);
        if (name == "$") {
            if (!rest.empty()) {
                return parse_error{off, "{$} not at end"};
            }
            p.segments.push_back({"/", false, false});
            break;
        }
        const bool multi = name.size() >= 3 && name.substr(name.size() - 3) == "...";
        if (multi) {
            name.remove_suffix(3);
            if (!rest.empty()) {
                return parse_error{off, "{...} wildcard not at end"};
            }
        }
        if (name.empty()) {
            return parse_error{off, "empty wildcard"};
        }
        if (!is_valid_wildcard_name(name)) {
            return parse_error{off, "bad wildcard name " + go_quote(name)};
        }
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            return parse_error{off, "duplicate wildcard name " + go_quote(name)};
        }
        seen.push_back(name);
        p.segments.push_back({std::string{name}, true, multi});
    }
    bool literal_only = true;
    for (const segment& seg : p.segments) {
        p.rank.push_back(seg.multi ? '2' : seg.wild ? '1' : '0');
        literal_only = literal_only && !seg.wild;
    }
    if (literal_only) {
        for (const segment& seg : p.segments) {
            p.literal_path += seg.s == "/" ? "/" : "/" + seg.s;
        }
    }
    return p;
}

//---------------------------------------------------------------------------------------------
// Relationships between patterns (pattern.go)

enum class relationship { equivalent, more_general, more_specific, disjoint, overlaps };

relationship inverse(relationship r) noexcept {
    switch (r) {
    case relationship::more_specific: return relationship::more_general;
    case relationship::more_general: return relationship::more_specific;
    default: return r;
    }
}

relationship combine(relationship r1, relationship r2) noexcept {
    switch (r1) {
    case relationship::equivalent: return r2;
    case relationship::disjoint: return relationship::disjoint;
    case relationship::overlaps:
        return r2 == relationship::disjoint ? relationship::disjoint : relationship::overlaps;
    case relationship::more_general:
    case relationship::more_specific:
        if (r2 == relationship::equivalent) return r1;
        if (r2 == inverse(r1)) return relationship::overlaps;
        return r2;
    }
    return relationship::disjoint;
}

relationship compare_segments(const segment& s1, const segment& s2) noexcept {
    if (s1.multi && s2.multi) return relationship::equivalent;
    if (s1.multi) return relationship::more_general;
    if (s2.multi) return relationship::more_specific;
    if (s1.wild && s2.wild) return relationship::equivalent;
    if (s1.wild) {
        // A single wildcard doesn't match a trailing slash.
        return s2.s == "/" ? relationship::disjoint : relationship::more_general;
    }
    if (s2.wild) {
        return s1.s == "/" ? relationship::disjoint : relationship::more_specific;
    }
    return s1.s == s2.s ? relationship::equivalent : relationship::disjoint;
}

relationship compare_paths(const pattern& p1, const pattern& p2) noexcept {
    // Patterns not ending in a multi only match paths with as many segments as they have.
    if (p1.segments.size() != p2.segments.size() && !p1.last().multi && !p2.last().multi) {
        return relationship::disjoint;
    }
    const std::size_t common = std::min(p1.segments.size(), p2.segments.size());
    relationship rel = relationship::equivalent;
    for (std::size_t i = 0; i < common; ++i) {
        rel = combine(rel, compare_segments(p1.segments[i], p2.segments[i]));
        if (rel == relationship::disjoint) {
            return rel;
        }
    }
    if (p1.segments.size() == p2.segments.size()) {
        return rel;
    }
    // The shorter pattern can only match the longer one's paths if it ends in a multi, which
    // is more general than the rest of the longer one.
    if (p1.segments.size() < p2.segments.size() && p1.last().multi) {
        return combine(rel, relationship::more_general);
    }
    if (p2.segments.size() < p1.segments.size() && p2.last().multi) {
        return combine(rel, relationship::more_specific);
    }
    return relationship::disjoint;
}

void write_segment(std::string& b, const segment& s) {
    b.push_back('/');
    if (!s.multi && s.s != "/") {
        b += s.s;
    }
}

/// A path that both patterns match (they overlap).
std::string common_path(const pattern& p1, const pattern& p2) {
    std::string b;
    const std::size_t common = std::min(p1.segments.size(), p2.segments.size());
    for (std::size_t i = 0; i < common; ++i) {
        write_segment(b, p1.segments[i].wild ? p2.segments[i] : p1.segments[i]);
    }
    const pattern& longer = p1.segments.size() > p2.segments.size() ? p1 : p2;
    for (std::size_t i = common; i < longer.segments.size(); ++i) {
        write_segment(b, longer.segments[i]);
    }
    return b;
}

/// A path that p1 matches and p2 doesn't (they overlap).
std::string difference_path(const pattern& p1, const pattern& p2) {
    std::string b;
    const std::size_t common = std::min(p1.segments.size(), p2.segments.size());
    for (std::size_t i = 0; i < common; ++i) {
        const segment& s1 = p1.segments[i];
        const segment& s2 = p2.segments[i];
        if (s1.multi && s2.multi) {
            b.push_back('/');
            return b;
        }
        if (s1.multi) {
            // A trailing slash tells them apart, unless s2 is {$}: then any segment does.
            b.push_back('/');
            if (s2.s == "/") {
                b += s1.s.empty() ? "x" : s1.s;
            }
            return b;
        }
        if (s1.wild && !s2.wild && s1.s == s2.s) {
            b += "/" + s2.s + "x";
        } else {
            write_segment(b, s1);
        }
    }
    const pattern& longer = p1.segments.size() > p2.segments.size() ? p1 : p2;
    for (std::size_t i = common; i < longer.segments.size(); ++i) {
        write_segment(b, longer.segments[i]);
    }
    return b;
}

/// Go's describeConflict for two path patterns that are equivalent or overlap.
std::string describe_conflict(const pattern& p1, const pattern& p2, relationship rel) {
    if (rel == relationship::equivalent) {
        return p1.str + " matches the same requests as " + p2.str;
    }
    return p1.str + " and " + p2.str + " both match some paths, like " + go_quote(common_path(p1, p2)) +
           ".\nBut neither is more specific than the other.\n" + p1.str + " matches " +
           go_quote(difference_path(p1, p2)) + ", but " + p2.str + " doesn't.\n" + p2.str + " matches " +
           go_quote(difference_path(p2, p1)) + ", but " + p1.str + " doesn't.";
}

//---------------------------------------------------------------------------------------------
// Matching (routing_tree.go)

/// A cleaned, escaped request path, optionally with one more '/' appended (the trailing-slash
/// probe), walked the way Go's firstSegment does: "/a/b/" is "a", "b", then "/".
struct request_path {
    std::string_view path;
    bool extra_slash = false;
    /// The whole path (with the extra slash) when it has no escapes: a literal-only pattern
    /// then matches exactly when its `literal_path` equals it. Empty when unknown.
    std::string_view literal_key;

    std::size_t size() const noexcept { return path.size() + (extra_slash ? 1 : 0); }

    /// The raw segment starting at `pos` (where the path has a '/'), and where the rest starts.
    std::pair<std::string_view, std::size_t> segment_at(std::size_t pos) const noexcept {
        if (pos + 1 == size()) {
            return {"/", size()};   // only a slash is left: the trailing-slash segment
        }
        std::size_t end = std::min(path.find('/', pos + 1), path.size());
        return {path.substr(pos + 1, end - pos - 1), end};
    }

    std::size_t slash_count() const noexcept {
        return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')) + (extra_slash ? 1 : 0);
    }
    bool ends_with_slash() const noexcept { return extra_slash || (!path.empty() && path.back() == '/'); }
};

/// Whether `p` matches `rp`; fills `params` (when given) with the wildcard values.
bool match_pattern(const pattern& p, const request_path& rp, std::vector<route_match_param>* params) {
    const std::size_t n = rp.size();
    std::size_t pos = 0;
    for (const segment& seg : p.segments) {
        if (pos == n) {
            return false;   // path used up: only a leaf here would match
        }
        if (seg.multi) {
            if (params && !seg.s.empty()) {
                // Only the real matcher captures, never the extra-slash probe.
                params->push_back({seg.s, path_unescape(rp.path.substr(std::min(pos + 1, rp.path.size())))});
            }
            return true;
        }
        auto [raw, next] = rp.segment_at(pos);
        if (seg.wild) {
            if (unescaped_equals(raw, "/")) {
                return false;   // single wildcards don't match the trailing slash
            }
            if (params) {
                params->push_back({seg.s, path_unescape(raw)});
            }
        } else if (!unescaped_equals(raw, seg.s)) {
            return false;
        }
        pos = next;
    }
    return pos == n;
}

/// Go's exactMatch: a match is inexact when a multi wildcard matched a non-empty string.
bool exact_match(const pattern* p, const request_path& rp) noexcept {
    if (p == nullptr) {
        return false;
    }
    if (!p->last().multi) {
        return true;
    }
    if (!rp.ends_with_slash()) {
        return false;
    }
    return p->segments.size() == rp.slash_count();
}

}  // namespace

//---------------------------------------------------------------------------------------------

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// The patterns of one host (or the host-less ones), as indices into `mux_core::impl::patterns`.
///
/// A literal-only pattern that matches beats every other match (any other match has a
/// wildcard where it has a literal, or ends in a multi), and at most one can match (two would
/// be equivalent, hence rejected). So they are tried first, by hash of the path when the path
/// has no escapes; then the rest in routing order. A trie could replace `ordered` later.
struct host_table {
    std::vector<std::size_t> literal_only;
    std::unordered_map<std::string, std::vector<std::size_t>, string_hash, std::equal_to<>> by_literal_path;
    std::vector<std::size_t> ordered;   ///< patterns with wildcards, in routing order (`rank`, stable)
};

struct mux_core::impl {
    std::vector<pattern> patterns;
    host_table hostless;
    std::map<std::string, host_table, host_less> by_host;

    const pattern* try_each(const std::vector<std::size_t>& list, const request_path& rp) const {
        for (std::size_t i : list) {
            if (match_pattern(patterns[i], rp, nullptr)) {
                return &patterns[i];
            }
        }
        return nullptr;
    }

    const pattern* first_match(const host_table& table, const request_path& rp) const {
        const pattern* p = nullptr;
        if (!rp.literal_key.empty()) {
            // Keys can collide ("/a%2Fb" vs "/a/b"), so each candidate is still matched.
            if (auto it = table.by_literal_path.find(rp.literal_key); it != table.by_literal_path.end()) {
                p = try_each(it->second, rp);
            }
        } else {
            p = try_each(table.literal_only, rp);
        }
        return p != nullptr ? p : try_each(table.ordered, rp);
    }

    void insert(host_table& table, const pattern& p, std::size_t at) {
        if (!p.literal_path.empty()) {
            table.literal_only.push_back(at);
            table.by_literal_path[p.literal_path].push_back(at);
            return;
        }
        auto pos = std::upper_bound(table.ordered.begin(), table.ordered.end(), p.rank,
                                    [&](const std::string& rank, std::size_t i) { return rank < patterns[i].rank; });
        table.ordered.insert(pos, at);
    }

    /// Go's routingNode.match: the host's patterns first, then the host-less ones.
    const pattern* find(std::string_view host, const request_path& rp) const {
        if (!host.empty()) {
            if (auto it = by_host.find(host); it != by_host.end()) {
                if (const pattern* p = first_match(it->second, rp)) {
                    return p;
                }
            }
        }
        return first_match(hostless, rp);
    }
};

mux_core::mux_core() : impl_(std::make_unique<impl>()) {}
mux_core::mux_core(mux_core&&) noexcept = default;
mux_core& mux_core::operator=(mux_core&&) noexcept = default;
mux_core::~mux_core() = default;

std::optional<std::string> mux_core::add(std::string_view str, std::size_t index) {
    if (str.empty()) {
        return "http: invalid pattern";
    }
    auto parsed = parse_pattern(str);
    if (auto* err = std::get_if<parse_error>(&parsed)) {
        return "parsing " + go_quote(str) + ": at offset " + std::to_string(err->offset) + ": " + err->message;
    }
    pattern& p = std::get<pattern>(parsed);
    p.index = index;

    // Patterns with different hosts never conflict: either one has no host and loses, or they
    // match different requests.
    for (const pattern& other : impl_->patterns) {
        if (other.host != p.host) {
            continue;
        }
        relationship rel = compare_paths(p, other);
        if (rel == relationship::equivalent || rel == relationship::overlaps) {
            return "pattern " + go_quote(p.str) + " conflicts with pattern " + go_quote(other.str) + ":\n" +
                   describe_conflict(p, other, rel);
        }
    }

    host_table& table = p.host.empty() ? impl_->hostless : impl_->by_host[p.host];
    const std::size_t at = impl_->patterns.size();
    impl_->patterns.push_back(std::move(p));
    impl_->insert(table, impl_->patterns.back(), at);
    return std::nullopt;
}

bool mux_core::contains(std::string_view pattern) const noexcept {
    return std::any_of(impl_->patterns.begin(), impl_->patterns.end(),
                       [&](const auto& p) { return p.str == pattern; });
}

std::size_t mux_core::size() const noexcept { return impl_->patterns.size(); }

route_lookup mux_core::match(std::string_view host, std::string_view target) const {
    route_lookup result;
    std::optional<target_parts> parts = split_target(target);
    if (!parts) {
        return result;
    }
    // Route on the cleaned, still-escaped path; copy only when it needs cleaning.
    std::string cleaned;
    std::string_view path = parts->path;
    const bool unclean = !is_clean(path);
    if (unclean) {
        cleaned = clean_path(path);
        path = cleaned;
    }
    host = strip_host_port(host);

    auto set_redirect = [&](std::string_view location, bool add_slash) {
        result.status = route_status::redirect;
        result.location.reserve(location.size() + 2 + parts->query.size());
        result.location.append(location);
        if (add_slash) {
            result.location.push_back('/');
        }
        if (!parts->query.empty()) {
            result.location.push_back('?');
            result.location.append(parts->query);
        }
    };

    const bool escaped = path.find('%') != std::string_view::npos;
    const request_path rp{path, false, escaped ? std::string_view{} : path};
    const pattern* found = impl_->find(host, rp);
    // A subtree root asked for without its trailing slash: redirect when path + "/" matches
    // exactly (Go's matchOrRedirect). This wins over the clean-path redirect.
    if (!exact_match(found, rp) && !rp.ends_with_slash()) {
        char key[512];   // path + "/" for the literal lookup, when short enough
        std::string_view with_slash_key;
        if (!escaped && path.size() < sizeof key) {
            std::copy(path.begin(), path.end(), key);
            key[path.size()] = '/';
            with_slash_key = std::string_view{key, path.size() + 1};
        }
        const request_path with_slash{path, true, with_slash_key};
        if (exact_match(impl_->find(host, with_slash), with_slash)) {
            set_redirect(path, true);
            return result;
        }
    }
    if (unclean) {
        set_redirect(path, false);
        return result;
    }
    if (found == nullptr) {
        return result;
    }
    result.status = route_status::matched;
    result.index = found->index;
    result.pattern = found->str;
    match_pattern(*found, rp, &result.params);
    return result;
}

}  // namespace aileron::server
