#pragma once
/// @file
/// AILERON's `kernel.MatcherSpec` (a list of patterns and how to compare them) and the string
/// matcher built from it, shared by the middleware that select requests by path.
///
/// A matcher matches when any of its patterns does; with no patterns it matches nothing (as
/// AILERON's `txtutil.NewStringMatcher`). `Path` and `FilePath` use Go's `path.Match` glob
/// rules (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes; `*` and `?` never match `/`; bytes, not
/// runes). `Regex` uses `std::regex` ECMAScript, an approximation of Go's RE2 syntax (RE2 has
/// no backreferences or lookaround; ECMAScript does, and lacks `(?P<name>...)`); `RegexPOSIX`
/// uses `std::regex::extended`. Both search (an unanchored match), as Go's `MatchString`.

#include <aileron/config/decode.hpp>

#include <array>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::config {

/// AILERON's `kernel.MatchType`.
enum class match_type { exact = 0, prefix, suffix, contains, path, file_path, regex, regex_posix };

/// AILERON's `kernel.MatcherSpec`: `{patterns: [...], matchType: Prefix}`.
struct matcher_spec {
    std::vector<std::string> patterns;
    match_type type = match_type::exact;

    static constexpr auto fields() {
        return std::tuple{config::field("patterns", "Patterns", &matcher_spec::patterns),
                          config::field("matchType", "MatchType", &matcher_spec::type)};
    }
    /// Rejects duplicate patterns and patterns that do not compile for the match type.
    void normalize(decoder& d);
};

/// Why `pattern` is not valid for `type`, or an empty string when it is.
std::string pattern_problem(match_type type, const std::string& pattern);

}  // namespace aileron::config

template <>
struct aileron::config::enum_traits<aileron::config::match_type> {
    static constexpr std::array values{
        std::pair{std::string_view{"Exact"}, match_type::exact},
        std::pair{std::string_view{"Prefix"}, match_type::prefix},
        std::pair{std::string_view{"Suffix"}, match_type::suffix},
        std::pair{std::string_view{"Contains"}, match_type::contains},
        std::pair{std::string_view{"Path"}, match_type::path},
        std::pair{std::string_view{"FilePath"}, match_type::file_path},
        std::pair{std::string_view{"Regex"}, match_type::regex},
        std::pair{std::string_view{"RegexPOSIX"}, match_type::regex_posix},
    };
};

namespace aileron {

/**
 * A compiled `matcher_spec`. Immutable after construction, cheap to copy (the compiled regular
 * expressions are shared), safe to use from every worker thread.
 */
class string_matcher {
public:
    /// Matches nothing.
    string_matcher() = default;
    /// Throws std::invalid_argument for a pattern `pattern_problem` rejects (config decoding
    /// rejects those first, so this only happens for hand-made specs).
    explicit string_matcher(const config::matcher_spec& spec);

    bool match(std::string_view s) const;

private:
    std::vector<std::string> patterns_;
    config::match_type type_ = config::match_type::exact;
    std::shared_ptr<const std::vector<std::regex>> regexps_;
};

/// Go's `path.Match(pattern, name)`: true on a match; `bad_pattern` is set when the pattern is
/// malformed (Go's `ErrBadPattern`), and the result is then false.
bool path_match(std::string_view pattern, std::string_view name, bool& bad_pattern);

/// The URL path of a request target, percent-decoded (Go's `r.URL.Path`): the query is
/// dropped, an absolute-form target is reduced to its path. A target with a bad escape is
/// returned undecoded.
std::string url_path(std::string_view target);
/// The same without an allocation when the path has no escape (the usual case): a view of
/// `target`, else of `scratch`, which then holds the decoded path. For per-request matching.
std::string_view url_path(std::string_view target, std::string& scratch);

}  // namespace aileron
