#include <aileron/config/matcher.hpp>

#include <algorithm>
#include <stdexcept>

namespace aileron {

namespace {

// Go's path.Match, ported chunk by chunk (path/match.go), over bytes.

/// Splits off the leading stars and the chunk up to the next star outside a class.
void scan_chunk(std::string_view& pattern, bool& star, std::string_view& chunk) {
    star = false;
    while (!pattern.empty() && pattern.front() == '*') {
        pattern.remove_prefix(1);
        star = true;
    }
    bool in_range = false;
    std::size_t i = 0;
    for (; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '\\') {
            if (i + 1 < pattern.size()) ++i;
        } else if (c == '[') {
            in_range = true;
        } else if (c == ']') {
            in_range = false;
        } else if (c == '*' && !in_range) {
            break;
        }
    }
    chunk = pattern.substr(0, i);
    pattern.remove_prefix(i);
}

/// One (possibly escaped) character of a class; false on a malformed class.
bool get_escape(std::string_view& chunk, unsigned char& out) {
    if (chunk.empty() || chunk.front() == '-' || chunk.front() == ']') return false;
    if (chunk.front() == '\\') {
        chunk.remove_prefix(1);
        if (chunk.empty()) return false;
    }
    out = static_cast<unsigned char>(chunk.front());
    chunk.remove_prefix(1);
    return !chunk.empty();
}

/// Matches `chunk` at the start of `s`; on success `rest` is what is left of s. Returns
/// false with `bad` set when the chunk is malformed.
bool match_chunk(std::string_view chunk, std::string_view s, std::string_view& rest, bool& bad) {
    bool failed = false;
    while (!chunk.empty()) {
        if (!failed && s.empty()) failed = true;
        char c = chunk.front();
        if (c == '[') {
            unsigned char r = 0;
            if (!failed) {
                r = static_cast<unsigned char>(s.front());
                s.remove_prefix(1);
            }
            chunk.remove_prefix(1);
            bool negated = false;
            if (!chunk.empty() && chunk.front() == '^') {
                negated = true;
                chunk.remove_prefix(1);
            }
            bool matched = false;
            int ranges = 0;
            for (;;) {
                if (!chunk.empty() && chunk.front() == ']' && ranges > 0) {
                    chunk.remove_prefix(1);
                    break;
                }
                unsigned char lo = 0, hi = 0;
                if (!get_escape(chunk, lo)) return bad = true, false;
                hi = lo;
                if (chunk.front() == '-') {
                    chunk.remove_prefix(1);
                    if (!get_escape(chunk, hi)) return bad = true, false;
                }
                if (lo <= r && r <= hi) matched = true;
                ++ranges;
            }
            if (matched == negated) failed = true;
        } else if (c == '?') {
            if (!failed) {
                if (s.front() == '/') failed = true;
                s.remove_prefix(1);
            }
            chunk.remove_prefix(1);
        } else {
            if (c == '\\') {
                chunk.remove_prefix(1);
                if (chunk.empty()) return bad = true, false;
            }
            if (!failed) {
                if (chunk.front() != s.front()) failed = true;
                s.remove_prefix(1);
            }
            chunk.remove_prefix(1);
        }
    }
    if (failed) return false;
    rest = s;
    return true;
}

std::regex compile(config::match_type type, const std::string& pattern) {
    return type == config::match_type::regex_posix ? std::regex{pattern, std::regex::extended}
                                                   : std::regex{pattern, std::regex::ECMAScript};
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool path_match(std::string_view pattern, std::string_view name, bool& bad_pattern) {
    bad_pattern = false;
    while (!pattern.empty()) {
        bool star = false;
        std::string_view chunk;
        scan_chunk(pattern, star, chunk);
        if (star && chunk.empty()) return name.find('/') == std::string_view::npos;
        std::string_view rest;
        bool bad = false;
        if (match_chunk(chunk, name, rest, bad) && (rest.empty() || !pattern.empty())) {
            name = rest;
            continue;
        }
        if (bad) return bad_pattern = true, false;
        bool advanced = false;
        if (star) {
            for (std::size_t i = 0; i < name.size() && name[i] != '/'; ++i) {
                if (match_chunk(chunk, name.substr(i + 1), rest, bad)) {
                    if (pattern.empty() && !rest.empty()) continue;
                    name = rest;
                    advanced = true;
                    break;
                }
                if (bad) return bad_pattern = true, false;
            }
        }
        if (advanced) continue;
        // No match: still report a malformed remainder, as Go does.
        while (!pattern.empty()) {
            scan_chunk(pattern, star, chunk);
            match_chunk(chunk, {}, rest, bad);
            if (bad) return bad_pattern = true, false;
        }
        return false;
    }
    return name.empty();
}

namespace {
/// The path of a request target as sent: no query, an absolute-form target reduced to its path.
std::string_view raw_path(std::string_view target) {
    std::string_view raw = target.substr(0, target.find('?'));
    if (raw.starts_with("http://") || raw.starts_with("https://")) {
        auto slash = raw.find('/', raw.find("//") + 2);
        raw = slash == std::string_view::npos ? std::string_view{"/"} : raw.substr(slash);
    }
    return raw;
}
}  // namespace

std::string_view url_path(std::string_view target, std::string& scratch) {
    std::string_view raw = raw_path(target);
    if (raw.find('%') == std::string_view::npos) return raw;
    scratch = url_path(raw);
    return scratch;
}

std::string url_path(std::string_view target) {
    std::string_view raw = raw_path(target);
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
            out += raw[i];
            continue;
        }
        int hi = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
        int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0) return std::string{raw};
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

namespace config {

std::string pattern_problem(match_type type, const std::string& pattern) {
    switch (type) {
    case match_type::path:
    case match_type::file_path: {
        bool bad = false;
        path_match(pattern, "", bad);
        return bad ? "invalid pattern for " + std::string{type == match_type::path ? "Path" : "FilePath"} +
                         " matcher: `" + pattern + "` (syntax error in pattern)"
                   : std::string{};
    }
    case match_type::regex:
    case match_type::regex_posix:
        try {
            (void)compile(type, pattern);
        } catch (const std::regex_error& e) {
            return "invalid pattern for " + std::string{type == match_type::regex ? "Regex" : "RegexPOSIX"} +
                   " matcher: `" + pattern + "` (" + e.what() + ")";
        }
        return {};
    default:
        return {};
    }
}

void matcher_spec::normalize(decoder& d) {
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        const std::string at = "patterns[" + std::to_string(i) + "]";
        for (std::size_t j = 0; j < i; ++j)
            if (patterns[j] == patterns[i]) d.error(at, "duplicate pattern \"" + patterns[i] + "\"");
        if (auto problem = pattern_problem(type, patterns[i]); !problem.empty()) d.error(at, std::move(problem));
    }
}

}  // namespace config

string_matcher::string_matcher(const config::matcher_spec& spec) : patterns_(spec.patterns), type_(spec.type) {
    std::sort(patterns_.begin(), patterns_.end());
    patterns_.erase(std::unique(patterns_.begin(), patterns_.end()), patterns_.end());
    for (const auto& p : patterns_)
        if (auto problem = config::pattern_problem(type_, p); !problem.empty()) throw std::invalid_argument(problem);
    if (type_ == config::match_type::regex || type_ == config::match_type::regex_posix) {
        auto res = std::make_shared<std::vector<std::regex>>();
        for (const auto& p : patterns_) res->push_back(compile(type_, p));
        regexps_ = std::move(res);
    }
}

bool string_matcher::match(std::string_view s) const {
    using config::match_type;
    for (std::size_t i = 0; i < patterns_.size(); ++i) {
        const std::string& p = patterns_[i];
        bool ok = false;
        switch (type_) {
        case match_type::exact: ok = s == p; break;
        case match_type::prefix: ok = s.starts_with(p); break;
        case match_type::suffix: ok = s.ends_with(p); break;
        case match_type::contains: ok = s.find(p) != std::string_view::npos; break;
        case match_type::path:
        case match_type::file_path: {
            bool bad = false;
            ok = path_match(p, s, bad);
            break;
        }
        case match_type::regex:
        case match_type::regex_posix: ok = std::regex_search(s.begin(), s.end(), (*regexps_)[i]); break;
        }
        if (ok) return true;
    }
    return false;
}

}  // namespace aileron
