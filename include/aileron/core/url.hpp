#pragma once
/// @file
/// Percent-encoding of URL paths and queries, as Go's net/url does it.

#include <string>
#include <string_view>

namespace aileron::url {

/// Percent-decodes `s` into `out` (Go's url.PathUnescape; with `plus_is_space`, QueryUnescape).
/// On a malformed escape returns false and sets `error` to Go's message
/// (`invalid URL escape "%zz"`).
bool unescape(std::string_view s, bool plus_is_space, std::string& out, std::string& error);

/// Escapes a decoded path for a request line: every byte outside RFC 3986's `pchar` and `/` is
/// percent-encoded (Go's url.URL.EscapedPath for a path without a RawPath).
std::string escape_path(std::string_view path);

/// Go's path.Clean: `//`, `.` and `..` resolved lexically; "" becomes ".".
std::string clean_path(std::string_view path);
/// Go's path.Join of two elements ("" when both are empty).
std::string join_path(std::string_view a, std::string_view b);

/// Go's textproto.CanonicalMIMEHeaderKey ("x-api-key" -> "X-Api-Key"); a key with bytes that
/// are not token characters is returned as it is.
std::string canonical_header_key(std::string_view key);

/// The path and the query of a request target (origin or absolute form), both still escaped.
struct target_view {
    std::string_view path;    ///< "/" when the target has none
    std::string_view query;   ///< without the '?'
};
target_view split_target(std::string_view target) noexcept;

}  // namespace aileron::url
